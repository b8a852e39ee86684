//! `trainer forecast`: the production fit. Trains on the whole series, its newest `valid_len`
//! rows choosing the epoch; then, by default, trains again on every row for the kept number of
//! epochs; and forecasts the `horizon` steps after the last row, with intervals. The run
//! directory it writes is one `trainer predict` loads again.

use anyhow::{Context, bail};
use yoho_data::{LoadedSeries, PreparedData};
use yoho_eval::Conformal;
use yoho_eval::intervals::{Calibration, conformal_by_step, percent};

use crate::RunOutcome;
use crate::artifacts::{RunDir, files};
use crate::cli::ForecastArgs;
use crate::config::ExperimentConfig;
use crate::device::{SelectedDevice, select_device};
use crate::plots;
use crate::predict::{Forecast, ModelRun, forecast_csv, print_forecast};
use crate::train::load_config;
use crate::training::{TrainedModel, TrainingControl, TrainingEnd, train, write_loss_csv};

/// The checkpoints of the fit that chooses the epoch, inside the run directory.
const SELECTION_DIR: &str = "selection";
/// The checkpoints of the refit on every row, inside the run directory.
const REFIT_DIR: &str = "refit";

/// Runs `trainer forecast`: fits, forecasts, prints and writes the run directory.
pub fn run_forecast(args: &ForecastArgs) -> anyhow::Result<RunOutcome> {
    let mut config = load_config(&args.config, args.data.as_deref(), args.epochs)?;
    check_config(&config, args)?;
    let loaded = yoho_data::load(&config.data, &[])?;
    let selection_data = selection_data(&mut config, &loaded, args)?;
    let selected = select_device(args.device)?;
    eprintln!("device: {}", selected.description);
    let default = std::path::Path::new("runs").join(format!("{}-forecast", config.run_name()));
    let run = RunDir::create_for_command(args.out.as_deref(), args.overwrite, &default)?;
    // first: a directory with a config.toml is one --overwrite may replace
    run.write(files::CONFIG, toml::to_string_pretty(&config)?.as_bytes())?;
    let control = TrainingControl::default();
    control
        .listen_for_signals()
        .context("cannot install the Ctrl-C handler")?;
    let fit = Fitter {
        selected: &selected,
        run: &run,
        control: &control,
    };
    let Some(selection) = fit.train(&config, &selection_data, SELECTION_DIR)? else {
        return Ok(RunOutcome::Interrupted);
    };
    write_loss_csv(run.path(), &selection.history)?;
    let (calibration, conformal) = conformal_by_step(
        &selection.forecaster,
        &selection_data,
        &config.evaluate.intervals,
        config.blend().as_ref(),
        &selected.device,
    )?;
    note_on_calibration(&config, calibration, &conformal);
    run.write(
        files::INTERVALS,
        serde_json::to_string_pretty(&conformal)?.as_bytes(),
    )?;
    let kept_epoch = selection.kept_epoch.unwrap_or(selection.history.len());
    let refit = refit_config(&config, kept_epoch, args.no_refit);
    let refitted = refit.is_some();
    let (model, data) = match refit {
        None => (selection.forecaster, selection_data),
        Some(refit) => {
            let all_rows = yoho_data::prepare_loaded_for_forecast(loaded.clone(), &refit.data, 0)?;
            eprintln!(
                "refit on all {} rows for the kept {kept_epoch} epoch(s)",
                all_rows.series.len()
            );
            let Some(trained) = fit.train(&refit, &all_rows, REFIT_DIR)? else {
                return Ok(RunOutcome::Interrupted);
            };
            (trained.forecaster, all_rows)
        }
    };
    control.training_finished();
    run.save_weights(&config, &model)?;
    run.save_scaler(data.scaler())?;
    let model_run = ModelRun {
        config: &config,
        model: &model,
        device: &selected.device,
    };
    let forecast = model_run.forecast(
        &run,
        loaded.series.clone(),
        &data_path(&config),
        config.data.horizon,
        0,
    )?;
    write_forecast(&run, &config, &loaded, &forecast)?;
    print_forecast(&forecast);
    println!(
        "trained {} epoch(s), kept epoch {kept_epoch} ({}){}; forecast written to {}",
        selection.history.len(),
        selection.stop_reason,
        match refitted {
            false => String::new(),
            true => format!(", then refit on every row for {kept_epoch} epoch(s)"),
        },
        run.file(files::FORECAST).display()
    );
    Ok(RunOutcome::Completed)
}

