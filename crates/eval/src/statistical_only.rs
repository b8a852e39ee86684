//! The forecast of a blend's statistical members alone, for a series too short to train
//! networks on: exponential smoothing and ARIMA need no training windows and no validation
//! period, so a series of a few dozen values (many of the M4 competition's yearly series)
//! still gets a forecast, fitted on its whole history.
//!
//! Its intervals are split conformal, as the networks' are, calibrated on the members' own
//! errors at rolling origins over the series' newer half ([`rolling_conformal`], from
//! [`crate::rolling`]): each origin's forecast is fitted on the values before it alone, so every
//! calibration error is one of a forecast of values its fit never saw.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use yoho_data::{DataConfig, ForecastBounds, LoadedSeries, PreparedData};

use crate::backtest::{
    Backtest, BacktestError, BacktestSpec, FoldResult, plan, pooled, prepare_fold,
};
use crate::baselines::{Baseline, history_up_to_origin, training_targets};
use crate::blend::Blend;
use crate::evaluate::{EvaluationTable, TestForecast, test_forecast_of};
use crate::intervals::{
    Calibration, CalibrationErrors, Conformal, TestIntervals, calibrate_by_step,
    conformal_test_intervals,
};
use crate::parallel::per_window;
use crate::rolling::{before_test, rolling_errors};

/// The split-conformal calibration of `levels` at each of `steps` steps ahead for `blend`'s
/// statistical members alone ([`Blend::forecast_alone`]) on `history`: at every origin of
/// [`calibration_origins`](crate::rolling::calibration_origins), the forecast fitted on the values before it, and its errors on the
/// values after it (a step past the series' end gives none). The nearer steps get more errors
/// than the farther ones; a step with too few for a level has no interval of it. Each forecast
/// is kept within the [`Bounds`](crate::Bounds) `bounds` gives the values before its origin.
pub fn rolling_conformal(
    blend: &Blend,
    (history, bounds): (&[f64], ForecastBounds),
    steps: usize,
    levels: &[f64],
) -> Vec<Conformal> {
    calibrate_by_step(&rolling_errors(blend, (history, bounds), steps), levels)
}

/// A run's test forecasts without networks: `blend`'s statistical members alone at every test
/// window of `data`, each fitted on the values up to the window's origin, beside `baselines`'
/// forecasts (those that apply).
pub fn forecast_test_alone(
    blend: &Blend,
    data: &PreparedData,
    baselines: &[Box<dyn Baseline>],
) -> TestForecast {
    let steps = data.window.horizon;
    let model_steps = per_window(&data.splits.test, |_, window| {
        blend.forecast_alone(history_up_to_origin(data, &window), steps)
    });
    test_forecast_of(model_steps, data, baselines)
}

/// A test period forecast by a blend's statistical members alone ([`test_alone`]).
#[derive(Debug, Clone)]
pub struct TestedAlone {
    /// The members' forecasts beside the baselines'.
    pub forecast: TestForecast,
    /// Every forecaster's measures.
    pub table: EvaluationTable,
    /// The members' prediction intervals, when levels were asked for.
    pub intervals: Option<TestIntervals>,
}

/// `data`'s test forecasts by `blend`'s statistical members alone beside `baselines`' (each
/// fitted on the values before its window's origin), their measures (MASE with `season`) and,
/// for `levels` (none when empty), intervals calibrated on the same forecast's errors at
/// origins rolling over the values before the test period.
pub fn test_alone(
    blend: &Blend,
    data: &PreparedData,
    baselines: &[Box<dyn Baseline>],
    levels: &[f64],
    season: Option<usize>,
) -> TestedAlone {
    let forecast = forecast_test_alone(blend, data, baselines);
    let table = EvaluationTable::new(&forecast, data, season);
    let intervals = (!levels.is_empty()).then(|| {
        let history = (before_test(data), data.bounds);
        let errors = rolling_errors(blend, history, data.window.horizon);
        let calibration = CalibrationErrors {
            calibration: Calibration::RollingOrigins,
            by_step: &errors,
        };
        conformal_test_intervals(data, &forecast, levels, calibration)
    });
    TestedAlone {
        forecast,
        table,
        intervals,
    }
}

