//! The default recipe: a config that names only its data.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{assert_clean_error, assert_success, read, trainer};

/// A monthly series of `rows` rows from 1990: a yearly cycle on a trend.
fn monthly_csv(rows: usize) -> String {
    let mut text = String::from("month,sales\n");
    for i in 0..rows {
        let value = 100.0 + i as f64 + 10.0 * (i as f64 * std::f64::consts::PI / 6.0).sin();
        text += &format!("{}-{:02}-01,{value:.3}\n", 1990 + i / 12, 1 + i % 12);
    }
    text
}

/// Writes `csv` as `NAME.csv` in `dir` and beside it `NAME.toml`, a config of only its path,
/// date column, target and `horizon`, and the `[data]` lines `extra`.
fn write_recipe_config(dir: &Path, name: &str, csv: &str, horizon: usize, extra: &str) -> PathBuf {
    let data = dir.join(format!("{name}.csv"));
    std::fs::write(&data, csv).unwrap();
    let config = dir.join(format!("{name}.toml"));
    let text = format!(
        "[data]\npath = {:?}\ndate_column = \"month\"\ntarget = \"sales\"\nhorizon = \
         {horizon}\n{extra}",
        data.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    config
}

/// `trainer COMMAND… --config CONFIG --epochs 3 --out RUN`: three epochs keep a test short
/// (fewer than the recipe's min_epochs, which then yields).
fn three_epochs(command: &[&str], config: &Path, run: &Path) -> Output {
    let mut args = command.to_vec();
    args.extend(["--config", config.to_str().unwrap(), "--epochs", "3"]);
    args.extend(["--out", run.to_str().unwrap()]);
    trainer(&args)
}

#[test]
fn path_target_and_horizon_are_a_whole_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_recipe_config(dir.path(), "sales", &monthly_csv(120), 6, "");
    let run = dir.path().join("run");
    assert_success(&three_epochs(&[], &config, &run));
    // the run saved the settings the recipe chose from the monthly series
    let saved: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    let data = saved["data"].as_table().unwrap();
    assert_eq!(data["season"].as_integer(), Some(12));
    assert_eq!(data["window_len"].as_integer(), Some(13));
    assert_eq!(data["test_len"].as_integer(), Some(6));
    assert_eq!(data["transform"].as_str(), Some("level"));
    assert_eq!(saved["model"]["hidden_size"].as_integer(), Some(32));
    assert_eq!(saved["model"]["family"].as_array().map(Vec::len), Some(3));
    assert_eq!(saved["train"]["min_epochs"].as_integer(), Some(20));
    assert_eq!(saved["train"]["ensemble"].as_integer(), Some(2));
    // two networks of each of the three families
    assert!(run.join("members").join("06").join("loss.csv").is_file());
    assert_eq!(saved["evaluate"]["season"].as_integer(), Some(12));
    // one origin of six months: the test period is the last six rows
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    assert_eq!(metrics["data"]["test_first_date"], "1999-07-01");
    assert_eq!(metrics["data"]["test_windows"], 1);
    assert_eq!(metrics["training"]["epochs"], 3);
    // one validation window calibrates no interval: a second fit holding out 19 windows before
    // the test period does, and `predict` gives the run's forecasts them
    assert_eq!(saved["evaluate"]["calibration_fit"].as_bool(), Some(true));
    assert!(run.join("calibration_fit").join("members").is_dir());
    let intervals = &metrics["intervals"];
    assert_eq!(intervals["calibration"], "second_fit", "{intervals}");
    assert_eq!(intervals["model"]["conformal"]["calibration_size"], 19);
    for level in ["80", "95"] {
        let coverage = &intervals["model"]["levels"][level]["coverage"];
        assert!(coverage.is_number(), "{level}: {intervals}");
    }
    let report = read(&run.join("report.md"));
    assert!(report.contains("a second fit"), "{report}");
    assert!(!report.contains("n/a, it needs"), "{report}");
}

