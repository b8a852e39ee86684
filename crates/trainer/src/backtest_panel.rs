//! `trainer backtest` of a panel (`[data] series_column`): rolling origins over many series, as
//! a panel run evaluates one. Each fold cuts every series as far before its own end
//! (`yoho_eval::backtest::panel_fold`), prepares the cut series as one panel, trains one model
//! over them and forecasts each series' test period; the folds' tables are summed up as the M4
//! competition scores many series, over every series and origin. A series too short for the
//! networks' folds is backtested by the config's statistical voices alone (`Alone`), cut at
//! the same origins, beside the others.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use serde::Serialize;
use yoho_data::PreparedPanel;
use yoho_eval::backtest::{self, BacktestSpec, PanelFold, Refit};
use yoho_eval::baselines::{self, Baseline};
use yoho_eval::intervals::{
    Calibration, CalibrationErrors, StepCoverage, TestIntervals, calibrated_intervals,
    with_crps_level,
};
use yoho_eval::pooled::{ErrorsBySeries, pooled_voices_errors};
use yoho_eval::statistical_only::test_alone;
use yoho_eval::{EvaluationTable, MODEL, PanelSummary, TestForecast};

use crate::RunOutcome;
use crate::artifacts::{RunDir, files};
use crate::cli::BacktestArgs;
use crate::config::ExperimentConfig;
use crate::device::{SelectedDevice, select_device};
use crate::evaluation::{ModelErrors, evaluate};
use crate::fit::LearnerFit;
use crate::forecast_fit::data_file;
use crate::forecast_statistical::FallbackBacktest;
use crate::recipe::TooShort;
use crate::report;
use crate::statistical_run::alone_data;
use crate::training::{TrainedModel, TrainingControl};

/// Runs `trainer backtest` for the panel `config` describes (its series in `column`) and
/// writes its directory.
pub(crate) fn run_panel_backtest(
    args: &BacktestArgs,
    config: &ExperimentConfig,
    spec: &BacktestSpec,
    column: &str,
) -> anyhow::Result<RunOutcome> {
    let refit = match spec.refit {
        Refit::Every => None,
        Refit::Never => Some("never".to_string()),
        Refit::EveryN(folds) => Some(folds.to_string()),
    };
    if let Some(refit) = refit {
        bail!(
            "{}: --refit {refit}: each fold of a panel trains its own model over the series cut \
             at its origin; use --refit every (the default)",
            args.config.display()
        );
    }
    let baselines = config.baselines();
    let path = crate::forecast_fit::data_path(config);
    let extra = baselines::extra_columns(&baselines);
    let loaded = yoho_data::load_file_panel(&path, &config.data.load_options(&extra), column)?;
    let mut planned = spec.clone();
    let rows = loaded.iter().map(|(_, series)| series.series.len());
    args.fit_default_plan(&mut planned, &config.data, rows);
    let spec = &planned;
    let planned = backtest::plan_panel(&loaded, &config.data, spec)
        .map_err(|message| anyhow::anyhow!("{}: {message}", args.config.display()))?;
    say_newer_folds_only(&planned, spec);
    let (alone, left_out) = Alone::plan(config, &loaded, planned.left_out, spec);
    say_left_out(&left_out);
    crate::notes::print_panel_notes(
        (loaded.iter()).map(|(name, series)| (name.as_str(), series.cleaning_notes())),
    );
    // the oldest fold has the fewest rows: if its panel can be prepared, so can the others'
    // (a series that joins a newer fold and cannot be prepared is left out of it), and a panel
    // that cannot is refused before anything is written; the first fold trains on this
    // preparation
    let oldest = backtest::panel_fold(&loaded, &config.data, spec, 0);
    let mut oldest = Some(
        prepare_fold(config, oldest)
            .with_context(|| format!("{}: fold 1", args.config.display()))?,
    );
    let selected = select_device(args.device)?;
    eprintln!("device: {}", selected.description);
    let default = Path::new("runs").join(format!("{}-backtest", config.run_name()));
    let run = RunDir::create_for_command(args.out.as_deref(), args.overwrite, &default)?;
    run.write(files::CONFIG, toml::to_string_pretty(config)?.as_bytes())?;
    let control = TrainingControl::quiet();
    control
        .listen_for_signals()
        .context("cannot install the Ctrl-C handler")?;
    let fold_run = (&selected, &run, &control);
    eprintln!(
        "backtest: {} per series, {} history, one panel model per fold",
        backtest::plan_words(spec.folds, spec.step),
        spec.window
    );
    let started = Instant::now();
    let mut folds = Vec::with_capacity(spec.folds);
    for index in 0..spec.folds {
        let outcome = match oldest.take() {
            Some(prepared) => Ok(prepared),
            None => prepare_fold(
                config,
                backtest::panel_fold(&loaded, &config.data, spec, index),
            ),
        }
        .and_then(|prepared| run_fold(prepared, &baselines, fold_run))
        .map(|outcome| alone.add_to(outcome, index, (spec, &baselines)));
        let outcome = match outcome {
            Err(_) if control.stop_requested() => {
                return Ok(crate::fit::backtest_interrupted(&run));
            }
            outcome => outcome.with_context(|| format!("fold {}", index + 1))?,
        };
        eprintln!(
            "fold {:>2} trained in {:.1} s ({}/{} done)",
            index + 1,
            outcome.training_seconds,
            index + 1,
            spec.folds
        );
        folds.push(outcome);
    }
    let levels = &config.evaluate.intervals;
    let described = (
        config.run_name(),
        selected.description.as_str(),
        &levels[..],
    );
    let summary = PanelBacktestSummary::new(described, spec, folds, left_out, started);
    write_summary(&run, &summary, levels)?;
    Ok(RunOutcome::Completed)
}

