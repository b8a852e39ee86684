//! The `[data]` section of an experiment config.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::DataError;
use crate::calendar::{self, CalendarFeature};
use crate::scaling::ScalingMethod;
use crate::sine::SineSpec;
use crate::transform::{TargetTransform, WindowNorm};
use crate::window::{SplitSpec, WindowSpec};

fn default_date_column() -> String {
    "Date".to_string()
}

fn one() -> usize {
    1
}

/// Where a series comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A CSV file (`path`).
    #[default]
    Csv,
    /// The NumPy article's noisy sine wave (`points`, `x_range`, `noise`, `seed`), columns
    /// `x`, `value` and `clean`.
    Sine,
}

/// Where the series comes from and how it becomes samples. Unknown keys are errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// `csv` (the default) or `sine`.
    #[serde(default)]
    pub source: Source,
    /// The CSV file, for `source = "csv"`; a relative path is taken from the current directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Sine: number of points (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<usize>,
    /// Sine: first and last x (default [−2π, 2π]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_range: Option<[f64; 2]>,
    /// Sine: standard deviation of the Gaussian noise (default 0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
    /// Sine: seed of the noise (default 42).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
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
    /// What the network predicts: `difference` (the change from the window's last value, the
    /// default), `log_return` or `level` (the article's way).
    #[serde(default)]
    pub transform: TargetTransform,
    /// Per-window normalisation of the inputs: `last` (the default), `mean` or `none`.
    #[serde(default)]
    pub window_norm: WindowNorm,
    /// Calendar inputs added to the features as sine/cosine pairs: `day_of_week`, `month`,
    /// `day_of_year`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendar: Vec<CalendarFeature>,
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
    /// The `[data]` section of a CSV file's experiment: `features` → `target`, windows of
    /// `window_len`, the newest `test_len` targets held out; every other key at its default.
    pub fn new(
        path: impl Into<PathBuf>,
        features: &[&str],
        target: &str,
        window_len: usize,
        test_len: usize,
    ) -> Self {
        Self {
            source: Source::Csv,
            path: Some(path.into()),
            points: None,
            x_range: None,
            noise: None,
            seed: None,
            date_column: default_date_column(),
            features: features.iter().map(|f| f.to_string()).collect(),
            target: target.to_string(),
            scaling: ScalingMethod::default(),
            scale_factor: None,
            transform: TargetTransform::default(),
            window_norm: WindowNorm::default(),
            calendar: Vec::new(),
            window_len,
            stride: 1,
            horizon: 1,
            test_len,
            valid_len: 0,
            drop_missing: false,
        }
    }

    /// The CSV file to read: an error naming `path` when the source is a file and none is set.
    pub fn csv_path(&self) -> Result<&PathBuf, DataError> {
        self.path.as_ref().ok_or_else(|| DataError::InvalidSetting {
            key: "path",
            message: "expected the CSV file to read, e.g. path = \"data/sp500.csv\" \
                      (or source = \"sine\" for the generated sine wave)"
                .into(),
        })
    }

    /// The sine wave's parameters, defaults filled in.
    pub fn sine_spec(&self) -> SineSpec {
        let defaults = SineSpec::default();
        SineSpec {
            points: self.points.unwrap_or(defaults.points),
            x_range: self.x_range.unwrap_or(defaults.x_range),
            noise: self.noise.unwrap_or(defaults.noise),
            seed: self.seed.unwrap_or(defaults.seed),
        }
    }

    /// Checks that the keys set belong to the source: `path` for a CSV file, the sine's own
    /// keys for `sine`.
    pub fn check_source_keys(&self) -> Result<(), DataError> {
        match self.source {
            Source::Csv => {
                let sine_keys = [
                    ("points", self.points.is_some()),
                    ("x_range", self.x_range.is_some()),
                    ("noise", self.noise.is_some()),
                    ("seed", self.seed.is_some()),
                ];
                if let Some((key, _)) = sine_keys.iter().find(|(_, set)| *set) {
                    return Err(DataError::InvalidSetting {
                        key,
                        message: "only applies with source = \"sine\"".into(),
                    });
                }
                self.csv_path().map(|_| ())
            }
            Source::Sine => {
                if self.path.is_some() {
                    return Err(DataError::InvalidSetting {
                        key: "path",
                        message: "source = \"sine\" generates its series; remove path or set \
                                  source = \"csv\""
                            .into(),
                    });
                }
                self.sine_spec().validate()
            }
        }
    }

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

    /// The network's input columns: the features, then the calendar columns.
    pub fn model_features(&self) -> Vec<String> {
        let mut columns = self.features.clone();
        columns.extend(calendar::column_names(&self.calendar));
        columns
    }

    /// The names of the calendar columns among the model's features.
    pub fn calendar_columns(&self) -> Vec<String> {
        calendar::column_names(&self.calendar)
    }

    /// Every column the run reads from its file: the features, then the target if it is not one
    /// of them.
    pub fn used_columns(&self) -> Vec<String> {
        let mut columns = self.features.clone();
        if !columns.contains(&self.target) {
            columns.push(self.target.clone());
        }
        columns
    }
}
