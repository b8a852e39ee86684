//! The hours an intraday series is observed in: a market's trading day (with its lunch break),
//! a call centre's or an office's opening hours. Five-minute bars from 07:00 to 21:00 on
//! weekdays hold 169 rows a day, not the 288 of a whole day, so their daily cycle is 169 rows
//! long, and the row after a Friday's 21:00 is Monday's 07:00, not Friday's 21:05.
//!
//! A [`Session`] is read from the timestamps alone (never from the values): the times of day
//! the series holds (each on at least a quarter of its days, so that a day's missing row
//! leaves its time in the session and a rare late row adds none), the usual number of rows a
//! day, and the weekdays it is observed on. A weekday counts as closed when the series holds it
//! on fewer than a quarter of the times its dates span it (and they span it at least twice),
//! so that holidays leave a weekday open and a week of data closes no day.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};

use crate::frequency::Frequency;
use crate::timestamp::Timestamp;

const MINUTES_PER_DAY: usize = 1_440;

/// When an intraday series is observed: at the times of day in `times`, on the weekdays in
/// `open_days`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Minutes between consecutive rows (the series' frequency).
    pub minutes: u32,
    /// The times of day the series holds, ascending.
    pub times: Vec<NaiveTime>,
    /// Rows in a usual day (the most common count): the length of the daily cycle in rows.
    pub rows_per_day: usize,
    /// Whether the series is observed on each weekday, Monday first.
    pub open_days: [bool; 7],
}

impl Session {
    /// The session of an intraday or daily series observed at `stamps` (ascending): for a
    /// daily one, the weekdays it is held on (a shop closed on Sundays: Monday to Saturday);
    /// `None` for a business-daily or coarser series, time steps, or fewer than two days of
    /// rows.
    pub fn infer(stamps: &[Timestamp]) -> Option<Self> {
        Self::of_frequency(stamps, Frequency::infer(stamps))
    }

    /// [`Self::infer`] for `stamps` already known to be of `frequency`.
    pub fn of_frequency(stamps: &[Timestamp], frequency: Frequency) -> Option<Self> {
        let minutes = match frequency {
            Frequency::Minutes(minutes) if minutes > 0 => minutes,
            Frequency::Daily => MINUTES_PER_DAY as u32,
            _ => return None,
        };
        let days = rows_per_date(stamps);
        let (Some(first), Some(last)) = (days.keys().next(), days.keys().next_back()) else {
            return None;
        };
        if days.len() < 2 {
            return None;
        }
        let mut held = BTreeMap::<NaiveTime, usize>::new();
        for stamp in stamps {
            *held.entry(stamp.datetime().time()).or_default() += 1;
        }
        let times: Vec<NaiveTime> = (held.into_iter())
            .filter(|(_, dates)| dates * 4 >= days.len())
            .map(|(time, _)| time)
            .collect();
        let rows_per_day = most_common(days.values().copied())?;
        // times that drift from day to day (a logger's seconds) hold no session
        if times.len() * 2 < rows_per_day {
            return None;
        }
        Some(Self {
            minutes,
            times,
            rows_per_day,
            open_days: open_days(days.keys().copied(), *first, *last),
        })
    }

    /// Whether the series is observed around the clock every day: then the session adds
    /// nothing to its frequency.
    pub fn is_whole_day(&self) -> bool {
        self.covers_the_clock() && self.open_days.iter().all(|open| *open)
    }

    /// Whether a day holds every time of the clock (at its frequency).
    pub fn covers_the_clock(&self) -> bool {
        self.times.len() * self.minutes as usize >= MINUTES_PER_DAY
    }

    /// Whether this is a daily series' session: a row a day, on its open days.
    pub fn is_daily(&self) -> bool {
        self.minutes as usize >= MINUTES_PER_DAY
    }

    /// The rows of one cycle where they differ from the frequency's season: a week's of a
    /// daily series closed on some weekdays (its open days), a day's of an intraday series
    /// held for part of each day (its usual rows); `None` for one held every day, or around
    /// the clock, whose frequency gives its season.
    pub fn season(&self) -> Option<usize> {
        match self.is_daily() {
            true if !self.is_whole_day() => {
                Some(self.open_days.iter().filter(|open| **open).count())
            }
            false if !self.covers_the_clock() && self.rows_per_day >= 2 => Some(self.rows_per_day),
            _ => None,
        }
    }

