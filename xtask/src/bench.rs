//! The benchmark of the article's workload: 987 windows × 5 steps × 1 feature, LSTM(1→100) →
//! Linear(100→50) → ReLU → Linear(50→1), MSE, AdamW, one full-batch step per epoch.
//!
//! For each backend compiled in, and for Yoho's fused LSTM, GRU and RNN and Burn's stock
//! `nn::Lstm`, it measures the training time per epoch (median after warm-up), the latency of
//! one window's forecast and the throughput of a batch of 1,024 windows, and the rate of a large
//! matrix product: the floor an epoch's products could reach. `--runs N` rounds (3 by default),
//! each in a fresh process and, with `--vs-pytorch`, after PyTorch's run of the same workload;
//! the table gives the median and the range over the rounds, and every ratio is taken within
//! one round.

use std::time::{Duration, Instant};

use anyhow::Context;
use burn::module::Module;
use burn::nn::loss::{MseLoss, Reduction};
use burn::nn::{Linear, LinearConfig, Lstm, LstmConfig};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Distribution, Tensor};
use serde::{Deserialize, Serialize};
use serde_json::json;
use yoho_model::{CellKind, Forecaster, RnnForecasterConfig};

use crate::spread;

const WINDOWS: usize = 987;
const WINDOW_LEN: usize = 5;
const HIDDEN: usize = 100;
const HEAD: usize = 50;
const WARM_UP_EPOCHS: usize = 5;
const TIMED_EPOCHS: usize = 30;
const THROUGHPUT_BATCH: usize = 1024;
/// The side of the square product whose rate is the floor.
const FLOOR_SIZE: usize = 2048;
const FLOOR_WARM_UP: usize = 2;
const FLOOR_TIMED: usize = 7;
/// Rounds without `--runs`.
const DEFAULT_RUNS: usize = 3;
/// The hidden option that makes a process one round's Rust side, printing it as JSON.
const ROUND_FLAG: &str = "--round";

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

/// One row of the table: one network on one backend, in one round.
#[derive(Serialize, Deserialize, Clone)]
struct Measurement {
    backend: String,
    model: String,
    /// The median training epoch, in milliseconds.
    epoch_ms: f64,
    /// The median forecast of one window, in milliseconds.
    one_window_ms: f64,
    /// Windows per second in batches of [`THROUGHPUT_BATCH`].
    throughput_windows_per_s: f64,
}

/// What one backend's large matrix product reaches: the floor the epochs are compared with.
#[derive(Serialize, Deserialize, Clone)]
struct Floor {
    backend: String,
    /// Billions of floating-point operations per second in a [`FLOOR_SIZE`]² product.
    gflop_per_s: f64,
}

/// One round's Rust side, measured in a process of its own.
#[derive(Serialize, Deserialize)]
struct Round {
    rows: Vec<Measurement>,
    floors: Vec<Floor>,
    peak_memory_mib: Option<f64>,
}