/// The data of the fit that chooses the epoch: the newest `[data] valid_len` rows validate.
/// A config that leaves the validation period to the default recipe (its file sets neither
/// `window_len` nor `valid_len`) and is refitted on every row gets one long enough to
/// calibrate its widest interval (19 windows for 95 %), as long as that fit keeps the recipe's
/// 16 training windows: the refit trains on those rows anyway, so they move only the choice
/// of epoch. `config`'s `valid_len` becomes the one used.
fn selection_data(
    config: &mut ExperimentConfig,
    loaded: &LoadedSeries,
    args: &ForecastArgs,
) -> anyhow::Result<PreparedData> {
    let prepare = |valid_len: usize| {
        yoho_data::prepare_loaded_for_forecast(loaded.clone(), &config.data, valid_len)
    };
    let data = &config.data;
    let widest = (config.evaluate.intervals.iter())
        .map(|level| Conformal::errors_needed(*level))
        .max();
    if let Some(needed) = widest
        .filter(|_| !args.no_refit && data.valid_len > 0 && recipe_sizes_validation(&args.config))
    {
        let wanted = data.horizon + needed.saturating_sub(1) * data.stride;
        for valid_len in (data.valid_len + 1..=wanted).rev() {
            let Ok(prepared) = prepare(valid_len) else {
                continue;
            };
            if prepared.splits.train.len() >= yoho_data::defaults::MIN_TRAINING_WINDOWS {
                config.data.valid_len = valid_len;
                return Ok(prepared);
            }
        }
    }
    prepare(config.data.valid_len)
        .with_context(|| format!("{}: the series is too short", args.config.display()))
}

/// Whether the config file at `path` leaves its validation period to the default recipe: its
/// `[data]` sets neither `window_len` nor `valid_len`.
fn recipe_sizes_validation(path: &std::path::Path) -> bool {
    let table = (std::fs::read_to_string(path).ok())
        .and_then(|text| toml::from_str::<toml::Table>(&text).ok());
    table.is_some_and(|table| {
        crate::recipe::wanted(&table)
            && (table.get("data")).is_none_or(|data| data.get("valid_len").is_none())
    })
}

/// Says why intervals are missing or likely too narrow, and what would give them.
fn note_on_calibration(
    config: &ExperimentConfig,
    calibration: Calibration,
    conformal: &[Conformal],
) {
    let data = &config.data;
    if calibration == Calibration::Training && !config.evaluate.intervals.is_empty() {
        eprintln!(
            "note: without a validation period ([data] valid_len = 0) the intervals are \
             calibrated on the training windows' errors, and likely too narrow"
        );
        return;
    }
    let Some(first) = conformal.first() else {
        return;
    };
    for level in first.missing_levels() {
        let needed = Conformal::errors_needed(level);
        eprintln!(
            "note: no {} % interval: its calibration needs {needed} validation windows, and \
             valid_len = {} rows hold {} (valid_len = {} would hold {needed})",
            percent(level),
            data.valid_len,
            first.calibration_size,
            data.horizon + (needed - 1) * data.stride
        );
    }
}

/// What `forecast` cannot do with `config`, as an error naming the key.
fn check_config(config: &ExperimentConfig, args: &ForecastArgs) -> anyhow::Result<()> {
    let path = args.config.display();
    if let Some(column) = &config.data.series_column {
        bail!(
            "{path}: [data] series_column = \"{column}\": `trainer forecast` fits one series; \
             train the panel with `trainer --config {path}` and forecast it with `trainer predict`"
        );
    }
    if let Some(weights) = &config.model.init_from {
        bail!(
            "{path}: [model] init_from = {}: `trainer forecast` trains its own model; remove \
             init_from, or forecast those weights' run with `trainer predict`",
            weights.display()
        );
    }
    Ok(())
}

