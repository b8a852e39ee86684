//! # yoho-data
//!
//! The data stage of Yoho: read a series (daily, monthly, hourly, …) or a panel of many from
//! CSV or Parquet (polars does the parsing), check and clean it (or generate the NumPy
//! article's noisy sine, [`sine`]), cut it into sliding windows (row ranges, never copies),
//! split them chronologically, fit a scaler on the training rows only, encode each window for
//! the network ([`transform`]) and hand Burn a dataset that encodes a window when it is read.
//!
//! The usual entry point is [`prepare()`] with a [`DataConfig`] (the `[data]` section of an
//! experiment config), or [`prepare_panel()`] for a file of many series; the pieces are public
//! for other uses.

pub mod calendar;
pub mod config;
pub mod dataset;
pub mod defaults;
mod error;
pub mod frequency;
pub mod missing;
pub mod notes;
pub mod prepare;
pub mod scaling;
pub mod seasonality;
pub mod series;
pub mod session;
pub mod source;
pub mod timestamp;
pub mod transform;
pub mod window;

pub use calendar::CalendarFeature;
pub use config::{DataConfig, ForecastBounds, PanelSplit, Source};
pub use dataset::{SampleShape, TrainingData, WindowBatch, WindowBatcher, WindowDataset};
pub use error::DataError;
pub use frequency::Frequency;
pub use missing::MissingPolicy;
pub use notes::CleaningNote;
pub use prepare::{
    PanelSeries, PreparedData, PreparedPanel, check_logarithms, codec, load, prepare,
    prepare_loaded, prepare_loaded_for_forecast, prepare_panel, prepare_panel_loaded,
    prepare_panel_loaded_for_forecast, prepare_with_optional,
};
pub use scaling::{ColumnScaler, Scaler, ScalingMethod};
pub use series::{Cleaning, Column, LoadedSeries, TimeSeries};
pub use session::{Cadence, Session};
pub use source::file::{LoadOptions, PanelLayout, load_file, load_file_panel};
/// The NumPy article's generated sine wave (also at `source::sine`).
pub use source::sine;
pub use timestamp::Timestamp;
pub use transform::{Anchor, RawWindow, TargetTransform, WindowCodec, WindowItem, WindowNorm};
pub use window::{SplitSpec, SplitWindows, Window, WindowRun, WindowSpec};

/// Re-exported so that users of the series' dates need not depend on chrono themselves.
pub use chrono::NaiveDate;
