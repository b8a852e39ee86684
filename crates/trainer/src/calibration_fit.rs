//! The second fit of a run whose validation period is too short to calibrate its intervals
//! (`[evaluate] calibration_fit`, which the default recipe sets): the same config trained
//! again with more of the rows before the test period held out for validation (of one series,
//! or of every series of a panel). Its errors over those validation windows calibrate the
//! evaluated model's intervals (and, for one series, the naive forecast's errors over the same
//! windows the naive forecast's), as `trainer forecast` calibrates its refit on the errors of
//! the fit that chose its epoch. The test period is the same, and nothing of it is read.
//!
//! Where the series is too short for a second fit that calibrates an interval, or the fit
//! diverges or is stopped, a config that blends statistical voices calibrates on their errors
//! instead, at origins rolling over the values before the test period
//! (`Calibration::VoicesAtRollingOrigins`, for a panel pooled over its series).

use yoho_data::{LoadedSeries, PreparedData, PreparedPanel, TrainingData};
use yoho_eval::Conformal;
use yoho_eval::intervals::{
    Calibration, CalibrationErrors, calibration_errors_by_step, naive_validation_errors,
};
use yoho_eval::pooled::{
    ErrorsBySeries, first_step_count, pooled_errors_by_step, pooled_voices_errors,
};
use yoho_eval::rolling::voices_rolling_errors;

use crate::artifacts::{RunDir, files};
use crate::config::{ExperimentConfig, OutputKind};
use crate::device::SelectedDevice;
use crate::longer_validation::{keeps_panel, keeps_series, longest, rows_for, with_valid_len};
use crate::training::{TrainedModel, TrainingControl, TrainingEnd, train};

/// A second fit's calibration errors, or, where the series is too short for one, its
/// statistical voices' at rolling origins.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SecondFitErrors {
    /// Where they come from: [`Calibration::SecondFit`] or
    /// [`Calibration::VoicesAtRollingOrigins`].
    pub calibration: Calibration,
    /// The model's errors (forecast − actual) at each step ahead over the fit's validation
    /// windows (the voices' at the origins).
    pub by_step: Vec<Vec<f64>>,
    /// The naive forecast's over the same windows (one step ahead at the same origins).
    pub naive: Vec<f64>,
}

impl SecondFitErrors {
    /// The model's errors, for `yoho_eval::intervals::conformal_test_intervals_from`.
    pub fn model(&self) -> CalibrationErrors<'_> {
        CalibrationErrors {
            calibration: self.calibration,
            by_step: &self.by_step,
        }
    }

    /// Where one series (`data`) gets no second fit (`why`: too short for one that calibrates
    /// an interval, or it diverged or was stopped): the errors of `config`'s statistical voices
    /// alone at origins rolling over the values before the test period
    /// (`yoho_eval::rolling::voices_rolling_errors`), as the voices' own forecast of
    /// a series too short for networks is calibrated; `None` without voices.
    fn of_voices(config: &ExperimentConfig, data: &PreparedData, why: &str) -> Option<Self> {
        let blend = config.blend()?;
        let (by_step, naive) = voices_rolling_errors(&blend, data, voice_origins(config));
        eprintln!(
            "note: [evaluate] calibration_fit: {why}; the intervals are calibrated on the \
             errors of the statistical voices alone at {} origins rolling over the values \
             before the test period",
            naive.len()
        );
        Some(Self {
            calibration: Calibration::VoicesAtRollingOrigins,
            by_step,
            naive,
        })
    }
}

/// The validation period (rows) the second fit wants: enough windows for `config`'s widest
/// interval from `series` series together (19 errors for 95 %: 19 origins of one series, 5 of
/// each of 4); `None` when it needs no second fit (the key is off, no interval is asked for,
/// the model gives its own quantiles, it evaluates weights without training, there is no
/// validation period, or the `windows` validation windows of every series together are
/// already enough).
pub(crate) fn wanted_valid_len(
    config: &ExperimentConfig,
    windows: usize,
    series: usize,
) -> Option<usize> {
    let data = &config.data;
    let needed = Conformal::errors_needed_for(&config.evaluate.intervals)?;
    let valid_len = rows_for(data, needed, series);
    let wanted = config.evaluate.calibration_fit
        && config.model.output == OutputKind::Point
        && config.model.init_from.is_none()
        && data.valid_len > 0
        && windows < needed
        && valid_len > data.valid_len;
    wanted.then_some(valid_len)
}

