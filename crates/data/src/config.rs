//! The `[data]` section of an experiment config.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::DataError;
use crate::calendar::{self, CalendarFeature};
use crate::missing::MissingPolicy;
use crate::scaling::ScalingMethod;
use crate::sine::SineSpec;
use crate::source::file::{LoadOptions, PanelLayout, SERIES_COLUMNS_JOINED_BY};
use crate::transform::{TargetTransform, WindowNorm, is_target_only};
use crate::window::{SplitSpec, WindowSpec};

fn default_date_column() -> String {
    "Date".to_string()
}

fn one() -> usize {
    1
}

/// `[data] split`: how the series of a panel are split into train | valid | test periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelSplit {
    /// Each series holds out its own newest `test_len` (and `valid_len`) rows, whatever its
    /// dates, as NeuralForecast and Darts do: a panel may mix series of different decades, as
    /// the M4 competition's do. A series too short for the windows is left out, and said so.
    #[default]
    PerSeries,
    /// Every series trains only on targets before the earliest held-out time of any series:
    /// for series that share a calendar (stocks), where a later series' test period must not
    /// be known while another is trained on.
    CommonTime,
}

/// Where a series comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A CSV or Parquet file (by its extension); a relative path is taken from the current
    /// directory.
    File {
        /// The file.
        path: PathBuf,
    },
    /// The NumPy article's noisy sine wave, columns `x`, `value` and `clean`.
    Sine(SineSpec),
}

/// `series_column` as a column's name, or several (`["Sex", "Age"]`, a series named by two
/// columns as tsibble's keys name one), written as one name joined by
/// [`SERIES_COLUMNS_JOINED_BY`] (`"Sex, Age"`, which the file reader splits again).
fn column_or_columns<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMore {
        One(String),
        More(Vec<String>),
    }
    Ok(match OneOrMore::deserialize(deserializer)? {
        OneOrMore::One(name) => Some(name),
        OneOrMore::More(names) => Some(names.join(SERIES_COLUMNS_JOINED_BY)),
    })
}

/// How a `[data]` section is written in TOML: every key of every source side by side, checked
/// and turned into a [`DataConfig`] (whose [`Source`] holds only its own keys) when read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DataSection {
    #[serde(default)]
    source: SourceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    points: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x_range: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    noise: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(default = "default_date_column")]
    date_column: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    date_format: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "column_or_columns"
    )]
    series_column: Option<String>,
    #[serde(default)]
    split: PanelSplit,
    #[serde(default, skip_serializing_if = "is_long")]
    layout: PanelLayout,
    /// Without it, the target alone.
    #[serde(default)]
    features: Option<Vec<String>>,
    target: String,
    #[serde(default)]
    scaling: ScalingMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scale_factor: Option<f64>,
    #[serde(default)]
    transform: TargetTransform,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    log: bool,
    #[serde(default, skip_serializing_if = "ForecastBounds::is_auto")]
    bounds: ForecastBounds,
    #[serde(default)]
    window_norm: WindowNorm,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    calendar: Vec<CalendarFeature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    season: Option<usize>,
    window_len: usize,
    #[serde(default = "one")]
    stride: usize,
    #[serde(default = "one")]
    horizon: usize,
    /// Without it, one horizon (one forecast origin, as the M4 competition holds out).
    #[serde(default)]
    test_len: Option<usize>,
    #[serde(default)]
    valid_len: usize,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    drop_missing: bool,
    #[serde(default)]
    missing: Option<MissingPolicy>,
}

fn is_long(layout: &PanelLayout) -> bool {
    *layout == PanelLayout::Long
}

/// The range a series' forecasts are kept in (`[data] bounds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForecastBounds {
    /// A series with no negative value up to a forecast's origin (counts, sales, prices) is
    /// forecast non-negative: point forecasts and interval ends below zero become zero.
    #[default]
    Auto,
    /// Forecasts and intervals as the models make them (to compare a network's raw outputs
    /// with another tool's).
    None,
}

impl ForecastBounds {
    fn is_auto(&self) -> bool {
        *self == Self::Auto
    }
}

/// The `source` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SourceKind {
    #[default]
    Csv,
    Sine,
}

