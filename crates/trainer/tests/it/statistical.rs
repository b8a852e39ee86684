//! `[model] statistical = "ets"` (or a list with `"arima"` or `"log_arima"`, or a list of
//! them as one voice): exponential smoothing and ARIMA weigh in as one more family each (or, with `blend = "median"`, the forecast is the median of
//! the networks' and theirs), in the test evaluation and in `trainer predict`.

use std::path::{Path, PathBuf};

use crate::common::{
    assert_clean_error, assert_success, config_text, predict_to, read, trainer, write_series,
};

/// A tiny run of two `rnn` networks, season 3, into `dir/name`, with `model_extra` in
/// `[model]`.
fn run(dir: &Path, name: &str, model_extra: &str) -> PathBuf {
    let data = dir.join("series.csv");
    if !data.exists() {
        write_series(dir, 80);
    }
    let text = config_text(&data, "season = 3", "ensemble = 2")
        .replace("[model]", &format!("[model]\n{model_extra}"))
        + "\n[evaluate]\nseason = 3\n";
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(&config, text).unwrap();
    let out = dir.join(name);
    crate::common::train(&config, &out);
    out
}

/// The values of `column` in the CSV `text`.
fn column(text: &str, name: &str) -> Vec<f64> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let index = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|line| line.split(',').nth(index).unwrap().parse().unwrap())
        .collect()
}

/// `trainer predict`'s forecast of the days after `dir`'s series by the saved `run`.
fn predict_after_file(dir: &Path, run: &Path) -> Vec<f64> {
    let out = dir.join(format!(
        "{}.csv",
        run.file_name().unwrap().to_string_lossy()
    ));
    assert_success(&predict_to(run, &dir.join("series.csv"), &out));
    column(&read(&out), "forecast")
}

/// The target's values in `dir`'s series.
fn file_values(dir: &Path) -> Vec<f64> {
    column(&read(&dir.join("series.csv")), "Open")
}

fn assert_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-9 * w.abs(), "{got:?} against {want:?}");
    }
}

#[test]
fn ets_weighs_as_one_more_family_in_the_test_and_in_predict() {
    let dir = tempfile::tempdir().unwrap();
    let plain = run(dir.path(), "plain", "");
    let blended = run(dir.path(), "blended", "statistical = \"ets\"");
    // the same seed trains the same networks; one family and ETS: half each
    let (network, ets) = {
        let text = read(&plain.join("predictions.csv"));
        (column(&text, "predicted"), column(&text, "ets"))
    };
    let want: Vec<f64> = network
        .iter()
        .zip(&ets)
        .map(|(n, e)| 0.5 * (n + e))
        .collect();
    let predicted = column(&read(&blended.join("predictions.csv")), "predicted");
    assert_close(&predicted, &want);
    assert_ne!(predicted, network);
    // the ensemble's spread is the networks' (their median's RMSE is the plain run's model's)
    let metrics = |run: &Path| -> serde_json::Value {
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap()
    };
    assert_eq!(
        metrics(&blended)["ensemble"]["ensemble_rmse"],
        metrics(&plain)["test"]["model"]["rmse"]
    );
    assert_ne!(
        metrics(&blended)["test"]["model"]["rmse"],
        metrics(&plain)["test"]["model"]["rmse"]
    );
    let saved: toml::Table = toml::from_str(&read(&blended.join("config.toml"))).unwrap();
    let saved_members = saved["model"]["statistical"].as_array().unwrap();
    assert_eq!(saved_members, &[toml::Value::from("ets")]);
    // the saved run forecasts the day after the file: ETS fitted on every value of it
    let (network, values) = (
        predict_after_file(dir.path(), &plain),
        file_values(dir.path()),
    );
    let ets = yoho_eval::Ets { season: Some(3) }.forecast_history(&values, network.len());
    let want: Vec<f64> = network
        .iter()
        .zip(&ets)
        .map(|(n, e)| 0.5 * (n + e))
        .collect();
    assert_close(&predict_after_file(dir.path(), &blended), &want);
}

