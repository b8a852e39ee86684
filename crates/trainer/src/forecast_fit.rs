//! The fits of `trainer forecast`, shared by one series (`forecast.rs`) and a panel
//! (`forecast_panel.rs`): the fit that chooses the epoch on the newest rows, the refit on every
//! row for that many epochs, and the files of the forecast after the series' end.

use std::path::Path;

use anyhow::{Context, bail};
use yoho_data::{LoadedSeries, TrainingData};
use yoho_eval::Conformal;
use yoho_eval::intervals::{Calibration, percent};
use yoho_model::Forecaster;

use crate::artifacts::{RunDir, files};
use crate::cli::ForecastArgs;
use crate::config::ExperimentConfig;
use crate::device::{SelectedDevice, select_device};
use crate::longer_validation::{longest, rows_for};
use crate::plots;
use crate::predict::{Forecast, forecast_csv};
use crate::training::{TrainedModel, TrainingControl, TrainingEnd, train, write_loss_csv};

/// The checkpoints of the fit that chooses the epoch, inside the run directory.
const SELECTION_DIR: &str = "selection";
/// The checkpoints of the refit on every row, inside the run directory.
const REFIT_DIR: &str = "refit";

/// Whether the config file at `path` leaves its validation period to the default recipe: its
/// `[data]` sets neither `window_len` nor `valid_len`.
pub(crate) fn recipe_sizes_validation(path: &Path) -> bool {
    let table = (std::fs::read_to_string(path).ok())
        .and_then(|text| toml::from_str::<toml::Table>(&text).ok());
    table.is_some_and(|table| {
        crate::recipe::wanted(&table)
            && (table.get("data")).is_none_or(|data| data.get("valid_len").is_none())
    })
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
pub(crate) fn data_path(config: &ExperimentConfig) -> std::path::PathBuf {
    data_file(&config.data)
}

/// The file `data` reads ("sine" for a generated series).
pub(crate) fn data_file(data: &yoho_data::DataConfig) -> std::path::PathBuf {
    match &data.source {
        yoho_data::Source::File { path } => path.clone(),
        yoho_data::Source::Sine(_) => "sine".into(),
    }
}

/// The fits of one forecast and the run directory they write, each fit's checkpoints in a
/// directory of its own inside it.
pub(crate) struct Fitter {
    /// Where the fits train and forecast.
    pub selected: SelectedDevice,
    /// The run directory.
    pub run: RunDir,
    control: TrainingControl,
}

impl Fitter {
    /// Chooses the device, creates the run directory (`--out`, else
    /// `runs/<config name>-forecast`) with `config.toml` in it, and listens for Ctrl-C.
    pub fn start(config: &ExperimentConfig, args: &ForecastArgs) -> anyhow::Result<Self> {
        let selected = select_device(args.device)?;
        eprintln!("device: {}", selected.description);
        let default = Path::new("runs").join(format!("{}-forecast", config.run_name()));
        let run = RunDir::create_for_command(args.out.as_deref(), args.overwrite, &default)?;
        // first: a directory with a config.toml is one --overwrite may replace
        run.write(files::CONFIG, toml::to_string_pretty(config)?.as_bytes())?;
        let control = TrainingControl::default();
        control
            .listen_for_signals()
            .context("cannot install the Ctrl-C handler")?;
        Ok(Self {
            selected,
            run,
            control,
        })
    }

    /// The fit whose validation period chooses the epoch, its losses written to `loss.csv`;
    /// `None` when a signal stopped it.
    pub fn choose_epoch(
        &self,
        config: &ExperimentConfig,
        data: &TrainingData,
    ) -> anyhow::Result<Option<TrainedModel>> {
        let fitted = self.train(config, data, SELECTION_DIR)?;
        if let Some(fitted) = &fitted {
            write_loss_csv(self.run.path(), &fitted.history)?;
        }
        Ok(fitted)
    }

    /// The model to forecast with, after the fit that chose the epoch (`chosen`, trained on
    /// `selection`): by default the refit on every row (`all_rows`, prepared for
    /// [`refit_config`]'s config) for the kept number of epochs; the chosen fit itself with
    /// `--no-refit` or without a validation period. `None` when a signal stopped the refit.
    /// Training is over when it returns: a signal then ends the process at once.
    pub fn final_fit<D>(
        &self,
        config: &ExperimentConfig,
        (chosen, selection): (TrainedModel, D),
        no_refit: bool,
        all_rows: impl FnOnce(&ExperimentConfig) -> anyhow::Result<D>,
        training_data: impl Fn(&D) -> TrainingData,
    ) -> anyhow::Result<Option<FinalFit<D>>> {
        let kept_epoch = chosen.kept_epoch.unwrap_or(chosen.history.len());
        let refit = refit_config(config, kept_epoch, no_refit);
        let words = fits_in_words(&chosen, kept_epoch, refit.is_some());
        let (model, data) = match refit {
            None => (chosen.forecaster, selection),
            Some(refit) => {
                let data = all_rows(&refit)?;
                eprintln!("refit on every row for the kept {kept_epoch} epoch(s)");
                let Some(trained) = self.train(&refit, &training_data(&data), REFIT_DIR)? else {
                    return Ok(None);
                };
                (trained.forecaster, data)
            }
        };
        self.control.training_finished();
        Ok(Some(FinalFit { model, data, words }))
    }

    fn train(
        &self,
        config: &ExperimentConfig,
        data: &TrainingData,
        dir: &str,
    ) -> anyhow::Result<Option<TrainedModel>> {
        let end = train(
            config,
            data,
            &self.selected.device,
            &self.run.file(dir),
            &self.control,
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

/// The model a forecast is made with, and the data it was trained on.
pub(crate) struct FinalFit<D> {
    /// The refit's model, or the fit's that chose the epoch.
    pub model: Forecaster,
    /// Its data (with the scalers it was trained with).
    pub data: D,
    /// How the fits went, for the last line.
    pub words: String,
}

/// How the fits went, for the last line: the epochs trained and kept, and the refit. Several
/// networks each train and keep their own epochs (their stop reason lists them), and each
/// refit trains for the median of the kept ones.
fn fits_in_words(chosen: &TrainedModel, kept_epoch: usize, refitted: bool) -> String {
    let refit = |what: &str| match refitted {
        false => String::new(),
        true => format!(", then {what} on every row for {kept_epoch} epoch(s)"),
    };
    if matches!(chosen.forecaster, Forecaster::Ensemble(_)) {
        return format!(
            "{}; median kept epoch {kept_epoch}{}",
            chosen.stop_reason,
            refit("each network refit")
        );
    }
    format!(
        "trained {} epoch(s), kept epoch {kept_epoch} ({}){}",
        chosen.history.len(),
        chosen.stop_reason,
        refit("refit")
    )
}

/// The data of the fit that chooses the epoch, `base` prepared with `config`'s own `valid_len`.
/// A config that leaves its validation period to the default recipe (its file sets neither
/// `window_len` nor `valid_len`) and is refitted on every row gets, from `prepare`, the longest
/// validation period up to what its widest interval needs (19 errors for 95 %, from `series`
/// series' windows together) that `keeps(&base, &longer)` accepts: the refit trains on those
/// rows anyway, so they move only the choice of epoch. `config`'s `valid_len` becomes the one
/// used.
pub(crate) fn lengthen_validation<D>(
    config: &mut ExperimentConfig,
    args: &ForecastArgs,
    (base, series): (D, usize),
    prepare: impl Fn(usize) -> Option<D>,
    keeps: impl Fn(&D, &D) -> bool,
) -> D {
    let data = &config.data;
    let Some(needed) = Conformal::errors_needed_for(&config.evaluate.intervals)
        .filter(|_| !args.no_refit && data.valid_len > 0 && recipe_sizes_validation(&args.config))
    else {
        return base;
    };
    let wanted = rows_for(data, needed, series);
    match longest((data.valid_len, wanted), prepare, |longer| {
        keeps(&base, longer)
    }) {
        Some((valid_len, longer)) => {
            config.data.valid_len = valid_len;
            longer
        }
        None => base,
    }
}

/// The statistical voices of `config` to calibrate the forecast's intervals on instead of the
/// fit's validation errors, where the recipe sized the validation period (the config at
/// `path` sets neither `window_len` nor `valid_len`), which is then as long as the series
/// allows, and those errors' calibration one step ahead (`first`) still lacks the widest
/// interval: as a run's `[evaluate] calibration_fit` does for a series too short for a second
/// fit. `None` otherwise, or without voices.
pub(crate) fn voices_instead(
    config: &ExperimentConfig,
    path: &Path,
    first: Option<&Conformal>,
) -> Option<yoho_eval::Blend> {
    let lacking = first.is_some_and(|first| !first.missing_levels().is_empty());
    if !lacking || !recipe_sizes_validation(path) {
        return None;
    }
    config.blend()
}

/// The note of a forecast calibrated on its statistical voices (`first_step` errors at the
/// first step ahead).
pub(crate) fn note_on_voices(first_step: usize) {
    eprintln!(
        "note: the validation period holds too few of the model's errors for the widest \
         interval; the intervals are calibrated on the errors of the statistical voices alone at \
         origins rolling over the series, each fitted on the values before its origin \
         ({first_step} at the first step)"
    );
}

/// Says why intervals are missing or likely too narrow, and what would give them: the
/// calibration of the first step (`first`) of `series` series' validation windows together.
pub(crate) fn note_on_calibration(
    config: &ExperimentConfig,
    calibration: Calibration,
    first: Option<&Conformal>,
    series: usize,
) {
    let data = &config.data;
    if calibration == Calibration::Training && !config.evaluate.intervals.is_empty() {
        eprintln!(
            "note: without a validation period ([data] valid_len = 0) the intervals are \
             calibrated on the training windows' errors, and likely too narrow"
        );
        return;
    }
    let Some(first) = first else {
        return;
    };
    for level in first.missing_levels() {
        let needed = Conformal::errors_needed(level);
        let windows_each = needed.div_ceil(series.max(1));
        let would_give = data.horizon + (windows_each - 1) * data.stride;
        let (held, each) = match series {
            1 => (String::new(), format!("{needed}")),
            _ => (
                format!(" in the {series} series"),
                format!("{windows_each} in each"),
            ),
        };
        eprintln!(
            "note: no {} % interval: its calibration needs {needed} validation windows, and \
             valid_len = {} rows hold {}{held} (valid_len = {would_give} would hold {each})",
            percent(level),
            data.valid_len,
            first.calibration_size,
        );
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

/// Writes `forecast.csv` and the chart of the series' end and the forecast (of a panel's
/// `series`, named in the chart).
pub(crate) fn write_forecast(
    run: &RunDir,
    target: &str,
    (loaded, series_name): (&LoadedSeries, Option<&str>),
    forecast: &Forecast,
) -> anyhow::Result<()> {
    let series = &loaded.series;
    let values = series
        .column(target)
        .expect("the loaded series has its target column");
    let shown = plots::history_rows(series.len(), forecast.days.len());
    plots::history_and_forecast(
        &run.file(files::FORECAST_PLOT),
        &series.dates[shown.clone()],
        &values[shown],
        &chart_of(forecast),
        &plots::series_label(target, series_name),
    )?;
    run.write(files::FORECAST, forecast_csv(forecast).as_bytes())
}
