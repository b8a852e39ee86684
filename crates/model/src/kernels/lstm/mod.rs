//! The LSTM recurrence as one Burn operation with a hand-written backward pass.
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
}

#[cfg(feature = "wgpu")]
impl RecurrentOps for burn::backend::Cube {}

#[cfg(feature = "ndarray")]
impl RecurrentOps for burn::backend::NdArray {}

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
pub fn lstm_sequence(
    projected: Tensor<3>,
    weight_hh: Tensor<2>,
    hidden: Tensor<2>,
    cell: Tensor<2>,
) -> LstmSequence {
    let [time, batch, _] = projected.dims();
    let [_, hidden_size] = weight_hh.dims();
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
