//! Bad input: each case runs the `trainer` binary and expects exit code 1, a message naming the
//! file and the row, column or key with what was expected, and no panic.

use crate::common;

use std::path::{Path, PathBuf};

use common::{
    assert_clean_error, config_text, read, series_csv, trainer, write_config, write_series,
};

/// Writes `csv` as the data file and a tiny config over it; runs the trainer.
fn run_on_csv(dir: &Path, csv: &str) -> std::process::Output {
    let data = dir.join("data.csv");
    std::fs::write(&data, csv).unwrap();
    let config = write_config(dir, &data, "");
    trainer(&[
        "--config",
        config.to_str().unwrap(),
        "--out",
        dir.join("run").to_str().unwrap(),
    ])
}

/// The tiny series with one cell of row `row` (1-based, header = 1) in column Open replaced.
fn with_open_cell(row: usize, cell: &str) -> String {
    let mut lines: Vec<String> = series_csv(60).lines().map(str::to_string).collect();
    let mut cells: Vec<&str> = lines[row - 1].split(',').collect();
    cells[1] = cell;
    lines[row - 1] = cells.join(",");
    lines.join("\n") + "\n"
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn missing_file() {
    let dir = tempdir();
    let missing = dir.path().join("nowhere.csv");
    let config = write_config(dir.path(), &missing, "");
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["nowhere.csv", "cannot read"]);
    // the system's reason is written once, not again as the error's cause
    let stderr = String::from_utf8_lossy(&output.stderr);
    let error = stderr
        .lines()
        .find(|line| line.starts_with("error:"))
        .unwrap();
    let reason = error.rsplit(": ").next().unwrap();
    assert_eq!(error.matches(reason).count(), 1, "{error}");
}

#[test]
fn missing_config_file() {
    let output = trainer(&["--config", "/no/such/config.toml"]);
    assert_clean_error(&output, &["/no/such/config.toml"]);
}

#[test]
fn empty_file() {
    let dir = tempdir();
    assert_clean_error(&run_on_csv(dir.path(), ""), &["data.csv", "is empty"]);
}

#[test]
fn header_only() {
    let dir = tempdir();
    assert_clean_error(
        &run_on_csv(dir.path(), "Date,Open,Close\n"),
        &["data.csv", "no data rows"],
    );
}

#[test]
fn absent_column_lists_the_columns() {
    let dir = tempdir();
    let csv = series_csv(60).replace("Date,Open,Close", "Date,Opening,Close");
    assert_clean_error(
        &run_on_csv(dir.path(), &csv),
        &["data.csv", "no column 'Open'", "Date, Opening, Close"],
    );
}

#[test]
fn non_numeric_cell() {
    let dir = tempdir();
    let output = run_on_csv(dir.path(), &with_open_cell(7, "n/a"));
    assert_clean_error(
        &output,
        &[
            "data.csv",
            "row 7",
            "'Open'",
            "'n/a'",
            "not a finite number",
        ],
    );
}

#[test]
fn empty_cell() {
    let dir = tempdir();
    let output = run_on_csv(dir.path(), &with_open_cell(9, ""));
    assert_clean_error(
        &output,
        &["data.csv", "row 9", "'Open'", "empty", "drop_missing"],
    );
}

#[test]
fn nan_and_infinite_cells() {
    for cell in ["NaN", "inf", "-Infinity"] {
        let dir = tempdir();
        let output = run_on_csv(dir.path(), &with_open_cell(5, cell));
        assert_clean_error(&output, &["data.csv", "row 5", "'Open'", cell]);
    }
}

#[test]
fn duplicate_dates() {
    let dir = tempdir();
    let mut lines: Vec<String> = series_csv(60).lines().map(str::to_string).collect();
    let date = lines[3].split(',').next().unwrap().to_string();
    lines[10] = lines[10].replacen(lines[10].split(',').next().unwrap(), &date, 1);
    let output = run_on_csv(dir.path(), &(lines.join("\n") + "\n"));
    assert_clean_error(&output, &["data.csv", "rows 4 and 11", &date]);
}

#[test]
fn unparsable_date() {
    let dir = tempdir();
    let mut lines: Vec<String> = series_csv(60).lines().map(str::to_string).collect();
    lines[6] = lines[6].replacen(lines[6].split(',').next().unwrap(), "31.12.2020", 1);
    let output = run_on_csv(dir.path(), &(lines.join("\n") + "\n"));
    assert_clean_error(
        &output,
        &["data.csv", "row 7", "'Date'", "'31.12.2020'", "YYYY-MM-DD"],
    );
}

