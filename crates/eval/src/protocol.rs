//! The M4 competition's protocol for one series: fit on all but its last `horizon` values (the
//! origin), forecast the `horizon` values after the origin, and score them with sMAPE and with
//! MASE scaled by the in-sample MAE of the seasonal naive forecast of period `season`.
//!
//! The series is split as every run splits one (see `yoho_data::window::split`): with
//! `test_len = horizon` the test period holds exactly one window, whose first target is the
//! origin's next row; the validation period (`valid_len`) lies before the origin, and training
//! ends before it. Nothing from after the origin reaches the fit.

use burn::tensor::Device;
use yoho_data::{DataConfig, LoadedSeries, PreparedData, Timestamp, Window};
use yoho_model::Forecaster;

use crate::backtest::{BacktestError, Fit, Fold};
use crate::baselines::Baseline;
use crate::blend::Blend;
use crate::bounds::Bounds;
use crate::inference::{self, InferenceError};
use crate::metrics::{self, Measure};

/// One series forecast from its origin and scored.
#[derive(Debug, Clone)]
pub struct OriginForecast {
    /// The dates of the `horizon` values after the origin.
    pub dates: Vec<Timestamp>,
    /// What happened.
    pub actual: Vec<f64>,
    /// The model's forecast of each.
    pub forecast: Vec<f64>,
    /// sMAPE in percent over the horizon.
    pub smape_percent: Measure,
    /// MASE over the horizon, scaled by the in-sample seasonal naive MAE.
    pub mase: Measure,
}

/// Fits `fit` on `loaded` cut at its origin (all but its last `config.horizon` values), forecasts
/// the `horizon` values after it and scores them; `season` is MASE's seasonal period (`None`:
/// the naive forecast, period 1). With `blend`, the model's forecast is blended with its
/// statistical forecast from the origin.
pub fn forecast_at_origin<F: Fit>(
    loaded: &LoadedSeries,
    config: &DataConfig,
    season: Option<usize>,
    blend: Option<&Blend>,
    fit: &F,
    device: &Device,
) -> Result<OriginForecast, BacktestError<F::Error>> {
    let horizon = config.horizon;
    let config = DataConfig {
        test_len: horizon,
        ..config.clone()
    };
    let data = yoho_data::prepare_loaded(loaded.clone(), &config)
        .map_err(|source| BacktestError::Data { fold: 0, source })?;
    let rows = data.series.len();
    let origin = rows - horizon;
    let fold = Fold {
        index: 0,
        rows: 0..rows,
        origin_row: origin,
        model_fold: 0,
    };
    let model = fit
        .fit(&data, &fold)
        .map_err(|source| BacktestError::Fit { fold: 0, source })?;
    score_at_origin(&data, &model, season, blend, device)
        .map_err(|source| BacktestError::Inference { fold: 0, source })
}

/// Forecasts the `horizon` values after the origin of `data`, a series prepared with
/// `test_len = horizon` (so that its one test window starts at the origin), with `model`, and
/// scores them as [`forecast_at_origin`] does. Used for a model fitted elsewhere, such as one
/// global model over a panel of series. With `blend`, the model's forecast is blended with its
/// statistical forecast fitted on the values up to the origin; either within the [`Bounds`] of
/// those values.
pub fn score_at_origin(
    data: &PreparedData,
    model: &Forecaster,
    season: Option<usize>,
    blend: Option<&Blend>,
    device: &Device,
) -> Result<OriginForecast, InferenceError> {
    let first = data.splits.test.sub_run(0..1);
    let network = inference::forecast_windows(model, data, &first, device)?.remove(0);
    let origin = origin_window(data);
    let mut forecast = match blend {
        Some(blend) => blend.forecast_window(data, &origin, &network),
        None => network,
    };
    Bounds::at_origin(data, &origin).apply_all(&mut forecast);
    Ok(score(data, forecast, season))
}

/// A baseline's forecast of the `horizon` values after the origin of `data` (prepared as for
/// [`score_at_origin`]), scored the same way; `None` where the baseline does not apply (a
/// seasonal naive forecast with less than a season of values before the origin).
pub fn baseline_at_origin(
    data: &PreparedData,
    baseline: &dyn Baseline,
    season: Option<usize>,
) -> Option<OriginForecast> {
    let window = origin_window(data);
    (baseline.applies_to(data)).then(|| score(data, baseline.forecast_steps(data, &window), season))
}

/// The window at the origin of `data` (prepared with `test_len = horizon`): its first test
/// window, whose targets are the `horizon` values after the origin.
fn origin_window(data: &PreparedData) -> Window {
    data.splits
        .test
        .first()
        .expect("a test window at the origin")
}

/// `forecast` of the values after the origin of `data` (its first test window's targets),
/// scored: sMAPE, and MASE over the in-sample seasonal naive of period `season`.
fn score(data: &PreparedData, forecast: Vec<f64>, season: Option<usize>) -> OriginForecast {
    let end = origin_window(data).target_rows().end;
    let (target, dates) = (data.target_values(), &data.series.dates);
    score_last(&target[..end], &dates[..end], forecast, season)
}

