//! Which checkpoints a run keeps: the newest (to resume) and the best (to restore).

use burn::train::Interrupter;
use burn::train::checkpoint::{CheckpointingAction, CheckpointingStrategy};
use burn::train::metric::store::{Aggregate, EventStoreClient, Split};
use burn::train::metric::{LossMetric, Metric};

use super::control::TrainingControl;

/// Keeps the checkpoints a run needs: the newest one (to resume), written every `every` epochs,
/// at the last epoch and at the end of the epoch in which a stop was requested (then stops
/// training), and the one with the lowest validation loss so far (to restore the best weights).
/// Older ones are deleted.
pub(super) struct RunCheckpoints {
    pub(super) every: usize,
    pub(super) last_epoch: usize,
    pub(super) latest: Option<usize>,
    pub(super) best: Option<(usize, f64)>,
    pub(super) control: TrainingControl,
    pub(super) interrupter: Interrupter,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
