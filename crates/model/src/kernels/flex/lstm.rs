//! The fused LSTM kernel of the `flex` CPU backend.
//!
//! Forward, each step is one matrix product `h_{t−1}·W_hhᵀ` accumulated into the step's
//! projected input (with the `gemm` crate that `flex` itself uses), then one pass over each
//! window's gates that activates them and updates `c` and `h`. Backward, each step is one pass
//! that turns `δh` and `δc` into the four gate deltas, then one product `δa·W_hh` for the previous
//! step's `δh`; `δW_hh` is one product over all steps. The batch is cut into one block of
//! windows per thread, and each block runs every step on its own (a window's recurrence never
//! reads another's): no barrier between steps. Every buffer is time-major, so that a step's rows
//! of a block are contiguous. `f32` uses the vectorised activations of `fast`; `f64` uses the standard
//! library's `exp` and `tanh`.

use std::ops::Range;

use burn::backend::TensorMetadata;
use burn::backend::flex::FlexTensor;

use super::blocks::{Shared, contiguous, for_each_block, own, row_blocks};
use super::float::{KernelFloat, on_widest_vectors};
use super::gemm::{Operand, Threads, product};
use crate::kernels::lstm::LstmShape;

/// The sizes of one call: `time` steps of `batch` windows, `hidden` units.
#[derive(Debug, Clone, Copy)]
struct Window {
    time: usize,
    batch: usize,
    hidden: usize,
}

impl Window {
    /// The sizes of a forward call; panics, naming the shapes, when they do not fit together
    /// (the products and loops below index by these sizes).
    fn of_forward(
        projected: &FlexTensor,
        weight_hh: &FlexTensor,
        hidden: &FlexTensor,
        cell: &FlexTensor,
    ) -> Self {
        let shape = LstmShape::of_forward(
            &projected.shape(),
            &weight_hh.shape(),
            &hidden.shape(),
            &cell.shape(),
        )
        .unwrap_or_else(|message| panic!("flex LSTM kernel: {message}"));
        Self {
            time: shape.time,
            batch: shape.batch,
            hidden: shape.hidden,
        }
    }

    /// The sizes of a backward call on `[grad, output, gates, cells, weight_hh, hidden, cell]`;
    /// panics, naming the shapes, when they do not fit together.
    fn of_backward(tensors: &[FlexTensor; 7]) -> Self {
        let [grad, output, gates, cells, weight_hh, hidden, cell] = tensors;
        // the forward's `projected` had the shape of the saved gates
        let window = Self::of_forward(gates, weight_hh, hidden, cell);
        let shape = LstmShape {
            time: window.time,
            batch: window.batch,
            hidden: window.hidden,
        };
        shape
            .check_saved(
                &grad.shape(),
                &output.shape(),
                &gates.shape(),
                &cells.shape(),
            )
            .unwrap_or_else(|message| panic!("flex LSTM kernel: {message}"));
        window
    }

    fn gates(&self) -> usize {
        4 * self.hidden
    }

    /// Values of one step's gates, `[B, 4H]`.
    fn step_gates(&self) -> usize {
        self.batch * self.gates()
    }

    /// Values of one step's hidden or cell states, `[B, H]`.
    fn step_states(&self) -> usize {
        self.batch * self.hidden
    }
}

