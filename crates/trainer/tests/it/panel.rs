//! A panel run: one model over the series of a long-format file, evaluated per series and over
//! all of them, and `predict` forecasting every series.

use std::path::{Path, PathBuf};

use crate::common::{assert_clean_error, assert_success, read, train, trainer};

/// Two series of very different levels in one long file, rows interleaved: "small" around 10,
/// "large" around 50,000, both daily; "large" ends 5 days later than "small".
pub(crate) fn write_panel(dir: &Path) -> PathBuf {
    let mut text = String::from("Date,ticker,Open,Close\n");
    let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    for i in 0..125u64 {
        let date = start + chrono::Days::new(i);
        let wave = (i as f64 / 6.0).sin();
        if i < 120 {
            let small = 10.0 + wave + 0.01 * i as f64;
            text += &format!("{date},small,{small:.4},{:.4}\n", small + 0.1);
        }
        let large = 50_000.0 + 2_000.0 * wave + 10.0 * i as f64;
        text += &format!("{date},large,{large:.2},{:.2}\n", large + 50.0);
    }
    let path = dir.join("panel.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// The panel's config: one time split for both series (they share a calendar).
fn write_panel_config(dir: &Path, data: &Path) -> PathBuf {
    let config = crate::common::config_text(
        data,
        "series_column = \"ticker\"\nsplit = \"common_time\"",
        "",
    )
    .replace("epochs = 3", "epochs = 5");
    let path = dir.join("panel.toml");
    std::fs::write(&path, config).unwrap();
    path
}

#[test]
fn one_model_is_evaluated_on_every_series_and_forecasts_every_series() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_panel(dir.path());
    let config = write_panel_config(dir.path(), &data);
    let out = dir.path().join("run");
    let output = train(&config, &out);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("small") && stdout.contains("large") && stdout.contains("mean"),
        "{stdout}"
    );

    // every forecaster over both series, against naive (the config sets no season)
    assert!(
        stdout.contains("Every forecaster over the 2 series") && stdout.contains("MASE / naive"),
        "{stdout}"
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&out.join("metrics.json"))).unwrap();
    assert_eq!(metrics["all_series"]["series"], 2);
    assert_eq!(metrics["all_series"]["reference"], "naive");
    let relative = &metrics["all_series"]["relative"];
    assert_eq!(relative["naive"]["relative_mase"], 1.0);
    assert_eq!(relative["model"]["series"], 2);
    assert_eq!(metrics["data"]["series_column"], "ticker");
    let series = metrics["series"].as_array().unwrap();
    let names: Vec<&str> = series.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["small", "large"]);
    // one time split: "small" ends first, so its held-out days start the held-out period
    let held_out_from = metrics["data"]["held_out_from"].as_str().unwrap();
    let small_test_first = series[0]["data"]["test_first_date"].as_str().unwrap();
    assert!(
        held_out_from < small_test_first,
        "{held_out_from} vs {small_test_first}"
    );
    for entry in series {
        let rmse = entry["test"]["model"]["rmse"].as_f64().unwrap();
        let naive = entry["test"]["naive"]["rmse"].as_f64().unwrap();
        assert!(rmse.is_finite() && naive.is_finite());
        let dir = out.join("series").join(entry["dir"].as_str().unwrap());
        for file in [
            "scaler.json",
            "metrics.json",
            "predictions.csv",
            "test_period.png",
        ] {
            assert!(dir.join(file).is_file(), "{} lacks {file}", dir.display());
        }
        // the series' own metrics say which series they are of
        let own: serde_json::Value =
            serde_json::from_str(&read(&dir.join("metrics.json"))).unwrap();
        assert_eq!(own["data"]["series"], entry["name"], "{}", dir.display());
    }
    // each series in its own units: "large"'s errors are in the thousands' range, "small"'s not
    let rmse = |index: usize| series[index]["test"]["naive"]["rmse"].as_f64().unwrap();
    assert!(rmse(1) > 100.0 * rmse(0), "{} vs {}", rmse(1), rmse(0));
    // the model's intervals are calibrated on both series' validation errors pooled, each in
    // its own scale
    let valid_windows = metrics["data"]["valid_windows"].as_u64().unwrap();
    let calibration = |name: &str| -> serde_json::Value {
        let path = out.join("series").join(name).join("intervals.json");
        serde_json::from_str(&read(&path)).unwrap()
    };
    let (small, large) = (calibration("small"), calibration("large"));
    for step in [&small[0], &large[0]] {
        assert_eq!(step["calibration_size"].as_u64(), Some(valid_windows));
    }
    let half_width = |c: &serde_json::Value| c[0]["half_widths"][0].as_f64().unwrap();
    assert!(half_width(&large) > 100.0 * half_width(&small));
    // and each series' report says so
    let report = read(&out.join("series").join("small").join("report.md"));
    assert!(
        report.contains(&format!(
            "the model's calibrated on the {valid_windows} errors of every series of the panel"
        )),
        "{report}"
    );

    let predictions = read(&out.join("predictions.csv"));
    assert!(predictions.starts_with("series,date,"), "{predictions}");
    for name in ["small", "large"] {
        let rows = predictions
            .lines()
            .filter(|l| l.starts_with(&format!("{name},")))
            .count();
        assert_eq!(rows, 10, "{name}: {predictions}");
    }

    let forecast_path = dir.path().join("forecast.csv");
    let output = trainer(&[
        "predict",
        "--run",
        out.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--steps",
        "1",
        "--out",
        forecast_path.to_str().unwrap(),
    ]);
    assert_success(&output);
    let forecast = read(&forecast_path);
    let rows: Vec<Vec<&str>> = forecast
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{forecast}");
    // each series forecast after its own last day, near its own level
    let by_name = |name: &str| rows.iter().find(|r| r[0] == name).unwrap().clone();
    assert_eq!(by_name("small")[2], "2020-04-30");
    assert_eq!(by_name("large")[2], "2020-05-05");
    let level = |name: &str| by_name(name)[3].parse::<f64>().unwrap();
    assert!((5.0..15.0).contains(&level("small")), "{forecast}");
    assert!((40_000.0..60_000.0).contains(&level("large")), "{forecast}");
    // with its 80 % interval (series, step, date, forecast, naive, lower_80, upper_80, …)
    for name in ["small", "large"] {
        let row = by_name(name);
        let (lower, upper): (f64, f64) = (row[5].parse().unwrap(), row[6].parse().unwrap());
        assert!(lower < level(name) && level(name) < upper, "{forecast}");
    }

    // a series the run never saw is named
    let other = dir.path().join("other.csv");
    std::fs::write(&other, read(&data).replace(",small,", ",tiny,")).unwrap();
    let output = trainer(&[
        "predict",
        "--run",
        out.to_str().unwrap(),
        "--data",
        other.to_str().unwrap(),
    ]);
    assert_clean_error(&output, &["'tiny'", "was not trained on", "'small'"]);

    // a backtest whose folds no series can hold is refused before anything runs, naming one
    let plan = ["--folds", "10", "--step", "20"];
    let output = trainer(
        &[
            &["backtest", "--config", config.to_str().unwrap()],
            &plan[..],
        ]
        .concat(),
    );
    assert_clean_error(
        &output,
        &[
            "panel.toml",
            "no series of the panel can hold",
            "10 folds × 20",
        ],
    );
}

