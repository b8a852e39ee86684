//! # yoho-eval
//!
//! The evaluation stage of Yoho: forecasts in original units from a `yoho-model` network and a
//! `yoho-data` series ([`inference`]), the baselines a model must beat ([`baselines`]), a blend
//! of the networks' forecast with exponential smoothing and ARIMA ([`blend`]), the range a
//! forecast stays in (a series never negative is forecast non-negative: [`bounds`]), the accuracy
//! measures and the Diebold–Mariano test ([`metrics`]), the test-day evaluation that puts them
//! together ([`evaluate`]), an ensemble's spread ([`ensemble`]), prediction intervals and their
//! scores ([`intervals`]), closed-loop generation ([`generate`](mod@generate)), rolling-origin
//! backtests ([`backtest`]), the M4 protocol for one series ([`protocol`]), the summary of a
//! panel's series ([`panel`]), the intervals its series calibrate together ([`pooled`]) and the
//! forecast of the statistical members alone for a series too short for networks
//! ([`statistical_only`]).
//!
//! ```no_run
//! # fn demo(model: &yoho_model::Forecaster, data: &yoho_data::PreparedData) {
//! use yoho_eval::{EvaluationTable, forecast_test, standard_baselines};
//! let device = burn::tensor::Device::default();
//! let baselines = standard_baselines(Some(5));
//! let test = forecast_test(model, data, &baselines, &device).unwrap();
//! let table = EvaluationTable::new(&test, data, Some(5));
//! println!("best baseline: {}", table.best_baseline);
//! # }
//! ```

pub mod backtest;
pub mod baselines;
pub mod blend;
pub mod bounds;
pub mod ensemble;
pub mod evaluate;
pub mod generate;
pub mod inference;
pub mod intervals;
pub mod metrics;
pub mod panel;
pub mod parallel;
pub mod pooled;
pub mod protocol;
pub mod rolling;
pub mod statistical_only;

pub use backtest::{Backtest, BacktestSpec, Fit, Fold, HistoryWindow, Refit};
pub use baselines::{
    Arima, Baseline, Ets, HoltWinters, LogArima, NAIVE, Statistical, standard_baselines,
};
pub use blend::{Blend, BlendRule};
pub use bounds::{Bounds, SeriesBounds};
pub use ensemble::{EnsembleSpread, ensemble_spread};
pub use evaluate::{
    EvaluationTable, ForecastMetrics, MODEL, NamedForecast, StepErrors, TestForecast,
    errors_by_step, forecast_test,
};
pub use generate::{Generation, GenerationSummary, generate};
pub use inference::{InferenceError, forecast, forecast_fed_back, forecast_with_calendar};
pub use intervals::{Conformal, Intervals, TestIntervals, test_intervals};
pub use metrics::{DieboldMariano, SIGNIFICANCE_LEVEL, Verdict};
pub use panel::{MeanMetrics, PanelSummary};
pub use protocol::{OriginForecast, forecast_at_origin};
