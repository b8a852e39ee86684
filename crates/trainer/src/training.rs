//! Training with burn-train's learner: the model's train and validation steps, a compact progress
//! display, an in-memory loss history (no per-epoch log files: the article runs 8,000 epochs)
//! and periodic checkpoints.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use burn::data::dataloader::DataLoaderBuilder;
use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::loss::{MseLoss, Reduction};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::optim::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, ModuleOptimizer, SgdConfig};
use burn::store::ModuleRecord;
use burn::tensor::{Device, Tensor};
use burn::train::checkpoint::{CheckpointingAction, CheckpointingStrategy};
use burn::train::logger::{EvaluationProgressLogger, MetricLogger, TrainingProgressLogger};
use burn::train::metric::store::{
    Aggregate, Direction, EpochSummary, EventStoreClient, MetricsUpdate, Split,
};
use burn::train::metric::{LossMetric, Metric, MetricDefinition, NumericEntry};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};
use burn::train::{
    InferenceStep, Interrupter, Learner, MetricEarlyStoppingStrategy, RegressionOutput,
    StoppingCondition, SupervisedTraining, TrainOutput, TrainStep,
};
use yoho_data::{PreparedData, WindowBatch, WindowBatcher};
use yoho_model::{Forecaster, PytorchWeights};

use crate::config::{ExperimentConfig, LossReduction, LrSchedule, OptimizerName, TrainSection};

/// The forecaster as the learner trains it: MSE on each batch.
#[derive(Module, Debug)]
pub struct Regressor {
    /// The network being trained.
    pub forecaster: Forecaster,
    /// Whether the batch loss sums the squared errors instead of averaging them.
    #[module(skip)]
    pub sum_loss: bool,
}

impl Regressor {
    /// Squared error between the forecasts and the targets they stand for, averaged (or
    /// summed) over the batch: a one-step model of the recursive strategy learns the first of
    /// each window's targets.
    fn regression(&self, batch: WindowBatch) -> RegressionOutput {
        let output = self.forecaster.forward(batch.inputs);
        let targets = batch.targets.narrow(1, 0, output.dims()[1]);
        let reduction = if self.sum_loss {
            Reduction::Sum
        } else {
            Reduction::Mean
        };
        let loss = MseLoss::new().forward(output.clone(), targets.clone(), reduction);
        RegressionOutput::new(loss, output, targets)
    }
}

impl TrainStep for Regressor {
    type Input = WindowBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: WindowBatch) -> TrainOutput<RegressionOutput> {
        let item = self.regression(batch);
        TrainOutput::new(self, item.loss.backward(), item)
    }
}

impl InferenceStep for Regressor {
    type Input = WindowBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: WindowBatch) -> RegressionOutput {
        self.regression(batch)
    }
}

/// Mean loss of one epoch and split, in model units (scaled MSE).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochLoss {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub train: f64,
    /// Mean validation loss, when there is a validation split.
    pub valid: Option<f64>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Mean {
    sum: f64,
    count: usize,
}

impl Mean {
    fn add(&mut self, value: f64, count: usize) {
        self.sum += value * count as f64;
        self.count += count;
    }

