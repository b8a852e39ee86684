//! End-to-end: `trainer backtest` on a tiny config.

use crate::common;

use std::path::{Path, PathBuf};

use common::{assert_clean_error, assert_success, read, trainer, write_config, write_series};
use trainer::artifacts::files;

fn backtest(config: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    backtest_said(config, out, extra).1
}

/// [`backtest`], with what the trainer wrote to stderr.
fn backtest_said(config: &Path, out: &Path, extra: &[&str]) -> (String, serde_json::Value) {
    let mut args = vec![
        "backtest",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = trainer(&args);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let metrics = serde_json::from_str(&read(&out.join(files::METRICS))).unwrap();
    (stderr, metrics)
}

/// A temporary folder with the tiny series of `rows` rows and the tiny config reading it.
fn tiny(rows: usize) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), rows);
    let config = write_config(dir.path(), &data, "");
    (dir, data, config)
}

/// `backtest.csv` as rows of cells, without the header.
fn rows(out: &Path) -> Vec<Vec<String>> {
    read(&out.join(files::BACKTEST))
        .lines()
        .skip(1)
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect()
}

/// The index of the column `name` in `out`'s `backtest.csv`.
fn column(out: &Path, name: &str) -> usize {
    let text = read(&out.join(files::BACKTEST));
    let header = text.lines().next().unwrap();
    header.split(',').position(|column| column == name).unwrap()
}

/// Rewrites the tiny `config` to hold out one validation window, blend exponential smoothing
/// and ARIMA as statistical voices, and ask for the interval `levels` (e.g. `"[0.8]"`).
fn with_voices(config: &Path, levels: &str) {
    let text = (read(config).replace("valid_len = 5", "valid_len = 1"))
        .replace("[model]\n", "[model]\nstatistical = [\"ets\", \"arima\"]\n");
    std::fs::write(
        config,
        format!("{text}\n[evaluate]\nintervals = {levels}\n"),
    )
    .unwrap();
}

#[test]
fn one_fold_of_the_test_length_is_the_plain_run() {
    let (dir, _, config) = tiny(80);
    let plain = dir.path().join("plain");
    common::train(&config, &plain);
    let plain: serde_json::Value =
        serde_json::from_str(&read(&plain.join(files::METRICS))).unwrap();
    // the tiny config holds out 10 test days
    let metrics = backtest(
        &config,
        &dir.path().join("backtest"),
        &["--folds", "1", "--step", "10"],
    );
    for forecaster in ["model", "naive", "last_close"] {
        assert_eq!(
            metrics["pooled"][forecaster], plain["test"][forecaster],
            "{forecaster}"
        );
    }
}

#[test]
fn folds_with_one_validation_window_are_calibrated_on_the_folds_before_them() {
    let (dir, _, config) = tiny(90);
    // one level, 80 %: 95 % would need 19 errors before a fold
    let text = read(&config).replace("valid_len = 5", "valid_len = 1");
    std::fs::write(&config, text + "\n[evaluate]\nintervals = [0.8]\n").unwrap();
    let out = dir.path().join("backtest");
    let metrics = backtest(&config, &out, &["--folds", "4", "--step", "5"]);
    let intervals = &metrics["intervals"];
    assert_eq!(intervals["calibration"], "earlier_folds");
    // 5 errors before the second fold give the 80 % interval; the CRPS grid needs 9, which
    // the 10 before the third reach
    assert_eq!(intervals["parts"], 3);
    assert_eq!(intervals["fewer_parts"]["crps"], 2);
    let rows = rows(&out);
    let lower = column(&out, "lower_80");
    let banded: Vec<&Vec<String>> = rows.iter().filter(|r| !r[lower].is_empty()).collect();
    assert_eq!(banded.len(), 15, "the last three folds' days");
    assert!(banded.iter().all(|r| r[0] != "1"));
    let inside = (banded.iter())
        .filter(|r| {
            let [actual, low, high] =
                [&r[3], &r[lower], &r[lower + 1]].map(|v| v.parse::<f64>().unwrap());
            low <= actual && actual <= high
        })
        .count();
    let coverage = intervals["model"]["levels"]["80"]["coverage"]
        .as_f64()
        .unwrap();
    assert!(
        (coverage - inside as f64 / 15.0).abs() < 1e-12,
        "{coverage}"
    );
    let report = read(&out.join(files::REPORT));
    assert!(report.contains("calibrated on the earlier folds' test errors"));
    assert!(
        report.contains("the CRPS over folds 3 and 4 only"),
        "{report}"
    );
    // one step ahead: the table's rows are every step already
    assert!(metrics.get("intervals_every_step").is_none());
}

