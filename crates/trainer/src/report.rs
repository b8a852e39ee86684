//! What a run tells its user: the terminal table and the files `metrics.json`,
//! `predictions.csv` and `loss.csv`.

use std::fmt::Write as _;

use serde::Serialize;
use yoho_data::PreparedData;

use crate::artifacts::{RunDir, files};
use crate::evaluate::{EvaluationTable, MODEL, TestForecast};
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
}

/// Where the numbers come from.
#[derive(Debug, Clone, Serialize)]
pub struct DataSummary {
    /// The file or generator.
    pub source: String,
    /// Input columns.
    pub features: Vec<String>,
    /// Forecast column.
    pub target: String,
    /// Rows after cleaning.
    pub rows: usize,
    /// Rows dropped while cleaning.
    pub dropped_rows: usize,
    /// First and last date of the series.
    pub first_date: String,
    /// Last date of the series.
    pub last_date: String,
    /// Training windows.
    pub train_windows: usize,
    /// Validation windows.
    pub valid_windows: usize,
    /// Test windows (= test days).
    pub test_windows: usize,
    /// First test target date.
    pub test_first_date: String,
    /// Last test target date.
    pub test_last_date: String,
}

impl DataSummary {
    /// Summarises `data` and the test forecast's dates.
    pub fn new(data: &PreparedData, forecast: &TestForecast) -> Self {
        let dates = &data.series.dates;
        Self {
            source: data.series.source_name.clone(),
            features: data.features.clone(),
            target: data.target.clone(),
            rows: data.series.len(),
            dropped_rows: data.dropped_rows,
            first_date: dates[0].to_string(),
            last_date: dates[dates.len() - 1].to_string(),
            train_windows: data.splits.train.len(),
            valid_windows: data.splits.valid.len(),
            test_windows: data.splits.test.len(),
            test_first_date: forecast.dates[0].to_string(),
            test_last_date: forecast.dates[forecast.dates.len() - 1].to_string(),
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
    /// Mean training loss of the last epoch (scaled MSE).
    pub final_train_loss: Option<f64>,
    /// Mean validation loss of the last epoch (scaled MSE).
    pub final_valid_loss: Option<f64>,
}

impl TrainingSummary {
    /// From the loss history and wall time.
    pub fn new(history: &[EpochLoss], wall_seconds: f64) -> Self {
        let last = history.last();
        Self {
            epochs: history.len(),
            wall_seconds,
            final_train_loss: last.map(|e| e.train),
            final_valid_loss: last.and_then(|e| e.valid),
        }
    }
}

/// The terminal table: a row per forecaster, a column per measure, and the verdict in words.
pub fn table(report: &MetricsReport) -> String {
    let data = &report.data;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Test: {} days of {}, {} to {}, next-day {} in original units",
        data.test_windows, data.source, data.test_first_date, data.test_last_date, data.target
    );
    let _ = writeln!(
        text,
        "{:<12} {:>11} {:>11} {:>7} {:>8} {:>7} {:>7} {:>8} {:>8} {:>7}",
        "forecast", "RMSE", "MAE", "MAPE %", "R²", "dir %", "MASE", "skill", "DM", "DM p"
    );
    for (name, m) in &report.test.rows {
        let (dm, p) = match m.dm_vs_naive {
            Some(dm) => (format!("{:.3}", dm.statistic), format!("{:.4}", dm.p_value)),
            None => ("—".to_string(), "—".to_string()),
        };
        let _ = writeln!(
            text,
            "{:<12} {:>11.3} {:>11.3} {:>7.3} {:>8.4} {:>7.1} {:>7.3} {:>8.4} {:>8} {:>7}",
            name,
            m.rmse,
            m.mae,
            m.mape_percent,
            m.r_squared,
            100.0 * m.direction_accuracy,
            m.mase,
            m.skill_vs_naive,
            dm,
            p
        );
    }
    if let Some(model) = report.test.get(MODEL) {
        let p = model
            .dm_vs_naive
            .map(|dm| format!("p = {:.4}", dm.p_value))
            .unwrap_or_else(|| "no test: identical to naive".to_string());
        let _ = writeln!(
            text,
            "model better than naive at 5 %: {}, {p} (Diebold–Mariano, squared error, HLN-corrected)",
            if model.significantly_better_than_naive() {
                "yes"
            } else {
                "no"
            }
        );
    }
    text
}

/// `predictions.csv`: one row per test day, a column per forecaster.
pub fn predictions_csv(forecast: &TestForecast) -> String {
    let mut text = String::from("date,actual,predicted");
    for baseline in &forecast.forecasts[1..] {
        text += ",";
        text += baseline.name;
    }
    text += "\n";
    for i in 0..forecast.dates.len() {
        let _ = write!(text, "{},{}", forecast.dates[i], forecast.actual[i]);
        for named in &forecast.forecasts {
            let _ = write!(text, ",{}", named.values[i]);
        }
        text += "\n";
    }
    text
}

/// `loss.csv`: one row per epoch.
pub fn loss_csv(history: &[EpochLoss]) -> String {
    let mut text = String::from("epoch,train_loss,valid_loss\n");
    for epoch in history {
        let valid = epoch.valid.map(|v| v.to_string()).unwrap_or_default();
        let _ = writeln!(text, "{},{},{}", epoch.epoch, epoch.train, valid);
    }
    text
}

/// Writes the report files into `run`.
pub fn write_reports(
    run: &RunDir,
    report: &MetricsReport,
    forecast: &TestForecast,
    history: &[EpochLoss],
) -> anyhow::Result<()> {
    run.write(files::PREDICTIONS, predictions_csv(forecast).as_bytes())?;
    run.write(files::LOSS, loss_csv(history).as_bytes())?;
    run.write(
        files::METRICS,
        serde_json::to_string_pretty(report)?.as_bytes(),
    )
}
