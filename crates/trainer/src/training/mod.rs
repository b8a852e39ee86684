//! Training with burn-train's learner: the model's train and validation steps ([`step`]), a
//! compact progress display ([`progress`]), an in-memory loss history ([`history`]), the
//! checkpoints a run keeps ([`checkpoints`]), early stopping with the best epoch restored, the
//! optimiser and schedule ([`optimizer`]) and what the signal handler shares ([`control`]).

mod checkpoints;
mod control;
mod early_stopping;
mod epoch_sample;
mod full_batch;
mod history;
mod optimizer;
pub mod overhead;
mod progress;
mod pruning;
mod step;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::Dataset;
use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use burn::train::metric::LossMetric;
use burn::train::{Interrupter, Learner, SupervisedTraining};
use full_batch::FullBatchLoader;
use yoho_data::{TrainingData, WindowBatch, WindowBatcher};
use yoho_model::{Forecaster, PytorchWeights};

use crate::artifacts::files;
use crate::artifacts::{read_record, remove_partial_files};
use crate::config::{ExperimentConfig, Families, ModelFamily, TrainSection};
use checkpoints::{AtomicFileCheckpointer, RunCheckpoints};
pub(crate) use checkpoints::{latest_complete, prune};
pub use control::TrainingControl;
use early_stopping::{NoImprovementSince, Stopping};
use epoch_sample::EpochSampleLoader;
pub use history::{EpochLoss, LossHistory, read_loss_csv, write_loss_csv};
use optimizer::{lr_scheduler, optimizer};
use progress::ProgressPrinter;
use pruning::NetworkPruning;
pub use pruning::{Curves, PRUNE_FROM_EPOCH, Pruning};
pub use step::Regressor;
use yoho_eval::parallel::{cores, in_parallel};

/// What training produced.
pub struct TrainedModel {
    /// The trained network, ready for inference on the training device.
    pub forecaster: Forecaster,
    /// Loss per epoch.
    pub history: Vec<EpochLoss>,
    /// The epoch whose weights `forecaster` holds (`None` for imported weights not trained).
    pub kept_epoch: Option<usize>,
    /// Why training stopped and which weights were kept, in words.
    pub stop_reason: String,
    /// Wall time of the learner's run.
    pub wall_time: Duration,
}

/// How a training run ended.
pub enum TrainingEnd {
    /// All epochs ran.
    Finished(Box<TrainedModel>),
    /// A stop was requested; the checkpoint of `checkpoint_epoch` holds the state to resume.
    Interrupted {
        /// The epoch whose checkpoint was written last.
        checkpoint_epoch: Option<usize>,
        /// Loss per epoch up to the interruption.
        history: Vec<EpochLoss>,
    },
    /// The loss stopped being a finite number.
    Diverged {
        /// The epoch where it happened.
        epoch: usize,
        /// The loss seen (NaN or infinite).
        loss: f64,
    },
}

/// Where a resumed run starts: the checkpoint's epoch and the losses before it.
#[derive(Debug, Clone)]
pub struct ResumePoint {
    /// The last completed (checkpointed) epoch.
    pub epoch: usize,
    /// Loss per epoch up to `epoch`.
    pub history: Vec<EpochLoss>,
}

/// The most training windows `batch_size = 0` (full batch) puts in one batch; a larger set is
/// trained in mini-batches of [`AUTO_BATCH_SIZE`], which the run says.
pub const FULL_BATCH_MAX_WINDOWS: usize = 32_768;

/// The mini-batch `batch_size = 0` picks for a training set past [`FULL_BATCH_MAX_WINDOWS`].
pub const AUTO_BATCH_SIZE: usize = 1_024;

