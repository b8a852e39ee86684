//! The tanh RNN's recurrence as CubeCL kernels (the equations of [`crate::kernels::rnn`]): one
//! launch per layer and window forward, `h_t = tanh(x_t + h_{t−1}·W_hhᵀ)`, and one backward,
//! `δa_t = δh ⊙ (1 − h_t²)` and `δh_{t−1} = δa_t·W_hh`; one cube per window (see
//! [`super`]).

use burn::backend::TensorMetadata;
use burn::backend::cubecl::dtype_to_storage_type;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::{cube_dim, cubes, empty_like};

/// The forward pass of one window per cube: `output [T, B, H]`, `h_1 … h_T`.
#[cube(launch)]
fn rnn_forward_kernel<F: Float>(
    projected: &Tensor<F>,  // [T, B, H]
    recurrent: &Tensor<F>,  // W_hhᵀ [H, H]
    hidden: &Tensor<F>,     // [B, H]
    output: &mut Tensor<F>, // [T, B, H]
    #[comptime] hidden_size: u32,
    #[define(F)] _dtype: ElemType,
) {
    let b = CUBE_POS_X as usize;
    let step = CUBE_DIM_X as usize;
    let h_len = hidden_size as usize;
    let batch = hidden.shape(0);
    let time = projected.shape(0);
    // h_{t−1}, h_t
    let mut state = Shared::new_slice(2 * h_len);
    let mut j = UNIT_POS_X as usize;
    while j < h_len {
        state[j] = hidden[b * h_len + j];
        j += step;
    }
    sync_cube();
    for t in 0..time {
        let row = (t * batch + b) * h_len;
        let mut j = UNIT_POS_X as usize;
        while j < h_len {
            let mut a = projected[row + j];
            for k in 0..h_len {
                a += state[k] * recurrent[k * h_len + j];
            }
            let h = a.tanh();
            state[h_len + j] = h;
            output[row + j] = h;
            j += step;
        }
        sync_cube();
        let mut j = UNIT_POS_X as usize;
        while j < h_len {
            state[j] = state[h_len + j];
            j += step;
        }
        sync_cube();
    }
}

/// The backward pass of one window per cube: the deltas `[T, B, H]` (the gradient of
/// `projected`) and the gradient of the initial `h` `[B, H]`.
#[cube(launch)]
fn rnn_backward_kernel<F: Float>(
    grad: &Tensor<F>,            // [T, B, H]
    output: &Tensor<F>,          // [T, B, H]
    weight_hh: &Tensor<F>,       // [H, H]
    deltas: &mut Tensor<F>,      // [T, B, H]
    hidden_grad: &mut Tensor<F>, // [B, H]
    #[comptime] hidden_size: u32,
    #[define(F)] _dtype: ElemType,
) {
    let b = CUBE_POS_X as usize;
    let step = CUBE_DIM_X as usize;
    let h_len = hidden_size as usize;
    let batch = hidden_grad.shape(0);
    let time = output.shape(0);
    let one = F::new(1.0_f32);
    // δh from step t + 1, the step's deltas
    let mut state = Shared::new_slice(2 * h_len);
    let mut j = UNIT_POS_X as usize;
    while j < h_len {
        state[j] = F::new(0.0_f32);
        j += step;
    }
    sync_cube();
    for back in 0..time {
        let row = ((time - 1 - back) * batch + b) * h_len;
        let mut j = UNIT_POS_X as usize;
        while j < h_len {
            let h = output[row + j];
            let delta = (grad[row + j] + state[j]) * (one - h * h);
            state[h_len + j] = delta;
            deltas[row + j] = delta;
            j += step;
        }
        sync_cube();
        let mut j = UNIT_POS_X as usize;
        while j < h_len {
            let mut sum = F::new(0.0_f32);
            for r in 0..h_len {
                sum += state[h_len + r] * weight_hh[r * h_len + j];
            }
            state[j] = sum;
            j += step;
        }
        sync_cube();
    }
    let mut j = UNIT_POS_X as usize;
    while j < h_len {
        hidden_grad[b * h_len + j] = state[j];
        j += step;
    }
}

