//! The command line. `trainer --config FILE` trains and evaluates; subcommands (such as
//! `predict`) sit beside it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use yoho_eval::backtest::{BacktestSpec, HistoryWindow, Refit};

use crate::device::DeviceChoice;

/// Train and evaluate time-series forecasting experiments from a TOML config.
#[derive(Debug, Parser)]
#[command(name = "trainer", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; without a subcommand, `train`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the default `train` command.
    #[command(flatten)]
    pub train: TrainArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model, evaluate it on the test days against the naive forecast, write the run.
    Train(TrainArgs),
    /// Forecast the periods after the last date of a CSV file with a saved run.
    Predict(PredictArgs),
    /// Fit on the whole series (the newest valid_len rows choose the epoch, then a refit on
    /// every row) and forecast the horizon after its last row, with intervals.
    ///
    /// Ctrl-C (or SIGTERM) stops the fit at the end of an epoch; no forecast is written, and
    /// the command exits with code 130.
    Forecast(ForecastArgs),
    /// Random search over the window, the network and the learning rate, on the validation
    /// period only: the config as given is trial 0, and a drawn trial replaces it only where it
    /// forecasts better by more than chance; writes the trials and the best config.
    ///
    /// Ctrl-C (or SIGTERM) stops the trials under way at the end of their epoch and starts no
    /// more; the search then writes every trial and the best of those that finished, and exits
    /// with code 130.
    Tune(TuneArgs),
    /// Rolling-origin backtest: forecast the last folds × step targets fold by fold, each
    /// fold's model trained only on the rows before its origin (for a panel, every series cut
    /// as far before its own end, one model over them per fold).
    ///
    /// Ctrl-C (or SIGTERM) stops the folds at the end of an epoch; nothing is written but the
    /// folds' checkpoints, and the backtest exits with code 130.
    Backtest(BacktestArgs),
}

/// Options of `backtest`.
#[derive(Debug, Clone, Args)]
pub struct BacktestArgs {
    /// The experiment config, as for training.
    #[arg(long, value_name = "FILE", default_value = "configs/lstm.toml")]
    pub config: PathBuf,
    /// Forecast origins [default: 10, fewer where the series cannot hold them and neither
    /// --folds nor --step is given].
    #[arg(long, value_name = "K")]
    pub folds: Option<usize>,
    /// Targets forecast from each origin [default: 20, fewer where the series cannot hold
    /// them and neither --folds nor --step is given].
    #[arg(long, value_name = "S")]
    pub step: Option<usize>,
    /// When to train a new model: `every` fold, `never` (once, on the first fold's history)
    /// or every N folds.
    #[arg(long, value_name = "every|never|N", default_value = "every")]
    pub refit: Refit,
    /// How much history a fold trains on: everything before its origin (`expanding`) or as
    /// many rows as the first fold (`sliding`).
    #[arg(long, value_name = "expanding|sliding", default_value = "expanding")]
    pub window: HistoryWindow,
    /// Folds trained at the same time (default: one per core; a panel's folds train one after
    /// another).
    #[arg(long, value_name = "J", value_parser = at_least_one)]
    pub jobs: Option<usize>,
    /// Train for this many epochs instead of the config's `[train] epochs`.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Write the backtest here instead of `runs/<config name>-backtest` (without it, a name
    /// already taken gets `-2`, `-3`, … appended). The directory must be empty or absent.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace the backtest (or run) already in the output directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Where to compute (as for training).
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
}

/// The folds `trainer backtest` makes without `--folds`.
pub const DEFAULT_FOLDS: usize = 10;
/// The targets of each fold without `--step`.
pub const DEFAULT_STEP: usize = 20;

impl BacktestArgs {
    /// `--folds`, or the default.
    pub fn folds(&self) -> usize {
        self.folds.unwrap_or(DEFAULT_FOLDS)
    }

    /// `--step`, or the default.
    pub fn step(&self) -> usize {
        self.step.unwrap_or(DEFAULT_STEP)
    }

    /// Whether the plan was asked for (`--folds` or `--step`): then it is kept as given, and
    /// refused where the series cannot hold it; otherwise the default shrinks to fit.
    pub fn plan_asked(&self) -> bool {
        self.folds.is_some() || self.step.is_some()
    }

    /// Shrinks `spec`'s plan, when these arguments ask for none (no `--folds`, no `--step`), to the
    /// one nearest the default that the series (of `rows` rows each: one, or a panel's) hold, and
    /// stderr says so: for a panel, the one of most test periods
    /// ([`yoho_eval::backtest::plan_that_fits_panel`]; a shorter series joins the newer folds it
    /// holds). A plan asked for is kept; where it does not fit, the plan's check refuses it and
    /// names one that does.
    pub(crate) fn fit_default_plan(
        &self,
        spec: &mut BacktestSpec,
        data: &yoho_data::DataConfig,
        rows: impl IntoIterator<Item = usize>,
    ) {
        if self.plan_asked() {
            return;
        }
        let held = yoho_eval::backtest::plan_that_fits_panel(rows, data, spec);
        if let Some((folds, step)) = held.filter(|plan| *plan != (spec.folds, spec.step)) {
            eprintln!(
                "note: the series cannot hold the default {}; backtesting {} (--folds and \
                 --step choose another plan)",
                yoho_eval::backtest::plan_words(spec.folds, spec.step),
                yoho_eval::backtest::plan_words(folds, step),
            );
            (spec.folds, spec.step) = (folds, step);
        }
    }
}