    fn value(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

fn add_entry(mean: &mut Mean, entry: Option<&NumericEntry>) {
    match entry {
        Some(NumericEntry::Aggregated {
            aggregated_value,
            count,
        }) => mean.add(*aggregated_value, *count),
        Some(NumericEntry::Value(value)) => mean.add(*value, 1),
        _ => {}
    }
}

/// The per-epoch losses, filled by the learner's metric logging and shared with the caller.
#[derive(Debug, Clone, Default)]
pub struct LossHistory {
    epochs: Arc<Mutex<BTreeMap<usize, (Mean, Mean)>>>,
}

impl LossHistory {
    /// A history that starts with `earlier` epochs (those before a resumed checkpoint).
    pub fn starting_with(earlier: &[EpochLoss]) -> Self {
        let history = Self::default();
        {
            let mut epochs = history.epochs.lock().expect("loss history lock");
            for loss in earlier {
                let mut train = Mean::default();
                train.add(loss.train, 1);
                let mut valid = Mean::default();
                if let Some(value) = loss.valid {
                    valid.add(value, 1);
                }
                epochs.insert(loss.epoch, (train, valid));
            }
        }
        history
    }

    /// The losses so far, oldest epoch first.
    pub fn epochs(&self) -> Vec<EpochLoss> {
        let epochs = self.epochs.lock().expect("loss history lock");
        epochs
            .iter()
            .filter_map(|(epoch, (train, valid))| {
                Some(EpochLoss {
                    epoch: *epoch,
                    train: train.value()?,
                    valid: valid.value(),
                })
            })
            .collect()
    }
}

impl MetricLogger for LossHistory {
    fn log(&mut self, update: MetricsUpdate, epoch: usize, split: &Split) {
        let mut epochs = self.epochs.lock().expect("loss history lock");
        let (train, valid) = epochs.entry(epoch).or_default();
        let mean = match split {
            Split::Train => train,
            Split::Valid => valid,
            Split::Test(_) => return,
        };
        for numeric in &update.entries_numeric {
            add_entry(mean, numeric.numeric_entry.as_ref());
        }
    }

    fn read_numeric(
        &mut self,
        _name: &str,
        epoch: usize,
        split: &Split,
    ) -> Result<Vec<NumericEntry>, String> {
        let epochs = self.epochs.lock().expect("loss history lock");
        let (train, valid) = epochs.get(&epoch).copied().unwrap_or_default();
        let mean = match split {
            Split::Train => train,
            Split::Valid => valid,
            Split::Test(_) => Mean::default(),
        };
        Ok(mean.value().map(NumericEntry::Final).into_iter().collect())
    }

    fn log_metric_definition(&mut self, _definition: MetricDefinition) {}

    fn log_epoch_summary(&mut self, _summary: EpochSummary) {}
}

/// What the signal handler, the learner's callbacks and the caller share about a run.
#[derive(Debug, Clone, Default)]
pub struct TrainingControl {
    quiet: bool,
    stop_requested: Arc<AtomicBool>,
    diverged: Arc<Mutex<Option<(usize, f64)>>>,
    last_checkpoint: Arc<Mutex<Option<usize>>>,
}

impl TrainingControl {
    /// A control for a training that prints no progress (the backtest's folds).
    pub fn quiet() -> Self {
        Self {
            quiet: true,
            ..Self::default()
        }
    }

    /// Makes Ctrl-C (SIGINT) and SIGTERM request a stop at the end of the current epoch; a
    /// second one ends the process at once.
    pub fn listen_for_signals(&self) -> std::io::Result<()> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        for signal in [SIGINT, SIGTERM] {
            signal_hook::flag::register_conditional_shutdown(
                signal,
                130,
                self.stop_requested.clone(),
            )?;
            signal_hook::flag::register(signal, self.stop_requested.clone())?;
        }
        Ok(())
    }

    /// Asks training to stop at the end of the current epoch, after a checkpoint.
    pub fn request_stop(&self) {
        self.stop_requested.store(true, Ordering::SeqCst);
    }

    fn stop_requested(&self) -> bool {
        self.stop_requested.load(Ordering::SeqCst)
    }

    fn set_diverged(&self, epoch: usize, loss: f64) {
        let mut diverged = self.diverged.lock().expect("control lock");
        diverged.get_or_insert((epoch, loss));
    }

    fn diverged(&self) -> Option<(usize, f64)> {
        *self.diverged.lock().expect("control lock")
    }

    fn set_last_checkpoint(&self, epoch: usize) {
        *self.last_checkpoint.lock().expect("control lock") = Some(epoch);
    }

    fn last_checkpoint(&self) -> Option<usize> {
        *self.last_checkpoint.lock().expect("control lock")
    }
}

/// Prints one line per reporting interval to stderr (epoch, losses, elapsed time) and stops
/// training as soon as a loss is not a finite number.
struct ProgressPrinter {
    total_epochs: usize,
    log_every: usize,
    every: usize,
    started: Instant,
    current_epoch: usize,
    train: Mean,
    valid: Mean,
    control: TrainingControl,
    interrupter: Interrupter,
}

impl ProgressPrinter {
    fn new(log_every: usize, control: TrainingControl, interrupter: Interrupter) -> Self {
        Self {
            total_epochs: 0,
            log_every,
            every: 1,
            started: Instant::now(),
            current_epoch: 1,
            train: Mean::default(),
            valid: Mean::default(),
            control,
            interrupter,
        }
    }

    fn record(&self, mean: &mut Mean, state: &MetricState) {
        let MetricState::Numeric(_, entry) = state else {
            return;
        };
        add_entry(mean, entry.as_ref());
        let value = match entry {
            Some(NumericEntry::Aggregated {
                aggregated_value, ..
            }) => *aggregated_value,
            Some(NumericEntry::Value(value)) => *value,
            _ => return,
        };
        if !value.is_finite() {
            self.control.set_diverged(self.current_epoch, value);
            self.interrupter
                .stop(Some("the loss is not a finite number"));
        }
    }
}

impl MetricsRendererTraining for ProgressPrinter {
    fn update_train(&mut self, state: MetricState) {
        let mut train = std::mem::take(&mut self.train);
        self.record(&mut train, &state);
        self.train = train;
    }

