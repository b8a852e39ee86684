//! When a row was observed: a date (daily and coarser series), a date and a time of day to
//! the second (intraday series: hourly, every 5 minutes, …), or a time step (a series indexed
//! by whole numbers, `[data] date_format = "step"`).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// The time of one row. A series' timestamps are all dates, all date-times (intraday) or all
/// steps; a date is written `YYYY-MM-DD`, a date-time `YYYY-MM-DD HH:MM:SS`, a step as its
/// number. Ordered by time.
///
/// Held in 8 bytes (seconds since 1970-01-01 00:00, or the step number, and its kind), so
/// that a series of ten million rows keeps its times in 80 MB.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// `position << 2 | kind`: ordered by the position (seconds, or the step number).
    packed: i64,
}

const SECONDS_PER_DAY: i64 = 86_400;

/// The kinds of timestamp, in the packed value's two low bits.
const DATE: i64 = 0;
const DATETIME: i64 = 1;
const STEP: i64 = 2;

/// The steps a [`Timestamp`] holds: about ±2.3 × 10¹⁸.
const STEP_RANGE: std::ops::RangeInclusive<i64> = (i64::MIN >> 2)..=(i64::MAX >> 2);

impl Timestamp {
    /// The timestamp of a date (of a daily or coarser series).
    pub fn from_date(date: NaiveDate) -> Self {
        Self::pack(date.and_time(NaiveTime::MIN).and_utc().timestamp(), DATE)
    }

    /// The timestamp of a date and time of day (of an intraday series); fractions of a
    /// second are dropped.
    pub fn from_datetime(datetime: NaiveDateTime) -> Self {
        Self::pack(datetime.and_utc().timestamp(), DATETIME)
    }

    /// The timestamp of time step `step` (of a series indexed by whole numbers); `None`
    /// beyond about ±2.3 × 10¹⁸.
    pub fn from_step(step: i64) -> Option<Self> {
        STEP_RANGE.contains(&step).then(|| Self::pack(step, STEP))
    }

    fn pack(position: i64, kind: i64) -> Self {
        Self {
            packed: (position << 2) | kind,
        }
    }

    fn kind(self) -> i64 {
        self.packed & 0b11
    }

    /// Seconds since 1970-01-01 00:00 (for a step, its number: see [`Self::step`]).
    pub fn seconds(self) -> i64 {
        self.packed >> 2
    }

    /// Whether this is a time of day of an intraday series (else a date or a step).
    pub fn is_intraday(self) -> bool {
        self.kind() == DATETIME
    }

    /// The step number of a step, `None` for a date or a date-time.
    pub fn step(self) -> Option<i64> {
        (self.kind() == STEP).then_some(self.packed >> 2)
    }

    /// Whether this is a time step (of a series indexed by whole numbers), with no date.
    pub fn is_step(self) -> bool {
        self.kind() == STEP
    }

    /// The date and time; a step has none and gets 1970-01-01 plus its number of days, so
    /// code that reads dates (calendar inputs, the frequency's calendar) must ask
    /// [`Self::is_step`] first.
    pub fn datetime(self) -> NaiveDateTime {
        let seconds = match self.step() {
            Some(step) => step.saturating_mul(SECONDS_PER_DAY),
            None => self.seconds(),
        };
        chrono::DateTime::from_timestamp(seconds, 0)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
            .naive_utc()
    }

    /// The date.
    pub fn date(self) -> NaiveDate {
        self.datetime().date()
    }

    /// Seconds from `earlier` to this one (steps from one step to another).
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
        if self.is_step() {
            return Self::from_step(later);
        }
        chrono::DateTime::from_timestamp(later, 0)?;
        Some(Self::pack(later, self.kind()))
    }

    /// The same time of day on `date`, of the same kind (a date for a step).
    pub fn on_date(self, date: NaiveDate) -> Self {
        let seconds = date.and_time(self.datetime().time()).and_utc().timestamp();
        let kind = if self.is_intraday() { DATETIME } else { DATE };
        Self::pack(seconds, kind)
    }
}

impl From<NaiveDate> for Timestamp {
    fn from(date: NaiveDate) -> Self {
        Self::from_date(date)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind() {
            STEP => write!(f, "{}", self.seconds()),
            DATETIME => write!(f, "{}", self.datetime().format("%Y-%m-%d %H:%M:%S")),
            _ => write!(f, "{}", self.date()),
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

    #[test]
    fn steps_print_as_numbers_order_by_number_and_stop_at_their_range() {
        let step = Timestamp::from_step(-3).unwrap();
        assert_eq!(
            (step.step(), step.is_step(), step.is_intraday()),
            (Some(-3), true, false)
        );
        assert_eq!(step.to_string(), "-3");
        let later = step.plus_seconds(5).unwrap();
        assert_eq!(
            (later.to_string(), later.seconds_since(step)),
            ("2".into(), 5)
        );
        assert!(step < later);
        let day = Timestamp::from_date(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        assert_eq!((day.step(), day.is_step()), (None, false));
        let last = Timestamp::from_step(*STEP_RANGE.end()).unwrap();
        assert_eq!(last.plus_seconds(1), None);
        assert_eq!(Timestamp::from_step(i64::MAX), None);
        assert_eq!(
            Timestamp::from_step(i64::MIN >> 2).unwrap().step(),
            Some(i64::MIN >> 2)
        );
    }
}