#[test]
fn a_series_indexed_by_time_steps_gets_a_season_of_its_own_and_steps_after_its_last() {
    let dir = tempfile::tempdir().unwrap();
    // the monthly series' values at steps 0, 1, 2, …, written out of order
    let mut lines: Vec<String> = (monthly_csv(120).lines().skip(1).enumerate())
        .map(|(step, line)| format!("{step},{}", line.split_once(',').unwrap().1))
        .collect();
    lines.swap(3, 4);
    let data = dir.path().join("steps.csv");
    std::fs::write(&data, format!("t,sales\n{}\n", lines.join("\n"))).unwrap();
    let config_with = |name: &str, extra: &str| {
        let config = dir.path().join(format!("{name}.toml"));
        let text = format!(
            "[data]\npath = {:?}\ndate_column = \"t\"\ndate_format = \"step\"\n\
             target = \"sales\"\nhorizon = 6\n{extra}",
            data.display().to_string()
        );
        std::fs::write(&config, text).unwrap();
        config
    };
    let config = config_with("steps", "season = 12\n");
    let run = dir.path().join("run");
    assert_success(&three_epochs(&[], &config, &run));
    // the config's season sizes the windows and is the seasonal naive's and MASE's
    let saved: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    assert_eq!(saved["data"]["season"].as_integer(), Some(12));
    assert_eq!(saved["data"]["window_len"].as_integer(), Some(13));
    let calendar = saved["data"].get("calendar").and_then(|c| c.as_array());
    assert!(calendar.is_none_or(Vec::is_empty), "{saved}");
    assert_eq!(saved["evaluate"]["season"].as_integer(), Some(12));
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    assert_eq!(metrics["data"]["test_first_date"], "114");
    let predictions = read(&run.join("predictions.csv"));
    assert!(
        predictions.lines().nth(1).unwrap().starts_with("114,"),
        "{predictions}"
    );
    // the forecast and predict go on from the last step
    let forecast = dir.path().join("forecast");
    let output = three_epochs(&["forecast"], &config, &forecast);
    assert_success(&output);
    let steps = |file: &Path| -> Vec<String> {
        (read(file).lines().skip(1))
            .map(|line| line.split(',').nth(1).unwrap().to_string())
            .collect()
    };
    let after: Vec<String> = (120..126).map(|step| step.to_string()).collect();
    assert_eq!(steps(&forecast.join("forecast.csv")), after);
    let predicted = dir.path().join("predicted.csv");
    assert_success(&crate::common::predict_to(&run, &data, &predicted));
    assert_eq!(steps(&predicted), after);
    // steps have no calendar to read
    let calendar = config_with("calendar", "calendar = [\"month\"]\n");
    let output = three_epochs(&[], &calendar, &dir.path().join("calendar_run"));
    assert_clean_error(&output, &["calendar asks for 'month'", "time steps"]);
    // a file of values alone has its rows numbered from 1
    let monthly = monthly_csv(120);
    let values: Vec<&str> = (monthly.lines().skip(1))
        .map(|line| line.split_once(',').unwrap().1)
        .collect();
    let alone = dir.path().join("alone.csv");
    std::fs::write(&alone, format!("sales\n{}\n", values.join("\n"))).unwrap();
    let config = dir.path().join("alone.toml");
    let text = format!(
        "[data]\npath = {:?}\ndate_format = \"step\"\ntarget = \"sales\"\nhorizon = 6\n",
        alone.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let forecast = dir.path().join("alone_forecast");
    let output = three_epochs(&["forecast"], &config, &forecast);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("its rows are numbered 1, 2, 3"), "{stderr}");
    let after: Vec<String> = (121..127).map(|step| step.to_string()).collect();
    assert_eq!(steps(&forecast.join("forecast.csv")), after);
}

