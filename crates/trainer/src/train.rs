//! The `train` command, the main job: config → data → training → evaluation → run directory;
//! and resuming an interrupted run from its last checkpoint.

use std::path::Path;

use anyhow::{Context, bail};
use yoho_data::{PreparedData, PreparedPanel, TrainingData};
use yoho_eval::baselines::{self, Baseline};

use crate::RunOutcome;
use crate::artifacts::{RunDir, files, remove_partial_files};
use crate::calibration_fit::{SecondFitErrors, second_fit, second_fit_panel};
use crate::cli::TrainArgs;
use crate::config::ExperimentConfig;
use crate::device::{SelectedDevice, select_device};
use crate::evaluation::{ModelErrors, evaluate, write_series};
use crate::fingerprint::Fingerprint;
use crate::panel;
use crate::recipe::{Purpose, TooShort};
use crate::report::{self, print_trained};
use crate::training::{
    EpochLoss, ResumePoint, TrainedModel, TrainingControl, TrainingEnd, initial_weights,
    latest_complete, read_loss_csv, train, write_loss_csv,
};

/// Reads the config named in `args` and applies the command-line overrides.
pub fn resolve_config(args: &TrainArgs) -> anyhow::Result<ExperimentConfig> {
    load_config(
        &args.config,
        args.data.as_deref(),
        args.epochs,
        Purpose::Run,
    )
}

/// Reads the config at `path` for `purpose` with `--data` and `--epochs` applied (each when
/// given).
pub(crate) fn load_config(
    path: &Path,
    data: Option<&Path>,
    epochs: Option<usize>,
    purpose: Purpose,
) -> anyhow::Result<ExperimentConfig> {
    let mut config = ExperimentConfig::load_reading(path, data, purpose)?;
    apply_overrides(&mut config, data, epochs)?;
    Ok(config)
}

fn apply_overrides(
    config: &mut ExperimentConfig,
    data: Option<&Path>,
    epochs: Option<usize>,
) -> anyhow::Result<()> {
    if let Some(path) = data {
        if !matches!(config.data.source, yoho_data::Source::File { .. }) {
            bail!(
                "--data replaces [data] path, but this config generates its series (source = \
                 \"sine\"); drop --data or use a config that reads a CSV file"
            );
        }
        config.data.source = yoho_data::Source::File {
            path: path.to_path_buf(),
        };
    }
    if let Some(epochs) = epochs {
        config.train.epochs = epochs;
    }
    config
        .validate()
        .context("invalid value given on the command line")
}

/// Trains (from scratch, or from `--resume`'s checkpoint), evaluates and writes a run.
pub fn train_and_evaluate(args: &TrainArgs) -> anyhow::Result<RunOutcome> {
    let (config, resumed) = match &args.resume {
        Some(dir) => {
            let (config, run, point) = open_for_resume(dir, args)?;
            (config, Some((run, point)))
        }
        None => match resolve_config(args) {
            Ok(config) => (config, None),
            Err(error) => match error.downcast_ref::<TooShort>() {
                // a series (or every series of a panel) too short for the recipe's networks:
                // its statistical voices
                Some(short) if short.recipe_model => {
                    return crate::train_statistical::evaluate_too_short(short, args);
                }
                _ => return Err(error),
            },
        },
    };
    let baselines = config.baselines();
    let loading = std::time::Instant::now();
    let data = Prepared::load(&config, &baselines)?;
    let config = match &data {
        Prepared::Panel(panel) if resumed.is_none() => config.for_panel(panel.series.len()),
        _ => config,
    };
    crate::release_freed_memory();
    data.describe();
    let alone = match &data {
        Prepared::Panel(panel) => {
            crate::train_statistical::evaluate_left_out(&config, panel, &baselines)?
        }
        Prepared::Series(_) => Vec::new(),
    };
    eprintln!(
        "data read and prepared in {:.1} s",
        loading.elapsed().as_secs_f64()
    );
    // every check that can fail comes before the run directory is written
    let weights = initial_weights(&config)?;
    let selected = select_device(args.device)?;
    eprintln!("device: {}", selected.description);
    let fingerprint = Fingerprint::of(&config)?;
    let (run, resume) = match resumed {
        Some((run, point)) => (run, Some(point)),
        None => (new_run_dir(&config, args)?, None),
    };
    // config.toml first: a directory with it is a run, which --overwrite may replace
    run.write(files::CONFIG, toml::to_string_pretty(&config)?.as_bytes())?;
    if resume.is_none() {
        fingerprint.write(&run)?;
    }

    let control = TrainingControl::default();
    control
        .listen_for_signals()
        .context("cannot install the Ctrl-C handler")?;
    let trained = match train(
        &config,
        &data.training_data(),
        &selected.device,
        run.path(),
        &control,
        weights.as_ref(),
        resume.as_ref(),
    )? {
        TrainingEnd::Finished(trained) => *trained,
        TrainingEnd::Interrupted {
            checkpoint_epoch,
            history,
        } => return interrupted(&run, checkpoint_epoch, &history),
        TrainingEnd::Diverged { epoch, loss } => bail!(
            "training diverged at epoch {epoch}: the loss became {loss}; no predictions were \
             written. Try a lower learning rate ([train] lr = {} now) or scale the data \
             ([data] scaling = \"standard\" or \"factor\")",
            config.train.lr
        ),
    };
    // a second fit's validation errors where the run's own are too few for its intervals
    // (`[evaluate] calibration_fit`)
    let extra = baselines::extra_columns(&baselines);
    let model = (&selected, &trained);
    // (a Ctrl-C during it stops it at the end of an epoch, as during the run's own training;
    // from then on one ends the process at once)
    match &data {
        Prepared::Series(data) => {
            let second = second_fit(&config, (data, &extra), &selected, &control, &run)?;
            control.training_finished();
            evaluate_and_write(&config, data, &baselines, &run, model, second.as_ref())?
        }
        Prepared::Panel(panel) => {
            let second = second_fit_panel(&config, (panel, &extra), &selected, &control, &run)?;
            control.training_finished();
            let written = (&run, alone);
            panel::evaluate_and_write(&config, panel, &baselines, written, model, second)?
        }
    }
    match control.stop_requested() {
        true => {
            eprintln!(
                "interrupted after the run's training: its files are written, its intervals \
                 calibrated without the second fit that the signal stopped (run it again for \
                 them)"
            );
            Ok(RunOutcome::Interrupted)
        }
        false => Ok(RunOutcome::Completed),
    }
}

