//! The recurrent network on top of the seasonal naive (`family = "seasonal_rnn"`): it reads
//! the window as it is and forecasts each step's departure from the window's last season, so a
//! network that outputs 0 forecasts the seasonal naive (with a season of 1, the naive).
//!
//! Step `k` (0-based) after a window `x_0 … x_{W−1}` with season `m` is
//! `x_{W − m + (k mod m)}` plus the network's output (`m` is cut to `W` for a shorter window).
//! The seasonal naive commutes with any affine map of the values, so the network answers in the
//! units the data crate's codec gives a level target. With a level target normalised per window
//! it learns exactly what [`super::rnn`] learns from the codec's seasonal difference; unlike
//! that, it reads the same encoding as the `es_rnn` hybrid, so the two can share one ensemble.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::Forecaster;
use super::rnn::{RnnForecaster, RnnForecasterConfig};
use crate::distribution::OutputDistribution;

/// Configuration of a [`SeasonalRnn`].
#[derive(Config, Debug)]
pub struct SeasonalRnnConfig {
    /// The recurrent network that forecasts the departures (its `input_size` is the window's
    /// features).
    pub network: RnnForecasterConfig,
    /// The input feature holding the target.
    pub target_index: usize,
    /// Rows per season (1: the naive).
    #[config(default = 1)]
    pub season: usize,
}

impl SeasonalRnnConfig {
    /// Builds the forecaster on `device`.
    pub fn init(&self, device: &Device) -> Forecaster {
        Forecaster::SeasonalRnn(SeasonalRnn {
            network: self.network.init_rnn(device),
            target_index: self.target_index,
            season: self.season.max(1),
        })
    }
}

/// A recurrent network forecasting the departure from the window's seasonal naive.
#[derive(Module, Debug)]
pub struct SeasonalRnn {
    /// The network over the window as it is.
    pub network: RnnForecaster,
    /// The input feature holding the target.
    #[module(skip)]
    pub(crate) target_index: usize,
    /// Rows per season.
    #[module(skip)]
    pub(crate) season: usize,
}

impl SeasonalRnn {
    /// Values forecast per window.
    pub fn output_size(&self) -> usize {
        self.network.output_size
    }

    /// What the network outputs for each step.
    pub fn distribution(&self) -> &OutputDistribution {
        &self.network.distribution
    }

    /// `[batch, window_len, features] → [batch, output_size × params]`.
    pub fn forward(&self, inputs: Tensor<3>) -> Tensor<2> {
        let base = seasonal_naive(
            inputs.clone(),
            self.target_index,
            self.season,
            self.output_size(),
        );
        let outputs = self.network.forward(inputs);
        self.distribution().add_to_locations(outputs, base)
    }
}

/// The seasonal naive forecast of `steps` steps after each window, `[batch, steps]`: the
/// window's last season (`season` rows, cut to the window) of the feature `target_index`,
/// repeated.
pub(crate) fn seasonal_naive(
    inputs: Tensor<3>,
    target_index: usize,
    season: usize,
    steps: usize,
) -> Tensor<2> {
    let [batch, window_len, _] = inputs.dims();
    let season = season.min(window_len);
    let last_season = inputs
        .narrow(1, window_len - season, season)
        .narrow(2, target_index, 1)
        .reshape([batch, season]);
    let repeats = steps.div_ceil(season);
    Tensor::cat(vec![last_season; repeats], 1).narrow(1, 0, steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecaster::testing::{silence, values, windows};

    /// The forecaster with its head's last layer zeroed, so the network outputs 0.
    fn silent(output_size: usize, season: usize, device: &Device) -> SeasonalRnn {
        let config = SeasonalRnnConfig::new(
            RnnForecasterConfig::new(2, 3).with_output_size(output_size),
            1,
        )
        .with_season(season);
        let Forecaster::SeasonalRnn(mut model) = config.init(device) else {
            unreachable!("the config builds its own family")
        };
        silence(
            model
                .network
                .head
                .last_mut()
                .expect("a head has an output layer"),
        );
        model
    }

    #[test]
    fn a_network_that_outputs_zero_forecasts_the_seasonal_naive() {
        let device = Device::flex();
        // season 2: the window's last two rows (3, 4) repeated over 5 steps
        let forecast = values(silent(5, 2, &device).forward(windows(&device)));
        assert_eq!(
            forecast,
            [3.0, 4.0, 3.0, 4.0, 3.0, 103.0, 104.0, 103.0, 104.0, 103.0]
        );
        // season 1: the naive; a season longer than the window: the whole window
        assert_eq!(
            values(silent(2, 1, &device).forward(windows(&device))),
            [4.0, 4.0, 104.0, 104.0]
        );
        assert_eq!(
            values(silent(6, 7, &device).forward(windows(&device)))[..6],
            [0.0, 1.0, 2.0, 3.0, 4.0, 0.0]
        );
    }

    #[test]
    fn the_forecast_is_the_network_output_plus_the_seasonal_naive() {
        let device = Device::flex();
        let Forecaster::SeasonalRnn(model) =
            SeasonalRnnConfig::new(RnnForecasterConfig::new(2, 3).with_output_size(3), 1)
                .with_season(2)
                .init(&device)
        else {
            unreachable!("the config builds its own family")
        };
        let inputs = windows(&device);
        let network = values(model.network.forward(inputs.clone()));
        let forecast = values(model.forward(inputs));
        let naive = [3.0, 4.0, 3.0, 103.0, 104.0, 103.0];
        for ((forecast, network), naive) in forecast.iter().zip(&network).zip(naive) {
            assert!((forecast - network - naive).abs() < 1e-4);
        }
    }
}
