//! Forecast accuracy measures, in the target's original units, and the Diebold–Mariano test.
//!
//! Every function takes the actual values `actual[t]`, the forecasts `forecast[t]` and, where
//! the measure needs it, the last observed value before each target `previous[t]` (the value
//! the naive forecast repeats).

// `!(a > b)` on purpose: it is also true when a value is NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Why a measure has no value on some data: it would divide by zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Undefined {
    /// Nothing to measure.
    #[error("there are no values to measure")]
    NoValues,
    /// MAPE: a percentage error of an actual value of 0.
    #[error("an actual value is 0, and its percentage error divides by it")]
    ZeroActual,
    /// R²: the actual values have no variance.
    #[error("the actual values are constant, and R² divides by their variance, 0")]
    ConstantActual,
    /// MASE: the training target never changes from one step (one season) to the next, or is
    /// no longer than one step (one season).
    #[error(
        "the training target is constant, or no longer than one season (its seasonal naive \
         needs a season and one value more), and MASE divides by that naive forecast's in-sample \
         MAE, 0"
    )]
    ConstantTraining,
    /// sMAPE: an actual value and its forecast are both 0.
    #[error("an actual value and its forecast are both 0, and sMAPE divides by their sum, 0")]
    ZeroActualAndForecast,
    /// Skill: the reference forecast makes no error.
    #[error("the naive forecast is perfect on these days, and skill divides by its MSE, 0")]
    PerfectReference,
}

impl Serialize for Undefined {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A measure's value, or why it has none.
pub type Measure = Result<f64, Undefined>;

/// `numerator / denominator`, undefined as `why` when the denominator is 0 (or not a number).
fn ratio(numerator: f64, denominator: f64, why: Undefined) -> Measure {
    if denominator != 0.0 && denominator.is_finite() {
        Ok(numerator / denominator)
    } else {
        Err(why)
    }
}

/// Mean squared error: `mean((forecast − actual)²)`.
pub fn mse(actual: &[f64], forecast: &[f64]) -> f64 {
    mean(actual.iter().zip(forecast).map(|(a, f)| (f - a).powi(2)))
}

/// Root mean squared error: `√MSE`.
pub fn rmse(actual: &[f64], forecast: &[f64]) -> f64 {
    mse(actual, forecast).sqrt()
}

/// Mean absolute error: `mean(|forecast − actual|)`.
pub fn mae(actual: &[f64], forecast: &[f64]) -> f64 {
    mean(actual.iter().zip(forecast).map(|(a, f)| (f - a).abs()))
}

/// Mean absolute percentage error in percent: `100 · mean(|forecast − actual| / |actual|)`;
/// undefined when an actual value is 0.
pub fn mape_percent(actual: &[f64], forecast: &[f64]) -> Measure {
    if actual.is_empty() {
        return Err(Undefined::NoValues);
    }
    if actual.contains(&0.0) {
        return Err(Undefined::ZeroActual);
    }
    Ok(100.0
        * mean(
            actual
                .iter()
                .zip(forecast)
                .map(|(a, f)| ((f - a) / a).abs()),
        ))
}

/// Coefficient of determination: `1 − Σ(actual − forecast)² / Σ(actual − mean(actual))²`;
/// undefined when the actual values are constant.
pub fn r_squared(actual: &[f64], forecast: &[f64]) -> Measure {
    if actual.is_empty() {
        return Err(Undefined::NoValues);
    }
    let mean_actual = mean(actual.iter().copied());
    let residual: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| (a - f).powi(2))
        .sum();
    let total: f64 = actual.iter().map(|a| (a - mean_actual).powi(2)).sum();
    ratio(residual, total, Undefined::ConstantActual).map(|share| 1.0 - share)
}

/// Direction accuracy: the share of days where `sign(forecast − previous)` equals
/// `sign(actual − previous)`, `previous` being the last observed value before the target.
/// A forecast of no change (sign 0) counts as right only on a day with no change.
pub fn direction_accuracy(actual: &[f64], forecast: &[f64], previous: &[f64]) -> f64 {
    let sign = |x: f64| {
        if x > 0.0 {
            1
        } else if x < 0.0 {
            -1
        } else {
            0
        }
    };
    mean(
        actual
            .iter()
            .zip(forecast)
            .zip(previous)
            .map(|((a, f), p)| f64::from(u8::from(sign(f - p) == sign(a - p)))),
    )
}

