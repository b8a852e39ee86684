//! How often a series is observed, inferred from its dates: what the next date after the last
//! one is (for `predict`), and which dates are missing inside the series.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::Serialize;

/// The spacing of a series' dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
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
}

impl Frequency {
    /// The frequency of `dates` (ascending): from the most common gap between consecutive
    /// dates (the smallest of equally common ones), business-daily when daily data never falls
    /// on a weekend. A single date counts as daily.
    pub fn infer(dates: &[NaiveDate]) -> Self {
        let mut counts = std::collections::BTreeMap::<i64, usize>::new();
        for pair in dates.windows(2) {
            *counts.entry((pair[1] - pair[0]).num_days()).or_default() += 1;
        }
        let Some(most) = counts.values().max().copied() else {
            return Self::Daily;
        };
        let gap = counts
            .iter()
            .find(|(_, count)| **count == most)
            .map_or(1, |(gap, _)| *gap);
        let on_weekend = |date: &NaiveDate| matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        match gap {
            1 if !dates.iter().any(on_weekend) => Self::BusinessDaily,
            1 => Self::Daily,
            6..=8 => Self::Weekly,
            28..=31 => Self::Monthly,
            89..=92 => Self::Quarterly,
            365 | 366 => Self::Yearly,
            days => Self::Irregular(days.max(1) as u64),
        }
    }

    /// The date after `date`, or `None` past the calendar's end.
    pub fn next(self, date: NaiveDate) -> Option<NaiveDate> {
        match self {
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
        }
    }

    /// The dates this frequency expects between the first and the last of `dates` that are not
    /// there (none for an irregular series).
    pub fn missing(self, dates: &[NaiveDate]) -> Vec<NaiveDate> {
        if matches!(self, Self::Irregular(_)) {
            return Vec::new();
        }
        let mut missing = Vec::new();
        for pair in dates.windows(2) {
            let mut expected = self.next(pair[0]);
            while let Some(date) = expected.filter(|date| *date < pair[1]) {
                missing.push(date);
                expected = self.next(date);
            }
        }
        missing
    }
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
            Self::Daily => write!(f, "daily"),
            Self::BusinessDaily => write!(f, "business-daily"),
            Self::Weekly => write!(f, "weekly"),
            Self::Monthly => write!(f, "monthly"),
            Self::Quarterly => write!(f, "quarterly"),
            Self::Yearly => write!(f, "yearly"),
            Self::Irregular(days) => write!(f, "irregular (about every {days} days)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    /// `count` dates from `start`, each `frequency.next` of the one before.
    fn series(start: NaiveDate, frequency: Frequency, count: usize) -> Vec<NaiveDate> {
        std::iter::successors(Some(start), |date| frequency.next(*date))
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
        assert_eq!(Frequency::Daily.next(NaiveDate::MAX), None);
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
}