impl DataSection {
    /// `missing`, or `drop` for the older `drop_missing = true`; the two must agree.
    fn missing_policy(&self) -> Result<MissingPolicy, DataError> {
        match (self.missing, self.drop_missing) {
            (None, drop) => Ok(match drop {
                true => MissingPolicy::Drop,
                false => MissingPolicy::Error,
            }),
            (Some(policy), false) => Ok(policy),
            (Some(MissingPolicy::Drop), true) => Ok(MissingPolicy::Drop),
            (Some(_), true) => Err(DataError::InvalidSetting {
                key: "drop_missing",
                message: "drop_missing = true means missing = \"drop\"; set only missing".into(),
            }),
        }
    }

    /// The source its keys describe; a key of the other source is an error naming it.
    fn source(&self) -> Result<Source, DataError> {
        match self.source {
            SourceKind::Csv => {
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
                let path = self.path.clone().ok_or_else(|| DataError::InvalidSetting {
                    key: "path",
                    message: "expected the CSV file to read, e.g. path = \"data/sp500.csv\" \
                              (or source = \"sine\" for the generated sine wave)"
                        .into(),
                })?;
                Ok(Source::File { path })
            }
            SourceKind::Sine => {
                if self.path.is_some() {
                    return Err(DataError::InvalidSetting {
                        key: "path",
                        message: "source = \"sine\" generates its series; remove path or set \
                                  source = \"csv\""
                            .into(),
                    });
                }
                let defaults = SineSpec::default();
                Ok(Source::Sine(SineSpec {
                    points: self.points.unwrap_or(defaults.points),
                    x_range: self.x_range.unwrap_or(defaults.x_range),
                    noise: self.noise.unwrap_or(defaults.noise),
                    seed: self.seed.unwrap_or(defaults.seed),
                }))
            }
        }
    }
}

impl TryFrom<DataSection> for DataConfig {
    type Error = DataError;

    fn try_from(section: DataSection) -> Result<Self, DataError> {
        let missing = section.missing_policy()?;
        let config = Self {
            source: section.source()?,
            date_column: section.date_column,
            date_format: section.date_format,
            series_column: section.series_column,
            split: section.split,
            layout: section.layout,
            features: (section.features).unwrap_or_else(|| vec![section.target.clone()]),
            target: section.target,
            scaling: section.scaling,
            scale_factor: section.scale_factor,
            transform: section.transform,
            log: section.log,
            bounds: section.bounds,
            window_norm: section.window_norm,
            calendar: section.calendar,
            season: section.season,
            window_len: section.window_len,
            stride: section.stride,
            horizon: section.horizon,
            test_len: section.test_len.unwrap_or(section.horizon),
            valid_len: section.valid_len,
            missing,
        };
        config.validate()?;
        Ok(config)
    }
}

impl From<DataConfig> for DataSection {
    fn from(config: DataConfig) -> Self {
        let (source, path, sine) = match config.source {
            Source::File { path } => (SourceKind::Csv, Some(path), None),
            Source::Sine(spec) => (SourceKind::Sine, None, Some(spec)),
        };
        Self {
            source,
            path,
            points: sine.map(|spec| spec.points),
            x_range: sine.map(|spec| spec.x_range),
            noise: sine.map(|spec| spec.noise),
            seed: sine.map(|spec| spec.seed),
            date_column: config.date_column,
            date_format: config.date_format,
            series_column: config.series_column,
            split: config.split,
            layout: config.layout,
            features: Some(config.features),
            target: config.target,
            scaling: config.scaling,
            scale_factor: config.scale_factor,
            transform: config.transform,
            log: config.log,
            bounds: config.bounds,
            window_norm: config.window_norm,
            calendar: config.calendar,
            season: config.season,
            window_len: config.window_len,
            stride: config.stride,
            horizon: config.horizon,
            test_len: Some(config.test_len),
            valid_len: config.valid_len,
            drop_missing: false,
            missing: Some(config.missing),
        }
    }
}