/// A rolling-origin backtest of `blend`'s statistical members alone: `spec`'s folds over
/// `loaded` (cut as `config` says, one-row windows), each test window forecast by the members
/// fitted on the values before its origin, beside `baselines`; each fold's intervals
/// (`spec.intervals`) calibrated on the same forecast's errors at origins rolling over the
/// values before the fold's test period. `spec.refit` does not apply: the members are fitted
/// afresh at every origin, which costs no training.
pub fn backtest_alone(
    loaded: &LoadedSeries,
    config: &DataConfig,
    spec: &BacktestSpec,
    blend: &Blend,
    baselines: &[Box<dyn Baseline>],
) -> Result<Backtest, BacktestError<Infallible>> {
    let started = Instant::now();
    let folds = plan(loaded.series.len(), config, spec).map_err(BacktestError::Plan)?;
    let mut results = Vec::with_capacity(folds.len());
    let mut first_training_targets = Vec::new();
    for fold in folds {
        let data = prepare_fold(loaded, config, &fold)?;
        if fold.index == 0 {
            first_training_targets = training_targets(&data).to_vec();
        }
        let tested = test_alone(blend, &data, baselines, &spec.intervals, spec.season);
        let tested = (tested.forecast, tested.table, tested.intervals);
        results.push(FoldResult::of(fold, tested, Duration::ZERO));
    }
    Ok(pooled(
        results,
        &first_training_targets,
        spec.season,
        started,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rolling::tests::{blend, noisy_trend, prepare};
    use crate::{BlendRule, Ets};

    #[test]
    fn calibration_errors_are_of_values_each_fit_never_saw() {
        let history = noisy_trend(30);
        let median = blend(BlendRule::Median);
        let levels = [0.8];
        let conformal = rolling_conformal(&median, (&history, ForecastBounds::Auto), 3, &levels);
        // step k has an error at every origin k or more rows before the end
        let sizes: Vec<usize> = conformal.iter().map(|c| c.calibration_size).collect();
        assert_eq!(sizes, [15, 14, 13]);
        // the errors are those of fits on the history before each origin, worked out here
        let mut first_step: Vec<f64> = (15..30)
            .map(|origin| (median.forecast_alone(&history[..origin], 1)[0] - history[origin]).abs())
            .collect();
        first_step.sort_by(f64::total_cmp);
        let rank = (16.0_f64 * 0.8).ceil() as usize;
        assert_eq!(conformal[0].half_widths[0], Some(first_step[rank - 1]));
        // too short for an origin: no intervals, and no panic
        let none = rolling_conformal(&median, (&history[..8], ForecastBounds::Auto), 3, &levels);
        assert!(none.iter().all(|c| c.half_widths == [None]));
    }

    #[test]
    fn a_runs_test_forecasts_read_only_the_values_before_the_test_period() {
        let clean = noisy_trend(30);
        let mut poisoned = clean.clone();
        for value in poisoned.iter_mut().skip(24) {
            *value *= 1e6;
        }
        let (clean, poisoned) = (prepare(clean), prepare(poisoned));
        assert_eq!(before_test(&clean), &noisy_trend(30)[..24]);
        let median = blend(BlendRule::Median);
        let baselines = crate::standard_baselines(None);
        let test = forecast_test_alone(&median, &clean, &baselines);
        let again = forecast_test_alone(&median, &poisoned, &baselines);
        assert_eq!(test.model_steps(), again.model_steps());
        assert_eq!(
            test.model_steps()[0],
            median.forecast_alone(before_test(&clean), 6)
        );
        assert_ne!(test.actual_steps, again.actual_steps);
        // the calibration errors too
        let errors = |data| rolling_errors(&median, (before_test(data), ForecastBounds::Auto), 6);
        assert_eq!(errors(&clean), errors(&poisoned));
    }

    #[test]
    fn a_backtests_folds_read_only_the_values_before_their_origins() {
        use crate::backtest::{HistoryWindow, Refit};
        use yoho_data::{DataConfig, LoadedSeries, NaiveDate};
        let config = DataConfig {
            horizon: 4,
            ..DataConfig::new("short.csv", &["v"], "v", 1, 1)
        };
        let load = |values: Vec<f64>| {
            let start = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
            LoadedSeries::daily("short.csv", start, "v", values)
        };
        let spec = BacktestSpec {
            folds: 3,
            step: 2,
            refit: Refit::Never,
            window: HistoryWindow::Expanding,
            jobs: 1,
            intervals: vec![0.8],
            season: None,
            blend: None,
        };
        let median = blend(BlendRule::Median);
        let baselines = crate::standard_baselines(None);
        let values = noisy_trend(40);
        let clean = backtest_alone(&load(values.clone()), &config, &spec, &median, &baselines);
        let clean = clean.unwrap();
        assert_eq!(clean.folds.len(), 3);
        // 2 windows a fold, each of 4 steps: the newest 6 + 4 - 1 = 9 rows are targets
        let first_origin = clean.folds[0].fold.origin_row;
        assert_eq!(first_origin, 40 - 9);
        for fold in &clean.folds {
            for (window, steps) in fold.forecast.model_steps().iter().enumerate() {
                let origin = fold.fold.origin_row + window;
                assert_eq!(*steps, median.forecast_alone(&values[..origin], 4));
            }
        }
        // every value from the oldest fold's origin on poisoned: its first window's forecast
        // is the same, and so is every step's calibration of the fold's intervals
        let mut poisoned = values.clone();
        for value in poisoned.iter_mut().skip(first_origin) {
            *value *= 1e6;
        }
        let again = backtest_alone(&load(poisoned), &config, &spec, &median, &baselines).unwrap();
        let oldest = |backtest: &Backtest| {
            let fold = &backtest.folds[0];
            let calibration = fold.intervals.as_ref().unwrap().model_by_step.clone();
            (fold.forecast.model_steps()[0].clone(), calibration)
        };
        assert_eq!(oldest(&again), oldest(&clean));
        assert_ne!(
            again.folds[2].forecast.model_steps(),
            clean.folds[2].forecast.model_steps()
        );
        // a plan the series cannot hold is an error, not a panic
        let long = BacktestSpec { folds: 30, ..spec };
        let error = backtest_alone(&load(values), &config, &long, &median, &baselines);
        assert!(matches!(error, Err(BacktestError::Plan(_))));
    }

    #[test]
    fn a_series_never_negative_before_its_test_is_forecast_non_negative() {
        // counts falling towards zero: a damped trend and a drift carry the fits below it
        let falling: Vec<f64> = (0..36)
            .map(|i| (30.0 - 1.2 * i as f64).max(0.0) + ((i * 7919) % 5) as f64 / 2.0)
            .collect();
        let median = blend(BlendRule::Median);
        let baselines = crate::standard_baselines(None);
        let ends = |tested: &TestedAlone| -> Vec<f64> {
            let intervals = tested.intervals.as_ref().unwrap();
            let steps = intervals.model_steps.iter().flatten().flatten().flatten();
            let first = (intervals.model.intervals.iter()).chain(&intervals.naive.intervals);
            (steps.flat_map(|(lower, upper)| [*lower, *upper]))
                .chain(first.flat_map(|i| i.lower.iter().chain(&i.upper).copied()))
                .collect()
        };
        let counts = prepare(falling.clone());
        let history = before_test(&counts);
        let unbounded = Ets { season: None }.forecast_history(history, 6);
        assert!(unbounded.iter().any(|v| *v < 0.0), "{unbounded:?}");
        let tested = test_alone(&median, &counts, &baselines, &[0.8, 0.95], None);
        let forecasts = tested.forecast.model_steps().concat();
        assert!(forecasts.iter().all(|v| *v >= 0.0), "{forecasts:?}");
        assert!(forecasts.contains(&0.0));
        assert!(ends(&tested).iter().all(|v| *v >= 0.0));
        // the bound is decided before the test period: negative test values do not lift it
        let mut negative_test = falling.clone();
        negative_test[33] = -5.0;
        let again = test_alone(&median, &prepare(negative_test), &baselines, &[0.8], None);
        assert_eq!(again.forecast.model_steps(), tested.forecast.model_steps());
        // one negative value before the test: the forecasts may go below zero
        let mut once_negative = falling;
        once_negative[3] = -1.0;
        let free = test_alone(&median, &prepare(once_negative), &baselines, &[0.8], None);
        assert!(ends(&free).iter().any(|v| *v < 0.0));
    }

    #[test]
    fn the_intervals_cover_about_their_level_on_a_noisy_series() {
        // a random walk with drift: over many series, the 80 % interval of the forecast one
        // step past each series' end holds the actual value about 80 % of the time
        let median = blend(BlendRule::Median);
        let mut state = 12345_u64;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut inside, trials) = (0, 60);
        for _ in 0..trials {
            let mut values = vec![100.0];
            for _ in 0..40 {
                let step = (0..12).map(|_| uniform()).sum::<f64>() - 6.0;
                values.push(values.last().unwrap() + 0.3 + step);
            }
            let (history, actual) = values.split_at(40);
            let conformal = rolling_conformal(&median, (history, ForecastBounds::Auto), 1, &[0.8]);
            let forecast = median.forecast_alone(history, 1)[0];
            let (lower, upper) = conformal[0].interval(0.8, forecast).unwrap();
            inside += usize::from((lower..=upper).contains(&actual[0]));
        }
        let coverage = inside as f64 / trials as f64;
        assert!((0.65..=0.95).contains(&coverage), "coverage {coverage}");
    }
}
