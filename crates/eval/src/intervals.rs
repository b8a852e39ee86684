//! Prediction intervals and how to score them.
//!
//! Every point forecaster gets **split-conformal** intervals: its absolute errors on data it was
//! not fitted on (the validation windows, for the model and the naive forecast alike) are the
//! calibration set, and the central interval of level `α` is the
//! forecast ± the `⌈(n + 1)·α⌉`-th smallest of those `n` errors. When the errors are
//! exchangeable with the test errors, such an interval covers the actual value with probability
//! at least `α` (Vovk et al. 2005; Lei et al. 2018).
//!
//! Intervals are scored by their empirical coverage, their mean width, the pinball loss of their
//! two ends as quantiles, and a CRPS estimated from those quantiles ([`crps_from_quantiles`]);
//! [`crps_gaussian`] is the closed form for a Gaussian forecast.

use std::collections::BTreeMap;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use yoho_data::{PreparedData, RawWindow, TargetTransform, Timestamp, WindowRun};
use yoho_model::{Forecaster, OutputDistribution};

use crate::blend::Blend;
use crate::bounds::Bounds;
use crate::evaluate::TestForecast;
use crate::inference::{self, InferenceError};
use crate::parallel::per_window;

/// The calibration of symmetric conformal intervals: one half-width per level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conformal {
    /// The central levels, e.g. `[0.8, 0.95]`.
    pub levels: Vec<f64>,
    /// The half-width of each level's interval, in the target's units; `None` when the
    /// calibration set is too small for the level (it needs `n ≥ α / (1 − α)` errors, e.g. 19
    /// for 95 %).
    pub half_widths: Vec<Option<f64>>,
    /// Errors calibrated on.
    pub calibration_size: usize,
}

impl Conformal {
    /// Calibrates on `errors` (forecast minus actual, any sign) for each of `levels`.
    pub fn calibrate(errors: &[f64], levels: &[f64]) -> Self {
        let mut magnitudes: Vec<f64> = errors
            .iter()
            .map(|e| e.abs())
            .filter(|e| e.is_finite())
            .collect();
        magnitudes.sort_by(f64::total_cmp);
        let n = magnitudes.len();
        let half_widths = levels
            .iter()
            .map(|level| {
                let rank = ((n + 1) as f64 * level).ceil() as usize;
                (rank >= 1 && rank <= n).then(|| magnitudes[rank - 1])
            })
            .collect();
        Self {
            levels: levels.to_vec(),
            half_widths,
            calibration_size: n,
        }
    }

    /// The fewest calibration errors that give an interval of `level`: `⌈α / (1 − α)⌉`.
    pub fn errors_needed(level: f64) -> usize {
        (level / (1.0 - level) - 1e-9).ceil() as usize
    }

    /// The fewest calibration errors that give an interval of every one of `levels` (the
    /// widest's [`Conformal::errors_needed`]); `None` without levels.
    pub fn errors_needed_for(levels: &[f64]) -> Option<usize> {
        levels.iter().map(|level| Self::errors_needed(*level)).max()
    }

    /// The levels this calibration cannot give, for too few errors.
    pub fn missing_levels(&self) -> Vec<f64> {
        self.levels
            .iter()
            .zip(&self.half_widths)
            .filter(|(_, half_width)| half_width.is_none())
            .map(|(level, _)| *level)
            .collect()
    }

    /// The interval of `level` around `forecast`, `(lower, upper)`; `None` for a level this
    /// calibration does not hold or cannot give.
    pub fn interval(&self, level: f64, forecast: f64) -> Option<(f64, f64)> {
        let index = self.levels.iter().position(|l| *l == level)?;
        let half_width = self.half_widths[index]?;
        Some((forecast - half_width, forecast + half_width))
    }

    /// The intervals of every level around `forecasts` (levels the calibration cannot give are
    /// left out).
    pub fn intervals(&self, forecasts: &[f64]) -> Vec<Intervals> {
        self.levels
            .iter()
            .filter(|level| self.interval(**level, 0.0).is_some())
            .map(|level| {
                let (lower, upper) = forecasts
                    .iter()
                    .map(|f| self.interval(*level, *f).expect("a level it can give"))
                    .unzip();
                Intervals {
                    level: *level,
                    lower,
                    upper,
                }
            })
            .collect()
    }
}

/// Central intervals of one level for a run of forecasts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Intervals {
    /// The nominal coverage, e.g. 0.8.
    pub level: f64,
    /// The lower ends: the `(1 − level) / 2` quantile.
    pub lower: Vec<f64>,
    /// The upper ends: the `(1 + level) / 2` quantile.
    pub upper: Vec<f64>,
}

impl Intervals {
    /// The level in percent, as columns and keys name it: `80`, `95`, `97.5`.
    pub fn percent(&self) -> String {
        percent(self.level)
    }

    /// The quantile levels of the lower and the upper ends.
    pub fn quantile_levels(&self) -> [f64; 2] {
        [(1.0 - self.level) / 2.0, (1.0 + self.level) / 2.0]
    }

    /// Each interval's ends brought within `bounds` (one per interval, in order).
    pub fn bound(&mut self, bounds: &[Bounds]) {
        let ends = self.lower.iter_mut().zip(self.upper.iter_mut());
        for ((lower, upper), bounds) in ends.zip(bounds) {
            (*lower, *upper) = bounds.apply_interval((*lower, *upper));
        }
    }
}

/// The quantiles `[window][level]` of each window brought within its `bounds` (one per window).
fn bounded_grid(mut grid: Vec<Vec<Option<f64>>>, bounds: &[Bounds]) -> Vec<Vec<Option<f64>>> {
    for (window, bounds) in grid.iter_mut().zip(bounds) {
        for quantile in window.iter_mut().flatten() {
            *quantile = bounds.apply(*quantile);
        }
    }
    grid
}

/// `level` in percent without trailing zeros: `0.8` → `80`, `0.975` → `97.5`.
pub fn percent(level: f64) -> String {
    let percent = (level * 1000.0).round() / 10.0;
    format!("{percent}")
}

/// How well one level's intervals did on the test days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IntervalScore {
    /// The share of actual values inside their interval (ends included).
    pub coverage: f64,
    /// The mean of `upper − lower`, in the target's units.
    pub mean_width: f64,
    /// The pinball loss of the lower ends as the `(1 − level) / 2` quantile.
    pub pinball_lower: f64,
    /// The pinball loss of the upper ends as the `(1 + level) / 2` quantile.
    pub pinball_upper: f64,
}

impl IntervalScore {
    /// Scores `intervals` against `actual`.
    pub fn of(intervals: &Intervals, actual: &[f64]) -> Self {
        let [low_tau, high_tau] = intervals.quantile_levels();
        let inside = actual
            .iter()
            .zip(&intervals.lower)
            .zip(&intervals.upper)
            .filter(|((a, l), u)| *l <= *a && *a <= *u)
            .count();
        let widths = intervals
            .upper
            .iter()
            .zip(&intervals.lower)
            .map(|(u, l)| u - l);
        Self {
            coverage: inside as f64 / actual.len() as f64,
            mean_width: widths.sum::<f64>() / actual.len() as f64,
            pinball_lower: pinball(actual, &intervals.lower, low_tau),
            pinball_upper: pinball(actual, &intervals.upper, high_tau),
        }
    }
}

/// Every interval measure of one forecaster: per level (keyed by percent) and the CRPS.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IntervalMetrics {
    /// Per level, e.g. `"80"`.
    pub levels: BTreeMap<String, IntervalScore>,
    /// The CRPS estimated from the predictive quantiles at [`crps_levels`]
    /// ([`crps_from_quantiles`]); absent when some are unknown (a conformal calibration of
    /// fewer than 9 errors, a quantile head that does not reach 0.05 and 0.95).
    pub crps: Option<f64>,
    /// The pinball loss of each quantile of [`crps_levels`], keyed by level (`"0.05"` …);
    /// empty when some are unknown, and for pooled backtest intervals.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pinball: BTreeMap<String, f64>,
}

