//! How often a series is observed, inferred from its timestamps: what the next timestamp after
//! the last one is (for `predict`), and which are missing inside the series.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::Serialize;

use crate::timestamp::Timestamp;

/// The spacing of a series' timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every this many minutes, through the day and night (60 = hourly). Only gaps inside one
    /// day count as missing: markets' closed nights and weekends do not (and with the hours
    /// a series holds, [`crate::session::Session`], neither do its daily breaks).
    Minutes(u32),
    /// Every calendar day.
    Daily,
    /// Monday to Friday (market data; holidays show as missing dates).
    BusinessDaily,
    /// Every 7 days.
    Weekly,
    /// Once a month, on the same day of the month (or its last day).
    Monthly,
    /// Every three months.
    Quarterly,
    /// Once a year.
    Yearly,
    /// No regular spacing: steps of about this many days (the most common gap).
    Irregular(u64),
    /// Every this many time steps, of a series indexed by whole numbers rather than dates
    /// (`[data] date_format = "step"`): no calendar, so no season of its own.
    Steps(u64),
}

const SECONDS_PER_DAY: i64 = 86_400;

impl Frequency {
    /// The frequency of `stamps` (ascending): from the most common gap between consecutive
    /// ones (the smallest of equally common ones); under a day, every so many minutes;
    /// business-daily when daily data never falls on a weekend. A single timestamp counts as
    /// daily (hourly if it has a time of day). Steps go by their most common gap.
    pub fn infer(stamps: &[Timestamp]) -> Self {
        if stamps.first().is_some_and(|stamp| stamp.is_step()) {
            return Self::Steps(most_common_gap(stamps).unwrap_or(1).max(1) as u64);
        }
        let intraday = stamps.first().is_some_and(|stamp| stamp.is_intraday());
        let Some(gap) = most_common_gap(stamps) else {
            return match intraday {
                true => Self::Minutes(60),
                false => Self::Daily,
            };
        };
        if gap < SECONDS_PER_DAY {
            return Self::Minutes(u32::try_from(gap / 60).unwrap_or(1).max(1));
        }
        let on_weekend =
            |stamp: &Timestamp| matches!(stamp.date().weekday(), Weekday::Sat | Weekday::Sun);
        match gap / SECONDS_PER_DAY {
            1 if !stamps.iter().any(on_weekend) => Self::BusinessDaily,
            1 => Self::Daily,
            6..=8 => Self::Weekly,
            28..=31 => Self::Monthly,
            89..=92 => Self::Quarterly,
            365 | 366 => Self::Yearly,
            days => Self::Irregular(days.max(1) as u64),
        }
    }

    /// The timestamp after `stamp` (at the same time of day for daily and coarser
    /// frequencies), or `None` past the calendar's end.
    pub fn next(self, stamp: Timestamp) -> Option<Timestamp> {
        let date = stamp.date();
        let next_date = match self {
            Self::Minutes(minutes) => return stamp.plus_seconds(i64::from(minutes) * 60),
            Self::Steps(steps) => return stamp.plus_seconds(i64::try_from(steps).ok()?),
            Self::Daily => date.succ_opt(),
            Self::BusinessDaily => {
                let mut next = date.succ_opt()?;
                while matches!(next.weekday(), Weekday::Sat | Weekday::Sun) {
                    next = next.succ_opt()?;
                }
                Some(next)
            }
            Self::Weekly => date.checked_add_days(Days::new(7)),
            Self::Monthly => add_months(date, 1),
            Self::Quarterly => add_months(date, 3),
            Self::Yearly => add_months(date, 12),
            Self::Irregular(days) => date.checked_add_days(Days::new(days)),
        }?;
        Some(stamp.on_date(next_date))
    }

    /// The timestamps this frequency expects between the first and the last of `stamps` that
    /// are not there (none for an irregular series; for an intraday one, only inside a day).
    pub fn missing(self, stamps: &[Timestamp]) -> Vec<Timestamp> {
        if matches!(self, Self::Irregular(_)) {
            return Vec::new();
        }
        let mut missing = Vec::new();
        for pair in stamps.windows(2) {
            if matches!(self, Self::Minutes(_)) && pair[0].date() != pair[1].date() {
                continue;
            }
            let mut expected = self.next(pair[0]);
            while let Some(stamp) = expected.filter(|stamp| *stamp < pair[1]) {
                missing.push(stamp);
                expected = self.next(stamp);
            }
        }
        missing
    }
}

