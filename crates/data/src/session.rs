//! The hours an intraday series is observed in: a market's trading day, a call centre's or an
//! office's opening hours. Five-minute bars from 07:00 to 21:00 on weekdays hold 169 rows a
//! day, not the 288 of a whole day, so their daily cycle is 169 rows long, and the row after a
//! Friday's 21:00 is Monday's 07:00, not Friday's 21:05.
//!
//! A [`Session`] is read from the timestamps alone (never from the values): the usual first and
//! last time of a day, the usual number of rows a day, and the weekdays the series is observed
//! on. A weekday counts as closed when the series holds it on fewer than a quarter of the
//! times its dates span it (and they span it at least twice), so that holidays leave a weekday
//! open and a week of data closes no day.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};

use crate::frequency::Frequency;
use crate::timestamp::Timestamp;

const MINUTES_PER_DAY: u32 = 1_440;

/// When an intraday series is observed: every `minutes` from `opens` to `closes` on the
/// weekdays in `open_days`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// Minutes between consecutive rows.
    pub minutes: u32,
    /// The time of a day's first row (the most common one).
    pub opens: NaiveTime,
    /// The time of a day's last row (the most common one).
    pub closes: NaiveTime,
    /// Rows in a usual day (the most common count): the length of the daily cycle in rows.
    pub rows_per_day: usize,
    /// Whether the series is observed on each weekday, Monday first.
    pub open_days: [bool; 7],
}

impl Session {
    /// The session of an intraday series observed at `stamps` (ascending); `None` for a daily
    /// or coarser series, time steps, or fewer than two days of rows.
    pub fn infer(stamps: &[Timestamp]) -> Option<Self> {
        let Frequency::Minutes(minutes) = Frequency::infer(stamps) else {
            return None;
        };
        let days = days_of(stamps);
        if days.len() < 2 || minutes == 0 {
            return None;
        }
        let opens = most_common(days.values().map(|day| day.first))?;
        let closes = most_common(days.values().map(|day| day.last))?;
        let rows_per_day = most_common(days.values().map(|day| day.rows))?;
        let (first, last) = (*days.keys().next()?, *days.keys().next_back()?);
        let open_days = open_days(days.keys().copied(), first, last);
        Some(Self {
            minutes,
            opens,
            closes,
            rows_per_day,
            open_days,
        })
    }

    /// Whether the series is observed around the clock every day: then the session adds
    /// nothing to its frequency.
    pub fn is_whole_day(&self) -> bool {
        self.covers_the_clock() && self.open_days.iter().all(|open| *open)
    }

    /// Whether a usual day holds every row of the clock (at its frequency).
    pub fn covers_the_clock(&self) -> bool {
        self.rows_per_day as u64 * u64::from(self.minutes) >= u64::from(MINUTES_PER_DAY)
    }

    /// The timestamp after `stamp`: `minutes` later within the session, else the next open
    /// day's first row; `None` past the calendar's end.
    pub fn next(&self, stamp: Timestamp) -> Option<Timestamp> {
        let later = stamp.plus_seconds(i64::from(self.minutes) * 60)?;
        let same_day = later.date() == stamp.date();
        let time = later.datetime().time();
        if same_day && self.is_open_on(later.date()) && time <= self.closes {
            return Some(match time < self.opens {
                true => at(stamp.date(), self.opens),
                false => later,
            });
        }
        if !same_day && self.covers_the_clock() && self.is_open_on(later.date()) {
            return Some(later);
        }
        let mut date = stamp.date().succ_opt()?;
        while !self.is_open_on(date) {
            date = date.succ_opt()?;
        }
        Some(at(date, self.opens))
    }

    fn is_open_on(&self, date: NaiveDate) -> bool {
        self.open_days[date.weekday().num_days_from_monday() as usize]
    }
}

/// How often `stamps` (ascending) come, in words: their frequency ("monthly", "every 5
/// minutes"), followed by an intraday series' session where it is not around the clock every
/// day ("every 5 minutes, 169 rows a day, 07:00 to 21:00, Monday to Friday").
pub fn cadence_in_words(stamps: &[Timestamp]) -> String {
    let frequency = Frequency::infer(stamps);
    match Session::infer(stamps).filter(|session| !session.is_whole_day()) {
        Some(session) => format!("{frequency}, {session}"),
        None => frequency.to_string(),
    }
}

impl std::fmt::Display for Session {
    /// "169 rows a day, 07:00 to 21:00, Monday to Friday".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let time = |time: NaiveTime| format!("{:02}:{:02}", time.hour(), time.minute());
        write!(
            f,
            "{} rows a day, {} to {}, {}",
            self.rows_per_day,
            time(self.opens),
            time(self.closes),
            days_in_words(&self.open_days)
        )
    }
}

