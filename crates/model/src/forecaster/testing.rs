//! What the families' unit tests share: small windows and a silenced output layer.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};

/// A forecast's values, row after row.
pub fn values(tensor: Tensor<2>) -> Vec<f32> {
    tensor.into_data().try_to_vec::<f32>().unwrap()
}

/// Two windows of 5 rows and two features, the target second: row `r` of window `b` holds
/// `100 b + r` (and `-1` in the other feature).
pub fn windows(device: &Device) -> Tensor<3> {
    let mut data = Vec::new();
    for b in 0..2 {
        for r in 0..5 {
            data.extend([-1.0, (100 * b + r) as f32]);
        }
    }
    Tensor::from_data(TensorData::new(data, [2, 5, 2]), device)
}

/// Zeroes `layer`'s weights and bias, so that it outputs 0.
pub fn silence(layer: &mut Linear) {
    layer.weight = Param::from_tensor(layer.weight.val().zeros_like());
    layer.bias = (layer.bias.take()).map(|bias| Param::from_tensor(bias.val().zeros_like()));
}
