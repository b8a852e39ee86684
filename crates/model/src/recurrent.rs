//! Recurrent layers with fused gate weights, laid out and named as PyTorch's `nn.LSTM`,
//! `nn.GRU` and `nn.RNN` lay them out: `weight_ih [G·H, F]`, `weight_hh [G·H, H]`, `bias_ih` and
//! `bias_hh [G·H]`, gates stacked in PyTorch's order (LSTM: i, f, g, o; GRU: r, z, n).
//!
//! The input projection of every time step is one matrix product; each step then needs one
//! product with the hidden state. Only the stack's last layer skips collecting its per-step
//! outputs, since forecasting reads its final hidden state alone.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Initializer};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

/// The recurrent cell.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Long short-term memory (`nn.LSTM`): gates i, f, g, o.
    Lstm,
    /// Gated recurrent unit (`nn.GRU`): gates r, z, n.
    Gru,
    /// Elman RNN with tanh (`nn.RNN`).
    Rnn,
}

impl CellKind {
    /// Gate blocks stacked in the fused weights.
    pub fn gate_count(self) -> usize {
        match self {
            Self::Lstm => 4,
            Self::Gru => 3,
            Self::Rnn => 1,
        }
    }
}

/// One recurrent layer.
#[derive(Module, Debug)]
pub struct RecurrentLayer {
    /// Input-to-hidden weights, `[gates × hidden, input]`.
    pub weight_ih: Param<Tensor<2>>,
    /// Hidden-to-hidden weights, `[gates × hidden, hidden]`.
    pub weight_hh: Param<Tensor<2>>,
    /// Input-to-hidden bias, `[gates × hidden]`.
    pub bias_ih: Param<Tensor<1>>,
    /// Hidden-to-hidden bias, `[gates × hidden]`.
    pub bias_hh: Param<Tensor<1>>,
    /// The cell.
    #[module(skip)]
    pub cell: CellKind,
    /// Hidden units.
    pub hidden_size: usize,
}

/// What a layer returns.
struct LayerOutput {
    /// `[batch, time, hidden]` when asked for, the input of the next layer.
    sequence: Option<Tensor<3>>,
    /// `[batch, hidden]` after the last step.
    last_hidden: Tensor<2>,
}

impl RecurrentLayer {
    /// A layer initialised as PyTorch does: every weight and bias uniform in ±1/√hidden.
    pub fn new(cell: CellKind, input_size: usize, hidden_size: usize, device: &Device) -> Self {
        let bound = 1.0 / (hidden_size as f64).sqrt();
        let init = Initializer::Uniform {
            min: -bound,
            max: bound,
        };
        let gates = cell.gate_count() * hidden_size;
        Self {
            weight_ih: init.init([gates, input_size], device),
            weight_hh: init.init([gates, hidden_size], device),
            bias_ih: init.init([gates], device),
            bias_hh: init.init([gates], device),
            cell,
            hidden_size,
        }
    }

    /// Runs the layer over `input [batch, time, features]` from a zero state.
    fn forward(&self, input: Tensor<3>, keep_sequence: bool) -> LayerOutput {
        let [batch, time, features] = input.dims();
        let gates = self.cell.gate_count() * self.hidden_size;
        let projected = input
            .reshape([batch * time, features])
            .matmul(self.weight_ih.val().transpose())
            .reshape([batch, time, gates]);
        let steps = (0..time).map(|t| projected.clone().narrow(1, t, 1).reshape([batch, gates]));
        match self.cell {
            CellKind::Lstm => self.run_lstm(steps, batch, keep_sequence),
            CellKind::Gru => self.run_gru(steps, batch, keep_sequence),
            CellKind::Rnn => self.run_rnn(steps, batch, keep_sequence),
        }
    }

    fn recurrent_product(&self, hidden: &Tensor<2>) -> Tensor<2> {
        hidden.clone().matmul(self.weight_hh.val().transpose())
    }

    fn gate(&self, gates: &Tensor<2>, index: usize) -> Tensor<2> {
        gates
            .clone()
            .narrow(1, index * self.hidden_size, self.hidden_size)
    }

    fn run_lstm(
        &self,
        steps: impl Iterator<Item = Tensor<2>>,
        batch: usize,
        keep_sequence: bool,
    ) -> LayerOutput {
        let bias = (self.bias_ih.val() + self.bias_hh.val()).unsqueeze_dim::<2>(0);
        let mut outputs = Vec::new();
        let mut state: Option<(Tensor<2>, Tensor<2>)> = None;
        for projected in steps {
            let mut gates = projected + bias.clone();
            if let Some((hidden, _)) = &state {
                gates = gates + self.recurrent_product(hidden);
            }
            let input_forget = sigmoid(gates.clone().narrow(1, 0, 2 * self.hidden_size));
            let input_gate = input_forget.clone().narrow(1, 0, self.hidden_size);
            let candidate = self.gate(&gates, 2).tanh();
            let output_gate = sigmoid(self.gate(&gates, 3));
            let mut cell = input_gate * candidate;
            if let Some((_, previous_cell)) = state {
                let forget_gate = input_forget.narrow(1, self.hidden_size, self.hidden_size);
                cell = cell + forget_gate * previous_cell;
            }
            let hidden = output_gate * cell.clone().tanh();
            if keep_sequence {
                outputs.push(hidden.clone());
            }
            state = Some((hidden, cell));
        }
        let (last_hidden, _) = state.expect("a window has at least one step");
        finish(outputs, last_hidden, batch, self.hidden_size)
    }

