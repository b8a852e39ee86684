//! What a run tells its user: the terminal table and the files `metrics.json` ([`summary`]),
//! `predictions.csv`, `by_step.csv` and `loss.csv` ([`csv`]), `report.md` ([`markdown`]) and
//! the charts; the tables themselves are in [`table`].

mod csv;
mod markdown;
mod relative;
mod summary;
mod table;

use std::fmt::Write as _;

use yoho_eval::{EnsembleSpread, Generation, MODEL, TestForecast};

use crate::artifacts::{RunDir, files};
use crate::plots;
use crate::training::{EpochLoss, write_loss_csv};

pub use csv::{by_step_csv, csv_cell, predictions_csv};
pub(crate) use csv::{
    push_forecast_cells, push_interval_cells, push_interval_headers, push_step_interval_cells,
};
pub use markdown::markdown_report;
pub(crate) use relative::{
    relative_markdown, relative_markdown_over, relative_text_table, relative_text_table_over,
};
pub use summary::{DataSummary, MetricsReport, TrainingSummary, steps_ahead};
pub(crate) use table::{
    Align, coverage_lines, folds_words, markdown_rows, pooled_interval_table, step_coverage_line,
    text_table, verdict,
};
use table::{
    STEP_HEADERS, STEP_WIDTHS, closed_loop_line, every_step_note, interval_caption, step_rows,
    test_interval_table, test_windows,
};
pub use table::{markdown_table, metrics_text_table};

/// The unit the charts and the report give values in.
const UNIT: &str = "original units";

