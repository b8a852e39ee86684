//! What the signal handler, the learner's callbacks and the caller share about a run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What the signal handler, the learner's callbacks and the caller share about a run.
#[derive(Debug, Clone, Default)]
pub struct TrainingControl {
    pub(super) quiet: bool,
    stop_requested: Arc<AtomicBool>,
    /// Set once training is over: a signal then ends the process at once.
    exit_at_once: Arc<AtomicBool>,
    diverged: Arc<Mutex<Option<(usize, f64)>>>,
    last_checkpoint: Arc<Mutex<Option<usize>>>,
}

impl TrainingControl {
    /// A control for a training that prints no progress (the backtest's folds).
    pub fn quiet() -> Self {
        Self {
            quiet: true,
            ..Self::default()
        }
    }

    /// The control of one member of an ensemble trained beside the others: the same stop
    /// requests, its own divergence and checkpoints; `quiet` unless it is the member whose
    /// progress is shown.
    pub(super) fn for_member(&self, shown: bool) -> Self {
        Self {
            quiet: self.quiet || !shown,
            stop_requested: self.stop_requested.clone(),
            exit_at_once: self.exit_at_once.clone(),
            diverged: Arc::default(),
            last_checkpoint: Arc::default(),
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

    pub(super) fn stop_requested(&self) -> bool {
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
