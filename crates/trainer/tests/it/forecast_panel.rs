//! `trainer forecast` of a panel: one model fitted on every series of a long file, each series
//! forecast after its own last row, with intervals its series calibrate together.

use std::path::{Path, PathBuf};

use crate::common::{assert_clean_error, assert_success, predict_to, read, trainer};

/// Rows per series: eight years of months.
const MONTHS: usize = 96;

/// Two monthly series of eight years in one long file: "old" from 1960 around 100, "new" from
/// 2000 around 10,000, each a yearly cycle on a trend with some irregular wiggle; the last
/// value of "new" multiplied by `last_factor`.
fn write_panel(path: &Path, last_factor: f64) {
    let mut text = String::from("month,shop,sales\n");
    for (name, first_year, level, amplitude) in
        [("old", 1960, 100.0, 10.0), ("new", 2000, 10_000.0, 2_000.0)]
    {
        for i in 0..MONTHS {
            let season = (i as f64 * std::f64::consts::PI / 6.0).sin();
            let wiggle = (i as f64 * 1.7).sin() * amplitude / 5.0;
            let mut value = level * (1.0 + i as f64 / 200.0) + amplitude * season + wiggle;
            if name == "new" && i == MONTHS - 1 {
                value *= last_factor;
            }
            let date = format!("{}-{:02}-01", first_year + i / 12, 1 + i % 12);
            text += &format!("{date},{name},{value:.3}\n");
        }
    }
    std::fs::write(path, text).unwrap();
}

/// A config of only the panel's data: the default recipe chooses the rest.
fn write_config(dir: &Path, data: &Path) -> PathBuf {
    let config = dir.join("shops.toml");
    let text = format!(
        "[data]\npath = {:?}\ndate_column = \"month\"\nseries_column = \"shop\"\n\
         target = \"sales\"\nhorizon = 6\n",
        data.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    config
}

/// Fits the panel in `dir/<name>.csv` (the last value of "new" times `last_factor`) with three
/// epochs; the run directory.
fn fitted(dir: &Path, name: &str, last_factor: f64) -> PathBuf {
    let data = dir.join(format!("{name}.csv"));
    write_panel(&data, last_factor);
    let config = write_config(dir, &data);
    let run = dir.join(name);
    assert_success(&forecast(&config, &run, 3));
    run
}

/// `trainer forecast --config CONFIG --epochs EPOCHS --out RUN`.
fn forecast(config: &Path, run: &Path, epochs: usize) -> std::process::Output {
    let epochs = epochs.to_string();
    trainer(&[
        "forecast",
        "--config",
        config.to_str().unwrap(),
        "--epochs",
        &epochs,
        "--out",
        run.to_str().unwrap(),
    ])
}

/// The rows of `forecast.csv` of `series`, split into cells.
fn rows_of(text: &str, series: &str) -> Vec<Vec<f64>> {
    (text.lines().skip(1))
        .filter(|line| line.starts_with(&format!("{series},")))
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            // step, date, forecast, naive, lower_80, upper_80, lower_95, upper_95
            [&cells[3..4], &cells[5..]]
                .concat()
                .iter()
                .map(|cell| cell.parse().unwrap())
                .collect()
        })
        .collect()
}

/// The in-sample MAE of the seasonal naive forecast (period 12) over `values`.
fn seasonal_naive_mae(values: &[f64]) -> f64 {
    let diffs: Vec<f64> = (12..values.len())
        .map(|t| (values[t] - values[t - 12]).abs())
        .collect();
    diffs.iter().sum::<f64>() / diffs.len() as f64
}

