//! Early stopping on the run's whole loss history, so that a resumed run stops at the epoch an
//! uninterrupted one would (Burn's own strategy only sees the epochs since the resume).

use burn::train::EarlyStoppingStrategy;
use burn::train::metric::store::EventStoreClient;

use super::best_epoch;
use super::history::LossHistory;
use super::pruning::NetworkPruning;

/// Stops when the validation loss has not improved for `patience` epochs, counted from the
/// epoch of the lowest finite validation loss in `history` (from epoch 0 when there is none),
/// as Burn's `NoImprovementSince` does; never before `min_epochs`, and only epochs from
/// `min_epochs` on count as the best.
#[derive(Clone)]
pub(super) struct NoImprovementSince {
    pub(super) patience: usize,
    pub(super) min_epochs: usize,
    pub(super) history: LossHistory,
}

impl NoImprovementSince {
    fn should_stop_at(&self, epoch: usize) -> bool {
        let best = best_epoch(&self.history.epochs(), self.min_epochs).map_or(0, |(best, _)| best);
        epoch >= self.min_epochs && epoch.saturating_sub(best) >= self.patience
    }
}

impl EarlyStoppingStrategy for NoImprovementSince {
    fn should_stop(&mut self, epoch: usize, _store: &EventStoreClient) -> bool {
        self.should_stop_at(epoch)
    }
}

/// What ends a network's training before its last epoch: no improvement for `patience`
/// epochs, or, in a search, its trial found behind the config's ([`NetworkPruning`]).
#[derive(Clone)]
pub(super) struct Stopping {
    pub(super) patience: Option<NoImprovementSince>,
    pub(super) pruning: Option<NetworkPruning>,
}

impl EarlyStoppingStrategy for Stopping {
    fn should_stop(&mut self, epoch: usize, _store: &EventStoreClient) -> bool {
        // every epoch's error is taken, whether or not patience ends the training
        let pruned = (self.pruning.as_mut()).is_some_and(|pruning| pruning.should_stop(epoch));
        let patience = (self.patience.as_ref()).is_some_and(|p| p.should_stop_at(epoch));
        pruned || patience
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::EpochLoss;

    fn history(valid: &[f64]) -> LossHistory {
        let epochs: Vec<EpochLoss> = valid
            .iter()
            .enumerate()
            .map(|(index, loss)| EpochLoss {
                epoch: index + 1,
                train: 1.0,
                valid: Some(*loss),
            })
            .collect();
        LossHistory::starting_with(&epochs)
    }

    #[test]
    fn stops_patience_epochs_after_the_best_of_the_whole_history() {
        // best at epoch 2 (ties keep the earliest), patience 3: stop at epoch 5, not before
        let stopping = NoImprovementSince {
            patience: 3,
            min_epochs: 0,
            history: history(&[5.0, 1.0, 2.0, 1.0, 3.0]),
        };
        assert!(!stopping.should_stop_at(4));
        assert!(stopping.should_stop_at(5));
        // without any finite validation loss, counted from epoch 0
        let stopping = NoImprovementSince {
            patience: 3,
            min_epochs: 0,
            history: history(&[f64::NAN, f64::NAN]),
        };
        assert!(!stopping.should_stop_at(2));
        assert!(stopping.should_stop_at(3));
    }

    #[test]
    fn never_stops_before_min_epochs_and_counts_the_best_from_there() {
        // the lowest loss is epoch 1's, an untrained network's; from epoch 3 on the best is 4
        let losses = [0.5, 2.0, 1.5, 1.0, 1.2, 1.3, 1.4, 1.6];
        let stopping = NoImprovementSince {
            patience: 3,
            min_epochs: 3,
            history: history(&losses),
        };
        assert!(!stopping.should_stop_at(2));
        assert!(!stopping.should_stop_at(6));
        assert!(stopping.should_stop_at(7));
        // without min_epochs it would have stopped at epoch 4, three epochs after epoch 1
        let stopping = NoImprovementSince {
            min_epochs: 0,
            ..stopping
        };
        assert!(stopping.should_stop_at(4));
    }
}
