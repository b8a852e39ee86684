//! The learner's overhead measure behind `cargo xtask bench --trainer`, on a tiny config.

use std::time::Duration;

use trainer::overhead::measure_epochs;

use crate::common;

#[test]
fn the_overhead_measure_times_the_same_epochs_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::write_series(dir.path(), 80);
    let config = common::write_config(dir.path(), &data, "");
    let out = dir.path().join("run");
    std::fs::create_dir_all(&out).unwrap();
    let cost = measure_epochs(&config, 2, &burn::tensor::Device::flex(), &out).unwrap();
    assert_eq!(cost.epochs, 2);
    // 80 rows, windows of 4, 10 test and 5 validation targets; batches of 16
    assert_eq!(cost.windows, 80 - 4 - 10 - 5);
    assert_eq!(cost.batches, cost.windows.div_ceil(16));
    assert!(cost.steps_alone > Duration::ZERO && cost.learner > Duration::ZERO);
    let overhead = cost.overhead_percent();
    let expected = 100.0 * (1.0 - cost.steps_alone.as_secs_f64() / cost.learner.as_secs_f64());
    assert!(
        (overhead - expected).abs() < 1e-9,
        "{overhead} against {expected}"
    );
}
