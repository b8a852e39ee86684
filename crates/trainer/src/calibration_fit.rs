//! The second fit of a one-series run whose validation period is too short to calibrate its
//! intervals (`[evaluate] calibration_fit`, which the default recipe sets): the same config
//! trained again with more of the rows before the test period held out for validation. Its
//! errors over those validation windows calibrate the evaluated model's intervals, and the
//! naive forecast's errors over the same windows the naive forecast's, as `trainer forecast`
//! calibrates its refit on the errors of the fit that chose its epoch. The test period is the
//! same, and nothing of it is read.

use anyhow::bail;
use yoho_data::{DataConfig, LoadedSeries, PreparedData};
use yoho_eval::Conformal;
use yoho_eval::intervals::{
    Calibration, CalibrationErrors, calibration_errors_by_step, naive_validation_errors,
};

use crate::artifacts::{RunDir, files};
use crate::config::{ExperimentConfig, OutputKind};
use crate::device::SelectedDevice;
use crate::training::{TrainingControl, TrainingEnd, train};

/// A second fit's calibration errors.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SecondFitErrors {
    /// The model's errors (forecast − actual) at each step ahead over the fit's validation
    /// windows.
    pub by_step: Vec<Vec<f64>>,
    /// The naive forecast's over the same windows.
    pub naive: Vec<f64>,
}

impl SecondFitErrors {
    /// The model's errors, for `yoho_eval::intervals::conformal_test_intervals_from`.
    pub fn model(&self) -> CalibrationErrors<'_> {
        CalibrationErrors {
            calibration: Calibration::SecondFit,
            by_step: &self.by_step,
        }
    }
}

/// The validation period (rows) the second fit wants: enough windows for `config`'s widest
/// interval; `None` when it needs no second fit (the key is off, no interval is asked for, the
/// model gives its own quantiles, it evaluates weights without training, there is no validation
/// period, or `windows` validation windows are already enough).
pub(crate) fn wanted_valid_len(config: &ExperimentConfig, windows: usize) -> Option<usize> {
    let data = &config.data;
    let needed = (config.evaluate.intervals.iter())
        .map(|level| Conformal::errors_needed(*level))
        .max()?;
    let wanted = config.evaluate.calibration_fit
        && config.model.output == OutputKind::Point
        && config.model.init_from.is_none()
        && data.valid_len > 0
        && windows < needed;
    wanted.then(|| data.horizon + (needed - 1) * data.stride)
}

/// The longest validation period from `wanted` rows down to one more than `data`'s own that
/// `prepare` accepts while keeping the recipe's 16 training windows and `data`'s test period,
/// with the series prepared for it; `None` when none does.
fn second_data(
    data: &PreparedData,
    own_valid_len: usize,
    wanted: usize,
    prepare: impl Fn(usize) -> Option<PreparedData>,
) -> Option<(usize, PreparedData)> {
    let test_start = |data: &PreparedData| data.splits.test.first().map(|w| w.first_target_row());
    (own_valid_len + 1..=wanted).rev().find_map(|valid_len| {
        let longer = prepare(valid_len)?;
        let keeps = longer.splits.train.len() >= yoho_data::defaults::MIN_TRAINING_WINDOWS
            && longer.splits.test.len() == data.splits.test.len()
            && test_start(&longer) == test_start(data);
        keeps.then_some((valid_len, longer))
    })
}

