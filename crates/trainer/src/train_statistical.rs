//! A run (`trainer --config FILE`) of a series too short for the default recipe's networks:
//! the recipe's statistical voices alone (`forecast_statistical.rs`) evaluated on the test
//! period as a run of networks is, against the same baselines, with the same report files.
//!
//! The test period is the recipe's one origin of `horizon` steps (the M4 protocol). Every
//! forecast is fitted on the values before its window's origin, and the intervals are
//! calibrated on the same forecast's errors at rolling origins over the values before the test
//! period; nothing after the origin reaches either. The run directory holds the config as
//! written and `statistical.json`, so `trainer predict` forecasts new data from it.

use anyhow::bail;
use yoho_data::PreparedData;
use yoho_eval::baselines::Baseline;
use yoho_eval::intervals::{
    Calibration, CalibrationErrors, TestIntervals, conformal_test_intervals,
};
use yoho_eval::statistical_only::{before_test, forecast_test_alone, rolling_errors};
use yoho_eval::{Blend, EvaluationTable, TestForecast, errors_by_step};

use crate::RunOutcome;
use crate::artifacts::{RunDir, files};
use crate::cli::TrainArgs;
use crate::config::baselines_of;
use crate::forecast_statistical::{Fallback, run_name};
use crate::recipe::TooShort;
use crate::report::{self, DataSummary, MetricsReport, TrainingSummary};
use crate::statistical_run::StatisticalRun;

/// Why a run of such a series trained nothing, as its report says it.
const NO_NETWORKS: &str = "no networks: the series is too short for them, so exponential \
                           smoothing and ARIMA alone were fitted at each origin";

/// Evaluates the recipe's statistical voices on the test period of the series `short`
/// describes, and writes the run directory.
pub(crate) fn evaluate_too_short(short: &TooShort, args: &TrainArgs) -> anyhow::Result<RunOutcome> {
    let start = std::time::Instant::now();
    let Fallback {
        text,
        table,
        statistical,
        blend,
    } = Fallback::start(short, &args.config, "evaluated")?;
    let baselines = baselines_of(statistical.season, Some(blend.clone()));
    let data = prepare(&statistical, &baselines, args)?;
    crate::notes::describe_series(&data);
    let forecast = forecast_test_alone(&blend, &data, &baselines);
    let test = EvaluationTable::new(&forecast, &data, statistical.season);
    let report = MetricsReport {
        run: run_name(&table, &args.config),
        device: "the CPU".to_string(),
        data: DataSummary::new(&data, &forecast),
        training: TrainingSummary::new(&[], None, NO_NETWORKS.to_string(), 0.0),
        best_baseline: test.best_baseline.to_string(),
        test,
        by_step: (forecast.horizon() > 1).then(|| errors_by_step(&forecast)),
        closed_loop: None,
        intervals: intervals(&blend, &data, &forecast, &statistical.levels),
        ensemble: None,
    };
    let default = std::path::Path::new("runs").join(&report.run);
    let run = RunDir::create_for_command(args.out.as_deref(), args.overwrite, &default)?;
    // first: a directory with a config.toml is one --overwrite may replace
    run.write(files::CONFIG, text.as_bytes())?;
    statistical.save(&run)?;
    if let Some(intervals) = &report.intervals {
        let calibration = serde_json::to_string_pretty(&intervals.model_by_step)?;
        run.write(files::INTERVALS, calibration.as_bytes())?;
    }
    report::write_reports(&run, &report, &forecast, &[], None, &text)?;
    println!("{}", report::table(&report));
    println!(
        "evaluated exponential smoothing and ARIMA alone in {:.1} s; run written to {}",
        start.elapsed().as_secs_f64(),
        run.path().display()
    );
    Ok(RunOutcome::Completed)
}

/// The series with its last `horizon` rows held out as the test period (no validation
/// period), read with the columns `baselines` need; an error in the run's words when it has
/// fewer rows than one window and the test period need.
fn prepare(
    statistical: &StatisticalRun,
    baselines: &[Box<dyn Baseline>],
    args: &TrainArgs,
) -> anyhow::Result<PreparedData> {
    let mut config = statistical.data.clone();
    config.test_len = config.horizon;
    config.valid_len = 0;
    let extra = yoho_eval::baselines::extra_columns(baselines);
    let loaded = yoho_data::load(&config, &extra)?;
    // one window of the last value and its horizon before the test period: the naive
    // forecast's calibration and MASE's scale need them
    let needed = yoho_data::window::rows_needed(config.window_spec(), config.split_spec());
    let rows = loaded.series.len();
    if rows < needed {
        bail!(
            "{}: the series has {rows} rows; a run holds out its last {} (the horizon) as the \
             test period and needs {} before them to score against ({needed} in all); \
             `trainer forecast` forecasts it with exponential smoothing and ARIMA alone",
            args.config.display(),
            config.horizon,
            needed - config.horizon,
        );
    }
    Ok(yoho_data::prepare_loaded(loaded, &config)?)
}

/// The intervals of `levels` around the test forecasts, calibrated on `blend`'s errors at
/// origins rolling over the values before the test period; `None` without levels.
fn intervals(
    blend: &Blend,
    data: &PreparedData,
    forecast: &TestForecast,
    levels: &[f64],
) -> Option<TestIntervals> {
    if levels.is_empty() {
        return None;
    }
    let errors = rolling_errors(blend, before_test(data), data.window.horizon);
    let calibration = CalibrationErrors {
        calibration: Calibration::RollingOrigins,
        by_step: &errors,
    };
    Some(conformal_test_intervals(
        data,
        forecast,
        levels,
        calibration,
    ))
}
