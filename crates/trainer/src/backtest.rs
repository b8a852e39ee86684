//! `trainer backtest`: rolling-origin evaluation of an experiment with `yoho_eval::backtest`,
//! each fold's model trained by the same learner as a plain run; writes a run-like directory.
//! A series too short for the default recipe's networks is backtested with the recipe's
//! statistical voices alone, fitted at every origin (`statistical_only::backtest_alone`).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use yoho_eval::backtest::{self, Backtest, BacktestSpec, FoldProgress};
use yoho_eval::baselines;
use yoho_eval::intervals::{
    CRPS_KEY, Calibration, PooledIntervals, StepCoverage, TestIntervals, percent,
};
use yoho_eval::{EvaluationTable, TestForecast, metrics, statistical_only};

use crate::RunOutcome;
use crate::artifacts::{RunDir, files};
use crate::cli::BacktestArgs;
use crate::config::ExperimentConfig;
use crate::device::select_device;
use crate::fit::{LearnerFit, backtest_interrupted};
use crate::forecast_statistical::FallbackBacktest;
use crate::plots;
use crate::recipe::{Purpose, TooShort};
use crate::report::{self, Align};

/// Runs `trainer backtest` and writes its directory; Ctrl-C (or SIGTERM) stops the fold under
/// way at the end of an epoch, and the backtest then writes nothing more
/// ([`RunOutcome::Interrupted`]).
pub fn run_backtest(args: &BacktestArgs) -> anyhow::Result<RunOutcome> {
    let purpose = Purpose::Backtest {
        test_windows: args.folds().saturating_mul(args.step()),
    };
    let mut config = match ExperimentConfig::load_reading(&args.config, None, purpose) {
        Ok(config) => config,
        Err(error) => match error.downcast_ref::<TooShort>() {
            // a series (or every series of a panel) too short for the recipe's networks: its
            // statistical voices
            Some(short) if short.recipe_model => {
                let done = match short.data.series_column {
                    None => backtest_too_short(short, args),
                    Some(_) => crate::backtest_panel::backtest_too_short_panel(short, args),
                };
                return done.map(|()| RunOutcome::Completed);
            }
            _ => return Err(error),
        },
    };
    if let Some(epochs) = args.epochs {
        config.train.epochs = epochs;
        config
            .validate()
            .context("invalid value given on the command line")?;
    }
    if let Some(weights) = &config.model.init_from {
        anyhow::bail!(
            "{}: [model] init_from = {}: a backtest trains every fold's model from seeded weights; \
             remove init_from to backtest this network",
            args.config.display(),
            weights.display()
        );
    }
    let mut spec = BacktestSpec {
        folds: args.folds(),
        step: args.step(),
        refit: args.refit,
        window: args.window,
        jobs: args.jobs.unwrap_or_else(default_jobs),
        intervals: config.evaluate.intervals.clone(),
        season: config.evaluate.season,
        blend: config.blend(),
    };
    if let Some(column) = &config.data.series_column {
        return crate::backtest_panel::run_panel_backtest(args, &config, &spec, column);
    }
    let baselines = config.baselines();
    let loaded = yoho_data::load(&config.data, &baselines::extra_columns(&baselines))?;
    crate::notes::print_series_notes(&loaded.cleaning_notes());
    args.fit_default_plan(&mut spec, &config.data, [loaded.series.len()]);
    backtest::plan(loaded.series.len(), &config.data, &spec)
        .map_err(|message| anyhow::anyhow!("{}: {message}", args.config.display()))?;
    let selected = select_device(args.device)?;
    eprintln!("device: {}", selected.description);
    let default = Path::new("runs").join(format!("{}-backtest", config.run_name()));
    // like a run: a backtest never mixes with an earlier one's folds and files
    let run = RunDir::create_for_command(args.out.as_deref(), args.overwrite, &default)?;
    // first: a directory with a config.toml is one --overwrite may replace
    run.write(files::CONFIG, toml::to_string_pretty(&config)?.as_bytes())?;
    let fit = LearnerFit::new(&config, selected.device.clone(), &run.file("folds"));
    // before anything says the folds start: a Ctrl-C from then on stops them
    fit.listen_for_signals()
        .context("cannot install the Ctrl-C handler")?;
    eprintln!(
        "backtest: {}, refit {}, {} history, {} job(s)",
        backtest::plan_words(spec.folds, spec.step),
        spec.refit,
        spec.window,
        spec.jobs
    );
    let result = backtest::run(
        &loaded,
        &config.data,
        &spec,
        &baselines,
        &fit,
        &selected.device,
        &print_progress,
    );
    let result = match result {
        Err(_) if fit.stop_requested() => return Ok(backtest_interrupted(&run)),
        result => result?,
    };
    let summary = BacktestSummary::new(config.run_name(), &spec, &selected.description, &result);
    let config_toml = toml::to_string_pretty(&config)?;
    write_backtest(&run, (&config.data.target, &config_toml), &result, &summary)?;
    println!("{}", text_report(&summary, &result));
    println!("backtest written to {}", run.path().display());
    Ok(RunOutcome::Completed)
}

