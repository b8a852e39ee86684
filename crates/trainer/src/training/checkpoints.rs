//! Which checkpoints a run keeps — the newest (to resume) and the best (to restore) — and how
//! they are written: whole or not at all, and an older one deleted only once the ones that
//! replace it are complete on disk.

use std::path::{Path, PathBuf};

use burn::train::Interrupter;
use burn::train::checkpoint::{
    Checkpoint, Checkpointer, CheckpointerError, CheckpointingAction, CheckpointingStrategy,
};
use burn::train::metric::store::{Aggregate, EventStoreClient, Split};
use burn::train::metric::{LossMetric, Metric};

use super::control::TrainingControl;
use super::history::{LossHistory, write_loss_csv};
use crate::artifacts::{files, persist};

/// The records of one checkpoint, one file each: `<name>-<epoch>.bpk`.
pub(crate) const RECORDS: [&str; 3] = ["model", "optim", "scheduler"];

/// The file of `record` (one of [`RECORDS`]) of `epoch`'s checkpoint in `directory`.
pub(crate) fn record_path(directory: &Path, record: &str, epoch: usize) -> PathBuf {
    directory.join(format!("{record}-{epoch}.bpk"))
}

/// Whether `epoch`'s checkpoint in `directory` has all its files (each written whole, see
/// [`AtomicFileCheckpointer`]).
pub(crate) fn is_complete(directory: &Path, epoch: usize) -> bool {
    RECORDS
        .iter()
        .all(|record| record_path(directory, record, epoch).is_file())
}

/// The newest epoch with a complete checkpoint in `directory`, if any.
pub(crate) fn latest_complete(directory: &Path) -> Option<usize> {
    epochs_on_disk(directory)
        .into_iter()
        .filter(|epoch| is_complete(directory, *epoch))
        .max()
}

/// The epochs that have a file of some record in `directory`.
fn epochs_on_disk(directory: &Path) -> Vec<usize> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut epochs: Vec<usize> = entries
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let (record, rest) = name.split_once('-')?;
            RECORDS.contains(&record).then_some(())?;
            rest.strip_suffix(".bpk")?.parse().ok()
        })
        .collect();
    epochs.sort_unstable();
    epochs.dedup();
    epochs
}

/// Deletes every checkpoint in `directory` but those of `keep` — once every checkpoint of
/// `keep` is complete; until then nothing is deleted, so a failed or unfinished save never
/// costs the checkpoint it was to replace. Leftovers of saves cut short are removed too.
pub(crate) fn prune(directory: &Path, keep: &[usize]) {
    if !keep.iter().all(|epoch| is_complete(directory, *epoch)) {
        return;
    }
    for epoch in epochs_on_disk(directory) {
        if !keep.contains(&epoch) {
            for record in RECORDS {
                let _ = std::fs::remove_file(record_path(directory, record, epoch));
            }
        }
    }
}

/// Burn's file checkpointer, made crash-safe: each record is written to a temporary file,
/// flushed to disk and renamed, so a checkpoint file is whole or absent. It never deletes (see
/// [`prune`]).
pub(super) struct AtomicFileCheckpointer {
    directory: PathBuf,
    record: &'static str,
}

impl AtomicFileCheckpointer {
    /// Writes `record`'s files (one of [`RECORDS`]) into `directory`.
    pub(super) fn new(directory: &Path, record: &'static str) -> Self {
        Self {
            directory: directory.to_path_buf(),
            record,
        }
    }
}

impl<R: Checkpoint> Checkpointer<R> for AtomicFileCheckpointer {
    fn save(&self, epoch: usize, record: R) -> Result<(), CheckpointerError> {
        let path = record_path(&self.directory, self.record, epoch);
        let bytes = record
            .checkpoint_into_bytes()
            .map_err(CheckpointerError::Record)?;
        std::fs::create_dir_all(&self.directory).map_err(CheckpointerError::IOError)?;
        let mut temporary =
            tempfile::NamedTempFile::new_in(&self.directory).map_err(CheckpointerError::IOError)?;
        std::io::Write::write_all(&mut temporary, &bytes).map_err(CheckpointerError::IOError)?;
        persist(temporary, &path).map_err(|error| CheckpointerError::Unknown(format!("{error:#}")))
    }

