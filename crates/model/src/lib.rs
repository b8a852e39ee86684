//! # yoho-model
//!
//! Yoho's forecasting modules for [Burn](https://burn.dev), usable without the rest of Yoho:
//! recurrent layers with PyTorch's fused weight layout ([`recurrent`]), whose recurrences (LSTM,
//! GRU, RNN) run as one fused operation each with a hand-written backward pass ([`kernels`]); the
//! [`Forecaster`], an enum of model families (the recurrent one, [`RnnForecaster`]: a
//! recurrent encoder with an MLP head; the ES-RNN hybrid, [`EsRnn`]; the network on top of the
//! seasonal naive, [`SeasonalRnn`]; and an [`Ensemble`] of any of them) that maps a window
//! `[batch, window_len, features]` to `[batch, output_size]` (or, with a [`distribution`] head,
//! each step's predictive distribution); and the import of PyTorch weights
//! ([`pytorch`]).
//!
//! The cargo features `flex`, `ndarray`, `wgpu` and `cuda` register the fused kernels for those
//! backends (enable the ones your program uses), `autodiff` for training; `flex` and `autodiff`
//! are the defaults.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use yoho_model::RnnForecasterConfig;
//!
//! // The article's network: LSTM(1→100) → Linear(100→50) → ReLU → Linear(50→1).
//! let device = Device::flex();
//! let model = RnnForecasterConfig::new(1, 100).with_head(vec![50]).init(&device);
//!
//! // A batch of 3 windows of 5 days, one feature each.
//! let windows = Tensor::<3>::ones([3, 5, 1], &device);
//! let forecast = model.forward(windows);
//! assert_eq!(forecast.dims(), [3, 1]);
//! ```

pub mod distribution;
pub mod forecaster;
pub mod kernels;
pub mod pytorch;
pub mod recurrent;

pub use distribution::OutputDistribution;
pub use forecaster::{
    Ensemble, EnsembleConfig, EsRnn, EsRnnConfig, Forecaster, ForecasterConfig, Lookback,
    LookbackConfig, RnnForecaster, RnnForecasterConfig, SeasonalMlp, SeasonalMlpConfig,
    SeasonalRnn, SeasonalRnnConfig,
};
pub use pytorch::{ImportError, PytorchWeights};
pub use recurrent::{CellKind, Recurrent, RecurrentConfig, RecurrentLayer};
