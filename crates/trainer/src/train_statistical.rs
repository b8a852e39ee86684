//! A run (`trainer --config FILE`) of a series too short for the default recipe's networks:
//! the recipe's statistical voices alone (`forecast_statistical.rs`) evaluated on the test
//! period as a run of networks is, against the same baselines, with the same report files.
//! A panel of such series is evaluated series by series, as a panel run's files say it
//! (`panel::write_without_networks`); in a panel run of networks, the series they leave out
//! are evaluated the same way beside the others (`evaluate_left_out`).
//!
//! The test period is the recipe's one origin of `horizon` steps (the M4 protocol). Every
//! forecast is fitted on the values before its window's origin, and the intervals are
//! calibrated on the same forecast's errors at rolling origins over the values before the test
//! period; nothing after the origin reaches either. The run directory holds the config as
//! written and `statistical.json`, so `trainer predict` forecasts new data from it.

use anyhow::bail;
use yoho_data::{DataConfig, LoadedSeries, PreparedData, PreparedPanel};
use yoho_eval::baselines::Baseline;
use yoho_eval::statistical_only::{TestedAlone, test_alone};
use yoho_eval::{Blend, errors_by_step};

use crate::RunOutcome;
use crate::artifacts::RunDir;
use crate::cli::TrainArgs;
use crate::config::{ExperimentConfig, baselines_of};
use crate::evaluation::{Evaluation, write_evaluation};
use crate::forecast_fit::data_file;
use crate::forecast_statistical::{Fallback, run_name};
use crate::panel::PanelData;
use crate::recipe::TooShort;
use crate::report::{self, DataSummary, MetricsReport, TrainingSummary};
use crate::statistical_run::alone_data;

/// Why a run of such a series trained nothing, as its report says it.
const NO_NETWORKS: &str = "no networks: the series is too short for them, so exponential \
                           smoothing and ARIMA alone were fitted at each origin";

/// Why a run of a panel of such series trained nothing.
const NO_NETWORKS_PANEL: &str = "every series is too short for the networks, so exponential \
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
    let voices = Voices {
        blend: &blend,
        levels: &statistical.levels,
        season: statistical.season,
    };
    let name = run_name(&table, &args.config);
    // every series read and evaluated before the run directory is written
    let evaluated = evaluate_every_series(&statistical.data, &voices, &baselines, &name)
        .map_err(|error| anyhow::anyhow!("{}: {error}", args.config.display()))?;
    let default = std::path::Path::new("runs").join(&name);
    let run = RunDir::create_for_command(args.out.as_deref(), args.overwrite, &default)?;
    // first: a directory with a config.toml is one --overwrite may replace
    run.write(crate::artifacts::files::CONFIG, text.as_bytes())?;
    statistical.save(&run)?;
    match evaluated {
        Evaluated::Series(evaluation) => {
            write_evaluation(&run, &evaluation, &[], &text)?;
            println!("{}", report::table(&evaluation.report));
        }
        Evaluated::Panel { series, left_out } => {
            let data = panel_data(&statistical.data, &series, left_out);
            let training = TrainingSummary::new(&[], None, NO_NETWORKS_PANEL.to_string(), 0.0);
            crate::panel::write_without_networks(&run, (name, data), series, training, &text)?;
        }
    }
    println!(
        "evaluated exponential smoothing and ARIMA alone in {:.1} s; run written to {}",
        start.elapsed().as_secs_f64(),
        run.path().display()
    );
    Ok(RunOutcome::Completed)
}

/// What a run without networks evaluated: one series, or each of a panel's (named) with those
/// too short even for that (`(name, why)`).
enum Evaluated {
    Series(Box<Evaluation>),
    Panel {
        series: Vec<(String, Evaluation)>,
        left_out: Vec<(String, String)>,
    },
}

/// The series `data` names (one, or each of a panel's) evaluated by `voices` on its test
/// period of a horizon, in a run named `run`.
fn evaluate_every_series(
    data: &DataConfig,
    voices: &Voices<'_>,
    baselines: &[Box<dyn Baseline>],
    run: &str,
) -> anyhow::Result<Evaluated> {
    let config = DataConfig {
        test_len: data.horizon,
        ..alone_data(data)
    };
    let extra = yoho_eval::baselines::extra_columns(baselines);
    Ok(match &data.series_column {
        None => {
            let data = prepare(yoho_data::load(&config, &extra)?, &config)?;
            crate::notes::describe_series(&data);
            Evaluated::Series(Box::new(voices.evaluate(&data, baselines, run.to_string())))
        }
        Some(column) => {
            let options = config.load_options(&extra);
            let loaded = yoho_data::load_file_panel(&data_file(&config), &options, column)?;
            evaluate_panel(voices, (loaded, &config), baselines, run)?
        }
    })
}

/// Each series of a panel (`loaded`, split by `config`) evaluated by `voices`, in a run named
/// `run`; a series too short even for that is left out, with a note; an error when every one
/// is.
fn evaluate_panel(
    voices: &Voices<'_>,
    (loaded, config): (Vec<(String, LoadedSeries)>, &DataConfig),
    baselines: &[Box<dyn Baseline>],
    run: &str,
) -> anyhow::Result<Evaluated> {
    let mut series = Vec::new();
    let mut left_out = Vec::new();
    for (name, loaded) in loaded {
        match prepare(loaded, config) {
            Ok(data) => {
                let evaluation = voices.evaluate_member(&data, baselines, (run, &name));
                series.push((name, evaluation));
            }
            Err(error) => {
                eprintln!("note: series '{name}' is left out: {error}");
                left_out.push((name, error.to_string()));
            }
        }
    }
    if series.is_empty() {
        let reasons: Vec<String> = (left_out.iter())
            .map(|(name, why)| format!("series '{name}': {why}"))
            .collect();
        bail!("no series can be evaluated: {}", reasons.join("; "));
    }
    Ok(Evaluated::Panel { series, left_out })
}