/// Calls every 15 minutes from 08:00 to 17:45 (40 rows a day), Monday to Friday, for six weeks
/// from Monday 2024-01-01: a morning peak and an afternoon one each day.
fn call_centre_csv() -> String {
    let monday = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let mut text = String::from("month,sales\n");
    for date in monday.iter_days().take(40) {
        if chrono::Datelike::weekday(&date).num_days_from_monday() >= 5 {
            continue;
        }
        for quarter in 0..40_u32 {
            let time = date
                .and_hms_opt(8 + quarter / 4, 15 * (quarter % 4), 0)
                .unwrap();
            let calls = 50.0 + 30.0 * (quarter as f64 * std::f64::consts::PI / 20.0).sin().abs();
            text += &format!("{time},{calls:.1}\n");
        }
    }
    text
}

#[test]
fn opening_hours_give_an_intraday_series_its_season_and_its_next_rows() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_recipe_config(dir.path(), "calls", &call_centre_csv(), 4, "");
    let run = dir.path().join("forecast");
    let output = three_epochs(&["forecast"], &config, &run);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("rows every 15 minutes, 40 rows a day, 08:00 to 17:45, Monday to Friday: season = 40 (a day's rows, not the clock's 96)"),
        "{stderr}"
    );
    let saved: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    assert_eq!(saved["data"]["season"].as_integer(), Some(40));
    // the last row is Friday 2024-02-09 17:45: the forecast opens on Monday at 08:00
    let dates: Vec<String> = (read(&run.join("forecast.csv")).lines().skip(1))
        .map(|line| line.split(',').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(
        dates,
        [
            "2024-02-12 08:00:00",
            "2024-02-12 08:15:00",
            "2024-02-12 08:30:00",
            "2024-02-12 08:45:00"
        ]
    );
}

#[test]
fn a_validation_period_of_the_configs_own_gets_no_second_fit() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "valid_len = 6\n";
    let config = write_recipe_config(dir.path(), "kept", &monthly_csv(120), 6, extra);
    let run = dir.path().join("run");
    assert_success(&three_epochs(&[], &config, &run));
    assert!(!run.join("calibration_fit").exists());
    // one validation window calibrates no interval: the report says what would
    let report = read(&run.join("report.md"));
    assert!(
        report.contains("80 %: n/a, it needs at least 4 errors"),
        "{report}"
    );
    assert!(report.contains("`trainer forecast` lengthens its validation period"));
}

#[test]
fn the_recipe_reads_the_file_given_with_data() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_recipe_config(dir.path(), "sales", &monthly_csv(120), 6, "");
    // 200 days from 2020-01-01 with a weekly cycle, in the monthly config's columns
    let mut daily = String::from("month,sales\n");
    let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    for i in 0..200u64 {
        let value = 50.0 + 5.0 * (i as f64 * std::f64::consts::TAU / 7.0).sin() + 0.1 * i as f64;
        daily += &format!("{},{value:.3}\n", start + chrono::Days::new(i));
    }
    let data = dir.path().join("daily.csv");
    std::fs::write(&data, daily).unwrap();
    let run = dir.path().join("run");
    let command = ["forecast", "--data", data.to_str().unwrap()];
    assert_success(&three_epochs(&command, &config, &run));
    // the settings come from the daily series read, not from the monthly file the config names
    let saved: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    let chosen = saved["data"].as_table().unwrap();
    assert_eq!(chosen["season"].as_integer(), Some(7));
    assert_eq!(saved["evaluate"]["season"].as_integer(), Some(7));
    assert_eq!(chosen["calendar"], toml::Value::from(vec!["day_of_week"]));
    assert_eq!(chosen["path"].as_str(), data.to_str());
    // 200 days from 2020-01-01 end on 2020-07-18
    let forecast = read(&run.join("forecast.csv"));
    assert_eq!(
        forecast.lines().nth(1).unwrap().split(',').nth(1),
        Some("2020-07-19")
    );
}

