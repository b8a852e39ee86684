//! `[train] ensemble` and `[train] min_epochs` end to end.

use std::path::Path;

use crate::common::{
    assert_clean_error, assert_success, config_text, read, trainer, write_config, write_series,
};

fn metrics(run: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&run.join("metrics.json"))).unwrap()
}

#[test]
fn an_ensemble_trains_saves_and_forecasts_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let config = write_config(dir.path(), &data, "ensemble = 2");
    let run = dir.path().join("run");
    crate::common::train(&config, &run);
    // each member trained apart, with its own checkpoints
    for member in ["01", "02"] {
        assert!(run.join("members").join(member).join("loss.csv").is_file());
    }
    let model_rmse = metrics(&run)["test"]["model"]["rmse"].as_f64().unwrap();
    assert!(model_rmse.is_finite());
    // the saved run loads as an ensemble of two and forecasts
    let out = dir.path().join("forecast.csv");
    let output = crate::common::predict_to(&run, &data, &out);
    assert_success(&output);
    assert_eq!(read(&out).lines().count(), 2);
    // the ensemble forecasts the mean of its two members: not its first member, the network a
    // single run with the same seed trains
    let single = dir.path().join("single");
    crate::common::train(&write_config(dir.path(), &data, ""), &single);
    let single_rmse = metrics(&single)["test"]["model"]["rmse"].as_f64().unwrap();
    assert_ne!(model_rmse, single_rmse);
    // the spread: each member's own error (the first is the single run's), the median's, and
    // how far the members' forecasts range
    let spread = &metrics(&run)["ensemble"];
    assert_eq!(spread["members"].as_u64(), Some(2), "{spread}");
    let member_rmse = |index: usize| spread["member_rmse"][index].as_f64().unwrap();
    assert!(
        (member_rmse(0) - single_rmse).abs() <= 1e-9 * single_rmse,
        "{spread}"
    );
    assert_ne!(member_rmse(1), member_rmse(0));
    assert_eq!(spread["ensemble_rmse"].as_f64(), Some(model_rmse));
    assert!(spread["mean_range"].as_f64().unwrap() > 0.0, "{spread}");
    assert!(read(&run.join("report.md")).contains("## Ensemble"));
    assert!(metrics(&single).get("ensemble").is_none());
}

/// `trainer predict`'s forecast from `run` after `series_csv(80)` with the values of its
/// oldest window row (the file's last `window_len` = 4 rows) moved by `shift`.
fn forecast_with_oldest_row_moved(dir: &Path, run: &Path, shift: f64) -> String {
    let text = crate::common::series_csv(80);
    let lines: Vec<String> = (text.lines().enumerate())
        .map(|(index, line)| match index {
            77 => {
                let cells: Vec<&str> = line.split(',').collect();
                let moved = |cell: &str| cell.parse::<f64>().unwrap() + shift;
                format!("{},{},{}", cells[0], moved(cells[1]), moved(cells[2]))
            }
            _ => line.to_string(),
        })
        .collect();
    let (data, out) = (dir.join("moved.csv"), dir.join("moved_forecast.csv"));
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    assert_success(&crate::common::predict_to(run, &data, &out));
    read(&out)
}

#[test]
fn each_network_of_an_ensemble_reads_its_lookbacks_newest_rows() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let run_with = |lookbacks: &str, name: &str| {
        let text = config_text(&data, "window_norm = \"none\"", "ensemble = 2").replace(
            "head = [4]",
            &format!("head = [4]\nlookbacks = {lookbacks}"),
        );
        let config = dir.path().join(format!("{name}.toml"));
        std::fs::write(&config, text).unwrap();
        let run = dir.path().join(name);
        crate::common::train(&config, &run);
        run
    };
    // both networks read the newest 3 of the window's 4 rows: its oldest row moves nothing
    let newest = run_with("[3]", "newest");
    let forecast = |run: &Path, shift: f64| forecast_with_oldest_row_moved(dir.path(), run, shift);
    assert_eq!(forecast(&newest, 50.0), forecast(&newest, 0.0));
    // the second network reads all 4: the ensemble's forecast moves with the oldest row
    let both = run_with("[3, 4]", "both");
    assert_ne!(forecast(&both, 50.0), forecast(&both, 0.0));
    // a lookback longer than the window, or more lookbacks than networks, names the key
    for (lookbacks, expected) in [
        ("[5]", "window_len (4), got 5"),
        ("[2, 3, 4]", "3 lookbacks"),
    ] {
        let text = config_text(&data, "", "ensemble = 2").replace(
            "head = [4]",
            &format!("head = [4]\nlookbacks = {lookbacks}"),
        );
        let config = dir.path().join("bad.toml");
        std::fs::write(&config, text).unwrap();
        let output = trainer(&["--config", config.to_str().unwrap()]);
        assert_clean_error(&output, &["[model] lookbacks", expected]);
    }
}

#[test]
fn a_bad_ensemble_size_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let config = write_config(dir.path(), &data, "ensemble = 0");
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["[train] ensemble", "got 0"]);
}

#[test]
fn min_epochs_keeps_training_and_never_keeps_an_earlier_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    // a learning rate too small to change the validation loss: patience 1 alone stops at epoch
    // 2 and keeps epoch 1; min_epochs holds training to 4 and counts the best from there
    let text = config_text(&data, "", "patience = 1\nmin_epochs = 4")
        .replace("epochs = 3", "epochs = 6")
        .replace("lr = 0.01", "lr = 1e-9");
    let config = dir.path().join("min.toml");
    std::fs::write(&config, text).unwrap();
    let run = dir.path().join("run");
    crate::common::train(&config, &run);
    // the validation loss never changes: the best is epoch 4, and training stops one after it
    let training = &metrics(&run)["training"];
    assert_eq!(training["epochs"].as_u64(), Some(5), "{training}");
    assert_eq!(training["kept_epoch"].as_u64(), Some(4), "{training}");
}

#[test]
fn an_ensemble_reports_the_wall_time_of_its_members_together() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let text = config_text(&data, "", "ensemble = 4\npatience = 1000")
        .replace("epochs = 3", "epochs = 60");
    let config = dir.path().join("members.toml");
    std::fs::write(&config, text).unwrap();
    let run = dir.path().join("run");
    let started = std::time::Instant::now();
    crate::common::train(&config, &run);
    let process_seconds = started.elapsed().as_secs_f64();
    // the members train side by side: the run took no longer than the process that ran it
    // (their summed times exceed it wherever two of them overlap)
    let wall_seconds = metrics(&run)["training"]["wall_seconds"].as_f64().unwrap();
    assert!(
        wall_seconds > 0.0 && wall_seconds <= process_seconds,
        "{wall_seconds} s reported, {process_seconds} s for the whole process"
    );
}
