//! `cargo xtask bench --gpu [--device gpu|cuda] [--runs N] [--vs-pytorch] [--quick]`: the
//! recurrent network on a GPU, two shapes, three ways in one invocation.
//!
//! - **main**: the main job's shape (the article's workload: 987 windows × 5 steps × 1 feature,
//!   LSTM 100 → 50 → 1, full batch);
//! - **panel**: a large panel, 65,536 windows × 64 steps × 8 features, a 2-layer LSTM of 256,
//!   mini-batches of 4,096.
//!
//! Each shape is measured with Yoho's fused CubeCL kernels, with the same network's composed
//! equations (the kernels turned off, a dozen operations per step), and, with `--vs-pytorch`,
//! with PyTorch's `nn.LSTM` on CUDA (cuDNN) through `bench_pytorch_gpu.py`; the main shape also
//! on the CPU (`flex`) for reference. Each gives the epoch time (median after warm-up), the
//! latency of one window's forecast and the throughput of forecasts in batches of the shape's
//! batch size. `--quick` shrinks both shapes (to check the bench itself, e.g. on a software
//! Vulkan driver). It writes `target/bench/gpu.json`.

use anyhow::{Context, bail};
use burn::module::Module;
use burn::nn::loss::{MseLoss, Reduction};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor};
use serde::{Deserialize, Serialize};
use trainer::device::{DeviceChoice, SelectedDevice, select_device};
use yoho_model::kernels::cube::set_kernels_enabled;
use yoho_model::{CellKind, Forecaster, RnnForecasterConfig};

use crate::bench::{median_duration, ms, summary, time};
use crate::spread;

/// One shape of the bench.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Workload {
    /// `main` or `panel`.
    pub name: String,
    /// Training windows.
    pub windows: usize,
    /// Steps per window.
    pub window_len: usize,
    /// Features per step.
    pub features: usize,
    /// Hidden units per layer.
    pub hidden: usize,
    /// Recurrent layers.
    pub layers: usize,
    /// The MLP head's hidden widths.
    pub head: Vec<usize>,
    /// Windows per optimiser step (and per batch of the throughput).
    pub batch: usize,
    /// Epochs before the timed ones.
    pub warm_up: usize,
    /// Timed epochs.
    pub timed: usize,
}

impl Workload {
    /// The two shapes; `quick` shrinks them.
    pub fn all(quick: bool) -> Vec<Self> {
        let main = Self {
            name: "main".into(),
            windows: 987,
            window_len: 5,
            features: 1,
            hidden: 100,
            layers: 1,
            head: vec![50],
            batch: 987,
            warm_up: 5,
            timed: 30,
        };
        let panel = Self {
            name: "panel".into(),
            windows: 65_536,
            window_len: 64,
            features: 8,
            hidden: 256,
            layers: 2,
            head: Vec::new(),
            batch: 4_096,
            warm_up: 1,
            timed: 3,
        };
        match quick {
            false => vec![main, panel],
            true => vec![
                Self {
                    windows: 64,
                    batch: 64,
                    warm_up: 1,
                    timed: 3,
                    ..main
                },
                Self {
                    windows: 256,
                    window_len: 8,
                    hidden: 32,
                    batch: 128,
                    ..panel
                },
            ],
        }
    }

    fn network(&self, device: &Device) -> Forecaster {
        RnnForecasterConfig::new(self.features, self.hidden)
            .with_cell(CellKind::Lstm)
            .with_num_layers(self.layers)
            .with_head(self.head.clone())
            .init(device)
    }

    fn inputs(&self, windows: usize, device: &Device) -> Tensor<3> {
        let shape = [windows, self.window_len, self.features];
        Tensor::random(shape, Distribution::Uniform(-1.0, 1.0), device)
    }
}

/// One row: a shape on a device, one way, in one round.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    /// The shape's name.
    pub workload: String,
    /// `yoho fused`, `yoho composed`, `yoho fused (CPU)` or `pytorch cuDNN`.
    pub method: String,
    /// The device, in words.
    pub device: String,
    /// The median epoch, milliseconds.
    pub epoch_ms: f64,
    /// The median forecast of one window, milliseconds.
    pub one_window_ms: f64,
    /// Windows forecast per second in batches of the shape's batch size.
    pub throughput_windows_per_s: f64,
}

