//! `trainer tune`: random search over the network and its training, as NeuralForecast's AutoLSTM
//! searches (input windows a multiple of the horizon, 16–128 units, 1–3 layers, a log-uniform
//! learning rate from 1e-4 to 1e-1, the batch size), and over what the network predicts (the
//! change from the last value, or from the last season's with `[data] season`), each trial the
//! config's experiment with its own settings, trained with early stopping on the validation
//! period and scored there, in original units, on the forecast its run would evaluate (its
//! networks blended with the config's statistical voices where it names them). The test period
//! is never read: a trial's data is split as a run's, and only its training and validation
//! windows are used. Trial 0 is the config as given, and a drawn
//! trial replaces it only where it forecasts the validation windows better by more than chance
//! ([`Choice`]). A drawn trial whose networks fall behind trial 0's at the same epoch is
//! stopped there (`training::Pruning`). Writes the trials' table and the
//! best config.
//! A panel (`[data] series_column`) is searched as one model over all its series, each trial
//! scored by the mean over the series of its validation MSE divided by the square of the
//! series' scale (the in-sample MAE of its seasonal naive forecast), so that no series
//! outweighs another by its units.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use burn::tensor::Device;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use yoho_data::{LoadedSeries, PreparedData, TargetTransform};

use crate::artifacts::RunDir;
use crate::cli::TuneArgs;
use crate::device::select_device;
use crate::fit::{LearnerFit, in_parallel};
use crate::forecast_fit::recipe_sizes_validation;
use crate::longer_validation::{keeps_panel, keeps_series, longest, rows_for, with_valid_len};
use crate::recipe::{Purpose, TooShort};
use crate::train::load_config;
use crate::training::{Curves, PRUNE_FROM_EPOCH, Pruning, TrainedModel, TrainingControl};
use crate::{ExperimentConfig, RunOutcome};

mod choice;
mod voices;

pub use choice::{Choice, ValidationForecasts};
pub use voices::VoiceForecasts;

/// The trials' table in the tuning directory.
const TRIALS: &str = "trials.csv";
/// The best trial's config in the tuning directory.
const BEST: &str = "best.toml";
/// The error of a trial interrupted while it trained.
const INTERRUPTED: &str = "interrupted";
/// The error of a trial not started because the search was interrupted first.
const NOT_RUN: &str = "not run: the search was interrupted";
/// Window lengths tried, in horizons.
const WINDOW_MULTIPLES: [usize; 5] = [1, 2, 3, 4, 5];
/// Hidden units tried.
const HIDDEN_SIZES: [usize; 4] = [16, 32, 64, 128];
/// Mini-batch sizes tried.
const BATCH_SIZES: [usize; 4] = [16, 32, 64, 128];
/// The learning rates' range, sampled log-uniformly.
const LEARNING_RATES: (f64, f64) = (1e-4, 1e-1);

/// One trial's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// Input steps per window.
    pub window_len: usize,
    /// Units per recurrent layer.
    pub hidden_size: usize,
    /// Recurrent layers.
    pub num_layers: usize,
    /// Learning rate.
    pub lr: f64,
    /// Windows per optimiser step.
    pub batch_size: usize,
    /// What the network predicts.
    pub transform: TargetTransform,
}

impl Trial {
    /// The settings `config` has itself: those of trial 0.
    fn of_config(config: &ExperimentConfig) -> Self {
        Self {
            window_len: config.data.window_len,
            hidden_size: config.model.hidden_size,
            num_layers: config.model.num_layers,
            lr: config.train.lr,
            batch_size: config.train.batch_size,
            transform: config.data.transform,
        }
    }

    /// A trial drawn from the search space; windows are multiples of `horizon` (of 2 steps at
    /// least) and at most `max_window` steps.
    fn sample(rng: &mut StdRng, horizon: usize, max_window: usize, season: Option<usize>) -> Self {
        let pick = |rng: &mut StdRng, values: &[usize]| values[rng.random_range(0..values.len())];
        let multiple = pick(rng, &WINDOW_MULTIPLES);
        let (low, high) = LEARNING_RATES;
        Self {
            window_len: (multiple * horizon).max(2).min(max_window.max(1)),
            hidden_size: pick(rng, &HIDDEN_SIZES),
            num_layers: rng.random_range(1..=3),
            lr: (low.ln() + rng.random::<f64>() * (high.ln() - low.ln())).exp(),
            batch_size: pick(rng, &BATCH_SIZES),
            transform: match (season, rng.random::<bool>()) {
                (Some(season), true) if season > 1 => TargetTransform::SeasonalDifference,
                _ => TargetTransform::Difference,
            },
        }
    }

