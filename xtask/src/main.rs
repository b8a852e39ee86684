//! `cargo xtask <task>`: developer tasks.
//!
//! - `bench [--vs-pytorch] [--runs N]`: times the article's workload on every backend compiled
//!   in, in N rounds (3 by default), each after PyTorch's run with `--vs-pytorch`, against the
//!   floor of a large matrix product (see [`bench`](mod@bench)); writes `target/bench/bench.json`.
//! - `bench --data [--series N] [--rows N]`: loads, windows and trains one epoch on a generated
//!   panel of ten million rows, reporting seconds and peak memory (see [`data_bench`]); writes
//!   `target/bench/data.json`.
//! - `bench --trainer [--runs N]`: what the learner adds to an epoch of the main job and of the
//!   article's run (see [`trainer_bench`]); writes `target/bench/trainer.json`.
//! - `bench --backtest [--runs N]`: times a 10-fold backtest of `configs/lstm.toml`, one fold at a
//!   time and folds side by side (see [`backtest_bench`]); writes `target/bench/backtest.json`.
//! - `bench --accuracy DIR [--vs-statsforecast] [--jobs J]`: the M4 competition's protocol on
//!   every series of `DIR/manifest.csv`, Yoho one model per series and one per frequency against
//!   the naive forecasts and, with `--vs-statsforecast`, statsforecast's methods (see
//!   [`accuracy_bench`]); writes `target/bench/accuracy.csv` and `accuracy_forecasts.csv`.
//! - `bench --m4 DIR --set NAME [--series N] [--seed S]`: one of the M4 competition's six sets
//!   from its own files, run as one panel by the trainer's recipe and scored as M4 scores it
//!   (sMAPE, MASE, OWA against Naive2; see [`m4_bench`]); writes under `target/bench/m4-<set>/`.
//! - `bench --gpu [--device gpu|cuda] [--runs N] [--vs-pytorch] [--quick]`: the main job's
//!   shape and a large panel on a GPU, Yoho's fused CubeCL kernels against its composed
//!   equations and PyTorch's cuDNN (see [`gpu_bench`]); writes `target/bench/gpu.json`.
//! - `imports`: lists the source files that import each other (see [`imports`]); its test keeps
//!   the workspace free of them.

mod accuracy_bench;
mod backtest_bench;
mod bench;
mod data_bench;
#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod gpu_bench;
mod imports;
mod m4_bench;
mod trainer_bench;

use std::process::ExitCode;

/// Every task and its options.
const USAGE: &str = "usage: cargo xtask bench [--vs-pytorch] [--runs N] | bench --backtest [--runs N] | \
                     bench --accuracy DIR [--vs-statsforecast] [--jobs J] [--seed S] \
                     [--second-seed S] [--recipe FILE] [--short] | \
                     bench --m4 DIR --set NAME [--series N] [--seed S] | \
                     bench --data [--series N] [--rows N] | bench --trainer [--runs N] | \
                     bench --gpu [--device gpu|cuda] [--runs N] [--vs-pytorch] [--quick] | imports";

fn main() -> ExitCode {
    // the same allocator settings as the trainer binary, so that the benches time what it does
    trainer::keep_freed_memory();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("{USAGE}\n\nEach task is described in xtask/src/main.rs and in the README.");
        return ExitCode::SUCCESS;
    }
    let result = match args.first().map(String::as_str) {
        Some("bench") if args.iter().any(|arg| arg == "--backtest") => {
            backtest_runs(&args[1..]).and_then(backtest_bench::run)
        }
        Some("bench") if args.iter().any(|arg| arg == "--accuracy") => {
            accuracy_bench::AccuracyArgs::parse(&args[1..]).and_then(|a| accuracy_bench::run(&a))
        }
        Some("bench") if args.iter().any(|arg| arg == "--m4") => {
            m4_bench::M4Args::parse(&args[1..]).and_then(|a| m4_bench::run(&a))
        }
        Some("bench") if args.iter().any(|arg| arg == "--data") => data_bench::run(&args[1..]),
        #[cfg(any(feature = "wgpu", feature = "cuda"))]
        Some("bench") if args.iter().any(|arg| arg == "--gpu") => gpu_bench::run(&args[1..]),
        Some("bench") if args.iter().any(|arg| arg == "--trainer") => {
            trainer_bench::run(&args[1..])
        }
        Some("bench") => bench::run(&args[1..]),
        Some("imports") => print_import_cycles(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", trainer::error_text(&error));
            ExitCode::FAILURE
        }
    }
}

/// Prints every group of files that import each other; an error when there is one.
fn print_import_cycles() -> anyhow::Result<()> {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut count = 0;
    for root in imports::SOURCE_ROOTS {
        let src = workspace.join(root);
        for cycle in imports::cycles(&src) {
            count += 1;
            let names: Vec<String> = cycle.iter().map(|p| p.display().to_string()).collect();
            println!("files that import each other: {}", names.join(", "));
        }
        for cycle in imports::module_cycles(&src) {
            count += 1;
            println!(
                "modules of {root} that import each other: {}",
                cycle.join(", ")
            );
        }
    }
    match count {
        0 => {
            println!("no file imports a file that imports it back");
            Ok(())
        }
        _ => anyhow::bail!("{count} group(s) of files import each other"),
    }
}

/// The `--runs N` of `bench --backtest` (default 1); any other option is an error.
fn backtest_runs(args: &[String]) -> anyhow::Result<usize> {
    runs_option(args, "--backtest", 1)
}

/// The `--runs N` among `args` (`default` without it) of the bench named by `flag`; any other
/// option is an error.
pub fn runs_option(args: &[String], flag: &str, default: usize) -> anyhow::Result<usize> {
    let mut runs = default;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--runs" => {
                runs = rest
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| anyhow::anyhow!("--runs expects a number ≥ 1"))?;
            }
            other if other == flag => {}
            other => {
                anyhow::bail!("unknown option {other}; usage: cargo xtask bench {flag} [--runs N]")
            }
        }
    }
    Ok(runs)
}

/// The median of `values` and their range: `(median, min, max)`.
pub fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let count = sorted.len();
    let median = match count % 2 {
        1 => sorted[count / 2],
        _ => (sorted[count / 2 - 1] + sorted[count / 2]) / 2.0,
    };
    (median, sorted[0], sorted[count - 1])
}
