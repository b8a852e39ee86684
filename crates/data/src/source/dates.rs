//! The date column's format, detected once per file: ISO dates and date-times (with `T` or a
//! space, with or without seconds, fractions and a UTC offset), US month-first and European
//! day-first dates — or a `strftime` pattern the config gives (`[data] date_format`).
//!
//! A UTC offset is dropped, so a row keeps its local date and time. A file whose times are all
//! midnight is a series of dates; one time of day other than midnight makes it an intraday
//! series (see [`crate::Timestamp`]).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// How the cells of a date column are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateFormat {
    /// `YYYY-MM-DD`, optionally followed by `T` or a space and a time.
    Iso,
    /// `M/D/YYYY` (US), optionally followed by a time.
    MonthFirst,
    /// `D/M/YYYY`, `D.M.YYYY` or `D-M-YYYY` (European), optionally followed by a time.
    DayFirst,
    /// A `strftime` pattern (chrono's), e.g. `%d/%m/%Y` or `%Y%m%d`.
    Pattern(String),
}

impl DateFormat {
    /// What the format expects, for error messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Iso => "YYYY-MM-DD (optionally with a time)".to_string(),
            Self::MonthFirst => "M/D/YYYY (optionally with a time)".to_string(),
            Self::DayFirst => "D/M/YYYY or D.M.YYYY (optionally with a time)".to_string(),
            Self::Pattern(pattern) => format!("the date_format \"{pattern}\""),
        }
    }

    /// The format of a column from its cells: ISO when they start with a 4-digit year; for
    /// `a/b/YYYY`-style cells day-first when the separator is a dot or some `a` exceeds 12,
    /// month-first otherwise (the US convention). `None` when no cell looks like a date.
    pub fn detect<S: AsRef<str>>(cells: impl IntoIterator<Item = S>) -> Option<Self> {
        let mut numeric_dates = false;
        let mut day_first = false;
        for cell in cells {
            let cell = cell.as_ref().trim();
            if cell.is_empty() {
                continue;
            }
            let date = cell.split(['T', ' ']).next().unwrap_or(cell);
            let fields: Vec<&str> = date.split(['-', '/', '.']).collect();
            match fields.as_slice() {
                [year, _, _] if year.len() == 4 && date.contains('-') => return Some(Self::Iso),
                [first, second, year] if year.len() == 4 => {
                    numeric_dates = true;
                    let first: u32 = first.parse().unwrap_or(0);
                    let second: u32 = second.parse().unwrap_or(0);
                    if date.contains('.') || first > 12 {
                        day_first = true;
                    }
                    if second > 12 {
                        return Some(Self::MonthFirst);
                    }
                }
                _ => {}
            }
        }
        match (numeric_dates, day_first) {
            (false, _) => None,
            (true, true) => Some(Self::DayFirst),
            (true, false) => Some(Self::MonthFirst),
        }
    }

    /// The date and time of `text`, or `None` when it is not written in this format.
    pub fn parse(&self, text: &str) -> Option<NaiveDateTime> {
        let text = text.trim();
        if let Self::Pattern(pattern) = self {
            return NaiveDateTime::parse_from_str(text, pattern)
                .ok()
                .or_else(|| Some(NaiveDate::parse_from_str(text, pattern).ok()?.into()));
        }
        let (date, time) = match text.split_once(['T', ' ']) {
            Some((date, time)) => (date, Some(time.trim())),
            None => (text, None),
        };
        let fields: Vec<u32> = date
            .split(['-', '/', '.'])
            .map(|field| field.parse().ok())
            .collect::<Option<_>>()?;
        let [a, b, c] = fields.as_slice() else {
            return None;
        };
        let date = match self {
            Self::Iso => NaiveDate::from_ymd_opt(*a as i32, *b, *c),
            Self::MonthFirst => NaiveDate::from_ymd_opt(*c as i32, *a, *b),
            Self::DayFirst => NaiveDate::from_ymd_opt(*c as i32, *b, *a),
            Self::Pattern(_) => unreachable!("handled above"),
        }?;
        let time = match time {
            Some(time) => parse_time(time)?,
            None => NaiveTime::MIN,
        };
        Some(date.and_time(time))
    }
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`, optionally followed by a UTC offset (`Z`, `±HH:MM`,
/// `±HHMM`), which is dropped: the local time is kept.
fn parse_time(text: &str) -> Option<NaiveTime> {
    let without_zone = text.trim_end_matches('Z');
    let local = match without_zone.rfind(['+', '-']) {
        Some(sign) if sign > 0 => &without_zone[..sign],
        _ => without_zone,
    };
    ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M"]
        .iter()
        .find_map(|format| NaiveTime::parse_from_str(local.trim(), format).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(year, month, day)
            .unwrap()
            .and_hms_opt(hour, minute, 0)
            .unwrap()
    }

    #[test]
    fn every_written_form_of_a_date_is_read() {
        let cases = [
            (DateFormat::Iso, "2021-01-04", at(2021, 1, 4, 0, 0)),
            (DateFormat::Iso, "2021-01-04 00:00:00", at(2021, 1, 4, 0, 0)),
            (DateFormat::Iso, "2021-01-04T09:30", at(2021, 1, 4, 9, 30)),
            (
                DateFormat::Iso,
                "2021-01-04T09:30:00Z",
                at(2021, 1, 4, 9, 30),
            ),
            (
                DateFormat::Iso,
                "2021-01-04T09:30:00.250+09:00",
                chrono::Timelike::with_nanosecond(&at(2021, 1, 4, 9, 30), 250_000_000).unwrap(),
            ),
            (
                DateFormat::Iso,
                "2021-01-04 09:30:00-0500",
                at(2021, 1, 4, 9, 30),
            ),
            (DateFormat::MonthFirst, "1/4/2021", at(2021, 1, 4, 0, 0)),
            (
                DateFormat::MonthFirst,
                "12/31/2018 16:00",
                at(2018, 12, 31, 16, 0),
            ),
            (DateFormat::DayFirst, "04.01.2021", at(2021, 1, 4, 0, 0)),
            (DateFormat::DayFirst, "31/12/2018", at(2018, 12, 31, 0, 0)),
            (
                DateFormat::Pattern("%Y%m%d".into()),
                "20210104",
                at(2021, 1, 4, 0, 0),
            ),
            (
                DateFormat::Pattern("%d %b %Y %H:%M".into()),
                "04 Jan 2021 10:15",
                at(2021, 1, 4, 10, 15),
            ),
        ];
        for (format, text, expected) in cases {
            assert_eq!(format.parse(text), Some(expected), "{format:?} {text}");
        }
        for (format, text) in [
            (DateFormat::Iso, "2021-13-04"),
            (DateFormat::Iso, "04/01/2021"),
            (DateFormat::MonthFirst, "13/4/2021"),
            (DateFormat::Iso, "2021-01-04 25:00"),
            (DateFormat::Iso, ""),
        ] {
            assert_eq!(format.parse(text), None, "{format:?} {text:?}");
        }
    }

    #[test]
    fn the_format_is_detected_from_the_whole_column() {
        assert_eq!(DateFormat::detect(["2021-01-04"]), Some(DateFormat::Iso));
        assert_eq!(
            DateFormat::detect(["", "2021-01-04T10:00:00"]),
            Some(DateFormat::Iso)
        );
        // US unless a first field exceeds 12 or the separator is a dot
        assert_eq!(
            DateFormat::detect(["1/4/2021", "1/5/2021"]),
            Some(DateFormat::MonthFirst)
        );
        assert_eq!(
            DateFormat::detect(["01/04/2021", "13/04/2021"]),
            Some(DateFormat::DayFirst)
        );
        assert_eq!(
            DateFormat::detect(["04.01.2021"]),
            Some(DateFormat::DayFirst)
        );
        assert_eq!(
            DateFormat::detect(["12/01/2018", "12/31/2018"]),
            Some(DateFormat::MonthFirst)
        );
        assert_eq!(DateFormat::detect(["yesterday", ""]), None);
    }
}