#[test]
fn with_statistical_voices_the_first_folds_are_calibrated_on_them() {
    let (dir, _, config) = tiny(90);
    with_voices(&config, "[0.8]");
    let out = dir.path().join("backtest");
    let metrics = backtest(&config, &out, &["--folds", "4", "--step", "5"]);
    let intervals = &metrics["intervals"];
    // the first fold's calibration, then every fold's intervals pooled
    assert_eq!(intervals["calibration"], "voices_at_rolling_origins");
    assert_eq!(intervals["parts"], 4);
    let rows = rows(&out);
    let lower = column(&out, "lower_80");
    assert!(
        rows.iter().all(|r| !r[lower].is_empty()),
        "every fold's days"
    );
    let per_fold: Vec<&str> = (metrics["per_fold"].as_array().unwrap().iter())
        .map(|fold| fold["intervals_calibration"].as_str().unwrap())
        .collect();
    let (voices, earlier) = ("voices_at_rolling_origins", "earlier_folds");
    assert_eq!(per_fold, [voices, voices, earlier, earlier]);
    let report = read(&out.join(files::REPORT));
    // 5 and then 10 errors before the second and third folds: the CRPS grid needs 9
    assert!(
        report
            .contains("those of folds 1 and 2 calibrated on the errors of the statistical voices"),
        "{report}"
    );
    assert!(report.contains("those of folds 3 and 4 calibrated on the earlier folds' test errors"));
}

#[test]
fn multi_step_folds_score_their_intervals_over_every_step_too() {
    let (dir, _, config) = tiny(90);
    let text = read(&config).replace("valid_len = 5", "valid_len = 2\nhorizon = 2");
    std::fs::write(&config, text + "\n[evaluate]\nintervals = [0.8]\n").unwrap();
    let out = dir.path().join("backtest");
    let metrics = backtest(&config, &out, &["--folds", "4", "--step", "5"]);
    assert_eq!(metrics["intervals"]["calibration"], "earlier_folds");
    let parts = metrics["intervals"]["parts"].as_u64().unwrap();
    let every_step = &metrics["intervals_every_step"][0];
    assert_eq!(every_step["level"], 0.8);
    // two steps of each of the 5 forecasts of every fold with intervals
    assert_eq!(every_step["values"].as_u64().unwrap(), parts * 5 * 2);
    let inside = every_step["inside"].as_f64().unwrap();
    let values = every_step["values"].as_f64().unwrap();
    assert_eq!(every_step["coverage"].as_f64().unwrap(), inside / values);
    let report = read(&out.join(files::REPORT));
    assert!(
        report.contains("intervals over every step ahead of every forecast"),
        "{report}"
    );
}

#[test]
fn pooled_measures_come_from_every_folds_forecasts() {
    let (dir, _, config) = tiny(90);
    let out = dir.path().join("backtest");
    let metrics = backtest(
        &config,
        &out,
        &["--folds", "3", "--step", "5", "--jobs", "2"],
    );
    let rows = rows(&out);
    assert_eq!(rows.len(), 15, "one row per forecast day");
    let folds: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(folds[..6], ["1", "1", "1", "1", "1", "2"]);
    let squared: Vec<f64> = rows
        .iter()
        .map(|r| (r[4].parse::<f64>().unwrap() - r[3].parse::<f64>().unwrap()).powi(2))
        .collect();
    let rmse = (squared.iter().sum::<f64>() / 15.0).sqrt();
    let reported = metrics["pooled"]["model"]["rmse"].as_f64().unwrap();
    assert!(
        (rmse - reported).abs() < 1e-9 * reported,
        "{rmse} vs {reported}"
    );
    assert_eq!(metrics["per_fold"].as_array().unwrap().len(), 3);
    // each fold's 80 % intervals (5 validation errors are too few for 95 %), pooled: the
    // coverage recomputed from backtest.csv is the one reported
    let lower = column(&out, "lower_80");
    let inside = rows
        .iter()
        .filter(|r| {
            let [actual, low, high] =
                [&r[3], &r[lower], &r[lower + 1]].map(|v| v.parse::<f64>().unwrap());
            low <= actual && actual <= high
        })
        .count();
    let coverage = metrics["intervals"]["model"]["levels"]["80"]["coverage"]
        .as_f64()
        .unwrap();
    assert!(
        (coverage - inside as f64 / 15.0).abs() < 1e-12,
        "{coverage}"
    );
    assert!(metrics["intervals"]["naive"]["levels"]["80"]["mean_width"].is_f64());
    for chart in [files::BACKTEST_PLOT, files::FOLD_ERROR_PLOT] {
        assert!(
            std::fs::read(out.join(chart))
                .unwrap()
                .starts_with(b"\x89PNG")
        );
    }
    assert!(read(&out.join(files::REPORT)).contains("## By fold"));
}

