//! What a run tells its user: the terminal table and the files `metrics.json`,
//! `predictions.csv` and `loss.csv`.

use std::fmt::Write as _;

use serde::Serialize;
use yoho_data::PreparedData;

use crate::artifacts::{RunDir, files};
use crate::plots;
use crate::training::EpochLoss;
use yoho_eval::{
    DieboldMariano, EvaluationTable, ForecastMetrics, MODEL, StepErrors, TestForecast,
};
use yoho_eval::{Generation, GenerationSummary};

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

/// One measure's column in the metrics table.
struct MetricColumn {
    header: &'static str,
    /// Terminal width.
    width: usize,
    /// The cell of one forecaster.
    cell: fn(&ForecastMetrics) -> String,
}

/// A Diebold–Mariano outcome's field, or a dash where there is no test.
fn dm_cell(dm: Option<DieboldMariano>, field: fn(&DieboldMariano) -> String) -> String {
    dm.as_ref().map_or("—".to_string(), field)
}

/// The metrics table's columns after the forecaster's name: adding a measure is a line here.
const METRIC_COLUMNS: [MetricColumn; 10] = [
    MetricColumn {
        header: "RMSE",
        width: 11,
        cell: |m| format!("{:.3}", m.rmse),
    },
    MetricColumn {
        header: "MAE",
        width: 11,
        cell: |m| format!("{:.3}", m.mae),
    },
    MetricColumn {
        header: "MAPE %",
        width: 7,
        cell: |m| format!("{:.3}", m.mape_percent),
    },
    MetricColumn {
        header: "R²",
        width: 8,
        cell: |m| format!("{:.4}", m.r_squared),
    },
    MetricColumn {
        header: "dir %",
        width: 7,
        cell: |m| format!("{:.1}", 100.0 * m.direction_accuracy),
    },
    MetricColumn {
        header: "MASE",
        width: 7,
        cell: |m| format!("{:.3}", m.mase),
    },
    MetricColumn {
        header: "skill",
        width: 8,
        cell: |m| format!("{:.4}", m.skill_vs_naive),
    },
    MetricColumn {
        header: "DM",
        width: 8,
        cell: |m| dm_cell(m.dm_vs_naive, |dm| format!("{:.3}", dm.statistic)),
    },
    MetricColumn {
        header: "DM p",
        width: 7,
        cell: |m| dm_cell(m.dm_vs_naive, |dm| format!("{:.4}", dm.p_value)),
    },
    MetricColumn {
        header: "best p",
        width: 7,
        cell: |m| dm_cell(m.dm_vs_best_baseline, |dm| format!("{:.4}", dm.p_value)),
    },
];

/// Width of the forecaster names' column.
const NAME_WIDTH: usize = 14;

fn metric_headers() -> Vec<&'static str> {
    std::iter::once("forecast")
        .chain(METRIC_COLUMNS.iter().map(|c| c.header))
        .collect()
}

fn metric_widths() -> Vec<usize> {
    std::iter::once(NAME_WIDTH)
        .chain(METRIC_COLUMNS.iter().map(|c| c.width))
        .collect()
}

/// One forecaster's row of the metrics table, formatted.
fn row_cells(name: &str, m: &ForecastMetrics) -> Vec<String> {
    std::iter::once(name.to_string())
        .chain(METRIC_COLUMNS.iter().map(|c| (c.cell)(m)))
        .collect()
}

/// The model's Diebold–Mariano verdicts against naive and against the best baseline, in words,
/// one line each, if the report has a model row.
pub(crate) fn verdict(table: &EvaluationTable) -> Option<String> {
    let model = table.get(MODEL)?;
    if table.best_baseline == "naive" {
        return Some(verdict_line(
            "naive (also the best baseline)",
            model.dm_vs_naive,
        ));
    }
    let naive = verdict_line("naive", model.dm_vs_naive);
    let best = verdict_line(
        &format!("the best baseline, {}", table.best_baseline),
        model.dm_vs_best_baseline,
    );
    Some(format!("{naive}\n{best}"))
}

/// "model better than `reference` at 5 %: …" for one Diebold–Mariano outcome.
fn verdict_line(reference: &str, dm: Option<DieboldMariano>) -> String {
    let answer = match dm {
        None => "no: identical forecasts, no test".to_string(),
        Some(dm) if dm.statistic < 0.0 && dm.p_value < 0.05 => {
            format!("yes, p = {:.4}", dm.p_value)
        }
        Some(dm) if dm.p_value < 0.05 => format!("no: significantly worse, p = {:.4}", dm.p_value),
        Some(dm) => format!("no: no significant difference, p = {:.4}", dm.p_value),
    };
    format!(
        "model better than {reference} at 5 %: {answer} (Diebold–Mariano, squared error, \
         HLN-corrected)"
    )
}

