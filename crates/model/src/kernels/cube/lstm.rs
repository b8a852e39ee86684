//! The LSTM recurrence as CubeCL kernels: one launch per layer and window for the whole
//! sequence, forward and backward.
//!
//! Each cube holds one window (a batch row) and runs every time step itself: its threads share
//! the hidden units (thread `u` takes units `u`, `u + threads`, …), the state `h_{t−1}` and `c`
//! lives in shared memory, and a barrier separates the steps. A unit's four gates are its
//! pre-activations `x_t·W_ihᵀ + b` (computed for every step at once, before the kernel) plus
//! `h_{t−1}·W_hhᵀ`, read from `W_hhᵀ` so that neighbouring threads read neighbouring weights.
//! The backward kernel walks the steps back the same way (the equations of
//! [`lstm_backward`](crate::kernels::lstm::lstm_backward)), with `δh_{t−1} = δa_t·W_hh` read
//! from the step's gate deltas in shared memory; `δW_hh` is one matrix product over all steps
//! afterwards.

use burn::backend::TensorMetadata;
use burn::backend::cubecl::dtype_to_storage_type;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::{cube_dim, cubes, empty_like, sigmoid};

/// The forward pass of one window per cube: `output [T + 1, B, H]` (`h_1 … h_T`, then `c_T`),
/// the activated gates `[T, B, 4H]` and the cell states `[T, B, H]`.
#[cube(launch)]
fn lstm_forward_kernel<F: Float>(
    projected: &Tensor<F>,  // [T, B, 4H]
    recurrent: &Tensor<F>,  // W_hhᵀ [H, 4H]
    hidden: &Tensor<F>,     // [B, H]
    cell: &Tensor<F>,       // [B, H]
    output: &mut Tensor<F>, // [T + 1, B, H]
    gates: &mut Tensor<F>,  // [T, B, 4H]
    cells: &mut Tensor<F>,  // [T, B, H]
    #[comptime] hidden_size: u32,
    #[define(F)] _dtype: ElemType,
) {
    let b = CUBE_POS_X as usize;
    let step = CUBE_DIM_X as usize;
    let h_len = hidden_size as usize;
    let width = 4 * h_len;
    let batch = hidden.shape(0);
    let time = projected.shape(0);
    // h_{t−1}, c, h_t
    let mut state = Shared::new_slice(3 * h_len);
    let mut j = UNIT_POS_X as usize;
    while j < h_len {
        state[j] = hidden[b * h_len + j];
        state[h_len + j] = cell[b * h_len + j];
        j += step;
    }
    sync_cube();
    for t in 0..time {
        let row = t * batch + b;
        let mut j = UNIT_POS_X as usize;
        while j < h_len {
            let base = row * width + j;
            let mut a_i = projected[base];
            let mut a_f = projected[base + h_len];
            let mut a_g = projected[base + 2 * h_len];
            let mut a_o = projected[base + 3 * h_len];
            for k in 0..h_len {
                let h = state[k];
                let w = k * width + j;
                a_i += h * recurrent[w];
                a_f += h * recurrent[w + h_len];
                a_g += h * recurrent[w + 2 * h_len];
                a_o += h * recurrent[w + 3 * h_len];
            }
            let i = sigmoid::<F>(a_i);
            let f = sigmoid::<F>(a_f);
            let g = a_g.tanh();
            let o = sigmoid::<F>(a_o);
            let c = f * state[h_len + j] + i * g;
            let h = o * c.tanh();
            state[h_len + j] = c;
            state[2 * h_len + j] = h;
            output[row * h_len + j] = h;
            cells[row * h_len + j] = c;
            gates[base] = i;
            gates[base + h_len] = f;
            gates[base + 2 * h_len] = g;
            gates[base + 3 * h_len] = o;
            j += step;
        }
        sync_cube();
        let mut j = UNIT_POS_X as usize;
        while j < h_len {
            state[j] = state[2 * h_len + j];
            j += step;
        }
        sync_cube();
    }
    let mut j = UNIT_POS_X as usize;
    while j < h_len {
        output[(time * batch + b) * h_len + j] = state[h_len + j];
        j += step;
    }
}

