//! Forecasts of the test days in original units — the model's and the baselines' — and the
//! table of their accuracy.

use burn::tensor::Device;
use serde::Serialize;
use serde::ser::SerializeMap;
use yoho_data::{NaiveDate, PreparedData, SampleShape, WindowBatcher, WindowItem};
use yoho_model::Forecaster;

use crate::metrics::{self, DieboldMariano};

/// Windows per forward pass when forecasting many windows.
const INFERENCE_BATCH: usize = 1024;

/// The name of the model's forecast.
pub const MODEL: &str = "model";
/// The naive forecast: the target's last observed value.
pub const NAIVE: &str = "naive";
/// The last value plus the mean one-step change of the training targets.
pub const DRIFT: &str = "drift";
/// The mean of the target over the input window.
pub const WINDOW_MEAN: &str = "window_mean";
/// The last Close, for an Open target when the data has a Close column.
pub const LAST_CLOSE: &str = "last_close";

/// The column the last-Close baseline reads, when the target is [`CLOSE_BASELINE_TARGET`].
pub const CLOSE_COLUMN: &str = "Close";
/// The target for which the last-Close baseline applies.
pub const CLOSE_BASELINE_TARGET: &str = "Open";

/// One forecaster's forecasts of the test days.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedForecast {
    /// `model`, `naive`, `drift`, `window_mean` or `last_close`.
    pub name: &'static str,
    /// One value per test day, in original units.
    pub values: Vec<f64>,
}

/// The test days and every forecaster's one-step-ahead forecasts of them.
#[derive(Debug, Clone, PartialEq)]
pub struct TestForecast {
    /// The date of each forecast target, ascending.
    pub dates: Vec<NaiveDate>,
    /// What happened.
    pub actual: Vec<f64>,
    /// The target's last observed value before each test day.
    pub previous: Vec<f64>,
    /// The model first, then the baselines.
    pub forecasts: Vec<NamedForecast>,
    /// Every window's targets, all `horizon` steps: `[window][step]`.
    pub actual_steps: Vec<Vec<f64>>,
    /// The model's forecast of every step: `[window][step]`.
    pub model_steps: Vec<Vec<f64>>,
}

impl TestForecast {
    /// The forecasts of the forecaster called `name`.
    pub fn values(&self, name: &str) -> Option<&[f64]> {
        self.forecasts
            .iter()
            .find(|forecast| forecast.name == name)
            .map(|forecast| forecast.values.as_slice())
    }

    /// The model's forecasts.
    pub fn model(&self) -> &[f64] {
        self.values(MODEL)
            .expect("the model's forecast is always present")
    }

    /// The naive forecasts.
    pub fn naive(&self) -> &[f64] {
        &self.previous
    }

    /// Steps forecast per window.
    pub fn horizon(&self) -> usize {
        self.model_steps.first().map_or(1, Vec::len)
    }
}

/// The model's and the naive forecast's errors `steps_ahead` days ahead, over every test
/// window, in the target's units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepErrors {
    /// Days ahead (1 = the day after the window).
    pub steps_ahead: usize,
    /// The model's RMSE.
    pub model_rmse: f64,
    /// The model's MAE.
    pub model_mae: f64,
    /// The naive forecast's RMSE (the last observed value for every step).
    pub naive_rmse: f64,
    /// The naive forecast's MAE.
    pub naive_mae: f64,
}

/// The errors at every step ahead, `h = 1..=horizon`.
pub fn errors_by_step(test: &TestForecast) -> Vec<StepErrors> {
    (0..test.horizon())
        .map(|step| {
            let actual: Vec<f64> = test.actual_steps.iter().map(|a| a[step]).collect();
            let model: Vec<f64> = test.model_steps.iter().map(|m| m[step]).collect();
            StepErrors {
                steps_ahead: step + 1,
                model_rmse: metrics::rmse(&actual, &model),
                model_mae: metrics::mae(&actual, &model),
                naive_rmse: metrics::rmse(&actual, &test.previous),
                naive_mae: metrics::mae(&actual, &test.previous),
            }
        })
        .collect()
}

/// Forecasts `steps` values for each of `items` (all of `shape`), in model units:
/// `[window][step]`. Up to the model's output width this is one forward pass; beyond it the
/// model is fed its own forecasts (which needs the target to be the only feature).
pub fn forecast_scaled(
    model: &Forecaster,
    shape: SampleShape,
    items: &[WindowItem],
    steps: usize,
    device: &Device,
) -> Vec<Vec<f32>> {
    let batcher = WindowBatcher::new(shape);
    let mut outputs = Vec::with_capacity(items.len());
    for chunk in items.chunks(INFERENCE_BATCH) {
        let refs: Vec<&WindowItem> = chunk.iter().collect();
        let batch = batcher.batch_refs(&refs, device);
        let forecast = if steps <= model.output_size {
            model.forward(batch.inputs).narrow(1, 0, steps)
        } else {
            model.forecast_recursive(batch.inputs, steps)
        };
        let values: Vec<f32> = forecast
            .into_data()
            .try_into_vec_as::<f32>()
            .expect("the forecaster's output converts to f32");
        outputs.extend(values.chunks(steps).map(<[f32]>::to_vec));
    }
    outputs
}

