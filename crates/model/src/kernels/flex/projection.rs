//! The input projection of every step of a window at once on `flex`: one product written into
//! a buffer that starts as the bias rows, or, with a few features, built row by row in one pass.

use burn::backend::TensorMetadata;
use burn::backend::flex::FlexTensor;

use super::blocks::contiguous;
use super::float::KernelFloat;
use super::gemm::{Operand, Threads, product};

/// `input [N, F]·weightᵀ + bias` into a buffer that starts as the bias rows: one product, no
/// zero-filled or realigned copy.
pub(super) fn project<T: KernelFloat>(
    input: FlexTensor,
    weight: FlexTensor,
    bias: FlexTensor,
) -> FlexTensor {
    let (rows, features, gates) = (input.shape()[0], input.shape()[1], weight.shape()[0]);
    assert!(
        weight.shape().dims::<2>() == [gates, features] && bias.shape().dims::<1>() == [gates],
        "flex input projection: input {:?}, weight {:?}, bias {:?}",
        input.shape(),
        weight.shape(),
        bias.shape()
    );
    let [input, weight, bias] = contiguous([input, weight, bias]);
    let (input, weight, bias) = (T::values(&input), T::values(&weight), T::values(&bias));
    let mut output: Vec<T> = Vec::with_capacity(rows * gates);
    if features <= FEW_FEATURES {
        // a few features: each output row is the bias plus a few scaled rows of Wᵀ, built in
        // one pass while it sits in cache (a product with so short an inner dimension would
        // make a second pass over the output)
        let transposed: Vec<T> = (0..features)
            .flat_map(|f| (0..gates).map(move |g| weight[g * features + f]))
            .collect();
        for x in input.chunks(features) {
            let start = output.len();
            output.extend_from_slice(bias);
            let row = &mut output[start..];
            for (value, column) in x.iter().zip(transposed.chunks(gates)) {
                for (out, w) in row.iter_mut().zip(column) {
                    *out = *out + *value * *w;
                }
            }
        }
        return T::tensor(output, &[rows, gates]);
    }
    for _ in 0..rows {
        output.extend_from_slice(bias);
    }
    // SAFETY: input [N, F] and weightᵀ [F, G] (read in place from weight [G, F]) lie inside
    // their buffers; `output` is a buffer of its own holding N × G values.
    unsafe {
        product(
            [rows, gates, features],
            &mut output,
            true,
            Operand::rows(input, features),
            Operand::columns(weight, features),
            Threads::Pool,
        );
    }
    T::tensor(output, &[rows, gates])
}

/// Inputs with at most this many features are projected row by row instead of by a product.
const FEW_FEATURES: usize = 8;

#[cfg(test)]
mod tests {
    use burn::backend::Flex;

    use super::super::test_support::{assert_close, tensor, values};
    use crate::kernels::RecurrentOps;

    #[test]
    fn the_input_projection_matches_the_composed_one() {
        // by rows (few features) and by the product
        for [rows, features, gates] in [[5, 1, 400], [37, 4, 12], [3, 7, 9], [20, 13, 24]] {
            let operands = || {
                (
                    tensor(values(rows * features, 1, 2.0), &[rows, features]),
                    tensor(values(gates * features, 2, 0.5), &[gates, features]),
                    tensor(values(gates, 3, 0.3), &[gates]),
                )
            };
            let (input, weight, bias) = operands();
            let ours = Flex::input_projection(input, weight, bias);
            let (input, weight, bias) = operands();
            let reference = crate::kernels::projection::composed::<Flex>(input, weight, bias);
            assert_close(ours, reference, "projection");
        }
    }
}
