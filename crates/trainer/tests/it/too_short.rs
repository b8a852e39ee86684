//! `trainer forecast` of series too short for the default recipe's networks: forecast by the
//! recipe's statistical voices alone, with intervals from their own rolling-origin errors, in
//! a run directory `trainer predict` forecasts new data from; and a panel's too-short series
//! forecast the same way beside the networks' series. A run (`trainer --config`) evaluates
//! the same voices on such a series' test period, alone or beside a panel's networks, and a
//! backtest at every origin of its folds.

use std::path::{Path, PathBuf};

use yoho_eval::{Arima, Blend, BlendRule, Ets, HoltWinters, LogArima, Statistical};

use crate::common::{assert_clean_error, assert_success, forecast, predict_to, read, train_into};

/// A monthly sales series from 2018: a yearly cycle on a trend, every value positive.
fn monthly(rows: usize, level: f64) -> Vec<(String, f64)> {
    (0..rows)
        .map(|i| {
            let season = (i as f64 * std::f64::consts::PI / 6.0).sin();
            let wiggle = (i as f64 * 1.7).sin();
            let value = level + i as f64 * 0.5 + 0.2 * level * season + wiggle;
            (format!("{}-{:02}-01", 2018 + i / 12, 1 + i % 12), value)
        })
        .collect()
}

/// The recipe's voices for a monthly series, worked out here: the median of exponential
/// smoothing's voice (the mean of its fits with a fixed and an evolving season) and ARIMA's
/// (the mean of its fits on the values and on the logarithm), each with the yearly season.
fn monthly_voices() -> Blend {
    let season = Some(12);
    let voices = [
        vec![
            Statistical::from(Ets { season }),
            HoltWinters { season }.into(),
        ],
        vec![Arima { season }.into(), LogArima { season }.into()],
    ];
    Blend::of_voices(voices, 0).with_rule(BlendRule::Median)
}

/// Writes `values` (dated, as [`monthly`] makes them) as a `Date,sales` file at `path`.
fn write_monthly(path: &Path, values: &[(String, f64)]) {
    let rows: String = (values.iter())
        .map(|(date, value)| format!("{date},{value}\n"))
        .collect();
    std::fs::write(path, format!("Date,sales\n{rows}")).unwrap();
}

/// Asserts that `run` is a run of the statistical voices alone: its config as written,
/// `statistical.json` and `files`, and no network's weights.
fn assert_statistical_run(run: &Path, files: &[&str]) {
    for file in ["config.toml", "statistical.json"].iter().chain(files) {
        assert!(run.join(file).is_file(), "{}: no {file}", run.display());
    }
    assert!(!run.join("model.bpk").exists(), "{}", run.display());
}

