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

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use burn::tensor::Device;
use yoho_data::{LoadedSeries, PreparedData};

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
mod report;
mod trial;
mod voices;

pub use choice::Choice;
pub use trial::{Interrupted, Trial, TrialResult, ValidationForecasts, draw_trials};
pub use voices::VoiceForecasts;

use report::{choice_text, interrupted_text, outcome_text, pruned_text, trials_csv, trials_table};
use trial::{INTERRUPTED, candidates};

/// The trials' table in the tuning directory.
const TRIALS: &str = "trials.csv";
/// The best trial's config in the tuning directory.
const BEST: &str = "best.toml";
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
    // the config's own trial stopped unfinished: no drawn trial can be compared with it
    let config_stopped = results[0].interrupted.is_some();
    let choice = (!config_stopped)
        .then(|| choice::choose(&results))
        .flatten();
    let kept = choice.as_ref().map(Choice::index);
    run.write(TRIALS, trials_csv(&results, kept).as_bytes())?;
    let Some(choice) = choice else {
        if config_stopped {
            println!("{}", trials_table(&results));
            eprintln!("{}", interrupted_text(&results, None, &run.file(TRIALS)));
            return Ok(RunOutcome::Interrupted);
        }
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
}
