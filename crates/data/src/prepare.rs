//! From a config to ready samples: load, split, fit the scaler on training rows, window.

use crate::DataError;
use crate::config::{DataConfig, Source};
use crate::dataset::{SampleShape, WindowDataset, WindowItem};
use crate::scaling::{ColumnScaler, Scaler};
use crate::series::{LoadOptions, LoadedSeries, TimeSeries, load_csv};
use crate::sine;
use crate::window::{SplitWindows, Window, WindowSpec, split_series};

/// A series in model units: what the network reads and predicts.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaledSeries {
    /// `rows × features` values, row-major.
    features: Vec<f32>,
    /// Number of feature columns.
    feature_count: usize,
    /// The target column, one value per row.
    target: Vec<f32>,
}

impl ScaledSeries {
    /// Applies `scaler` to the `features` and `target` columns of `series`.
    pub fn new(
        series: &TimeSeries,
        scaler: &Scaler,
        features: &[String],
        target: &str,
    ) -> Result<Self, DataError> {
        let scaled = |name: &str| -> Result<Vec<f32>, DataError> {
            let values = series
                .column(name)
                .ok_or_else(|| missing_column(series, name))?;
            let column = scaler
                .column(name)
                .ok_or_else(|| missing_column(series, name))?;
            Ok(values.iter().map(|v| column.transform(*v) as f32).collect())
        };
        let columns = features
            .iter()
            .map(|name| scaled(name))
            .collect::<Result<Vec<_>, _>>()?;
        let mut row_major = Vec::with_capacity(series.len() * features.len());
        for row in 0..series.len() {
            row_major.extend(columns.iter().map(|column| column[row]));
        }
        Ok(Self {
            features: row_major,
            feature_count: features.len(),
            target: scaled(target)?,
        })
    }

    /// The inputs of the window whose rows start at `start`, time-major.
    pub fn inputs(&self, start: usize, window_len: usize) -> Vec<f32> {
        let from = start * self.feature_count;
        self.features[from..from + window_len * self.feature_count].to_vec()
    }

    /// The sample of `window`.
    pub fn item(&self, window: &Window) -> WindowItem {
        WindowItem {
            inputs: self.inputs(window.start, window.window_len),
            targets: self.target[window.target_rows()].to_vec(),
        }
    }
}

fn missing_column(series: &TimeSeries, name: &str) -> DataError {
    DataError::MissingColumn {
        path: series.source_name.clone().into(),
        column: name.to_string(),
        available: series.columns.iter().map(|c| c.name.clone()).collect(),
    }
}

/// Everything the later stages need from the data stage.
#[derive(Debug, Clone)]
pub struct PreparedData {
    /// The cleaned series in original units.
    pub series: TimeSeries,
    /// Rows dropped while cleaning (`drop_missing`).
    pub dropped_rows: usize,
    /// Whether the rows had to be sorted by date.
    pub was_unsorted: bool,
    /// Input columns.
    pub features: Vec<String>,
    /// Target column.
    pub target: String,
    /// The window shape.
    pub window: WindowSpec,
    /// The scaler, fitted on the training rows only.
    pub scaler: Scaler,
    /// Windows of each split.
    pub splits: SplitWindows,
    /// The series in model units.
    pub scaled: ScaledSeries,
}

impl PreparedData {
    /// The shape of every sample.
    pub fn sample_shape(&self) -> SampleShape {
        SampleShape {
            window_len: self.window.window_len,
            features: self.features.len(),
            horizon: self.window.horizon,
        }
    }

    /// The samples of `windows`.
    pub fn items(&self, windows: &[Window]) -> Vec<WindowItem> {
        windows
            .iter()
            .map(|window| self.scaled.item(window))
            .collect()
    }

    /// A Burn dataset of `windows`.
    pub fn dataset(&self, windows: &[Window]) -> WindowDataset {
        WindowDataset::new(self.items(windows))
    }

    /// The target column in original units.
    pub fn target_values(&self) -> &[f64] {
        self.series
            .column(&self.target)
            .expect("prepare() checked that the target column exists")
    }

    /// The target column's scaler.
    pub fn target_scaler(&self) -> &ColumnScaler {
        self.scaler
            .column(&self.target)
            .expect("prepare() fits a scaler for the target column")
    }
}

/// Loads the CSV file `config` names (or generates its sine wave) and prepares it.
pub fn prepare(config: &DataConfig) -> Result<PreparedData, DataError> {
    prepare_with_optional(config, &[])
}

