//! What the network reads and predicts for one window, and back: the [`WindowCodec`].
//!
//! Every window is encoded from its values in original units. The inputs are the columns as
//! scaled by the [`Scaler`] (fitted on training rows), optionally normalised per window
//! ([`WindowNorm`], the way RevIN-style models do); the targets are the scaled level, the change
//! from the window's last observed target ([`TargetTransform::Difference`]) or the log return
//! ([`TargetTransform::LogReturn`]). [`Anchor::decode`] inverts a forecast with the
//! window's own [`Anchor`], so forecasts are always reported in original units.

use serde::{Deserialize, Serialize};

use crate::DataError;
use crate::scaling::{ColumnScaler, Scaler, standard_deviation};
use crate::series::TimeSeries;
use crate::window::Window;

/// What the network learns to output for each target day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetTransform {
    /// The scaled level (the article's way). A level model cannot leave the range of values it
    /// was trained on: use it for stationary series, or with a [`WindowNorm`].
    Level,
    /// The change from the window's last observed target, in units of a typical change: a
    /// model that outputs 0 is the naive forecast. Works on trending series.
    #[default]
    Difference,
    /// `ln(y / y_last)` in units of a typical log return: for positive series whose changes
    /// grow with their level (prices over decades).
    LogReturn,
    /// The change from the same phase of the window's last season (`[data] season` rows): a
    /// model that outputs 0 is the seasonal naive forecast. For seasonal series.
    SeasonalDifference,
}

impl TargetTransform {
    /// The name as written in a config.
    pub fn name(self) -> &'static str {
        match self {
            Self::Level => "level",
            Self::Difference => "difference",
            Self::LogReturn => "log_return",
            Self::SeasonalDifference => "seasonal_difference",
        }
    }
}

/// How each window's inputs are normalised before the network reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowNorm {
    /// The scaled values as they are.
    None,
    /// Each column centred on its own last value in the window, divided by its spread in the
    /// window: the network sees the recent path, not the level.
    #[default]
    Last,
    /// Each column centred on its own mean over the window, divided by its spread.
    Mean,
    /// Every column scaled like the target, centred on the target's last value and divided by
    /// the target's spread: for columns in the target's units (Open, High, Low, Close), whose
    /// gaps to each other (today's Close − today's Open) are then kept.
    Target,
}

/// How one window's targets map to model units and its forecasts back to original units.
#[derive(Debug, Clone, PartialEq)]
pub struct Anchor {
    transform: TargetTransform,
    /// The target's global scaling (on its logarithm for `[data] log`).
    scaler: ColumnScaler,
    /// Level: the centre in scaled units; difference: the last target in scaled units; log
    /// return: the last target in original units; seasonal difference: unused.
    base: f64,
    /// Seasonal difference: the window's last season of the target in scaled units, step `k`
    /// (0-based) measured from element `k mod season`; empty otherwise.
    last_season: Vec<f64>,
    /// Scaled units (or log-return units) per model unit.
    spread: f64,
}

impl Anchor {
    /// The base, in scaled units, of the target `step` steps after the window (0-based).
    fn base_at(&self, step: usize) -> f64 {
        match self.last_season.len() {
            0 => self.base,
            season => self.last_season[step % season],
        }
    }

    /// The target `step` steps after the window (0 = the first) in original units, as the
    /// network learns it.
    pub fn encode(&self, step: usize, value: f64) -> f64 {
        match self.transform {
            TargetTransform::LogReturn => (value / self.base).ln() / self.spread,
            _ => (self.scaler.transform(value) - self.base_at(step)) / self.spread,
        }
    }

    /// A network output for the target `step` steps after the window back in original units
    /// (the inverse of [`Anchor::encode`]).
    pub fn decode(&self, step: usize, output: f64) -> f64 {
        match self.transform {
            TargetTransform::LogReturn => self.base * (output * self.spread).exp(),
            _ => (self.scaler).inverse(self.base_at(step) + output * self.spread),
        }
    }