    /// The timestamp after `stamp`: the next time the session holds that day, else the next
    /// open day's first; `None` past the calendar's end.
    pub fn next(&self, stamp: Timestamp) -> Option<Timestamp> {
        let time = stamp.datetime().time();
        let later = self.times.iter().find(|held| **held > time);
        if let (Some(later), true) = (later, self.is_open_on(stamp.date())) {
            return Some(at(stamp.date(), *later));
        }
        let mut date = stamp.date().succ_opt()?;
        while !self.is_open_on(date) {
            date = date.succ_opt()?;
        }
        Some(match stamp.is_intraday() {
            true => at(date, *self.times.first()?),
            false => Timestamp::from_date(date),
        })
    }

    /// The timestamps the session holds between two consecutive rows of `stamps` (ascending)
    /// that are not there: a day's missing rows, not its closed hours (intraday), or the open
    /// days between two rows, not the closed ones (daily).
    pub fn missing(&self, stamps: &[Timestamp]) -> Vec<Timestamp> {
        let mut missing = Vec::new();
        for pair in stamps.windows(2) {
            let date = pair[0].date();
            if self.is_daily() {
                let between = (date.iter_days().skip(1)).take_while(|day| *day < pair[1].date());
                let open = between.filter(|day| self.is_open_on(*day));
                missing.extend(open.map(Timestamp::from_date));
                continue;
            }
            if pair[1].date() != date {
                continue;
            }
            let (after, before) = (pair[0].datetime().time(), pair[1].datetime().time());
            let between = (self.times.iter()).filter(|time| **time > after && **time < before);
            missing.extend(between.map(|time| at(date, *time)));
        }
        missing
    }

    fn is_open_on(&self, date: NaiveDate) -> bool {
        self.open_days[date.weekday().num_days_from_monday() as usize]
    }
}

/// How often a series' rows come: its frequency and, for an intraday or daily series, its
/// session. Inferred once from the dates, it dates what follows them, finds what is missing
/// inside them and names itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cadence {
    /// The most common gap between rows.
    pub frequency: Frequency,
    /// The hours and weekdays held (intraday and daily series).
    pub session: Option<Session>,
}

impl Cadence {
    /// The cadence of `stamps` (ascending).
    pub fn infer(stamps: &[Timestamp]) -> Self {
        let frequency = Frequency::infer(stamps);
        Self {
            frequency,
            session: Session::of_frequency(stamps, frequency),
        }
    }

    /// The session where it says more than the frequency: not around the clock every day.
    fn narrower_session(&self) -> Option<&Session> {
        (self.session.as_ref()).filter(|session| !session.is_whole_day())
    }

    /// The timestamp after `stamp`: the session's next row, else the frequency's; `None` past
    /// the calendar's end.
    pub fn next(&self, stamp: Timestamp) -> Option<Timestamp> {
        match self.narrower_session() {
            Some(session) => session.next(stamp),
            None => self.frequency.next(stamp),
        }
    }

    /// The timestamps expected inside `stamps` (ascending, the dates it was inferred from)
    /// that are not there: for an intraday series only its session's times within a day, for
    /// a daily one only its open days ([`Session::missing`]); else [`Frequency::missing`].
    pub fn missing(&self, stamps: &[Timestamp]) -> Vec<Timestamp> {
        match &self.session {
            Some(session) => session.missing(stamps),
            None => self.frequency.missing(stamps),
        }
    }
}

impl From<Frequency> for Cadence {
    /// A frequency alone, with no session.
    fn from(frequency: Frequency) -> Self {
        Self {
            frequency,
            session: None,
        }
    }
}

impl std::fmt::Display for Cadence {
    /// The frequency ("monthly", "every 5 minutes"), followed by the session where it is not
    /// around the clock every day ("every 5 minutes, 169 rows a day, 07:00 to 21:00, Monday
    /// to Friday").
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.narrower_session() {
            Some(session) => write!(f, "{}, {session}", self.frequency),
            None => write!(f, "{}", self.frequency),
        }
    }
}