/// `trainer backtest` of a series too short for the recipe's networks (`short`): the
/// recipe's statistical voices alone, fitted at every origin of every fold.
fn backtest_too_short(short: &TooShort, args: &BacktestArgs) -> anyhow::Result<()> {
    let mut start = FallbackBacktest::start(short, args)?;
    let loaded = yoho_data::load(&start.data, &baselines::extra_columns(&start.baselines))?;
    crate::notes::print_series_notes(&loaded.cleaning_notes());
    args.fit_default_plan(&mut start.spec, &start.data, [loaded.series.len()]);
    let (spec, data, baselines) = (&start.spec, &start.data, &start.baselines);
    // the plan checked before the run directory is written
    backtest::plan(loaded.series.len(), data, spec)
        .map_err(|message| anyhow::anyhow!("{}: {message}", args.config.display()))?;
    let (name, run) = start.create_run(args)?;
    eprintln!(
        "backtest: {}, {} history; exponential smoothing and ARIMA fitted at every origin",
        backtest::plan_words(spec.folds, spec.step),
        spec.window
    );
    let blend = &start.fallback.blend;
    let result = statistical_only::backtest_alone(&loaded, data, spec, blend, baselines)?;
    let mut summary = BacktestSummary::new(&name, spec, "the CPU", &result);
    summary.networks = false;
    let text = &start.fallback.text;
    write_backtest(&run, (&data.target, text), &result, &summary)?;
    println!("{}", text_report(&summary, &result));
    println!("backtest written to {}", run.path().display());
    Ok(())
}

/// Folds trained side by side by default: one per core. Each fold's training already spreads
/// its matrix products over the cores, so the gain is small: on two cores, 10 folds of
/// `configs/lstm.toml` took 109–116 s with two at a time and 119–123 s one at a time
/// (`cargo xtask bench --backtest --runs 2`).
fn default_jobs() -> usize {
    yoho_eval::parallel::cores()
}

fn print_progress(progress: FoldProgress) {
    eprintln!(
        "fold {:>2} trained in {:.1} s ({}/{} done, {:.1} s so far, about {:.1} s left)",
        progress.fold + 1,
        progress.took.as_secs_f64(),
        progress.done,
        progress.total,
        progress.elapsed.as_secs_f64(),
        progress.remaining().as_secs_f64()
    );
}

/// The contents of a backtest's `metrics.json`.
#[derive(Debug, Serialize)]
struct BacktestSummary {
    run: String,
    device: String,
    folds: usize,
    step: usize,
    refit: String,
    window: String,
    jobs: usize,
    wall_seconds: f64,
    /// Training time of the folds that trained, over their count.
    seconds_per_trained_fold: f64,
    /// The pooled forecasts' measures (MASE scaled by the first fold's training targets).
    pooled: EvaluationTable,
    /// The folds' prediction intervals pooled.
    #[serde(skip_serializing_if = "Option::is_none")]
    intervals: Option<PooledIntervals>,
    /// Over a horizon of several steps: each level's coverage over every step of every
    /// forecast with an interval (`intervals` scores each forecast's first step).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    intervals_every_step: Vec<StepCoverage>,
    best_baseline: String,
    per_fold: Vec<FoldSummary>,
    /// Whether each fold trained networks; `false` where the series is too short for them and
    /// the statistical voices alone were fitted at every origin.
    networks: bool,
}