/// The forward pass on tensors: the output `[T + 1, B, H]`, the activated gates and, when
/// `save` (for a backward pass), the cell states `[T, B, H]`.
pub(super) fn forward_tensors<T: KernelFloat>(
    projected: FlexTensor,
    weight_hh: FlexTensor,
    hidden: FlexTensor,
    cell: FlexTensor,
    save: bool,
) -> (FlexTensor, FlexTensor, Option<FlexTensor>) {
    let window = Window::of_forward(&projected, &weight_hh, &hidden, &cell);
    let Window {
        time,
        batch,
        hidden: hidden_size,
    } = window;
    let [mut gates, weight_hh, hidden, cell] = contiguous([projected, weight_hh, hidden, cell]);
    let shape = [time, batch, window.gates()];
    // the gates are activated in the projection's own buffer when no one else holds it
    let (states, gates) = match T::values_mut(&mut gates) {
        Some(in_place) => {
            let states = forward(
                window,
                in_place,
                T::values(&weight_hh),
                T::values(&hidden),
                T::values(&cell),
                save,
            );
            (states, gates)
        }
        None => {
            let mut copy = T::values(&gates).to_vec();
            let states = forward(
                window,
                &mut copy,
                T::values(&weight_hh),
                T::values(&hidden),
                T::values(&cell),
                save,
            );
            (states, T::tensor(copy, &shape))
        }
    };
    (
        T::tensor(states.output, &[time + 1, batch, hidden_size]),
        gates,
        states
            .cells
            .map(|cells| T::tensor(cells, &[time, batch, hidden_size])),
    )
}

/// The backward pass on `[grad, output, gates, cells, weight_hh, hidden, cell]`.
pub(super) fn backward_tensors<T: KernelFloat>(
    tensors: [FlexTensor; 7],
    initial_state_grad: bool,
) -> (FlexTensor, FlexTensor, FlexTensor, FlexTensor) {
    let window = Window::of_backward(&tensors);
    let [grad, output, mut gates, cells, weight_hh, hidden, cell] = contiguous(tensors);
    let Window {
        time,
        batch,
        hidden: hidden_size,
    } = window;
    let saved = Saved {
        output: T::values(&output),
        cells: T::values(&cells),
        weight_hh: T::values(&weight_hh),
        hidden: T::values(&hidden),
        cell: T::values(&cell),
    };
    let grad = T::values(&grad);
    // the gate deltas are written over the saved gates when no one else holds them
    let (grads, projected_grad) = match T::values_mut(&mut gates) {
        Some(in_place) => (
            backward(window, grad, &saved, in_place, initial_state_grad),
            gates,
        ),
        None => {
            let mut copy = T::values(&gates).to_vec();
            let grads = backward(window, grad, &saved, &mut copy, initial_state_grad);
            (grads, T::tensor(copy, &[time, batch, window.gates()]))
        }
    };
    (
        projected_grad,
        T::tensor(grads.weight_hh, &[window.gates(), hidden_size]),
        T::tensor(grads.hidden, &[batch, hidden_size]),
        T::tensor(grads.cell, &[batch, hidden_size]),
    )
}

/// The forward pass's states, time-major: `output [T + 1, B, H]` and, when saved,
/// `cells [T, B, H]` (the activated gates `[T, B, 4H]` are written over the projected inputs).
struct Forward<T> {
    output: Vec<T>,
    cells: Option<Vec<T>>,
}

/// What the backward pass reads (see [`Forward`]), with the weights and the initial state.
struct Saved<'a, T> {
    output: &'a [T],
    cells: &'a [T],
    weight_hh: &'a [T],
    hidden: &'a [T],
    cell: &'a [T],
}

/// The gradients of `weight_hh` and of the initial state (`projected`'s is written over the
/// saved gates).
struct Grads<T> {
    weight_hh: Vec<T>,
    hidden: Vec<T>,
    cell: Vec<T>,
}