/// Trains `workload` on `device` and times it (the kernels as they are set now).
fn measure(workload: &Workload, method: &str, selected: &SelectedDevice) -> Measurement {
    let device = &selected.device;
    device.seed(42);
    let training = device.clone().autodiff();
    let inputs = workload.inputs(workload.windows, &training);
    let targets = Tensor::<2>::random([workload.windows, 1], Distribution::Default, &training);
    let mut model = workload.network(&training);
    let mut optimizer = AdamWConfig::new().init();
    let batches = workload.windows.div_ceil(workload.batch);
    let mut epochs = Vec::with_capacity(workload.timed);
    for epoch in 0..workload.warm_up + workload.timed {
        let (elapsed, next) = time(device, || {
            let mut model = model.clone();
            for index in 0..batches {
                let start = index * workload.batch;
                let len = workload.batch.min(workload.windows - start);
                let output = model.forward(inputs.clone().narrow(0, start, len));
                let loss = MseLoss::new().forward(
                    output,
                    targets.clone().narrow(0, start, len),
                    Reduction::Mean,
                );
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                model = optimizer.step(1e-3, model, grads);
            }
            model
        });
        model = next;
        if epoch >= workload.warm_up {
            epochs.push(elapsed);
        }
    }
    let inference = model.valid();
    let one = workload.inputs(1, device);
    let many = workload.inputs(workload.batch, device);
    let (mut latencies, mut batch_times) = (Vec::new(), Vec::new());
    for _ in 0..workload.warm_up + workload.timed {
        latencies.push(time(device, || inference.forward(one.clone()).into_data()).0);
        batch_times.push(time(device, || inference.forward(many.clone()).into_data()).0);
    }
    let skip = workload.warm_up;
    Measurement {
        workload: workload.name.clone(),
        method: method.to_string(),
        device: selected.description.clone(),
        epoch_ms: ms(median_duration(epochs)),
        one_window_ms: ms(median_duration(latencies.split_off(skip))),
        throughput_windows_per_s: workload.batch as f64
            / median_duration(batch_times.split_off(skip)).as_secs_f64(),
    }
}

/// What `--gpu` was asked for.
#[derive(Debug, PartialEq)]
struct Options {
    device: DeviceChoice,
    runs: usize,
    vs_pytorch: bool,
    quick: bool,
}

const USAGE: &str =
    "usage: cargo xtask bench --gpu [--device gpu|cuda] [--runs N] [--vs-pytorch] [--quick]";

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut options = Self {
            device: DeviceChoice::Gpu,
            runs: 1,
            vs_pytorch: false,
            quick: false,
        };
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--gpu" => {}
                "--vs-pytorch" => options.vs_pytorch = true,
                "--quick" => options.quick = true,
                "--device" => {
                    options.device = match rest.next().map(String::as_str) {
                        Some("gpu") => DeviceChoice::Gpu,
                        Some("cuda") => DeviceChoice::Cuda,
                        other => bail!("--device expects gpu or cuda, got {other:?}; {USAGE}"),
                    }
                }
                "--runs" => {
                    options.runs = rest
                        .next()
                        .and_then(|n| n.parse().ok())
                        .filter(|n| *n > 0)
                        .with_context(|| format!("--runs expects a number ≥ 1; {USAGE}"))?;
                }
                other => bail!("unknown option {other}; {USAGE}"),
            }
        }
        Ok(options)
    }
}

/// Every Yoho row of one round: each shape fused and composed on the GPU, the main shape on the
/// CPU.
fn yoho_rows(workloads: &[Workload], gpu: &SelectedDevice) -> anyhow::Result<Vec<Measurement>> {
    let mut rows = Vec::new();
    for workload in workloads {
        for (method, kernels) in [("yoho fused", true), ("yoho composed", false)] {
            set_kernels_enabled(kernels);
            eprintln!("{} · {method} · {}", workload.name, gpu.description);
            rows.push(measure(workload, method, gpu));
        }
        set_kernels_enabled(true);
    }
    let cpu = select_device(DeviceChoice::Cpu)?;
    if let Some(main) = workloads.iter().find(|w| w.name == "main") {
        rows.push(measure(main, "yoho fused (CPU)", &cpu));
    }
    Ok(rows)
}

/// The path of a script beside this crate's manifest, or under `xtask/` of the current
/// directory (a copy of the repository on another machine).
fn script(name: &str) -> std::path::PathBuf {
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    match built.is_file() {
        true => built,
        false => std::path::Path::new("xtask").join(name),
    }
}

/// PyTorch's rows (`nn.LSTM` on CUDA), or `None`, said, where PyTorch or CUDA is missing.
fn pytorch_rows(workloads: &[Workload]) -> anyhow::Result<Option<Vec<Measurement>>> {
    let script = script("bench_pytorch_gpu.py");
    let output = std::process::Command::new("python3")
        .arg(&script)
        .arg(serde_json::to_string(workloads)?)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run python3")?;
    if !output.status.success() {
        println!("--vs-pytorch: skipped, {} failed", script.display());
        return Ok(None);
    }
    let rows: Vec<Measurement> = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("{} printed no rows", script.display()))?;
    Ok(Some(rows))
}

