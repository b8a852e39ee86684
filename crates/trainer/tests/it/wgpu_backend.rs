//! The GPU path (`--features wgpu`) computes what the CPU path computes. Runs on any Vulkan
//! device, Mesa's software one (lavapipe) included: kept tiny, since that one is slow. On a
//! machine with no adapter at all each test says so and skips (CI installs lavapipe).
#![cfg(all(feature = "wgpu", any(feature = "flex", feature = "ndarray")))]

use crate::common;

use burn::module::Module;
use burn::nn::loss::{MseLoss, Reduction};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::store::ModuleRecord;
use burn::tensor::{Device, Distribution, Tensor};
use trainer::device::{DeviceChoice, select_device};
use yoho_model::{CellKind, Forecaster, RnnForecasterConfig};

/// The CPU and the GPU device, or `None` (said on stderr) when wgpu finds no adapter.
fn devices() -> Option<(Device, Device)> {
    let cpu = select_device(DeviceChoice::Cpu).unwrap().device;
    match select_device(DeviceChoice::Gpu) {
        Ok(gpu) => Some((cpu, gpu.device)),
        Err(error) => {
            eprintln!("skipped: {error:#} (install mesa-vulkan-drivers for a software adapter)");
            None
        }
    }
}

fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_into_vec_as::<f32>().unwrap()
}

fn assert_close(what: &str, cpu: &[f32], gpu: &[f32], tolerance: f32) {
    assert_eq!(cpu.len(), gpu.len(), "{what}");
    let scale = cpu.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    for (i, (c, g)) in cpu.iter().zip(gpu).enumerate() {
        assert!(
            (c - g).abs() / scale < tolerance,
            "{what}[{i}]: cpu {c}, gpu {g}"
        );
    }
}

/// Every parameter of the forecaster, flattened, in a fixed order.
fn parameters(model: &Forecaster) -> Vec<(String, Vec<f32>)> {
    let Forecaster::Rnn(model) = model else {
        panic!("these tests train one recurrent network");
    };
    let mut all = Vec::new();
    for (k, layer) in model.encoder.layers.iter().enumerate() {
        all.push((format!("weight_ih_l{k}"), values(layer.weight_ih.val())));
        all.push((format!("weight_hh_l{k}"), values(layer.weight_hh.val())));
        all.push((format!("bias_ih_l{k}"), values(layer.bias_ih.val())));
        all.push((format!("bias_hh_l{k}"), values(layer.bias_hh.val())));
    }
    for (k, linear) in model.head.iter().enumerate() {
        all.push((format!("head{k}.weight"), values(linear.weight.val())));
        if let Some(bias) = &linear.bias {
            all.push((format!("head{k}.bias"), values(bias.val())));
        }
    }
    all
}

fn tiny(cell: CellKind, device: &Device) -> Forecaster {
    RnnForecasterConfig::new(2, 8)
        .with_cell(cell)
        .with_num_layers(2)
        .with_head(vec![4])
        .init(device)
}

#[test]
fn forward_matches_the_cpu_for_every_cell() {
    let Some((cpu, gpu)) = devices() else {
        return;
    };
    for cell in [CellKind::Lstm, CellKind::Gru, CellKind::Rnn] {
        let model = tiny(cell, &cpu);
        let inputs = Tensor::<3>::random([3, 5, 2], Distribution::Uniform(-1.0, 1.0), &cpu);
        let on_cpu = values(model.forward(inputs.clone()));
        let on_gpu = values(model.to_device(&gpu).forward(inputs.to_device(&gpu)));
        assert_close(&format!("{cell:?} output"), &on_cpu, &on_gpu, 1e-4);
    }
}

