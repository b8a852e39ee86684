//! The forecaster: a recurrent encoder whose final hidden state feeds a small MLP head.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use crate::recurrent::{CellKind, Recurrent, RecurrentConfig};

/// Configuration of a [`Forecaster`].
///
/// The article's network is `ForecasterConfig::new(1, 100).with_head(vec![50])`:
/// `LSTM(1→100) → Linear(100→50) → ReLU → Linear(50→1)`.
#[derive(Config, Debug)]
pub struct ForecasterConfig {
    /// Features per time step.
    pub input_size: usize,
    /// Hidden units per recurrent layer.
    pub hidden_size: usize,
    /// Stacked recurrent layers.
    #[config(default = 1)]
    pub num_layers: usize,
    /// Dropout between recurrent layers during training.
    #[config(default = 0.0)]
    pub dropout: f64,
    /// Widths of the hidden layers of the MLP head, ReLU after each (empty = one linear layer).
    #[config(default = "Vec::new()")]
    pub head: Vec<usize>,
    /// Values forecast per window (the horizon of a direct multi-step forecast).
    #[config(default = 1)]
    pub output_size: usize,
    /// The recurrent cell.
    #[config(default = "CellKind::Lstm")]
    pub cell: CellKind,
}

impl ForecasterConfig {
    /// Builds the forecaster on `device`, with PyTorch's default initialisation.
    pub fn init(&self, device: &Device) -> Forecaster {
        let encoder = RecurrentConfig::new(self.cell, self.input_size, self.hidden_size)
            .with_num_layers(self.num_layers)
            .with_dropout(self.dropout)
            .init(device);
        let widths: Vec<usize> = std::iter::once(self.hidden_size)
            .chain(self.head.iter().copied())
            .chain(std::iter::once(self.output_size))
            .collect();
        let head = widths
            .windows(2)
            .map(|pair| LinearConfig::new(pair[0], pair[1]).init(device))
            .collect();
        Forecaster { encoder, head }
    }
}

/// A recurrent encoder and an MLP head.
#[derive(Module, Debug)]
pub struct Forecaster {
    /// The recurrent layers.
    pub encoder: Recurrent,
    /// The head's linear layers; ReLU between consecutive ones.
    pub head: Vec<Linear>,
}

impl Forecaster {
    /// `[batch, window_len, features] → [batch, output_size]`, from the last layer's final
    /// hidden state.
    pub fn forward(&self, inputs: Tensor<3>) -> Tensor<2> {
        let mut x = self.encoder.forward_last(inputs);
        let last = self.head.len() - 1;
        for (index, linear) in self.head.iter().enumerate() {
            x = linear.forward(x);
            if index < last {
                x = relu(x);
            }
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter_count(model: &Forecaster) -> usize {
        model.num_params()
    }

    #[test]
    fn article_network_has_pytorchs_parameter_count() {
        let device = Device::flex();
        let model = ForecasterConfig::new(1, 100)
            .with_head(vec![50])
            .init(&device);
        // nn.LSTM(1, 100): 4·100·1 + 4·100·100 + 2·4·100 = 41,200
        // nn.Linear(100, 50): 5,050; nn.Linear(50, 1): 51
        assert_eq!(parameter_count(&model), 41_200 + 5_050 + 51);
        let output = model.forward(Tensor::zeros([7, 5, 1], &device));
        assert_eq!(output.dims(), [7, 1]);
    }

    #[test]
    fn every_cell_and_depth_gives_the_output_shape() {
        let device = Device::flex();
        for cell in [CellKind::Lstm, CellKind::Gru, CellKind::Rnn] {
            for layers in [1, 2] {
                let model = ForecasterConfig::new(4, 8)
                    .with_cell(cell)
                    .with_num_layers(layers)
                    .with_output_size(3)
                    .init(&device);
                let output = model.forward(Tensor::ones([2, 6, 4], &device));
                assert_eq!(output.dims(), [2, 3], "{cell:?} × {layers}");
            }
        }
    }
}
