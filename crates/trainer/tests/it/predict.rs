//! `trainer predict` on a saved tiny run.

use crate::common;

use common::assert_success;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{
    assert_clean_error, config_text, read, series_csv, trainer, write_config, write_series,
};

/// Trains `config` into `dir/run`.
fn tiny_run(dir: &Path, config: &Path) -> PathBuf {
    let out = dir.join("run");
    common::train(config, &out);
    out
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `trainer predict --run RUN --data DATA` followed by `extra` arguments.
fn predict(run: &Path, data: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "predict",
        "--run",
        run.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    trainer(&args)
}

/// Runs `trainer predict` with the run, the data and the output file, asserting success.
fn predict_into(run: &Path, data: &Path, out: &Path) {
    assert_success(&predict(run, data, &["--out", out.to_str().unwrap()]));
}

/// `series_csv(rows)` without its last `drop` rows.
fn head(rows: usize, drop: usize) -> String {
    let text = series_csv(rows);
    let lines: Vec<&str> = text.lines().collect();
    lines[..lines.len() - drop].join("\n") + "\n"
}

#[test]
fn predict_reproduces_the_runs_own_test_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let config = write_config(dir.path(), &data, "");
    let run = tiny_run(dir.path(), &config);
    let predictions = read(&run.join("predictions.csv"));
    let rows: Vec<Vec<&str>> = predictions
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();

    // forecast each of the last three test days from the rows before it
    for back in 1..=3 {
        let truncated = write(dir.path(), "upto.csv", &head(80, back));
        let out = dir.path().join("forecast.csv");
        predict_into(&run, &truncated, &out);
        let forecast = read(&out);
        let line: Vec<&str> = forecast.lines().nth(1).unwrap().split(',').collect();
        let expected = &rows[rows.len() - back];
        let (ours, theirs): (f64, f64) = (line[2].parse().unwrap(), expected[2].parse().unwrap());
        // the network computes in f32, and one window and a batch of them may round apart
        assert!(
            (ours - theirs).abs() <= 1e-6 * theirs.abs(),
            "{back} back: {ours} vs {theirs}"
        );
        let naive: f64 = line[3].parse().unwrap();
        assert_eq!(
            naive,
            expected[3].parse::<f64>().unwrap(),
            "naive = last observed value"
        );
    }
    let stdout = String::from_utf8_lossy(
        &predict(&run, &write(dir.path(), "all.csv", &series_csv(80)), &[]).stdout,
    )
    .into_owned();
    assert!(
        stdout.contains("forecast") && stdout.contains("naive"),
        "{stdout}"
    );
    assert!(
        run.join("forecast.csv").exists(),
        "default output in the run directory"
    );
}

#[test]
fn a_model_with_calendar_inputs_feeds_back_its_forecasts_with_their_dates_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let text = config_text(&data, "calendar = [\"day_of_week\"]", "")
        .replace("features = [\"Open\", \"Close\"]", "features = [\"Open\"]");
    let config = write(dir.path(), "calendar.toml", &text);
    let run = tiny_run(dir.path(), &config);
    let forecast = |steps: &str, name: &str| {
        let out = dir.path().join(name);
        assert_success(&predict(
            &run,
            &data,
            &["--steps", steps, "--out", out.to_str().unwrap()],
        ));
        let text = read(&out);
        let rows: Vec<(String, f64)> = (text.lines().skip(1))
            .map(|line| {
                let cells: Vec<&str> = line.split(',').collect();
                (cells[1].to_string(), cells[2].parse().unwrap())
            })
            .collect();
        rows
    };
    let one = forecast("1", "one.csv");
    let four = forecast("4", "four.csv");
    assert_eq!(four.len(), 4);
    // the first step is the model's own; the later ones are dated on
    assert_eq!(four[0], one[0]);
    assert!(four.windows(2).all(|d| d[0].0 < d[1].0), "{four:?}");
    assert!(four.iter().all(|(_, value)| value.is_finite()));
    // with an input not known ahead, the horizon's steps still come, and no more
    let text = config_text(&data, "calendar = [\"day_of_week\"]", "");
    let config = write(dir.path(), "both.toml", &text);
    let out = dir.path().join("both");
    common::train(&config, &out);
    assert_success(&predict(&out, &data, &[]));
    let output = predict(&out, &data, &["--steps", "2"]);
    assert_clean_error(
        &output,
        &["Open, Close and the calendar features day_of_week"],
    );
}

#[test]
fn univariate_models_forecast_several_days_by_feeding_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let config = write(
        dir.path(),
        "uni.toml",
        &config_text(&data, "", "")
            .replace("features = [\"Open\", \"Close\"]", "features = [\"Open\"]"),
    );
    let run = tiny_run(dir.path(), &config);
    let out = dir.path().join("f.csv");
    let output = predict(
        &run,
        &data,
        &["--steps", "4", "--out", out.to_str().unwrap()],
    );
    assert_success(&output);
    let forecast = read(&out);
    let dates: Vec<&str> = forecast
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(dates.len(), 4);
    assert!(dates.windows(2).all(|d| d[0] < d[1]), "{dates:?}");
}

