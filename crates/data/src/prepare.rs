//! From a config to ready samples: load, add calendar columns, split, fit the scaler on
//! training rows, and encode windows with a [`WindowCodec`].

use crate::DataError;
use crate::calendar;
use crate::config::{DataConfig, Source};
use crate::dataset::{SampleShape, WindowDataset, WindowItem};
use crate::scaling::{ColumnScaler, Scaler, standard_deviation};
use crate::series::{LoadedSeries, TimeSeries};
use crate::source::csv::{LoadOptions, load_csv};
use crate::source::sine;
use crate::transform::{RawWindow, TargetTransform, WindowCodec};
use crate::window::{SplitWindows, Window, WindowSpec, split_series};

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
    /// Rows dropped while cleaning (`[data] missing`).
    pub dropped_rows: usize,
    /// Whether the rows had to be sorted by date.
    pub was_unsorted: bool,
    /// The network's input columns: the features, then any calendar columns.
    pub features: Vec<String>,
    /// Target column.
    pub target: String,
    /// The window shape.
    pub window: WindowSpec,
    /// Windows of each split.
    pub splits: SplitWindows,
    /// How windows become samples and forecasts become values again; holds the scaler, fitted
    /// on the training rows only.
    pub codec: WindowCodec,
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
            .map(|window| self.codec.item(&self.series, window))
            .collect()
    }

    /// The input rows of `windows` in original units.
    pub fn raw_windows(&self, windows: &[Window]) -> Vec<RawWindow> {
        windows
            .iter()
            .map(|window| self.codec.raw_window(&self.series, window))
            .collect()
    }

    /// The scaler fitted on the training rows.
    pub fn scaler(&self) -> &Scaler {
        self.codec.scaler()
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
        self.scaler()
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
    prepare_loaded(load(config, optional_columns)?, config)
}

/// Loads the CSV file `config` names (or generates its sine wave), with `optional_columns` as
/// in [`prepare_with_optional`], without splitting it.
pub fn load(config: &DataConfig, optional_columns: &[&str]) -> Result<LoadedSeries, DataError> {
    config.validate()?;
    Ok(match &config.source {
        Source::Sine(spec) => sine::generate(spec)?,
        Source::Csv { path } => load_csv(
            path,
            &LoadOptions {
                date_column: config.date_column.clone(),
                date_format: config.date_format.clone(),
                columns: config.used_columns(),
                missing: config.missing,
                optional_columns: optional_columns.iter().map(|c| c.to_string()).collect(),
            },
        )?,
    })
}

/// Prepares an already loaded series (from a file or a generator) as `config` says.
pub fn prepare_loaded(
    loaded: LoadedSeries,
    config: &DataConfig,
) -> Result<PreparedData, DataError> {
    config.validate()?;
    let mut series = loaded.series;
    calendar::add_columns(&mut series, &config.calendar);
    let splits = split_series(
        &series.source_name,
        series.len(),
        config.window_spec(),
        config.split_spec(),
    )?;
    let scaler = fit_scaler(&series, config, &splits)?;
    let codec = codec(config, scaler)?;
    Ok(PreparedData {
        series,
        dropped_rows: loaded.dropped_rows,
        was_unsorted: loaded.was_unsorted,
        features: config.model_features(),
        target: config.target.clone(),
        window: config.window_spec(),
        splits,
        codec,
    })
}

/// The codec `config` describes, around a fitted `scaler` (as saved with a run).
pub fn codec(config: &DataConfig, scaler: Scaler) -> Result<WindowCodec, DataError> {
    WindowCodec::new(
        scaler,
        &config.model_features(),
        &config.calendar_columns(),
        &config.target,
        config.transform,
        config.window_norm,
    )
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
    let log_return_scale = match config.transform {
        TargetTransform::LogReturn => {
            let target = series
                .column(&config.target)
                .ok_or_else(|| missing_column(series, &config.target))?;
            Some(log_return_scale(series, target, training_rows)?)
        }
        TargetTransform::Level | TargetTransform::Difference => None,
    };
    Ok(Scaler {
        method: config.scaling,
        columns,
        log_return_scale,
    })
}

