//! Interruption, resumption and divergence, through the `trainer` binary.

use crate::common;

use common::assert_success;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{assert_clean_error, read, trainer, write_series};

/// Full-batch, unshuffled, no dropout: every epoch is a deterministic function of the last.
fn deterministic_config(dir: &Path, data: &Path) -> std::path::PathBuf {
    let text = common::config_text(data, "", "shuffle = false\ncheckpoint_every = 1000")
        .replace("batch_size = 16", "batch_size = 0");
    let path = dir.join("deterministic.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn args<'a>(config: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec![
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]
}

/// Starts the trainer, waits until it reports `epoch`, sends SIGTERM, and returns its output.
fn run_and_interrupt(config: &Path, out: &Path, epoch: usize) -> (Option<i32>, String) {
    let mut child =
        common::trainer_command(&[args(config, out), vec!["--epochs", "4000"]].concat())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    let marker = format!("epoch {epoch:>6}/");
    while stderr.read_line(&mut line).unwrap() > 0 {
        seen += &line;
        let reached = line.contains(&marker);
        line.clear();
        if reached {
            let status = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            break;
        }
    }
    while stderr.read_line(&mut line).unwrap() > 0 {
        seen += &line;
        line.clear();
    }
    let status = child.wait().unwrap();
    (status.code(), seen)
}

#[test]
fn sigterm_checkpoints_and_resume_ends_where_an_uninterrupted_run_ends() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 60);
    let config = deterministic_config(dir.path(), &data);

    let interrupted = dir.path().join("interrupted");
    // 4000 epochs print every 200: interrupt right after epoch 200 is reported
    let (code, stderr) = run_and_interrupt(&config, &interrupted, 200);
    assert_eq!(code, Some(130), "interrupted runs exit with 130:\n{stderr}");
    assert!(
        stderr.contains("trainer --resume"),
        "says how to resume:\n{stderr}"
    );
    assert!(
        !interrupted.join("predictions.csv").exists(),
        "no predictions from a stopped run"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let output = trainer(&["--resume", interrupted.to_str().unwrap()]);
    let resumed_stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{resumed_stderr}");
    assert!(resumed_stderr.contains("resuming"), "{resumed_stderr}");

    let straight = dir.path().join("straight");
    let output = trainer(&[args(&config, &straight), vec!["--epochs", "4000"]].concat());
    assert_success(&output);

    let metrics = |run: &Path| -> serde_json::Value {
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap()
    };
    assert_eq!(metrics(&interrupted)["test"], metrics(&straight)["test"]);
    assert_eq!(
        read(&interrupted.join("predictions.csv")),
        read(&straight.join("predictions.csv"))
    );
    let loss_rows = read(&interrupted.join("loss.csv")).lines().count();
    assert_eq!(
        loss_rows,
        1 + 4000,
        "the resumed run's loss.csv covers every epoch"
    );
}

#[test]
fn an_absurd_learning_rate_stops_with_advice_and_no_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 60);
    let config = dir.path().join("wild.toml");
    let text = common::config_text(&data, "", "")
        .replace("lr = 0.01", "lr = 1e30")
        .replace("scaling = \"standard\"", "scaling = \"none\"");
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("run");
    let output = trainer(&[args(&config, &out), vec!["--epochs", "50"]].concat());
    assert_clean_error(
        &output,
        &[
            "diverged at epoch",
            "lower learning rate",
            "lr = 1000000000000000000000000000000",
        ],
    );
    assert!(!out.join("predictions.csv").exists());
    assert!(!out.join("metrics.json").exists());
}