/// A config of `data`'s path, its target and a horizon: the recipe chooses the rest.
fn config(dir: &Path, data: &Path, extra: &str) -> PathBuf {
    let path = dir.join("short.toml");
    let text = format!(
        "[data]\npath = {:?}\ntarget = \"sales\"\nhorizon = 12\n{extra}",
        data.display().to_string()
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A long file of monthly `(shop, rows, level)` series, at `path`.
fn write_panel(path: &Path, shops: &[(&str, usize, f64)]) {
    let mut text = String::from("Date,shop,sales\n");
    for (shop, rows, level) in shops {
        for (date, value) in monthly(*rows, *level) {
            text += &format!("{date},{shop},{value}\n");
        }
    }
    std::fs::write(path, text).unwrap();
}

/// The rows of a forecast CSV `text` (of `series`, for a panel's), as numbers from the
/// forecast column on, empty cells NaN.
fn rows_of(text: &str, series: Option<&str>) -> Vec<Vec<f64>> {
    let skip = if series.is_some() { 3 } else { 2 };
    (text.lines().skip(1))
        .filter(|line| series.is_none_or(|name| line.starts_with(&format!("{name},"))))
        .map(|line| {
            (line.split(',').skip(skip))
                .map(|cell| cell.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

#[test]
fn a_series_too_short_for_the_networks_is_forecast_by_ets_and_arima_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("short.csv");
    let values = monthly(30, 100.0);
    write_monthly(&data, &values);
    let config = config(dir.path(), &data, "");
    let run = dir.path().join("run");
    let output = forecast(&config, &run, &[]);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("30 rows") && stderr.contains("exponential smoothing and ARIMA alone"),
        "{stderr}"
    );
    assert_statistical_run(&run, &["forecast.png", "intervals.json"]);
    // the recipe's voices on the whole history: the median of ETS and ARIMA's voice (the mean
    // of its fits on the values and on the logarithm), with the yearly season
    let history: Vec<f64> = values.iter().map(|(_, v)| *v).collect();
    let blend = monthly_voices();
    let expected = blend.forecast_alone(&history, 12);
    let written = read(&run.join("forecast.csv"));
    let rows = rows_of(&written, None);
    assert_eq!(rows.len(), 12, "{written}");
    assert!(written.lines().nth(1).unwrap().starts_with("1,2020-07-01,"));
    for (row, expected) in rows.iter().zip(&expected) {
        assert!(
            (row[0] - expected).abs() <= 1e-9 * expected.abs(),
            "{row:?}"
        );
    }
    // 15 rolling origins over the newer half: an 80 % interval at the first step, too few
    // errors for 95 %
    let [forecast, _naive, lower_80, upper_80, lower_95, upper_95] = rows[0][..] else {
        panic!("{:?}", rows[0]);
    };
    assert!(lower_80 < forecast && forecast < upper_80, "{:?}", rows[0]);
    assert!(lower_95.is_nan() && upper_95.is_nan(), "{:?}", rows[0]);
    // `predict` forecasts new data the same way: the same file gives the same forecasts
    let again = dir.path().join("again.csv");
    assert_success(&predict_to(&run, &data, &again));
    assert_eq!(read(&again), written);
}

#[test]
fn a_series_never_negative_is_forecast_and_bounded_at_zero() {
    // a product being phased out: monthly sales falling to a few units
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fading.csv");
    let values: Vec<(String, f64)> = (monthly(30, 100.0).into_iter().enumerate())
        .map(|(i, (date, _))| (date, (60.0 - 2.2 * i as f64).max(1.0) + (i % 3) as f64))
        .collect();
    write_monthly(&data, &values);
    let run = dir.path().join("run");
    assert_success(&forecast(&config(dir.path(), &data, ""), &run, &[]));
    let written = read(&run.join("forecast.csv"));
    let cells: Vec<f64> = rows_of(&written, None).concat();
    let known = cells.iter().filter(|v| !v.is_nan());
    assert!(known.clone().all(|v| *v >= 0.0), "{written}");
    assert!(known.clone().any(|v| *v == 0.0), "{written}");
    // `predict` bounds its forecasts the same way
    let again = dir.path().join("again.csv");
    assert_success(&predict_to(&run, &data, &again));
    assert_eq!(read(&again), written);
}

#[test]
fn only_the_recipes_model_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("short.csv");
    write_monthly(&data, &monthly(24, 50.0));
    // a run of the recipe needs a horizon and one value more before its test period
    let plain = config(dir.path(), &data, "");
    let out = dir.path().join("plain_run");
    let output = train_into(&plain, &out, &[]);
    assert_clean_error(&output, &["24 rows", "25 in all", "`trainer forecast`"]);
    assert!(!out.exists());
    // a search has nothing to tune, and says so
    let (plain_path, tuned) = (plain.to_str().unwrap(), dir.path().join("tuned"));
    let args = ["tune", "--config", plain_path, "--trials", "2", "--out"];
    let output = crate::common::trainer(&[&args[..], &[tuned.to_str().unwrap()]].concat());
    assert_clean_error(
        &output,
        &["24 rows", "no networks to tune", "`trainer forecast`"],
    );
    assert!(!tuned.exists());
    // a config that names its own model keeps it, and is told what to set
    let named = config(dir.path(), &data, "[model]\nhidden_size = 8\n");
    let output = forecast(&named, &dir.path().join("named"), &[]);
    assert_clean_error(&output, &["24 rows", "window_len"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("`trainer forecast`"), "{stderr}");
    assert!(!dir.path().join("named").join("forecast.csv").exists());
    let output = train_into(&named, &dir.path().join("named_run"), &[]);
    assert_clean_error(&output, &["24 rows", "window_len"]);
}

/// `trainer --config CONFIG --out RUN` on `values` (monthly from 2018) in `dir/<name>.csv`;
/// the run's `predictions.csv`.
fn run_on(dir: &Path, name: &str, values: &[(String, f64)]) -> String {
    let data = dir.join(format!("{name}.csv"));
    write_monthly(&data, values);
    let config = config(dir, &data, "");
    let run = dir.join(name);
    let output = crate::common::train(&config, &run);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("evaluated with the recipe's exponential smoothing"),
        "{stderr}"
    );
    assert_statistical_run(&run, &["metrics.json", "report.md", "test_period.png"]);
    read(&run.join("predictions.csv"))
}

/// The columns of `predictions.csv` a run's forecasts fill: the model's forecasts and its
/// intervals' ends (not the actual values).
fn forecast_columns(predictions: &str) -> Vec<Vec<String>> {
    let header: Vec<&str> = predictions.lines().next().unwrap().split(',').collect();
    let keep: Vec<usize> = (header.iter().enumerate())
        .filter(|(_, name)| {
            **name == "predicted" || name.starts_with("lower") || name.starts_with("upper")
        })
        .map(|(index, _)| index)
        .collect();
    (predictions.lines().skip(1))
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            keep.iter().map(|index| cells[*index].to_string()).collect()
        })
        .collect()
}

#[test]
fn a_run_evaluates_the_statistical_voices_and_the_test_period_reaches_nothing() {
    // 30 months at horizon 12: the test period is the last 12, too few before it for the
    // networks; the run scores the recipe's voices against the baselines
    let dir = tempfile::tempdir().unwrap();
    let clean = monthly(30, 100.0);
    let predictions = run_on(dir.path(), "clean", &clean);
    let history: Vec<f64> = clean.iter().map(|(_, v)| *v).collect();
    let blend = monthly_voices();
    let expected = blend.forecast_alone(&history[..18], 12);
    // predictions.csv holds the one origin's first step (by_step.csv every step's errors)
    let forecasts = forecast_columns(&predictions);
    assert_eq!(forecasts.len(), 1, "{predictions}");
    let first: f64 = forecasts[0][0].parse().unwrap();
    assert!(
        (first - expected[0]).abs() <= 1e-9 * expected[0].abs(),
        "{predictions}"
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("clean").join("metrics.json"))).unwrap();
    assert_eq!(metrics["training"]["epochs"], 0);
    assert_eq!(metrics["intervals"]["calibration"], "rolling_origins");
    assert!(metrics["test"]["model"]["mase"].is_number(), "{metrics}");
    // the test period poisoned: the forecasts and their intervals are the same
    let mut poisoned = clean.clone();
    for (_, value) in poisoned.iter_mut().skip(18) {
        *value *= 1e6;
    }
    let again = run_on(dir.path(), "poisoned", &poisoned);
    assert_eq!(forecast_columns(&again), forecasts);
    assert_ne!(again, predictions);
    // and so is the calibration of every step's interval
    let calibration = |name: &str| read(&dir.path().join(name).join("intervals.json"));
    assert_eq!(calibration("poisoned"), calibration("clean"));
    // `predict` forecasts from the run, as from `trainer forecast`'s
    let out = dir.path().join("next.csv");
    let data = dir.path().join("clean.csv");
    assert_success(&predict_to(&dir.path().join("clean"), &data, &out));
    assert_eq!(read(&out).lines().count(), 1 + 12);
}

