//! When a row was observed: a date (daily and coarser series) or a date and a time of day to
//! the second (intraday series: hourly, every 5 minutes, …).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// The time of one row. A series' timestamps are all dates or all date-times (intraday); a
/// date is written `YYYY-MM-DD`, a date-time `YYYY-MM-DD HH:MM:SS`. Ordered by time.
///
/// Held in 8 bytes (seconds since 1970-01-01 00:00 and whether it is intraday), so that a
/// series of ten million rows keeps its times in 80 MB.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// `seconds << 1 | intraday`: ordered by the seconds.
    packed: i64,
}

const SECONDS_PER_DAY: i64 = 86_400;

impl Timestamp {
    /// The timestamp of a date (of a daily or coarser series).
    pub fn from_date(date: NaiveDate) -> Self {
        Self::pack(date.and_time(NaiveTime::MIN).and_utc().timestamp(), false)
    }

    /// The timestamp of a date and time of day (of an intraday series); fractions of a
    /// second are dropped.
    pub fn from_datetime(datetime: NaiveDateTime) -> Self {
        Self::pack(datetime.and_utc().timestamp(), true)
    }

    fn pack(seconds: i64, intraday: bool) -> Self {
        Self {
            packed: (seconds << 1) | i64::from(intraday),
        }
    }

    /// Seconds since 1970-01-01 00:00.
    pub fn seconds(self) -> i64 {
        self.packed >> 1
    }

    /// Whether this is a time of day of an intraday series (else a date).
    pub fn is_intraday(self) -> bool {
        self.packed & 1 == 1
    }

    /// The date and time.
    pub fn datetime(self) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(self.seconds(), 0)
            .expect("a timestamp is made from a valid date and time")
            .naive_utc()
    }

    /// The date.
    pub fn date(self) -> NaiveDate {
        self.datetime().date()
    }

    /// Seconds from `earlier` to this one.
    pub fn seconds_since(self, earlier: Timestamp) -> i64 {
        self.seconds() - earlier.seconds()
    }

    /// Whole days from `earlier` to this one (rounded down).
    pub fn days_since(self, earlier: Timestamp) -> i64 {
        self.seconds_since(earlier).div_euclid(SECONDS_PER_DAY)
    }

    /// This timestamp `seconds` later, of the same kind; `None` past chrono's calendar.
    pub fn plus_seconds(self, seconds: i64) -> Option<Self> {
        let later = self.seconds().checked_add(seconds)?;
        chrono::DateTime::from_timestamp(later, 0)?;
        (later.checked_mul(2).is_some()).then(|| Self::pack(later, self.is_intraday()))
    }

    /// The same time of day on `date`, of the same kind.
    pub fn on_date(self, date: NaiveDate) -> Self {
        let seconds = date.and_time(self.datetime().time()).and_utc().timestamp();
        Self::pack(seconds, self.is_intraday())
    }
}

impl From<NaiveDate> for Timestamp {
    fn from(date: NaiveDate) -> Self {
        Self::from_date(date)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.is_intraday() {
            true => write!(f, "{}", self.datetime().format("%Y-%m-%d %H:%M:%S")),
            false => write!(f, "{}", self.date()),
        }
    }
}

impl std::fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_round_trip_and_print_as_their_kind() {
        let date = NaiveDate::from_ymd_opt(1700, 3, 1).unwrap();
        let day = Timestamp::from_date(date);
        assert_eq!((day.date(), day.is_intraday()), (date, false));
        assert_eq!(day.to_string(), "1700-03-01");
        let time = date.and_hms_opt(9, 30, 0).unwrap();
        let stamp = Timestamp::from_datetime(time);
        assert_eq!((stamp.datetime(), stamp.is_intraday()), (time, true));
        assert_eq!(stamp.to_string(), "1700-03-01 09:30:00");
        assert_eq!(stamp.seconds_since(day), 9 * 3600 + 30 * 60);
        assert!(day < stamp);
        let midnight = Timestamp::from_datetime(date.and_time(NaiveTime::MIN));
        assert_eq!(midnight.to_string(), "1700-03-01 00:00:00");
        assert_eq!(size_of::<Timestamp>(), 8);
    }

    #[test]
    fn arithmetic_keeps_the_kind_and_stops_at_the_calendars_end() {
        let date = NaiveDate::from_ymd_opt(2024, 2, 28).unwrap();
        let stamp = Timestamp::from_datetime(date.and_hms_opt(23, 0, 0).unwrap());
        let later = stamp.plus_seconds(3600).unwrap();
        assert_eq!(later.to_string(), "2024-02-29 00:00:00");
        assert_eq!(later.days_since(stamp), 0);
        let moved = stamp.on_date(NaiveDate::from_ymd_opt(2024, 3, 31).unwrap());
        assert_eq!(moved.to_string(), "2024-03-31 23:00:00");
        let end = Timestamp::from_date(NaiveDate::MAX);
        assert_eq!(end.plus_seconds(SECONDS_PER_DAY), None);
    }
}
