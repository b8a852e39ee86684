//! From a config to ready samples: load, add calendar columns, split, fit the scaler on
//! training rows, and encode windows with a [`WindowCodec`].

use std::sync::Arc;

use crate::DataError;
use crate::calendar;
use crate::config::{DataConfig, ForecastBounds, PanelSplit, Source};
use crate::dataset::{SampleShape, TrainingData, WindowDataset};
use crate::scaling::{ColumnScaler, Scaler, standard_deviation};
use crate::series::{Cleaning, LoadedSeries, TimeSeries};
use crate::source::file::{load_file, load_file_panel};
use crate::source::sine;
use crate::timestamp::Timestamp;
use crate::transform::{RawWindow, TargetTransform, WindowCodec, WindowItem, WindowNorm};
use crate::window::{SplitSpec, SplitWindows, WindowRun, WindowSpec, split_series};

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
    /// The cleaned series in original units (shared with the datasets made from it).
    pub series: Arc<TimeSeries>,
    /// What reading and cleaning did to the file's rows (see [`Cleaning`]).
    pub cleaning: Cleaning,
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
    pub codec: Arc<WindowCodec>,
    /// The range the target's forecasts are kept in (`[data] bounds`).
    pub bounds: ForecastBounds,
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

    /// The samples of `windows`, encoded now.
    pub fn items(&self, windows: &WindowRun) -> Vec<WindowItem> {
        windows
            .iter()
            .map(|window| self.codec.item(&self.series, &window))
            .collect()
    }

    /// The input rows of `windows` in original units.
    pub fn raw_windows(&self, windows: &WindowRun) -> Vec<RawWindow> {
        windows
            .iter()
            .map(|window| self.codec.raw_window(&self.series, &window))
            .collect()
    }

    /// The scaler fitted on the training rows.
    pub fn scaler(&self) -> &Scaler {
        self.codec.scaler()
    }

    /// A Burn dataset of `windows`, each encoded when it is read.
    pub fn dataset(&self, windows: &WindowRun) -> WindowDataset {
        WindowDataset::new(self.series.clone(), self.codec.clone(), *windows)
    }

    /// The training and validation windows, for training.
    pub fn training_data(&self) -> TrainingData {
        TrainingData {
            shape: self.sample_shape(),
            train: self.dataset(&self.splits.train),
            valid: self.dataset(&self.splits.valid),
        }
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
    if let Some(column) = &config.series_column {
        return Err(one_series_only(column));
    }
    prepare_loaded(load(config, optional_columns)?, config)
}

/// Loads the CSV file `config` names (or generates its sine wave), with `optional_columns` as
/// in [`prepare_with_optional`], without splitting it.
pub fn load(config: &DataConfig, optional_columns: &[&str]) -> Result<LoadedSeries, DataError> {
    config.validate()?;
    if let Some(column) = &config.series_column {
        return Err(one_series_only(column));
    }
    Ok(match &config.source {
        Source::Sine(spec) => sine::generate(spec)?,
        Source::File { path } => load_file(path, &config.load_options(optional_columns))?,
    })
}

fn one_series_only(column: &str) -> DataError {
    DataError::InvalidSetting {
        key: "series_column",
        message: format!(
            "series_column = \"{column}\" makes the file a panel of many series, which \
             yoho_data::prepare_panel reads (this reads one series)"
        ),
    }
}

/// Prepares an already loaded series (from a file or a generator) as `config` says.
pub fn prepare_loaded(
    loaded: LoadedSeries,
    config: &DataConfig,
) -> Result<PreparedData, DataError> {
    prepare_split(loaded, config, config.split_spec())
}

/// Prepares an already loaded series for the production fit, which forecasts past its end: no
/// test period; the newest `valid_len` rows are the validation period (none when 0) and every
/// window whose targets come before them trains; the scaler is fitted on the training rows.
/// `config`'s own `test_len` and `valid_len` are not used.
pub fn prepare_loaded_for_forecast(
    loaded: LoadedSeries,
    config: &DataConfig,
    valid_len: usize,
) -> Result<PreparedData, DataError> {
    prepare_split(loaded, config, for_forecast(valid_len))
}