impl IntervalMetrics {
    /// Scores `intervals` against `actual`, with the CRPS from `grid`, the quantiles
    /// `[window][level]` at [`crps_levels`].
    pub fn of(intervals: &[Intervals], actual: &[f64], grid: &[Vec<Option<f64>>]) -> Self {
        let levels = intervals
            .iter()
            .map(|i| (i.percent(), IntervalScore::of(i, actual)))
            .collect();
        Self {
            levels,
            crps: crps_on_grid(actual, grid),
            pinball: pinball_on_grid(actual, grid),
        }
    }
}

/// The pinball loss at each level of [`crps_levels`] from the quantiles `grid`; empty if any
/// is unknown.
fn pinball_on_grid(actual: &[f64], grid: &[Vec<Option<f64>>]) -> BTreeMap<String, f64> {
    crps_levels()
        .iter()
        .enumerate()
        .map(|(index, tau)| {
            let quantiles: Option<Vec<f64>> = grid
                .iter()
                .map(|window| window.get(index).copied().flatten())
                .collect();
            Some((format!("{tau:.2}"), pinball(actual, &quantiles?, *tau)))
        })
        .collect::<Option<BTreeMap<_, _>>>()
        .unwrap_or_default()
}

/// The quantile levels the CRPS is estimated over: 0.05, 0.10, …, 0.95, evenly spaced so that
/// twice their mean pinball loss approximates `2 ∫ pinball_τ dτ` (the tails beyond, where the
/// pinball loss is smallest, are left out, so it reads a few percent high; it compares
/// forecasters scored on the same levels).
pub fn crps_levels() -> Vec<f64> {
    (1..=19).map(|k| f64::from(k) / 20.0).collect()
}

/// The CRPS from the quantiles `[window][level]` at [`crps_levels`]; `None` if any is unknown.
fn crps_on_grid(actual: &[f64], grid: &[Vec<Option<f64>>]) -> Option<f64> {
    let levels = crps_levels();
    let by_level: Option<Vec<Vec<f64>>> = (0..levels.len())
        .map(|index| {
            grid.iter()
                .map(|window| window.get(index).copied().flatten())
                .collect()
        })
        .collect();
    let by_level = by_level?;
    let quantiles: Vec<(f64, &[f64])> = levels
        .iter()
        .zip(&by_level)
        .map(|(tau, values)| (*tau, values.as_slice()))
        .collect();
    Some(crps_from_quantiles(actual, &quantiles))
}

/// The quantiles `[window][level]` at `taus` of the symmetric conformal predictive
/// distributions around `forecasts` calibrated on `errors`: above ½ the forecast plus the
/// `(2τ − 1)` interval's half-width, below ½ minus the `(1 − 2τ)` one, the forecast at ½;
/// `None` where the calibration is too small for the level.
pub fn conformal_quantiles(
    errors: &[f64],
    forecasts: &[f64],
    taus: &[f64],
) -> Vec<Vec<Option<f64>>> {
    let coverages: Vec<f64> = taus.iter().map(|tau| (2.0 * tau - 1.0).abs()).collect();
    let conformal = Conformal::calibrate(errors, &coverages);
    forecasts
        .iter()
        .map(|forecast| {
            taus.iter()
                .zip(&conformal.half_widths)
                .map(|(tau, half_width)| match tau.total_cmp(&0.5) {
                    std::cmp::Ordering::Equal => Some(*forecast),
                    std::cmp::Ordering::Greater => half_width.map(|h| forecast + h),
                    std::cmp::Ordering::Less => half_width.map(|h| forecast - h),
                })
                .collect()
        })
        .collect()
}

/// The pinball (quantile) loss of `forecast` as the `tau` quantile of `actual`, averaged:
/// `mean(max(τ·(a − q), (τ − 1)·(a − q)))`.
pub fn pinball(actual: &[f64], forecast: &[f64], tau: f64) -> f64 {
    let total: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(a, q)| {
            let miss = a - q;
            (tau * miss).max((tau - 1.0) * miss)
        })
        .sum();
    total / actual.len() as f64
}

/// The CRPS estimated from quantile forecasts: twice the mean pinball loss over the quantile
/// levels given (`(τ, forecasts)` pairs), the discrete form of `CRPS = 2 ∫₀¹ pinball_τ dτ`
/// (Gneiting & Raftery 2007). With few levels it is a coarse estimate; it compares forecasters
/// scored on the same levels.
pub fn crps_from_quantiles(actual: &[f64], quantiles: &[(f64, &[f64])]) -> f64 {
    let mean_pinball: f64 = quantiles
        .iter()
        .map(|(tau, forecast)| pinball(actual, forecast, *tau))
        .sum::<f64>()
        / quantiles.len() as f64;
    2.0 * mean_pinball
}

/// The CRPS of a Gaussian forecast `N(mean, sd²)` for the value `actual`, in closed form:
/// `sd · (z·(2Φ(z) − 1) + 2φ(z) − 1/√π)` with `z = (actual − mean) / sd`.
pub fn crps_gaussian(actual: f64, mean: f64, sd: f64) -> f64 {
    let z = (actual - mean) / sd;
    sd * (z * (2.0 * phi_cdf(z) - 1.0) + 2.0 * phi_pdf(z) - 1.0 / std::f64::consts::PI.sqrt())
}

/// The CRPS of `N(mean, sd²)` censored below at `lower` (its mass below `lower` moved onto
/// `lower`: a Gaussian forecast of a series bounded at zero, [`Bounds`]) for the value `actual`,
/// in closed form. `CRPS(F, y) = ∫ (F(x) − 1{y ≤ x})² dx`, and censoring sets `F` to zero below
/// `lower`, so with `a = (lower − mean) / sd` the Gaussian's CRPS loses `sd · ∫₋∞ᵃ Φ(t)² dt`
/// (`= sd · (aΦ(a)² + 2φ(a)Φ(a) − Φ(√2·a)/√π)`) and, for an `actual` below `lower`, gains
/// `2 ∫ Φ((x − mean)/sd) dx` from `actual` to `lower` (`∫Φ = tΦ(t) + φ(t)`). For an `actual`
/// at or above `lower` it never exceeds the Gaussian's.
pub fn crps_censored_gaussian(actual: f64, mean: f64, sd: f64, lower: f64) -> f64 {
    let a = (lower - mean) / sd;
    let below = a * phi_cdf(a).powi(2) + 2.0 * phi_pdf(a) * phi_cdf(a)
        - phi_cdf(std::f64::consts::SQRT_2 * a) / std::f64::consts::PI.sqrt();
    let integral_of_cdf = |t: f64| t * phi_cdf(t) + phi_pdf(t);
    let actual_below = match actual < lower {
        true => 2.0 * (integral_of_cdf(a) - integral_of_cdf((actual - mean) / sd)),
        false => 0.0,
    };
    crps_gaussian(actual, mean, sd) - sd * (below - actual_below)
}

/// The standard normal's distribution function Φ.
fn phi_cdf(z: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().cdf(z)
}

/// The standard normal's density φ (statrs', as Φ is).
fn phi_pdf(z: f64) -> f64 {
    use statrs::distribution::{Continuous, Normal};
    Normal::standard().pdf(z)
}

