//! The fused tanh-RNN kernel of the `flex` CPU backend, built like the LSTM's
//! ([`super::flex`]): one block of windows per thread, each running every step with its own
//! single-threaded product `h_{t−1}·W_hhᵀ` added to the projected input, then `tanh`; backward,
//! `δa_t = δh ⊙ (1 − h_t²)` and the product `δa_t·W_hh` per step, then `δW_hh` over all steps
//! in one product. The equations are in [`crate::kernels::rnn`].

use std::ops::Range;

use burn::backend::TensorMetadata;
use burn::backend::flex::FlexTensor;

use super::blocks::{Shared, contiguous, for_each_block, row_blocks};
use super::float::{KernelFloat, on_widest_vectors};
use super::gemm::{Operand, Threads, product};
use crate::kernels::rnn::RnnShape;

/// The forward pass: `h_1 … h_T` `[T, B, H]`.
pub(super) fn forward_tensors<T: KernelFloat>(
    projected: FlexTensor,
    weight_hh: FlexTensor,
    hidden: FlexTensor,
) -> FlexTensor {
    let shape = RnnShape::of_forward(&projected.shape(), &weight_hh.shape(), &hidden.shape())
        .unwrap_or_else(|message| panic!("flex RNN kernel: {message}"));
    let RnnShape {
        time,
        batch,
        hidden: hidden_size,
    } = shape;
    let [projected, weight_hh, hidden] = contiguous([projected, weight_hh, hidden]);
    let mut output = T::values(&projected).to_vec();
    let buffer = Shared::of(&mut output);
    let (weight_hh, hidden) = (T::values(&weight_hh), T::values(&hidden));
    let zero_start = hidden.iter().all(|value| *value == T::ZERO);
    for_each_block(row_blocks(batch), |rows| {
        // SAFETY: each block touches only its own rows of every step.
        unsafe { forward_block(shape, rows, weight_hh, hidden, zero_start, buffer) }
    });
    T::tensor(output, &[time, batch, hidden_size])
}

/// Every step of the windows `rows`; `output` holds the projected inputs and is left holding
/// `h_1 … h_T`.
///
/// # Safety
/// No other block may run on overlapping `rows`.
unsafe fn forward_block<T: KernelFloat>(
    shape: RnnShape,
    rows: Range<usize>,
    weight_hh: &[T],
    hidden: &[T],
    zero_start: bool,
    output: Shared<T>,
) {
    let RnnShape {
        time,
        batch,
        hidden: hidden_size,
    } = shape;
    let count = rows.len();
    let at = |t: usize| ((t * batch + rows.start) * hidden_size, count * hidden_size);
    for t in 0..time {
        let (start, len) = at(t);
        // SAFETY (all slices): this block's rows of distinct steps never overlap
        let step = unsafe { output.slice(start, len) };
        if t > 0 || !zero_start {
            let previous: &[T] = match t {
                0 => &hidden[rows.start * hidden_size..rows.end * hidden_size],
                _ => {
                    let (start, len) = at(t - 1);
                    unsafe { output.slice(start, len) }
                }
            };
            // SAFETY: h_{t−1} [rows, H] and W_hhᵀ [H, H] lie inside their buffers; `step` is
            // another part of the output.
            unsafe {
                product(
                    [count, hidden_size, hidden_size],
                    step,
                    true,
                    Operand::rows(previous, hidden_size),
                    Operand::columns(weight_hh, hidden_size),
                    Threads::One,
                );
            }
        }
        T::tanh_in_place(step);
    }
}

/// The backward pass on `[grad, output, weight_hh, hidden]`: the gradients of `projected`,
/// `weight_hh` and `hidden`.
pub(super) fn backward_tensors<T: KernelFloat>(
    tensors: [FlexTensor; 4],
    initial_state_grad: bool,
) -> (FlexTensor, FlexTensor, FlexTensor) {
    let [grad, output, weight_hh, hidden] = contiguous(tensors);
    let shape = RnnShape::of_forward(&output.shape(), &weight_hh.shape(), &hidden.shape())
        .and_then(|shape| match grad.shape() == output.shape() {
            true => Ok(shape),
            false => Err(format!(
                "RNN backward: grad {:?} does not fit the output {:?}",
                grad.shape(),
                output.shape()
            )),
        })
        .unwrap_or_else(|message| panic!("flex RNN kernel: {message}"));
    let RnnShape {
        time,
        batch,
        hidden: hidden_size,
    } = shape;
    let mut deltas = T::values(&grad).to_vec();
    let mut hidden_grad = vec![T::ZERO; batch * hidden_size];
    let (output, weight_hh, hidden) = (
        T::values(&output),
        T::values(&weight_hh),
        T::values(&hidden),
    );
    let buffers = (Shared::of(&mut deltas), Shared::of(&mut hidden_grad));
    for_each_block(row_blocks(batch), |rows| {
        let saved = (output, weight_hh, initial_state_grad);
        // SAFETY: each block touches only its own rows of every step.
        unsafe { backward_block(shape, rows, saved, buffers) }
    });
    let weight_grad = weight_grad(shape, &deltas, output, hidden);
    (
        T::tensor(deltas, &[time, batch, hidden_size]),
        T::tensor(weight_grad, &[hidden_size, hidden_size]),
        T::tensor(hidden_grad, &[batch, hidden_size]),
    )
}

