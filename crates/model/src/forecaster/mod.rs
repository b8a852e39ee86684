//! The forecaster: a model family that maps a window `[batch, window_len, features]` to each
//! step's forecast `[batch, output_size × params]`. Families are the variants of [`Forecaster`]
//! (built from the matching variant of [`ForecasterConfig`], as burn-nn's config enums build
//! module enums); training, inference and the import of weights reach a forecaster only through
//! the methods below, so a new family is one file beside [`rnn`] and one variant in each enum.

pub mod ensemble;
pub mod es_rnn;
pub mod lookback;
pub mod rnn;
pub mod seasonal_mlp;
pub mod seasonal_rnn;
#[cfg(test)]
mod testing;

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};

use crate::distribution::OutputDistribution;
pub use ensemble::{Ensemble, EnsembleConfig};
pub use es_rnn::{EsRnn, EsRnnConfig};
pub use lookback::{Lookback, LookbackConfig};
pub use rnn::{RnnForecaster, RnnForecasterConfig};
pub use seasonal_mlp::{SeasonalMlp, SeasonalMlpConfig};
pub use seasonal_rnn::{SeasonalRnn, SeasonalRnnConfig};

/// The configuration of a [`Forecaster`]: one variant per model family.
#[derive(Config, Debug)]
pub enum ForecasterConfig {
    /// A recurrent encoder (LSTM, GRU or RNN) with an MLP head, or an encoder–decoder.
    Rnn(RnnForecasterConfig),
    /// Several forecasters of one configuration, each output the median of theirs.
    Ensemble(EnsembleConfig),
    /// Holt–Winters smoothing with learned coefficients and a recurrent network over what it
    /// leaves (ES-RNN).
    EsRnn(EsRnnConfig),
    /// A recurrent network forecasting the departure from the window's seasonal naive.
    SeasonalRnn(SeasonalRnnConfig),
    /// A multilayer perceptron over the whole window forecasting the departure from its
    /// seasonal naive.
    SeasonalMlp(SeasonalMlpConfig),
    /// A forecaster that reads only the newest rows of each window.
    Lookback(LookbackConfig),
}

impl ForecasterConfig {
    /// Builds the forecaster on `device`.
    pub fn init(&self, device: &Device) -> Forecaster {
        match self {
            Self::Rnn(config) => config.init(device),
            Self::Ensemble(config) => config.init(device),
            Self::EsRnn(config) => config.init(device),
            Self::SeasonalRnn(config) => config.init(device),
            Self::SeasonalMlp(config) => config.init(device),
            Self::Lookback(config) => config.init(device),
        }
    }

    /// Networks trained apart: 1, or an ensemble's networks in all.
    pub fn network_count(&self) -> usize {
        match self {
            Self::Ensemble(config) => config.network_count(),
            _ => 1,
        }
    }

    /// Features per time step the forecaster reads.
    pub fn input_size(&self) -> usize {
        match self {
            Self::Rnn(config) => config.input_size,
            Self::Ensemble(config) => config.member.input_size(),
            Self::EsRnn(config) => config.network.input_size,
            Self::SeasonalRnn(config) => config.network.input_size,
            Self::SeasonalMlp(config) => config.input_size,
            Self::Lookback(config) => config.inner.input_size(),
        }
    }
}

impl From<RnnForecasterConfig> for ForecasterConfig {
    fn from(config: RnnForecasterConfig) -> Self {
        Self::Rnn(config)
    }
}

/// A forecasting model: one variant per family.
// A program holds a handful of forecasters, so their size does not matter; and Burn's module
// derive cannot see through a `Box` to the recurrent network's parameters.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Forecaster {
    /// The recurrent family.
    Rnn(RnnForecaster),
    /// Several forecasters, each output the median of theirs.
    Ensemble(Ensemble),
    /// Holt–Winters smoothing with learned coefficients and a recurrent network (ES-RNN).
    EsRnn(EsRnn),
    /// A recurrent network forecasting the departure from the window's seasonal naive.
    SeasonalRnn(SeasonalRnn),
    /// A multilayer perceptron over the whole window forecasting the departure from its
    /// seasonal naive.
    SeasonalMlp(SeasonalMlp),
    /// A forecaster that reads only the newest rows of each window.
    Lookback(Lookback),
}

