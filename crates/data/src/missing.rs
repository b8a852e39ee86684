//! What to do with empty cells and with dates missing inside a series (`[data] missing`).

use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// How a series' holes are handled: empty cells (or `NA`, `NaN`, `null`) in a used column, and
/// dates its frequency expects that are not there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// An empty cell is an error naming its row and column (missing dates are reported).
    #[default]
    Error,
    /// Rows with an empty or non-numeric used cell are dropped (missing dates are reported).
    Drop,
    /// Missing dates get rows, and every hole takes the last value before it.
    Ffill,
    /// Missing dates get rows, and every hole is interpolated linearly in time between the
    /// values around it (the last value carries on after the last known one).
    Interpolate,
}

impl MissingPolicy {
    /// Whether holes are filled (and missing dates inserted).
    pub fn fills(self) -> bool {
        matches!(self, Self::Ffill | Self::Interpolate)
    }

    /// Fills the holes (`None`) of `values`, observed at `stamps`, as the policy says; values
    /// before the first known one stay `None`. Does nothing for `Error` and `Drop`.
    pub fn fill(self, stamps: &[Timestamp], values: &mut [Option<f64>]) {
        if !self.fills() {
            return;
        }
        let mut previous: Option<usize> = None;
        for index in 0..values.len() {
            if values[index].is_some() {
                previous = Some(index);
                continue;
            }
            let Some(before) = previous else {
                continue;
            };
            let after = (index + 1..values.len()).find(|later| values[*later].is_some());
            values[index] = match (self, after) {
                (Self::Interpolate, Some(after)) => {
                    let (start, end) = (values[before].unwrap(), values[after].unwrap());
                    let span = stamps[after].seconds_since(stamps[before]) as f64;
                    let elapsed = stamps[index].seconds_since(stamps[before]) as f64;
                    Some(start + (end - start) * elapsed / span)
                }
                _ => values[before],
            };
        }
    }
}

/// Whether a cell's text stands for a missing value: empty, `NA`, `N/A`, `NaN`, `null`,
/// `None` or `.` (any case).
pub fn is_missing_token(text: &str) -> bool {
    let text = text.trim();
    text.is_empty()
        || ["na", "n/a", "nan", "null", "none", "."]
            .iter()
            .any(|token| text.eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(offsets: &[u64]) -> Vec<Timestamp> {
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        offsets
            .iter()
            .map(|d| Timestamp::from_date(start + chrono::Days::new(*d)))
            .collect()
    }

    #[test]
    fn holes_are_filled_forward_or_in_proportion_to_time() {
        let dates = days(&[0, 1, 2, 4, 5]);
        let values = [None, Some(10.0), None, None, Some(14.0)];
        let mut forward = values;
        MissingPolicy::Ffill.fill(&dates, &mut forward);
        assert_eq!(
            forward,
            [None, Some(10.0), Some(10.0), Some(10.0), Some(14.0)]
        );
        let mut linear = values;
        MissingPolicy::Interpolate.fill(&dates, &mut linear);
        // day 2 of 1..5: a quarter of the way; day 4: three quarters
        assert_eq!(
            linear,
            [None, Some(10.0), Some(11.0), Some(13.0), Some(14.0)]
        );
        // after the last known value the last value carries on
        let mut tail = [Some(1.0), None];
        MissingPolicy::Interpolate.fill(&days(&[0, 1]), &mut tail);
        assert_eq!(tail, [Some(1.0), Some(1.0)]);
        let mut untouched = values;
        MissingPolicy::Error.fill(&dates, &mut untouched);
        assert_eq!(untouched, values);
    }

    #[test]
    fn missing_tokens() {
        for token in ["", " ", "NA", "n/a", "NaN", "null", "None", "."] {
            assert!(is_missing_token(token), "{token:?}");
        }
        for value in ["0", "1.5", "abc"] {
            assert!(!is_missing_token(value), "{value:?}");
        }
    }
}
