//! What cleaning did to a series, in words for the user: dates missing inside it, rows filled
//! in or dropped (`[data] missing`), rows sorted by date, dates read in UTC, a preamble skipped.

use std::fmt;

use crate::frequency::Frequency;
use crate::prepare::PreparedData;
use crate::series::{Cleaning, LoadedSeries};
use crate::timestamp::Timestamp;

/// One thing cleaning found in a series or did to it; its `Display` is a sentence naming the
/// `[data]` key that changes it.
#[derive(Debug, Clone, PartialEq)]
pub enum CleaningNote {
    /// Dates the series' frequency expects inside it that have no row (not filled in).
    MissingDates {
        /// How many.
        count: usize,
        /// The series' frequency.
        frequency: Frequency,
        /// The first one.
        first: Timestamp,
    },
    /// Rows holding a value `[data] missing` filled in (a missing date or an empty cell).
    FilledRows(usize),
    /// Rows dropped for an empty or non-numeric cell, or with nothing before them to fill from.
    DroppedRows(usize),
    /// The rows were not in date order and have been sorted.
    Sorted,
    /// The dates were read in UTC: their UTC offsets change within the file (daylight saving).
    ReadInUtc,
    /// Lines above the header (a title or a source line, as Google Trends and statistics
    /// offices write) were skipped: the header is the first line that names the date column.
    SkippedPreamble(usize),
    /// The file has no date column: its rows were numbered 1, 2, 3, … as time steps.
    NumberedRows,
    /// A wide file's column of row numbers (an index written with the data) is no series.
    RowNumberColumn(String),
}

impl fmt::Display for CleaningNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingDates {
                count,
                frequency,
                first,
            } => {
                let holidays = match frequency {
                    Frequency::BusinessDaily => " (market holidays?)",
                    _ => "",
                };
                let dates = match (frequency, count) {
                    (Frequency::Steps(_), 1) => "1 step is".to_string(),
                    (Frequency::Steps(_), _) => format!("{count} steps are"),
                    (_, 1) => format!("1 {frequency} date is"),
                    _ => format!("{count} {frequency} dates are"),
                };
                write!(
                    f,
                    "{dates} missing inside the series{holidays} (the first: {first}); windows \
                     run over them as if the rows were adjacent ([data] missing = \"ffill\" or \
                     \"interpolate\" fills them)"
                )
            }
            Self::FilledRows(rows) => write!(
                f,
                "{} values filled in for dates missing inside the series or for empty cells \
                 ([data] missing)",
                counted(*rows, "row holds", "rows hold")
            ),
            Self::DroppedRows(rows) => write!(
                f,
                "dropped {} with empty or non-numeric cells, or with nothing before them to fill \
                 them from ([data] missing)",
                counted(*rows, "row", "rows")
            ),
            Self::Sorted => write!(
                f,
                "the rows were not in date order; they have been sorted by date"
            ),
            Self::ReadInUtc => write!(
                f,
                "the times' UTC offsets change within the file (daylight saving), so they are \
                 read in UTC: each hour once, evenly spaced (the hour of day too is UTC's)"
            ),
            Self::SkippedPreamble(lines) => write!(
                f,
                "the header is on line {}: the {} above it, which name no date column, were \
                 skipped",
                lines + 1,
                counted(*lines, "line", "lines")
            ),
            Self::NumberedRows => write!(
                f,
                "the file has no date column (date_column): its rows are numbered 1, 2, 3, … as \
                 time steps, a long panel's within each series"
            ),
            Self::RowNumberColumn(column) => write!(
                f,
                "column '{column}' holds the row numbers (an index written with the data), so \
                 it is no series; the file's other columns are"
            ),
        }
    }
}

/// `count` and the noun phrase in its number: "1 row", "3 rows".
fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

impl LoadedSeries {
    /// What cleaning found in the series or did to it (nothing for a clean series).
    pub fn cleaning_notes(&self) -> Vec<CleaningNote> {
        notes(&self.series.dates, &self.cleaning)
    }
}

impl PreparedData {
    /// What cleaning found in the series or did to it, as [`LoadedSeries::cleaning_notes`].
    pub fn cleaning_notes(&self) -> Vec<CleaningNote> {
        notes(&self.series.dates, &self.cleaning)
    }
}