#[test]
fn a_series_too_short_for_the_recipe_says_what_to_set() {
    // a config naming its own model gets no statistical fallback (too_short.rs has that)
    let dir = tempfile::tempdir().unwrap();
    let model = "[model]\nhidden_size = 8\n";
    let config = write_recipe_config(dir.path(), "short", &monthly_csv(30), 12, model);
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["short.toml", "30 rows", "window_len"]);
    // a bad [data] key of a recipe config is named once, with its section
    let wide = write_recipe_config(
        dir.path(),
        "wide",
        &monthly_csv(30),
        12,
        "layout = \"wide\"\n",
    );
    let output = trainer(&["--config", wide.to_str().unwrap()]);
    assert_clean_error(&output, &["wide.toml: [data] layout: layout = \"wide\""]);
}

#[test]
fn a_forecast_sizes_the_recipe_without_a_test_period() {
    // 45 months at horizon 12: a run holds out 12 for the test and 12 for validation, and
    // 16 training windows of at least one row need 52 rows; a forecast holds out no test, and
    // gets the windows a run of 57 rows would: 58 − 52 = 6 rows
    let dir = tempfile::tempdir().unwrap();
    let config = write_recipe_config(dir.path(), "short", &monthly_csv(45), 12, "");
    let model = "[model]\nfamily = \"seasonal_rnn\"\nhidden_size = 8\n";
    let named = write_recipe_config(dir.path(), "named", &monthly_csv(45), 12, model);
    let output = trainer(&["--config", named.to_str().unwrap()]);
    assert_clean_error(&output, &["45 rows", "test and validation periods"]);
    let run = dir.path().join("forecast");
    assert_success(&three_epochs(&["forecast"], &config, &run));
    let saved: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    assert_eq!(saved["data"]["window_len"].as_integer(), Some(6));
    assert_eq!(read(&run.join("forecast.csv")).lines().count(), 1 + 12);
}

/// A monthly series of `rows` rows from 1990 whose yearly swing grows with its level, as
/// airline passengers do; `floor` replaces its lowest value.
fn multiplicative_csv(rows: usize, floor: Option<f64>) -> String {
    let mut text = String::from("month,sales\n");
    for i in 0..rows {
        let level = 50.0 * 1.01f64.powi(i as i32);
        let swing = 1.0 + 0.4 * (i as f64 * std::f64::consts::PI / 6.0).sin();
        let value = match (floor, i) {
            (Some(floor), 3) => floor,
            _ => level * swing,
        };
        text += &format!("{}-{:02}-01,{value:.4}\n", 1990 + i / 12, 1 + i % 12);
    }
    text
}

#[test]
fn a_log_model_forecasts_positive_values_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let csv = multiplicative_csv(120, None);
    let config = write_recipe_config(dir.path(), "sales", &csv, 6, "log = true\n");
    let run = dir.path().join("run");
    assert_success(&three_epochs(&["forecast"], &config, &run));
    let saved: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    assert_eq!(saved["data"]["log"].as_bool(), Some(true));
    assert_eq!(saved["data"]["transform"].as_str(), Some("level"));
    let scaler: serde_json::Value = serde_json::from_str(&read(&run.join("scaler.json"))).unwrap();
    assert_eq!(scaler["columns"][0]["log"], true);
    let text = read(&run.join("forecast.csv"));
    let forecasts: Vec<f64> = (text.lines().skip(1))
        .map(|line| line.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(forecasts.len(), 6);
    // the last year's values run from about 80 to 220: a forecast stays positive and in range
    assert!(
        forecasts.iter().all(|v| *v > 10.0 && *v < 1000.0),
        "{forecasts:?}"
    );
    // `predict` loads the log scaler and forecasts the same from the same data
    let again = dir.path().join("again.csv");
    let output = crate::common::predict_to(&run, &dir.path().join("sales.csv"), &again);
    assert_success(&output);
    assert_eq!(read(&again), text);
    // and refuses, naming the date, new data it cannot take the logarithm of
    let zero = dir.path().join("zero.csv");
    std::fs::write(&zero, multiplicative_csv(120, Some(0.0))).unwrap();
    let output = crate::common::predict_to(&run, &zero, &dir.path().join("never.csv"));
    assert_clean_error(&output, &["log", "positive", "1990-04-01"]);
    assert!(!dir.path().join("never.csv").exists());
}

