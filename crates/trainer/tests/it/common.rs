//! Helpers shared by the end-to-end tests: tiny series and configs, and running the binary.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

/// A small, learnable series: a slow wave around 1,000 with ISO dates and LF endings.
pub fn series_csv(rows: usize) -> String {
    let mut text = String::from("Date,Open,Close\n");
    let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    for i in 0..rows {
        let date = start + chrono::Days::new(i as u64);
        let open = 1000.0 + 50.0 * (i as f64 / 6.0).sin() + i as f64;
        text += &format!("{date},{open:.2},{:.2}\n", open + 1.0);
    }
    text
}

/// Writes [`series_csv`] to `dir/series.csv`.
pub fn write_series(dir: &Path, rows: usize) -> PathBuf {
    let path = dir.join("series.csv");
    std::fs::write(&path, series_csv(rows)).unwrap();
    path
}

/// A tiny experiment on `data`: window 4, 10 test and 5 validation days, hidden size 8.
/// `data_extra` and `train_extra` are appended to the `[data]` and `[train]` sections.
pub fn config_text(data: &Path, data_extra: &str, train_extra: &str) -> String {
    format!(
        r#"
[data]
path = "{}"
features = ["Open", "Close"]
target = "Open"
scaling = "standard"
window_len = 4
test_len = 10
valid_len = 5
{data_extra}

[model]
hidden_size = 8
head = [4]

[train]
epochs = 3
batch_size = 16
seed = 7
lr = 0.01
{train_extra}
"#,
        data.display()
    )
}

/// Writes a config to `dir/tiny.toml`.
pub fn write_config(dir: &Path, data: &Path, train_extra: &str) -> PathBuf {
    let path = dir.join("tiny.toml");
    std::fs::write(&path, config_text(data, "", train_extra)).unwrap();
    path
}

/// Runs the trainer binary, on the CPU unless `args` name a `--device` (so that builds with
/// the GPU backend test the same numbers; the GPU has its own tests in `wgpu_backend.rs`).
pub fn trainer(args: &[&str]) -> Output {
    trainer_command(args)
        .output()
        .expect("the trainer binary runs")
}

/// The trainer binary with `args`, and `--device cpu` unless they name a device.
pub fn trainer_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trainer"));
    command.args(args);
    if !args.contains(&"--device") {
        command.args(["--device", "cpu"]);
    }
    command
}

/// Asserts that the trainer succeeded, showing its stderr when it did not.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "the trainer failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Trains `config` into the run directory `out`, asserting success.
pub fn train(config: &Path, out: &Path) -> Output {
    let output = train_into(config, out, &[]);
    assert_success(&output);
    output
}

/// Runs `trainer --config CONFIG --out OUT` followed by `extra` arguments.
pub fn train_into(config: &Path, out: &Path, extra: &[&str]) -> Output {
    into(&[], config, out, extra)
}

/// Runs `trainer forecast --config CONFIG --out OUT` followed by `extra` arguments.
pub fn forecast(config: &Path, out: &Path, extra: &[&str]) -> Output {
    into(&["forecast"], config, out, extra)
}

/// Runs `trainer COMMAND… --config CONFIG --out OUT` followed by `extra` arguments.
fn into(command: &[&str], config: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = command.to_vec();
    args.extend(["--config", config.to_str().unwrap()]);
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend_from_slice(extra);
    trainer(&args)
}

/// Runs `trainer predict` with the run, the data and the output file.
pub fn predict_to(run: &Path, data: &Path, out: &Path) -> Output {
    trainer(&[
        "predict",
        "--run",
        run.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

/// Reads a file, naming it on failure.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts a clean failure: exit code 1, no panic, and every needle in stderr.
pub fn assert_clean_error(output: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "exit code; stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "a panic:\n{stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
}

/// Two monthly series, `small` and `large` (a yearly cycle on a trend each, at levels 100 and
/// 10,000, from 1990), in one long file (`month,shop,sales`) of `rows` months each.
pub fn two_shops_csv(rows: usize) -> String {
    let mut text = String::from("month,shop,sales\n");
    for i in 0..rows {
        let season = (i as f64 * std::f64::consts::PI / 6.0).sin();
        let date = format!("{}-{:02}-01", 1990 + i / 12, 1 + i % 12);
        let small = 100.0 + i as f64 + 10.0 * season;
        let large = 10_000.0 + 30.0 * i as f64 - 2_000.0 * season;
        text += &format!("{date},small,{small:.3}\n{date},large,{large:.3}\n");
    }
    text
}

/// Reads `child`'s piped stderr until a line holds `marker`, sends it `signal` (`"INT"`,
/// `"TERM"`) then, and reads the rest: all it printed there.
pub fn signal_at(child: &mut Child, marker: &str, signal: &str) -> String {
    let mut stderr = BufReader::new(child.stderr.take().expect("a piped stderr"));
    let mut seen = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        seen += &line;
        let reached = line.contains(marker);
        line.clear();
        if reached {
            let pid = child.id().to_string();
            let status = Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .status()
                .unwrap();
            assert!(status.success());
            break;
        }
    }
    stderr.read_to_string(&mut seen).unwrap();
    seen
}