    fn update_valid(&mut self, state: MetricState) {
        let mut valid = std::mem::take(&mut self.valid);
        self.record(&mut valid, &state);
        self.valid = valid;
    }

    fn on_train_end(
        &mut self,
        _summary: Option<burn::train::LearnerSummary>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        Ok(())
    }
}

impl MetricsRendererEvaluation for ProgressPrinter {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}

    fn on_test_end(
        &mut self,
        _summary: Option<burn::train::LearnerSummary>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        Ok(())
    }
}

impl TrainingProgressLogger for ProgressPrinter {
    fn start(
        &mut self,
        total_epochs: usize,
        starting_epoch: usize,
        _total_items: Option<usize>,
        _label: Option<&str>,
    ) {
        self.total_epochs = total_epochs;
        self.every = match self.log_every {
            0 => (total_epochs / 20).max(1),
            every => every,
        };
        self.started = Instant::now();
        self.current_epoch = starting_epoch;
        if !self.control.quiet {
            eprintln!("training for {total_epochs} epochs (from epoch {starting_epoch})");
        }
    }

    fn update_epoch(&mut self, epoch: usize) {
        self.current_epoch = epoch + 1;
        let train = std::mem::take(&mut self.train).value();
        let valid = std::mem::take(&mut self.valid).value();
        let shown = epoch.is_multiple_of(self.every) || epoch == self.total_epochs || epoch == 1;
        if !shown || self.control.quiet {
            return;
        }
        let mut line = format!("epoch {epoch:>6}/{}", self.total_epochs);
        if let Some(train) = train {
            line += &format!("  train loss {train:.6e}");
        }
        if let Some(valid) = valid {
            line += &format!("  valid loss {valid:.6e}");
        }
        line += &format!("  {:.1} s", self.started.elapsed().as_secs_f64());
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{line}");
    }

    fn start_split(&mut self, _split: &str, _total_items: usize) {}

    fn update_split(&mut self, _items_processed: usize) {}

    fn end_split(&mut self) {}