/// The terminal table: a row per forecaster, a column per measure, and the verdict in words.
pub fn table(report: &MetricsReport) -> String {
    let data = &report.data;
    let mut text = String::new();
    let _ = match report.by_step.as_ref().map_or(1, Vec::len) {
        1 => writeln!(
            text,
            "Test: {} targets of {}, {} to {}, {} one step ahead, in original units",
            data.test_windows, data.source, data.test_first_date, data.test_last_date, data.target
        ),
        horizon => writeln!(
            text,
            "Test: {} of {}, {horizon} steps each, targets {} to {}; {} over every step of \
             every origin, in original units",
            match data.test_windows {
                1 => "1 forecast origin".to_string(),
                origins => format!("{origins} forecast origins"),
            },
            data.source,
            data.test_first_date,
            data.test_last_date,
            data.target
        ),
    };
    text += &metrics_text_table(&report.test);
    if let Some(verdict) = verdict(&report.test) {
        let _ = writeln!(text, "{verdict}");
    }
    if let Some(intervals) = &report.intervals {
        let _ = writeln!(text, "\n{}", interval_caption(intervals));
        let (headers, rows, widths) = test_interval_table(intervals);
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        text += &text_table(&headers, &rows, &widths, Align::Left);
        if let Some(note) = every_step_note(intervals) {
            let _ = writeln!(text, "({note})");
        }
        if let Some(crps) = intervals.model_crps_gaussian {
            let _ = writeln!(text, "model CRPS of its Gaussian in closed form: {crps:.3}");
        }
    }
    if let Some(by_step) = &report.by_step {
        let _ = writeln!(
            text,
            "\nBy steps ahead ({}, naive = last observed value):",
            test_windows(data.test_windows)
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
    if let Some(spread) = &report.ensemble {
        let model = report.test.get(MODEL).map(|model| model.rmse);
        let _ = writeln!(text, "\n{}", ensemble_line(spread, model));
    }
    text
}

/// The ensemble's spread in words: its members' errors (each family's, where the members are
/// families of networks) against the median's, and how far their forecasts range; with the
/// model's RMSE (`model_rmse`) where the model's forecast is not that median (blended with
/// statistical members).
pub fn ensemble_line(spread: &EnsembleSpread, model_rmse: Option<f64>) -> String {
    let (low, high) = spread.member_rmse_range();
    let (ensemble, members) = match spread.networks > spread.members {
        true => (
            format!(
                "{} families of networks ({} networks)",
                spread.members, spread.networks
            ),
            "families'",
        ),
        false => (spread.members.to_string(), "members'"),
    };
    let blended = match model_rmse {
        Some(model) if (model - spread.ensemble_rmse).abs() > 1e-9 * model.abs().max(1.0) => {
            format!(
                " (the networks' forecast; the model's, blended with the statistical members, {model:.3})"
            )
        }
        _ => String::new(),
    };
    format!(
        "Ensemble of {ensemble}: the {members} RMSE ranges from {low:.3} to {high:.3}, their \
         median's is {:.3}{blended}; the {members} forecasts of a value range over {:.3} on \
         average",
        spread.ensemble_rmse, spread.mean_range
    )
}

/// The run's last line: epochs, time, device, why training stopped, where the run went.
pub fn print_trained(training: &TrainingSummary, device: &str, run: &RunDir) {
    println!(
        "trained {} epochs in {:.1} s on {device} ({}); run written to {}",
        training.epochs,
        training.wall_seconds,
        training.stop_reason,
        run.path().display()
    );
}

/// Writes the report files into `run`: predictions, loss (when `history` has epochs), charts,
/// the page and the metrics.
pub fn write_reports(
    run: &RunDir,
    report: &MetricsReport,
    forecast: &TestForecast,
    history: &[EpochLoss],
    generation: Option<&Generation>,
    config_toml: &str,
) -> anyhow::Result<()> {
    let target = &plots::series_label(&report.data.target, report.data.series.as_deref());
    let bands = report
        .intervals
        .as_ref()
        .map_or(&[][..], |intervals| &intervals.model.intervals[..]);
    run.write(
        files::PREDICTIONS,
        predictions_csv(forecast, bands).as_bytes(),
    )?;
    if let Some(by_step) = &report.by_step {
        run.write(
            files::BY_STEP,
            by_step_csv(forecast, report.intervals.as_ref()).as_bytes(),
        )?;
        plots::error_by_step(&run.file(files::STEP_ERROR_PLOT), by_step, target, UNIT)?;
        plots::multi_step_forecasts(&run.file(files::MULTI_STEP_PLOT), forecast, target, UNIT)?;
    }
    if let Some(generation) = generation {
        run.write(files::GENERATED, generation.csv().as_bytes())?;
        plots::closed_loop(&run.file(files::GENERATED_PLOT), generation, target)?;
    }
    if !history.is_empty() {
        write_loss_csv(run.path(), history)?;
    }
    let bands: Vec<plots::Band> = bands.iter().map(plots::Band::whole).collect();
    plots::test_period(
        &run.file(files::TEST_PERIOD_PLOT),
        forecast,
        &bands,
        target,
        UNIT,
    )?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(members: usize, networks: usize) -> EnsembleSpread {
        EnsembleSpread {
            members,
            networks,
            member_rmse: vec![1.0, 3.0],
            ensemble_rmse: 2.0,
            mean_range: 0.5,
        }
    }

    #[test]
    fn the_ensemble_line_names_families_and_the_blended_models_error() {
        // plain members, the model's forecast their median
        let line = ensemble_line(&spread(2, 2), Some(2.0));
        assert_eq!(
            line,
            "Ensemble of 2: the members' RMSE ranges from 1.000 to 3.000, their median's is \
             2.000; the members' forecasts of a value range over 0.500 on average"
        );
        // families of networks, blended with statistical members into a better forecast
        let line = ensemble_line(&spread(2, 6), Some(1.5));
        assert!(
            line.starts_with("Ensemble of 2 families of networks (6 networks): the families' RMSE"),
            "{line}"
        );
        assert!(line.contains("their median's is 2.000 (the networks' forecast; the model's, blended with the statistical members, 1.500)"), "{line}");
    }
}
