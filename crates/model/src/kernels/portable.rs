//! [`RecurrentOps`] for the backends without kernels of their own (wgpu's `Cube`, `ndarray`):
//! every cell's equations composed from the backend's tensor operations.

use burn::backend::tensor::FloatTensor;

use super::ops::RecurrentOps;
use super::{gru, lstm, projection, rnn};

/// Implements [`RecurrentOps`] for each listed backend (behind its cargo feature) with the
/// composed equations of [`lstm`], [`gru`], [`rnn`] and [`projection`].
macro_rules! composed_recurrent_ops {
    ($($backend:ty: $feature:literal),* $(,)?) => {$(
        #[cfg(feature = $feature)]
        impl RecurrentOps for $backend {
            fn lstm_sequence(
                projected: FloatTensor<Self>,
                weight_hh: FloatTensor<Self>,
                hidden: FloatTensor<Self>,
                cell: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                lstm::lstm_forward::<Self>(projected, weight_hh, hidden, cell).0
            }

            fn lstm_sequence_saving(
                projected: FloatTensor<Self>,
                weight_hh: FloatTensor<Self>,
                hidden: FloatTensor<Self>,
                cell: FloatTensor<Self>,
            ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
                lstm::lstm_forward::<Self>(projected, weight_hh, hidden, cell)
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
            ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
                lstm::lstm_backward::<Self>(
                    grad, output, gates, cells, weight_hh, hidden, cell, initial_state_grad,
                )
            }

            fn input_projection(
                input: FloatTensor<Self>,
                weight: FloatTensor<Self>,
                bias: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                projection::composed::<Self>(input, weight, bias)
            }

            fn rnn_sequence(
                projected: FloatTensor<Self>,
                weight_hh: FloatTensor<Self>,
                hidden: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                rnn::rnn_forward::<Self>(projected, weight_hh, hidden)
            }

            fn rnn_sequence_backward(
                grad: FloatTensor<Self>,
                output: FloatTensor<Self>,
                weight_hh: FloatTensor<Self>,
                hidden: FloatTensor<Self>,
                initial_state_grad: bool,
            ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
                rnn::rnn_backward::<Self>(grad, output, weight_hh, hidden, initial_state_grad)
            }

            fn gru_sequence(
                projected: FloatTensor<Self>,
                weight_hh: FloatTensor<Self>,
                bias_hh: FloatTensor<Self>,
                hidden: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                gru::gru_forward::<Self>(projected, weight_hh, bias_hh, hidden).0
            }

            fn gru_sequence_saving(
                projected: FloatTensor<Self>,
                weight_hh: FloatTensor<Self>,
                bias_hh: FloatTensor<Self>,
                hidden: FloatTensor<Self>,
            ) -> (FloatTensor<Self>, FloatTensor<Self>) {
                gru::gru_forward::<Self>(projected, weight_hh, bias_hh, hidden)
            }

            fn gru_sequence_backward(
                grad: FloatTensor<Self>,
                output: FloatTensor<Self>,
                gates: FloatTensor<Self>,
                weight_hh: FloatTensor<Self>,
                hidden: FloatTensor<Self>,
                initial_state_grad: bool,
            ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
                gru::gru_backward::<Self>(grad, output, gates, weight_hh, hidden, initial_state_grad)
            }
        }
    )*};
}

composed_recurrent_ops!(
    burn::backend::Cube: "wgpu",
    burn::backend::NdArray: "ndarray",
);