/// The in-sample MAE of the one-step naive forecast over consecutive training targets:
/// `mean(|y[t] − y[t−1]|)`, the seasonal naive's of period 1.
pub fn naive_in_sample_mae(training_targets: &[f64]) -> f64 {
    seasonal_naive_in_sample_mae(training_targets, 1)
}

/// The in-sample MAE of the seasonal naive forecast of period `season` (1: the naive forecast):
/// `mean(|y[t] − y[t−season]|)` over the in-sample values, the denominator of the M4
/// competition's MASE; NaN when there are no more than `season` values.
pub fn seasonal_naive_in_sample_mae(in_sample: &[f64], season: usize) -> f64 {
    let season = season.max(1);
    if in_sample.len() <= season {
        return f64::NAN;
    }
    mean(
        in_sample[season..]
            .iter()
            .zip(in_sample)
            .map(|(later, earlier)| (later - earlier).abs()),
    )
}

/// Symmetric MAPE in percent, as the M4 competition defines it:
/// `mean(200·|actual − forecast| / (|actual| + |forecast|))`; undefined when an actual value and
/// its forecast are both 0.
pub fn smape_percent(actual: &[f64], forecast: &[f64]) -> Measure {
    if actual.is_empty() {
        return Err(Undefined::NoValues);
    }
    let mut terms = Vec::with_capacity(actual.len());
    for (a, f) in actual.iter().zip(forecast) {
        terms.push(ratio(
            200.0 * (a - f).abs(),
            a.abs() + f.abs(),
            Undefined::ZeroActualAndForecast,
        )?);
    }
    Ok(mean(terms.into_iter()))
}

/// Mean absolute scaled error: the test MAE divided by an in-sample scale, the MAE of the naive
/// forecast ([`naive_in_sample_mae`]) or, as the M4 competition does, of the seasonal naive
/// ([`seasonal_naive_in_sample_mae`]) over the training targets; undefined when that is 0 (a
/// constant training target).
pub fn mase(actual: &[f64], forecast: &[f64], in_sample_scale: f64) -> Measure {
    if actual.is_empty() {
        return Err(Undefined::NoValues);
    }
    ratio(
        mae(actual, forecast),
        in_sample_scale,
        Undefined::ConstantTraining,
    )
}

/// Skill score against a reference forecast: `1 − MSE_forecast / MSE_reference` (positive is
/// better than the reference); undefined when the reference makes no error.
pub fn skill_score(actual: &[f64], forecast: &[f64], reference: &[f64]) -> Measure {
    if actual.is_empty() {
        return Err(Undefined::NoValues);
    }
    ratio(
        mse(actual, forecast),
        mse(actual, reference),
        Undefined::PerfectReference,
    )
    .map(|share| 1.0 - share)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(sum, count), v| (sum + v, count + 1));
    sum / count as f64
}

/// The level at which a Diebold–Mariano test calls two forecasts different: 5 %, two-sided.
pub const SIGNIFICANCE_LEVEL: f64 = 0.05;

/// What a Diebold–Mariano test says of the first forecast against the reference, at
/// [`SIGNIFICANCE_LEVEL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Significantly lower loss than the reference.
    Better,
    /// Significantly higher loss than the reference.
    Worse,
    /// No significant difference.
    NoDifference,
}

/// The outcome of a Diebold–Mariano test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DieboldMariano {
    /// The statistic with the Harvey–Leybourne–Newbold correction; negative when the first
    /// forecast has the smaller squared errors.
    pub statistic: f64,
    /// Two-sided p-value from Student's t with `n − 1` degrees of freedom.
    pub p_value: f64,
    /// The forecast horizon the test assumed.
    pub horizon: usize,
    /// Whether the long-run variance over the forecasts' horizon came out negative (its
    /// estimate weighs the horizon's lags alike, so it can), or zero (no more differences than
    /// the horizon), so that the test assumed `horizon = 1` instead, as R's
    /// `forecast::dm.test` does for a negative one.
    pub fell_back_to_one_step: bool,
}

