//! Calendar features: the position of each row's time in the day, the week, the year or the
//! month cycle, as sine/cosine pairs so that the end of a cycle sits next to its start.

use chrono::{Datelike, NaiveDate, Timelike};
use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::series::{Column, TimeSeries};
use crate::timestamp::Timestamp;

/// A calendar cycle a series may move with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarFeature {
    /// Midnight to midnight (for intraday series).
    HourOfDay,
    /// Monday to Sunday.
    DayOfWeek,
    /// January to December.
    Month,
    /// The first to the last day of the year.
    DayOfYear,
}

impl CalendarFeature {
    /// The name as written in a config.
    pub fn name(self) -> &'static str {
        match self {
            Self::HourOfDay => "hour_of_day",
            Self::DayOfWeek => "day_of_week",
            Self::Month => "month",
            Self::DayOfYear => "day_of_year",
        }
    }

    /// The share of the cycle that has passed at `stamp`, in [0, 1).
    pub fn phase(self, stamp: Timestamp) -> f64 {
        let date: NaiveDate = stamp.date();
        match self {
            Self::HourOfDay => f64::from(stamp.datetime().num_seconds_from_midnight()) / 86_400.0,
            Self::DayOfWeek => f64::from(date.weekday().num_days_from_monday()) / 7.0,
            Self::Month => f64::from(date.month0()) / 12.0,
            Self::DayOfYear => {
                let days_in_year = if date.leap_year() { 366.0 } else { 365.0 };
                f64::from(date.ordinal0()) / days_in_year
            }
        }
    }

    /// The names of the two columns this feature adds: `<name>_sin` and `<name>_cos`.
    pub fn column_names(self) -> [String; 2] {
        [
            format!("{}_sin", self.name()),
            format!("{}_cos", self.name()),
        ]
    }

    /// The sine and cosine of the phase of every timestamp.
    pub fn columns(self, stamps: &[Timestamp]) -> [Column; 2] {
        let angles: Vec<f64> = stamps
            .iter()
            .map(|stamp| std::f64::consts::TAU * self.phase(*stamp))
            .collect();
        let [sin_name, cos_name] = self.column_names();
        [
            Column {
                name: sin_name,
                values: angles.iter().map(|a| a.sin()).collect(),
            },
            Column {
                name: cos_name,
                values: angles.iter().map(|a| a.cos()).collect(),
            },
        ]
    }
}

/// The names of the columns `features` add, in order.
pub fn column_names(features: &[CalendarFeature]) -> Vec<String> {
    features.iter().flat_map(|f| f.column_names()).collect()
}

/// An error when `features` are asked of a series indexed by time steps (`date_format =
/// "step"`), which has no calendar: the check before [`add_columns`].
pub fn check_dates(series: &TimeSeries, features: &[CalendarFeature]) -> Result<(), DataError> {
    match (
        features.first(),
        series.dates.iter().any(|date| date.is_step()),
    ) {
        (Some(feature), true) => Err(DataError::CalendarOfSteps {
            source_name: series.source_name.clone(),
            feature: feature.name().to_string(),
        }),
        _ => Ok(()),
    }
}

/// Adds the columns of `features` to `series` (replacing columns of the same name); a series of
/// time steps is refused by [`check_dates`] before (its steps would read as days from 1970).
pub fn add_columns(series: &mut TimeSeries, features: &[CalendarFeature]) {
    for feature in features {
        for column in feature.columns(&series.dates) {
            series.columns.retain(|c| c.name != column.name);
            series.columns.push(column);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Timestamp {
        Timestamp::from_date(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn known_dates_have_known_phases() {
        // 2024-01-01 was a Monday, 2024-01-04 a Thursday
        assert_eq!(CalendarFeature::DayOfWeek.phase(date(2024, 1, 1)), 0.0);
        assert!(close(
            CalendarFeature::DayOfWeek.phase(date(2024, 1, 4)),
            3.0 / 7.0
        ));
        assert!(close(
            CalendarFeature::Month.phase(date(2023, 7, 15)),
            6.0 / 12.0
        ));
        // 2024 is a leap year: 31 December is day 366
        assert!(close(
            CalendarFeature::DayOfYear.phase(date(2024, 12, 31)),
            365.0 / 366.0
        ));
        assert_eq!(CalendarFeature::DayOfYear.phase(date(2023, 1, 1)), 0.0);
        let six_pm = NaiveDate::from_ymd_opt(2024, 1, 1)
            .unwrap()
            .and_hms_opt(18, 0, 0)
            .unwrap();
        assert_eq!(
            CalendarFeature::HourOfDay.phase(Timestamp::from_datetime(six_pm)),
            0.75
        );
    }

    #[test]
    fn a_series_of_time_steps_has_no_calendar() {
        let series = TimeSeries {
            source_name: "steps.csv".into(),
            dates: (1..=3).filter_map(Timestamp::from_step).collect(),
            columns: vec![Column {
                name: "value".into(),
                values: vec![1.0, 2.0, 3.0],
            }],
        };
        let message = check_dates(&series, &[CalendarFeature::Month])
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("steps.csv: [data] calendar asks for 'month'"),
            "{message}"
        );
        assert!(check_dates(&series, &[]).is_ok());
    }

    #[test]
    fn encoding_is_a_point_on_the_unit_circle() {
        let dates = [date(2024, 1, 1), date(2024, 4, 1), date(2024, 7, 1)];
        let [sin, cos] = CalendarFeature::Month.columns(&dates);
        assert_eq!(sin.name, "month_sin");
        assert_eq!(cos.name, "month_cos");
        // January: angle 0; April: a quarter turn; July: half a turn
        assert!(close(sin.values[0], 0.0) && close(cos.values[0], 1.0));
        assert!(close(sin.values[1], 1.0) && close(cos.values[1], 0.0));
        assert!(close(sin.values[2], 0.0) && close(cos.values[2], -1.0));
        // Sunday sits next to Monday
        let [sin, cos] = CalendarFeature::DayOfWeek.columns(&[date(2024, 1, 7), date(2024, 1, 8)]);
        let gap = ((sin.values[0] - sin.values[1]).powi(2)
            + (cos.values[0] - cos.values[1]).powi(2))
        .sqrt();
        assert!(close(gap, 2.0 * (std::f64::consts::PI / 7.0).sin()));
    }
}