    /// `base` with this trial's settings.
    fn apply(&self, base: &ExperimentConfig) -> ExperimentConfig {
        let mut config = base.clone();
        // a config that predicts levels or log returns keeps them
        if differences(config.data.transform) {
            config.data.transform = self.transform;
        }
        // a window shorter than the season drops it (and the seasonal difference)
        config.data.set_window_len(self.window_len);
        // a network reads at most the trial's window
        for rows in &mut config.model.lookbacks {
            *rows = (*rows).min(self.window_len);
        }
        config.model.hidden_size = self.hidden_size;
        config.model.num_layers = self.num_layers;
        config.train.lr = self.lr;
        config.train.batch_size = self.batch_size;
        config
    }
}

/// The data a search trains on: one series, or the series of a panel.
pub enum Searched {
    /// One series.
    Series(LoadedSeries),
    /// The series of a long-format file (`[data] series_column`).
    Panel {
        /// The series column.
        column: String,
        /// Every series the config's own windows keep, in the file's order.
        series: Vec<(String, LoadedSeries)>,
    },
}

impl Searched {
    /// The data `config` names; for a panel, its series that the config's windows keep (the
    /// others, too short, are said on stderr and left out of every trial).
    pub fn load(config: &ExperimentConfig) -> anyhow::Result<Self> {
        let data = &config.data;
        let Some(column) = &data.series_column else {
            let loaded = yoho_data::load(data, &[])?;
            crate::notes::print_series_notes(&loaded.cleaning_notes());
            return Ok(Self::Series(loaded));
        };
        let yoho_data::Source::File { path } = &data.source else {
            bail!("a panel is read from a file ([data] path)");
        };
        let loaded = yoho_data::load_file_panel(path, &data.load_options(&[]), column)?;
        let panel = yoho_data::prepare_panel_loaded(loaded.clone(), data, column)?;
        crate::panel::print_notes(&panel);
        let series = (loaded.into_iter())
            .filter(|(name, _)| panel.series.iter().any(|member| member.name == *name))
            .collect();
        Ok(Self::Panel {
            column: column.clone(),
            series,
        })
    }

    /// The rows of its shortest series, which cap the trials' windows.
    fn shortest_rows(&self) -> usize {
        match self {
            Self::Series(loaded) => loaded.series.len(),
            Self::Panel { series, .. } => (series.iter())
                .map(|(_, loaded)| loaded.series.len())
                .min()
                .unwrap_or(0),
        }
    }
}

/// What a trial gave.
#[derive(Debug, Clone)]
pub struct TrialResult {
    /// Its settings.
    pub trial: Trial,
    /// The mean squared error over every step of every validation window, in original units,
    /// of its run's forecast (its kept epoch's networks, blended with the config's statistical
    /// voices where it names them, within the series' bounds); for a panel, the mean over its
    /// series of each one's divided by the square of its scale (`None` when it failed).
    pub valid_mse: Option<f64>,
    /// Its forecasts of the validation windows, which the config's are tested against.
    pub valid_forecasts: Option<ValidationForecasts>,
    /// Epochs trained.
    pub epochs: usize,
    /// The epoch kept.
    pub kept_epoch: usize,
    /// The epoch at which it was stopped, behind the config's trial (`None` where it was not:
    /// a pruned trial has no validation MSE).
    pub pruned_at: Option<usize>,
    /// Wall seconds.
    pub seconds: f64,
    /// Why it failed.
    pub error: Option<String>,
    /// Where Ctrl-C or SIGTERM stopped it before it was scored: it is neither scored nor
    /// counted among the trials the kept one is chosen from.
    pub interrupted: Option<Interrupted>,
}

/// When a search's interruption stopped a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupted {
    /// As it trained (or was being scored).
    WhileTraining,
    /// Before it started.
    BeforeStart,
}

impl TrialResult {
    /// A trial that failed after `seconds`, with `error`.
    fn failed(trial: &Trial, seconds: f64, error: Option<String>) -> Self {
        Self {
            trial: trial.clone(),
            valid_mse: None,
            valid_forecasts: None,
            epochs: 0,
            kept_epoch: 0,
            pruned_at: None,
            seconds,
            error,
            interrupted: None,
        }
    }

    /// A trial the search did not start: it was interrupted first.
    fn not_run(trial: &Trial) -> Self {
        Self {
            interrupted: Some(Interrupted::BeforeStart),
            ..Self::failed(trial, 0.0, Some(NOT_RUN.into()))
        }
    }

