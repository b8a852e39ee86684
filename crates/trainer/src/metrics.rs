//! Forecast accuracy measures, in the target's original units, and the Diebold–Mariano test.
//!
//! Every function takes the actual values `actual[t]`, the forecasts `forecast[t]` and, where
//! the measure needs it, the last observed value before each target `previous[t]` (the value
//! the naive forecast repeats).

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

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

/// Mean absolute percentage error in percent: `100 · mean(|forecast − actual| / |actual|)`.
pub fn mape_percent(actual: &[f64], forecast: &[f64]) -> f64 {
    100.0 * mean(actual.iter().zip(forecast).map(|(a, f)| ((f - a) / a).abs()))
}

/// Coefficient of determination: `1 − Σ(actual − forecast)² / Σ(actual − mean(actual))²`.
pub fn r_squared(actual: &[f64], forecast: &[f64]) -> f64 {
    let mean_actual = mean(actual.iter().copied());
    let residual: f64 = actual.iter().zip(forecast).map(|(a, f)| (a - f).powi(2)).sum();
    let total: f64 = actual.iter().map(|a| (a - mean_actual).powi(2)).sum();
    1.0 - residual / total
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
/// `mean(|y[t] − y[t−1]|)`, the denominator of MASE.
pub fn naive_in_sample_mae(training_targets: &[f64]) -> f64 {
    mean(training_targets.windows(2).map(|pair| (pair[1] - pair[0]).abs()))
}

/// Mean absolute scaled error: the test MAE divided by [`naive_in_sample_mae`] of the training
/// targets.
pub fn mase(actual: &[f64], forecast: &[f64], naive_in_sample_mae: f64) -> f64 {
    mae(actual, forecast) / naive_in_sample_mae
}

/// Skill score against a reference forecast: `1 − MSE_forecast / MSE_reference` (positive is
/// better than the reference).
pub fn skill_score(actual: &[f64], forecast: &[f64], reference: &[f64]) -> f64 {
    1.0 - mse(actual, forecast) / mse(actual, reference)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(sum, count), v| (sum + v, count + 1));
    sum / count as f64
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
}

/// Diebold–Mariano test of equal accuracy of `forecast` and `reference` under squared-error
/// loss, for `horizon`-step forecasts, with the Harvey–Leybourne–Newbold (1997) small-sample
/// correction.
///
/// With `d[t] = (forecast[t] − actual[t])² − (reference[t] − actual[t])²`, `n` days and the
/// autocovariances `γ_k` of `d`, `DM = mean(d) / √((γ_0 + 2 Σ_{k=1}^{h−1} γ_k) / n)`, and the
/// corrected statistic is `DM · √((n + 1 − 2h + h(h − 1)/n) / n)`, compared with Student's t
/// with `n − 1` degrees of freedom. Returns `None` when the loss differences have no variance
/// (for example two identical forecasts) or `n < 2`.
pub fn diebold_mariano(
    actual: &[f64],
    forecast: &[f64],
    reference: &[f64],
    horizon: usize,
) -> Option<DieboldMariano> {
    let n = actual.len();
    if n < 2 || horizon == 0 {
        return None;
    }
    let differences: Vec<f64> = actual
        .iter()
        .zip(forecast)
        .zip(reference)
        .map(|((a, f), r)| (f - a).powi(2) - (r - a).powi(2))
        .collect();
    let mean_difference = mean(differences.iter().copied());
    let autocovariance = |lag: usize| {
        (lag..n)
            .map(|t| (differences[t] - mean_difference) * (differences[t - lag] - mean_difference))
            .sum::<f64>()
            / n as f64
    };
    let long_run_variance =
        autocovariance(0) + 2.0 * (1..horizon).map(autocovariance).sum::<f64>();
    if !(long_run_variance > 0.0) {
        return None;
    }
    let n_f = n as f64;
    let h = horizon as f64;
    let dm = mean_difference / (long_run_variance / n_f).sqrt();
    let correction = ((n_f + 1.0 - 2.0 * h + h * (h - 1.0) / n_f) / n_f).sqrt();
    let statistic = dm * correction;
    let t = StudentsT::new(0.0, 1.0, n_f - 1.0).ok()?;
    let p_value = 2.0 * (1.0 - t.cdf(statistic.abs()));
    Some(DieboldMariano {
        statistic,
        p_value,
        horizon,
    })
}