    /// The target's scaled units (log-return units for `log_return`) per model unit: an
    /// output's error times this is its error in scaled units.
    pub fn spread(&self) -> f64 {
        self.spread
    }

    /// A network's outputs for the steps after the window (f32, model units, the first step
    /// first) back in original units.
    pub fn decode_outputs(&self, outputs: &[f32]) -> Vec<f64> {
        (outputs.iter().enumerate())
            .map(|(step, output)| self.decode(step, f64::from(*output)))
            .collect()
    }
}

/// Whether `features` (every input of the network, calendar columns included) is `target`
/// alone: the one test of "univariate" that recursive forecasting and closed-loop generation
/// rely on.
pub fn is_target_only(features: &[String], target: &str) -> bool {
    matches!(features, [only] if only == target)
}

/// One window in model units.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowItem {
    /// `window_len × features` values, time-major (all features of day 1, then day 2, ...).
    pub inputs: Vec<f32>,
    /// `horizon` target values.
    pub targets: Vec<f32>,
    /// The index of the window's series in its panel (0 for a single series), for models with
    /// parameters of each series' own.
    pub series: usize,
    /// The target's scaled units per model unit of `targets` (the window's [`Anchor::spread`]):
    /// an output's error times it is the error in the target's scaled units, which do not
    /// depend on the window's length, norm or transform (log-return units for `log_return`).
    pub spread: f32,
}

/// Encodes windows of a series for the network and decodes its outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCodec {
    scaler: Scaler,
    features: Vec<String>,
    /// Whether each feature is normalised per window (calendar columns are not).
    normalised: Vec<bool>,
    target: String,
    transform: TargetTransform,
    window_norm: WindowNorm,
    /// Rows per season (the seasonal difference's period; 1 when none is set).
    season: usize,
    /// The index of the codec's series in its panel (0 for a single series).
    series_index: usize,
}

/// A window's values in original units: the inputs, time-major, and the target column over the
/// same rows.
#[derive(Debug, Clone, PartialEq)]
pub struct RawWindow {
    /// `window_len × features` values, all features of the first row, then the next row, ...
    pub inputs: Vec<f64>,
    /// The target over the input rows (its last value is "today's").
    pub target: Vec<f64>,
}

impl RawWindow {
    /// Rows of the window.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether the window has no rows.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    /// Today's value of the target.
    pub fn last_target(&self) -> f64 {
        *self.target.last().expect("a window has at least one row")
    }

    /// Drops the oldest `values.len()` rows and appends the rows `known` (inputs of the rows
    /// after the window, time-major, as many features a row as the window's), each with its
    /// input at `target_index` (the target's) set to the matching value of `values`: recursive
    /// forecasting of a window whose other inputs are known ahead (calendar columns).
    pub fn shift_in_known(&mut self, values: &[f64], known: &[f64], target_index: usize) {
        let features = self.inputs.len() / self.len().max(1);
        let count = values.len().min(self.len());
        let older = values.len() - count;
        let values = &values[older..];
        self.inputs.drain(..count * features);
        for (value, row) in values.iter().zip(known.chunks(features).skip(older)) {
            let start = self.inputs.len();
            self.inputs.extend_from_slice(row);
            self.inputs[start + target_index] = *value;
        }
        self.target.drain(..count);
        self.target.extend_from_slice(values);
    }

    /// Drops the oldest `count` rows and appends `values` as new rows of a window whose only
    /// feature is its target (recursive forecasting).
    pub fn shift_in(&mut self, values: &[f64]) {
        let count = values.len().min(self.target.len());
        for series in [&mut self.inputs, &mut self.target] {
            series.drain(..count);
            series.extend_from_slice(&values[values.len() - count..]);
        }
    }
}