/// Fifteen AdamW steps of each cell on the same batch from the same weights: the GPU's fused
/// kernels (forward and backward) follow the CPU's losses and end at its weights.
#[test]
fn a_short_training_follows_the_cpu_for_every_cell() {
    let Some((cpu, gpu)) = devices() else {
        return;
    };
    const STEPS: usize = 15;
    for cell in [CellKind::Lstm, CellKind::Gru, CellKind::Rnn] {
        let model = tiny(cell, &cpu);
        let inputs = Tensor::<3>::random([4, 5, 2], Distribution::Uniform(-1.0, 1.0), &cpu);
        let targets = Tensor::<2>::random([4, 1], Distribution::Uniform(-1.0, 1.0), &cpu);
        let weights = model.clone().into_record().into_bytes().unwrap();
        let train = |device: &Device| {
            let device = device.clone().autodiff();
            // a fresh model on the training device, tracked for gradients, with the same weights
            let record = ModuleRecord::from_bytes(weights.clone()).unwrap();
            let mut model = tiny(cell, &device).load_record(record);
            let mut optimizer = AdamWConfig::new()
                .with_epsilon(1e-8)
                .with_weight_decay(0.01)
                .init();
            let mut losses = Vec::with_capacity(STEPS);
            for _ in 0..STEPS {
                let loss = MseLoss::new().forward(
                    model.forward(inputs.clone().to_device(&device)),
                    targets.clone().to_device(&device),
                    Reduction::Mean,
                );
                losses.push(values(loss.clone())[0]);
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                model = optimizer.step(1e-2, model, grads);
            }
            (losses, parameters(&model))
        };
        let (cpu_losses, cpu_weights) = train(&cpu);
        let (gpu_losses, gpu_weights) = train(&gpu);
        assert!(
            cpu_losses[STEPS - 1] < cpu_losses[0],
            "{cell:?} trains: {cpu_losses:?}"
        );
        assert_close(&format!("{cell:?} losses"), &cpu_losses, &gpu_losses, 1e-3);
        for ((name, c), (_, g)) in cpu_weights.iter().zip(&gpu_weights) {
            assert_close(&format!("{cell:?} {name}"), c, g, 1e-3);
        }
    }
}

/// The ES-RNN hybrid, two series with their own coefficients: its forecast and the gradients
/// of its smoothing coefficients (whose maps the forward pass builds on the host each batch)
/// are the CPU's.
#[test]
fn the_hybrid_and_its_coefficient_gradients_match_the_cpu() {
    use burn::tensor::{Int, TensorData};
    use yoho_model::{EsRnn, EsRnnConfig};
    let Some((cpu, gpu)) = devices() else {
        return;
    };
    let config = EsRnnConfig::new(RnnForecasterConfig::new(1, 8).with_output_size(3), 0)
        .with_season(4)
        .with_series(2);
    let model = config.init_es_rnn(&cpu);
    let weights = model.into_record().into_bytes().unwrap();
    let inputs = Tensor::<3>::random([4, 9, 1], Distribution::Uniform(-1.0, 1.0), &cpu);
    let targets = Tensor::<2>::random([4, 3], Distribution::Uniform(-1.0, 1.0), &cpu);
    let run = |device: &Device| {
        let device = device.clone().autodiff();
        let record = ModuleRecord::from_bytes(weights.clone()).unwrap();
        let model: EsRnn = config.init_es_rnn(&device).load_record(record);
        let series = TensorData::new(vec![0i64, 1, 1, 0], [4]);
        let outputs = model.forward_series(
            inputs.clone().to_device(&device),
            Tensor::<1, Int>::from_data(series, &device),
        );
        let loss = MseLoss::new().forward(
            outputs.clone(),
            targets.clone().to_device(&device),
            Reduction::Mean,
        );
        let grads = loss.backward();
        let gradient = |raw: &burn::module::Param<Tensor<1>>| {
            values(
                raw.val()
                    .grad(&grads)
                    .expect("the coefficient has a gradient"),
            )
        };
        (
            values(outputs),
            gradient(&model.level_raw),
            gradient(&model.season_raw),
        )
    };
    let (cpu_out, cpu_alpha, cpu_gamma) = run(&cpu);
    let (gpu_out, gpu_alpha, gpu_gamma) = run(&gpu);
    assert_close("hybrid output", &cpu_out, &gpu_out, 1e-4);
    assert_close("level coefficient gradient", &cpu_alpha, &gpu_alpha, 1e-3);
    assert_close("season coefficient gradient", &cpu_gamma, &gpu_gamma, 1e-3);
    assert!(cpu_alpha.iter().chain(&cpu_gamma).all(|g| *g != 0.0));
}

#[test]
fn a_tiny_trainer_run_completes_on_the_gpu() {
    if devices().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = common::write_series(dir.path(), 40);
    let config = common::write_config(dir.path(), &data, "");
    let out = dir.path().join("run");
    let output = common::trainer(&[
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--device",
        "gpu",
        "--epochs",
        "2",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("device: GPU (wgpu"), "{stderr}");
    for file in ["metrics.json", "predictions.csv", "model.bpk", "report.md"] {
        assert!(out.join(file).is_file(), "{file} written");
    }
}