/// `trainer backtest` of a panel whose series are all too short for the recipe's networks
/// (`short`): each series that holds the folds backtested by the recipe's statistical voices
/// alone, fitted at every origin.
pub(crate) fn backtest_too_short_panel(
    short: &TooShort,
    args: &BacktestArgs,
) -> anyhow::Result<()> {
    let mut start = FallbackBacktest::start(short, args)?;
    let statistical = &start.fallback.statistical;
    let column = statistical.data.series_column.clone().unwrap_or_default();
    let options = start
        .data
        .load_options(&baselines::extra_columns(&start.baselines));
    let loaded = yoho_data::load_file_panel(&data_file(&start.data), &options, &column)?;
    let rows = loaded.iter().map(|(_, series)| series.series.len());
    args.fit_default_plan(&mut start.spec, &start.data, rows);
    let (spec, baselines) = (&start.spec, &start.baselines);
    // the plan checked before the run directory is written
    let planned = backtest::plan_panel(&loaded, &start.data, spec)
        .map_err(|message| anyhow::anyhow!("{}: {message}", args.config.display()))?;
    say_newer_folds_only(&planned, spec);
    let left_out = planned.left_out;
    say_left_out(&left_out);
    let series = (loaded.into_iter())
        .filter(|(name, _)| !left_out.iter().any(|(left, _)| left == name))
        .collect();
    let alone = Alone {
        blend: Some(start.fallback.blend.clone()),
        data: start.data.clone(),
        levels: statistical.levels.clone(),
        season: statistical.season,
        series,
    };
    let (name, run) = start.create_run(args)?;
    let started = Instant::now();
    let folds = (0..spec.folds)
        .map(|index| alone.add_to(PanelFoldOutcome::empty(index), index, (spec, baselines)))
        .collect();
    let levels = &statistical.levels;
    let described = (name.as_str(), "the CPU", &levels[..]);
    let mut summary = PanelBacktestSummary::new(described, spec, folds, left_out, started);
    summary.networks = false;
    write_summary(&run, &summary, levels)
}

/// Says on stderr which series are left out of the backtest, with why (at most five; the
/// others counted: `metrics.json`'s `left_out` names each).
fn say_left_out(left_out: &[(String, String)]) {
    let notes = (left_out.iter())
        .map(|(name, reason)| format!("series '{name}' is left out of the backtest: {reason}"))
        .collect();
    let likewise = "are left out of the backtest likewise (metrics.json's left_out names each)";
    crate::notes::print_capped(notes, likewise);
}

/// Says on stderr which series of a panel's plan join only its newer folds
/// ([`newer_folds_notes`]).
fn say_newer_folds_only(planned: &backtest::PanelPlan, spec: &BacktestSpec) {
    for note in newer_folds_notes(planned, spec) {
        eprintln!("note: {note}");
    }
}

