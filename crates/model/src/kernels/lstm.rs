//! The LSTM cell: its shapes, its entry point ([`lstm_sequence`]) and its equations composed
//! from any backend's operations ([`lstm_forward`], [`lstm_backward`]).
//!
//! Composed from Burn's tensor operations, an LSTM window costs a dozen small operations per
//! time step forward and as many again backward, each a pass over memory (and the autodiff
//! graph recomputes every `sigmoid` and `tanh`). Here the whole recurrence over a window is a
//! single operation of the [`RecurrentOps`] backend extension:
//!
//! - **forward**: for each step one matrix product `h_{t-1}·W_hhᵀ` added to the precomputed
//!   input projection, then one pass that applies the gates and updates `c` and `h`;
//! - **backward**: the gate deltas of the NumPy article's backpropagation through time, one
//!   matrix product per step for `δh_{t-1} = δa_t·W_hh`, and one for `δW_hh` over all steps.
//!
//! The CPU backend `flex` runs a fused kernel (`flex/lstm.rs`) with vectorised activations;
//! every other backend runs the equations below, composed from its own tensor operations.
//! The autodiff decorator records the operation as one node and calls the backend's backward.
//!
//! Shapes, time-major (a step's windows are contiguous), with `T` steps, `B` windows and `H`
//! hidden units:
//! - `projected [T, B, 4H]`: `x_t·W_ihᵀ + b_ih + b_hh`, gates in PyTorch's order i, f, g, o;
//! - `weight_hh [4H, H]`, `hidden [B, H]` and `cell [B, H]` (the initial state);
//! - the output `[T + 1, B, H]`: `h_1 … h_T`, then the final cell state `c_T`, so that one
//!   tensor carries both through autodiff.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, TensorMetadata};
use burn::tensor::Tensor;

use super::composed::{
    as_step, gradient_to_previous, hidden_grad_at, in_time_order, narrow, one_minus,
    recurrent_weight_grad, sigmoid_slope, step,
};
use super::ops::{RecurrentOps, check_saved_shapes};

/// The sizes of one call of the LSTM recurrence: `time` steps of `batch` windows, `hidden`
/// units. Built only from operand shapes that fit together, so the kernels index nothing
/// outside their buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LstmShape {
    /// Steps `T` (at least 1).
    pub time: usize,
    /// Windows `B`.
    pub batch: usize,
    /// Hidden units `H` (at least 1).
    pub hidden: usize,
}

impl LstmShape {
    /// The sizes of the forward operands `projected [T, B, 4H]`, `weight_hh [4H, H]`,
    /// `hidden [B, H]` and `cell [B, H]`, or a message naming all four shapes when they do not
    /// fit together or `T` or `H` is 0.
    pub fn of_forward(
        projected: &[usize],
        weight_hh: &[usize],
        hidden: &[usize],
        cell: &[usize],
    ) -> Result<Self, String> {
        let shape = match (projected, weight_hh) {
            (&[time, batch, gates], &[weight_rows, hidden_size])
                if time >= 1
                    && hidden_size >= 1
                    && Some(gates) == hidden_size.checked_mul(4)
                    && weight_rows == gates
                    && hidden == [batch, hidden_size]
                    && cell == [batch, hidden_size] =>
            {
                Some(Self {
                    time,
                    batch,
                    hidden: hidden_size,
                })
            }
            _ => None,
        };
        shape.ok_or_else(|| {
            format!(
                "LSTM operands do not fit together: projected {projected:?} (expected \
                 [T, B, 4H], T ≥ 1), weight_hh {weight_hh:?} ([4H, H], H ≥ 1), hidden \
                 {hidden:?} ([B, H]), cell {cell:?} ([B, H])"
            )
        })
    }

    /// Checks what the backward pass reads besides the forward operands: `grad` and `output`
    /// `[T + 1, B, H]`, `gates [T, B, 4H]` and `cells [T, B, H]`; the message names every
    /// shape that differs.
    pub fn check_saved(
        &self,
        grad: &[usize],
        output: &[usize],
        gates: &[usize],
        cells: &[usize],
    ) -> Result<(), String> {
        let Self {
            time,
            batch,
            hidden,
        } = *self;
        let expected = [
            ("grad", grad, [time + 1, batch, hidden]),
            ("output", output, [time + 1, batch, hidden]),
            ("gates", gates, [time, batch, 4 * hidden]),
            ("cells", cells, [time, batch, hidden]),
        ];
        check_saved_shapes("LSTM", [time, batch, hidden], &expected)
    }
}