/// Trains `config` again on its series (`data` as the run prepared it, re-read with the
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
    let Some(wanted) = wanted_valid_len(config, data.splits.valid.len()) else {
        return Ok(None);
    };
    let loaded: LoadedSeries = yoho_data::load(&config.data, extra)?;
    let own = config.data.valid_len;
    let prepare = |valid_len: usize| {
        let data = DataConfig {
            valid_len,
            ..config.data.clone()
        };
        yoho_data::prepare_loaded(loaded.clone(), &data).ok()
    };
    let Some((valid_len, longer)) = second_data(data, own, wanted, prepare) else {
        eprintln!(
            "note: [evaluate] calibration_fit: the series is too short to hold out more than \
             its {own} validation rows and keep 16 training windows; no second fit"
        );
        return Ok(None);
    };
    eprintln!(
        "second fit for the intervals: {} validation windows ({valid_len} rows before the test \
         period) instead of {}",
        longer.splits.valid.len(),
        data.splits.valid.len()
    );
    let mut second = config.clone();
    second.data.valid_len = valid_len;
    let dir = run.file(files::CALIBRATION_FIT_DIR);
    // a resumed run's earlier second fit, if any, starts again
    let _ = std::fs::remove_dir_all(&dir);
    let end = train(
        &second,
        &longer.training_data(),
        &selected.device,
        &dir,
        control,
        None,
        None,
    )?;
    let trained = match end {
        TrainingEnd::Finished(trained) => trained,
        TrainingEnd::Diverged { epoch, loss } => bail!(
            "the second fit for the intervals diverged at epoch {epoch}: the loss became \
             {loss}; set [evaluate] calibration_fit = false, or lower [train] lr"
        ),
        // the run's training was over: a signal ends the process before this returns
        TrainingEnd::Interrupted { .. } => bail!("the second fit for the intervals was stopped"),
    };
    let blend = second.blend();
    let (_, by_step) = calibration_errors_by_step(
        &trained.forecaster,
        &longer,
        blend.as_ref(),
        &selected.device,
    )?;
    Ok(Some(SecondFitErrors {
        by_step,
        naive: naive_validation_errors(&longer),
    }))
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
        // 95 % needs 19 errors: 18 more windows after the first of a horizon of 3
        assert_eq!(
            wanted_valid_len(&config(120, "[0.8, 0.95]", on), 1),
            Some(21)
        );
        // 80 % needs 4
        assert_eq!(wanted_valid_len(&config(120, "[0.8]", on), 1), Some(6));
        // enough windows already, no interval, or the key off: no second fit
        assert_eq!(wanted_valid_len(&config(120, "[0.8, 0.95]", on), 19), None);
        assert_eq!(wanted_valid_len(&config(120, "[]", on), 1), None);
        assert_eq!(wanted_valid_len(&config(120, "[0.8, 0.95]", ""), 1), None);
    }

    #[test]
    fn a_model_with_its_own_quantiles_needs_no_second_fit() {
        let mut config = config(120, "[0.8, 0.95]", "calibration_fit = true");
        config.model.output = OutputKind::Gaussian;
        assert_eq!(wanted_valid_len(&config, 1), None);
    }

    #[test]
    fn the_second_fit_keeps_the_test_period_and_sixteen_training_windows() {
        let prepare_for = |config: &ExperimentConfig| {
            let config = config.clone();
            move |valid_len: usize| {
                let data = DataConfig {
                    valid_len,
                    ..config.data.clone()
                };
                yoho_data::prepare(&data).ok()
            }
        };
        // a long series gets every validation row it wants
        let long = config(120, "[0.8, 0.95]", "calibration_fit = true");
        let data = prepared(&long);
        let (valid_len, longer) = second_data(&data, 3, 21, prepare_for(&long)).unwrap();
        assert_eq!(valid_len, 21);
        assert_eq!(longer.splits.valid.len(), 19);
        assert_eq!(longer.splits.test.to_vec(), data.splits.test.to_vec());
        // a short one as many as leave 16 training windows
        let short = config(40, "[0.8, 0.95]", "calibration_fit = true");
        let data = prepared(&short);
        let (valid_len, longer) = second_data(&data, 3, 21, prepare_for(&short)).unwrap();
        assert_eq!(longer.splits.train.len(), 16);
        assert!(valid_len > 3 && valid_len < 21, "{valid_len}");
        assert_eq!(longer.splits.test.to_vec(), data.splits.test.to_vec());
        // one with no row to spare (as many fewer rows as the short one spared): none
        let none = config(
            40 - (valid_len - 3),
            "[0.8, 0.95]",
            "calibration_fit = true",
        );
        let data = prepared(&none);
        assert_eq!(data.splits.train.len(), 16);
        assert!(second_data(&data, 3, 21, prepare_for(&none)).is_none());
    }

    #[test]
    fn the_second_fits_errors_are_named_as_such() {
        let errors = SecondFitErrors {
            by_step: vec![vec![1.0, -1.0]],
            naive: vec![2.0],
        };
        assert_eq!(errors.model().calibration, Calibration::SecondFit);
        assert_eq!(errors.model().by_step, &[vec![1.0, -1.0]]);
    }
}
