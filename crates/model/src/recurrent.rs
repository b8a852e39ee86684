//! Recurrent layers with fused gate weights, laid out and named as PyTorch's `nn.LSTM`,
//! `nn.GRU` and `nn.RNN` lay them out: `weight_ih [G·H, F]`, `weight_hh [G·H, H]`, `bias_ih` and
//! `bias_hh [G·H]`, gates stacked in PyTorch's order (LSTM: i, f, g, o; GRU: r, z, n).
//!
//! The input projection of every time step is one matrix product; each step then needs one
//! product with the hidden state. Each cell's recurrence over a window runs as one fused
//! operation with a hand-written backward pass ([`crate::kernels`]).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Initializer};
use burn::tensor::{Device, Tensor};

use crate::kernels::projection::input_projection;
use crate::kernels::{gru_sequence, lstm_sequence, rnn_sequence};

/// The recurrent cell; written `lstm`, `gru` or `rnn` in configs (the capitalised names of
/// older saved configs are read too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellKind {
    /// Long short-term memory (`nn.LSTM`): gates i, f, g, o.
    #[default]
    #[serde(alias = "Lstm")]
    Lstm,
    /// Gated recurrent unit (`nn.GRU`): gates r, z, n.
    #[serde(alias = "Gru")]
    Gru,
    /// Elman RNN with tanh (`nn.RNN`).
    #[serde(alias = "Rnn")]
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

/// A layer's state between steps: the hidden state and, for an LSTM, the cell state, each
/// `[batch, hidden]`.
#[derive(Debug, Clone)]
pub struct LayerState {
    /// The hidden state `h`.
    pub hidden: Tensor<2>,
    /// The LSTM's cell state `c` (absent for GRU and RNN).
    pub cell: Option<Tensor<2>>,
}

/// What a layer returns.
struct LayerOutput {
    /// Time-major `[time, batch, hidden]` when asked for, the input of the next layer.
    sequence: Option<Tensor<3>>,
    /// The state after the last step.
    last: LayerState,
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

    /// The bias added to the input projection once for all steps: both biases for LSTM and RNN,
    /// whose gates add them anyway; `bias_ih` alone for GRU, whose candidate gate multiplies
    /// the hidden part (with `bias_hh`) by the reset gate.
    fn input_bias(&self) -> Tensor<1> {
        match self.cell {
            CellKind::Gru => self.bias_ih.val(),
            CellKind::Lstm | CellKind::Rnn => self.bias_ih.val() + self.bias_hh.val(),
        }
    }

    /// Runs the layer over the time-major `input [time, batch, features]` from `initial` (zeros
    /// when `None`).
    fn forward(
        &self,
        input: Tensor<3>,
        initial: Option<LayerState>,
        keep_sequence: bool,
    ) -> LayerOutput {
        let [time, batch, features] = input.dims();
        let gates = self.cell.gate_count() * self.hidden_size;
        let projected = input_projection(
            input.reshape([time * batch, features]),
            self.weight_ih.val(),
            self.input_bias(),
        )
        .reshape([time, batch, gates]);
        match self.cell {
            CellKind::Lstm => self.lstm_forward(projected, initial, keep_sequence),
            CellKind::Gru => self.gru_forward(projected, initial, keep_sequence),
            CellKind::Rnn => self.rnn_forward(projected, initial, keep_sequence),
        }
    }

    /// The LSTM: the whole window in one fused operation (see [`crate::kernels`]).
    fn lstm_forward(
        &self,
        projected: Tensor<3>,
        initial: Option<LayerState>,
        keep_sequence: bool,
    ) -> LayerOutput {
        let [time, batch, _] = projected.dims();
        let device = projected.device();
        let zeros = || Tensor::<2>::zeros([batch, self.hidden_size], &device);
        let (hidden, cell) = match initial {
            Some(state) => (state.hidden, state.cell.unwrap_or_else(zeros)),
            None => (zeros(), zeros()),
        };
        let sequence = lstm_sequence(projected, self.weight_hh.val(), hidden, cell);
        let last_hidden = sequence
            .hidden_states
            .clone()
            .narrow(0, time - 1, 1)
            .reshape([batch, self.hidden_size]);
        LayerOutput {
            sequence: keep_sequence.then_some(sequence.hidden_states),
            last: LayerState {
                hidden: last_hidden,
                cell: Some(sequence.last_cell),
            },
        }
    }

