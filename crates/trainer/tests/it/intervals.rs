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

/// `rows` days of a series that hugs zero and is never negative (rainfall, intermittent sales):
/// `max(0, 0.5·ε − 0.2)`, zero on two days of three, with ε standard normal noise, seeded.
fn hugging_zero_csv(rows: usize) -> String {
    let mut state: u64 = 7;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut text = String::from("Date,rain\n");
    let start = yoho_data::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    for day in 0..rows {
        let noise = (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos();
        let date = start + chrono::Days::new(day as u64);
        text += &format!("{date},{:.4}\n", (0.5 * noise - 0.2).max(0.0));
    }
    text
}

#[test]
fn a_gaussian_heads_closed_form_crps_is_censored_where_forecasts_are_bounded_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("rain.csv");
    std::fs::write(&data, hugging_zero_csv(1500)).unwrap();
    // the same training with the forecasts bounded at zero and without: only the scoring differs
    let run = |bounds: &str| {
        let config = dir.path().join(format!("{bounds}.toml"));
        let text = format!(
            r#"
[data]
path = "{}"
features = ["rain"]
target = "rain"
transform = "level"
window_norm = "none"
window_len = 10
test_len = 500
valid_len = 300
bounds = "{bounds}"

[model]
hidden_size = 8
output = "gaussian"

[train]
epochs = 60
lr = 0.01
patience = 20
"#,
            data.display()
        );
        std::fs::write(&config, text).unwrap();
        let out = dir.path().join(bounds);
        train(&config, &out);
        let intervals = metrics(&out)["intervals"].clone();
        let number = |key: &serde_json::Value| key.as_f64().unwrap();
        (
            number(&intervals["model_crps_gaussian"]),
            number(&intervals["model"]["crps"]),
        )
    };
    let (bounded, bounded_grid) = run("auto");
    let (free, free_grid) = run("none");
    // the quantile grid's CRPS, of the forecast floored at zero, reads a few percent high (its
    // tails left out); the closed form scores the same distribution, the Gaussian with its
    // mass below zero moved onto zero, which is nearer every actual value than that mass was
    assert!(bounded_grid < free_grid, "{bounded_grid} vs {free_grid}");
    assert!(bounded < bounded_grid, "{bounded} vs {bounded_grid}");
    assert!(bounded > 0.9 * bounded_grid, "{bounded} vs {bounded_grid}");
    assert!(
        bounded < 0.97 * free,
        "censoring gains little: {bounded} vs {free}"
    );
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
        // one step ahead: the table's rows are every step already
        assert!(metrics["intervals"].get("model_every_step").is_none());

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

#[test]
fn a_distribution_heads_intervals_are_scored_over_every_step_ahead_too() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let text = config_text(&data, "horizon = 3", "")
        .replace("head = [4]", "head = [4]\noutput = \"gaussian\"");
    let config = dir.path().join("head.toml");
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("run");
    train(&config, &out);

    // by_step.csv: window, first_target_date, steps_ahead, actual, model, naive, lower_80, …
    let csv = read(&out.join("by_step.csv"));
    let rows: Vec<Vec<f64>> = (csv.lines().skip(1))
        .map(|l| l.split(',').skip(3).map(|c| c.parse().unwrap()).collect())
        .collect();
    assert!(rows.len() > 3 && rows.len().is_multiple_of(3), "{csv}");
    let every_step = &metrics(&out)["intervals"]["model_every_step"];
    for (level, lower) in [("80", 3), ("95", 5)] {
        let inside = (rows.iter())
            .filter(|r| r[lower] <= r[0] && r[0] <= r[lower + 1])
            .count();
        let coverage = every_step["levels"][level]["coverage"].as_f64().unwrap();
        assert_eq!(coverage, inside as f64 / rows.len() as f64, "{level}");
    }
    assert!(every_step["crps"].as_f64().unwrap() > 0.0);
}