/// The batch size for `windows` training windows: `batch_size`, or for 0 every window at once
/// up to [`FULL_BATCH_MAX_WINDOWS`] (else [`AUTO_BATCH_SIZE`], with a note saying so).
pub fn batch_size(train: &TrainSection, windows: usize) -> (usize, Option<String>) {
    match train.batch_size {
        0 if windows > FULL_BATCH_MAX_WINDOWS => (
            AUTO_BATCH_SIZE,
            Some(format!(
                "note: {windows} training windows are too many for one batch; training in \
                 mini-batches of {AUTO_BATCH_SIZE} ([train] batch_size sets another size)"
            )),
        ),
        0 => (windows.max(1), None),
        size => (size, None),
    }
}

/// Trains a forecaster on `data` as `config` says, writing checkpoints under `run_dir`; from
/// seeded weights or `weights` (those of `[model] init_from`, see [`initial_weights`]), or
/// from the checkpoint of `resume`. With `[train] ensemble = N`, N networks side by side
/// (see [`train_ensemble`]).
pub fn train(
    config: &ExperimentConfig,
    data: &TrainingData,
    device: &Device,
    run_dir: &Path,
    control: &TrainingControl,
    weights: Option<&PytorchWeights>,
    resume: Option<&ResumePoint>,
) -> anyhow::Result<TrainingEnd> {
    check_series(config, data)?;
    match (config.train.ensemble, config.model.family.len()) {
        (0 | 1, 1) => train_one(config, data, device, run_dir, control, weights, resume),
        _ => train_ensemble(config, data, device, run_dir, control, resume),
    }
}

/// A model with parameters of each series' own (`es_rnn`) must have them for every series of
/// the data.
fn check_series(config: &ExperimentConfig, data: &TrainingData) -> anyhow::Result<()> {
    let needed = data.train.series_count().max(data.valid.series_count());
    let has = config.model.series.unwrap_or(1);
    if config.model.family.contains(ModelFamily::EsRnn) && has < needed {
        anyhow::bail!(
            "[model] series: family = \"es_rnn\" learns smoothing coefficients for each series, \
             and the data holds {needed} series while the model has coefficients for {has}"
        );
    }
    Ok(())
}

/// The members of an ensemble run train side by side (as many at a time as the machine has
/// cores), each as a run of its own with its [`member_seed`], each stopping early and
/// keeping its own best epoch, its checkpoints under `members/NN/`: `[train] ensemble`
/// networks of each family of `[model] family`, the first family's first (with `[model]
/// lookbacks`, network `k` of each reading the `k`th lookback's newest rows). The ensemble
/// forecasts the median of theirs (with several families, the median of each family's
/// median). The history is the first member's (the one a single network with the same seed
/// would train, and the only one whose progress is shown), the kept epoch the median of the
/// members'. An ensemble run is not resumed.
fn train_ensemble(
    config: &ExperimentConfig,
    data: &TrainingData,
    device: &Device,
    run_dir: &Path,
    control: &TrainingControl,
    resume: Option<&ResumePoint>,
) -> anyhow::Result<TrainingEnd> {
    let per_family = config.train.ensemble.max(1);
    let families: Vec<ModelFamily> = config.model.family.iter().collect();
    let indices: Vec<usize> = (0..per_family * families.len()).collect();
    if resume.is_some() {
        anyhow::bail!(
            "[train] ensemble: a run of {} networks cannot be resumed; start it again with \
             --overwrite",
            indices.len()
        );
    }
    // the members train side by side: the run's wall time is theirs together, not their sum
    let started = Instant::now();
    let ends = in_parallel(&indices, cores(), |_, index| {
        let mut member = config.clone();
        member.train.ensemble = 1;
        member.model.family = Families::one(families[index / per_family]);
        // its own lookback, the one the ensemble's config gives it
        member.model.lookbacks = Vec::from_iter(config.model.lookback_of(index % per_family));
        member.train.seed = member_seed(config.train.seed, *index);
        let dir = run_dir.join("members").join(format!("{:02}", index + 1));
        let control = control.for_member(*index, per_family);
        train_one(&member, data, device, &dir, &control, None, None)
    });
    let mut members = Vec::with_capacity(config.train.ensemble);
    for end in ends {
        match end? {
            TrainingEnd::Finished(trained) => members.push(*trained),
            TrainingEnd::Interrupted { history, .. } => {
                return Ok(TrainingEnd::Interrupted {
                    checkpoint_epoch: None,
                    history,
                });
            }
            diverged @ TrainingEnd::Diverged { .. } => return Ok(diverged),
        }
    }
    let mut kept: Vec<usize> = members.iter().filter_map(|m| m.kept_epoch).collect();
    let listed = |epochs: &mut dyn Iterator<Item = usize>| {
        epochs.map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
    };
    let stop_reason = format!(
        "{} networks, each stopped and kept on its own: trained {} epochs, kept epochs {}",
        members.len(),
        listed(&mut members.iter().map(|m| m.history.len())),
        listed(&mut kept.iter().copied()),
    );
    kept.sort_unstable();
    let wall_time = started.elapsed();
    let history = members[0].history.clone();
    let forecaster = group_by_family(
        members.into_iter().map(|m| m.forecaster).collect(),
        per_family,
    );
    Ok(TrainingEnd::Finished(Box::new(TrainedModel {
        forecaster,
        history,
        kept_epoch: kept.get(kept.len() / 2).copied(),
        stop_reason,
        wall_time,
    })))
}