/// The most common gap between consecutive `stamps` (the smallest of equally common ones), in
/// seconds (in steps between steps); `None` for fewer than two.
fn most_common_gap(stamps: &[Timestamp]) -> Option<i64> {
    let mut counts = std::collections::BTreeMap::<i64, usize>::new();
    for pair in stamps.windows(2) {
        *counts.entry(pair[1].seconds_since(pair[0])).or_default() += 1;
    }
    let most = counts.values().max().copied()?;
    (counts.into_iter()).find_map(|(gap, count)| (count == most).then_some(gap))
}

/// `date` plus `months`, on the last day of the month when `date` is a month's last day.
fn add_months(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    let is_month_end = date
        .succ_opt()
        .is_none_or(|next| next.month() != date.month());
    let next = date.checked_add_months(Months::new(months))?;
    if !is_month_end {
        return Some(next);
    }
    let first_of_following = next.with_day(1)?.checked_add_months(Months::new(1))?;
    first_of_following.pred_opt()
}

impl std::fmt::Display for Frequency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Minutes(60) => write!(f, "hourly"),
            Self::Minutes(minutes) if minutes % 60 == 0 => {
                write!(f, "every {} hours", minutes / 60)
            }
            Self::Minutes(minutes) => write!(f, "every {minutes} minutes"),
            Self::Daily => write!(f, "daily"),
            Self::BusinessDaily => write!(f, "business-daily"),
            Self::Weekly => write!(f, "weekly"),
            Self::Monthly => write!(f, "monthly"),
            Self::Quarterly => write!(f, "quarterly"),
            Self::Yearly => write!(f, "yearly"),
            Self::Irregular(days) => write!(f, "irregular (about every {days} days)"),
            Self::Steps(1) => write!(f, "every step"),
            Self::Steps(steps) => write!(f, "every {steps} steps"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> Timestamp {
        Timestamp::from_date(NaiveDate::from_ymd_opt(year, month, day).unwrap())
    }

    fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> Timestamp {
        let date = NaiveDate::from_ymd_opt(year, month, day).unwrap();
        Timestamp::from_datetime(date.and_hms_opt(hour, minute, 0).unwrap())
    }

    /// `count` timestamps from `start`, each `frequency.next` of the one before.
    fn series(start: Timestamp, frequency: Frequency, count: usize) -> Vec<Timestamp> {
        std::iter::successors(Some(start), |stamp| frequency.next(*stamp))
            .take(count)
            .collect()
    }

    #[test]
    fn each_frequency_is_inferred_from_its_own_dates() {
        let start = day(2021, 1, 4); // a Monday
        for frequency in [
            Frequency::Daily,
            Frequency::BusinessDaily,
            Frequency::Weekly,
            Frequency::Monthly,
            Frequency::Quarterly,
            Frequency::Yearly,
        ] {
            let dates = series(start, frequency, 40);
            assert_eq!(Frequency::infer(&dates), frequency, "{frequency}");
            assert!(frequency.missing(&dates).is_empty(), "{frequency}");
        }
        let every_ten_days = series(start, Frequency::Irregular(10), 20);
        assert_eq!(Frequency::infer(&every_ten_days), Frequency::Irregular(10));
        for minutes in [1, 5, 15, 60, 240] {
            let frequency = Frequency::Minutes(minutes);
            let stamps = series(at(2024, 1, 5, 22, 0), frequency, 500);
            assert_eq!(Frequency::infer(&stamps), frequency, "{frequency}");
            assert!(frequency.missing(&stamps).is_empty(), "{frequency}");
        }
        assert_eq!(Frequency::Minutes(60).to_string(), "hourly");
        assert_eq!(Frequency::Minutes(15).to_string(), "every 15 minutes");
    }

    #[test]
    fn intraday_gaps_count_inside_a_day_only() {
        // trading hours 9:00 to 16:00 on two days; 11:00 is missing on the first
        let mut stamps: Vec<Timestamp> = (9..=16)
            .map(|hour| at(2024, 1, 8, hour, 0))
            .chain((9..=16).map(|hour| at(2024, 1, 9, hour, 0)))
            .collect();
        stamps.retain(|stamp| *stamp != at(2024, 1, 8, 11, 0));
        assert_eq!(Frequency::infer(&stamps), Frequency::Minutes(60));
        assert_eq!(
            Frequency::Minutes(60).missing(&stamps),
            vec![at(2024, 1, 8, 11, 0)]
        );
        // the hour after the last one, across midnight
        assert_eq!(
            Frequency::Minutes(60).next(at(2024, 1, 9, 23, 0)),
            Some(at(2024, 1, 10, 0, 0))
        );
        // daily data with a time keeps its time of day
        assert_eq!(
            Frequency::BusinessDaily.next(at(2024, 1, 5, 16, 0)),
            Some(at(2024, 1, 8, 16, 0))
        );
    }

    #[test]
    fn next_dates_follow_the_calendar() {
        // Friday → Monday; month ends stay month ends; the 15th stays the 15th
        assert_eq!(
            Frequency::BusinessDaily.next(day(2024, 1, 5)),
            Some(day(2024, 1, 8))
        );
        assert_eq!(
            Frequency::Monthly.next(day(2024, 1, 31)),
            Some(day(2024, 2, 29))
        );
        assert_eq!(
            Frequency::Monthly.next(day(2024, 2, 29)),
            Some(day(2024, 3, 31))
        );
        assert_eq!(
            Frequency::Monthly.next(day(2024, 1, 15)),
            Some(day(2024, 2, 15))
        );
        assert_eq!(
            Frequency::Quarterly.next(day(2024, 3, 31)),
            Some(day(2024, 6, 30))
        );
        assert_eq!(
            Frequency::Yearly.next(day(2024, 2, 29)),
            Some(day(2025, 2, 28))
        );
        assert_eq!(
            Frequency::Daily.next(Timestamp::from_date(NaiveDate::MAX)),
            None
        );
    }

    #[test]
    fn gaps_are_found() {
        // business days with a holiday (Monday 2024-01-15) left out
        let mut dates = series(day(2024, 1, 8), Frequency::BusinessDaily, 10);
        dates.retain(|date| *date != day(2024, 1, 15));
        assert_eq!(Frequency::infer(&dates), Frequency::BusinessDaily);
        assert_eq!(
            Frequency::BusinessDaily.missing(&dates),
            vec![day(2024, 1, 15)]
        );
        // a monthly series missing March
        let dates = [
            day(2024, 1, 1),
            day(2024, 2, 1),
            day(2024, 4, 1),
            day(2024, 5, 1),
        ];
        assert_eq!(Frequency::infer(&dates), Frequency::Monthly);
        assert_eq!(Frequency::Monthly.missing(&dates), vec![day(2024, 3, 1)]);
    }

    #[test]
    fn steps_go_by_their_most_common_gap_and_have_their_gaps_found() {
        let steps = |numbers: &[i64]| -> Vec<Timestamp> {
            (numbers.iter())
                .map(|step| Timestamp::from_step(*step).unwrap())
                .collect()
        };
        let every_step = steps(&[-1, 0, 1, 2, 4, 5]);
        assert_eq!(Frequency::infer(&every_step), Frequency::Steps(1));
        assert_eq!(Frequency::Steps(1).missing(&every_step), steps(&[3]));
        let every_five = steps(&[0, 5, 10, 20]);
        assert_eq!(Frequency::infer(&every_five), Frequency::Steps(5));
        assert_eq!(Frequency::Steps(5).missing(&every_five), steps(&[15]));
        assert_eq!(Frequency::infer(&steps(&[7])), Frequency::Steps(1));
        assert_eq!(
            Frequency::Steps(5).next(every_five[3]),
            steps(&[25]).first().copied()
        );
        assert_eq!(
            (
                Frequency::Steps(1).to_string(),
                Frequency::Steps(5).to_string()
            ),
            ("every step".to_string(), "every 5 steps".to_string())
        );
    }
}
