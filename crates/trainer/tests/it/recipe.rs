//! The default recipe: a config that names only its data.

use crate::common::{assert_clean_error, read, trainer};

/// A monthly series of `rows` rows from 1990: a yearly cycle on a trend.
fn monthly_csv(rows: usize) -> String {
    let mut text = String::from("month,sales\n");
    for i in 0..rows {
        let value = 100.0 + i as f64 + 10.0 * (i as f64 * std::f64::consts::PI / 6.0).sin();
        text += &format!("{}-{:02}-01,{value:.3}\n", 1990 + i / 12, 1 + i % 12);
    }
    text
}

#[test]
fn path_target_and_horizon_are_a_whole_config() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sales.csv");
    std::fs::write(&data, monthly_csv(120)).unwrap();
    let config = dir.path().join("sales.toml");
    let text = format!(
        "[data]\npath = {:?}\ndate_column = \"month\"\ntarget = \"sales\"\nhorizon = 6\n",
        data.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let run = dir.path().join("run");
    // three epochs keep the test short: fewer than the recipe's min_epochs, which then yields
    let output = trainer(&[
        "--config",
        config.to_str().unwrap(),
        "--epochs",
        "3",
        "--out",
        run.to_str().unwrap(),
    ]);
    crate::common::assert_success(&output);
    // the run saved the settings the recipe chose from the monthly series
    let saved: toml::Table = toml::from_str(&read(&run.join("config.toml"))).unwrap();
    let data = saved["data"].as_table().unwrap();
    assert_eq!(data["season"].as_integer(), Some(12));
    assert_eq!(data["window_len"].as_integer(), Some(13));
    assert_eq!(data["test_len"].as_integer(), Some(6));
    assert_eq!(data["transform"].as_str(), Some("seasonal_difference"));
    assert_eq!(saved["model"]["hidden_size"].as_integer(), Some(32));
    assert_eq!(saved["train"]["min_epochs"].as_integer(), Some(20));
    assert_eq!(saved["evaluate"]["season"].as_integer(), Some(12));
    // one origin of six months: the test period is the last six rows
    let metrics: serde_json::Value =
        serde_json::from_str(&read(&run.join("metrics.json"))).unwrap();
    assert_eq!(metrics["data"]["test_first_date"], "1999-07-01");
    assert_eq!(metrics["data"]["test_windows"], 1);
    assert_eq!(metrics["training"]["epochs"], 3);
}

#[test]
fn a_series_too_short_for_the_recipe_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("short.csv");
    std::fs::write(&data, monthly_csv(30)).unwrap();
    let config = dir.path().join("short.toml");
    let text = format!(
        "[data]\npath = {:?}\ndate_column = \"month\"\ntarget = \"sales\"\nhorizon = 12\n",
        data.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let output = trainer(&["--config", config.to_str().unwrap()]);
    assert_clean_error(&output, &["short.toml", "30 rows", "window_len"]);
}
