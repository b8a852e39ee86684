//! The LSTM recurrence and its backward pass composed from a backend's own tensor operations:
//! the default bodies of [`RecurrentOps`](super::RecurrentOps), used on the GPU and `ndarray`
//! backends, and the reference the `flex` kernel is tested against.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Shape, Slice, TensorMetadata};

/// `tensor` narrowed to `start..start + len` along `dim`.
pub(crate) fn narrow<B: Backend>(
    tensor: FloatTensor<B>,
    dim: usize,
    start: usize,
    len: usize,
) -> FloatTensor<B> {
    let shape = tensor.shape();
    let slices: Vec<Slice> = (0..shape.num_dims())
        .map(|axis| match axis == dim {
            true => Slice::from(start..start + len),
            false => Slice::from(0..shape[axis]),
        })
        .collect();
    B::float_slice(tensor, &slices)
}

/// Step `t` of `[T, B, X]` as `[B, X]`.
pub(crate) fn step<B: Backend>(sequence: FloatTensor<B>, t: usize) -> FloatTensor<B> {
    let shape = sequence.shape();
    B::float_reshape(
        narrow::<B>(sequence, 0, t, 1),
        Shape::new([shape[1], shape[2]]),
    )
}

/// `[B, X]` as one step `[1, B, X]`.
pub(crate) fn as_step<B: Backend>(values: FloatTensor<B>) -> FloatTensor<B> {
    let shape = values.shape();
    B::float_reshape(values, Shape::new([1, shape[0], shape[1]]))
}

pub(crate) fn one_minus<B: Backend>(values: FloatTensor<B>) -> FloatTensor<B> {
    B::float_add_scalar(B::float_neg(values), 1.0.into())
}

/// `s·(1 − s)`, the derivative of the sigmoid at the point where it gave `s`.
pub(crate) fn sigmoid_slope<B: Backend>(activated: FloatTensor<B>) -> FloatTensor<B> {
    B::float_mul(activated.clone(), one_minus::<B>(activated))
}

/// `δh_t` `[B, H]`: the output's gradient at step `t`, plus what step `t + 1` handed back (nothing
/// at the last step).
pub(crate) fn hidden_grad_at<B: Backend>(
    grad: &FloatTensor<B>,
    t: usize,
    from_next: Option<FloatTensor<B>>,
) -> FloatTensor<B> {
    let at_output = step::<B>(grad.clone(), t);
    match from_next {
        Some(from_next) => B::float_add(at_output, from_next),
        None => at_output,
    }
}

/// One tensor `[T, B, X]` in time order from the steps `[1, B, X]` of a backward pass, which
/// gathers them last step first.
pub(crate) fn in_time_order<B: Backend>(mut steps: Vec<FloatTensor<B>>) -> FloatTensor<B> {
    steps.reverse();
    B::float_cat(steps, 0)
}

/// The gradient a step hands to the previous hidden state `[B, H]`: `flow()` for every step but
/// the first, and for the first only when the initial state's gradient is wanted (zeros shaped
/// and placed like `like` otherwise).
pub(crate) fn gradient_to_previous<B: Backend>(
    reaches_previous: bool,
    like: &FloatTensor<B>,
    [batch, hidden_size]: [usize; 2],
    flow: impl FnOnce() -> FloatTensor<B>,
) -> FloatTensor<B> {
    match reaches_previous {
        true => flow(),
        false => B::float_zeros(
            Shape::new([batch, hidden_size]),
            &like.device(),
            like.dtype().into(),
        ),
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

/// `δW_hh [G, H] = Σ_t δa_tᵀ · h_{t−1}` from the deltas `[T, B, G]` of the hidden part, the
/// output (whose first `T − 1` steps are `h_1 … h_{T−1}`) and the initial state `h_0 [B, H]`.
pub(crate) fn recurrent_weight_grad<B: Backend>(
    deltas: FloatTensor<B>,
    output: FloatTensor<B>,
    hidden: FloatTensor<B>,
) -> FloatTensor<B> {
    let shape = deltas.shape();
    let (time, batch, width) = (shape[0], shape[1], shape[2]);
    let hidden_size = hidden.shape()[1];
    let mut previous = vec![as_step::<B>(hidden)];
    if time > 1 {
        previous.push(narrow::<B>(output, 0, 0, time - 1));
    }
    let previous = B::float_reshape(
        B::float_cat(previous, 0),
        Shape::new([time * batch, hidden_size]),
    );
    B::float_matmul(
        B::float_transpose(B::float_reshape(deltas, Shape::new([time * batch, width]))),
        previous,
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
