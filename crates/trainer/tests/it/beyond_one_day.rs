//! End-to-end: the NumPy article's sine experiment with closed-loop generation, multi-step
//! strategies (direct, recursive, seq2seq) with their per-step evaluation, and the optimisers.

use crate::common;

use std::path::{Path, PathBuf};

use common::{assert_clean_error, read, train, trainer, write_series};
use trainer::artifacts::files;

fn write_text(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn metrics(run: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&run.join(files::METRICS))).unwrap()
}

/// A pure sine (no noise) that a small network learns exactly in under a second.
const PURE_SINE: &str = r#"
[data]
source = "sine"
points = 60
noise = 0.0
features = ["value"]
target = "value"
scaling = "none"
window_len = 8
test_len = 5

[model]
hidden_size = 12

[train]
optimizer = "adam"
lr = 0.02
batch_size = 0
epochs = 600
seed = 1

[evaluate]
closed_loop = true
"#;

#[test]
fn closed_loop_generation_of_a_pure_sine_stays_within_five_hundredths() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_text(dir.path(), "pure.toml", PURE_SINE);
    let run = dir.path().join("run");
    let output = train(&config, &run);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Closed-loop generation, 52 values"),
        "{stdout}"
    );

    let generated = read(&run.join(files::GENERATED));
    let mut lines = generated.lines();
    assert_eq!(lines.next(), Some("row,date,x,actual,clean,generated"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 60);
    // the seed window has no generated value; every later row has one within the bound
    assert!(rows[..8].iter().all(|r| r[5].is_empty()));
    for row in &rows[8..] {
        let clean: f64 = row[4].parse().unwrap();
        let generated: f64 = row[5].parse().unwrap();
        let x: f64 = row[2].parse().unwrap();
        assert!((clean - x.sin()).abs() < 1e-12);
        assert!(
            (generated - clean).abs() < 0.05,
            "row {}: generated {generated}, sin(x) = {clean}",
            row[0]
        );
    }
    let summary = &metrics(&run)["closed_loop"];
    assert_eq!(summary["steps"], 52);
    assert!(
        summary["max_abs_error"].as_f64().unwrap() < 0.05,
        "{summary}"
    );
    assert!(run.join(files::GENERATED_PLOT).is_file());
    assert!(read(&run.join(files::REPORT)).contains(files::GENERATED_PLOT));
}

#[test]
fn shipped_sine_config_reproduces_the_numpy_article() {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/sine.toml");
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("sine");
    let output = train(&config, &run);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // the error every 10 epochs, as the article prints it
    for epoch in ["epoch     10/101", "epoch     50/101", "epoch    100/101"] {
        assert!(stderr.contains(epoch), "{epoch} missing:\n{stderr}");
    }
    let report = metrics(&run);
    assert_eq!(report["training"]["epochs"], 101);
    assert_eq!(report["data"]["rows"], 50);
    let rmse_vs_clean = report["closed_loop"]["rmse_vs_clean"].as_f64().unwrap();
    // the noise alone has a standard deviation of 0.1; the generated curve follows sin(x)
    assert!(
        rmse_vs_clean < 0.2,
        "closed-loop RMSE against sin(x): {rmse_vs_clean}"
    );
    for file in [files::GENERATED, files::GENERATED_PLOT, files::LOSS_PLOT] {
        assert!(run.join(file).is_file(), "{file}");
    }
}

/// A tiny univariate or OHLC-like config on the test series with `horizon` 3: a test period of
/// 12 rows, which holds 10 windows (origins).
fn multi_step_config(dir: &Path, features: &str, strategy: &str) -> PathBuf {
    let data = write_series(dir, 90);
    write_text(
        dir,
        &format!("{strategy}.toml"),
        &format!(
            r#"
[data]
path = "{}"
features = {features}
target = "Open"
scaling = "standard"
window_len = 4
horizon = 3
test_len = 12

[model]
hidden_size = 8
head = [4]
strategy = "{strategy}"

[train]
epochs = 3
batch_size = 16
seed = 7
lr = 0.01
"#,
            data.display()
        ),
    )
}

