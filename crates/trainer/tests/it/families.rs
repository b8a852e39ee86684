//! `[model] family = "seasonal_rnn"` and `"seasonal_mlp"`, and a list of families forecasting
//! as one ensemble.

use std::path::Path;

use crate::common::{assert_clean_error, assert_success, config_text, read, trainer, write_series};

/// Trains `family` on the tiny series with `data_extra` and `seed` into `dir/name`; returns
/// the run directory.
fn run(dir: &Path, name: &str, family: &str, data_extra: &str, seed: u64) -> std::path::PathBuf {
    let data = dir.join("series.csv");
    if !data.exists() {
        write_series(dir, 80);
    }
    let text = config_text(&data, &format!("season = 3\n{data_extra}"), "")
        .replace("[model]", &format!("[model]\nfamily = {family}"))
        .replace("seed = 7", &format!("seed = {seed}"));
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(&config, text).unwrap();
    let out = dir.join(name);
    crate::common::train(&config, &out);
    out
}

fn metrics(run: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&run.join("metrics.json"))).unwrap()
}

fn test_rmse(run: &Path) -> f64 {
    metrics(run)["test"]["model"]["rmse"].as_f64().unwrap()
}

const LEVEL: &str = "transform = \"level\"";
/// The tiny config's seed.
const SEED: u64 = 7;

#[test]
fn seasonal_rnn_on_levels_learns_what_rnn_learns_on_seasonal_differences() {
    let dir = tempfile::tempdir().unwrap();
    let seasonal = run(dir.path(), "seasonal", "\"seasonal_rnn\"", LEVEL, SEED);
    let differences = run(
        dir.path(),
        "differences",
        "\"rnn\"",
        "transform = \"seasonal_difference\"",
        SEED,
    );
    // the same network from the same seed, fed the same inputs, trained on the same residuals
    let (a, b) = (test_rmse(&seasonal), test_rmse(&differences));
    assert!((a - b).abs() <= 1e-4 * b, "{a} against {b}");
    // and not what a network of levels learns
    let levels = test_rmse(&run(dir.path(), "levels", "\"rnn\"", LEVEL, SEED));
    assert!((levels - b).abs() > 1e-3 * b, "{levels} against {b}");
}

#[test]
fn an_ensemble_of_families_forecasts_the_mean_of_theirs_and_loads_again() {
    let dir = tempfile::tempdir().unwrap();
    let both = run(
        dir.path(),
        "both",
        "[\"es_rnn\", \"seasonal_rnn\"]",
        LEVEL,
        SEED,
    );
    for member in ["01", "02"] {
        assert!(both.join("members").join(member).join("loss.csv").is_file());
    }
    let saved: toml::Table = toml::from_str(&read(&both.join("config.toml"))).unwrap();
    assert_eq!(
        saved["model"]["family"],
        toml::Value::Array(vec!["es_rnn".into(), "seasonal_rnn".into()])
    );
    // the members are the single runs of each family: the first with the run's seed, the
    // second with the next member's
    let hybrid = test_rmse(&run(dir.path(), "hybrid", "\"es_rnn\"", LEVEL, SEED));
    let seasonal = test_rmse(&run(
        dir.path(),
        "seasonal",
        "\"seasonal_rnn\"",
        LEVEL,
        SEED + 1_000_003,
    ));
    let spread = &metrics(&both)["ensemble"];
    assert_eq!(spread["members"].as_u64(), Some(2), "{spread}");
    let member_rmse = |index: usize| spread["member_rmse"][index].as_f64().unwrap();
    assert!((member_rmse(0) - hybrid).abs() <= 1e-9 * hybrid, "{spread}");
    assert!(
        (member_rmse(1) - seasonal).abs() <= 1e-9 * seasonal,
        "{spread}"
    );
    assert_eq!(spread["ensemble_rmse"].as_f64(), Some(test_rmse(&both)));
    // the saved run loads as the same two families and forecasts
    let out = dir.path().join("forecast.csv");
    let output = crate::common::predict_to(&both, &dir.path().join("series.csv"), &out);
    assert_success(&output);
    let text = read(&out);
    // step,date,forecast,naive
    let forecast = text.lines().nth(1).unwrap().split(',').nth(2).unwrap();
    let value: f64 = forecast.parse().unwrap();
    assert!((900.0..1200.0).contains(&value), "{text}");
}

#[test]
fn families_that_read_levels_refuse_other_targets_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    for family in [
        "\"seasonal_rnn\"",
        "[\"rnn\", \"seasonal_rnn\"]",
        "\"seasonal_mlp\"",
    ] {
        let text = config_text(&data, "season = 3\ntransform = \"difference\"", "")
            .replace("[model]", &format!("[model]\nfamily = {family}"));
        let config = dir.path().join("bad.toml");
        std::fs::write(&config, text).unwrap();
        let output = trainer(&["--config", config.to_str().unwrap()]);
        let name = if family.contains("mlp") {
            "seasonal_mlp"
        } else {
            "seasonal_rnn"
        };
        assert_clean_error(&output, &["[data] transform", name, "\"level\""]);
    }
    let text = config_text(&data, LEVEL, "").replace(
        "[model]",
        "[model]\nfamily = \"seasonal_mlp\"\nstrategy = \"seq2seq\"",
    );
    std::fs::write(dir.path().join("decoder.toml"), text).unwrap();
    let output = trainer(&[
        "--config",
        dir.path().join("decoder.toml").to_str().unwrap(),
    ]);
    assert_clean_error(&output, &["seq2seq", "seasonal_mlp", "direct"]);
    let text =
        config_text(&data, "", "").replace("[model]", "[model]\nfamily = [\"rnn\", \"rnn\"]");
    std::fs::write(dir.path().join("twice.toml"), text).unwrap();
    let output = trainer(&["--config", dir.path().join("twice.toml").to_str().unwrap()]);
    assert_clean_error(&output, &["family", "listed twice"]);
}

#[test]
fn seasonal_mlp_trains_forecasts_and_loads_again() {
    let dir = tempfile::tempdir().unwrap();
    let mlp = run(dir.path(), "mlp", "\"seasonal_mlp\"", LEVEL, SEED);
    let saved: toml::Table = toml::from_str(&read(&mlp.join("config.toml"))).unwrap();
    assert_eq!(saved["model"]["family"].as_str(), Some("seasonal_mlp"));
    // a perceptron, not the recurrent network of the same keys
    let seasonal = test_rmse(&run(
        dir.path(),
        "seasonal",
        "\"seasonal_rnn\"",
        LEVEL,
        SEED,
    ));
    let rmse = test_rmse(&mlp);
    assert!(rmse.is_finite() && (rmse - seasonal).abs() > 1e-3 * seasonal);
    // the saved run loads as a perceptron and forecasts within the series' range
    let out = dir.path().join("forecast.csv");
    let output = crate::common::predict_to(&mlp, &dir.path().join("series.csv"), &out);
    assert_success(&output);
    let value: f64 = (read(&out)
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap())
    .parse()
    .unwrap();
    assert!((900.0..1200.0).contains(&value), "{value}");
}