/// Where the model's calibration errors come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Calibration {
    /// The validation windows: errors on data the model was not fitted on.
    Validation,
    /// The training windows, for lack of validation windows: in-sample errors, so the intervals
    /// are likely too narrow.
    Training,
    /// Origins rolling over the values before the test period, each forecast fitted on the
    /// values before its origin (a statistical forecast without networks:
    /// [`crate::rolling::rolling_errors`]).
    RollingOrigins,
    /// The test forecasts of a backtest's earlier folds, every one of them before this fold's
    /// origin ([`EarlierFolds`]): where one fold's validation windows are too few.
    EarlierFolds,
    /// The validation windows of a second fit of the same config that held out more of the
    /// rows before the test period (and trained on fewer): where the evaluated model's own
    /// validation windows are too few for the widest interval.
    SecondFit,
    /// The errors of the model's statistical voices alone (its blend's members, without the
    /// networks) at origins rolling over the values before the test period, each fitted on the
    /// values before its origin ([`crate::rolling::voices_rolling_errors`]): where the
    /// model's own validation windows are too few and the series too short for a second fit,
    /// and for a backtest's folds before the earlier folds' errors are enough.
    VoicesAtRollingOrigins,
}

/// How a forecaster's intervals were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// Split conformal around the point forecasts.
    Conformal,
    /// The quantiles of the model's own predictive distribution (`[model] output`).
    Distribution,
}

/// One forecaster's intervals on the test days and their scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecasterIntervals {
    /// How they were made.
    pub method: IntervalMethod,
    /// The conformal calibration of the first step ahead (conformal intervals only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conformal: Option<Conformal>,
    /// The intervals around the test days' forecasts.
    #[serde(skip)]
    pub intervals: Vec<Intervals>,
    /// Their scores.
    #[serde(flatten)]
    pub metrics: IntervalMetrics,
}

impl ForecasterIntervals {
    /// Conformal intervals of `levels` around `forecast`, calibrated on `errors`, each within
    /// the [`Bounds`] of its window's origin (`bounds`, one per forecast).
    fn conformal(
        errors: &[f64],
        levels: &[f64],
        (forecast, bounds): (&[f64], &[Bounds]),
        actual: &[f64],
    ) -> Self {
        let conformal = Conformal::calibrate(errors, levels);
        let mut intervals = conformal.intervals(forecast);
        for interval in &mut intervals {
            interval.bound(bounds);
        }
        let grid = bounded_grid(
            conformal_quantiles(errors, forecast, &crps_levels()),
            bounds,
        );
        let metrics = IntervalMetrics::of(&intervals, actual, &grid);
        Self {
            method: IntervalMethod::Conformal,
            conformal: Some(conformal),
            intervals,
            metrics,
        }
    }

    /// Intervals from quantiles `[window][level]` at the levels' lower and upper ends
    /// (`[(1 − α)/2, (1 + α)/2]` per level, in `levels`' order; a level any window lacks is
    /// left out), scored with the quantiles `grid` at [`crps_levels`].
    fn from_quantiles(
        levels: &[f64],
        quantiles: &[Vec<Option<f64>>],
        grid: &[Vec<Option<f64>>],
        actual: &[f64],
    ) -> Self {
        let intervals = intervals_of(levels, |index| {
            (quantiles.iter())
                .map(|window| Some((window[2 * index]?, window[2 * index + 1]?)))
                .collect()
        });
        let metrics = IntervalMetrics::of(&intervals, actual, grid);
        Self {
            method: IntervalMethod::Distribution,
            conformal: None,
            intervals,
            metrics,
        }
    }
}

/// The intervals of one forecast step, one per level: `(lower, upper)`, or `None` where there
/// is no calibration or quantile for it.
pub type StepIntervals = Vec<Option<(f64, f64)>>;

/// The intervals of each of `levels` whose `(lower, upper)` ends `ends(index)` gives for every
/// forecast; a level whose ends some forecast lacks (`None`) is left out.
fn intervals_of(levels: &[f64], ends: impl Fn(usize) -> Option<Vec<(f64, f64)>>) -> Vec<Intervals> {
    (levels.iter().enumerate())
        .filter_map(|(index, level)| {
            let (lower, upper) = ends(index)?.into_iter().unzip();
            Some(Intervals {
                level: *level,
                lower,
                upper,
            })
        })
        .collect()
}

/// The `(lower, upper)` interval of each of `levels` levels from one step's quantiles at
/// [`interval_quantile_levels`] (`None` for a level whose ends are unknown, every level when
/// the step is).
pub fn interval_pairs(ends: Option<&[Option<f64>]>, levels: usize) -> StepIntervals {
    (0..levels)
        .map(|index| {
            let ends = ends?;
            Some((ends[2 * index]?, ends[2 * index + 1]?))
        })
        .collect()
}

/// The quantile levels of the ends of every level's central interval, in order:
/// `[(1 − α₁)/2, (1 + α₁)/2, (1 − α₂)/2, …]`.
pub fn interval_quantile_levels(levels: &[f64]) -> Vec<f64> {
    levels
        .iter()
        .flat_map(|level| [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
        .collect()
}

/// The model's and the naive forecast's intervals on the test days, split-conformal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestIntervals {
    /// The central levels asked for.
    pub levels: Vec<f64>,
    /// Where the conformal calibration errors come from.
    pub calibration: Calibration,
    /// The model's: from its distribution head, else calibrated on its errors on the
    /// calibration windows.
    pub model: ForecasterIntervals,
    /// The naive forecast's, calibrated on its errors over the same windows as the model's.
    pub naive: ForecasterIntervals,
    /// The model's conformal calibration for every step ahead (a point model's; empty for a
    /// distribution head, whose own quantiles `predict` uses): what `predict` puts around its
    /// forecasts.
    pub model_by_step: Vec<Conformal>,
    /// For a Gaussian head whose forecasts decode linearly (not `log_return`): the model's
    /// CRPS in closed form, mean over the test days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_crps_gaussian: Option<f64>,
    /// The model's interval of every level around every step of every test window's forecast
    /// (`test.model_steps()`): `[window][step][level]` as `(lower, upper)`, `None` where there is
    /// no calibration or quantile for it.
    #[serde(skip)]
    pub model_steps: Vec<Vec<StepIntervals>>,
    /// Over a horizon of several steps: the model's intervals scored over every step of every
    /// test window (`model` scores each window's first step, as the naive forecast's
    /// one-step calibration allows). `None` for a one-step horizon, where the two are the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_every_step: Option<IntervalMetrics>,
}

impl TestIntervals {
    /// The model's intervals of `level` over the test days (each window's first step), where
    /// it has them.
    pub fn model_level(&self, level: f64) -> Option<&Intervals> {
        (self.model.intervals.iter()).find(|intervals| intervals.level == level)
    }
}

/// The windows a point model's conformal intervals are calibrated on: `data`'s validation
/// windows, or its training windows when there are none.
pub(crate) fn calibration_windows(data: &PreparedData) -> (Calibration, &WindowRun) {
    match data.splits.valid.is_empty() {
        false => (Calibration::Validation, &data.splits.valid),
        true => (Calibration::Training, &data.splits.train),
    }
}

/// The model's errors (forecast − actual, original units) over `windows`, one list per step
/// ahead of its horizon.
pub(crate) fn errors_by_step(
    model: &Forecaster,
    data: &PreparedData,
    windows: &WindowRun,
    blend: Option<&Blend>,
    device: &Device,
) -> Result<Vec<Vec<f64>>, InferenceError> {
    let horizon = data.window.horizon;
    let mut forecasts = inference::forecast_windows(model, data, windows, device)?;
    if let Some(blend) = blend {
        let networks = forecasts;
        forecasts = per_window(windows, |index, window| {
            blend.forecast_window(data, &window, &networks[index])
        });
    }
    Bounds::apply_by_window(&Bounds::of_windows(data, windows), &mut forecasts);
    let target = data.target_values();
    Ok((0..horizon)
        .map(|step| {
            windows
                .iter()
                .zip(&forecasts)
                .map(|(window, forecast)| forecast[step] - target[window.first_target_row() + step])
                .collect()
        })
        .collect())
}

/// The calibration of `levels` on the errors of each step ahead (`[step][error]`).
pub fn calibrate_by_step(errors_by_step: &[Vec<f64>], levels: &[f64]) -> Vec<Conformal> {
    errors_by_step
        .iter()
        .map(|errors| Conformal::calibrate(errors, levels))
        .collect()
}

/// The model's errors (forecast − actual, original units; with `blend`, the blended
/// forecast's) over `data`'s validation windows (its training windows when there are none), one
/// list per step ahead, and which of the two they come from: the errors
/// [`test_intervals_calibrated`] takes. Nothing after the windows is read.
pub fn calibration_errors_by_step(
    model: &Forecaster,
    data: &PreparedData,
    blend: Option<&Blend>,
    device: &Device,
) -> Result<(Calibration, Vec<Vec<f64>>), InferenceError> {
    let (calibration, windows) = calibration_windows(data);
    Ok((
        calibration,
        errors_by_step(model, data, windows, blend, device)?,
    ))
}

/// A point model's split-conformal calibration of `levels` at every step ahead, on its errors
/// over `data`'s validation windows (its training windows when there are none), and which of
/// the two it used; with `blend`, the errors of the blended forecast. For a forecast past the
/// series' end: nothing after the windows is read.
pub fn conformal_by_step(
    model: &Forecaster,
    data: &PreparedData,
    levels: &[f64],
    blend: Option<&Blend>,
    device: &Device,
) -> Result<(Calibration, Vec<Conformal>), InferenceError> {
    let (calibration, errors) = calibration_errors_by_step(model, data, blend, device)?;
    Ok((calibration, calibrate_by_step(&errors, levels)))
}

/// Intervals of `levels` for the model's and the naive forecast's test-day forecasts in `test`:
/// a distribution head's own quantiles; otherwise split conformal, each forecaster calibrated on
/// its own errors over `data`'s validation windows (the training windows when there are none),
/// the model at every step ahead of its horizon (with `blend`, the blended forecast's errors:
/// `test` then holds the blended forecasts).
pub fn test_intervals(
    model: &Forecaster,
    data: &PreparedData,
    test: &TestForecast,
    levels: &[f64],
    blend: Option<&Blend>,
    device: &Device,
) -> Result<TestIntervals, InferenceError> {
    let (calibration, errors_by_step) = calibration_errors_by_step(model, data, blend, device)?;
    let model_errors = CalibrationErrors {
        calibration,
        by_step: &errors_by_step,
    };
    test_intervals_calibrated(model, data, test, levels, model_errors, device)
}

/// The model's calibration errors (forecast − actual, original units) at each step ahead, and
/// where they come from.
#[derive(Debug, Clone, Copy)]
pub struct CalibrationErrors<'a> {
    /// The windows they were measured on.
    pub calibration: Calibration,
    /// One list per step ahead.
    pub by_step: &'a [Vec<f64>],
}