/// The backward pass of one window per cube: the gate pre-activation deltas `[T, B, 4H]`
/// and the gradients of the initial `h` and `c` (`[B, H]` each).
#[cube(launch)]
fn lstm_backward_kernel<F: Float>(
    grad: &Tensor<F>,            // [T + 1, B, H]
    gates: &Tensor<F>,           // [T, B, 4H]
    cells: &Tensor<F>,           // [T, B, H]
    weight_hh: &Tensor<F>,       // [4H, H]
    cell: &Tensor<F>,            // [B, H]
    deltas: &mut Tensor<F>,      // [T, B, 4H]
    hidden_grad: &mut Tensor<F>, // [B, H]
    cell_grad: &mut Tensor<F>,   // [B, H]
    #[comptime] hidden_size: u32,
    #[define(F)] _dtype: ElemType,
) {
    let b = CUBE_POS_X as usize;
    let step = CUBE_DIM_X as usize;
    let h_len = hidden_size as usize;
    let width = 4 * h_len;
    let batch = cell.shape(0);
    let time = gates.shape(0);
    let one = F::new(1.0_f32);
    // δh from step t + 1, δc, the step's four gate deltas
    let mut state = Shared::new_slice(6 * h_len);
    let mut j = UNIT_POS_X as usize;
    while j < h_len {
        state[j] = F::new(0.0_f32);
        state[h_len + j] = grad[(time * batch + b) * h_len + j];
        j += step;
    }
    sync_cube();
    for back in 0..time {
        let t = time - 1 - back;
        let row = t * batch + b;
        let mut j = UNIT_POS_X as usize;
        while j < h_len {
            let base = row * width + j;
            let i = gates[base];
            let f = gates[base + h_len];
            let g = gates[base + 2 * h_len];
            let o = gates[base + 3 * h_len];
            let previous_cell = if t > 0 {
                cells[(row - batch) * h_len + j]
            } else {
                cell[b * h_len + j]
            };
            let dh = grad[row * h_len + j] + state[j];
            let tanh_c = cells[row * h_len + j].tanh();
            let dc = state[h_len + j] + dh * o * (one - tanh_c * tanh_c);
            let d_i = dc * g * i * (one - i);
            let d_f = dc * previous_cell * f * (one - f);
            let d_g = dc * i * (one - g * g);
            let d_o = dh * tanh_c * o * (one - o);
            state[h_len + j] = dc * f;
            state[2 * h_len + j] = d_i;
            state[3 * h_len + j] = d_f;
            state[4 * h_len + j] = d_g;
            state[5 * h_len + j] = d_o;
            deltas[base] = d_i;
            deltas[base + h_len] = d_f;
            deltas[base + 2 * h_len] = d_g;
            deltas[base + 3 * h_len] = d_o;
            j += step;
        }
        sync_cube();
        let mut j = UNIT_POS_X as usize;
        while j < h_len {
            let mut sum = F::new(0.0_f32);
            for r in 0..width {
                sum += state[2 * h_len + r] * weight_hh[r * h_len + j];
            }
            state[j] = sum;
            j += step;
        }
        sync_cube();
    }
    let mut j = UNIT_POS_X as usize;
    while j < h_len {
        hidden_grad[b * h_len + j] = state[j];
        cell_grad[b * h_len + j] = state[h_len + j];
        j += step;
    }
}

/// The forward pass on a CubeCL device: the output `[T + 1, B, H]`, the activated gates and
/// the cell states, as [`lstm_forward`](crate::kernels::lstm::lstm_forward) computes them.
pub fn forward(
    projected: CubeTensor,
    recurrent: CubeTensor,
    hidden: CubeTensor,
    cell: CubeTensor,
) -> (CubeTensor, CubeTensor, CubeTensor) {
    let [time, batch, width] = projected.shape().dims::<3>();
    let hidden_size = width / 4;
    let (projected, recurrent) = (into_contiguous(projected), into_contiguous(recurrent));
    let (hidden, cell) = (into_contiguous(hidden), into_contiguous(cell));
    let output = empty_like(&projected, &[time + 1, batch, hidden_size]);
    let gates = empty_like(&projected, &[time, batch, width]);
    let cells = empty_like(&projected, &[time, batch, hidden_size]);
    if batch > 0 {
        lstm_forward_kernel::launch(
            &projected.client.clone(),
            cubes(batch),
            cube_dim(hidden_size),
            projected.clone().into_tensor_arg(),
            recurrent.into_tensor_arg(),
            hidden.into_tensor_arg(),
            cell.into_tensor_arg(),
            output.clone().into_tensor_arg(),
            gates.clone().into_tensor_arg(),
            cells.clone().into_tensor_arg(),
            hidden_size as u32,
            dtype_to_storage_type(projected.dtype),
        );
    }
    (output, gates, cells)
}