/// The forward pass; `gates` holds the projected inputs `[T, B, 4H]` and is left holding the
/// activated gates. Without `save_cells`, each block keeps only its last two cell states.
fn forward<T: KernelFloat>(
    window: Window,
    gates: &mut [T],
    weight_hh: &[T],
    hidden: &[T],
    cell: &[T],
    save_cells: bool,
) -> Forward<T> {
    let Window { time, batch, .. } = window;
    let step_states = window.step_states();
    let mut cells = match save_cells {
        true => Some(vec![T::ZERO; time * step_states]),
        false => None,
    };
    let mut output = vec![T::ZERO; (time + 1) * step_states];
    let zero_start = hidden.iter().all(|value| *value == T::ZERO);
    let buffers = ForwardBuffers {
        gates: Shared::of(gates),
        cells: cells.as_deref_mut().map(Shared::of),
        output: Shared::of(&mut output),
    };
    for_each_block(row_blocks(batch), |rows| {
        let inputs = ForwardInputs {
            weight_hh,
            hidden,
            cell,
            zero_start,
        };
        // SAFETY: each block touches only its own rows of every step.
        unsafe { forward_block(window, rows, inputs, buffers) }
    });
    if let Some(cells) = &cells {
        output[time * step_states..].copy_from_slice(&cells[(time - 1) * step_states..]);
    }
    Forward { output, cells }
}

/// What every block of the forward pass reads.
#[derive(Clone, Copy)]
struct ForwardInputs<'a, T> {
    weight_hh: &'a [T],
    hidden: &'a [T],
    cell: &'a [T],
    zero_start: bool,
}

/// What the blocks of the forward pass write, each its own rows.
#[derive(Clone, Copy)]
struct ForwardBuffers<T> {
    gates: Shared<T>,
    /// The cell states of every step, when saved.
    cells: Option<Shared<T>>,
    output: Shared<T>,
}

/// Every step of the windows `rows`: `h_{t−1}·W_hhᵀ` added to their projected inputs, then
/// each window's gates, `c_t` and `h_t`.
///
/// # Safety
/// No other block may run on overlapping `rows`.
unsafe fn forward_block<T: KernelFloat>(
    window: Window,
    rows: Range<usize>,
    inputs: ForwardInputs<'_, T>,
    buffers: ForwardBuffers<T>,
) {
    let Window {
        time,
        batch,
        hidden: hidden_size,
    } = window;
    let (gate_width, count) = (window.gates(), rows.len());
    let mut cell_tanh = vec![T::ZERO; hidden_size];
    let mut ring = match buffers.cells {
        Some(_) => Vec::new(),
        None => vec![T::ZERO; 2 * count * hidden_size],
    };
    // the values of rows `rows` of step `t` in a `[T, B, width]` buffer
    let at = |t: usize, width: usize| ((t * batch + rows.start) * width, count * width);
    for t in 0..time {
        // SAFETY (all slices): this block's rows of distinct steps or buffers never overlap
        let (start, len) = at(t, gate_width);
        let step = unsafe { buffers.gates.slice(start, len) };
        if t > 0 || !inputs.zero_start {
            let previous_hidden: &[T] = match t {
                0 => &inputs.hidden[rows.start * hidden_size..rows.end * hidden_size],
                _ => {
                    let (start, len) = at(t - 1, hidden_size);
                    unsafe { buffers.output.slice(start, len) }
                }
            };
            // SAFETY: h_{t−1} [rows, H] and W_hhᵀ [H, 4H] (read in place from W_hh [4H, H])
            // lie inside their buffers; `step` is part of another one.
            unsafe {
                product(
                    [count, gate_width, hidden_size],
                    step,
                    true,
                    Operand::rows(previous_hidden, hidden_size),
                    Operand::columns(inputs.weight_hh, hidden_size),
                    Threads::One,
                );
            }
        }
        let (previous_cell, cell): (&[T], &mut [T]) = match &buffers.cells {
            Some(cells) => {
                let previous: &[T] = match t {
                    0 => &inputs.cell[rows.start * hidden_size..rows.end * hidden_size],
                    _ => {
                        let (start, len) = at(t - 1, hidden_size);
                        unsafe { cells.slice(start, len) }
                    }
                };
                let (start, len) = at(t, hidden_size);
                (previous, unsafe { cells.slice(start, len) })
            }
            // forward only: two cell states, the current one in the half `t % 2`
            None => {
                let (first, second) = ring.split_at_mut(count * hidden_size);
                let (previous, current) = match t % 2 {
                    0 => (&*second, first),
                    _ => (&*first, second),
                };
                let previous = match t {
                    0 => &inputs.cell[rows.start * hidden_size..rows.end * hidden_size],
                    _ => previous,
                };
                (previous, current)
            }
        };
        let (start, len) = at(t, hidden_size);
        let hidden = unsafe { buffers.output.slice(start, len) };
        rows_forward(step, previous_cell, cell, hidden, &mut cell_tanh);
    }
    if buffers.cells.is_none() {
        // the last cell state goes after the hidden states
        let (start, len) = at(time, hidden_size);
        let last = (time - 1) % 2 * count * hidden_size;
        unsafe { buffers.output.slice(start, len) }
            .copy_from_slice(&ring[last..last + count * hidden_size]);
    }
}

