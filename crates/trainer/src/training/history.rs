//! The loss of every epoch, kept in memory (no per-epoch log files: the article runs 8,000
//! epochs) as the learner's metric logger.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

use burn::train::logger::MetricLogger;
use burn::train::metric::store::{EpochSummary, MetricsUpdate, Split};
use burn::train::metric::{MetricDefinition, NumericEntry};

use anyhow::Context;

use crate::artifacts::files;

/// Mean loss of one epoch and split, in model units (scaled: `[train] loss`, MSE by default,
/// or a distribution head's loss).
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
pub(super) struct Mean {
    sum: f64,
    count: usize,
}

impl Mean {
    pub(super) fn add(&mut self, value: f64, count: usize) {
        self.sum += value * count as f64;
        self.count += count;
    }

    pub(super) fn value(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

pub(super) fn add_entry(mean: &mut Mean, entry: Option<&NumericEntry>) {
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
/// Writes `loss.csv` (one row per epoch) into the run directory `run_dir`, whole or not at all.
pub fn write_loss_csv(run_dir: &Path, history: &[EpochLoss]) -> anyhow::Result<()> {
    crate::artifacts::write_atomic(&run_dir.join(files::LOSS), loss_csv(history).as_bytes())
}

/// `loss.csv`'s text: one row per epoch.
fn loss_csv(history: &[EpochLoss]) -> String {
    let mut text = String::from("epoch,train_loss,valid_loss\n");
    for epoch in history {
        let valid = epoch.valid.map(|v| v.to_string()).unwrap_or_default();
        let _ = writeln!(text, "{},{},{}", epoch.epoch, epoch.train, valid);
    }
    text
}

/// The losses recorded in a `loss.csv` at `path`; none when there is no such file.
pub fn read_loss_csv(path: &Path) -> anyhow::Result<Vec<EpochLoss>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Vec::new());
    };
    text.lines()
        .skip(1)
        .enumerate()
        .map(|(index, line)| {
            let bad = || {
                format!(
                    "{}, row {}: expected epoch,train_loss,valid_loss",
                    path.display(),
                    index + 2
                )
            };
            let mut cells = line.split(',');
            let epoch = cells
                .next()
                .and_then(|c| c.parse().ok())
                .with_context(bad)?;
            let train = cells
                .next()
                .and_then(|c| c.parse().ok())
                .with_context(bad)?;
            let valid = cells
                .next()
                .filter(|c| !c.is_empty())
                .and_then(|c| c.parse().ok());
            Ok(EpochLoss {
                epoch,
                train,
                valid,
            })
        })
        .collect()
}
