//! The season of a series whose index carries none: a file of time steps says nothing of a
//! day or a year, so the recipe looks for a repeating pattern in the values themselves.
//!
//! The values are detrended by a least-squares quadratic and their autocorrelation computed up to
//! a third of their length (a season must repeat at least three times), at most
//! [`MAX_SEASON`] steps. A season is a lag whose autocorrelation is a local peak that stands
//! out: above Bartlett's 95 % bound for a series without one (which grows with the
//! autocorrelation at shorter lags, so a clean cycle needs about five repeats and one in noise
//! six to eight), at least
//! [`MIN_AUTOCORRELATION`], and at least [`MIN_PROMINENCE`] above the lowest autocorrelation
//! before it (a slowly decaying autocorrelation, a trend's or a random walk's, has wiggles
//! but no such peaks). Of those, the strongest is found, and the shortest peak it is a
//! multiple of (with at least half its autocorrelation) is the season: half-hourly demand
//! repeats every day and every week, and its season is the day. Darts' `check_seasonality`
//! reads the autocorrelation against the same bound (R's `findfrequency` reads the spectrum of
//! an autoregression instead); `augurs-seasons`' periodogram reports its strongest periods
//! relative to each other, and so reports one for white noise too.

/// The longest season looked for: a day of minutes is 1,440 steps.
pub const MAX_SEASON: usize = 2_000;

/// The least autocorrelation a season's lag must have.
pub const MIN_AUTOCORRELATION: f64 = 0.2;

/// How far a season's autocorrelation must rise above the lowest one at a shorter lag.
pub const MIN_PROMINENCE: f64 = 0.15;

/// The fewest values a season is looked for in: four repeats of the shortest season (2).
const MIN_VALUES: usize = 8;

/// A season found in a series' values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectedSeason {
    /// Steps per season.
    pub season: usize,
    /// The values' autocorrelation at that lag, after the trend is removed.
    pub autocorrelation: f64,
}

/// The season of `values` (in time order, one per step), or `None` where no lag of 2 or more
/// steps stands out; any value that is not finite gives `None`.
pub fn detect(values: &[f64]) -> Option<DetectedSeason> {
    if values.len() < MIN_VALUES || values.iter().any(|value| !value.is_finite()) {
        return None;
    }
    let residuals = detrended(values);
    // what is left of a trend without variation is rounding
    let squares: f64 = values.iter().map(|value| value * value).sum();
    let variation: f64 = residuals.iter().map(|value| value * value).sum();
    if variation <= squares * 1e-18 {
        return None;
    }
    let max_lag = (values.len() / 3).min(MAX_SEASON);
    let acf = autocorrelation(&residuals, max_lag + 1)?;
    let peaks = peaks(&acf, values.len(), max_lag);
    let strongest = *peaks.iter().max_by(|a, b| acf[**a].total_cmp(&acf[**b]))?;
    let season = (peaks.iter())
        .find(|lag| strongest % **lag == 0 && acf[**lag] >= 0.5 * acf[strongest])
        .copied()
        .unwrap_or(strongest);
    Some(DetectedSeason {
        season,
        autocorrelation: acf[season],
    })
}

/// The season of a panel's series (each one's values a season may be looked for in): the one
/// [`detect`] finds in most of them, a series where it finds none counting for none, a tie
/// going to the shorter season; `None` where most find none (or there are no series).
pub fn detect_panel<'a>(series: impl IntoIterator<Item = &'a [f64]>) -> Option<PanelSeason> {
    let found: Vec<Option<DetectedSeason>> = series.into_iter().map(detect).collect();
    let mut votes: Vec<(Option<usize>, usize)> = Vec::new();
    for season in found.iter().map(|found| found.map(|found| found.season)) {
        match votes.iter_mut().find(|(voted, _)| *voted == season) {
            Some((_, count)) => *count += 1,
            None => votes.push((season, 1)),
        }
    }
    // most votes first, then no season before a shorter season before a longer one
    votes.sort_by_key(|(season, count)| (std::cmp::Reverse(*count), *season));
    let season = votes.first()?.0?;
    let mut autocorrelations: Vec<f64> = (found.iter().flatten())
        .filter(|found| found.season == season)
        .map(|found| found.autocorrelation)
        .collect();
    autocorrelations.sort_by(f64::total_cmp);
    Some(PanelSeason {
        season,
        median_autocorrelation: autocorrelations[autocorrelations.len() / 2],
        showing: autocorrelations.len(),
        series: found.len(),
    })
}

