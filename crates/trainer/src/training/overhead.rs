//! What the learner adds to an epoch: the same training steps timed alone (the batches built
//! once, then forward, loss, backward and the optimiser's step) and as burn-train's learner
//! runs them (batching, validation, metrics, logging, checkpoints), on a config's own data.
//! `cargo xtask bench --trainer` prints it.

use std::path::Path;
use std::time::{Duration, Instant};

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataset::Dataset as _;
use burn::tensor::Device;
use burn::train::TrainStep;
use yoho_data::WindowBatch;

use super::{Regressor, TrainingControl, TrainingEnd, batch_size, optimizer, seeded_forecaster};
use crate::config::ExperimentConfig;

/// One config's epochs, timed both ways.
#[derive(Debug, Clone)]
pub struct EpochCost {
    /// Training windows.
    pub windows: usize,
    /// Batches per epoch.
    pub batches: usize,
    /// Epochs timed each way.
    pub epochs: usize,
    /// The steps alone: their wall time over the epochs, per epoch.
    pub steps_alone: Duration,
    /// The learner: its wall time over the epochs, per epoch.
    pub learner: Duration,
}

impl EpochCost {
    /// The learner's share of its epoch beyond the steps, in percent.
    pub fn overhead_percent(&self) -> f64 {
        let learner = self.learner.as_secs_f64();
        100.0 * (learner - self.steps_alone.as_secs_f64()) / learner
    }
}

/// Times `epochs` epochs of the config at `config_path` (its data, model, optimiser and batch
/// size; no early stopping) on `device`: the training steps alone, then the learner (writing its
/// run to `scratch`), then the steps alone again. The steps' time is the mean of the two, so that
/// a host whose load drifts during the measurement does not favour either side.
pub fn measure_epochs(
    config_path: &Path,
    epochs: usize,
    device: &Device,
    scratch: &Path,
) -> anyhow::Result<EpochCost> {
    let mut config = ExperimentConfig::load(config_path)?;
    config.train.epochs = epochs;
    config.train.patience = 0;
    let prepared = yoho_data::prepare(&config.data)?;
    let data = prepared.training_data();
    let (batch, _) = batch_size(&config.train, data.train.len());
    let training_device = device.clone().autodiff();
    let batches: Vec<WindowBatch> =
        DataLoaderBuilder::new(yoho_data::WindowBatcher::new(data.shape))
            .batch_size(batch)
            .build(data.train.clone())
            .iter()
            .collect::<Result<_, _>>()
            .map_err(|error| anyhow::anyhow!("cannot batch the training windows: {error}"))?;
    // an epoch of `[train] batches_per_epoch` holds that many of them
    let per_epoch = match config.train.batches_per_epoch {
        0 => batches.len(),
        cap => cap.min(batches.len()),
    };
    let batches: Vec<WindowBatch> = (batches.into_iter().take(per_epoch))
        .map(|b| b.to_device(&training_device))
        .collect();
    let steps_alone = || time_steps(&config, &batches, epochs, device, &training_device);
    let before = steps_alone()?;

    let end = super::train(
        &config,
        &data,
        device,
        scratch,
        &TrainingControl::default(),
        None,
        None,
    )?;
    let TrainingEnd::Finished(trained) = end else {
        anyhow::bail!("the learner did not finish its {epochs} epochs");
    };
    let after = steps_alone()?;
    Ok(EpochCost {
        windows: data.train.len(),
        batches: batches.len(),
        epochs,
        steps_alone: (before + after) / 2,
        learner: trained.wall_time / epochs as u32,
    })
}

/// The mean wall time of an epoch of training steps alone on `batches`, from the config's own
/// initial model, optimiser and schedule.
fn time_steps(
    config: &ExperimentConfig,
    batches: &[WindowBatch],
    epochs: usize,
    device: &Device,
    training_device: &Device,
) -> anyhow::Result<Duration> {
    let mut model = Regressor::new(
        seeded_forecaster(config, None, device, training_device)?,
        &config.train,
    );
    let mut optimizer = optimizer(&config.train);
    let mut scheduler = super::lr_scheduler(&config.train, batches.len())?;
    let started = Instant::now();
    for _ in 0..epochs {
        for batch in batches {
            let output = TrainStep::step(&model, batch.clone());
            model = optimizer.step(scheduler.step(), model, output.grads);
        }
    }
    device.sync()?;
    // the mean, as the learner's wall time gives it
    Ok(started.elapsed() / epochs as u32)
}
