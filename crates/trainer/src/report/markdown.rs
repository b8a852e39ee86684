//! `report.md`: the config, the data and split, the tables and the charts in one page.

use std::fmt::Write as _;

use yoho_eval::MODEL;

use crate::artifacts::files;

use super::UNIT;
use super::summary::MetricsReport;
use super::table::{
    Align, STEP_HEADERS, closed_loop_line, every_step_note, interval_caption, markdown_rows,
    markdown_table, step_rows, test_interval_table, test_windows, verdict,
};

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
        "- inputs: {}; target: {} {}",
        data.features.join(", "),
        data.target,
        super::steps_ahead(data.horizon)
    );
    if data.dropped_rows > 0 {
        let _ = writeln!(text, "- rows dropped while cleaning: {}", data.dropped_rows);
    }
    if data.filled_rows > 0 {
        let _ = writeln!(text, "- rows with values filled in: {}", data.filled_rows);
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
    let _ = writeln!(text, "## Test period, in {UNIT}\n");
    text += &markdown_table(&report.test);
    if let Some(verdict) = verdict(&report.test) {
        for line in verdict.lines() {
            let _ = writeln!(text, "\n{}.", capitalise(line));
        }
        text += "\n";
    }
    text += "MASE divides by the in-sample MAE of the naive forecast on the training targets; \
             skill is 1 − MSE / MSE(naive); direction is the share of forecasts whose move from the \
             last observed value was called right; DM is the Diebold–Mariano statistic against \
             naive (negative: lower loss), best p its p-value against the best baseline.\n\n";
    if let Some(intervals) = &report.intervals {
        let _ = writeln!(
            text,
            "## Prediction intervals\n\n{} coverage is the share of test values inside the \
             interval (in %), width its mean width in {UNIT}; the CRPS is estimated from the \
             median and the interval ends (lower is better).\n",
            interval_caption(intervals)
        );
        let (headers, rows, _) = test_interval_table(intervals);
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        text += &markdown_rows(&headers, &rows, Align::Left);
        if let Some(note) = every_step_note(intervals) {
            let _ = writeln!(text, "\n{}.", capitalise(&note));
        }
        if let Some(crps) = intervals.model_crps_gaussian {
            let _ = writeln!(
                text,
                "\nThe model's CRPS from its Gaussian in closed form: {crps:.3}."
            );
        }
        text += "\n";
    }
    if let Some(by_step) = &report.by_step {
        let _ = writeln!(
            text,
            "## By steps ahead\n\nRMSE and MAE at each step ahead over {}; the naive forecast \
             repeats the last observed value; skill is 1 − MSE / MSE(naive).\n",
            test_windows(data.test_windows)
        );
        text += &markdown_rows(&STEP_HEADERS, &step_rows(by_step), Align::Right);
        let _ = writeln!(
            text,
            "\n![Error by steps ahead]({})\n\n![Multi-step forecasts]({})\n",
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
    if let Some(spread) = &report.ensemble {
        let line = super::ensemble_line(spread, report.test.get(MODEL).map(|model| model.rmse));
        let _ = writeln!(text, "## Ensemble\n\n{line}.\n");
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