#[derive(Debug, Serialize)]
struct FoldSummary {
    fold: usize,
    origin_date: String,
    last_date: String,
    training_rows: usize,
    trained: bool,
    training_seconds: f64,
    test: EvaluationTable,
    /// Where the fold's interval calibration came from (none without intervals).
    #[serde(skip_serializing_if = "Option::is_none")]
    intervals_calibration: Option<Calibration>,
    /// The levels of the fold's model intervals (in percent; fewer than asked for where its
    /// calibration errors are too few for the widest).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    intervals_levels: Vec<String>,
}

impl BacktestSummary {
    fn new(run: &str, spec: &BacktestSpec, device: &str, result: &Backtest) -> Self {
        let trained: Vec<f64> = result
            .folds
            .iter()
            .filter(|f| f.fold.trains())
            .map(|f| f.training_time.as_secs_f64())
            .collect();
        Self {
            run: run.to_string(),
            device: device.to_string(),
            folds: spec.folds,
            step: spec.step,
            refit: spec.refit.to_string(),
            window: spec.window.to_string(),
            jobs: spec.jobs,
            wall_seconds: result.wall_time.as_secs_f64(),
            seconds_per_trained_fold: trained.iter().sum::<f64>() / trained.len().max(1) as f64,
            best_baseline: result.table.best_baseline.to_string(),
            pooled: result.table.clone(),
            intervals: result.intervals.clone(),
            intervals_every_step: every_step_coverage(result),
            per_fold: result
                .folds
                .iter()
                .map(|f| FoldSummary {
                    fold: f.fold.index + 1,
                    origin_date: f.origin_date.to_string(),
                    last_date: f
                        .forecast
                        .dates
                        .last()
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    training_rows: f.fold.origin_row - f.fold.rows.start,
                    trained: f.fold.trains(),
                    training_seconds: f.training_time.as_secs_f64(),
                    test: f.table.clone(),
                    intervals_calibration: f.intervals.as_ref().map(|i| i.calibration),
                    intervals_levels: (f.intervals.iter())
                        .flat_map(|i| &i.model.intervals)
                        .map(|band| band.percent())
                        .collect(),
                })
                .collect(),
            networks: true,
        }
    }

    /// How each fold's forecasts were made, in words.
    fn fitted_words(&self) -> String {
        match self.networks {
            true => format!(
                "every fold's model trained only on rows before its origin (refit {}, {} history)",
                self.refit, self.window
            ),
            false => format!(
                "no networks (the series is too short for them): exponential smoothing and \
                 ARIMA fitted on the values before every origin ({} history)",
                self.window
            ),
        }
    }

