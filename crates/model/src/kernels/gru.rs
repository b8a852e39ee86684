//! The GRU recurrence as one Burn operation with a hand-written backward pass, as the LSTM's
//! (see [`super::lstm`]); PyTorch's `nn.GRU` equations, gates r, z, n:
//!
//! `hp = h_{t−1}·W_hhᵀ + b_hh`, `r = σ(x_r + hp_r)`, `z = σ(x_z + hp_z)`,
//! `n = tanh(x_n + r ⊙ hp_n)`, `h_t = n + z ⊙ (h_{t−1} − n)`,
//!
//! where `x = x_t·W_ihᵀ + b_ih` is the projected input. The hidden bias stays apart because the
//! reset gate multiplies its `n` block.
//!
//! Shapes, time-major: `projected [T, B, 3H]`, `weight_hh [3H, H]`, `bias_hh [3H]`,
//! `hidden [B, H]`; the output `[T, B, H]` is `h_1 … h_T`. The forward pass saves, per step and
//! window, `[r, z, n, hp_n]` (`[T, B, 4H]`) for the backward pass.
//!
//! Backward, with `δh` reaching `h_t`: `δn = δh ⊙ (1 − z)`, `δz = δh ⊙ (h_{t−1} − n)`,
//! `δa_n = δn ⊙ (1 − n²)`, `δr = δa_n ⊙ hp_n`, `δa_r = δr ⊙ r(1 − r)`, `δa_z = δz ⊙ z(1 − z)`;
//! the projected input's gradient is `[δa_r, δa_z, δa_n]`, the hidden part's
//! `δhp = [δa_r, δa_z, δa_n ⊙ r]`; `δh_{t−1} = δh ⊙ z + δhp·W_hh`, `δW_hh = Σ_t δhp_tᵀ·h_{t−1}`
//! and `δb_hh = Σ δhp`.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, Shape, TensorMetadata};
use burn::tensor::Tensor;

use super::composed::{
    as_step, gradient_to_previous, hidden_grad_at, in_time_order, narrow, one_minus,
    recurrent_weight_grad, step,
};
use super::ops::{RecurrentOps, check_saved_shapes};

/// The sizes of one GRU call: `time` steps of `batch` windows, `hidden` units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GruShape {
    /// Steps `T` (at least 1).
    pub time: usize,
    /// Windows `B`.
    pub batch: usize,
    /// Hidden units `H` (at least 1).
    pub hidden: usize,
}

impl GruShape {
    /// The sizes of `projected [T, B, 3H]`, `weight_hh [3H, H]`, `bias_hh [3H]` and
    /// `hidden [B, H]`, or a message naming all four shapes when they do not fit together.
    pub fn of_forward(
        projected: &[usize],
        weight_hh: &[usize],
        bias_hh: &[usize],
        hidden: &[usize],
    ) -> Result<Self, String> {
        match (projected, weight_hh) {
            (&[time, batch, gates], &[rows, hidden_size])
                if time >= 1
                    && hidden_size >= 1
                    && Some(gates) == hidden_size.checked_mul(3)
                    && rows == gates
                    && bias_hh == [gates]
                    && hidden == [batch, hidden_size] =>
            {
                Ok(Self {
                    time,
                    batch,
                    hidden: hidden_size,
                })
            }
            _ => Err(format!(
                "GRU operands do not fit together: projected {projected:?} (expected \
                 [T, B, 3H], T ≥ 1), weight_hh {weight_hh:?} ([3H, H], H ≥ 1), bias_hh \
                 {bias_hh:?} ([3H]), hidden {hidden:?} ([B, H])"
            )),
        }
    }

    /// Checks the backward pass's `grad` and `output` `[T, B, H]` and `gates [T, B, 4H]`.
    pub fn check_saved(
        &self,
        grad: &[usize],
        output: &[usize],
        gates: &[usize],
    ) -> Result<(), String> {
        let Self {
            time,
            batch,
            hidden,
        } = *self;
        let expected = [
            ("grad", grad, [time, batch, hidden]),
            ("output", output, [time, batch, hidden]),
            ("gates", gates, [time, batch, 4 * hidden]),
        ];
        check_saved_shapes("GRU", [time, batch, hidden], &expected)
    }
}

/// Runs a GRU layer's recurrence over a window on any backend: `h_1 … h_T` `[T, B, H]` (see the
/// [module](self) documentation); differentiable on autodiff devices.
///
/// # Panics
/// When the operands' shapes do not fit together (see [`GruShape::of_forward`]).
pub fn gru_sequence(
    projected: Tensor<3>,
    weight_hh: Tensor<2>,
    bias_hh: Tensor<1>,
    hidden: Tensor<2>,
) -> Tensor<3> {
    GruShape::of_forward(
        &projected.dims(),
        &weight_hh.dims(),
        &bias_hh.dims(),
        &hidden.dims(),
    )
    .unwrap_or_else(|message| panic!("gru_sequence: {message}"));
    Tensor::<3>::from_dispatch(<Dispatch as RecurrentOps>::gru_sequence(
        projected.into_dispatch(),
        weight_hh.into_dispatch(),
        bias_hh.into_dispatch(),
        hidden.into_dispatch(),
    ))
}