fn prepare_split(
    loaded: LoadedSeries,
    config: &DataConfig,
    held_out: SplitSpec,
) -> Result<PreparedData, DataError> {
    config.validate()?;
    let cleaning = loaded.cleaning;
    let (series, splits) = split_loaded(loaded.series, config, held_out)?;
    finish(series, splits, cleaning, config)
}

/// The series with its calendar columns, and its windows split into `held_out`'s periods.
fn split_loaded(
    mut series: TimeSeries,
    config: &DataConfig,
    held_out: SplitSpec,
) -> Result<(TimeSeries, SplitWindows), DataError> {
    calendar::check_dates(&series, &config.calendar)?;
    calendar::add_columns(&mut series, &config.calendar);
    let splits = split_series(
        &series.source_name,
        series.len(),
        config.window_spec(),
        held_out,
    )?;
    Ok((series, splits))
}

/// The prepared data of a split series: its scaler fitted on the training rows.
fn finish(
    series: TimeSeries,
    splits: SplitWindows,
    cleaning: Cleaning,
    config: &DataConfig,
) -> Result<PreparedData, DataError> {
    let scaler = fit_scaler(&series, config, &splits)?;
    let codec = codec(config, scaler)?;
    Ok(PreparedData {
        series: Arc::new(series),
        cleaning,
        features: config.model_features(),
        target: config.target.clone(),
        window: config.window_spec(),
        splits,
        codec: Arc::new(codec),
        bounds: config.bounds,
    })
}

/// One series of a panel, prepared on its own: its own windows, splits and scaler.
#[derive(Debug, Clone)]
pub struct PanelSeries {
    /// The series' name (its cell in the series column).
    pub name: String,
    /// Its data, as [`prepare`] gives it for a file of one series.
    pub data: PreparedData,
}

/// Many series for one global model: each series scaled on its own training rows, its windows
/// split by time at a boundary common to all, so that no series trains on days another series
/// holds out.
#[derive(Debug, Clone)]
pub struct PreparedPanel {
    /// The file the series were read from.
    pub source_name: String,
    /// The column that names each row's series.
    pub series_column: String,
    /// Every series, in the order each first appears in the file.
    pub series: Vec<PanelSeries>,
    /// With `split = "common_time"`: the first held-out time of all series, before which
    /// every training target of every series comes; `None` when each series holds out its own
    /// newest rows.
    pub held_out_from: Option<Timestamp>,
    /// The series left out (too short for the windows), each with why.
    pub left_out: Vec<(String, String)>,
}

impl PreparedPanel {
    /// The shape of every sample (the same in every series).
    pub fn sample_shape(&self) -> SampleShape {
        self.series[0].data.sample_shape()
    }

    /// The training and validation windows of every series, for one model.
    pub fn training_data(&self) -> TrainingData {
        TrainingData {
            shape: self.sample_shape(),
            train: self.train_dataset(),
            valid: self.valid_dataset(),
        }
    }

    /// The training windows of every series, as one dataset.
    pub fn train_dataset(&self) -> WindowDataset {
        self.dataset(|data| data.splits.train)
    }

    /// The validation windows of every series, as one dataset.
    pub fn valid_dataset(&self) -> WindowDataset {
        self.dataset(|data| data.splits.valid)
    }

    fn dataset(&self, windows: impl Fn(&PreparedData) -> WindowRun) -> WindowDataset {
        let mut dataset = WindowDataset::default();
        for PanelSeries { data, .. } in &self.series {
            dataset.push(data.series.clone(), data.codec.clone(), windows(data));
        }
        dataset
    }
}

