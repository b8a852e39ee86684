//! The compute device: the backends are compiled in with cargo features (`flex`, `ndarray`,
//! `wgpu`, `cuda`); when several are there, `--device` picks one at run time.

use anyhow::bail;
use burn::tensor::Device;

/// Which device the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DeviceChoice {
    /// The GPU when the build has the `wgpu` backend and a hardware adapter is found, else the
    /// CPU backend (a software Vulkan driver such as Mesa's lavapipe is slower than it).
    #[default]
    Auto,
    /// The CPU backend compiled in (`flex`, else `ndarray`).
    Cpu,
    /// The GPU through `wgpu`: a hardware adapter, else a software one.
    Gpu,
    /// An NVIDIA GPU through CUDA (a build with the `cuda` feature, and the NVIDIA driver).
    Cuda,
}

/// A device and how to name it to the user.
#[derive(Debug, Clone)]
pub struct SelectedDevice {
    /// The device.
    pub device: Device,
    /// E.g. "CPU (flex backend)".
    pub description: String,
}

/// The CPU backend compiled in: `flex` (the default), else `ndarray`.
fn cpu_device() -> Option<SelectedDevice> {
    #[cfg(feature = "flex")]
    {
        return Some(SelectedDevice {
            device: Device::flex(),
            description: "CPU (flex backend)".to_string(),
        });
    }
    #[cfg(all(feature = "ndarray", not(feature = "flex")))]
    {
        #[allow(deprecated)] // burn 0.22 deprecates ndarray in favour of flex; kept as a feature
        return Some(SelectedDevice {
            device: Device::ndarray(),
            description: "CPU (ndarray backend)".to_string(),
        });
    }
    #[allow(unreachable_code)]
    None
}

/// The first hardware adapter `wgpu` finds, else (with `software_allowed`) the first software
/// one (a CPU-side Vulkan driver such as lavapipe); `None` when there is none, or no `wgpu`
/// backend.
#[allow(unused_variables)]
fn gpu_device(software_allowed: bool) -> Option<SelectedDevice> {
    #[cfg(feature = "wgpu")]
    {
        use burn::tensor::{DeviceKind, DeviceType};
        let software = Device::wgpu(DeviceKind::Cpu);
        let (hardware, software): (Vec<Device>, Vec<Device>) = Device::enumerate(DeviceType::Wgpu)
            .into_iter()
            .partition(|device| *device != software);
        let device = hardware
            .into_iter()
            .next()
            .or_else(|| software.into_iter().next().filter(|_| software_allowed))?;
        let name = device
            .identity()
            .map(|identity| identity.name)
            .unwrap_or_else(|| "default adapter".to_string());
        return Some(SelectedDevice {
            device,
            description: format!("GPU (wgpu backend: {name})"),
        });
    }
    #[allow(unreachable_code)]
    None
}

/// The first CUDA device, when the build has the `cuda` backend and the driver finds one.
fn cuda_device() -> Option<SelectedDevice> {
    #[cfg(feature = "cuda")]
    {
        use burn::tensor::DeviceType;
        // the driver and NVRTC are loaded at run time: a machine without them has no device
        let found =
            std::panic::catch_unwind(|| Device::enumerate(DeviceType::Cuda).into_iter().next());
        let device = found.ok().flatten()?;
        let name = device
            .identity()
            .map(|identity| identity.name)
            .unwrap_or_else(|| "device 0".to_string());
        return Some(SelectedDevice {
            device,
            description: format!("GPU (cuda backend: {name})"),
        });
    }
    #[allow(unreachable_code)]
    None
}

/// A hardware GPU adapter of the `wgpu` backend, when the build has it and wgpu finds one.
pub fn hardware_gpu() -> Option<SelectedDevice> {
    gpu_device(false)
}

/// Whether this build has the `wgpu` backend.
const HAS_GPU_BACKEND: bool = cfg!(feature = "wgpu");

/// Whether this build has the `cuda` backend.
const HAS_CUDA_BACKEND: bool = cfg!(feature = "cuda");

/// The device for `choice`, or an error saying what is missing and how to get it.
pub fn select_device(choice: DeviceChoice) -> anyhow::Result<SelectedDevice> {
    match choice {
        DeviceChoice::Cuda => cuda(HAS_CUDA_BACKEND, cuda_device),
        DeviceChoice::Auto if HAS_CUDA_BACKEND => match cuda_device() {
            Some(cuda) => Ok(cuda),
            None => choose(choice, HAS_GPU_BACKEND, cpu_device, gpu_device),
        },
        _ => choose(choice, HAS_GPU_BACKEND, cpu_device, gpu_device),
    }
}

/// `--device cuda`: the device `find` finds, or an error saying what is missing.
fn cuda(
    has_cuda_backend: bool,
    find: impl FnOnce() -> Option<SelectedDevice>,
) -> anyhow::Result<SelectedDevice> {
    if !has_cuda_backend {
        bail!("--device cuda: this build has no CUDA backend; build with `--features cuda`");
    }
    find().ok_or_else(|| {
        anyhow::anyhow!(
            "--device cuda: no CUDA device found (the NVIDIA driver's libcuda and NVRTC are \
             needed at run time)"
        )
    })
}

