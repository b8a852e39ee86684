//! The `[data]` section of an experiment config.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::scaling::ScalingMethod;
use crate::window::{SplitSpec, WindowSpec};

fn default_date_column() -> String {
    "Date".to_string()
}

fn one() -> usize {
    1
}

/// Where the series comes from and how it becomes samples. Unknown keys are errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// The CSV file; a relative path is taken from the current directory.
    pub path: PathBuf,
    /// Header of the date column.
    #[serde(default = "default_date_column")]
    pub date_column: String,
    /// Input columns, in order (e.g. `["Open"]` or `["Open", "High", "Low", "Close"]`).
    pub features: Vec<String>,
    /// The column to forecast.
    pub target: String,
    /// How columns are scaled for the model: `none`, `factor`, `minmax` or `standard`.
    #[serde(default)]
    pub scaling: ScalingMethod,
    /// The divisor for `scaling = "factor"` (the article: 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_factor: Option<f64>,
    /// Input steps per window.
    pub window_len: usize,
    /// Steps between consecutive windows.
    #[serde(default = "one")]
    pub stride: usize,
    /// Target steps after each window (1 = next day).
    #[serde(default = "one")]
    pub horizon: usize,
    /// The newest targets held out for the test (the article: 100).
    pub test_len: usize,
    /// Targets before the test set held out for validation (0 = no validation).
    #[serde(default)]
    pub valid_len: usize,
    /// Drop rows with empty or non-numeric cells in used columns instead of failing.
    #[serde(default)]
    pub drop_missing: bool,
}

impl DataConfig {
    /// The window shape this config asks for.
    pub fn window_spec(&self) -> WindowSpec {
        WindowSpec {
            window_len: self.window_len,
            horizon: self.horizon,
            stride: self.stride,
        }
    }

    /// The held-out sets this config asks for.
    pub fn split_spec(&self) -> SplitSpec {
        SplitSpec {
            test_len: self.test_len,
            valid_len: self.valid_len,
        }
    }

    /// Every column the run reads: the features, then the target if it is not one of them.
    pub fn used_columns(&self) -> Vec<String> {
        let mut columns = self.features.clone();
        if !columns.contains(&self.target) {
            columns.push(self.target.clone());
        }
        columns
    }
}
