//! The fused GRU kernel of the `flex` CPU backend, built like the LSTM's ([`super::flex`]): the
//! batch cut into one block of windows per thread, each block running every step with its own
//! single-threaded product `h_{t−1}·W_hhᵀ`, then one pass over its windows' gates; backward, one
//! pass per step and the products for `δhp·W_hh`, then `δW_hh` over all steps. The hidden
//! part's deltas `δhp = [δr, δz, δn ⊙ r]` share their first two parts with the input's, so only
//! `δn ⊙ r` gets a buffer of its own, and each product over `δhp` is two: one over the input
//! deltas' r and z columns, one over `δn ⊙ r`. The equations are in [`crate::kernels::gru`].

use std::ops::Range;

use burn::backend::TensorMetadata;
use burn::backend::flex::FlexTensor;

use super::blocks::{Shared, contiguous, for_each_block, own, row_blocks};
use super::float::{KernelFloat, on_widest_vectors};
use super::gemm::{Operand, Threads, product};
use crate::kernels::gru::GruShape;

fn shape_of(
    projected: &FlexTensor,
    weight_hh: &FlexTensor,
    bias_hh: &FlexTensor,
    hidden: &FlexTensor,
) -> GruShape {
    GruShape::of_forward(
        &projected.shape(),
        &weight_hh.shape(),
        &bias_hh.shape(),
        &hidden.shape(),
    )
    .unwrap_or_else(|message| panic!("flex GRU kernel: {message}"))
}

/// The forward pass: the output `[T, B, H]` and, when `save`, `[r, z, n, hp_n]` of every step
/// `[T, B, 4H]` (else an empty tensor).
pub(super) fn forward_tensors<T: KernelFloat>(
    projected: FlexTensor,
    weight_hh: FlexTensor,
    bias_hh: FlexTensor,
    hidden: FlexTensor,
    save: bool,
) -> (FlexTensor, FlexTensor) {
    let shape = shape_of(&projected, &weight_hh, &bias_hh, &hidden);
    let GruShape {
        time,
        batch,
        hidden: hidden_size,
    } = shape;
    let [projected, weight_hh, bias_hh, hidden] =
        contiguous([projected, weight_hh, bias_hh, hidden]);
    let mut output = vec![T::ZERO; time * batch * hidden_size];
    // without `save` only each block's current step is kept
    let mut gates = vec![
        T::ZERO;
        if save {
            time * batch * 4 * hidden_size
        } else {
            0
        }
    ];
    let inputs = Inputs {
        shape,
        projected: T::values(&projected),
        weight_hh: T::values(&weight_hh),
        bias_hh: T::values(&bias_hh),
        hidden: T::values(&hidden),
    };
    let outputs = (
        Shared::of(&mut output),
        save.then(|| Shared::of(&mut gates)),
    );
    for_each_block(row_blocks(batch), |rows| {
        // SAFETY: each block touches only its own rows of every step.
        unsafe { forward_block(rows, &inputs, outputs) }
    });
    (
        T::tensor(output, &[time, batch, hidden_size]),
        T::tensor(
            gates,
            &[if save { time } else { 0 }, batch, 4 * hidden_size],
        ),
    )
}

/// What every block of the forward pass reads.
struct Inputs<'a, T> {
    shape: GruShape,
    projected: &'a [T],
    weight_hh: &'a [T],
    bias_hh: &'a [T],
    hidden: &'a [T],
}