impl WindowCodec {
    /// A codec for `features` → `target` with `scaler` (which must hold every used column).
    /// `calendar` columns among the features pass unscaled and unnormalised.
    pub fn new(
        scaler: Scaler,
        features: &[String],
        calendar: &[String],
        target: &str,
        transform: TargetTransform,
        window_norm: WindowNorm,
    ) -> Result<Self, DataError> {
        for name in features.iter().chain(std::iter::once(&target.to_string())) {
            if !calendar.contains(name) && scaler.column(name).is_none() {
                return Err(DataError::InvalidSetting {
                    key: "features",
                    message: format!("the fitted scaler has no column '{name}'"),
                });
            }
        }
        if transform == TargetTransform::LogReturn && scaler.log_return_scale.is_none() {
            return Err(DataError::InvalidSetting {
                key: "transform",
                message: "log_return needs the scale of the training rows' log returns".into(),
            });
        }
        Ok(Self {
            normalised: features.iter().map(|f| !calendar.contains(f)).collect(),
            features: features.to_vec(),
            scaler,
            target: target.to_string(),
            transform,
            window_norm,
            season: 1,
            series_index: 0,
        })
    }

    /// The same codec with `season` rows per season, the period of
    /// [`TargetTransform::SeasonalDifference`] (at least 1; a window must hold a season).
    pub fn with_season(self, season: usize) -> Self {
        Self {
            season: season.max(1),
            ..self
        }
    }

    /// The same codec for the series at `index` of a panel, which every window it encodes
    /// carries ([`WindowItem::series`]).
    pub fn with_series_index(self, index: usize) -> Self {
        Self {
            series_index: index,
            ..self
        }
    }

    /// The index of the codec's series in its panel (0 for a single series).
    pub fn series_index(&self) -> usize {
        self.series_index
    }

    /// The fitted scaler.
    pub fn scaler(&self) -> &Scaler {
        &self.scaler
    }

    /// The target transform.
    pub fn transform(&self) -> TargetTransform {
        self.transform
    }

    /// Whether the target is the network's only input, so forecasts can be fed back as rows.
    pub fn is_univariate(&self) -> bool {
        is_target_only(&self.features, &self.target)
    }

    /// The place of the target among the inputs when every other input is a calendar column
    /// and there is one (known for any future row, so that the network can be fed its own
    /// forecasts with the calendar of the rows they forecast); `None` otherwise, and for a
    /// target read alone ([`Self::is_univariate`]), which is fed back without rows ahead.
    pub fn target_among_calendar(&self) -> Option<usize> {
        let index = self.features.iter().position(|name| *name == self.target)?;
        let others_calendar = (self.features.iter().zip(&self.normalised))
            .all(|(name, normalised)| *name == self.target || !normalised);
        (others_calendar && !self.is_univariate()).then_some(index)
    }

    fn target_scaler(&self) -> &ColumnScaler {
        self.scaler
            .column(&self.target)
            .expect("WindowCodec::new checked the target's scaler")
    }

    /// The values of `window`'s input rows in `series`, in original units.
    pub fn raw_window(&self, series: &TimeSeries, window: &Window) -> RawWindow {
        self.raw_rows(series, window.start, window.window_len)
    }

    /// The `len` rows of `series` from `start`, in original units.
    pub fn raw_rows(&self, series: &TimeSeries, start: usize, len: usize) -> RawWindow {
        let rows = start..start + len;
        let columns: Vec<&[f64]> = self
            .features
            .iter()
            .map(|name| column(series, name))
            .collect();
        let mut inputs = Vec::with_capacity(len * columns.len());
        for row in rows.clone() {
            inputs.extend(columns.iter().map(|values| values[row]));
        }
        RawWindow {
            inputs,
            target: column(series, &self.target)[rows].to_vec(),
        }
    }

    /// The sample of `window` in `series`: encoded inputs and targets.
    pub fn item(&self, series: &TimeSeries, window: &Window) -> WindowItem {
        let raw = self.raw_window(series, window);
        let (inputs, anchor) = self.encode(&raw);
        let targets = column(series, &self.target)[window.target_rows()]
            .iter()
            .enumerate()
            .map(|(step, value)| anchor.encode(step, *value) as f32)
            .collect();
        WindowItem {
            inputs,
            targets,
            series: self.series_index,
            spread: anchor.spread() as f32,
        }
    }