/// The season most series of a panel show ([`detect_panel`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanelSeason {
    /// Steps per season.
    pub season: usize,
    /// The median autocorrelation at that lag over the series that show it.
    pub median_autocorrelation: f64,
    /// How many series show it.
    pub showing: usize,
    /// How many series were looked at.
    pub series: usize,
}

/// `values` less their least-squares quadratic over time (a curved trend's slow swing would
/// otherwise outweigh a season's): projected off the polynomials 1, t and t² made orthogonal
/// on the series' own time steps.
fn detrended(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mean_t = (n as f64 - 1.0) / 2.0;
    let linear: Vec<f64> = (0..n).map(|t| t as f64 - mean_t).collect();
    let squares: Vec<f64> = linear.iter().map(|t| t * t).collect();
    let constant = vec![1.0; n];
    let quadratic = orthogonal(&orthogonal(&squares, &constant), &linear);
    let basis = [constant, linear, quadratic];
    basis.iter().fold(values.to_vec(), |residual, polynomial| {
        orthogonal(&residual, polynomial)
    })
}

/// `vector` less its projection onto `onto` (`vector` itself where `onto` is zero).
fn orthogonal(vector: &[f64], onto: &[f64]) -> Vec<f64> {
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
    let norm = dot(onto, onto);
    let coefficient = if norm > 0.0 {
        dot(vector, onto) / norm
    } else {
        0.0
    };
    (vector.iter().zip(onto))
        .map(|(value, base)| value - coefficient * base)
        .collect()
}

/// The autocorrelation of `values` about their mean at lags 0 to `max_lag` (at most the
/// length less one): at lag `k`, the sum of products of the centred values `k` rows apart over
/// the sum of their squares; `None` for values without variation (or none at all).
pub fn autocorrelation(values: &[f64], max_lag: usize) -> Option<Vec<f64>> {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let centred: Vec<f64> = values.iter().map(|value| value - mean).collect();
    let variance: f64 = centred.iter().map(|value| value * value).sum();
    if n == 0 || variance == 0.0 || !variance.is_finite() {
        return None;
    }
    let lag_products = |lag: usize| -> f64 {
        let pairs = centred[..n - lag].iter().zip(&centred[lag..]);
        pairs.map(|(a, b)| a * b).sum()
    };
    Some(
        (0..=max_lag.min(n - 1))
            .map(|lag| lag_products(lag) / variance)
            .collect(),
    )
}