/// The forecasts and interval ends of `forecast.csv` in `run`: one row of
/// `[forecast, lower_80, upper_80, lower_95, upper_95]` per step, `None` for an empty cell.
/// `csv` with the last cell of every row after its first `rows` (the header aside) a thousand
/// times larger.
fn poisoned_from(csv: &str, rows: usize) -> String {
    (csv.lines().enumerate())
        .map(|(index, line)| match index > rows {
            true => {
                let (head, value) = line.rsplit_once(',').unwrap();
                format!("{head},{}\n", value.parse::<f64>().unwrap() * 1e3)
            }
            false => format!("{line}\n"),
        })
        .collect()
}

/// A series too short for a second fit that calibrates an interval: the run's intervals come
/// from its statistical voices' errors at origins rolling over the values before its test
/// period, which are never read; `trainer forecast` of a series whose validation period
/// calibrates none does the same over the whole series.
#[test]
fn a_series_too_short_for_a_second_fit_is_calibrated_on_its_voices() {
    let dir = tempfile::tempdir().unwrap();
    // the last 6 rows, the test period, a thousand times larger
    let poisoned = poisoned_from(&monthly_csv(45), 45 - 6);
    let mut calibrations = Vec::new();
    for (name, csv) in [("clean", monthly_csv(45)), ("poisoned", poisoned)] {
        let config = write_recipe_config(dir.path(), name, &csv, 6, "");
        let run = dir.path().join(format!("{name}_run"));
        let output = three_epochs(&[], &config, &run);
        assert_success(&output);
        assert!(!run.join("calibration_fit").exists(), "no second fit");
        let metrics: serde_json::Value =
            serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
        let intervals = &metrics["intervals"];
        assert_eq!(intervals["calibration"], "voices_at_rolling_origins");
        // origins over the newer half of the 39 values before the test period
        assert_eq!(intervals["model"]["conformal"]["calibration_size"], 20);
        assert!(intervals["model"]["levels"]["95"]["coverage"].is_number());
        let report = read(&run.join("report.md"));
        assert!(report.contains("its statistical voices alone"), "{report}");
        calibrations.push(read(&run.join("intervals.json")));
        // `predict` puts the same calibration around the run's forecasts
        let data = dir.path().join(format!("{name}.csv"));
        let (run_arg, data_arg) = (run.to_str().unwrap(), data.to_str().unwrap());
        assert_success(&trainer(&["predict", "--run", run_arg, "--data", data_arg]));
        let first = &forecast_rows(&run)[0];
        assert!(first[1].is_some() && first[3].is_some(), "{first:?}");
    }
    assert_eq!(
        calibrations[0], calibrations[1],
        "the test period is never read"
    );

    let config = write_recipe_config(dir.path(), "forecast", &monthly_csv(38), 6, "");
    let (run, _, stderr) = forecast_run(dir.path(), "forecast_run", &config, &[]);
    assert!(stderr.contains("(19 at the first step)"), "{stderr}");
    let first = &forecast_rows(&run)[0];
    let [forecast, lower_80, upper_80, lower_95, upper_95] =
        [0, 1, 2, 3, 4].map(|i| first[i].unwrap_or_else(|| panic!("{first:?}")));
    assert!(lower_95 <= lower_80 && lower_80 <= forecast && forecast <= upper_80);
    assert!(upper_80 <= upper_95);
}

