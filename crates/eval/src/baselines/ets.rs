//! Exponential smoothing, the statistician's default forecast (and the M4 competition's
//! benchmark): the history up to the origin is seasonally adjusted by classical decomposition
//! when it is seasonal (`seasonality.rs`; weekly data's year, 52.18 weeks, by harmonics of
//! that length instead: `harmonics.rs`), exponential smoothing with a damped trend (Gardner
//! and McKenzie's robust default; additive or multiplicative error chosen by AICc:
//! `augurs-ets`'s AutoETS, a port of statsforecast's) forecasts the adjusted series, and the
//! seasonal indices are put back.
//!
//! It reads every value up to each window's origin, not only the window: it is fitted afresh at
//! each origin (as a rolling-origin backtest refits), and never sees a value after it.

use augurs_core::{Fit, Predict};
use augurs_ets::AutoETS;

use super::harmonics::{Harmonics, fractional_period};
use super::seasonality::{classical_indices, has_season};

/// Seasons of history below which no seasonal indices are estimated: two, as R's `decompose`
/// needs, so that a series too short for the networks (two and a half years of months) still
/// has its season taken out. (The M4 benchmarks test for a season from three; every series of
/// the accuracy bench has that many, so its figures do not change.)
const MIN_SEASONS: usize = 2;

/// Rows below which exponential smoothing is not fitted (the naive forecast instead).
const MIN_ROWS: usize = 8;

/// The newest values it fits on at most: about four years of trading days, nineteen of weekly
/// data. Older values barely move the smoothed states, and each fit's time grows with the
/// history (about 13 ms for 1,000 values, 70 ms for 5,000), once per test window.
pub const MAX_HISTORY: usize = 1000;

/// Automatic exponential smoothing on the seasonally adjusted history; see the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ets {
    /// Rows per season; `None` or 1: no seasonal adjustment.
    pub season: Option<usize>,
}

impl Ets {
    /// The name in tables, `metrics.json` and `predictions.csv`.
    pub const NAME: &'static str = "ets";

    /// The forecast of the `steps` values after `history` (oldest first), fitted on its newest
    /// `MAX_HISTORY` values. A history too short to fit, or one the fit fails on, gets the
    /// (seasonally adjusted) naive forecast.
    pub fn forecast_history(&self, history: &[f64], steps: usize) -> Vec<f64> {
        let history = &history[history.len().saturating_sub(MAX_HISTORY)..];
        let season = self.season.unwrap_or(1);
        let adjustment = Adjustment::estimate(history, season);
        let adjusted: Vec<f64> = match &adjustment {
            Some(adjustment) => (0..history.len())
                .map(|row| adjustment.remove(history[row], row))
                .collect(),
            None => history.to_vec(),
        };
        let forecast = smooth(&adjusted, steps);
        (0..steps)
            .map(|k| match &adjustment {
                Some(adjustment) => adjustment.restore(forecast[k], history.len() + k),
                None => forecast[k],
            })
            .collect()
    }
}

/// How the season is taken out of a history and put back into its forecast.
#[derive(Debug, Clone, PartialEq)]
enum Adjustment {
    /// One index per phase of a season of whole rows.
    Phases(SeasonalIndices),
    /// Harmonics of a season that is not a whole number of rows (weekly data's year).
    Harmonics(Harmonics),
}

impl Adjustment {
    /// The season of `values`, `season` rows long, or `None` when there is no season, fewer
    /// than two seasons of history, or neither test finds one (`seasonality.rs`).
    fn estimate(values: &[f64], season: usize) -> Option<Self> {
        if season < 2 || values.len() < MIN_SEASONS * season || !has_season(values, season) {
            return None;
        }
        match fractional_period(season) {
            Some(period) => Harmonics::estimate(values, season, period).map(Self::Harmonics),
            None => Some(Self::Phases(SeasonalIndices::estimate(values, season))),
        }
    }

    /// `value` of row `row` with its season taken out.
    fn remove(&self, value: f64, row: usize) -> f64 {
        match self {
            Self::Phases(indices) => indices.remove(value, row),
            Self::Harmonics(harmonics) => harmonics.remove(value, row),
        }
    }

    /// An adjusted `value` of row `row` with its season put back.
    fn restore(&self, value: f64, row: usize) -> f64 {
        match self {
            Self::Phases(indices) => indices.restore(value, row),
            Self::Harmonics(harmonics) => harmonics.restore(value, row),
        }
    }
}

