//! Pruning a search's trials while they train (`trainer tune`): each network of a drawn trial
//! is measured after every epoch against the network of the same place in the config's own
//! trial (trial 0). A trial is judged on its first family's networks (the first `[train]
//! ensemble` of them, which train first): once every one of them is behind, the trial stops,
//! and its networks not yet trained are not.
//!
//! A network's validation loss is in its own model units: a window of another length, another
//! window norm or another transform divides the targets by another spread, so two trials'
//! losses do not compare. What they are compared on instead is the validation windows' mean
//! squared error in the target's scaled units (each window's error times its
//! [`spread`](yoho_data::WindowItem::spread)), which are the same for every trial of a config.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use burn::tensor::Tensor;

use super::history::Mean;

/// The epoch from which a drawn trial may be pruned, at the least: before it, a network with a
/// lower learning rate or a longer window may trail and still overtake.
pub const PRUNE_FROM_EPOCH: usize = 10;

/// The squared errors of the validation windows of the epoch under way, in the target's scaled
/// units, which the validation step adds to and the end of the epoch takes.
#[derive(Debug, Clone, Default)]
pub struct ScaledErrors(Arc<Mutex<Mean>>);

impl ScaledErrors {
    /// Adds a validation batch: point forecasts and targets `[batch, steps]` in model units, and
    /// each window's scaled units per model unit `[batch]`.
    pub fn add(&self, output: Tensor<2>, targets: Tensor<2>, spreads: Tensor<1>) {
        let [windows, steps] = output.dims();
        let errors = (output - targets) * spreads.unsqueeze_dim::<2>(1);
        let sum = errors.powi_scalar(2).sum().into_scalar::<f64>();
        let count = windows * steps;
        if count > 0 {
            self.lock().add(sum / count as f64, count);
        }
    }

    /// The epoch's mean squared error, and a fresh start for the next epoch.
    fn take(&self) -> Option<f64> {
        std::mem::take(&mut *self.lock()).value()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mean> {
        lock(&self.0)
    }
}

/// Each network's validation error (scaled units, see the module doc) by epoch, the first
/// epoch first, keyed by the network's place in its ensemble.
#[derive(Debug, Default)]
pub struct Curves(Mutex<BTreeMap<usize, Vec<f64>>>);

impl Curves {
    fn push(&self, member: usize, error: f64) {
        lock(&self.0).entry(member).or_default().push(error);
    }

    fn of(&self, member: usize) -> Vec<f64> {
        lock(&self.0).get(&member).cloned().unwrap_or_default()
    }
}

/// What a search's training does with its networks' validation errors.
#[derive(Debug, Clone)]
pub enum Pruning {
    /// The config's own trial: every network's errors recorded, the reference of the others.
    Record(Arc<Curves>),
    /// A drawn trial: stopped once every one of the networks it is judged on is [`behind`] the
    /// reference's network of the same place.
    Against {
        /// The config's own networks' errors.
        reference: Arc<Curves>,
        /// The first epoch at which a network may be found behind.
        from_epoch: usize,
        /// Which of the trial's networks are behind, and when the trial was pruned.
        state: Arc<Mutex<TrialState>>,
    },
}

/// Where a drawn trial's networks stand against the config's.
#[derive(Debug, Default)]
pub struct TrialState {
    /// Each judged network's standing at its latest epoch from the first that counts (true:
    /// behind); a network that stopped keeps its last.
    behind: BTreeMap<usize, bool>,
    /// The epoch at which the last of its judged networks fell behind, once all have.
    pruned: Option<usize>,
}

impl Pruning {
    /// A drawn trial's pruning against `reference`, from `from_epoch` on.
    pub fn against(reference: Arc<Curves>, from_epoch: usize) -> Self {
        Self::Against {
            reference,
            from_epoch,
            state: Arc::default(),
        }
    }