/// A panel too short for a second fit pools its series' statistical voices' errors at rolling
/// origins instead; poisoning the test periods changes none of them.
#[test]
fn a_panel_too_short_for_a_second_fit_pools_its_voices_errors() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "series_column = \"shop\"\n";
    let clean = crate::common::two_shops_csv(45);
    // both shops' last 6 months, the test periods, a thousand times larger
    let poisoned = poisoned_from(&clean, 2 * (45 - 6));
    let mut calibrations = Vec::new();
    for (name, csv) in [("clean", clean), ("poisoned", poisoned)] {
        let config = write_recipe_config(dir.path(), name, &csv, 6, extra);
        let run = dir.path().join(format!("{name}_run"));
        assert_success(&three_epochs(&[], &config, &run));
        assert!(!run.join("calibration_fit").exists(), "no second fit");
        for shop in ["small", "large"] {
            let series = run.join("series").join(shop);
            let metrics: serde_json::Value =
                serde_json::from_str(&read(&series.join("metrics.json"))).unwrap();
            let intervals = &metrics["intervals"];
            assert_eq!(intervals["calibration"], "voices_at_rolling_origins");
            // 20 origins of each shop's 39 values before its test period, pooled
            assert_eq!(intervals["model"]["conformal"]["calibration_size"], 40);
            assert!(intervals["model"]["levels"]["95"]["coverage"].is_number());
            calibrations.push(read(&series.join("intervals.json")));
        }
    }
    assert_eq!(
        calibrations[..2],
        calibrations[2..],
        "the test periods are never read"
    );
    // its forecast: six validation origins of each shop give no 95 % interval, the voices do
    let config = dir.path().join("clean.toml");
    let (run, _, stderr) = forecast_run(dir.path(), "forecast_run", &config, &[]);
    assert!(stderr.contains("statistical voices alone"), "{stderr}");
    let rows = forecast_rows(&run);
    assert_eq!(rows.len(), 12, "six steps of each shop");
    assert!(
        rows.iter().all(|row| row[3].is_some() && row[4].is_some()),
        "{rows:?}"
    );
}

/// A panel long enough for a second fit whose windows, pooled, are still too few for its
/// narrowest interval (90 %: 9 errors; two shops of 48 months spare 3 origins each) is not
/// fitted a second time, which gave it no interval: its voices calibrate it, as one series'
/// are.
#[test]
fn a_panels_second_fit_that_would_calibrate_no_level_gives_way_to_its_voices() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "series_column = \"shop\"\n[evaluate]\nintervals = [0.9]\n";
    let csv = crate::common::two_shops_csv(48);
    let config = write_recipe_config(dir.path(), "shops", &csv, 6, extra);
    let run = dir.path().join("run");
    let output = three_epochs(&[], &config, &run);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let why = "too short for a second fit that calibrates an interval";
    assert!(stderr.contains(why), "{stderr}");
    assert!(!run.join("calibration_fit").exists(), "no second fit");
    for shop in ["small", "large"] {
        let metrics = read(&run.join("series").join(shop).join("metrics.json"));
        let metrics: serde_json::Value = serde_json::from_str(&metrics).unwrap();
        let intervals = &metrics["intervals"];
        assert_eq!(intervals["calibration"], "voices_at_rolling_origins");
        assert!(intervals["model"]["levels"]["90"]["coverage"].is_number());
    }
}