#[test]
fn refit_never_trains_once() {
    let (dir, _, config) = tiny(90);
    let out = dir.path().join("backtest");
    let metrics = backtest(
        &config,
        &out,
        &["--folds", "3", "--step", "5", "--refit", "never"],
    );
    let trained: Vec<bool> = metrics["per_fold"]
        .as_array()
        .unwrap()
        .iter()
        .map(|fold| fold["trained"].as_bool().unwrap())
        .collect();
    assert_eq!(trained, [true, false, false]);
    let checkpoints = std::fs::read_dir(out.join("folds")).unwrap().count();
    assert_eq!(checkpoints, 1, "one model trained");
}

/// The same series with every value from the last fold's origin on multiplied by 1,000: the
/// folds' models must be the same, so every forecast made from rows before that origin is too.
#[test]
fn no_fold_trains_on_its_future() {
    let (dir, data, config) = tiny(90);
    let clean = dir.path().join("clean");
    backtest(&config, &clean, &["--folds", "3", "--step", "5"]);
    // the last fold's first target row: 90 rows, its 5 targets are rows 85..=89
    let text = read(&data);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for line in lines.iter_mut().skip(1 + 85) {
        let cells: Vec<&str> = line.split(',').collect();
        let scaled: Vec<String> = cells[1..]
            .iter()
            .map(|c| format!("{:.2}", c.parse::<f64>().unwrap() * 1000.0))
            .collect();
        *line = format!("{},{}", cells[0], scaled.join(","));
    }
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let poisoned = dir.path().join("poisoned");
    backtest(&config, &poisoned, &["--folds", "3", "--step", "5"]);
    let (clean, poisoned) = (rows(&clean), rows(&poisoned));
    // folds 1 and 2, and the first day of fold 3 (its window ends before the origin)
    for (a, b) in clean.iter().zip(&poisoned).take(11) {
        assert_eq!(a[4], b[4], "model forecast of {}", a[2]);
    }
    assert_ne!(
        clean[11][4], poisoned[11][4],
        "later days read the changed rows"
    );
}