/// Loads the long-format file `config` names (`[data] series_column` set) and prepares every
/// series in it for one model; `optional_columns` as in [`prepare_with_optional`].
pub fn prepare_panel(
    config: &DataConfig,
    optional_columns: &[&str],
) -> Result<PreparedPanel, DataError> {
    config.validate()?;
    let (Source::File { path }, Some(column)) = (&config.source, &config.series_column) else {
        return Err(DataError::InvalidSetting {
            key: "series_column",
            message: "a panel is read from a file with series_column set, e.g. \
                      series_column = \"ticker\""
                .into(),
        });
    };
    let loaded = load_file_panel(path, &config.load_options(optional_columns), column)?;
    let mut panel = prepare_panel_loaded(loaded, config, column)?;
    panel.source_name = path.display().to_string();
    Ok(panel)
}

/// Prepares already loaded series (`(name, series)` pairs) as one panel (its `source_name`
/// "panel"; [`prepare_panel`] names the file).
///
/// Each series is windowed and split as a file of its own would be, and its scaler fitted on its
/// own training rows. With `split = "per_series"` (the default) that is all: each series holds
/// out its own newest rows, and a series too short for the windows, or constant over its
/// training rows (which a scaler cannot scale), is left out (listed in
/// [`PreparedPanel::left_out`]) unless none is left. With `split = "common_time"` the
/// earliest first held-out time over all series becomes the boundary, and every series keeps
/// only the training windows whose targets all come before it.
pub fn prepare_panel_loaded(
    loaded: Vec<(String, LoadedSeries)>,
    config: &DataConfig,
    series_column: &str,
) -> Result<PreparedPanel, DataError> {
    prepare_panel_split(loaded, config, series_column, config.split_spec())
}

/// Prepares already loaded series as one panel for the production fit, which forecasts past
/// each series' end: as [`prepare_panel_loaded`], but nothing is held out for a test; each
/// series' newest `valid_len` rows validate (none when 0) and every window whose targets come
/// before them trains. `config`'s own `test_len` and `valid_len` are not used.
pub fn prepare_panel_loaded_for_forecast(
    loaded: Vec<(String, LoadedSeries)>,
    config: &DataConfig,
    series_column: &str,
    valid_len: usize,
) -> Result<PreparedPanel, DataError> {
    prepare_panel_split(loaded, config, series_column, for_forecast(valid_len))
}

/// The periods of a production fit: no test, the newest `valid_len` rows validate.
fn for_forecast(valid_len: usize) -> SplitSpec {
    SplitSpec {
        test_len: 0,
        valid_len,
    }
}

fn prepare_panel_split(
    loaded: Vec<(String, LoadedSeries)>,
    config: &DataConfig,
    series_column: &str,
    held_out: SplitSpec,
) -> Result<PreparedPanel, DataError> {
    config.validate()?;
    let mut split = Vec::with_capacity(loaded.len());
    let mut left_out = Vec::new();
    for (name, loaded) in loaded {
        let cleaning = loaded.cleaning;
        match split_loaded(loaded.series, config, held_out) {
            Ok((series, splits)) => split.push((name, cleaning, series, splits)),
            Err(error @ DataError::TooShort { .. }) if config.split == PanelSplit::PerSeries => {
                left_out.push((name, error.to_string()));
            }
            Err(error) => return Err(error),
        }
    }
    if split.is_empty() {
        return Err(none_usable(&left_out));
    }
    let held_out_from = match config.split {
        // nothing held out (a refit on every row): no boundary to keep training before
        _ if held_out == SplitSpec::default() => None,
        PanelSplit::PerSeries => None,
        PanelSplit::CommonTime => Some(common_boundary(&mut split)?),
    };
    let mut series = Vec::with_capacity(split.len());
    for (name, cleaning, rows, splits) in split {
        match finish(rows, splits, cleaning, config) {
            Ok(mut data) => {
                let index = series.len();
                data.codec = Arc::new(data.codec.as_ref().clone().with_series_index(index));
                series.push(PanelSeries { name, data });
            }
            // a constant series: nothing to learn, and no scale to learn it in
            Err(error @ DataError::Scaling { .. }) if config.split == PanelSplit::PerSeries => {
                left_out.push((name, error.to_string()));
            }
            Err(error @ DataError::Scaling { .. }) => {
                return Err(DataError::InvalidSetting {
                    key: "series_column",
                    message: format!("series '{name}': {error}"),
                });
            }
            Err(error) => return Err(error),
        }
    }
    if series.is_empty() {
        return Err(none_usable(&left_out));
    }
    Ok(PreparedPanel {
        source_name: "panel".to_string(),
        series_column: series_column.to_string(),
        series,
        held_out_from,
        left_out,
    })
}