    /// The network's inputs for `raw` and the anchor that decodes its forecasts.
    pub fn encode(&self, raw: &RawWindow) -> (Vec<f32>, Anchor) {
        let feature_count = self.features.len();
        let target_scaler = self.target_scaler();
        let target_scaled: Vec<f64> = raw
            .target
            .iter()
            .map(|v| target_scaler.transform(*v))
            .collect();
        let target_norm = self.centre_and_spread(&target_scaled, target_scaler);
        let mut inputs = vec![0.0f32; raw.inputs.len()];
        for (index, name) in self.features.iter().enumerate() {
            let column = raw.inputs.iter().skip(index).step_by(feature_count);
            let (values, centre, spread): (Vec<f64>, f64, f64) =
                match self.scaler.column(name).filter(|_| self.normalised[index]) {
                    None => (column.copied().collect(), 0.0, 1.0),
                    Some(_) if self.window_norm == WindowNorm::Target => (
                        column.map(|v| target_scaler.transform(*v)).collect(),
                        target_norm.0,
                        target_norm.1,
                    ),
                    Some(scaler) => {
                        let values: Vec<f64> = column.map(|v| scaler.transform(*v)).collect();
                        let (centre, spread) = self.centre_and_spread(&values, scaler);
                        (values, centre, spread)
                    }
                };
            for (row, value) in values.iter().enumerate() {
                inputs[row * feature_count + index] = ((value - centre) / spread) as f32;
            }
        }
        (
            inputs,
            self.anchor(&target_scaled, target_norm, raw.last_target()),
        )
    }

    /// The centre and spread of one column's scaled window values under the window norm (the
    /// target's own for [`WindowNorm::Target`]).
    fn centre_and_spread(&self, scaled: &[f64], scaler: &ColumnScaler) -> (f64, f64) {
        let last = *scaled.last().expect("a window has at least one row");
        let mean = scaled.iter().sum::<f64>() / scaled.len() as f64;
        let std = standard_deviation(scaled).expect("a window has at least one row");
        // never divide by less than a typical one-step change: flat windows stay finite
        let spread = std.max(scaler.change_scale);
        match self.window_norm {
            WindowNorm::None => (0.0, 1.0),
            WindowNorm::Last | WindowNorm::Target => (last, spread),
            WindowNorm::Mean => (mean, spread),
        }
    }

    /// How a window's forecasts decode, from its target in scaled units, the target's centre
    /// and spread under the window norm, and its last value in original units.
    fn anchor(&self, scaled: &[f64], (centre, spread): (f64, f64), last_original: f64) -> Anchor {
        let scaler = self.target_scaler();
        let last = *scaled.last().expect("a window has at least one row");
        let (base, spread) = match (self.transform, self.window_norm) {
            (TargetTransform::Level, _) => (centre, spread),
            (
                TargetTransform::Difference | TargetTransform::SeasonalDifference,
                WindowNorm::None,
            ) => (last, scaler.change_scale),
            (TargetTransform::Difference | TargetTransform::SeasonalDifference, _) => {
                (last, spread)
            }
            (TargetTransform::LogReturn, _) => (
                last_original,
                self.scaler
                    .log_return_scale
                    .expect("WindowCodec::new checked the log-return scale"),
            ),
        };
        let last_season = match self.transform {
            TargetTransform::SeasonalDifference => {
                scaled[scaled.len().saturating_sub(self.season)..].to_vec()
            }
            _ => Vec::new(),
        };
        Anchor {
            transform: self.transform,
            scaler: scaler.clone(),
            base,
            last_season,
            spread,
        }
    }
}

