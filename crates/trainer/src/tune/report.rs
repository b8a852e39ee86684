//! What a search says and writes about its trials: each one's outcome as it ends, the table
//! of them best first, `trials.csv`, the trial kept and why, and what pruning and an
//! interruption left.

use std::fmt::Write as _;
use std::path::Path;

use super::choice::Choice;
use super::trial::{Interrupted, Trial, TrialResult};

/// What an interrupted search says last: how many trials it finished, and what `best` (`None`
/// where the config's own trial did not finish, so nothing was chosen) holds.
pub(super) fn interrupted_text(
    results: &[TrialResult],
    best: Option<&Path>,
    trials: &Path,
) -> String {
    let finished = (results.iter())
        .filter(|result| result.interrupted.is_none())
        .count();
    let chosen = match best {
        Some(best) => format!(
            "{} holds the best of them, chosen as an uninterrupted search chooses",
            best.display()
        ),
        None => "the config's own trial (trial 0) did not finish, so no drawn trial could be \
                 compared with it and no best config was written"
            .to_string(),
    };
    format!(
        "interrupted: {finished} of {} trials finished (or were pruned); {chosen}; {} lists \
         every trial, the interrupted ones with no score",
        results.len(),
        trials.display()
    )
}

/// How many drawn trials were pruned, for the terminal (`None` where none was).
pub(super) fn pruned_text(results: &[TrialResult]) -> Option<String> {
    let pruned = results
        .iter()
        .filter(|result| result.pruned_at.is_some())
        .count();
    (pruned > 0).then(|| {
        format!(
            "pruned: {pruned} of {} drawn trials, stopped behind the config as they trained and \
             not scored (--no-prune trains every trial to its end)",
            results.len().saturating_sub(1)
        )
    })
}

/// What the search kept and why, for the terminal.
pub(super) fn choice_text(choice: &Choice, results: &[TrialResult], best: &Path) -> String {
    let mse = |index: usize| {
        (results[index].valid_mse).map_or("failed".to_string(), |mse| format!("{mse:.6}"))
    };
    let test = |dm: &Option<yoho_eval::DieboldMariano>| {
        dm.as_ref()
            .map_or("the test cannot be made".to_string(), |dm| {
                format!("Diebold–Mariano p = {:.4}", dm.p_value)
            })
    };
    let best = best.display();
    match choice {
        Choice::Config => format!(
            "best: trial 0, the config as given (validation MSE {}): no drawn trial scored \
             lower; {best} holds it unchanged",
            mse(0)
        ),
        Choice::ConfigKept {
            lowest,
            test: dm,
            threshold,
        } => format!(
            "best: trial 0, the config as given (validation MSE {}): trial {lowest} scored \
             lower ({}), but not by more than chance ({}, where a drawn trial needs p < \
             {threshold:.4} and lower errors); {best} holds the config unchanged",
            mse(0),
            mse(*lowest),
            test(dm)
        ),
        Choice::Drawn { index, test: dm } => format!(
            "best: trial {index} (validation MSE {}, the config as given {}{}); its config is \
             {best}",
            mse(*index),
            mse(0),
            dm.as_ref().map_or(String::new(), |dm| format!(
                "; Diebold–Mariano p = {:.2e}",
                dm.p_value
            ))
        ),
    }
}

/// How a trial ended, in words.
pub(super) fn outcome_text(result: &TrialResult) -> String {
    match (result.valid_mse, result.pruned_at, &result.error) {
        (Some(mse), _, _) => format!("validation MSE {mse:.6}"),
        _ if result.interrupted.is_some() => "interrupted before it was scored".into(),
        (None, Some(epoch), _) => format!("pruned at epoch {epoch}, behind the config"),
        (None, None, Some(error)) => format!("failed: {error}"),
        (None, None, None) => "failed".into(),
    }
}

/// The widths of a trial's settings in the table: window, hidden, layers, lr, batch, transform.
const SETTING_WIDTHS: [usize; 6] = [7, 7, 7, 10, 6, 20];

/// A trial's settings as the table and `trials.csv` give them (window, hidden units, layers,
/// learning rate written by `lr`, batch, transform).
fn settings(trial: &Trial, lr: impl Fn(f64) -> String) -> [String; 6] {
    [
        trial.window_len.to_string(),
        trial.hidden_size.to_string(),
        trial.num_layers.to_string(),
        lr(trial.lr),
        trial.batch_size.to_string(),
        trial.transform.name().to_string(),
    ]
}

/// `trials.csv`: one row per trial, in the order drawn (the config as given first), `kept`
/// true for the trial `best.toml` holds.
pub(super) fn trials_csv(results: &[TrialResult], kept: Option<usize>) -> String {
    let mut text = String::from(
        "trial,window_len,hidden_size,num_layers,lr,batch_size,transform,epochs,kept_epoch,\
         valid_mse,pruned_at,seconds,error,kept\n",
    );
    for (index, result) in results.iter().enumerate() {
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{:.2},{},{}",
            index,
            settings(&result.trial, |lr| lr.to_string()).join(","),
            match result.interrupted {
                // how far it got is not recorded
                Some(Interrupted::WhileTraining) => String::new(),
                _ => result.epochs.to_string(),
            },
            result.epoch_kept().map_or(String::new(), |e| e.to_string()),
            result
                .valid_mse
                .map_or(String::new(), |mse| mse.to_string()),
            result
                .pruned_at
                .map_or(String::new(), |epoch| epoch.to_string()),
            result.seconds,
            result
                .error
                .as_deref()
                .map_or(String::new(), crate::report::csv_cell),
            kept == Some(index)
        );
    }
    text
}

