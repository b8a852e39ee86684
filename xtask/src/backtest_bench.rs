//! `cargo xtask bench --backtest`: times a 10-fold backtest of `configs/lstm.toml` (20 targets a
//! fold, a new model every fold), one fold at a time and with every core's worth of folds side
//! by side, with the trainer's own backtest; prints seconds per fold.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::json;
use trainer::cli::BacktestArgs;
use trainer::device::DeviceChoice;
use yoho_eval::backtest::{HistoryWindow, Refit};

const CONFIG: &str = "configs/lstm.toml";
const FOLDS: usize = 10;
const STEP: usize = 20;

/// The build's output folder: `CARGO_TARGET_DIR` or `target`.
pub fn target_dir() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_string()))
}

/// One backtest with `jobs` folds at a time, in this process: its wall seconds.
fn time_backtest(jobs: usize, out: &Path) -> anyhow::Result<f64> {
    let args = BacktestArgs {
        config: CONFIG.into(),
        folds: Some(FOLDS),
        step: Some(STEP),
        refit: Refit::Every,
        window: HistoryWindow::Expanding,
        jobs: Some(jobs),
        epochs: None,
        out: Some(out.to_path_buf()),
        overwrite: true,
        device: DeviceChoice::Cpu,
    };
    trainer::backtest::run_backtest(&args)?;
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json"))?)?;
    metrics["wall_seconds"].as_f64().context("wall_seconds")
}

/// Runs the backtest bench: `runs` backtests for each number of jobs, medians and spreads.
pub fn run(runs: usize) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let scratch = tempfile_dir()?;
    let mut rows = Vec::new();
    for jobs in [1, cores.max(2)] {
        let mut walls = Vec::new();
        for run in 0..runs {
            let wall = time_backtest(jobs, &scratch.join(format!("j{jobs}-{run}")))?;
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
