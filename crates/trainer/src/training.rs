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
use burn::module::Module;
use burn::nn::loss::{MseLoss, Reduction};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, ModuleOptimizer, SgdConfig};
use burn::tensor::Device;
use burn::train::checkpoint::{CheckpointingAction, CheckpointingStrategy};
use burn::train::logger::{EvaluationProgressLogger, MetricLogger, TrainingProgressLogger};
use burn::train::metric::store::{EpochSummary, EventStoreClient, MetricsUpdate, Split};
use burn::train::metric::{LossMetric, MetricDefinition, NumericEntry};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};
use burn::train::{
    InferenceStep, Interrupter, Learner, RegressionOutput, SupervisedTraining, TrainOutput,
    TrainStep,
};
use yoho_data::{PreparedData, WindowBatch, WindowBatcher};
use yoho_model::{Forecaster, PytorchWeights};

use crate::config::{ExperimentConfig, LossReduction, OptimizerName, TrainSection};

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
    stop_requested: Arc<AtomicBool>,
    diverged: Arc<Mutex<Option<(usize, f64)>>>,
    last_checkpoint: Arc<Mutex<Option<usize>>>,
}

impl TrainingControl {
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
        eprintln!("training for {total_epochs} epochs (from epoch {starting_epoch})");
    }

    fn update_epoch(&mut self, epoch: usize) {
        self.current_epoch = epoch + 1;
        let train = std::mem::take(&mut self.train).value();
        let valid = std::mem::take(&mut self.valid).value();
        if !epoch.is_multiple_of(self.every) && epoch != self.total_epochs && epoch != 1 {
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

/// Keeps one checkpoint: every `every` epochs, at the last epoch, and at the end of the epoch
/// in which a stop was requested (then stops training), deleting the one before.
struct PeriodicCheckpoints {
    every: usize,
    last_epoch: usize,
    saved: Option<usize>,
    control: TrainingControl,
    interrupter: Interrupter,
}

impl CheckpointingStrategy for PeriodicCheckpoints {
    fn checkpointing(
        &mut self,
        epoch: usize,
        _collector: &EventStoreClient,
    ) -> Vec<CheckpointingAction> {
        let stopping = self.control.stop_requested();
        if stopping {
            self.interrupter.stop(Some("stop requested by a signal"));
        } else if !epoch.is_multiple_of(self.every) && epoch != self.last_epoch {
            return Vec::new();
        }
        self.control.set_last_checkpoint(epoch);
        let mut actions = vec![CheckpointingAction::Save];
        if let Some(previous) = self.saved.replace(epoch) {
            actions.push(CheckpointingAction::Delete(previous));
        }
        actions
    }
}

/// What training produced.
pub struct TrainedModel {
    /// The trained network, ready for inference on the training device.
    pub forecaster: Forecaster,
    /// Loss per epoch.
    pub history: Vec<EpochLoss>,
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
    device.seed(train.seed);
    let training_device = device.clone().autodiff();
    let model = Regressor {
        forecaster: initial_forecaster(config, weights, &training_device)?,
        sum_loss: train.loss_reduction == LossReduction::Sum,
    };
    if train.epochs == 0 {
        // evaluate `[model] init_from` as it is
        return Ok(TrainingEnd::Finished(Box::new(TrainedModel {
            forecaster: model.forecaster.valid(),
            history: Vec::new(),
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
        .with_checkpointing_strategy(PeriodicCheckpoints {
            every: train.checkpoint_interval(),
            last_epoch: train.epochs,
            saved: resume.map(|r| r.epoch),
            control: control.clone(),
            interrupter: interrupter.clone(),
        })
        .num_epochs(train.epochs);
    if let Some(resume) = resume {
        training = training.checkpoint(resume.epoch);
    }

    let started = Instant::now();
    let result = training.launch(Learner::new(model, optimizer, train.lr));
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
    Ok(TrainingEnd::Finished(Box::new(TrainedModel {
        forecaster: result.model.forecaster.valid(),
        history,
        wall_time,
    })))
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
