//! `cargo xtask bench --data`: the data stage at scale. Generates a long-format panel of
//! `--series` random-walk series × `--rows` daily rows (default 100 × 100,000: ten million rows),
//! then, each in a process of its own,
//! 1. loads and prepares it (`yoho_data::prepare_panel`: read, check, split, scale, windows),
//! 2. runs the trainer on it for one epoch (load, window, one epoch in mini-batches, evaluation
//!    of every series and its reports),
//!
//! and reports each one's seconds and peak memory (the process's peak resident set) against
//! the size of the raw data. Writes `target/bench/data.json`.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde_json::json;
use trainer::cli::TrainArgs;
use trainer::device::DeviceChoice;

/// The sizes to bench.
struct Sizes {
    series: usize,
    rows: usize,
}

fn parse(args: &[String]) -> anyhow::Result<Sizes> {
    let mut sizes = Sizes {
        series: 100,
        rows: 100_000,
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut number = |name: &str| {
            rest.next()
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| anyhow::anyhow!("{name} expects a number ≥ 1"))
        };
        match arg.as_str() {
            "--data" => {}
            "--series" => sizes.series = number("--series")?,
            "--rows" => sizes.rows = number("--rows")?,
            other => anyhow::bail!(
                "unknown option {other}; usage: cargo xtask bench --data [--series N] [--rows N]"
            ),
        }
    }
    Ok(sizes)
}