    /// How the folds' intervals (`result`'s, pooled) were calibrated, in words.
    fn calibration_words(&self, result: &Backtest) -> String {
        if !self.networks {
            let words = "each fold's calibrated at origins rolling over the values before it";
            return match fewer_folds_words(result) {
                Some(fewer) => format!("{words}; {fewer}"),
                None => words.to_string(),
            };
        }
        // each fold's number (1-based) with the calibration of its intervals
        let calibrated: Vec<(usize, Calibration)> = (result.folds.iter().enumerate())
            .filter_map(|(index, fold)| Some((index + 1, fold.intervals.as_ref()?.calibration)))
            .collect();
        let folds_of = |wanted: Calibration| -> Vec<usize> {
            (calibrated.iter())
                .filter(|(_, calibration)| *calibration == wanted)
                .map(|(number, _)| *number)
                .collect()
        };
        let voices = folds_of(Calibration::VoicesAtRollingOrigins);
        let earlier = folds_of(Calibration::EarlierFolds);
        let mut words = match (voices.is_empty(), earlier.is_empty()) {
            (true, true) => "each fold's calibrated on its own validation windows".to_string(),
            (true, false) => EARLIER_FOLDS_WORDS.replace("{whose}", "each fold's"),
            (false, true) => VOICES_WORDS.replace("{whose}", "each fold's"),
            (false, false) => format!(
                "{}; {}",
                VOICES_WORDS.replace("{whose}", &those_of(&voices)),
                EARLIER_FOLDS_WORDS.replace("{whose}", &those_of(&earlier))
            ),
        };
        if calibrated.len() < result.folds.len() {
            let _ = write!(
                words,
                ", over the {} folds that have enough of them",
                calibrated.len()
            );
        }
        if let Some(fewer) = fewer_folds_words(result) {
            let _ = write!(words, "; {fewer}");
        }
        words
    }
}

/// The levels and the CRPS that fewer folds have than have intervals (folds whose calibration
/// errors are too few for the widest level: a short series), with the folds that have each, in
/// words; `None` where every fold with intervals has every one.
fn fewer_folds_words(result: &Backtest) -> Option<String> {
    let pooled = result.intervals.as_ref()?;
    let folds_with = |has: &dyn Fn(&TestIntervals) -> bool| -> Vec<usize> {
        (result.folds.iter().enumerate())
            .filter(|(_, fold)| fold.intervals.as_ref().is_some_and(has))
            .map(|(index, _)| index + 1)
            .collect()
    };
    let mut parts: Vec<String> = (pooled.levels.iter())
        .filter(|level| pooled.fewer_parts.contains_key(&percent(**level)))
        .map(|level| {
            let has = |i: &TestIntervals| i.model_level(*level).is_some();
            let folds = report::folds_words(&folds_with(&has));
            format!("the {} % intervals over {folds} only", percent(*level))
        })
        .collect();
    if pooled.fewer_parts.contains_key(CRPS_KEY) {
        let folds = folds_with(&|i: &TestIntervals| i.model.metrics.crps.is_some());
        parts.push(format!(
            "the CRPS over {} only",
            report::folds_words(&folds)
        ));
    }
    (!parts.is_empty()).then(|| {
        format!(
            "{} (the other folds' calibration errors too few for them)",
            parts.join(", ")
        )
    })
}

/// The intervals of the folds `numbers`, in words: `those of folds 1 to 4`.
fn those_of(numbers: &[usize]) -> String {
    format!("those of {}", report::folds_words(numbers))
}

/// How a fold calibrated on the test errors of the folds before it is, in words (`{whose}` the
/// folds').
const EARLIER_FOLDS_WORDS: &str = "{whose} calibrated on the earlier folds' test errors of \
     values before its origin (a fold's own validation windows are too few)";

/// How a fold calibrated on the statistical voices' errors is, in words (`{whose}` the folds').
const VOICES_WORDS: &str = "{whose} calibrated on the errors of the statistical voices alone at \
     origins rolling over the values before the fold's test period (where a fold's own \
     validation windows and the folds before it are too few)";

/// Over a horizon of several steps, each interval level's coverage over every step of every
/// forecast of `result`'s folds that has intervals; empty for a one-step horizon.
fn every_step_coverage(result: &Backtest) -> Vec<StepCoverage> {
    let Some(pooled) = result.intervals.as_ref() else {
        return Vec::new();
    };
    if result.pooled.horizon() < 2 {
        return Vec::new();
    }
    let parts: Vec<(&TestIntervals, &[Vec<f64>])> = (result.folds.iter())
        .filter_map(|f| Some((f.intervals.as_ref()?, f.forecast.actual_steps.as_slice())))
        .collect();
    StepCoverage::over(&pooled.levels, &parts)
}