/// The data of a run: one series, or a panel of many (`[data] series_column`).
enum Prepared {
    Series(PreparedData),
    Panel(PreparedPanel),
}

impl Prepared {
    /// Loads and prepares the data `config` names, with the columns `baselines` read where the
    /// file has them.
    fn load(config: &ExperimentConfig, baselines: &[Box<dyn Baseline>]) -> anyhow::Result<Self> {
        let extra = baselines::extra_columns(baselines);
        Ok(match config.data.series_column {
            None => Self::Series(yoho_data::prepare_with_optional(&config.data, &extra)?),
            Some(_) => Self::Panel(yoho_data::prepare_panel(&config.data, &extra)?),
        })
    }

    fn describe(&self) {
        match self {
            Self::Series(data) => crate::notes::describe_series(data),
            Self::Panel(panel) => panel::describe(panel),
        }
    }

    fn training_data(&self) -> TrainingData {
        match self {
            Self::Series(data) => data.training_data(),
            Self::Panel(panel) => panel.training_data(),
        }
    }
}

fn new_run_dir(config: &ExperimentConfig, args: &TrainArgs) -> anyhow::Result<RunDir> {
    RunDir::create_for_command(
        args.out.as_deref(),
        args.overwrite,
        &config.default_run_dir(),
    )
}

/// Evaluates one series' model and writes the run, its intervals calibrated on `second`'s
/// errors where a second fit made them, else on its own validation errors.
fn evaluate_and_write(
    config: &ExperimentConfig,
    data: &PreparedData,
    baselines: &[Box<dyn Baseline>],
    run: &RunDir,
    (selected, trained): (&SelectedDevice, &TrainedModel),
    second: Option<&SecondFitErrors>,
) -> anyhow::Result<()> {
    let name = config.run_name().to_string();
    let errors = second.map_or(ModelErrors::Own, ModelErrors::SecondFit);
    let evaluation = evaluate(config, data, baselines, selected, trained, name, errors)?;
    run.save_weights(config, &trained.forecaster)?;
    let config_toml = toml::to_string_pretty(config)?;
    write_series(run, &evaluation, data, &trained.history, &config_toml)?;
    let report = &evaluation.report;
    println!("{}", report::table(report));
    match (&config.model.init_from, report.training.epochs) {
        (Some(weights), 0) => println!(
            "evaluated the weights of {} without training, on {}; run written to {}",
            weights.display(),
            report.device,
            run.path().display()
        ),
        _ => print_trained(&report.training, &report.device, run),
    }
    Ok(())
}

fn interrupted(
    run: &RunDir,
    checkpoint_epoch: Option<usize>,
    history: &[EpochLoss],
) -> anyhow::Result<RunOutcome> {
    write_loss_csv(run.path(), history)?;
    match checkpoint_epoch {
        Some(epoch) => eprintln!(
            "interrupted: the checkpoint of epoch {epoch} is in {}; resume with\n  trainer --resume {}",
            run.file(files::CHECKPOINT_DIR).display(),
            run.path().display()
        ),
        None => eprintln!("interrupted before the first checkpoint; nothing to resume"),
    }
    Ok(RunOutcome::Interrupted)
}

/// The config, run directory and resume point of the interrupted run in `dir`.
fn open_for_resume(
    dir: &Path,
    args: &TrainArgs,
) -> anyhow::Result<(ExperimentConfig, RunDir, ResumePoint)> {
    let run = RunDir::open(dir)?;
    // the temporary files of writes a killed run left unfinished
    remove_partial_files(run.path());
    let mut config = ExperimentConfig::load_saved(&run.file(files::CONFIG))?;
    apply_overrides(&mut config, args.data.as_deref(), args.epochs)?;
    Fingerprint::check(&run, &config)?;
    let epoch = latest_checkpoint(&run)?;
    // a run killed after its last epoch but before its reports is finished on resume
    if epoch >= config.train.epochs && run.file(files::METRICS).is_file() {
        bail!(
            "{} already finished its {} epochs (checkpoint of epoch {epoch}); pass --epochs N \
             with N > {epoch} to train further",
            run.path().display(),
            config.train.epochs
        );
    }
    let history = read_loss_csv(&run.file(files::LOSS))?
        .into_iter()
        .filter(|loss| loss.epoch <= epoch)
        .collect();
    eprintln!(
        "resuming {} from the checkpoint of epoch {epoch}",
        run.path().display()
    );
    Ok((config, run, ResumePoint { epoch, history }))
}

/// The newest epoch with a complete checkpoint (model, optimiser and scheduler files).
fn latest_checkpoint(run: &RunDir) -> anyhow::Result<usize> {
    let directory = run.file(files::CHECKPOINT_DIR);
    if !directory.is_dir() {
        bail!(
            "{} has no checkpoint to resume from; start it again with --overwrite",
            run.path().display()
        );
    }
    latest_complete(&directory).with_context(|| {
        format!(
            "{} holds no complete checkpoint (the run stopped before its first); start it \
             again with --overwrite",
            directory.display()
        )
    })
}
