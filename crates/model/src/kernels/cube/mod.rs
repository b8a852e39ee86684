//! [`RecurrentOps`] on CubeCL's backend (the `wgpu` and `cuda` features): the LSTM's whole
//! recurrence as one kernel launch forward and one backward ([`lstm`]), for layers of up to
//! [`lstm::MAX_KERNEL_HIDDEN`] units; wider LSTMs, the GRU, the RNN and the input projection
//! run the composed equations.

pub mod lstm;

use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Cube, TensorMetadata};

use super::composed::{gradient_to_previous, recurrent_weight_grad};
use super::ops::RecurrentOps;

/// Whether an LSTM of `hidden` units runs the kernels.
fn fused(hidden: usize) -> bool {
    hidden <= lstm::MAX_KERNEL_HIDDEN
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
        super::rnn::rnn_forward::<Self>(projected, weight_hh, hidden)
    }

    fn rnn_sequence_backward(
        grad: FloatTensor<Self>,
        output: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        initial_state_grad: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        super::rnn::rnn_backward::<Self>(grad, output, weight_hh, hidden, initial_state_grad)
    }

    fn gru_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        bias_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        super::gru::gru_forward::<Self>(projected, weight_hh, bias_hh, hidden).0
    }

    fn gru_sequence_saving(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        bias_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        super::gru::gru_forward::<Self>(projected, weight_hh, bias_hh, hidden)
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
        super::gru::gru_backward::<Self>(grad, output, gates, weight_hh, hidden, initial_state_grad)
    }
}