/// One day's rows: its first and last time and how many.
struct Day {
    first: NaiveTime,
    last: NaiveTime,
    rows: usize,
}

/// The rows of each date of `stamps` (ascending).
fn days_of(stamps: &[Timestamp]) -> BTreeMap<NaiveDate, Day> {
    let mut days = BTreeMap::<NaiveDate, Day>::new();
    for stamp in stamps {
        let time = stamp.datetime().time();
        days.entry(stamp.date())
            .and_modify(|day| {
                day.last = time;
                day.rows += 1;
            })
            .or_insert(Day {
                first: time,
                last: time,
                rows: 1,
            });
    }
    days
}

/// The most common of `values` (the smallest of equally common ones).
fn most_common<T: Ord>(values: impl Iterator<Item = T>) -> Option<T> {
    let mut counts = BTreeMap::<T, usize>::new();
    for value in values {
        *counts.entry(value).or_default() += 1;
    }
    let most = counts.values().max().copied()?;
    counts
        .into_iter()
        .find_map(|(value, count)| (count == most).then_some(value))
}

/// The weekdays the series is observed on, Monday first: each held on at least a quarter of
/// the times the span from `first` to `last` holds it, or held twice at most by that span.
fn open_days(
    dates: impl Iterator<Item = NaiveDate>,
    first: NaiveDate,
    last: NaiveDate,
) -> [bool; 7] {
    let mut observed = [0usize; 7];
    for date in dates {
        observed[date.weekday().num_days_from_monday() as usize] += 1;
    }
    let mut spanned = [0usize; 7];
    for date in first.iter_days().take_while(|date| *date <= last) {
        spanned[date.weekday().num_days_from_monday() as usize] += 1;
    }
    std::array::from_fn(|day| spanned[day] < 2 || observed[day] * 4 >= spanned[day])
}