/// A panel backtest whose folds' pooled validation errors are too few for the widest level
/// calibrates each fold on every series' statistical voices' errors at origins rolling over its
/// values before the fold's test period, pooled; the values from a fold's origin on reach none
/// of its intervals.
#[test]
fn a_panel_backtest_with_too_few_validation_errors_pools_its_voices_errors() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "series_column = \"shop\"\n";
    let clean = crate::common::two_shops_csv(45);
    // two folds of 6 forecasts of 6 steps: the first fold's origin is month 28 (1992-05), both
    // shops a thousand times larger from it
    let poisoned = poisoned_from(&clean, 2 * 28);
    let mut first_folds = Vec::new();
    for (name, csv) in [("clean", clean), ("poisoned", poisoned)] {
        let config = write_recipe_config(dir.path(), name, &csv, 6, extra);
        let out = dir.path().join(format!("{name}_backtest"));
        let output = three_epochs(&["backtest", "--folds", "2", "--step", "6"], &config, &out);
        assert_success(&output);
        let metrics: serde_json::Value =
            serde_json::from_str(&read(&out.join("metrics.json"))).unwrap();
        let folds = metrics["per_fold"].as_array().unwrap();
        assert_eq!(folds[0]["series"][0]["origin_date"], "1992-05-01");
        for series in folds
            .iter()
            .flat_map(|fold| fold["series"].as_array().unwrap())
        {
            assert_eq!(series["intervals_calibration"], "voices_at_rolling_origins");
        }
        // the 95 % intervals, which two shops' one validation window each could not give
        let levels: Vec<f64> = (metrics["intervals"].as_array().unwrap().iter())
            .map(|coverage| coverage["level"].as_f64().unwrap())
            .collect();
        assert_eq!(levels, [0.8, 0.95]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("statistical voices' errors"), "{stdout}");
        // each interval's width: its forecast reads the values before its own origin, its
        // calibration nothing from the fold's first origin on
        let text = read(&out.join("backtest.csv"));
        let header = text.lines().next().unwrap();
        let lower_80 = (header.split(',').position(|name| name == "lower_80"))
            .expect("the 80 % interval's columns");
        let widths: Vec<Vec<f64>> = (text.lines())
            .filter(|line| line.starts_with("1,"))
            .map(|line| {
                let cells: Vec<f64> = (line.split(',').skip(lower_80))
                    .map(|cell| cell.parse().unwrap_or(f64::NAN))
                    .collect();
                vec![cells[1] - cells[0], cells[3] - cells[2]]
            })
            .collect();
        first_folds.push(widths);
    }
    assert_eq!(
        first_folds[0].len(),
        72,
        "six steps of six forecasts of each shop"
    );
    for (clean, poisoned) in first_folds[0].iter().zip(&first_folds[1]) {
        for (clean, poisoned) in clean.iter().zip(poisoned).filter(|(c, _)| c.is_finite()) {
            assert!(
                (clean - poisoned).abs() <= 1e-9 * clean.abs(),
                "the first fold's intervals read nothing from its origin on: {clean} vs \
                 {poisoned}"
            );
        }
    }
}

fn forecast_rows(run: &Path) -> Vec<Vec<Option<f64>>> {
    let text = read(&run.join("forecast.csv"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let columns = ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
        .map(|name| header.iter().position(|h| *h == name).unwrap());
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            columns.iter().map(|&i| cells[i].parse().ok()).collect()
        })
        .collect()
}

/// `trainer forecast COMMAND_EXTRA… --epochs 3` of `config` into `dir/name`: the run, its
/// saved `[data] valid_len` and what it printed to stderr.
fn forecast_run(dir: &Path, name: &str, config: &Path, extra: &[&str]) -> (PathBuf, i64, String) {
    let run = dir.join(name);
    let command = [&["forecast"], extra].concat();
    let output = three_epochs(&command, config, &run);
    assert_success(&output);
    let saved: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    let valid_len = saved["data"]["valid_len"].as_integer().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (run, valid_len, stderr)
}

#[test]
fn a_recipe_forecast_has_intervals_and_a_set_validation_period_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_recipe_config(dir.path(), "sales", &monthly_csv(120), 6, "");
    // the epoch is chosen on 19 origins (6 + 18 rows), enough for the 95 % interval; the refit
    // trains on every row
    let (run, valid_len, _) = forecast_run(dir.path(), "run", &config, &[]);
    assert_eq!(valid_len, 24);
    let rows = forecast_rows(&run);
    assert_eq!(rows.len(), 6);
    for row in &rows {
        let [forecast, lower_80, upper_80, lower_95, upper_95] =
            [0, 1, 2, 3, 4].map(|i| row[i].unwrap_or_else(|| panic!("{rows:?}")));
        assert!(lower_95 <= lower_80 && lower_80 <= forecast, "{rows:?}");
        assert!(forecast <= upper_80 && upper_80 <= upper_95, "{rows:?}");
    }
    // a config that sets valid_len keeps it: one origin gives no interval, and the run says why
    let kept = write_recipe_config(dir.path(), "kept", &monthly_csv(120), 6, "valid_len = 6\n");
    let (run, valid_len, stderr) = forecast_run(dir.path(), "kept_run", &kept, &[]);
    assert_eq!(valid_len, 6);
    let rows = forecast_rows(&run);
    assert!(rows.iter().all(|row| row[1].is_none() && row[3].is_none()));
    assert!(stderr.contains("valid_len = 24 would hold 19"), "{stderr}");
    // without the refit, the selection fit is the model: the recipe's validation period stays
    let (_, valid_len, _) = forecast_run(dir.path(), "no_refit", &config, &["--no-refit"]);
    assert_eq!(valid_len, 6);
}

