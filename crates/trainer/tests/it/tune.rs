//! `trainer tune`'s pruning: a drawn trial whose networks all fall behind the config's at the
//! same epoch stops there and is never kept, and no other trial changes.

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
