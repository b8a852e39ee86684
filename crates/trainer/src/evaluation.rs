//! One series evaluated on its test days (forecasts, measures, intervals, the closed-loop
//! generation) and its files written: the step every run shares, a single series' and each
//! series of a panel.

use yoho_data::PreparedData;
use yoho_eval::baselines::Baseline;
use yoho_eval::intervals::{
    CalibrationErrors, conformal_test_intervals_from, test_intervals_calibrated,
};
use yoho_eval::{
    EvaluationTable, Generation, TestForecast, ensemble_spread, errors_by_step, forecast_test,
    generate, test_intervals,
};

use crate::artifacts::{RunDir, files};
use crate::calibration_fit::SecondFitErrors;
use crate::config::ExperimentConfig;
use crate::device::SelectedDevice;
use crate::report::{self, DataSummary, MetricsReport, TrainingSummary};
use crate::training::{EpochLoss, TrainedModel};

/// One series evaluated: its test forecasts and everything measured on them.
pub(crate) struct Evaluation {
    /// The measures, as `metrics.json` holds them.
    pub report: MetricsReport,
    /// Every forecaster's forecasts of the test days.
    pub forecast: TestForecast,
    /// The closed-loop generation (`[evaluate] closed_loop`).
    pub generation: Option<Generation>,
}

/// Where the model's conformal intervals take their calibration errors from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ModelErrors<'a> {
    /// Its own over the series' validation windows (its training windows without them).
    Own,
    /// These, for the model (a panel's pooled errors); the naive forecast calibrated on its own.
    Given(CalibrationErrors<'a>),
    /// A second fit's (`calibration_fit.rs`), the naive forecast's over the same windows.
    SecondFit(&'a SecondFitErrors),
}

/// Evaluates `trained` on `data`'s test days: forecasts (blended with `[model] statistical`'s),
/// measures, intervals (and the closed-loop generation when the config asks for it); the report
/// is named `run_name`. The model's conformal intervals are calibrated as `model_errors` says.
pub(crate) fn evaluate(
    config: &ExperimentConfig,
    data: &PreparedData,
    baselines: &[Box<dyn Baseline>],
    selected: &SelectedDevice,
    trained: &TrainedModel,
    run_name: String,
    model_errors: ModelErrors,
) -> anyhow::Result<Evaluation> {
    let mut forecast = forecast_test(&trained.forecaster, data, baselines, &selected.device)?;
    // the networks' spread, before the statistical member joins them
    let ensemble = ensemble_spread(&trained.forecaster, data, &forecast, &selected.device)?;
    let blend = config.blend();
    if let Some(blend) = &blend {
        blend.apply_to_test(&mut forecast, data, baselines);
    }
    let generation = match config.evaluate.closed_loop {
        true => Some(generate(&trained.forecaster, data, &selected.device)?),
        false => None,
    };
    let test = EvaluationTable::new(&forecast, data, config.evaluate.season);
    let (model, levels, device) = (
        &trained.forecaster,
        &config.evaluate.intervals,
        &selected.device,
    );
    let intervals = match (levels.is_empty(), model_errors) {
        (true, _) => None,
        (false, ModelErrors::Given(errors)) => Some(test_intervals_calibrated(
            model, data, &forecast, levels, errors, device,
        )?),
        (false, ModelErrors::SecondFit(second)) => Some(conformal_test_intervals_from(
            data,
            &forecast,
            levels,
            (second.model(), &second.naive),
        )),
        (false, ModelErrors::Own) => Some(test_intervals(
            model,
            data,
            &forecast,
            levels,
            blend.as_ref(),
            device,
        )?),
    };
    let report = MetricsReport {
        run: run_name,
        device: selected.description.clone(),
        data: DataSummary::new(data, &forecast),
        training: TrainingSummary::new(
            &trained.history,
            trained.kept_epoch,
            trained.stop_reason.clone(),
            trained.wall_time.as_secs_f64(),
        ),
        best_baseline: test.best_baseline.to_string(),
        test,
        by_step: (forecast.horizon() > 1).then(|| errors_by_step(&forecast)),
        closed_loop: generation.as_ref().map(Generation::summary),
        intervals,
        ensemble,
    };
    Ok(Evaluation {
        report,
        forecast,
        generation,
    })
}

/// Writes one series' files into `dir`: its scaler, its interval calibration and its reports
/// (with the loss history when `history` is given).
pub(crate) fn write_series(
    dir: &RunDir,
    evaluation: &Evaluation,
    data: &PreparedData,
    history: &[EpochLoss],
    config_toml: &str,
) -> anyhow::Result<()> {
    dir.save_scaler(data.scaler())?;
    write_evaluation(dir, evaluation, history, config_toml)
}

/// Writes `evaluation`'s files into `dir`: its interval calibration and its reports (with the
/// loss history when `history` is given); a series evaluated without networks needs no more.
pub(crate) fn write_evaluation(
    dir: &RunDir,
    evaluation: &Evaluation,
    history: &[EpochLoss],
    config_toml: &str,
) -> anyhow::Result<()> {
    if let Some(intervals) = &evaluation.report.intervals {
        dir.write(
            files::INTERVALS,
            serde_json::to_string_pretty(&intervals.model_by_step)?.as_bytes(),
        )?;
    }
    report::write_reports(
        dir,
        &evaluation.report,
        &evaluation.forecast,
        history,
        evaluation.generation.as_ref(),
        config_toml,
    )
}