/// The notes naming the series of a panel's plan that join only its newer folds, being too
/// short for the older ones: one for each first fold they join, naming at most five of them.
fn newer_folds_notes(planned: &backtest::PanelPlan, spec: &BacktestSpec) -> Vec<String> {
    let mut notes = Vec::new();
    let mut by_first = std::collections::BTreeMap::<usize, Vec<&str>>::new();
    for (name, first) in &planned.newer_folds_only {
        by_first.entry(*first).or_default().push(name);
    }
    for (first, names) in by_first {
        let older = match first {
            1 => "the oldest fold".to_string(),
            older => format!("the {older} oldest folds"),
        };
        let newer = match spec.folds - first {
            1 => format!("the newest fold ({})", spec.folds),
            held => format!("the newest {held} folds ({} to {})", first + 1, spec.folds),
        };
        let quoted: Vec<String> = names
            .iter()
            .take(5)
            .map(|name| format!("'{name}'"))
            .collect();
        let series = match names.len() {
            count if count <= 5 => format!("series {}", quoted.join(", ")),
            count => format!(
                "{count} series ({}, …; metrics.json lists each fold's)",
                quoted.join(", ")
            ),
        };
        let verb = if names.len() == 1 { "is" } else { "are" };
        notes.push(format!(
            "{series} {verb} too short for {older}: backtested on {newer} only"
        ));
    }
    notes
}

/// Writes a panel backtest's `metrics.json`, `backtest.csv` (with the interval `levels`),
/// `report.md` and chart into `run`, and prints its report.
fn write_summary(
    run: &RunDir,
    summary: &PanelBacktestSummary,
    levels: &[f64],
) -> anyhow::Result<()> {
    run.write(
        files::METRICS,
        serde_json::to_string_pretty(summary)?.as_bytes(),
    )?;
    run.write(files::BACKTEST, backtest_csv(summary, levels).as_bytes())?;
    run.write(files::REPORT, markdown(summary).as_bytes())?;
    crate::plots::relative_mase_by_fold(
        &run.file(files::FOLD_ERROR_PLOT),
        &relative_by_fold(summary),
        summary.all_folds.reference,
    )?;
    println!("{}", text_report(summary));
    println!("backtest written to {}", run.path().display());
    Ok(())
}

/// One fold of a panel's backtest.
#[derive(Debug, Serialize)]
struct PanelFoldOutcome {
    /// 1-based, oldest origin first.
    fold: usize,
    /// Rows of each series after the fold's last target.
    rows_after: usize,
    /// The fold's test period in rows, in every series.
    test_rows: usize,
    training_seconds: f64,
    /// The epoch whose weights the fold's model kept.
    kept_epoch: Option<usize>,
    /// Every forecaster over the fold's series.
    all_series: PanelSummary,
    series: Vec<SeriesOutcome>,
    /// The series the fold's panel left out (constant over its training rows), each with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    left_out: Vec<crate::panel::LeftOut>,
}

impl PanelFoldOutcome {
    /// Fold `index` (0-based) before any series is measured in it, and no model trained.
    fn empty(index: usize) -> Self {
        Self {
            fold: index + 1,
            rows_after: 0,
            test_rows: 0,
            training_seconds: 0.0,
            kept_epoch: None,
            all_series: PanelSummary::over(std::iter::empty()),
            series: Vec::new(),
            left_out: Vec::new(),
        }
    }
}

/// One series in one fold.
#[derive(Debug, Serialize)]
struct SeriesOutcome {
    name: String,
    /// The date of its first test target.
    origin_date: String,
    test: EvaluationTable,
    /// Its test period's forecasts, for `backtest.csv`.
    #[serde(skip)]
    forecast: TestForecast,
    /// Its prediction intervals (`[evaluate] intervals`), calibrated on the fold's series'
    /// validation errors pooled, as a panel run's are; the summary counts their coverage over
    /// every series and fold.
    #[serde(skip)]
    intervals: Option<TestIntervals>,
    /// Where its interval calibration came from (none without intervals).
    #[serde(skip_serializing_if = "Option::is_none")]
    intervals_calibration: Option<Calibration>,
    /// Whether the series is too short for the networks' folds, so that its model is the
    /// statistical voices alone (`[model] statistical`), fitted at every origin.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    without_networks: bool,
}

impl SeriesOutcome {
    /// Series `name`'s outcome from its test forecasts, their measures and intervals (its
    /// origin the forecasts' first date), by the statistical voices alone where
    /// `without_networks`.
    fn new(
        name: String,
        (forecast, test, intervals): (TestForecast, EvaluationTable, Option<TestIntervals>),
        without_networks: bool,
    ) -> Self {
        let origin_date = (forecast.dates.first())
            .map(|date| date.to_string())
            .unwrap_or_default();
        Self {
            name,
            origin_date,
            test,
            forecast,
            intervals_calibration: intervals.as_ref().map(|i| i.calibration),
            intervals,
            without_networks,
        }
    }
}