/// The error of a panel none of whose series can be used, with each one's reason.
fn none_usable(left_out: &[(String, String)]) -> DataError {
    let reasons: Vec<&str> = left_out.iter().map(|(_, why)| why.as_str()).collect();
    DataError::InvalidSetting {
        key: "series_column",
        message: match reasons.is_empty() {
            true => "the file holds no series".into(),
            false => format!("no series can be used: {}", reasons.join("; ")),
        },
    }
}

/// A series of a panel, windowed and split, before its scaler is fitted.
type SplitSeries = (String, Cleaning, TimeSeries, SplitWindows);

/// The earliest first held-out time over `split`'s series; every series keeps only the training
/// windows whose targets all come before it (an error names a series left without any).
fn common_boundary(split: &mut [SplitSeries]) -> Result<Timestamp, DataError> {
    let (first_name, held_out_from) = split
        .iter()
        .map(|(name, _, series, splits)| (name, series.dates[splits.first_held_out_row()]))
        .min_by_key(|(_, date)| *date)
        .map(|(name, date)| (name.clone(), date))
        .expect("a panel has a series");
    for (name, _, series, splits) in split.iter_mut() {
        let boundary = series.dates.partition_point(|date| *date < held_out_from);
        *splits = splits
            .train_before(boundary)
            .ok_or_else(|| DataError::InvalidSetting {
                key: "series_column",
                message: format!(
                    "series '{name}' has no training window before {held_out_from}, where the \
                     held-out days of series '{first_name}' begin (split = \"common_time\": \
                     all series share one time split); drop it from the file, hold out fewer \
                     days (test_len, valid_len), or split = \"per_series\""
                ),
            })?;
    }
    Ok(held_out_from)
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
    .map(|codec| codec.with_season(config.season.unwrap_or(1)))
}

