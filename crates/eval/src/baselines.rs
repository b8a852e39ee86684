//! The forecasts a model must beat. Each is a [`Baseline`]: adding one is one type here and
//! one line in [`standard_baselines`].

use yoho_data::{PreparedData, Window};

mod arima;
mod ets;
mod harmonics;
mod holt_winters;
mod log_arima;
mod optimise;
mod seasonality;
mod statistical;

pub use arima::Arima;
pub use ets::Ets;
pub use holt_winters::HoltWinters;
pub use log_arima::LogArima;
pub use statistical::Statistical;
pub use statistical::history_up_to_origin;

/// A forecast of a window's targets that needs no training.
pub trait Baseline: Sync {
    /// The name in tables, `metrics.json` and `predictions.csv`.
    fn name(&self) -> &'static str;

    /// Columns it reads besides the features and the target; the data stage loads them when the
    /// file has them.
    fn extra_columns(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether it can forecast `data` (e.g. the columns it needs are there).
    fn applies_to(&self, data: &PreparedData) -> bool {
        let _ = data;
        true
    }

    /// The forecast of `window`'s first target, in original units.
    fn forecast(&self, data: &PreparedData, window: &Window) -> f64;

    /// The forecasts of all `window.horizon` targets, in original units: by default the first
    /// one's for every step (right for a forecast that stays flat, as naive's does).
    fn forecast_steps(&self, data: &PreparedData, window: &Window) -> Vec<f64> {
        vec![self.forecast(data, window); window.horizon]
    }

    /// The baseline as a value whose type can be checked ([`std::any::Any`]), for one whose
    /// forecasts are worth reusing (a [`Statistical`] forecaster's, which a blend with the same
    /// member takes from its column instead of fitting it again); `None` by default.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}

/// The name of the [`Naive`] forecast, the reference of every skill and verdict.
pub const NAIVE: &str = "naive";

/// The seasonal naive baseline's name in tables.
pub const SEASONAL_NAIVE: &str = "seasonal_naive";

/// "Tomorrow = today": the target's last observed value.
#[derive(Debug, Clone, Copy)]
pub struct Naive;

impl Baseline for Naive {
    fn name(&self) -> &'static str {
        NAIVE
    }

    fn forecast(&self, data: &PreparedData, window: &Window) -> f64 {
        data.target_values()[window.last_input_row()]
    }
}

/// The last value plus the mean one-step change of the training targets.
#[derive(Debug, Clone, Copy)]
pub struct Drift;

impl Baseline for Drift {
    fn name(&self) -> &'static str {
        "drift"
    }

    fn forecast(&self, data: &PreparedData, window: &Window) -> f64 {
        self.forecast_steps(data, window)[0]
    }

    /// `k` steps ahead: the last value plus `k` mean changes.
    fn forecast_steps(&self, data: &PreparedData, window: &Window) -> Vec<f64> {
        let training = training_targets(data);
        let mean_change = match training.len() {
            0 | 1 => 0.0,
            n => (training[n - 1] - training[0]) / (n - 1) as f64,
        };
        let last = data.target_values()[window.last_input_row()];
        (1..=window.horizon)
            .map(|k| last + k as f64 * mean_change)
            .collect()
    }
}

/// The mean of the target over the input window.
#[derive(Debug, Clone, Copy)]
pub struct WindowMean;

impl Baseline for WindowMean {
    fn name(&self) -> &'static str {
        "window_mean"
    }

    /// Not over one-row windows (a run without networks reads no more), whose mean is the
    /// naive forecast.
    fn applies_to(&self, data: &PreparedData) -> bool {
        data.window.window_len > 1
    }

    fn forecast(&self, data: &PreparedData, window: &Window) -> f64 {
        let rows = window.start..window.first_target_row();
        data.target_values()[rows.clone()].iter().sum::<f64>() / rows.len() as f64
    }
}

/// The value one season before the target (`season` rows back: 12 for monthly data, 52 for
/// weekly, 5 or 7 for daily).
#[derive(Debug, Clone, Copy)]
pub struct SeasonalNaive {
    /// Rows per season.
    pub season: usize,
}

