//! The recurrences as Burn operations with hand-written backward passes: the [`RecurrentOps`]
//! backend extension, one method per cell and pass. Each cell's equations and entry point are in
//! its own file ([`super::lstm`], [`super::gru`], [`super::rnn`]); the `flex` CPU backend runs
//! its own kernels ([`super::flex`]), the other backends the composed equations
//! (`portable.rs`), and the autodiff decorator records each call as one node (`autodiff.rs`).

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, backend_extension};

/// The fused recurrences, as a backend extension (see the [module](self) documentation).
///
/// Implemented for every backend Yoho compiles in: `flex` with its own kernel, `wgpu` and `cuda` (Cube) and
/// `ndarray` with the composed equations (`portable.rs`), and the autodiff decorator over any
/// of them.
#[backend_extension(
    Flex: cfg(feature = "flex"),
    Cube: cfg(any(feature = "wgpu", feature = "cuda")),
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
    ) -> FloatTensor<Self>;

    /// As [`lstm_sequence`](Self::lstm_sequence), also returning what the backward pass reads:
    /// the activated gates `[T, B, 4H]` and the cell states `c_1 … c_T` `[T, B, H]`.
    fn lstm_sequence_saving(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

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
    );

    /// The input projection of every step of a window at once: `input [N, F]·weightᵀ + bias`
    /// with `weight [G, F]` and `bias [G]`, `[N, G]`. On `flex` the product is written into a
    /// buffer that starts as the bias, with no other pass over the `[N, G]` values.
    fn input_projection(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;

    /// Runs the tanh RNN over a window: `h_1 … h_T` `[T, B, H]` (see [`crate::kernels::rnn`]);
    /// the output is all its backward pass reads.
    fn rnn_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> FloatTensor<Self>;

    /// The gradients of `projected`, `weight_hh` and `hidden` from the gradient of the output
    /// `grad [T, B, H]` and the output itself.
    fn rnn_sequence_backward(
        grad: FloatTensor<Self>,
        output: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        initial_state_grad: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

    /// Runs the GRU over a window: `h_1 … h_T` `[T, B, H]` (see [`crate::kernels::gru`]).
    fn gru_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        bias_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> FloatTensor<Self>;

    /// As [`gru_sequence`](Self::gru_sequence), also returning `[r, z, n, hp_n]` of every
    /// step `[T, B, 4H]` for the backward pass.
    fn gru_sequence_saving(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        bias_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);

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
    );
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