    fn end(&mut self) {}

    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for ProgressPrinter {
    fn start_global_progress(&mut self, _total_tests: usize) {}

    fn start_test(&mut self, _name: &str, _total_items: usize) {}

    fn update_test_progress(&mut self, _items_processed: usize) {}

    fn end_test(&mut self) {}

    fn end_global_progress(&mut self) {}

    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRenderer for ProgressPrinter {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, _definition: MetricDefinition) {}
}

/// Keeps the checkpoints a run needs: the newest one (to resume), written every `every` epochs,
/// at the last epoch and at the end of the epoch in which a stop was requested (then stops
/// training), and the one with the lowest validation loss so far (to restore the best weights).
/// Older ones are deleted.
struct RunCheckpoints {
    every: usize,
    last_epoch: usize,
    latest: Option<usize>,
    best: Option<(usize, f64)>,
    control: TrainingControl,
    interrupter: Interrupter,
}

impl RunCheckpoints {
    /// What to do at the end of `epoch`, whose validation loss is `valid_loss`.
    fn actions(&mut self, epoch: usize, valid_loss: Option<f64>) -> Vec<CheckpointingAction> {
        let stopping = self.control.stop_requested();
        if stopping {
            self.interrupter.stop(Some("stop requested by a signal"));
        }
        let improved = valid_loss
            .filter(|loss| loss.is_finite())
            .filter(|loss| self.best.is_none_or(|(_, best)| *loss < best));
        let periodic = stopping || epoch.is_multiple_of(self.every) || epoch == self.last_epoch;
        if !periodic && improved.is_none() {
            return Vec::new();
        }
        self.control.set_last_checkpoint(epoch);
        let mut superseded = vec![self.latest.replace(epoch)];
        if let Some(loss) = improved {
            superseded.push(self.best.replace((epoch, loss)).map(|(e, _)| e));
        }
        let best = self.best.map(|(e, _)| e);
        let mut actions = vec![CheckpointingAction::Save];
        for old in superseded.into_iter().flatten() {
            if old != epoch
                && Some(old) != best
                && !actions.contains(&CheckpointingAction::Delete(old))
            {
                actions.push(CheckpointingAction::Delete(old));
            }
        }
        actions
    }
}

impl CheckpointingStrategy for RunCheckpoints {
    fn checkpointing(
        &mut self,
        epoch: usize,
        collector: &EventStoreClient,
    ) -> Vec<CheckpointingAction> {
        let valid_loss =
            collector.find_metric(&loss_metric_name(), epoch, Aggregate::Mean, &Split::Valid);
        self.actions(epoch, valid_loss)
    }
}

fn loss_metric_name() -> String {
    LossMetric::new().name().to_string()
}

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

/// Trains a forecaster on `data` as `config` says, writing checkpoints under `run_dir`; from
/// seeded weights or `weights` (those of `[model] init_from`, see [`initial_weights`]), or
/// from the checkpoint of `resume`.
pub fn train(
    config: &ExperimentConfig,
    data: &PreparedData,
    device: &Device,
    run_dir: &Path,
    control: &TrainingControl,
    weights: Option<&PytorchWeights>,
    resume: Option<&ResumePoint>,
) -> anyhow::Result<TrainingEnd> {
    let train = &config.train;
    let training_device = device.clone().autodiff();
    let model = Regressor {
        forecaster: seeded_forecaster(config, weights, device, &training_device)?,
        sum_loss: train.loss_reduction == LossReduction::Sum,
    };
    if train.epochs == 0 {
        // evaluate `[model] init_from` as it is
        return Ok(TrainingEnd::Finished(Box::new(TrainedModel {
            forecaster: model.forecaster.valid(),
            history: Vec::new(),
            kept_epoch: None,
            stop_reason: "evaluated the imported weights without training".into(),
            wall_time: Duration::ZERO,
        })));
    }

    let batcher = WindowBatcher::new(data.sample_shape());
    let batch_size = match train.batch_size {
        0 => data.splits.train.len(),
        size => size,
    };
    let mut train_loader = DataLoaderBuilder::new(batcher).batch_size(batch_size);
    if train.shuffle {
        train_loader = train_loader.shuffle(train.seed);
    }
    let train_loader = train_loader.build(data.dataset(&data.splits.train));
    let valid_loader = DataLoaderBuilder::new(batcher)
        .batch_size(data.splits.valid.len().max(1))
        .build(data.dataset(&data.splits.valid));

    let optimizer = optimizer(train);
    let scheduler = lr_scheduler(train, data.splits.train.len().div_ceil(batch_size))?;
    let history = LossHistory::starting_with(resume.map_or(&[], |r| &r.history));
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
        .with_default_checkpointers()
        .with_checkpointing_strategy(RunCheckpoints {
            every: train.checkpoint_interval(),
            last_epoch: train.epochs,
            latest: resume.map(|r| r.epoch),
            best: resume.and_then(|r| best_epoch(&r.history)),
            control: control.clone(),
            interrupter: interrupter.clone(),
        })
        .num_epochs(train.epochs);
    if train.patience > 0 {
        training = training.early_stopping(MetricEarlyStoppingStrategy::new(
            &LossMetric::new(),
            Aggregate::Mean,
            Direction::Lowest,
            Split::Valid,
            StoppingCondition::NoImprovementSince {
                n_epochs: train.patience,
            },
        ));
    }
    if let Some(resume) = resume {
        training = training.checkpoint(resume.epoch);
    }

    let started = Instant::now();
    let result = training.launch(Learner::new(model, optimizer, scheduler));
    let wall_time = started.elapsed();
    let history = history.epochs();
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
    let best = best_epoch(&history).filter(|_| train.restore_best);
    let (model, kept_epoch) = match best {
        Some((epoch, _)) if epoch != last_epoch => {
            (restore_checkpoint(result.model, run_dir, epoch)?, epoch)
        }
        _ => (result.model, last_epoch),
    };
    Ok(TrainingEnd::Finished(Box::new(TrainedModel {
        forecaster: model.forecaster.valid(),
        stop_reason: stop_reason(train, &history, kept_epoch),
        kept_epoch: Some(kept_epoch),
        history,
        wall_time,
    })))
}

/// The epoch with the lowest finite validation loss, and that loss.
fn best_epoch(history: &[EpochLoss]) -> Option<(usize, f64)> {
    history
        .iter()
        .filter_map(|e| e.valid.filter(|v| v.is_finite()).map(|v| (e.epoch, v)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// Loads the weights of `epoch`'s checkpoint into `model`.
fn restore_checkpoint(model: Regressor, run_dir: &Path, epoch: usize) -> anyhow::Result<Regressor> {
    let path = run_dir
        .join("checkpoint")
        .join(format!("model-{epoch}.bpk"));
    let record = ModuleRecord::load(&path).map_err(|error| {
        anyhow::anyhow!(
            "cannot restore the best epoch's weights from {}: {error:?}",
            path.display()
        )
    })?;
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

/// The learning-rate schedule `train` names, over `steps_per_epoch × epochs` steps.
fn lr_scheduler(train: &TrainSection, steps_per_epoch: usize) -> anyhow::Result<ModuleLrScheduler> {
    match train.lr_schedule {
        LrSchedule::Constant => Ok(train.lr.into()),
        LrSchedule::Cosine => {
            CosineAnnealingLrSchedulerConfig::new(train.lr, (steps_per_epoch * train.epochs).max(1))
                .init()
                .map_err(|error| anyhow::anyhow!("[train] lr_schedule = \"cosine\": {error}"))
        }
    }
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

/// The optimiser `train` names, with PyTorch's semantics for its settings.
fn optimizer(train: &TrainSection) -> ModuleOptimizer {
    let optimizer = base_optimizer(train);
    if train.grad_clip > 0.0 {
        optimizer.with_grad_clipping(GradientClippingConfig::Norm(train.grad_clip as f32).init())
    } else {
        optimizer
    }
}

fn base_optimizer(train: &TrainSection) -> ModuleOptimizer {
    let weight_decay = train.weight_decay();
    let l2_penalty = (weight_decay > 0.0).then(|| WeightDecayConfig::new(weight_decay as f32));
    match train.optimizer {
        OptimizerName::Adamw => AdamWConfig::new()
            .with_beta_1(train.beta1 as f32)
            .with_beta_2(train.beta2 as f32)
            .with_epsilon(train.eps as f32)
            .with_weight_decay(weight_decay as f32)
            .init(),
        OptimizerName::Adam => AdamConfig::new()
            .with_beta_1(train.beta1 as f32)
            .with_beta_2(train.beta2 as f32)
            .with_epsilon(train.eps as f32)
            .with_weight_decay(l2_penalty)
            .init(),
        OptimizerName::Sgd => SgdConfig::new()
            .with_weight_decay(l2_penalty)
            .with_momentum((train.momentum > 0.0).then(|| {
                // PyTorch's SGD: no dampening, no Nesterov unless asked
                MomentumConfig::new()
                    .with_momentum(train.momentum)
                    .with_dampening(0.0)
            }))
            .init(),
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
    use yoho_data::{LoadedSeries, NaiveDate};

    fn loss(epoch: usize, valid: Option<f64>) -> EpochLoss {
        EpochLoss {
            epoch,
            train: 1.0,
            valid,
        }
    }

    fn checkpoints(every: usize) -> RunCheckpoints {
        RunCheckpoints {
            every,
            last_epoch: 100,
            latest: None,
            best: None,
            control: TrainingControl::default(),
            interrupter: Interrupter::new(),
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
        assert_eq!(best_epoch(&history), Some((2, 1.0)));
        assert_eq!(best_epoch(&[loss(1, None)]), None);
    }

    #[test]
    fn checkpoints_keep_the_latest_and_the_best() {
        use CheckpointingAction::{Delete, Save};
        let mut policy = checkpoints(10);
        // every improvement is saved and replaces the previous best
        assert_eq!(policy.actions(1, Some(5.0)), vec![Save]);
        assert_eq!(policy.actions(2, Some(4.0)), vec![Save, Delete(1)]);
        // no improvement, not periodic: nothing
        assert_eq!(policy.actions(3, Some(6.0)), vec![]);
        // periodic without improvement: saved as the latest, the best (2) stays
        assert_eq!(policy.actions(10, Some(7.0)), vec![Save]);
        // the next periodic one replaces the latest, not the best
        assert_eq!(policy.actions(20, Some(8.0)), vec![Save, Delete(10)]);
        // an improvement replaces both
        assert_eq!(
            policy.actions(21, Some(1.0)),
            vec![Save, Delete(20), Delete(2)]
        );
        // without validation only the periodic ones are kept
        let mut policy = checkpoints(2);
        assert_eq!(policy.actions(1, None), vec![]);
        assert_eq!(policy.actions(2, None), vec![Save]);
        assert_eq!(policy.actions(4, None), vec![Save, Delete(2)]);
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
    fn early_stopping_restores_the_best_epochs_weights() {
        let config = experiment();
        config.validate().unwrap();
        let data = rise_then_flat();
        let device = Device::flex();
        let run_dir = tempfile::tempdir().unwrap();
        let end = train(
            &config,
            &data,
            &device,
            run_dir.path(),
            &TrainingControl::default(),
            None,
            None,
        )
        .unwrap();
        let TrainingEnd::Finished(trained) = end else {
            panic!("training did not finish");
        };
        let (best, best_loss) = best_epoch(&trained.history).unwrap();
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
        // the kept weights give the best epoch's validation loss, not the last epoch's
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