/// Two series from different decades (1950s and 2010s), one too short for the windows and one
/// constant: with the default split each of the two holds out its own newest rows and both
/// train; the short one and the constant one are left out and named.
#[test]
fn a_panel_of_series_from_different_decades_trains_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("Date,ticker,Open,Close\n");
    for (name, year, rows) in [
        ("fifties", 1950, 90u64),
        ("tens", 2012, 80),
        ("short", 2012, 9),
        ("flat", 2012, 80),
    ] {
        let start = yoho_data::NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
        for i in 0..rows {
            let date = start + chrono::Days::new(i);
            let value = match name {
                "flat" => 100.0,
                _ => 100.0 + 10.0 * (i as f64 / 4.0).sin() + i as f64,
            };
            text += &format!("{date},{name},{value:.3},{:.3}\n", value + 1.0);
        }
    }
    let data = dir.path().join("decades.csv");
    std::fs::write(&data, text).unwrap();
    let config = dir.path().join("decades.toml");
    std::fs::write(
        &config,
        crate::common::config_text(&data, "series_column = \"ticker\"", ""),
    )
    .unwrap();
    let out = dir.path().join("run");
    let output = train(&config, &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("series 'short' is left out"), "{stderr}");
    assert!(stderr.contains("series 'flat' is left out"), "{stderr}");
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&out.join("metrics.json"))).unwrap();
    assert!(metrics["data"]["held_out_from"].is_null());
    let left_out = &metrics["data"]["left_out"];
    assert_eq!(left_out[0]["name"], "short");
    assert_eq!(left_out[1]["name"], "flat");
    let reason = left_out[1]["reason"].as_str().unwrap();
    assert!(
        reason.contains("decades.csv") && reason.contains("constant"),
        "{reason}"
    );
    let series = metrics["series"].as_array().unwrap();
    let names: Vec<&str> = series.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["fifties", "tens"]);
    for (entry, first_test) in series.iter().zip(["1950-03-22", "2012-03-11"]) {
        let data = &entry["data"];
        // its own newest 10 rows are its test period, and it trains on its own older rows
        assert_eq!(data["test_first_date"], first_test, "{entry}");
        assert!(data["train_windows"].as_u64().unwrap() > 50, "{entry}");
    }
    // predict on the very file: the series the run left out are passed over, and said so
    let forecast = dir.path().join("next.csv");
    let output = crate::common::predict_to(&out, &data, &forecast);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in ["short", "flat"] {
        let note = format!("series '{name}' is not forecast: the run left it out");
        assert!(stderr.contains(&note), "{stderr}");
    }
    let forecast = read(&forecast);
    let names: std::collections::BTreeSet<&str> = (forecast.lines().skip(1))
        .map(|line| line.split(',').next().unwrap())
        .collect();
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["fifties", "tens"]);
}