#[test]
fn a_panels_too_short_series_is_forecast_beside_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shops.csv");
    write_panel(&data, &[("big", 96, 100.0), ("new", 18, 40.0)]);
    let config = config(dir.path(), &data, "series_column = \"shop\"\n");
    let run = dir.path().join("run");
    let output = forecast(&config, &run, &["--epochs", "2"]);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("series 'new' is left out of the panel's networks"),
        "{stderr}"
    );
    let written = read(&run.join("forecast.csv"));
    for shop in ["big", "new"] {
        let rows = rows_of(&written, Some(shop));
        assert_eq!(rows.len(), 12, "{shop}: {written}");
        assert!(
            rows.iter().all(|row| row[0].is_finite()),
            "{shop}: {written}"
        );
        let files = run.join("series").join(shop);
        assert!(files.join("forecast.png").is_file(), "{shop}");
    }
    // the short series starts after its own end, from the statistical voices alone
    let first_new = (written.lines())
        .find(|line| line.starts_with("new,"))
        .unwrap();
    assert!(first_new.starts_with("new,1,2019-07-01,"), "{first_new}");
    // `predict` forecasts it again the same way, beside the networks' series
    let again = dir.path().join("again.csv");
    assert_success(&predict_to(&run, &data, &again));
    assert_eq!(read(&again), written);
}

