//! Pruning a search's trials while they train (`trainer tune`): each network of a drawn trial
//! is measured after every epoch against the network of the same place in the config's own
//! trial (trial 0). A trial is judged on its first family's networks (the first `[train]
//! ensemble` of them, which train first): at the first epoch at which every one of them is
//! behind, the trial stops, and its networks not yet trained are not. The drawn trials train
//! beside trial 0, each network waiting, where it gets ahead, for the config's network to reach
//! its epoch: the epoch a trial is pruned at depends on the networks' errors alone, not on
//! which of them trains faster.
//!
//! A network's validation loss is in its own model units: a window of another length, another
//! window norm or another transform divides the targets by another spread, so two trials'
//! losses do not compare. What they are compared on instead is the validation windows' mean
//! squared error in the target's scaled units (each window's error times its
//! [`spread`](yoho_data::WindowItem::spread)), which are the same for every trial of a config.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Condvar, Mutex};

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
            lock(&self.0).add(sum / count as f64, count);
        }
    }

    /// The epoch's mean squared error, and a fresh start for the next epoch.
    fn take(&self) -> Option<f64> {
        std::mem::take(&mut *lock(&self.0)).value()
    }
}

/// Each network's validation error (scaled units, see the module doc) by epoch, the first
/// epoch first, keyed by the network's place in its ensemble: recorded while the config's trial
/// trains, and read by the drawn trials training beside it, each of which waits until the
/// network it is measured against has reached the same epoch (or stopped), so that what is
/// pruned does not depend on which trial runs faster.
#[derive(Debug, Default)]
pub struct Curves {
    recorded: Mutex<Recorded>,
    changed: Condvar,
}

/// What the config's trial has recorded so far.
#[derive(Debug, Default)]
struct Recorded {
    errors: BTreeMap<usize, Vec<f64>>,
    /// The networks whose training is over.
    finished: BTreeSet<usize>,
    /// Whether the config's trial is over, however it ended: nothing more will be recorded.
    closed: bool,
}

impl Curves {
    fn push(&self, member: usize, error: f64) {
        lock(&self.recorded)
            .errors
            .entry(member)
            .or_default()
            .push(error);
        self.changed.notify_all();
    }

    /// Network `member`'s training is over: its errors are all recorded.
    fn finish(&self, member: usize) {
        lock(&self.recorded).finished.insert(member);
        self.changed.notify_all();
    }

    /// The config's trial is over (whether it trained, failed or panicked): no network waits
    /// for it any longer. [`Closing`] calls it when it goes out of scope.
    pub fn close(&self) {
        lock(&self.recorded).closed = true;
        self.changed.notify_all();
    }

