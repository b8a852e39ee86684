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

/// The values a series' forecasts may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounds {
    /// Any real value: the series has been negative.
    Unbounded,
    /// Zero and above: no value of the history is negative.
    NonNegative,
}

/// Where a series' values first are finite and first are negative: the bounds of a forecast
/// from any origin in constant time (a backtest or a long test period has an origin per row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesBounds {
    rule: ForecastBounds,
    first_finite: Option<usize>,
    first_negative: Option<usize>,
}

impl SeriesBounds {
    /// The bounds `rule` gives forecasts of `values` (oldest first) from each origin.
    pub fn new(rule: ForecastBounds, values: &[f64]) -> Self {
        let finite = |v: &f64| v.is_finite();
        Self {
            rule,
            first_finite: values.iter().position(finite),
            first_negative: values.iter().position(|v| finite(v) && *v < 0.0),
        }
    }

    /// Those of `data`'s target, by its rule.
    pub fn of_data(data: &PreparedData) -> Self {
        Self::new(data.bounds, data.target_values())
    }

    /// The bounds of a forecast from the values up to row `origin_row` (included): with
    /// [`ForecastBounds::Auto`], non-negative when none of them is below zero (and one is
    /// finite).
    pub fn up_to(&self, origin_row: usize) -> Bounds {
        let seen = |row: Option<usize>| row.is_some_and(|row| row <= origin_row);
        match (
            self.rule,
            seen(self.first_finite),
            seen(self.first_negative),
        ) {
            (ForecastBounds::Auto, true, false) => Bounds::NonNegative,
            _ => Bounds::Unbounded,
        }
    }

    /// The bounds of the forecast of `window`: from the values up to its origin.
    pub fn at(&self, window: &Window) -> Bounds {
        self.up_to(window.last_input_row())
    }
}

impl Bounds {
    /// The bounds `rule` gives a series whose known values are `history`: with
    /// [`ForecastBounds::Auto`], non-negative when none of its finite values is below zero
    /// (and it has one).
    pub fn of_history(rule: ForecastBounds, history: &[f64]) -> Self {
        match history.len().checked_sub(1) {
            Some(last) => SeriesBounds::new(rule, history).up_to(last),
            None => Self::Unbounded,
        }
    }

    /// The bounds of the forecast of `window` of `data`: from the target's values up to its
    /// origin, by `data`'s rule.
    pub fn at_origin(data: &PreparedData, window: &Window) -> Self {
        SeriesBounds::of_data(data).at(window)
    }

    /// The bounds of each window of `windows` (of `data`), in order.
    pub fn of_windows(data: &PreparedData, windows: &WindowRun) -> Vec<Self> {
        let series = SeriesBounds::of_data(data);
        windows.iter().map(|window| series.at(&window)).collect()
    }

    /// Each window's forecasts (`[window][step]`) brought within the bounds of its origin
    /// (`bounds`, one per window).
    pub fn apply_by_window(bounds: &[Self], steps: &mut [Vec<f64>]) {
        for (bounds, window) in bounds.iter().zip(steps) {
            bounds.apply_all(window);
        }
    }

    /// The lowest value a forecast may take, if any.
    pub fn lower(self) -> Option<f64> {
        match self {
            Self::Unbounded => None,
            Self::NonNegative => Some(0.0),
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
        // from each origin of one series: bounded until its first negative value
        let series = SeriesBounds::new(ForecastBounds::Auto, &[f64::NAN, 2.0, 0.0, -1.0, 4.0]);
        let by_origin: Vec<Bounds> = (0..5).map(|row| series.up_to(row)).collect();
        let (free, non_negative) = (Bounds::Unbounded, Bounds::NonNegative);
        assert_eq!(by_origin, [free, non_negative, non_negative, free, free]);
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
