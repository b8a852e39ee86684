//! Conformal intervals for the series of a panel, calibrated together.
//!
//! One model over many series leaves each series only a few validation windows (the M4's
//! protocol holds out one origin per series), too few for a conformal interval of its own
//! (95 % needs 19 errors). The series' errors are pooled instead, each divided by its series'
//! scale, the in-sample MAE of the seasonal naive forecast over its training rows (the
//! denominator of MASE): the `⌈(n + 1)·α⌉`-th smallest of the `n` pooled scaled errors at a
//! step ahead, times a series' scale, is that series' half-width at that step. Where the
//! scaled errors of the series are exchangeable (errors in proportion to how much each series
//! moves) such an interval covers with probability at least `α`, as split conformal does for
//! one series.

use burn::tensor::Device;
use yoho_data::PreparedData;
use yoho_model::Forecaster;

use crate::blend::Blend;
use crate::inference::InferenceError;
use crate::intervals::{
    Calibration, Conformal, calibrate_by_step, calibration_windows, errors_by_step,
};
use crate::metrics::{naive_in_sample_mae, seasonal_naive_in_sample_mae};
use crate::parallel::{cores, in_parallel};
use crate::rolling::voices_rolling_errors;

/// Each series' calibration errors at each step ahead, `[series][step][error]` (forecast −
/// actual, each series' units).
pub type ErrorsBySeries = Vec<Vec<Vec<f64>>>;

/// One series' calibration errors, before pooling.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesErrors {
    /// What its errors are divided by: the in-sample MAE of its seasonal naive forecast.
    pub scale: f64,
    /// Its errors (forecast − actual, its units) at each step ahead.
    pub by_step: Vec<Vec<f64>>,
}

impl SeriesErrors {
    /// The errors of `model` (with `blend`, the blended forecast) over `data`'s validation
    /// windows (its training windows when it has none), and which of the two they are; the
    /// scale [`series_scale`]'s.
    pub fn of(
        model: &Forecaster,
        data: &PreparedData,
        season: Option<usize>,
        blend: Option<&Blend>,
        device: &Device,
    ) -> Result<(Calibration, Self), InferenceError> {
        let (calibration, windows) = calibration_windows(data);
        let by_step = errors_by_step(model, data, windows, blend, device)?;
        let scale = series_scale(data, season);
        Ok((calibration, Self { scale, by_step }))
    }
}

/// How much a series moves, to put its errors beside another series': the in-sample MAE of its
/// seasonal naive forecast of period `season` over `data`'s training rows (the denominator of
/// MASE), the naive forecast's where that is undefined or 0, and 1 for a series that never
/// moves.
pub fn series_scale(data: &PreparedData, season: Option<usize>) -> f64 {
    let training_rows = data.splits.last_training_row().map_or(0, |row| row + 1);
    let in_sample = &data.target_values()[..training_rows];
    [
        seasonal_naive_in_sample_mae(in_sample, season.unwrap_or(1)),
        naive_in_sample_mae(in_sample),
    ]
    .into_iter()
    .find(|scale| scale.is_finite() && *scale > 0.0)
    .unwrap_or(1.0)
}

/// Each series' calibration errors after pooling, in its own units (`[series][step][error]`):
/// at each step ahead, the errors of every series divided by their series' scale, times this
/// series' scale; see the module doc.
pub fn pooled_errors(series: &[SeriesErrors]) -> ErrorsBySeries {
    let steps = series.iter().map(|s| s.by_step.len()).max().unwrap_or(0);
    let scaled: Vec<Vec<f64>> = (0..steps)
        .map(|step| {
            (series.iter())
                .filter_map(|s| Some((s.scale, s.by_step.get(step)?)))
                .flat_map(|(scale, errors)| errors.iter().map(move |error| error / scale))
                .collect()
        })
        .collect();
    (series.iter())
        .map(|s| {
            (scaled.iter())
                .map(|errors| errors.iter().map(|error| error * s.scale).collect())
                .collect()
        })
        .collect()
}

/// Every series' conformal calibration of `levels` at each step ahead (`[series][step]`), from
/// the scaled errors of all `series` pooled ([`pooled_errors`]). Each calibration's
/// `calibration_size` is the pooled count at its step.
pub fn pool(series: &[SeriesErrors], levels: &[f64]) -> Vec<Vec<Conformal>> {
    calibrate_each(&pooled_errors(series), levels)
}

/// The calibration of `levels` on each series' errors at each step (`[series][step]`).
pub fn calibrate_each(errors: &[Vec<Vec<f64>>], levels: &[f64]) -> Vec<Vec<Conformal>> {
    (errors.iter())
        .map(|steps| calibrate_by_step(steps, levels))
        .collect()
}

