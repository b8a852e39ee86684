//! The input projection of a recurrent layer, `x·W_ihᵀ + b` for every step of a window at
//! once, as one operation: composed from any backend's operations, and on `flex` one product
//! written straight into a buffer that starts as the bias. (Burn's own matmul on `flex`
//! allocates its output zeroed and then copies it once more to align it: three passes over the
//! largest tensor of a recurrent layer, before the product.)
//!
//! Backward, with `δ [N, G]`: `δinput = δ·W`, `δW = δᵀ·input`, `δb = Σ_rows δ`.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, Shape, TensorMetadata};
use burn::tensor::Tensor;

use super::ops::RecurrentOps;

/// `input [N, F]·weightᵀ + bias`, `[N, G]`, on any backend; differentiable on autodiff devices.
///
/// # Panics
/// When `weight` is not `[G, F]` or `bias` not `[G]`.
pub fn input_projection(input: Tensor<2>, weight: Tensor<2>, bias: Tensor<1>) -> Tensor<2> {
    let ([_, features], [gates, weight_features], [bias_len]) =
        (input.dims(), weight.dims(), bias.dims());
    assert!(
        weight_features == features && bias_len == gates,
        "input_projection: input {:?}, weight {:?} (expected [G, {features}]), bias {:?} \
         (expected [{gates}])",
        input.dims(),
        weight.dims(),
        bias.dims()
    );
    Tensor::<2>::from_dispatch(<Dispatch as RecurrentOps>::input_projection(
        input.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
    ))
}

/// The projection composed from `B`'s operations.
pub fn composed<B: Backend>(
    input: FloatTensor<B>,
    weight: FloatTensor<B>,
    bias: FloatTensor<B>,
) -> FloatTensor<B> {
    let rows = input.shape()[0];
    let gates = weight.shape()[0];
    let product = B::float_matmul(input, B::float_transpose(weight));
    let bias = B::float_expand(
        B::float_reshape(bias, Shape::new([1, gates])),
        Shape::new([rows, gates]),
    );
    B::float_add(product, bias)
}

/// The gradients of `input`, `weight` and `bias` from the output's `grad [N, G]`.
pub fn backward<B: Backend>(
    grad: FloatTensor<B>,
    input: FloatTensor<B>,
    weight: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>) {
    let gates = weight.shape()[0];
    let input_grad = B::float_matmul(grad.clone(), weight);
    let weight_grad = B::float_matmul(B::float_transpose(grad.clone()), input);
    let bias_grad = B::float_reshape(B::float_sum_dim(grad, 0), Shape::new([gates]));
    (input_grad, weight_grad, bias_grad)
}