/// Each pooled level's model interval on every forecast day of `result`'s folds, in order
/// (`None` on the days of a fold without that level).
fn day_bands(result: &Backtest) -> Vec<plots::Band> {
    let levels = (result.intervals.as_ref()).map_or(&[][..], |pooled| &pooled.levels[..]);
    let band = |level: f64| {
        let ends = (result.folds.iter()).flat_map(|fold| {
            let own = (fold.intervals.as_ref()).and_then(|intervals| intervals.model_level(level));
            let days = fold.forecast.dates.len();
            (0..days).map(move |day| own.map(|band| (band.lower[day], band.upper[day])))
        });
        plots::Band {
            level,
            ends: ends.collect(),
        }
    };
    levels.iter().map(|level| band(*level)).collect()
}

/// `backtest.csv`: one row per forecast day, `fold,origin_date,date,actual,model,<baselines>`,
/// then the model's intervals (`bands`: [`day_bands`]; empty cells where a fold has none).
fn backtest_csv(result: &Backtest, bands: &[plots::Band]) -> String {
    let names: Vec<&str> = result.pooled.forecasts.iter().map(|f| f.name).collect();
    let mut text = format!("fold,origin_date,date,actual,{}", names.join(","));
    report::push_interval_headers(&mut text, bands.iter().map(|band| band.level));
    text += "\n";
    let mut day_of_backtest: usize = 0;
    for fold in &result.folds {
        let forecast = &fold.forecast;
        for (day, date) in forecast.dates.iter().enumerate() {
            let _ = write!(
                text,
                "{},{},{date},{}",
                fold.fold.index + 1,
                fold.origin_date,
                forecast.actual[day]
            );
            report::push_forecast_cells(&mut text, forecast, &names, day);
            for band in bands {
                report::push_interval_cells(&mut text, band.ends[day_of_backtest]);
            }
            day_of_backtest += 1;
            text += "\n";
        }
    }
    text
}

/// Each forecaster's RMSE in each fold over every step of its forecasts (as the pooled table
/// measures them), model first.
fn rmse_by_fold(result: &Backtest) -> Vec<(&'static str, Vec<f64>)> {
    let folds: Vec<TestForecast> = (result.folds.iter())
        .map(|fold| fold.forecast.all_steps())
        .collect();
    (result.pooled.forecasts.iter())
        .map(|named| {
            let rmse = (folds.iter())
                .map(|forecast| {
                    let values = forecast.values(named.name).unwrap_or_default();
                    metrics::rmse(&forecast.actual, values)
                })
                .collect();
            (named.name, rmse)
        })
        .collect()
}

/// The per-fold table: origin, model RMSE and each baseline's.
fn fold_rows(result: &Backtest) -> (Vec<String>, Vec<Vec<String>>) {
    let by_fold = rmse_by_fold(result);
    let mut headers = vec!["fold".to_string(), "origin".to_string()];
    headers.extend(by_fold.iter().map(|(name, _)| format!("{name} RMSE")));
    let rows = result
        .folds
        .iter()
        .enumerate()
        .map(|(i, fold)| {
            let mut row = vec![(i + 1).to_string(), fold.origin_date.to_string()];
            row.extend(by_fold.iter().map(|(_, rmse)| format!("{:.3}", rmse[i])));
            row
        })
        .collect();
    (headers, rows)
}

