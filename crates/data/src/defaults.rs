//! Settings chosen from the data, for a config that leaves them out: the season and calendar
//! inputs of the series' frequency, the held-out periods and the window length for its length
//! and the forecast horizon, and a transform that starts from the seasonal naive forecast.

use crate::calendar::CalendarFeature;
use crate::frequency::Frequency;
use crate::transform::TargetTransform;

/// The fewest training windows the chosen window length leaves a series.
pub const MIN_TRAINING_WINDOWS: usize = 16;

/// Rows per season of a series of `frequency`: the yearly cycle of monthly (12), quarterly (4)
/// and weekly (52) data, the weekly cycle of daily (7) and business-daily (5) data, the daily
/// cycle of intraday data; 1 (no season) for yearly and irregular series.
pub fn season(frequency: Frequency) -> usize {
    match frequency {
        Frequency::Monthly => 12,
        Frequency::Quarterly => 4,
        Frequency::Weekly => 52,
        Frequency::Daily => 7,
        Frequency::BusinessDaily => 5,
        Frequency::Minutes(minutes) if minutes > 0 && 1440 % minutes == 0 => {
            (1440 / minutes) as usize
        }
        _ => 1,
    }
}

/// The calendar inputs of a series of `frequency`: its position in the year (monthly and
/// quarterly: the month; weekly: the day of the year), in the week (daily data) or in the day
/// (intraday data); none for yearly and irregular series.
pub fn calendar(frequency: Frequency) -> Vec<CalendarFeature> {
    match frequency {
        Frequency::Monthly | Frequency::Quarterly => vec![CalendarFeature::Month],
        Frequency::Weekly => vec![CalendarFeature::DayOfYear],
        Frequency::Daily | Frequency::BusinessDaily => vec![CalendarFeature::DayOfWeek],
        Frequency::Minutes(_) => vec![CalendarFeature::HourOfDay],
        _ => Vec::new(),
    }
}

/// The window length for a series of `rows` rows, `horizon` steps ahead, a validation period
/// of `valid_len` rows and `season` rows per season: two horizons, and at least a season and
/// one step, shortened so that `min_windows` training windows remain before the validation
/// and test periods (`horizon` rows of test); `None` when not even a one-step window leaves
/// that many.
pub fn window_len(
    rows: usize,
    horizon: usize,
    valid_len: usize,
    season: usize,
    min_windows: usize,
) -> Option<usize> {
    let preferred = horizon.saturating_mul(2).max(season.saturating_add(1));
    let held_out = horizon
        .saturating_mul(2)
        .saturating_add(valid_len)
        .saturating_add(min_windows);
    let room = rows.saturating_add(1).checked_sub(held_out)?;
    (room >= 1).then(|| preferred.min(room))
}

/// The window length for one model over series of `rows` rows each, as [`window_len`] for one
/// series but shared: the longest (up to its preferred two horizons, or a season and one step)
/// that leaves every series that can hold a training window at least one (a series too short
/// even for that is left out of the panel) and the series [`MIN_TRAINING_WINDOWS`] together;
/// `None` when no length does.
pub fn panel_window_len(
    rows: &[usize],
    horizon: usize,
    valid_len: usize,
    season: usize,
) -> Option<usize> {
    let training_windows = |window: usize| -> usize {
        let held_out = horizon.saturating_mul(2).saturating_add(valid_len);
        (rows.iter())
            .map(|rows| (rows.saturating_add(1)).saturating_sub(held_out.saturating_add(window)))
            .sum()
    };
    let mut window = (rows.iter())
        .filter_map(|rows| window_len(*rows, horizon, valid_len, season, 1))
        .min()?;
    while training_windows(window) < MIN_TRAINING_WINDOWS {
        window = window.checked_sub(1).filter(|window| *window >= 1)?;
    }
    Some(window)
}

/// What a series of `rows` rows of `frequency` gets for a forecast of `horizon` steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    /// Rows per season ([`season`]), or 1 where a window cannot hold one.
    pub season: usize,
    /// The calendar inputs ([`calendar`]).
    pub calendar: Vec<CalendarFeature>,
    /// One forecast origin of `horizon` steps: the M4 competition's protocol.
    pub test_len: usize,
    /// The `horizon` rows before the test period choose the epoch.
    pub valid_len: usize,
    /// [`window_len`] with [`MIN_TRAINING_WINDOWS`].
    pub window_len: usize,
    /// The seasonal difference (an output of 0 is the seasonal naive), the plain difference
    /// without a season.
    pub transform: TargetTransform,
}

impl Recipe {
    /// The recipe for a series of `rows` rows of `frequency` with `own_season` rows per season
    /// (`None`: its frequency's, [`season`]); `None` when it is too short for the held-out
    /// periods and a window.
    pub fn for_series(
        rows: usize,
        frequency: Frequency,
        own_season: Option<usize>,
        horizon: usize,
    ) -> Option<Self> {
        let season = own_season.unwrap_or(season(frequency));
        let window_len = window_len(rows, horizon, horizon, season, MIN_TRAINING_WINDOWS)?;
        Some(Self::with_window(frequency, season, horizon, window_len))
    }