/// Trains `config` again on one series (`data` as the run prepared it, re-read with the
/// optional columns `extra`) with the validation period [`wanted_valid_len`] asks for (or the
/// longest the series allows), its checkpoints in the run's `calibration_fit/`, and returns its
/// errors over that period; `None` when the run needs no second fit or the series cannot
/// lengthen its validation period (a note says so).
pub(crate) fn second_fit(
    config: &ExperimentConfig,
    (data, extra): (&PreparedData, &[&str]),
    selected: &SelectedDevice,
    control: &TrainingControl,
    run: &RunDir,
) -> anyhow::Result<Option<SecondFitErrors>> {
    let Some(wanted) = wanted_valid_len(config, data.splits.valid.len(), 1) else {
        return Ok(None);
    };
    let loaded: LoadedSeries = yoho_data::load(&config.data, extra)?;
    let prepare = |valid_len: usize| {
        yoho_data::prepare_loaded(loaded.clone(), &with_valid_len(config, valid_len).data).ok()
    };
    let own = config.data.valid_len;
    let keeps = |longer: &PreparedData| keeps_series(data, longer);
    let found = longest((own, wanted), prepare, keeps);
    // a second fit that calibrates no level either is not worth its training
    let found = match found {
        Some((_, longer)) if calibrates_nothing(config, longer.splits.valid.len()) => None,
        found => found,
    };
    let Some((valid_len, longer)) = found else {
        let why = "the series is too short for a second fit that calibrates an interval";
        let voices = SecondFitErrors::of_voices(config, data, why);
        if voices.is_none() {
            too_short(own);
        }
        return Ok(voices);
    };
    let (own_windows, windows) = (data.splits.valid.len(), longer.splits.valid.len());
    announce(windows, own_windows, valid_len);
    let second = with_valid_len(config, valid_len);
    let Some(trained) = train_second(&second, &longer.training_data(), selected, control, run)?
    else {
        let why = "the second fit did not finish";
        return Ok(SecondFitErrors::of_voices(config, data, why));
    };
    let blend = second.blend();
    let (_, by_step) = calibration_errors_by_step(
        &trained.forecaster,
        &longer,
        blend.as_ref(),
        &selected.device,
    )?;
    Ok(Some(SecondFitErrors {
        calibration: Calibration::SecondFit,
        by_step,
        naive: naive_validation_errors(&longer),
    }))
}

/// [`second_fit`] for a panel (its series re-read with `extra`): the fit's errors of every
/// series over its validation windows, pooled over the series (each in its own scale) as the
/// run's own would be (`[series][step][error]`, in `panel`'s order), and where they come from;
/// where a series cannot lengthen its validation period (or the fit does not finish), every
/// series' statistical voices' errors at rolling origins, pooled alike
/// ([`Calibration::VoicesAtRollingOrigins`]); `None` when the run needs no second fit, or
/// neither is to be had.
pub(crate) fn second_fit_panel(
    config: &ExperimentConfig,
    (panel, extra): (&PreparedPanel, &[&str]),
    selected: &SelectedDevice,
    control: &TrainingControl,
    run: &RunDir,
) -> anyhow::Result<Option<(Calibration, ErrorsBySeries)>> {
    let windows = validation_windows(panel);
    let Some(wanted) = wanted_valid_len(config, windows, panel.series.len()) else {
        return Ok(None);
    };
    // the file read once, each length prepared from it
    let (yoho_data::Source::File { path }, Some(column)) =
        (&config.data.source, &config.data.series_column)
    else {
        return Ok(None);
    };
    let options = config.data.load_options(extra);
    let loaded = yoho_data::load_file_panel(path, &options, column)?;
    let prepare = |valid_len: usize| {
        let data = with_valid_len(config, valid_len).data;
        yoho_data::prepare_panel_loaded(loaded.clone(), &data, column).ok()
    };
    let own = config.data.valid_len;
    let keeps = |longer: &PreparedPanel| keeps_panel(panel, longer);
    let found = match longest((own, wanted), prepare, keeps) {
        Some((_, longer)) if calibrates_nothing(config, validation_windows(&longer)) => None,
        found => found,
    };
    let Some((valid_len, longer)) = found else {
        let why = "the data is too short for a second fit that calibrates an interval";
        let voices = voices_of_panel(config, panel, why);
        if voices.is_none() {
            too_short(own);
        }
        return Ok(voices);
    };
    announce(validation_windows(&longer), windows, valid_len);
    let second = with_valid_len(config, valid_len);
    let Some(trained) = train_second(&second, &longer.training_data(), selected, control, run)?
    else {
        let why = "the second fit did not finish";
        return Ok(voices_of_panel(config, panel, why));
    };
    let series: Vec<_> = longer.series.iter().map(|member| &member.data).collect();
    let (_, errors) = pooled_errors_by_step(
        &trained.forecaster,
        &series,
        second.evaluate.season,
        second.blend().as_ref(),
        &selected.device,
    )?;
    Ok(Some((Calibration::SecondFit, errors)))
}

