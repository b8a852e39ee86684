//! The optimiser and the learning-rate schedule a config names, with PyTorch's semantics.

use burn::optim::decay::WeightDecayConfig;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::optim::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, ModuleOptimizer, SgdConfig};

use crate::config::{LrSchedule, OptimizerName, TrainSection};

/// The learning-rate schedule `train` names, over `steps_per_epoch × epochs` steps.
pub(super) fn lr_scheduler(
    train: &TrainSection,
    steps_per_epoch: usize,
) -> anyhow::Result<ModuleLrScheduler> {
    match train.lr_schedule {
        LrSchedule::Constant => Ok(train.lr.into()),
        LrSchedule::Cosine => {
            CosineAnnealingLrSchedulerConfig::new(train.lr, (steps_per_epoch * train.epochs).max(1))
                .init()
                .map_err(|error| anyhow::anyhow!("[train] lr_schedule = \"cosine\": {error}"))
        }
    }
}

/// The optimiser `train` names, with PyTorch's semantics for its settings.
pub(super) fn optimizer(train: &TrainSection) -> ModuleOptimizer {
    let optimizer = base_optimizer(train);
    if train.grad_clip > 0.0 {
        optimizer.with_grad_clipping(GradientClippingConfig::Norm(train.grad_clip as f32).init())
    } else {
        optimizer
    }
}

fn base_optimizer(train: &TrainSection) -> ModuleOptimizer {
    let weight_decay = train.weight_decay();
    let l2_penalty = (weight_decay > 0.0).then(|| WeightDecayConfig::new(weight_decay as f32));
    match train.optimizer {
        OptimizerName::Adamw => AdamWConfig::new()
            .with_beta_1(train.beta1 as f32)
            .with_beta_2(train.beta2 as f32)
            .with_epsilon(train.eps as f32)
            .with_weight_decay(weight_decay as f32)
            .init(),
        OptimizerName::Adam => AdamConfig::new()
            .with_beta_1(train.beta1 as f32)
            .with_beta_2(train.beta2 as f32)
            .with_epsilon(train.eps as f32)
            .with_weight_decay(l2_penalty)
            .init(),
        OptimizerName::Sgd => SgdConfig::new()
            .with_weight_decay(l2_penalty)
            .with_momentum((train.momentum > 0.0).then(|| {
                // PyTorch's SGD: no dampening, no Nesterov unless asked
                MomentumConfig::new()
                    .with_momentum(train.momentum)
                    .with_dampening(0.0)
            }))
            .init(),
    }
}