/// Every step of the windows `rows`.
///
/// # Safety
/// No other block may run on overlapping `rows`.
unsafe fn forward_block<T: KernelFloat>(
    rows: Range<usize>,
    inputs: &Inputs<'_, T>,
    (output, saved): (Shared<T>, Option<Shared<T>>),
) {
    let GruShape {
        time,
        batch,
        hidden: hidden_size,
    } = inputs.shape;
    let (count, width) = (rows.len(), 3 * hidden_size);
    let zero_start = inputs.hidden.iter().all(|value| *value == T::ZERO);
    let mut hidden_part = vec![T::ZERO; count * width];
    let mut scratch = vec![T::ZERO; count * 4 * hidden_size];
    let at = |t: usize, width: usize| ((t * batch + rows.start) * width, count * width);
    for t in 0..time {
        // hp = b_hh + h_{t−1}·W_hhᵀ
        for row in hidden_part.chunks_mut(width) {
            row.copy_from_slice(inputs.bias_hh);
        }
        // SAFETY (all slices): this block's rows of distinct steps never overlap
        let previous: &[T] = match t {
            0 => &inputs.hidden[rows.start * hidden_size..rows.end * hidden_size],
            _ => {
                let (start, len) = at(t - 1, hidden_size);
                unsafe { output.slice(start, len) }
            }
        };
        if t > 0 || !zero_start {
            // SAFETY: h_{t−1} [rows, H] and W_hhᵀ [H, 3H] lie inside their buffers;
            // `hidden_part` is a buffer of its own.
            unsafe {
                product(
                    [count, width, hidden_size],
                    &mut hidden_part,
                    true,
                    Operand::rows(previous, hidden_size),
                    Operand::columns(inputs.weight_hh, hidden_size),
                    Threads::One,
                );
            }
        }
        let gates: &mut [T] = match &saved {
            Some(saved) => {
                let (start, len) = at(t, 4 * hidden_size);
                unsafe { saved.slice(start, len) }
            }
            None => &mut scratch,
        };
        let (start, len) = at(t, hidden_size);
        let next = unsafe { output.slice(start, len) };
        let (x_start, x_len) = at(t, width);
        let projected = &inputs.projected[x_start..x_start + x_len];
        rows_forward(projected, &hidden_part, gates, previous, next, hidden_size);
    }
}

on_widest_vectors! {
    /// One step of a block's windows (see [`row_forward`]).
    fn rows_forward<T: KernelFloat>(
        projected: &[T],
        hidden_part: &[T],
        gates: &mut [T],
        previous: &[T],
        next: &mut [T],
        hidden_size: usize,
    ) {
        let width = 3 * hidden_size;
        for ((((x, hp), gates), previous), next) in projected
            .chunks(width)
            .zip(hidden_part.chunks(width))
            .zip(gates.chunks_mut(4 * hidden_size))
            .zip(previous.chunks(hidden_size))
            .zip(next.chunks_mut(hidden_size))
        {
            row_forward(x, hp, gates, previous, next);
        }
    }
}

/// One window's step: `gates` gets `[r, z, n, hp_n]`, `next` gets `h_t`.
#[inline(always)]
fn row_forward<T: KernelFloat>(x: &[T], hp: &[T], gates: &mut [T], previous: &[T], next: &mut [T]) {
    let hidden_size = next.len();
    let (reset_update, rest) = gates.split_at_mut(2 * hidden_size);
    let (candidate, hidden_n) = rest.split_at_mut(hidden_size);
    // each part cut to its length, so that the loops index without bounds checks and vectorise
    let (x_reset_update, x_candidate) = x.split_at(2 * hidden_size);
    let (hp_reset_update, hp_candidate) = hp.split_at(2 * hidden_size);
    for ((gate, x), hp) in reset_update
        .iter_mut()
        .zip(x_reset_update)
        .zip(hp_reset_update)
    {
        *gate = *x + *hp;
    }
    T::sigmoid_in_place(reset_update);
    let hidden_n = &mut hidden_n[..hidden_size];
    hidden_n.copy_from_slice(&hp_candidate[..hidden_size]);
    let (reset, update) = reset_update.split_at(hidden_size);
    for (((n, x), r), hp_n) in candidate
        .iter_mut()
        .zip(x_candidate)
        .zip(reset)
        .zip(&*hidden_n)
    {
        *n = *x + *r * *hp_n;
    }
    T::tanh_in_place(candidate);
    for (((h, n), z), previous) in next.iter_mut().zip(&*candidate).zip(update).zip(previous) {
        *h = *n + *z * (*previous - *n);
    }
}