    /// The epoch kept, as the trials' table and CSV give it: none for a pruned or interrupted
    /// trial.
    fn epoch_kept(&self) -> Option<usize> {
        (self.pruned_at.is_none() && self.interrupted.is_none()).then_some(self.kept_epoch)
    }
}

/// Runs `trainer tune`: the trials, their table and the best config. Ctrl-C (or SIGTERM)
/// stops the trials under way at the end of their epoch and starts no more; the search then
/// writes what it has ([`RunOutcome::Interrupted`]).
pub fn run_tune(args: &TuneArgs) -> anyhow::Result<RunOutcome> {
    let config =
        load_config(&args.config, None, args.epochs, Purpose::Run).map_err(nothing_to_tune)?;
    if config.data.valid_len == 0 {
        bail!(
            "{}: tune selects on the validation period: it needs [data] valid_len > 0",
            args.config.display()
        );
    }
    let searched = Searched::load(&config)?;
    // the recipe's period of one horizon is one origin: the search selects on more
    let own_valid_len = config.data.valid_len;
    let mut config = config;
    config.data.valid_len = selection_valid_len(&config, &searched, &args.config);
    let device = select_device(args.device)?.device;
    let control = TrainingControl::quiet();
    control
        .listen_for_signals()
        .context("cannot install the Ctrl-C handler")?;
    let default = Path::new("runs").join(format!("{}-tune", config.run_name()));
    let run = RunDir::create_for_command(args.out.as_deref(), args.overwrite, &default)?;
    run.write(
        crate::artifacts::files::CONFIG,
        toml::to_string_pretty(&config)?.as_bytes(),
    )?;
    let trials = candidates(
        &config,
        draw_trials(&config, searched.shortest_rows(), args.trials, args.seed),
    );
    let prune_from = (!args.no_prune).then(|| {
        (args.prune_from).unwrap_or(PRUNE_FROM_EPOCH.max(config.train.first_keepable_epoch()))
    });
    eprintln!(
        "{}",
        banner(&config, own_valid_len, &searched, args, prune_from)
    );
    let voices = VoiceForecasts::default();
    let search = Search {
        searched: &searched,
        device: &device,
        dir: run.path(),
        voices: &voices,
        control: &control,
    };
    let results = run_trials(&search, &trials, args.jobs, &run, prune_from);
    // the trials are over: another signal ends the process at once
    control.training_finished();
    let interrupted = control.stop_requested();
    if interrupted && results[0].interrupted.is_some() {
        run.write(TRIALS, trials_csv(&results, None).as_bytes())?;
        println!("{}", trials_table(&results));
        eprintln!("{}", interrupted_text(&results, None, &run.file(TRIALS)));
        return Ok(RunOutcome::Interrupted);
    }
    let choice = choice::choose(&results);
    let kept = choice.as_ref().map(Choice::index);
    run.write(TRIALS, trials_csv(&results, kept).as_bytes())?;
    let Some(choice) = choice else {
        bail!(
            "every trial failed, the first with: {} ({} has each trial's error)",
            (results.iter())
                .find_map(|result| result.error.as_deref())
                .unwrap_or("no error recorded"),
            run.file(TRIALS).display()
        )
    };
    let mut best_config = trials[choice.index()].1.clone();
    best_config.name = Some(format!("{}-tuned", config.run_name()));
    best_config.data.valid_len = own_valid_len;
    run.write(BEST, toml::to_string_pretty(&best_config)?.as_bytes())?;
    println!("{}", trials_table(&results));
    println!("{}", choice_text(&choice, &results, &run.file(BEST)));
    if let Some(pruned) = pruned_text(&results) {
        println!("{pruned}");
    }
    if interrupted {
        let best = run.file(BEST);
        eprintln!(
            "{}",
            interrupted_text(&results, Some(&best), &run.file(TRIALS))
        );
        return Ok(RunOutcome::Interrupted);
    }
    Ok(RunOutcome::Completed)
}