/// The validation windows of every series of `panel` together.
fn validation_windows(panel: &PreparedPanel) -> usize {
    (panel.series.iter())
        .map(|member| member.data.splits.valid.len())
        .sum()
}

/// Whether a second fit's `windows` validation windows (a panel's together) are too few for
/// even `config`'s narrowest interval where its statistical voices could calibrate instead: such
/// a fit is not worth its training.
fn calibrates_nothing(config: &ExperimentConfig, windows: usize) -> bool {
    let narrowest = (config.evaluate.intervals.iter())
        .map(|level| Conformal::errors_needed(*level))
        .min()
        .unwrap_or(0);
    config.blend().is_some() && windows < narrowest
}

/// [`SecondFitErrors::of_voices`] for a panel: every series' statistical voices' errors at
/// origins rolling over its values before its test period, pooled over the series
/// (`yoho_eval::pooled::pooled_voices_errors`), with a note saying `why`; `None` without
/// voices.
fn voices_of_panel(
    config: &ExperimentConfig,
    panel: &PreparedPanel,
    why: &str,
) -> Option<(Calibration, ErrorsBySeries)> {
    let blend = config.blend()?;
    let series: Vec<_> = panel.series.iter().map(|member| &member.data).collect();
    let voices = (config.evaluate.season, &blend);
    let errors = pooled_voices_errors(&series, voices, voice_origins(config));
    eprintln!(
        "note: [evaluate] calibration_fit: {why}; the intervals are calibrated on the errors of \
         every series' statistical voices alone at origins rolling over its values before its \
         test period, pooled ({} at the first step)",
        first_step_count(&errors)
    );
    Some((Calibration::VoicesAtRollingOrigins, errors))
}

/// The most origins the statistical voices are fitted at for a run's intervals
/// (`yoho_eval::rolling::voice_origins` of its levels and horizon).
pub(crate) fn voice_origins(config: &ExperimentConfig) -> usize {
    yoho_eval::rolling::voice_origins(&config.evaluate.intervals, config.data.horizon)
}

fn too_short(own: usize) {
    eprintln!(
        "note: [evaluate] calibration_fit: the data is too short to hold out more than its \
         {own} validation rows and keep its training windows; no second fit"
    );
}

fn announce(windows: usize, own_windows: usize, valid_len: usize) {
    eprintln!(
        "second fit for the intervals: {windows} validation windows ({valid_len} rows before \
         the test period) instead of {own_windows}"
    );
}