/// What [`lstm_sequence`] returns.
#[derive(Debug, Clone)]
pub struct LstmSequence {
    /// `h_1 … h_T`, time-major `[T, B, H]`.
    pub hidden_states: Tensor<3>,
    /// The final cell state `c_T`, `[B, H]`.
    pub last_cell: Tensor<2>,
}

/// Runs an LSTM layer's recurrence over a window on any backend (see the [module](self)
/// documentation for the shapes); differentiable on autodiff devices.
///
/// # Panics
/// When the operands' shapes do not fit together (see [`LstmShape::of_forward`]); the message
/// names every shape.
pub fn lstm_sequence(
    projected: Tensor<3>,
    weight_hh: Tensor<2>,
    hidden: Tensor<2>,
    cell: Tensor<2>,
) -> LstmSequence {
    let LstmShape {
        time,
        batch,
        hidden: hidden_size,
    } = LstmShape::of_forward(
        &projected.dims(),
        &weight_hh.dims(),
        &hidden.dims(),
        &cell.dims(),
    )
    .unwrap_or_else(|message| panic!("lstm_sequence: {message}"));
    let output = Tensor::<3>::from_dispatch(<Dispatch as RecurrentOps>::lstm_sequence(
        projected.into_dispatch(),
        weight_hh.into_dispatch(),
        hidden.into_dispatch(),
        cell.into_dispatch(),
    ));
    LstmSequence {
        hidden_states: output.clone().narrow(0, 0, time),
        last_cell: output.narrow(0, time, 1).reshape([batch, hidden_size]),
    }
}

/// The forward pass: the output `[T + 1, B, H]` (`h_1 … h_T`, `c_T`), the activated gates
/// `[T, B, 4H]` and the cell states `[T, B, H]`.
pub fn lstm_forward<B: Backend>(
    projected: FloatTensor<B>,
    weight_hh: FloatTensor<B>,
    hidden: FloatTensor<B>,
    cell: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>) {
    let time = projected.shape()[0];
    let hidden_size = weight_hh.shape()[1];
    let recurrent = B::float_transpose(weight_hh);
    let (mut previous_hidden, mut previous_cell) = (hidden, cell);
    let (mut hiddens, mut gates, mut cells) = (Vec::new(), Vec::new(), Vec::new());
    for t in 0..time {
        let pre_activation = B::float_add(
            step::<B>(projected.clone(), t),
            B::float_matmul(previous_hidden, recurrent.clone()),
        );
        let input_forget = B::sigmoid(narrow::<B>(pre_activation.clone(), 1, 0, 2 * hidden_size));
        let candidate = B::float_tanh(narrow::<B>(
            pre_activation.clone(),
            1,
            2 * hidden_size,
            hidden_size,
        ));
        let output_gate = B::sigmoid(narrow::<B>(pre_activation, 1, 3 * hidden_size, hidden_size));
        let input_gate = narrow::<B>(input_forget.clone(), 1, 0, hidden_size);
        let forget_gate = narrow::<B>(input_forget.clone(), 1, hidden_size, hidden_size);
        let next_cell = B::float_add(
            B::float_mul(forget_gate, previous_cell),
            B::float_mul(input_gate, candidate.clone()),
        );
        let next_hidden = B::float_mul(output_gate.clone(), B::float_tanh(next_cell.clone()));
        gates.push(as_step::<B>(B::float_cat(
            vec![input_forget, candidate, output_gate],
            1,
        )));
        cells.push(as_step::<B>(next_cell.clone()));
        hiddens.push(as_step::<B>(next_hidden.clone()));
        (previous_hidden, previous_cell) = (next_hidden, next_cell);
    }
    hiddens.push(as_step::<B>(previous_cell));
    (
        B::float_cat(hiddens, 0),
        B::float_cat(gates, 0),
        B::float_cat(cells, 0),
    )
}

