//! The kernels' test operands and their comparison.

use burn::backend::flex::FlexTensor;
use burn::tensor::Tolerance;

use super::float::KernelFloat;

/// Deterministic values in `[-scale, scale]`.
pub fn values(count: usize, salt: u64, scale: f32) -> Vec<f32> {
    let mut state = salt.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

pub fn tensor(values: Vec<f32>, shape: &[usize]) -> FlexTensor {
    <f32 as KernelFloat>::tensor(values, shape)
}

/// Asserts that `ours` equals `reference` up to float rounding and the vectorised
/// activations' error (about 1e-6 relative a step); `what` names it.
pub fn assert_close(ours: FlexTensor, reference: FlexTensor, what: &str) {
    let (ours, reference) = (ours.into_data(), reference.into_data());
    assert_eq!(ours.shape(), reference.shape(), "{what}");
    ours.assert_approx_eq::<f32>(&reference, Tolerance::rel_abs(5e-5, 5e-6));
}