/// The forward pass composed from `B`'s operations: the output `[T, B, H]` and the saved
/// `[r, z, n, hp_n]` of every step `[T, B, 4H]`.
pub fn gru_forward<B: Backend>(
    projected: FloatTensor<B>,
    weight_hh: FloatTensor<B>,
    bias_hh: FloatTensor<B>,
    hidden: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let [time, batch] = [projected.shape()[0], projected.shape()[1]];
    let hidden_size = weight_hh.shape()[1];
    let recurrent = B::float_transpose(weight_hh);
    let bias = B::float_expand(
        B::float_reshape(bias_hh, Shape::new([1, 3 * hidden_size])),
        Shape::new([batch, 3 * hidden_size]),
    );
    let mut previous = hidden;
    let (mut outputs, mut saved) = (Vec::with_capacity(time), Vec::with_capacity(time));
    for t in 0..time {
        let x = step::<B>(projected.clone(), t);
        let hidden_part = B::float_add(
            B::float_matmul(previous.clone(), recurrent.clone()),
            bias.clone(),
        );
        let reset_update = B::sigmoid(B::float_add(
            narrow::<B>(x.clone(), 1, 0, 2 * hidden_size),
            narrow::<B>(hidden_part.clone(), 1, 0, 2 * hidden_size),
        ));
        let reset = narrow::<B>(reset_update.clone(), 1, 0, hidden_size);
        let update = narrow::<B>(reset_update.clone(), 1, hidden_size, hidden_size);
        let hidden_n = narrow::<B>(hidden_part, 1, 2 * hidden_size, hidden_size);
        let candidate = B::float_tanh(B::float_add(
            narrow::<B>(x, 1, 2 * hidden_size, hidden_size),
            B::float_mul(reset, hidden_n.clone()),
        ));
        let next = B::float_add(
            candidate.clone(),
            B::float_mul(update, B::float_sub(previous, candidate.clone())),
        );
        saved.push(as_step::<B>(B::float_cat(
            vec![reset_update, candidate, hidden_n],
            1,
        )));
        outputs.push(as_step::<B>(next.clone()));
        previous = next;
    }
    (B::float_cat(outputs, 0), B::float_cat(saved, 0))
}

/// The backward pass composed from `B`'s operations: the gradients of `projected [T, B, 3H]`,
/// `weight_hh [3H, H]`, `bias_hh [3H]` and `hidden [B, H]` (zero without
/// `initial_state_grad`); the equations are in the [module](self) documentation.
pub fn gru_backward<B: Backend>(
    grad: FloatTensor<B>,
    output: FloatTensor<B>,
    gates: FloatTensor<B>,
    weight_hh: FloatTensor<B>,
    hidden: FloatTensor<B>,
    initial_state_grad: bool,
) -> (
    FloatTensor<B>,
    FloatTensor<B>,
    FloatTensor<B>,
    FloatTensor<B>,
) {
    let shape = gates.shape();
    let (time, batch, hidden_size) = (shape[0], shape[1], shape[2] / 4);
    let part = |values: &FloatTensor<B>, index: usize| {
        narrow::<B>(values.clone(), 1, index * hidden_size, hidden_size)
    };
    let mut from_next: Option<FloatTensor<B>> = None;
    let (mut input_deltas, mut hidden_deltas) = (Vec::new(), Vec::new());
    for t in (0..time).rev() {
        let hidden_grad = hidden_grad_at::<B>(&grad, t, from_next);
        let saved = step::<B>(gates.clone(), t);
        let (reset, update) = (part(&saved, 0), part(&saved, 1));
        let (candidate, hidden_n) = (part(&saved, 2), part(&saved, 3));
        let previous = match t {
            0 => hidden.clone(),
            _ => step::<B>(output.clone(), t - 1),
        };
        let candidate_delta = B::float_mul(
            B::float_mul(hidden_grad.clone(), one_minus::<B>(update.clone())),
            one_minus::<B>(B::float_mul(candidate.clone(), candidate.clone())),
        );
        let update_delta = B::float_mul(
            B::float_mul(hidden_grad.clone(), B::float_sub(previous, candidate)),
            B::float_mul(update.clone(), one_minus::<B>(update.clone())),
        );
        let reset_delta = B::float_mul(
            B::float_mul(candidate_delta.clone(), hidden_n),
            B::float_mul(reset.clone(), one_minus::<B>(reset.clone())),
        );
        let hidden_delta = B::float_cat(
            vec![
                reset_delta.clone(),
                update_delta.clone(),
                B::float_mul(candidate_delta.clone(), reset),
            ],
            1,
        );
        input_deltas.push(as_step::<B>(B::float_cat(
            vec![reset_delta, update_delta, candidate_delta],
            1,
        )));
        from_next = Some(gradient_to_previous::<B>(
            t > 0 || initial_state_grad,
            &hidden_delta,
            [batch, hidden_size],
            || {
                B::float_add(
                    B::float_mul(hidden_grad, update),
                    B::float_matmul(hidden_delta.clone(), weight_hh.clone()),
                )
            },
        ));
        hidden_deltas.push(as_step::<B>(hidden_delta));
    }
    let hidden_deltas = in_time_order::<B>(hidden_deltas);
    let weight_grad = recurrent_weight_grad::<B>(hidden_deltas.clone(), output, hidden);
    let bias_grad = B::float_reshape(
        B::float_sum_dim(
            B::float_reshape(hidden_deltas, Shape::new([time * batch, 3 * hidden_size])),
            0,
        ),
        Shape::new([3 * hidden_size]),
    );
    (
        in_time_order::<B>(input_deltas),
        weight_grad,
        bias_grad,
        from_next.expect("a window has at least one step"),
    )
}
