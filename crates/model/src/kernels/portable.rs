//! [`RecurrentOps`] for the backends without kernels of their own (`ndarray`): every cell's
//! equations composed from the backend's tensor operations.

/// The methods of [`RecurrentOps`](super::ops::RecurrentOps) that save for a backward pass and
/// the backward passes themselves, as the composed equations: part of the portable backends'
/// implementation, and the autodiff decorator's (whose nodes call them on the inner backend).
/// Where it is invoked, `FloatTensor` must name `burn::backend::tensor::FloatTensor`.
macro_rules! composed_saving_and_backward {
    () => {
        fn lstm_sequence_saving(
            projected: FloatTensor<Self>,
            weight_hh: FloatTensor<Self>,
            hidden: FloatTensor<Self>,
            cell: FloatTensor<Self>,
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
            $crate::kernels::lstm::lstm_forward::<Self>(projected, weight_hh, hidden, cell)
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
            $crate::kernels::lstm::lstm_backward::<Self>(
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

        fn rnn_sequence_backward(
            grad: FloatTensor<Self>,
            output: FloatTensor<Self>,
            weight_hh: FloatTensor<Self>,
            hidden: FloatTensor<Self>,
            initial_state_grad: bool,
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
            $crate::kernels::rnn::rnn_backward::<Self>(
                grad,
                output,
                weight_hh,
                hidden,
                initial_state_grad,
            )
        }

        fn gru_sequence_saving(
            projected: FloatTensor<Self>,
            weight_hh: FloatTensor<Self>,
            bias_hh: FloatTensor<Self>,
            hidden: FloatTensor<Self>,
        ) -> (FloatTensor<Self>, FloatTensor<Self>) {
            $crate::kernels::gru::gru_forward::<Self>(projected, weight_hh, bias_hh, hidden)
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
            $crate::kernels::gru::gru_backward::<Self>(
                grad,
                output,
                gates,
                weight_hh,
                hidden,
                initial_state_grad,
            )
        }
    };
}
pub(crate) use composed_saving_and_backward;

/// Implements [`RecurrentOps`](super::ops::RecurrentOps) for each listed backend (behind its
/// cargo feature) with the composed equations of every cell and of the input projection.
#[cfg(feature = "ndarray")]
use burn::backend::tensor::FloatTensor;

#[cfg(feature = "ndarray")]
macro_rules! composed_recurrent_ops {
    ($($backend:ty: $cfg:meta),* $(,)?) => {$(
        #[cfg($cfg)]
        impl $crate::kernels::ops::RecurrentOps for $backend {
            fn lstm_sequence(
                projected: FloatTensor<Self>,
                weight_hh: FloatTensor<Self>,
                hidden: FloatTensor<Self>,
                cell: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                $crate::kernels::lstm::lstm_forward::<Self>(projected, weight_hh, hidden, cell).0
            }

            fn input_projection(
                input: FloatTensor<Self>,
                weight: FloatTensor<Self>,
                bias: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                $crate::kernels::projection::composed::<Self>(input, weight, bias)
            }

            fn rnn_sequence(
                projected: FloatTensor<Self>,
                weight_hh: FloatTensor<Self>,
                hidden: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                $crate::kernels::rnn::rnn_forward::<Self>(projected, weight_hh, hidden)
            }

            fn gru_sequence(
                projected: FloatTensor<Self>,
                weight_hh: FloatTensor<Self>,
                bias_hh: FloatTensor<Self>,
                hidden: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                $crate::kernels::gru::gru_forward::<Self>(projected, weight_hh, bias_hh, hidden).0
            }

            composed_saving_and_backward!();
        }
    )*};
}

#[cfg(feature = "ndarray")]
composed_recurrent_ops!(burn::backend::NdArray: feature = "ndarray");
