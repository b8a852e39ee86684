//! The benchmark of the article's workload: 987 windows × 5 steps × 1 feature, LSTM(1→100) →
//! Linear(100→50) → ReLU → Linear(50→1), MSE, AdamW, one full-batch step per epoch.
//!
//! For each backend compiled in, and for Yoho's fused LSTM, GRU and RNN and Burn's stock
//! `nn::Lstm`, it
//! measures the training time per epoch (median after warm-up), the latency of one window's
//! forecast and the throughput of a batch of 1,024 windows; then the process's peak memory.

use std::time::{Duration, Instant};

use anyhow::Context;
use burn::module::Module;
use burn::nn::loss::{MseLoss, Reduction};
use burn::nn::{Linear, LinearConfig, Lstm, LstmConfig};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Distribution, Tensor};
use serde_json::json;
use yoho_model::{CellKind, Forecaster, ForecasterConfig};

const WINDOWS: usize = 987;
const WINDOW_LEN: usize = 5;
const HIDDEN: usize = 100;
const HEAD: usize = 50;
const WARM_UP_EPOCHS: usize = 5;
const TIMED_EPOCHS: usize = 30;
const THROUGHPUT_BATCH: usize = 1024;

/// The article's network on Burn's stock LSTM, for comparison.
#[derive(Module, Debug)]
struct StockForecaster {
    lstm: Lstm,
    hidden: Linear,
    output: Linear,
}

impl StockForecaster {
    fn new(device: &Device) -> Self {
        Self {
            lstm: LstmConfig::new(1, HIDDEN, true).init(device),
            hidden: LinearConfig::new(HIDDEN, HEAD).init(device),
            output: LinearConfig::new(HEAD, 1).init(device),
        }
    }

    fn forward(&self, inputs: Tensor<3>) -> Tensor<2> {
        let [batch, time, _] = inputs.dims();
        let (sequence, _) = self.lstm.forward(inputs, None);
        let last = sequence.narrow(1, time - 1, 1).reshape([batch, HIDDEN]);
        self.output.forward(relu(self.hidden.forward(last)))
    }
}

/// A network the bench can train and run.
trait Network: Module + Clone {
    fn predict(&self, inputs: Tensor<3>) -> Tensor<2>;
}

impl Network for Forecaster {
    fn predict(&self, inputs: Tensor<3>) -> Tensor<2> {
        self.forward(inputs)
    }
}

impl Network for StockForecaster {
    fn predict(&self, inputs: Tensor<3>) -> Tensor<2> {
        self.forward(inputs)
    }
}