fn column<'a>(series: &'a TimeSeries, name: &str) -> &'a [f64] {
    series
        .column(name)
        .expect("prepare() and predict check every used column")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaling::ScalingMethod;

    const TARGETS: [f64; 6] = [1200.5, 1187.25, 1.0, 25_000.0, 1199.0, 0.003];

    fn scaler(method: ScalingMethod) -> Scaler {
        let training = [1000.0, 1010.0, 995.0, 1020.0, 1030.0, 1012.0];
        Scaler {
            method,
            columns: vec![
                ColumnScaler::fit("Open", method, Some(1000.0), &training).unwrap(),
                ColumnScaler::fit("Close", method, Some(1000.0), &training).unwrap(),
            ],
            log_return_scale: Some(0.012),
        }
    }

    fn raw() -> RawWindow {
        RawWindow {
            inputs: vec![1000.0, 1001.0, 1010.0, 1009.0, 1004.0, 1012.0],
            target: vec![1000.0, 1010.0, 1004.0],
        }
    }

    fn codec(method: ScalingMethod, transform: TargetTransform, norm: WindowNorm) -> WindowCodec {
        let features = ["Open".to_string(), "Close".to_string()];
        WindowCodec::new(scaler(method), &features, &[], "Open", transform, norm).unwrap()
    }

    #[test]
    fn a_window_takes_known_rows_with_its_forecasts_in_the_target_cell() {
        // rows of (target, calendar sin, calendar cos)
        let mut window = RawWindow {
            inputs: vec![1.0, 0.1, 0.2, 2.0, 0.3, 0.4, 3.0, 0.5, 0.6],
            target: vec![1.0, 2.0, 3.0],
        };
        let known = [9.0, 0.7, 0.8, 9.0, 0.9, 1.0];
        window.shift_in_known(&[4.0, 5.0], &known, 0);
        assert_eq!(window.inputs, [3.0, 0.5, 0.6, 4.0, 0.7, 0.8, 5.0, 0.9, 1.0]);
        assert_eq!(window.target, [3.0, 4.0, 5.0]);
        // more forecasts than rows: the newest fill the window, each with its own row
        let known = [0.0, 1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 4.0];
        let mut short = RawWindow {
            inputs: vec![1.0, 0.0, 2.0, 0.0],
            target: vec![1.0, 2.0],
        };
        short.shift_in_known(&[10.0, 20.0, 30.0, 40.0], &known, 1);
        assert_eq!(short.inputs, [0.0, 30.0, 0.0, 40.0]);
        assert_eq!(short.target, [30.0, 40.0]);
    }

    #[test]
    fn every_transform_round_trips() {
        for method in [
            ScalingMethod::None,
            ScalingMethod::Factor,
            ScalingMethod::MinMax,
            ScalingMethod::Standard,
        ] {
            for transform in [
                TargetTransform::Level,
                TargetTransform::Difference,
                TargetTransform::LogReturn,
                TargetTransform::SeasonalDifference,
            ] {
                for norm in [
                    WindowNorm::None,
                    WindowNorm::Last,
                    WindowNorm::Mean,
                    WindowNorm::Target,
                ] {
                    let (_, anchor) = codec(method, transform, norm).with_season(2).encode(&raw());
                    for (step, value) in TARGETS.into_iter().enumerate() {
                        let back = anchor.decode(step, anchor.encode(step, value));
                        assert!(
                            (back - value).abs() <= 1e-12 * value.abs().max(1.0),
                            "{method:?} {transform:?} {norm:?}: {value} -> {back}"
                        );
                    }
                }
            }
        }
    }

    /// A codec of `Open` modelled on its logarithm (`[data] log = true`).
    fn log_codec(method: ScalingMethod, transform: TargetTransform) -> WindowCodec {
        let mut scaler = scaler(method);
        let training = [1000.0, 1010.0, 995.0, 1020.0, 1030.0, 1012.0];
        scaler.columns[0] = ColumnScaler::fit_log("Open", method, Some(1.0), &training).unwrap();
        let features = ["Open".to_string()];
        let codec = WindowCodec::new(scaler, &features, &[], "Open", transform, WindowNorm::Last);
        codec.unwrap().with_season(2)
    }

    #[test]
    fn every_transform_of_the_logarithm_round_trips_and_stays_positive() {
        let raw = RawWindow {
            inputs: vec![1000.0, 1010.0, 1004.0],
            target: vec![1000.0, 1010.0, 1004.0],
        };
        for method in [ScalingMethod::None, ScalingMethod::Standard] {
            for transform in [
                TargetTransform::Level,
                TargetTransform::Difference,
                TargetTransform::SeasonalDifference,
            ] {
                let (inputs, anchor) = log_codec(method, transform).encode(&raw);
                assert!(inputs.iter().all(|v| v.is_finite()), "{inputs:?}");
                for (step, value) in TARGETS.into_iter().enumerate() {
                    let back = anchor.decode(step, anchor.encode(step, value));
                    assert!(
                        (back / value - 1.0).abs() <= 1e-12,
                        "{method:?} {transform:?}: {value} -> {back}"
                    );
                    for output in [-1e3, -5.0, 0.0, 5.0] {
                        assert!(anchor.decode(step, output) >= 0.0, "{transform:?} {output}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_seasonal_difference_of_the_logarithm_is_a_ratio_to_the_last_season() {
        let raw = RawWindow {
            inputs: vec![1000.0, 1010.0, 1004.0],
            target: vec![1000.0, 1010.0, 1004.0],
        };
        let (_, anchor) =
            log_codec(ScalingMethod::None, TargetTransform::SeasonalDifference).encode(&raw);
        // an output of 0 is the seasonal naive; the same output is the same ratio at any phase
        assert!((anchor.decode(0, 0.0) - 1010.0).abs() < 1e-9);
        assert!((anchor.decode(1, 0.0) - 1004.0).abs() < 1e-9);
        let ratio = |step: usize, base: f64| anchor.decode(step, 0.5) / base;
        assert!((ratio(0, 1010.0) - ratio(1, 1004.0)).abs() < 1e-12);
        assert!(ratio(0, 1010.0) > 1.0);
    }

    #[test]
    fn difference_encodes_the_change_from_the_last_value() {
        let codec = codec(
            ScalingMethod::None,
            TargetTransform::Difference,
            WindowNorm::None,
        );
        let (inputs, anchor) = codec.encode(&raw());
        // without a window norm the inputs are the scaled levels
        assert_eq!(inputs, vec![1000.0, 1001.0, 1010.0, 1009.0, 1004.0, 1012.0]);
        let change_scale = codec.scaler().column("Open").unwrap().change_scale;
        assert!((anchor.encode(0, 1014.0) - 10.0 / change_scale).abs() < 1e-12);
        // a model that outputs 0 is the naive forecast
        assert_eq!(anchor.decode(0, 0.0), 1004.0);
    }

    #[test]
    fn log_return_encodes_the_scaled_log_return() {
        let codec = codec(
            ScalingMethod::Standard,
            TargetTransform::LogReturn,
            WindowNorm::Last,
        );
        let (_, anchor) = codec.encode(&raw());
        let expected = (1014.0f64 / 1004.0).ln() / 0.012;
        assert!((anchor.encode(0, 1014.0) - expected).abs() < 1e-12);
        assert_eq!(anchor.decode(0, 0.0), 1004.0);
    }

    #[test]
    fn last_norm_centres_each_column_on_its_last_value() {
        let codec = codec(
            ScalingMethod::None,
            TargetTransform::Level,
            WindowNorm::Last,
        );
        let (inputs, anchor) = codec.encode(&raw());
        // the last row of every column is 0
        assert_eq!(&inputs[4..], &[0.0, 0.0]);
        // Open over the window: 1000, 1010, 1004; mean 1004.67, std 4.11 (above the floor)
        let open = [1000.0, 1010.0, 1004.0];
        let mean = open.iter().sum::<f64>() / 3.0;
        let std = (open.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
        let change_scale = codec.scaler().column("Open").unwrap().change_scale;
        let spread = std.max(change_scale);
        assert!((f64::from(inputs[0]) - (1000.0 - 1004.0) / spread).abs() < 1e-5);
        // a level target under the norm is centred and divided the same way
        assert!((anchor.encode(0, 1008.0) - 4.0 / spread).abs() < 1e-12);
    }

    #[test]
    fn target_norm_keeps_the_gap_between_columns() {
        let codec = codec(
            ScalingMethod::None,
            TargetTransform::Difference,
            WindowNorm::Target,
        );
        let (inputs, anchor) = codec.encode(&raw());
        // Open is centred on its last value; Close on the same, so its last row keeps
        // today's Close − today's Open (1012 − 1004 = 8) in units of the Open's spread
        let spread = anchor.decode(0, 1.0) - anchor.decode(0, 0.0);
        assert_eq!(inputs[4], 0.0);
        assert!(
            (f64::from(inputs[5]) - 8.0 / spread).abs() < 1e-5,
            "{inputs:?}"
        );
    }

    #[test]
    fn a_window_normalised_input_ignores_the_level() {
        let codec = codec(
            ScalingMethod::Factor,
            TargetTransform::Difference,
            WindowNorm::Last,
        );
        let shifted = RawWindow {
            inputs: raw().inputs.iter().map(|v| v + 5000.0).collect(),
            target: raw().target.iter().map(|v| v + 5000.0).collect(),
        };
        let (a, _) = codec.encode(&raw());
        let (b, _) = codec.encode(&shifted);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-4, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn shifting_in_forecasts_keeps_the_window_length() {
        let mut window = RawWindow {
            inputs: vec![1.0, 2.0, 3.0],
            target: vec![1.0, 2.0, 3.0],
        };
        window.shift_in(&[4.0, 5.0]);
        assert_eq!(window.inputs, [3.0, 4.0, 5.0]);
        assert_eq!(window.target, [3.0, 4.0, 5.0]);
        window.shift_in(&[6.0, 7.0, 8.0, 9.0]);
        assert_eq!(window.target, [7.0, 8.0, 9.0]);
    }

    #[test]
    fn each_transform_is_named_as_a_config_writes_it() {
        for transform in [
            TargetTransform::Level,
            TargetTransform::Difference,
            TargetTransform::LogReturn,
            TargetTransform::SeasonalDifference,
        ] {
            let written = toml::Value::try_from(transform).unwrap();
            assert_eq!(written.as_str(), Some(transform.name()));
        }
    }

    #[test]
    fn seasonal_difference_measures_each_step_from_the_last_season() {
        let codec = codec(
            ScalingMethod::None,
            TargetTransform::SeasonalDifference,
            WindowNorm::None,
        )
        .with_season(2);
        // the target's last season is 1010, 1004: steps 0, 2, 4 are measured from 1010, steps
        // 1, 3 from 1004; a zero output is the seasonal naive forecast
        let (_, anchor) = codec.encode(&raw());
        let decoded: Vec<f64> = (0..5).map(|step| anchor.decode(step, 0.0)).collect();
        assert_eq!(decoded, [1010.0, 1004.0, 1010.0, 1004.0, 1010.0]);
        let change_scale = scaler(ScalingMethod::None).columns[0].change_scale;
        assert!((anchor.encode(1, 1014.0) - 10.0 / change_scale).abs() < 1e-12);
        assert!((anchor.encode(2, 1014.0) - 4.0 / change_scale).abs() < 1e-12);
        // and it round-trips exactly at every step
        for step in 0..5 {
            for value in TARGETS {
                let back = anchor.decode(step, anchor.encode(step, value));
                assert!(
                    (back - value).abs() <= 1e-12 * value.abs().max(1.0),
                    "{step} {value}"
                );
            }
        }
    }
}