/// [`test_intervals`] with the model's conformal intervals calibrated on `model_errors` instead
/// of its own errors over `data`'s windows (a panel's series pool theirs:
/// [`crate::pooled::pooled_errors_by_step`]); the naive forecast's are its own, as there.
pub fn test_intervals_calibrated(
    model: &Forecaster,
    data: &PreparedData,
    test: &TestForecast,
    levels: &[f64],
    model_errors: CalibrationErrors,
    device: &Device,
) -> Result<TestIntervals, InferenceError> {
    let test_windows = data.raw_windows(&data.splits.test);
    let mut taus = interval_quantile_levels(levels);
    let interval_ends = taus.len();
    taus.extend(crps_levels());
    let quantiles = inference::forecast_quantiles(model, &data.codec, &test_windows, &taus, device);
    let Some(mut quantiles) = quantiles else {
        return Ok(conformal_test_intervals(data, test, levels, model_errors));
    };
    let bounds = Bounds::of_windows(data, &data.splits.test);
    for (steps, bounds) in quantiles.iter_mut().zip(&bounds) {
        for step in steps.iter_mut() {
            step.iter_mut()
                .flatten()
                .for_each(|q| *q = bounds.apply(*q));
        }
    }
    let model_steps: Vec<Vec<StepIntervals>> = quantiles
        .iter()
        .map(|steps| {
            (0..test.horizon())
                .map(|step| interval_pairs(steps.get(step).map(Vec::as_slice), levels.len()))
                .collect()
        })
        .collect();
    let step_grid: Vec<Vec<Vec<Option<f64>>>> = (quantiles.iter())
        .map(|steps| {
            (steps.iter())
                .map(|step| step.get(interval_ends..).unwrap_or_default().to_vec())
                .collect()
        })
        .collect();
    let model_every_step = every_step_metrics(levels, &model_steps, &test.actual_steps, &step_grid);
    type Quantiles = Vec<Vec<Option<f64>>>;
    let (ends, grid): (Quantiles, Quantiles) = quantiles
        .into_iter()
        .map(|mut steps| {
            let mut first = steps.swap_remove(0);
            let grid = first.split_off(interval_ends);
            (first, grid)
        })
        .unzip();
    Ok(TestIntervals {
        levels: levels.to_vec(),
        calibration: model_errors.calibration,
        model: ForecasterIntervals::from_quantiles(levels, &ends, &grid, &test.actual),
        naive: naive_intervals(data, test, levels, &bounds),
        model_by_step: Vec::new(),
        model_crps_gaussian: gaussian_crps(
            model,
            data,
            (&test_windows, &bounds),
            &test.actual,
            device,
        ),
        model_steps,
        model_every_step,
    })
}

/// Split-conformal intervals of `levels` around the model's test forecasts in `test` (every
/// step of every window), each step calibrated on `model_errors` of that step, and the naive
/// forecast's on its own errors over `data`'s validation windows (its training windows without
/// them): [`test_intervals_calibrated`] for a point forecast, with no model to ask (the
/// statistical forecast of a series too short for networks, calibrated at rolling origins).
pub fn conformal_test_intervals(
    data: &PreparedData,
    test: &TestForecast,
    levels: &[f64],
    model_errors: CalibrationErrors,
) -> TestIntervals {
    let naive_errors = naive_validation_errors(data);
    conformal_test_intervals_from(data, test, levels, (model_errors, &naive_errors))
}

/// [`conformal_test_intervals`] with the naive forecast's intervals calibrated on
/// `naive_errors` (forecast − actual, one step ahead) too, instead of on its own errors over
/// `data`'s windows.
pub fn conformal_test_intervals_from(
    data: &PreparedData,
    test: &TestForecast,
    levels: &[f64],
    (model_errors, naive_errors): (CalibrationErrors, &[f64]),
) -> TestIntervals {
    let CalibrationErrors {
        calibration,
        by_step: errors_by_step,
    } = model_errors;
    let model_by_step = calibrate_by_step(errors_by_step, levels);
    let bounds = Bounds::of_windows(data, &data.splits.test);
    let model_steps: Vec<Vec<StepIntervals>> = (test.model_steps().iter().zip(&bounds))
        .map(|(steps, bounds)| {
            steps
                .iter()
                .zip(&model_by_step)
                .map(|(forecast, conformal)| {
                    conformal
                        .half_widths
                        .iter()
                        .map(|h| h.map(|h| bounds.apply_interval((forecast - h, forecast + h))))
                        .collect()
                })
                .collect()
        })
        .collect();
    let model_every_step = (test.horizon() > 1)
        .then(|| conformal_step_grid(errors_by_step, test.model_steps(), &bounds))
        .and_then(|grid| every_step_metrics(levels, &model_steps, &test.actual_steps, &grid));
    let first_step = errors_by_step.first().map_or(&[][..], Vec::as_slice);
    let model = (test.model(), bounds.as_slice());
    let naive = (test.naive(), bounds.as_slice());
    TestIntervals {
        levels: levels.to_vec(),
        calibration,
        model: ForecasterIntervals::conformal(first_step, levels, model, &test.actual),
        naive: ForecasterIntervals::conformal(naive_errors, levels, naive, &test.actual),
        model_by_step,
        model_crps_gaussian: None,
        model_steps,
        model_every_step,
    }
}