/// Like [`prepare`], also reading `optional_columns` into the series where the file has them
/// as clean numbers (they are neither inputs nor targets: e.g. a baseline's column).
pub fn prepare_with_optional(
    config: &DataConfig,
    optional_columns: &[&str],
) -> Result<PreparedData, DataError> {
    check_columns(config)?;
    config.check_source_keys()?;
    let loaded = match config.source {
        Source::Sine => sine::generate(&config.sine_spec())?,
        Source::Csv => load_csv(
            config.csv_path()?,
            &LoadOptions {
                date_column: config.date_column.clone(),
                columns: config.used_columns(),
                drop_missing: config.drop_missing,
                optional_columns: optional_columns.iter().map(|c| c.to_string()).collect(),
            },
        )?,
    };
    prepare_loaded(loaded, config)
}

fn check_columns(config: &DataConfig) -> Result<(), DataError> {
    if config.features.is_empty() {
        return Err(DataError::InvalidSetting {
            key: "features",
            message: "expected at least one column name, e.g. [\"Open\"]".into(),
        });
    }
    Ok(())
}

/// Prepares an already loaded series (from a file or a generator) as `config` says.
pub fn prepare_loaded(
    loaded: LoadedSeries,
    config: &DataConfig,
) -> Result<PreparedData, DataError> {
    check_columns(config)?;
    let series = loaded.series;
    let splits = split_series(
        &series.source_name,
        series.len(),
        config.window_spec(),
        config.split_spec(),
    )?;
    let scaler = fit_scaler(&series, config, &splits)?;
    let scaled = ScaledSeries::new(&series, &scaler, &config.features, &config.target)?;
    Ok(PreparedData {
        series,
        dropped_rows: loaded.dropped_rows,
        was_unsorted: loaded.was_unsorted,
        features: config.features.clone(),
        target: config.target.clone(),
        window: config.window_spec(),
        scaler,
        splits,
        scaled,
    })
}

/// Fits one scaler per used column on the rows the training windows read, and nothing after.
fn fit_scaler(
    series: &TimeSeries,
    config: &DataConfig,
    splits: &SplitWindows,
) -> Result<Scaler, DataError> {
    let training_rows = splits
        .last_training_row()
        .expect("split_series() returns at least one training window")
        + 1;
    let columns = config
        .used_columns()
        .iter()
        .map(|name| {
            let values = series
                .column(name)
                .ok_or_else(|| missing_column(series, name))?;
            ColumnScaler::fit(
                name,
                config.scaling,
                config.scale_factor,
                &values[..training_rows],
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scaler {
        method: config.scaling,
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaling::ScalingMethod;
    use crate::series::Column;
    use chrono::NaiveDate;

    fn series(values: &[f64]) -> LoadedSeries {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        LoadedSeries {
            series: TimeSeries {
                source_name: "test".into(),
                dates: (0..values.len())
                    .map(|i| start + chrono::Days::new(i as u64))
                    .collect(),
                columns: vec![Column {
                    name: "Open".into(),
                    values: values.to_vec(),
                }],
            },
            dropped_rows: 0,
            was_unsorted: false,
            kept_rows: (0..values.len()).collect(),
        }
    }

    fn config(scaling: ScalingMethod) -> DataConfig {
        DataConfig {
            source: Source::Csv,
            path: Some("unused.csv".into()),
            points: None,
            x_range: None,
            noise: None,
            seed: None,
            date_column: "Date".into(),
            features: vec!["Open".into()],
            target: "Open".into(),
            scaling,
            scale_factor: Some(100.0),
            window_len: 5,
            stride: 1,
            horizon: 1,
            test_len: 1,
            valid_len: 1,
            drop_missing: false,
        }
    }

    #[test]
    fn article_table_becomes_scaled_samples() {
        let values = [100.0, 102.0, 105.0, 103.0, 106.0, 108.0, 107.0, 109.0];
        let data = prepare_loaded(series(&values), &config(ScalingMethod::Factor)).unwrap();
        let train = data.items(&data.splits.train);
        assert_eq!(train.len(), 1);
        assert_eq!(train[0].inputs, vec![1.0, 1.02, 1.05, 1.03, 1.06]);
        assert_eq!(train[0].targets, vec![1.08]);
        assert_eq!(data.items(&data.splits.valid)[0].targets, vec![1.07]);
        assert_eq!(data.items(&data.splits.test)[0].targets, vec![1.09]);
    }

    #[test]
    fn scaler_sees_only_training_rows() {
        // the held-out rows hold a huge value that must not leak into min/max
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 1000.0, 2000.0];
        let data = prepare_loaded(series(&values), &config(ScalingMethod::MinMax)).unwrap();
        let scaler = data.target_scaler();
        assert_eq!((scaler.offset, scaler.scale), (1.0, 5.0));
    }
}