/// Writes the panel: `Date,series,value`, series after series, each a random walk at its own
/// level, daily from 1700-01-01.
fn write_panel(path: &Path, sizes: &Sizes) -> anyhow::Result<u64> {
    let file = std::fs::File::create(path).with_context(|| format!("{}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(out, "Date,series,value")?;
    let start = yoho_data::NaiveDate::from_ymd_opt(1700, 1, 1).expect("a valid date");
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for series in 0..sizes.series {
        let mut value = 100.0 * (series + 1) as f64;
        let mut date = start;
        for _ in 0..sizes.rows {
            // xorshift: a uniform step in (−0.5, 0.5) % of the level
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let uniform = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            value *= 1.0 + 0.01 * uniform;
            writeln!(out, "{date},s{series:03},{value:.4}")?;
            date = date.succ_opt().context("the calendar's end")?;
        }
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

const CONFIG: &str = r#"
[data]
path = "PATH"
series_column = "series"
features = ["value"]
target = "value"
window_len = 10
test_len = 20
valid_len = 50

[model]
hidden_size = 16
head = []

[train]
epochs = 1
batch_size = 0
shuffle = true
seed = 42
lr = 0.001
patience = 0

[evaluate]
season = 7
"#;

/// The process's peak resident set, bytes (Linux).
fn peak_rss() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .context("/proc/self/status has no VmHWM")?;
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .context("VmHWM")?;
    Ok(kib * 1024)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// One phase's seconds and peak resident set, measured in a process of its own.
struct Phase {
    seconds: f64,
    peak: u64,
    /// The learner's wall time (the trainer phase).
    epoch_seconds: Option<f64>,
    /// Training windows (the load phase).
    windows: Option<usize>,
}

/// Runs one phase in this process and prints what it measured as one JSON line.
fn run_phase(phase: &str, config_path: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let (epoch_seconds, windows) = match phase {
        "load" => {
            let panel = yoho_data::prepare_panel(&data_section(config_path)?, &[])?;
            let windows: usize = panel.series.iter().map(|s| s.data.splits.train.len()).sum();
            (None, Some(windows))
        }
        "trainer" => {
            let out = config_path.with_file_name("run");
            trainer::train::train_and_evaluate(&TrainArgs {
                config: config_path.to_path_buf(),
                data: None,
                epochs: Some(1),
                out: Some(out.clone()),
                overwrite: true,
                resume: None,
                device: DeviceChoice::Cpu,
            })?;
            let metrics: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json"))?)?;
            (metrics["training"]["wall_seconds"].as_f64(), None)
        }
        other => anyhow::bail!("unknown phase {other}"),
    };
    let line = json!({
        "seconds": started.elapsed().as_secs_f64(),
        "peak": peak_rss()?,
        "epoch_seconds": epoch_seconds,
        "windows": windows,
    });
    println!("PHASE {line}");
    Ok(())
}

/// Runs `phase` in a fresh process (this program again), so that its peak memory is its own.
fn measure(phase: &str, config_path: &Path) -> anyhow::Result<Phase> {
    let output = std::process::Command::new(std::env::current_exe()?)
        .args(["bench", "--data", "--phase", phase, "--config"])
        .arg(config_path)
        .stderr(std::process::Stdio::inherit())
        .output()?;
    anyhow::ensure!(output.status.success(), "the {phase} phase failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("PHASE "))
        .with_context(|| format!("the {phase} phase printed no measurement"))?;
    let value: serde_json::Value = serde_json::from_str(line)?;
    Ok(Phase {
        seconds: value["seconds"].as_f64().context("seconds")?,
        peak: value["peak"].as_u64().context("peak")?,
        epoch_seconds: value["epoch_seconds"].as_f64(),
        windows: value["windows"].as_u64().map(|n| n as usize),
    })
}

/// Runs the data bench (or, with `--phase`, one of its phases).
pub fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(index) = args.iter().position(|arg| arg == "--phase") {
        let phase = args.get(index + 1).context("--phase expects a name")?;
        let config = args
            .iter()
            .position(|arg| arg == "--config")
            .and_then(|i| args.get(i + 1))
            .context("--phase needs --config")?;
        return run_phase(phase, Path::new(config));
    }
    let sizes = parse(args)?;
    let directory = crate::backtest_bench::target_dir()
        .join("bench")
        .join("data");
    std::fs::create_dir_all(&directory)?;
    let data = directory.join(format!("panel-{}x{}.csv", sizes.series, sizes.rows));
    let started = Instant::now();
    let file_bytes = write_panel(&data, &sizes)?;
    eprintln!(
        "wrote {} ({:.0} MiB, {} rows) in {:.1} s",
        data.display(),
        mib(file_bytes),
        sizes.series * sizes.rows,
        started.elapsed().as_secs_f64()
    );
    let config_path = directory.join("panel.toml");
    std::fs::write(
        &config_path,
        CONFIG.replace("PATH", &data.display().to_string()),
    )?;
    // the values the series hold in memory: an 8-byte timestamp and a value per row
    let values_bytes = (sizes.series * sizes.rows * (8 + 8)) as u64;
    let load = measure("load", &config_path)?;
    let run = measure("trainer", &config_path)?;
    let windows = load.windows.unwrap_or(0);
    println!(
        "\ndata bench: {} series × {} rows = {} rows ({} training windows of 10 days); \
         raw data: CSV file {:.0} MiB (its timestamps and values in memory: {:.0} MiB)",
        sizes.series,
        sizes.rows,
        sizes.series * sizes.rows,
        windows,
        mib(file_bytes),
        mib(values_bytes),
    );
    println!(
        "{:<44} {:>9} {:>15} {:>13}",
        "phase (a process each)", "seconds", "peak RSS (MiB)", "× CSV file"
    );
    for (phase, measured) in [
        ("load + window (prepare_panel)", &load),
        ("trainer: load, window, 1 epoch, evaluation", &run),
    ] {
        println!(
            "{phase:<44} {:>9.1} {:>15.0} {:>13.2}",
            measured.seconds,
            mib(measured.peak),
            measured.peak as f64 / file_bytes as f64
        );
    }
    let epoch_seconds = run.epoch_seconds.unwrap_or(f64::NAN);
    println!("of which the epoch (the learner's wall time): {epoch_seconds:.1} s");
    let report = json!({
        "series": sizes.series,
        "rows_per_series": sizes.rows,
        "training_windows": windows,
        "csv_bytes": file_bytes,
        "values_bytes": values_bytes,
        "load": {"seconds": load.seconds, "peak_rss_bytes": load.peak},
        "trainer_one_epoch": {"seconds": run.seconds, "peak_rss_bytes": run.peak, "epoch_seconds": epoch_seconds},
    });
    std::fs::write(
        crate::backtest_bench::target_dir()
            .join("bench")
            .join("data.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::remove_file(&data).ok();
    Ok(())
}

/// The `[data]` section of the bench config.
fn data_section(path: &Path) -> anyhow::Result<yoho_data::DataConfig> {
    #[derive(serde::Deserialize)]
    struct Sections {
        data: yoho_data::DataConfig,
    }
    let text = std::fs::read_to_string(path)?;
    let sections: Sections = toml::from_str(&text)?;
    Ok(sections.data)
}