pub(crate) fn median_duration(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub(crate) fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// How long `work` takes on `device`, until the device has finished it, and its output.
pub(crate) fn time<T>(device: &Device, work: impl FnOnce() -> T) -> (Duration, T) {
    let started = Instant::now();
    let output = work();
    device.sync().expect("the device finishes its work");
    (started.elapsed(), output)
}

fn measure<N: Network>(
    backend: &str,
    name: &str,
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
    let batch = median_duration(batches.split_off(WARM_UP_EPOCHS));
    Measurement {
        backend: backend.to_string(),
        model: name.to_string(),
        epoch_ms: ms(median_duration(epochs)),
        one_window_ms: ms(median_duration(latencies.split_off(WARM_UP_EPOCHS))),
        throughput_windows_per_s: THROUGHPUT_BATCH as f64 / batch.as_secs_f64(),
    }
}

/// The median rate of a [`FLOOR_SIZE`]² single-precision product on `device`.
fn measure_floor(backend: &str, device: &Device) -> Floor {
    device.seed(7);
    let left = Tensor::<2>::random([FLOOR_SIZE; 2], Distribution::Default, device);
    let right = Tensor::<2>::random([FLOOR_SIZE; 2], Distribution::Default, device);
    let mut samples: Vec<Duration> = (0..FLOOR_WARM_UP + FLOOR_TIMED)
        .map(|_| time(device, || left.clone().matmul(right.clone()).into_data()).0)
        .collect();
    let product = median_duration(samples.split_off(FLOOR_WARM_UP));
    Floor {
        backend: backend.to_string(),
        gflop_per_s: 2.0 * (FLOOR_SIZE as f64).powi(3) / product.as_secs_f64() / 1e9,
    }
}

/// The floating-point operations of one forward pass over `windows` windows with a cell of
/// `gates` gates: the products of the equations as written, every step counted (a kernel that
/// skips the first step's product against a zero state does less). Additions of biases and
/// the pointwise gate work are left out.
fn forward_flops(gates: usize, windows: usize) -> f64 {
    let per_window = WINDOW_LEN * 2 * gates * HIDDEN * (HIDDEN + 1) + 2 * (HIDDEN * HEAD + HEAD);
    (windows * per_window) as f64
}

/// An epoch's operations: the forward pass, and a backward pass counted as twice it (the
/// inputs' and the weights' gradients).
fn epoch_flops(model: &str) -> f64 {
    3.0 * forward_flops(gates_of(model), WINDOWS)
}

/// The gates of the cell `model` runs.
fn gates_of(model: &str) -> usize {
    match cell_of(model) {
        "gru" => 3,
        "rnn" => 1,
        _ => 4,
    }
}

/// The PyTorch cell `model` is compared with (Burn's stock LSTM with PyTorch's LSTM).
fn cell_of(model: &str) -> &'static str {
    ["gru", "rnn"]
        .into_iter()
        .find(|cell| model.to_lowercase().contains(cell))
        .unwrap_or("lstm")
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
    // a software Vulkan driver (lavapipe) would take minutes per row: hardware adapters only
    if let Some(gpu) = trainer::device::hardware_gpu() {
        backends.push(("wgpu (GPU)", gpu.device));
    }
    backends
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// What `cargo xtask bench` was asked for.
struct Options {
    vs_pytorch: bool,
    /// Rounds, each with PyTorch (when asked for) and then every Rust row.
    runs: usize,
    /// This process is one round's Rust side (see [`ROUND_FLAG`]).
    round: bool,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut options = Self {
            vs_pytorch: false,
            runs: DEFAULT_RUNS,
            round: false,
        };
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--vs-pytorch" => options.vs_pytorch = true,
                "--runs" => {
                    options.runs = rest
                        .next()
                        .and_then(|n| n.parse().ok())
                        .filter(|n| *n > 0)
                        .context("--runs expects a number ≥ 1")?;
                }
                ROUND_FLAG => options.round = true,
                other => anyhow::bail!(
                    "unknown option {other}; usage: cargo xtask bench [--vs-pytorch] [--runs N]"
                ),
            }
        }
        Ok(options)
    }
}

/// `cargo xtask bench [--vs-pytorch] [--runs N]`.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let options = Options::parse(args)?;
    if options.round {
        println!("{}", serde_json::to_string(&measure_round())?);
        return Ok(());
    }
    let vs_pytorch = options.vs_pytorch && pytorch_available();
    let mut rounds = Vec::with_capacity(options.runs);
    let mut torch_rounds = Vec::new();
    for round in 1..=options.runs {
        eprintln!("round {round} of {}", options.runs);
        // PyTorch first in every round, and each side in a fresh process: once Burn has run,
        // its idle worker threads can still take CPU time from another process (measured:
        // PyTorch's epoch at 54 ms after the Rust rows, 19–23 ms alone).
        if vs_pytorch {
            torch_rounds.push(run_pytorch()?);
        }
        rounds.push(run_round()?);
    }
    println!(
        "article workload: {WINDOWS} windows × {WINDOW_LEN} steps × 1 feature, hidden {HIDDEN}, head {HEAD}, \
         full batch, AdamW; medians of {TIMED_EPOCHS} after {WARM_UP_EPOCHS} warm-up; {} round(s): \
         median (min–max) over the rounds",
        options.runs
    );
    print_rows(&rounds);
    print_floors(&rounds);
    if let Some(peak) = rounds
        .iter()
        .filter_map(|r| r.peak_memory_mib)
        .reduce(f64::max)
    {
        println!("peak memory of a bench process (before the floor's product): {peak:.1} MiB");
    }
    if !torch_rounds.is_empty() {
        print_pytorch(&torch_rounds)?;
        print_ratios(&rounds, &torch_rounds)?;
    }
    write_json(&rounds, &torch_rounds)
}

