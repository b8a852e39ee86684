//! End-to-end: the `trainer` binary on a tiny config, and the run directory it writes.

use crate::common;

use common::assert_success;

use std::path::Path;

use common::{read, trainer, write_config, write_series};

use trainer::artifacts::{RunDir, files};
use trainer::device::{DeviceChoice, select_device};
use yoho_eval::{forecast_test, standard_baselines};

#[test]
fn tiny_run_writes_metrics_predictions_and_a_loadable_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let config = write_config(dir.path(), &data, "");
    let out = dir.path().join("run");
    let output = trainer(&[
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.contains("device: CPU"),
        "the run names its device:\n{stderr}"
    );
    assert!(
        stdout.contains("model") && stdout.contains("naive"),
        "{stdout}"
    );
    assert!(stdout.contains("better than naive at 5 %"), "{stdout}");

    let metrics: serde_json::Value =
        serde_json::from_str(&read(&out.join(files::METRICS))).unwrap();
    assert_eq!(metrics["data"]["test_windows"], 10);
    assert_eq!(metrics["training"]["epochs"], 3);
    let kept = metrics["training"]["kept_epoch"].as_u64().unwrap();
    assert!((1..=3).contains(&kept), "kept epoch {kept}");
    assert!(
        metrics["training"]["stop_reason"]
            .as_str()
            .unwrap()
            .contains("ran all 3 epochs"),
        "{}",
        metrics["training"]
    );
    let best = metrics["best_baseline"].as_str().unwrap();
    assert!(metrics["test"][best].is_object(), "best baseline {best}");
    assert!(metrics["test"][best]["dm_vs_best_baseline"].is_null());
    assert!(metrics["test"]["model"]["dm_vs_best_baseline"]["p_value"].is_f64());
    for forecaster in [
        "model",
        "naive",
        "drift",
        "window_mean",
        "ets",
        "arima",
        "last_close",
    ] {
        for key in [
            "mse",
            "rmse",
            "mae",
            "mape_percent",
            "smape_percent",
            "r_squared",
            "direction_accuracy",
            "mase",
        ] {
            let value = metrics["test"][forecaster][key].as_f64().unwrap();
            assert!(value.is_finite(), "{forecaster}.{key} = {value}");
            assert!(
                key == "r_squared" || value >= 0.0,
                "{forecaster}.{key} = {value}"
            );
        }
    }

    let predictions = read(&out.join(files::PREDICTIONS));
    let mut lines = predictions.lines();
    assert_eq!(
        lines.next(),
        Some(
            "date,actual,predicted,naive,drift,window_mean,ets,arima,last_close,lower_80,upper_80"
        ),
        "5 validation errors calibrate an 80 % interval, too few for a 95 % one"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 10, "one row per test day");
    for row in &rows {
        let [predicted, lower, upper] =
            [&row[2], &row[9], &row[10]].map(|v| v.parse::<f64>().unwrap());
        assert!(lower < predicted && predicted < upper, "{row:?}");
        // symmetric: the same half-width every day
        assert!(((upper - predicted) - (predicted - lower)).abs() < 1e-9);
    }
    let intervals = &metrics["intervals"];
    assert_eq!(intervals["calibration"], "validation");
    let coverage = intervals["model"]["levels"]["80"]["coverage"]
        .as_f64()
        .unwrap();
    assert!((0.0..=1.0).contains(&coverage));
    // the CRPS grid reaches the 0.05 and 0.95 quantiles, which 5 errors cannot calibrate
    assert!(intervals["naive"]["crps"].is_null());
    assert!(
        intervals["naive"]["levels"]["80"]["mean_width"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let dates: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert!(
        dates.windows(2).all(|d| d[0] < d[1]),
        "dates ascend: {dates:?}"
    );
    for pair in rows.windows(2) {
        let previous_actual: f64 = pair[0][1].parse().unwrap();
        let naive: f64 = pair[1][3].parse().unwrap();
        assert_eq!(naive, previous_actual, "naive = the previous day's actual");
    }
    // naive RMSE recomputed from the file matches metrics.json
    let naive_rmse = (rows
        .iter()
        .map(|r| (r[1].parse::<f64>().unwrap() - r[3].parse::<f64>().unwrap()).powi(2))
        .sum::<f64>()
        / 10.0)
        .sqrt();
    let reported = metrics["test"]["naive"]["rmse"].as_f64().unwrap();
    assert!((naive_rmse - reported).abs() < 1e-6 * reported.max(1.0));

    for chart in [
        files::TEST_PERIOD_PLOT,
        files::LOSS_PLOT,
        files::SCATTER_PLOT,
    ] {
        let bytes = std::fs::read(out.join(chart)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{chart} is a PNG");
    }
    let report = read(&out.join(files::REPORT));
    for needle in [
        "| forecast | RMSE",
        "| last_close |",
        "![Test period](test_period.png)",
        "[data]",
    ] {
        assert!(
            report.contains(needle),
            "report.md lacks {needle:?}:\n{report}"
        );
    }

    let loss = read(&out.join(files::LOSS));
    assert_eq!(
        loss.lines().count(),
        1 + 3,
        "a header and one row per epoch:\n{loss}"
    );

    // The saved model, config and scaler reproduce the run's own predictions (on the CPU, where
    // the run computed them).
    let device = select_device(DeviceChoice::Cpu).unwrap().device;
    let (saved_config, forecaster, scaler) =
        RunDir::open(&out).unwrap().load_model(&device).unwrap();
    let prepared = yoho_data::prepare(&saved_config.data).unwrap();
    assert_eq!(prepared.scaler(), &scaler);
    let again = forecast_test(&forecaster, &prepared, &standard_baselines(None), &device).unwrap();
    for (row, predicted) in rows.iter().zip(again.model()) {
        let written: f64 = row[2].parse().unwrap();
        assert!(
            (written - predicted).abs() <= 1e-9 * written.abs().max(1.0),
            "{written} vs {predicted}"
        );
    }
}

#[test]
fn same_seed_gives_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 60);
    let config = write_config(dir.path(), &data, "");
    let run = |name: &str| {
        let out = dir.path().join(name);
        common::train(&config, &out);
        read(&out.join(files::PREDICTIONS))
    };
    assert_eq!(run("first"), run("second"));
}

#[test]
fn overrides_replace_config_values() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 60);
    let config = write_config(dir.path(), Path::new("/nonexistent.csv"), "");
    let out = dir.path().join("run");
    let output = trainer(&[
        "--config",
        config.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--epochs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&out.join(files::METRICS))).unwrap();
    assert_eq!(metrics["training"]["epochs"], 2);
    assert!(read(&out.join(files::CONFIG)).contains("epochs = 2"));
}