/// The series too short for the networks' folds that the config's statistical voices
/// (`[model] statistical`) are backtested on alone, each fold cut as the networks' are.
struct Alone {
    /// The voices; `None` without `[model] statistical`.
    blend: Option<yoho_eval::Blend>,
    /// The config's `[data]` as the voices read a series (`statistical_run::alone_data`).
    data: yoho_data::DataConfig,
    /// The config's interval levels and season.
    levels: Vec<f64>,
    season: Option<usize>,
    /// Each series, loaded.
    series: Vec<(String, yoho_data::LoadedSeries)>,
}

impl Alone {
    /// Of the series `left_out` of the networks' folds (`(name, why)`), those the voices can
    /// be backtested on, each said on stderr; and the series left out still.
    fn plan(
        config: &ExperimentConfig,
        loaded: &[(String, yoho_data::LoadedSeries)],
        left_out: Vec<(String, String)>,
        spec: &BacktestSpec,
    ) -> (Self, Vec<(String, String)>) {
        let mut alone = Self {
            blend: config.blend(),
            data: alone_data(&config.data),
            levels: config.evaluate.intervals.clone(),
            season: config.evaluate.season,
            series: Vec::new(),
        };
        if alone.blend.is_none() {
            return (alone, left_out);
        }
        let holds = |series: &yoho_data::LoadedSeries| {
            backtest::series_folds(series.series.len(), &alone.data, spec).is_ok()
        };
        let (mut still, mut notes) = (Vec::new(), Vec::new());
        for (name, why) in left_out {
            match loaded.iter().find(|(loaded, _)| *loaded == name) {
                Some((_, series)) if holds(series) => {
                    notes.push(format!(
                        "series '{name}' is left out of the networks' folds ({why}): \
                         backtested by the statistical voices alone ([model] statistical)"
                    ));
                    alone.series.push((name, series.clone()));
                }
                _ => still.push((name, why)),
            }
        }
        let likewise = "are backtested by the statistical voices alone likewise";
        crate::notes::print_capped(notes, likewise);
        (alone, still)
    }

    /// `outcome` (fold `index` of `spec`) with the series backtested by the voices alone
    /// beside the networks' (each measured against `baselines`; one the fold cannot prepare,
    /// e.g. constant, left out of it with a note), and its summary over all.
    fn add_to(
        &self,
        mut outcome: PanelFoldOutcome,
        index: usize,
        (spec, baselines): (&BacktestSpec, &[Box<dyn Baseline>]),
    ) -> PanelFoldOutcome {
        let Some(blend) = &self.blend else {
            return outcome;
        };
        let fold = backtest::panel_fold(&self.series, &self.data, spec, index);
        if !fold.series.is_empty() {
            // the same as the networks' folds cut, where there are any
            (outcome.rows_after, outcome.test_rows) = (fold.rows_after, fold.test_len);
        }
        let data = yoho_data::DataConfig {
            test_len: fold.test_len,
            ..self.data.clone()
        };
        for (name, cut) in fold.series {
            let prepared = match yoho_data::prepare_loaded(cut, &data) {
                Ok(prepared) => prepared,
                // e.g. constant over the fold's training rows, which no scaler can scale
                Err(error) => {
                    eprintln!(
                        "note: fold {}: series '{name}' is left out: {error}",
                        index + 1
                    );
                    let left = crate::panel::left_out(&[(name, error.to_string())]);
                    outcome.left_out.extend(left);
                    continue;
                }
            };
            let tested = test_alone(blend, &prepared, baselines, &self.levels, self.season);
            let measured = (tested.forecast, tested.table, tested.intervals);
            (outcome.series).push(SeriesOutcome::new(name, measured, true));
        }
        outcome.all_series = PanelSummary::over(outcome.series.iter().map(|s| &s.test));
        outcome
    }
}

