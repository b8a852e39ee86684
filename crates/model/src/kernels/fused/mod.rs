//! The recurrences as Burn operations with hand-written backward passes: the
//! [`RecurrentOps`] backend extension (LSTM, GRU and tanh RNN), the LSTM's equations, the
//! autodiff nodes and the `flex` kernels (`flex.rs` for the LSTM and the helpers they share,
//! `gru_flex.rs`, `rnn_flex.rs`). The GRU's and RNN's equations are in
//! [`crate::kernels::gru`] and [`crate::kernels::rnn`]. What follows is the LSTM's.
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
//! The CPU backend `flex` runs a fused kernel ([`flex`], its products in `gemm`) with vectorised
//! activations ([`activations`]); every other backend runs the same equations composed from its
//! own tensor operations ([`composed`]).
//! The autodiff decorator records the operation as one node and calls the backend's backward.
//!
//! Shapes, time-major (a step's windows are contiguous), with `T` steps, `B` windows and `H`
//! hidden units:
//! - `projected [T, B, 4H]`: `x_t·W_ihᵀ + b_ih + b_hh`, gates in PyTorch's order i, f, g, o;
//! - `weight_hh [4H, H]`, `hidden [B, H]` and `cell [B, H]` (the initial state);
//! - the output `[T + 1, B, H]`: `h_1 … h_T`, then the final cell state `c_T`, so that one
//!   tensor carries both through autodiff.

#[cfg(feature = "flex")]
pub mod activations;
#[cfg(feature = "autodiff")]
mod autodiff;
pub mod composed;
#[cfg(feature = "flex")]
pub mod flex;
#[cfg(feature = "flex")]
mod gemm;
#[cfg(feature = "flex")]
mod gru_flex;
pub mod projection;
#[cfg(feature = "flex")]
mod rnn_flex;

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, backend_extension};
use burn::tensor::Tensor;

/// The fused LSTM recurrence, as a backend extension (see the [module](self) documentation).
///
/// Implemented for every backend Yoho compiles in: `flex` with its own kernel, `wgpu` (Cube) and
/// `ndarray` with the default bodies, and the autodiff decorator over any of them.
#[backend_extension(
    Flex: cfg(feature = "flex"),
    Cube: cfg(feature = "wgpu"),
    NdArray: cfg(feature = "ndarray"),
    Autodiff: cfg(feature = "autodiff"),
)]
pub trait RecurrentOps: Backend {
    /// Runs the LSTM over a window: `[T + 1, B, H]`, the hidden states then `c_T`.
    fn lstm_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        composed::lstm_forward::<Self>(projected, weight_hh, hidden, cell).0
    }

    /// As [`lstm_sequence`](Self::lstm_sequence), also returning what the backward pass reads:
    /// the activated gates `[T, B, 4H]` and the cell states `c_1 … c_T` `[T, B, H]`.
    fn lstm_sequence_saving(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        composed::lstm_forward::<Self>(projected, weight_hh, hidden, cell)
    }

    /// The gradients of `projected`, `weight_hh`, `hidden` and `cell`, from the gradient of the
    /// output `grad [T + 1, B, H]` and what the forward pass saved. Without
    /// `initial_state_grad`, the last step's product for `hidden`'s gradient is skipped and that
    /// gradient is zero.
    #[allow(clippy::too_many_arguments)]
    fn lstm_sequence_backward(
        grad: FloatTensor<Self>,
        output: FloatTensor<Self>,
        gates: FloatTensor<Self>,
        cells: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
        initial_state_grad: bool,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        composed::lstm_backward::<Self>(
            grad,
            output,
            gates,
            cells,
            weight_hh,
            hidden,
            cell,
            initial_state_grad,
        )
    }

    /// The input projection of every step of a window at once: `input [N, F]·weightᵀ + bias`
    /// with `weight [G, F]` and `bias [G]`, `[N, G]`. On `flex` the product is written into a
    /// buffer that starts as the bias, with no other pass over the `[N, G]` values.
    fn input_projection(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        projection::composed::<Self>(input, weight, bias)
    }

    /// Runs the tanh RNN over a window: `h_1 … h_T` `[T, B, H]` (see [`crate::kernels::rnn`]);
    /// the output is all its backward pass reads.
    fn rnn_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        crate::kernels::rnn::rnn_forward::<Self>(projected, weight_hh, hidden)
    }

    /// The gradients of `projected`, `weight_hh` and `hidden` from the gradient of the output
    /// `grad [T, B, H]` and the output itself.
    fn rnn_sequence_backward(
        grad: FloatTensor<Self>,
        output: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        initial_state_grad: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        crate::kernels::rnn::rnn_backward::<Self>(
            grad,
            output,
            weight_hh,
            hidden,
            initial_state_grad,
        )
    }

    /// Runs the GRU over a window: `h_1 … h_T` `[T, B, H]` (see [`crate::kernels::gru`]).
    fn gru_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        bias_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        crate::kernels::gru::gru_forward::<Self>(projected, weight_hh, bias_hh, hidden).0
    }

    /// As [`gru_sequence`](Self::gru_sequence), also returning `[r, z, n, hp_n]` of every
    /// step `[T, B, 4H]` for the backward pass.
    fn gru_sequence_saving(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        bias_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        crate::kernels::gru::gru_forward::<Self>(projected, weight_hh, bias_hh, hidden)
    }

    /// The gradients of `projected`, `weight_hh`, `bias_hh` and `hidden` from the gradient of
    /// the output `grad [T, B, H]` and what the forward pass saved.
    fn gru_sequence_backward(
        grad: FloatTensor<Self>,
        output: FloatTensor<Self>,
        gates: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        initial_state_grad: bool,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        crate::kernels::gru::gru_backward::<Self>(
            grad,
            output,
            gates,
            weight_hh,
            hidden,
            initial_state_grad,
        )
    }
}

#[cfg(feature = "wgpu")]
impl RecurrentOps for burn::backend::Cube {}

#[cfg(feature = "ndarray")]
impl RecurrentOps for burn::backend::NdArray {}

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

/// `Ok` when every operand of `expected` (its name, its shape, the shape it must have) fits;
/// else a message naming the cell, the forward's sizes and every operand that differs.
pub(crate) fn check_saved_shapes(
    cell: &str,
    [time, batch, hidden]: [usize; 3],
    expected: &[(&str, &[usize], [usize; 3])],
) -> Result<(), String> {
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(_, shape, expected)| *shape != expected.as_slice())
        .map(|(name, shape, expected)| format!("{name} {shape:?} (expected {expected:?})"))
        .collect();
    match wrong.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "{cell} backward operands do not fit the forward's T = {time}, B = {batch}, \
             H = {hidden}: {}",
            wrong.join(", ")
        )),
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
