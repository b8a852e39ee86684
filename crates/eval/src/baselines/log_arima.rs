//! Automatic ARIMA on the logarithm: [`Arima`] fitted on the logarithm of a strictly positive
//! history (a Box–Cox transform with λ = 0, as `auto.arima(lambda = 0)` fits series whose
//! seasonal swings grow with their level), its forecast taken back with the exponential (the
//! forecast's median on the original scale, and positive). A history whose newest values (those
//! [`Arima`] fits) hold one at or below zero, which has no logarithm, is fitted on its levels,
//! as [`Arima`] fits it.
//!
//! Like [`Arima`], it is fitted afresh on every value up to each window's origin and never sees
//! a value after it.

use super::Arima;
use super::arima::MAX_HISTORY;

/// Automatic seasonal ARIMA on the logarithm of a strictly positive history; see the module
/// doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogArima {
    /// Rows per season; `None` or 1: no seasonal terms.
    pub season: Option<usize>,
}

impl LogArima {
    /// The name in tables, `metrics.json` and `predictions.csv`.
    pub const NAME: &'static str = "log_arima";

    /// The forecast of the `steps` values after `history` (oldest first): [`Arima`]'s on the
    /// logarithm, exponentiated, when every value it fits (the newest `MAX_HISTORY`) is
    /// above zero; [`Arima`]'s on the levels otherwise.
    pub fn forecast_history(&self, history: &[f64], steps: usize) -> Vec<f64> {
        let arima = Arima {
            season: self.season,
        };
        let history = &history[history.len().saturating_sub(MAX_HISTORY)..];
        if history.iter().any(|v| v.is_nan() || *v <= 0.0) {
            return arima.forecast_history(history, steps);
        }
        let logs: Vec<f64> = history.iter().map(|v| v.ln()).collect();
        (arima.forecast_history(&logs, steps).iter())
            .map(|log| log.exp())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten years of a monthly series growing 2 % a month whose seasonal swing grows with it.
    fn multiplicative() -> Vec<f64> {
        (0..120)
            .map(|row| {
                let phase = (row % 12) as f64 * std::f64::consts::TAU / 12.0;
                100.0 * 1.02_f64.powi(row) * (1.0 + 0.3 * phase.sin())
            })
            .collect()
    }

    #[test]
    fn a_growing_swing_is_forecast_on_the_logarithm() {
        let values = multiplicative();
        let (history, future) = values.split_at(108);
        let log_arima = LogArima { season: Some(12) };
        let forecast = log_arima.forecast_history(history, 12);
        // exactly Arima's forecast of the logarithm, exponentiated
        let logs: Vec<f64> = history.iter().map(|v| v.ln()).collect();
        let on_logs = Arima { season: Some(12) }.forecast_history(&logs, 12);
        for (got, log) in forecast.iter().zip(&on_logs) {
            assert_eq!(*got, log.exp());
        }
        // on the logarithm the series is a line plus a fixed season: the forecast is close,
        // closer than ARIMA's on the levels, whose season does not grow
        let error = |forecast: &[f64]| -> f64 {
            forecast
                .iter()
                .zip(future)
                .map(|(f, y)| (f - y).abs())
                .sum::<f64>()
                / 12.0
        };
        let levels = Arima { season: Some(12) }.forecast_history(history, 12);
        assert!(error(&forecast) < 0.01 * future[0], "{forecast:?}");
        assert!(error(&forecast) < error(&levels), "{forecast:?} {levels:?}");
    }

    #[test]
    fn a_history_at_or_below_zero_is_fitted_on_its_levels() {
        let log_arima = LogArima { season: Some(4) };
        let arima = Arima { season: Some(4) };
        let mut values: Vec<f64> = (0..40).map(|row| 5.0 + (row % 4) as f64).collect();
        values[7] = 0.0;
        assert_eq!(
            log_arima.forecast_history(&values, 4),
            arima.forecast_history(&values, 4)
        );
        values[7] = -1.0;
        assert_eq!(
            log_arima.forecast_history(&values, 4),
            arima.forecast_history(&values, 4)
        );
        // only the values it fits count: a zero older than the newest MAX_HISTORY does not
        let long: Vec<f64> = (0..MAX_HISTORY + 40)
            .map(|row| {
                if row == 0 {
                    0.0
                } else {
                    5.0 + (row % 4) as f64
                }
            })
            .collect();
        let logs: Vec<f64> = long[40..].iter().map(|v| v.ln()).collect();
        let on_logs = arima.forecast_history(&logs, 4);
        let want: Vec<f64> = on_logs.iter().map(|log| log.exp()).collect();
        assert_eq!(log_arima.forecast_history(&long, 4), want);
        values[7] = f64::NAN;
        assert_eq!(log_arima.forecast_history(&values, 2), vec![8.0, 8.0]);
        assert!(
            log_arima
                .forecast_history(&[], 2)
                .iter()
                .all(|v| v.is_nan())
        );
    }

    #[test]
    fn a_forecast_of_a_positive_series_stays_positive() {
        // a series falling towards zero: on the levels a trend would cross it
        let values: Vec<f64> = (0..40).map(|row| 100.0 * 0.85_f64.powi(row)).collect();
        let forecast = LogArima { season: None }.forecast_history(&values, 30);
        assert!(forecast.iter().all(|v| *v > 0.0), "{forecast:?}");
    }
}
