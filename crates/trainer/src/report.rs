//! What a run tells its user: the terminal table and the files `metrics.json`,
//! `predictions.csv` and `loss.csv`.

use std::fmt::Write as _;

use serde::Serialize;
use yoho_data::PreparedData;

use crate::artifacts::{RunDir, files};
use crate::evaluate::{EvaluationTable, MODEL, TestForecast};
use crate::plots;
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

/// The unit the charts and the report give values in.
const UNIT: &str = "original units";

/// The metrics table in Markdown.
pub fn markdown_table(report: &MetricsReport) -> String {
    let mut text = String::from(
        "| forecaster | RMSE | MAE | MAPE % | R² | direction % | MASE | skill vs naive | DM vs naive | DM p |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (name, m) in &report.test.rows {
        let (dm, p) = match m.dm_vs_naive {
            Some(dm) => (format!("{:.3}", dm.statistic), format!("{:.4}", dm.p_value)),
            None => ("—".to_string(), "—".to_string()),
        };
        let _ = writeln!(
            text,
            "| {name} | {:.3} | {:.3} | {:.3} | {:.4} | {:.1} | {:.3} | {:.4} | {dm} | {p} |",
            m.rmse,
            m.mae,
            m.mape_percent,
            m.r_squared,
            100.0 * m.direction_accuracy,
            m.mase,
            m.skill_vs_naive
        );
    }
    text
}

/// `report.md`: the config, the data and split, the table and the charts, readable on GitHub.
pub fn markdown_report(report: &MetricsReport, config_toml: &str) -> String {
    let data = &report.data;
    let training = &report.training;
    let mut text = format!("# Yoho run `{}`\n\n", report.run);
    let _ = writeln!(
        text,
        "Trained {} epochs in {:.1} s on {}.\n",
        training.epochs, training.wall_seconds, report.device
    );
    let _ = writeln!(text, "## Data\n");
    let _ = writeln!(
        text,
        "- source: `{}`, {} rows, {} to {}",
        data.source, data.rows, data.first_date, data.last_date
    );
    let _ = writeln!(
        text,
        "- inputs: {}; target: next-day {}",
        data.features.join(", "),
        data.target
    );
    if data.dropped_rows > 0 {
        let _ = writeln!(text, "- rows dropped while cleaning: {}", data.dropped_rows);
    }
    let _ = writeln!(
        text,
        "- windows: {} training, {} validation, {} test (targets {} to {})\n",
        data.train_windows,
        data.valid_windows,
        data.test_windows,
        data.test_first_date,
        data.test_last_date
    );
    let _ = writeln!(text, "## Test days, in {UNIT}\n");
    text += &markdown_table(report);
    if let Some(model) = report.test.get(MODEL) {
        let verdict = if model.significantly_better_than_naive() {
            "yes"
        } else {
            "no"
        };
        let p = model
            .dm_vs_naive
            .map(|dm| format!("p = {:.4}", dm.p_value))
            .unwrap_or_else(|| "no test".to_string());
        let _ = writeln!(
            text,
            "\nModel better than naive at 5 %: **{verdict}** ({p}; Diebold–Mariano, squared error, HLN correction).\n"
        );
    }
    text += "MASE divides by the in-sample MAE of the naive forecast on the training targets; \
             skill is 1 − MSE / MSE(naive); direction is the share of days whose move from the \
             last observed value was called right.\n\n";
    let _ = writeln!(text, "## Charts\n");
    let _ = writeln!(text, "![Test period]({})\n", files::TEST_PERIOD_PLOT);
    let _ = writeln!(text, "![Loss per epoch]({})\n", files::LOSS_PLOT);
    let _ = writeln!(text, "![Predicted vs actual]({})\n", files::SCATTER_PLOT);
    let _ = writeln!(text, "## Config\n\n```toml\n{config_toml}```");
    text
}

/// Writes the report files into `run`: predictions, loss, charts, the page and the metrics.
pub fn write_reports(
    run: &RunDir,
    report: &MetricsReport,
    forecast: &TestForecast,
    history: &[EpochLoss],
    config_toml: &str,
) -> anyhow::Result<()> {
    let target = &report.data.target;
    run.write(files::PREDICTIONS, predictions_csv(forecast).as_bytes())?;
    run.write(files::LOSS, loss_csv(history).as_bytes())?;
    plots::test_period(&run.file(files::TEST_PERIOD_PLOT), forecast, target, UNIT)?;
    plots::loss_curve(&run.file(files::LOSS_PLOT), history)?;
    plots::predicted_vs_actual(&run.file(files::SCATTER_PLOT), forecast, target, UNIT)?;
    run.write(
        files::REPORT,
        markdown_report(report, config_toml).as_bytes(),
    )?;
    run.write(
        files::METRICS,
        serde_json::to_string_pretty(report)?.as_bytes(),
    )
}
