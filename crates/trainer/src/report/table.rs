//! Tables for the terminal and for Markdown: the metrics table (one row per forecaster, one
//! column per measure), the verdicts in words, the table by step ahead.

use std::fmt::Write as _;

use yoho_eval::intervals::{
    Calibration, Conformal, IntervalMetrics, PooledIntervals, StepCoverage,
};
use yoho_eval::{
    DieboldMariano, EvaluationTable, ForecastMetrics, GenerationSummary, MODEL, NAIVE, StepErrors,
    TestIntervals, Verdict,
};

/// One measure's column in the metrics table.
struct MetricColumn {
    header: &'static str,
    /// Terminal width.
    width: usize,
    /// The cell of one forecaster.
    cell: fn(&ForecastMetrics) -> String,
}

/// `value` with `decimals` decimals (in scientific notation from a billion on, so that a column
/// stays readable), or "n/a" for a measure that is undefined (NaN; the table's notes say why).
fn number(value: f64, decimals: usize) -> String {
    match value {
        v if v.is_nan() => "n/a".to_string(),
        v if v.is_finite() && v.abs() >= 1e9 => format!("{v:.3e}"),
        v => format!("{v:.decimals$}"),
    }
}

/// One line per measure that is undefined for some forecasters: which, and why; empty when
/// every measure has a value.
pub(crate) fn undefined_notes(table: &EvaluationTable) -> String {
    let mut notes: Vec<(&str, String, Vec<&str>)> = Vec::new();
    for (name, metrics) in &table.rows {
        for (measure, why) in &metrics.undefined {
            let why = why.to_string();
            match notes.iter_mut().find(|(m, w, _)| m == measure && *w == why) {
                Some((_, _, names)) => names.push(name),
                None => notes.push((measure, why, vec![name])),
            }
        }
    }
    notes
        .iter()
        .map(|(measure, why, names)| {
            format!(
                "n/a: {measure} of {} is undefined: {why}\n",
                names.join(", ")
            )
        })
        .collect()
}

/// A Diebold–Mariano outcome's field, or a dash where there is no test.
fn dm_cell(dm: Option<DieboldMariano>, field: fn(&DieboldMariano) -> String) -> String {
    dm.as_ref().map_or("—".to_string(), field)
}