impl Forecaster {
    /// `[batch, window_len, features] → [batch, output_size × params]`: every step's output, a
    /// point (one param) or a predictive distribution's parameters (see
    /// [`OutputDistribution`]).
    pub fn forward(&self, inputs: Tensor<3>) -> Tensor<2> {
        match self {
            Self::Rnn(model) => model.forward(inputs),
            Self::Ensemble(ensemble) => ensemble.forward(inputs),
            Self::EsRnn(model) => model.forward(inputs),
            Self::SeasonalRnn(model) => model.forward(inputs),
            Self::SeasonalMlp(model) => model.forward(inputs),
            Self::Lookback(model) => model.forward(inputs),
        }
    }

    /// [`Forecaster::forward`] with each window's series in its panel, `[batch]`: the
    /// `es_rnn` hybrid smooths each window with its series' coefficients; the other families
    /// have no parameters of a series' own and ignore it.
    pub fn forward_series(&self, inputs: Tensor<3>, series: Tensor<1, Int>) -> Tensor<2> {
        match self {
            Self::Rnn(model) => model.forward(inputs),
            Self::Ensemble(ensemble) => ensemble.forward_series(inputs, series),
            Self::EsRnn(model) => model.forward_series(inputs, series),
            Self::SeasonalRnn(model) => model.forward(inputs),
            Self::SeasonalMlp(model) => model.forward(inputs),
            Self::Lookback(model) => model.forward_series(inputs, series),
        }
    }

    /// The point forecasts, `[batch, window_len, features] → [batch, output_size]`: the
    /// forward pass's values, or its distributions' means (medians).
    pub fn forward_point(&self, inputs: Tensor<3>) -> Tensor<2> {
        self.distribution().point(self.forward(inputs))
    }

    /// [`Forecaster::forward_point`] with each window's series (see
    /// [`Forecaster::forward_series`]).
    pub fn forward_point_series(&self, inputs: Tensor<3>, series: Tensor<1, Int>) -> Tensor<2> {
        self.distribution()
            .point(self.forward_series(inputs, series))
    }

    /// The series with parameters of their own (`es_rnn`'s smoothing coefficients); `None`
    /// for a family without any, which forecasts every series alike.
    pub fn series_count(&self) -> Option<usize> {
        match self {
            Self::Rnn(_) | Self::SeasonalRnn(_) | Self::SeasonalMlp(_) => None,
            Self::Ensemble(ensemble) => ensemble.series_count(),
            Self::EsRnn(model) => Some(model.series_count()),
            Self::Lookback(model) => model.inner().series_count(),
        }
    }

    /// Values forecast per window by one forward pass.
    pub fn output_size(&self) -> usize {
        match self {
            Self::Rnn(model) => model.output_size,
            Self::Ensemble(ensemble) => ensemble.first().output_size(),
            Self::EsRnn(model) => model.output_size(),
            Self::SeasonalRnn(model) => model.output_size(),
            Self::SeasonalMlp(model) => model.output_size(),
            Self::Lookback(model) => model.output_size(),
        }
    }

    /// What the forecaster outputs for each step.
    pub fn distribution(&self) -> &OutputDistribution {
        match self {
            Self::Rnn(model) => &model.distribution,
            Self::Ensemble(ensemble) => ensemble.first().distribution(),
            Self::EsRnn(model) => model.distribution(),
            Self::SeasonalRnn(model) => model.distribution(),
            Self::SeasonalMlp(model) => model.distribution(),
            Self::Lookback(model) => model.distribution(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_enum_builds_its_family() {
        let device = Device::flex();
        let config = ForecasterConfig::from(
            RnnForecasterConfig::new(2, 4)
                .with_output_size(3)
                .with_distribution(OutputDistribution::Gaussian),
        );
        assert_eq!(config.input_size(), 2);
        let model = config.init(&device);
        assert!(matches!(model, Forecaster::Rnn(_)));
        assert_eq!(model.output_size(), 3);
        assert_eq!(model.distribution(), &OutputDistribution::Gaussian);
        let inputs = Tensor::<3>::ones([5, 6, 2], &device);
        assert_eq!(model.forward(inputs.clone()).dims(), [5, 3 * 2]);
        assert_eq!(model.forward_point(inputs).dims(), [5, 3]);
    }

    #[test]
    fn the_config_round_trips_through_json() {
        let config = ForecasterConfig::from(RnnForecasterConfig::new(1, 100).with_head(vec![50]));
        let json = burn::config::config_to_json(&config);
        let back: ForecasterConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back.input_size(), 1);
        assert!(matches!(back, ForecasterConfig::Rnn(rnn) if rnn.head == vec![50]));
    }
}