on_widest_vectors! {
    /// One step of a block's windows (see [`row_forward`]).
    fn rows_forward<T: KernelFloat>(
        gates: &mut [T],
        previous_cell: &[T],
        cell: &mut [T],
        hidden: &mut [T],
        cell_tanh: &mut [T],
    ) {
        let hidden_size = cell_tanh.len();
        for (((gates, previous_cell), cell), hidden) in gates
            .chunks_mut(4 * hidden_size)
            .zip(previous_cell.chunks(hidden_size))
            .zip(cell.chunks_mut(hidden_size))
            .zip(hidden.chunks_mut(hidden_size))
        {
            row_forward(gates, previous_cell, cell, hidden, cell_tanh);
        }
    }
}

/// One window's step: activates its gates in place, writes `c_t` and `h_t`.
#[inline(always)]
fn row_forward<T: KernelFloat>(
    gates: &mut [T],
    previous_cell: &[T],
    cell: &mut [T],
    hidden: &mut [T],
    cell_tanh: &mut [T],
) {
    let hidden_size = cell.len();
    T::activate_gates(gates, hidden_size);
    let (input_gate, rest) = gates.split_at(hidden_size);
    let (forget_gate, rest) = rest.split_at(hidden_size);
    let (candidate, output_gate) = rest.split_at(hidden_size);
    // zipped, so that the loops index without bounds checks and vectorise
    let gates = input_gate.iter().zip(forget_gate).zip(candidate);
    for ((c, ((i, f), g)), previous) in cell.iter_mut().zip(gates).zip(previous_cell) {
        *c = *f * *previous + *i * *g;
    }
    T::tanh_into(cell, cell_tanh);
    for ((h, o), c_tanh) in hidden.iter_mut().zip(output_gate).zip(&*cell_tanh) {
        *h = *o * *c_tanh;
    }
}

/// The backward pass; `deltas` holds the saved gates `[T, B, 4H]` and is left holding the
/// gate deltas, `projected`'s gradient.
fn backward<T: KernelFloat>(
    window: Window,
    grad: &[T],
    saved: &Saved<'_, T>,
    deltas: &mut [T],
    initial_state_grad: bool,
) -> Grads<T> {
    let Window { time, batch, .. } = window;
    let step_states = window.step_states();
    // δh reaching h_t from step t + 1, then δh_0
    let mut hidden_grad = vec![T::ZERO; step_states];
    let mut cell_grad = grad[time * step_states..].to_vec();
    let buffers = BackwardBuffers {
        deltas: Shared::of(deltas),
        hidden_grad: Shared::of(&mut hidden_grad),
        cell_grad: Shared::of(&mut cell_grad),
    };
    for_each_block(row_blocks(batch), |rows| {
        // SAFETY: each block touches only its own rows of every step.
        unsafe { backward_block(window, rows, grad, saved, initial_state_grad, buffers) }
    });
    if !initial_state_grad {
        hidden_grad.fill(T::ZERO);
    }
    let weight_hh = weight_grad(window, deltas, saved);
    Grads {
        weight_hh,
        hidden: hidden_grad,
        cell: cell_grad,
    }
}