/// The quantiles `[window][step][level]` at [`crps_levels`] of the conformal predictive
/// distributions around every step of every window's forecast (`forecasts`, `[window][step]`),
/// each step's calibrated on its own errors (`errors_by_step`), each window's within its
/// `bounds`.
fn conformal_step_grid(
    errors_by_step: &[Vec<f64>],
    forecasts: &[Vec<f64>],
    bounds: &[Bounds],
) -> Vec<Vec<Vec<Option<f64>>>> {
    let horizon = forecasts.first().map_or(0, Vec::len);
    let by_step: Vec<Vec<Vec<Option<f64>>>> = (0..horizon)
        .map(|step| {
            let errors = errors_by_step.get(step).map_or(&[][..], Vec::as_slice);
            let column: Vec<f64> = forecasts.iter().map(|window| window[step]).collect();
            bounded_grid(conformal_quantiles(errors, &column, &crps_levels()), bounds)
        })
        .collect();
    (0..forecasts.len())
        .map(|window| by_step.iter().map(|step| step[window].clone()).collect())
        .collect()
}

/// The model's interval scores over every step of every window, where windows have more than
/// one step and some level or the CRPS is calibrated: its intervals `steps` (`[window][step][level]`, a level left out where any step
/// lacks it) against `actual` (`[window][step]`), the CRPS from the quantiles `grid`
/// (`[window][step][quantile]` at [`crps_levels`]).
fn every_step_metrics(
    levels: &[f64],
    steps: &[Vec<StepIntervals>],
    actual: &[Vec<f64>],
    grid: &[Vec<Vec<Option<f64>>>],
) -> Option<IntervalMetrics> {
    if steps.first().is_none_or(|window| window.len() < 2) {
        return None;
    }
    let values = || {
        (steps.iter().zip(actual).zip(grid)).flat_map(|((steps, actual), grid)| {
            steps
                .iter()
                .zip(actual)
                .zip(grid)
                .map(|((s, a), g)| (s, *a, g))
        })
    };
    let intervals = intervals_of(levels, |index| {
        values()
            .map(|(step, _, _)| step.get(index).copied().flatten())
            .collect()
    });
    let actual: Vec<f64> = values().map(|(_, actual, _)| actual).collect();
    let grid: Vec<Vec<Option<f64>>> = values().map(|(_, _, grid)| grid.clone()).collect();
    let metrics = IntervalMetrics::of(&intervals, &actual, &grid);
    // nothing to score where no level and no CRPS is calibrated
    (!metrics.levels.is_empty() || metrics.crps.is_some()).then_some(metrics)
}

/// The calibration a backtest's fold takes from the folds before it: their test forecasts'
/// errors (forecast − actual), the model's at each step ahead and the naive forecast's at one
/// step, each with the date of its target. A fold takes only the errors of values before its
/// own origin: over several steps ahead, an earlier fold's last forecasts reach into the next
/// fold's test period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EarlierFolds {
    /// The model's errors, one list per step ahead, each with its target's date.
    model_by_step: Vec<Vec<(Timestamp, f64)>>,
    /// The naive forecast's errors one step ahead, each with its target's date.
    naive: Vec<(Timestamp, f64)>,
}

impl EarlierFolds {
    /// Adds the errors of one fold's test forecasts `test` (of `data`'s test windows).
    pub fn add(&mut self, data: &PreparedData, test: &TestForecast) {
        let horizon = test.horizon();
        self.model_by_step.resize(horizon, Vec::new());
        let dates = &data.series.dates;
        let windows = data.splits.test.iter();
        let steps = test.model_steps().iter().zip(&test.actual_steps);
        for (window, (steps, actual)) in windows.zip(steps) {
            let first = window.first_target_row();
            for (step, (errors, (forecast, actual))) in
                (self.model_by_step.iter_mut().zip(steps.iter().zip(actual))).enumerate()
            {
                errors.push((dates[first + step], forecast - actual));
            }
        }
        let naive = test.naive().iter().zip(&test.actual);
        (self.naive).extend(
            (test.dates.iter().zip(naive))
                .map(|(date, (forecast, actual))| (*date, forecast - actual)),
        );
    }

    /// The errors of values before the origin of `test` (its first target): the model's at
    /// each step ahead and the naive forecast's (none for a test without forecasts).
    pub fn before_origin_of(&self, test: &TestForecast) -> (Vec<Vec<f64>>, Vec<f64>) {
        let Some(origin) = test.dates.first() else {
            return (vec![Vec::new(); self.model_by_step.len()], Vec::new());
        };
        let before = |errors: &[(Timestamp, f64)]| -> Vec<f64> {
            (errors.iter())
                .filter(|(date, _)| date < origin)
                .map(|(_, error)| *error)
                .collect()
        };
        let by_step = self
            .model_by_step
            .iter()
            .map(|errors| before(errors))
            .collect();
        (by_step, before(&self.naive))
    }
}

/// The widest central interval of the quantiles the CRPS is estimated from ([`crps_levels`]:
/// 0.05 to 0.95).
pub const CRPS_WIDEST_LEVEL: f64 = 0.9;

/// Whether a model's errors `by_step` (one list per step ahead, at least one step) and the naive
/// forecast's `naive` calibrate every one of `levels` at every step, and the CRPS's quantiles
/// too ([`CRPS_WIDEST_LEVEL`]).
pub fn calibrates_every_level(by_step: &[Vec<f64>], naive: &[f64], levels: &[f64]) -> bool {
    let fewest = (by_step.iter().map(Vec::len))
        .chain(std::iter::once(naive.len()))
        .min()
        .unwrap_or(0);
    let crps = Conformal::errors_needed(CRPS_WIDEST_LEVEL);
    let needed = Conformal::errors_needed_for(levels).map_or(crps, |needed| needed.max(crps));
    !by_step.is_empty() && fewest >= needed
}

/// `levels` and the widest interval of the CRPS's quantiles ([`CRPS_WIDEST_LEVEL`]): the
/// intervals a run's errors must calibrate for every score.
pub fn with_crps_level(levels: &[f64]) -> Vec<f64> {
    levels.iter().copied().chain([CRPS_WIDEST_LEVEL]).collect()
}

/// How many intervals (a level at a step ahead) errors `by_step` (one list per step) calibrate:
/// the pairs of a step and one of `levels` whose step has as many errors as the level needs.
pub fn calibrated_intervals(by_step: &[Vec<f64>], levels: &[f64]) -> usize {
    let calibrated = |errors: &Vec<f64>| {
        (levels.iter())
            .filter(|level| errors.len() >= Conformal::errors_needed(**level))
            .count()
    };
    by_step.iter().map(calibrated).sum()
}

/// The naive forecast's conformal intervals on the test days, calibrated on its errors over
/// `data`'s validation windows (its training windows without them), each within the bounds of
/// its test window's origin (`bounds`).
fn naive_intervals(
    data: &PreparedData,
    test: &TestForecast,
    levels: &[f64],
    bounds: &[Bounds],
) -> ForecasterIntervals {
    let naive = (test.naive(), bounds);
    ForecasterIntervals::conformal(&naive_validation_errors(data), levels, naive, &test.actual)
}

/// The naive forecast's errors (forecast − actual) over `data`'s validation windows (its
/// training windows without them): the last observed value against each window's first target.
pub fn naive_validation_errors(data: &PreparedData) -> Vec<f64> {
    let (_, windows) = calibration_windows(data);
    let target = data.target_values();
    (windows.iter())
        .map(|window| target[window.last_input_row()] - target[window.first_target_row()])
        .collect()
}

