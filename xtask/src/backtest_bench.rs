//! `cargo xtask bench --backtest`: times a 10-fold backtest of `configs/lstm.toml` (20 targets a
//! fold, a new model every fold), one fold at a time and with every core's worth of folds side
//! by side, by running the trainer binary; prints seconds per fold.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::json;

const CONFIG: &str = "configs/lstm.toml";
const FOLDS: usize = 10;
const STEP: usize = 20;

/// The build's output folder: `CARGO_TARGET_DIR` or `target`.
fn target_dir() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_string()))
}

/// Builds the trainer in the profile the xtask runs in and returns its path.
fn build_trainer() -> anyhow::Result<PathBuf> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "-p", "trainer"])
        .status()
        .context("cannot run cargo build -p trainer")?;
    if !status.success() {
        bail!("cargo build -p trainer failed");
    }
    Ok(target_dir().join("debug").join("trainer"))
}

/// One backtest with `jobs` folds at a time: its wall seconds and mean seconds per fold.
fn time_backtest(trainer: &Path, jobs: usize, out: &Path) -> anyhow::Result<(f64, f64)> {
    let output = Command::new(trainer)
        .args(["backtest", "--config", CONFIG, "--device", "cpu"])
        .args(["--folds", &FOLDS.to_string(), "--step", &STEP.to_string()])
        .args(["--jobs", &jobs.to_string(), "--out"])
        .arg(out)
        .output()
        .context("cannot run the trainer")?;
    if !output.status.success() {
        bail!(
            "the backtest failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json"))?)?;
    let wall = metrics["wall_seconds"].as_f64().context("wall_seconds")?;
    Ok((wall, wall / FOLDS as f64))
}

/// Runs the backtest bench: `runs` backtests for each number of jobs, medians and spreads.
pub fn run(runs: usize) -> anyhow::Result<()> {
    let trainer = build_trainer()?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let scratch = tempfile_dir()?;
    let mut rows = Vec::new();
    for jobs in [1, cores.max(2)] {
        let mut walls = Vec::new();
        for run in 0..runs {
            let (wall, _) = time_backtest(&trainer, jobs, &scratch.join(format!("j{jobs}-{run}")))?;
            eprintln!("{jobs} job(s), run {}: {wall:.1} s", run + 1);
            walls.push(wall);
        }
        walls.sort_by(f64::total_cmp);
        rows.push((jobs, walls));
    }
    println!(
        "backtest of {CONFIG}: {FOLDS} folds × {STEP} targets, refit every; {runs} run(s) each, \
         median (min–max)"
    );
    println!("{:>6} {:>24} {:>22}", "jobs", "wall (s)", "per fold (s)");
    for (jobs, walls) in &rows {
        let median = walls[walls.len() / 2];
        println!(
            "{jobs:>6} {:>24} {:>22.2}",
            format!(
                "{median:.1} ({:.1}–{:.1})",
                walls[0],
                walls[walls.len() - 1]
            ),
            median / FOLDS as f64
        );
    }
    let report = json!({
        "config": CONFIG,
        "folds": FOLDS,
        "step": STEP,
        "cores": cores,
        "runs": rows.iter().map(|(jobs, walls)| json!({"jobs": jobs, "wall_seconds": walls})).collect::<Vec<_>>(),
    });
    let directory = target_dir().join("bench");
    std::fs::create_dir_all(&directory)?;
    std::fs::write(
        directory.join("backtest.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::remove_dir_all(&scratch).ok();
    Ok(())
}

/// A fresh scratch folder under the build's output folder.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let directory = target_dir()
        .join("bench")
        .join(format!("backtest-runs-{}", std::process::id()));
    std::fs::create_dir_all(&directory)?;
    Ok(directory)
}