/// The metrics table's columns after the forecaster's name: adding a measure is a line here.
const METRIC_COLUMNS: [MetricColumn; 11] = [
    MetricColumn {
        header: "RMSE",
        width: 11,
        cell: |m| number(m.rmse, 3),
    },
    MetricColumn {
        header: "MAE",
        width: 11,
        cell: |m| number(m.mae, 3),
    },
    MetricColumn {
        header: "MAPE %",
        width: 7,
        cell: |m| number(m.mape_percent, 3),
    },
    MetricColumn {
        header: "sMAPE %",
        width: 8,
        cell: |m| number(m.smape_percent, 3),
    },
    MetricColumn {
        header: "R²",
        width: 8,
        cell: |m| number(m.r_squared, 4),
    },
    MetricColumn {
        header: "dir %",
        width: 7,
        cell: |m| format!("{:.1}", 100.0 * m.direction_accuracy),
    },
    MetricColumn {
        header: "MASE",
        width: 7,
        cell: |m| number(m.mase, 3),
    },
    MetricColumn {
        header: "skill",
        width: 8,
        cell: |m| number(m.skill_vs_naive, 4),
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
    let origins = table.origins;
    if table.best_baseline == NAIVE {
        return Some(verdict_line(
            "naive (also the best baseline)",
            model.dm_vs_naive,
            origins,
        ));
    }
    let naive = verdict_line(NAIVE, model.dm_vs_naive, origins);
    let best = verdict_line(
        &format!("the best baseline, {}", table.best_baseline),
        model.dm_vs_best_baseline,
        origins,
    );
    Some(format!("{naive}\n{best}"))
}

/// "model better than `reference` at 5 %: …" for one Diebold–Mariano outcome over `origins`
/// forecast origins.
fn verdict_line(reference: &str, dm: Option<DieboldMariano>, origins: usize) -> String {
    let answer = match dm {
        // the recipe's one origin of `horizon` steps, as the M4 competition tests
        None if origins < 2 => {
            "untested: the test period is one forecast origin (`trainer backtest` tests over \
             many)"
                .to_string()
        }
        None => "untested: the losses never differ".to_string(),
        Some(dm) => {
            let verdict = match dm.verdict() {
                Verdict::Better => format!("yes, p = {:.4}", dm.p_value),
                Verdict::Worse => format!("no: significantly worse, p = {:.4}", dm.p_value),
                Verdict::NoDifference => {
                    format!("no: no significant difference, p = {:.4}", dm.p_value)
                }
            };
            match dm.fell_back_to_one_step {
                true => format!(
                    "{verdict}; the long-run variance of the loss differences over the \
                     horizon's lags came out negative or zero, so the test takes h = 1, as R's \
                     dm.test does"
                ),
                false => verdict,
            }
        }
    };
    format!(
        "model better than {reference} at 5 %: {answer} (Diebold–Mariano, squared error, \
         HLN-corrected)"
    )
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
pub(crate) fn metric_rows(table: &EvaluationTable) -> Vec<Vec<String>> {
    table
        .rows
        .iter()
        .map(|(name, m)| row_cells(name, m))
        .collect()
}

/// Column headers of the table by step ahead.
pub(crate) const STEP_HEADERS: [&str; 6] = [
    "h",
    "model RMSE",
    "naive RMSE",
    "model MAE",
    "naive MAE",
    "skill",
];
/// Terminal widths of its columns.
pub(crate) const STEP_WIDTHS: [usize; 6] = [3, 11, 11, 11, 11, 11];

/// The rows of the table by step ahead; skill is `1 − MSE / MSE(naive)`, `n/a` at a step that
/// the naive forecast got exactly right.
pub(crate) fn step_rows(by_step: &[StepErrors]) -> Vec<Vec<String>> {
    by_step
        .iter()
        .map(|e| {
            let skill = match e.naive_rmse > 0.0 {
                true => number(1.0 - (e.model_rmse / e.naive_rmse).powi(2), 4),
                false => "n/a".to_string(),
            };
            vec![
                e.steps_ahead.to_string(),
                number(e.model_rmse, 3),
                number(e.naive_rmse, 3),
                number(e.model_mae, 3),
                number(e.naive_mae, 3),
                skill,
            ]
        })
        .collect()
}

/// One line on the closed-loop generation.
pub(crate) fn closed_loop_line(generation: &GenerationSummary) -> String {
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

/// The metrics table in Markdown, with a line for each undefined measure.
pub fn markdown_table(table: &EvaluationTable) -> String {
    let notes = undefined_notes(table);
    let rows = markdown_rows(&metric_headers(), &metric_rows(table), Align::Left);
    match notes.is_empty() {
        true => rows,
        false => format!("{rows}\n{}", notes.replace('\n', "\n\n")),
    }
}

/// The metrics table for the terminal, with a line for each undefined measure.
pub fn metrics_text_table(table: &EvaluationTable) -> String {
    text_table(
        &metric_headers(),
        &metric_rows(table),
        &metric_widths(),
        Align::Left,
    ) + &undefined_notes(table)
}

/// The sentence above the interval table: how the intervals were made.
pub(crate) fn interval_caption(intervals: &TestIntervals) -> String {
    let source = match intervals.calibration {
        Calibration::Validation => "validation",
        Calibration::Training => "training (no validation windows: likely too narrow)",
        Calibration::RollingOrigins => "rolling origins before the test period",
        Calibration::EarlierFolds => "earlier folds' test",
        Calibration::SecondFit => "second fit's validation",
        Calibration::VoicesAtRollingOrigins => "rolling origins before the test period",
    };
    let naive = intervals
        .naive
        .conformal
        .as_ref()
        .expect("the naive forecast's intervals are conformal");
    let mut caption = match &intervals.model.conformal {
        // a statistical forecast without networks: its own errors at rolling origins
        Some(model) if intervals.calibration == Calibration::RollingOrigins => format!(
            "Prediction intervals (split conformal): the model's calibrated on its {} errors at \
             one step ahead (each step on its own) at origins rolling over the values before \
             the test period, each forecast fitted on the values before its origin; naive's on \
             its own {} over the training windows",
            model.calibration_size, naive.calibration_size
        ),
        // a panel's validation periods too short: a second fit's, pooled
        Some(model)
            if intervals.calibration == Calibration::SecondFit
                && model.calibration_size != naive.calibration_size =>
        {
            format!(
                "Prediction intervals (split conformal): the model's calibrated on the {} errors \
                 of every series of the panel over the validation windows of a second fit that \
                 held out more of their rows before the test period, pooled in each series' \
                 scale ([evaluate] calibration_fit: the run's own validation periods hold too \
                 few); naive's on its own {} over the run's validation windows",
                model.calibration_size, naive.calibration_size
            )
        }
        // a panel too short for a second fit: its series' statistical voices' errors, pooled
        Some(model)
            if intervals.calibration == Calibration::VoicesAtRollingOrigins
                && model.calibration_size != naive.calibration_size =>
        {
            format!(
                "Prediction intervals (split conformal): the model's calibrated on the {} errors \
                 of every series' statistical voices alone (without the networks) at origins \
                 rolling over its values before the test period, pooled in each series' scale \
                 ([evaluate] calibration_fit, without a second fit that calibrates one); \
                 naive's on its own {} over the run's validation windows",
                model.calibration_size, naive.calibration_size
            )
        }
        // one series too short for a second fit: its statistical voices' errors instead
        Some(model) if intervals.calibration == Calibration::VoicesAtRollingOrigins => format!(
            "Prediction intervals (split conformal): the model's calibrated on the errors of \
             its statistical voices alone (without the networks) at {} origins rolling over \
             the values before the test period, each fitted on the values before its origin \
             ([evaluate] calibration_fit, without a second fit that calibrates one); \
             naive's on its own {} at the same origins",
            model.calibration_size, naive.calibration_size
        ),
        // one series' validation period too short: a second fit's (`calibration_fit.rs`)
        Some(_) if intervals.calibration == Calibration::SecondFit => format!(
            "Prediction intervals (split conformal), each forecaster's calibrated on its own {} \
             errors over the validation windows of a second fit that held out more of the rows \
             before the test period ([evaluate] calibration_fit: the run's own validation \
             period is too short)",
            naive.calibration_size
        ),
        // a panel's series pool the model's errors (`yoho_eval::pooled`)
        Some(model) if model.calibration_size != naive.calibration_size => format!(
            "Prediction intervals (split conformal): the model's calibrated on the {} errors of \
             every series of the panel over their {source} windows, pooled in each series' \
             scale; naive's on its own {}",
            model.calibration_size, naive.calibration_size
        ),
        Some(_) => format!(
            "Prediction intervals (split conformal), each forecaster's calibrated on its own {} \
             over the {source} windows",
            errors(naive.calibration_size)
        ),
        None => format!(
            "Prediction intervals: the model's from its predictive distribution, naive's split \
             conformal on its {} over the {source} windows",
            errors(naive.calibration_size)
        ),
    };
    let mut missing_calibration = false;
    for level in &intervals.levels {
        let key = yoho_eval::intervals::percent(*level);
        if intervals.model.metrics.levels.contains_key(&key) {
            continue;
        }
        let why = match intervals.model.conformal {
            Some(_) => format!(
                "it needs at least {} errors",
                Conformal::errors_needed(*level)
            ),
            None => "the model's quantiles do not reach it".to_string(),
        };
        let _ = write!(caption, "; {key} %: n/a, {why}");
        missing_calibration |=
            intervals.model.conformal.is_some() && intervals.calibration == Calibration::Validation;
    }
    if missing_calibration {
        caption += " (a longer [data] valid_len holds more validation windows; `trainer \
                    forecast` lengthens its validation period for its intervals where the \
                    series allows, and `trainer backtest` scores intervals calibrated on its \
                    earlier folds)";
    }
    caption + ":"
}

/// The interval table: per level, coverage in percent and mean width; then the CRPS. Headers,
/// rows (one per forecaster in `rows`: its name and scores) and terminal widths.
pub(crate) fn interval_table(
    levels: &[f64],
    rows: &[(&str, &IntervalMetrics)],
) -> (Vec<String>, Vec<Vec<String>>, Vec<usize>) {
    let levels: Vec<String> = levels
        .iter()
        .map(|level| yoho_eval::intervals::percent(*level))
        .collect();
    let mut headers = vec!["forecast".to_string()];
    for level in &levels {
        headers.push(format!("cover {level} %"));
        headers.push(format!("width {level} %"));
    }
    headers.push("CRPS".to_string());
    let row = |name: &str, metrics: &IntervalMetrics| {
        let mut cells = vec![name.to_string()];
        for level in &levels {
            match metrics.levels.get(level) {
                Some(score) => {
                    cells.push(format!("{:.1}", 100.0 * score.coverage));
                    cells.push(number(score.mean_width, 3));
                }
                None => cells.extend(["n/a".to_string(), "n/a".to_string()]),
            }
        }
        cells.push(metrics.crps.map_or("n/a".to_string(), |c| number(c, 3)));
        cells
    };
    let rows = rows
        .iter()
        .map(|(name, metrics)| row(name, metrics))
        .collect();
    let widths = headers
        .iter()
        .enumerate()
        .map(|(index, header)| match index {
            0 => NAME_WIDTH,
            _ => header.chars().count().max(9),
        })
        .collect();
    (headers, rows, widths)
}

/// [`interval_table`] of a run's test intervals.
pub(crate) fn test_interval_table(
    intervals: &TestIntervals,
) -> (Vec<String>, Vec<Vec<String>>, Vec<usize>) {
    let mut rows = vec![
        (MODEL, &intervals.model.metrics),
        (NAIVE, &intervals.naive.metrics),
    ];
    if let Some(every_step) = &intervals.model_every_step {
        rows.push((EVERY_STEP_ROW, every_step));
    }
    interval_table(&intervals.levels, &rows)
}

/// [`interval_table`] of a backtest's intervals pooled over its folds.
pub(crate) fn pooled_interval_table(
    pooled: &PooledIntervals,
) -> (Vec<String>, Vec<Vec<String>>, Vec<usize>) {
    interval_table(
        &pooled.levels,
        &[(MODEL, &pooled.model), (NAIVE, &pooled.naive)],
    )
}

/// Over a horizon of several steps, what the interval table's rows score: the first step of
/// each test window, and the last row every step; `None` for a one-step horizon.
pub(crate) fn every_step_note(intervals: &TestIntervals) -> Option<String> {
    intervals.model_every_step.as_ref()?;
    let values: usize = intervals.model_steps.iter().map(Vec::len).sum();
    let first_steps = match intervals.model_steps.len() {
        1 => "of the test window (1 value".to_string(),
        windows => format!("of each of the {windows} test windows ({windows} values"),
    };
    Some(format!(
        "{MODEL} and {NAIVE} are scored one step ahead {first_steps}: naive's calibration is \
         one step ahead); {EVERY_STEP_ROW} is the model's intervals over every step ahead \
         ({values} values)"
    ))
}

/// Folds by their numbers: `fold 2`, `folds 1 to 4`, `folds 1, 3 and 5` (`numbers` ascending,
/// at least one).
pub(crate) fn folds_words(numbers: &[usize]) -> String {
    let (first, last) = (numbers[0], numbers[numbers.len() - 1]);
    match numbers.len() {
        1 => format!("fold {first}"),
        n if n > 2 && last - first + 1 == n => format!("folds {first} to {last}"),
        n => {
            let listed: Vec<String> = numbers[..n - 1].iter().map(usize::to_string).collect();
            format!("folds {} and {last}", listed.join(", "))
        }
    }
}

/// A backtest's (the table's rows scoring each forecast's first step) coverage of every level
/// over every step ahead of every forecast, in words; `None` without any.
pub(crate) fn step_coverage_line(coverages: &[StepCoverage]) -> Option<String> {
    let values = coverages.iter().map(|c| c.values).max()?;
    let levels: Vec<String> = (coverages.iter())
        .map(|c| {
            let of = match c.values < values {
                true => format!(" of the {} it was calibrated for", c.values),
                false => String::new(),
            };
            format!(
                "{} % covers {:.1} %{of}",
                yoho_eval::intervals::percent(c.level),
                100.0 * c.coverage
            )
        })
        .collect();
    Some(format!(
        "The rows above score each forecast's first step; the model's intervals over every step \
         ahead of every forecast ({values} values): {}",
        levels.join(", ")
    ))
}

/// Each level's coverage over many values, a line each: `80 % interval: 78.4 % of 162 values
/// inside`.
pub(crate) fn coverage_lines(coverages: &[StepCoverage]) -> String {
    (coverages.iter())
        .map(|level| {
            format!(
                "{} % interval: {:.1} % of {} values inside\n",
                yoho_eval::intervals::percent(level.level),
                level.coverage * 100.0,
                level.values
            )
        })
        .collect()
}

/// A count of calibration errors in words: `1 error`, `19 errors`.
fn errors(count: usize) -> String {
    match count {
        1 => "1 error".to_string(),
        count => format!("{count} errors"),
    }
}

/// A count of test windows in words: `1 test window`, `12 test windows`.
pub(crate) fn test_windows(count: usize) -> String {
    match count {
        1 => "1 test window".to_string(),
        count => format!("{count} test windows"),
    }
}

/// The interval table's row of the model's intervals over every step ahead.
const EVERY_STEP_ROW: &str = "model, all h";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_named_by_their_numbers() {
        assert_eq!(folds_words(&[2]), "fold 2");
        assert_eq!(folds_words(&[1, 2]), "folds 1 and 2");
        assert_eq!(folds_words(&[3, 4, 5, 6]), "folds 3 to 6");
        assert_eq!(folds_words(&[1, 3, 5]), "folds 1, 3 and 5");
    }

    #[test]
    fn counts_of_one_are_singular() {
        assert_eq!(test_windows(1), "1 test window");
        assert_eq!(test_windows(12), "12 test windows");
        assert_eq!(errors(1), "1 error");
        assert_eq!(errors(19), "19 errors");
    }

    #[test]
    fn a_test_that_fell_back_to_one_step_says_so() {
        let dm = DieboldMariano {
            statistic: -4.1,
            p_value: 0.0005,
            horizon: 1,
            fell_back_to_one_step: true,
        };
        let line = verdict_line(NAIVE, Some(dm), 40);
        assert!(
            line.contains("yes, p = 0.0005; the long-run variance"),
            "{line}"
        );
        assert!(line.contains("the test takes h = 1"));
        let plain = verdict_line(
            NAIVE,
            Some(DieboldMariano {
                fell_back_to_one_step: false,
                ..dm
            }),
            40,
        );
        assert!(!plain.contains("h = 1"), "{plain}");
    }

    #[test]
    fn a_step_that_naive_forecast_exactly_has_no_skill() {
        let step = |steps_ahead, naive_rmse| StepErrors {
            steps_ahead,
            model_rmse: 0.5,
            model_mae: 0.5,
            naive_rmse,
            naive_mae: naive_rmse,
        };
        let rows = step_rows(&[step(1, 1.0), step(2, 0.0)]);
        assert_eq!(rows[0][5], "0.7500");
        assert_eq!(rows[1][5], "n/a");
    }

    #[test]
    fn numbers_switch_to_scientific_notation_from_a_billion() {
        assert_eq!(number(13.2844, 3), "13.284");
        assert_eq!(number(-0.5, 4), "-0.5000");
        assert_eq!(number(f64::NAN, 3), "n/a");
        assert_eq!(number(2.5e300, 3), "2.500e300");
        assert_eq!(number(f64::INFINITY, 3), "inf");
    }
    use yoho_data::NaiveDate;
    use yoho_eval::{NamedForecast, TestForecast};

    #[test]
    fn a_verdict_without_a_test_says_whether_one_origin_is_why() {
        // one origin of three steps, as the default recipe tests: no Diebold–Mariano test
        let actual = vec![vec![1.0, 2.0, 3.0]];
        let test = TestForecast {
            dates: vec![NaiveDate::from_ymd_opt(2024, 1, 1).unwrap().into()],
            actual: vec![1.0],
            previous: vec![0.5],
            forecasts: vec![NamedForecast::new(MODEL, vec![vec![1.5, 2.5, 2.0]])],
            actual_steps: actual,
        };
        let table = EvaluationTable::with_training_targets(&test, &[3.0, 2.0, 1.0], None);
        assert_eq!(table.origins, 1);
        let text = verdict(&table).unwrap();
        assert!(
            text.contains("untested: the test period is one forecast origin"),
            "{text}"
        );
        // four origins whose losses are tested
        let table = table_with_undefined_measures();
        assert_eq!(table.origins, 4);
        assert!(!verdict(&table).unwrap().contains("untested"));
    }

    /// Four test days, one of them with an actual value of 0, after a flat training target.
    fn table_with_undefined_measures() -> EvaluationTable {
        let actual = vec![1.0, 0.0, 2.0, 1.0];
        let previous = vec![1.0, 1.0, 0.0, 2.0];
        let model = vec![0.5, 0.5, 1.5, 1.5];
        let test = TestForecast {
            dates: (1..=4)
                .map(|day| NaiveDate::from_ymd_opt(2024, 1, day).unwrap().into())
                .collect(),
            actual: actual.clone(),
            previous,
            forecasts: vec![NamedForecast::one_step(MODEL, model.clone())],
            actual_steps: actual.iter().map(|a| vec![*a]).collect(),
        };
        EvaluationTable::with_training_targets(&test, &[3.0, 3.0, 3.0], None)
    }

    #[test]
    fn undefined_measures_are_marked_and_explained() {
        let table = table_with_undefined_measures();
        let text = metrics_text_table(&table);
        assert!(text.contains("n/a"), "{text}");
        assert!(
            text.contains("n/a: mape_percent of model is undefined: an actual value is 0"),
            "{text}"
        );
        assert!(
            text.contains("n/a: mase of model is undefined: the training target is constant"),
            "{text}"
        );
        assert!(!text.contains("NaN"), "{text}");
        let markdown = markdown_table(&table);
        assert!(markdown.contains("| n/a |"), "{markdown}");
        assert!(markdown.contains("mape_percent of model"), "{markdown}");

        let json = serde_json::to_value(&table).unwrap();
        let model = &json["model"];
        assert!(model["mape_percent"].is_null() && model["mase"].is_null());
        let why = model["undefined"]["mape_percent"].as_str().unwrap();
        assert!(why.contains("actual value is 0"), "{why}");
        assert!(model["rmse"].is_number());
        assert!(model["undefined"].get("rmse").is_none());
    }
}