/// Trains a fold's model over its cut series (on the device selected, its checkpoints in the
/// run, stopping when the backtest's control is asked to) and measures it on each one's test
/// period.
fn run_fold(
    prepared: PreparedFold,
    baselines: &[Box<dyn Baseline>],
    (selected, run, control): (&SelectedDevice, &RunDir, &TrainingControl),
) -> anyhow::Result<PanelFoldOutcome> {
    let PreparedFold {
        index,
        rows_after,
        test_rows,
        config,
        panel,
    } = prepared;
    let fit = LearnerFit::new(&config, selected.device.clone(), &run.file("folds"))
        .stopping_with(control);
    for (name, reason) in &panel.left_out {
        eprintln!(
            "note: fold {}: series '{name}' is left out: {reason}",
            index + 1
        );
    }
    let trained = fit.trained(&panel.training_data(), &format!("fold-{:02}", index + 1))?;
    let series = score_series(&config, &panel, baselines, selected, &trained)?;
    Ok(PanelFoldOutcome {
        fold: index + 1,
        rows_after,
        test_rows,
        training_seconds: trained.wall_time.as_secs_f64(),
        kept_epoch: trained.kept_epoch,
        all_series: PanelSummary::over(series.iter().map(|s| &s.test)),
        series,
        left_out: crate::panel::left_out(&panel.left_out),
    })
}

/// A fold ready to train: its series prepared as one panel, and the config of its model.
struct PreparedFold {
    /// 0-based, oldest origin first.
    index: usize,
    /// Rows of each series after the fold's last target.
    rows_after: usize,
    /// The fold's test period in rows.
    test_rows: usize,
    /// The config with the fold's test period (and an `es_rnn` hybrid's coefficients one pair
    /// per series kept).
    config: ExperimentConfig,
    panel: PreparedPanel,
}

/// The fold's series prepared as one panel, its test period the fold's.
fn prepare_fold(config: &ExperimentConfig, fold: PanelFold) -> anyhow::Result<PreparedFold> {
    let column = config.data.series_column.clone().unwrap_or_default();
    let data = yoho_data::DataConfig {
        test_len: fold.test_len,
        ..config.data.clone()
    };
    let panel = yoho_data::prepare_panel_loaded(fold.series, &data, &column)?;
    let config = ExperimentConfig {
        data,
        ..config.clone()
    }
    .for_panel(panel.series.len());
    Ok(PreparedFold {
        index: fold.index,
        rows_after: fold.rows_after,
        test_rows: fold.test_len,
        config,
        panel,
    })
}

/// Every series of `panel` forecast over its test period by `trained` and the baselines
/// (blended as the config says), measured, and given intervals calibrated on every series'
/// validation errors pooled (see `panel::pooled_errors`).
fn score_series(
    config: &ExperimentConfig,
    panel: &PreparedPanel,
    baselines: &[Box<dyn Baseline>],
    selected: &SelectedDevice,
    trained: &TrainedModel,
) -> anyhow::Result<Vec<SeriesOutcome>> {
    let (calibration, pooled) = crate::panel::pooled_errors(config, panel, selected, trained)?;
    let (calibration, pooled) = voices_where_too_few(config, panel, (calibration, pooled));
    (panel.series.iter().zip(&pooled))
        .map(|(member, errors)| {
            let errors = CalibrationErrors {
                calibration,
                by_step: errors,
            };
            let name = member.name.clone();
            let evaluation = evaluate(
                config,
                &member.data,
                baselines,
                selected,
                trained,
                name.clone(),
                ModelErrors::Given(errors),
            )?;
            let report = evaluation.report;
            let measured = (evaluation.forecast, report.test, report.intervals);
            Ok(SeriesOutcome::new(name, measured, false))
        })
        .collect()
}

/// A fold's pooled calibration errors (`[series][step][error]`, and where they come from), or,
/// where those do not calibrate every level at every step (and the CRPS) and the config names
/// statistical voices, every series' voices' errors at origins rolling over its values before
/// the fold's test period, pooled alike, as a panel run too short for a second fit is
/// calibrated (`yoho_eval::pooled::pooled_voices_errors`), when they calibrate more intervals (a
/// level at a step ahead), as one series' backtest chooses.
fn voices_where_too_few(
    config: &ExperimentConfig,
    panel: &PreparedPanel,
    (calibration, pooled): (Calibration, ErrorsBySeries),
) -> (Calibration, ErrorsBySeries) {
    let levels = &config.evaluate.intervals;
    let (false, Some(blend)) = (levels.is_empty(), config.blend()) else {
        return (calibration, pooled);
    };
    let wanted = with_crps_level(levels);
    if calibrated(&pooled, &wanted) == wanted.len() * config.data.horizon {
        return (calibration, pooled);
    }
    let members: Vec<_> = panel.series.iter().map(|member| &member.data).collect();
    let voices = (config.evaluate.season, &blend);
    let most_origins = yoho_eval::rolling::voice_origins(&wanted, config.data.horizon);
    let errors = pooled_voices_errors(&members, voices, most_origins);
    match calibrated(&errors, &wanted) > calibrated(&pooled, &wanted) {
        true => (Calibration::VoicesAtRollingOrigins, errors),
        false => (calibration, pooled),
    }
}