/// Where the series comes from and how it becomes samples: the `[data]` section of an
/// experiment config. Read from TOML, unknown keys, keys of another source and an empty
/// `features` list are errors that name the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DataSection", into = "DataSection")]
pub struct DataConfig {
    /// `source = "csv"` (the default) with `path`, or `source = "sine"` with `points`,
    /// `x_range`, `noise` and `seed` (each with the article's default).
    pub source: Source,
    /// Header of the date column.
    pub date_column: String,
    /// A `strftime` pattern of the dates (e.g. `"%d/%m/%Y"`); without it the format is
    /// detected: ISO dates or date-times, US `M/D/YYYY`, European `D/M/YYYY` or `D.M.YYYY`.
    pub date_format: Option<String>,
    /// For a long-format file of many series (a panel): the column naming each row's series
    /// (e.g. `"ticker"`), or the columns that name it together, joined by
    /// [`SERIES_COLUMNS_JOINED_BY`] (`"Sex, Age"`, written `["Sex", "Age"]` in TOML). One
    /// global model is trained over every series; see [`crate::prepare_panel`].
    pub series_column: Option<String>,
    /// How a panel's series are split into periods: each its own newest rows (`per_series`,
    /// the default) or all at one time boundary (`common_time`).
    pub split: PanelSplit,
    /// How a panel's file holds its series: a row per date and series (`long`, the default)
    /// or a column per series (`wide`).
    pub layout: PanelLayout,
    /// Input columns, in order (e.g. `["Open"]` or `["Open", "High", "Low", "Close"]`).
    pub features: Vec<String>,
    /// The column to forecast.
    pub target: String,
    /// How columns are scaled for the model: `none`, `factor`, `minmax` or `standard`.
    pub scaling: ScalingMethod,
    /// The divisor for `scaling = "factor"` (the article: 10000).
    pub scale_factor: Option<f64>,
    /// What the network predicts: `difference` (the change from the window's last value, the
    /// default), `log_return` or `level` (the article's way).
    pub transform: TargetTransform,
    /// Model the target's natural logarithm (strictly positive targets): the forecasts stay
    /// positive, and changes and seasonal swings that grow with the level become constant. The
    /// transform then acts on the logarithm, and forecasts are turned back into original
    /// units.
    pub log: bool,
    /// The range forecasts are kept in: `auto` (the default; a series never negative up to the
    /// origin is forecast non-negative) or `none`.
    pub bounds: ForecastBounds,
    /// Per-window normalisation of the inputs: `last` (the default), `mean`, `target` or `none`.
    pub window_norm: WindowNorm,
    /// Calendar inputs added to the features as sine/cosine pairs: `day_of_week`, `month`,
    /// `day_of_year`.
    pub calendar: Vec<CalendarFeature>,
    /// Rows per season (12 for monthly data with a yearly cycle, 4 for quarterly, 7 for daily
    /// with a weekly one): the period of `transform = "seasonal_difference"`.
    pub season: Option<usize>,
    /// Input steps per window.
    pub window_len: usize,
    /// Steps between consecutive windows.
    pub stride: usize,
    /// Target steps after each window (1 = next day).
    pub horizon: usize,
    /// Rows of the test period, the newest (the article: 100 targets); a test window has every
    /// target inside it.
    pub test_len: usize,
    /// Rows of the validation period just before the test period (0 = no validation).
    pub valid_len: usize,
    /// What to do with empty cells and with dates missing inside the series: `error` (the
    /// default), `drop` (the rows; `drop_missing = true` says the same), `ffill` or
    /// `interpolate`.
    pub missing: MissingPolicy,
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
            source: Source::File { path: path.into() },
            date_column: default_date_column(),
            date_format: None,
            series_column: None,
            layout: PanelLayout::Long,
            split: PanelSplit::default(),
            features: features.iter().map(|f| f.to_string()).collect(),
            target: target.to_string(),
            scaling: ScalingMethod::default(),
            scale_factor: None,
            transform: TargetTransform::default(),
            log: false,
            bounds: ForecastBounds::default(),
            window_norm: WindowNorm::default(),
            calendar: Vec::new(),
            season: None,
            window_len,
            stride: 1,
            horizon: 1,
            test_len,
            valid_len: 0,
            missing: MissingPolicy::Error,
        }
    }

    /// The same section with the generated sine wave of `spec` as its series.
    pub fn with_sine(self, spec: SineSpec) -> Self {
        Self {
            source: Source::Sine(spec),
            ..self
        }
    }

    /// Checks what the types alone do not: at least one feature, every step count in its range
    /// (see [`crate::window::MAX_STEPS`]), and the sine's parameters.
    /// Reading a config from TOML checks this already; [`crate::prepare()`] checks it again for
    /// configs built in code.
    pub fn validate(&self) -> Result<(), DataError> {
        if self.features.is_empty() {
            return Err(DataError::InvalidSetting {
                key: "features",
                message: "expected at least one column name, e.g. [\"Open\"]".into(),
            });
        }
        crate::window::check_spec(self.window_spec(), self.split_spec())?;
        self.check_season()?;
        self.check_log()?;
        if let Some(column) = &self.series_column {
            self.check_series_column(column)?;
        }
        self.check_layout()?;
        match &self.source {
            Source::File { .. } => Ok(()),
            Source::Sine(spec) => spec.validate(),
        }
    }

    /// `season`, when set, fits in a window; the seasonal transform needs it.
    fn check_season(&self) -> Result<(), DataError> {
        let refuse = |message: String| {
            Err(DataError::InvalidSetting {
                key: "season",
                message,
            })
        };
        match (self.season, self.transform) {
            (None, TargetTransform::SeasonalDifference) => refuse(
                "transform = \"seasonal_difference\" needs the rows per season, e.g. season = 12 \
                 for monthly data"
                    .into(),
            ),
            (Some(season), _) if !(1..=self.window_len).contains(&season) => refuse(format!(
                "expected at least 1 and at most window_len = {} rows (a window must hold a \
                 season), got {season}",
                self.window_len
            )),
            _ => Ok(()),
        }
    }

    /// `log` models the logarithm's level; `log_return` its changes already.
    fn check_log(&self) -> Result<(), DataError> {
        if self.log && self.transform == TargetTransform::LogReturn {
            return Err(DataError::InvalidSetting {
                key: "log",
                message: "transform = \"log_return\" already models the logarithm's changes; \
                          remove log = true, or choose transform = \"difference\""
                    .into(),
            });
        }
        Ok(())
    }

    /// The series column must be a column of a file, and neither the dates nor a value.
    /// A wide file holds one value per series and date: it needs `series_column` (what its
    /// columns are) and no feature but the target.
    fn check_layout(&self) -> Result<(), DataError> {
        let refuse = |message: String| {
            Err(DataError::InvalidSetting {
                key: "layout",
                message,
            })
        };
        if self.layout == PanelLayout::Long {
            return Ok(());
        }
        if self.series_column.is_none() {
            return refuse(
                "layout = \"wide\" reads a column per series; set series_column to what the \
                 columns are, e.g. series_column = \"ticker\""
                    .into(),
            );
        }
        if self.used_columns() != [self.target.clone()] {
            return refuse(format!(
                "a wide file holds one value per series and date, named by target ('{}'); \
                 expected features = [\"{}\"], got {:?}",
                self.target, self.target, self.features
            ));
        }
        Ok(())
    }

    fn check_series_column(&self, column: &str) -> Result<(), DataError> {
        let refuse = |message: String| {
            Err(DataError::InvalidSetting {
                key: "series_column",
                message,
            })
        };
        if matches!(self.source, Source::Sine(_)) {
            return refuse("the generated sine is one series; remove series_column".into());
        }
        let taken =
            |name: &str| name == self.date_column || self.used_columns().iter().any(|c| c == name);
        if taken(column) || column.split(SERIES_COLUMNS_JOINED_BY).any(taken) {
            return refuse(format!(
                "'{column}' is the date column, a feature or the target; expected the column \
                 that names each row's series (e.g. \"ticker\")"
            ));
        }
        Ok(())
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

    /// Sets `window_len`. A season longer than the new window no longer fits in it: it is
    /// dropped, and the seasonal difference, which measures from the window's last season,
    /// becomes the plain difference (other transforms are kept).
    pub fn set_window_len(&mut self, window_len: usize) {
        self.window_len = window_len;
        if self.season.is_some_and(|season| season > window_len) {
            self.season = None;
            if self.transform == TargetTransform::SeasonalDifference {
                self.transform = TargetTransform::Difference;
            }
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

    /// Whether the target is the model's only input (no other feature, no calendar column), so
    /// that forecasts can be fed back as new rows.
    pub fn is_univariate(&self) -> bool {
        is_target_only(&self.model_features(), &self.target)
    }

    /// Whether the model's inputs are the target and calendar features only: every input is
    /// known ahead but the target, so the model can be fed its own forecasts, each with its
    /// row's calendar.
    pub fn target_and_calendar_only(&self) -> bool {
        is_target_only(&self.features, &self.target)
    }

    /// How the file is read: the date column and format, the used columns, the missing-value
    /// policy, and `optional_columns` read when the file has them.
    pub fn load_options(&self, optional_columns: &[&str]) -> LoadOptions {
        LoadOptions {
            date_column: self.date_column.clone(),
            date_format: self.date_format.clone(),
            columns: self.used_columns(),
            missing: self.missing,
            optional_columns: optional_columns.iter().map(|c| c.to_string()).collect(),
            layout: self.layout,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(keys: &str) -> Result<DataConfig, String> {
        let text = format!(
            "features = [\"value\"]\ntarget = \"value\"\nwindow_len = 5\ntest_len = 10\n{keys}"
        );
        toml::from_str(&text).map_err(|error| error.to_string())
    }

    #[test]
    fn a_wide_layout_needs_a_series_column_and_the_target_alone() {
        let wide =
            parse("path = \"a.csv\"\nseries_column = \"ticker\"\nlayout = \"wide\"").unwrap();
        assert_eq!(wide.layout, PanelLayout::Wide);
        let text = toml::to_string(&wide).unwrap();
        assert!(text.contains("layout = \"wide\""), "{text}");
        let long = parse("path = \"a.csv\"\nseries_column = \"ticker\"").unwrap();
        assert!(!toml::to_string(&long).unwrap().contains("layout"));
        let alone = parse("path = \"a.csv\"\nlayout = \"wide\"").unwrap_err();
        assert!(
            alone.contains("layout") && alone.contains("series_column"),
            "{alone}"
        );
        let error = toml::from_str::<DataConfig>(
            "features = [\"value\", \"volume\"]\ntarget = \"value\"\nwindow_len = 5\n\
             test_len = 10\npath = \"a.csv\"\nseries_column = \"ticker\"\nlayout = \"wide\"",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("one value per series and date"), "{error}");
    }

    #[test]
    fn a_series_column_may_be_several_columns() {
        let config = parse("path = \"a.csv\"\nseries_column = [\"Sex\", \"Age\"]").unwrap();
        assert_eq!(config.series_column.as_deref(), Some("Sex, Age"));
        let text = toml::to_string(&config).unwrap();
        assert!(text.contains("series_column = \"Sex, Age\""), "{text}");
        let error = parse("path = \"a.csv\"\nseries_column = [\"Sex\", \"value\"]").unwrap_err();
        assert!(
            error.contains("the date column, a feature or the target"),
            "{error}"
        );
        let error = parse("path = \"a.csv\"\nseries_column = 3").unwrap_err();
        assert!(error.contains("series_column"), "{error}");
    }

    #[test]
    fn a_window_shorter_than_the_season_drops_it_and_the_seasonal_difference() {
        let seasonal = "path = \"a.csv\"\nseason = 4\ntransform = \"seasonal_difference\"";
        let mut config = parse(seasonal).unwrap();
        config.set_window_len(4);
        assert_eq!((config.window_len, config.season), (4, Some(4)));
        assert_eq!(config.transform, TargetTransform::SeasonalDifference);
        config.set_window_len(3);
        assert_eq!((config.window_len, config.season), (3, None));
        assert_eq!(config.transform, TargetTransform::Difference);
        let mut level = parse("path = \"a.csv\"\nseason = 4\ntransform = \"level\"").unwrap();
        level.set_window_len(2);
        assert_eq!(
            (level.season, level.transform),
            (None, TargetTransform::Level)
        );
    }

    #[test]
    fn each_source_holds_its_own_keys_with_defaults_filled_in() {
        let csv = parse("path = \"data/sp500.csv\"").unwrap();
        assert_eq!(
            csv.source,
            Source::File {
                path: "data/sp500.csv".into()
            }
        );
        let sine = parse("source = \"sine\"\npoints = 80").unwrap();
        assert_eq!(
            sine.source,
            Source::Sine(SineSpec {
                points: 80,
                ..SineSpec::default()
            })
        );
    }

    #[test]
    fn keys_of_the_other_source_are_errors_naming_them() {
        for (keys, expected) in [
            ("", "[data] path: expected the CSV file"),
            (
                "path = \"a.csv\"\nnoise = 0.2",
                "[data] noise: only applies",
            ),
            (
                "source = \"sine\"\npath = \"a.csv\"",
                "[data] path: source = \"sine\"",
            ),
            ("source = \"sine\"\npoints = 1", "[data] points"),
            ("source = \"parquet\"", "unknown variant `parquet`"),
        ] {
            let error = parse(keys).unwrap_err();
            assert!(error.contains(expected), "{keys:?}: {error}");
        }
    }

    #[test]
    fn without_features_the_target_alone_and_without_test_len_one_horizon() {
        let text = "path = \"a.csv\"\ntarget = \"x\"\nwindow_len = 24\nhorizon = 6";
        let config = toml::from_str::<DataConfig>(text).unwrap();
        assert_eq!(config.features, ["x"]);
        assert_eq!(config.test_len, 6);
        // written out, both are spelled out and read back the same
        let written = toml::to_string(&config).unwrap();
        assert!(written.contains("features = [\"x\"]"), "{written}");
        assert_eq!(toml::from_str::<DataConfig>(&written).unwrap(), config);
    }

    #[test]
    fn empty_features_are_refused_when_read_and_when_built_in_code() {
        let text = "path = \"a.csv\"\nfeatures = []\ntarget = \"x\"\nwindow_len = 5\ntest_len = 1";
        let error = toml::from_str::<DataConfig>(text).unwrap_err().to_string();
        assert!(error.contains("[data] features"), "{error}");
        let in_code = DataConfig::new("a.csv", &[], "x", 5, 1);
        assert!(matches!(
            in_code.validate(),
            Err(DataError::InvalidSetting {
                key: "features",
                ..
            })
        ));
    }

    #[test]
    fn the_seasonal_difference_needs_a_season_that_fits_a_window() {
        let seasonal = "path = \"a.csv\"\ntransform = \"seasonal_difference\"";
        let error = parse(seasonal).unwrap_err();
        assert!(
            error.contains("[data] season") && error.contains("season = 12"),
            "{error}"
        );
        // window_len = 5 cannot hold a season of 12
        let error = parse(&format!("{seasonal}\nseason = 12")).unwrap_err();
        assert!(
            error.contains("[data] season") && error.contains("window_len = 5"),
            "{error}"
        );
        let config = parse(&format!("{seasonal}\nseason = 4")).unwrap();
        assert_eq!(config.season, Some(4));
    }

    #[test]
    fn forecasts_are_bounded_unless_the_section_says_none() {
        let bounds = |keys: &str| parse(&format!("path = \"a.csv\"\n{keys}")).map(|c| c.bounds);
        assert_eq!(bounds(""), Ok(ForecastBounds::Auto));
        assert_eq!(bounds("bounds = \"auto\""), Ok(ForecastBounds::Auto));
        assert_eq!(bounds("bounds = \"none\""), Ok(ForecastBounds::None));
        let error = bounds("bounds = \"positive\"").unwrap_err();
        assert!(
            error.contains("positive") && error.contains("auto"),
            "{error}"
        );
    }

    #[test]
    fn a_written_section_reads_back_the_same() {
        for config in [
            parse("path = \"data/sp500.csv\"\ncalendar = [\"month\"]").unwrap(),
            parse("path = \"a.csv\"\ntransform = \"seasonal_difference\"\nseason = 4").unwrap(),
            parse("source = \"sine\"\nnoise = 0.3\nseed = 7").unwrap(),
            parse("path = \"a.csv\"\nbounds = \"none\"").unwrap(),
        ] {
            let text = toml::to_string(&config).unwrap();
            let back: DataConfig = toml::from_str(&text).unwrap();
            assert_eq!(back, config, "{text}");
        }
    }
}
