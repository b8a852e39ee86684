//! `trainer forecast`: the production fit on the whole series and the forecast after its end.

use std::path::{Path, PathBuf};

use crate::common::{assert_clean_error, assert_success, forecast, read, series_csv};

/// A tiny three-step experiment on `data`: its newest 12 rows choose the epoch, and the third
/// (last) epoch is always the one kept, so that the two fits below differ only in their data.
fn write_config(dir: &Path, data: &Path, extra: &str) -> PathBuf {
    let path = dir.join("forecast.toml");
    let text = format!(
        r#"
[data]
path = "{}"
features = ["Open", "Close"]
target = "Open"
scaling = "standard"
window_len = 4
horizon = 3
test_len = 3
valid_len = 12
{extra}

[model]
hidden_size = 8
head = [4]

[train]
epochs = 3
batch_size = 16
seed = 7
lr = 0.01
restore_best = false
"#,
        data.display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// `series_csv(rows)` with the Open and Close of its last row multiplied by `factor`.
fn series_with_last_row_scaled(rows: usize, factor: f64) -> String {
    let text = series_csv(rows);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let last = lines.pop().unwrap();
    let cells: Vec<&str> = last.split(',').collect();
    let scaled = |cell: &str| cell.parse::<f64>().unwrap() * factor;
    lines.push(format!(
        "{},{:.2},{:.2}",
        cells[0],
        scaled(cells[1]),
        scaled(cells[2])
    ));
    lines.join("\n") + "\n"
}

/// Fits on `series` (written into `dir`) and returns the run directory.
fn fitted(dir: &Path, name: &str, series: &str, extra: &[&str]) -> PathBuf {
    let data = dir.join(format!("{name}.csv"));
    std::fs::write(&data, series).unwrap();
    let config = write_config(dir, &data, "");
    let out = dir.join(name);
    assert_success(&forecast(&config, &out, extra));
    out
}

/// The forecast column of a run's `forecast.csv`.
fn forecasts(run: &Path) -> Vec<String> {
    forecasts_in(&run.join("forecast.csv"))
}

/// The forecast column of a forecast file.
fn forecasts_in(file: &Path) -> Vec<String> {
    read(file)
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(2).unwrap().to_string())
        .collect()
}

#[test]
fn forecast_dates_the_steps_after_the_last_row() {
    let dir = tempfile::tempdir().unwrap();
    let run = fitted(dir.path(), "run", &series_csv(80), &[]);
    // 80 days from 2020-01-01: the last row is 2020-03-20
    let text = read(&run.join("forecast.csv"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "step,date,forecast,naive,lower_80,upper_80,lower_95,upper_95"
    );
    let dates: Vec<&str> = lines[1..]
        .iter()
        .map(|line| line.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(dates, ["2020-03-21", "2020-03-22", "2020-03-23"]);
    // 10 validation windows calibrate the 80 % interval (95 % needs 19 errors)
    for line in &lines[1..] {
        let cells: Vec<&str> = line.split(',').collect();
        let (forecast, lower, upper): (f64, f64, f64) = (
            cells[2].parse().unwrap(),
            cells[4].parse().unwrap(),
            cells[5].parse().unwrap(),
        );
        assert!(lower <= forecast && forecast <= upper, "{line}");
        assert_eq!(cells[6..], ["", ""], "{line}");
    }
    for file in [
        "forecast.png",
        "model.bpk",
        "scaler.json",
        "intervals.json",
        "loss.csv",
    ] {
        assert!(run.join(file).is_file(), "no {file}");
    }
    // the run is one `predict` loads: the same forecast from the same data
    let again = dir.path().join("again.csv");
    let output = crate::common::predict_to(&run, &dir.path().join("run.csv"), &again);
    assert_success(&output);
    assert_eq!(read(&again), text);
}

/// What the run in `run` forecasts from `data` (`trainer predict`; the point forecasts, not the
/// intervals, which the validation errors calibrate): the same input for every run, so that two
/// runs' answers differ only where their fits do.
fn predicted(run: &Path, data: &Path) -> Vec<String> {
    let out = run.join("same-input.csv");
    assert_success(&crate::common::predict_to(run, data, &out));
    forecasts_in(&out)
}

#[test]
fn the_refit_trains_on_the_last_value() {
    let dir = tempfile::tempdir().unwrap();
    let plain = fitted(dir.path(), "plain", &series_csv(80), &[]);
    let changed = series_with_last_row_scaled(80, 1.2);
    let last_changed = fitted(dir.path(), "last-changed", &changed, &[]);
    // only the last value differs: the forecast differs, and so does the fit itself (the same
    // input gives another forecast)
    assert_ne!(forecasts(&plain), forecasts(&last_changed));
    let input = dir.path().join("plain.csv");
    assert_ne!(predicted(&plain, &input), predicted(&last_changed, &input));
    // without the refit the last value is a validation target only, never a training one (and
    // the kept epoch is the last in both): the same fit
    let plain = fitted(
        dir.path(),
        "plain-no-refit",
        &series_csv(80),
        &["--no-refit"],
    );
    let last_changed = fitted(dir.path(), "changed-no-refit", &changed, &["--no-refit"]);
    assert_eq!(predicted(&plain, &input), predicted(&last_changed, &input));
}

#[test]
fn an_ensemble_says_each_network_refits_for_the_median_kept_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("series.csv");
    std::fs::write(&data, series_csv(80)).unwrap();
    let config = write_config(dir.path(), &data, "");
    let text = read(&config).replace("seed = 7", "seed = 7\nensemble = 3");
    std::fs::write(&config, text).unwrap();
    let output = forecast(&config, &dir.path().join("run"), &[]);
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with(
            "3 networks, each stopped and kept on its own: trained 3, 3, 3 epochs, kept epochs \
             3, 3, 3; median kept epoch 3, then each network refit on every row for 3 epoch(s)"
        ),
        "{last}"
    );
}

#[test]
fn forecast_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("short.csv");
    std::fs::write(&data, series_csv(15)).unwrap();
    let config = write_config(dir.path(), &data, "");
    let output = forecast(&config, &dir.path().join("short"), &[]);
    assert_clean_error(&output, &["short.csv", "rows"]);
    assert!(!dir.path().join("short").exists());
}