/// The backward pass's per-step part on a CubeCL device: the gate pre-activation deltas
/// `[T, B, 4H]` (the gradient of `projected`) and the gradients of the initial `h` and `c`.
pub fn backward(
    grad: CubeTensor,
    gates: CubeTensor,
    cells: CubeTensor,
    weight_hh: CubeTensor,
    cell: CubeTensor,
) -> (CubeTensor, CubeTensor, CubeTensor) {
    let [time, batch, width] = gates.shape().dims::<3>();
    let hidden_size = width / 4;
    let (grad, gates) = (into_contiguous(grad), into_contiguous(gates));
    let (cells, weight_hh, cell) = (
        into_contiguous(cells),
        into_contiguous(weight_hh),
        into_contiguous(cell),
    );
    let deltas = empty_like(&gates, &[time, batch, width]);
    let hidden_grad = empty_like(&gates, &[batch, hidden_size]);
    let cell_grad = empty_like(&gates, &[batch, hidden_size]);
    if batch > 0 {
        lstm_backward_kernel::launch(
            &gates.client.clone(),
            cubes(batch),
            cube_dim(hidden_size),
            grad.into_tensor_arg(),
            gates.clone().into_tensor_arg(),
            cells.into_tensor_arg(),
            weight_hh.into_tensor_arg(),
            cell.into_tensor_arg(),
            deltas.clone().into_tensor_arg(),
            hidden_grad.clone().into_tensor_arg(),
            cell_grad.clone().into_tensor_arg(),
            hidden_size as u32,
            dtype_to_storage_type(gates.dtype),
        );
    }
    (deltas, hidden_grad, cell_grad)
}

/// The kernels against the composed equations on the same device (any wgpu adapter, Mesa's
/// software one included; skipped, said on stderr, where wgpu finds none).
#[cfg(all(test, feature = "wgpu"))]
mod tests {
    use burn::backend::Dispatch;
    use burn::tensor::{Device, Tensor};

    use super::super::testing::{SHAPES, assert_close, gpu, random, values};
    use crate::kernels::lstm::{lstm_backward, lstm_forward};
    use crate::kernels::ops::RecurrentOps;

    /// The operands of a window of `time` steps, `batch` windows and `hidden` units, with a
    /// non-zero initial state.
    struct Operands {
        projected: Tensor<3>,
        weight_hh: Tensor<2>,
        hidden: Tensor<2>,
        cell: Tensor<2>,
    }

    impl Operands {
        fn random([time, batch, hidden]: [usize; 3], device: &Device) -> Self {
            Self {
                projected: random([time, batch, 4 * hidden], device),
                weight_hh: random([4 * hidden, hidden], device) * 0.5,
                hidden: random([batch, hidden], device),
                cell: random([batch, hidden], device),
            }
        }

        /// The kernel's forward outputs, then the composed equations'.
        fn forwards(&self) -> [[Vec<f32>; 3]; 2] {
            let fused = <Dispatch as RecurrentOps>::lstm_sequence_saving(
                self.projected.clone().into_dispatch(),
                self.weight_hh.clone().into_dispatch(),
                self.hidden.clone().into_dispatch(),
                self.cell.clone().into_dispatch(),
            );
            let composed = lstm_forward::<Dispatch>(
                self.projected.clone().into_dispatch(),
                self.weight_hh.clone().into_dispatch(),
                self.hidden.clone().into_dispatch(),
                self.cell.clone().into_dispatch(),
            );
            [fused, composed].map(|(output, gates, cells)| {
                [
                    values(Tensor::<3>::from_dispatch(output)),
                    values(Tensor::<3>::from_dispatch(gates)),
                    values(Tensor::<3>::from_dispatch(cells)),
                ]
            })
        }
    }

    #[test]
    fn the_forward_kernel_computes_the_composed_equations() {
        let Some(device) = gpu() else { return };
        for shape in SHAPES {
            let [fused, composed] = Operands::random(shape, &device).forwards();
            for ((name, a), b) in ["output", "gates", "cells"].iter().zip(fused).zip(composed) {
                assert_close(&format!("{shape:?} {name}"), a, b);
            }
        }
    }

