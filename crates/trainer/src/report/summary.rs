//! The contents of `metrics.json`: the run, its data, its training and its measures.

use serde::Serialize;
use yoho_data::PreparedData;
use yoho_eval::{
    EnsembleSpread, EvaluationTable, GenerationSummary, StepErrors, TestForecast, TestIntervals,
};

use crate::training::EpochLoss;

/// The contents of `metrics.json`.
#[derive(Debug, Clone, Serialize)]
pub struct MetricsReport {
    /// The run's name.
    pub run: String,
    /// The device trained on.
    pub device: String,
    /// The data and its split.
    pub data: DataSummary,
    /// How training went.
    pub training: TrainingSummary,
    /// Every forecaster's measures on the test days, in the target's units, keyed by name.
    pub test: EvaluationTable,
    /// The baseline with the lowest MSE on the test days (the reference of
    /// `dm_vs_best_baseline`).
    pub best_baseline: String,
    /// With `horizon > 1`: the model's and the naive forecast's errors at every step ahead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_step: Option<Vec<StepErrors>>,
    /// With `[evaluate] closed_loop`: how far the generated series strays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_loop: Option<GenerationSummary>,
    /// With `[evaluate] intervals`: the model's and the naive forecast's prediction intervals
    /// on the test days and their scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervals: Option<TestIntervals>,
    /// With `[train] ensemble > 1`: each member's error on the test days and how far their
    /// forecasts range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ensemble: Option<EnsembleSpread>,
}

/// Where the numbers come from.
#[derive(Debug, Clone, Serialize)]
pub struct DataSummary {
    /// The file or generator.
    pub source: String,
    /// The series of a panel these numbers are of (its name in the series column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// Input columns.
    pub features: Vec<String>,
    /// Forecast column.
    pub target: String,
    /// Steps forecast from each origin.
    pub horizon: usize,
    /// Rows after cleaning.
    pub rows: usize,
    /// Rows dropped while cleaning.
    pub dropped_rows: usize,
    /// Rows holding a value `[data] missing` filled in.
    pub filled_rows: usize,
    /// First and last date of the series.
    pub first_date: String,
    /// Last date of the series.
    pub last_date: String,
    /// How often it is observed, inferred from its dates: `daily`, `business-daily`, `weekly`,
    /// `monthly`, `quarterly`, `yearly`, `irregular (…)`, `hourly`, `every 5 minutes`, …; an
    /// intraday series observed for part of the day or week adds its session (`every 5
    /// minutes, 169 rows a day, 07:00 to 21:00, Monday to Friday`).
    pub frequency: String,
    /// Dates that frequency expects inside the series that are not there (holidays, for
    /// business-daily market data).
    pub missing_dates: usize,
    /// Training windows.
    pub train_windows: usize,
    /// Validation windows.
    pub valid_windows: usize,
    /// Test windows: the forecast origins inside the test period (= test days for a one-step
    /// horizon).
    pub test_windows: usize,
    /// First test target date: the first day of the test period.
    pub test_first_date: String,
    /// Last test target date (of the last window's last step): the last day of the test period.
    pub test_last_date: String,
}

/// How far ahead a model of `horizon` steps forecasts, in words.
pub fn steps_ahead(horizon: usize) -> String {
    match horizon {
        1 => "one step ahead".to_string(),
        h => format!("1 to {h} steps ahead"),
    }
}

impl DataSummary {
    /// Summarises `data` and the test forecast's dates.
    pub fn new(data: &PreparedData, forecast: &TestForecast) -> Self {
        let dates = &data.series.dates;
        let cadence = yoho_data::Cadence::infer(dates);
        Self {
            source: data.series.source_name.clone(),
            series: None,
            features: data.features.clone(),
            target: data.target.clone(),
            horizon: data.window.horizon,
            rows: data.series.len(),
            dropped_rows: data.cleaning.dropped_rows,
            filled_rows: data.cleaning.filled_rows,
            first_date: dates[0].to_string(),
            last_date: dates[dates.len() - 1].to_string(),
            frequency: cadence.to_string(),
            missing_dates: cadence.missing(dates).len(),
            train_windows: data.splits.train.len(),
            valid_windows: data.splits.valid.len(),
            test_windows: data.splits.test.len(),
            test_first_date: forecast.dates[0].to_string(),
            test_last_date: data
                .splits
                .test
                .last()
                .map_or(forecast.dates[forecast.dates.len() - 1], |window| {
                    dates[window.last_target_row()]
                })
                .to_string(),
        }
    }
}

/// How training went.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingSummary {
    /// Epochs run.
    pub epochs: usize,
    /// Wall time of training, seconds.
    pub wall_seconds: f64,
    /// Mean training loss of the last epoch (scaled: `[train] loss`, MSE by default).
    pub final_train_loss: Option<f64>,
    /// Mean validation loss of the last epoch (scaled: `[train] loss`, MSE by default).
    pub final_valid_loss: Option<f64>,
    /// The epoch whose weights were kept and evaluated.
    pub kept_epoch: Option<usize>,
    /// Its validation loss, when there is a validation split.
    pub kept_valid_loss: Option<f64>,
    /// Why training stopped, and which weights were kept, in words.
    pub stop_reason: String,
}

impl TrainingSummary {
    /// From the loss history, the epoch kept, the reason training stopped and the wall time.
    pub fn new(
        history: &[EpochLoss],
        kept_epoch: Option<usize>,
        stop_reason: String,
        wall_seconds: f64,
    ) -> Self {
        let last = history.last();
        Self {
            epochs: history.len(),
            wall_seconds,
            final_train_loss: last.map(|e| e.train),
            final_valid_loss: last.and_then(|e| e.valid),
            kept_epoch,
            kept_valid_loss: kept_epoch
                .and_then(|epoch| history.iter().find(|e| e.epoch == epoch))
                .and_then(|e| e.valid),
            stop_reason,
        }
    }
}