#[test]
fn predict_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let config = write_config(dir.path(), &data, "");
    let run = tiny_run(dir.path(), &config);

    // a CSV without a column the model reads
    let open_only: String = series_csv(30)
        .lines()
        .map(|line| line.split(',').take(2).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let no_close = write(dir.path(), "open-only.csv", &open_only);
    let output = predict(&run, &no_close, &[]);
    assert_clean_error(&output, &["open-only.csv", "no column 'Close'"]);

    // fewer rows than one window (window_len = 4)
    let short = write(dir.path(), "short.csv", &series_csv(3));
    let output = predict(&run, &short, &[]);
    assert_clean_error(&output, &["short.csv", "3 usable rows", "last 4 rows"]);

    // more steps than a multivariate model can make
    let output = predict(&run, &data, &["--steps", "3"]);
    assert_clean_error(
        &output,
        &[
            "--steps 3",
            "target and calendar features",
            "[data] horizon = 3",
        ],
    );

    // a model file from an incompatible config
    let saved = read(&run.join("config.toml"));
    std::fs::write(
        run.join("config.toml"),
        saved.replace("hidden_size = 8", "hidden_size = 16"),
    )
    .unwrap();
    let output = predict(&run, &data, &[]);
    assert_clean_error(&output, &["model.bpk", "does not fit", "config.toml"]);

    // a config edited by hand into an invalid one is refused with the key named
    std::fs::write(
        run.join("config.toml"),
        saved.replace("hidden_size = 8", "hidden_size = 0"),
    )
    .unwrap();
    let output = predict(&run, &data, &[]);
    assert_clean_error(&output, &["config.toml", "hidden_size"]);

    // not a run at all
    let output = predict(dir.path(), &data, &[]);
    assert_clean_error(&output, &["is not a run directory"]);
}

#[test]
fn predict_reproduces_every_step_of_multi_step_runs() {
    for (strategy, features) in [
        ("seq2seq", r#"["Close", "Open"]"#),
        ("recursive", r#"["Open"]"#),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let data = write_series(dir.path(), 80);
        let text = config_text(&data, "horizon = 3", "")
            .replace(
                r#"features = ["Open", "Close"]"#,
                &format!("features = {features}"),
            )
            .replace(
                "head = [4]",
                &format!("head = [4]\nstrategy = \"{strategy}\""),
            );
        let config = write(dir.path(), "multi.toml", &text);
        let run = tiny_run(dir.path(), &config);
        let by_step = read(&run.join("by_step.csv"));
        // the last test window's three forecasts (window, date, step, actual, model, naive)
        let lines: Vec<&str> = by_step.lines().collect();
        let expected: Vec<f64> = lines[lines.len() - 3..]
            .iter()
            .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
            .collect();

        // the rows up to that window's last observed day
        let truncated = write(dir.path(), "upto.csv", &head(80, 3));
        let out = dir.path().join("forecast.csv");
        predict_into(&run, &truncated, &out);
        let forecast: Vec<f64> = read(&out)
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
            .collect();
        assert_eq!(
            forecast.len(),
            3,
            "{strategy}: --steps defaults to the horizon"
        );
        for (ours, theirs) in forecast.iter().zip(&expected) {
            assert!(
                (ours - theirs).abs() <= 1e-6 * theirs.abs(),
                "{strategy}: {forecast:?} vs {expected:?}"
            );
        }
    }
}

#[test]
fn predict_dates_its_forecasts_in_the_series_frequency() {
    // the same values on the first of every month, and on business days
    let dir = tempfile::tempdir().unwrap();
    let daily = series_csv(80);
    let start = yoho_data::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let business = yoho_data::Frequency::BusinessDaily;
    let mut business_day =
        yoho_data::Timestamp::from_date(yoho_data::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
    let first_hour = start.and_hms_opt(0, 0, 0).unwrap();
    for (name, date_of, expected) in [
        (
            "monthly.csv",
            Box::new(|row: usize| {
                start
                    .checked_add_months(chrono::Months::new(row as u32))
                    .unwrap()
                    .to_string()
            }) as Box<dyn FnMut(usize) -> String>,
            "2006-09-01",
        ),
        (
            "business.csv",
            Box::new(move |row: usize| {
                if row > 0 {
                    business_day = business.next(business_day).unwrap();
                }
                business_day.to_string()
            }),
            // 80 business days from Monday 2024-01-01 end on Friday 2024-04-19
            "2024-04-22",
        ),
        (
            "hourly.csv",
            Box::new(move |row: usize| {
                (first_hour + chrono::Duration::hours(row as i64))
                    .format("%Y-%m-%dT%H:%M")
                    .to_string()
            }),
            // 80 hours from 2000-01-01 00:00 end at 2000-01-04 07:00
            "2000-01-04 08:00:00",
        ),
    ] {
        let mut date_of = date_of;
        let text: String = daily
            .lines()
            .enumerate()
            .map(|(index, line)| match index {
                0 => format!("{line}\n"),
                row => {
                    let (_, rest) = line.split_once(',').unwrap();
                    format!("{},{rest}\n", date_of(row - 1))
                }
            })
            .collect();
        let data = write(dir.path(), name, &text);
        let config = write(
            dir.path(),
            &format!("{name}.toml"),
            &config_text(&data, "", ""),
        );
        let run = dir.path().join(format!("run-{name}"));
        common::train(&config, &run);
        let output = predict(&run, &data, &[]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let forecast = read(&run.join("forecast.csv"));
        let first_date = forecast
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .nth(1)
            .unwrap()
            .to_string();
        assert_eq!(first_date, expected, "{name}");
        let metrics: serde_json::Value =
            serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
        let frequency = match name {
            "monthly.csv" => "monthly",
            "hourly.csv" => "hourly",
            _ => "business-daily",
        };
        assert_eq!(metrics["data"]["frequency"], frequency);
    }
}
