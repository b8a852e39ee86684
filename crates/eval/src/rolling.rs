//! Forecasts of a blend's statistical voices alone at origins rolling over a series, and their
//! errors: how a forecast that no validation period calibrates still gets split-conformal
//! intervals. Each origin's forecast is fitted on the values before it alone, so every error is
//! one of a forecast of values its fit never saw.
//!
//! A series too short for networks is forecast by the voices alone
//! ([`crate::statistical_only`]) and calibrated on their errors ([`rolling_errors`]); a model
//! whose own validation windows are too few is calibrated on the voices' errors as a stand-in
//! for its own ([`voices_rolling_errors`]), in a run, a forecast past the series' end, a panel
//! and the first folds of a backtest.

use yoho_data::{ForecastBounds, PreparedData, WindowRun};

use crate::blend::Blend;
use crate::bounds::SeriesBounds;
use crate::intervals::Conformal;
use crate::parallel::per_window;

/// Values before the first calibration origin, at least; the origins then cover the series'
/// newer half.
pub const MIN_ORIGIN_HISTORY: usize = 8;

impl Blend {
    /// The forecast of the `steps` values after `history` (oldest first) by the statistical
    /// members alone, each fitted on the whole history: each voice's members averaged, then the
    /// voices combined by the blend's rule (the median of the voices, or their mean, each voice
    /// weighing alike without the networks).
    pub fn forecast_alone(&self, history: &[f64], steps: usize) -> Vec<f64> {
        let voices = self.voice_forecasts(&self.member_forecasts(history, steps));
        let voice_count = voices.len().max(1) as f64;
        (0..steps)
            .map(|step| {
                let values = voices.iter().map(|voice| voice[step]);
                match self.rule {
                    crate::BlendRule::Median => crate::blend::median(values),
                    crate::BlendRule::Mean => values.sum::<f64>() / voice_count,
                }
            })
            .collect()
    }
}

/// The origins the voices' errors are measured at for a series of `rows` values: every row of
/// its newer half (at least [`MIN_ORIGIN_HISTORY`] values before the first), as a run of
/// one-row windows whose first target row is the origin; `None` when the series is too short
/// for one.
pub fn calibration_origins(rows: usize) -> Option<WindowRun> {
    let first_origin = (rows / 2).max(MIN_ORIGIN_HISTORY);
    let count = rows.checked_sub(first_origin).filter(|count| *count > 0)?;
    Some(WindowRun {
        first_start: first_origin - 1,
        stride: 1,
        count,
        window_len: 1,
        horizon: 1,
    })
}

/// The errors (forecast − actual) of `blend`'s statistical members alone at each of `steps`
/// steps ahead, at every origin of [`calibration_origins`] over `history`, each forecast
/// fitted on the values before its origin and kept within the [`Bounds`](crate::Bounds)
/// `bounds` gives them; one list per step (empty where no origin reaches).
pub fn rolling_errors(
    blend: &Blend,
    (history, bounds): (&[f64], ForecastBounds),
    steps: usize,
) -> Vec<Vec<f64>> {
    errors_at(
        blend,
        (history, bounds),
        steps,
        calibration_origins(history.len()),
    )
}

/// [`rolling_errors`] at `origins` (none: no errors).
fn errors_at(
    blend: &Blend,
    (history, bounds): (&[f64], ForecastBounds),
    steps: usize,
    origins: Option<WindowRun>,
) -> Vec<Vec<f64>> {
    let mut errors: Vec<Vec<f64>> = vec![Vec::new(); steps];
    let bounds = SeriesBounds::new(bounds, history);
    if let Some(origins) = origins {
        let forecasts = per_window(&origins, |_, window| {
            let origin = window.first_target_row();
            let ahead = steps.min(history.len() - origin);
            let mut forecast = blend.forecast_alone(&history[..origin], ahead);
            bounds.up_to(origin - 1).apply_all(&mut forecast);
            (origin, forecast)
        });
        for (origin, forecast) in forecasts {
            for (step, value) in forecast.iter().enumerate() {
                errors[step].push(value - history[origin + step]);
            }
        }
    }
    errors
}

/// Calibration errors for a model whose own validation windows are too few for any interval
/// and whose series is too short for a second fit: the errors of `blend`'s statistical members
/// alone ([`rolling_errors`]) at the newest `most_origins` origins of [`calibration_origins`]
/// over the values before `data`'s test period (a long series' hundreds of origins would cost
/// minutes of fits), one list per step ahead, and the naive forecast's errors one step ahead at
/// the same origins (the value before each origin against the value at it). Nothing from the
/// test period is read.
pub fn voices_rolling_errors(
    blend: &Blend,
    data: &PreparedData,
    most_origins: usize,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let history = before_test(data);
    let origins = calibration_origins(history.len()).map(|origins| {
        let count = origins.count;
        origins.sub_run(count.saturating_sub(most_origins)..count)
    });
    let steps = data.window.horizon;
    let by_step = errors_at(blend, (history, data.bounds), steps, origins);
    let naive = origins.map_or_else(Vec::new, |origins| {
        (origins.iter())
            .map(|window| {
                let origin = window.first_target_row();
                history[origin - 1] - history[origin]
            })
            .collect()
    });
    (by_step, naive)
}

