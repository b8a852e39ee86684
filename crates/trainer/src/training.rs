//! Training with burn-train's learner: the model's train and validation steps, a compact progress
//! display, an in-memory loss history (no per-epoch log files: the article runs 8,000 epochs)
//! and periodic checkpoints.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use burn::data::dataloader::DataLoaderBuilder;
use burn::module::Module;
use burn::nn::loss::{MseLoss, Reduction};
use burn::optim::AdamWConfig;
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
    InferenceStep, Learner, RegressionOutput, SupervisedTraining, TrainOutput, TrainStep,
};
use yoho_data::{PreparedData, WindowBatch, WindowBatcher};
use yoho_model::Forecaster;

use crate::config::ExperimentConfig;

/// The forecaster as the learner trains it: MSE on each batch.
#[derive(Module, Debug)]
pub struct Regressor {
    /// The network being trained.
    pub forecaster: Forecaster,
}

impl Regressor {
    fn regression(&self, batch: WindowBatch) -> RegressionOutput {
        let output = self.forecaster.forward(batch.inputs);
        let loss = MseLoss::new().forward(output.clone(), batch.targets.clone(), Reduction::Mean);
        RegressionOutput::new(loss, output, batch.targets)
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

/// Prints one line per reporting interval to stderr: epoch, losses, elapsed time.
struct ProgressPrinter {
    total_epochs: usize,
    every: usize,
    started: Instant,
    train: Mean,
    valid: Mean,
}

impl ProgressPrinter {
    fn new() -> Self {
        Self {
            total_epochs: 0,
            every: 1,
            started: Instant::now(),
            train: Mean::default(),
            valid: Mean::default(),
        }
    }

    fn record(mean: &mut Mean, state: &MetricState) {
        if let MetricState::Numeric(_, entry) = state {
            add_entry(mean, entry.as_ref());
        }
    }
}

impl MetricsRendererTraining for ProgressPrinter {
    fn update_train(&mut self, state: MetricState) {
        Self::record(&mut self.train, &state);
    }

    fn update_valid(&mut self, state: MetricState) {
        Self::record(&mut self.valid, &state);
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
        self.every = (total_epochs / 20).max(1);
        self.started = Instant::now();
        eprintln!("training for {total_epochs} epochs (from epoch {starting_epoch})");
    }

    fn update_epoch(&mut self, epoch: usize) {
        let train = std::mem::take(&mut self.train).value();
        let valid = std::mem::take(&mut self.valid).value();
        if epoch % self.every != 0 && epoch != self.total_epochs && epoch != 1 {
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

/// Keeps one checkpoint: every `every` epochs and at the last epoch, deleting the one before.
#[derive(Debug, Clone)]
struct PeriodicCheckpoints {
    every: usize,
    last_epoch: usize,
    saved: Option<usize>,
}

impl CheckpointingStrategy for PeriodicCheckpoints {
    fn checkpointing(
        &mut self,
        epoch: usize,
        _collector: &EventStoreClient,
    ) -> Vec<CheckpointingAction> {
        if epoch % self.every != 0 && epoch != self.last_epoch {
            return Vec::new();
        }
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

/// Trains a fresh forecaster on `data` as `config` says, writing checkpoints under `run_dir`.
pub fn train(
    config: &ExperimentConfig,
    data: &PreparedData,
    device: &Device,
    run_dir: &Path,
) -> anyhow::Result<TrainedModel> {
    let train = &config.train;
    device.seed(train.seed);
    let training_device = device.clone().autodiff();
    let model = Regressor {
        forecaster: config.forecaster_config().init(&training_device),
    };

    let batcher = WindowBatcher::new(data.sample_shape());
    let train_windows = data.dataset(&data.splits.train);
    let valid_windows = data.dataset(&data.splits.valid);
    let batch_size = match train.batch_size {
        0 => data.splits.train.len(),
        size => size,
    };
    let mut train_loader = DataLoaderBuilder::new(batcher).batch_size(batch_size);
    if train.shuffle {
        train_loader = train_loader.shuffle(train.seed);
    }
    let train_loader = train_loader.build(train_windows);
    let valid_loader = DataLoaderBuilder::new(batcher)
        .batch_size(data.splits.valid.len().max(1))
        .build(valid_windows);

    let optimizer = AdamWConfig::new()
        .with_beta_1(train.beta1 as f32)
        .with_beta_2(train.beta2 as f32)
        .with_epsilon(train.eps as f32)
        .with_weight_decay(train.weight_decay as f32)
        .init();
    let history = LossHistory::default();
    let training = SupervisedTraining::new(run_dir, train_loader, valid_loader)
        .metric_train_numeric(LossMetric::new())
        .metric_valid_numeric(LossMetric::new())
        .with_metric_logger(history.clone())
        .renderer(Box::new(ProgressPrinter::new()))
        .with_application_logger(None)
        .with_default_checkpointers()
        .with_checkpointing_strategy(PeriodicCheckpoints {
            every: train.checkpoint_interval(),
            last_epoch: train.epochs,
            saved: None,
        })
        .num_epochs(train.epochs);

    let started = Instant::now();
    let result = training.launch(Learner::new(model, optimizer, train.lr));
    let wall_time = started.elapsed();
    Ok(TrainedModel {
        forecaster: result.model.forecaster.valid(),
        history: history.epochs(),
        wall_time,
    })
}