impl std::fmt::Display for Session {
    /// "169 rows a day, 07:00 to 21:00, Monday to Friday"; "09:00 to 11:30 and 12:30 to
    /// 15:00" for a day with a break.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_daily() {
            return write!(f, "{}", days_in_words(&self.open_days));
        }
        let time = |time: NaiveTime| format!("{:02}:{:02}", time.hour(), time.minute());
        let spells: Vec<String> = (self.spells().iter())
            .map(|(from, to)| format!("{} to {}", time(*from), time(*to)))
            .collect();
        let hours = match spells.len() {
            0..=3 => spells.join(" and "),
            count => format!("in {count} spells"),
        };
        write!(
            f,
            "{} rows a day, {hours}, {}",
            self.rows_per_day,
            days_in_words(&self.open_days)
        )
    }
}

impl Session {
    /// The runs of consecutive held times (one step of `minutes` apart), first and last.
    fn spells(&self) -> Vec<(NaiveTime, NaiveTime)> {
        let step = i64::from(self.minutes) * 60;
        let mut spells: Vec<(NaiveTime, NaiveTime)> = Vec::new();
        for time in &self.times {
            match spells.last_mut() {
                Some((_, last)) if (*time - *last).num_seconds() == step => *last = *time,
                _ => spells.push((*time, *time)),
            }
        }
        spells
    }
}