/// Intervals and scores pooled over several runs of forecasts (a backtest's folds), in order.
/// Each level is pooled over the parts whose model intervals have it (a fold whose calibration
/// errors are too few for the widest level has the narrower ones only), and so is the CRPS;
/// the naive forecast's over the same parts, where it has them in each.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PooledIntervals {
    /// The levels some part's model intervals have.
    pub levels: Vec<f64>,
    /// Where the parts' model errors came from (the first part's).
    pub calibration: Calibration,
    /// The parts pooled.
    pub parts: usize,
    /// How many parts each of the model's levels (keyed by percent, as in `model`) and its CRPS
    /// (`"crps"`) pool, where fewer than `parts`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fewer_parts: BTreeMap<String, usize>,
    /// The model's scores over the days of the parts that have each.
    pub model: IntervalMetrics,
    /// The naive forecast's, over the same days as the model's.
    pub naive: IntervalMetrics,
}

/// The key [`PooledIntervals::fewer_parts`] counts the CRPS's parts under.
pub const CRPS_KEY: &str = "crps";

impl PooledIntervals {
    /// Pools `parts` (each with the actual values of its days): each level the model has in
    /// some part, its intervals end to end over the parts that have it and scored over their
    /// days; the CRPS the day-weighted mean of the parts' that have one. `None` without parts.
    pub fn pool(parts: &[(&TestIntervals, &[f64])]) -> Option<Self> {
        let (first, _) = parts.first()?;
        let has_level = |part: &TestIntervals, level: f64| part.model_level(level).is_some();
        let levels: Vec<f64> = (first.levels.iter().copied())
            .filter(|level| parts.iter().any(|(part, _)| has_level(part, *level)))
            .collect();
        let mut fewer_parts = BTreeMap::new();
        let (mut model, mut naive) = (IntervalMetrics::default(), IntervalMetrics::default());
        for level in &levels {
            let with: Vec<_> = (parts.iter())
                .filter(|(part, _)| has_level(part, *level))
                .collect();
            if with.len() < parts.len() {
                fewer_parts.insert(percent(*level), with.len());
            }
            if let Some(score) = pooled_level(&with, *level, |part| &part.model) {
                model.levels.insert(percent(*level), score);
            }
            if let Some(score) = pooled_level(&with, *level, |part| &part.naive) {
                naive.levels.insert(percent(*level), score);
            }
        }
        let with_crps: Vec<_> = (parts.iter())
            .filter(|(part, _)| part.model.metrics.crps.is_some())
            .collect();
        if !with_crps.is_empty() && with_crps.len() < parts.len() {
            fewer_parts.insert(CRPS_KEY.to_string(), with_crps.len());
        }
        model.crps = pooled_crps(&with_crps, |part| &part.model);
        naive.crps = pooled_crps(&with_crps, |part| &part.naive);
        Some(Self {
            levels,
            calibration: first.calibration,
            parts: parts.len(),
            fewer_parts,
            model,
            naive,
        })
    }
}

/// The score of one forecaster's (`pick`) intervals of `level` end to end over `parts`, over
/// the parts' days; `None` where some part lacks them.
fn pooled_level(
    parts: &[&(&TestIntervals, &[f64])],
    level: f64,
    pick: fn(&TestIntervals) -> &ForecasterIntervals,
) -> Option<IntervalScore> {
    let mut joined = Intervals {
        level,
        lower: Vec::new(),
        upper: Vec::new(),
    };
    let mut actual = Vec::new();
    for (part, days) in parts {
        let own = (pick(part).intervals.iter()).find(|i| i.level == level)?;
        joined.lower.extend(&own.lower);
        joined.upper.extend(&own.upper);
        actual.extend_from_slice(days);
    }
    Some(IntervalScore::of(&joined, &actual))
}

/// The day-weighted mean of one forecaster's (`pick`) CRPS over `parts`; `None` without parts
/// or where some part lacks one.
fn pooled_crps(
    parts: &[&(&TestIntervals, &[f64])],
    pick: fn(&TestIntervals) -> &ForecasterIntervals,
) -> Option<f64> {
    let days: usize = parts.iter().map(|(_, days)| days.len()).sum();
    let total = (parts.iter())
        .map(|(part, days)| pick(part).metrics.crps.map(|crps| crps * days.len() as f64))
        .sum::<Option<f64>>()?;
    (days > 0).then(|| total / days as f64)
}

/// The closed-form CRPS of a Gaussian head's first-step forecasts, mean over `windows`, when
/// its outputs decode linearly into original units (the distribution stays Gaussian there); a
/// window's Gaussian is censored at zero where its origin's `bounds` (one per window) bound the
/// forecast at zero, as its quantiles are.
fn gaussian_crps(
    model: &Forecaster,
    data: &PreparedData,
    (windows, bounds): (&[RawWindow], &[Bounds]),
    actual: &[f64],
    device: &Device,
) -> Option<f64> {
    let linear = data.codec.transform() != TargetTransform::LogReturn;
    if *model.distribution() != OutputDistribution::Gaussian || !linear {
        return None;
    }
    // the median and the mean + one standard deviation: Φ(1)
    let one_sd = 0.841_344_746_068_542_9;
    let quantiles =
        inference::forecast_quantiles(model, &data.codec, windows, &[0.5, one_sd], device)?;
    let total: f64 = quantiles
        .iter()
        .zip(actual)
        .zip(bounds)
        .map(|((steps, actual), bounds)| {
            let (mean, upper) = (
                steps[0][0].unwrap_or(f64::NAN),
                steps[0][1].unwrap_or(f64::NAN),
            );
            match bounds.lower() {
                Some(lower) => crps_censored_gaussian(*actual, mean, upper - mean, lower),
                None => crps_gaussian(*actual, mean, upper - mean),
            }
        })
        .sum();
    Some(total / actual.len() as f64)
}

/// How often the actual values of every step of every window fell inside the model's intervals
/// of one level, over several tests (a panel backtest's series and folds): the M4 horizon's
/// coverage, where [`PooledIntervals`] scores each window's first step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepCoverage {
    /// The nominal level, e.g. 0.8.
    pub level: f64,
    /// The (window, step) values that have an interval of this level.
    pub values: usize,
    /// Of those, the ones inside their interval (ends included).
    pub inside: usize,
    /// `inside / values`.
    pub coverage: f64,
}

impl StepCoverage {
    /// Each of `levels` over `parts`: each a test's intervals (whose `model_steps` are indexed
    /// by its own `levels`) and its actual values `[window][step]`. A level no value has an
    /// interval of is left out.
    pub fn over(levels: &[f64], parts: &[(&TestIntervals, &[Vec<f64>])]) -> Vec<Self> {
        (levels.iter())
            .filter_map(|level| {
                let (mut values, mut inside) = (0, 0);
                for (intervals, actual) in parts {
                    if let Some(index) = intervals.levels.iter().position(|l| l == level) {
                        let (more, more_inside) = tally(&intervals.model_steps, actual, index);
                        values += more;
                        inside += more_inside;
                    }
                }
                (values > 0).then(|| Self {
                    level: *level,
                    values,
                    inside,
                    coverage: inside as f64 / values as f64,
                })
            })
            .collect()
    }
}

