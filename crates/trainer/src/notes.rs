//! The notes on what cleaning found in the data (`yoho_data::CleaningNote`), printed before a
//! command trains: one series' each on a line (after a line about the series), a panel's series
//! by series.

use yoho_data::CleaningNote;

/// The series with the most cleaning notes printed; the others are counted.
const SERIES_NOTED: usize = 5;

/// Prints one series' notes, a line each.
pub(crate) fn print_series_notes(notes: &[CleaningNote]) {
    for note in notes {
        eprintln!("note: {note}");
    }
}

/// The lines of `notes` (one per series, without the `note: ` prefix) to print: the first
/// [`SERIES_NOTED`], then how many more series `likewise` (e.g. "are left out likewise"), so
/// that a panel of thousands of series does not print thousands of lines.
pub(crate) fn capped_lines(notes: Vec<String>, likewise: &str) -> Vec<String> {
    let more = notes.len().saturating_sub(SERIES_NOTED);
    let mut lines: Vec<String> = (notes.into_iter().take(SERIES_NOTED))
        .map(|note| format!("note: {note}"))
        .collect();
    if more > 0 {
        lines.push(format!("note: {more} more series {likewise}"));
    }
    lines
}

/// Prints [`capped_lines`].
pub(crate) fn print_capped(notes: Vec<String>, likewise: &str) {
    for line in capped_lines(notes, likewise) {
        eprintln!("{line}");
    }
}

/// Prints one line about a prepared series (its rows, dates, frequency and windows), then its
/// cleaning notes.
pub(crate) fn describe_series(data: &yoho_data::PreparedData) {
    let dates = &data.series.dates;
    let cadence = yoho_data::Cadence::infer(dates);
    eprintln!(
        "data: {} rows of {} ({} to {}, {cadence}); windows: {} train, {} valid, {} test",
        data.series.len(),
        data.series.source_name,
        dates[0],
        dates[dates.len() - 1],
        data.splits.train.len(),
        data.splits.valid.len(),
        data.splits.test.len()
    );
    print_series_notes(&data.cleaning_notes());
}

/// Prints [`panel_lines`] of a panel's series.
pub(crate) fn print_panel_notes<'a>(series: impl Iterator<Item = (&'a str, Vec<CleaningNote>)>) {
    for line in panel_lines(series.collect()) {
        eprintln!("{line}");
    }
}

/// Whether a note is about the whole file rather than one series: its dates read in UTC, a
/// preamble skipped, its rows numbered, a column of row numbers left out (every series has
/// it).
fn of_the_file(note: &CleaningNote) -> bool {
    matches!(
        note,
        CleaningNote::ReadInUtc
            | CleaningNote::SkippedPreamble(_)
            | CleaningNote::NumberedRows
            | CleaningNote::RowNumberColumn(_)
    )
}

/// A line per note of the first [`SERIES_NOTED`] series with notes, then how many more series
/// have them; the series whose rows were sorted by date are counted in one line (a
/// long-format file is often in another order), and the file's own notes (dates read in UTC, a
/// preamble skipped, rows numbered as steps) are a line each.
fn panel_lines(series: Vec<(&str, Vec<CleaningNote>)>) -> Vec<String> {
    let sorted = (series.iter())
        .filter(|(_, notes)| notes.contains(&CleaningNote::Sorted))
        .count();
    let mut file_notes: Vec<&CleaningNote> = Vec::new();
    for note in series.iter().flat_map(|(_, notes)| notes) {
        if of_the_file(note) && !file_notes.contains(&note) {
            file_notes.push(note);
        }
    }
    let noted: Vec<(&str, Vec<&CleaningNote>)> = (series.iter())
        .map(|(name, notes)| {
            let kept =
                (notes.iter()).filter(|note| **note != CleaningNote::Sorted && !of_the_file(note));
            (*name, kept.collect::<Vec<_>>())
        })
        .filter(|(_, notes)| !notes.is_empty())
        .collect();
    let mut lines: Vec<String> = (noted.iter().take(SERIES_NOTED))
        .flat_map(|(name, notes)| {
            (notes.iter()).map(move |note| format!("note: series '{name}': {note}"))
        })
        .collect();
    if noted.len() > SERIES_NOTED {
        lines.push(format!(
            "note: {} more series have such notes",
            noted.len() - SERIES_NOTED
        ));
    }
    if sorted > 0 {
        lines.push(format!(
            "note: the rows of {sorted} of {} series were not in date order; they have been \
             sorted by date",
            series.len()
        ));
    }
    lines.extend(file_notes.iter().map(|note| format!("note: {note}")));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_of_many_series_print_five_then_a_count() {
        let notes = |count: usize| (0..count).map(|i| format!("series '{i}' is left out"));
        let lines = capped_lines(notes(7).collect(), "are left out likewise");
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[0], "note: series '0' is left out");
        assert_eq!(lines[5], "note: 2 more series are left out likewise");
        assert_eq!(capped_lines(notes(5).collect(), "").len(), 5);
    }

    #[test]
    fn a_panel_notes_five_series_then_counts_the_rest_and_the_sorted_ones() {
        let names: Vec<String> = (0..8).map(|index| format!("s{index}")).collect();
        let series = (names.iter().enumerate())
            .map(|(index, name)| {
                let notes = match index {
                    0 => vec![],
                    1 => vec![CleaningNote::Sorted],
                    _ => vec![CleaningNote::DroppedRows(index), CleaningNote::Sorted],
                };
                (name.as_str(), notes)
            })
            .collect();
        let lines = panel_lines(series);
        // s2 to s6 with their dropped rows, s7 counted, seven series sorted
        assert_eq!(lines.len(), 7, "{lines:#?}");
        assert!(
            lines[0].starts_with("note: series 's2': dropped 2 rows"),
            "{}",
            lines[0]
        );
        assert!(
            lines[4].starts_with("note: series 's6': dropped 6 rows"),
            "{}",
            lines[4]
        );
        assert_eq!(lines[5], "note: 1 more series have such notes");
        assert!(lines[6].starts_with("note: the rows of 7 of 8 series were not in date order"));
        assert!(panel_lines(vec![("clean", vec![])]).is_empty());
        // dates read in UTC, and rows numbered as steps, are the file's: one line, whatever
        // the series
        for (note, words) in [
            (CleaningNote::ReadInUtc, "read in UTC"),
            (CleaningNote::NumberedRows, "the file has no date column"),
        ] {
            let lines = panel_lines(vec![("a", vec![note.clone()]), ("b", vec![note])]);
            assert_eq!(lines.len(), 1, "{lines:#?}");
            assert!(lines[0].contains(words), "{lines:#?}");
        }
        // a preamble is the file's too: one line, after a series' own note
        let preamble = vec![
            (
                "a",
                vec![
                    CleaningNote::DroppedRows(1),
                    CleaningNote::SkippedPreamble(2),
                ],
            ),
            ("b", vec![CleaningNote::SkippedPreamble(2)]),
        ];
        let lines = panel_lines(preamble);
        assert_eq!(
            lines,
            [
                "note: series 'a': dropped 1 row with empty or non-numeric cells, or with \
                 nothing before them to fill them from ([data] missing)",
                "note: the header is on line 3: the 2 lines above it, which name no date \
                 column, were skipped",
            ]
        );
    }
}