/// How many intervals (one of `levels` at a step ahead) pooled `errors` calibrate (every
/// series holds as many errors at each step).
fn calibrated(errors: &ErrorsBySeries, levels: &[f64]) -> usize {
    (errors.first()).map_or(0, |by_step| calibrated_intervals(by_step, levels))
}

/// The contents of a panel backtest's `metrics.json`.
#[derive(Debug, Serialize)]
struct PanelBacktestSummary {
    run: String,
    device: String,
    folds: usize,
    step: usize,
    window: String,
    wall_seconds: f64,
    /// Every forecaster over every series' test period in every fold.
    all_folds: PanelSummary,
    /// With `[evaluate] intervals`: each level's coverage over every step of every window of
    /// every series and fold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    intervals: Vec<StepCoverage>,
    per_fold: Vec<PanelFoldOutcome>,
    /// The series too short for the folds, each with why.
    left_out: Vec<crate::panel::LeftOut>,
    /// Whether each fold trained networks; `false` where every series is too short for them
    /// and the statistical voices alone were fitted at every origin.
    networks: bool,
}

impl PanelBacktestSummary {
    /// The summary of the backtest `run` (on `device`, with the interval `levels`) of `spec`'s
    /// folds (`per_fold`), the series `left_out` of it, since it `started`.
    fn new(
        (run, device, levels): (&str, &str, &[f64]),
        spec: &BacktestSpec,
        per_fold: Vec<PanelFoldOutcome>,
        left_out: Vec<(String, String)>,
        started: Instant,
    ) -> Self {
        let tables = (per_fold.iter()).flat_map(|fold| fold.series.iter().map(|s| &s.test));
        let parts: Vec<(&TestIntervals, &[Vec<f64>])> = (per_fold.iter())
            .flat_map(|fold| &fold.series)
            .filter_map(|s| Some((s.intervals.as_ref()?, s.forecast.actual_steps.as_slice())))
            .collect();
        let intervals = StepCoverage::over(levels, &parts);
        Self {
            run: run.to_string(),
            device: device.to_string(),
            folds: spec.folds,
            step: spec.step,
            window: spec.window.to_string(),
            wall_seconds: started.elapsed().as_secs_f64(),
            all_folds: PanelSummary::over(tables),
            intervals,
            per_fold,
            left_out: crate::panel::left_out(&left_out),
            networks: true,
        }
    }

    /// How each fold forecast its series, in words.
    fn fitted_words(&self) -> &'static str {
        match self.networks {
            true => "one model per fold over the series cut at its origin",
            false => {
                "no networks (every series is too short for them): exponential smoothing and \
                 ARIMA fitted at every origin"
            }
        }
    }

    /// What the summary's measures are over, and what its relative MASE is the geometric mean
    /// over: each series' forecast from each fold's origin (`--step 1`), or each series' test
    /// period of `step` forecasts in each fold.
    fn scored_in_words(&self) -> (String, &'static str) {
        let counts = self.per_fold.iter().map(|fold| fold.series.len());
        let (fewest, most) = (counts.clone().min(), counts.max());
        let series = match (fewest, most) {
            (Some(fewest), Some(most)) if fewest < most => format!("{fewest} to {most}"),
            (_, most) => most.unwrap_or(0).to_string(),
        };
        let (scored, folds) = (self.all_folds.series, self.folds);
        match self.step {
            1 => (
                format!("{scored} forecasts ({series} series from each of {folds} origins)"),
                "the forecasts",
            ),
            step => (
                format!(
                    "{scored} test periods ({series} series in each of {folds} folds, {step} \
                     forecasts each)"
                ),
                "the test periods",
            ),
        }
    }
}

/// `backtest.csv`: one row per series, forecast (its first target's date) and step ahead,
/// `fold,series,first_target_date,steps_ahead,actual,` then each forecaster's forecast (model
/// first) and, with intervals, the model's (`lower_80,upper_80,…`, empty where there is none).
fn backtest_csv(summary: &PanelBacktestSummary, levels: &[f64]) -> String {
    let first = (summary.per_fold.iter()).find_map(|fold| fold.series.first());
    let names: Vec<&str> = first.map_or(Vec::new(), |series| {
        (series.forecast.forecasts.iter()).map(|f| f.name).collect()
    });
    let mut text = format!(
        "fold,series,first_target_date,steps_ahead,actual,{}",
        names.join(",")
    );
    report::push_interval_headers(&mut text, levels.iter().copied());
    text += "\n";
    for fold in &summary.per_fold {
        for series in &fold.series {
            push_series_rows(&mut text, fold.fold, series, &names, levels);
        }
    }
    text
}