/// `forecast` (made elsewhere) of the last `forecast.len()` of `values` (dated `dates`),
/// scored as the protocol scores: sMAPE, and MASE over the in-sample seasonal naive of period
/// `season` on the values before them. `forecast` must be shorter than `values`.
pub fn score_last(
    values: &[f64],
    dates: &[Timestamp],
    forecast: Vec<f64>,
    season: Option<usize>,
) -> OriginForecast {
    let origin = values.len() - forecast.len();
    let actual = values[origin..].to_vec();
    let scale = metrics::seasonal_naive_in_sample_mae(&values[..origin], season.unwrap_or(1));
    OriginForecast {
        dates: dates[origin..].to_vec(),
        smape_percent: metrics::smape_percent(&actual, &forecast),
        mase: metrics::mase(&actual, &forecast, scale),
        actual,
        forecast,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use yoho_data::{NaiveDate, PreparedData, ScalingMethod};
    use yoho_model::{Forecaster, RnnForecasterConfig};

    use super::*;

    /// An untrained model that records the largest target it was given to train or validate on.
    struct Recorder(Mutex<f64>);

    impl Fit for Recorder {
        type Error = std::io::Error;

        fn fit(&self, data: &PreparedData, _: &Fold) -> Result<Forecaster, Self::Error> {
            let target = data.target_values();
            let seen = data.splits.train.iter().chain(data.splits.valid.iter());
            let largest = seen
                .flat_map(|w| target[w.target_rows()].iter().copied())
                .fold(f64::NEG_INFINITY, f64::max);
            *self.0.lock().unwrap() = largest;
            Ok(RnnForecasterConfig::new(1, 4)
                .with_output_size(data.window.horizon)
                .init(&Device::flex()))
        }
    }

    fn series(values: Vec<f64>) -> LoadedSeries {
        let start = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        LoadedSeries::daily("m4.csv", start, "v", values)
    }

    #[test]
    fn the_fit_never_sees_the_horizon_and_the_scores_are_m4s() {
        let horizon = 6;
        let mut values: Vec<f64> = (0..60)
            .map(|i| 100.0 + (i % 12) as f64 + 0.5 * i as f64)
            .collect();
        // the last `horizon` values are poisoned: the fit must not see them
        for value in values.iter_mut().skip(60 - horizon) {
            *value *= 1e6;
        }
        let config = DataConfig {
            horizon,
            valid_len: horizon,
            scaling: ScalingMethod::Standard,
            ..DataConfig::new("m4.csv", &["v"], "v", 12, 1)
        };
        let fit = Recorder(Mutex::new(0.0));
        let result = forecast_at_origin(
            &series(values.clone()),
            &config,
            Some(12),
            None,
            &fit,
            &Device::flex(),
        )
        .unwrap();
        assert!(*fit.0.lock().unwrap() < 1e3, "the fit saw the horizon");
        assert_eq!(result.actual, values[54..].to_vec());
        assert_eq!(result.forecast.len(), horizon);
        assert_eq!(result.dates[0].to_string(), "2000-02-24");
        // scored as M4 scores: sMAPE over the horizon, MASE over the period-12 seasonal naive
        let smape = metrics::smape_percent(&result.actual, &result.forecast).unwrap();
        assert_eq!(result.smape_percent.unwrap(), smape);
        // a year on, each in-sample value is 6 higher (0.5 a month): the seasonal naive's MAE
        let scale = metrics::seasonal_naive_in_sample_mae(&values[..54], 12);
        assert!((scale - 6.0).abs() < 1e-12, "{scale}");
        let mae = metrics::mae(&result.actual, &result.forecast);
        assert!((result.mase.unwrap() - mae / 6.0).abs() < 1e-9);
    }

    #[test]
    fn a_baseline_is_scored_at_the_same_origin() {
        let values: Vec<f64> = (0..60).map(|i| 10.0 + (i % 12) as f64 + i as f64).collect();
        let config = DataConfig {
            horizon: 6,
            test_len: 6,
            ..DataConfig::new("m4.csv", &["v"], "v", 12, 1)
        };
        let data = yoho_data::prepare_loaded(series(values.clone()), &config).unwrap();
        let seasonal = crate::baselines::SeasonalNaive { season: 12 };
        let result = baseline_at_origin(&data, &seasonal, Some(12)).unwrap();
        // the origin is row 54: the seasonal naive repeats rows 42..48
        assert_eq!(result.forecast, values[42..48].to_vec());
        assert_eq!(result.actual, values[54..].to_vec());
        // each value is 12 above the one a season before, in sample and over the horizon
        assert!((result.mase.unwrap() - 1.0).abs() < 1e-12);
        // a season longer than the values before the origin: no forecast, and no panic
        let yearly = crate::baselines::SeasonalNaive { season: 55 };
        assert!(baseline_at_origin(&data, &yearly, Some(12)).is_none());
    }

    #[test]
    fn a_blend_reads_the_values_up_to_the_origin_only() {
        let horizon = 6;
        let clean: Vec<f64> = (0..60)
            .map(|i| 100.0 + (i % 12) as f64 + 0.5 * i as f64)
            .collect();
        let mut poisoned = clean.clone();
        for value in poisoned.iter_mut().skip(60 - horizon) {
            *value *= 1e6;
        }
        let config = DataConfig {
            horizon,
            test_len: horizon,
            ..DataConfig::new("m4.csv", &["v"], "v", 12, 1)
        };
        let device = Device::flex();
        let model = RnnForecasterConfig::new(1, 4)
            .with_output_size(horizon)
            .init(&device);
        let blend = Blend::as_one_more_family(crate::baselines::Ets { season: Some(12) }, 1);
        let at_origin = |values: &[f64], blend: Option<&Blend>| {
            let data = yoho_data::prepare_loaded(series(values.to_vec()), &config).unwrap();
            score_at_origin(&data, &model, Some(12), blend, &device)
                .unwrap()
                .forecast
        };
        let network = at_origin(&clean, None);
        let blended = at_origin(&clean, Some(&blend));
        assert_eq!(blended, blend.forecast(&clean[..54], &network));
        assert_ne!(blended, network);
        // the network's inputs and the statistical fit both end at the origin
        assert_eq!(at_origin(&poisoned, Some(&blend)), blended);
    }
}
