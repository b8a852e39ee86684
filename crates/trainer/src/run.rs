//! The main job: config → data → training → evaluation → run directory.

use anyhow::Context;
use yoho_data::PreparedData;

use crate::artifacts::RunDir;
use crate::cli::TrainArgs;
use crate::config::ExperimentConfig;
use crate::device::default_device;
use crate::evaluate::{CLOSE_COLUMN, EvaluationTable, forecast_test};
use crate::report::{self, DataSummary, MetricsReport, TrainingSummary};
use crate::training::train;

/// Reads the config named in `args` and applies the command-line overrides.
pub fn resolve_config(args: &TrainArgs) -> anyhow::Result<ExperimentConfig> {
    let mut config = ExperimentConfig::load(&args.config)?;
    if let Some(path) = &args.data {
        config.data.path = path.clone();
    }
    if let Some(epochs) = args.epochs {
        config.train.epochs = epochs;
    }
    config
        .validate()
        .context("invalid value given on the command line")?;
    Ok(config)
}

/// Trains, evaluates and writes a run; returns the metrics it reported.
pub fn train_and_evaluate(args: &TrainArgs) -> anyhow::Result<MetricsReport> {
    let config = resolve_config(args)?;
    let data = yoho_data::prepare_with_optional(&config.data, &[CLOSE_COLUMN])?;
    describe_data(&data);
    let out = args.out.clone().unwrap_or_else(|| config.default_run_dir());
    let run = RunDir::create(&out)?;

    let selected = default_device();
    eprintln!("device: {}", selected.description);
    let trained = train(&config, &data, &selected.device, run.path())?;
    let forecast = forecast_test(&trained.forecaster, &data, &selected.device);

    let report = MetricsReport {
        run: config.run_name().to_string(),
        device: selected.description.clone(),
        data: DataSummary::new(&data, &forecast),
        training: TrainingSummary::new(&trained.history, trained.wall_time.as_secs_f64()),
        test: EvaluationTable::new(&forecast, &data),
    };
    run.save_model(&config, &trained.forecaster, &data.scaler)?;
    let config_toml = toml::to_string_pretty(&config)?;
    report::write_reports(&run, &report, &forecast, &trained.history, &config_toml)?;
    println!("{}", report::table(&report));
    println!(
        "trained {} epochs in {:.1} s on {}; run written to {}",
        report.training.epochs,
        report.training.wall_seconds,
        report.device,
        run.path().display()
    );
    Ok(report)
}

fn describe_data(data: &PreparedData) {
    eprintln!(
        "data: {} rows of {} ({} to {}); windows: {} train, {} valid, {} test",
        data.series.len(),
        data.series.source_name,
        data.series.dates[0],
        data.series.dates[data.series.len() - 1],
        data.splits.train.len(),
        data.splits.valid.len(),
        data.splits.test.len()
    );
    if data.dropped_rows > 0 {
        eprintln!(
            "note: dropped {} rows with empty or non-numeric cells (drop_missing = true)",
            data.dropped_rows
        );
    }
    if data.was_unsorted {
        eprintln!("note: the rows were not in date order; they have been sorted by date");
    }
}