/// The number of rows of each date of `stamps`.
fn rows_per_date(stamps: &[Timestamp]) -> BTreeMap<NaiveDate, usize> {
    let mut days = BTreeMap::<NaiveDate, usize>::new();
    for stamp in stamps {
        *days.entry(stamp.date()).or_default() += 1;
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
/// the times the span from `first` to `last` holds it, or held twice at most by that span;
/// every weekday where that would leave none.
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
    let open = std::array::from_fn(|day| spanned[day] < 2 || observed[day] * 4 >= spanned[day]);
    // a few days scattered over a long span close no day: none would be left to forecast on
    match open.iter().any(|open| *open) {
        true => open,
        false => [true; 7],
    }
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

    fn stamp_at(date: NaiveDate, hour: u32, minute: u32) -> Timestamp {
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
        assert_eq!(session.times.len(), 169);
        assert_eq!(session.times[0], time(7, 0));
        assert_eq!(session.times[168], time(21, 0));
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
        let at_close = session.next(stamp_at(friday, 20, 55)).unwrap();
        assert_eq!(at_close, stamp_at(friday, 21, 0));
        assert_eq!(session.next(at_close), Some(stamp_at(monday, 7, 0)));
        // the session's rows follow each other exactly as the data's do
        let mut row = stamps[0];
        for expected in &stamps[1..] {
            row = session.next(row).unwrap();
            assert_eq!(row, *expected);
        }
    }

    #[test]
    fn a_lunch_break_is_no_missing_row_and_the_afternoon_follows_the_morning() {
        let lunch = |date: NaiveDate| weekday(date);
        let mut stamps: Vec<Timestamp> = session_rows(21, 60, time(9, 0), time(15, 0), lunch)
            .into_iter()
            .filter(|stamp| stamp.datetime().time() != time(12, 0))
            .collect();
        // one row missing: Wednesday 2024-01-10 10:00
        let wednesday = NaiveDate::from_ymd_opt(2024, 1, 10).unwrap();
        stamps.retain(|stamp| *stamp != stamp_at(wednesday, 10, 0));
        let session = Session::infer(&stamps).unwrap();
        assert_eq!(session.rows_per_day, 6);
        assert_eq!(
            session.to_string(),
            "6 rows a day, 09:00 to 11:00 and 13:00 to 15:00, Monday to Friday"
        );
        assert_eq!(session.missing(&stamps), [stamp_at(wednesday, 10, 0)]);
        assert_eq!(
            Cadence::infer(&stamps).missing(&stamps),
            [stamp_at(wednesday, 10, 0)]
        );
        assert_eq!(
            session.next(stamp_at(wednesday, 11, 0)),
            Some(stamp_at(wednesday, 13, 0))
        );
        // an hourly series' own gaps inside a day were its missing rows, lunch included
        assert_eq!(Frequency::Minutes(60).missing(&stamps).len(), 16);
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
            session.next(stamp_at(wednesday, 17, 0)),
            Some(stamp_at(thursday, 9, 0))
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
            session.next(stamp_at(thursday, 23, 0)),
            Some(stamp_at(friday, 0, 0))
        );
        assert_eq!(
            session.next(stamp_at(friday, 23, 0)),
            Some(stamp_at(monday, 0, 0))
        );
    }

    #[test]
    fn a_shop_closed_on_sundays_opens_six_days_a_week() {
        let monday = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let wednesday = NaiveDate::from_ymd_opt(2024, 1, 10).unwrap();
        let days: Vec<Timestamp> = (monday.iter_days().take(27))
            .filter(|day| day.weekday() != Weekday::Sun && *day != wednesday)
            .map(Timestamp::from_date)
            .collect();
        let session = Session::infer(&days).unwrap();
        assert!(session.is_daily() && !session.is_whole_day());
        assert_eq!(session.season(), Some(6));
        assert_eq!(session.to_string(), "Monday to Saturday");
        assert_eq!(
            Cadence::infer(&days).to_string(),
            "daily, Monday to Saturday"
        );
        // Saturday 2024-01-27 is followed by Monday, a date like the series' own
        let saturday = Timestamp::from_date(NaiveDate::from_ymd_opt(2024, 1, 27).unwrap());
        let next = session.next(saturday).unwrap();
        assert_eq!(next.to_string(), "2024-01-29");
        assert!(!next.is_intraday());
        // the missing Wednesday is missing; Sundays are not
        assert_eq!(
            Cadence::infer(&days).missing(&days),
            [Timestamp::from_date(wednesday)]
        );
        // a market's series with one stray Sunday row stays a market's: Monday to Friday
        let mut market: Vec<Timestamp> = (monday.iter_days().take(40))
            .filter(|day| weekday(*day))
            .map(Timestamp::from_date)
            .collect();
        market.insert(
            5,
            Timestamp::from_date(NaiveDate::from_ymd_opt(2024, 1, 7).unwrap()),
        );
        assert_eq!(Frequency::infer(&market), Frequency::Daily);
        let session = Session::infer(&market).unwrap();
        assert_eq!(session.season(), Some(5));
        assert!(Cadence::infer(&market).missing(&market).is_empty());
        // every day of the week: the frequency alone
        let every_day: Vec<Timestamp> = (monday.iter_days().take(40))
            .map(Timestamp::from_date)
            .collect();
        assert!(Session::infer(&every_day).unwrap().is_whole_day());
        assert_eq!(Cadence::infer(&every_day).to_string(), "daily");
    }

    #[test]
    fn months_steps_and_a_single_day_have_no_session() {
        let monday = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let months: Vec<Timestamp> = (0..30)
            .map(|month| Timestamp::from_date(monday + chrono::Months::new(month)))
            .collect();
        assert_eq!(Session::infer(&months), None);
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
            Cadence::infer(&weekdays).to_string(),
            "hourly, 9 rows a day, 09:00 to 17:00, Monday to Friday"
        );
        let every_day = session_rows(21, 60, time(0, 0), time(23, 0), |_| true);
        assert_eq!(Cadence::infer(&every_day).to_string(), "hourly");
        let monday = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let days: Vec<Timestamp> = (monday.iter_days().take(30))
            .map(Timestamp::from_date)
            .collect();
        assert_eq!(Cadence::infer(&days).to_string(), "daily");
    }

    #[test]
    fn scattered_days_and_drifting_times_leave_the_frequency_alone() {
        // hourly rows on one day in ten: every weekday is held on too few of its dates, but a
        // forecast needs a day to go on
        let monday = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let stamps: Vec<Timestamp> = (0..8_u64)
            .flat_map(|day| {
                let date = monday + chrono::Days::new(10 * day);
                (0..24).map(move |hour| stamp_at(date, hour, 0))
            })
            .collect();
        let session = Session::infer(&stamps).unwrap();
        assert_eq!(session.open_days, [true; 7]);
        let last = *stamps.last().unwrap();
        assert_eq!(session.next(last), last.plus_seconds(3_600));
        // a logger whose seconds drift: its times of day repeat on no day
        let drifting: Vec<Timestamp> = (0..3_000_i64)
            .map(|row| stamp_at(monday, 0, 0).plus_seconds(row * 601).unwrap())
            .collect();
        assert_eq!(Frequency::infer(&drifting), Frequency::Minutes(10));
        assert_eq!(Session::infer(&drifting), None);
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