/// What an interrupted search says last: how many trials it finished, and what `best` (`None`
/// where the config's own trial did not finish, so nothing was chosen) holds.
fn interrupted_text(results: &[TrialResult], best: Option<&Path>, trials: &Path) -> String {
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

/// What a search says before its trials: how many, how many at a time, what they select on
/// (`own_valid_len`: the config's own validation rows, fewer where the search lengthened
/// them), and from which epoch they are pruned.
fn banner(
    config: &ExperimentConfig,
    own_valid_len: usize,
    searched: &Searched,
    args: &TuneArgs,
    prune_from: Option<usize>,
) -> String {
    let lengthened = match config.data.valid_len > own_valid_len {
        true => format!(" (the recipe's {own_valid_len}, lengthened for the search)"),
        false => String::new(),
    };
    let panel = match searched {
        Searched::Series(_) => "",
        Searched::Panel { .. } => {
            " of every series (its MSE the mean of the series' MSEs each divided by the square \
             of its scale, the in-sample MAE of its seasonal naive forecast)"
        }
    };
    let pruning = match prune_from {
        Some(epoch) => format!(
            "; each drawn trial stopped once its networks are behind trial 0's at the same \
             epoch, from epoch {epoch} (--no-prune trains every trial to its end)"
        ),
        None => String::new(),
    };
    format!(
        "tune: the config itself (trial 0) and {} drawn trials, {} at a time, each selected on \
         the {} validation rows{lengthened}{panel}{pruning}",
        args.trials, args.jobs, config.data.valid_len,
    )
}

/// How many drawn trials were pruned, for the terminal (`None` where none was).
fn pruned_text(results: &[TrialResult]) -> Option<String> {
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
fn choice_text(choice: &Choice, results: &[TrialResult], best: &Path) -> String {
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

/// What a search trains: trial 0, `config` as given (so that no drawn trial is kept unless it
/// beats the user's own settings on validation), then each of `drawn` applied to it.
fn candidates(config: &ExperimentConfig, drawn: Vec<Trial>) -> Vec<(Trial, ExperimentConfig)> {
    let own = (Trial::of_config(config), config.clone());
    let drawn = drawn.into_iter().map(|trial| {
        let applied = trial.apply(config);
        (trial, applied)
    });
    std::iter::once(own).chain(drawn).collect()
}

/// Validation origins a search selects on, where the recipe sized the period: as many as
/// `trainer forecast` holds out to choose its epoch (for its 95 % interval).
const SELECTION_ORIGINS: usize = 19;

/// The validation period (rows) the trials select on: the config's own, or, where the recipe
/// sized it (one horizon: one origin, whose score is mostly noise), the longest up to
/// [`SELECTION_ORIGINS`] origins (of every series together) that keeps each series' test period
/// and training windows (or 16), as `trainer forecast` lengthens the period that chooses its
/// epoch. The config file at `path` tells whether the recipe sized it.
fn selection_valid_len(config: &ExperimentConfig, searched: &Searched, path: &Path) -> usize {
    let data = &config.data;
    let own = data.valid_len;
    if own == 0 || !recipe_sizes_validation(path) {
        return own;
    }
    let series = match searched {
        Searched::Series(_) => 1,
        Searched::Panel { series, .. } => series.len(),
    };
    let wanted = rows_for(data, SELECTION_ORIGINS, series);
    let with = |valid_len: usize| with_valid_len(config, valid_len).data;
    let found = match searched {
        Searched::Series(loaded) => {
            let prepare = |config: &yoho_data::DataConfig| {
                yoho_data::prepare_loaded(loaded.clone(), config).ok()
            };
            prepare(data).and_then(|base| {
                let keeps = |longer: &PreparedData| keeps_series(&base, longer);
                longest((own, wanted), |v| prepare(&with(v)), keeps).map(|(len, _)| len)
            })
        }
        Searched::Panel { column, series } => {
            let prepare = |config: &yoho_data::DataConfig| {
                yoho_data::prepare_panel_loaded(series.to_vec(), config, column).ok()
            };
            prepare(data).and_then(|base| {
                let keeps = |longer: &yoho_data::PreparedPanel| keeps_panel(&base, longer);
                longest((own, wanted), |v| prepare(&with(v)), keeps).map(|(len, _)| len)
            })
        }
    };
    found.unwrap_or(own)
}

/// `count` trials drawn with `seed`; windows leave the training period at least one window.
pub fn draw_trials(config: &ExperimentConfig, rows: usize, count: usize, seed: u64) -> Vec<Trial> {
    let data = &config.data;
    let held_out = data.test_len + data.valid_len + data.horizon;
    let max_window = rows.saturating_sub(held_out).max(1);
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let mut trial = Trial::sample(&mut rng, data.horizon, max_window, data.season);
            // a config that predicts levels or log returns keeps them (`Trial::apply`)
            if !differences(data.transform) {
                trial.transform = data.transform;
            }
            trial
        })
        .collect()
}

/// Whether `transform` is one of the differences a trial chooses between.
fn differences(transform: TargetTransform) -> bool {
    matches!(
        transform,
        TargetTransform::Difference | TargetTransform::SeasonalDifference
    )
}

/// What every trial of a search shares: the data, the device, the directory its checkpoints
/// go to, and the statistical voices' forecasts fitted so far.
pub struct Search<'a> {
    /// The series searched.
    pub searched: &'a Searched,
    /// Where the trials train.
    pub device: &'a Device,
    /// The directory each trial's checkpoints go to (under the trial's name).
    pub dir: &'a Path,
    /// The statistical voices' forecasts from the validation origins, fitted once.
    pub voices: &'a VoiceForecasts,
    /// The search's stop requests (Ctrl-C), which every trial's training shares.
    pub control: &'a TrainingControl,
}