#[test]
fn unsorted_dates_are_sorted_with_a_note() {
    let dir = tempdir();
    let text = series_csv(60);
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    let output = run_on_csv(dir.path(), &(lines.join("\n") + "\n"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("sorted by date"), "{stderr}");
    let predictions = read(&dir.path().join("run/predictions.csv"));
    let dates: Vec<&str> = predictions
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(dates.windows(2).all(|d| d[0] < d[1]));
}

#[test]
fn too_few_rows_says_how_many_are_needed() {
    let dir = tempdir();
    // window 4 + 1 training target + 5 validation + 10 test = 20 rows
    let output = run_on_csv(dir.path(), &series_csv(19));
    assert_clean_error(
        &output,
        &["data.csv", "has 19 usable rows", "at least 20 rows"],
    );
    assert!(
        !dir.path().join("run").exists(),
        "no run directory for a failed start"
    );
}

#[test]
fn a_constant_series_or_feature_is_named_with_what_to_do() {
    let dir = tempdir();
    // Open the same every day (Close still moves)
    let flat: String = (series_csv(60).lines().enumerate())
        .map(|(row, line)| match row {
            0 => format!("{line}\n"),
            _ => {
                let cells: Vec<&str> = line.split(',').collect();
                format!("{},7,{}\n", cells[0], cells[2])
            }
        })
        .collect();
    let output = run_on_csv(dir.path(), &flat);
    assert_clean_error(
        &output,
        &[
            "data.csv: cannot scale column 'Open'",
            "constant",
            "naive forecast",
        ],
    );
    assert!(!dir.path().join("run").exists());
    // a constant input column is not the target: drop it
    let swapped = flat.replace("Date,Open,Close", "Date,Close,Open");
    let output = run_on_csv(dir.path(), &swapped);
    assert_clean_error(
        &output,
        &["column 'Close'", "remove it from [data] features"],
    );
    // `trainer forecast` of the recipe says the same, not that the series is too short
    let data = dir.path().join("data.csv");
    std::fs::write(&data, &flat).unwrap();
    let config = dir.path().join("recipe.toml");
    let text = format!(
        "[data]\npath = {:?}\ntarget = \"Open\"\n",
        data.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("forecast");
    let output = common::forecast(&config, &out, &[]);
    assert_clean_error(
        &output,
        &[
            "recipe.toml",
            "data.csv: cannot scale column 'Open'",
            "constant",
        ],
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("too short"));
    assert!(!out.exists());
}

#[test]
fn zero_window_len() {
    let dir = tempdir();
    let data = write_series(dir.path(), 60);
    let config = dir.path().join("zero.toml");
    std::fs::write(
        &config,
        config_text(&data, "", "").replace("window_len = 4", "window_len = 0"),
    )
    .unwrap();
    assert_clean_error(
        &trainer(&["--config", config.to_str().unwrap()]),
        &["window_len", "at least 1"],
    );
}

#[test]
fn test_len_larger_than_the_windows() {
    let dir = tempdir();
    let data = write_series(dir.path(), 60);
    let config = dir.path().join("long.toml");
    std::fs::write(
        &config,
        config_text(&data, "", "").replace("test_len = 10", "test_len = 500"),
    )
    .unwrap();
    assert_clean_error(
        &trainer(&["--config", config.to_str().unwrap()]),
        &["series.csv", "test_len = 500", "at least"],
    );
}

#[test]
fn unknown_key_suggests_the_nearest() {
    let dir = tempdir();
    let data = write_series(dir.path(), 60);
    let config = write_config(dir.path(), &data, "learning_rate = 0.1\nepoch = 3");
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["tiny.toml", "unknown field", "did you mean"]);
}

#[test]
fn wrong_type() {
    let dir = tempdir();
    let data = write_series(dir.path(), 60);
    let config = dir.path().join("typed.toml");
    std::fs::write(
        &config,
        config_text(&data, "", "").replace("hidden_size = 8", "hidden_size = \"eight\""),
    )
    .unwrap();
    assert_clean_error(
        &trainer(&["--config", config.to_str().unwrap()]),
        &["typed.toml", "hidden_size"],
    );
}

#[test]
fn zero_or_negative_learning_rate() {
    for lr in ["0.0", "-0.01"] {
        let dir = tempdir();
        let data = write_series(dir.path(), 60);
        let config = dir.path().join("lr.toml");
        std::fs::write(
            &config,
            config_text(&data, "", "").replace("lr = 0.01", &format!("lr = {lr}")),
        )
        .unwrap();
        assert_clean_error(
            &trainer(&["--config", config.to_str().unwrap()]),
            &["lr.toml", "[train] lr", "> 0"],
        );
    }
}

#[test]
fn zero_epochs() {
    let dir = tempdir();
    let data = write_series(dir.path(), 60);
    let config = dir.path().join("epochs.toml");
    std::fs::write(
        &config,
        config_text(&data, "", "").replace("epochs = 3", "epochs = 0"),
    )
    .unwrap();
    assert_clean_error(
        &trainer(&["--config", config.to_str().unwrap()]),
        &["epochs.toml", "[train] epochs"],
    );
    let config = write_config(dir.path(), &data, "");
    assert_clean_error(
        &trainer(&["--config", config.to_str().unwrap(), "--epochs", "0"]),
        &["[train] epochs"],
    );
}

#[test]
fn output_directory_that_cannot_be_created() {
    let dir = tempdir();
    let data = write_series(dir.path(), 60);
    let config = write_config(dir.path(), &data, "");
    let blocker: PathBuf = dir.path().join("a-file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let out = blocker.join("run");
    let output = trainer(&[
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_clean_error(&output, &["cannot create the run directory", "a-file/run"]);
}

#[test]
fn resume_of_a_directory_that_is_not_a_run() {
    let dir = tempdir();
    let output = trainer(&["--resume", dir.path().to_str().unwrap()]);
    assert_clean_error(&output, &["is not a run directory", "config.toml"]);
}

#[test]
#[cfg(not(feature = "wgpu"))]
fn asking_for_a_gpu_in_a_cpu_build() {
    let dir = tempdir();
    let data = write_series(dir.path(), 60);
    let config = write_config(dir.path(), &data, "");
    let out = dir.path().join("run");
    let output = trainer(&[
        "--config",
        config.to_str().unwrap(),
        "--device",
        "gpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_clean_error(&output, &["--device gpu", "--features wgpu"]);
    assert!(
        !out.exists(),
        "no run directory is written for a run that cannot start"
    );
}

/// A series of values near 1e300 or 1e-300 (squares overflow or underflow f64): the run ends,
/// with a run or a clear error, never a hang (plotters' tick search looped forever on the
/// infinite forecasts the overflowing spread gave). A watchdog kills a run that hangs.
#[test]
fn extreme_magnitudes_end() {
    for magnitude in [1e300, 1e-300] {
        let dir = tempdir();
        let mut csv = String::from("Date,Open\n");
        let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        for i in 0..120u64 {
            let value = (1.0 + 0.1 * (i as f64 / 5.0).sin() + 0.001 * i as f64) * magnitude;
            csv += &format!("{},{value:e}\n", start + chrono::Days::new(i));
        }
        let data = dir.path().join("extreme.csv");
        std::fs::write(&data, csv).unwrap();
        let config = dir.path().join("extreme.toml");
        std::fs::write(
            &config,
            format!(
                "[data]\npath = \"{}\"\nfeatures = [\"Open\"]\ntarget = \"Open\"\nwindow_len = 5\n\
                 test_len = 20\nvalid_len = 20\n\n[model]\nhidden_size = 4\n\n[train]\nepochs = 2\n",
                data.display()
            ),
        )
        .unwrap();
        let out = dir.path().join("run");
        let mut child = common::trainer_command(&[
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                panic!("values near {magnitude:e}: the run did not end within 120 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
        assert!(!stderr.contains("panicked"), "{magnitude:e}: {stderr}");
        match status.success() {
            true => {
                let metrics = read(&out.join("metrics.json"));
                assert!(metrics.contains("\"model\""), "{magnitude:e}: {metrics}");
            }
            false => assert_eq!(status.code(), Some(1), "{magnitude:e}: {stderr}"),
        }
    }
}

#[test]
fn a_search_whose_every_trial_fails_says_why_and_keeps_the_trials_table() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let config = dir.path().join("factor.toml");
    let text = format!(
        "[data]\npath = \"{}\"\ntarget = \"Open\"\nscaling = \"factor\"\nwindow_len = 4\n\
         test_len = 5\nvalid_len = 10\n\n[train]\nepochs = 1\n",
        data.display()
    );
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("tuned");
    let (config, out_arg) = (config.to_str().unwrap(), out.to_str().unwrap());
    let args = [
        "tune", "--config", config, "--trials", "2", "--out", out_arg,
    ];
    let output = trainer(&args);
    assert_clean_error(
        &output,
        &["every trial failed", "needs scale_factor", "trials.csv"],
    );
    let trials = read(&out.join("trials.csv"));
    // the header, the config as given and the two drawn trials
    assert_eq!(trials.lines().count(), 4, "{trials}");
    assert!(trials.contains("needs scale_factor"), "{trials}");
}
