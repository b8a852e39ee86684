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