#[test]
fn a_panel_of_only_short_series_is_forecast_by_the_statistical_voices() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shops.csv");
    write_panel(&data, &[("a", 30, 100.0), ("b", 20, 40.0)]);
    let config = config(dir.path(), &data, "series_column = \"shop\"\n");
    let run = dir.path().join("run");
    let output = forecast(&config, &run, &[]);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the longest series has 30 rows"),
        "{stderr}"
    );
    assert!(!run.join("model.bpk").exists());
    let written = read(&run.join("forecast.csv"));
    for (shop, first) in [("a", "a,1,2020-07-01,"), ("b", "b,1,2019-09-01,")] {
        assert_eq!(rows_of(&written, Some(shop)).len(), 12, "{written}");
        assert!(written.contains(first), "{written}");
        assert!(run.join("series").join(shop).join("forecast.png").is_file());
    }
    let again = dir.path().join("again.csv");
    assert_success(&predict_to(&run, &data, &again));
    assert_eq!(read(&again), written);
}

/// The `predicted` column of the rows of `series` in a panel's `predictions.csv` (`text`).
fn predicted_of(text: &str, series: &str) -> Vec<f64> {
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|name| *name == "predicted").unwrap();
    (text.lines().skip(1))
        .filter(|line| line.starts_with(&format!("{series},")))
        .map(|line| line.split(',').nth(column).unwrap().parse().unwrap())
        .collect()
}

/// `trainer --config CONFIG --out RUN --epochs 2` on a panel of monthly `shops` in
/// `dir/<name>.csv` (each shop's values passed through `change`); the run's directory.
fn panel_run(
    dir: &Path,
    name: &str,
    shops: &[(&str, usize, f64)],
    change: impl Fn(&str, usize, f64) -> f64,
) -> (PathBuf, std::process::Output) {
    let data = dir.join(format!("{name}.csv"));
    let mut text = String::from("Date,shop,sales\n");
    for (shop, rows, level) in shops {
        for (index, (date, value)) in monthly(*rows, *level).into_iter().enumerate() {
            text += &format!("{date},{shop},{}\n", change(shop, index, value));
        }
    }
    std::fs::write(&data, text).unwrap();
    let config = config(dir, &data, "series_column = \"shop\"\n");
    let run = dir.join(name);
    let output = train_into(&config, &run, &["--epochs", "2"]);
    (run, output)
}

#[test]
fn a_panel_run_evaluates_its_too_short_series_by_the_statistical_voices() {
    // 'new' (30 months) is too short for the networks' windows but holds a test period of
    // a horizon and 18 months before it; 'tiny' (18 months) is too short even for that;
    // 'flat' (60 months of 5) is constant, which no network's scaler can scale
    let dir = tempfile::tempdir().unwrap();
    let shops = [
        ("big", 96, 100.0),
        ("new", 30, 40.0),
        ("tiny", 18, 70.0),
        ("flat", 60, 5.0),
    ];
    let flat = |shop: &str, value: f64| if shop == "flat" { 5.0 } else { value };
    let (run, output) = panel_run(dir.path(), "clean", &shops, |shop, _, v| flat(shop, v));
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("series 'new' is left out of the panel's networks")
            && stderr.contains("series 'tiny' is not evaluated"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("statistical voices alone ([model] statistical) on 'new'"),
        "{stdout}"
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    let series = metrics["series"].as_array().unwrap();
    let names: Vec<&str> = series.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["big", "new", "flat"]);
    assert_eq!(series[1]["without_networks"], true);
    assert!(series[0].get("without_networks").is_none());
    assert_eq!(metrics["all_series"]["series"], 3);
    // the constant series is forecast as its constant
    assert_eq!(series[2]["test"]["model"]["rmse"], 0.0);
    // its test forecast is the recipe's voices fitted on the 18 months before the origin
    let predictions = read(&run.join("predictions.csv"));
    let history: Vec<f64> = monthly(30, 40.0).iter().map(|(_, v)| *v).collect();
    let expected = monthly_voices().forecast_alone(&history[..18], 12)[0];
    let new = predicted_of(&predictions, "new");
    assert_eq!(new.len(), 1, "{predictions}");
    assert!(
        (new[0] - expected).abs() <= 1e-9 * expected.abs(),
        "{predictions}"
    );
    assert!(!run.join("series").join("tiny").exists());
    assert!(run.join("series").join("new").join("report.md").is_file());
    // the report counts the networks' series apart, says where MASE is undefined, and calls an
    // origin of one forecast untested rather than no different
    let report = read(&run.join("report.md"));
    assert!(report.contains("One model trained on 1 series (and 2 more without networks)"));
    assert!(
        report.contains("left out of the ratio and of the count"),
        "{report}"
    );
    assert!(report.contains("| untested |"), "{report}");
    // 'new''s test period poisoned: its forecast and its intervals are the same
    let poison = |shop: &str, index: usize, value: f64| match shop == "new" && index >= 18 {
        true => value * 1e6,
        false => flat(shop, value),
    };
    let (poisoned, output) = panel_run(dir.path(), "poisoned", &shops, poison);
    assert_success(&output);
    assert_eq!(
        predicted_of(&read(&poisoned.join("predictions.csv")), "new"),
        new
    );
    let calibration = |run: &Path| read(&run.join("series").join("new").join("intervals.json"));
    assert_eq!(calibration(&poisoned), calibration(&run));
    // `predict` forecasts every shop from the run, those left out by the voices alone
    let next = dir.path().join("next.csv");
    assert_success(&predict_to(&run, &dir.path().join("clean.csv"), &next));
    for shop in ["big", "new", "tiny", "flat"] {
        assert_eq!(rows_of(&read(&next), Some(shop)).len(), 12, "{shop}");
    }
}