/// The decision of [`select_device`], given what the build has (`has_gpu_backend`) and how to
/// find each device (`cpu`, `gpu`: `None` when absent; the GPU is only looked for when needed,
/// and `gpu(true)` may return a software adapter).
fn choose(
    choice: DeviceChoice,
    has_gpu_backend: bool,
    cpu: impl FnOnce() -> Option<SelectedDevice>,
    gpu: impl FnOnce(bool) -> Option<SelectedDevice>,
) -> anyhow::Result<SelectedDevice> {
    match choice {
        // `select_device` answers `--device cuda` itself; here it is a build without CUDA
        DeviceChoice::Cuda => cuda(false, || None),
        DeviceChoice::Cpu => match cpu() {
            Some(cpu) => Ok(cpu),
            None => bail!(
                "--device cpu: this build has no CPU backend; build with `--features flex` (or ndarray)"
            ),
        },
        DeviceChoice::Gpu => {
            if !has_gpu_backend {
                bail!("--device gpu: this build has no GPU backend; build with `--features wgpu`");
            }
            gpu(true).ok_or_else(|| {
                anyhow::anyhow!(
                    "--device gpu: wgpu found no GPU adapter (a Vulkan, Metal or DirectX 12 driver is needed)"
                )
            })
        }
        DeviceChoice::Auto => {
            if has_gpu_backend && let Some(gpu) = gpu(false) {
                return Ok(gpu);
            }
            match cpu() {
                Some(cpu) => {
                    if has_gpu_backend {
                        eprintln!(
                            "note: wgpu found no hardware GPU adapter; using the CPU (--device \
                             gpu takes a software one)"
                        );
                    }
                    Ok(cpu)
                }
                None => bail!(
                    "wgpu found no GPU adapter and this build has no CPU backend; install a Vulkan \
                     driver or build with `--features flex`"
                ),
            }
        }
    }
}

#[cfg(not(any(
    feature = "ndarray",
    feature = "flex",
    feature = "wgpu",
    feature = "cuda"
)))]
compile_error!("enable one backend feature of the trainer: flex, ndarray, wgpu or cuda");

#[cfg(test)]
mod tests {
    use super::*;

    fn named(description: &str) -> Option<SelectedDevice> {
        Some(SelectedDevice {
            device: Device::default(),
            description: description.to_string(),
        })
    }

    fn pick(choice: DeviceChoice, has_gpu: bool, cpu: bool, gpu: bool) -> anyhow::Result<String> {
        choose(
            choice,
            has_gpu,
            || if cpu { named("CPU") } else { None },
            |_| if gpu { named("GPU") } else { None },
        )
        .map(|selected| selected.description)
    }

    #[test]
    fn a_software_adapter_is_used_only_when_asked_for() {
        // only a software adapter: `auto` keeps to the CPU backend, `gpu` takes it
        let software_only =
            |software_allowed: bool| software_allowed.then(|| named("lavapipe")).flatten();
        let auto = choose(DeviceChoice::Auto, true, || named("CPU"), software_only).unwrap();
        assert_eq!(auto.description, "CPU");
        let gpu = choose(DeviceChoice::Gpu, true, || named("CPU"), software_only).unwrap();
        assert_eq!(gpu.description, "lavapipe");
    }

    #[test]
    fn auto_prefers_a_found_gpu_and_falls_back_to_the_cpu() {
        assert_eq!(pick(DeviceChoice::Auto, true, true, true).unwrap(), "GPU");
        assert_eq!(pick(DeviceChoice::Auto, true, true, false).unwrap(), "CPU");
        assert_eq!(pick(DeviceChoice::Auto, false, true, false).unwrap(), "CPU");
        let error = pick(DeviceChoice::Auto, true, false, false)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("no GPU adapter") && error.contains("no CPU backend"),
            "{error}"
        );
    }

    #[test]
    fn asking_for_what_is_missing_is_a_clear_error() {
        let error = pick(DeviceChoice::Gpu, true, true, false)
            .unwrap_err()
            .to_string();
        assert!(error.contains("found no GPU adapter"), "{error}");
        let error = pick(DeviceChoice::Gpu, false, true, false)
            .unwrap_err()
            .to_string();
        assert!(error.contains("--features wgpu"), "{error}");
        let error = pick(DeviceChoice::Cpu, true, false, true)
            .unwrap_err()
            .to_string();
        assert!(error.contains("no CPU backend"), "{error}");
        assert_eq!(pick(DeviceChoice::Cpu, true, true, true).unwrap(), "CPU");
    }

    #[test]
    fn cuda_is_asked_for_by_name_and_its_absence_is_explained() {
        let error = cuda(false, || named("H200")).unwrap_err().to_string();
        assert!(error.contains("--features cuda"), "{error}");
        let error = cuda(true, || None).unwrap_err().to_string();
        assert!(error.contains("no CUDA device found"), "{error}");
        assert_eq!(cuda(true, || named("H200")).unwrap().description, "H200");
        if !HAS_CUDA_BACKEND {
            let error = select_device(DeviceChoice::Cuda).unwrap_err().to_string();
            assert!(error.contains("--features cuda"), "{error}");
        }
    }

    #[test]
    fn the_cpu_is_there_when_compiled_in() {
        let cpu = select_device(DeviceChoice::Cpu);
        assert_eq!(
            cpu.is_ok(),
            cfg!(any(feature = "flex", feature = "ndarray"))
        );
    }
}