/// Runs `trials` (each a trial and the config it makes) of `search`, `jobs` at a time, in
/// their order; trial `i` is numbered `i` (0 the config as given). With `prune_from`, each
/// drawn trial stops once its first family's networks all fall behind the config's
/// ([`Pruning`]) at an epoch from that one on, each waiting for the config's network to reach
/// its epoch (trial 0 is the first to start).
fn run_trials(
    search: &Search,
    trials: &[(Trial, ExperimentConfig)],
    jobs: usize,
    run: &RunDir,
    prune_from: Option<usize>,
) -> Vec<TrialResult> {
    let run_one =
        |index: usize, (trial, config): &(Trial, ExperimentConfig), pruning: Option<&Pruning>| {
            if search.control.stop_requested() {
                return TrialResult::not_run(trial);
            }
            let name = format!("trial-{index:03}");
            let result = run_trial(config, trial, search, &name, pruning);
            let _ = std::fs::remove_dir_all(run.file(&name));
            eprintln!("trial {index:>3}: {}", outcome_text(&result));
            result
        };
    let Some(from_epoch) = prune_from else {
        return in_parallel(trials, jobs, |index, trial| run_one(index, trial, None));
    };
    let reference = Arc::new(Curves::default());
    in_parallel(trials, jobs, |index, trial| {
        if index == 0 {
            // however trial 0 ends, no drawn trial waits for its networks any longer
            let _closing = reference.closing();
            return run_one(0, trial, Some(&Pruning::Record(reference.clone())));
        }
        run_one(
            index,
            trial,
            Some(&Pruning::against(reference.clone(), from_epoch)),
        )
    })
}

/// How a trial ended, in words.
fn outcome_text(result: &TrialResult) -> String {
    match (result.valid_mse, result.pruned_at, &result.error) {
        (Some(mse), _, _) => format!("validation MSE {mse:.6}"),
        _ if result.interrupted.is_some() => "interrupted before it was scored".into(),
        (None, Some(epoch), _) => format!("pruned at epoch {epoch}, behind the config"),
        (None, None, Some(error)) => format!("failed: {error}"),
        (None, None, None) => "failed".into(),
    }
}

/// One trial: the experiment split as a run's, trained on its training windows with early
/// stopping on its validation windows (and stopped sooner where `pruning` finds it behind the
/// config's), scored on them; its checkpoints in `search.dir/name`.
pub fn run_trial(
    config: &ExperimentConfig,
    trial: &Trial,
    search: &Search,
    name: &str,
    pruning: Option<&Pruning>,
) -> TrialResult {
    let start = Instant::now();
    let outcome = (|| -> anyhow::Result<(TrainedModel, Option<Scored>)> {
        config.validate()?;
        let fit = |config| {
            let fit = LearnerFit::new(config, search.device.clone(), search.dir)
                .stopping_with(search.control);
            match pruning {
                Some(pruning) => fit.with_pruning(pruning.clone()),
                None => fit,
            }
        };
        let pruned = || pruning.and_then(Pruning::pruned_at).is_some();
        match search.searched {
            Searched::Series(loaded) => {
                let data = yoho_data::prepare_loaded(loaded.clone(), &config.data)?;
                let trained = fit(config).trained(&data.training_data(), name)?;
                if pruned() {
                    return Ok((trained, None));
                }
                let blend = config.blend();
                let voices = voices_of(blend.as_ref(), search);
                let forecasts = validation_forecasts(
                    &trained.forecaster,
                    &data,
                    "",
                    1.0,
                    voices,
                    search.device,
                )?;
                Ok((trained, Some((forecasts.mse(), forecasts))))
            }
            Searched::Panel { column, series } => {
                let (config, panel) = trial_panel(config, column, series)?;
                let trained = fit(&config).trained(&panel.training_data(), name)?;
                if pruned() {
                    return Ok((trained, None));
                }
                let scored = panel_scores(&config, &panel, &trained, search)?;
                Ok((trained, Some(scored)))
            }
        }
    })();
    let seconds = start.elapsed().as_secs_f64();
    let failed = |error: Option<String>| TrialResult::failed(trial, seconds, error);
    match outcome {
        Ok((trained, scored)) => {
            let (valid_mse, valid_forecasts) = scored.unzip();
            let pruned_at = pruning.and_then(Pruning::pruned_at);
            TrialResult {
                valid_mse: valid_mse.filter(|mse| mse.is_finite()),
                valid_forecasts,
                // a pruned trial's networks may have trained on a little (their epoch was under
                // way), by as much as the machine let them: it counts up to its pruning
                epochs: pruned_at.unwrap_or(trained.history.len()),
                kept_epoch: trained.kept_epoch.unwrap_or(0),
                pruned_at,
                ..failed(None)
            }
        }
        // a training stopped by the search's Ctrl-C fails with that
        Err(_) if search.control.stop_requested() => TrialResult {
            interrupted: Some(Interrupted::WhileTraining),
            ..failed(Some(INTERRUPTED.into()))
        },
        Err(error) => failed(Some(crate::error_text(&error))),
    }
}

