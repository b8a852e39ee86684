//! Nothing from the test period reaches training, validation, the choice of the kept epoch, the
//! interval calibration (a second fit's too) or a search: a run whose every value from the
//! first test target on is poisoned trains exactly as the clean run does (with a horizon of 3,
//! where a validation window counted in windows used to reach into the test period).

use std::path::{Path, PathBuf};

use crate::common::{read, train};

const ROWS: usize = 120;
const TEST_LEN: usize = 6;

/// One series (or, with `tickers`, a long-format panel of them on the same dates); every value
/// from row `poison_from` on multiplied by 1,000.
pub(crate) fn write_data(dir: &Path, tickers: &[&str], poison_from: Option<usize>) -> PathBuf {
    let poisoned = poison_from.is_some();
    let mut text = match tickers.is_empty() {
        true => String::from("Date,Open,Close\n"),
        false => String::from("Date,ticker,Open,Close\n"),
    };
    let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    for i in 0..ROWS {
        let date = start + chrono::Days::new(i as u64);
        let poison = match poison_from.is_some_and(|row| i >= row) {
            true => 1000.0,
            false => 1.0,
        };
        let value = |level: f64| (level + 30.0 * (i as f64 / 5.0).sin() + i as f64) * poison;
        match tickers {
            [] => text += &format!("{date},{:.4},{:.4}\n", value(1000.0), value(1001.0)),
            _ => {
                for (k, ticker) in tickers.iter().enumerate() {
                    let level = 1000.0 * (k + 1) as f64;
                    text += &format!(
                        "{date},{ticker},{:.4},{:.4}\n",
                        value(level),
                        value(level + 1.0)
                    );
                }
            }
        }
    }
    let path = dir.join(if poisoned {
        "poisoned.csv"
    } else {
        "clean.csv"
    });
    std::fs::write(&path, text).unwrap();
    path
}

/// Trains on `data` with a horizon of 3, early stopping and interval calibration; returns the
/// run directory. A panel trains in epochs of 4 of its 13 mini-batches, so that the stream of
/// passes such epochs draw from is held to the same.
fn run(dir: &Path, data: &Path, panel: bool) -> PathBuf {
    let (series_column, epochs) = match panel {
        true => ("series_column = \"ticker\"", "\nbatches_per_epoch = 4"),
        false => ("", ""),
    };
    let config = crate::common::config_text(
        data,
        &format!("horizon = 3\n{series_column}"),
        &format!("patience = 2\nrestore_best = true{epochs}"),
    )
    .replace("test_len = 10", &format!("test_len = {TEST_LEN}"))
    .replace("valid_len = 5", "valid_len = 9")
    .replace("epochs = 3", "epochs = 8");
    let name = data.file_stem().unwrap().to_str().unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, config).unwrap();
    let out = dir.join(format!("run-{name}"));
    train(&path, &out);
    out
}

/// The files that must not change: the losses of every epoch, the kept epoch, the scalers and
/// the interval calibration (of every series of a panel).
fn training_record(run: &Path, series: &[&str]) -> Vec<String> {
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    let mut record = vec![
        read(&run.join("loss.csv")),
        metrics["training"]["kept_epoch"].to_string(),
        metrics["training"]["epochs"].to_string(),
    ];
    let dirs: Vec<PathBuf> = match series {
        [] => vec![run.to_path_buf()],
        names => names.iter().map(|n| run.join("series").join(n)).collect(),
    };
    for dir in dirs {
        record.push(read(&dir.join("scaler.json")));
        record.push(read(&dir.join("intervals.json")));
    }
    record
}