/// What the blocks of the backward pass write, each its own rows.
#[derive(Clone, Copy)]
struct BackwardBuffers<T> {
    deltas: Shared<T>,
    hidden_grad: Shared<T>,
    cell_grad: Shared<T>,
}

/// Every step of the windows `rows`, last first: their gate deltas from `δh` and `δc`, then
/// `δh_{t−1} = δa_t · W_hh`.
///
/// # Safety
/// No other block may run on overlapping `rows`.
unsafe fn backward_block<T: KernelFloat>(
    window: Window,
    rows: Range<usize>,
    grad: &[T],
    saved: &Saved<'_, T>,
    initial_state_grad: bool,
    buffers: BackwardBuffers<T>,
) {
    let Window {
        time,
        batch,
        hidden: hidden_size,
    } = window;
    let (gate_width, count) = (window.gates(), rows.len());
    let mut cell_tanh = vec![T::ZERO; hidden_size];
    let at = |t: usize, width: usize| ((t * batch + rows.start) * width, count * width);
    let (state_start, state_len) = at(0, hidden_size);
    // SAFETY (all slices): this block's rows of distinct steps or buffers never overlap
    let hidden_grad = unsafe { buffers.hidden_grad.slice(state_start, state_len) };
    let cell_grad = unsafe { buffers.cell_grad.slice(state_start, state_len) };
    for t in (0..time).rev() {
        let previous_cell = match t {
            0 => &saved.cell[rows.start * hidden_size..rows.end * hidden_size],
            _ => own(saved.cells, at(t - 1, hidden_size)),
        };
        let (start, len) = at(t, gate_width);
        let step_deltas = unsafe { buffers.deltas.slice(start, len) };
        let states = StepStates {
            previous_cell,
            cell: own(saved.cells, at(t, hidden_size)),
            from_output: own(grad, at(t, hidden_size)),
            from_next: hidden_grad,
        };
        rows_backward(step_deltas, states, cell_grad, &mut cell_tanh);
        if t > 0 || initial_state_grad {
            // δh_{t−1} = δa_t · W_hh
            // SAFETY: δa_t [rows, 4H] and W_hh [4H, H] lie inside their buffers;
            // `hidden_grad` is a buffer of its own.
            unsafe {
                product(
                    [count, hidden_size, gate_width],
                    hidden_grad,
                    false,
                    Operand::rows(step_deltas, gate_width),
                    Operand::rows(saved.weight_hh, hidden_size),
                    Threads::One,
                );
            }
        }
    }
}

/// What one step backward reads for a block's windows, each `[rows, H]`.
#[derive(Clone, Copy)]
struct StepStates<'a, T> {
    /// `c_{t−1}`.
    previous_cell: &'a [T],
    /// `c_t`.
    cell: &'a [T],
    /// `δh_t` from the layer's output.
    from_output: &'a [T],
    /// `δh_t` from step `t + 1`.
    from_next: &'a [T],
}

on_widest_vectors! {
    /// One step backward of a block's windows (see [`row_backward`]).
    fn rows_backward<T: KernelFloat>(
        gates_deltas: &mut [T],
        states: StepStates<'_, T>,
        cell_grad: &mut [T],
        cell_tanh: &mut [T],
    ) {
        let hidden_size = cell_tanh.len();
        let windows = gates_deltas
            .chunks_mut(4 * hidden_size)
            .zip(states.previous_cell.chunks(hidden_size))
            .zip(states.cell.chunks(hidden_size))
            .zip(states.from_output.chunks(hidden_size))
            .zip(states.from_next.chunks(hidden_size))
            .zip(cell_grad.chunks_mut(hidden_size));
        for (((((gates_deltas, previous_cell), cell), from_output), from_next), cell_grad) in windows {
            let window = StepStates {
                previous_cell,
                cell,
                from_output,
                from_next,
            };
            row_backward(gates_deltas, window, cell_grad, cell_tanh);
        }
    }
}