/// A trial's validation MSE and the forecasts it is computed from.
type Scored = (f64, ValidationForecasts);

/// The voices a config's `blend` names, with the search's fitted forecasts.
fn voices_of<'a>(blend: Option<&'a yoho_eval::Blend>, search: &Search<'a>) -> Option<Voices<'a>> {
    blend.map(|blend| Voices {
        blend,
        fitted: search.voices,
    })
}

/// The panel a trial of a panel trains on, and its config sized for it. A trial whose windows
/// would leave a series out fails: its score would not compare with the others'.
fn trial_panel(
    config: &ExperimentConfig,
    column: &str,
    series: &[(String, LoadedSeries)],
) -> anyhow::Result<(ExperimentConfig, yoho_data::PreparedPanel)> {
    let panel = yoho_data::prepare_panel_loaded(series.to_vec(), &config.data, column)?;
    if let Some((left_out, reason)) = panel.left_out.first() {
        bail!("its windows leave series '{left_out}' out: {reason}");
    }
    Ok((config.clone().for_panel(panel.series.len()), panel))
}

/// A panel trial's score: the mean over the series of each one's validation MSE divided by the
/// square of its scale, and the forecasts of every series' validation windows so divided.
fn panel_scores(
    config: &ExperimentConfig,
    panel: &yoho_data::PreparedPanel,
    trained: &TrainedModel,
    search: &Search,
) -> anyhow::Result<Scored> {
    let blend = config.blend();
    let voices = voices_of(blend.as_ref(), search);
    let mut scaled = Vec::with_capacity(panel.series.len());
    let mut every = ValidationForecasts::default();
    for member in &panel.series {
        let scale = yoho_eval::pooled::series_scale(&member.data, config.evaluate.season);
        let forecasts = validation_forecasts(
            &trained.forecaster,
            &member.data,
            &member.name,
            scale,
            voices,
            search.device,
        )?;
        scaled.push(forecasts.mse());
        every.actual.extend(forecasts.actual);
        every.forecast.extend(forecasts.forecast);
    }
    let mean = scaled.iter().sum::<f64>() / scaled.len().max(1) as f64;
    Ok((mean, every))
}

/// The statistical voices a trial's networks are blended with, as its run blends them, and
/// their forecasts shared by every trial of the search.
#[derive(Clone, Copy)]
struct Voices<'a> {
    blend: &'a yoho_eval::Blend,
    fitted: &'a VoiceForecasts,
}

/// The forecasts of every validation window of `data` (series `series`) and their targets, in
/// original units divided by `scale`: comparable across trials whatever their windows. The
/// forecast is the one the run would evaluate: `model`'s, blended with `voices` where the
/// config has them (as the recipe does), within the series' bounds.
fn validation_forecasts(
    model: &yoho_model::Forecaster,
    data: &PreparedData,
    series: &str,
    scale: f64,
    voices: Option<Voices>,
    device: &Device,
) -> anyhow::Result<ValidationForecasts> {
    let windows = &data.splits.valid;
    if windows.is_empty() {
        bail!("no validation window: [data] valid_len holds no window of `horizon` targets");
    }
    let networks = yoho_eval::inference::forecast_windows(model, data, windows, device)?;
    let mut forecasts = match voices {
        None => networks,
        Some(Voices { blend, fitted }) => {
            let each: Vec<yoho_data::Window> = windows.iter().collect();
            in_parallel(&each, yoho_eval::parallel::cores(), |index, window| {
                let network = &networks[index];
                let statistical = fitted.of(series, data, window, blend, network.len());
                blend.combine(network, &statistical)
            })
        }
    };
    let bounds = yoho_eval::Bounds::of_windows(data, windows);
    yoho_eval::Bounds::apply_by_window(&bounds, &mut forecasts);
    let target = data.target_values();
    let scaled = |values: &[f64]| values.iter().map(|value| value / scale).collect();
    let actual = (windows.iter())
        .map(|window| scaled(&target[window.target_rows()]))
        .collect();
    let forecast = forecasts.iter().map(|steps| scaled(steps)).collect();
    Ok(ValidationForecasts { actual, forecast })
}