impl Baseline for SeasonalNaive {
    fn name(&self) -> &'static str {
        SEASONAL_NAIVE
    }

    fn applies_to(&self, data: &PreparedData) -> bool {
        data.splits
            .test
            .first()
            .is_some_and(|window| window.first_target_row() >= self.season)
    }

    fn forecast(&self, data: &PreparedData, window: &Window) -> f64 {
        data.target_values()[window.first_target_row() - self.season]
    }

    /// Step `k` (0-based): the value of the same phase in the last season before the window's
    /// first target, `season · ⌈(k + 1) / season⌉` rows before it.
    fn forecast_steps(&self, data: &PreparedData, window: &Window) -> Vec<f64> {
        let target = data.target_values();
        window
            .target_rows()
            .enumerate()
            .map(|(k, row)| target[row - self.season * (k + 1).div_ceil(self.season)])
            .collect()
    }
}

/// For an `Open` target: the last `Close` (the next Open is usually close to it).
#[derive(Debug, Clone, Copy)]
pub struct LastClose;

impl LastClose {
    const COLUMN: &'static str = "Close";
    const TARGET: &'static str = "Open";
}

impl Baseline for LastClose {
    fn name(&self) -> &'static str {
        "last_close"
    }

    fn extra_columns(&self) -> &'static [&'static str] {
        &[Self::COLUMN]
    }

    fn applies_to(&self, data: &PreparedData) -> bool {
        data.target == Self::TARGET && data.series.column(Self::COLUMN).is_some()
    }

    fn forecast(&self, data: &PreparedData, window: &Window) -> f64 {
        let close = data
            .series
            .column(Self::COLUMN)
            .expect("applies_to checked the Close column");
        close[window.last_input_row()]
    }
}

/// Naive, drift, window mean, seasonal naive (when `season` is given), exponential smoothing
/// (seasonally adjusted with `season`), automatic ARIMA (seasonal with `season`) and last Close.
pub fn standard_baselines(season: Option<usize>) -> Vec<Box<dyn Baseline>> {
    let mut baselines: Vec<Box<dyn Baseline>> = vec![Box::new(Naive), Box::new(Drift)];
    baselines.push(Box::new(WindowMean));
    if let Some(season) = season {
        baselines.push(Box::new(SeasonalNaive { season }));
    }
    baselines.push(Box::new(Statistical::from(Ets { season })));
    baselines.push(Box::new(Statistical::from(Arima { season })));
    baselines.push(Box::new(LastClose));
    baselines
}

/// The extra columns `baselines` read, for the data stage to load.
pub fn extra_columns(baselines: &[Box<dyn Baseline>]) -> Vec<&'static str> {
    let mut columns: Vec<&'static str> = baselines
        .iter()
        .flat_map(|b| b.extra_columns().iter().copied())
        .collect();
    columns.dedup();
    columns
}