/// One window's step backward: the four gate deltas from `δh` and `δc`, written over the
/// window's gates `[4H]` (each position is read before it is written), and `δc_{t−1}` in place
/// of `δc` (the equations are in [`composed::lstm_backward`]).
#[inline(always)]
fn row_backward<T: KernelFloat>(
    gates_deltas: &mut [T],
    states: StepStates<'_, T>,
    cell_grad: &mut [T],
    cell_tanh: &mut [T],
) {
    let hidden_size = cell_tanh.len();
    let (input, rest) = gates_deltas.split_at_mut(hidden_size);
    let (forget, rest) = rest.split_at_mut(hidden_size);
    let (candidate, output) = rest.split_at_mut(hidden_size);
    // every slice cut to `hidden_size`, so that the loop indexes without bounds checks and
    // vectorises
    let output = &mut output[..hidden_size];
    let cell_grad = &mut cell_grad[..hidden_size];
    let [previous_cell, cell, from_output, from_next] = [
        states.previous_cell,
        states.cell,
        states.from_output,
        states.from_next,
    ]
    .map(|values| &values[..hidden_size]);
    T::tanh_into(cell, cell_tanh);
    for j in 0..hidden_size {
        let (i, f, g, o) = (input[j], forget[j], candidate[j], output[j]);
        let dh = from_output[j] + from_next[j];
        let tc = cell_tanh[j];
        let dc = cell_grad[j] + dh * o * (T::ONE - tc * tc);
        input[j] = dc * g * i * (T::ONE - i);
        forget[j] = dc * previous_cell[j] * f * (T::ONE - f);
        candidate[j] = dc * i * (T::ONE - g * g);
        output[j] = dh * tc * o * (T::ONE - o);
        cell_grad[j] = dc * f;
    }
}

/// `δW_hh [4H, H] = Σ_t δa_tᵀ · h_{t−1}`: one product over steps 1… (whose `h_{t−1}` are the
/// output's first steps), and one for step 0 unless the initial state is zero.
fn weight_grad<T: KernelFloat>(window: Window, deltas: &[T], saved: &Saved<'_, T>) -> Vec<T> {
    let Window {
        time,
        batch,
        hidden: hidden_size,
    } = window;
    let gate_width = window.gates();
    let step_gates = window.step_gates();
    let mut grad = vec![T::ZERO; gate_width * hidden_size];
    let mut keep = false;
    if time > 1 {
        // SAFETY: δa_{1…}ᵀ [4H, (T − 1)·B] and h_{0…T−2} [(T − 1)·B, H] lie inside their
        // buffers; `grad` is a buffer of its own.
        unsafe {
            product(
                [gate_width, hidden_size, (time - 1) * batch],
                &mut grad,
                false,
                Operand::columns(&deltas[step_gates..], gate_width),
                Operand::rows(saved.output, hidden_size),
                Threads::Pool,
            );
        }
        keep = true;
    }
    if saved.hidden.iter().any(|value| *value != T::ZERO) {
        // SAFETY: as above, for step 0 and the initial hidden state.
        unsafe {
            product(
                [gate_width, hidden_size, batch],
                &mut grad,
                keep,
                Operand::columns(deltas, gate_width),
                Operand::rows(saved.hidden, hidden_size),
                Threads::Pool,
            );
        }
    }
    grad
}

/// What the kernels' tests share: deterministic operands and a comparison.
#[cfg(test)]
mod tests {
    use burn::backend::Flex;

    use super::super::blocks::MIN_ROWS_PER_BLOCK;
    use super::super::test_support::{assert_close, tensor, values};
    use super::*;
    use crate::kernels::RecurrentOps;
    use crate::kernels::lstm as composed;

