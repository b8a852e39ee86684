//! The fused recurrent kernels of the `flex` CPU backend: [`RecurrentOps`] for `Flex`, each
//! cell's kernel in its own file (`lstm.rs`, `gru.rs`, `rnn.rs`), sharing the blocks of windows per
//! thread (`blocks.rs`), the element types and widest-vector builds (`float.rs`), the products
//! (`gemm`) and the vectorised activations ([`activations`]). `f32` uses the vectorised
//! activations of `fast`; `f64` the standard library's `exp` and `tanh`; other dtypes run
//! the composed equations.

pub mod activations;
mod blocks;
mod float;
mod gemm;
mod gru;
mod lstm;
mod projection;
mod rnn;
#[cfg(test)]
mod test_support;

use burn::backend::tensor::FloatTensor;
use burn::backend::{DType, Flex};

use crate::kernels::RecurrentOps;
use crate::kernels::{gru as gru_equations, lstm as lstm_equations, rnn as rnn_equations};

impl RecurrentOps for Flex {
    fn lstm_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        // forward only: no cell states kept for a backward pass
        match projected.dtype() {
            DType::F32 => lstm::forward_tensors::<f32>(projected, weight_hh, hidden, cell, false).0,
            DType::F64 => lstm::forward_tensors::<f64>(projected, weight_hh, hidden, cell, false).0,
            _ => lstm_equations::lstm_forward::<Self>(projected, weight_hh, hidden, cell).0,
        }
    }

    fn lstm_sequence_saving(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        match projected.dtype() {
            DType::F32 => {
                let (output, gates, cells) =
                    lstm::forward_tensors::<f32>(projected, weight_hh, hidden, cell, true);
                (output, gates, cells.expect("saved"))
            }
            DType::F64 => {
                let (output, gates, cells) =
                    lstm::forward_tensors::<f64>(projected, weight_hh, hidden, cell, true);
                (output, gates, cells.expect("saved"))
            }
            _ => lstm_equations::lstm_forward::<Self>(projected, weight_hh, hidden, cell),
        }
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
        let dtype = grad.dtype();
        let tensors = [grad, output, gates, cells, weight_hh, hidden, cell];
        match dtype {
            DType::F32 => lstm::backward_tensors::<f32>(tensors, initial_state_grad),
            DType::F64 => lstm::backward_tensors::<f64>(tensors, initial_state_grad),
            _ => {
                let [grad, output, gates, cells, weight_hh, hidden, cell] = tensors;
                lstm_equations::lstm_backward::<Self>(
                    grad,
                    output,
                    gates,
                    cells,
                    weight_hh,
                    hidden,
                    cell,
                    initial_state_grad,
                )
            }
        }
    }

    fn gru_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        bias_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match projected.dtype() {
            DType::F32 => {
                gru::forward_tensors::<f32>(projected, weight_hh, bias_hh, hidden, false).0
            }
            DType::F64 => {
                gru::forward_tensors::<f64>(projected, weight_hh, bias_hh, hidden, false).0
            }
            _ => gru_equations::gru_forward::<Self>(projected, weight_hh, bias_hh, hidden).0,
        }
    }

    fn gru_sequence_saving(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        bias_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        match projected.dtype() {
            DType::F32 => gru::forward_tensors::<f32>(projected, weight_hh, bias_hh, hidden, true),
            DType::F64 => gru::forward_tensors::<f64>(projected, weight_hh, bias_hh, hidden, true),
            _ => gru_equations::gru_forward::<Self>(projected, weight_hh, bias_hh, hidden),
        }
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
        let tensors = [grad, output, gates, weight_hh, hidden];
        match tensors[0].dtype() {
            DType::F32 => gru::backward_tensors::<f32>(tensors, initial_state_grad),
            DType::F64 => gru::backward_tensors::<f64>(tensors, initial_state_grad),
            _ => {
                let [grad, output, gates, weight_hh, hidden] = tensors;
                gru_equations::gru_backward::<Self>(
                    grad,
                    output,
                    gates,
                    weight_hh,
                    hidden,
                    initial_state_grad,
                )
            }
        }
    }

    fn rnn_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match projected.dtype() {
            DType::F32 => rnn::forward_tensors::<f32>(projected, weight_hh, hidden),
            DType::F64 => rnn::forward_tensors::<f64>(projected, weight_hh, hidden),
            _ => rnn_equations::rnn_forward::<Self>(projected, weight_hh, hidden),
        }
    }

    fn rnn_sequence_backward(
        grad: FloatTensor<Self>,
        output: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        initial_state_grad: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let tensors = [grad, output, weight_hh, hidden];
        match tensors[0].dtype() {
            DType::F32 => rnn::backward_tensors::<f32>(tensors, initial_state_grad),
            DType::F64 => rnn::backward_tensors::<f64>(tensors, initial_state_grad),
            _ => {
                let [grad, output, weight_hh, hidden] = tensors;
                rnn_equations::rnn_backward::<Self>(
                    grad,
                    output,
                    weight_hh,
                    hidden,
                    initial_state_grad,
                )
            }
        }
    }

    fn input_projection(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match input.dtype() {
            DType::F32 => projection::project::<f32>(input, weight, bias),
            DType::F64 => projection::project::<f64>(input, weight, bias),
            _ => crate::kernels::projection::composed::<Self>(input, weight, bias),
        }
    }
}
