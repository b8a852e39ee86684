//! The NumPy article's data: a noisy sine wave, generated instead of read from a file.
//!
//! `x` runs evenly over `x_range` (both ends included); the value is `sin(x)` plus Gaussian
//! noise with standard deviation `noise`, drawn from a generator seeded with `seed`. It has no
//! dates: its rows are time steps 0, 1, 2, … (as a file read with `date_format = "step"`), so
//! it has no calendar inputs.

use crate::timestamp::Timestamp;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

use crate::DataError;
use crate::series::{Column, LoadedSeries, TimeSeries};

/// The generated column the model reads: `sin(x)` plus noise.
pub const VALUE_COLUMN: &str = "value";
/// The abscissa of every row.
pub const X_COLUMN: &str = "x";
/// `sin(x)` without noise, the curve the noise hides.
pub const CLEAN_COLUMN: &str = "clean";

/// The name a generated series goes by in messages and reports.
pub const SOURCE_NAME: &str = "sine";

/// The noisy sine's parameters (defaults: the article's 50 points over −2π..2π, noise 0.1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SineSpec {
    /// Number of rows.
    pub points: usize,
    /// First and last `x`.
    pub x_range: [f64; 2],
    /// Standard deviation of the added Gaussian noise.
    pub noise: f64,
    /// Seed of the noise.
    pub seed: u64,
}

impl Default for SineSpec {
    fn default() -> Self {
        Self {
            points: 50,
            x_range: [-2.0 * std::f64::consts::PI, 2.0 * std::f64::consts::PI],
            noise: 0.1,
            seed: 42,
        }
    }
}

impl SineSpec {
    /// Checks the parameters; errors name the `[data]` key.
    pub fn validate(&self) -> Result<(), DataError> {
        let max_points = crate::window::MAX_STEPS;
        if !(2..=max_points).contains(&self.points) {
            return Err(DataError::InvalidSetting {
                key: "points",
                message: format!(
                    "expected at least 2 and at most {max_points} points (the limit), got {}",
                    self.points
                ),
            });
        }
        let [start, end] = self.x_range;
        if !(start.is_finite() && end.is_finite() && start < end) {
            return Err(DataError::InvalidSetting {
                key: "x_range",
                message: format!("expected [start, end] with start < end, got [{start}, {end}]"),
            });
        }
        if !(self.noise >= 0.0 && self.noise.is_finite()) {
            return Err(DataError::InvalidSetting {
                key: "noise",
                message: format!("expected a standard deviation ≥ 0, got {}", self.noise),
            });
        }
        Ok(())
    }

    /// The `x` of every row.
    pub fn xs(&self) -> Vec<f64> {
        let [start, end] = self.x_range;
        let step = (end - start) / (self.points - 1) as f64;
        (0..self.points).map(|i| start + step * i as f64).collect()
    }
}

/// Generates the series: columns `x`, `value` (noisy) and `clean`.
pub fn generate(spec: &SineSpec) -> Result<LoadedSeries, DataError> {
    spec.validate()?;
    let xs = spec.xs();
    let clean: Vec<f64> = xs.iter().map(|x| x.sin()).collect();
    let normal = Normal::new(0.0, spec.noise).map_err(|error| DataError::InvalidSetting {
        key: "noise",
        message: error.to_string(),
    })?;
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let value = clean.iter().map(|y| y + normal.sample(&mut rng)).collect();
    let series = TimeSeries {
        source_name: SOURCE_NAME.to_string(),
        dates: (0..spec.points as i64)
            .filter_map(Timestamp::from_step)
            .collect(),
        columns: vec![
            Column {
                name: X_COLUMN.into(),
                values: xs,
            },
            Column {
                name: VALUE_COLUMN.into(),
                values: value,
            },
            Column {
                name: CLEAN_COLUMN.into(),
                values: clean,
            },
        ],
    };
    Ok(LoadedSeries {
        series,
        cleaning: Default::default(),
        kept_rows: (0..spec.points).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_the_articles_fifty_points_over_two_periods_each_way() {
        let loaded = generate(&SineSpec::default()).unwrap();
        let series = loaded.series;
        assert_eq!(series.len(), 50);
        let xs = series.column(X_COLUMN).unwrap();
        assert!((xs[0] + 2.0 * std::f64::consts::PI).abs() < 1e-12);
        assert!((xs[49] - 2.0 * std::f64::consts::PI).abs() < 1e-12);
        let clean = series.column(CLEAN_COLUMN).unwrap();
        assert!((clean[10] - xs[10].sin()).abs() < 1e-12);
    }

    #[test]
    fn noise_has_the_asked_spread_and_follows_the_seed() {
        let spec = SineSpec {
            points: 4000,
            noise: 0.1,
            ..SineSpec::default()
        };
        let series = generate(&spec).unwrap().series;
        let value = series.column(VALUE_COLUMN).unwrap();
        let clean = series.column(CLEAN_COLUMN).unwrap();
        let residual: Vec<f64> = value.iter().zip(clean).map(|(v, c)| v - c).collect();
        let mean = residual.iter().sum::<f64>() / residual.len() as f64;
        let sd = (residual.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / residual.len() as f64)
            .sqrt();
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((sd - 0.1).abs() < 0.01, "sd {sd}");
        assert_eq!(generate(&spec).unwrap().series, series);
        let other = generate(&SineSpec { seed: 1, ..spec }).unwrap().series;
        assert_ne!(other.column(VALUE_COLUMN), series.column(VALUE_COLUMN));
    }

    #[test]
    fn zero_noise_is_the_pure_sine() {
        let spec = SineSpec {
            noise: 0.0,
            ..SineSpec::default()
        };
        let series = generate(&spec).unwrap().series;
        assert_eq!(series.column(VALUE_COLUMN), series.column(CLEAN_COLUMN));
    }

    #[test]
    fn bad_parameters_name_their_key() {
        for (spec, key) in [
            (
                SineSpec {
                    points: 1,
                    ..SineSpec::default()
                },
                "points",
            ),
            (
                SineSpec {
                    x_range: [1.0, 1.0],
                    ..SineSpec::default()
                },
                "x_range",
            ),
            (
                SineSpec {
                    noise: -0.1,
                    ..SineSpec::default()
                },
                "noise",
            ),
        ] {
            let message = generate(&spec).unwrap_err().to_string();
            assert!(message.contains(key), "{key}: {message}");
        }
    }
}