impl DieboldMariano {
    /// The verdict at [`SIGNIFICANCE_LEVEL`]: the sign of the statistic says which forecast has
    /// the lower loss, the p-value whether the difference counts.
    pub fn verdict(&self) -> Verdict {
        match (self.p_value < SIGNIFICANCE_LEVEL, self.statistic < 0.0) {
            (false, _) => Verdict::NoDifference,
            (true, true) => Verdict::Better,
            (true, false) => Verdict::Worse,
        }
    }
}

/// Diebold–Mariano test of equal accuracy of `forecast` and `reference` under squared-error
/// loss, for `horizon`-step forecasts, with the Harvey–Leybourne–Newbold (1997) small-sample
/// correction.
///
/// With `d[t] = (forecast[t] − actual[t])² − (reference[t] − actual[t])²`, `n` days and the
/// autocovariances `γ_k` of `d`, `DM = mean(d) / √((γ_0 + 2 Σ_{k=1}^{h−1} γ_k) / n)`, and the
/// corrected statistic is `DM · √((n + 1 − 2h + h(h − 1)/n) / n)`, compared with Student's t
/// with `n − 1` degrees of freedom. The sum of autocovariances can come out negative over few
/// origins; then the test is made with `h = 1` (the variance `γ_0` alone, larger than the sum
/// then), as R's `forecast::dm.test` falls back, and the result says so. So it is where
/// `n ≤ h`: the autocovariances of the demeaned differences at every lag sum to zero, and the
/// estimate is only rounding, which could make a statistic of millions. (Bartlett's weights,
/// R's other estimator, would shrink the variance there and overstate the significance.)
/// Returns `None` when the loss differences have no variance (for example two identical
/// forecasts) or `n < 2`.
pub fn diebold_mariano(
    actual: &[f64],
    forecast: &[f64],
    reference: &[f64],
    horizon: usize,
) -> Option<DieboldMariano> {
    let differences: Vec<f64> = actual
        .iter()
        .zip(forecast)
        .zip(reference)
        .map(|((a, f), r)| (f - a).powi(2) - (r - a).powi(2))
        .collect();
    diebold_mariano_on_differences(&differences, horizon)
}

/// The Diebold–Mariano test on multi-step forecasts, one loss per forecast origin: each
/// window's mean squared error over its `h` steps (`[window][step]`), with the test's horizon
/// `h` (consecutive windows overlap in `h − 1` targets, whose errors are correlated).
pub fn diebold_mariano_multi_step(
    actual: &[Vec<f64>],
    forecast: &[Vec<f64>],
    reference: &[Vec<f64>],
) -> Option<DieboldMariano> {
    let horizon = actual.first().map_or(1, Vec::len);
    let differences: Vec<f64> = actual
        .iter()
        .zip(forecast)
        .zip(reference)
        .map(|((a, f), r)| mse(a, f) - mse(a, r))
        .collect();
    diebold_mariano_on_differences(&differences, horizon)
}

