//! The recurrent family (`family = "rnn"`): a recurrent encoder whose final hidden state feeds
//! a small MLP head, or an encoder–decoder that forecasts several steps one at a time.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::Forecaster;
use crate::distribution::OutputDistribution;
use crate::recurrent::{CellKind, Recurrent, RecurrentConfig};

/// Configuration of a [`RnnForecaster`].
///
/// The article's network is `RnnForecasterConfig::new(1, 100).with_head(vec![50])`:
/// `LSTM(1→100) → Linear(100→50) → ReLU → Linear(50→1)`.
#[derive(Config, Debug)]
pub struct RnnForecasterConfig {
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
    /// Encoder–decoder instead of a direct head: `Some(index)` of the target among the input
    /// features. A recurrent decoder (input: one value) starts from the encoder's final state
    /// and the window's last target value, and makes `output_size` steps, each fed its own
    /// previous output; the head maps each decoder state to one value.
    #[config(default = "None")]
    pub seq2seq_target_index: Option<usize>,
    /// What the head outputs for each step: a point, or a predictive distribution's
    /// parameters (see [`OutputDistribution`]).
    #[config(default = "OutputDistribution::Point")]
    pub distribution: OutputDistribution,
}

impl RnnForecasterConfig {
    /// Builds the forecaster on `device`, with PyTorch's default initialisation.
    pub fn init(&self, device: &Device) -> Forecaster {
        Forecaster::Rnn(self.init_rnn(device))
    }

    /// Builds the recurrent forecaster itself on `device`.
    pub fn init_rnn(&self, device: &Device) -> RnnForecaster {
        let encoder = RecurrentConfig::new(self.cell, self.input_size, self.hidden_size)
            .with_num_layers(self.num_layers)
            .with_dropout(self.dropout)
            .init(device);
        let decoder = self.seq2seq_target_index.map(|_| {
            RecurrentConfig::new(self.cell, 1, self.hidden_size)
                .with_num_layers(self.num_layers)
                .with_dropout(self.dropout)
                .init(device)
        });
        let params = self.distribution.params();
        let head_output = match decoder {
            Some(_) => params,
            None => self.output_size * params,
        };
        let widths: Vec<usize> = std::iter::once(self.hidden_size)
            .chain(self.head.iter().copied())
            .chain(std::iter::once(head_output))
            .collect();
        let head = widths
            .windows(2)
            .map(|pair| LinearConfig::new(pair[0], pair[1]).init(device))
            .collect();
        RnnForecaster {
            encoder,
            decoder,
            head,
            output_size: self.output_size,
            seq2seq_target_index: self.seq2seq_target_index,
            distribution: self.distribution.clone(),
        }
    }
}

/// A recurrent encoder, an optional recurrent decoder and an MLP head.
#[derive(Module, Debug)]
pub struct RnnForecaster {
    /// The recurrent layers that read the window.
    pub encoder: Recurrent,
    /// The encoder–decoder's decoder; `None` for a direct forecaster.
    pub decoder: Option<Recurrent>,
    /// The head's linear layers; ReLU between consecutive ones.
    pub head: Vec<Linear>,
    /// Values forecast per window.
    #[module(skip)]
    pub(crate) output_size: usize,
    /// With a decoder: the input feature holding the target (`None` for a direct forecaster).
    #[module(skip)]
    pub(crate) seq2seq_target_index: Option<usize>,
    /// What the head outputs for each step.
    #[module(skip)]
    pub(crate) distribution: OutputDistribution,
}

impl RnnForecaster {
    /// `[batch, window_len, features] → [batch, output_size × params]`: the head on the
    /// encoder's final hidden state, or the decoder's steps for an encoder–decoder; a point
    /// head has one param per step (see [`OutputDistribution`] for the others).
    pub fn forward(&self, inputs: Tensor<3>) -> Tensor<2> {
        match (&self.decoder, self.seq2seq_target_index) {
            (Some(decoder), Some(target_index)) => self.decode(decoder, target_index, inputs),
            _ => self.apply_head(self.encoder.forward_last(inputs)),
        }
    }

    fn apply_head(&self, hidden: Tensor<2>) -> Tensor<2> {
        let mut x = hidden;
        let last = self.head.len() - 1;
        for (index, linear) in self.head.iter().enumerate() {
            x = linear.forward(x);
            if index < last {
                x = relu(x);
            }
        }
        x
    }

    /// The encoder–decoder: the decoder starts from the encoder's state and the last observed
    /// target, and each step reads the previous step's forecast.
    fn decode(&self, decoder: &Recurrent, target_index: usize, inputs: Tensor<3>) -> Tensor<2> {
        let [batch, window_len, _] = inputs.dims();
        let mut previous = inputs
            .clone()
            .narrow(1, window_len - 1, 1)
            .narrow(2, target_index, 1);
        let (_, mut state) = self.encoder.forward_from(inputs, None, false);
        let mut steps = Vec::with_capacity(self.output_size);
        for _ in 0..self.output_size {
            let (_, next) = decoder.forward_from(previous, Some(state), false);
            let hidden = next
                .last()
                .expect("a stack has at least one layer")
                .hidden
                .clone();
            let value = self.apply_head(hidden);
            previous = self
                .distribution
                .point(value.clone())
                .reshape([batch, 1, 1]);
            steps.push(value);
            state = next;
        }
        Tensor::cat(steps, 1)
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
        let model = RnnForecasterConfig::new(1, 100)
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
                let model = RnnForecasterConfig::new(4, 8)
                    .with_cell(cell)
                    .with_num_layers(layers)
                    .with_output_size(3)
                    .init(&device);
                let output = model.forward(Tensor::ones([2, 6, 4], &device));
                assert_eq!(output.dims(), [2, 3], "{cell:?} × {layers}");
            }
        }
    }

    #[test]
    fn encoder_decoder_forecasts_every_step() {
        let device = Device::flex();
        for cell in [CellKind::Lstm, CellKind::Gru, CellKind::Rnn] {
            let model = RnnForecasterConfig::new(4, 8)
                .with_cell(cell)
                .with_num_layers(2)
                .with_head(vec![6])
                .with_output_size(5)
                .with_seq2seq_target_index(Some(0))
                .init_rnn(&device);
            assert!(model.decoder.is_some());
            let output = model.forward(Tensor::ones([3, 5, 4], &device));
            assert_eq!(output.dims(), [3, 5], "{cell:?}");
        }
    }

    #[test]
    fn encoder_decoder_starts_from_the_last_observed_target() {
        let device = Device::flex();
        let model = RnnForecasterConfig::new(2, 4)
            .with_output_size(3)
            .with_seq2seq_target_index(Some(1))
            .init(&device);
        let window =
            |last_target: f32| Tensor::<3>::from_data([[[0.1, 0.2], [0.3, last_target]]], &device);
        // the decoder's first input is the window's last target value (feature 1 here)
        let a = model
            .forward(window(0.5))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let b = model
            .forward(window(-3.0))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_ne!(a[0], b[0]);
    }
}