/// The forecaster of an ensemble's trained `networks`, `per_family` of each family in turn:
/// the networks' ensemble for one family, else the ensemble of each family's (one network
/// standing for itself), as [`ExperimentConfig::forecaster_config`] describes it.
fn group_by_family(networks: Vec<Forecaster>, per_family: usize) -> Forecaster {
    let ensemble =
        |members: Vec<Forecaster>| Forecaster::Ensemble(yoho_model::Ensemble { members });
    if networks.len() == per_family {
        return ensemble(networks);
    }
    let mut networks = networks.into_iter();
    let families = (0..networks.len() / per_family)
        .map(|_| {
            let family: Vec<Forecaster> = networks.by_ref().take(per_family).collect();
            match per_family {
                1 => family.into_iter().next().expect("one network per family"),
                _ => ensemble(family),
            }
        })
        .collect();
    ensemble(families)
}

/// How far apart the seeds of an ensemble's members are: a prime far above any seed a user
/// counts through, so that ensembles of neighbouring seeds share no member.
const MEMBER_SEED_STRIDE: u64 = 1_000_003;

/// The seed of member `index` (0-based) of an ensemble with seed `seed`: `seed` itself for the
/// first, the network `ensemble = 1` trains, and then `seed + index · 1,000,003`, so that runs
/// with seeds 42 and 43 are as independent as two single networks.
pub(crate) fn member_seed(seed: u64, index: usize) -> u64 {
    seed.wrapping_add(MEMBER_SEED_STRIDE.wrapping_mul(index as u64))
}