/// `trials.csv`: one row per trial, in the order drawn (the config as given first), `kept`
/// true for the trial `best.toml` holds.
fn trials_csv(results: &[TrialResult], kept: Option<usize>) -> String {
    let mut text = String::from(
        "trial,window_len,hidden_size,num_layers,lr,batch_size,transform,epochs,kept_epoch,\
         valid_mse,pruned_at,seconds,error,kept\n",
    );
    for (index, result) in results.iter().enumerate() {
        let trial = &result.trial;
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{},{},{},{},{},{:.2},{},{}",
            index,
            trial.window_len,
            trial.hidden_size,
            trial.num_layers,
            trial.lr,
            trial.batch_size,
            trial.transform.name(),
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
fn trials_table(results: &[TrialResult]) -> String {
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
        let trial = &result.trial;
        let label = match index {
            0 => "0 (config)".to_string(),
            _ => index.to_string(),
        };
        let _ = writeln!(
            text,
            "{:>10} {:>7} {:>7} {:>7} {:>10.2e} {:>6} {:>20} {:>7} {:>14}",
            label,
            trial.window_len,
            trial.hidden_size,
            trial.num_layers,
            trial.lr,
            trial.batch_size,
            trial.transform.name(),
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

/// The recipe's refusal of a series too short for its networks (`TooShort`), said as a search
/// says it: there are no networks to tune; any other error as it is.
fn nothing_to_tune(error: anyhow::Error) -> anyhow::Error {
    match error.downcast_ref::<TooShort>() {
        Some(short) if short.recipe_model => anyhow::anyhow!(
            "{}: there are no networks to tune; a run (`trainer --config`) evaluates the \
             series and `trainer forecast` forecasts it with exponential smoothing and ARIMA \
             alone",
            short.message
        ),
        _ => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trials_are_drawn_from_the_space_and_repeat_with_the_seed() {
        let config = seq2seq();
        let trials = draw_trials(&config, 1000, 50, 7);
        assert_eq!(trials, draw_trials(&config, 1000, 50, 7));
        assert_ne!(trials, draw_trials(&config, 1000, 50, 8));
        let horizon = config.data.horizon;
        for trial in &trials {
            assert_eq!(trial.window_len % horizon, 0, "{trial:?}");
            assert!(HIDDEN_SIZES.contains(&trial.hidden_size));
            assert!((1..=3).contains(&trial.num_layers));
            assert!((1e-4..=1e-1).contains(&trial.lr), "{trial:?}");
            assert!(BATCH_SIZES.contains(&trial.batch_size));
        }
        // with a season, both transforms are tried
        let mut seasonal = config.clone();
        seasonal.data.season = Some(5);
        let transforms: Vec<TargetTransform> = draw_trials(&seasonal, 1000, 50, 7)
            .iter()
            .map(|trial| trial.transform)
            .collect();
        assert!(transforms.contains(&TargetTransform::SeasonalDifference));
        assert!(transforms.contains(&TargetTransform::Difference));
        assert!(
            trials
                .iter()
                .all(|t| t.transform == TargetTransform::Difference)
        );
        // a config on levels keeps them, and its trials say so
        let mut levels = config.clone();
        levels.data.transform = TargetTransform::Level;
        let kept = draw_trials(&levels, 1000, 10, 7);
        assert!(kept.iter().all(|t| t.transform == TargetTransform::Level));
        assert_eq!(
            kept[0].apply(&levels).data.transform,
            TargetTransform::Level
        );
        // a short series caps the windows
        let short = draw_trials(
            &config,
            config.data.test_len + config.data.valid_len + 8,
            20,
            7,
        );
        assert!(short.iter().all(|trial| trial.window_len <= 3), "{short:?}");
        // lookbacks longer than a trial's window read all of it
        let mut lookbacks = config.clone();
        lookbacks.model.lookbacks = vec![2, 1000];
        lookbacks.train.ensemble = 2;
        let applied = short[0].apply(&lookbacks);
        assert_eq!(
            applied.model.lookbacks,
            [2.min(short[0].window_len), short[0].window_len]
        );
        applied.validate().unwrap();
    }

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

    /// A result of `valid_mse` (failed when `None`).
    fn scored(valid_mse: Option<f64>) -> TrialResult {
        TrialResult {
            trial: Trial::of_config(&seq2seq()),
            valid_mse,
            valid_forecasts: None,
            epochs: 1,
            kept_epoch: 1,
            pruned_at: None,
            seconds: 0.0,
            error: None,
            interrupted: None,
        }
    }

    fn seq2seq() -> ExperimentConfig {
        ExperimentConfig::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/seq2seq.toml"),
        )
        .unwrap()
    }

    #[test]
    fn a_trial_is_scored_on_its_runs_forecast_the_networks_blended_with_the_voices() {
        let text = "[data]\nsource = \"sine\"\npoints = 80\nfeatures = [\"value\"]\n\
                    target = \"value\"\nwindow_len = 10\nhorizon = 2\ntest_len = 10\n\
                    valid_len = 12\n[model]\nhidden_size = 4\nstatistical = [\"ets\"]\n";
        let config =
            ExperimentConfig::from_table(toml::from_str(text).unwrap(), Path::new("s.toml"))
                .unwrap();
        let device = Device::flex();
        let data = yoho_data::prepare(&config.data).unwrap();
        let model = config.forecaster_config().init(&device);
        let blend = config.blend().unwrap();
        let fitted = VoiceForecasts::default();
        let voices = Voices {
            blend: &blend,
            fitted: &fitted,
        };
        let networks = validation_forecasts(&model, &data, "", 2.0, None, &device).unwrap();
        let scored = validation_forecasts(&model, &data, "", 2.0, Some(voices), &device).unwrap();
        let windows: Vec<_> = data.splits.valid.iter().collect();
        assert_eq!(scored.actual.len(), windows.len());
        assert_eq!(scored.actual, networks.actual);
        // the mean of the network's forecast and ETS's from each window's origin (the sine
        // stays within any bound), in units of the scale
        let target = data.target_values();
        for (index, window) in windows.iter().enumerate() {
            let history = &target[..window.first_target_row()];
            let ets = config.ets().forecast_history(history, 2);
            for step in 0..2 {
                let network = networks.forecast[index][step] * 2.0;
                let expected = (1.0 - blend.weight) * network + blend.weight * ets[step];
                let got = scored.forecast[index][step] * 2.0;
                assert!(
                    (got - expected).abs() < 1e-9,
                    "{index} {step}: {got} {expected}"
                );
                assert_eq!(
                    scored.actual[index][step] * 2.0,
                    target[window.first_target_row() + step]
                );
            }
        }
        assert_ne!(scored.forecast, networks.forecast);
    }

    #[test]
    fn trial_0_is_the_config_as_given_and_wins_ties() {
        let mut config = seq2seq();
        // a season longer than the window, which applying the config's own settings would
        // drop: trial 0 is the config as given
        config.data.season = Some(config.data.window_len + 1);
        let drawn = draw_trials(&config, 1000, 3, 7);
        let trials = candidates(&config, drawn.clone());
        assert_eq!(trials.len(), 4);
        assert_eq!(trials[0].1, config);
        assert_eq!(trials[0].0.window_len, config.data.window_len);
        assert_eq!(trials[0].0.hidden_size, config.model.hidden_size);
        assert_eq!(trials[0].0.lr, config.train.lr);
        for ((trial, applied), drawn) in trials[1..].iter().zip(&drawn) {
            assert_eq!(trial, drawn);
            assert_eq!(*applied, drawn.apply(&config));
        }
        // the lowest validation MSE, the config as given at a tie, a failed trial never
        let results = [scored(Some(2.0)), scored(None), scored(Some(1.0))];
        assert_eq!(choice::lowest_mse(&results), Some(2));
        let tie = [scored(Some(1.0)), scored(Some(1.0))];
        assert_eq!(choice::lowest_mse(&tie), Some(0));
        assert_eq!(choice::lowest_mse(&[scored(None)]), None);
        // the tables number the config's trial 0
        let csv = trials_csv(&results, Some(2));
        assert!(csv.lines().nth(1).unwrap().starts_with("0,"), "{csv}");
        let kept: Vec<&str> = (csv.lines().skip(1))
            .map(|line| line.rsplit(',').next().unwrap())
            .collect();
        assert_eq!(kept, ["false", "false", "true"]);
        assert!(trials_table(&results).contains("0 (config)"));
    }
}