/// The config of the refit on every row: the kept number of epochs (whatever the step budget),
/// no validation, no early stopping; `None` when there is nothing to refit (`--no-refit`, or no
/// validation period, where the first fit already trained on every row).
fn refit_config(
    config: &ExperimentConfig,
    kept_epoch: usize,
    no_refit: bool,
) -> Option<ExperimentConfig> {
    if no_refit || config.data.valid_len == 0 {
        return None;
    }
    let mut refit = config.clone();
    refit.data.valid_len = 0;
    refit.train.epochs = kept_epoch.max(1);
    refit.train.patience = 0;
    refit.train.min_epochs = 0;
    refit.train.max_steps = 0;
    refit.train.restore_best = false;
    Some(refit)
}

/// The file the series was read from, to name it in messages ("sine" for a generated one).
fn data_path(config: &ExperimentConfig) -> std::path::PathBuf {
    match &config.data.source {
        yoho_data::Source::File { path } => path.clone(),
        yoho_data::Source::Sine(_) => "sine".into(),
    }
}

/// Trains the fits of one forecast, each with its checkpoints in its own directory of the run.
struct Fitter<'a> {
    selected: &'a SelectedDevice,
    run: &'a RunDir,
    control: &'a TrainingControl,
}

impl Fitter<'_> {
    /// The trained model, or `None` when a signal stopped training (said on stderr).
    fn train(
        &self,
        config: &ExperimentConfig,
        data: &PreparedData,
        dir: &str,
    ) -> anyhow::Result<Option<TrainedModel>> {
        let end = train(
            config,
            &data.training_data(),
            &self.selected.device,
            &self.run.file(dir),
            self.control,
            None,
            None,
        )?;
        match end {
            TrainingEnd::Finished(trained) => Ok(Some(*trained)),
            TrainingEnd::Interrupted { .. } => {
                eprintln!(
                    "interrupted: no forecast was written ({} holds the fit so far)",
                    self.run.path().display()
                );
                Ok(None)
            }
            TrainingEnd::Diverged { epoch, loss } => bail!(
                "training diverged at epoch {epoch}: the loss became {loss}; no forecast was \
                 written. Try a lower learning rate ([train] lr = {} now)",
                config.train.lr
            ),
        }
    }
}

/// What the chart shows of `forecast`: every step, and the bands of the levels every step has.
fn chart_of(forecast: &Forecast) -> plots::FutureForecast {
    let bands = (forecast.levels.iter().enumerate())
        .filter_map(|(index, level)| {
            let ends: Option<Vec<(f64, f64)>> = (forecast.days.iter())
                .map(|day| day.intervals[index])
                .collect();
            ends.map(|ends| (*level, ends))
        })
        .collect();
    plots::FutureForecast {
        dates: forecast.days.iter().map(|day| day.date).collect(),
        values: forecast.days.iter().map(|day| day.forecast).collect(),
        bands,
    }
}

/// Writes `forecast.csv` and the chart of the series' end and the forecast.
fn write_forecast(
    run: &RunDir,
    config: &ExperimentConfig,
    loaded: &LoadedSeries,
    forecast: &Forecast,
) -> anyhow::Result<()> {
    let series = &loaded.series;
    let target = series
        .column(&config.data.target)
        .expect("the loaded series has its target column");
    let shown = plots::history_rows(series.len(), forecast.days.len());
    plots::history_and_forecast(
        &run.file(files::FORECAST_PLOT),
        &series.dates[shown.clone()],
        &target[shown],
        &chart_of(forecast),
        &config.data.target,
    )?;
    run.write(files::FORECAST, forecast_csv(forecast).as_bytes())
}