/// [`train`] for one network.
fn train_one(
    config: &ExperimentConfig,
    data: &TrainingData,
    device: &Device,
    run_dir: &Path,
    control: &TrainingControl,
    weights: Option<&PytorchWeights>,
    resume: Option<&ResumePoint>,
) -> anyhow::Result<TrainingEnd> {
    let training_device = device.clone().autodiff();
    let mut model = Regressor::new(
        seeded_forecaster(config, weights, device, &training_device)?,
        &config.train,
    );
    let pruning = (control.pruning.clone())
        .map(|pruning| NetworkPruning::new(pruning, control.member, control.judged));
    model.scaled_errors = pruning.as_ref().map(|pruning| pruning.errors.clone());
    // told when the training is over, so that no other network waits for its errors
    let finishing = pruning.clone();
    let pruned = control.pruning.as_ref().and_then(Pruning::pruned_at);
    if config.train.epochs == 0 || pruned.is_some() {
        // evaluate `[model] init_from` as it is; a pruned trial's network is not trained
        let stop_reason = match pruned {
            Some(epoch) => format!("not trained: its trial was pruned at epoch {epoch}"),
            None => "evaluated the imported weights without training".into(),
        };
        return Ok(TrainingEnd::Finished(Box::new(TrainedModel {
            forecaster: model.forecaster.valid(),
            history: Vec::new(),
            kept_epoch: None,
            stop_reason,
            wall_time: Duration::ZERO,
        })));
    }

    let Epochs {
        train,
        steps_per_epoch,
        loaders,
    } = epochs(&config.train, data, device);
    let optimizer = optimizer(&train);
    let scheduler = lr_scheduler(&train, steps_per_epoch)?;
    let history = LossHistory::starting_with(resume.map_or(&[], |r| &r.history));
    let checkpoint_dir = run_dir.join(files::CHECKPOINT_DIR);
    std::fs::create_dir_all(&checkpoint_dir)
        .with_context(|| format!("cannot create {}", checkpoint_dir.display()))?;
    remove_partial_files(&checkpoint_dir);
    let run = RunContext {
        train: &train,
        run_dir,
        checkpoint_dir: &checkpoint_dir,
        control,
        resume,
        history: &history,
        pruning,
    };
    let (training, interrupter) = supervised_training(run, loaders);

    let started = Instant::now();
    let result = training.launch(Learner::new(model, optimizer, scheduler));
    let wall_time = started.elapsed();
    if let Some(pruning) = &finishing {
        pruning.finish();
    }
    let history = history.epochs();
    let best = best_epoch(&history, train.first_keepable_epoch());
    // the checkpoint threads have finished: keep only the newest and the best checkpoint
    let kept: Vec<usize> = control
        .last_checkpoint()
        .into_iter()
        .chain(best.map(|(epoch, _)| epoch))
        .collect();
    prune(&checkpoint_dir, &kept);
    if let Some((epoch, loss)) = control.diverged().or_else(|| first_non_finite(&history)) {
        return Ok(TrainingEnd::Diverged { epoch, loss });
    }
    if let Some(error) = interrupter.error() {
        anyhow::bail!("training failed: {error}");
    }
    if control.stop_requested() {
        return Ok(TrainingEnd::Interrupted {
            checkpoint_epoch: control.last_checkpoint(),
            history,
        });
    }
    let last_epoch = history.last().map_or(0, |e| e.epoch);
    let (model, kept_epoch) = match best.filter(|_| train.restore_best) {
        Some((epoch, _)) if epoch != last_epoch => {
            (restore_checkpoint(result.model, run_dir, epoch)?, epoch)
        }
        _ => (result.model, last_epoch),
    };
    Ok(TrainingEnd::Finished(Box::new(TrainedModel {
        forecaster: model.forecaster.valid(),
        stop_reason: stop_reason(&train, &history, kept_epoch),
        kept_epoch: Some(kept_epoch),
        history,
        wall_time,
    })))
}

/// A loader of training or validation batches.
type Loader = Arc<dyn DataLoader<WindowBatch>>;

/// How one network's epochs go: its `[train]` section within its step budget, the optimiser
/// steps of an epoch, and the loaders of its training and validation windows.
struct Epochs {
    train: TrainSection,
    steps_per_epoch: usize,
    loaders: (Loader, Loader),
}