    /// The GRU: the whole window in one fused operation (see [`crate::kernels::gru`]).
    fn gru_forward(
        &self,
        projected: Tensor<3>,
        initial: Option<LayerState>,
        keep_sequence: bool,
    ) -> LayerOutput {
        let hidden = self.initial_hidden(&projected, initial);
        let sequence = gru_sequence(projected, self.weight_hh.val(), self.bias_hh.val(), hidden);
        self.hidden_only_output(sequence, keep_sequence)
    }

    /// The RNN: the whole window in one fused operation (see [`crate::kernels::rnn`]).
    fn rnn_forward(
        &self,
        projected: Tensor<3>,
        initial: Option<LayerState>,
        keep_sequence: bool,
    ) -> LayerOutput {
        let hidden = self.initial_hidden(&projected, initial);
        let sequence = rnn_sequence(projected, self.weight_hh.val(), hidden);
        self.hidden_only_output(sequence, keep_sequence)
    }

    /// The initial hidden state of a window `projected [T, B, ·]`: `initial`'s or zeros.
    fn initial_hidden(&self, projected: &Tensor<3>, initial: Option<LayerState>) -> Tensor<2> {
        let [_, batch, _] = projected.dims();
        match initial {
            Some(state) => state.hidden,
            None => Tensor::<2>::zeros([batch, self.hidden_size], &projected.device()),
        }
    }