/// `series`' values in the panel file at `data`, oldest first.
fn values_of(data: &Path, series: &str) -> Vec<f64> {
    (read(data).lines())
        .filter(|line| line.contains(&format!(",{series},")))
        .map(|line| line.rsplit(',').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn each_series_is_forecast_after_its_own_end_with_intervals_calibrated_together() {
    let dir = tempfile::tempdir().unwrap();
    let run = fitted(dir.path(), "shops", 1.0);
    let text = read(&run.join("forecast.csv"));
    assert!(
        text.starts_with("series,step,date,forecast,naive,lower_80,upper_80,lower_95,upper_95\n"),
        "{text}"
    );
    // each series after its own last month, decades apart
    let dates = |series: &str| -> Vec<String> {
        (text.lines())
            .filter(|line| line.starts_with(&format!("{series},")))
            .map(|line| line.split(',').nth(2).unwrap().to_string())
            .collect()
    };
    assert_eq!(dates("old")[0], "1968-01-01");
    assert_eq!(dates("new")[5], "2008-06-01");
    // the recipe's validation period was lengthened for the 95 % interval: 19 errors pooled
    // from two series need 10 windows each, 6 + 9 rows
    let config: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    let valid_len = config["data"]["valid_len"].as_integer().unwrap() as usize;
    assert_eq!(valid_len, 15);
    let (old, new) = (rows_of(&text, "old"), rows_of(&text, "new"));
    assert_eq!((old.len(), new.len()), (6, 6), "{text}");
    for row in old.iter().chain(&new) {
        let [forecast, lower_80, upper_80, lower_95, upper_95] = row[..] else {
            panic!("{row:?}");
        };
        assert!(lower_95 <= lower_80 && lower_80 <= forecast, "{row:?}");
        assert!(forecast <= upper_80 && upper_80 <= upper_95, "{row:?}");
    }
    // one pooled calibration, each series' half-widths in its own scale: their ratio is the
    // ratio of the series' seasonal naive MAEs over the rows before the validation period
    let data = dir.path().join("shops.csv");
    let scale = |series: &str| {
        let values = values_of(&data, series);
        seasonal_naive_mae(&values[..MONTHS - valid_len])
    };
    let ratio = scale("new") / scale("old");
    assert!(ratio > 50.0, "{ratio}");
    for (old, new) in old.iter().zip(&new) {
        for (level, upper) in [(80, 2), (95, 4)] {
            let half_width = |row: &[f64]| row[upper] - row[0];
            let got = half_width(new) / half_width(old);
            assert!(
                (got - ratio).abs() <= 1e-6 * ratio,
                "{level} %: {got} against {ratio}"
            );
        }
    }
    for series in ["old", "new"] {
        for file in [
            "scaler.json",
            "intervals.json",
            "forecast.csv",
            "forecast.png",
        ] {
            let path = run.join("series").join(series).join(file);
            assert!(path.is_file(), "no {}", path.display());
        }
    }
    // the run is one `predict` loads: the same forecasts from the same file
    let again = dir.path().join("again.csv");
    assert_success(&predict_to(&run, &data, &again));
    assert_eq!(read(&again), text);
}

#[test]
fn a_panels_refit_trains_on_each_series_last_value() {
    let dir = tempfile::tempdir().unwrap();
    let plain = fitted(dir.path(), "plain", 1.0);
    let changed = fitted(dir.path(), "changed", 1.2);
    // only the last value of "new" differs, a validation target of the fit that chose the
    // epoch: the refit trained on it, so the same input gets another forecast
    let input = dir.path().join("plain.csv");
    let predicted = |run: &Path, series: &str| -> Vec<f64> {
        let out = run.join("same-input.csv");
        assert_success(&predict_to(run, &input, &out));
        rows_of(&read(&out), series)
            .iter()
            .map(|row| row[0])
            .collect()
    };
    assert_ne!(predicted(&plain, "new"), predicted(&changed, "new"));
}

#[test]
fn a_large_panel_prints_five_series_and_writes_every_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("month,shop,sales\n");
    // seven shops, and an eighth whose sales never change, which the networks' fit leaves out
    for shop in 0..8 {
        for i in 0..60usize {
            let season = (i as f64 * std::f64::consts::PI / 6.0).sin();
            let value = match shop {
                7 => 50.0,
                _ => 100.0 * (shop + 1) as f64 + i as f64 + 10.0 * season,
            };
            text += &format!(
                "{}-{:02}-01,s{shop},{value:.3}\n",
                2000 + i / 12,
                1 + i % 12
            );
        }
    }
    let data = dir.path().join("shops.csv");
    std::fs::write(&data, text).unwrap();
    let config = write_config(dir.path(), &data);
    let run = dir.path().join("run");
    let output = forecast(&config, &run, 2);
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("series s4:") && !stdout.contains("series s5:"),
        "{stdout}"
    );
    assert!(stdout.contains("… and 3 more series"), "{stdout}");
    // the constant shop, left out of the networks, is forecast by the statistical voices
    let written = read(&run.join("forecast.csv"));
    assert_eq!(written.lines().count(), 1 + 8 * 6);
    let constant = (written.lines()).filter(|line| line.starts_with("s7,"));
    assert!(
        constant.clone().count() == 6
            && constant
                .map(|line| line.split(',').nth(3).unwrap())
                .all(|f| f == "50"),
        "{written}"
    );
    // the run remembers what it left out, and predict on the same file forecasts it again
    assert!(read(&run.join("left_out.json")).contains("\"s7\""));
    let again = dir.path().join("again.csv");
    assert_success(&predict_to(&run, &data, &again));
    assert_eq!(read(&again), read(&run.join("forecast.csv")));
}

#[test]
fn a_panel_forecast_names_what_is_wrong_before_writing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shops.csv");
    write_panel(&data, 1.0);
    let config = write_config(dir.path(), &data);
    let text = read(&config).replace("series_column = \"shop\"", "series_column = \"store\"");
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("run");
    let output = trainer(&[
        "forecast",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_clean_error(&output, &["store"]);
    assert!(!out.exists());
}