/// What a panel run without networks read (`data`, its series `evaluated`, those `left_out`
/// with why), as `metrics.json` says it: no training or validation windows.
fn panel_data(
    data: &DataConfig,
    evaluated: &[(String, Evaluation)],
    left_out: Vec<(String, String)>,
) -> PanelData {
    PanelData {
        source: data_file(data).display().to_string(),
        series_column: data.series_column.clone().unwrap_or_default(),
        features: data.features.clone(),
        target: data.target.clone(),
        horizon: data.horizon,
        held_out_from: None,
        left_out: crate::panel::left_out(&left_out),
        train_windows: 0,
        valid_windows: 0,
        test_windows: (evaluated.iter())
            .map(|(_, evaluation)| evaluation.report.data.test_windows)
            .sum(),
    }
}

/// The series of `panel` its networks' fit left out (too short for the windows, or constant),
/// each evaluated on its test period by the config's statistical voices alone, as a run of one
/// series too short for the recipe is, in the file's order; none without `[model] statistical`.
/// A series too short even for that, or constant, stays out of the evaluation, with a note.
pub(crate) fn evaluate_left_out(
    config: &ExperimentConfig,
    panel: &PreparedPanel,
    baselines: &[Box<dyn Baseline>],
) -> anyhow::Result<Vec<(String, Evaluation)>> {
    let (Some(blend), Some(column)) = (config.blend(), &config.data.series_column) else {
        return Ok(Vec::new());
    };
    if panel.left_out.is_empty() {
        return Ok(Vec::new());
    }
    let voices = Voices {
        blend: &blend,
        levels: &config.evaluate.intervals,
        season: config.evaluate.season,
    };
    let alone = alone_data(&config.data);
    let extra = yoho_eval::baselines::extra_columns(baselines);
    let options = config.data.load_options(&extra);
    let mut evaluated = Vec::new();
    for (name, loaded) in yoho_data::load_file_panel(&data_file(&config.data), &options, column)? {
        let Some((_, why)) = panel.left_out.iter().find(|(left, _)| *left == name) else {
            continue;
        };
        match prepare(loaded, &alone) {
            Ok(data) => {
                eprintln!(
                    "note: series '{name}' is left out of the panel's networks ({why}): evaluated \
                     by the statistical voices alone ([model] statistical)"
                );
                let evaluation =
                    voices.evaluate_member(&data, baselines, (config.run_name(), &name));
                evaluated.push((name, evaluation));
            }
            Err(error) => eprintln!(
                "note: series '{name}' is not evaluated by the statistical voices alone either: \
                 {error}"
            ),
        }
    }
    Ok(evaluated)
}

/// The statistical voices of a run without networks: their blend, the interval levels and the
/// season the measures use.
struct Voices<'a> {
    blend: &'a Blend,
    levels: &'a [f64],
    season: Option<usize>,
}

impl Voices<'_> {
    /// `data`'s test forecasts by the voices alone beside `baselines`', the measures and the
    /// intervals, as a report named `run`.
    fn evaluate(
        &self,
        data: &PreparedData,
        baselines: &[Box<dyn Baseline>],
        run: String,
    ) -> Evaluation {
        let TestedAlone {
            forecast,
            table: test,
            intervals,
        } = test_alone(self.blend, data, baselines, self.levels, self.season);
        let report = MetricsReport {
            run,
            device: "the CPU".to_string(),
            data: DataSummary::new(data, &forecast),
            training: TrainingSummary::new(&[], None, NO_NETWORKS.to_string(), 0.0),
            best_baseline: test.best_baseline.to_string(),
            test,
            by_step: (forecast.horizon() > 1).then(|| errors_by_step(&forecast)),
            closed_loop: None,
            intervals,
            ensemble: None,
        };
        Evaluation {
            report,
            forecast,
            generation: None,
        }
    }

    /// [`Self::evaluate`] of a panel's series `name` (`data`), in the panel's run `run`.
    fn evaluate_member(
        &self,
        data: &PreparedData,
        baselines: &[Box<dyn Baseline>],
        (run, name): (&str, &str),
    ) -> Evaluation {
        let mut evaluation = self.evaluate(data, baselines, format!("{run} / {name}"));
        evaluation.report.data.series = Some(name.to_string());
        evaluation
    }
}

/// `loaded` split by `config` (its test period held out, no validation period); an error in a
/// run's words when it has fewer rows than one window and the test period need.
fn prepare(loaded: LoadedSeries, config: &DataConfig) -> anyhow::Result<PreparedData> {
    // one window of the last value and its horizon before the test period: the naive
    // forecast's calibration and MASE's scale need them
    let needed = yoho_data::window::rows_needed(config.window_spec(), config.split_spec());
    let rows = loaded.series.len();
    if rows < needed {
        bail!(
            "the series has {rows} rows; a run holds out its last {} as the test period and \
             needs {} before them to score against ({needed} in all); `trainer forecast` \
             forecasts it with exponential smoothing and ARIMA alone",
            config.test_len,
            needed - config.test_len,
        );
    }
    Ok(yoho_data::prepare_loaded(loaded, config)?)
}
