//! The forecaster as the learner trains and validates it.

use burn::module::Module;
use burn::nn::loss::{LpLossConfig, MseLoss, Reduction};
use burn::train::{InferenceStep, RegressionOutput, TrainOutput, TrainStep};
use yoho_data::WindowBatch;
use yoho_model::Forecaster;

use super::pruning::ScaledErrors;
use crate::config::{LossReduction, PointLoss, TrainSection};

/// The forecaster as the learner trains it: on each batch, `[train] loss` (squared or absolute
/// error) for a point head, the negative log-likelihood or pinball loss for a distribution head.
#[derive(Module, Debug)]
pub struct Regressor {
    /// The network being trained.
    pub forecaster: Forecaster,
    /// The point head's errors: squared or absolute.
    #[module(skip)]
    pub loss: PointLoss,
    /// Whether the batch loss sums the errors instead of averaging them.
    #[module(skip)]
    pub sum_loss: bool,
    /// Where the validation steps add their errors in the target's scaled units, for a search
    /// that prunes its trials (`None` elsewhere: nothing is computed).
    #[module(skip)]
    pub scaled_errors: Option<ScaledErrors>,
}

impl Regressor {
    /// `forecaster`, to be trained on the loss `train` names.
    pub fn new(forecaster: Forecaster, train: &TrainSection) -> Self {
        Self {
            forecaster,
            loss: train.loss,
            sum_loss: train.loss_reduction == LossReduction::Sum,
            scaled_errors: None,
        }
    }

    /// The loss of the forecasts against the targets they stand for: squared or absolute error
    /// averaged (or summed) over the batch, or the distribution head's mean loss; a one-step
    /// model of the recursive strategy learns the first of each window's targets.
    fn regression(&self, batch: WindowBatch) -> RegressionOutput {
        let output = self.forecaster.forward_series(batch.inputs, batch.series);
        let targets = batch.targets.narrow(1, 0, self.forecaster.output_size());
        let distribution = self.forecaster.distribution();
        if distribution.is_probabilistic() {
            // the negative log-likelihood or the pinball loss, and the point for the metrics
            let loss = distribution.loss(output.clone(), targets.clone());
            return RegressionOutput::new(loss, distribution.point(output), targets);
        }
        let reduction = if self.sum_loss {
            Reduction::Sum
        } else {
            Reduction::Mean
        };
        let loss = match self.loss {
            PointLoss::Mse => MseLoss::new().forward(output.clone(), targets.clone(), reduction),
            // burn's Lp loss with p = 1: the absolute error
            PointLoss::Mae => {
                LpLossConfig::l1().forward(output.clone(), targets.clone(), reduction)
            }
        };
        RegressionOutput::new(loss, output, targets)
    }
}

impl TrainStep for Regressor {
    type Input = WindowBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: WindowBatch) -> TrainOutput<RegressionOutput> {
        let item = self.regression(batch);
        TrainOutput::new(self, item.loss.backward(), item)
    }
}

impl InferenceStep for Regressor {
    type Input = WindowBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: WindowBatch) -> RegressionOutput {
        let spreads = batch.spreads.clone();
        let item = self.regression(batch);
        if let Some(errors) = &self.scaled_errors {
            errors.add(item.output.clone(), item.targets.clone(), spreads);
        }
        item
    }
}