/// The terminal table: a row per forecaster, a column per measure, and the verdict in words.
pub fn table(report: &MetricsReport) -> String {
    let data = &report.data;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Test: {} targets of {}, {} to {}, {} one step ahead, in original units",
        data.test_windows, data.source, data.test_first_date, data.test_last_date, data.target
    );
    text += &metrics_text_table(&report.test);
    if let Some(verdict) = verdict(&report.test) {
        let _ = writeln!(text, "{verdict}");
    }
    if let Some(by_step) = &report.by_step {
        let _ = writeln!(
            text,
            "\nBy days ahead ({} test windows, naive = last observed value):",
            data.test_windows
        );
        text += &text_table(
            &STEP_HEADERS,
            &step_rows(by_step),
            &STEP_WIDTHS,
            Align::Right,
        );
    }
    if let Some(generation) = &report.closed_loop {
        let _ = writeln!(text, "\n{}", closed_loop_line(generation));
    }
    text
}

/// How a table's first column is aligned; the others are numbers, aligned right.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// A terminal table with a header row; `widths` has one entry per column.
pub(crate) fn text_table(
    headers: &[&str],
    rows: &[Vec<String>],
    widths: &[usize],
    first: Align,
) -> String {
    let line = |cells: &[String]| {
        let width = widths[0];
        let mut line = match first {
            Align::Left => format!("{:<width$}", cells[0]),
            Align::Right => format!("{:>width$}", cells[0]),
        };
        for (cell, width) in cells[1..].iter().zip(&widths[1..]) {
            let _ = write!(line, " {cell:>width$}");
        }
        line
    };
    let mut text = String::new();
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let _ = writeln!(text, "{}", line(&header));
    for row in rows {
        let _ = writeln!(text, "{}", line(row));
    }
    text
}

/// A Markdown table with a header row, numbers aligned right.
pub(crate) fn markdown_rows(headers: &[&str], rows: &[Vec<String>], first: Align) -> String {
    let mut text = format!("| {} |\n|", headers.join(" | "));
    text += match first {
        Align::Left => "---|",
        Align::Right => "---:|",
    };
    text += &"---:|".repeat(headers.len() - 1);
    text += "\n";
    for row in rows {
        let _ = writeln!(text, "| {} |", row.join(" | "));
    }
    text
}

/// The metrics table's rows: one per forecaster.
fn metric_rows(table: &EvaluationTable) -> Vec<Vec<String>> {
    table
        .rows
        .iter()
        .map(|(name, m)| row_cells(name, m))
        .collect()
}

/// Column headers of the table by step ahead.
const STEP_HEADERS: [&str; 6] = [
    "h",
    "model RMSE",
    "naive RMSE",
    "model MAE",
    "naive MAE",
    "skill",
];
/// Terminal widths of its columns.
const STEP_WIDTHS: [usize; 6] = [3, 11, 11, 11, 11, 11];

/// The rows of the table by step ahead; skill is `1 − MSE / MSE(naive)`.
fn step_rows(by_step: &[StepErrors]) -> Vec<Vec<String>> {
    by_step
        .iter()
        .map(|e| {
            let skill = 1.0 - (e.model_rmse / e.naive_rmse).powi(2);
            vec![
                e.steps_ahead.to_string(),
                format!("{:.3}", e.model_rmse),
                format!("{:.3}", e.naive_rmse),
                format!("{:.3}", e.model_mae),
                format!("{:.3}", e.naive_mae),
                format!("{skill:.4}"),
            ]
        })
        .collect()
}

/// One line on the closed-loop generation.
fn closed_loop_line(generation: &GenerationSummary) -> String {
    let mut line = format!(
        "Closed-loop generation, {} values from the first window alone: RMSE {:.4}, MAE {:.4}, \
         largest error {:.4} against the series",
        generation.steps, generation.rmse, generation.mae, generation.max_abs_error
    );
    if let Some(clean) = generation.rmse_vs_clean {
        let _ = write!(line, "; RMSE {clean:.4} against the noise-free curve");
    }
    line
}