/// Trains the second fit's `config` on `data`, its checkpoints in the run's `calibration_fit/`;
/// `None` where it diverged (with a note) or a signal stopped it (the caller says so): the
/// run's model trained, so it is evaluated with the intervals its statistical voices (one
/// series') or its own validation windows give.
fn train_second(
    config: &ExperimentConfig,
    data: &TrainingData,
    selected: &SelectedDevice,
    control: &TrainingControl,
    run: &RunDir,
) -> anyhow::Result<Option<TrainedModel>> {
    let dir = run.file(files::CALIBRATION_FIT_DIR);
    // a resumed run's earlier second fit, if any, starts again
    let _ = std::fs::remove_dir_all(&dir);
    let end = train(config, data, &selected.device, &dir, control, None, None)?;
    match end {
        TrainingEnd::Finished(trained) => Ok(Some(*trained)),
        TrainingEnd::Diverged { epoch, loss } => {
            eprintln!(
                "note: the second fit for the intervals diverged at epoch {epoch} (the loss \
                 became {loss})"
            );
            Ok(None)
        }
        // Ctrl-C: the run is written without it, and says so
        TrainingEnd::Interrupted { .. } => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A noisy sine of `points` rows, windows of 10, a horizon of 3 held out for the test and
    /// for validation, intervals `levels` and `[evaluate]` lines `evaluate`.
    fn config(points: usize, levels: &str, evaluate: &str) -> ExperimentConfig {
        let text = format!(
            "[data]\nsource = \"sine\"\npoints = {points}\nfeatures = [\"value\"]\ntarget = \
             \"value\"\nwindow_len = 10\nhorizon = 3\ntest_len = 3\nvalid_len = 3\n\
             [evaluate]\nintervals = {levels}\n{evaluate}"
        );
        ExperimentConfig::from_table(toml::from_str(&text).unwrap(), "t.toml".as_ref()).unwrap()
    }

    fn prepared(config: &ExperimentConfig) -> PreparedData {
        yoho_data::prepare(&config.data).unwrap()
    }

    #[test]
    fn the_widest_interval_sizes_the_second_fits_validation_period() {
        let on = "calibration_fit = true";
        let wanted = |levels: &str, evaluate: &str, windows: usize, series: usize| {
            wanted_valid_len(&config(120, levels, evaluate), windows, series)
        };
        // 95 % needs 19 errors: 18 more windows after the first of a horizon of 3
        assert_eq!(wanted("[0.8, 0.95]", on, 1, 1), Some(21));
        // 80 % needs 4
        assert_eq!(wanted("[0.8]", on, 1, 1), Some(6));
        // a panel of 4 series: 5 windows each; of 19 or more, none
        assert_eq!(wanted("[0.8, 0.95]", on, 4, 4), Some(7));
        assert_eq!(wanted("[0.8, 0.95]", on, 4, 20), None);
        // enough windows already, no interval, or the key off: no second fit
        assert_eq!(wanted("[0.8, 0.95]", on, 19, 1), None);
        assert_eq!(wanted("[]", on, 1, 1), None);
        assert_eq!(wanted("[0.8, 0.95]", "", 1, 1), None);
    }

    #[test]
    fn a_model_with_its_own_quantiles_needs_no_second_fit() {
        let mut config = config(120, "[0.8, 0.95]", "calibration_fit = true");
        config.model.output = OutputKind::Gaussian;
        assert_eq!(wanted_valid_len(&config, 1, 1), None);
    }

    #[test]
    fn the_second_fit_keeps_the_test_period_and_sixteen_training_windows() {
        let second = |config: &ExperimentConfig| {
            let data = prepared(config);
            let prepare =
                |valid_len| yoho_data::prepare(&with_valid_len(config, valid_len).data).ok();
            let found = longest((3, 21), prepare, |longer| keeps_series(&data, longer));
            (data, found)
        };
        // a long series gets every validation row it wants
        let (data, found) = second(&config(120, "[0.8, 0.95]", "calibration_fit = true"));
        let (valid_len, longer) = found.unwrap();
        assert_eq!(valid_len, 21);
        assert_eq!(longer.splits.valid.len(), 19);
        assert_eq!(longer.splits.test.to_vec(), data.splits.test.to_vec());
        // a short one as many as leave 16 training windows
        let (data, found) = second(&config(40, "[0.8, 0.95]", "calibration_fit = true"));
        let (valid_len, longer) = found.unwrap();
        assert_eq!(longer.splits.train.len(), 16);
        assert!(valid_len > 3 && valid_len < 21, "{valid_len}");
        assert_eq!(longer.splits.test.to_vec(), data.splits.test.to_vec());
        // one with no row to spare (as many fewer rows as the short one spared): none
        let (data, found) = second(&config(
            40 - (valid_len - 3),
            "[0.8, 0.95]",
            "calibration_fit = true",
        ));
        assert_eq!(data.splits.train.len(), 16);
        assert!(found.is_none());
    }

    #[test]
    fn the_second_fits_errors_are_named_as_such() {
        let errors = SecondFitErrors {
            calibration: Calibration::SecondFit,
            by_step: vec![vec![1.0, -1.0]],
            naive: vec![2.0],
        };
        assert_eq!(errors.model().calibration, Calibration::SecondFit);
        assert_eq!(errors.model().by_step, &[vec![1.0, -1.0]]);
    }
}