#[test]
fn settings_that_do_not_fit_are_refused_before_anything_is_written() {
    let (dir, _, config) = tiny(60);
    let out = dir.path().join("backtest");
    let path = config.to_str().unwrap();
    let too_many = trainer(&["backtest", "--config", path, "--folds", "50", "--step", "5"]);
    assert_clean_error(
        &too_many,
        &["tiny.toml", "50 folds × 5 targets", "the series has"],
    );
    // a validation period shorter than the horizon holds no window in any fold
    let original = read(&config);
    let short_valid = original.replace("valid_len = 5", "valid_len = 1\nhorizon = 2");
    std::fs::write(&config, short_valid).unwrap();
    let out_arg = out.to_str().unwrap();
    let plan = ["--folds", "2", "--step", "5", "--out", out_arg];
    let no_valid = trainer(&[&["backtest", "--config", path][..], &plan].concat());
    assert_clean_error(&no_valid, &["tiny.toml", "valid_len = 1", "horizon = 2"]);
    assert!(!out.exists(), "nothing written");
    std::fs::write(&config, original).unwrap();
    let zero = trainer(&["backtest", "--config", path, "--refit", "0"]);
    assert!(!zero.status.success());
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--refit"));
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("head = [4]", "head = [4]\ninit_from = \"weights.pt\"");
    std::fs::write(&config, text).unwrap();
    let imported = trainer(&["backtest", "--config", path, "--out", out.to_str().unwrap()]);
    assert_clean_error(&imported, &["init_from"]);
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_backtest_never_mixes_with_an_earlier_one() {
    let (dir, _, config) = tiny(90);
    let out = dir.path().join("backtest");
    backtest(&config, &out, &["--folds", "2", "--step", "5"]);
    let again = trainer(&[
        "backtest",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--folds",
        "2",
        "--step",
        "5",
    ]);
    assert_clean_error(&again, &["already holds files", "--overwrite"]);
    std::fs::write(out.join("folds/stale.txt"), b"from an earlier backtest").unwrap();
    backtest(
        &config,
        &out,
        &["--folds", "2", "--step", "5", "--overwrite"],
    );
    assert!(!out.join("folds/stale.txt").exists());
}

/// Two daily series of one long file, "old" from 1990 (`old_rows` rows) and "new" from 2020
/// (100 rows), each a slow wave around its own level; every value of each from `poison_from`
/// rows before its own end on multiplied by 1,000 (0: none), and every value before
/// `flat_until` rows before its end the level itself (0: none).
fn write_panel(path: &Path, old_rows: usize, poison_from: usize, flat_until: usize) {
    let mut text = String::from("Date,shop,sales\n");
    for (name, year, rows, level) in [("old", 1990, old_rows, 100.0), ("new", 2020, 100, 5000.0)] {
        let start = yoho_data::NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
        for i in 0..rows {
            let date = start + chrono::Days::new(i as u64);
            let mut value = level * (1.0 + 0.05 * (i as f64 / 6.0).sin()) + i as f64;
            if poison_from > 0 && i >= rows - poison_from {
                value *= 1000.0;
            }
            if flat_until > 0 && i + flat_until < rows {
                value = level;
            }
            text += &format!("{date},{name},{value:.3}\n");
        }
    }
    std::fs::write(path, text).unwrap();
}

/// A tiny panel config reading `data`.
fn panel_config(dir: &Path, data: &Path) -> PathBuf {
    let text = common::config_text(data, "series_column = \"shop\"", "")
        .replace("features = [\"Open\", \"Close\"]", "features = [\"sales\"]")
        .replace("target = \"Open\"", "target = \"sales\"");
    let path = dir.join("panel.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_panels_folds_cut_each_series_at_its_own_end_and_never_train_on_their_future() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shops.csv");
    write_panel(&data, 90, 0, 0);
    let config = panel_config(dir.path(), &data);
    let clean = dir.path().join("clean");
    let metrics = backtest(&config, &clean, &["--folds", "3", "--step", "5"]);
    let folds = metrics["per_fold"].as_array().unwrap();
    assert_eq!(folds.len(), 3);
    for (fold, rows_after) in folds.iter().zip([10, 5, 0]) {
        assert_eq!(fold["rows_after"].as_u64(), Some(rows_after));
        assert_eq!(fold["test_rows"].as_u64(), Some(5));
        // each series' origin lies as far before its own end: 90 and 100 daily rows
        let origins: Vec<&str> = (fold["series"].as_array().unwrap().iter())
            .map(|series| series["origin_date"].as_str().unwrap())
            .collect();
        let origin = |year, rows: u64| {
            let start = yoho_data::NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
            (start + chrono::Days::new(rows - rows_after - 5)).to_string()
        };
        assert_eq!(origins, [origin(1990, 90), origin(2020, 100)]);
    }
    let all = &metrics["all_folds"];
    assert_eq!(all["series"].as_u64(), Some(6), "{all}");
    // the 80 % intervals of both series in every fold: 2 × 3 × 5 values
    let eighty = &metrics["intervals"][0];
    assert_eq!(
        (eighty["level"].as_f64(), eighty["values"].as_u64()),
        (Some(0.8), Some(30))
    );
    let inside = eighty["inside"].as_u64().unwrap() as f64;
    assert_eq!(eighty["coverage"].as_f64(), Some(inside / 30.0));
    assert!(all["relative"]["model"]["relative_mase"].as_f64().unwrap() > 0.0);
    let chart = std::fs::read(clean.join(files::FOLD_ERROR_PLOT)).unwrap();
    assert!(chart.starts_with(b"\x89PNG"), "a PNG chart of each fold");
    let report = read(&clean.join(files::REPORT));
    assert!(
        report.contains("6 test periods (2 series in each of 3 folds, 5 forecasts each)"),
        "{report}"
    );
    // the same panel with each series' values from its newest fold's origin on multiplied by
    // 1,000: the older folds' models and the first day of the newest are unchanged
    write_panel(&data, 90, 5, 0);
    let poisoned = dir.path().join("poisoned");
    backtest(&config, &poisoned, &["--folds", "3", "--step", "5"]);
    let header = read(&clean.join(files::BACKTEST))
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        header.ends_with(",lower_80,upper_80,lower_95,upper_95"),
        "{header}"
    );
    let (clean, poisoned) = (rows(&clean), rows(&poisoned));
    assert_eq!(clean.len(), 30);
    for (a, b) in clean.iter().zip(&poisoned) {
        let (fold, series, date) = (a[0].as_str(), a[1].as_str(), a[2].as_str());
        // fold,series,first_target_date,steps_ahead,actual,model,…,lower_80,…,upper_95
        let (model, lower, upper) = (cell(a, 5), cell(a, a.len() - 4), cell(a, a.len() - 3));
        assert!(lower <= model && model <= upper, "{a:?}");
        let first_day_of_last_fold =
            [("old", "1990-03-27"), ("new", "2020-04-05")].contains(&(series, date));
        if fold != "3" {
            // every forecast, interval and actual value
            assert_eq!(a, b);
        } else if first_day_of_last_fold {
            assert_eq!(
                (&a[..4], &a[5..]),
                (&b[..4], &b[5..]),
                "all but the actual value"
            );
        } else {
            assert_ne!(a[5], b[5], "{date} of fold 3 reads the changed rows");
        }
    }
}