#[test]
fn a_panel_run_of_only_short_series_evaluates_each_by_the_statistical_voices() {
    let dir = tempfile::tempdir().unwrap();
    let shops = [("a", 30, 100.0), ("b", 20, 40.0)];
    let (run, output) = panel_run(dir.path(), "shops", &shops, |_, _, value| value);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("series 'b' is left out: the series has 20 rows"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Every series is too short"), "{stdout}");
    assert_statistical_run(&run, &["metrics.json", "report.md", "predictions.csv"]);
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    assert_eq!(metrics["series"][0]["name"], "a");
    assert_eq!(metrics["data"]["left_out"][0]["name"], "b");
    assert_eq!(metrics["training"]["epochs"], 0);
    let history: Vec<f64> = monthly(30, 100.0).iter().map(|(_, v)| *v).collect();
    let expected = monthly_voices().forecast_alone(&history[..18], 12)[0];
    let predicted = predicted_of(&read(&run.join("predictions.csv")), "a");
    assert!((predicted[0] - expected).abs() <= 1e-9 * expected.abs());
    assert!(
        run.join("series")
            .join("a")
            .join("test_period.png")
            .is_file()
    );
    let next = dir.path().join("next.csv");
    assert_success(&predict_to(&run, &dir.path().join("shops.csv"), &next));
    assert_eq!(rows_of(&read(&next), Some("a")).len(), 12);
    // none long enough even for the voices' test period: an error, and no run
    let (none, output) = panel_run(dir.path(), "none", &[("c", 20, 10.0)], |_, _, v| v);
    assert_clean_error(
        &output,
        &["no series can be evaluated", "series 'c'", "20 rows"],
    );
    assert!(!none.exists());
}

#[test]
fn a_backtest_of_a_too_short_series_fits_the_statistical_voices_at_every_origin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("short.csv");
    let values = monthly(30, 100.0);
    write_monthly(&data, &values);
    let config = config(dir.path(), &data, "");
    let backtest = |out: &Path, folds: &str| {
        let (config, out) = (config.to_str().unwrap(), out.to_str().unwrap());
        let args = [
            "backtest", "--config", config, "--out", out, "--folds", folds,
        ];
        crate::common::trainer(&[&args[..], &["--step", "2"]].concat())
    };
    let run = dir.path().join("backtest");
    let output = backtest(&run, "3");
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("backtested with the recipe's"), "{stderr}");
    assert_statistical_run(&run, &["backtest.csv", "report.md", "backtest.png"]);
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    assert_eq!(metrics["networks"], false);
    assert_eq!(metrics["per_fold"].as_array().unwrap().len(), 3);
    // the report's RMSE by fold is over every step, as each fold's measures in metrics.json
    let rmse = metrics["per_fold"][0]["test"]["model"]["rmse"]
        .as_f64()
        .unwrap();
    let report = read(&run.join("report.md"));
    let row = format!("| 1 | 2019-02-01 | {rmse:.3} |");
    assert!(report.contains(&row), "{row}\n{report}");
    // the oldest fold's first forecast: the voices fitted on the values before its origin
    // (3 folds × 2 windows of 12 steps end at the last row: 17 target rows)
    let history: Vec<f64> = values.iter().map(|(_, v)| *v).collect();
    let expected = monthly_voices().forecast_alone(&history[..13], 12)[0];
    let csv = read(&run.join("backtest.csv"));
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let model = header.iter().position(|name| *name == "model").unwrap();
    let first = csv.lines().nth(1).unwrap();
    assert!(first.starts_with("1,2019-02-01,2019-02-01,"), "{first}");
    let forecast: f64 = first.split(',').nth(model).unwrap().parse().unwrap();
    assert!(
        (forecast - expected).abs() <= 1e-9 * expected.abs(),
        "{csv}"
    );
    // folds the series cannot hold: the error, with a plan that fits, and no directory
    let none = dir.path().join("none");
    let output = backtest(&none, "10");
    assert_clean_error(
        &output,
        &["10 folds", "the series has 18", "--folds 6 --step 1 fits"],
    );
    assert!(!none.exists());
    // without --folds and --step, the default plan shrinks to one the series holds, and says so
    let (config, fitted) = (config.to_str().unwrap(), dir.path().join("fitted"));
    let args = [
        "backtest",
        "--config",
        config,
        "--out",
        fitted.to_str().unwrap(),
    ];
    let output = crate::common::trainer(&args);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let note = "cannot hold the default 10 folds × 20 targets; backtesting 6 folds × 1 target";
    assert!(stderr.contains(note), "{stderr}");
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&fitted.join("metrics.json"))).unwrap();
    assert_eq!(metrics["per_fold"].as_array().map(Vec::len), Some(6));
    // the oldest folds' few origins calibrate the 80 % interval but not the CRPS's grid: it is
    // pooled over the folds that have it, and the report says which
    assert_eq!(metrics["intervals"]["fewer_parts"]["crps"], 2);
    assert!(metrics["intervals"]["model"]["crps"].is_number());
    let report = read(&fitted.join("report.md"));
    assert!(
        report.contains("the CRPS over folds 5 and 6 only"),
        "{report}"
    );
}

