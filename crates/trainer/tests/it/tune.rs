//! `trainer tune`'s pruning (a drawn trial whose networks all fall behind the config's at the
//! same epoch stops there and is never kept, and no other trial changes) and its interruption
//! (Ctrl-C writes the trials it has).

use std::io::Read;
use std::path::Path;
use std::process::Stdio;

use crate::common::{config_text, read, signal_at, trainer_command};
use crate::leakage::{tune, write_data};

/// The cells of a `trials.csv` row (without its seconds).
fn cells(row: &str) -> Vec<&str> {
    row.split(',').collect()
}

#[test]
fn pruning_stops_trials_behind_the_config_and_changes_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_data(dir.path(), &[], None);
    let pruned = tune(
        dir.path(),
        &data,
        false,
        &["--prune-from", "2", "--seed", "1"],
    );
    let full = tune(dir.path(), &data, false, &["--no-prune", "--seed", "1"]);
    assert_eq!(pruned.lines().count(), full.lines().count());
    // columns: trial .. epochs (7), kept_epoch, valid_mse (9), pruned_at (10), error, kept
    let mut pruned_count = 0;
    for (row, full_row) in pruned.lines().zip(full.lines()).skip(1) {
        let (row, full_row) = (cells(row), cells(full_row));
        assert!(
            full_row[10].is_empty(),
            "nothing is pruned with --no-prune: {full}"
        );
        if row[10].is_empty() {
            // a trial not pruned trains and scores exactly as without pruning (the config's,
            // whose errors are recorded, too)
            assert_eq!(row[..12], full_row[..12], "{pruned}\n{full}");
            continue;
        }
        pruned_count += 1;
        assert_ne!(row[0], "0", "the config as given is never pruned: {pruned}");
        let epoch: usize = row[10].parse().unwrap();
        assert!(epoch >= 2, "not before --prune-from: {pruned}");
        assert_eq!(
            row[7], row[10],
            "it trained up to the epoch it was pruned at"
        );
        assert!(
            row[8].is_empty() && row[9].is_empty(),
            "no epoch kept, no score: {pruned}"
        );
        assert_eq!(row[12], "false", "a pruned trial is never kept: {pruned}");
        // the same settings, trained to their end without pruning
        assert_eq!(row[..7], full_row[..7]);
        assert!(epoch <= full_row[7].parse().unwrap());
    }
    assert!(pruned_count > 0, "a trial is pruned: {pruned}");
}

/// `trainer tune` of `config` into `out` (4 drawn trials, one at a time, each trained for its
/// 300 epochs), sent SIGINT as soon as its stderr prints a line holding `marker`: its exit
/// code, its stderr and its stdout.
fn tune_interrupted(config: &Path, out: &Path, marker: &str) -> (Option<i32>, String, String) {
    let args = ["tune", "--config", config.to_str().unwrap(), "--out"];
    let extra = [
        "--trials",
        "4",
        "--jobs",
        "1",
        "--no-prune",
        "--epochs",
        "300",
    ];
    let mut child = trainer_command(&[&args[..], &[out.to_str().unwrap()], &extra].concat())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = signal_at(&mut child, marker, "INT");
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    (child.wait().unwrap().code(), stderr, stdout)
}

/// The rows of `trials.csv` in `out`, each split into its cells (the header left out).
fn trial_rows(out: &Path) -> Vec<Vec<String>> {
    (read(&out.join("trials.csv")).lines().skip(1))
        .map(|row| row.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn ctrl_c_stops_a_search_which_writes_the_trials_it_has_and_the_best_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_data(dir.path(), &[], None);
    let config = dir.path().join("slow.toml");
    let text = config_text(&data, "horizon = 3", "patience = 100000")
        .replace("valid_len = 5", "valid_len = 9");
    std::fs::write(&config, text).unwrap();

    // after the config's own trial: the trial under way stops, no other starts
    let out = dir.path().join("after-trial-0");
    let (code, stderr, stdout) = tune_interrupted(&config, &out, "trial   0:");
    assert_eq!(
        code,
        Some(130),
        "an interrupted search exits with 130:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("interrupted: 1 of 5 trials finished"),
        "{stderr}"
    );
    let rows = trial_rows(&out);
    assert_eq!(rows.len(), 5, "every trial has its row");
    // columns: trial .. transform (6), epochs, kept_epoch, valid_mse (9), pruned_at, seconds,
    // error (12), kept
    assert!(
        !rows[0][9].is_empty(),
        "the config's trial is scored: {rows:?}"
    );
    assert_eq!(
        rows[0][13], "true",
        "and kept, the only one scored: {rows:?}"
    );
    for row in &rows[1..] {
        assert!(row[8].is_empty() && row[9].is_empty(), "no score: {rows:?}");
        assert_eq!(row[13], "false");
    }
    // the one under way was stopped (unless the signal came before it started); the others
    // never started
    let not_run = "not run: the search was interrupted";
    assert!(
        ["interrupted", not_run].contains(&rows[1][12].as_str()),
        "{rows:?}"
    );
    for row in &rows[2..] {
        assert_eq!(row[12], not_run, "{rows:?}");
        assert_eq!(row[7], "0", "{rows:?}");
    }
    assert!(stdout.contains("not run"), "the table says so: {stdout}");
    let best = read(&out.join("best.toml"));
    assert!(
        best.contains("hidden_size = 8"),
        "the config's settings: {best}"
    );
    assert!(
        !out.join("trial-001").exists(),
        "no trial's checkpoints are left"
    );

    // during the config's own trial: nothing to compare with, so no best config
    let out = dir.path().join("during-trial-0");
    let (code, stderr, _) = tune_interrupted(&config, &out, "tune:");
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("no best config was written"), "{stderr}");
    let rows = trial_rows(&out);
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter()
            .all(|row| row[9].is_empty() && row[13] == "false")
    );
    assert!(!out.join("best.toml").exists());
}
