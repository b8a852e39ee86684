//! The statistical forecasters fitted afresh at each origin on every target value up to it,
//! as baselines and as the members of the networks' blend ([`crate::blend`]).

use yoho_data::{PreparedData, Window};

use super::{Arima, Baseline, Ets, HoltWinters, LogArima};

/// A statistical forecaster fitted on the whole history up to an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistical {
    /// Exponential smoothing on the seasonally adjusted series.
    Ets(Ets),
    /// Exponential smoothing whose season evolves (Holt–Winters), chosen by AICc.
    HoltWinters(HoltWinters),
    /// Automatic seasonal ARIMA.
    Arima(Arima),
    /// Automatic seasonal ARIMA on the logarithm of a strictly positive history.
    LogArima(LogArima),
}

impl Statistical {
    /// The forecast of the `steps` values after `history` (oldest first).
    pub fn forecast_history(&self, history: &[f64], steps: usize) -> Vec<f64> {
        match self {
            Self::Ets(ets) => ets.forecast_history(history, steps),
            Self::HoltWinters(holt_winters) => holt_winters.forecast_history(history, steps),
            Self::Arima(arima) => arima.forecast_history(history, steps),
            Self::LogArima(log_arima) => log_arima.forecast_history(history, steps),
        }
    }

    /// Its rows per season (`None`: not seasonal).
    pub fn season(&self) -> Option<usize> {
        match self {
            Self::Ets(ets) => ets.season,
            Self::HoltWinters(holt_winters) => holt_winters.season,
            Self::Arima(arima) => arima.season,
            Self::LogArima(log_arima) => log_arima.season,
        }
    }
}

impl From<Ets> for Statistical {
    fn from(ets: Ets) -> Self {
        Self::Ets(ets)
    }
}

impl From<HoltWinters> for Statistical {
    fn from(holt_winters: HoltWinters) -> Self {
        Self::HoltWinters(holt_winters)
    }
}

impl From<Arima> for Statistical {
    fn from(arima: Arima) -> Self {
        Self::Arima(arima)
    }
}

impl From<LogArima> for Statistical {
    fn from(log_arima: LogArima) -> Self {
        Self::LogArima(log_arima)
    }
}

impl Baseline for Statistical {
    fn name(&self) -> &'static str {
        match self {
            Self::Ets(_) => Ets::NAME,
            Self::HoltWinters(_) => HoltWinters::NAME,
            Self::Arima(_) => Arima::NAME,
            Self::LogArima(_) => LogArima::NAME,
        }
    }

    fn forecast(&self, data: &PreparedData, window: &Window) -> f64 {
        self.forecast_history(history_up_to_origin(data, window), 1)[0]
    }

    fn forecast_steps(&self, data: &PreparedData, window: &Window) -> Vec<f64> {
        self.forecast_history(history_up_to_origin(data, window), window.horizon)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// Every target value up to `window`'s origin (its last input row).
pub fn history_up_to_origin<'a>(data: &'a PreparedData, window: &Window) -> &'a [f64] {
    &data.target_values()[..=window.last_input_row()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_forecast_from_its_origin_never_from_after_it() {
        // a season of 4 with a trend; the test period (the last 8 rows) poisoned: the forecast
        // at its first origin is the same
        let values: Vec<f64> = (0..48)
            .map(|row| (100.0 + 0.5 * row as f64) * [1.2, 0.9, 1.1, 0.8][row % 4])
            .collect();
        let mut poisoned = values.clone();
        for v in poisoned.iter_mut().skip(40) {
            *v = 1e9;
        }
        let clean = crate::baselines::tests::prepared(&values, 8, 8);
        let dirty = crate::baselines::tests::prepared(&poisoned, 8, 8);
        let window = clean.splits.test.first().unwrap();
        assert_eq!(window.last_input_row(), 39);
        let members = [
            Statistical::from(Ets { season: Some(4) }),
            Statistical::from(HoltWinters { season: Some(4) }),
            Statistical::from(Arima { season: Some(4) }),
            Statistical::from(LogArima { season: Some(4) }),
        ];
        for member in members {
            let forecast = member.forecast_steps(&clean, &window);
            assert_eq!(forecast, member.forecast_steps(&dirty, &window));
            let from_history = member.forecast_history(&values[..40], window.horizon);
            assert_eq!(forecast, from_history);
            assert_eq!(forecast[0], member.forecast(&clean, &window));
            assert_eq!(member.season(), Some(4));
        }
        assert_eq!(
            members.map(|m| m.name()),
            ["ets", "holt_winters", "arima", "log_arima"]
        );
    }
}