    fn restore(&self, epoch: usize) -> Result<R, CheckpointerError> {
        R::load(record_path(&self.directory, self.record, epoch))
    }

    fn delete(&self, _epoch: usize) -> Result<(), CheckpointerError> {
        // superseded checkpoints are pruned once their successors are complete
        Ok(())
    }
}

/// Keeps the checkpoints a run needs: the newest one (to resume), written every `every` epochs,
/// at the last epoch and at the end of the epoch in which a stop was requested (then stops
/// training), and the one with the lowest validation loss so far (to restore the best weights).
/// With each one it writes `loss.csv`, so that a resumed run knows every earlier epoch's loss.
/// Older checkpoints are [pruned](prune) once the ones replacing them are complete.
pub(super) struct RunCheckpoints {
    pub(super) every: usize,
    pub(super) last_epoch: usize,
    pub(super) latest: Option<usize>,
    pub(super) best: Option<(usize, f64)>,
    /// The first epoch that may be the best (`[train] min_epochs`).
    pub(super) min_epochs: usize,
    pub(super) control: TrainingControl,
    pub(super) interrupter: Interrupter,
    /// The run directory: checkpoints go to its `checkpoint/`, the losses to its `loss.csv`.
    pub(super) run_dir: PathBuf,
    pub(super) history: LossHistory,
}

impl RunCheckpoints {
    /// The checkpoints to keep.
    pub(super) fn kept(&self) -> Vec<usize> {
        let mut kept: Vec<usize> = self.latest.into_iter().collect();
        kept.extend(self.best.map(|(epoch, _)| epoch));
        kept.dedup();
        kept
    }

    /// Where the checkpoints go.
    pub(super) fn directory(&self) -> PathBuf {
        self.run_dir.join(files::CHECKPOINT_DIR)
    }

    /// What to do at the end of `epoch`, whose validation loss is `valid_loss`.
    fn actions(&mut self, epoch: usize, valid_loss: Option<f64>) -> Vec<CheckpointingAction> {
        let stopping = self.control.stop_requested();
        if stopping {
            self.interrupter.stop(Some("stop requested by a signal"));
        }
        let improved = valid_loss
            .filter(|_| epoch >= self.min_epochs)
            .filter(|loss| loss.is_finite())
            .filter(|loss| self.best.is_none_or(|(_, best)| *loss < best));
        let periodic = stopping || epoch.is_multiple_of(self.every) || epoch == self.last_epoch;
        if !periodic && improved.is_none() {
            return Vec::new();
        }
        self.control.set_last_checkpoint(epoch);
        self.latest = Some(epoch);
        if let Some(loss) = improved {
            self.best = Some((epoch, loss));
        }
        vec![CheckpointingAction::Save]
    }

    /// Writes the losses of every epoch so far next to the checkpoint about to be saved.
    fn write_losses(&self) {
        if let Err(error) = write_loss_csv(&self.run_dir, &self.history.epochs()) {
            self.interrupter
                .fail(CheckpointerError::Unknown(crate::error_text(&error)));
        }
    }
}

impl CheckpointingStrategy for RunCheckpoints {
    fn checkpointing(
        &mut self,
        epoch: usize,
        collector: &EventStoreClient,
    ) -> Vec<CheckpointingAction> {
        // the checkpoints decided on earlier epochs are (being) saved: drop the superseded ones
        prune(&self.directory(), &self.kept());
        let valid_loss =
            collector.find_metric(&loss_metric_name(), epoch, Aggregate::Mean, &Split::Valid);
        let actions = self.actions(epoch, valid_loss);
        if !actions.is_empty() {
            self.write_losses();
        }
        actions
    }
}