/// `by_step.csv`: one row per test window and step ahead.
pub fn by_step_csv(forecast: &TestForecast) -> String {
    let mut text = String::from("window,first_target_date,steps_ahead,actual,model,naive\n");
    for (window, (actual, model)) in forecast
        .actual_steps
        .iter()
        .zip(&forecast.model_steps)
        .enumerate()
    {
        for (step, (a, m)) in actual.iter().zip(model).enumerate() {
            let _ = writeln!(
                text,
                "{window},{},{},{a},{m},{}",
                forecast.dates[window],
                step + 1,
                forecast.previous[window]
            );
        }
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
pub fn markdown_table(table: &EvaluationTable) -> String {
    markdown_rows(&metric_headers(), &metric_rows(table), Align::Left)
}

/// The metrics table for the terminal.
pub fn metrics_text_table(table: &EvaluationTable) -> String {
    text_table(
        &metric_headers(),
        &metric_rows(table),
        &metric_widths(),
        Align::Left,
    )
}

/// `report.md`: the config, the data and split, the table and the charts, readable on GitHub.
pub fn markdown_report(report: &MetricsReport, config_toml: &str) -> String {
    let data = &report.data;
    let training = &report.training;
    let mut text = format!("# Yoho run `{}`\n\n", report.run);
    let _ = writeln!(
        text,
        "Trained {} epochs in {:.1} s on {}; {}.\n",
        training.epochs, training.wall_seconds, report.device, training.stop_reason
    );
    let _ = writeln!(text, "## Data\n");
    let _ = writeln!(
        text,
        "- source: `{}`, {} rows, {} to {}",
        data.source, data.rows, data.first_date, data.last_date
    );
    let _ = writeln!(
        text,
        "- inputs: {}; target: {} one step ahead",
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
    text += &markdown_table(&report.test);
    if let Some(verdict) = verdict(&report.test) {
        for line in verdict.lines() {
            let _ = writeln!(text, "\n{}.", capitalise(line));
        }
        text += "\n";
    }
    text += "MASE divides by the in-sample MAE of the naive forecast on the training targets; \
             skill is 1 − MSE / MSE(naive); direction is the share of days whose move from the \
             last observed value was called right; DM is the Diebold–Mariano statistic against \
             naive (negative: lower loss), best p its p-value against the best baseline.\n\n";
    if let Some(by_step) = &report.by_step {
        let _ = writeln!(
            text,
            "## By days ahead\n\nRMSE and MAE at each step ahead over the {} test windows; the \
             naive forecast repeats the last observed value; skill is 1 − MSE / MSE(naive).\n",
            data.test_windows
        );
        text += &markdown_rows(&STEP_HEADERS, &step_rows(by_step), Align::Right);
        let _ = writeln!(
            text,
            "\n![Error by days ahead]({})\n\n![Multi-day forecasts]({})\n",
            files::STEP_ERROR_PLOT,
            files::MULTI_STEP_PLOT
        );
    }
    if let Some(generation) = &report.closed_loop {
        let _ = writeln!(
            text,
            "## Closed-loop generation\n\n{}.\n\n![Generated series]({})\n",
            closed_loop_line(generation),
            files::GENERATED_PLOT
        );
    }
    let _ = writeln!(text, "## Charts\n");
    let _ = writeln!(text, "![Test period]({})\n", files::TEST_PERIOD_PLOT);
    if report.training.epochs > 0 {
        let _ = writeln!(text, "![Loss per epoch]({})\n", files::LOSS_PLOT);
    }
    let _ = writeln!(text, "![Predicted vs actual]({})\n", files::SCATTER_PLOT);
    let _ = writeln!(text, "## Config\n\n```toml\n{config_toml}```");
    text
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Writes the report files into `run`: predictions, loss, charts, the page and the metrics.
pub fn write_reports(
    run: &RunDir,
    report: &MetricsReport,
    forecast: &TestForecast,
    history: &[EpochLoss],
    generation: Option<&Generation>,
    config_toml: &str,
) -> anyhow::Result<()> {
    let target = &report.data.target;
    run.write(files::PREDICTIONS, predictions_csv(forecast).as_bytes())?;
    if let Some(by_step) = &report.by_step {
        run.write(files::BY_STEP, by_step_csv(forecast).as_bytes())?;
        plots::error_by_step(&run.file(files::STEP_ERROR_PLOT), by_step, target, UNIT)?;
        plots::multi_step_forecasts(&run.file(files::MULTI_STEP_PLOT), forecast, target, UNIT)?;
    }
    if let Some(generation) = generation {
        run.write(files::GENERATED, generation.csv().as_bytes())?;
        plots::closed_loop(&run.file(files::GENERATED_PLOT), generation, target)?;
    }
    run.write(files::LOSS, loss_csv(history).as_bytes())?;
    plots::test_period(&run.file(files::TEST_PERIOD_PLOT), forecast, target, UNIT)?;
    if !history.is_empty() {
        plots::loss_curve(&run.file(files::LOSS_PLOT), history)?;
    }
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