/// The repository root, where the shipped configs' relative data paths start.
fn repository_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs a shipped config from the repository root into a temporary run directory; returns
/// its `metrics.json` and `predictions.csv`.
fn run_shipped(config: &str) -> (serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let output = common::trainer_command(&["--config", config, "--out", out.to_str().unwrap()])
        .current_dir(repository_root())
        .output()
        .unwrap();
    assert_success(&output);
    (
        serde_json::from_str(&read(&out.join(files::METRICS))).unwrap(),
        read(&out.join(files::PREDICTIONS)),
    )
}

/// One column of `predictions.csv`.
fn column(predictions: &str, name: &str) -> Vec<f64> {
    let mut lines = predictions.lines();
    let index = lines
        .next()
        .unwrap()
        .split(',')
        .position(|header| header == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    lines
        .map(|line| line.split(',').nth(index).unwrap().parse().unwrap())
        .collect()
}

/// The README's main job: a model that is not significantly worse than naive, with early
/// stopping keeping a validated epoch.
#[test]
fn the_main_job_is_not_worse_than_naive() {
    let (metrics, _) = run_shipped("configs/lstm.toml");
    let dm = &metrics["test"]["model"]["dm_vs_naive"];
    let (statistic, p_value) = (
        dm["statistic"].as_f64().unwrap(),
        dm["p_value"].as_f64().unwrap(),
    );
    assert!(
        statistic < 0.0 || p_value >= 0.05,
        "significantly worse than naive: {}",
        metrics["test"]["model"]
    );
    assert!(metrics["training"]["kept_epoch"].as_u64().is_some());
    assert!(metrics["test"]["seasonal_naive"].is_object());
}

/// The El Niño series has a yearly cycle to learn: the model beats both naive and the same
/// month last year, significantly (Diebold–Mariano on the written predictions).
#[test]
fn elnino_beats_naive_and_seasonal_naive() {
    let (_, predictions) = run_shipped("configs/elnino.toml");
    let actual = column(&predictions, "actual");
    let model = column(&predictions, "predicted");
    for baseline in ["naive", "seasonal_naive"] {
        let reference = column(&predictions, baseline);
        let dm = yoho_eval::metrics::diebold_mariano(&actual, &model, &reference, 1).unwrap();
        assert!(
            dm.statistic < 0.0 && dm.p_value < 0.05,
            "against {baseline}: {dm:?}"
        );
    }
}