/// `trainer backtest --folds 2 --step 1 --epochs 2` of a panel of monthly `shops` in
/// `dir/<name>.csv` (a shop named 'flat' constant at 5), the values of 'new' from row
/// `poison_from` on multiplied by 10⁶; the backtest's directory.
fn panel_backtest(
    dir: &Path,
    name: &str,
    shops: &[(&str, usize, f64)],
    poison_from: usize,
) -> (PathBuf, std::process::Output) {
    let data = dir.join(format!("{name}.csv"));
    let mut text = String::from("Date,shop,sales\n");
    for (shop, rows, level) in shops {
        for (index, (date, value)) in monthly(*rows, *level).into_iter().enumerate() {
            let value = match *shop {
                "new" if index >= poison_from => value * 1e6,
                "flat" => 5.0,
                _ => value,
            };
            text += &format!("{date},{shop},{value}\n");
        }
    }
    std::fs::write(&data, text).unwrap();
    let config = config(dir, &data, "series_column = \"shop\"\n");
    let out = dir.join(name);
    let (config, out_arg) = (config.to_str().unwrap(), out.to_str().unwrap());
    let args = [
        "backtest", "--config", config, "--out", out_arg, "--folds", "2",
    ];
    let output = crate::common::trainer(&[&args[..], &["--step", "1", "--epochs", "2"]].concat());
    (out, output)
}

/// The model's forecasts of `series` in fold 1 of the backtest in `run`, from its
/// `backtest.csv`.
fn fold_one_forecasts(run: &Path, series: &str) -> Vec<f64> {
    let csv = read(&run.join("backtest.csv"));
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let model = header.iter().position(|name| *name == "model").unwrap();
    (csv.lines().skip(1))
        .filter(|line| line.starts_with(&format!("1,{series},")))
        .map(|line| line.split(',').nth(model).unwrap().parse().unwrap())
        .collect()
}