/// The notes of a series observed at `dates` that reading and cleaning did `cleaning` to.
fn notes(dates: &[Timestamp], cleaning: &Cleaning) -> Vec<CleaningNote> {
    let Cleaning {
        dropped_rows,
        filled_rows,
        was_unsorted,
        read_in_utc,
        preamble_lines,
        numbered_rows,
        row_number_column,
    } = cleaning.clone();
    let cadence = crate::session::Cadence::infer(dates);
    let missing = cadence.missing(dates);
    let notes = [
        missing.first().map(|first| CleaningNote::MissingDates {
            count: missing.len(),
            frequency: cadence.frequency,
            first: *first,
        }),
        (filled_rows > 0).then_some(CleaningNote::FilledRows(filled_rows)),
        (dropped_rows > 0).then_some(CleaningNote::DroppedRows(dropped_rows)),
        was_unsorted.then_some(CleaningNote::Sorted),
        read_in_utc.then_some(CleaningNote::ReadInUtc),
        (preamble_lines > 0).then_some(CleaningNote::SkippedPreamble(preamble_lines)),
        numbered_rows.then_some(CleaningNote::NumberedRows),
        row_number_column.map(CleaningNote::RowNumberColumn),
    ];
    notes.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::{CleaningNote, Frequency};
    use crate::{DataConfig, MissingPolicy, Timestamp, prepare};

    /// The notes of `csv` (daily rows of `Date,Open`) prepared with `missing`.
    fn notes(csv: &str, missing: MissingPolicy) -> Vec<String> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(csv.as_bytes()).unwrap();
        let config = DataConfig {
            missing,
            valid_len: 1,
            ..DataConfig::new(file.path(), &["Open"], "Open", 2, 1)
        };
        let loaded = crate::load(&config, &[]).unwrap();
        let notes = prepare(&config).unwrap().cleaning_notes();
        assert_eq!(
            loaded.cleaning_notes(),
            notes,
            "the loaded series' notes are the prepared's"
        );
        notes.iter().map(ToString::to_string).collect()
    }

    /// Ten consecutive days of `Date,Open`, each row passed through `edit`.
    fn days(edit: impl Fn(usize, String) -> Option<String>) -> String {
        let rows = (1..=10).filter_map(|day| edit(day, format!("2024-01-{day:02},{day}\n")));
        std::iter::once("Date,Open\n".to_string())
            .chain(rows)
            .collect()
    }

    #[test]
    fn a_clean_series_has_no_notes() {
        assert!(notes(&days(|_, row| Some(row)), MissingPolicy::Error).is_empty());
    }

    #[test]
    fn missing_steps_are_counted_as_steps() {
        let note = |count| CleaningNote::MissingDates {
            count,
            frequency: Frequency::Steps(1),
            first: Timestamp::from_step(50).unwrap(),
        };
        assert!(
            note(1)
                .to_string()
                .starts_with("1 step is missing inside the series (the first: 50)")
        );
        assert!(note(3).to_string().starts_with("3 steps are missing"));
    }

    #[test]
    fn each_cleaning_step_is_noted() {
        let gap = days(|day, row| (day != 5).then_some(row));
        let notes_of_gap = notes(&gap, MissingPolicy::Error);
        assert_eq!(notes_of_gap.len(), 1, "{notes_of_gap:?}");
        assert!(notes_of_gap[0].starts_with("1 daily date is missing"));
        assert!(notes_of_gap[0].contains("2024-01-05"), "{notes_of_gap:?}");
        let filled = notes(&gap, MissingPolicy::Interpolate);
        assert_eq!(filled.len(), 1, "{filled:?}");
        assert!(filled[0].starts_with("1 row holds values filled in"));
        let empty = days(|day, row| {
            Some(if day == 3 {
                "2024-01-03,\n".into()
            } else {
                row
            })
        });
        let dropped = notes(&empty, MissingPolicy::Drop);
        assert!(
            dropped
                .iter()
                .any(|note| note.starts_with("dropped 1 row with"))
        );
        let reversed: String = {
            let text = days(|_, row| Some(row));
            let mut lines: Vec<&str> = text.lines().collect();
            lines[1..].reverse();
            lines.iter().map(|line| format!("{line}\n")).collect()
        };
        assert_eq!(
            notes(&reversed, MissingPolicy::Error),
            ["the rows were not in date order; they have been sorted by date"]
        );
    }
}