    fn run_gru(
        &self,
        steps: impl Iterator<Item = Tensor<2>>,
        batch: usize,
        keep_sequence: bool,
    ) -> LayerOutput {
        let bias_ih = self.bias_ih.val().unsqueeze_dim::<2>(0);
        let bias_hh = self.bias_hh.val().unsqueeze_dim::<2>(0);
        let mut outputs = Vec::new();
        let mut hidden: Option<Tensor<2>> = None;
        for projected in steps {
            let input_part = projected + bias_ih.clone();
            let hidden_part = match &hidden {
                Some(h) => self.recurrent_product(h) + bias_hh.clone(),
                None => bias_hh.clone(),
            };
            let reset_update = sigmoid(
                input_part.clone().narrow(1, 0, 2 * self.hidden_size)
                    + hidden_part.clone().narrow(1, 0, 2 * self.hidden_size),
            );
            let reset = reset_update.clone().narrow(1, 0, self.hidden_size);
            let update = reset_update.narrow(1, self.hidden_size, self.hidden_size);
            let candidate = (self.gate(&input_part, 2) + reset * self.gate(&hidden_part, 2)).tanh();
            // h' = (1 - z) * n + z * h = n + z * (h - n)
            let next = match hidden {
                Some(h) => candidate.clone() + update * (h - candidate),
                None => candidate.clone() - update * candidate,
            };
            if keep_sequence {
                outputs.push(next.clone());
            }
            hidden = Some(next);
        }
        let last_hidden = hidden.expect("a window has at least one step");
        finish(outputs, last_hidden, batch, self.hidden_size)
    }

    fn run_rnn(
        &self,
        steps: impl Iterator<Item = Tensor<2>>,
        batch: usize,
        keep_sequence: bool,
    ) -> LayerOutput {
        let bias = (self.bias_ih.val() + self.bias_hh.val()).unsqueeze_dim::<2>(0);
        let mut outputs = Vec::new();
        let mut hidden: Option<Tensor<2>> = None;
        for projected in steps {
            let mut pre_activation = projected + bias.clone();
            if let Some(h) = &hidden {
                pre_activation = pre_activation + self.recurrent_product(h);
            }
            let next = pre_activation.tanh();
            if keep_sequence {
                outputs.push(next.clone());
            }
            hidden = Some(next);
        }
        let last_hidden = hidden.expect("a window has at least one step");
        finish(outputs, last_hidden, batch, self.hidden_size)
    }
}

fn finish(
    outputs: Vec<Tensor<2>>,
    last_hidden: Tensor<2>,
    batch: usize,
    hidden: usize,
) -> LayerOutput {
    let sequence = if outputs.is_empty() {
        None
    } else {
        let time = outputs.len();
        Some(Tensor::stack::<3>(outputs, 1).reshape([batch, time, hidden]))
    };
    LayerOutput {
        sequence,
        last_hidden,
    }
}

/// Configuration of a stack of recurrent layers.
#[derive(Config, Debug)]
pub struct RecurrentConfig {
    /// The cell of every layer.
    pub cell: CellKind,
    /// Features per time step of the input.
    pub input_size: usize,
    /// Hidden units per layer.
    pub hidden_size: usize,
    /// Stacked layers.
    #[config(default = 1)]
    pub num_layers: usize,
    /// Dropout on the outputs of every layer but the last, during training (as PyTorch).
    #[config(default = 0.0)]
    pub dropout: f64,
}

impl RecurrentConfig {
    /// Builds the stack on `device`.
    pub fn init(&self, device: &Device) -> Recurrent {
        let layers = (0..self.num_layers)
            .map(|index| {
                let input_size = if index == 0 {
                    self.input_size
                } else {
                    self.hidden_size
                };
                RecurrentLayer::new(self.cell, input_size, self.hidden_size, device)
            })
            .collect();
        Recurrent {
            layers,
            dropout: DropoutConfig::new(self.dropout).init(),
        }
    }
}

/// A stack of recurrent layers.
#[derive(Module, Debug)]
pub struct Recurrent {
    /// The layers, input first.
    pub layers: Vec<RecurrentLayer>,
    /// Dropout between layers.
    pub dropout: Dropout,
}

impl Recurrent {
    /// The last layer's hidden state after the last step: `[batch, time, features] → [batch, hidden]`.
    pub fn forward_last(&self, input: Tensor<3>) -> Tensor<2> {
        let mut sequence = input;
        let last = self.layers.len() - 1;
        for (index, layer) in self.layers.iter().enumerate() {
            let output = layer.forward(sequence, index < last);
            match output.sequence {
                Some(next) => sequence = self.dropout.forward(next),
                None => return output.last_hidden,
            }
        }
        unreachable!("the last layer returns its hidden state")
    }
}