/// The trials, best first, for the terminal.
pub(super) fn trials_table(results: &[TrialResult]) -> String {
    let mut order: Vec<(usize, &TrialResult)> = results.iter().enumerate().collect();
    order.sort_by(|(_, a), (_, b)| {
        let key = |r: &TrialResult| r.valid_mse.unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b))
    });
    let mut text = format!(
        "{:>10} {:>7} {:>7} {:>7} {:>10} {:>6} {:>20} {:>7} {:>14}\n",
        "trial", "window", "hidden", "layers", "lr", "batch", "transform", "kept", "valid MSE"
    );
    for (index, result) in order {
        let label = match index {
            0 => "0 (config)".to_string(),
            _ => index.to_string(),
        };
        let cells = settings(&result.trial, |lr| format!("{lr:.2e}"));
        let aligned: Vec<String> = (cells.iter().zip(SETTING_WIDTHS))
            .map(|(cell, width)| format!("{cell:>width$}"))
            .collect();
        let _ = writeln!(
            text,
            "{label:>10} {} {:>7} {:>14}",
            aligned.join(" "),
            result
                .epoch_kept()
                .map_or("-".to_string(), |e| e.to_string()),
            match (result.valid_mse, result.pruned_at, result.interrupted) {
                (Some(mse), _, _) => format!("{mse:.6}"),
                (None, Some(epoch), _) => format!("pruned at {epoch}"),
                (None, None, Some(Interrupted::WhileTraining)) => "interrupted".into(),
                (None, None, Some(Interrupted::BeforeStart)) => "not run".into(),
                (None, None, None) => "failed".to_string(),
            }
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::trial::tests::scored;

    #[test]
    fn the_search_says_how_many_trials_it_pruned() {
        let mut results = vec![scored(Some(1.0)), scored(Some(2.0)), scored(None)];
        assert_eq!(pruned_text(&results), None);
        results[2].pruned_at = Some(20);
        let text = pruned_text(&results).unwrap();
        assert!(text.starts_with("pruned: 1 of 2 drawn trials"), "{text}");
        let table = trials_table(&results);
        assert!(table.contains("pruned at 20"), "{table}");
        let csv = trials_csv(&results, Some(0));
        let row: Vec<&str> = csv.lines().nth(3).unwrap().split(',').collect();
        // no epoch kept, no score, the epoch it was pruned at, not kept
        assert_eq!(
            (row[8], row[9], row[10], row[13]),
            ("", "", "20", "false"),
            "{csv}"
        );
    }

    #[test]
    fn the_tables_number_the_config_trial_0_and_mark_the_kept_one() {
        let results = [scored(Some(2.0)), scored(None), scored(Some(1.0))];
        let csv = trials_csv(&results, Some(2));
        assert!(csv.lines().nth(1).unwrap().starts_with("0,"), "{csv}");
        let kept: Vec<&str> = (csv.lines().skip(1))
            .map(|line| line.rsplit(',').next().unwrap())
            .collect();
        assert_eq!(kept, ["false", "false", "true"]);
        assert!(trials_table(&results).contains("0 (config)"));
    }

    #[test]
    fn an_interrupted_search_marks_the_trials_it_stopped_and_says_what_it_kept() {
        let mut results = vec![scored(Some(1.0)), scored(None), scored(None)];
        results[1].interrupted = Some(Interrupted::WhileTraining);
        results[1].error = Some(crate::tune::trial::INTERRUPTED.into());
        results[2] = TrialResult::not_run(&results[2].trial);
        let table = trials_table(&results);
        assert!(table.contains(" interrupted\n"), "{table}");
        assert!(table.contains(" not run\n"), "{table}");
        let csv = trials_csv(&results, Some(0));
        let row = |index: usize| -> Vec<String> {
            let line = csv.lines().nth(1 + index).unwrap();
            line.split(',').map(str::to_string).collect()
        };
        // epochs, kept_epoch, valid_mse, error, kept: how far an interrupted trial got is not
        // recorded; one never started trained no epoch
        let cells = |index: usize| {
            let row = row(index);
            [8, 9, 12, 13].map(|cell| row[cell].clone()).to_vec()
        };
        assert_eq!(row(1)[7], "", "{csv}");
        assert_eq!(cells(1), ["", "", "interrupted", "false"], "{csv}");
        assert_eq!(row(2)[7], "0", "{csv}");
        let not_run = "not run: the search was interrupted";
        assert_eq!(cells(2), ["", "", not_run, "false"], "{csv}");
        let (trials, best) = (Path::new("t.csv"), Path::new("b.toml"));
        let kept = interrupted_text(&results, Some(best), trials);
        assert!(
            kept.starts_with("interrupted: 1 of 3 trials finished"),
            "{kept}"
        );
        assert!(kept.contains("b.toml holds the best of them"), "{kept}");
        let none = interrupted_text(&results, None, trials);
        assert!(none.contains("no best config was written"), "{none}");
        assert_eq!(
            outcome_text(&results[1]),
            "interrupted before it was scored"
        );
    }
}