/// The standard deviation of the target's log returns over the training rows; every value of
/// the series must be positive.
fn log_return_scale(
    series: &TimeSeries,
    target: &[f64],
    training_rows: usize,
) -> Result<f64, DataError> {
    if let Some(row) = target
        .iter()
        .position(|value| *value <= 0.0 || value.is_nan())
    {
        return Err(DataError::InvalidSetting {
            key: "transform",
            message: format!(
                "log_return needs positive values, but {} has {} on {} (row {} of the series); \
                 use transform = \"difference\"",
                series.source_name,
                target[row],
                series.dates[row],
                row + 1
            ),
        });
    }
    let returns: Vec<f64> = target[..training_rows]
        .windows(2)
        .map(|pair| (pair[1] / pair[0]).ln())
        .collect();
    Ok(standard_deviation(&returns)
        .filter(|std| *std > 0.0)
        .unwrap_or(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaling::ScalingMethod;
    use chrono::NaiveDate;

    fn series(values: &[f64]) -> LoadedSeries {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        LoadedSeries::daily("test", start, "Open", values.to_vec())
    }

    fn config(scaling: ScalingMethod) -> DataConfig {
        DataConfig {
            scaling,
            scale_factor: Some(100.0),
            transform: TargetTransform::Level,
            window_norm: crate::transform::WindowNorm::None,
            valid_len: 1,
            ..DataConfig::new("unused.csv", &["Open"], "Open", 5, 1)
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
        // one-step changes of the training rows are all 1 (0.2 scaled): no spread
        assert_eq!(scaler.change_scale, 1.0);
    }

    #[test]
    fn difference_targets_are_changes_from_the_last_input() {
        let values = [100.0, 102.0, 105.0, 103.0, 106.0, 108.0, 107.0, 109.0];
        let mut config = config(ScalingMethod::None);
        config.transform = TargetTransform::Difference;
        let data = prepare_loaded(series(&values), &config).unwrap();
        // training rows 100..=108: changes 2, 3, −2, 3, 2, std √(mean of squared deviations)
        let changes = [2.0f64, 3.0, -2.0, 3.0, 2.0];
        let mean = changes.iter().sum::<f64>() / 5.0;
        let std = (changes.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / 5.0).sqrt();
        assert!((data.target_scaler().change_scale - std).abs() < 1e-12);
        let train = data.items(&data.splits.train);
        // inputs pass as levels; the target is (108 − 106) / std
        assert_eq!(train[0].inputs, vec![100.0, 102.0, 105.0, 103.0, 106.0]);
        assert!((f64::from(train[0].targets[0]) - 2.0 / std).abs() < 1e-6);
    }

    #[test]
    fn calendar_columns_join_the_features() {
        let values = [100.0, 102.0, 105.0, 103.0, 106.0, 108.0, 107.0, 109.0];
        let mut config = config(ScalingMethod::None);
        config.calendar = vec![crate::CalendarFeature::DayOfWeek];
        let data = prepare_loaded(series(&values), &config).unwrap();
        assert_eq!(
            data.features,
            ["Open", "day_of_week_sin", "day_of_week_cos"]
        );
        let item = &data.items(&data.splits.train)[0];
        // 2024-01-01 was a Monday: sin 0, cos 1, unscaled
        assert_eq!(item.inputs[..3], [100.0, 0.0, 1.0]);
    }

    #[test]
    fn log_return_needs_positive_values() {
        let values = [100.0, 102.0, 105.0, -3.0, 106.0, 108.0, 107.0, 109.0];
        let mut config = config(ScalingMethod::None);
        config.transform = TargetTransform::LogReturn;
        let error = prepare_loaded(series(&values), &config)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("transform") && error.contains("row 4"),
            "{error}"
        );
    }
}