/// The test on the loss differences `d[t]` themselves (see [`diebold_mariano`]).
fn diebold_mariano_on_differences(differences: &[f64], horizon: usize) -> Option<DieboldMariano> {
    let n = differences.len();
    if n < 2 || horizon == 0 {
        return None;
    }
    let mean_difference = mean(differences.iter().copied());
    let autocovariance = |lag: usize| {
        (lag..n)
            .map(|t| (differences[t] - mean_difference) * (differences[t - lag] - mean_difference))
            .sum::<f64>()
            / n as f64
    };
    let long_run_variance = autocovariance(0) + 2.0 * (1..horizon).map(autocovariance).sum::<f64>();
    // over no more differences than the horizon, the autocovariances at every lag sum to zero:
    // the estimate is zero but for rounding, whatever its sign
    if horizon >= n || !(long_run_variance > 0.0) {
        // a negative (or no) estimate of a variance: the test at h = 1, as R's dm.test makes it
        if horizon == 1 {
            return None;
        }
        let one_step = diebold_mariano_on_differences(differences, 1);
        return one_step.map(|dm| DieboldMariano {
            fell_back_to_one_step: true,
            ..dm
        });
    }
    let n_f = n as f64;
    let h = horizon as f64;
    let dm = mean_difference / (long_run_variance / n_f).sqrt();
    let correction = ((n_f + 1.0 - 2.0 * h + h * (h - 1.0) / n_f) / n_f).sqrt();
    let statistic = dm * correction;
    let t = StudentsT::new(0.0, 1.0, n_f - 1.0).ok()?;
    // the survival function keeps its precision far in the tail, where 1 − cdf rounds to 0
    let p_value = 2.0 * t.sf(statistic.abs());
    Some(DieboldMariano {
        statistic,
        p_value,
        horizon,
        fell_back_to_one_step: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m4_smape_and_seasonal_mase_by_hand() {
        // |100 − 90| / (100 + 90) = 0.0526316, |110 − 121| / (110 + 121) = 0.0476190
        let smape = smape_percent(&[100.0, 110.0], &[90.0, 121.0]).unwrap();
        assert!((smape - 100.0 * (10.0 / 190.0 + 11.0 / 231.0)).abs() < 1e-12);
        assert!((smape - 10.025_063).abs() < 1e-6, "{smape}");
        assert_eq!(
            smape_percent(&[0.0, 1.0], &[0.0, 1.0]),
            Err(Undefined::ZeroActualAndForecast)
        );
        // period 3: |10 − 1|, |12 − 2|, |14 − 3| → 10; period 1: 1, 1, 7, 2, 2 → 2.6
        let in_sample = [1.0, 2.0, 3.0, 10.0, 12.0, 14.0];
        assert_eq!(seasonal_naive_in_sample_mae(&in_sample, 3), 10.0);
        assert!((seasonal_naive_in_sample_mae(&in_sample, 1) - 2.6).abs() < 1e-12);
        assert_eq!(
            seasonal_naive_in_sample_mae(&in_sample, 1),
            naive_in_sample_mae(&in_sample)
        );
        assert!(seasonal_naive_in_sample_mae(&in_sample[..3], 3).is_nan());
        // M4's MASE: the h-step MAE over that scale; forecast errors 5 and 15 → 10 / 10
        let mase = mase(
            &[20.0, 30.0],
            &[15.0, 45.0],
            seasonal_naive_in_sample_mae(&in_sample, 3),
        )
        .unwrap();
        assert_eq!(mase, 1.0);
    }

    // A short series worked by hand.
    // previous (last observed): 10, 12, 11, 13
    // actual:                   12, 11, 13, 13
    // forecast:                 11, 12, 12, 14
    // errors f − a:             −1, +1, −1, +1
    const PREVIOUS: [f64; 4] = [10.0, 12.0, 11.0, 13.0];
    const ACTUAL: [f64; 4] = [12.0, 11.0, 13.0, 13.0];
    const FORECAST: [f64; 4] = [11.0, 12.0, 12.0, 14.0];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn squared_and_absolute_errors() {
        // MSE = (1 + 1 + 1 + 1) / 4 = 1; RMSE = 1; MAE = 1
        assert!(close(mse(&ACTUAL, &FORECAST), 1.0));
        assert!(close(rmse(&ACTUAL, &FORECAST), 1.0));
        assert!(close(mae(&ACTUAL, &FORECAST), 1.0));
    }

    #[test]
    fn mape_in_percent() {
        // (1/12 + 1/11 + 1/13 + 1/13) / 4 · 100
        let expected = (1.0 / 12.0 + 1.0 / 11.0 + 2.0 / 13.0) / 4.0 * 100.0;
        assert!(close(mape_percent(&ACTUAL, &FORECAST).unwrap(), expected));
    }

    #[test]
    fn r_squared_by_hand() {
        // mean(actual) = 49 / 4 = 12.25; SST = 0.0625 + 1.5625 + 0.5625 + 0.5625 = 2.75
        // SSE = 4; R² = 1 − 4 / 2.75 = −0.4545...
        assert!(close(
            r_squared(&ACTUAL, &FORECAST).unwrap(),
            1.0 - 4.0 / 2.75
        ));
    }

    #[test]
    fn direction_accuracy_by_hand() {
        // actual moves:   +2, −1, +2, 0
        // forecast moves: +1,  0, +1, +1  → right, wrong, right, wrong = 2 / 4
        assert!(close(
            direction_accuracy(&ACTUAL, &FORECAST, &PREVIOUS),
            0.5
        ));
        // the naive forecast never moves: right only on the day without change
        assert!(close(
            direction_accuracy(&ACTUAL, &PREVIOUS, &PREVIOUS),
            0.25
        ));
    }

    #[test]
    fn mase_by_hand() {
        // training targets 10, 12, 11, 14: naive in-sample MAE = (2 + 1 + 3) / 3 = 2
        let in_sample = naive_in_sample_mae(&[10.0, 12.0, 11.0, 14.0]);
        assert!(close(in_sample, 2.0));
        // test MAE 1 / 2 = 0.5
        assert!(close(mase(&ACTUAL, &FORECAST, in_sample).unwrap(), 0.5));
    }

    #[test]
    fn skill_score_by_hand() {
        // naive errors: −2, +1, −2, 0 → MSE_naive = (4 + 1 + 4 + 0) / 4 = 2.25
        // skill = 1 − 1 / 2.25 = 0.5555...
        assert!(close(
            skill_score(&ACTUAL, &FORECAST, &PREVIOUS).unwrap(),
            1.0 - 1.0 / 2.25
        ));
    }

    #[test]
    fn a_negative_long_run_variance_falls_back_to_one_step_as_r_does() {
        // d alternates around −1: γ_0 = 4, γ_1 = −3.5, so γ_0 + 2γ_1 < 0 at h = 2
        let differences = [1.0, -3.0, 1.0, -3.0, 1.0, -3.0, 1.0, -3.0];
        let dm = diebold_mariano_on_differences(&differences, 2).unwrap();
        assert!(dm.fell_back_to_one_step && dm.horizon == 1);
        // by hand at h = 1: −1 / √(4 / 8), HLN factor √((8 + 1 − 2) / 8)
        let expected = -1.0 / (4.0f64 / 8.0).sqrt() * (7.0f64 / 8.0).sqrt();
        assert!(
            close(dm.statistic, expected),
            "{} vs {expected}",
            dm.statistic
        );
        let at_one = diebold_mariano_on_differences(&differences, 1).unwrap();
        assert!(!at_one.fell_back_to_one_step);
        assert_eq!(at_one.statistic, dm.statistic);
        // no variance at all stays untested
        assert!(diebold_mariano_on_differences(&[2.0; 6], 3).is_none());
    }

    /// Over no more origins than the horizon, the autocovariances at every lag of the demeaned
    /// differences sum to zero: the long-run variance is zero but for rounding, which must not
    /// make a statistic of millions (a backtest of 10 one-origin folds, 18 steps ahead).
    #[test]
    fn as_few_origins_as_the_horizon_fall_back_to_one_step() {
        for seed in 0..50_u64 {
            // squared-error differences of forecasts some hundreds off, as a pseudo-random walk
            let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let differences: Vec<f64> = (0..10)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let error = (state >> 11) as f64 / (1u64 << 53) as f64 * 800.0 - 500.0;
                    error * error - 350.0 * 350.0
                })
                .collect();
            let dm = diebold_mariano_on_differences(&differences, 18).unwrap();
            let at_one = diebold_mariano_on_differences(&differences, 1).unwrap();
            assert!(dm.fell_back_to_one_step, "seed {seed}: {dm:?}");
            assert_eq!(dm.statistic, at_one.statistic, "seed {seed}");
        }
    }

    #[test]
    fn diebold_mariano_by_hand_for_one_step() {
        // d = e_f² − e_naive² = 1 − 4, 1 − 1, 1 − 4, 1 − 0 = −3, 0, −3, 1; mean −1.25
        // γ0 = ((−1.75)² + 1.25² + (−1.75)² + 2.25²) / 4 = (3.0625 + 1.5625 + 3.0625 + 5.0625) / 4
        //    = 3.1875; DM = −1.25 / √(3.1875 / 4); HLN factor √((4 + 1 − 2) / 4) = √0.75
        let dm = diebold_mariano(&ACTUAL, &FORECAST, &PREVIOUS, 1).unwrap();
        let expected = -1.25 / (3.1875f64 / 4.0).sqrt() * 0.75f64.sqrt();
        assert!(
            close(dm.statistic, expected),
            "{} vs {expected}",
            dm.statistic
        );
        assert!(dm.p_value > 0.0 && dm.p_value < 1.0);
    }

    #[test]
    fn measures_that_would_divide_by_zero_say_why() {
        let with_zero = [12.0, 0.0, 13.0, 13.0];
        assert_eq!(
            mape_percent(&with_zero, &FORECAST),
            Err(Undefined::ZeroActual)
        );
        let constant = [5.0; 4];
        assert_eq!(
            r_squared(&constant, &FORECAST),
            Err(Undefined::ConstantActual)
        );
        // a perfect naive forecast leaves nothing to be skilled against
        assert_eq!(
            skill_score(&ACTUAL, &FORECAST, &ACTUAL),
            Err(Undefined::PerfectReference)
        );
        let flat_training = naive_in_sample_mae(&[7.0, 7.0, 7.0]);
        assert_eq!(
            mase(&ACTUAL, &FORECAST, flat_training),
            Err(Undefined::ConstantTraining)
        );
        assert_eq!(
            mase(&ACTUAL, &FORECAST, naive_in_sample_mae(&[7.0])),
            Err(Undefined::ConstantTraining)
        );
        assert_eq!(mape_percent(&[], &[]), Err(Undefined::NoValues));
        assert!(
            Undefined::ZeroActual
                .to_string()
                .contains("actual value is 0"),
            "the reason is said in words"
        );
    }

    #[test]
    fn diebold_mariano_p_values_keep_their_precision_far_in_the_tail() {
        // a forecast far better on every one of 60 days: |t| is about 40, where 1 − cdf is 0
        let actual: Vec<f64> = (0..60).map(|t| (t as f64 * 0.7).sin()).collect();
        let close_forecast: Vec<f64> = actual
            .iter()
            .enumerate()
            .map(|(t, a)| a + 0.01 * ((t * 7 % 5) as f64 - 2.0))
            .collect();
        let far: Vec<f64> = actual.iter().map(|a| a + 3.0).collect();
        let dm = diebold_mariano(&actual, &close_forecast, &far, 1).unwrap();
        assert!(dm.statistic < -8.0, "{dm:?}");
        assert!(
            dm.p_value > 0.0 && dm.p_value < 1e-12,
            "a p-value of {} for t = {}",
            dm.p_value,
            dm.statistic
        );
    }

    #[test]
    fn diebold_mariano_needs_different_forecasts() {
        assert!(diebold_mariano(&ACTUAL, &PREVIOUS, &PREVIOUS, 1).is_none());
    }

    /// Reference values from the `dieboldmariano` Python package (see
    /// `tests/fixtures/make_dm_fixture.py`).
    #[test]
    fn diebold_mariano_matches_the_reference_package() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/dm_reference.json"
        );
        let fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let numbers = |value: &serde_json::Value| -> Vec<f64> {
            value
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        let cases = fixture["cases"].as_array().unwrap();
        assert!(cases.len() >= 5);
        for case in cases {
            let horizon = case["horizon"].as_u64().unwrap() as usize;
            let result = diebold_mariano(
                &numbers(&case["actual"]),
                &numbers(&case["forecast"]),
                &numbers(&case["reference"]),
                horizon,
            );
            match (result, case["statistic"].as_f64()) {
                (None, None) => {}
                // the package refuses a negative long-run variance; R's dm.test, as here, takes
                // h = 1 instead
                (Some(dm), None) if dm.fell_back_to_one_step => {
                    let one_step = diebold_mariano(
                        &numbers(&case["actual"]),
                        &numbers(&case["forecast"]),
                        &numbers(&case["reference"]),
                        1,
                    )
                    .unwrap();
                    assert_eq!(
                        (dm.statistic, dm.p_value),
                        (one_step.statistic, one_step.p_value)
                    );
                }
                (Some(dm), Some(statistic)) => {
                    let p_value = case["p_value"].as_f64().unwrap();
                    assert!(
                        (dm.statistic - statistic).abs() < 1e-9,
                        "h={horizon}: {dm:?} vs {statistic}"
                    );
                    assert!(
                        (dm.p_value - p_value).abs() < 1e-7 * p_value.max(1e-3),
                        "h={horizon}: {dm:?} vs p {p_value}"
                    );
                }
                (ours, theirs) => panic!("h={horizon}: ours {ours:?}, reference {theirs:?}"),
            }
        }
    }
}
