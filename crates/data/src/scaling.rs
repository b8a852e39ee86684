//! Scaling of columns, fitted on the training rows only and invertible for reporting.

// `!(a > b)` on purpose: it is also true when a value is NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use serde::{Deserialize, Serialize};

use crate::DataError;

/// How to scale each used column before it reaches the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScalingMethod {
    /// Values pass unchanged.
    #[default]
    None,
    /// Divide by a constant (`scale_factor`), as the article divides by 10,000.
    Factor,
    /// Map the training rows' range onto [0, 1].
    MinMax,
    /// Subtract the training rows' mean and divide by their standard deviation.
    Standard,
}

impl ScalingMethod {
    /// The method's name as written in a config.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Factor => "factor",
            Self::MinMax => "minmax",
            Self::Standard => "standard",
        }
    }
}

/// The map of one column to model units: `scaled = (value - offset) / scale`, or
/// `(ln value - offset) / scale` for a column modelled on its logarithm (`log`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnScaler {
    /// The column this applies to.
    pub column: String,
    /// Whether values are replaced by their natural logarithm before the affine map (strictly
    /// positive columns only); `offset` and `scale` are then in log units.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub log: bool,
    /// Subtracted first, in original (or log) units.
    pub offset: f64,
    /// Divided by next, in original (or log) units per scaled unit.
    pub scale: f64,
    /// The standard deviation of one-step changes over the training rows, in scaled units:
    /// the unit of a `difference` target, and the least spread a window is divided by.
    #[serde(default = "one")]
    pub change_scale: f64,
}

fn one() -> f64 {
    1.0
}

impl ColumnScaler {
    /// Fits `method` on `training_values` (the rows the model trains on, nothing later).
    pub fn fit(
        column: &str,
        method: ScalingMethod,
        factor: Option<f64>,
        training_values: &[f64],
    ) -> Result<Self, DataError> {
        let constant = || DataError::Scaling {
            source_name: String::new(),
            column: column.to_string(),
            method: method.name(),
            reason: "the column is constant over the training rows".into(),
            constant: true,
        };
        let (offset, scale) = match method {
            ScalingMethod::None => (0.0, 1.0),
            ScalingMethod::Factor => {
                let factor = factor.ok_or_else(|| DataError::InvalidSetting {
                    key: "scale_factor",
                    message: "scaling = \"factor\" needs scale_factor, e.g. 10000.0".into(),
                })?;
                if !(factor.is_finite() && factor != 0.0) {
                    return Err(DataError::InvalidSetting {
                        key: "scale_factor",
                        message: format!("expected a finite non-zero number, got {factor}"),
                    });
                }
                (0.0, factor)
            }
            ScalingMethod::MinMax => {
                let min = training_values
                    .iter()
                    .copied()
                    .fold(f64::INFINITY, f64::min);
                let max = training_values
                    .iter()
                    .copied()
                    .fold(f64::NEG_INFINITY, f64::max);
                if !(max > min) {
                    return Err(constant());
                }
                (min, max - min)
            }
            ScalingMethod::Standard => {
                let n = training_values.len() as f64;
                let mean = training_values.iter().sum::<f64>() / n;
                let deviation = standard_deviation(training_values).unwrap_or(0.0);
                if !(deviation > 0.0) {
                    return Err(constant());
                }
                (mean, deviation)
            }
        };
        let mut scaler = Self {
            column: column.to_string(),
            log: false,
            offset,
            scale,
            change_scale: 1.0,
        };
        let changes: Vec<f64> = training_values
            .windows(2)
            .map(|pair| (pair[1] - pair[0]) / scale)
            .collect();
        if let Some(std) = standard_deviation(&changes).filter(|std| *std > 0.0) {
            scaler.change_scale = std;
        }
        Ok(scaler)
    }

    /// Fits `method` on the natural logarithms of `training_values`, which must all be
    /// positive: the scaler of a column modelled on its logarithm.
    pub fn fit_log(
        column: &str,
        method: ScalingMethod,
        factor: Option<f64>,
        training_values: &[f64],
    ) -> Result<Self, DataError> {
        if let Some(value) = training_values.iter().find(|v| **v <= 0.0 || v.is_nan()) {
            return Err(DataError::Scaling {
                source_name: String::new(),
                column: column.to_string(),
                method: method.name(),
                reason: format!("log = true needs positive values, got {value}"),
                constant: false,
            });
        }
        let logs: Vec<f64> = training_values.iter().map(|v| v.ln()).collect();
        Ok(Self {
            log: true,
            ..Self::fit(column, method, factor, &logs)?
        })
    }

    /// Original units to model units.
    pub fn transform(&self, value: f64) -> f64 {
        let value = if self.log { value.ln() } else { value };
        (value - self.offset) / self.scale
    }

    /// Model units back to original units.
    pub fn inverse(&self, scaled: f64) -> f64 {
        let value = scaled * self.scale + self.offset;
        if self.log { value.exp() } else { value }
    }
}

/// The root mean square deviation from the mean; `None` for no values.
///
/// Where the squares overflow (values near 1e300) or underflow (near 1e-300), it is computed
/// again in units of the largest deviation, so that it is finite and not 0 for any finite
/// values that differ.
pub(crate) fn standard_deviation(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let plain = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let constant = values.iter().all(|v| *v == values[0]);
    if plain.is_finite() && (plain > 0.0 || constant) {
        return Some(plain);
    }
    let mean: f64 = values.iter().map(|v| v / n).sum();
    let largest = values.iter().map(|v| (v - mean).abs()).fold(0.0, f64::max);
    if !(largest > 0.0 && largest.is_finite()) {
        return Some(largest);
    }
    let squares: f64 = values.iter().map(|v| ((v - mean) / largest).powi(2)).sum();
    Some((squares / n).sqrt() * largest)
}

