//! Whether a history has a season: the two tests the statistical members use.
//!
//! - The M4 benchmarks' test: the autocorrelation at the seasonal lag is significant at 10 %
//!   (one-sided), with Bartlett's variance from the autocorrelations at the shorter lags.
//! - The seasonal strength of an STL decomposition (Wang, Smith and Hyndman, 2006) above 0.64:
//!   statsforecast's and R's `nsdiffs` rule for differencing at the season.
//!
//! The first cannot find the season of a short, smooth series: its shorter lags' autocorrelations
//! are large, so the limit grows above what the seasonal autocorrelation of so few values reaches
//! (30 months of a sine: 0.57 against a limit of 0.82). Exponential smoothing takes a season out
//! when either test finds it ([`has_season`]); ARIMA differences at the season by its strength
//! alone. Every series of the accuracy bench's three sets passes the first test at its full
//! length, so their figures do not depend on the second.

/// One-sided critical value of the autocorrelation test (10 %), as the M4 benchmarks use it.
const SEASONALITY_CRITICAL_VALUE: f64 = 1.645;

/// Seasonal strength above which a history is seasonal (statsforecast's, for differencing).
pub(super) const SEASONAL_STRENGTH: f64 = 0.64;

/// STL's seasonal smoothing window, in seasons.
const STL_SEASONAL_WINDOW: usize = 11;

/// Whether `values` have a season of `season` rows by either test (see the module doc).
pub(super) fn has_season(values: &[f64], season: usize) -> bool {
    is_seasonal(values, season) || seasonal_strength(values, season) > SEASONAL_STRENGTH
}

/// Whether the autocorrelation at lag `season` is significant at 10 % (one-sided), with
/// Bartlett's variance from the autocorrelations at the shorter lags.
fn is_seasonal(values: &[f64], season: usize) -> bool {
    let n = values.len();
    if n <= season {
        return false;
    }
    let Some(acf) = yoho_data::seasonality::autocorrelation(values, season) else {
        return false;
    };
    let shorter: f64 = (acf.get(1..season).unwrap_or(&[]).iter())
        .map(|r| r.powi(2))
        .sum();
    let limit = SEASONALITY_CRITICAL_VALUE * ((1.0 + 2.0 * shorter) / n as f64).sqrt();
    acf[season].abs() > limit
}

/// `1 - var(remainder) / var(season + remainder)` of an STL decomposition (a seasonal window of
/// 11 seasons, degree 0, as statsforecast's): near 1 when the season explains the detrended
/// series, near 0 when it does not. 0 when STL cannot decompose it.
pub(super) fn seasonal_strength(values: &[f64], season: usize) -> f64 {
    let decomposition = stlrs::params()
        .seasonal_length(STL_SEASONAL_WINDOW)
        .seasonal_degree(0)
        .fit(values, season);
    decomposition.map_or(0.0, |stl| stl.seasonal_strength())
}

/// The trend as the centred moving average of one season (a 2×`season` average for an even
/// season), for rows `season / 2 ..` up to the last row it is defined at.
pub(super) fn centred_moving_average(values: &[f64], season: usize) -> Vec<f64> {
    let weights: Vec<f64> = match season % 2 {
        0 => std::iter::once(0.5)
            .chain(std::iter::repeat_n(1.0, season - 1))
            .chain(std::iter::once(0.5))
            .collect(),
        _ => vec![1.0; season],
    };
    values
        .windows(weights.len())
        .map(|span| span.iter().zip(&weights).map(|(v, w)| v * w).sum::<f64>() / season as f64)
        .collect()
}

/// Classical decomposition's seasonal indices of `values` (at least two seasons of `season`
/// rows), one per phase (row `r` has phase `r % season`): the departures from
/// [`centred_moving_average`] (ratios where `multiplicative`, differences otherwise) averaged by
/// phase and centred (mean 1 or 0).
pub(super) fn classical_indices(values: &[f64], season: usize, multiplicative: bool) -> Vec<f64> {
    let trend = centred_moving_average(values, season);
    let (mut sums, mut counts) = (vec![0.0; season], vec![0usize; season]);
    for (i, level) in trend.iter().enumerate() {
        let row = i + season / 2;
        sums[row % season] += match multiplicative {
            true => values[row] / level,
            false => values[row] - level,
        };
        counts[row % season] += 1;
    }
    let raw: Vec<f64> = (sums.iter().zip(&counts))
        .map(|(s, &c)| s / c as f64)
        .collect();
    let mean = raw.iter().sum::<f64>() / season as f64;
    raw.iter()
        .map(|v| match multiplicative {
            true => v / mean,
            false => v - mean,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rows` months of a smooth yearly cycle on a trend, with a little noise.
    fn smooth_months(rows: usize) -> Vec<f64> {
        (0..rows)
            .map(|row| {
                let cycle = (row as f64 * std::f64::consts::PI / 6.0).sin();
                100.0 + 0.5 * row as f64 + 20.0 * cycle + ((row * 7919) % 13) as f64 / 13.0
            })
            .collect()
    }

    #[test]
    fn a_short_smooth_season_is_found_by_its_strength_alone() {
        // 30 months: the autocorrelation test's limit is out of reach, the strength is not
        let short = smooth_months(30);
        assert!(!is_seasonal(&short, 12));
        assert!(seasonal_strength(&short, 12) > SEASONAL_STRENGTH);
        assert!(has_season(&short, 12));
        // ten years of it: the autocorrelation test finds it too
        assert!(is_seasonal(&smooth_months(120), 12));
    }

    #[test]
    fn noise_and_a_constant_have_no_season() {
        let noise: Vec<f64> = (0..60u64)
            .map(|i| 50.0 + ((i * 7919 + 13) % 17) as f64 - 8.0)
            .collect();
        assert!(!has_season(&noise, 4));
        assert!(!has_season(&[5.0; 40], 4));
        assert!(!is_seasonal(&[1.0, 2.0, 3.0], 4));
        // a gap (not a number) is no season, and no panic
        let mut gap = smooth_months(30);
        gap[7] = f64::NAN;
        assert!(!has_season(&gap, 12));
    }
}
