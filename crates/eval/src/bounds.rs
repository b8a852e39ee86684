//! The range a forecast stays in: a series that has never been negative up to its forecast
//! origin (counts, sales, prices, rainfall) is forecast non-negative, its point forecasts and
//! interval ends below zero raised to zero.
//!
//! Networks, exponential smoothing and ARIMA all forecast on the real line, and a symmetric
//! conformal interval around a small forecast reaches below zero; a user forecasting sales
//! reads "−1.4 to 3.0" as a defect. For an actual value that is not negative, raising a forecast
//! or an interval's lower end to zero never moves it further away: errors, interval widths,
//! pinball losses and the CRPS can only shrink, and coverage is unchanged. The bound of each
//! forecast is decided on the values up to its origin alone, so nothing from a test period
//! reaches it. `[data] bounds = "none"` turns it off ([`ForecastBounds`]).

use yoho_data::{ForecastBounds, PreparedData, Window, WindowRun};

use crate::baselines::history_up_to_origin;

/// The values a series' forecasts may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounds {
    /// Any real value: the series has been negative.
    Unbounded,
    /// Zero and above: no value of the history is negative.
    NonNegative,
}

impl Bounds {
    /// The bounds `rule` gives a series whose known values are `history`: with
    /// [`ForecastBounds::Auto`], non-negative when none of its finite values is below zero
    /// (and it has one).
    pub fn of_history(rule: ForecastBounds, history: &[f64]) -> Self {
        let finite = history.iter().filter(|v| v.is_finite());
        let never_negative = finite.clone().next().is_some() && finite.clone().all(|v| *v >= 0.0);
        match (rule, never_negative) {
            (ForecastBounds::Auto, true) => Self::NonNegative,
            _ => Self::Unbounded,
        }
    }

    /// The bounds of the forecast of `window` of `data`: from the target's values up to its
    /// origin, by `data`'s rule.
    pub fn at_origin(data: &PreparedData, window: &Window) -> Self {
        Self::of_history(data.bounds, history_up_to_origin(data, window))
    }

    /// The bounds of each window of `windows` (of `data`), in order.
    pub fn of_windows(data: &PreparedData, windows: &WindowRun) -> Vec<Self> {
        windows
            .iter()
            .map(|window| Self::at_origin(data, &window))
            .collect()
    }

    /// Each window's forecasts (`[window][step]`) brought within the bounds of its origin
    /// (`bounds`, one per window).
    pub fn apply_by_window(bounds: &[Self], steps: &mut [Vec<f64>]) {
        for (bounds, window) in bounds.iter().zip(steps) {
            bounds.apply_all(window);
        }
    }

    /// `value` brought within the bounds.
    pub fn apply(self, value: f64) -> f64 {
        match self {
            Self::NonNegative if value < 0.0 => 0.0,
            _ => value,
        }
    }

    /// Every value of `values` brought within the bounds.
    pub fn apply_all(self, values: &mut [f64]) {
        for value in values {
            *value = self.apply(*value);
        }
    }

    /// An interval `(lower, upper)` with both ends brought within the bounds.
    pub fn apply_interval(self, (lower, upper): (f64, f64)) -> (f64, f64) {
        (self.apply(lower), self.apply(upper))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_never_negative_is_bounded_at_zero_and_one_negative_value_unbounds_it() {
        let auto = |history: &[f64]| Bounds::of_history(ForecastBounds::Auto, history);
        assert_eq!(auto(&[3.0, 0.0, 5.0]), Bounds::NonNegative);
        assert_eq!(auto(&[3.0, -0.1, 5.0]), Bounds::Unbounded);
        assert_eq!(auto(&[f64::NAN, 2.0]), Bounds::NonNegative);
        assert_eq!(auto(&[]), Bounds::Unbounded);
        assert_eq!(auto(&[f64::NAN]), Bounds::Unbounded);
        // `bounds = "none"`: never bounded
        let none = Bounds::of_history(ForecastBounds::None, &[3.0, 0.0, 5.0]);
        assert_eq!(none, Bounds::Unbounded);
    }

    #[test]
    fn only_values_below_zero_of_a_non_negative_series_move() {
        let mut steps = vec![vec![-2.0, 0.0, 1.5], vec![3.0, -0.5, -1e-9]];
        let bounds = [Bounds::NonNegative, Bounds::Unbounded];
        Bounds::apply_by_window(&bounds, &mut steps);
        assert_eq!(steps, [vec![0.0, 0.0, 1.5], vec![3.0, -0.5, -1e-9]]);
        assert_eq!(Bounds::NonNegative.apply_interval((-1.4, 3.0)), (0.0, 3.0));
        assert_eq!(Bounds::NonNegative.apply_interval((-3.0, -1.0)), (0.0, 0.0));
        let mut values = [-2.0, 4.0];
        Bounds::Unbounded.apply_all(&mut values);
        assert_eq!(values, [-2.0, 4.0]);
        assert_eq!(Bounds::Unbounded.apply_interval((-1.4, 3.0)), (-1.4, 3.0));
    }
}
