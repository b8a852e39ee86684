//! [`RecurrentOps`] on CubeCL's backend (the `wgpu` and `cuda` features): each cell's whole
//! recurrence over a window as one kernel launch forward and one backward, one file per cell
//! ([`lstm`], [`gru`], [`rnn`]), for layers of up to [`MAX_KERNEL_HIDDEN`] units; wider
//! layers and the input projection (one matrix product) run the composed equations.
//!
//! Every kernel has the same shape: each cube holds one window (a batch row) and runs every
//! time step itself; its threads share the hidden units (thread `u` takes units `u`,
//! `u + threads`, …); the state lives in shared memory, and barriers separate the phases of a
//! step. The recurrent product reads `W_hhᵀ` forward (neighbouring threads read neighbouring
//! weights) and `W_hh` backward; `δW_hh` (and the GRU's `δb_hh`) is one matrix product over
//! all steps afterwards.

pub mod gru;
pub mod lstm;
pub mod rnn;
#[cfg(all(test, feature = "wgpu"))]
mod testing;

use std::sync::atomic::{AtomicBool, Ordering};

use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Cube, Shape, TensorMetadata};
use burn_cubecl::ops::numeric::empty_device_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::composed::{gradient_to_previous, recurrent_weight_grad};
use super::ops::RecurrentOps;

/// Hidden units up to which the kernels run (the LSTM's backward pass keeps `6H` values in
/// shared memory, 12 KiB in f32 at the limit); wider layers run the composed equations.
pub const MAX_KERNEL_HIDDEN: usize = 512;

/// Whether the kernels run at all (they do unless [`set_kernels_enabled`] turned them off).
static KERNELS_ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns the CubeCL kernels on or off for the whole process: off, every cell runs its composed
/// equations on the GPU, as the benchmark's comparison does.
pub fn set_kernels_enabled(enabled: bool) {
    KERNELS_ENABLED.store(enabled, Ordering::Relaxed);
}

/// Whether a layer of `hidden` units runs the kernels.
fn fused(hidden: usize) -> bool {
    hidden <= MAX_KERNEL_HIDDEN && KERNELS_ENABLED.load(Ordering::Relaxed)
}

/// One cube per window.
fn cubes(batch: usize) -> CubeCount {
    CubeCount::Static(batch as u32, 1, 1)
}

/// Threads per cube: one per hidden unit, from 32 to 256.
fn cube_dim(hidden: usize) -> CubeDim {
    CubeDim::new_1d(hidden.next_power_of_two().clamp(32, 256) as u32)
}

/// A new tensor of `dims` on `reference`'s device, of its element type.
fn empty_like(reference: &CubeTensor, dims: &[usize]) -> CubeTensor {
    empty_device_dtype(
        reference.client.clone(),
        reference.device.clone(),
        Shape::from(dims.to_vec()),
        reference.dtype,
    )
}

/// The logistic function inside a kernel.
#[cube]
fn sigmoid<F: Float>(x: F) -> F {
    F::new(1.0_f32) / (F::new(1.0_f32) + (F::new(0.0_f32) - x).exp())
}

impl RecurrentOps for Cube {
    fn lstm_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        Self::lstm_sequence_saving(projected, weight_hh, hidden, cell).0
    }

    fn lstm_sequence_saving(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        if !fused(weight_hh.shape()[1]) {
            return super::lstm::lstm_forward::<Self>(projected, weight_hh, hidden, cell);
        }
        lstm::forward(projected, Self::float_transpose(weight_hh), hidden, cell)
    }

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
        let [batch, hidden_size] = hidden.shape().dims::<2>();
        if !fused(hidden_size) {
            return super::lstm::lstm_backward::<Self>(
                grad,
                output,
                gates,
                cells,
                weight_hh,
                hidden,
                cell,
                initial_state_grad,
            );
        }
        let (deltas, hidden_grad, cell_grad) = lstm::backward(grad, gates, cells, weight_hh, cell);
        let weight_grad = recurrent_weight_grad::<Self>(deltas.clone(), output, hidden);
        let hidden_grad =
            gradient_to_previous::<Self>(initial_state_grad, &deltas, [batch, hidden_size], || {
                hidden_grad
            });
        (deltas, weight_grad, hidden_grad, cell_grad)
    }

    fn input_projection(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        super::projection::composed::<Self>(input, weight, bias)
    }

    fn rnn_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        if !fused(hidden.shape()[1]) {
            return super::rnn::rnn_forward::<Self>(projected, weight_hh, hidden);
        }
        rnn::forward(projected, Self::float_transpose(weight_hh), hidden)
    }

    fn rnn_sequence_backward(
        grad: FloatTensor<Self>,
        output: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        initial_state_grad: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let [batch, hidden_size] = hidden.shape().dims::<2>();
        if !fused(hidden_size) {
            return super::rnn::rnn_backward::<Self>(
                grad,
                output,
                weight_hh,
                hidden,
                initial_state_grad,
            );
        }
        let (deltas, hidden_grad) = rnn::backward(grad, output.clone(), weight_hh);
        let weight_grad = recurrent_weight_grad::<Self>(deltas.clone(), output, hidden);
        let hidden_grad =
            gradient_to_previous::<Self>(initial_state_grad, &deltas, [batch, hidden_size], || {
                hidden_grad
            });
        (deltas, weight_grad, hidden_grad)
    }

    fn gru_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        bias_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        Self::gru_sequence_saving(projected, weight_hh, bias_hh, hidden).0
    }

    fn gru_sequence_saving(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        bias_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        if !fused(hidden.shape()[1]) {
            return super::gru::gru_forward::<Self>(projected, weight_hh, bias_hh, hidden);
        }
        gru::forward(projected, Self::float_transpose(weight_hh), bias_hh, hidden)
    }

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
        let [batch, hidden_size] = hidden.shape().dims::<2>();
        if !fused(hidden_size) {
            return super::gru::gru_backward::<Self>(
                grad,
                output,
                gates,
                weight_hh,
                hidden,
                initial_state_grad,
            );
        }
        let (input_deltas, hidden_deltas, hidden_grad) =
            gru::backward(grad, output.clone(), gates, weight_hh, hidden.clone());
        let time = hidden_deltas.shape()[0];
        let weight_grad = recurrent_weight_grad::<Self>(hidden_deltas.clone(), output, hidden);
        let bias_grad = Self::float_reshape(
            Self::float_sum_dim(
                Self::float_reshape(hidden_deltas, Shape::new([time * batch, 3 * hidden_size])),
                0,
            ),
            Shape::new([3 * hidden_size]),
        );
        let hidden_grad = gradient_to_previous::<Self>(
            initial_state_grad,
            &input_deltas,
            [batch, hidden_size],
            || hidden_grad,
        );
        (input_deltas, weight_grad, bias_grad, hidden_grad)
    }
}