    /// The recipe for one model over series of `rows` rows each, all of `frequency`, with
    /// `own_season` rows per season (`None`: the frequency's): windows of
    /// [`panel_window_len`]; `None` when no series can hold a training window or the series
    /// together fewer than [`MIN_TRAINING_WINDOWS`].
    pub fn for_panel(
        rows: &[usize],
        frequency: Frequency,
        own_season: Option<usize>,
        horizon: usize,
    ) -> Option<Self> {
        let season = own_season.unwrap_or(season(frequency));
        let window_len = panel_window_len(rows, horizon, horizon, season)?;
        Some(Self::with_window(frequency, season, horizon, window_len))
    }

    /// The recipe with windows of `window_len` rows (and the `season` where they hold one).
    fn with_window(frequency: Frequency, season: usize, horizon: usize, window_len: usize) -> Self {
        let season = if season <= window_len { season } else { 1 };
        Self {
            season,
            calendar: calendar(frequency),
            test_len: horizon,
            valid_len: horizon,
            window_len,
            transform: match season {
                1 => TargetTransform::Difference,
                _ => TargetTransform::SeasonalDifference,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_two_horizons_shortened_for_short_series() {
        // monthly, horizon 18, season 12: two horizons
        assert_eq!(window_len(144, 18, 18, 12, 16), Some(36));
        // 84 rows: 84 + 1 − 54 − 16 = 15 rows of room
        assert_eq!(window_len(84, 18, 18, 12, 16), Some(15));
        // one training window is enough in a panel
        assert_eq!(window_len(84, 18, 18, 12, 1), Some(30));
        // weekly: a season and one step is longer than two horizons
        assert_eq!(window_len(1355, 13, 13, 52, 16), Some(53));
        // too short for any window
        assert_eq!(window_len(60, 18, 18, 12, 16), None);
        // a panel: every series keeps one window, the series 16 together; 84 rows leave room
        // for 30 rows, 144 for 90: two horizons are capped at 30
        assert_eq!(panel_window_len(&[144, 84], 18, 18, 12), Some(30));
        // a series too short for any window (40 rows) does not size the others
        assert_eq!(panel_window_len(&[144, 84, 40], 18, 18, 12), Some(30));
        // a lone series of 84 rows: 16 windows need the window cut to 15, as alone
        assert_eq!(
            panel_window_len(&[84], 18, 18, 12),
            window_len(84, 18, 18, 12, 16)
        );
        // 63 and 62 rows: windows of 8 rows leave 2 + 1 training windows; 16 in all need
        // 1-row windows (9 + 8 = 17), and 60 rows alone cannot give 16
        assert_eq!(panel_window_len(&[63, 62], 18, 18, 12), Some(1));
        assert_eq!(panel_window_len(&[60], 18, 18, 12), None);
        assert_eq!(panel_window_len(&[], 18, 18, 12), None);
        assert_eq!(window_len(usize::MAX, usize::MAX, 1, 1, 1), None);
    }

    #[test]
    fn the_frequency_gives_the_season_and_the_calendar() {
        assert_eq!(season(Frequency::Monthly), 12);
        assert_eq!(season(Frequency::Minutes(60)), 24);
        assert_eq!(season(Frequency::Yearly), 1);
        assert_eq!(calendar(Frequency::Quarterly), [CalendarFeature::Month]);
        assert!(calendar(Frequency::Yearly).is_empty());
    }

    #[test]
    fn a_recipe_starts_from_the_seasonal_naive_where_a_window_holds_a_season() {
        let monthly = Recipe::for_series(144, Frequency::Monthly, None, 18).unwrap();
        assert_eq!((monthly.season, monthly.window_len), (12, 36));
        assert_eq!((monthly.test_len, monthly.valid_len), (18, 18));
        assert_eq!(monthly.transform, TargetTransform::SeasonalDifference);
        // 84 monthly rows leave a window of 15 rows: still a season
        assert_eq!(
            Recipe::for_series(84, Frequency::Monthly, None, 18)
                .unwrap()
                .season,
            12
        );
        // a short weekly series cannot hold 52 weeks in a window: no season
        let weekly = Recipe::for_series(100, Frequency::Weekly, None, 13).unwrap();
        assert_eq!(weekly.season, 1);
        assert_eq!(weekly.transform, TargetTransform::Difference);
        let yearly = Recipe::for_series(100, Frequency::Yearly, None, 6).unwrap();
        assert_eq!((yearly.season, yearly.window_len), (1, 12));
        assert!(Recipe::for_series(40, Frequency::Monthly, None, 18).is_none());
    }

    #[test]
    fn a_season_of_the_users_own_sizes_the_windows() {
        // 24 steps a season: windows of a season and one step, the seasonal difference
        let steps = Recipe::for_series(500, Frequency::Steps(1), Some(24), 6).unwrap();
        assert_eq!((steps.season, steps.window_len), (24, 25));
        assert_eq!(steps.transform, TargetTransform::SeasonalDifference);
        assert!(steps.calendar.is_empty());
        // without one, a series of steps has no season
        let plain = Recipe::for_series(500, Frequency::Steps(1), None, 6).unwrap();
        assert_eq!((plain.season, plain.window_len), (1, 12));
        // hourly data with a weekly season
        let hourly = Recipe::for_panel(&[2000, 1500], Frequency::Minutes(60), Some(168), 24);
        assert_eq!(hourly.unwrap().window_len, 169);
    }
}