/// "every day", "Monday to Friday" (three or more days in a row), or the open days listed.
fn days_in_words(open_days: &[bool; 7]) -> String {
    const NAMES: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let open: Vec<usize> = (0..7).filter(|day| open_days[*day]).collect();
    match (open.first(), open.last()) {
        _ if open.len() == 7 => "every day".to_string(),
        (Some(first), Some(last)) if open.len() >= 3 && last - first + 1 == open.len() => {
            format!("{} to {}", NAMES[*first], NAMES[*last])
        }
        _ => (open.iter().map(|day| NAMES[*day]))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn at(date: NaiveDate, time: NaiveTime) -> Timestamp {
    Timestamp::from_datetime(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use chrono::Weekday;

    use super::*;

    fn time(hour: u32, minute: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
    }

    fn stamp(date: NaiveDate, hour: u32, minute: u32) -> Timestamp {
        at(date, time(hour, minute))
    }

    /// Rows every `minutes` from `opens` to `closes` (inclusive) on the open days of `days`
    /// days from Monday 2024-01-01.
    fn session_rows(
        days: u64,
        minutes: u32,
        opens: NaiveTime,
        closes: NaiveTime,
        open: impl Fn(NaiveDate) -> bool,
    ) -> Vec<Timestamp> {
        let monday = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let mut stamps = Vec::new();
        for date in monday
            .iter_days()
            .take(days as usize)
            .filter(|date| open(*date))
        {
            let mut row = at(date, opens);
            while row.date() == date && row.datetime().time() <= closes {
                stamps.push(row);
                row = row.plus_seconds(i64::from(minutes) * 60).unwrap();
            }
        }
        stamps
    }

    fn weekday(date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
    }

    #[test]
    fn a_call_centres_weekday_hours_are_its_session() {
        let stamps = session_rows(28, 5, time(7, 0), time(21, 0), weekday);
        let session = Session::infer(&stamps).unwrap();
        assert_eq!(session.rows_per_day, 169);
        assert_eq!((session.opens, session.closes), (time(7, 0), time(21, 0)));
        assert_eq!(
            session.open_days,
            [true, true, true, true, true, false, false]
        );
        assert!(!session.is_whole_day() && !session.covers_the_clock());
        assert_eq!(
            session.to_string(),
            "169 rows a day, 07:00 to 21:00, Monday to Friday"
        );
        // Friday 2024-01-26 20:55 → 21:00 → Monday 07:00
        let friday = NaiveDate::from_ymd_opt(2024, 1, 26).unwrap();
        let monday = NaiveDate::from_ymd_opt(2024, 1, 29).unwrap();
        let at_close = session.next(stamp(friday, 20, 55)).unwrap();
        assert_eq!(at_close, stamp(friday, 21, 0));
        assert_eq!(session.next(at_close), Some(stamp(monday, 7, 0)));
        // the session's rows follow each other exactly as the data's do
        let mut row = stamps[0];
        for expected in &stamps[1..] {
            row = session.next(row).unwrap();
            assert_eq!(row, *expected);
        }
    }

    #[test]
    fn holidays_keep_a_weekday_open_and_a_short_span_closes_none() {
        // four weeks of weekdays with two Mondays missing (holidays)
        let holiday =
            |date: NaiveDate| weekday(date) && !(date.weekday() == Weekday::Mon && date.day() < 10);
        let stamps = session_rows(28, 30, time(9, 0), time(16, 0), holiday);
        let session = Session::infer(&stamps).unwrap();
        assert_eq!(
            session.open_days,
            [true, true, true, true, true, false, false]
        );
        assert_eq!(session.rows_per_day, 15);
        // three days (Monday to Wednesday): no weekday is seen missing twice
        let stamps = session_rows(3, 60, time(9, 0), time(17, 0), |_| true);
        let session = Session::infer(&stamps).unwrap();
        assert_eq!(session.open_days, [true; 7]);
        let wednesday = NaiveDate::from_ymd_opt(2024, 1, 3).unwrap();
        let thursday = NaiveDate::from_ymd_opt(2024, 1, 4).unwrap();
        assert_eq!(
            session.next(stamp(wednesday, 17, 0)),
            Some(stamp(thursday, 9, 0))
        );
    }

    #[test]
    fn around_the_clock_rows_keep_their_frequency_and_skip_closed_weekends() {
        let every_day = session_rows(21, 60, time(0, 0), time(23, 0), |_| true);
        let session = Session::infer(&every_day).unwrap();
        assert!(session.is_whole_day());
        assert_eq!(session.rows_per_day, 24);
        assert_eq!(
            session.to_string(),
            "24 rows a day, 00:00 to 23:00, every day"
        );
        let last = *every_day.last().unwrap();
        assert_eq!(session.next(last), last.plus_seconds(3_600));
        // a currency market: around the clock on weekdays, closed at the weekend
        let weekdays = session_rows(21, 60, time(0, 0), time(23, 0), weekday);
        let session = Session::infer(&weekdays).unwrap();
        assert!(session.covers_the_clock() && !session.is_whole_day());
        let thursday = NaiveDate::from_ymd_opt(2024, 1, 18).unwrap();
        let friday = NaiveDate::from_ymd_opt(2024, 1, 19).unwrap();
        let monday = NaiveDate::from_ymd_opt(2024, 1, 22).unwrap();
        assert_eq!(
            session.next(stamp(thursday, 23, 0)),
            Some(stamp(friday, 0, 0))
        );
        assert_eq!(
            session.next(stamp(friday, 23, 0)),
            Some(stamp(monday, 0, 0))
        );
    }

    #[test]
    fn dates_steps_and_a_single_day_have_no_session() {
        let monday = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let days: Vec<Timestamp> = (monday.iter_days().take(30))
            .map(Timestamp::from_date)
            .collect();
        assert_eq!(Session::infer(&days), None);
        let steps: Vec<Timestamp> = (0..100).filter_map(Timestamp::from_step).collect();
        assert_eq!(Session::infer(&steps), None);
        let one_day = session_rows(1, 60, time(9, 0), time(17, 0), |_| true);
        assert_eq!(Session::infer(&one_day), None);
        assert_eq!(Session::infer(&[]), None);
    }

    #[test]
    fn a_cadence_names_the_session_only_where_it_is_not_the_whole_day() {
        let weekdays = session_rows(21, 60, time(9, 0), time(17, 0), weekday);
        assert_eq!(
            cadence_in_words(&weekdays),
            "hourly, 9 rows a day, 09:00 to 17:00, Monday to Friday"
        );
        let every_day = session_rows(21, 60, time(0, 0), time(23, 0), |_| true);
        assert_eq!(cadence_in_words(&every_day), "hourly");
        let monday = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let days: Vec<Timestamp> = (monday.iter_days().take(30))
            .map(Timestamp::from_date)
            .collect();
        assert_eq!(cadence_in_words(&days), "daily");
    }

    #[test]
    fn open_days_are_listed_when_not_a_run() {
        let mut open = [false; 7];
        open[1] = true;
        open[3] = true;
        assert_eq!(days_in_words(&open), "Tuesday, Thursday");
        let mut open = [true; 7];
        open[6] = false;
        assert_eq!(days_in_words(&open), "Monday to Saturday");
    }
}