#[test]
fn what_cleaning_did_is_noted_series_by_series() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_panel(dir.path());
    // small loses its 11th day; large's 21st Open is empty; every row of the file reversed
    let text = read(&data);
    let mut lines: Vec<String> = (text.lines())
        .filter(|line| !line.starts_with("2020-01-11,small"))
        .map(|line| match line.starts_with("2020-01-21,large") {
            true => {
                let cells: Vec<&str> = line.split(',').collect();
                format!("{},{},,{}", cells[0], cells[1], cells[3])
            }
            false => line.to_string(),
        })
        .collect();
    lines[1..].reverse();
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let config = write_panel_config(dir.path(), &data);
    let text = read(&config).replace("split =", "missing = \"interpolate\"\nsplit =");
    std::fs::write(&config, text).unwrap();
    let output = train(&config, &dir.path().join("run"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    for series in ["small", "large"] {
        let note = format!("note: series '{series}': 1 row holds values filled in");
        assert!(stderr.contains(&note), "{note} in {stderr}");
    }
    assert!(
        stderr.contains("note: the rows of 2 of 2 series were not in date order"),
        "{stderr}"
    );
}

#[test]
fn a_wide_file_is_a_panel_of_its_columns() {
    let dir = tempfile::tempdir().unwrap();
    // a column per shop; "late" has no value for its first 10 days
    let mut text = String::from("Date,early,late\n");
    let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    for i in 0..120u64 {
        let wave = (i as f64 / 6.0).sin();
        let late = match i {
            0..10 => String::new(),
            _ => format!("{:.2}", 5_000.0 + 200.0 * wave),
        };
        let date = start + chrono::Days::new(i);
        text += &format!("{date},{:.3},{late}\n", 10.0 + wave);
    }
    let data = dir.path().join("shops.csv");
    std::fs::write(&data, text).unwrap();
    let config = dir.path().join("wide.toml");
    let extra = "series_column = \"shop\"\nlayout = \"wide\"";
    let text = crate::common::config_text(&data, extra, "")
        .replace("features = [\"Open\", \"Close\"]", "features = [\"sales\"]")
        .replace("target = \"Open\"", "target = \"sales\"");
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("run");
    assert_success(&train(&config, &out));
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&out.join("metrics.json"))).unwrap();
    let series = metrics["series"].as_array().unwrap();
    let names: Vec<&str> = series.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["early", "late"]);
    assert_eq!(series[1]["data"]["first_date"], "2020-01-11");
    assert_eq!(series[1]["data"]["rows"], 110);
    // predict reads the same layout: a forecast for each column
    let forecast = dir.path().join("forecast.csv");
    assert_success(&crate::common::predict_to(&out, &data, &forecast));
    let rows = read(&forecast);
    assert!(
        rows.contains("\nearly,") && rows.contains("\nlate,"),
        "{rows}"
    );
}
