//! Prediction intervals end to end: a Gaussian head on a series with known Gaussian noise
//! covers at its levels, and every head's intervals reach predictions.csv, metrics.json and
//! `trainer predict`.

use std::path::Path;

use crate::common::{assert_success, config_text, read, train, trainer, write_series};

fn metrics(run: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&run.join("metrics.json"))).unwrap()
}

#[test]
fn a_gaussian_head_covers_known_noise_at_its_levels() {
    let dir = tempfile::tempdir().unwrap();
    // sin(x) plus N(0, 0.1²) noise: a sound model's errors are that noise
    let config = dir.path().join("noisy.toml");
    std::fs::write(
        &config,
        r#"
[data]
source = "sine"
points = 3000
x_range = [0.0, 300.0]
noise = 0.1
seed = 11
features = ["value"]
target = "value"
transform = "level"
window_norm = "none"
window_len = 20
test_len = 1000
valid_len = 500

[model]
hidden_size = 16
output = "gaussian"

[train]
epochs = 300
lr = 0.01
patience = 30
"#,
    )
    .unwrap();
    let out = dir.path().join("run");
    train(&config, &out);
    let metrics = metrics(&out);
    let intervals = &metrics["intervals"];
    assert_eq!(intervals["model"]["method"], "distribution");
    // the pinball loss per quantile: at the median, half the point forecast's MAE
    let median = intervals["model"]["pinball"]["0.50"].as_f64().unwrap();
    let mae = metrics["test"]["model"]["mae"].as_f64().unwrap();
    assert!(
        (median - mae / 2.0).abs() < 1e-4 * mae,
        "{median} vs {mae} / 2"
    );
    assert_eq!(intervals["naive"]["pinball"].as_object().unwrap().len(), 19);
    for (level, nominal) in [("80", 0.8), ("95", 0.95)] {
        let coverage = intervals["model"]["levels"][level]["coverage"]
            .as_f64()
            .unwrap();
        assert!(
            (coverage - nominal).abs() < 0.04,
            "{level} % interval covers {coverage} of 1000 test days"
        );
    }
    // the 80 % interval of N(μ, 0.1²) is 2 · 1.2816 · 0.1 wide
    let width = intervals["model"]["levels"]["80"]["mean_width"]
        .as_f64()
        .unwrap();
    assert!((width - 0.2563).abs() < 0.03, "width {width}");
    let closed_form = intervals["model_crps_gaussian"].as_f64().unwrap();
    let estimated = intervals["model"]["crps"].as_f64().unwrap();
    assert!(
        (estimated / closed_form - 1.0).abs() < 0.1,
        "{estimated} vs {closed_form}"
    );
    assert!(estimated < intervals["naive"]["crps"].as_f64().unwrap());
}

#[test]
fn every_head_gives_intervals_in_every_output() {
    for (output, extra) in [
        ("gaussian", ""),
        ("student_t", ""),
        ("quantiles", "quantiles = [0.05, 0.1, 0.5, 0.9, 0.95]"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let data = write_series(dir.path(), 80);
        let text = config_text(&data, "", "").replace(
            "head = [4]",
            &format!("head = [4]\noutput = \"{output}\"\n{extra}"),
        );
        let config = dir.path().join("head.toml");
        std::fs::write(&config, text).unwrap();
        let out = dir.path().join("run");
        train(&config, &out);

        let predictions = read(&out.join("predictions.csv"));
        let header: Vec<&str> = predictions.lines().next().unwrap().split(',').collect();
        let lower = header.iter().position(|c| *c == "lower_80").unwrap();
        let upper = header.iter().position(|c| *c == "upper_80").unwrap();
        for line in predictions.lines().skip(1) {
            let cells: Vec<f64> = line
                .split(',')
                .skip(1)
                .map(|c| c.parse().unwrap())
                .collect();
            assert!(cells[lower - 1] <= cells[upper - 1], "{output}: {line}");
        }
        let metrics = metrics(&out);
        assert_eq!(metrics["intervals"]["model"]["method"], "distribution");
        assert!(metrics["intervals"]["model"]["levels"]["80"]["coverage"].is_f64());

        let forecast = trainer(&[
            "predict",
            "--run",
            out.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ]);
        assert_success(&forecast);
        let printed = String::from_utf8_lossy(&forecast.stdout);
        assert!(printed.contains("80 % interval"), "{output}: {printed}");
        let csv = read(&out.join("forecast.csv"));
        let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
        let (lower, upper): (f64, f64) = (row[4].parse().unwrap(), row[5].parse().unwrap());
        assert!(lower <= upper, "{output}: {csv}");
    }
}