#[test]
fn a_panels_series_too_short_for_the_older_folds_join_the_newer_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shops.csv");
    // "old" (20 rows, 16 windows) holds two folds of 5 targets: 10, 5 validation windows and
    // a training window; "new" (100 rows) holds every fold
    write_panel(&data, 20, 0, 0);
    let config = panel_config(dir.path(), &data);
    let run = |out: &Path, extra: &[&str]| backtest_said(&config, out, extra);
    let clean = dir.path().join("clean");
    let (stderr, metrics) = run(&clean, &["--folds", "3", "--step", "5"]);
    let note = "series 'old' is too short for the oldest fold: backtested on the newest 2 folds \
                (2 to 3) only";
    assert!(stderr.contains(note), "{stderr}");
    let folds = metrics["per_fold"].as_array().unwrap();
    for (fold, (rows_after, names)) in folds.iter().zip([
        (10, &["new"][..]),
        (5, &["old", "new"][..]),
        (0, &["old", "new"][..]),
    ]) {
        assert_eq!(fold["rows_after"].as_u64(), Some(rows_after));
        let series = fold["series"].as_array().unwrap();
        let joined: Vec<&str> = (series.iter())
            .map(|series| series["name"].as_str().unwrap())
            .collect();
        assert_eq!(joined, names);
        // 'old' joins a fold as far before its own end as 'new' is: 20 daily rows from 1990
        if let Some(old) = series.iter().find(|series| series["name"] == "old") {
            let start = yoho_data::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
            let origin = start + chrono::Days::new(20 - rows_after - 5);
            assert_eq!(
                old["origin_date"].as_str(),
                Some(origin.to_string().as_str())
            );
        }
    }
    assert_eq!(metrics["all_folds"]["series"].as_u64(), Some(5));
    let report = read(&clean.join(files::REPORT));
    assert!(
        report.contains("5 test periods (1 to 2 series in each of 3 folds, 5 forecasts each)"),
        "{report}"
    );
    // 'old' from its newest fold's origin on multiplied by 1,000: its fold 2 is unchanged,
    // so no fold it joins trains on its future
    write_panel(&data, 20, 5, 0);
    let poisoned = dir.path().join("poisoned");
    run(&poisoned, &["--folds", "3", "--step", "5"]);
    for (a, b) in rows(&clean).iter().zip(&rows(&poisoned)) {
        if a[0] != "3" {
            assert_eq!(a, b);
        }
    }
    // the default plan, the most test periods: 'old' of 12 rows (8 windows) holds two folds
    // of one target, 'new' ten, so 10 folds × 1 target, 'old' in the newest two (12 test
    // periods; 2 × 1 would give 4, 10 × 20 of 'new' alone 10)
    write_panel(&data, 12, 0, 0);
    let fitted = dir.path().join("fitted");
    let (stderr, metrics) = run(&fitted, &["--epochs", "1"]);
    let note = "cannot hold the default 10 folds × 20 targets; backtesting 10 folds × 1 target";
    assert!(stderr.contains(note), "{stderr}");
    let counts: Vec<usize> = (metrics["per_fold"].as_array().unwrap().iter())
        .map(|fold| fold["series"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [1, 1, 1, 1, 1, 1, 1, 1, 2, 2]);
}