/// The backward pass on `[grad, output, gates, weight_hh, hidden]`: the gradients of
/// `projected`, `weight_hh`, `bias_hh` and `hidden`.
pub(super) fn backward_tensors<T: KernelFloat>(
    tensors: [FlexTensor; 5],
    initial_state_grad: bool,
) -> (FlexTensor, FlexTensor, FlexTensor, FlexTensor) {
    let [grad, output, gates, weight_hh, hidden] = contiguous(tensors);
    let hidden_size = weight_hh.shape()[1];
    let bias_shape = [3 * hidden_size];
    let projected_shape = [gates.shape()[0], gates.shape()[1], 3 * hidden_size];
    let shape = GruShape::of_forward(
        &projected_shape,
        &weight_hh.shape(),
        &bias_shape,
        &hidden.shape(),
    )
    .and_then(|shape| {
        shape
            .check_saved(&grad.shape(), &output.shape(), &gates.shape())
            .map(|()| shape)
    })
    .unwrap_or_else(|message| panic!("flex GRU kernel: {message}"));
    let GruShape { time, batch, .. } = shape;
    let width = 3 * hidden_size;
    let mut input_deltas = vec![T::ZERO; time * batch * width];
    // δhp = [δr, δz, δn ⊙ r]: its first two parts are the input's, so only the last is kept
    let mut candidate_deltas = vec![T::ZERO; time * batch * hidden_size];
    let mut hidden_grad = vec![T::ZERO; batch * hidden_size];
    let saved = Saved {
        shape,
        grad: T::values(&grad),
        output: T::values(&output),
        gates: T::values(&gates),
        weight_hh: T::values(&weight_hh),
        hidden: T::values(&hidden),
        initial_state_grad,
    };
    let buffers = (
        Shared::of(&mut input_deltas),
        Shared::of(&mut candidate_deltas),
        Shared::of(&mut hidden_grad),
    );
    for_each_block(row_blocks(batch), |rows| {
        // SAFETY: each block touches only its own rows of every step.
        unsafe { backward_block(rows, &saved, buffers) }
    });
    let (weight_grad, bias_grad) = weight_grads(&saved, &input_deltas, &candidate_deltas);
    (
        T::tensor(input_deltas, &projected_shape),
        T::tensor(weight_grad, &[width, hidden_size]),
        T::tensor(bias_grad, &bias_shape),
        T::tensor(hidden_grad, &[batch, hidden_size]),
    )
}

/// What the backward pass reads.
struct Saved<'a, T> {
    shape: GruShape,
    grad: &'a [T],
    output: &'a [T],
    gates: &'a [T],
    weight_hh: &'a [T],
    hidden: &'a [T],
    initial_state_grad: bool,
}

/// Every step of the windows `rows`, last first: the deltas of the projected input and of the
/// hidden part, then `δh_{t−1} = δh ⊙ z + δhp·W_hh`.
///
/// # Safety
/// No other block may run on overlapping `rows`.
unsafe fn backward_block<T: KernelFloat>(
    rows: Range<usize>,
    saved: &Saved<'_, T>,
    (input_deltas, candidate_deltas, hidden_grad): (Shared<T>, Shared<T>, Shared<T>),
) {
    let GruShape {
        time,
        batch,
        hidden: hidden_size,
    } = saved.shape;
    let (count, width) = (rows.len(), 3 * hidden_size);
    let at = |t: usize, width: usize| ((t * batch + rows.start) * width, count * width);
    // δh reaching h_t from step t + 1, then δh_0: this block's rows
    // SAFETY (all slices): this block's rows of distinct steps or buffers never overlap
    let from_next = unsafe { hidden_grad.slice(rows.start * hidden_size, count * hidden_size) };
    for t in (0..time).rev() {
        let previous = match t {
            0 => &saved.hidden[rows.start * hidden_size..rows.end * hidden_size],
            _ => own(saved.output, at(t - 1, hidden_size)),
        };
        let (start, len) = at(t, width);
        let step_inputs = unsafe { input_deltas.slice(start, len) };
        let (start, len) = at(t, hidden_size);
        let step_candidates = unsafe { candidate_deltas.slice(start, len) };
        let states = StepStates {
            gates: own(saved.gates, at(t, 4 * hidden_size)),
            previous,
            from_output: own(saved.grad, at(t, hidden_size)),
        };
        rows_backward(
            [step_inputs, step_candidates],
            states,
            from_next,
            hidden_size,
        );
        if t > 0 || saved.initial_state_grad {
            // δh_{t−1} += δhp_t · W_hh, as [δr, δz]·W_hh[r, z] + (δn ⊙ r)·W_hh[n]
            // SAFETY: the first 2H columns of δx_t [rows, 3H], δn ⊙ r [rows, H] and the row
            // blocks of W_hh [3H, H] lie inside their buffers; `from_next` is part of another.
            unsafe {
                product(
                    [count, hidden_size, 2 * hidden_size],
                    from_next,
                    true,
                    Operand::rows(step_inputs, width),
                    Operand::rows(saved.weight_hh, hidden_size),
                    Threads::One,
                );
                product(
                    [count, hidden_size, hidden_size],
                    from_next,
                    true,
                    Operand::rows(step_candidates, hidden_size),
                    Operand::rows(
                        &saved.weight_hh[2 * hidden_size * hidden_size..],
                        hidden_size,
                    ),
                    Threads::One,
                );
            }
        } else {
            from_next.fill(T::ZERO);
        }
    }
}