/// AutoETS's forecast of `steps` values after `values` with a damped trend (error additive or
/// multiplicative by AICc); the naive forecast where it cannot fit.
fn smooth(values: &[f64], steps: usize) -> Vec<f64> {
    let naive = vec![values.last().copied().unwrap_or(f64::NAN); steps];
    if values.len() < MIN_ROWS || steps == 0 {
        return naive;
    }
    let forecast = AutoETS::non_seasonal()
        .damped(true)
        .and_then(|search| search.fit(values))
        .and_then(|model| model.predict(steps, None))
        .map(|forecast| forecast.point);
    match forecast {
        Ok(point) if point.len() == steps && point.iter().all(|v| v.is_finite()) => point,
        _ => naive,
    }
}

/// How a season's phases depart from the trend: ratios for a strictly positive series,
/// differences otherwise.
#[derive(Debug, Clone, PartialEq)]
struct SeasonalIndices {
    /// One per phase (row `r` has phase `r % season`): mean 1 (ratios) or 0 (differences).
    by_phase: Vec<f64>,
    multiplicative: bool,
}

impl SeasonalIndices {
    /// Classical decomposition's indices of `values` with `season` rows per season (at least
    /// two seasons of them).
    fn estimate(values: &[f64], season: usize) -> Self {
        let multiplicative = values.iter().all(|&v| v > 0.0);
        Self {
            by_phase: classical_indices(values, season, multiplicative),
            multiplicative,
        }
    }

    /// `value` of row `row` with its season taken out.
    fn remove(&self, value: f64, row: usize) -> f64 {
        let index = self.by_phase[row % self.by_phase.len()];
        match self.multiplicative {
            true => value / index,
            false => value - index,
        }
    }