/// Options of `tune`.
#[derive(Debug, Clone, Args)]
pub struct TuneArgs {
    /// The experiment config whose settings the trials vary (it needs `[data] valid_len` > 0).
    #[arg(long, value_name = "FILE", default_value = "configs/lstm.toml")]
    pub config: PathBuf,
    /// Trials to draw (the config as given is trained too, as trial 0).
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = at_least_one)]
    pub trials: usize,
    /// Trials trained at the same time (default: one per core).
    #[arg(long, value_name = "J", default_value_t = yoho_eval::parallel::cores(), value_parser = at_least_one)]
    pub jobs: usize,
    /// Seed of the trials' draw.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// At most this many epochs a trial instead of the config's `[train] epochs`.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Write the trials here instead of `runs/<config name>-tune`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace what the output directory holds.
    #[arg(long)]
    pub overwrite: bool,
    /// Where to compute (as for training).
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
    /// Train every drawn trial to its end. By default a drawn trial stops (pruned, never kept)
    /// at the first epoch at which the validation errors, in the target's scaled units, of all
    /// its first family's networks are above those of trial 0's (the config's).
    #[arg(long, conflicts_with = "prune_from")]
    pub no_prune: bool,
    /// The first epoch at which a drawn trial may be pruned (default: 10, or the config's
    /// `[train] min_epochs` if later).
    #[arg(long, value_name = "EPOCH", value_parser = at_least_one)]
    pub prune_from: Option<usize>,
}

/// A count of at least 1 (trials, jobs).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(count) if count >= 1 => Ok(count),
        _ => Err(format!("expected a whole number ≥ 1, got '{text}'")),
    }
}

/// Options of `forecast`.
#[derive(Debug, Clone, Args)]
pub struct ForecastArgs {
    /// The experiment config, as for training; its `test_len` is not used (nothing is held out
    /// for testing), its `valid_len` rows choose the number of epochs.
    #[arg(long, value_name = "FILE", default_value = "configs/lstm.toml")]
    pub config: PathBuf,
    /// Read this CSV file instead of the config's `[data] path`.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Train for at most this many epochs instead of the config's `[train] epochs`.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Keep the model of the fit that chose the epoch, which never trained on the newest
    /// valid_len rows, instead of refitting on every row.
    #[arg(long)]
    pub no_refit: bool,
    /// Write the run here instead of `runs/<config name>-forecast` (without it, a name already
    /// taken gets `-2`, `-3`, … appended). The directory must be empty or absent.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace the run already in the output directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Where to compute (as for training).
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
}

/// Options of `predict`.
#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// The run directory written by training (config.toml, model.bpk, scaler.json).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// The CSV to forecast from: its last `window_len` rows are the model's input.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Steps to forecast (default: the model's horizon).
    #[arg(long, value_name = "K")]
    pub steps: Option<usize>,
    /// Write the forecast here instead of `<run>/forecast.csv`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Where to compute (as for training).
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
}

/// Options of `train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// The experiment config (TOML with data, model and train sections).
    #[arg(long, value_name = "FILE", default_value = "configs/lstm.toml")]
    pub config: PathBuf,
    /// Read this CSV file instead of the config's `[data] path`.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Train for this many epochs instead of the config's `[train] epochs`.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Write the run here instead of `runs/<config name>` (without it, a name already taken
    /// gets `-2`, `-3`, … appended). The directory must be empty or absent.
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    pub out: Option<PathBuf>,
    /// Replace the run already in the output directory (it is emptied first; only a run
    /// directory, one with a config.toml, is replaced).
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,
    /// Continue the interrupted run in DIR from its last checkpoint (its own config.toml is
    /// used; `--epochs` may extend it).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "data"])]
    pub resume: Option<PathBuf>,
    /// Where to compute: the GPU when built with wgpu and an adapter exists, else the CPU.
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
}

impl Cli {
    /// The command to run, `train` when none was named.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Train(self.train))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trials_and_jobs_are_at_least_one() {
        for args in [
            &["trainer", "tune", "--trials", "0"][..],
            &["trainer", "tune", "--jobs", "0"],
            &["trainer", "backtest", "--jobs", "0"],
            &["trainer", "backtest", "--jobs", "two"],
            &["trainer", "tune", "--prune-from", "0"],
        ] {
            let error = Cli::try_parse_from(args).unwrap_err().to_string();
            assert!(
                error.contains("expected a whole number ≥ 1"),
                "{args:?}: {error}"
            );
        }
        assert!(Cli::try_parse_from(["trainer", "tune", "--trials", "3", "--jobs", "1"]).is_ok());
    }

    #[test]
    fn a_search_prunes_from_an_epoch_or_not_at_all() {
        let tune = |args: &[&str]| match Cli::try_parse_from(args).map(Cli::into_command) {
            Ok(Command::Tune(tune)) => Ok((tune.no_prune, tune.prune_from)),
            Ok(_) => panic!("{args:?} is not a search"),
            Err(error) => Err(error.to_string()),
        };
        assert_eq!(tune(&["trainer", "tune"]), Ok((false, None)));
        assert_eq!(
            tune(&["trainer", "tune", "--prune-from", "5"]),
            Ok((false, Some(5)))
        );
        assert_eq!(tune(&["trainer", "tune", "--no-prune"]), Ok((true, None)));
        let both = tune(&["trainer", "tune", "--no-prune", "--prune-from", "5"]).unwrap_err();
        assert!(both.contains("cannot be used with"), "{both}");
    }
}
