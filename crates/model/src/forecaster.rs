//! The forecaster: a recurrent encoder whose final hidden state feeds a small MLP head, or an
//! encoder–decoder that forecasts several steps one at a time.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use crate::distribution::OutputDistribution;
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

impl ForecasterConfig {
    /// Builds the forecaster on `device`, with PyTorch's default initialisation.
    pub fn init(&self, device: &Device) -> Forecaster {
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
        Forecaster {
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
pub struct Forecaster {
    /// The recurrent layers that read the window.
    pub encoder: Recurrent,
    /// The encoder–decoder's decoder; `None` for a direct forecaster.
    pub decoder: Option<Recurrent>,
    /// The head's linear layers; ReLU between consecutive ones.
    pub head: Vec<Linear>,
    /// Values forecast per window.
    #[module(skip)]
    pub output_size: usize,
    /// With a decoder: the input feature holding the target (`None` for a direct forecaster).
    #[module(skip)]
    pub seq2seq_target_index: Option<usize>,
    /// What the head outputs for each step.
    #[module(skip)]
    pub distribution: OutputDistribution,
}

impl Forecaster {
    /// The point forecasts, `[batch, window_len, features] → [batch, output_size]`: the
    /// forward pass's values, or its distributions' means (medians).
    pub fn forward_point(&self, inputs: Tensor<3>) -> Tensor<2> {
        self.distribution.point(self.forward(inputs))
    }

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

    /// Forecasts `steps` values per window by feeding the forecaster its own outputs: after each
    /// forward pass the window drops its oldest days and takes the new forecasts as its newest.
    /// `[batch, window_len, 1] → [batch, steps]`.
    ///
    /// This is the NumPy article's closed-loop generation (one window, many steps) and the
    /// `recursive` multi-step strategy (many windows, a few steps).
    ///
    /// # Panics
    /// When the windows have more than one feature: the forecasts can only stand in for the
    /// inputs when the target is the only input.
    pub fn forecast_recursive(&self, inputs: Tensor<3>, steps: usize) -> Tensor<2> {
        let [batch, window_len, features] = inputs.dims();
        assert_eq!(
            features, 1,
            "recursive forecasting feeds forecasts back as inputs, so the target must be the only feature"
        );
        let mut window = inputs;
        let mut forecasts = Vec::new();
        let mut made = 0;
        while made < steps {
            let take = self.output_size.min(steps - made);
            let output = self.forward_point(window.clone()).narrow(1, 0, take);
            let extended = Tensor::cat(vec![window, output.clone().reshape([batch, take, 1])], 1);
            window = extended.narrow(1, take, window_len);
            forecasts.push(output);
            made += take;
        }
        Tensor::cat(forecasts, 1)
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

    #[test]
    fn encoder_decoder_forecasts_every_step() {
        let device = Device::flex();
        for cell in [CellKind::Lstm, CellKind::Gru, CellKind::Rnn] {
            let model = ForecasterConfig::new(4, 8)
                .with_cell(cell)
                .with_num_layers(2)
                .with_head(vec![6])
                .with_output_size(5)
                .with_seq2seq_target_index(Some(0))
                .init(&device);
            assert!(model.decoder.is_some());
            let output = model.forward(Tensor::ones([3, 5, 4], &device));
            assert_eq!(output.dims(), [3, 5], "{cell:?}");
        }
    }

    #[test]
    fn encoder_decoder_starts_from_the_last_observed_target() {
        let device = Device::flex();
        let model = ForecasterConfig::new(2, 4)
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

    #[test]
    fn recursive_forecast_feeds_back_its_own_outputs() {
        let device = Device::flex();
        let model = ForecasterConfig::new(1, 6).init(&device);
        let start = [0.1_f32, 0.4, -0.2, 0.3];
        let inputs =
            Tensor::<3>::from_data([[[start[0]], [start[1]], [start[2]], [start[3]]]], &device);
        let recursive = model
            .forecast_recursive(inputs, 3)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        // the same thing by hand, one forward pass per step
        let mut window = start.to_vec();
        for (step, value) in recursive.iter().enumerate() {
            let data: Vec<[f32; 1]> = window.iter().map(|v| [*v]).collect();
            let one = Tensor::<2>::from_data(
                burn::tensor::TensorData::new(data.concat(), [4, 1]),
                &device,
            )
            .unsqueeze_dim::<3>(0);
            let expected = model.forward(one).into_data().try_to_vec::<f32>().unwrap()[0];
            assert!(
                (expected - value).abs() < 1e-6,
                "step {step}: {expected} vs {value}"
            );
            window.remove(0);
            window.push(expected);
        }
    }

    #[test]
    fn recursive_forecast_with_a_multi_step_model_takes_every_output() {
        let device = Device::flex();
        let model = ForecasterConfig::new(1, 6)
            .with_output_size(2)
            .init(&device);
        let inputs = Tensor::<3>::ones([2, 4, 1], &device);
        let direct = model
            .forward(inputs.clone())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let recursive = model.forecast_recursive(inputs, 5);
        assert_eq!(recursive.dims(), [2, 5]);
        let values = recursive.into_data().try_to_vec::<f32>().unwrap();
        // the first two steps of each window are the model's direct output
        assert_eq!(&values[0..2], &direct[0..2]);
        assert_eq!(&values[5..7], &direct[2..4]);
    }
}