/// The row of the first test target the clean run reports (`data` of its `metrics.json`, or of
/// its first series).
fn first_test_row(run: &Path, panel: bool) -> usize {
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    let data = match panel {
        true => &metrics["series"][0]["data"],
        false => &metrics["data"],
    };
    let first =
        yoho_data::NaiveDate::parse_from_str(data["test_first_date"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let row = (first - start).num_days() as usize;
    assert_eq!(
        row,
        ROWS - TEST_LEN,
        "the test period is the newest test_len rows"
    );
    row
}

#[test]
fn poisoning_the_test_period_changes_nothing_before_it_in_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let clean = run(dir.path(), &write_data(dir.path(), &[], None), false);
    let from = first_test_row(&clean, false);
    let poisoned = run(dir.path(), &write_data(dir.path(), &[], Some(from)), false);
    assert_eq!(
        training_record(&clean, &[]),
        training_record(&poisoned, &[])
    );
    // the poison is there: the test measures differ
    assert_ne!(
        read(&clean.join("predictions.csv")),
        read(&poisoned.join("predictions.csv"))
    );
}

#[test]
fn poisoning_the_test_period_changes_nothing_before_it_in_a_panel() {
    let dir = tempfile::tempdir().unwrap();
    let tickers = ["a", "b"];
    let clean = run(dir.path(), &write_data(dir.path(), &tickers, None), true);
    let from = first_test_row(&clean, true);
    let poisoned = run(
        dir.path(),
        &write_data(dir.path(), &tickers, Some(from)),
        true,
    );
    assert_eq!(
        training_record(&clean, &tickers),
        training_record(&poisoned, &tickers)
    );
    assert_ne!(
        read(&clean.join("predictions.csv")),
        read(&poisoned.join("predictions.csv"))
    );
}

/// Tunes on `data` (three trials of three epochs, one at a time; with `panel`, one model over
/// its tickers; the arguments `extra` too); returns its `trials.csv` without the seconds each
/// trial took.
pub(crate) fn tune(dir: &Path, data: &Path, panel: bool, extra: &[&str]) -> String {
    let series_column = match panel {
        true => "\nseries_column = \"ticker\"",
        false => "",
    };
    let data_extra = format!("horizon = 3{series_column}");
    let config = crate::common::config_text(data, &data_extra, "patience = 2")
        .replace("test_len = 10", &format!("test_len = {TEST_LEN}"))
        .replace("valid_len = 5", "valid_len = 9");
    let name = data.file_stem().unwrap().to_str().unwrap();
    let path = dir.join(format!("tune-{name}.toml"));
    std::fs::write(&path, config).unwrap();
    let out = dir.join(format!("tune-{name}-{}", extra.join("")));
    let args: Vec<&str> = ["--trials", "3"].iter().chain(extra).copied().collect();
    tune_trials(&path, &out, &args).0
}

/// `trainer tune --config CONFIG --jobs 1 --out OUT` with the arguments `extra`, which must
/// succeed: its `trials.csv` without the seconds each trial took, and what it said.
pub(crate) fn tune_trials(config: &Path, out: &Path, extra: &[&str]) -> (String, String) {
    let mut args = vec!["tune", "--config", config.to_str().unwrap(), "--jobs", "1"];
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend(extra);
    let output = crate::common::trainer(&args);
    crate::common::assert_success(&output);
    let trials = (read(&out.join("trials.csv")).lines())
        .map(|line| {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells.remove(11); // seconds
            cells.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    (trials, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn poisoning_the_test_period_changes_nothing_tune_chooses() {
    let dir = tempfile::tempdir().unwrap();
    let clean = write_data(dir.path(), &[], None);
    let poisoned = write_data(dir.path(), &[], Some(ROWS - TEST_LEN));
    // trials pruned from epoch 2 on: the errors pruning compares are the validation windows'
    let prune = ["--prune-from", "2", "--seed", "1"];
    let trials = tune(dir.path(), &clean, false, &prune);
    // the header, the config as given (trial 0) and three drawn trials
    assert_eq!(trials.lines().count(), 5, "{trials}");
    let pruned =
        (trials.lines().skip(1)).filter(|line| !line.split(',').nth(10).unwrap().is_empty());
    assert!(pruned.count() > 0, "a trial is pruned: {trials}");
    assert!(trials.lines().nth(1).unwrap().starts_with("0,"), "{trials}");
    // one trial kept: the one best.toml holds
    let kept = trials
        .lines()
        .filter(|line| line.ends_with(",true"))
        .count();
    assert_eq!(kept, 1, "{trials}");
    // every trial trains, stops (or is pruned) and scores as it does on the clean series
    assert_eq!(trials, tune(dir.path(), &poisoned, false, &prune));
}

#[test]
fn poisoning_the_test_period_changes_nothing_tune_chooses_in_a_panel() {
    let dir = tempfile::tempdir().unwrap();
    let tickers = ["a", "b"];
    let clean = write_data(dir.path(), &tickers, None);
    let poisoned = write_data(dir.path(), &tickers, Some(ROWS - TEST_LEN));
    let trials = tune(dir.path(), &clean, true, &[]);
    assert_eq!(trials.lines().count(), 5, "{trials}");
    // one model over both series per trial, each scored (valid_mse is the tenth column)
    for line in trials.lines().skip(1) {
        let score: f64 = line.split(',').nth(9).unwrap().parse().unwrap();
        assert!(score.is_finite() && score > 0.0, "{trials}");
    }
    assert_eq!(trials, tune(dir.path(), &poisoned, true, &[]));
}

/// A config of only `data`'s path, date column, target and a horizon of 3 (and, with `panel`,
/// its series column): the default recipe, whose validation period of one horizon is too short
/// for its intervals, so a second fit holding out more of the rows before the test period
/// calibrates them.
fn recipe_run(dir: &Path, data: &Path, panel: bool) -> PathBuf {
    let name = data.file_stem().unwrap().to_str().unwrap();
    let config = dir.join(format!("recipe-{name}-{panel}.toml"));
    let series_column = match panel {
        true => "series_column = \"ticker\"\n",
        false => "",
    };
    let text = format!(
        "[data]\npath = {:?}\ndate_column = \"Date\"\ntarget = \"Close\"\nhorizon = 3\n\
         {series_column}",
        data.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let out = dir.join(format!("recipe-run-{name}-{panel}"));
    crate::common::assert_success(&crate::common::train_into(
        &config,
        &out,
        &["--epochs", "3"],
    ));
    out
}

/// The second fit's first network's losses and the interval calibration of `run` (of each of
/// `series`, for a panel).
fn second_fit_record(run: &Path, series: &[&str]) -> Vec<String> {
    let loss = run
        .join("calibration_fit")
        .join("members")
        .join("01")
        .join("loss.csv");
    let mut record = vec![read(&loss)];
    assert!(!record[0].is_empty());
    let dirs: Vec<PathBuf> = match series {
        [] => vec![run.to_path_buf()],
        names => names.iter().map(|n| run.join("series").join(n)).collect(),
    };
    for dir in dirs {
        let metrics: serde_json::Value =
            serde_json::from_str(&read(&dir.join("metrics.json"))).unwrap();
        assert_eq!(metrics["intervals"]["calibration"], "second_fit");
        record.push(read(&dir.join("intervals.json")));
    }
    record
}

#[test]
fn poisoning_the_test_period_changes_nothing_a_second_fit_calibrates() {
    for tickers in [&[][..], &["a", "b"][..]] {
        let dir = tempfile::tempdir().unwrap();
        let panel = !tickers.is_empty();
        let clean = recipe_run(dir.path(), &write_data(dir.path(), tickers, None), panel);
        let poisoned_data = write_data(dir.path(), tickers, Some(ROWS - 3));
        let poisoned = recipe_run(dir.path(), &poisoned_data, panel);
        assert_eq!(
            second_fit_record(&clean, tickers),
            second_fit_record(&poisoned, tickers)
        );
        assert_ne!(
            read(&clean.join("predictions.csv")),
            read(&poisoned.join("predictions.csv"))
        );
    }
}

/// `trainer tune` of a config of only `data`'s path, date column, target and a horizon of 3
/// (two trials of three epochs): its `trials.csv` without the seconds, its `best.toml` and
/// what it said.
fn recipe_tune(dir: &Path, data: &Path) -> (String, String, String) {
    let name = data.file_stem().unwrap().to_str().unwrap();
    let config = dir.join(format!("recipe-tune-{name}.toml"));
    let text = format!(
        "[data]\npath = {:?}\ndate_column = \"Date\"\ntarget = \"Close\"\nhorizon = 3\n",
        data.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let out = dir.join(format!("recipe-tune-{name}"));
    // every trial trained to its end (the other searches here prune)
    let args = ["--trials", "2", "--epochs", "3", "--no-prune"];
    let (trials, stderr) = tune_trials(&config, &out, &args);
    (trials, read(&out.join("best.toml")), stderr)
}

#[test]
fn a_search_of_the_recipe_selects_on_19_origins_and_never_reads_the_test_period() {
    let dir = tempfile::tempdir().unwrap();
    let clean = write_data(dir.path(), &[], None);
    let (trials, best, stderr) = recipe_tune(dir.path(), &clean);
    // one origin of 3 days lengthened to 19: 3 + 18 rows
    assert!(
        stderr.contains("selected on the 21 validation rows (the recipe's 3, lengthened"),
        "{stderr}"
    );
    // the config and both trials trained and scored (valid_mse is the tenth column)
    for line in trials.lines().skip(1) {
        let score: f64 = line.split(',').nth(9).unwrap().parse().unwrap();
        assert!(score.is_finite() && score > 0.0, "{trials}");
    }
    // the best config validates as the recipe does
    let best: toml::Table = toml::from_str(&best).unwrap();
    assert_eq!(best["data"]["valid_len"].as_integer(), Some(3));
    let poisoned = write_data(dir.path(), &[], Some(ROWS - 3));
    assert_eq!(trials, recipe_tune(dir.path(), &poisoned).0);
}