/// One row of the table.
struct Measurement {
    backend: &'static str,
    model: &'static str,
    epoch: Duration,
    latency: Duration,
    throughput_windows_per_s: f64,
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(device: &Device, work: impl FnOnce() -> T) -> (Duration, T) {
    let started = Instant::now();
    let output = work();
    device.sync().expect("the device finishes its work");
    (started.elapsed(), output)
}

fn measure<N: Network>(
    backend: &'static str,
    name: &'static str,
    device: &Device,
    build: impl Fn(&Device) -> N,
) -> Measurement {
    device.seed(42);
    let training_device = device.clone().autodiff();
    let inputs = Tensor::<3>::random(
        [WINDOWS, WINDOW_LEN, 1],
        Distribution::Uniform(2.5, 4.0),
        &training_device,
    );
    let targets = Tensor::<2>::random(
        [WINDOWS, 1],
        Distribution::Uniform(2.5, 4.0),
        &training_device,
    );
    // built on the training device, so that its parameters are tracked for gradients
    let mut model = build(&training_device);
    let mut optimizer = AdamWConfig::new()
        .with_epsilon(1e-8)
        .with_weight_decay(0.01)
        .init();
    let mut epochs = Vec::with_capacity(TIMED_EPOCHS);
    for epoch in 0..WARM_UP_EPOCHS + TIMED_EPOCHS {
        let (elapsed, next) = time(device, || {
            let loss = MseLoss::new().forward(
                model.predict(inputs.clone()),
                targets.clone(),
                Reduction::Mean,
            );
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            optimizer.step(1e-3, model.clone(), grads)
        });
        model = next;
        if epoch >= WARM_UP_EPOCHS {
            epochs.push(elapsed);
        }
    }

    let inference = model.valid();
    let one = Tensor::<3>::random([1, WINDOW_LEN, 1], Distribution::Uniform(2.5, 4.0), device);
    let many = Tensor::<3>::random(
        [THROUGHPUT_BATCH, WINDOW_LEN, 1],
        Distribution::Uniform(2.5, 4.0),
        device,
    );
    let mut latencies = Vec::new();
    let mut batches = Vec::new();
    for _ in 0..WARM_UP_EPOCHS + TIMED_EPOCHS {
        latencies.push(time(device, || inference.predict(one.clone()).into_data()).0);
        batches.push(time(device, || inference.predict(many.clone()).into_data()).0);
    }
    let batch = median(batches.split_off(WARM_UP_EPOCHS));
    Measurement {
        backend,
        model: name,
        epoch: median(epochs),
        latency: median(latencies.split_off(WARM_UP_EPOCHS)),
        throughput_windows_per_s: THROUGHPUT_BATCH as f64 / batch.as_secs_f64(),
    }
}

/// The backends compiled in, with their devices.
#[allow(clippy::vec_init_then_push)] // each push depends on a feature
fn backends() -> Vec<(&'static str, Device)> {
    let mut backends = Vec::new();
    #[cfg(feature = "flex")]
    backends.push(("flex (CPU)", Device::flex()));
    #[cfg(feature = "ndarray")]
    #[allow(deprecated)]
    backends.push(("ndarray (CPU)", Device::ndarray()));
    #[cfg(feature = "wgpu")]
    backends.push((
        "wgpu (GPU)",
        Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
    ));
    backends
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// `cargo xtask bench [--vs-pytorch]`.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let vs_pytorch = args.iter().any(|arg| arg == "--vs-pytorch");
    if let Some(unknown) = args.iter().find(|arg| *arg != "--vs-pytorch") {
        anyhow::bail!("unknown option {unknown}; usage: cargo xtask bench [--vs-pytorch]");
    }
    // PyTorch first: once Burn has run, its idle worker threads can still take CPU time from
    // another process (measured: PyTorch's epoch at 54 ms after the Rust rows, 19–23 ms alone).
    let pytorch = if vs_pytorch { run_pytorch()? } else { None };
    let mut rows = Vec::new();
    for (backend, device) in backends() {
        for (name, cell) in [
            ("yoho fused LSTM", CellKind::Lstm),
            ("yoho fused GRU", CellKind::Gru),
            ("yoho fused RNN", CellKind::Rnn),
        ] {
            rows.push(measure(backend, name, &device, |d| {
                ForecasterConfig::new(1, HIDDEN)
                    .with_cell(cell)
                    .with_head(vec![HEAD])
                    .init(d)
            }));
        }
        rows.push(measure(
            backend,
            "burn nn::Lstm",
            &device,
            StockForecaster::new,
        ));
    }
    println!(
        "article workload: {WINDOWS} windows × {WINDOW_LEN} steps × 1 feature, hidden {HIDDEN}, head {HEAD}, \
         full batch, AdamW; median of {TIMED_EPOCHS} after {WARM_UP_EPOCHS} warm-up"
    );
    println!(
        "{:<16} {:<18} {:>14} {:>16} {:>22}",
        "backend", "model", "epoch (ms)", "1 window (ms)", "1,024 windows (win/s)"
    );
    for row in &rows {
        println!(
            "{:<16} {:<18} {:>14.2} {:>16.3} {:>22.0}",
            row.backend,
            row.model,
            row.epoch.as_secs_f64() * 1e3,
            row.latency.as_secs_f64() * 1e3,
            row.throughput_windows_per_s
        );
    }
    let peak = peak_memory_mib();
    if let Some(peak) = peak {
        println!("peak memory of the bench process: {peak:.1} MiB");
    }
    if let Some(torch) = &pytorch {
        print_ratios(&rows, torch)?;
    }
    write_json(&rows, peak, pytorch)
}

/// Runs `bench_pytorch.py` with as many threads as this process may use; `None` (with a
/// message) when PyTorch cannot be imported.
fn run_pytorch() -> anyhow::Result<Option<serde_json::Value>> {
    let has_torch = std::process::Command::new("python3")
        .args(["-c", "import torch"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_torch {
        println!("--vs-pytorch: skipped, `python3 -c \"import torch\"` fails on this machine");
        return Ok(None);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench_pytorch.py");
    let output = std::process::Command::new("python3")
        .args([
            script,
            &threads.to_string(),
            &WARM_UP_EPOCHS.to_string(),
            &TIMED_EPOCHS.to_string(),
        ])
        .output()
        .context("cannot run python3")?;
    if !output.status.success() {
        anyhow::bail!(
            "{script} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let torch: serde_json::Value = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("{script} printed no JSON"))?;
    Ok(Some(torch))
}

/// Prints PyTorch's rows and the ratio of every row's epoch time to PyTorch's with the same cell
/// (Burn's stock LSTM against PyTorch's LSTM).
fn print_ratios(rows: &[Measurement], torch: &serde_json::Value) -> anyhow::Result<()> {
    let version = torch["torch"].as_str().unwrap_or("?");
    let cell_of = |model: &str| {
        ["gru", "rnn"]
            .into_iter()
            .find(|cell| model.to_lowercase().contains(cell))
            .unwrap_or("lstm")
    };
    let numbers = |cell: &str| -> anyhow::Result<(f64, f64, f64)> {
        let entry = torch["cells"].get(cell).unwrap_or(torch);
        Ok((
            entry["epoch_ms"].as_f64().context("epoch_ms")?,
            entry["one_window_ms"].as_f64().unwrap_or(f64::NAN),
            entry["throughput_windows_per_s"]
                .as_f64()
                .unwrap_or(f64::NAN),
        ))
    };
    for cell in ["lstm", "gru", "rnn"] {
        let (epoch, one, many) = numbers(cell)?;
        println!(
            "{:<16} {:<18} {:>14.2} {:>16.3} {:>22.0}",
            format!("PyTorch {version}"),
            format!("nn.{}, {} thr", cell.to_uppercase(), torch["threads"]),
            epoch,
            one,
            many
        );
    }
    for row in rows {
        let (epoch, one, many) = numbers(cell_of(row.model))?;
        println!(
            "{:<16} {:<18} / PyTorch's: epoch {:.2}, 1 window {:.2}, 1,024 windows' throughput {:.2}",
            row.backend,
            row.model,
            row.epoch.as_secs_f64() * 1e3 / epoch,
            row.latency.as_secs_f64() * 1e3 / one,
            row.throughput_windows_per_s / many
        );
    }
    Ok(())
}

fn write_json(
    rows: &[Measurement],
    peak_memory_mib: Option<f64>,
    pytorch: Option<serde_json::Value>,
) -> anyhow::Result<()> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_string());
    let directory = std::path::Path::new(&target).join("bench");
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("cannot create {}", directory.display()))?;
    let rows: Vec<_> = rows
        .iter()
        .map(|row| {
            json!({
                "backend": row.backend,
                "model": row.model,
                "epoch_ms": row.epoch.as_secs_f64() * 1e3,
                "one_window_ms": row.latency.as_secs_f64() * 1e3,
                "throughput_windows_per_s": row.throughput_windows_per_s,
            })
        })
        .collect();
    let path = directory.join("bench.json");
    let text = serde_json::to_string_pretty(
        &json!({ "rows": rows, "peak_memory_mib": peak_memory_mib, "pytorch": pytorch }),
    )?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
