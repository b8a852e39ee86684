//! The forecaster as the learner trains and validates it.

use burn::module::Module;
use burn::nn::loss::{MseLoss, Reduction};
use burn::tensor::Tensor;
use burn::train::{InferenceStep, RegressionOutput, TrainOutput, TrainStep};
use yoho_data::WindowBatch;
use yoho_model::Forecaster;

/// The forecaster as the learner trains it: on each batch, MSE for a point head, the negative
/// log-likelihood or pinball loss for a distribution head.
#[derive(Module, Debug)]
pub struct Regressor {
    /// The network being trained.
    pub forecaster: Forecaster,
    /// Whether the batch loss sums the squared errors instead of averaging them.
    #[module(skip)]
    pub sum_loss: bool,
}

impl Regressor {
    /// The loss of the forecasts against the targets they stand for: squared error averaged (or
    /// summed) over the batch, or the distribution head's mean loss; a one-step model of the
    /// recursive strategy learns the first of each window's targets.
    ///
    /// Training (`each_member`) fits every member of an ensemble to the targets on its own: the
    /// loss is the members' mean loss (one member's for a single network). Validation measures
    /// the forecaster as it forecasts: an ensemble by its median.
    fn regression(&self, batch: WindowBatch, each_member: bool) -> RegressionOutput {
        let targets = batch.targets.narrow(1, 0, self.forecaster.output_size());
        let outputs = match each_member {
            true => self.forecaster.member_outputs(batch.inputs),
            false => vec![self.forecaster.forward(batch.inputs)],
        };
        let count = outputs.len();
        let point = |output: Tensor<2>| self.forecaster.distribution().point(output);
        let mut losses = outputs
            .iter()
            .map(|output| self.loss(output.clone(), targets.clone()));
        let first = losses.next().expect("a forecaster has a member");
        let loss = losses.fold(first, |sum, loss| sum + loss) / count as f32;
        let output = match each_member && count > 1 {
            true => point(yoho_model::forecaster::ensemble::median(outputs)),
            false => point(outputs.into_iter().next().expect("one output")),
        };
        RegressionOutput::new(loss, output, targets)
    }

    /// One output's loss against `targets`: the distribution head's, or the squared error.
    fn loss(&self, output: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        let distribution = self.forecaster.distribution();
        if distribution.is_probabilistic() {
            // the negative log-likelihood or the pinball loss
            return distribution.loss(output, targets);
        }
        let reduction = if self.sum_loss {
            Reduction::Sum
        } else {
            Reduction::Mean
        };
        MseLoss::new().forward(output, targets, reduction)
    }
}

impl TrainStep for Regressor {
    type Input = WindowBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: WindowBatch) -> TrainOutput<RegressionOutput> {
        let item = self.regression(batch, true);
        TrainOutput::new(self, item.loss.backward(), item)
    }
}

impl InferenceStep for Regressor {
    type Input = WindowBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: WindowBatch) -> RegressionOutput {
        self.regression(batch, false)
    }
}