/// The lags from 2 to `max_lag` whose autocorrelation (`acf`, of `len` values) is a local
/// peak above Bartlett's bound, [`MIN_AUTOCORRELATION`] and, by [`MIN_PROMINENCE`], the
/// lowest autocorrelation at a shorter lag.
fn peaks(acf: &[f64], len: usize, max_lag: usize) -> Vec<usize> {
    let mut peaks = Vec::new();
    let mut squares = 1.0 + 2.0 * acf.get(1).map_or(0.0, |r| r * r);
    let mut lowest = acf.get(1).copied().unwrap_or(0.0);
    for lag in 2..=max_lag.min(acf.len().saturating_sub(2)) {
        let r = acf[lag];
        let bound = 1.96 * (squares / len as f64).sqrt();
        let peak = r > acf[lag - 1] && r >= acf[lag + 1];
        if peak && r > bound && r >= MIN_AUTOCORRELATION && r - lowest >= MIN_PROMINENCE {
            peaks.push(lag);
        }
        squares += 2.0 * r * r;
        lowest = lowest.min(r);
    }
    peaks
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use rand_distr::{Distribution, Normal};

    fn noise(len: usize, seed: u64) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        let normal = Normal::new(0.0, 0.3).unwrap();
        (0..len).map(|_| normal.sample(&mut rng)).collect()
    }

    fn wave(len: usize, period: usize, amplitude: f64) -> Vec<f64> {
        let angle = |t: usize| 2.0 * std::f64::consts::PI * (t % period) as f64 / period as f64;
        (0..len).map(|t| amplitude * angle(t).sin()).collect()
    }

    fn plus(a: &[f64], b: &[f64]) -> Vec<f64> {
        a.iter().zip(b).map(|(a, b)| a + b).collect()
    }

    #[test]
    fn a_noisy_wave_on_a_trend_has_its_period() {
        let trend: Vec<f64> = (0..240).map(|t| 0.05 * t as f64).collect();
        let values = plus(&plus(&wave(240, 12, 1.0), &noise(240, 1)), &trend);
        let found = detect(&values).unwrap();
        assert_eq!(found.season, 12);
        assert!(found.autocorrelation > 0.5, "{found:?}");
    }

    #[test]
    fn a_day_within_a_week_is_the_season() {
        // half-hours: a daily cycle, and a weekly one (weekends lower)
        let len = 48 * 7 * 8;
        let weekly: Vec<f64> = (0..len)
            .map(|t| if (t / 48) % 7 >= 5 { -0.8 } else { 0.0 })
            .collect();
        let values = plus(&plus(&wave(len, 48, 1.0), &weekly), &noise(len, 2));
        assert_eq!(detect(&values).map(|found| found.season), Some(48));
    }

    #[test]
    fn noise_and_random_walks_have_no_season() {
        for seed in 0..20 {
            assert_eq!(detect(&noise(500, seed)), None, "noise, seed {seed}");
            let walk: Vec<f64> = (noise(500, seed + 100).iter())
                .scan(0.0, |level, step| {
                    *level += step;
                    Some(*level)
                })
                .collect();
            assert_eq!(detect(&walk), None, "random walk, seed {seed}");
        }
    }

    #[test]
    fn too_short_flat_or_broken_series_have_none() {
        assert_eq!(detect(&[1.0, 2.0, 1.0, 2.0]), None);
        assert_eq!(detect(&[3.0; 100]), None);
        let curve: Vec<f64> = (0..100).map(|t| (t * t) as f64 - 3.0 * t as f64).collect();
        assert_eq!(detect(&curve), None);
        let mut broken = wave(120, 12, 1.0);
        broken[7] = f64::NAN;
        assert_eq!(detect(&broken), None);
        assert_eq!(detect(&[]), None);
    }

    #[test]
    fn autocorrelation_is_one_at_lag_zero_and_minus_one_for_alternating_values() {
        let alternating = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
        let acf = autocorrelation(&alternating, 10).unwrap();
        assert_eq!(acf.len(), 6, "lags up to the length less one");
        assert_eq!(acf[0], 1.0);
        // five products of −1 over six squares
        assert!((acf[1] + 5.0 / 6.0).abs() < 1e-12, "{acf:?}");
        assert_eq!(autocorrelation(&[2.0; 5], 3), None);
        assert_eq!(autocorrelation(&[], 3), None);
    }

    #[test]
    fn a_panel_takes_the_season_most_of_its_series_show() {
        let daily = plus(&wave(336, 24, 1.0), &noise(336, 3));
        let weekly = plus(&wave(336, 7, 1.0), &noise(336, 4));
        let flat = noise(336, 5);
        let panel = [
            daily.as_slice(),
            daily.as_slice(),
            weekly.as_slice(),
            flat.as_slice(),
        ];
        let found = detect_panel(panel).unwrap();
        assert_eq!((found.season, found.showing, found.series), (24, 2, 4));
        assert!(found.median_autocorrelation > 0.5, "{found:?}");
        // a tie between none and a season: none
        assert_eq!(detect_panel([daily.as_slice(), flat.as_slice()]), None);
        // a tie between two seasons: the shorter
        let tie = detect_panel([daily.as_slice(), weekly.as_slice()]).unwrap();
        assert_eq!(tie.season, 7);
        assert_eq!(detect_panel([]), None);
    }

    #[test]
    fn a_season_repeats_at_least_three_times() {
        let clean = |len| wave(len, 20, 1.0);
        assert_eq!(detect(&clean(1000)).map(|f| f.season), Some(20));
        // 50 values hold two and a half periods of 20
        assert_eq!(detect(&clean(50)), None);
    }
}