/// The forward pass on a CubeCL device, as [`rnn_forward`](crate::kernels::rnn::rnn_forward)
/// computes it, from `recurrent = W_hhᵀ`.
pub fn forward(projected: CubeTensor, recurrent: CubeTensor, hidden: CubeTensor) -> CubeTensor {
    let [time, batch, hidden_size] = projected.shape().dims::<3>();
    let (projected, recurrent) = (into_contiguous(projected), into_contiguous(recurrent));
    let hidden = into_contiguous(hidden);
    let output = empty_like(&projected, &[time, batch, hidden_size]);
    if batch > 0 {
        rnn_forward_kernel::launch(
            &projected.client.clone(),
            cubes(batch),
            cube_dim(hidden_size),
            projected.clone().into_tensor_arg(),
            recurrent.into_tensor_arg(),
            hidden.into_tensor_arg(),
            output.clone().into_tensor_arg(),
            hidden_size as u32,
            dtype_to_storage_type(projected.dtype),
        );
    }
    output
}

/// The backward pass's per-step part on a CubeCL device: the deltas `[T, B, H]` and the
/// gradient of the initial `h`.
pub fn backward(
    grad: CubeTensor,
    output: CubeTensor,
    weight_hh: CubeTensor,
) -> (CubeTensor, CubeTensor) {
    let [time, batch, hidden_size] = output.shape().dims::<3>();
    let (grad, output) = (into_contiguous(grad), into_contiguous(output));
    let weight_hh = into_contiguous(weight_hh);
    let deltas = empty_like(&output, &[time, batch, hidden_size]);
    let hidden_grad = empty_like(&output, &[batch, hidden_size]);
    if batch > 0 {
        rnn_backward_kernel::launch(
            &output.client.clone(),
            cubes(batch),
            cube_dim(hidden_size),
            grad.into_tensor_arg(),
            output.clone().into_tensor_arg(),
            weight_hh.into_tensor_arg(),
            deltas.clone().into_tensor_arg(),
            hidden_grad.clone().into_tensor_arg(),
            hidden_size as u32,
            dtype_to_storage_type(output.dtype),
        );
    }
    (deltas, hidden_grad)
}

/// The kernels against the composed equations on the same device.
#[cfg(all(test, feature = "wgpu"))]
mod tests {
    use burn::backend::Dispatch;
    use burn::tensor::Tensor;

    use super::super::testing::{SHAPES, assert_close, gpu, random, values};
    use crate::kernels::ops::RecurrentOps;
    use crate::kernels::rnn::{rnn_backward, rnn_forward};

    #[test]
    fn the_rnn_kernels_compute_the_composed_equations() {
        let Some(device) = gpu() else { return };
        for [time, batch, hidden] in SHAPES {
            let projected = random([time, batch, hidden], &device);
            let weight_hh = random([hidden, hidden], &device) * 0.5;
            let initial = random([batch, hidden], &device);
            let forward = |composed: bool| {
                let args = (
                    projected.clone().into_dispatch(),
                    weight_hh.clone().into_dispatch(),
                    initial.clone().into_dispatch(),
                );
                match composed {
                    false => <Dispatch as RecurrentOps>::rnn_sequence(args.0, args.1, args.2),
                    true => rnn_forward::<Dispatch>(args.0, args.1, args.2),
                }
            };
            let (output, reference) = (forward(false), forward(true));
            let shape = [time, batch, hidden];
            assert_close(
                &format!("{shape:?} output"),
                values(Tensor::<3>::from_dispatch(output.clone())),
                values(Tensor::<3>::from_dispatch(reference)),
            );
            let grad = random([time, batch, hidden], &device);
            for initial_state_grad in [true, false] {
                let backward = |composed: bool| {
                    let args = (
                        grad.clone().into_dispatch(),
                        output.clone(),
                        weight_hh.clone().into_dispatch(),
                        initial.clone().into_dispatch(),
                    );
                    match composed {
                        false => <Dispatch as RecurrentOps>::rnn_sequence_backward(
                            args.0,
                            args.1,
                            args.2,
                            args.3,
                            initial_state_grad,
                        ),
                        true => rnn_backward::<Dispatch>(
                            args.0,
                            args.1,
                            args.2,
                            args.3,
                            initial_state_grad,
                        ),
                    }
                };
                let (kernel, composed) = (backward(false), backward(true));
                let name = |what: &str| format!("{shape:?} {what} ({initial_state_grad})");
                assert_close(
                    &name("projected"),
                    values(Tensor::<3>::from_dispatch(kernel.0)),
                    values(Tensor::<3>::from_dispatch(composed.0)),
                );
                for (what, a, b) in [
                    ("weight_hh", kernel.1, composed.1),
                    ("hidden", kernel.2, composed.2),
                ] {
                    assert_close(
                        &name(what),
                        values(Tensor::<2>::from_dispatch(a)),
                        values(Tensor::<2>::from_dispatch(b)),
                    );
                }
            }
        }
    }
}
