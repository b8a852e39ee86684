//! `cargo xtask bench --trainer [--runs N]`: what burn-train's learner adds to an epoch. For
//! the main job's config and the article's (when its Nikkei data is beside the checkout), the
//! same epochs are timed as training steps alone (the batches built once; forward, loss,
//! backward, the optimiser's step), before and after the learner runs them (batching,
//! validation, metrics, progress, checkpoints); `--runs` times (default 3), medians and spreads
//! (see [`trainer::overhead::measure_epochs`]). Writes
//! `target/bench/trainer.json`.

use std::path::Path;

use serde_json::json;

use crate::spread;
use trainer::overhead::{EpochCost, measure_epochs};

/// The configs, their epochs per run, and the file they need.
const CONFIGS: [(&str, usize, &str); 2] = [
    ("configs/lstm.toml", 40, "data/sp500.csv"),
    ("configs/article.toml", 400, "../shared/data/nikkei_225.csv"),
];

/// Runs the trainer bench.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let runs = crate::runs_option(args, "--trainer", 3)?;
    let device = burn::tensor::Device::flex();
    let scratch = crate::backtest_bench::target_dir()
        .join("bench")
        .join("trainer-runs");
    let mut report = Vec::new();
    println!(
        "{:<22} {:>8} {:>8} {:>7} {:>24} {:>24} {:>18}",
        "config",
        "windows",
        "batches",
        "epochs",
        "steps alone (ms/epoch)",
        "learner (ms/epoch)",
        "learner overhead %"
    );
    for (config_path, epochs, data) in CONFIGS {
        if !Path::new(data).exists() {
            println!("{config_path:<22} skipped: {data} is absent");
            continue;
        }
        let mut costs: Vec<EpochCost> = Vec::new();
        for run in 0..runs {
            let out = scratch.join(format!("run-{run}"));
            std::fs::remove_dir_all(&out).ok();
            std::fs::create_dir_all(&out)?;
            costs.push(measure_epochs(
                Path::new(config_path),
                epochs,
                &device,
                &out,
            )?);
        }
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        let steps = spread(&costs.iter().map(|c| ms(c.steps_alone)).collect::<Vec<_>>());
        let learner = spread(&costs.iter().map(|c| ms(c.learner)).collect::<Vec<_>>());
        let overhead = spread(
            &costs
                .iter()
                .map(EpochCost::overhead_percent)
                .collect::<Vec<_>>(),
        );
        let cell = |(median, low, high): (f64, f64, f64), digits: usize| {
            format!("{median:.digits$} ({low:.digits$}–{high:.digits$})")
        };
        println!(
            "{config_path:<22} {:>8} {:>8} {:>7} {:>24} {:>24} {:>18}",
            costs[0].windows,
            costs[0].batches,
            epochs,
            cell(steps, 2),
            cell(learner, 2),
            cell(overhead, 1)
        );
        report.push(json!({
            "config": config_path,
            "windows": costs[0].windows,
            "batches": costs[0].batches,
            "epochs": epochs,
            "steps_alone_ms": costs.iter().map(|c| ms(c.steps_alone)).collect::<Vec<_>>(),
            "learner_ms": costs.iter().map(|c| ms(c.learner)).collect::<Vec<_>>(),
        }));
    }
    println!("{runs} run(s) each: median (min–max)");
    std::fs::remove_dir_all(&scratch).ok();
    let path = crate::backtest_bench::target_dir()
        .join("bench")
        .join("trainer.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    Ok(())
}