/// Every step of the windows `rows`, last first: `deltas` holds the output's gradient and is
/// left holding `δa`; `hidden_grad` ends as `δh_0`.
///
/// # Safety
/// No other block may run on overlapping `rows`.
unsafe fn backward_block<T: KernelFloat>(
    shape: RnnShape,
    rows: Range<usize>,
    (output, weight_hh, initial_state_grad): (&[T], &[T], bool),
    (deltas, hidden_grad): (Shared<T>, Shared<T>),
) {
    let RnnShape {
        time,
        batch,
        hidden: hidden_size,
    } = shape;
    let count = rows.len();
    let at = |t: usize| ((t * batch + rows.start) * hidden_size, count * hidden_size);
    // SAFETY (all slices): this block's rows of distinct steps or buffers never overlap
    let from_next = unsafe { hidden_grad.slice(rows.start * hidden_size, count * hidden_size) };
    for t in (0..time).rev() {
        let (start, len) = at(t);
        let delta = unsafe { deltas.slice(start, len) };
        step_deltas(delta, &output[start..start + len], from_next);
        if t > 0 || initial_state_grad {
            // SAFETY: δa_t [rows, H] and W_hh [H, H] lie inside their buffers; `from_next` is a
            // buffer of its own.
            unsafe {
                product(
                    [count, hidden_size, hidden_size],
                    from_next,
                    false,
                    Operand::rows(delta, hidden_size),
                    Operand::rows(weight_hh, hidden_size),
                    Threads::One,
                );
            }
        } else {
            from_next.fill(T::ZERO);
        }
    }
}

on_widest_vectors! {
    /// One step's deltas for a block's windows: `δa_t = (δh_t + δh from t + 1) ⊙ (1 − h_t²)`,
    /// written over `δh_t`.
    fn step_deltas<T: KernelFloat>(deltas: &mut [T], states: &[T], from_next: &[T]) {
        for ((delta, state), from_next) in deltas.iter_mut().zip(states).zip(from_next) {
            *delta = (*delta + *from_next) * (T::ONE - *state * *state);
        }
    }
}

/// `δW_hh [H, H] = Σ_t δa_tᵀ · h_{t−1}`.
fn weight_grad<T: KernelFloat>(
    shape: RnnShape,
    deltas: &[T],
    output: &[T],
    hidden: &[T],
) -> Vec<T> {
    let RnnShape {
        time,
        batch,
        hidden: hidden_size,
    } = shape;
    let mut grad = vec![T::ZERO; hidden_size * hidden_size];
    let mut keep = false;
    if time > 1 {
        // SAFETY: δa_{1…}ᵀ [H, (T − 1)·B] and h_{1…T−1} [(T − 1)·B, H] lie inside their
        // buffers; `grad` is a buffer of its own.
        unsafe {
            product(
                [hidden_size, hidden_size, (time - 1) * batch],
                &mut grad,
                false,
                Operand::columns(&deltas[batch * hidden_size..], hidden_size),
                Operand::rows(output, hidden_size),
                Threads::Pool,
            );
        }
        keep = true;
    }
    if hidden.iter().any(|value| *value != T::ZERO) {
        // SAFETY: as above, for step 0 and the initial hidden state.
        unsafe {
            product(
                [hidden_size, hidden_size, batch],
                &mut grad,
                keep,
                Operand::columns(deltas, hidden_size),
                Operand::rows(hidden, hidden_size),
                Threads::Pool,
            );
        }
    }
    grad
}

#[cfg(test)]
mod tests {
    use burn::backend::Flex;

    use super::super::blocks::MIN_ROWS_PER_BLOCK;
    use super::super::test_support::{assert_close, tensor, values};
    use crate::kernels::RecurrentOps;
    use crate::kernels::rnn::{rnn_backward, rnn_forward};

    fn compare_with_composed([time, batch, hidden]: [usize; 3], zero_start: bool) {
        let inputs = || {
            let initial = match zero_start {
                true => vec![0.0; batch * hidden],
                false => values(batch * hidden, 3, 0.8),
            };
            (
                tensor(
                    values(time * batch * hidden, 1, 2.0),
                    &[time, batch, hidden],
                ),
                tensor(values(hidden * hidden, 2, 0.4), &[hidden, hidden]),
                tensor(initial, &[batch, hidden]),
            )
        };
        let (projected, weight, h0) = inputs();
        let output = Flex::rnn_sequence(projected, weight, h0);
        let (projected, weight, h0) = inputs();
        assert_close(
            output.clone(),
            rnn_forward::<Flex>(projected, weight, h0),
            "output",
        );
        let grad = || {
            tensor(
                values(time * batch * hidden, 5, 1.0),
                &[time, batch, hidden],
            )
        };
        for initial_state_grad in [true, false] {
            let (_, weight, h0) = inputs();
            let ours =
                Flex::rnn_sequence_backward(grad(), output.clone(), weight, h0, initial_state_grad);
            let (_, weight, h0) = inputs();
            let reference =
                rnn_backward::<Flex>(grad(), output.clone(), weight, h0, initial_state_grad);
            assert_close(ours.0, reference.0, "projected grad");
            assert_close(ours.1, reference.1, "weight_hh grad");
            assert_close(ours.2, reference.2, "hidden grad");
        }
    }

    #[test]
    fn fused_rnn_matches_the_composed_operations() {
        compare_with_composed([4, 7, 13], false);
        compare_with_composed([3, 5, 6], true);
        compare_with_composed([1, 3, 5], false);
        compare_with_composed([3, 2 * MIN_ROWS_PER_BLOCK + 7, 9], false);
        compare_with_composed([2, 3 * MIN_ROWS_PER_BLOCK + 1, 4], true);
    }
}