    /// Forward then backward with the fused kernel and with the composed operations.
    fn compare_with_composed([time, batch, hidden]: [usize; 3], zero_start: bool) {
        let inputs = || {
            let initial_hidden = match zero_start {
                true => vec![0.0; batch * hidden],
                false => values(batch * hidden, 3, 0.8),
            };
            (
                tensor(
                    values(time * batch * 4 * hidden, 1, 2.0),
                    &[time, batch, 4 * hidden],
                ),
                tensor(values(4 * hidden * hidden, 2, 0.4), &[4 * hidden, hidden]),
                tensor(initial_hidden, &[batch, hidden]),
                tensor(values(batch * hidden, 4, 1.5), &[batch, hidden]),
            )
        };
        let (projected, weight, h0, c0) = inputs();
        let (output, gates, cells) = Flex::lstm_sequence_saving(projected, weight, h0, c0);
        let (projected, weight, h0, c0) = inputs();
        let (output_ref, gates_ref, cells_ref) =
            composed::lstm_forward::<Flex>(projected, weight, h0, c0);
        assert_close(output.clone(), output_ref, "output");
        assert_close(gates.clone(), gates_ref, "gates");
        assert_close(cells.clone(), cells_ref, "cells");
        // forward only (no cell states kept): the same output
        let (projected, weight, h0, c0) = inputs();
        let forward_only = Flex::lstm_sequence(projected, weight, h0, c0);
        assert_close(forward_only, output.clone(), "forward-only output");

        let grad = || {
            let count = (time + 1) * batch * hidden;
            tensor(values(count, 5, 1.0), &[time + 1, batch, hidden])
        };
        for initial_state_grad in [true, false] {
            let saved = || (output.clone(), gates.clone(), cells.clone());
            let ((out, gat, cel), (_, weight, h0, c0)) = (saved(), inputs());
            let ours = Flex::lstm_sequence_backward(
                grad(),
                out,
                gat,
                cel,
                weight,
                h0,
                c0,
                initial_state_grad,
            );
            let ((out, gat, cel), (_, weight, h0, c0)) = (saved(), inputs());
            let reference = composed::lstm_backward::<Flex>(
                grad(),
                out,
                gat,
                cel,
                weight,
                h0,
                c0,
                initial_state_grad,
            );
            assert_close(ours.0, reference.0, "projected gradient");
            assert_close(ours.1, reference.1, "weight_hh gradient");
            let hidden_grad = ours.2.into_data();
            assert_close(
                FlexTensor::from_data(hidden_grad.clone()),
                reference.2,
                "h0 gradient",
            );
            assert_close(ours.3, reference.3, "c0 gradient");
            let all_zero = hidden_grad.iter::<f32>().all(|value| value == 0.0);
            assert_eq!(
                all_zero, !initial_state_grad,
                "h0 gradient zero iff not asked for"
            );
        }
    }

    #[test]
    fn fused_kernel_matches_the_composed_operations() {
        // a non-zero initial state, several steps, sizes off the vector widths
        compare_with_composed([4, 7, 13], false);
        // the kernel skips h0·W_hhᵀ and its δW_hh term for a zero h0
        compare_with_composed([3, 5, 6], true);
        // one step: no product over the later steps
        compare_with_composed([1, 3, 5], false);
        // a batch cut into one block of windows per thread, unevenly
        compare_with_composed([3, 2 * MIN_ROWS_PER_BLOCK + 7, 9], false);
        compare_with_composed([2, 3 * MIN_ROWS_PER_BLOCK + 1, 4], true);
        compare_with_composed([5, 2 * MIN_ROWS_PER_BLOCK, 3], false);
    }

    /// A shape from `base`, each size replaced by `0..=5` where `perturb` says so.
    fn perturbed(base: &[usize], perturb: &[Option<usize>]) -> Vec<usize> {
        base.iter()
            .zip(perturb)
            .map(|(size, other)| other.unwrap_or(*size))
            .collect()
    }

    fn zeros(shape: &[usize]) -> FlexTensor {
        tensor(vec![0.5; shape.iter().product()], shape)
    }