#[test]
fn every_strategy_is_evaluated_at_every_step_ahead() {
    for (strategy, features) in [
        ("direct", r#"["Open", "Close"]"#),
        ("recursive", r#"["Open"]"#),
        ("seq2seq", r#"["Close", "Open"]"#),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = multi_step_config(dir.path(), features, strategy);
        let run = dir.path().join("run");
        let output = train(&config, &run);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("By steps ahead"), "{strategy}: {stdout}");

        let by_step = metrics(&run)["by_step"].as_array().unwrap().clone();
        assert_eq!(by_step.len(), 3, "{strategy}");
        for (index, step) in by_step.iter().enumerate() {
            assert_eq!(step["steps_ahead"], index + 1);
            for key in ["model_rmse", "model_mae", "naive_rmse", "naive_mae"] {
                let value = step[key].as_f64().unwrap();
                assert!(
                    value.is_finite() && value >= 0.0,
                    "{strategy} {key} {value}"
                );
            }
        }
        // the table's model row measures every step: its MSE is the mean of the steps' MSEs
        let all = metrics(&run)["test"]["model"]["rmse"].as_f64().unwrap();
        let mean_mse = by_step
            .iter()
            .map(|step| step["model_rmse"].as_f64().unwrap().powi(2))
            .sum::<f64>()
            / 3.0;
        assert!(
            (all - mean_mse.sqrt()).abs() < 1e-9,
            "{all} vs {}",
            mean_mse.sqrt()
        );
        // its Diebold–Mariano test against naive assumes the horizon
        assert_eq!(metrics(&run)["test"]["model"]["dm_vs_naive"]["horizon"], 3);

        let csv = read(&run.join(files::BY_STEP));
        assert_eq!(csv.lines().count(), 1 + 10 * 3, "{strategy}");
        // every step's forecast inside its own interval (calibrated per step ahead, on the
        // training windows here: this config has no validation days)
        assert!(csv.starts_with(
            "window,first_target_date,steps_ahead,actual,model,naive,lower_80,upper_80,lower_95,upper_95\n"
        ));
        for line in csv.lines().skip(1) {
            let cells: Vec<f64> = line
                .split(',')
                .skip(2)
                .map(|c| c.parse().unwrap())
                .collect();
            let (model, lower, upper) = (cells[2], cells[4], cells[5]);
            assert!(lower < model && model < upper, "{strategy}: {line}");
        }
        assert_eq!(metrics(&run)["intervals"]["calibration"], "training");
        // the model's intervals are scored over every step of every window too, as by_step.csv
        // holds them (the table's own rows score each window's first step)
        let rows: Vec<Vec<f64>> = (csv.lines().skip(1))
            .map(|l| l.split(',').skip(3).map(|c| c.parse().unwrap()).collect())
            .collect();
        let inside = (rows.iter())
            .filter(|r| r[3] <= r[0] && r[0] <= r[4])
            .count();
        let width = rows.iter().map(|r| r[4] - r[3]).sum::<f64>() / 30.0;
        let every_step = &metrics(&run)["intervals"]["model_every_step"]["levels"]["80"];
        assert_eq!(
            every_step["coverage"].as_f64().unwrap(),
            inside as f64 / 30.0
        );
        assert!((every_step["mean_width"].as_f64().unwrap() - width).abs() < 1e-9 * width);
        let report = read(&run.join(files::REPORT));
        assert!(report.contains("| model, all h |"), "{strategy}: {report}");
        assert!(
            report.contains("over every step ahead (30 values)"),
            "{report}"
        );
        for file in [files::STEP_ERROR_PLOT, files::MULTI_STEP_PLOT] {
            assert!(run.join(file).is_file(), "{strategy}: {file}");
        }
    }
}

#[test]
fn naive_by_step_repeats_the_last_observed_value() {
    let dir = tempfile::tempdir().unwrap();
    let config = multi_step_config(dir.path(), r#"["Open"]"#, "direct");
    let run = dir.path().join("run");
    train(&config, &run);
    let csv = read(&run.join(files::BY_STEP));
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(2).map(|c| c.parse().unwrap()).collect())
        .collect();
    // window w's step h targets the same day as window w+1's step h-1 (stride 1)
    for w in 0..9 {
        for h in 1..3 {
            assert_eq!(rows[w * 3 + h][1], rows[(w + 1) * 3 + h - 1][1]);
        }
        let naive = rows[w * 3][3];
        assert!((0..3).all(|h| rows[w * 3 + h][3] == naive));
    }
    // and each window's naive value is the actual one day before its first target
    for w in 1..10 {
        assert_eq!(rows[w * 3][3], rows[(w - 1) * 3][1]);
    }
}

#[test]
fn strategies_that_feed_back_need_the_right_features() {
    let dir = tempfile::tempdir().unwrap();
    let config = multi_step_config(dir.path(), r#"["Open", "Close"]"#, "recursive");
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(
        &output,
        &["strategy = \"recursive\"", "features", "\"Open\""],
    );

    let config = multi_step_config(dir.path(), r#"["Close"]"#, "seq2seq");
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["strategy = \"seq2seq\"", "\"Open\""]);

    let text = read(&multi_step_config(
        dir.path(),
        r#"["Open", "Close"]"#,
        "direct",
    )) + "\n[evaluate]\nclosed_loop = true\n";
    let config = write_text(dir.path(), "closed.toml", &text);
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["closed_loop", "features"]);
}

#[test]
fn sine_and_file_keys_do_not_mix() {
    let dir = tempfile::tempdir().unwrap();
    let with_path = PURE_SINE.replace("source = \"sine\"", "source = \"sine\"\npath = \"x.csv\"");
    let config = write_text(dir.path(), "a.toml", &with_path);
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["a.toml", "path", "sine"]);

    let csv_with_noise = PURE_SINE.replace("source = \"sine\"", "source = \"csv\"");
    let config = write_text(dir.path(), "b.toml", &csv_with_noise);
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(
        &output,
        &["b.toml", "points", "only applies with source = \"sine\""],
    );

    let bad_points = PURE_SINE.replace("points = 60", "points = 1");
    let config = write_text(dir.path(), "c.toml", &bad_points);
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["points", "at least 2"]);

    let config = write_text(dir.path(), "d.toml", PURE_SINE);
    let output = trainer(&["--config", config.to_str().unwrap(), "--data", "x.csv"]);
    assert_clean_error(&output, &["--data", "sine"]);
}

#[test]
fn sgd_with_momentum_and_adam_train() {
    let dir = tempfile::tempdir().unwrap();
    for (name, train_keys) in [
        (
            "sgd",
            "optimizer = \"sgd\"\nmomentum = 0.9\nloss_reduction = \"sum\"",
        ),
        ("adam", "optimizer = \"adam\"\nweight_decay = 0.001"),
    ] {
        let text = PURE_SINE
            .replace("optimizer = \"adam\"\n", "")
            .replace("epochs = 600", &format!("epochs = 5\n{train_keys}"));
        let config = write_text(dir.path(), &format!("{name}.toml"), &text);
        let run = dir.path().join(name);
        train(&config, &run);
        let report = metrics(&run);
        let loss = report["training"]["final_train_loss"].as_f64().unwrap();
        assert!(loss.is_finite(), "{name}: {loss}");
        let saved = read(&run.join(files::CONFIG));
        assert!(
            saved.contains(&format!("optimizer = \"{name}\"")),
            "{saved}"
        );
    }

    let text = PURE_SINE.replace("seed = 1", "seed = 1\nmomentum = 0.9");
    let config = write_text(dir.path(), "bad.toml", &text);
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["momentum", "sgd"]);
}