fn loss_metric_name() -> String {
    LossMetric::new().name().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoints(every: usize) -> RunCheckpoints {
        RunCheckpoints {
            every,
            last_epoch: 100,
            latest: None,
            best: None,
            min_epochs: 0,
            control: TrainingControl::default(),
            interrupter: Interrupter::new(),
            run_dir: PathBuf::from("unused"),
            history: LossHistory::default(),
        }
    }

    fn touch(directory: &Path, record: &str, epoch: usize) {
        std::fs::write(record_path(directory, record, epoch), b"checkpoint").unwrap();
    }

    fn save_all(directory: &Path, epoch: usize) {
        for record in RECORDS {
            touch(directory, record, epoch);
        }
    }

    #[test]
    fn superseded_checkpoints_go_only_once_their_successors_are_complete() {
        let dir = tempfile::tempdir().unwrap();
        let directory = dir.path();
        save_all(directory, 10);
        // epoch 20's save failed half-way (no optimiser file): 10 must survive
        touch(directory, "model", 20);
        touch(directory, "scheduler", 20);
        prune(directory, &[20]);
        assert!(
            is_complete(directory, 10),
            "the last good checkpoint was deleted"
        );
        // once 20 is complete, 10 goes; the kept best (5) stays
        save_all(directory, 5);
        touch(directory, "optim", 20);
        prune(directory, &[20, 5]);
        assert!(!record_path(directory, "model", 10).exists());
        assert!(is_complete(directory, 20) && is_complete(directory, 5));
        assert_eq!(epochs_on_disk(directory), vec![5, 20]);
    }

    #[test]
    fn a_checkpoint_file_is_whole_or_absent() {
        let dir = tempfile::tempdir().unwrap();
        let checkpointer = AtomicFileCheckpointer::new(dir.path(), "model");
        let record = burn::module::Module::into_record(
            yoho_model::RnnForecasterConfig::new(1, 2).init(&burn::tensor::Device::default()),
        );
        Checkpointer::save(&checkpointer, 3, record).unwrap();
        let restored: burn::store::ModuleRecord = checkpointer.restore(3).unwrap();
        assert!(restored.into_bytes().is_ok());
        // no temporary file is left behind
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["model-3.bpk"]);
        // a directory that cannot be written: an error, and no file
        let blocked = dir.path().join("file-not-dir");
        std::fs::write(&blocked, b"").unwrap();
        let checkpointer = AtomicFileCheckpointer::new(&blocked, "model");
        let record: burn::store::ModuleRecord = AtomicFileCheckpointer::new(dir.path(), "model")
            .restore(3)
            .unwrap();
        assert!(Checkpointer::save(&checkpointer, 4, record).is_err());
    }

    #[test]
    fn checkpoints_keep_the_latest_and_the_best() {
        use CheckpointingAction::Save;
        let mut policy = checkpoints(10);
        // every improvement is saved and replaces the previous best
        assert_eq!(policy.actions(1, Some(5.0)), vec![Save]);
        assert_eq!(policy.kept(), vec![1]);
        assert_eq!(policy.actions(2, Some(4.0)), vec![Save]);
        assert_eq!(policy.kept(), vec![2]);
        // no improvement, not periodic: nothing
        assert_eq!(policy.actions(3, Some(6.0)), vec![]);
        // periodic without improvement: saved as the latest, the best (2) stays
        assert_eq!(policy.actions(10, Some(7.0)), vec![Save]);
        assert_eq!(policy.kept(), vec![10, 2]);
        // the next periodic one replaces the latest, not the best
        assert_eq!(policy.actions(20, Some(8.0)), vec![Save]);
        assert_eq!(policy.kept(), vec![20, 2]);
        // an improvement replaces both
        assert_eq!(policy.actions(21, Some(1.0)), vec![Save]);
        assert_eq!(policy.kept(), vec![21]);
        // without validation only the periodic ones are kept
        let mut policy = checkpoints(2);
        assert_eq!(policy.actions(1, None), vec![]);
        assert_eq!(policy.actions(2, None), vec![Save]);
        assert_eq!(policy.actions(4, None), vec![Save]);
        assert_eq!(policy.kept(), vec![4]);
        // never a delete action: superseded checkpoints are pruned from the disk instead
        assert!(!policy.actions(6, None).iter().any(|a| *a != Save));
    }
}