/// The (window, step) values of `actual` with an interval of level `index` in `steps`
/// (`[window][step][level]`), and how many of them are inside it.
fn tally(steps: &[Vec<StepIntervals>], actual: &[Vec<f64>], index: usize) -> (usize, usize) {
    let (mut values, mut inside) = (0, 0);
    for (window, actual) in steps.iter().zip(actual) {
        for (step, value) in window.iter().zip(actual) {
            if let Some(Some((lower, upper))) = step.get(index) {
                values += 1;
                inside += usize::from(lower <= value && value <= upper);
            }
        }
    }
    (values, inside)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn pinball_loss_by_hand() {
        // τ = 0.9, forecasts 10 for actuals 12 and 7: 0.9·2 = 1.8 and 0.1·3 = 0.3 → mean 1.05
        assert!(close(
            pinball(&[12.0, 7.0], &[10.0, 10.0], 0.9),
            1.05,
            1e-12
        ));
        // the median's pinball loss is half the absolute error
        assert!(close(
            pinball(&[12.0, 7.0], &[10.0, 10.0], 0.5),
            1.25,
            1e-12
        ));
    }

    #[test]
    fn gaussian_crps_matches_its_closed_form_values() {
        // at the mean: sd · (2φ(0) − 1/√π) = sd · (√2 − 1)/√π
        let at_mean = (2f64.sqrt() - 1.0) / std::f64::consts::PI.sqrt();
        assert!(close(crps_gaussian(0.0, 0.0, 1.0), at_mean, 1e-12));
        assert!(close(crps_gaussian(5.0, 5.0, 2.0), 2.0 * at_mean, 1e-12));
        // far from the mean it tends to the absolute error minus sd/√π
        let far = crps_gaussian(10.0, 0.0, 1.0);
        assert!(
            close(far, 10.0 - 1.0 / std::f64::consts::PI.sqrt(), 1e-9),
            "{far}"
        );
        // and it agrees with the quantile estimate on many levels
        let taus: Vec<f64> = (1..200).map(|i| i as f64 / 200.0).collect();
        let normal = statrs::distribution::Normal::new(0.0, 1.0).unwrap();
        let forecasts: Vec<Vec<f64>> = taus
            .iter()
            .map(|tau| {
                vec![statrs::distribution::ContinuousCDF::inverse_cdf(
                    &normal, *tau,
                )]
            })
            .collect();
        let quantiles: Vec<(f64, &[f64])> = taus
            .iter()
            .zip(&forecasts)
            .map(|(tau, f)| (*tau, f.as_slice()))
            .collect();
        let estimate = crps_from_quantiles(&[0.7], &quantiles);
        let exact = crps_gaussian(0.7, 0.0, 1.0);
        assert!(
            close(estimate, exact, 0.01 * exact),
            "{estimate} vs {exact}"
        );
    }

    #[test]
    fn censored_gaussian_crps_is_the_integral_of_its_squared_distance_to_the_step() {
        // CRPS(F, y) = ∫ (F(x) − 1{y ≤ x})² dx by the midpoint rule, F the Gaussian with its mass
        // below `lower` on `lower`
        let numeric = |actual: f64, mean: f64, sd: f64, lower: f64| {
            let (from, to, n) = (mean - 12.0 * sd - 20.0, mean + 12.0 * sd + 20.0, 400_000);
            let dx = (to - from) / n as f64;
            (0..n)
                .map(|i| {
                    let x = from + (i as f64 + 0.5) * dx;
                    let cdf = if x < lower {
                        0.0
                    } else {
                        phi_cdf((x - mean) / sd)
                    };
                    let step = if actual <= x { 1.0 } else { 0.0 };
                    (cdf - step).powi(2) * dx
                })
                .sum::<f64>()
        };
        let cases = [
            (0.3, 0.5, 1.0, 0.0),
            (0.0, -0.4, 0.8, 0.0),
            (2.0, 0.2, 1.5, 0.0),
            (-1.0, 0.5, 1.0, 0.0),
            (5.0, 5.0, 2.0, 3.0),
        ];
        for (actual, mean, sd, lower) in cases {
            let exact = crps_censored_gaussian(actual, mean, sd, lower);
            let estimate = numeric(actual, mean, sd, lower);
            assert!(
                close(exact, estimate, 1e-4),
                "{exact} vs {estimate} at {actual}"
            );
            if actual >= lower {
                assert!(exact <= crps_gaussian(actual, mean, sd) + 1e-12);
            }
        }
        // a bound far below the mean censors nothing
        let free = crps_gaussian(0.7, 10.0, 1.0);
        assert!(close(
            crps_censored_gaussian(0.7, 10.0, 1.0, -1e3),
            free,
            1e-12
        ));
    }

    #[test]
    fn conformal_half_widths_are_the_ranked_errors() {
        // 9 errors: the 80 % interval takes the ⌈10·0.8⌉ = 8th smallest magnitude
        let errors = [-1.0, 2.0, -3.0, 4.0, 5.0, -6.0, 7.0, 8.0, -9.0];
        let conformal = Conformal::calibrate(&errors, &[0.8, 0.95]);
        assert_eq!(conformal.half_widths, vec![Some(8.0), None]);
        assert_eq!(conformal.missing_levels(), vec![0.95]);
        assert_eq!(Conformal::errors_needed(0.95), 19);
        assert_eq!(Conformal::errors_needed(0.8), 4);
        let nineteen: Vec<f64> = (1..=19).map(f64::from).collect();
        assert_eq!(
            Conformal::calibrate(&nineteen, &[0.95]).half_widths,
            vec![Some(19.0)]
        );
        let intervals = conformal.intervals(&[100.0]);
        assert_eq!(intervals.len(), 1, "95 % needs at least 19 errors");
        assert_eq!(
            (intervals[0].lower[0], intervals[0].upper[0]),
            (92.0, 108.0)
        );
        assert_eq!(intervals[0].percent(), "80");
    }

    /// A deterministic stream of standard normal draws (Box–Muller on a fixed LCG).
    fn normals(count: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        let mut uniform = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..count)
            .map(|_| {
                let (u, v) = (uniform(), uniform());
                (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
            })
            .collect()
    }

    #[test]
    fn conformal_intervals_reach_their_level_on_exchangeable_errors() {
        // a forecast whose errors are i.i.d. N(0, 2²): calibrate on 500, test on 20,000
        let calibration: Vec<f64> = normals(500, 1).iter().map(|z| 2.0 * z).collect();
        let conformal = Conformal::calibrate(&calibration, &[0.8, 0.95]);
        let test_errors: Vec<f64> = normals(20_000, 2).iter().map(|z| 2.0 * z).collect();
        let forecasts = vec![0.0; test_errors.len()];
        let actual: Vec<f64> = test_errors.iter().map(|e| -e).collect();
        // the CRPS from the conformal quantiles: near a calibrated Gaussian's, sd/√π (a few
        // percent above it: the grid leaves out the tails, where the pinball loss is smallest)
        let grid = conformal_quantiles(&calibration, &forecasts, &crps_levels());
        let crps = crps_on_grid(&actual, &grid).unwrap();
        let gaussian = 2.0 / std::f64::consts::PI.sqrt();
        assert!(
            (crps / gaussian - 1.0).abs() < 0.1,
            "CRPS {crps} vs {gaussian}"
        );
        for interval in conformal.intervals(&forecasts) {
            let score = IntervalScore::of(&interval, &actual);
            assert!(
                (score.coverage - interval.level).abs() < 0.03,
                "{}: coverage {}",
                interval.percent(),
                score.coverage
            );
            // the Gaussian's own interval: ±1.2816·2 for 80 %, ±1.96·2 for 95 %
            let z = if interval.level < 0.9 { 1.2816 } else { 1.96 };
            assert!(
                (score.mean_width - 2.0 * 2.0 * z).abs() < 0.1 * 2.0 * 2.0 * z,
                "{}: width {}",
                interval.percent(),
                score.mean_width
            );
        }
    }

    #[test]
    fn a_blend_is_calibrated_on_the_blended_forecasts_errors() {
        // 80 daily values, 20 validation rows, 5 test rows, one-step windows of 6
        let values: Vec<f64> = (0..80)
            .map(|i| 50.0 + (i % 7) as f64 * 3.0 + ((i * 7919) % 13) as f64)
            .collect();
        let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let loaded = yoho_data::LoadedSeries::daily("test", start, "v", values.clone());
        let config = yoho_data::DataConfig {
            valid_len: 20,
            ..yoho_data::DataConfig::new("unused.csv", &["v"], "v", 6, 5)
        };
        let data = yoho_data::prepare_loaded(loaded, &config).unwrap();
        let device = Device::flex();
        let model = yoho_model::RnnForecasterConfig::new(1, 4).init(&device);
        let blend = Blend::as_one_more_family(crate::Ets { season: Some(7) }, 1);
        let levels = [0.8];
        let (calibration, blended) =
            conformal_by_step(&model, &data, &levels, Some(&blend), &device).unwrap();
        assert_eq!(calibration, Calibration::Validation);
        // by hand: each validation window's blended forecast against its target
        let windows = &data.splits.valid;
        let network = inference::forecast_windows(&model, &data, windows, &device).unwrap();
        let errors: Vec<f64> = (windows.iter().zip(&network))
            .map(|(window, forecast)| {
                blend.forecast_window(&data, &window, forecast)[0]
                    - values[window.first_target_row()]
            })
            .collect();
        assert_eq!(blended[0], Conformal::calibrate(&errors, &levels));
        let (_, alone) = conformal_by_step(&model, &data, &levels, None, &device).unwrap();
        assert_ne!(alone[0], blended[0]);
    }

    /// One part of a pooled backtest, one step ahead: conformal intervals of 80 % and 95 %
    /// around `forecast`, the model's calibrated on `model_errors`, the naive forecast's
    /// (forecasting `forecast` too) on `naive_errors`.
    fn pooled_part(
        model_errors: &[f64],
        naive_errors: &[f64],
        forecast: &[f64],
        actual: &[f64],
    ) -> TestIntervals {
        let levels = [0.8, 0.95];
        let bounds = vec![Bounds::Unbounded; forecast.len()];
        let conformal = |errors: &[f64]| {
            ForecasterIntervals::conformal(errors, &levels, (forecast, &bounds), actual)
        };
        TestIntervals {
            levels: levels.to_vec(),
            calibration: Calibration::EarlierFolds,
            model: conformal(model_errors),
            naive: conformal(naive_errors),
            model_by_step: vec![Conformal::calibrate(model_errors, &levels)],
            model_crps_gaussian: None,
            model_steps: Vec::new(),
            model_every_step: None,
        }
    }

    #[test]
    fn pooling_scores_each_level_over_the_parts_that_have_it() {
        let ones = |count: usize| vec![1.0; count];
        // 4 errors give 80 % (not 95 %, nor the CRPS's 90 %); 19 give every level
        let short = pooled_part(&ones(4), &ones(19), &[10.0, 20.0], &[10.5, 30.0]);
        let long = pooled_part(&ones(19), &ones(4), &[10.0], &[12.0]);
        let pooled = PooledIntervals::pool(&[(&short, &[10.5, 30.0]), (&long, &[12.0])]).unwrap();
        assert_eq!(pooled.levels, [0.8, 0.95]);
        assert_eq!(pooled.parts, 2);
        // 80 % over all three days: (9, 11), (19, 21) and (9, 11); only 10.5 inside
        let eighty = pooled.model.levels["80"];
        assert!(close(eighty.coverage, 1.0 / 3.0, 1e-12));
        assert!(close(eighty.mean_width, 2.0, 1e-12));
        // 95 % and the CRPS over the long part's day only, the naive forecast's too (which
        // the long part's 4 naive errors do not calibrate at 95 %)
        assert_eq!(pooled.model.levels["95"].coverage, 0.0);
        assert!(!pooled.naive.levels.contains_key("95"));
        assert_eq!(pooled.model.crps, long.model.metrics.crps);
        assert_eq!(pooled.naive.crps, None);
        let fewer: Vec<(&str, usize)> = (pooled.fewer_parts.iter())
            .map(|(key, parts)| (key.as_str(), *parts))
            .collect();
        assert_eq!(fewer, [("95", 1), (CRPS_KEY, 1)]);
        // the same parts pool every level over both when both have them
        let both = PooledIntervals::pool(&[(&long, &[12.0]), (&long, &[12.0])]).unwrap();
        assert!(both.fewer_parts.is_empty());
        assert_eq!(both.model.crps, long.model.metrics.crps);
    }

    #[test]
    fn step_coverage_counts_every_step_of_every_window_with_an_interval() {
        // two windows of two steps; level 0 everywhere, level 1 only on the first window
        let steps: Vec<Vec<StepIntervals>> = vec![
            vec![
                vec![Some((0.0, 2.0)), Some((0.5, 1.5))],
                vec![Some((0.0, 1.0)), None],
            ],
            vec![vec![Some((5.0, 6.0)), None], vec![Some((5.0, 7.0)), None]],
        ];
        let actual = vec![vec![1.0, 1.0], vec![6.0, 8.0]];
        // ends count as inside; 8.0 is above (5, 7)
        assert_eq!(tally(&steps, &actual, 0), (4, 3));
        assert_eq!(tally(&steps, &actual, 1), (1, 1));
        assert_eq!(tally(&steps, &actual, 2), (0, 0));
    }

    #[test]
    fn every_step_metrics_score_every_step_of_every_window_in_order() {
        // two windows of two steps; level 1 lacks one step, so it is left out
        let steps: Vec<Vec<StepIntervals>> = vec![
            vec![
                vec![Some((0.0, 2.0)), None],
                vec![Some((0.0, 1.0)), Some((0.0, 1.0))],
            ],
            vec![vec![Some((5.0, 6.0)), None], vec![Some((5.0, 9.0)), None]],
        ];
        let actual = vec![vec![1.0, 3.0], vec![6.0, 8.0]];
        let grid: Vec<Vec<Vec<Option<f64>>>> = (actual.iter())
            .map(|window| {
                let quantiles = |a: f64| crps_levels().iter().map(|t| Some(a + t)).collect();
                window.iter().map(|a| quantiles(*a)).collect()
            })
            .collect();
        let metrics = every_step_metrics(&[0.8, 0.95], &steps, &actual, &grid).unwrap();
        assert_eq!(metrics.levels.keys().collect::<Vec<_>>(), ["80"]);
        let score = metrics.levels["80"];
        // 3.0 is above (0, 1); ends count as inside
        assert_eq!(score.coverage, 0.75);
        assert_eq!(score.mean_width, (2.0 + 1.0 + 1.0 + 4.0) / 4.0);
        let flat: Vec<Vec<Option<f64>>> = grid.concat();
        assert_eq!(metrics.crps, crps_on_grid(&[1.0, 3.0, 6.0, 8.0], &flat));
        // one step: the first step's scores are every step's
        let first: Vec<Vec<StepIntervals>> = steps.iter().map(|w| w[..1].to_vec()).collect();
        let one: Vec<Vec<f64>> = actual.iter().map(|w| w[..1].to_vec()).collect();
        assert!(every_step_metrics(&[0.8], &first, &one, &grid).is_none());
        // nothing calibrated: no level and no CRPS to score
        let uncalibrated: Vec<Vec<StepIntervals>> = vec![vec![vec![None]; 2]; 2];
        let unknown = vec![vec![vec![None; crps_levels().len()]; 2]; 2];
        assert!(every_step_metrics(&[0.8], &uncalibrated, &actual, &unknown).is_none());
    }

    #[test]
    fn the_conformal_step_grid_calibrates_each_step_on_its_own_errors() {
        let errors = vec![vec![1.0; 20], vec![3.0; 20]];
        let forecasts = vec![vec![10.0, 20.0], vec![30.0, 40.0]];
        let grid =
            conformal_step_grid(&errors, &forecasts, &[Bounds::Unbounded, Bounds::Unbounded]);
        let tau_90 = crps_levels()
            .iter()
            .position(|t| (t - 0.9).abs() < 1e-9)
            .unwrap();
        // the 0.9 quantile is the forecast plus its step's 80 % half-width
        assert_eq!(grid[0][0][tau_90], Some(11.0));
        assert_eq!(grid[0][1][tau_90], Some(23.0));
        assert_eq!(grid[1][1][tau_90], Some(43.0));
    }
}
