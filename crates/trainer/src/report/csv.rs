//! The run's CSV files: `predictions.csv`, `by_step.csv` and `loss.csv` (written and read).

use std::fmt::Write as _;

use yoho_eval::intervals::percent;
use yoho_eval::{Intervals, TestForecast, TestIntervals};

/// Appends the interval columns of `levels` to a CSV header: `,lower_80,upper_80,…`.
pub(crate) fn push_interval_headers(text: &mut String, levels: impl IntoIterator<Item = f64>) {
    for level in levels {
        let level = percent(level);
        let _ = write!(text, ",lower_{level},upper_{level}");
    }
}

/// Appends `,<forecast>` for each of `names` on `day` of `forecast` (an empty cell where a
/// forecaster has none).
pub(crate) fn push_forecast_cells(
    text: &mut String,
    forecast: &TestForecast,
    names: &[&str],
    day: usize,
) {
    for name in names {
        let value = forecast.values(name).map(|values| values[day]);
        let _ = write!(
            text,
            ",{}",
            value.map(|v| v.to_string()).unwrap_or_default()
        );
    }
}

/// Appends one interval's cells to a CSV row: `,lower,upper`, or `,,` when there is none.
pub(crate) fn push_interval_cells(text: &mut String, interval: Option<(f64, f64)>) {
    match interval {
        Some((lower, upper)) => {
            let _ = write!(text, ",{lower},{upper}");
        }
        None => text.push_str(",,"),
    }
}

/// Appends the model's interval cells of `levels` levels around step `step` of test window
/// `window` (as [`push_interval_cells`], empty where there is none).
pub(crate) fn push_step_interval_cells(
    text: &mut String,
    intervals: Option<&TestIntervals>,
    (window, step): (usize, usize),
    levels: usize,
) {
    for level in 0..levels {
        let interval = intervals
            .and_then(|i| i.model_steps.get(window)?.get(step)?.get(level).copied())
            .flatten();
        push_interval_cells(text, interval);
    }
}

/// `by_step.csv`: one row per test window and step ahead, with the model's intervals
/// (`lower_80,upper_80,…`, empty where a step has none).
pub fn by_step_csv(forecast: &TestForecast, intervals: Option<&TestIntervals>) -> String {
    let mut text = String::from("window,first_target_date,steps_ahead,actual,model,naive");
    let levels = intervals.map_or(&[][..], |i| &i.levels[..]);
    push_interval_headers(&mut text, levels.iter().copied());
    text += "\n";
    for (window, (actual, model)) in forecast
        .actual_steps
        .iter()
        .zip(forecast.model_steps())
        .enumerate()
    {
        for (step, (a, m)) in actual.iter().zip(model).enumerate() {
            let _ = write!(
                text,
                "{window},{},{},{a},{m},{}",
                forecast.dates[window],
                step + 1,
                forecast.previous[window]
            );
            push_step_interval_cells(&mut text, intervals, (window, step), levels.len());
            text += "\n";
        }
    }
    text
}

/// `predictions.csv`: one row per test day, a column per forecaster, then the model's
/// `intervals` (`lower_80,upper_80,…`).
pub fn predictions_csv(forecast: &TestForecast, intervals: &[Intervals]) -> String {
    let mut text = String::from("date,actual,predicted");
    for baseline in &forecast.forecasts[1..] {
        text += ",";
        text += baseline.name;
    }
    push_interval_headers(&mut text, intervals.iter().map(|i| i.level));
    text += "\n";
    for i in 0..forecast.dates.len() {
        let _ = write!(text, "{},{}", forecast.dates[i], forecast.actual[i]);
        for named in &forecast.forecasts {
            let _ = write!(text, ",{}", named.values[i]);
        }
        for interval in intervals {
            push_interval_cells(&mut text, Some((interval.lower[i], interval.upper[i])));
        }
        text += "\n";
    }
    text
}

/// A CSV cell holding `text`, quoted when it must be.
pub fn csv_cell(text: &str) -> String {
    match text.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", text.replace('"', "\"\"")),
        false => text.to_string(),
    }
}