/// One round's Rust rows, measured here: every network on every backend, then each backend's
/// floor (after the peak memory is read, so that the product's matrices are not counted).
fn measure_round() -> Round {
    let mut rows = Vec::new();
    for (backend, device) in backends() {
        for (name, cell) in [
            ("yoho fused LSTM", CellKind::Lstm),
            ("yoho fused GRU", CellKind::Gru),
            ("yoho fused RNN", CellKind::Rnn),
        ] {
            rows.push(measure(backend, name, &device, |d| {
                RnnForecasterConfig::new(1, HIDDEN)
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
    let peak_memory_mib = peak_memory_mib();
    let floors = backends()
        .into_iter()
        .map(|(backend, device)| measure_floor(backend, &device))
        .collect();
    Round {
        rows,
        floors,
        peak_memory_mib,
    }
}

/// Runs one round's Rust side in a fresh process of this program.
fn run_round() -> anyhow::Result<Round> {
    let output = std::process::Command::new(std::env::current_exe()?)
        .args(["bench", ROUND_FLAG])
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot start a bench round")?;
    anyhow::ensure!(output.status.success(), "a bench round failed");
    serde_json::from_slice(&output.stdout).context("a bench round printed no JSON")
}

/// The median of `values` and, with several, their range: `median (min–max)`.
pub(crate) fn summary(values: &[f64], digits: usize) -> String {
    let (median, min, max) = spread(values);
    match values.len() {
        1 => format!("{median:.digits$}"),
        _ => format!("{median:.digits$} ({min:.digits$}–{max:.digits$})"),
    }
}

fn median(values: &[f64]) -> f64 {
    spread(values).0
}

/// The rows of every round, row by row: the same row of each round in one list.
fn by_row(rounds: &[Round]) -> Vec<Vec<&Measurement>> {
    (0..rounds[0].rows.len())
        .map(|index| rounds.iter().map(|round| &round.rows[index]).collect())
        .collect()
}

/// The median floor of `backend` over the rounds, in GFLOP/s.
fn floor_of(rounds: &[Round], backend: &str) -> Option<f64> {
    let rates: Vec<f64> = rounds
        .iter()
        .flat_map(|round| &round.floors)
        .filter(|floor| floor.backend == backend)
        .map(|floor| floor.gflop_per_s)
        .collect();
    (!rates.is_empty()).then(|| median(&rates))
}

fn print_header() {
    println!(
        "{:<16} {:<22} {:>22} {:>9} {:>10} {:>22} {:>24}",
        "backend",
        "model",
        "epoch (ms)",
        "GFLOP/s",
        "floor (ms)",
        "1 window (ms)",
        "1,024 windows (k win/s)"
    );
}

/// One line of the table: a network's epoch, its rate, its floor, latency and throughput.
fn print_line(backend: &str, model: &str, rounds: [Vec<f64>; 3], floor_gflop_per_s: Option<f64>) {
    let [epochs, latencies, throughputs] = rounds;
    let flops = epoch_flops(model);
    let floor_ms =
        floor_gflop_per_s.map_or("".to_string(), |rate| format!("{:.2}", flops / rate / 1e6));
    let thousands: Vec<f64> = throughputs.iter().map(|rate| rate / 1e3).collect();
    println!(
        "{backend:<16} {model:<22} {:>22} {:>9.0} {floor_ms:>10} {:>22} {:>24}",
        summary(&epochs, 2),
        flops / median(&epochs) / 1e6,
        summary(&latencies, 3),
        summary(&thousands, 0)
    );
}

/// The Rust rows, each summarised over the rounds.
fn print_rows(rounds: &[Round]) {
    print_header();
    for rows in by_row(rounds) {
        let values = |value: fn(&Measurement) -> f64| rows.iter().map(|row| value(row)).collect();
        print_line(
            &rows[0].backend,
            &rows[0].model,
            [
                values(|row| row.epoch_ms),
                values(|row| row.one_window_ms),
                values(|row| row.throughput_windows_per_s),
            ],
            floor_of(rounds, &rows[0].backend),
        );
    }
}

/// Each backend's floor: its large product's rate, and the epochs at that rate.
fn print_floors(rounds: &[Round]) {
    for floor in &rounds[0].floors {
        let rate = floor_of(rounds, &floor.backend).unwrap_or(floor.gflop_per_s);
        println!(
            "floor on {}: a {FLOOR_SIZE}×{FLOOR_SIZE} by {FLOOR_SIZE}×{FLOOR_SIZE} product runs at \
             {rate:.0} GFLOP/s; \"floor (ms)\" is an epoch's products at that rate \
             (LSTM {:.2}, GRU {:.2}, RNN {:.2} GFLOP, the backward pass counted as twice the forward)",
            floor.backend,
            epoch_flops("lstm") / 1e9,
            epoch_flops("gru") / 1e9,
            epoch_flops("rnn") / 1e9,
        );
    }
}

/// Whether `python3 -c "import torch"` works; says so when it does not.
fn pytorch_available() -> bool {
    let available = std::process::Command::new("python3")
        .args(["-c", "import torch"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !available {
        println!("--vs-pytorch: skipped, `python3 -c \"import torch\"` fails on this machine");
    }
    available
}

/// Runs `bench_pytorch.py` once, with as many threads as this process may use.
fn run_pytorch() -> anyhow::Result<serde_json::Value> {
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
    serde_json::from_slice(&output.stdout).with_context(|| format!("{script} printed no JSON"))
}

/// PyTorch's numbers for `cell` in one round: epoch (ms), one window (ms), windows per second.
fn pytorch_numbers(torch: &serde_json::Value, cell: &str) -> anyhow::Result<[f64; 3]> {
    let entry = torch["cells"].get(cell).unwrap_or(torch);
    Ok([
        entry["epoch_ms"].as_f64().context("epoch_ms")?,
        entry["one_window_ms"].as_f64().unwrap_or(f64::NAN),
        entry["throughput_windows_per_s"]
            .as_f64()
            .unwrap_or(f64::NAN),
    ])
}

/// PyTorch's rows, each summarised over the rounds.
fn print_pytorch(torch_rounds: &[serde_json::Value]) -> anyhow::Result<()> {
    let version = torch_rounds[0]["torch"].as_str().unwrap_or("?");
    let threads = &torch_rounds[0]["threads"];
    for cell in ["lstm", "gru", "rnn"] {
        let mut columns: [Vec<f64>; 3] = Default::default();
        for torch in torch_rounds {
            for (column, value) in columns.iter_mut().zip(pytorch_numbers(torch, cell)?) {
                column.push(value);
            }
        }
        print_line(
            &format!("PyTorch {version}"),
            &format!("nn.{}, {threads} thr", cell.to_uppercase()),
            columns,
            None,
        );
    }
    Ok(())
}

/// Every Rust row's ratios to PyTorch's same cell (Burn's stock LSTM against PyTorch's LSTM),
/// each taken within one round and summarised over the rounds.
fn print_ratios(rounds: &[Round], torch_rounds: &[serde_json::Value]) -> anyhow::Result<()> {
    println!("ratios to PyTorch's, each within one round: median (min–max) over the rounds");
    for rows in by_row(rounds) {
        let mut ratios: [Vec<f64>; 3] = Default::default();
        for (row, torch) in rows.iter().zip(torch_rounds) {
            let [epoch, one, many] = pytorch_numbers(torch, cell_of(&row.model))?;
            ratios[0].push(row.epoch_ms / epoch);
            ratios[1].push(row.one_window_ms / one);
            ratios[2].push(row.throughput_windows_per_s / many);
        }
        println!(
            "{:<16} {:<22} / PyTorch's: epoch {}, 1 window {}, 1,024 windows' throughput {}",
            rows[0].backend,
            rows[0].model,
            summary(&ratios[0], 2),
            summary(&ratios[1], 2),
            summary(&ratios[2], 2)
        );
    }
    Ok(())
}

fn write_json(rounds: &[Round], torch_rounds: &[serde_json::Value]) -> anyhow::Result<()> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_string());
    let directory = std::path::Path::new(&target).join("bench");
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("cannot create {}", directory.display()))?;
    let path = directory.join("bench.json");
    let text = serde_json::to_string_pretty(&json!({ "rounds": rounds, "pytorch": torch_rounds }))?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
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
    fn options_take_rounds_and_refuse_what_they_do_not_know() {
        let options = Options::parse(&args("--vs-pytorch --runs 5")).unwrap();
        assert!(options.vs_pytorch && !options.round);
        assert_eq!(options.runs, 5);
        assert_eq!(Options::parse(&[]).unwrap().runs, DEFAULT_RUNS);
        for bad in ["--runs 0", "--runs", "--runs many"] {
            let error = Options::parse(&args(bad)).err().unwrap().to_string();
            assert!(error.contains("--runs expects a number"), "{bad}: {error}");
        }
        let error = Options::parse(&args("--fast")).err().unwrap().to_string();
        assert!(error.contains("unknown option --fast"), "{error}");
    }

    #[test]
    fn an_epoch_counts_every_product_of_the_equations() {
        // per window: 5 steps of W_ih·x (1 feature) and W_hh·h for 4 gates of 100 units, then
        // the head's 100→50 and 50→1; the backward pass twice the forward
        let per_window = 5 * 2 * 4 * 100 * (1 + 100) + 2 * (100 * 50 + 50);
        assert_eq!(per_window, 414_100);
        assert_eq!(epoch_flops("yoho fused LSTM"), 3.0 * 987.0 * 414_100.0);
        assert_eq!(epoch_flops("burn nn::Lstm"), epoch_flops("yoho fused LSTM"));
        let gru_per_window = 5 * 2 * 3 * 100 * 101 + 2 * (100 * 50 + 50);
        assert_eq!(
            epoch_flops("yoho fused GRU"),
            3.0 * 987.0 * gru_per_window as f64
        );
        assert_eq!(gates_of("nn.RNN, 2 thr"), 1);
    }

    #[test]
    fn a_summary_gives_the_median_and_the_range() {
        assert_eq!(summary(&[5.5], 2), "5.50");
        assert_eq!(summary(&[7.62, 5.05, 5.5], 2), "5.50 (5.05–7.62)");
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0, 0.0]), 2.0);
    }
}