/// The fitted scalers of every used column, saved with a run so it can be applied again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// The method all columns use.
    pub method: ScalingMethod,
    /// One per used column.
    pub columns: Vec<ColumnScaler>,
    /// The standard deviation of the target's one-step log returns over the training rows:
    /// the unit of a `log_return` target (absent for other transforms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_return_scale: Option<f64>,
}

impl Scaler {
    /// The scaler of the column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnScaler> {
        self.columns.iter().find(|scaler| scaler.column == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_deviation_is_finite_and_positive_at_any_magnitude() {
        for magnitude in [1e300, 1e-300, 1.0, f64::MAX / 4.0, 1e-320] {
            let values: Vec<f64> = [1.0, 1.5, 0.5, 1.25]
                .iter()
                .map(|v| v * magnitude)
                .collect();
            let deviation = standard_deviation(&values).unwrap();
            let expected = 0.136_718_75f64.sqrt() * magnitude;
            assert!(
                deviation.is_finite() && deviation > 0.0,
                "{magnitude}: {deviation}"
            );
            // 1e-320 is subnormal: its products keep only a few digits
            let tolerance = if magnitude < 1e-300 { 1e-2 } else { 1e-12 };
            assert!(
                (deviation / expected - 1.0).abs() < tolerance,
                "{magnitude}: {deviation} vs {expected}"
            );
        }
        assert_eq!(standard_deviation(&[1e300, 1e300]), Some(0.0));
        assert_eq!(standard_deviation(&[]), None);
    }

    const VALUES: [f64; 4] = [100.0, 102.0, 105.0, 103.0];

    fn round_trip(method: ScalingMethod, factor: Option<f64>) -> ColumnScaler {
        let scaler = ColumnScaler::fit("Open", method, factor, &VALUES).unwrap();
        for value in VALUES.iter().chain(&[0.0, 1e6, -7.5]) {
            let back = scaler.inverse(scaler.transform(*value));
            assert!((back - value).abs() < 1e-9, "{method:?}: {value} -> {back}");
        }
        scaler
    }

    #[test]
    fn log_scalers_fit_the_logarithms_and_round_trip_positive_values() {
        let scaler = ColumnScaler::fit_log("Open", ScalingMethod::Standard, None, &VALUES).unwrap();
        let logs: Vec<f64> = VALUES.iter().map(|v| v.ln()).collect();
        let plain = ColumnScaler::fit("Open", ScalingMethod::Standard, None, &logs).unwrap();
        assert!(scaler.log);
        assert_eq!((scaler.offset, scaler.scale), (plain.offset, plain.scale));
        assert_eq!(scaler.change_scale, plain.change_scale);
        for value in VALUES.iter().chain(&[1e-6, 1.0, 1e6]) {
            assert!((scaler.transform(*value) - plain.transform(value.ln())).abs() < 1e-12);
            let back = scaler.inverse(scaler.transform(*value));
            assert!((back / value - 1.0).abs() < 1e-12, "{value} -> {back}");
        }
        // any model output decodes to a positive value
        assert!(scaler.inverse(-1e3) >= 0.0 && scaler.inverse(-50.0) > 0.0);
        for bad in [0.0, -1.0, f64::NAN] {
            let error = ColumnScaler::fit_log("Open", ScalingMethod::Standard, None, &[1.0, bad])
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("Open") && error.contains("positive"),
                "{error}"
            );
        }
    }

    #[test]
    fn none_is_identity() {
        let scaler = round_trip(ScalingMethod::None, None);
        assert_eq!(scaler.transform(105.0), 105.0);
    }

    #[test]
    fn factor_divides() {
        let scaler = round_trip(ScalingMethod::Factor, Some(10_000.0));
        assert_eq!(scaler.transform(27_575.0), 2.7575);
    }

    #[test]
    fn minmax_maps_training_range_to_unit_interval() {
        let scaler = round_trip(ScalingMethod::MinMax, None);
        assert_eq!(scaler.transform(100.0), 0.0);
        assert_eq!(scaler.transform(105.0), 1.0);
        assert_eq!(scaler.transform(102.0), 0.4);
    }

    #[test]
    fn standard_gives_zero_mean_unit_variance_on_training_rows() {
        let scaler = round_trip(ScalingMethod::Standard, None);
        // mean 102.5; deviations -2.5, -0.5, 2.5, 0.5; variance (6.25+0.25+6.25+0.25)/4 = 3.25
        assert!((scaler.offset - 102.5).abs() < 1e-12);
        assert!((scaler.scale - 3.25f64.sqrt()).abs() < 1e-12);
        let scaled: Vec<f64> = VALUES.iter().map(|v| scaler.transform(*v)).collect();
        let mean = scaled.iter().sum::<f64>() / 4.0;
        let variance = scaled.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
        assert!(mean.abs() < 1e-12 && (variance - 1.0).abs() < 1e-12);
    }

    #[test]
    fn factor_without_a_factor_names_the_key() {
        let error = ColumnScaler::fit("Open", ScalingMethod::Factor, None, &VALUES).unwrap_err();
        assert!(error.to_string().contains("scale_factor"), "{error}");
    }

    #[test]
    fn constant_column_cannot_be_minmax_scaled() {
        let error =
            ColumnScaler::fit("Open", ScalingMethod::MinMax, None, &[3.0, 3.0]).unwrap_err();
        assert!(error.to_string().contains("constant"), "{error}");
    }
}