/// The epochs of `train` over `data`: the batch size (with a note where it differs from the
/// config's), the loaders (a full batch built once where one step sees every window) and the
/// section within the step budget.
fn epochs(train: &TrainSection, data: &TrainingData, device: &Device) -> Epochs {
    let batcher = WindowBatcher::new(data.shape);
    let train_windows = data.train.len();
    let (batch_size, note) = batch_size(train, train_windows);
    let steps_per_pass = train_windows.div_ceil(batch_size);
    let steps_per_epoch = match train.batches_per_epoch {
        0 => steps_per_pass,
        cap => steps_per_pass.min(cap),
    };
    let train = train.within_step_budget(data.train.series_count(), steps_per_epoch);
    if let Some(note) = note {
        eprintln!("{note}");
    }
    let train_loader: Loader = if batch_size >= train_windows {
        // one step an epoch sees every window: the batch is built once
        Arc::new(FullBatchLoader::new(&data.train, batcher, device))
    } else if steps_per_epoch < steps_per_pass {
        // an epoch is a stretch of one stream of passes over the windows
        Arc::new(EpochSampleLoader::new(
            data.train.clone(),
            batcher,
            (batch_size, steps_per_epoch),
            train.seed,
            train.shuffle,
            device,
        ))
    } else {
        let mut loader = DataLoaderBuilder::new(batcher).batch_size(batch_size);
        if train.shuffle {
            loader = loader.shuffle(train.seed);
        }
        loader.build(data.train.clone())
    };
    let valid_loader: Loader = match data.valid.len() <= FULL_BATCH_MAX_WINDOWS {
        true => Arc::new(FullBatchLoader::new(&data.valid, batcher, device)),
        false => DataLoaderBuilder::new(batcher)
            .batch_size(batch_size.max(AUTO_BATCH_SIZE))
            .build(data.valid.clone()),
    };
    Epochs {
        train,
        steps_per_epoch,
        loaders: (train_loader, valid_loader),
    }
}

/// Where one network's training writes and what it shares with the rest of the run.
struct RunContext<'a> {
    train: &'a TrainSection,
    run_dir: &'a Path,
    checkpoint_dir: &'a Path,
    control: &'a TrainingControl,
    resume: Option<&'a ResumePoint>,
    history: &'a LossHistory,
    /// The network's part in a search's pruning of its trials.
    pruning: Option<NetworkPruning>,
}

/// burn-train's supervised training over `loaders` (training, validation): the loss metrics
/// into the run's history, the progress printer, the run's atomic checkpoints and the epochs
/// they keep, early stopping after `patience` epochs without a better validation loss (or, in a
/// search, once its trial is pruned), and the checkpoint a resumed run continues from; with its
/// interrupter.
fn supervised_training(
    run: RunContext,
    (train_loader, valid_loader): (Loader, Loader),
) -> (SupervisedTraining<Regressor>, Interrupter) {
    let RunContext {
        train,
        run_dir,
        checkpoint_dir,
        control,
        resume,
        history,
        pruning,
    } = run;
    let mut training = SupervisedTraining::new(run_dir, train_loader, valid_loader);
    let interrupter = training.interrupter();
    training = training
        .metric_train_numeric(LossMetric::new())
        .metric_valid_numeric(LossMetric::new())
        .with_metric_logger(history.clone())
        .renderer(Box::new(ProgressPrinter::new(
            train.log_every,
            control.clone(),
            interrupter.clone(),
        )))
        .with_application_logger(None)
        .with_custom_checkpointers(
            AtomicFileCheckpointer::new(checkpoint_dir, "model"),
            AtomicFileCheckpointer::new(checkpoint_dir, "optim"),
            AtomicFileCheckpointer::new(checkpoint_dir, "scheduler"),
        )
        .with_checkpointing_strategy(RunCheckpoints {
            every: train.checkpoint_interval(),
            last_epoch: train.epochs,
            latest: resume.map(|r| r.epoch),
            best: resume.and_then(|r| best_epoch(&r.history, train.first_keepable_epoch())),
            min_epochs: train.first_keepable_epoch(),
            control: control.clone(),
            interrupter: interrupter.clone(),
            run_dir: run_dir.to_path_buf(),
            history: history.clone(),
        })
        .num_epochs(train.epochs);
    let patience = (train.patience > 0).then(|| NoImprovementSince {
        patience: train.patience,
        min_epochs: train.first_keepable_epoch(),
        history: history.clone(),
    });
    if patience.is_some() || pruning.is_some() {
        training = training.early_stopping(Stopping { patience, pruning });
    }
    if let Some(resume) = resume {
        training = training.checkpoint(resume.epoch);
    }
    (training, interrupter)
}