/// The backward pass: the gradients of `projected [T, B, 4H]`, `weight_hh [4H, H]`,
/// `hidden [B, H]` (zero without `initial_state_grad`) and `cell [B, H]`.
///
/// Going back from the last step, with `δh` the gradient reaching `h_t` (from the output and
/// from step `t + 1`) and `δc` the one reaching `c_t`:
/// `δo = δh·tanh(c_t)`, `δc += δh·o·(1 − tanh²(c_t))`, `δi = δc·g`, `δg = δc·i`,
/// `δf = δc·c_{t−1}`; the pre-activation deltas are `δi·i(1 − i)`, `δf·f(1 − f)`, `δg·(1 − g²)`
/// and `δo·o(1 − o)`; then `δh_{t−1} = δa·W_hh` and `δc_{t−1} = δc·f`.
/// `δW_hh = Σ_t δa_tᵀ·h_{t−1}`.
#[allow(clippy::too_many_arguments)]
pub fn lstm_backward<B: Backend>(
    grad: FloatTensor<B>,
    output: FloatTensor<B>,
    gates: FloatTensor<B>,
    cells: FloatTensor<B>,
    weight_hh: FloatTensor<B>,
    hidden: FloatTensor<B>,
    cell: FloatTensor<B>,
    initial_state_grad: bool,
) -> (
    FloatTensor<B>,
    FloatTensor<B>,
    FloatTensor<B>,
    FloatTensor<B>,
) {
    let gates_shape = gates.shape();
    let (time, batch, gate_width) = (gates_shape[0], gates_shape[1], gates_shape[2]);
    let hidden_size = gate_width / 4;
    let gate = |values: &FloatTensor<B>, index: usize| {
        narrow::<B>(values.clone(), 1, index * hidden_size, hidden_size)
    };
    let mut hidden_grad_from_next: Option<FloatTensor<B>> = None;
    let mut cell_grad = step::<B>(grad.clone(), time);
    let mut deltas = Vec::with_capacity(time);
    for t in (0..time).rev() {
        let hidden_grad = hidden_grad_at::<B>(&grad, t, hidden_grad_from_next);
        let activated = step::<B>(gates.clone(), t);
        let (input_gate, forget_gate) = (gate(&activated, 0), gate(&activated, 1));
        let (candidate, output_gate) = (gate(&activated, 2), gate(&activated, 3));
        let previous_cell = match t {
            0 => cell.clone(),
            _ => step::<B>(cells.clone(), t - 1),
        };
        let cell_tanh = B::float_tanh(step::<B>(cells.clone(), t));
        let output_delta = B::float_mul(hidden_grad.clone(), cell_tanh.clone());
        cell_grad = B::float_add(
            cell_grad,
            B::float_mul(
                B::float_mul(hidden_grad, output_gate.clone()),
                one_minus::<B>(B::float_mul(cell_tanh.clone(), cell_tanh)),
            ),
        );
        let input_delta = B::float_mul(cell_grad.clone(), candidate.clone());
        let candidate_delta = B::float_mul(cell_grad.clone(), input_gate.clone());
        let forget_delta = B::float_mul(cell_grad.clone(), previous_cell);
        let delta = B::float_cat(
            vec![
                B::float_mul(input_delta, sigmoid_slope::<B>(input_gate)),
                B::float_mul(forget_delta, sigmoid_slope::<B>(forget_gate.clone())),
                B::float_mul(
                    candidate_delta,
                    one_minus::<B>(B::float_mul(candidate.clone(), candidate)),
                ),
                B::float_mul(output_delta, sigmoid_slope::<B>(output_gate)),
            ],
            1,
        );
        cell_grad = B::float_mul(cell_grad, forget_gate);
        hidden_grad_from_next = Some(gradient_to_previous::<B>(
            t > 0 || initial_state_grad,
            &delta,
            [batch, hidden_size],
            || B::float_matmul(delta.clone(), weight_hh.clone()),
        ));
        deltas.push(as_step::<B>(delta));
    }
    let projected_grad = in_time_order::<B>(deltas);
    let weight_grad = recurrent_weight_grad::<B>(projected_grad.clone(), output, hidden);
    (
        projected_grad,
        weight_grad,
        hidden_grad_from_next.expect("a window has at least one step"),
        cell_grad,
    )
}
