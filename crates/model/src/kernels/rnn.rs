//! The Elman RNN's recurrence (`nn.RNN` with tanh) as one Burn operation with a hand-written
//! backward pass, as the LSTM's (see [`super::lstm`]):
//!
//! `h_t = tanh(x_t + h_{t−1}·W_hhᵀ)`, where `x_t = x·W_ihᵀ + b_ih + b_hh` is the projected input.
//!
//! Shapes, time-major: `projected [T, B, H]`, `weight_hh [H, H]`, `hidden [B, H]`; the output
//! `[T, B, H]` is `h_1 … h_T`, and it is all the backward pass needs: with `δh` reaching `h_t`,
//! `δa_t = δh ⊙ (1 − h_t²)` is the projected input's gradient, `δh_{t−1} = δa_t·W_hh` and
//! `δW_hh = Σ_t δa_tᵀ·h_{t−1}`.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, TensorMetadata};
use burn::tensor::Tensor;

use super::composed::{
    as_step, gradient_to_previous, hidden_grad_at, in_time_order, one_minus, recurrent_weight_grad,
    step,
};
use super::ops::RecurrentOps;

/// The sizes of one RNN call: `time` steps of `batch` windows, `hidden` units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RnnShape {
    /// Steps `T` (at least 1).
    pub time: usize,
    /// Windows `B`.
    pub batch: usize,
    /// Hidden units `H` (at least 1).
    pub hidden: usize,
}

impl RnnShape {
    /// The sizes of `projected [T, B, H]`, `weight_hh [H, H]` and `hidden [B, H]`, or a message
    /// naming the three shapes when they do not fit together.
    pub fn of_forward(
        projected: &[usize],
        weight_hh: &[usize],
        hidden: &[usize],
    ) -> Result<Self, String> {
        match projected {
            &[time, batch, hidden_size]
                if time >= 1
                    && hidden_size >= 1
                    && weight_hh == [hidden_size, hidden_size]
                    && hidden == [batch, hidden_size] =>
            {
                Ok(Self {
                    time,
                    batch,
                    hidden: hidden_size,
                })
            }
            _ => Err(format!(
                "RNN operands do not fit together: projected {projected:?} (expected [T, B, H], \
                 T ≥ 1, H ≥ 1), weight_hh {weight_hh:?} ([H, H]), hidden {hidden:?} ([B, H])"
            )),
        }
    }
}

/// Runs an RNN layer's recurrence over a window on any backend: `h_1 … h_T` `[T, B, H]`;
/// differentiable on autodiff devices.
///
/// # Panics
/// When the operands' shapes do not fit together (see [`RnnShape::of_forward`]).
pub fn rnn_sequence(projected: Tensor<3>, weight_hh: Tensor<2>, hidden: Tensor<2>) -> Tensor<3> {
    RnnShape::of_forward(&projected.dims(), &weight_hh.dims(), &hidden.dims())
        .unwrap_or_else(|message| panic!("rnn_sequence: {message}"));
    Tensor::<3>::from_dispatch(<Dispatch as RecurrentOps>::rnn_sequence(
        projected.into_dispatch(),
        weight_hh.into_dispatch(),
        hidden.into_dispatch(),
    ))
}

/// The forward pass composed from `B`'s operations: `h_1 … h_T` `[T, B, H]`.
pub fn rnn_forward<B: Backend>(
    projected: FloatTensor<B>,
    weight_hh: FloatTensor<B>,
    hidden: FloatTensor<B>,
) -> FloatTensor<B> {
    let time = projected.shape()[0];
    let recurrent = B::float_transpose(weight_hh);
    let mut previous = hidden;
    let mut outputs = Vec::with_capacity(time);
    for t in 0..time {
        let next = B::float_tanh(B::float_add(
            step::<B>(projected.clone(), t),
            B::float_matmul(previous, recurrent.clone()),
        ));
        outputs.push(as_step::<B>(next.clone()));
        previous = next;
    }
    B::float_cat(outputs, 0)
}

/// The backward pass composed from `B`'s operations: the gradients of `projected [T, B, H]`,
/// `weight_hh [H, H]` and `hidden [B, H]` (zero without `initial_state_grad`).
pub fn rnn_backward<B: Backend>(
    grad: FloatTensor<B>,
    output: FloatTensor<B>,
    weight_hh: FloatTensor<B>,
    hidden: FloatTensor<B>,
    initial_state_grad: bool,
) -> (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>) {
    let shape = output.shape();
    let (time, batch, hidden_size) = (shape[0], shape[1], shape[2]);
    let mut from_next: Option<FloatTensor<B>> = None;
    let mut deltas = Vec::with_capacity(time);
    for t in (0..time).rev() {
        let hidden_grad = hidden_grad_at::<B>(&grad, t, from_next);
        let state = step::<B>(output.clone(), t);
        let slope = one_minus::<B>(B::float_mul(state.clone(), state));
        let delta = B::float_mul(hidden_grad, slope);
        from_next = Some(gradient_to_previous::<B>(
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
        from_next.expect("a window has at least one step"),
    )
}