/// One series' rows of `backtest.csv` in fold `fold`.
fn push_series_rows(
    text: &mut String,
    fold: usize,
    series: &SeriesOutcome,
    names: &[&str],
    levels: &[f64],
) {
    let forecast = &series.forecast;
    let name = report::csv_cell(&series.name);
    for (window, actual) in forecast.actual_steps.iter().enumerate() {
        for (step, value) in actual.iter().enumerate() {
            let date = forecast.dates[window];
            let _ = write!(text, "{fold},{name},{date},{},{value}", step + 1);
            for forecaster in names {
                let steps = forecast.steps(forecaster);
                let cell = steps.and_then(|steps| steps.get(window)?.get(step).copied());
                let _ = write!(text, ",{}", cell.map(|v| v.to_string()).unwrap_or_default());
            }
            let intervals = series.intervals.as_ref();
            report::push_step_interval_cells(text, intervals, (window, step), levels.len());
            *text += "\n";
        }
    }
}

/// Each fold's model against the reference over the fold's series: `(headers, rows)`.
fn fold_rows(summary: &PanelBacktestSummary) -> (Vec<String>, Vec<Vec<String>>) {
    let reference = summary.all_folds.reference;
    let headers = vec![
        "fold".to_string(),
        "rows after it".to_string(),
        format!("model MASE / {reference}"),
        format!("model beats {reference}"),
        "training s".to_string(),
    ];
    let rows = (summary.per_fold.iter())
        .map(|fold| {
            let relative = fold.all_series.relative.get(MODEL);
            vec![
                fold.fold.to_string(),
                fold.rows_after.to_string(),
                relative.map_or("n/a".into(), |r| format!("{:.3}", r.relative_mase)),
                relative.map_or("n/a".into(), |r| {
                    format!("{} of {}", r.beats_reference, r.series)
                }),
                format!("{:.1}", fold.training_seconds),
            ]
        })
        .collect();
    (headers, rows)
}

/// Each level's coverage over every series and fold, a line each; empty without intervals.
fn coverage_lines(summary: &PanelBacktestSummary) -> String {
    let Some(first) = summary.intervals.first() else {
        return String::new();
    };
    let alone = (summary.per_fold.iter())
        .flat_map(|fold| &fold.series)
        .any(|series| series.without_networks);
    let calibration = match (summary.networks, alone) {
        (false, _) => {
            "each calibrated on the statistical voices' errors at origins rolling over the \
             values before its fold"
        }
        (true, true) => {
            "the networks' calibrated on each fold's series' validation errors pooled, the \
             statistical voices' on their errors at origins rolling over the values before \
             each fold"
        }
        (true, false) => "each fold's calibrated on its series' validation errors pooled",
    };
    let voices = "on every series' statistical voices' errors at origins rolling over its \
                  values before the fold's test period, pooled (where they calibrate more \
                  intervals than the validation errors)";
    let calibration = match voices_folds(summary).as_slice() {
        [] => calibration.to_string(),
        folds if folds.len() == summary.per_fold.len() && !alone => {
            format!("each fold's calibrated {voices}")
        }
        folds => format!(
            "{calibration}, but those of {} {voices}",
            report::folds_words(folds)
        ),
    };
    let text = format!(
        "Prediction intervals, {calibration}, over every step of every forecast ({} values):\n",
        first.values
    );
    text + &report::coverage_lines(&summary.intervals)
}

/// The folds (numbered from 1) whose networks' intervals were calibrated on the statistical
/// voices' pooled errors.
fn voices_folds(summary: &PanelBacktestSummary) -> Vec<usize> {
    (summary.per_fold.iter().enumerate())
        .filter(|(_, fold)| {
            (fold.series.iter()).any(|series| {
                !series.without_networks
                    && series.intervals_calibration == Some(Calibration::VoicesAtRollingOrigins)
            })
        })
        .map(|(index, _)| index + 1)
        .collect()
}

