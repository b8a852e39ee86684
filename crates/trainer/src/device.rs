//! The compute device, chosen from the backends compiled in (cargo features).

use burn::tensor::Device;

/// A device and how to name it to the user.
#[derive(Debug, Clone)]
pub struct SelectedDevice {
    /// The device.
    pub device: Device,
    /// E.g. "CPU (ndarray backend)".
    pub description: String,
}

/// The device of the best backend compiled in: the GPU (`wgpu`) when built with it, else the
/// CPU with `flex` (the default feature, measured faster than `ndarray` here), else the CPU with
/// `ndarray`.
pub fn default_device() -> SelectedDevice {
    #[cfg(feature = "wgpu")]
    {
        return SelectedDevice {
            device: Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            description: "GPU (wgpu backend, default adapter)".to_string(),
        };
    }
    #[cfg(all(feature = "flex", not(feature = "wgpu")))]
    {
        return SelectedDevice {
            device: Device::flex(),
            description: "CPU (flex backend)".to_string(),
        };
    }
    #[cfg(all(feature = "ndarray", not(feature = "flex"), not(feature = "wgpu")))]
    {
        #[allow(deprecated)] // burn 0.22 deprecates ndarray in favour of flex; kept as a feature
        return SelectedDevice {
            device: Device::ndarray(),
            description: "CPU (ndarray backend)".to_string(),
        };
    }
}

#[cfg(not(any(feature = "ndarray", feature = "flex", feature = "wgpu")))]
compile_error!("enable one backend feature of the trainer: ndarray, flex or wgpu");
