//! Interruption, resumption and divergence, through the `trainer` binary.

use crate::common;

use common::assert_success;

use std::path::Path;
use std::process::Stdio;

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
    let marker = format!("epoch {epoch:>6}/");
    let seen = common::signal_at(&mut child, &marker, "TERM");
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

/// Fails unless every file under `dir` (but the temporary files of unfinished writes, which
/// start with `.tmp`) is whole: it parses, decodes or loads as what its name says.
fn assert_every_file_is_whole(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(".tmp") {
            continue;
        }
        if path.is_dir() {
            assert_every_file_is_whole(&path);
            continue;
        }
        let whole = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => serde_json::from_str::<serde_json::Value>(&read(&path)).is_ok(),
            Some("toml") => toml::from_str::<toml::Table>(&read(&path)).is_ok(),
            Some("csv") | Some("md") => read(&path).ends_with('\n'),
            Some("png") => image::open(&path).is_ok(),
            Some("bpk") if name.starts_with("optim") => {
                burn::optim::OptimizerRecord::load(path.clone()).is_ok()
            }
            Some("bpk") if name.starts_with("scheduler") => {
                burn::optim::lr_scheduler::LrSchedulerRecord::load(path.clone()).is_ok()
            }
            Some("bpk") => burn::store::ModuleRecord::load(&path).is_ok(),
            _ => panic!("an unexpected file in a run: {}", path.display()),
        };
        assert!(whole, "{} is not whole", path.display());
    }
}

/// How a killed run was brought to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finish {
    /// Resumed from a checkpoint.
    Resumed,
    /// It had finished before the kill.
    AlreadyDone,
    /// Killed before its first checkpoint: started again.
    StartedAgain,
}

/// Continues the run in `out` after a kill: resumes it, or starts it again when it stopped
/// before its first checkpoint (or before it was a run at all).
fn finish_after_kill(config: &Path, out: &Path, epochs: &str) -> Finish {
    let resumed = trainer(&["--resume", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    if resumed.status.success() {
        return Finish::Resumed;
    }
    if stderr.contains("already finished") {
        return Finish::AlreadyDone;
    }
    assert!(
        stderr.contains("no checkpoint")
            || stderr.contains("no complete checkpoint")
            || stderr.contains("is not a run directory"),
        "resume failed for another reason:\n{stderr}"
    );
    let mut again = [args(config, out), vec!["--epochs", epochs]].concat();
    if out.join("config.toml").exists() {
        again.push("--overwrite");
    }
    assert_success(&trainer(&again));
    Finish::StartedAgain
}

#[test]
fn sigkill_at_any_moment_then_resume_ends_as_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 60);
    let config = dir.path().join("killed.toml");
    let text = read(&deterministic_config(dir.path(), &data))
        .replace("checkpoint_every = 1000", "checkpoint_every = 20");
    std::fs::write(&config, text).unwrap();
    let epochs = "300";

    let straight = dir.path().join("straight");
    let started = std::time::Instant::now();
    assert_success(&trainer(
        &[args(&config, &straight), vec!["--epochs", epochs]].concat(),
    ));
    let full_run = started.elapsed();
    let metrics = |run: &Path| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&read(&run.join("metrics.json"))).unwrap()["test"]
            .clone()
    };

    // 20 moments spread over the whole run, start-up and reports included (a fixed LCG)
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut finishes = Vec::new();
    for attempt in 0..20 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let fraction = (state >> 11) as f64 / (1u64 << 53) as f64;
        let out = dir.path().join(format!("killed-{attempt}"));
        let mut child =
            common::trainer_command(&[args(&config, &out), vec!["--epochs", epochs]].concat())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
        std::thread::sleep(full_run.mul_f64(fraction));
        let _ = child.kill(); // SIGKILL; the run may have finished already
        child.wait().unwrap();
        assert_every_file_is_whole(&out);

        finishes.push(finish_after_kill(&config, &out, epochs));
        assert_eq!(
            metrics(&out),
            metrics(&straight),
            "killed after {:.0} % of the run",
            100.0 * fraction
        );
        assert_eq!(
            read(&out.join("predictions.csv")),
            read(&straight.join("predictions.csv"))
        );
        assert_eq!(
            read(&out.join("loss.csv")),
            read(&straight.join("loss.csv")),
            "every epoch's loss, those before the kill included"
        );
        assert_every_file_is_whole(&out);
    }
    eprintln!("how the killed runs ended: {finishes:?}");
    // most kills land in training, after a checkpoint: those runs must have been resumed
    let resumed = finishes.iter().filter(|f| **f == Finish::Resumed).count();
    assert!(resumed >= 5, "too few kills were resumed: {finishes:?}");
}

/// A Ctrl-C during the second fit for the intervals stops it at the end of an epoch; the run,
/// whose model had trained, is written whole, its intervals calibrated on the statistical
/// voices instead, and exits with 130.
#[test]
fn ctrl_c_during_the_second_fit_writes_the_run_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("monthly.csv");
    let mut csv = String::from("month,sales\n");
    for i in 0..120 {
        let value = 100.0 + i as f64 + 10.0 * (i as f64 * std::f64::consts::PI / 6.0).sin();
        csv += &format!("{}-{:02}-01,{value:.3}\n", 1990 + i / 12, 1 + i % 12);
    }
    std::fs::write(&data, csv).unwrap();
    let config = dir.path().join("recipe.toml");
    let text = format!(
        "[data]\npath = {:?}\ndate_column = \"month\"\ntarget = \"sales\"\nhorizon = 6\n",
        data.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("run");
    let mut child = common::trainer_command(&args(&config, &out))
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let seen = common::signal_at(&mut child, "second fit for the intervals", "INT");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(
        seen.contains("interrupted after the run's training"),
        "{seen}"
    );
    assert_every_file_is_whole(&out);
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&out.join("metrics.json"))).unwrap();
    assert_eq!(
        metrics["intervals"]["calibration"],
        "voices_at_rolling_origins"
    );
    assert!(metrics["intervals"]["model"]["levels"]["80"]["coverage"].is_number());
    assert!(out.join("report.md").is_file());
}