    /// The layer's output from `h_1 … h_T` `[T, B, H]` of a cell without a cell state.
    fn hidden_only_output(&self, sequence: Tensor<3>, keep_sequence: bool) -> LayerOutput {
        let [time, batch, _] = sequence.dims();
        let last = sequence
            .clone()
            .narrow(0, time - 1, 1)
            .reshape([batch, self.hidden_size]);
        LayerOutput {
            sequence: keep_sequence.then_some(sequence),
            last: LayerState {
                hidden: last,
                cell: None,
            },
        }
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

/// The state of every layer of a stack, input layer first.
pub type RecurrentState = Vec<LayerState>;

impl Recurrent {
    /// Checks that `state` holds one `[batch, hidden]` state per layer (and a cell state of the
    /// same shape for an LSTM), naming the first that does not.
    pub fn check_state(&self, state: &RecurrentState, batch: usize) -> Result<(), String> {
        if state.len() != self.layers.len() {
            return Err(format!(
                "the initial state has {} layers, the stack {}",
                state.len(),
                self.layers.len()
            ));
        }
        for (index, (layer, layer_state)) in self.layers.iter().zip(state).enumerate() {
            let expected = [batch, layer.hidden_size];
            let shapes = [Some(&layer_state.hidden), layer_state.cell.as_ref()];
            for (name, tensor) in ["hidden", "cell"].into_iter().zip(shapes) {
                if let Some(tensor) = tensor
                    && tensor.dims() != expected
                {
                    return Err(format!(
                        "layer {index}'s initial {name} state is {:?}, expected {expected:?} \
                         (the input's batch, the layer's hidden size)",
                        tensor.dims()
                    ));
                }
            }
        }
        Ok(())
    }

    /// The last layer's hidden state after the last step: `[batch, time, features] → [batch, hidden]`.
    pub fn forward_last(&self, input: Tensor<3>) -> Tensor<2> {
        let (_, state) = self.forward_from(input, None, false);
        state
            .into_iter()
            .last()
            .expect("a stack has at least one layer")
            .hidden
    }

    /// Runs the stack over `input [batch, time, features]` from `initial` (zeros when `None`)
    /// and returns the final state of every layer, and when `keep_sequence` the last layer's
    /// output at every step `[batch, time, hidden]`.
    ///
    /// # Panics
    /// When `input` has no step or `initial` does not fit it: one state per layer, each
    /// `[batch, hidden]` (the message names the layer and the shapes).
    pub fn forward_from(
        &self,
        input: Tensor<3>,
        initial: Option<RecurrentState>,
        keep_sequence: bool,
    ) -> (Option<Tensor<3>>, RecurrentState) {
        let [batch, time, _] = input.dims();
        assert!(
            time >= 1,
            "Recurrent::forward_from: the input has no time step"
        );
        if let Some(initial) = &initial
            && let Err(message) = self.check_state(initial, batch)
        {
            panic!("Recurrent::forward_from: {message}");
        }
        let mut initial = initial.map(Vec::into_iter);
        // time-major inside the stack: each step's windows are contiguous
        let mut sequence = Some(input.swap_dims(0, 1));
        let mut states = Vec::with_capacity(self.layers.len());
        let last = self.layers.len() - 1;
        for (index, layer) in self.layers.iter().enumerate() {
            let layer_input = sequence
                .take()
                .expect("every layer but the last keeps its outputs");
            let keep = keep_sequence || index < last;
            let start = initial.as_mut().and_then(Iterator::next);
            let output = layer.forward(layer_input, start, keep);
            sequence = match output.sequence {
                Some(next) if index < last => Some(self.dropout.forward(next)),
                other => other,
            };
            states.push(output.last);
        }
        (sequence.map(|sequence| sequence.swap_dims(0, 1)), states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_initial_state_that_does_not_fit_the_input_is_refused_by_name() {
        let device = Device::flex();
        for cell in [CellKind::Lstm, CellKind::Gru, CellKind::Rnn] {
            let stack = RecurrentConfig::new(cell, 2, 3)
                .with_num_layers(2)
                .init(&device);
            let input = Tensor::<3>::ones([4, 5, 2], &device);
            let (_, state) = stack.forward_from(input.clone(), None, false);
            // the state of a smaller batch, fed to a batch of 4
            let small = Tensor::<3>::ones([1, 5, 2], &device);
            let (_, small_state) = stack.forward_from(small, None, false);
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                stack.forward_from(input.clone(), Some(small_state.clone()), false)
            }));
            let message = *run.unwrap_err().downcast::<String>().unwrap();
            assert!(
                message.contains("layer 0's initial hidden state is [1, 3], expected [4, 3]"),
                "{cell:?}: {message}"
            );
            assert!(stack.check_state(&state, 4).is_ok());
            assert!(stack.check_state(&state[..1].to_vec(), 4).is_err());
        }
    }

    #[test]
    fn cells_are_written_in_lower_case_and_older_capitalised_names_still_read() {
        assert_eq!(serde_json::to_string(&CellKind::Gru).unwrap(), "\"gru\"");
        for (text, cell) in [
            ("\"lstm\"", CellKind::Lstm),
            ("\"Lstm\"", CellKind::Lstm),
            ("\"rnn\"", CellKind::Rnn),
        ] {
            assert_eq!(serde_json::from_str::<CellKind>(text).unwrap(), cell);
        }
    }
    use burn::tensor::{Distribution, Tolerance};

    #[test]
    fn carrying_the_state_across_two_halves_equals_one_pass() {
        let device = Device::flex();
        device.seed(7);
        for cell in [CellKind::Lstm, CellKind::Gru, CellKind::Rnn] {
            let stack = RecurrentConfig::new(cell, 3, 4)
                .with_num_layers(2)
                .init(&device);
            let input = Tensor::<3>::random([2, 6, 3], Distribution::Normal(0.0, 1.0), &device);
            let (whole, whole_state) = stack.forward_from(input.clone(), None, true);
            let (first, state) = stack.forward_from(input.clone().narrow(1, 0, 3), None, true);
            let (second, halves_state) =
                stack.forward_from(input.narrow(1, 3, 3), Some(state), true);
            let halves = Tensor::cat(vec![first.unwrap(), second.unwrap()], 1);
            whole
                .unwrap()
                .into_data()
                .assert_approx_eq::<f32>(&halves.into_data(), Tolerance::default());
            for (a, b) in whole_state.iter().zip(&halves_state) {
                a.hidden
                    .clone()
                    .into_data()
                    .assert_approx_eq::<f32>(&b.hidden.clone().into_data(), Tolerance::default());
                assert_eq!(a.cell.is_some(), cell == CellKind::Lstm, "{cell:?}");
            }
        }
    }

    #[test]
    fn forward_last_is_the_last_step_of_the_sequence() {
        let device = Device::flex();
        let stack = RecurrentConfig::new(CellKind::Gru, 2, 5).init(&device);
        let input = Tensor::<3>::random([3, 4, 2], Distribution::Normal(0.0, 1.0), &device);
        let (sequence, _) = stack.forward_from(input.clone(), None, true);
        let last_step = sequence.unwrap().narrow(1, 3, 1).reshape([3, 5]);
        stack
            .forward_last(input)
            .into_data()
            .assert_approx_eq::<f32>(&last_step.into_data(), Tolerance::default());
    }
}
