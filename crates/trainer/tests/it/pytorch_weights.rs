//! `[model] init_from`: a run that starts from, or only evaluates, PyTorch weights. The weights
//! and PyTorch's outputs come from yoho-model's fixtures (`make_fixtures.py` beside them).

use crate::common;

use std::path::{Path, PathBuf};

use common::{assert_clean_error, assert_success, read, trainer, write_series};

/// The article's network at a small size (input 1, LSTM hidden 8, head 6), saved by PyTorch.
fn article_weights() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/tests/fixtures/pytorch/article_small.pt")
}

/// PyTorch's windows (5 days of one feature) and its forecast for each.
fn pytorch_forecasts() -> Vec<(Vec<f64>, f64)> {
    let path = article_weights().with_extension("json");
    let json: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
    let inputs: Vec<Vec<Vec<f64>>> = serde_json::from_value(json["inputs"].clone()).unwrap();
    let outputs: Vec<Vec<f64>> = serde_json::from_value(json["outputs"].clone()).unwrap();
    inputs
        .into_iter()
        .map(|window| window.into_iter().map(|day| day[0]).collect())
        .zip(outputs.into_iter().map(|row| row[0]))
        .collect()
}

/// A univariate, unscaled config of the weights' shape, with `extra` in `[model]` and `train`
/// as the `[train]` section's body.
fn config(dir: &Path, model_extra: &str, train: &str) -> PathBuf {
    let data = write_series(dir, 80);
    let text = format!(
        r#"
[data]
path = "{}"
features = ["Open"]
target = "Open"
scaling = "none"
# PyTorch's network reads and predicts the raw levels
transform = "level"
window_norm = "none"
# its raw outputs, even below zero for this never-negative series
bounds = "none"
window_len = 5
test_len = 10
valid_len = 5

[model]
hidden_size = 8
head = [6]
{model_extra}

[train]
{train}
"#,
        data.display()
    );
    let path = dir.join("imported.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn init_from() -> String {
    format!("init_from = {:?}", article_weights().display().to_string())
}

/// `trainer predict`'s forecast, from the saved run `run`, of the day after `window`.
fn forecast_after(dir: &Path, run: &Path, window: &[f64]) -> f64 {
    let mut csv = String::from("Date,Open\n");
    for (day, value) in window.iter().enumerate() {
        csv += &format!("2024-01-0{},{value}\n", day + 1);
    }
    let data = dir.join("window.csv");
    std::fs::write(&data, csv).unwrap();
    let out = dir.join("forecast.csv");
    let predicted = common::predict_to(run, &data, &out);
    assert_success(&predicted);
    let forecast = read(&out);
    let line = forecast.lines().nth(1).unwrap();
    line.split(',').nth(2).unwrap().parse().unwrap()
}

/// Runs `config` into `dir/run`, then asserts that it forecasts the day after each of
/// PyTorch's windows as PyTorch does; returns the run's standard output.
fn assert_forecasts_match_pytorch(dir: &Path, config: &Path) -> String {
    let run = dir.join("run");
    let output = common::train(config, &run);
    for (index, (window, torch)) in pytorch_forecasts().into_iter().enumerate() {
        let ours = forecast_after(dir, &run, &window);
        let relative = ((ours - torch) / torch).abs();
        assert!(
            relative < 1e-5,
            "window {index}: Yoho {ours}, PyTorch {torch}"
        );
    }
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn zero_epochs_evaluates_the_pytorch_network_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &init_from(), "epochs = 0");
    let stdout = assert_forecasts_match_pytorch(dir.path(), &config);
    assert!(stdout.contains("without training"), "{stdout}");
    let run = dir.path().join("run");
    assert!(run.join("metrics.json").exists() && run.join("predictions.csv").exists());
    assert!(
        !run.join("loss.png").exists(),
        "no loss curve without training"
    );
}

#[test]
fn training_starts_from_the_pytorch_weights() {
    // a learning rate too small to move the weights: the trained model is PyTorch's
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &init_from(), "epochs = 2\nlr = 1e-10");
    assert_forecasts_match_pytorch(dir.path(), &config);
    // while the same run from Yoho's own initial weights forecasts something else
    let dir = tempfile::tempdir().unwrap();
    let config = self::config(dir.path(), "", "epochs = 2\nlr = 1e-10");
    let run = dir.path().join("run");
    common::train(&config, &run);
    let (window, torch) = &pytorch_forecasts()[0];
    let ours = forecast_after(dir.path(), &run, window);
    assert!(
        ((ours - torch) / torch).abs() > 1e-3,
        "Yoho {ours}, PyTorch {torch}"
    );
}

#[test]
fn weights_of_another_network_are_refused_before_the_run_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let wider = config(dir.path(), &init_from(), "epochs = 0").with_file_name("imported.toml");
    let text = read(&wider).replace("hidden_size = 8", "hidden_size = 9");
    std::fs::write(&wider, text).unwrap();
    let output = trainer(&[
        "--config",
        wider.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    assert_clean_error(
        &output,
        &[
            "[model] init_from",
            "article_small.pt",
            "hidden size 8",
            "hidden size 9",
        ],
    );
    assert!(!run.exists(), "nothing written");

    let missing = config(
        dir.path(),
        "init_from = \"nowhere/weights.pt\"",
        "epochs = 0",
    );
    let output = trainer(&[
        "--config",
        missing.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    assert_clean_error(
        &output,
        &["[model] init_from", "nowhere/weights.pt", "no such file"],
    );
    assert!(!run.exists(), "nothing written");

    let untrained = config(dir.path(), "", "epochs = 0");
    let output = trainer(&["--config", untrained.to_str().unwrap()]);
    assert_clean_error(&output, &["[train] epochs", "init_from"]);
}