/// What one step backward reads for a block's windows.
#[derive(Clone, Copy)]
struct StepStates<'a, T> {
    /// `[r, z, n, hp_n]`, `[rows, 4H]`.
    gates: &'a [T],
    /// `h_{t−1}`, `[rows, H]`.
    previous: &'a [T],
    /// `δh_t` from the layer's output, `[rows, H]`.
    from_output: &'a [T],
}

on_widest_vectors! {
    /// One step backward of a block's windows (see [`row_backward`]).
    fn rows_backward<T: KernelFloat>(
        deltas: [&mut [T]; 2],
        states: StepStates<'_, T>,
        from_next: &mut [T],
        hidden_size: usize,
    ) {
        let [input_deltas, candidate_deltas] = deltas;
        let width = 3 * hidden_size;
        for (((((input_delta, candidate_delta), gates), previous), output_grad), from_next) in
            input_deltas
                .chunks_mut(width)
                .zip(candidate_deltas.chunks_mut(hidden_size))
                .zip(states.gates.chunks(4 * hidden_size))
                .zip(states.previous.chunks(hidden_size))
                .zip(states.from_output.chunks(hidden_size))
                .zip(from_next.chunks_mut(hidden_size))
        {
            row_backward(
                [input_delta, candidate_delta],
                gates,
                previous,
                output_grad,
                from_next,
            );
        }
    }
}

/// One window's step backward: the input's deltas `[δr, δz, δn]`, `δn ⊙ r` (the hidden part's
/// delta for n; its deltas for r and z are the input's), and `δh ⊙ z` in place of `δh` from step
/// `t + 1`.
#[inline(always)]
fn row_backward<T: KernelFloat>(
    [input_delta, candidate_hidden_delta]: [&mut [T]; 2],
    gates: &[T],
    previous: &[T],
    output_grad: &[T],
    from_next: &mut [T],
) {
    let hidden_size = previous.len();
    // each part cut to `hidden_size`, so that the loop indexes without bounds checks and
    // vectorises
    let part = |index: usize| &gates[index * hidden_size..(index + 1) * hidden_size];
    let (reset, update, candidate, hidden_n) = (part(0), part(1), part(2), part(3));
    let (output_grad, from_next) = (&output_grad[..hidden_size], &mut from_next[..hidden_size]);
    let candidate_hidden_delta = &mut candidate_hidden_delta[..hidden_size];
    let (input_reset, rest) = input_delta.split_at_mut(hidden_size);
    let (input_update, input_candidate) = rest.split_at_mut(hidden_size);
    let input_candidate = &mut input_candidate[..hidden_size];
    for j in 0..hidden_size {
        let (r, z, n) = (reset[j], update[j], candidate[j]);
        let dh = output_grad[j] + from_next[j];
        let candidate_delta = dh * (T::ONE - z) * (T::ONE - n * n);
        input_reset[j] = candidate_delta * hidden_n[j] * r * (T::ONE - r);
        input_update[j] = dh * (previous[j] - n) * z * (T::ONE - z);
        input_candidate[j] = candidate_delta;
        candidate_hidden_delta[j] = candidate_delta * r;
        from_next[j] = dh * z;
    }
}

/// `δW_hh [3H, H] = Σ_t δhp_tᵀ · h_{t−1}` and `δb_hh [3H] = Σ δhp`, with `δhp` given as the
/// input's deltas `[T, B, 3H]` (whose r and z parts are `δhp`'s) and `δn ⊙ r` `[T, B, H]`.
fn weight_grads<T: KernelFloat>(
    saved: &Saved<'_, T>,
    input_deltas: &[T],
    candidate_deltas: &[T],
) -> (Vec<T>, Vec<T>) {
    let GruShape {
        time,
        batch,
        hidden: hidden_size,
    } = saved.shape;
    let width = 3 * hidden_size;
    let mut weight = vec![T::ZERO; width * hidden_size];
    let mut bias = vec![T::ZERO; width];
    let (weight_reset_update, weight_candidate) =
        weight.split_at_mut(2 * hidden_size * hidden_size);
    let (bias_reset_update, bias_candidate) = bias.split_at_mut(2 * hidden_size);
    // each block of rows from its deltas: [δr, δz] with the input's stride, δn ⊙ r on its own
    let parts = [
        (weight_reset_update, bias_reset_update, input_deltas, width),
        (
            weight_candidate,
            bias_candidate,
            candidate_deltas,
            hidden_size,
        ),
    ];
    let initial_state = saved.hidden.iter().any(|value| *value != T::ZERO);
    for (grad, bias_grad, deltas, stride) in parts {
        let rows = bias_grad.len();
        if time > 1 {
            // SAFETY: the deltas of steps 1…, transposed [rows, (T − 1)·B], and
            // h_{1…T−1} [(T − 1)·B, H] lie inside their buffers; `grad` is a buffer of its own.
            unsafe {
                product(
                    [rows, hidden_size, (time - 1) * batch],
                    grad,
                    false,
                    Operand::columns(&deltas[batch * stride..], stride),
                    Operand::rows(saved.output, hidden_size),
                    Threads::Pool,
                );
            }
        }
        if initial_state {
            // SAFETY: as above, for step 0 and the initial hidden state.
            unsafe {
                product(
                    [rows, hidden_size, batch],
                    grad,
                    time > 1,
                    Operand::columns(deltas, stride),
                    Operand::rows(saved.hidden, hidden_size),
                    Threads::Pool,
                );
            }
        }
        // the bias's gradient: the sum of every window's and step's deltas
        for row in deltas.chunks(stride) {
            for (sum, value) in bias_grad.iter_mut().zip(row) {
                *sum = *sum + *value;
            }
        }
    }
    (weight, bias)
}

