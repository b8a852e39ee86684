//! What the kernels' tests share: a wgpu device and the comparison of a kernel's numbers with
//! the composed equations'.

use burn::tensor::{Device, DeviceType, Distribution, Tensor};

/// The first wgpu adapter (Mesa's software one included), or `None`, said on stderr, where
/// wgpu finds none.
pub fn gpu() -> Option<Device> {
    let device = Device::enumerate(DeviceType::Wgpu).into_iter().next();
    if device.is_none() {
        eprintln!("skipped: wgpu finds no adapter (install mesa-vulkan-drivers)");
    }
    device
}

/// Uniform values in (−1, 1).
pub fn random<const D: usize>(dims: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(dims, Distribution::Uniform(-1.0, 1.0), device)
}

/// A tensor's values.
pub fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_into_vec_as::<f32>().unwrap()
}

/// The kernel's values equal the composed equations' to f32 rounding.
pub fn assert_close(what: &str, kernel: Vec<f32>, composed: Vec<f32>) {
    assert_eq!(kernel.len(), composed.len(), "{what}");
    for (index, (a, b)) in kernel.iter().zip(&composed).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
            "{what}[{index}]: kernel {a}, composed {b}"
        );
    }
}

/// Window shapes `[T, B, H]`: one step and one window, uneven widths, more units than threads.
pub const SHAPES: [[usize; 3]; 4] = [[1, 1, 1], [7, 3, 5], [4, 2, 33], [2, 3, 300]];