/// The values of `data`'s target before its test period (all of them without one): what a
/// run's statistical forecast may calibrate its intervals on.
pub fn before_test(data: &PreparedData) -> &[f64] {
    let target = data.target_values();
    let first = (data.splits.test.first()).map_or(target.len(), |window| window.first_target_row());
    &target[..first]
}

/// The most origins [`voices_rolling_errors`] is asked for when calibrating `levels` over a
/// horizon of `horizon` steps: enough for the widest level at the farthest step (19 errors for
/// 95 %), and no more, as each origin costs a fit of every voice.
pub fn voice_origins(levels: &[f64], horizon: usize) -> usize {
    let widest = Conformal::errors_needed_for(levels).unwrap_or(0);
    widest + horizon.max(1) - 1
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{Arima, BlendRule, Ets, Statistical};
    use yoho_data::DataConfig;

    pub(crate) fn blend(rule: BlendRule) -> Blend {
        let voices = [
            vec![Statistical::from(Ets { season: None })],
            vec![Statistical::from(Arima { season: None })],
        ];
        Blend::of_voices(voices, 1).with_rule(rule)
    }

    /// `values` as a daily series with one test window of 6 steps at its end.
    pub(crate) fn prepare(values: Vec<f64>) -> PreparedData {
        use yoho_data::{LoadedSeries, NaiveDate};
        let start = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let config = DataConfig {
            horizon: 6,
            test_len: 6,
            ..DataConfig::new("short.csv", &["v"], "v", 1, 1)
        };
        let loaded = LoadedSeries::daily("short.csv", start, "v", values);
        yoho_data::prepare_loaded(loaded, &config).unwrap()
    }

    pub(crate) fn noisy_trend(rows: usize) -> Vec<f64> {
        (0..rows)
            .map(|i| 10.0 + 0.5 * i as f64 + ((i * 7919) % 13) as f64 / 13.0)
            .collect()
    }

    #[test]
    fn alone_the_voices_are_combined_without_a_network() {
        let history = noisy_trend(30);
        let median = blend(BlendRule::Median);
        let ets = Ets { season: None }.forecast_history(&history, 6);
        let arima = Arima { season: None }.forecast_history(&history, 6);
        // two voices: their median is their mean, and so is the mean rule's
        let expected: Vec<f64> = (0..6).map(|k| (ets[k] + arima[k]) / 2.0).collect();
        assert_eq!(median.forecast_alone(&history, 6), expected);
        assert_eq!(blend(BlendRule::Mean).forecast_alone(&history, 6), expected);
        // one voice alone is that member's forecast
        let ets_only = Blend::as_one_more_family(Ets { season: None }, 1);
        assert_eq!(ets_only.forecast_alone(&history, 6), ets);
    }

    #[test]
    fn origins_cover_the_newer_half_and_keep_a_history() {
        let origins = calibration_origins(40).unwrap();
        let first: Vec<usize> = origins.iter().map(|w| w.first_target_row()).collect();
        assert_eq!(first, (20..40).collect::<Vec<_>>());
        // a short series keeps 8 values before its first origin
        let short = calibration_origins(12).unwrap();
        assert_eq!(short.first().unwrap().first_target_row(), 8);
        assert_eq!(short.len(), 4);
        assert!(calibration_origins(8).is_none());
    }

    #[test]
    fn a_models_voices_are_calibrated_before_its_test_period_with_naive_beside_them() {
        let clean = noisy_trend(30);
        let mut poisoned = clean.clone();
        for value in poisoned.iter_mut().skip(24) {
            *value *= 1e6;
        }
        let median = blend(BlendRule::Median);
        let (by_step, naive) = voices_rolling_errors(&median, &prepare(clean.clone()), 100);
        // the test period (the last 6 of 30 values) is never read
        let again = voices_rolling_errors(&median, &prepare(poisoned), 100);
        assert_eq!((&by_step, &naive), (&again.0, &again.1));
        // the voices' errors at the origins over the 24 values before it, 6 steps each
        let history = &clean[..24];
        let expected = rolling_errors(&median, (history, ForecastBounds::Auto), 6);
        assert_eq!(by_step, expected);
        // naive one step ahead at the same origins: rows 12 to 23
        assert_eq!(naive.len(), by_step[0].len());
        let naive_errors: Vec<f64> = (12..24).map(|o| history[o - 1] - history[o]).collect();
        assert_eq!(naive, naive_errors);
        // at most the newest 5 origins: rows 19 to 23
        let (newest, newest_naive) = voices_rolling_errors(&median, &prepare(clean.clone()), 5);
        assert_eq!(newest_naive, naive_errors[7..]);
        assert_eq!(newest[0], by_step[0][7..]);
        assert_eq!(newest[2], by_step[2][7..]);
    }

    #[test]
    fn the_voices_are_fitted_at_enough_origins_for_the_widest_level_at_the_farthest_step() {
        assert_eq!(voice_origins(&[0.8, 0.95], 1), 19);
        assert_eq!(voice_origins(&[0.8], 6), 4 + 5);
        assert_eq!(voice_origins(&[], 6), 5);
    }
}