/// Cell `index` of a CSV row as a number.
fn cell(row: &[String], index: usize) -> f64 {
    row[index].parse().unwrap()
}

#[test]
fn a_panel_that_cannot_be_backtested_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shops.csv");
    write_panel(&data, 90, 0, 0);
    let config = panel_config(dir.path(), &data);
    let out = dir.path().join("backtest");
    let output = trainer(&[
        "backtest",
        "--config",
        config.to_str().unwrap(),
        "--refit",
        "never",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_clean_error(&output, &["panel.toml", "--refit never:", "--refit every"]);
    assert!(!out.exists(), "nothing written");
    // both series constant but for their newest 12 rows: no series of the oldest fold's panel
    // varies over its training rows, which is told before anything is written
    write_panel(&data, 90, 0, 12);
    let output = trainer(&[
        "backtest",
        "--config",
        config.to_str().unwrap(),
        "--folds",
        "3",
        "--step",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_clean_error(&output, &["panel.toml", "fold 1", "constant"]);
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_panels_multi_step_forecasts_are_written_and_covered_step_by_step() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shops.csv");
    write_panel(&data, 90, 0, 0);
    let config = panel_config(dir.path(), &data);
    let text = read(&config).replace("series_column", "horizon = 2\nseries_column");
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("backtest");
    let metrics = backtest(&config, &out, &["--folds", "2", "--step", "3"]);
    // 2 folds × 2 series × 3 forecasts × 2 steps
    let rows = rows(&out);
    assert_eq!(rows.len(), 24);
    let steps: Vec<&str> = rows.iter().take(4).map(|row| row[3].as_str()).collect();
    assert_eq!(steps, ["1", "2", "1", "2"]);
    // a forecast's two steps share its first target's date
    assert_eq!(rows[0][2], rows[1][2]);
    assert_ne!(rows[1][2], rows[2][2]);
    assert_eq!(metrics["intervals"][0]["values"].as_u64(), Some(24));
    let report = read(&out.join(files::REPORT));
    assert!(
        report.contains("over 4 test periods (2 series in each of 2 folds, 3 forecasts each)")
            && report.contains("geometric mean over the test periods"),
        "{report}"
    );
    // one forecast per series and fold: the relative MASE is over the forecasts
    let single = dir.path().join("single");
    backtest(&config, &single, &["--folds", "2", "--step", "1"]);
    let report = read(&single.join(files::REPORT));
    assert!(
        report.contains("over 4 forecasts (2 series from each of 2 origins)")
            && report.contains("geometric mean over the forecasts"),
        "{report}"
    );
}

/// `trainer backtest` of `config` into `out` with `--epochs 4000`, sent SIGINT once it says
/// how it backtests (before its first fold has trained): its exit code and stderr.
fn backtest_interrupted(config: &Path, out: &Path) -> (Option<i32>, String) {
    let args = [
        "backtest",
        "--config",
        config.to_str().unwrap(),
        "--epochs",
        "4000",
    ];
    let mut child =
        common::trainer_command(&[&args[..], &["--out", out.to_str().unwrap()]].concat())
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
    let stderr = common::signal_at(&mut child, "backtest:", "INT");
    (child.wait().unwrap().code(), stderr)
}

#[test]
fn ctrl_c_stops_a_backtest_which_writes_no_results() {
    let (dir, _, config) = tiny(80);
    let panel_data = dir.path().join("shops.csv");
    write_panel(&panel_data, 90, 0, 0);
    let panel = panel_config(dir.path(), &panel_data);
    for (config, name) in [(&config, "series"), (&panel, "panel")] {
        let out = dir.path().join(name);
        let (code, stderr) = backtest_interrupted(config, &out);
        assert_eq!(
            code,
            Some(130),
            "an interrupted backtest exits with 130:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stderr.contains("interrupted: no backtest was written"),
            "{stderr}"
        );
        for file in [files::METRICS, files::BACKTEST, files::REPORT] {
            assert!(!out.join(file).exists(), "{name}: no {file}");
        }
    }
}

/// On a short history the folds' calibration errors are too few for the 95 % interval at
/// first: each fold keeps the levels its errors give, `backtest.csv` leaves the others' cells
/// empty, and the report says which folds each level is pooled over.
#[test]
fn a_short_historys_folds_keep_the_levels_their_errors_calibrate() {
    let (dir, _, config) = tiny(56);
    with_voices(&config, "[0.8, 0.95]");
    let out = dir.path().join("backtest");
    let metrics = backtest(&config, &out, &["--folds", "4", "--step", "8"]);
    let levels: Vec<String> = (metrics["per_fold"].as_array().unwrap().iter())
        .map(|fold| {
            let levels = fold["intervals_levels"].as_array().unwrap().iter();
            levels
                .map(|level| level.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(levels, ["80", "80", "80 95", "80 95"]);
    let intervals = &metrics["intervals"];
    assert_eq!(intervals["parts"], 4);
    assert_eq!(intervals["fewer_parts"]["95"], 2);
    // the 95 % interval's cells are empty on the first two folds' days only
    let [lower_80, lower_95] = ["lower_80", "lower_95"].map(|name| column(&out, name));
    for row in rows(&out) {
        assert!(!row[lower_80].is_empty());
        assert_eq!(
            row[lower_95].is_empty(),
            row[0] == "1" || row[0] == "2",
            "{row:?}"
        );
    }
    let report = read(&out.join(files::REPORT));
    assert!(
        report.contains("the 95 % intervals over folds 3 and 4 only"),
        "{report}"
    );
}

#[test]
fn a_backtest_finds_no_season_in_the_rows_its_folds_test() {
    // 300 time steps without a season, and the same with a cycle of 7 steps in the rows the
    // backtest's folds test (ten folds of 18 two-step forecasts: the newest 181 rows, after a
    // validation period of two)
    let dir = tempfile::tempdir().unwrap();
    let irregular = |t: usize| {
        let mut x = (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 31;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        50.0 + (x >> 40) as f64 / (1u64 << 24) as f64
    };
    let write = |name: &str, from: usize| {
        let mut text = String::from("value\n");
        for t in 0..300 {
            let angle = 2.0 * std::f64::consts::PI * (t % 7) as f64 / 7.0;
            let cycle = if t >= from { 20.0 * angle.sin() } else { 0.0 };
            text += &format!("{:.6}\n", irregular(t) + cycle);
        }
        std::fs::write(dir.path().join(format!("{name}.csv")), text).unwrap();
        let config = dir.path().join(format!("{name}.toml"));
        let text = format!(
            "[data]\npath = {:?}\ndate_format = \"step\"\ntarget = \"value\"\nhorizon = 2\n\n\
             [model]\nhidden_size = 4\nhead = []\n\n[train]\nepochs = 1\n",
            dir.path().join(format!("{name}.csv")).display().to_string()
        );
        std::fs::write(&config, text).unwrap();
        config
    };
    let plan = ["--folds", "10", "--step", "18"];
    for (name, from) in [("clean", 300), ("cycle_tested", 119)] {
        let out = dir.path().join(format!("{name}_backtest"));
        let (stderr, _) = backtest_said(&write(name, from), &out, &plan);
        assert!(
            stderr.contains("none repeats in the values"),
            "{name}: {stderr}"
        );
        let saved: toml::Table = toml::from_str(&read(&out.join(files::CONFIG))).unwrap();
        assert_eq!(saved["evaluate"]["season"].as_integer(), Some(1), "{name}");
    }
    // a forecast, whose test is the future, reads every row and finds the cycle
    let output = common::forecast(
        &write("cycle_forecast", 119),
        &dir.path().join("forecast"),
        &[],
    );
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("repeat every 7 steps"), "{stderr}");
}
