//! An ensemble: several forecasters of one shape, differently initialised and trained apart,
//! whose every output is the median of the members' (the mean of the middle two for an even
//! count). It saves, loads and forecasts like any forecaster.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};

use super::{Forecaster, ForecasterConfig};

/// The configuration of an [`Ensemble`]: `members` forecasters of the configuration `member`.
#[derive(Config, Debug)]
pub struct EnsembleConfig {
    /// Every member's configuration (one family and shape).
    pub member: Box<ForecasterConfig>,
    /// How many members (at least 1).
    pub members: usize,
}

impl EnsembleConfig {
    /// Builds the ensemble on `device`, each member with its own initial weights.
    pub fn init(&self, device: &Device) -> Forecaster {
        let members = (0..self.members.max(1))
            .map(|_| self.member.init(device))
            .collect();
        Forecaster::Ensemble(Ensemble { members })
    }
}

/// Several forecasters of one shape; each output the median of theirs.
#[derive(Module, Debug)]
pub struct Ensemble {
    /// The members (at least one).
    pub members: Vec<Forecaster>,
}

impl Ensemble {
    /// Every member's output for `inputs`, `[batch, output_size × params]` each.
    pub fn member_outputs(&self, inputs: Tensor<3>) -> Vec<Tensor<2>> {
        self.members
            .iter()
            .map(|member| member.forward(inputs.clone()))
            .collect()
    }

    /// The median over the members of each output.
    pub fn forward(&self, inputs: Tensor<3>) -> Tensor<2> {
        median(self.member_outputs(inputs))
    }

    /// The median over the members of each output, each window with its series in its panel
    /// (see [`Forecaster::forward_series`]).
    pub fn forward_series(&self, inputs: Tensor<3>, series: Tensor<1, Int>) -> Tensor<2> {
        median(
            self.members
                .iter()
                .map(|member| member.forward_series(inputs.clone(), series.clone()))
                .collect(),
        )
    }

    /// The first member, which gives the ensemble's shape.
    pub fn first(&self) -> &Forecaster {
        self.members.first().expect("an ensemble has a member")
    }
}

/// The element-wise median of `outputs` (all of one shape, at least one): the middle value, or
/// the mean of the middle two for an even count.
pub fn median(outputs: Vec<Tensor<2>>) -> Tensor<2> {
    let count = outputs.len();
    if count == 1 {
        return outputs.into_iter().next().expect("one output");
    }
    let [batch, width] = outputs[0].dims();
    let sorted = Tensor::stack::<3>(outputs, 0).sort(0);
    let middle = |index: usize| sorted.clone().narrow(0, index, 1).reshape([batch, width]);
    match count % 2 {
        1 => middle(count / 2),
        _ => (middle(count / 2 - 1) + middle(count / 2)) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RnnForecasterConfig;
    use burn::tensor::TensorData;

    fn values(tensor: Tensor<2>) -> Vec<f32> {
        tensor.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn the_median_takes_the_middle_or_the_mean_of_the_middle_two() {
        let device = Device::flex();
        let tensor =
            |v: [f32; 2]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, 2]), &device);
        let odd = median(vec![
            tensor([3.0, -1.0]),
            tensor([1.0, 5.0]),
            tensor([2.0, 0.0]),
        ]);
        assert_eq!(values(odd), [2.0, 0.0]);
        let even = median(vec![tensor([4.0, 1.0]), tensor([1.0, 3.0])]);
        assert_eq!(values(even), [2.5, 2.0]);
    }

    #[test]
    fn an_ensemble_of_identical_members_forecasts_as_one_member() {
        let device = Device::flex();
        let member = RnnForecasterConfig::new(1, 4)
            .with_output_size(2)
            .init(&device);
        let ensemble = Forecaster::Ensemble(Ensemble {
            members: vec![member.clone(), member.clone(), member.clone()],
        });
        let inputs = Tensor::<3>::random(
            [5, 6, 1],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        assert_eq!(
            values(ensemble.forward(inputs.clone())),
            values(member.forward(inputs.clone()))
        );
        // and so does an even count
        let pair = Forecaster::Ensemble(Ensemble {
            members: vec![member.clone(), member.clone()],
        });
        let (a, b) = (
            values(pair.forward(inputs.clone())),
            values(member.forward(inputs)),
        );
        for (a, b) in a.iter().zip(&b) {
            assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} {b}");
        }
    }

    #[test]
    fn members_are_initialised_apart_and_the_config_builds_the_count() {
        let device = Device::flex();
        let config = EnsembleConfig::new(
            Box::new(RnnForecasterConfig::new(1, 4).with_output_size(2).into()),
            3,
        );
        let Forecaster::Ensemble(ensemble) = config.init(&device) else {
            panic!("not an ensemble");
        };
        assert_eq!(ensemble.members.len(), 3);
        let inputs = Tensor::<3>::ones([2, 6, 1], &device);
        let outputs: Vec<Vec<f32>> = ensemble
            .member_outputs(inputs)
            .into_iter()
            .map(values)
            .collect();
        assert_ne!(outputs[0], outputs[1]);
    }
}