/// A monthly series too short for 19 validation origins besides the recipe's 16 training
/// windows gets as many origins as it can spare.
#[test]
fn a_short_series_keeps_its_training_windows() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_recipe_config(dir.path(), "short", &monthly_csv(48), 6, "");
    let (run, valid_len, _) = forecast_run(dir.path(), "run", &config, &[]);
    let saved: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    let window_len = saved["data"]["window_len"].as_integer().unwrap();
    // 48 rows: windows of window_len inputs and 6 targets before the validation period; more
    // validation origins than the recipe's one, fewer than 19
    let training_windows = 48 - valid_len - window_len - 6 + 1;
    assert_eq!(
        training_windows, 16,
        "valid_len {valid_len}, window_len {window_len}"
    );
    assert!(valid_len > 6 && valid_len < 24, "{valid_len}");
}

#[test]
fn log_refuses_a_value_that_is_not_positive_naming_its_date() {
    let dir = tempfile::tempdir().unwrap();
    let csv = multiplicative_csv(120, Some(0.0));
    let config = write_recipe_config(dir.path(), "sales", &csv, 6, "log = true\n");
    let output = trainer(&["--config", config.to_str().unwrap(), "--epochs", "1"]);
    assert_clean_error(&output, &["log", "positive", "has 0 on 1990-04-01"]);
}

#[test]
fn a_panel_of_two_series_pools_a_second_fits_errors_for_its_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "series_column = \"shop\"\n";
    let config = write_recipe_config(
        dir.path(),
        "shops",
        &crate::common::two_shops_csv(120),
        6,
        extra,
    );
    let run = dir.path().join("run");
    assert_success(&three_epochs(&[], &config, &run));
    let saved: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    assert_eq!(saved["evaluate"]["calibration_fit"].as_bool(), Some(true));
    assert!(run.join("calibration_fit").join("members").is_dir());
    // 19 errors for 95 %: 10 validation windows of each series, pooled
    for shop in ["small", "large"] {
        let series = run.join("series").join(shop);
        let metrics: serde_json::Value =
            serde_json::from_str(&read(&series.join("metrics.json"))).unwrap();
        let intervals = &metrics["intervals"];
        assert_eq!(intervals["calibration"], "second_fit", "{intervals}");
        assert_eq!(intervals["model"]["conformal"]["calibration_size"], 20);
        let report = read(&series.join("report.md"));
        assert!(
            report
                .contains("every series of the panel over the validation windows of a second fit"),
            "{report}"
        );
    }
    // the panel's coverage over every step of both series, counted from their by_step.csv
    // (window, first_target_date, steps_ahead, actual, model, naive, lower_80, upper_80, …)
    let mut inside = [0, 0];
    for shop in ["small", "large"] {
        let by_step = read(&run.join("series").join(shop).join("by_step.csv"));
        for line in by_step.lines().skip(1) {
            let cells: Vec<f64> = line
                .split(',')
                .skip(3)
                .map(|c| c.parse().unwrap())
                .collect();
            for (level, lower) in [(0, 3), (1, 5)] {
                let covered = cells[lower] <= cells[0] && cells[0] <= cells[lower + 1];
                inside[level] += usize::from(covered);
            }
        }
    }
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    for (level, count) in inside.iter().enumerate() {
        let coverage = &metrics["intervals"][level];
        assert_eq!(coverage["values"], 12, "two series of 6 steps: {coverage}");
        assert_eq!(coverage["inside"], *count, "{coverage}");
    }
    let report = read(&run.join("report.md"));
    assert!(report.contains("## Prediction intervals"), "{report}");
}