/// Asserts that `forecasts` are the recipe's voices fitted on the first `origin` values of a
/// monthly series of `rows` at `level`, 12 steps ahead.
fn assert_voices_at(forecasts: &[f64], (rows, level): (usize, f64), origin: usize) {
    let history: Vec<f64> = monthly(rows, level).iter().map(|(_, v)| *v).collect();
    let expected = monthly_voices().forecast_alone(&history[..origin], 12);
    assert_eq!(forecasts.len(), 12);
    for (got, want) in forecasts.iter().zip(&expected) {
        assert!(
            (got - want).abs() <= 1e-9 * want.abs(),
            "{forecasts:?} {expected:?}"
        );
    }
}

#[test]
fn a_panels_backtest_backtests_its_too_short_series_by_the_statistical_voices() {
    // 'new' (30 months) is too short for the networks' folds; fold 1 of 2 (one window of 12
    // steps each) ends a row before its end, so its window's origin is row 30 - 1 - 12 = 17
    let dir = tempfile::tempdir().unwrap();
    let shops = [("big", 96, 100.0), ("new", 30, 40.0)];
    let (run, output) = panel_backtest(dir.path(), "clean", &shops, usize::MAX);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("series 'new' is left out of the networks' folds"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("voices alone ([model] statistical), fitted at every origin, on 'new'")
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    assert!(
        metrics["left_out"].as_array().unwrap().is_empty(),
        "{metrics}"
    );
    let fold = &metrics["per_fold"][0];
    assert_eq!(fold["series"][1]["name"], "new");
    assert_eq!(fold["series"][1]["without_networks"], true);
    assert_eq!(fold["all_series"]["series"], 2);
    let clean = fold_one_forecasts(&run, "new");
    assert_voices_at(&clean, (30, 40.0), 17);
    // every value of 'new' from that origin on poisoned: fold 1's forecast is the same
    let (poisoned, output) = panel_backtest(dir.path(), "poisoned", &shops, 17);
    assert_success(&output);
    assert_eq!(fold_one_forecasts(&poisoned, "new"), clean);
}

#[test]
fn a_backtest_of_a_panel_of_only_short_series_backtests_each_by_the_statistical_voices() {
    // 'new' (30 months) holds the folds of the voices' one-row windows, 'tiny' (12) does not;
    // 'flat' (30 months of 5) does, and is forecast as its constant
    let dir = tempfile::tempdir().unwrap();
    let shops = [("new", 30, 100.0), ("tiny", 12, 40.0), ("flat", 30, 0.0)];
    let (run, output) = panel_backtest(dir.path(), "shops", &shops, usize::MAX);
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("no networks (every series is too short"),
        "{stdout}"
    );
    assert_statistical_run(&run, &["backtest.csv", "report.md", "metrics.json"]);
    assert!(!run.join("folds").exists());
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    assert_eq!(metrics["networks"], false);
    assert_eq!(metrics["left_out"][0]["name"], "tiny");
    assert_eq!(metrics["per_fold"][0]["rows_after"], 1);
    let flat = &metrics["per_fold"][0]["series"][1];
    assert_eq!(flat["name"], "flat");
    assert_eq!(flat["test"]["model"]["rmse"], 0.0);
    assert_voices_at(&fold_one_forecasts(&run, "new"), (30, 100.0), 17);
    // none holds the folds: the error, and no directory
    let (none, output) = panel_backtest(dir.path(), "none", &[("tiny", 12, 40.0)], usize::MAX);
    assert_clean_error(&output, &["series 'tiny'"]);
    assert!(!none.exists());
}

#[test]
fn the_shipped_short_config_is_forecast_by_the_statistical_voices() {
    // configs/short.toml: the last 48 months of El Niño at horizon 18, shipped for this
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let config = root.join("configs/short.toml");
    let output = crate::common::trainer_command(&[
        "forecast",
        "--config",
        config.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ])
    .current_dir(&root)
    .output()
    .unwrap();
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("48 rows"), "{stderr}");
    assert!(run.join("statistical.json").is_file());
    let written = read(&run.join("forecast.csv"));
    let rows = rows_of(&written, None);
    assert_eq!(rows.len(), 18, "{written}");
    assert!(written.lines().nth(1).unwrap().starts_with("1,2011-01-01,"));
    // sea temperatures of the El Niño region: between 15 and 35 °C
    assert!(
        rows.iter().all(|row| (15.0..35.0).contains(&row[0])),
        "{written}"
    );
}