/// The epoch from `min_epochs` on with the lowest finite validation loss, and that loss.
fn best_epoch(history: &[EpochLoss], min_epochs: usize) -> Option<(usize, f64)> {
    history
        .iter()
        .filter(|e| e.epoch >= min_epochs)
        .filter_map(|e| e.valid.filter(|v| v.is_finite()).map(|v| (e.epoch, v)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// Loads the weights of `epoch`'s checkpoint into `model`, read into memory whole (see
/// [`read_record`]): the trained model does not depend on the run directory.
fn restore_checkpoint(model: Regressor, run_dir: &Path, epoch: usize) -> anyhow::Result<Regressor> {
    let path = checkpoints::record_path(&run_dir.join(files::CHECKPOINT_DIR), "model", epoch);
    let record = read_record(&path).context("cannot restore the best epoch's weights")?;
    model
        .try_load_record(record)
        .map_err(|error| anyhow::anyhow!("{} does not fit the network: {error:?}", path.display()))
}

/// Why training stopped and which weights were kept, in words.
fn stop_reason(train: &TrainSection, history: &[EpochLoss], kept_epoch: usize) -> String {
    let last_epoch = history.last().map_or(0, |e| e.epoch);
    let stopped = if last_epoch < train.epochs {
        format!(
            "stopped early after epoch {last_epoch}: no lower validation loss for {} epochs",
            train.patience
        )
    } else {
        format!("ran all {} epochs", train.epochs)
    };
    let kept = match history
        .iter()
        .find(|e| e.epoch == kept_epoch)
        .and_then(|e| e.valid)
    {
        Some(loss) if train.restore_best => {
            format!("kept epoch {kept_epoch}, the lowest validation loss ({loss:.4e})")
        }
        _ => format!("kept the last epoch ({kept_epoch})"),
    };
    format!("{stopped}; {kept}")
}

/// Opens `[model] init_from` and checks that it fits the config's network; `None` without it.
pub fn initial_weights(config: &ExperimentConfig) -> anyhow::Result<Option<PytorchWeights>> {
    let Some(path) = &config.model.init_from else {
        return Ok(None);
    };
    let weights = PytorchWeights::open(path).context("[model] init_from")?;
    weights
        .check_config(&config.forecaster_config())
        .context("[model] init_from")?;
    Ok(Some(weights))
}

/// The network training starts from, its weights drawn right after seeding `device`. Trainings
/// running side by side (a backtest's folds) take turns, so that each draws the same weights as
/// it would alone.
fn seeded_forecaster(
    config: &ExperimentConfig,
    weights: Option<&PytorchWeights>,
    device: &Device,
    training_device: &Device,
) -> anyhow::Result<Forecaster> {
    static SEEDING: Mutex<()> = Mutex::new(());
    let _turn = SEEDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(config.train.seed);
    let forecaster = initial_forecaster(config, weights, training_device)?;
    // Burn draws a parameter's initial values when it is first read: read them all now, while
    // this training holds the seeded generator
    forecaster.visit(&mut InitialiseParameters);
    Ok(forecaster)
}

/// Reads every parameter, which makes Burn draw the lazily initialised ones.
struct InitialiseParameters;

impl ModuleVisitor for InitialiseParameters {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// The network training starts from: the config's, with seeded initial weights or `weights`.
fn initial_forecaster(
    config: &ExperimentConfig,
    weights: Option<&PytorchWeights>,
    device: &Device,
) -> anyhow::Result<Forecaster> {
    let forecaster = config.forecaster_config().init(device);
    match weights {
        Some(weights) => Ok(weights.load_into(forecaster).context("[model] init_from")?),
        None => Ok(forecaster),
    }
}

fn first_non_finite(history: &[EpochLoss]) -> Option<(usize, f64)> {
    history.iter().find_map(|e| {
        let bad = [Some(e.train), e.valid]
            .into_iter()
            .flatten()
            .find(|v| !v.is_finite());
        bad.map(|loss| (e.epoch, loss))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::data::dataloader::batcher::Batcher;
    use burn::nn::loss::{MseLoss, Reduction};
    use burn::tensor::Tensor;
    use yoho_data::{LoadedSeries, NaiveDate, PreparedData};

    use crate::config::PointLoss;

    fn loss(epoch: usize, valid: Option<f64>) -> EpochLoss {
        EpochLoss {
            epoch,
            train: 1.0,
            valid,
        }
    }

    #[test]
    fn ensembles_of_neighbouring_seeds_share_no_member() {
        let members = |seed: u64| -> Vec<u64> { (0..5).map(|i| member_seed(seed, i)).collect() };
        assert_eq!(members(42)[0], 42);
        for (a, b) in [(42, 43), (42, 47), (0, 1), (u64::MAX, 7)] {
            let (a, b) = (members(a), members(b));
            assert!(a.iter().all(|seed| !b.contains(seed)), "{a:?} {b:?}");
        }
    }

    #[test]
    fn the_best_epoch_is_the_lowest_finite_validation_loss() {
        let history = [
            loss(1, Some(3.0)),
            loss(2, Some(1.0)),
            loss(3, Some(f64::NAN)),
            loss(4, Some(2.0)),
        ];
        assert_eq!(best_epoch(&history, 0), Some((2, 1.0)));
        assert_eq!(best_epoch(&[loss(1, None)], 0), None);
    }

    /// A series that rises by 1 a day over the training rows and is flat afterwards: the more
    /// the model learns the rise, the worse it forecasts the flat validation days, so the
    /// validation loss is lowest early and rises after.
    fn rise_then_flat() -> PreparedData {
        let values: Vec<f64> = (0..80).map(|i| 100.0 + f64::from(i.min(60))).collect();
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let loaded = LoadedSeries::daily("rise_then_flat", start, "v", values);
        yoho_data::prepare_loaded(loaded, &experiment().data).unwrap()
    }

    fn experiment() -> ExperimentConfig {
        toml::from_str(
            r#"
            [data]
            path = "unused.csv"
            features = ["v"]
            target = "v"
            window_len = 4
            test_len = 5
            valid_len = 12

            [model]
            hidden_size = 8

            [train]
            epochs = 60
            lr = 0.05
            patience = 5
            log_every = 1000
            "#,
        )
        .unwrap()
    }

    #[test]
    fn a_full_batch_of_too_many_windows_becomes_mini_batches_with_a_note() {
        let mut train = experiment().train;
        train.batch_size = 0;
        assert_eq!(batch_size(&train, 4_926), (4_926, None));
        let (size, note) = batch_size(&train, FULL_BATCH_MAX_WINDOWS + 1);
        assert_eq!(size, AUTO_BATCH_SIZE);
        assert!(note.unwrap().contains("mini-batches of 1024"));
        train.batch_size = 64;
        assert_eq!(batch_size(&train, 10_000_000), (64, None));
    }

    /// Trains `config` on `data` in a scratch run directory, deleted before the model is
    /// returned (the model must not need it); panics unless training finished.
    fn train_to_the_end(
        config: &ExperimentConfig,
        data: &TrainingData,
        device: &Device,
    ) -> TrainedModel {
        let run_dir = tempfile::tempdir().unwrap();
        let control = TrainingControl::default();
        match train(config, data, device, run_dir.path(), &control, None, None).unwrap() {
            TrainingEnd::Finished(trained) => *trained,
            _ => panic!("training did not finish"),
        }
    }

    #[test]
    fn a_step_budget_ends_training_at_the_epoch_that_reaches_it() {
        // some sixty training windows in mini-batches of 8: 8 steps an epoch, so 20 steps end it in
        // the third epoch, and a schedule that spans three epochs
        let mut config = experiment();
        config.train.patience = 0;
        config.train.batch_size = 8;
        config.train.max_steps = 20;
        let data = rise_then_flat().training_data();
        assert_eq!(data.train.len().div_ceil(8), 8);
        let trained = train_to_the_end(&config, &data, &Device::flex());
        assert_eq!(trained.history.len(), 3, "{:?}", trained.history);
        assert!(
            trained.stop_reason.contains("ran all 3 epochs"),
            "{}",
            trained.stop_reason
        );
    }

    #[test]
    fn epochs_of_a_few_batches_share_out_the_step_budget() {
        // 8 steps a pass in epochs of 3: 20 steps end training in the seventh epoch
        let mut config = experiment();
        config.train.patience = 0;
        config.train.batch_size = 8;
        config.train.max_steps = 20;
        config.train.batches_per_epoch = 3;
        let data = rise_then_flat().training_data();
        let trained = train_to_the_end(&config, &data, &Device::flex());
        assert_eq!(trained.history.len(), 7, "{:?}", trained.history);
        // a cap above the pass changes nothing: the budget's 3 epochs of 8
        config.train.batches_per_epoch = 8;
        let trained = train_to_the_end(&config, &data, &Device::flex());
        assert_eq!(trained.history.len(), 3, "{:?}", trained.history);
    }

    #[test]
    fn the_absolute_loss_trains_and_validates_on_absolute_errors() {
        let mut config = experiment();
        config.train.loss = PointLoss::Mae;
        config.validate().unwrap();
        let data = rise_then_flat();
        let device = Device::flex();
        let trained = train_to_the_end(&config, &data.training_data(), &device);
        let (_, best_loss) = best_epoch(&trained.history, 0).unwrap();
        // the kept epoch's recorded validation loss is the kept weights' mean absolute error
        let batch =
            WindowBatcher::new(data.sample_shape()).batch(data.items(&data.splits.valid), &device);
        let errors = trained.forecaster.forward(batch.inputs) - batch.targets;
        let mean = |errors: Tensor<2>| f64::from(errors.mean().into_scalar::<f32>());
        let (absolute, squared) = (mean(errors.clone().abs()), mean(errors.powi_scalar(2)));
        assert!(
            (absolute - best_loss).abs() <= 1e-5 * best_loss.max(1e-3),
            "kept weights' MAE {absolute}, the best epoch's loss {best_loss}"
        );
        assert!(
            (squared - best_loss).abs() > 1e-3 * best_loss,
            "the loss {best_loss} is also the MSE {squared}"
        );
    }

    #[test]
    fn early_stopping_restores_the_best_epochs_weights() {
        let config = experiment();
        config.validate().unwrap();
        let data = rise_then_flat();
        let device = Device::flex();
        let trained = train_to_the_end(&config, &data.training_data(), &device);
        let (best, best_loss) = best_epoch(&trained.history, 0).unwrap();
        let last = trained.history.last().unwrap().epoch;
        assert!(
            last < 60,
            "early stopping never stopped: {:?}",
            trained.history
        );
        assert!(
            best < last,
            "the validation loss never rose: {:?}",
            trained.history
        );
        assert_eq!(
            last - best,
            5,
            "stopped {} epochs after the best",
            last - best
        );
        assert_eq!(trained.kept_epoch, Some(best));
        assert!(
            trained.stop_reason.contains("stopped early"),
            "{}",
            trained.stop_reason
        );
        // the kept weights give the best epoch's validation loss, not the last epoch's, with
        // the run directory that held their checkpoint gone
        let batch =
            WindowBatcher::new(data.sample_shape()).batch(data.items(&data.splits.valid), &device);
        let output = trained.forecaster.forward(batch.inputs);
        let valid_loss = f64::from(
            MseLoss::new()
                .forward(output, batch.targets, Reduction::Mean)
                .into_scalar::<f32>(),
        );
        assert!(
            (valid_loss - best_loss).abs() <= 1e-5 * best_loss.max(1e-3),
            "restored weights give {valid_loss}, the best epoch had {best_loss}"
        );
    }
}