fn text_report(summary: &BacktestSummary, result: &Backtest) -> String {
    let first = result
        .pooled
        .dates
        .first()
        .map(|d| d.to_string())
        .unwrap_or_default();
    let last = result
        .pooled
        .dates
        .last()
        .map(|d| d.to_string())
        .unwrap_or_default();
    let mut text = format!(
        "Backtest: {} ({} to {}), {}; pooled, in original units\n",
        backtest::plan_words(summary.folds, summary.step),
        first,
        last,
        summary.fitted_words()
    );
    text += &report::metrics_text_table(&result.table);
    if let Some(verdict) = report::verdict(&result.table) {
        let _ = writeln!(text, "{verdict}");
    }
    if let Some(pooled) = &result.intervals {
        let _ = writeln!(
            text,
            "\nPrediction intervals, {}, pooled:",
            summary.calibration_words(result)
        );
        let (headers, rows, widths) = report::pooled_interval_table(pooled);
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        text += &report::text_table(&headers, &rows, &widths, Align::Left);
        if let Some(line) = report::step_coverage_line(&summary.intervals_every_step) {
            let _ = writeln!(text, "{line}");
        }
    }
    let (headers, rows) = fold_rows(result);
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut widths = vec![4, 10];
    widths.extend(headers[2..].iter().map(|h| h.len().max(10)));
    let _ = writeln!(text, "\nBy fold:");
    text += &report::text_table(&header_refs, &rows, &widths, Align::Right);
    let _ = match summary.networks {
        true => write!(
            text,
            "\n{:.1} s in all, {:.1} s per trained fold, {} job(s)",
            summary.wall_seconds, summary.seconds_per_trained_fold, summary.jobs
        ),
        false => write!(text, "\n{:.1} s in all", summary.wall_seconds),
    };
    text
}

fn markdown_report(summary: &BacktestSummary, result: &Backtest, config_toml: &str) -> String {
    let mut text = format!("# Yoho backtest `{}`\n\n", summary.run);
    let _ = writeln!(
        text,
        "{} each, the newest {} targets of the series; {}, on {}; {:.1} s in all.\n",
        backtest::plan_words(summary.folds, summary.step),
        summary.folds * summary.step,
        summary.fitted_words(),
        summary.device,
        summary.wall_seconds
    );
    let _ = writeln!(text, "## Pooled over every fold, in original units\n");
    text += &report::markdown_table(&result.table);
    if let Some(verdict) = report::verdict(&result.table) {
        for line in verdict.lines() {
            let _ = writeln!(text, "\n{line}.");
        }
    }
    if let Some(pooled) = &result.intervals {
        let _ = writeln!(
            text,
            "\n## Prediction intervals, pooled\n\nEach fold's intervals: {} (or its model's \
             own quantiles); coverage in %, mean width in original units, CRPS the \
             day-weighted mean of the folds'.\n",
            summary.calibration_words(result)
        );
        let (headers, rows, _) = report::pooled_interval_table(pooled);
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        text += &report::markdown_rows(&headers, &rows, Align::Left);
        if let Some(line) = report::step_coverage_line(&summary.intervals_every_step) {
            let _ = writeln!(text, "\n{line}.");
        }
    }
    let _ = writeln!(text, "\n## By fold (RMSE)\n");
    let (headers, rows) = fold_rows(result);
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    text += &report::markdown_rows(&header_refs, &rows, Align::Right);
    let _ = writeln!(
        text,
        "\n![Forecasts over the backtest]({})\n\n![RMSE by fold]({})\n",
        files::BACKTEST_PLOT,
        files::FOLD_ERROR_PLOT
    );
    let _ = writeln!(text, "## Config\n\n```toml\n{config_toml}```");
    text
}

/// Writes a backtest's files into `run`: its config (`config_toml`, forecasting `target`),
/// the forecasts, charts, report and metrics.
fn write_backtest(
    run: &RunDir,
    (target, config_toml): (&str, &str),
    result: &Backtest,
    summary: &BacktestSummary,
) -> anyhow::Result<()> {
    let unit = "original units";
    run.write(files::CONFIG, config_toml.as_bytes())?;
    let bands = day_bands(result);
    run.write(files::BACKTEST, backtest_csv(result, &bands).as_bytes())?;
    plots::test_period(
        &run.file(files::BACKTEST_PLOT),
        &result.pooled,
        &bands,
        target,
        unit,
    )?;
    let by_fold = rmse_by_fold(result);
    plots::error_by_fold(&run.file(files::FOLD_ERROR_PLOT), &by_fold, target, unit)?;
    run.write(
        files::REPORT,
        markdown_report(summary, result, config_toml).as_bytes(),
    )?;
    run.write(
        files::METRICS,
        serde_json::to_string_pretty(summary)?.as_bytes(),
    )
}
