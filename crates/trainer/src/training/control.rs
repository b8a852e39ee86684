//! What the signal handler, the learner's callbacks and the caller share about a run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::pruning::Pruning;

/// What the signal handler, the learner's callbacks and the caller share about a run.
#[derive(Debug, Clone, Default)]
pub struct TrainingControl {
    pub(super) quiet: bool,
    stop_requested: Arc<AtomicBool>,
    /// Set once training is over: a signal then ends the process at once.
    exit_at_once: Arc<AtomicBool>,
    diverged: Arc<Mutex<Option<(usize, f64)>>>,
    last_checkpoint: Arc<Mutex<Option<usize>>>,
    /// A search's pruning of the trial this run is (`trainer tune`).
    pub(super) pruning: Option<Pruning>,
    /// The network's place in its ensemble (0 for a single network).
    pub(super) member: usize,
    /// The networks of its ensemble a search judges its trial on (its first family's; 0 or 1
    /// for a single network).
    pub(super) judged: usize,
}

impl TrainingControl {
    /// A control for a training that prints no progress (the backtest's folds).
    pub fn quiet() -> Self {
        Self {
            quiet: true,
            ..Self::default()
        }
    }

    /// A control whose run is a search's trial, pruned (or recorded) as `pruning` says.
    pub fn with_pruning(self, pruning: Pruning) -> Self {
        Self {
            pruning: Some(pruning),
            ..self
        }
    }

    /// The control of member `member` of an ensemble trained side by side, whose first `judged`
    /// members its trial is judged on where a search prunes it: the same stop requests and
    /// pruning, its own divergence and checkpoints; `quiet` unless it is the member whose
    /// progress is shown (the first).
    pub(super) fn for_member(&self, member: usize, judged: usize) -> Self {
        Self {
            quiet: self.quiet || member != 0,
            pruning: self.pruning.clone(),
            member,
            judged,
            ..Self::default()
        }
        .sharing_stop_of(self)
    }

    /// The same control, stopping when `other`'s stop is requested (and, once `other`'s
    /// training is over, a signal ending the process at once): a search's trials stop with
    /// the search.
    pub fn sharing_stop_of(self, other: &TrainingControl) -> Self {
        Self {
            stop_requested: other.stop_requested.clone(),
            exit_at_once: other.exit_at_once.clone(),
            ..self
        }
    }

    /// Makes Ctrl-C (SIGINT) and SIGTERM request a stop at the end of the current epoch; a
    /// second one, or one after [`training_finished`](Self::training_finished), ends the
    /// process at once (exit code 130; every file is written whole or not at all).
    pub fn listen_for_signals(&self) -> std::io::Result<()> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        for signal in [SIGINT, SIGTERM] {
            for condition in [&self.exit_at_once, &self.stop_requested] {
                signal_hook::flag::register_conditional_shutdown(signal, 130, condition.clone())?;
            }
            signal_hook::flag::register(signal, self.stop_requested.clone())?;
        }
        Ok(())
    }

    /// Training is over: from now on (evaluation, reports) a signal ends the process at once
    /// instead of waiting for an epoch that will not come.
    pub fn training_finished(&self) {
        self.exit_at_once.store(true, Ordering::SeqCst);
    }

    /// Whether Ctrl-C or SIGTERM asked the run to stop.
    pub fn stop_requested(&self) -> bool {
        self.stop_requested.load(Ordering::SeqCst)
    }

    pub(super) fn set_diverged(&self, epoch: usize, loss: f64) {
        let mut diverged = self.diverged.lock().expect("control lock");
        diverged.get_or_insert((epoch, loss));
    }

    pub(super) fn diverged(&self) -> Option<(usize, f64)> {
        *self.diverged.lock().expect("control lock")
    }

    pub(super) fn set_last_checkpoint(&self, epoch: usize) {
        *self.last_checkpoint.lock().expect("control lock") = Some(epoch);
    }

    pub(super) fn last_checkpoint(&self) -> Option<usize> {
        *self.last_checkpoint.lock().expect("control lock")
    }
}