/// A scaler's `error` for a column of `series` (its target where `target`), naming the file and
/// saying what to do about a constant column.
fn scaling_error_of(error: DataError, series: &TimeSeries, target: bool) -> DataError {
    match error {
        DataError::Scaling {
            column,
            method,
            reason,
            constant,
            ..
        } => {
            let hint = match (constant, target) {
                (true, true) => {
                    "; a series that never changes gives a network nothing to learn (its \
                     naive forecast repeats that value)"
                }
                (true, false) => "; remove it from [data] features",
                (false, _) => "",
            };
            DataError::Scaling {
                source_name: series.source_name.clone(),
                column,
                method,
                reason: format!("{reason}{hint}"),
                constant,
            }
        }
        other => other,
    }
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
    check_logarithms(series, config)?;
    let columns = config
        .used_columns()
        .iter()
        .map(|name| {
            let values = series
                .column(name)
                .ok_or_else(|| missing_column(series, name))?;
            let fit = match config.log && *name == config.target {
                true => ColumnScaler::fit_log,
                false => ColumnScaler::fit,
            };
            fit(
                name,
                config.scaling,
                config.scale_factor,
                &values[..training_rows],
            )
            .map_err(|error| scaling_error_of(error, series, *name == config.target))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let log_return_scale = match config.transform {
        TargetTransform::LogReturn => {
            let target = series
                .column(&config.target)
                .ok_or_else(|| missing_column(series, &config.target))?;
            Some(log_return_scale(target, training_rows))
        }
        TargetTransform::Level
        | TargetTransform::Difference
        | TargetTransform::SeasonalDifference => None,
    };
    Ok(Scaler {
        method: config.scaling,
        columns,
        log_return_scale,
    })
}

/// The columns of `series` whose logarithm `config` models must be positive in every row, or
/// their windows could not be encoded: the target with `log = true` (and every feature with
/// `window_norm = "target"` too, which scales them with the target's scaler) or with
/// `transform = "log_return"`. Preparation checks the whole series; `trainer predict` the
/// series it forecasts from.
pub fn check_logarithms(series: &TimeSeries, config: &DataConfig) -> Result<(), DataError> {
    let column = |name: &str| {
        series
            .column(name)
            .ok_or_else(|| missing_column(series, name))
    };
    if config.transform == TargetTransform::LogReturn {
        let setting = (
            "transform",
            "transform = \"log_return\"",
            "use transform = \"difference\"",
        );
        check_positive(series, &config.target, column(&config.target)?, setting)?;
    }
    if config.log {
        let setting = ("log", "log = true", "remove log = true");
        let columns = match config.window_norm {
            WindowNorm::Target => config.used_columns(),
            _ => vec![config.target.clone()],
        };
        for name in &columns {
            check_positive(series, name, column(name)?, setting)?;
        }
    }
    Ok(())
}

/// `column`'s `values` must all be positive for `setting` (`key` names it in the error;
/// `remedy` says what to set instead).
fn check_positive(
    series: &TimeSeries,
    column: &str,
    values: &[f64],
    (key, setting, remedy): (&'static str, &str, &str),
) -> Result<(), DataError> {
    match values
        .iter()
        .position(|value| *value <= 0.0 || value.is_nan())
    {
        None => Ok(()),
        Some(row) => Err(DataError::InvalidSetting {
            key,
            message: format!(
                "{setting} needs positive values of '{column}', but {} has {} on {}; {remedy}",
                series.source_name, values[row], series.dates[row]
            ),
        }),
    }
}

/// The standard deviation of the target's log returns over the training rows (every value
/// positive: [`check_logarithms`]).
fn log_return_scale(target: &[f64], training_rows: usize) -> f64 {
    let returns: Vec<f64> = target[..training_rows]
        .windows(2)
        .map(|pair| (pair[1] / pair[0]).ln())
        .collect();
    standard_deviation(&returns)
        .filter(|std| *std > 0.0)
        .unwrap_or(1.0)
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
            window_norm: WindowNorm::None,
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
            error.contains("transform") && error.contains("-3 on 2024-01-04"),
            "{error}"
        );
    }

    #[test]
    fn log_needs_positive_values_even_after_the_training_rows() {
        let mut config = config(ScalingMethod::Standard);
        config.log = true;
        // the zero is in the test period: windows holding it could not be encoded
        let values = [100.0, 102.0, 105.0, 103.0, 106.0, 108.0, 107.0, 0.0];
        let error = prepare_loaded(series(&values), &config)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("log")
                && error.contains("0 on 2024-01-08")
                && error.contains("positive"),
            "{error}"
        );
        config.transform = TargetTransform::LogReturn;
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.contains("log") && error.contains("log_return"),
            "{error}"
        );
    }

    #[test]
    fn log_with_the_targets_window_norm_needs_every_feature_positive() {
        let values = [100.0, 102.0, 105.0, 103.0, 106.0, 108.0, 107.0, 109.0];
        let mut loaded = series(&values);
        let mut close = loaded.series.columns[0].clone();
        close.name = "Close".into();
        close.values[2] = -1.0;
        loaded.series.columns.push(close);
        let mut config = config(ScalingMethod::Standard);
        config.features = vec!["Open".into(), "Close".into()];
        config.log = true;
        // the target is positive: only the target's logarithm is modelled
        assert!(prepare_loaded(loaded.clone(), &config).is_ok());
        // window_norm = "target" scales Close with the target's logarithm too
        config.window_norm = WindowNorm::Target;
        config.transform = TargetTransform::Difference;
        let error = prepare_loaded(loaded, &config).unwrap_err().to_string();
        assert!(
            error.contains("'Close'") && error.contains("-1 on 2024-01-03"),
            "{error}"
        );
    }

    #[test]
    fn log_scales_the_targets_logarithm_on_the_training_rows_only() {
        let mut config = config(ScalingMethod::Standard);
        config.log = true;
        let values = [100.0, 102.0, 105.0, 103.0, 106.0, 108.0, 107.0, 1e9];
        let data = prepare_loaded(series(&values), &config).unwrap();
        let scaler = data.target_scaler();
        let training_rows = data.splits.last_training_row().unwrap() + 1;
        let logs: Vec<f64> = values[..training_rows].iter().map(|v| v.ln()).collect();
        let expected = ColumnScaler::fit("Open", ScalingMethod::Standard, None, &logs).unwrap();
        assert!(scaler.log);
        assert_eq!(
            (scaler.offset, scaler.scale),
            (expected.offset, expected.scale)
        );
    }

    /// `days` consecutive daily values from `start`, `value(i)` on day `i`.
    fn daily(start: NaiveDate, days: usize, value: impl Fn(usize) -> f64) -> LoadedSeries {
        LoadedSeries::daily("panel.csv", start, "Open", (0..days).map(value).collect())
    }

    fn panel_config() -> DataConfig {
        DataConfig {
            series_column: Some("ticker".into()),
            valid_len: 2,
            ..config(ScalingMethod::MinMax)
        }
    }

    fn common_time() -> DataConfig {
        DataConfig {
            split: PanelSplit::CommonTime,
            ..panel_config()
        }
    }

    #[test]
    fn per_series_each_holds_out_its_own_newest_rows_whatever_its_dates() {
        // two series from different decades: each trains, validates and tests on its own rows
        let old = NaiveDate::from_ymd_opt(1975, 1, 1).unwrap();
        let new = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
        let panel = prepare_panel_loaded(
            vec![
                ("old".into(), daily(old, 40, |i| 10.0 + (i % 5) as f64)),
                ("new".into(), daily(new, 50, |i| 100.0 + (i % 3) as f64)),
                ("tiny".into(), daily(new, 6, |i| i as f64)),
            ],
            &panel_config(),
            "ticker",
        )
        .unwrap();
        assert_eq!(panel.held_out_from, None);
        let names: Vec<&str> = panel.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["old", "new"]);
        // each kept series' windows carry its index among the kept ones
        let indices: Vec<usize> = (panel.series.iter())
            .map(|s| s.data.codec.series_index())
            .collect();
        assert_eq!(indices, [0, 1]);
        let training = panel.training_data();
        assert_eq!(training.train.series_count(), 2);
        let items = training.train.items();
        assert_eq!(items.first().map(|item| item.series), Some(0));
        assert_eq!(items.last().map(|item| item.series), Some(1));
        let alone = |days, start| {
            prepare_loaded(
                daily(start, days, |i| i as f64 + 1.0),
                &DataConfig {
                    valid_len: 2,
                    ..config(ScalingMethod::MinMax)
                },
            )
            .unwrap()
            .splits
        };
        for (member, (days, start)) in panel.series.iter().zip([(40, old), (50, new)]) {
            assert_eq!(member.data.splits, alone(days, start), "{}", member.name);
        }
        // the series too short for the windows is left out, and said why
        assert_eq!(panel.left_out.len(), 1);
        assert_eq!(panel.left_out[0].0, "tiny");
        assert!(panel.left_out[0].1.contains("rows"), "{:?}", panel.left_out);
    }

    #[test]
    fn no_series_trains_on_days_another_series_holds_out() {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        // "late" runs 60 days, "early" ends 20 days sooner: its held-out days come first
        let panel = prepare_panel_loaded(
            vec![
                ("late".into(), daily(start, 60, |i| 100.0 + i as f64)),
                ("early".into(), daily(start, 40, |i| 50.0 + (i % 7) as f64)),
            ],
            &common_time(),
            "ticker",
        )
        .unwrap();
        let early = &panel.series[1].data;
        let first_held_out = early.series.dates[early.splits.first_held_out_row()];
        assert_eq!(panel.held_out_from, Some(first_held_out));
        for member in &panel.series {
            let data = &member.data;
            for window in data.splits.train.iter() {
                assert!(
                    data.series.dates[window.last_target_row()] < first_held_out,
                    "{} trains on {}",
                    member.name,
                    data.series.dates[window.last_target_row()]
                );
            }
            // each series still tests on its own newest days
            let last_test = data.splits.test.last().unwrap().last_target_row();
            assert_eq!(last_test, data.series.len() - 1);
        }
        // split on its own, "late" would have trained into "early"'s test days
        let alone = prepare_loaded(
            daily(start, 60, |i| 100.0 + i as f64),
            &config(ScalingMethod::MinMax),
        )
        .unwrap();
        let last_alone = alone.splits.train.last().unwrap().last_target_row();
        assert!(alone.series.dates[last_alone] >= first_held_out);
    }

    #[test]
    fn each_series_is_scaled_on_its_own_training_rows() {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let panel = prepare_panel_loaded(
            vec![
                ("small".into(), daily(start, 30, |i| 10.0 + i as f64)),
                (
                    "large".into(),
                    daily(start, 30, |i| 10_000.0 + 100.0 * i as f64),
                ),
            ],
            &panel_config(),
            "ticker",
        )
        .unwrap();
        for (member, (first, step)) in panel.series.iter().zip([(10.0, 1.0), (10_000.0, 100.0)]) {
            let scaler = member.data.target_scaler();
            let training_rows = member.data.splits.last_training_row().unwrap() + 1;
            assert_eq!(scaler.offset, first, "{}", member.name);
            assert_eq!(
                scaler.scale,
                step * (training_rows - 1) as f64,
                "{}",
                member.name
            );
        }
        // the panel's dataset reads each series through its own scaler, lazily
        let dataset = panel.train_dataset();
        let expected: Vec<WindowItem> = panel
            .series
            .iter()
            .flat_map(|member| member.data.items(&member.data.splits.train))
            .collect();
        assert_eq!(dataset.items(), expected);
        assert_eq!(burn::data::dataset::Dataset::len(&dataset), expected.len());
    }

    #[test]
    fn a_constant_series_is_left_out_or_named() {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let series = || {
            vec![
                ("first".into(), daily(start, 30, |i| i as f64 + 1.0)),
                ("flat".into(), daily(start, 30, |_| 7.0)),
                ("last".into(), daily(start, 30, |i| 2.0 * i as f64)),
            ]
        };
        let panel = prepare_panel_loaded(series(), &panel_config(), "ticker").unwrap();
        let names: Vec<&str> = panel.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["first", "last"]);
        // the kept series are numbered without a gap
        assert_eq!(panel.series[1].data.codec.series_index(), 1);
        assert_eq!(panel.left_out[0].0, "flat");
        assert!(
            panel.left_out[0].1.contains("constant"),
            "{:?}",
            panel.left_out
        );
        // one time split for all: an error that names it
        let error = prepare_panel_loaded(series(), &common_time(), "ticker")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("series 'flat'") && error.contains("constant"),
            "{error}"
        );
    }

    #[test]
    fn a_panel_prepared_for_a_forecast_holds_out_no_test() {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let series = vec![
            ("a".into(), daily(start, 30, |i| i as f64 + 1.0)),
            ("b".into(), daily(start, 25, |i| (i % 4) as f64)),
        ];
        let panel =
            prepare_panel_loaded_for_forecast(series, &panel_config(), "ticker", 3).unwrap();
        for member in &panel.series {
            let splits = &member.data.splits;
            assert!(splits.test.is_empty(), "{}", member.name);
            // the newest 3 rows validate: the last validation target is the last row
            let last = splits.valid.last().unwrap().last_target_row();
            assert_eq!(last, member.data.series.len() - 1, "{}", member.name);
        }
    }

    #[test]
    fn a_series_with_nothing_before_the_boundary_is_named() {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let late_start = NaiveDate::from_ymd_opt(2024, 2, 1).unwrap();
        let error = prepare_panel_loaded(
            vec![
                ("old".into(), daily(start, 30, |i| i as f64 + 1.0)),
                ("new".into(), daily(late_start, 30, |i| i as f64 + 1.0)),
            ],
            &common_time(),
            "ticker",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("series 'new'") && error.contains("series 'old'"),
            "{error}"
        );
    }
}