#[cfg(test)]
mod tests {
    use burn::backend::Flex;

    use super::super::blocks::MIN_ROWS_PER_BLOCK;
    use super::super::test_support::{assert_close, tensor, values};
    use crate::kernels::RecurrentOps;
    use crate::kernels::gru::{gru_backward, gru_forward};

    fn compare_with_composed([time, batch, hidden]: [usize; 3], zero_start: bool) {
        let inputs = || {
            let initial = match zero_start {
                true => vec![0.0; batch * hidden],
                false => values(batch * hidden, 3, 0.8),
            };
            (
                tensor(
                    values(time * batch * 3 * hidden, 1, 2.0),
                    &[time, batch, 3 * hidden],
                ),
                tensor(values(3 * hidden * hidden, 2, 0.4), &[3 * hidden, hidden]),
                tensor(values(3 * hidden, 6, 0.5), &[3 * hidden]),
                tensor(initial, &[batch, hidden]),
            )
        };
        let (projected, weight, bias, h0) = inputs();
        let (output, gates) = Flex::gru_sequence_saving(projected, weight, bias, h0);
        let (projected, weight, bias, h0) = inputs();
        let (output_ref, gates_ref) = gru_forward::<Flex>(projected, weight, bias, h0);
        assert_close(output.clone(), output_ref, "output");
        assert_close(gates.clone(), gates_ref, "gates");
        let (projected, weight, bias, h0) = inputs();
        let forward_only = Flex::gru_sequence(projected, weight, bias, h0);
        assert_close(forward_only, output.clone(), "forward-only output");

        let grad = || {
            tensor(
                values(time * batch * hidden, 5, 1.0),
                &[time, batch, hidden],
            )
        };
        for initial_state_grad in [true, false] {
            let (_, weight, _, h0) = inputs();
            let ours = Flex::gru_sequence_backward(
                grad(),
                output.clone(),
                gates.clone(),
                weight,
                h0,
                initial_state_grad,
            );
            let (_, weight, _, h0) = inputs();
            let reference = gru_backward::<Flex>(
                grad(),
                output.clone(),
                gates.clone(),
                weight,
                h0,
                initial_state_grad,
            );
            assert_close(ours.0, reference.0, "projected grad");
            assert_close(ours.1, reference.1, "weight_hh grad");
            assert_close(ours.2, reference.2, "bias_hh grad");
            assert_close(ours.3, reference.3, "hidden grad");
        }
    }

    #[test]
    fn fused_gru_matches_the_composed_operations() {
        compare_with_composed([4, 7, 13], false);
        compare_with_composed([3, 5, 6], true);
        compare_with_composed([1, 3, 5], false);
        compare_with_composed([3, 2 * MIN_ROWS_PER_BLOCK + 7, 9], false);
        compare_with_composed([2, 3 * MIN_ROWS_PER_BLOCK + 1, 4], true);
    }

    #[test]
    fn operands_that_do_not_fit_are_refused_by_name() {
        let message = std::panic::catch_unwind(|| {
            Flex::gru_sequence(
                tensor(vec![0.0; 2 * 3 * 12], &[2, 3, 12]),
                tensor(vec![0.0; 12 * 5], &[12, 5]),
                tensor(vec![0.0; 12], &[12]),
                tensor(vec![0.0; 3 * 4], &[3, 4]),
            )
        })
        .unwrap_err();
        let message = message
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(
            message.contains("GRU operands") && message.contains("weight_hh [12, 5]"),
            "{message}"
        );
    }
}