/// Each forecaster's relative MASE in each fold, model first, in the order of the summary's
/// table; a fold where it has none is NaN (a gap in the chart).
fn relative_by_fold(summary: &PanelBacktestSummary) -> Vec<(&'static str, Vec<f64>)> {
    let mut names: Vec<&'static str> = summary.all_folds.relative.keys().copied().collect();
    names.sort_by_key(|name| *name != MODEL);
    (names.into_iter())
        .map(|name| {
            let by_fold = (summary.per_fold.iter())
                .map(|fold| {
                    fold.all_series
                        .relative
                        .get(name)
                        .map_or(f64::NAN, |r| r.relative_mase)
                })
                .collect();
            (name, by_fold)
        })
        .collect()
}

fn text_report(summary: &PanelBacktestSummary) -> String {
    let mut text = format!(
        "Backtest of a panel: {} per series, {} history, {}\n",
        backtest::plan_words(summary.folds, summary.step),
        summary.window,
        summary.fitted_words()
    );
    let (headers, rows) = fold_rows(summary);
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let widths: Vec<usize> = headers.iter().map(|header| header.len()).collect();
    text += &report::text_table(&headers, &rows, &widths, report::Align::Right);
    let _ = write!(
        text,
        "\n{}",
        report::relative_text_table_over(&summary.all_folds, summary.scored_in_words())
    );
    if let Some(sentence) = without_networks(summary) {
        let _ = writeln!(text, "\n{sentence}");
    }
    let coverage = coverage_lines(summary);
    if !coverage.is_empty() {
        let _ = write!(text, "\n{coverage}");
    }
    text
}

/// The sentence naming the series backtested by the statistical voices alone; `None` when
/// there are none.
fn without_networks(summary: &PanelBacktestSummary) -> Option<String> {
    if !summary.networks {
        // every series: the summary's first line says so
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    for series in (summary.per_fold.iter()).flat_map(|fold| &fold.series) {
        let quoted = format!("'{}'", series.name);
        if series.without_networks && !names.contains(&quoted) {
            names.push(quoted);
        }
    }
    (!names.is_empty()).then(|| {
        format!(
            "Too short for the networks' folds, so the model is the statistical voices alone \
             ([model] statistical), fitted at every origin, on {}.",
            names.join(", ")
        )
    })
}

fn markdown(summary: &PanelBacktestSummary) -> String {
    let (headers, rows) = fold_rows(summary);
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let alone = without_networks(summary).map_or_else(String::new, |s| format!(" {s}"));
    format!(
        "# Backtest of a panel: {}\n\n{} per series, {} history; {}.{alone}\n\n{}\n{}\n\n{}",
        summary.run,
        backtest::plan_words(summary.folds, summary.step),
        summary.window,
        summary.fitted_words(),
        report::markdown_rows(&headers, &rows, report::Align::Right),
        report::relative_markdown_over(&summary.all_folds, summary.scored_in_words()),
        coverage_lines(summary).replace('\n', "\n\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_weighed_by_the_intervals_they_calibrate_not_their_first_step() {
        let wanted = with_crps_level(&[0.8, 0.95]);
        // ten validation errors at each of three steps: 80 % and the CRPS's 90 % at each
        let pooled: ErrorsBySeries = vec![vec![vec![1.0; 10]; 3]; 2];
        assert_eq!(calibrated(&pooled, &wanted), 6);
        // twenty rolling-origin errors at the first step but two at the others: every level at
        // the first step only
        let voices: ErrorsBySeries = vec![vec![vec![1.0; 20], vec![1.0; 2], vec![1.0; 2]]; 2];
        assert_eq!(calibrated(&voices, &wanted), 3);
        assert_eq!(calibrated(&Vec::new(), &wanted), 0);
    }

    #[test]
    fn series_that_join_the_same_newer_folds_share_a_note_naming_five() {
        let spec = BacktestSpec {
            folds: 10,
            step: 1,
            refit: Refit::Every,
            window: backtest::HistoryWindow::Expanding,
            jobs: 1,
            intervals: vec![],
            season: None,
            blend: None,
        };
        let mut planned = backtest::PanelPlan::default();
        planned.newer_folds_only.push(("short".into(), 9));
        for name in ["a", "b", "c", "d", "e", "f", "g"] {
            planned.newer_folds_only.push((name.into(), 1));
        }
        let notes = newer_folds_notes(&planned, &spec);
        assert_eq!(
            notes,
            [
                "7 series ('a', 'b', 'c', 'd', 'e', …; metrics.json lists each fold's) are too \
                 short for the oldest fold: backtested on the newest 9 folds (2 to 10) only",
                "series 'short' is too short for the 9 oldest folds: backtested on the newest \
                 fold (10) only",
            ]
        );
    }
}
