//! Training as a library call: [`LearnerFit`] trains a forecaster with the learner a run uses,
//! quietly, for the backtest's folds, the M4 protocol (`yoho_eval::protocol`) and the benches.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use yoho_data::{PreparedData, TrainingData};
use yoho_eval::backtest::{Fit, Fold};
use yoho_model::Forecaster;

use crate::artifacts::RunDir;
use crate::training::{Pruning, TrainedModel, TrainingControl, TrainingEnd, train};
use crate::{ExperimentConfig, RunOutcome};
pub use yoho_eval::parallel::in_parallel;

/// Trains with the learner as `config` says, printing nothing, each fit's checkpoints in a
/// directory of its own under `checkpoints_dir`.
pub struct LearnerFit<'a> {
    config: &'a ExperimentConfig,
    device: Device,
    checkpoints_dir: PathBuf,
    control: TrainingControl,
}

impl<'a> LearnerFit<'a> {
    /// A fit of `config` on `device`, its checkpoints under `checkpoints_dir`.
    pub fn new(config: &'a ExperimentConfig, device: Device, checkpoints_dir: &Path) -> Self {
        Self {
            config,
            device,
            checkpoints_dir: checkpoints_dir.to_path_buf(),
            control: TrainingControl::quiet(),
        }
    }

    /// The same fit as a search's trial, pruned (or recorded) as `pruning` says.
    pub(crate) fn with_pruning(self, pruning: Pruning) -> Self {
        Self {
            control: self.control.with_pruning(pruning),
            ..self
        }
    }

    /// The same fit, stopping at the end of an epoch once `control`'s stop is requested (a
    /// search's trials stop with the search).
    pub(crate) fn stopping_with(self, control: &TrainingControl) -> Self {
        Self {
            control: self.control.sharing_stop_of(control),
            ..self
        }
    }

    /// Makes Ctrl-C stop the fits at the end of an epoch (a fit stopped so is an error).
    pub fn listen_for_signals(&self) -> std::io::Result<()> {
        self.control.listen_for_signals()
    }

    /// Whether Ctrl-C or SIGTERM asked the fits to stop (a fit stopped so failed with
    /// "interrupted").
    pub fn stop_requested(&self) -> bool {
        self.control.stop_requested()
    }

    /// Trains on `data` (one series' or a panel's windows), the checkpoints in
    /// `checkpoints_dir/name`.
    pub fn train(&self, data: &TrainingData, name: &str) -> Result<Forecaster, std::io::Error> {
        self.trained(data, name).map(|trained| trained.forecaster)
    }

    /// [`train`](Self::train), with the loss history and the epoch kept.
    pub(crate) fn trained(
        &self,
        data: &TrainingData,
        name: &str,
    ) -> Result<TrainedModel, std::io::Error> {
        let dir = self.checkpoints_dir.join(name);
        let failed = |message: String| std::io::Error::other(message);
        match train(
            self.config,
            data,
            &self.device,
            &dir,
            &self.control,
            None,
            None,
        ) {
            Ok(TrainingEnd::Finished(trained)) => Ok(*trained),
            Ok(TrainingEnd::Interrupted { .. }) => Err(failed("interrupted".into())),
            Ok(TrainingEnd::Diverged { epoch, loss }) => Err(failed(format!(
                "training diverged at epoch {epoch} (loss {loss}); try a lower [train] lr"
            ))),
            Err(error) => Err(failed(crate::error_text(&error))),
        }
    }
}

/// What a backtest stopped by Ctrl-C says: nothing was written but the folds' checkpoints.
pub(crate) fn backtest_interrupted(run: &RunDir) -> RunOutcome {
    eprintln!(
        "interrupted: no backtest was written ({} holds the folds' checkpoints so far; run the \
         backtest again with --overwrite)",
        run.path().display()
    );
    RunOutcome::Interrupted
}

impl Fit for LearnerFit<'_> {
    type Error = std::io::Error;

    /// Trains the fold's model, its checkpoints in `checkpoints_dir/fold-NN`.
    fn fit(&self, data: &PreparedData, fold: &Fold) -> Result<Forecaster, Self::Error> {
        self.train(
            &data.training_data(),
            &format!("fold-{:02}", fold.index + 1),
        )
    }
}