#[test]
fn ets_and_arima_weigh_a_third_each_or_the_median_of_three_in_the_test_and_in_predict() {
    let dir = tempfile::tempdir().unwrap();
    let plain = run(dir.path(), "plain", "");
    let both = run(dir.path(), "both", "statistical = [\"ets\", \"arima\"]");
    let median = run(
        dir.path(),
        "median",
        "statistical = [\"ets\", \"arima\"]\nblend = \"median\"",
    );
    let third = |n: &[f64], e: &[f64], a: &[f64]| -> Vec<f64> {
        (0..n.len()).map(|i| (n[i] + e[i] + a[i]) / 3.0).collect()
    };
    let middle = |n: &[f64], e: &[f64], a: &[f64]| -> Vec<f64> {
        (0..n.len())
            .map(|i| n[i].max(e[i]).min(a[i].max(n[i].min(e[i]))))
            .collect()
    };
    // the baselines' columns are the members' forecasts from each test origin
    let text = read(&plain.join("predictions.csv"));
    let (network, ets, arima) = (
        column(&text, "predicted"),
        column(&text, "ets"),
        column(&text, "arima"),
    );
    let predicted = column(&read(&both.join("predictions.csv")), "predicted");
    assert_close(&predicted, &third(&network, &ets, &arima));
    let predicted = column(&read(&median.join("predictions.csv")), "predicted");
    assert_eq!(predicted, middle(&network, &ets, &arima));
    let saved: toml::Table = toml::from_str(&read(&median.join("config.toml"))).unwrap();
    assert_eq!(saved["model"]["blend"].as_str(), Some("median"));
    // the one-series recipe's members: ARIMA's voice the mean of its fits on the values and on
    // the logarithm (a column of its own)
    let voiced = run(
        dir.path(),
        "voiced",
        "statistical = [\"ets\", [\"arima\", \"log_arima\"]]\nblend = \"median\"",
    );
    let text = read(&voiced.join("predictions.csv"));
    let log_arima = column(&text, "log_arima");
    assert_ne!(log_arima, arima);
    let mean = |a: &[f64], b: &[f64]| -> Vec<f64> {
        (a.iter().zip(b)).map(|(a, b)| (a + b) / 2.0).collect()
    };
    let pair = mean(&arima, &log_arima);
    assert_eq!(column(&text, "predicted"), middle(&network, &ets, &pair));
    // exponential smoothing's voice the mean of its fits with a fixed and an evolving season
    let evolving = run(
        dir.path(),
        "evolving",
        "statistical = [[\"ets\", \"holt_winters\"], [\"arima\", \"log_arima\"]]\n\
         blend = \"median\"",
    );
    let text = read(&evolving.join("predictions.csv"));
    let holt_winters = column(&text, "holt_winters");
    assert_ne!(holt_winters, ets);
    let smoothing = mean(&ets, &holt_winters);
    assert_eq!(
        column(&text, "predicted"),
        middle(&network, &smoothing, &pair)
    );
    let values = file_values(dir.path());
    let steps = predict_after_file(dir.path(), &plain).len();
    let season = Some(3);
    let after_file = [
        yoho_eval::Ets { season }.forecast_history(&values, steps),
        yoho_eval::HoltWinters { season }.forecast_history(&values, steps),
        yoho_eval::Arima { season }.forecast_history(&values, steps),
        yoho_eval::LogArima { season }.forecast_history(&values, steps),
    ];
    assert_close(
        &predict_after_file(dir.path(), &evolving),
        &middle(
            &predict_after_file(dir.path(), &plain),
            &mean(&after_file[0], &after_file[1]),
            &mean(&after_file[2], &after_file[3]),
        ),
    );
    // predict: both fitted on every value of the file
    let (network, values) = (
        predict_after_file(dir.path(), &plain),
        file_values(dir.path()),
    );
    let ets = yoho_eval::Ets { season: Some(3) }.forecast_history(&values, network.len());
    let arima = yoho_eval::Arima { season: Some(3) }.forecast_history(&values, network.len());
    assert_close(
        &predict_after_file(dir.path(), &both),
        &third(&network, &ets, &arima),
    );
    assert_close(
        &predict_after_file(dir.path(), &median),
        &middle(&network, &ets, &arima),
    );
}