    /// Closes these curves when the returned guard is dropped, on every way out of the scope
    /// that trains the config's trial.
    pub fn closing(&self) -> Closing<'_> {
        Closing(self)
    }

    /// Network `member`'s errors of its first `epoch` epochs, once it has recorded them, or all
    /// of them once its training or the config's trial is over.
    fn up_to(&self, member: usize, epoch: usize) -> Vec<f64> {
        let mut recorded = lock(&self.recorded);
        loop {
            let errors = recorded.errors.get(&member).map_or(&[][..], Vec::as_slice);
            let over = recorded.finished.contains(&member) || recorded.closed;
            if errors.len() >= epoch || over {
                return errors[..errors.len().min(epoch)].to_vec();
            }
            recorded =
                (self.changed.wait(recorded)).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

/// Closes its [`Curves`] when dropped.
pub struct Closing<'a>(&'a Curves);

impl Drop for Closing<'_> {
    fn drop(&mut self) {
        self.0.close();
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

/// Where a drawn trial's judged networks stand against the config's.
#[derive(Debug, Default)]
pub struct TrialState {
    /// Each judged network's errors so far, and whether its training is over.
    networks: BTreeMap<usize, JudgedNetwork>,
    /// The last epoch the trial was judged at.
    judged_to: usize,
    /// The first epoch at which every judged network was behind, once there is one.
    pruned: Option<usize>,
}

/// A judged network's errors by epoch, and whether its training is over.
#[derive(Debug, Default)]
struct JudgedNetwork {
    errors: Vec<f64>,
    finished: bool,
}

impl TrialState {
    /// Judges the trial at each epoch from `from_epoch` on that its first `judged` networks
    /// have all reached (or stopped before), until one finds every network [`behind`]
    /// `reference`'s: the first such epoch is the one it is pruned at, whichever network
    /// trains faster.
    fn judge(&mut self, reference: &Curves, judged: usize, from_epoch: usize) {
        let networks: Vec<&JudgedNetwork> = match (0..judged)
            .map(|member| self.networks.get(&member))
            .collect::<Option<Vec<_>>>()
        {
            Some(networks) => networks,
            // a judged network has not started
            None => return,
        };
        let longest = networks.iter().map(|n| n.errors.len()).max().unwrap_or(0);
        while self.pruned.is_none() {
            let epoch = (self.judged_to + 1).max(from_epoch);
            let reached = |n: &&JudgedNetwork| n.errors.len() >= epoch || n.finished;
            if epoch > longest || !networks.iter().all(reached) {
                return;
            }
            let behind_at = |(member, network): (usize, &&JudgedNetwork)| {
                let errors = &network.errors[..network.errors.len().min(epoch)];
                behind(errors, &reference.up_to(member, epoch))
            };
            if networks.iter().enumerate().all(behind_at) {
                self.pruned = Some(epoch);
            }
            self.judged_to = epoch;
        }
    }
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
    pruning: Pruning,
    /// The network's place in its ensemble (0 for a single network).
    member: usize,
    /// How many of its trial's networks, the first, the trial is judged on.
    judged: usize,
    pub(super) errors: ScaledErrors,
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
        }
    }

    /// Its training is over: all its errors are recorded (and a drawn trial's other judged
    /// networks no longer wait for it).
    pub(super) fn finish(&self) {
        match &self.pruning {
            Pruning::Record(curves) => curves.finish(self.member),
            Pruning::Against {
                reference,
                from_epoch,
                state,
            } if self.member < self.judged => {
                let mut state = lock(state);
                state.networks.entry(self.member).or_default().finished = true;
                state.judge(reference, self.judged, *from_epoch);
            }
            Pruning::Against { .. } => {}
        }
    }

    /// Takes the ended epoch's error; whether the network stops: its trial was pruned (by
    /// this network's error or another's, at this epoch or an earlier one).
    pub(super) fn should_stop(&mut self, _epoch: usize) -> bool {
        let error = self.errors.take().unwrap_or(f64::NAN);
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
                if self.member < self.judged && state.pruned.is_none() {
                    let network = state.networks.entry(self.member).or_default();
                    network.errors.push(error);
                    state.judge(reference, self.judged, *from_epoch);
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
        lock(&network.errors.0).add(error, 1);
    }

    /// The config's networks `0..` with `errors` each by epoch, recorded and finished, and its
    /// trial over.
    fn recorded(errors: &[&[f64]]) -> Arc<Curves> {
        let reference = Arc::new(Curves::default());
        for (member, errors) in errors.iter().enumerate() {
            let mut config = NetworkPruning::new(Pruning::Record(reference.clone()), member, 2);
            for (epoch, error) in errors.iter().enumerate() {
                add(&config, *error);
                assert!(!config.should_stop(epoch + 1), "the config is never pruned");
            }
            config.finish();
        }
        reference.close();
        reference
    }

    /// Network `member` of `trial` ends an epoch of validation error `error`: whether it stops.
    fn epoch(trial: &Pruning, member: usize, error: f64) -> bool {
        let mut network = NetworkPruning::new(trial.clone(), member, 2);
        add(&network, error);
        network.should_stop(0)
    }

    #[test]
    fn a_drawn_trial_is_pruned_at_the_first_epoch_all_its_judged_networks_are_behind() {
        let reference = recorded(&[&[4.0, 2.0, 1.0, 0.5], &[4.0, 2.0, 1.0, 0.5]]);
        assert_eq!(reference.up_to(1, 3), vec![4.0, 2.0, 1.0]);
        assert_eq!(
            reference.up_to(2, 3),
            Vec::<f64>::new(),
            "no network 2 recorded"
        );
        // network 0: behind from epoch 2 (3 > 2); network 1: from epoch 3 (1.5 > 1); epoch 1
        // comes before the first that counts
        let first = [5.0, 3.0, 3.0];
        let second = [5.0, 1.5, 1.8];
        // whichever network runs ahead, the trial is pruned at epoch 3
        for first_ahead in [true, false] {
            let trial = Pruning::against(reference.clone(), 2);
            let (ahead, behind, (lead, lag)) = match first_ahead {
                true => (0, 1, (&first, &second)),
                false => (1, 0, (&second, &first)),
            };
            for error in lead {
                assert!(
                    !epoch(&trial, ahead, *error),
                    "alone, it cannot prune the trial"
                );
            }
            // a third network, of another family, is not judged: its errors prune nothing
            assert!(!epoch(&trial, 2, 9.0));
            let stops: Vec<bool> = lag.iter().map(|e| epoch(&trial, behind, *e)).collect();
            assert_eq!(stops, [false, false, true], "first_ahead {first_ahead}");
            assert_eq!(trial.pruned_at(), Some(3));
            // then every network stops at the end of its epoch
            assert!(epoch(&trial, ahead, 0.1));
            assert!(epoch(&trial, 2, 0.1));
        }
        // a network ahead at the same epoch saves the trial: network 1 at 0.9 at epoch 3
        let trial = Pruning::against(reference.clone(), 2);
        for (a, b) in first.iter().zip([5.0, 1.5, 0.9]) {
            assert!(!epoch(&trial, 0, *a) && !epoch(&trial, 1, b));
        }
        assert_eq!(trial.pruned_at(), None);
    }

    #[test]
    fn a_network_that_stopped_is_judged_on_all_its_errors() {
        let reference = recorded(&[&[4.0, 2.0, 1.0, 0.5], &[4.0, 2.0, 1.0, 0.5]]);
        let trial = Pruning::against(reference, 2);
        // network 0 stops after epoch 2 (lowest 3); network 1 goes on
        let mut stopped = NetworkPruning::new(trial.clone(), 0, 2);
        for error in [5.0, 3.0] {
            add(&stopped, error);
            assert!(!stopped.should_stop(0));
        }
        stopped.finish();
        // epoch 2: network 1 ahead (1.5 < 2); epoch 3: both behind the reference's 1
        assert!(!epoch(&trial, 1, 5.0));
        assert!(!epoch(&trial, 1, 1.5));
        assert!(epoch(&trial, 1, 1.2));
        assert_eq!(trial.pruned_at(), Some(3));
    }

    #[test]
    fn a_drawn_network_waits_for_the_configs_to_reach_its_epoch() {
        let reference = Arc::new(Curves::default());
        let mut config = NetworkPruning::new(Pruning::Record(reference.clone()), 0, 1);
        add(&config, 1.0);
        assert!(!config.should_stop(1));
        let trial = Pruning::against(reference.clone(), 1);
        let drawn = {
            let trial = trial.clone();
            std::thread::spawn(move || {
                let mut network = NetworkPruning::new(trial, 0, 1);
                // epoch 1: ahead (0.5 < 1); epoch 2: judged against the config's epoch 2
                [0.5, 0.9].map(|error| {
                    add(&network, error);
                    network.should_stop(0)
                })
            })
        };
        // the config's epoch 2 (0.4) comes when it comes: had the drawn network not waited for
        // it, it would have been judged against 1.0 and not pruned
        std::thread::sleep(std::time::Duration::from_millis(20));
        add(&config, 0.4);
        assert!(!config.should_stop(2));
        let _closing = reference.closing();
        assert_eq!(drawn.join().unwrap(), [false, true]);
        assert_eq!(trial.pruned_at(), Some(2));
    }

    #[test]
    fn a_closed_reference_releases_every_waiting_network() {
        let reference = Arc::new(Curves::default());
        let trial = Pruning::against(reference.clone(), 1);
        let drawn = std::thread::spawn(move || epoch(&trial, 0, 1.0));
        // the config's trial ends without recording anything (it failed): nothing is pruned
        drop(reference.closing());
        assert!(!drawn.join().unwrap());
    }

    #[test]
    fn a_single_network_is_pruned_once_it_is_behind() {
        let reference = recorded(&[&[1.0]]);
        let drawn = Pruning::against(reference, 1);
        let mut network = NetworkPruning::new(drawn.clone(), 0, 1);
        add(&network, 2.0);
        assert!(network.should_stop(1));
        assert_eq!(drawn.pruned_at(), Some(1));
    }
}
