//! The ES-RNN hybrid (`[model] family = "es_rnn"`): with the default recipe, over a panel, its
//! coefficients one pair per series, saved with the run and loaded again by `predict`, which
//! forecasts each series with its own.

use std::path::Path;

use crate::common::{assert_clean_error, assert_success, read, trainer};

#[test]
fn a_panel_learns_coefficients_for_each_series_and_predict_loads_them() {
    panel_run("\n[model]\nfamily = \"es_rnn\"\nhidden_size = 8\n");
}

#[test]
fn the_recipe_gives_a_panel_the_hybrid() {
    panel_run("");
}

/// A panel config of only its data and `model_section`, which gets (or asks for) the hybrid:
/// trained, saved with one pair of coefficients per series, and forecast again by `predict`.
fn panel_run(model_section: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shops.csv");
    std::fs::write(&data, crate::common::two_shops_csv(96)).unwrap();
    let config = dir.path().join("shops.toml");
    let text = format!(
        "[data]\npath = {:?}\ndate_column = \"month\"\nseries_column = \"shop\"\n\
         target = \"sales\"\nhorizon = 6\n{model_section}",
        data.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let run = dir.path().join("run");
    let output = trainer(&[
        "--config",
        config.to_str().unwrap(),
        "--epochs",
        "3",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert_success(&output);
    // the recipe gave the hybrid level targets, and the run one pair of coefficients per series
    let saved: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    assert_eq!(saved["data"]["transform"].as_str(), Some("level"));
    assert_eq!(saved["data"]["season"].as_integer(), Some(12));
    let family = &saved["model"]["family"];
    let hybrid = toml::Value::from("es_rnn");
    assert!(
        *family == hybrid || family.as_array().is_some_and(|list| list.contains(&hybrid)),
        "{family}"
    );
    assert_eq!(saved["model"]["series"].as_integer(), Some(2));
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    for series in metrics["series"].as_array().unwrap() {
        let mase = series["test"]["model"]["mase"].as_f64();
        let rmse = series["test"]["model"]["rmse"].as_f64().unwrap();
        assert!(rmse.is_finite(), "{series}: rmse {rmse}, mase {mase:?}");
    }

    let forecast = dir.path().join("next.csv");
    let output = trainer(&[
        "predict",
        "--run",
        run.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        forecast.to_str().unwrap(),
    ]);
    assert_success(&output);
    let text = read(&forecast);
    // each series forecast near its own level: the large one's smoothing is its own
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let value: f64 = fields[3].parse().unwrap();
        let range = match fields[0] {
            "small" => 50.0..300.0,
            _ => 5_000.0..20_000.0,
        };
        assert!(range.contains(&value), "{text}");
    }
    forecasts_at_the_test_origin_are_the_runs(dir.path(), &data, &run);
}

/// `predict` on the panel's rows before its test period (the last 6 months, from 1997-07)
/// forecasts every step of every series as the run forecast its test period: each series
/// with its own coefficients, not the first series'.
fn forecasts_at_the_test_origin_are_the_runs(dir: &Path, data: &Path, run: &Path) {
    let text = read(data);
    let cut: Vec<&str> = (text.lines())
        .filter(|line| line.starts_with("month") || line < &"1997-07-01")
        .collect();
    let before_test = dir.join("before_test.csv");
    std::fs::write(&before_test, cut.join("\n") + "\n").unwrap();
    let forecast = dir.join("at_origin.csv");
    let output = trainer(&[
        "predict",
        "--run",
        run.to_str().unwrap(),
        "--data",
        before_test.to_str().unwrap(),
        "--out",
        forecast.to_str().unwrap(),
    ]);
    assert_success(&output);
    let forecast = read(&forecast);
    for name in ["small", "large"] {
        let ours: Vec<f64> = (forecast.lines())
            .filter(|line| line.starts_with(&format!("{name},")))
            .map(|line| line.split(',').nth(3).unwrap().parse().unwrap())
            .collect();
        // by_step.csv: window, first_target_date, steps_ahead, actual, model, …
        let by_step = read(&run.join("series").join(name).join("by_step.csv"));
        let theirs: Vec<f64> = (by_step.lines().skip(1))
            .map(|line| line.split(',').nth(4).unwrap().parse().unwrap())
            .collect();
        assert_eq!((ours.len(), theirs.len()), (6, 6), "{forecast}\n{by_step}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert!(
                (a - b).abs() <= 1e-9 * b.abs(),
                "{name}: {ours:?} vs {theirs:?}"
            );
        }
    }
}

#[test]
fn the_hybrid_refuses_targets_that_are_not_levels() {
    let dir = tempfile::tempdir().unwrap();
    let data = crate::common::write_series(dir.path(), 80);
    let text = crate::common::config_text(&data, "transform = \"difference\"", "")
        .replace("[model]", "[model]\nfamily = \"es_rnn\"");
    let config = dir.path().join("hybrid.toml");
    std::fs::write(&config, text).unwrap();
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["[data] transform", "es_rnn", "\"level\""]);
}