/// The table: per shape and method, the median (range) over the rounds, and the ratios.
fn table(rounds: &[Vec<Measurement>]) -> String {
    let mut keys: Vec<(String, String)> = Vec::new();
    for row in rounds.iter().flatten() {
        let key = (row.workload.clone(), row.method.clone());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let pick = |key: &(String, String), field: fn(&Measurement) -> f64| -> Vec<f64> {
        (rounds.iter().flatten())
            .filter(|row| (&row.workload, &row.method) == (&key.0, &key.1))
            .map(field)
            .collect()
    };
    let show = |values: &[f64]| summary(values, 3);
    let mut text = format!(
        "{:<7} {:<18} {:>24} {:>20} {:>22} {:>12}\n",
        "shape", "method", "epoch ms", "1 window ms", "windows/s", "× fused"
    );
    for key in &keys {
        let epochs = pick(key, |row| row.epoch_ms);
        let fused = pick(&(key.0.clone(), "yoho fused".into()), |row| row.epoch_ms);
        let ratio = match fused.is_empty() {
            true => "—".to_string(),
            false => format!("{:.2}", spread(&epochs).0 / spread(&fused).0),
        };
        text += &format!(
            "{:<7} {:<18} {:>24} {:>20} {:>22} {:>12}\n",
            key.0,
            key.1,
            show(&epochs),
            show(&pick(key, |row| row.one_window_ms)),
            show(&pick(key, |row| row.throughput_windows_per_s)),
            ratio
        );
    }
    text
}

/// `cargo xtask bench --gpu …`.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let options = Options::parse(args)?;
    let gpu = select_device(options.device)?;
    let workloads = Workload::all(options.quick);
    let mut rounds = Vec::with_capacity(options.runs);
    for round in 1..=options.runs {
        eprintln!("round {round} of {}", options.runs);
        let mut rows = match options.vs_pytorch {
            true => pytorch_rows(&workloads)?.unwrap_or_default(),
            false => Vec::new(),
        };
        rows.extend(yoho_rows(&workloads, &gpu)?);
        rounds.push(rows);
    }
    for workload in &workloads {
        println!(
            "{}: {} windows × {} steps × {} features, LSTM {} × {} layer(s), head {:?}, batches \
             of {}; medians of {} epochs after {}",
            workload.name,
            workload.windows,
            workload.window_len,
            workload.features,
            workload.hidden,
            workload.layers,
            workload.head,
            workload.batch,
            workload.timed,
            workload.warm_up
        );
    }
    println!(
        "GPU: {}; {} round(s): median (min–max)",
        gpu.description, options.runs
    );
    print!("{}", table(&rounds));
    let directory = crate::backtest_bench::target_dir().join("bench");
    std::fs::create_dir_all(&directory)?;
    let path = directory.join("gpu.json");
    std::fs::write(&path, serde_json::to_string_pretty(&rounds)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn options_choose_the_device_and_refuse_the_unknown() {
        let options = Options::parse(&args("--gpu --device cuda --runs 2 --vs-pytorch")).unwrap();
        assert_eq!(options.device, DeviceChoice::Cuda);
        assert!(options.vs_pytorch && !options.quick);
        assert_eq!(options.runs, 2);
        assert_eq!(
            Options::parse(&args("--gpu")).unwrap().device,
            DeviceChoice::Gpu
        );
        for (bad, expected) in [
            ("--device tpu", "--device expects"),
            ("--runs 0", "--runs expects"),
            ("--fast", "unknown option --fast"),
        ] {
            let error = Options::parse(&args(bad)).unwrap_err().to_string();
            assert!(error.contains(expected), "{bad}: {error}");
        }
    }

    #[test]
    fn the_shapes_are_the_issues_and_quick_keeps_their_names() {
        let [main, panel] = <[Workload; 2]>::try_from(Workload::all(false)).unwrap();
        assert_eq!((main.windows, main.window_len, main.hidden), (987, 5, 100));
        assert_eq!(
            (
                panel.windows,
                panel.window_len,
                panel.features,
                panel.hidden,
                panel.layers
            ),
            (65_536, 64, 8, 256, 2)
        );
        assert_eq!(panel.batch, 4_096);
        let quick: Vec<String> = Workload::all(true).into_iter().map(|w| w.name).collect();
        assert_eq!(quick, ["main", "panel"]);
    }

    #[test]
    fn the_table_gives_each_method_against_the_fused_kernels() {
        let row = |method: &str, epoch_ms: f64| Measurement {
            workload: "main".into(),
            method: method.into(),
            device: "test".into(),
            epoch_ms,
            one_window_ms: 1.0,
            throughput_windows_per_s: 10.0,
        };
        let text = table(&[vec![row("yoho fused", 2.0), row("yoho composed", 30.0)]]);
        let composed = text.lines().find(|l| l.contains("yoho composed")).unwrap();
        assert!(composed.trim_end().ends_with("15.00"), "{text}");
    }
}
