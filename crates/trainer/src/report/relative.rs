//! The field's summary of a panel run: every forecaster over all series, its mean MASE and
//! sMAPE, its MASE relative to the seasonal naive's (the geometric mean over the series, as the
//! M4 competition scores) and on how many series it beats the seasonal naive.

use yoho_eval::{MODEL, PanelSummary};

use super::table::{Align, markdown_rows, text_table};

/// The table's rows: the model first, then the other forecasters from the lowest relative
/// MASE; a forecaster measured on no series against the reference is left out.
fn rows(summary: &PanelSummary) -> Vec<Vec<String>> {
    let mut named: Vec<_> = summary.relative.iter().collect();
    named.sort_by(|(a, x), (b, y)| {
        ((**b == MODEL).cmp(&(**a == MODEL))).then(x.relative_mase.total_cmp(&y.relative_mase))
    });
    (named.into_iter())
        .map(|(name, relative)| {
            let mean = summary.mean.get(name);
            let number = |value: Option<f64>| match value {
                Some(value) if value.is_finite() => format!("{value:.3}"),
                _ => "n/a".to_string(),
            };
            vec![
                name.to_string(),
                number(mean.map(|m| m.mase)),
                number(mean.map(|m| m.smape_percent)),
                number(Some(relative.relative_mase)),
                format!("{} of {}", relative.beats_reference, relative.series),
            ]
        })
        .collect()
}

fn headers(summary: &PanelSummary) -> [String; 5] {
    [
        "forecaster".to_string(),
        "mean MASE".to_string(),
        "mean sMAPE %".to_string(),
        format!("MASE / {}", summary.reference),
        format!("beats {}", summary.reference),
    ]
}

/// The sentence that says what the table holds: every forecaster over `over` ("the 7 series"),
/// its relative MASE the geometric mean over `each` ("the series").
fn caption(summary: &PanelSummary, over: &str, each: &str) -> String {
    let mut caption = format!(
        "Every forecaster over {over}: MASE / {} is the geometric mean over {each} of its MASE \
         divided by {}'s (below 1 beats it), as the M4 competition scores many series.",
        summary.reference, summary.reference
    );
    let fewer = (summary.relative.values()).any(|relative| relative.series < summary.series);
    if fewer {
        caption += " Where a MASE is undefined (a constant training target), it is left out of \
                    the ratio and of the count.";
    }
    caption
}

/// What the table of a panel's run is over: its series.
fn over_series(summary: &PanelSummary) -> String {
    format!("the {} series", summary.series)
}

/// The terminal table, its caption first; empty when no forecaster could be set against the
/// reference.
pub(crate) fn relative_text_table(summary: &PanelSummary) -> String {
    relative_text_table_over(summary, (over_series(summary), "the series"))
}

/// [`relative_text_table`] of a summary over the forecasts of several origins: what they are
/// ("21 forecasts (7 series from each of 3 origins)") and what each scored unit is ("the
/// forecasts").
pub(crate) fn relative_text_table_over(
    summary: &PanelSummary,
    (over, each): (String, &str),
) -> String {
    captioned(
        summary,
        &caption(summary, &over, each),
        "\n",
        |headers, rows| {
            let first = (rows.iter().map(|row| row[0].len()))
                .chain([headers[0].len()])
                .max()
                .unwrap_or(0);
            text_table(headers, rows, &[first, 10, 13, 22, 22], Align::Left)
        },
    )
}

/// The markdown table, its caption first; empty as [`relative_text_table`] is.
pub(crate) fn relative_markdown(summary: &PanelSummary) -> String {
    relative_markdown_over(summary, (over_series(summary), "the series"))
}

/// [`relative_markdown`] of a summary over the forecasts of several origins (see
/// [`relative_text_table_over`]).
pub(crate) fn relative_markdown_over(
    summary: &PanelSummary,
    (over, each): (String, &str),
) -> String {
    captioned(
        summary,
        &caption(summary, &over, each),
        "\n\n",
        |headers, rows| markdown_rows(headers, rows, Align::Left),
    )
}

/// `caption`, `gap`, then the table `draw` makes of the headers and rows; empty without rows.
fn captioned(
    summary: &PanelSummary,
    caption: &str,
    gap: &str,
    draw: impl Fn(&[&str], &[Vec<String>]) -> String,
) -> String {
    let rows = rows(summary);
    if rows.is_empty() {
        return String::new();
    }
    let headers = headers(summary);
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    format!("{caption}{gap}{}", draw(&headers, &rows))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use yoho_eval::panel::Relative;

    use super::*;

    fn relative(relative_mase: f64, beats_reference: usize) -> Relative {
        Relative {
            relative_mase,
            beats_reference,
            series: 3,
        }
    }

    #[test]
    fn the_model_comes_first_then_the_lowest_relative_mase() {
        let summary = PanelSummary {
            mean: BTreeMap::new(),
            model_lower_rmse_than_naive: 0,
            model_significantly_better_than_naive: 0,
            naive_significantly_better_than_model: 0,
            model_untested_vs_naive: 0,
            series: 3,
            reference: "seasonal_naive",
            relative: BTreeMap::from([
                ("arima", relative(0.7, 2)),
                ("model", relative(0.9, 1)),
                ("seasonal_naive", relative(1.0, 0)),
                ("ets", relative(0.8, 2)),
            ]),
        };
        let rows = rows(&summary);
        let names: Vec<&str> = rows.iter().map(|row| row[0].as_str()).collect();
        assert_eq!(names, ["model", "arima", "ets", "seasonal_naive"]);
        assert_eq!(rows[1][3..], ["0.700", "2 of 3"]);
        // no mean measures: shown as such
        assert_eq!(rows[0][1], "n/a");
        let text = relative_text_table(&summary);
        assert!(text.contains("MASE / seasonal_naive") && text.contains("beats seasonal_naive"));
        assert!(relative_markdown(&summary).contains("| model | n/a | n/a | 0.900 | 1 of 3 |"));
    }
}