    /// The epoch at which the trial was pruned, if it was.
    pub fn pruned_at(&self) -> Option<usize> {
        match self {
            Self::Record(_) => None,
            Self::Against { state, .. } => lock(state).pruned,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One network's part in its search's pruning: its errors as the epochs end.
#[derive(Debug, Clone)]
pub(super) struct NetworkPruning {
    pub(super) pruning: Pruning,
    /// The network's place in its ensemble (0 for a single network).
    member: usize,
    /// How many of its trial's networks, the first, the trial is judged on.
    judged: usize,
    pub(super) errors: ScaledErrors,
    /// Its errors so far, by epoch.
    curve: Vec<f64>,
}

impl NetworkPruning {
    /// Network `member` of a trial pruned (or recorded) as `pruning` says, judged on its first
    /// `judged` networks.
    pub(super) fn new(pruning: Pruning, member: usize, judged: usize) -> Self {
        Self {
            pruning,
            member,
            judged: judged.max(1),
            errors: ScaledErrors::default(),
            curve: Vec::new(),
        }
    }

    /// Takes the ended epoch's error; whether the network stops: its trial was pruned, when
    /// this network or another of those it is judged on was found behind as the last of them.
    pub(super) fn should_stop(&mut self, epoch: usize) -> bool {
        let error = self.errors.take().unwrap_or(f64::NAN);
        self.curve.push(error);
        match &self.pruning {
            Pruning::Record(curves) => {
                curves.push(self.member, error);
                false
            }
            Pruning::Against {
                reference,
                from_epoch,
                state,
            } => {
                let mut state = lock(state);
                if state.pruned.is_none() && epoch >= *from_epoch && self.member < self.judged {
                    let behind = behind(&self.curve, &reference.of(self.member));
                    state.behind.insert(self.member, behind);
                    if state.behind.values().filter(|b| **b).count() == self.judged {
                        state.pruned = Some(epoch);
                    }
                }
                state.pruned.is_some()
            }
        }
    }
}

/// Whether a network whose errors by epoch are `own` is behind at its last epoch: its lowest
/// finite error so far is above `reference`'s lowest up to the same epoch (over all of it where
/// the reference stopped sooner), or it has none. A reference without any finite error prunes
/// nothing.
pub fn behind(own: &[f64], reference: &[f64]) -> bool {
    let lowest = |errors: &[f64]| {
        (errors.iter().copied())
            .filter(|error| error.is_finite())
            .min_by(f64::total_cmp)
    };
    let upto = own.len().min(reference.len());
    match (lowest(own), lowest(&reference[..upto])) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(own), Some(reference)) => own > reference,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn behind_compares_the_lowest_errors_up_to_the_same_epoch() {
        let reference = [5.0, 3.0, 2.0, 1.0];
        // at epoch 2 the reference's lowest is 3.0
        assert!(!behind(&[4.0, 3.0], &reference));
        assert!(behind(&[4.0, 3.5], &reference));
        // a network that was lower once stays ahead until the reference passes it
        assert!(!behind(&[1.5, 4.0, 4.0], &reference));
        assert!(behind(&[1.5, 4.0, 4.0, 4.0], &reference));
        // past the reference's last epoch, its lowest overall
        assert!(!behind(&[9.0, 9.0, 9.0, 9.0, 1.0], &reference));
        assert!(behind(&[9.0, 9.0, 9.0, 9.0, 1.5], &reference));
        // NaN epochs count for nothing; a network without a finite error is behind
        assert!(!behind(&[f64::NAN, 2.0, 2.0], &reference));
        assert!(behind(&[f64::NAN], &reference));
        // and a reference without one prunes nothing
        assert!(!behind(&[9.0], &[f64::NAN]));
        assert!(!behind(&[9.0], &[]));
    }

    #[test]
    fn scaled_errors_are_the_model_units_errors_times_each_windows_spread() {
        let device = Device::flex();
        let errors = ScaledErrors::default();
        let matrix =
            |values: Vec<f32>| Tensor::<2>::from_data(TensorData::new(values, [2, 2]), &device);
        let spreads = Tensor::<1>::from_data(TensorData::new(vec![2.0f32, 0.5], [2]), &device);
        // errors (1, -1) in a window of spread 2 and (2, 0) in one of spread 0.5: scaled
        // errors 2, -2, 1, 0, whose mean square is 9 / 4
        errors.add(
            matrix(vec![1.0, 0.0, 3.0, 1.0]),
            matrix(vec![0.0, 1.0, 1.0, 1.0]),
            spreads,
        );
        assert_eq!(errors.take(), Some(2.25));
        assert_eq!(errors.take(), None, "each epoch starts afresh");
    }

    /// Adds `error` as the validation error of `network`'s epoch under way.
    fn add(network: &NetworkPruning, error: f64) {
        network.errors.lock().add(error, 1);
    }

    #[test]
    fn the_config_records_and_a_drawn_trial_stops_once_all_its_judged_networks_are_behind() {
        let reference = Arc::new(Curves::default());
        for member in [0, 1] {
            let mut config = NetworkPruning::new(Pruning::Record(reference.clone()), member, 2);
            for (epoch, error) in [4.0, 2.0, 1.0].into_iter().enumerate() {
                add(&config, error);
                assert!(!config.should_stop(epoch + 1), "the config is never pruned");
            }
        }
        assert_eq!(reference.of(1), vec![4.0, 2.0, 1.0]);
        assert_eq!(reference.of(2), Vec::<f64>::new(), "no network 2 recorded");

        let drawn = Pruning::against(reference, 2);
        let mut first = NetworkPruning::new(drawn.clone(), 0, 2);
        let mut second = NetworkPruning::new(drawn.clone(), 1, 2);
        // a third network, of another family, is not judged: behind or not, it prunes nothing
        let mut third = NetworkPruning::new(drawn.clone(), 2, 2);
        for epoch in 1..=3 {
            add(&third, 9.0);
            assert!(!third.should_stop(epoch));
        }
        // epoch 1: both behind (5 > 4), but before the first epoch that counts
        for network in [&mut first, &mut second] {
            add(network, 5.0);
            assert!(!network.should_stop(1));
        }
        // epoch 2: the first behind (3 > 2), the second not (1.5 < 2): no pruning
        add(&first, 3.0);
        assert!(!first.should_stop(2));
        add(&second, 1.5);
        assert!(!second.should_stop(2));
        // epoch 3: the second behind too (1.5 > 1), the first still behind: pruned
        add(&second, 1.8);
        assert!(second.should_stop(3));
        assert_eq!(drawn.pruned_at(), Some(3));
        // the first stops at the end of its epoch whatever its errors
        add(&first, 0.1);
        assert!(first.should_stop(3));
        assert_eq!(
            drawn.pruned_at(),
            Some(3),
            "the epoch the last one fell behind"
        );
    }

    #[test]
    fn a_single_network_is_pruned_once_it_is_behind() {
        let reference = Arc::new(Curves::default());
        let mut config = NetworkPruning::new(Pruning::Record(reference.clone()), 0, 1);
        add(&config, 1.0);
        assert!(!config.should_stop(1));
        let drawn = Pruning::against(reference, 1);
        let mut network = NetworkPruning::new(drawn.clone(), 0, 1);
        add(&network, 2.0);
        assert!(network.should_stop(1));
        assert_eq!(drawn.pruned_at(), Some(1));
    }
}