    /// Whether the kernel's operands fit together, spelled out independently of `LstmShape`.
    fn forward_fits(p: &[usize], w: &[usize], h: &[usize], c: &[usize]) -> bool {
        let (time, batch, hidden) = (p[0], p[1], w[1]);
        time >= 1
            && hidden >= 1
            && p[2] == 4 * hidden
            && w[0] == 4 * hidden
            && h == [batch, hidden]
            && c == [batch, hidden]
    }

    fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    fn maybe_size() -> impl proptest::strategy::Strategy<Value = Option<usize>> {
        use proptest::prelude::*;
        prop_oneof![3 => Just(None), 1 => (0usize..=5).prop_map(Some)]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// The safe entry points either run on shapes that fit or panic naming the shapes:
        /// never an index past a buffer (the products are `unsafe`).
        #[test]
        fn any_operand_shapes_run_or_are_refused_by_name(
            time in 0usize..4, batch in 0usize..4, hidden in 0usize..4,
            perturb in proptest::collection::vec(maybe_size(), 9),
        ) {
            let p = perturbed(&[time, batch, 4 * hidden], &perturb[0..3]);
            let w = perturbed(&[4 * hidden, hidden], &perturb[3..5]);
            let h = perturbed(&[batch, hidden], &perturb[5..7]);
            let c = perturbed(&[batch, hidden], &perturb[7..9]);
            let fits = forward_fits(&p, &w, &h, &c);
            let run = std::panic::catch_unwind(|| {
                Flex::lstm_sequence_saving(zeros(&p), zeros(&w), zeros(&h), zeros(&c))
            });
            match run {
                Ok((output, _, _)) => {
                    proptest::prop_assert!(fits, "{p:?} {w:?} {h:?} {c:?} ran");
                    proptest::prop_assert_eq!(
                        output.shape().to_vec(),
                        vec![p[0] + 1, p[1], w[1]]
                    );
                }
                Err(payload) => {
                    let message = panic_message(payload);
                    proptest::prop_assert!(!fits, "{p:?} {w:?} {h:?} {c:?}: {message}");
                    proptest::prop_assert!(
                        message.contains("do not fit together")
                            && message.contains(&format!("{p:?}")),
                        "{message}"
                    );
                }
            }
        }

        /// The backward pass checks what it is handed against the forward's sizes.
        #[test]
        fn backward_operands_that_do_not_fit_are_refused_by_name(
            perturb in proptest::collection::vec(maybe_size(), 12),
        ) {
            let [time, batch, hidden] = [3, 2, 4];
            let grad = perturbed(&[time + 1, batch, hidden], &perturb[0..3]);
            let output = perturbed(&[time + 1, batch, hidden], &perturb[3..6]);
            let gates = perturbed(&[time, batch, 4 * hidden], &perturb[6..9]);
            let cells = perturbed(&[time, batch, hidden], &perturb[9..12]);
            // the saved operands fit when they agree on one window length, which need not be
            // the one they were perturbed from (gates and cells of 1 step with a gradient and
            // an output of 2 are the operands of a window of 1)
            let steps = gates.first().copied().unwrap_or(0);
            let fits = steps >= 1
                && grad == [steps + 1, batch, hidden]
                && output == [steps + 1, batch, hidden]
                && gates == [steps, batch, 4 * hidden]
                && cells == [steps, batch, hidden];
            let run = std::panic::catch_unwind(|| {
                Flex::lstm_sequence_backward(
                    zeros(&grad),
                    zeros(&output),
                    zeros(&gates),
                    zeros(&cells),
                    zeros(&[4 * hidden, hidden]),
                    zeros(&[batch, hidden]),
                    zeros(&[batch, hidden]),
                    true,
                )
            });
            match run {
                Ok(_) => proptest::prop_assert!(fits),
                Err(payload) => {
                    let message = panic_message(payload);
                    proptest::prop_assert!(!fits, "{message}");
                    proptest::prop_assert!(message.contains("do not fit"), "{message}");
                }
            }
        }
    }
}
