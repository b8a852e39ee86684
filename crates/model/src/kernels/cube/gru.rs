//! The GRU's recurrence as CubeCL kernels (PyTorch's equations, as in
//! [`crate::kernels::gru`]): one launch per layer and window forward and one backward, one cube
//! per window (see [`super`]). The forward pass saves `[r, z, n, hp_n]` per step as the
//! composed one does; the backward pass returns the projected input's deltas
//! `[δa_r, δa_z, δa_n]` and the hidden part's `[δa_r, δa_z, δa_n ⊙ r]`, from which `δW_hh` and
//! `δb_hh` are sums over all steps.

use burn::backend::TensorMetadata;
use burn::backend::cubecl::dtype_to_storage_type;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::{cube_dim, cubes, empty_like, sigmoid};

/// The forward pass of one window per cube: `output [T, B, H]` and the saved `[T, B, 4H]`.
#[cube(launch)]
fn gru_forward_kernel<F: Float>(
    projected: &Tensor<F>,  // [T, B, 3H]
    recurrent: &Tensor<F>,  // W_hhᵀ [H, 3H]
    bias_hh: &Tensor<F>,    // [3H]
    hidden: &Tensor<F>,     // [B, H]
    output: &mut Tensor<F>, // [T, B, H]
    saved: &mut Tensor<F>,  // [T, B, 4H]
    #[comptime] hidden_size: u32,
    #[define(F)] _dtype: ElemType,
) {
    let b = CUBE_POS_X as usize;
    let step = CUBE_DIM_X as usize;
    let h_len = hidden_size as usize;
    let width = 3 * h_len;
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
        let row = t * batch + b;
        let mut j = UNIT_POS_X as usize;
        while j < h_len {
            let mut hp_r = bias_hh[j];
            let mut hp_z = bias_hh[h_len + j];
            let mut hp_n = bias_hh[2 * h_len + j];
            for k in 0..h_len {
                let h = state[k];
                let w = k * width + j;
                hp_r += h * recurrent[w];
                hp_z += h * recurrent[w + h_len];
                hp_n += h * recurrent[w + 2 * h_len];
            }
            let x = row * width + j;
            let r = sigmoid::<F>(projected[x] + hp_r);
            let z = sigmoid::<F>(projected[x + h_len] + hp_z);
            let n = (projected[x + 2 * h_len] + r * hp_n).tanh();
            let h = n + z * (state[j] - n);
            state[h_len + j] = h;
            output[row * h_len + j] = h;
            let kept = row * 4 * h_len + j;
            saved[kept] = r;
            saved[kept + h_len] = z;
            saved[kept + 2 * h_len] = n;
            saved[kept + 3 * h_len] = hp_n;
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

/// The backward pass of one window per cube: the projected input's deltas `[T, B, 3H]`, the
/// hidden part's `[T, B, 3H]` and the gradient of the initial `h` `[B, H]`.
#[cube(launch)]
fn gru_backward_kernel<F: Float>(
    grad: &Tensor<F>,              // [T, B, H]
    output: &Tensor<F>,            // [T, B, H]
    saved: &Tensor<F>,             // [T, B, 4H]
    weight_hh: &Tensor<F>,         // [3H, H]
    hidden: &Tensor<F>,            // [B, H]
    input_deltas: &mut Tensor<F>,  // [T, B, 3H]
    hidden_deltas: &mut Tensor<F>, // [T, B, 3H]
    hidden_grad: &mut Tensor<F>,   // [B, H]
    #[comptime] hidden_size: u32,
    #[define(F)] _dtype: ElemType,
) {
    let b = CUBE_POS_X as usize;
    let step = CUBE_DIM_X as usize;
    let h_len = hidden_size as usize;
    let width = 3 * h_len;
    let batch = hidden.shape(0);
    let time = output.shape(0);
    let one = F::new(1.0_f32);
    // δh from step t + 1, δh ⊙ z, the step's hidden-part deltas
    let mut state = Shared::new_slice(5 * h_len);
    let mut j = UNIT_POS_X as usize;
    while j < h_len {
        state[j] = F::new(0.0_f32);
        j += step;
    }
    sync_cube();
    for back in 0..time {
        let t = time - 1 - back;
        let row = t * batch + b;
        let mut j = UNIT_POS_X as usize;
        while j < h_len {
            let kept = row * 4 * h_len + j;
            let r = saved[kept];
            let z = saved[kept + h_len];
            let n = saved[kept + 2 * h_len];
            let hp_n = saved[kept + 3 * h_len];
            let previous = if t > 0 {
                output[(row - batch) * h_len + j]
            } else {
                hidden[b * h_len + j]
            };
            let dh = grad[row * h_len + j] + state[j];
            let d_n = dh * (one - z) * (one - n * n);
            let d_z = dh * (previous - n) * z * (one - z);
            let d_r = d_n * hp_n * r * (one - r);
            state[h_len + j] = dh * z;
            state[2 * h_len + j] = d_r;
            state[3 * h_len + j] = d_z;
            state[4 * h_len + j] = d_n * r;
            let x = row * width + j;
            input_deltas[x] = d_r;
            input_deltas[x + h_len] = d_z;
            input_deltas[x + 2 * h_len] = d_n;
            hidden_deltas[x] = d_r;
            hidden_deltas[x + h_len] = d_z;
            hidden_deltas[x + 2 * h_len] = d_n * r;
            j += step;
        }
        sync_cube();
        let mut j = UNIT_POS_X as usize;
        while j < h_len {
            let mut sum = state[h_len + j];
            for q in 0..width {
                sum += state[2 * h_len + q] * weight_hh[q * h_len + j];
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

/// The forward pass on a CubeCL device, as [`gru_forward`](crate::kernels::gru::gru_forward)
/// computes it, from `recurrent = W_hhᵀ`: the output and the saved gates.
pub fn forward(
    projected: CubeTensor,
    recurrent: CubeTensor,
    bias_hh: CubeTensor,
    hidden: CubeTensor,
) -> (CubeTensor, CubeTensor) {
    let [time, batch, width] = projected.shape().dims::<3>();
    let hidden_size = width / 3;
    let (projected, recurrent) = (into_contiguous(projected), into_contiguous(recurrent));
    let (bias_hh, hidden) = (into_contiguous(bias_hh), into_contiguous(hidden));
    let output = empty_like(&projected, &[time, batch, hidden_size]);
    let saved = empty_like(&projected, &[time, batch, 4 * hidden_size]);
    if batch > 0 {
        gru_forward_kernel::launch(
            &projected.client.clone(),
            cubes(batch),
            cube_dim(hidden_size),
            projected.clone().into_tensor_arg(),
            recurrent.into_tensor_arg(),
            bias_hh.into_tensor_arg(),
            hidden.into_tensor_arg(),
            output.clone().into_tensor_arg(),
            saved.clone().into_tensor_arg(),
            hidden_size as u32,
            dtype_to_storage_type(projected.dtype),
        );
    }
    (output, saved)
}

/// The backward pass's per-step part on a CubeCL device: the projected input's deltas, the
/// hidden part's and the gradient of the initial `h`.
pub fn backward(
    grad: CubeTensor,
    output: CubeTensor,
    saved: CubeTensor,
    weight_hh: CubeTensor,
    hidden: CubeTensor,
) -> (CubeTensor, CubeTensor, CubeTensor) {
    let [time, batch, hidden_size] = output.shape().dims::<3>();
    let (grad, output, saved) = (
        into_contiguous(grad),
        into_contiguous(output),
        into_contiguous(saved),
    );
    let (weight_hh, hidden) = (into_contiguous(weight_hh), into_contiguous(hidden));
    let input_deltas = empty_like(&output, &[time, batch, 3 * hidden_size]);
    let hidden_deltas = empty_like(&output, &[time, batch, 3 * hidden_size]);
    let hidden_grad = empty_like(&output, &[batch, hidden_size]);
    if batch > 0 {
        gru_backward_kernel::launch(
            &output.client.clone(),
            cubes(batch),
            cube_dim(hidden_size),
            grad.into_tensor_arg(),
            output.clone().into_tensor_arg(),
            saved.into_tensor_arg(),
            weight_hh.into_tensor_arg(),
            hidden.into_tensor_arg(),
            input_deltas.clone().into_tensor_arg(),
            hidden_deltas.clone().into_tensor_arg(),
            hidden_grad.clone().into_tensor_arg(),
            hidden_size as u32,
            dtype_to_storage_type(output.dtype),
        );
    }
    (input_deltas, hidden_deltas, hidden_grad)
}

/// The kernels against the composed equations on the same device.
#[cfg(all(test, feature = "wgpu"))]
mod tests {
    use burn::backend::Dispatch;
    use burn::tensor::Tensor;

    use super::super::testing::{SHAPES, assert_close, gpu, random, values};
    use crate::kernels::gru::{gru_backward, gru_forward};
    use crate::kernels::ops::RecurrentOps;

    #[test]
    fn the_gru_kernels_compute_the_composed_equations() {
        let Some(device) = gpu() else { return };
        for [time, batch, hidden] in SHAPES {
            let shape = [time, batch, hidden];
            let projected = random([time, batch, 3 * hidden], &device);
            let weight_hh = random([3 * hidden, hidden], &device) * 0.5;
            let bias_hh = random([3 * hidden], &device);
            let initial = random([batch, hidden], &device);
            let forward = |composed: bool| {
                let args = (
                    projected.clone().into_dispatch(),
                    weight_hh.clone().into_dispatch(),
                    bias_hh.clone().into_dispatch(),
                    initial.clone().into_dispatch(),
                );
                match composed {
                    false => <Dispatch as RecurrentOps>::gru_sequence_saving(
                        args.0, args.1, args.2, args.3,
                    ),
                    true => gru_forward::<Dispatch>(args.0, args.1, args.2, args.3),
                }
            };
            let ((output, saved), reference) = (forward(false), forward(true));
            for (what, a, b) in [
                ("output", output.clone(), reference.0),
                ("saved", saved.clone(), reference.1),
            ] {
                assert_close(
                    &format!("{shape:?} {what}"),
                    values(Tensor::<3>::from_dispatch(a)),
                    values(Tensor::<3>::from_dispatch(b)),
                );
            }
            let grad = random([time, batch, hidden], &device);
            for initial_state_grad in [true, false] {
                let backward = |composed: bool| {
                    let args = (
                        grad.clone().into_dispatch(),
                        output.clone(),
                        saved.clone(),
                        weight_hh.clone().into_dispatch(),
                        initial.clone().into_dispatch(),
                    );
                    match composed {
                        false => <Dispatch as RecurrentOps>::gru_sequence_backward(
                            args.0,
                            args.1,
                            args.2,
                            args.3,
                            args.4,
                            initial_state_grad,
                        ),
                        true => gru_backward::<Dispatch>(
                            args.0,
                            args.1,
                            args.2,
                            args.3,
                            args.4,
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
                assert_close(
                    &name("weight_hh"),
                    values(Tensor::<2>::from_dispatch(kernel.1)),
                    values(Tensor::<2>::from_dispatch(composed.1)),
                );
                assert_close(
                    &name("bias_hh"),
                    values(Tensor::<1>::from_dispatch(kernel.2)),
                    values(Tensor::<1>::from_dispatch(composed.2)),
                );
                assert_close(
                    &name("hidden"),
                    values(Tensor::<2>::from_dispatch(kernel.3)),
                    values(Tensor::<2>::from_dispatch(composed.3)),
                );
            }
        }
    }
}