    /// An adjusted `value` of row `row` with its season put back.
    fn restore(&self, value: f64, row: usize) -> f64 {
        let index = self.by_phase[row % self.by_phase.len()];
        match self.multiplicative {
            true => value * index,
            false => value + index,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A season of 4 around a level of 100 (ratios 1.2, 0.9, 1.1, 0.8) for `seasons` seasons,
    /// with a little trend.
    fn seasonal_series(seasons: usize) -> Vec<f64> {
        let shape = [1.2, 0.9, 1.1, 0.8];
        (0..seasons * 4)
            .map(|row| (100.0 + 0.5 * row as f64) * shape[row % 4])
            .collect()
    }

    #[test]
    fn a_seasonal_series_gets_its_indices_and_keeps_them_in_the_forecast() {
        let values = seasonal_series(10);
        let indices = SeasonalIndices::estimate(&values, 4);
        assert!(indices.multiplicative);
        for (got, want) in indices.by_phase.iter().zip([1.2, 0.9, 1.1, 0.8]) {
            assert!((got - want).abs() < 0.01, "{:?}", indices.by_phase);
        }
        // removing and restoring is exact, row by row
        for (row, v) in values.iter().enumerate() {
            let back = indices.restore(indices.remove(*v, row), row);
            assert!((back - v).abs() < 1e-9);
        }
        // the forecast follows the season and the trend: the next row is phase 0 (×1.2)
        let forecast = Ets { season: Some(4) }.forecast_history(&values, 8);
        for (k, f) in forecast.iter().enumerate() {
            let row = values.len() + k;
            let want = (100.0 + 0.5 * row as f64) * [1.2, 0.9, 1.1, 0.8][row % 4];
            assert!((f - want).abs() / want < 0.02, "step {k}: {f} vs {want}");
        }
    }

    /// Nineteen years of weeks whose season follows the calendar's year (52.18 weeks): a
    /// yearly swing and a peak around Christmas, on a level of 100.
    fn calendar_weeks(rows: usize) -> Vec<f64> {
        (0..rows)
            .map(|row| {
                let day_of_year = (7.0 * row as f64) % 365.25;
                let swing = 15.0 * (std::f64::consts::TAU * day_of_year / 365.25).cos();
                let christmas = if (340.0..361.0).contains(&day_of_year) {
                    40.0
                } else {
                    0.0
                };
                100.0 + swing + christmas
            })
            .collect()
    }

    #[test]
    fn weekly_data_gets_the_calendar_year_not_52_rows() {
        // the origin's last year: its Christmas falls three weeks after the 52 phases' average
        let rows = 19 * 52 + 40;
        let all = calendar_weeks(rows + 13);
        let (history, future) = all.split_at(rows);
        let error = |forecast: &[f64]| -> f64 {
            forecast
                .iter()
                .zip(future)
                .map(|(f, v)| (f - v).abs())
                .sum::<f64>()
                / 13.0
        };
        let ets = Ets { season: Some(52) };
        assert!(matches!(
            Adjustment::estimate(history, 52),
            Some(Adjustment::Harmonics(_))
        ));
        let by_harmonics = error(&ets.forecast_history(history, 13));
        // the same smoothing with classical decomposition's 52 indices instead
        let phases = SeasonalIndices::estimate(history, 52);
        let adjusted: Vec<f64> = (history.iter().enumerate())
            .map(|(row, v)| phases.remove(*v, row))
            .collect();
        let by_phases: Vec<f64> = (smooth(&adjusted, 13).iter().enumerate())
            .map(|(k, v)| phases.restore(*v, rows + k))
            .collect();
        let by_phases = error(&by_phases);
        assert!(
            by_harmonics < 0.5 * by_phases,
            "harmonics {by_harmonics:.2}, phases {by_phases:.2}"
        );
        // seasons of whole rows keep their phases' indices
        assert!(matches!(
            Adjustment::estimate(&seasonal_series(10), 4),
            Some(Adjustment::Phases(_))
        ));
    }

    #[test]
    fn a_series_that_crosses_zero_gets_additive_indices() {
        let values: Vec<f64> = (0..40)
            .map(|row| [3.0, -1.0, 2.0, -4.0][row % 4] + 0.01 * row as f64)
            .collect();
        let indices = SeasonalIndices::estimate(&values, 4);
        assert!(!indices.multiplicative);
        assert!(indices.by_phase.iter().sum::<f64>().abs() < 1e-9);
        assert!(
            (indices.by_phase[0] - 3.0).abs() < 0.05,
            "{:?}",
            indices.by_phase
        );
    }

    #[test]
    fn no_season_without_one_found_a_season_or_two_seasons_of_history() {
        // a trend without a season: neither test finds one
        let noise: Vec<f64> = (0..60u64)
            .map(|i| 50.0 + ((i * 7919 + 13) % 17) as f64 - 8.0)
            .collect();
        assert_eq!(Adjustment::estimate(&noise, 4), None);
        assert_eq!(Adjustment::estimate(&seasonal_series(10), 1), None);
        assert_eq!(Adjustment::estimate(&seasonal_series(2)[..7], 4), None);
        assert!(Adjustment::estimate(&seasonal_series(2), 4).is_some());
        assert!(Adjustment::estimate(&seasonal_series(8), 4).is_some());
        // months with a December peak: two and a half years of them are enough (as R's
        // `decompose` needs two whole periods), twenty months are not
        let months = |rows: usize| -> Vec<f64> {
            (0..rows)
                .map(|row| 100.0 + 0.2 * row as f64 + if row % 12 == 11 { 60.0 } else { 0.0 })
                .collect()
        };
        assert!(Adjustment::estimate(&months(30), 12).is_some());
        assert_eq!(Adjustment::estimate(&months(20), 12), None);
    }

    #[test]
    fn a_trend_is_continued_damped_and_a_short_history_gets_the_naive_forecast() {
        // the line's next values are 61, 63, 65: the forecast rises from the last value, 59,
        // by steps of at most 2 that end smaller than they start (a damped trend)
        let line: Vec<f64> = (0..30).map(|i| 1.0 + 2.0 * f64::from(i)).collect();
        let forecast = Ets { season: None }.forecast_history(&line, 3);
        let mut steps = vec![forecast[0] - 59.0];
        steps.extend(forecast.windows(2).map(|pair| pair[1] - pair[0]));
        assert!(
            steps.iter().all(|step| (1.5..=2.0).contains(step)),
            "{forecast:?}"
        );
        assert!(steps[2] < steps[0] - 1e-3, "{forecast:?}");
        let short = [1.0, 5.0, 3.0];
        assert_eq!(
            Ets { season: Some(4) }.forecast_history(&short, 2),
            vec![3.0; 2]
        );
    }

    #[test]
    fn only_the_newest_values_are_fitted() {
        let long: Vec<f64> = (0..MAX_HISTORY + 37)
            .map(|row| 100.0 + (row % 7) as f64 + ((row * 7919) % 11) as f64)
            .collect();
        let ets = Ets { season: Some(7) };
        assert_eq!(
            ets.forecast_history(&long, 3),
            ets.forecast_history(&long[37..], 3)
        );
        assert_ne!(
            ets.forecast_history(&long, 3),
            ets.forecast_history(&long[..MAX_HISTORY], 3)
        );
    }

    #[test]
    fn the_same_history_gives_the_same_forecast() {
        let values = seasonal_series(6);
        let ets = Ets { season: Some(4) };
        assert_eq!(
            ets.forecast_history(&values, 5),
            ets.forecast_history(&values, 5)
        );
    }
}