#[test]
fn each_series_of_a_panel_is_blended_with_its_own_smoothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = crate::panel::write_panel(dir.path());
    let run = |name: &str, model_extra: &str| {
        let text = config_text(
            &data,
            "series_column = \"ticker\"\nsplit = \"common_time\"\nseason = 3",
            "",
        )
        .replace("[model]", &format!("[model]\n{model_extra}"))
            + "\n[evaluate]\nseason = 3\n";
        let config = dir.path().join(format!("{name}.toml"));
        std::fs::write(&config, text).unwrap();
        let out = dir.path().join(name);
        crate::common::train(&config, &out);
        out
    };
    let (plain, blended) = (run("plain", ""), run("blended", "statistical = \"ets\""));
    // ARIMA on the logarithm joins the baselines as a column
    let logged = run("logged", "statistical = [\"ets\", \"log_arima\"]");
    // the panel recipe's members and rule, as one series': the median of the networks', ETS's
    // and ARIMA's voice, the mean of its fits on the values and on the logarithm
    let voiced = run(
        "voiced",
        "statistical = [\"ets\", [\"arima\", \"log_arima\"]]\nblend = \"median\"",
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&blended.join("metrics.json"))).unwrap();
    for series in metrics["series"].as_array().unwrap() {
        let series_dir = Path::new("series").join(series["dir"].as_str().unwrap());
        let plain = read(&plain.join(&series_dir).join("predictions.csv"));
        let (network, ets) = (column(&plain, "predicted"), column(&plain, "ets"));
        let want: Vec<f64> = (network.iter().zip(&ets))
            .map(|(n, e)| 0.5 * (n + e))
            .collect();
        let got = read(&blended.join(&series_dir).join("predictions.csv"));
        assert_close(&column(&got, "predicted"), &want);
        assert!(!got.lines().next().unwrap().contains("log_arima"));
        let got = read(&logged.join(&series_dir).join("predictions.csv"));
        let (log_arima, arima) = (column(&got, "log_arima"), column(&plain, "arima"));
        assert_ne!(log_arima, arima, "a positive series' logarithm is fitted");
        let want: Vec<f64> = (0..network.len())
            .map(|i| (network[i] + ets[i] + log_arima[i]) / 3.0)
            .collect();
        assert_close(&column(&got, "predicted"), &want);
        let got = read(&voiced.join(&series_dir).join("predictions.csv"));
        assert_eq!(column(&got, "log_arima"), log_arima);
        let want: Vec<f64> = (0..network.len())
            .map(|i| {
                let mut three = [network[i], ets[i], (arima[i] + log_arima[i]) / 2.0];
                three.sort_by(f64::total_cmp);
                three[1]
            })
            .collect();
        assert_eq!(column(&got, "predicted"), want);
    }
}

#[test]
fn a_distribution_head_refuses_the_statistical_member() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 80);
    let text = config_text(&data, "", "").replace(
        "[model]",
        "[model]\nstatistical = \"ets\"\noutput = \"gaussian\"",
    );
    let config = dir.path().join("gaussian.toml");
    std::fs::write(&config, text).unwrap();
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["[model] statistical", "output = \"point\""]);
    let text = config_text(&data, "", "").replace("[model]", "[model]\nstatistical = \"theta\"");
    std::fs::write(&config, text).unwrap();
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(
        &output,
        &["statistical", "\"ets\", \"holt_winters\", \"arima\""],
    );
}
