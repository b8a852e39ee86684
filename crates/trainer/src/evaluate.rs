//! Forecasts on the test split in original units, and their errors next to the naive forecast.

use burn::tensor::Device;
use serde::Serialize;
use yoho_data::{NaiveDate, PreparedData, WindowBatcher, WindowItem};
use yoho_model::Forecaster;

/// Windows per forward pass when forecasting many windows.
const INFERENCE_BATCH: usize = 1024;

/// One-step-ahead forecasts for the test days, in original units.
#[derive(Debug, Clone, PartialEq)]
pub struct TestForecast {
    /// The date of each forecast target, ascending.
    pub dates: Vec<NaiveDate>,
    /// What happened.
    pub actual: Vec<f64>,
    /// What the model said.
    pub predicted: Vec<f64>,
    /// The naive forecast: the target's last observed value (the window's last day).
    pub naive: Vec<f64>,
}

/// Runs `model` on `items` and returns `[window][horizon]` outputs in model units.
pub fn predict_scaled(
    model: &Forecaster,
    data: &PreparedData,
    items: &[WindowItem],
    device: &Device,
) -> Vec<Vec<f32>> {
    let batcher = WindowBatcher::new(data.sample_shape());
    let horizon = data.window.horizon;
    let mut outputs = Vec::with_capacity(items.len());
    for chunk in items.chunks(INFERENCE_BATCH) {
        let refs: Vec<&WindowItem> = chunk.iter().collect();
        let batch = batcher.batch_refs(&refs, device);
        let values: Vec<f32> = model
            .forward(batch.inputs)
            .into_data()
            .to_vec()
            .expect("the forecaster outputs f32");
        outputs.extend(values.chunks(horizon).map(<[f32]>::to_vec));
    }
    outputs
}

/// The model's and the naive forecasts of the first step ahead for every test window.
pub fn forecast_test(model: &Forecaster, data: &PreparedData, device: &Device) -> TestForecast {
    let windows = &data.splits.test;
    let scaled = predict_scaled(model, data, &data.items(windows), device);
    let target = data.target_values();
    let scaler = data.target_scaler();
    TestForecast {
        dates: windows
            .iter()
            .map(|w| data.series.dates[w.first_target_row()])
            .collect(),
        actual: windows.iter().map(|w| target[w.first_target_row()]).collect(),
        predicted: scaled
            .iter()
            .map(|steps| scaler.inverse(f64::from(steps[0])))
            .collect(),
        naive: windows.iter().map(|w| target[w.last_input_row()]).collect(),
    }
}

/// Error measures of a forecast, in the target's units (MAPE in percent).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErrorMetrics {
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Mean absolute percentage error, in percent of the actual value.
    pub mape_percent: f64,
}

impl ErrorMetrics {
    /// Errors of `forecast` against `actual` (same length, at least one value).
    pub fn compute(actual: &[f64], forecast: &[f64]) -> Self {
        assert_eq!(actual.len(), forecast.len(), "one forecast per actual value");
        let n = actual.len() as f64;
        let errors = actual.iter().zip(forecast).map(|(a, f)| f - a);
        let squared: f64 = errors.clone().map(|e| e * e).sum();
        let absolute: f64 = errors.map(f64::abs).sum();
        let percent: f64 = actual
            .iter()
            .zip(forecast)
            .map(|(a, f)| ((f - a) / a).abs())
            .sum();
        Self {
            rmse: (squared / n).sqrt(),
            mae: absolute / n,
            mape_percent: 100.0 * percent / n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        // errors: +2, -1, 0, -3 on actuals 100, 50, 20, 30
        let actual = [100.0, 50.0, 20.0, 30.0];
        let forecast = [102.0, 49.0, 20.0, 27.0];
        let metrics = ErrorMetrics::compute(&actual, &forecast);
        // RMSE = sqrt((4 + 1 + 0 + 9) / 4) = sqrt(3.5)
        assert!((metrics.rmse - 3.5f64.sqrt()).abs() < 1e-12);
        // MAE = (2 + 1 + 0 + 3) / 4 = 1.5
        assert!((metrics.mae - 1.5).abs() < 1e-12);
        // MAPE = (2/100 + 1/50 + 0 + 3/30) / 4 · 100 = (0.02 + 0.02 + 0.1) / 4 · 100 = 3.5 %
        assert!((metrics.mape_percent - 3.5).abs() < 1e-12);
    }
}
