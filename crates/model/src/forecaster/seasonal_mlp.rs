//! The multilayer perceptron on top of the seasonal naive (`family = "seasonal_mlp"`): it reads
//! the whole window at once, flattened, as N-BEATS's blocks do, and forecasts each step's
//! departure from the window's last season, so a network that outputs 0 forecasts the seasonal
//! naive, as [`super::seasonal_rnn`]'s does. It sees every row of the window with a weight of
//! its own instead of through a recurrence, so it errs differently from the recurrent families
//! it can share an ensemble with; its input size is fixed, so it needs the window's length.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::Forecaster;
use crate::distribution::OutputDistribution;

/// Configuration of a [`SeasonalMlp`].
#[derive(Config, Debug)]
pub struct SeasonalMlpConfig {
    /// Features per time step.
    pub input_size: usize,
    /// Time steps per window (the network reads `window_len × input_size` values).
    pub window_len: usize,
    /// The input feature holding the target.
    pub target_index: usize,
    /// Widths of the hidden layers, ReLU after each.
    pub hidden: Vec<usize>,
    /// Values forecast per window.
    #[config(default = 1)]
    pub output_size: usize,
    /// Rows per season (1: the naive).
    #[config(default = 1)]
    pub season: usize,
    /// What the network outputs for each step (see [`OutputDistribution`]).
    #[config(default = "OutputDistribution::Point")]
    pub distribution: OutputDistribution,
}

impl SeasonalMlpConfig {
    /// Builds the forecaster on `device`, each layer with PyTorch's default initialisation.
    pub fn init(&self, device: &Device) -> Forecaster {
        let widths: Vec<usize> = std::iter::once(self.window_len * self.input_size)
            .chain(self.hidden.iter().copied())
            .chain(std::iter::once(
                self.output_size * self.distribution.params(),
            ))
            .collect();
        let layers = (widths.windows(2))
            .map(|pair| LinearConfig::new(pair[0], pair[1]).init(device))
            .collect();
        Forecaster::SeasonalMlp(SeasonalMlp {
            layers,
            window_len: self.window_len,
            target_index: self.target_index,
            output_size: self.output_size,
            season: self.season.max(1),
            distribution: self.distribution.clone(),
        })
    }
}

/// A multilayer perceptron forecasting the departure from the window's seasonal naive.
#[derive(Module, Debug)]
pub struct SeasonalMlp {
    /// The linear layers; ReLU between consecutive ones.
    pub layers: Vec<Linear>,
    /// Time steps per window.
    #[module(skip)]
    pub(crate) window_len: usize,
    /// The input feature holding the target.
    #[module(skip)]
    pub(crate) target_index: usize,
    /// Values forecast per window.
    #[module(skip)]
    pub(crate) output_size: usize,
    /// Rows per season.
    #[module(skip)]
    pub(crate) season: usize,
    /// What the network outputs for each step.
    #[module(skip)]
    pub(crate) distribution: OutputDistribution,
}

impl SeasonalMlp {
    /// Values forecast per window.
    pub fn output_size(&self) -> usize {
        self.output_size
    }

    /// What the network outputs for each step.
    pub fn distribution(&self) -> &OutputDistribution {
        &self.distribution
    }

    /// `[batch, window_len, features] → [batch, output_size × params]`; the window must have
    /// the configured length.
    pub fn forward(&self, inputs: Tensor<3>) -> Tensor<2> {
        let [batch, window_len, features] = inputs.dims();
        assert_eq!(
            window_len, self.window_len,
            "the seasonal_mlp reads windows of {} rows",
            self.window_len
        );
        let base = super::seasonal_rnn::seasonal_naive(
            inputs.clone(),
            self.target_index,
            self.season,
            self.output_size,
        );
        let mut x = inputs.reshape([batch, window_len * features]);
        let last = self.layers.len() - 1;
        for (index, linear) in self.layers.iter().enumerate() {
            x = linear.forward(x);
            if index < last {
                x = relu(x);
            }
        }
        self.distribution.add_to_locations(x, base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecaster::testing::{silence, values, windows};
    use burn::module::Param;
    use burn::tensor::TensorData;

    fn mlp(output_size: usize, season: usize, device: &Device) -> SeasonalMlp {
        let config = SeasonalMlpConfig::new(2, 5, 1, vec![4, 3])
            .with_output_size(output_size)
            .with_season(season);
        let Forecaster::SeasonalMlp(model) = config.init(device) else {
            unreachable!("the config builds its own family")
        };
        model
    }

    #[test]
    fn a_network_that_outputs_zero_forecasts_the_seasonal_naive() {
        let device = Device::flex();
        let mut model = mlp(5, 2, &device);
        silence(model.layers.last_mut().expect("an output layer"));
        assert_eq!(
            values(model.forward(windows(&device))),
            [3.0, 4.0, 3.0, 4.0, 3.0, 103.0, 104.0, 103.0, 104.0, 103.0]
        );
    }

    #[test]
    fn every_row_of_the_window_reaches_the_forecast() {
        let device = Device::flex();
        let mut model = mlp(3, 1, &device);
        // positive weights and biases keep every unit active, so no ReLU hides a change
        for layer in &mut model.layers {
            layer.weight = Param::from_tensor(layer.weight.val().ones_like().mul_scalar(0.01));
            layer.bias = (layer.bias.take()).map(|bias| Param::from_tensor(bias.val().ones_like()));
        }
        assert_eq!(model.num_params(), (10 * 4 + 4) + (4 * 3 + 3) + (3 * 3 + 3));
        let inputs = windows(&device);
        let before = values(model.forward(inputs.clone()));
        // the first row of the first window, which the seasonal naive does not read
        let mut changed = inputs.clone().into_data().try_to_vec::<f32>().unwrap();
        changed[1] += 50.0;
        let changed = Tensor::<3>::from_data(TensorData::new(changed, [2, 5, 2]), &device);
        let after = values(model.forward(changed));
        assert_ne!(before[..3], after[..3]);
        assert_eq!(before[3..], after[3..]);
    }
}