/// The target's values up to the last row any training window reads.
pub fn training_targets(data: &PreparedData) -> &[f64] {
    let end = data
        .splits
        .last_training_row()
        .expect("a prepared split has training windows")
        + 1;
    &data.target_values()[..end]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use yoho_data::{DataConfig, LoadedSeries, NaiveDate, ScalingMethod};

    /// `values` as a daily series of one column, `SST`, the newest `test_len` targets held out.
    pub(crate) fn prepared(values: &[f64], window_len: usize, test_len: usize) -> PreparedData {
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let loaded = LoadedSeries::daily("test", start, "SST", values.to_vec());
        let config = DataConfig {
            scaling: ScalingMethod::None,
            ..DataConfig::new("unused.csv", &["SST"], "SST", window_len, test_len)
        };
        yoho_data::prepare_loaded(loaded, &config).unwrap()
    }

    /// The NumPy article's sine of `spec` on days from 2000-01-01 instead of its time steps:
    /// a series with a calendar, for tests of calendar inputs.
    pub(crate) fn sine_on_days(spec: &yoho_data::sine::SineSpec) -> LoadedSeries {
        let wave = yoho_data::sine::generate(spec).unwrap().series;
        let start = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let values = wave.column("value").unwrap().to_vec();
        LoadedSeries::daily("sine", start, "value", values)
    }

    fn test_forecasts(baseline: &dyn Baseline, data: &PreparedData) -> Vec<f64> {
        data.splits
            .test
            .iter()
            .map(|w| baseline.forecast(data, &w))
            .collect()
    }

    #[test]
    fn multi_step_baselines_forecast_every_step() {
        // rows 0..=19, horizon 5, a test period of the last 5 rows: one origin, targets 15..=19
        let values: Vec<f64> = (0..20).map(f64::from).collect();
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let loaded = LoadedSeries::daily("test", start, "SST", values);
        let config = DataConfig {
            scaling: ScalingMethod::None,
            horizon: 5,
            ..DataConfig::new("unused.csv", &["SST"], "SST", 3, 5)
        };
        let data = yoho_data::prepare_loaded(loaded, &config).unwrap();
        let window = data.splits.test.first().unwrap();
        assert_eq!(window.target_rows(), 15..20);
        // the same phase of the last season before row 15 (season 2: rows 13, 14, 13, 14, 13)
        let seasonal = SeasonalNaive { season: 2 };
        assert_eq!(
            seasonal.forecast_steps(&data, &window),
            vec![13.0, 14.0, 13.0, 14.0, 13.0]
        );
        assert_eq!(
            seasonal.forecast_steps(&data, &window)[0],
            seasonal.forecast(&data, &window)
        );
        // the last value, 14, plus k mean training changes of 1
        assert_eq!(
            Drift.forecast_steps(&data, &window),
            vec![15.0, 16.0, 17.0, 18.0, 19.0]
        );
        // naive and the window mean stay flat
        assert_eq!(Naive.forecast_steps(&data, &window), vec![14.0; 5]);
        assert_eq!(WindowMean.forecast_steps(&data, &window), vec![13.0; 5]);
    }

    #[test]
    fn seasonal_naive_repeats_the_value_one_season_back() {
        // rows 0..=15; the test targets are rows 14 and 15; season 4 reads rows 10 and 11
        let values: Vec<f64> = (0..16).map(|i| f64::from(i * i)).collect();
        let data = prepared(&values, 3, 2);
        let seasonal = SeasonalNaive { season: 4 };
        assert!(seasonal.applies_to(&data));
        assert_eq!(test_forecasts(&seasonal, &data), vec![100.0, 121.0]);
        // a season longer than the history before the first test target does not apply
        assert!(!SeasonalNaive { season: 15 }.applies_to(&data));
    }

    #[test]
    fn naive_drift_and_window_mean_by_hand() {
        // training rows 0..=9 (values 0, 2, ..., 18): mean change 2
        let values: Vec<f64> = (0..12).map(|i| f64::from(2 * i)).collect();
        let data = prepared(&values, 3, 2);
        assert_eq!(training_targets(&data).len(), 10);
        assert_eq!(test_forecasts(&Naive, &data), vec![18.0, 20.0]);
        assert_eq!(test_forecasts(&Drift, &data), vec![20.0, 22.0]);
        // window of rows 7..=9: 14, 16, 18
        assert_eq!(test_forecasts(&WindowMean, &data)[0], 16.0);
        // no Close column, no Open target: last_close does not apply
        assert!(!LastClose.applies_to(&data));
        // a one-row window's mean would be naive's forecast again
        assert!(WindowMean.applies_to(&data));
        assert!(!WindowMean.applies_to(&prepared(&values, 1, 2)));
    }

    #[test]
    fn the_standard_set_asks_for_the_close_column() {
        let baselines = standard_baselines(Some(12));
        let names: Vec<&str> = baselines.iter().map(|b| b.name()).collect();
        assert_eq!(
            names,
            [
                "naive",
                "drift",
                "window_mean",
                "seasonal_naive",
                "ets",
                "arima",
                "last_close"
            ]
        );
        assert_eq!(extra_columns(&baselines), ["Close"]);
        assert_eq!(standard_baselines(None).len(), 6);
    }
}