    #[test]
    fn the_backward_kernel_computes_the_composed_gradients() {
        let Some(device) = gpu() else { return };
        for shape in SHAPES {
            let [time, batch, hidden] = shape;
            let operands = Operands::random(shape, &device);
            let (output, gates, cells) = <Dispatch as RecurrentOps>::lstm_sequence_saving(
                operands.projected.clone().into_dispatch(),
                operands.weight_hh.clone().into_dispatch(),
                operands.hidden.clone().into_dispatch(),
                operands.cell.clone().into_dispatch(),
            );
            let grad = random([time + 1, batch, hidden], &device);
            for initial_state_grad in [true, false] {
                let operand = |tensor: &Tensor<2>| tensor.clone().into_dispatch();
                let fused = <Dispatch as RecurrentOps>::lstm_sequence_backward(
                    grad.clone().into_dispatch(),
                    output.clone(),
                    gates.clone(),
                    cells.clone(),
                    operand(&operands.weight_hh),
                    operand(&operands.hidden),
                    operand(&operands.cell),
                    initial_state_grad,
                );
                let composed = lstm_backward::<Dispatch>(
                    grad.clone().into_dispatch(),
                    output.clone(),
                    gates.clone(),
                    cells.clone(),
                    operand(&operands.weight_hh),
                    operand(&operands.hidden),
                    operand(&operands.cell),
                    initial_state_grad,
                );
                let name = |what: &str| format!("{shape:?} {what} ({initial_state_grad})");
                assert_close(
                    &name("projected"),
                    values(Tensor::<3>::from_dispatch(fused.0)),
                    values(Tensor::<3>::from_dispatch(composed.0)),
                );
                for (what, a, b) in [
                    ("weight_hh", fused.1, composed.1),
                    ("hidden", fused.2, composed.2),
                    ("cell", fused.3, composed.3),
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

    /// `Σ output·weights` on the device: its gradient with respect to `projected` from the
    /// backward kernel against central differences of the forward kernel.
    #[test]
    fn the_kernels_gradients_match_finite_differences() {
        let Some(device) = gpu() else { return };
        let shape = [3, 2, 4];
        let operands = Operands::random(shape, &device);
        let weights = random([4, 2, 4], &device);
        let loss = |projected: Tensor<3>| -> f64 {
            let (output, _, _) = <Dispatch as RecurrentOps>::lstm_sequence_saving(
                projected.into_dispatch(),
                operands.weight_hh.clone().into_dispatch(),
                operands.hidden.clone().into_dispatch(),
                operands.cell.clone().into_dispatch(),
            );
            let output = Tensor::<3>::from_dispatch(output);
            values(output * weights.clone())
                .iter()
                .map(|v| f64::from(*v))
                .sum()
        };
        let (output, gates, cells) = <Dispatch as RecurrentOps>::lstm_sequence_saving(
            operands.projected.clone().into_dispatch(),
            operands.weight_hh.clone().into_dispatch(),
            operands.hidden.clone().into_dispatch(),
            operands.cell.clone().into_dispatch(),
        );
        let (projected_grad, _, _, _) = <Dispatch as RecurrentOps>::lstm_sequence_backward(
            weights.clone().into_dispatch(),
            output,
            gates,
            cells,
            operands.weight_hh.clone().into_dispatch(),
            operands.hidden.clone().into_dispatch(),
            operands.cell.clone().into_dispatch(),
            true,
        );
        let analytic = values(Tensor::<3>::from_dispatch(projected_grad));
        let base = values(operands.projected.clone());
        let epsilon = 1e-2f32;
        for index in [0, 5, 17, 30, 47, 63, 80, 95] {
            let nudged = |delta: f32| {
                let mut data = base.clone();
                data[index] += delta;
                Tensor::<3>::from_data(burn::tensor::TensorData::new(data, [3, 2, 16]), &device)
            };
            let numeric =
                (loss(nudged(epsilon)) - loss(nudged(-epsilon))) / (2.0 * f64::from(epsilon));
            let g = f64::from(analytic[index]);
            assert!(
                (g - numeric).abs() <= 2e-3 + 2e-2 * g.abs(),
                "projected[{index}]: kernel {g}, finite differences {numeric}"
            );
        }
    }
}