/// The pooled calibration errors of every series of a panel (`[series][step][error]`, in
/// `series`' order and each series' units; [`pooled_errors`]) of `model`'s forecasts (with
/// `blend`, the blended forecast's) over each series' validation windows;
/// [`Calibration::Training`] when some series had none and lent its training windows' errors.
/// Nothing after a series' windows is read.
pub fn pooled_errors_by_step(
    model: &Forecaster,
    series: &[&PreparedData],
    season: Option<usize>,
    blend: Option<&Blend>,
    device: &Device,
) -> Result<(Calibration, ErrorsBySeries), InferenceError> {
    let mut calibration = Calibration::Validation;
    let mut errors = Vec::with_capacity(series.len());
    // each series' statistical fits at its own origins, the series side by side
    let each = in_parallel(series, cores(), |_, data| {
        SeriesErrors::of(model, data, season, blend, device)
    });
    for result in each {
        let (used, series_errors) = result?;
        if used == Calibration::Training {
            calibration = Calibration::Training;
        }
        errors.push(series_errors);
    }
    Ok((calibration, pooled_errors(&errors)))
}

/// The pooled calibration errors of every series of a panel (`[series][step][error]`, in
/// `series`' order and each series' units; [`pooled_errors`]) of `blend`'s statistical members
/// alone, at the newest `most_origins` origins rolling over each series' values before its
/// test period ([`voices_rolling_errors`]): where the networks' validation windows are too few
/// and the series too short for a second fit. Nothing from a test period is read.
pub fn pooled_voices_errors(
    series: &[&PreparedData],
    (season, blend): (Option<usize>, &Blend),
    most_origins: usize,
) -> ErrorsBySeries {
    let each = in_parallel(series, cores(), |_, data| SeriesErrors {
        scale: series_scale(data, season),
        by_step: voices_rolling_errors(blend, data, most_origins).0,
    });
    pooled_errors(&each)
}

/// How many pooled errors calibrate the first step ahead (every series has as many; 0 for
/// none).
pub fn first_step_count(errors: &ErrorsBySeries) -> usize {
    (errors.first())
        .and_then(|steps| steps.first())
        .map_or(0, Vec::len)
}

/// The pooled conformal calibration of `levels` for every series of a panel (`[series][step]`)
/// from [`pooled_errors_by_step`].
pub fn pooled_conformal_by_step(
    model: &Forecaster,
    series: &[&PreparedData],
    levels: &[f64],
    season: Option<usize>,
    blend: Option<&Blend>,
    device: &Device,
) -> Result<(Calibration, Vec<Vec<Conformal>>), InferenceError> {
    let (calibration, errors) = pooled_errors_by_step(model, series, season, blend, device)?;
    Ok((calibration, calibrate_each(&errors, levels)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_share_their_scaled_errors_and_keep_their_own_scale() {
        // scaled errors 1, 2 (scale 1) and 3, 4 (scale 1,000): pooled 1, 2, 3, 4
        let small = SeriesErrors {
            scale: 1.0,
            by_step: vec![vec![1.0, -2.0]],
        };
        let large = SeriesErrors {
            scale: 1000.0,
            by_step: vec![vec![-3000.0, 4000.0]],
        };
        let calibrated = pool(&[small, large], &[0.5, 0.8, 0.95]);
        // n = 4: 50 % is the ⌈2.5⌉ = 3rd smallest, 80 % the ⌈4⌉ = 4th, 95 % needs 19 errors
        assert_eq!(calibrated[0][0].half_widths, [Some(3.0), Some(4.0), None]);
        assert_eq!(
            calibrated[1][0].half_widths,
            [Some(3000.0), Some(4000.0), None]
        );
        assert!(calibrated.iter().all(|s| s[0].calibration_size == 4));
        assert_eq!(
            calibrated[1][0].interval(0.8, 10_000.0),
            Some((6000.0, 14_000.0))
        );
    }

    #[test]
    fn each_step_is_pooled_on_its_own() {
        let one = SeriesErrors {
            scale: 2.0,
            by_step: vec![vec![2.0], vec![20.0]],
        };
        let two = SeriesErrors {
            scale: 1.0,
            by_step: vec![vec![3.0], vec![1.0]],
        };
        let calibrated = pool(&[one, two], &[0.5]);
        // step 1: scaled 1 and 3, the ⌈1.5⌉ = 2nd smallest is 3; step 2: 10 and 1 → 10
        assert_eq!(calibrated[0][0].half_widths, [Some(6.0)]);
        assert_eq!(calibrated[1][0].half_widths, [Some(3.0)]);
        assert_eq!(calibrated[0][1].half_widths, [Some(20.0)]);
        assert_eq!(calibrated[1][1].half_widths, [Some(10.0)]);
    }

    #[test]
    fn a_series_alone_gets_plain_split_conformal() {
        let errors = vec![vec![0.5, -1.5, 2.5, -0.1, 0.9]];
        let alone = SeriesErrors {
            scale: 7.0,
            by_step: errors.clone(),
        };
        let pooled = pool(&[alone], &[0.5, 0.8]);
        let plain = Conformal::calibrate(&errors[0], &[0.5, 0.8]);
        for (ours, theirs) in pooled[0][0].half_widths.iter().zip(&plain.half_widths) {
            assert!((ours.unwrap() - theirs.unwrap()).abs() < 1e-12);
        }
    }
}