/// The model's and the baselines' forecasts of the test windows: every baseline and the
/// metrics table look at the first step ahead; `model_steps` holds all `horizon` steps.
pub fn forecast_test(model: &Forecaster, data: &PreparedData, device: &Device) -> TestForecast {
    let windows = &data.splits.test;
    let horizon = data.window.horizon;
    let scaled = forecast_scaled(
        model,
        data.sample_shape(),
        &data.items(windows),
        horizon,
        device,
    );
    let scaler = data.target_scaler();
    let target = data.target_values();
    let model_steps: Vec<Vec<f64>> = scaled
        .iter()
        .map(|steps| scaler.inverse_outputs(steps))
        .collect();
    let mut forecasts = vec![NamedForecast {
        name: MODEL,
        values: model_steps.iter().map(|steps| steps[0]).collect(),
    }];
    forecasts.extend(baselines(data));
    TestForecast {
        dates: windows
            .iter()
            .map(|w| data.series.dates[w.first_target_row()])
            .collect(),
        actual: windows
            .iter()
            .map(|w| target[w.first_target_row()])
            .collect(),
        previous: windows.iter().map(|w| target[w.last_input_row()]).collect(),
        forecasts,
        actual_steps: windows
            .iter()
            .map(|w| target[w.target_rows()].to_vec())
            .collect(),
        model_steps,
    }
}

/// The baselines' forecasts of the test days: naive, drift, window mean and, for an Open
/// target with a Close column in the data, the last Close.
pub fn baselines(data: &PreparedData) -> Vec<NamedForecast> {
    let windows = &data.splits.test;
    let target = data.target_values();
    let last = |w: &yoho_data::Window| target[w.last_input_row()];
    let drift = mean_training_change(data);
    let mut forecasts = vec![
        NamedForecast {
            name: NAIVE,
            values: windows.iter().map(last).collect(),
        },
        NamedForecast {
            name: DRIFT,
            values: windows.iter().map(|w| last(w) + drift).collect(),
        },
        NamedForecast {
            name: WINDOW_MEAN,
            values: windows
                .iter()
                .map(|w| {
                    let rows = w.start..w.first_target_row();
                    target[rows.clone()].iter().sum::<f64>() / rows.len() as f64
                })
                .collect(),
        },
    ];
    if data.target == CLOSE_BASELINE_TARGET
        && let Some(close) = data.series.column(CLOSE_COLUMN)
    {
        forecasts.push(NamedForecast {
            name: LAST_CLOSE,
            values: windows.iter().map(|w| close[w.last_input_row()]).collect(),
        });
    }
    forecasts
}

/// The target's values up to the last row any training window reads.
pub fn training_targets(data: &PreparedData) -> &[f64] {
    let end = data
        .splits
        .last_training_row()
        .expect("a prepared split has training windows")
        + 1;
    &data.target_values()[..end]
}

/// Mean one-step change of the target over the training rows.
fn mean_training_change(data: &PreparedData) -> f64 {
    let values = training_targets(data);
    if values.len() < 2 {
        return 0.0;
    }
    (values[values.len() - 1] - values[0]) / (values.len() - 1) as f64
}

/// Every measure of one forecaster on the test days, in the target's units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ForecastMetrics {
    /// Mean squared error.
    pub mse: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Mean absolute percentage error, percent.
    pub mape_percent: f64,
    /// Coefficient of determination.
    pub r_squared: f64,
    /// Share of days whose direction of change (vs the last observed value) was right.
    pub direction_accuracy: f64,
    /// Test MAE over the training set's in-sample naive MAE.
    pub mase: f64,
    /// `1 − MSE / MSE_naive`.
    pub skill_vs_naive: f64,
    /// Diebold–Mariano test against the naive forecast (absent for naive itself).
    pub dm_vs_naive: Option<DieboldMariano>,
}

impl ForecastMetrics {
    /// Measures `forecast` against `test`, with the in-sample naive MAE for MASE.
    pub fn compute(
        test: &TestForecast,
        forecast: &[f64],
        naive_in_sample_mae: f64,
        horizon: usize,
    ) -> Self {
        let actual = &test.actual;
        let naive = test.naive();
        let dm_vs_naive = if forecast == naive {
            None
        } else {
            metrics::diebold_mariano(actual, forecast, naive, horizon)
        };
        Self {
            mse: metrics::mse(actual, forecast),
            rmse: metrics::rmse(actual, forecast),
            mae: metrics::mae(actual, forecast),
            mape_percent: metrics::mape_percent(actual, forecast),
            r_squared: metrics::r_squared(actual, forecast),
            direction_accuracy: metrics::direction_accuracy(actual, forecast, &test.previous),
            mase: metrics::mase(actual, forecast, naive_in_sample_mae),
            skill_vs_naive: metrics::skill_score(actual, forecast, naive),
            dm_vs_naive,
        }
    }

    /// Whether this forecast beats naive at the 5 % level (DM two-sided, lower loss).
    pub fn significantly_better_than_naive(&self) -> bool {
        self.dm_vs_naive
            .is_some_and(|dm| dm.statistic < 0.0 && dm.p_value < 0.05)
    }
}

/// The metrics of every forecaster, model first; serialised as a map from name to metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationTable {
    /// `(forecaster, metrics)` rows.
    pub rows: Vec<(&'static str, ForecastMetrics)>,
}

impl EvaluationTable {
    /// Measures every forecast of `test`.
    pub fn new(test: &TestForecast, data: &PreparedData) -> Self {
        let in_sample = metrics::naive_in_sample_mae(training_targets(data));
        let horizon = 1;
        Self {
            rows: test
                .forecasts
                .iter()
                .map(|f| {
                    (
                        f.name,
                        ForecastMetrics::compute(test, &f.values, in_sample, horizon),
                    )
                })
                .collect(),
        }
    }

    /// The metrics of the forecaster called `name`.
    pub fn get(&self, name: &str) -> Option<&ForecastMetrics> {
        self.rows.iter().find(|(n, _)| *n == name).map(|(_, m)| m)
    }
}

impl Serialize for EvaluationTable {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.rows.len()))?;
        for (name, metrics) in &self.rows {
            map.serialize_entry(name, metrics)?;
        }
        map.end()
    }
}
