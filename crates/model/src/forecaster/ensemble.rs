//! An ensemble: several forecasters, differently initialised and trained apart, whose every
//! output is the median of the members' (the mean of the middle two for an even count). It
//! saves, loads and forecasts like any forecaster. Its members may be of different families
//! (reading the same inputs and forecasting the same steps), ensembles themselves among them.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};

use super::{Forecaster, ForecasterConfig};

/// The configuration of an [`Ensemble`]: `members` forecasters of the configuration `member`,
/// then one of each of `others`.
#[derive(Config, Debug)]
pub struct EnsembleConfig {
    /// The configuration of the first `members` members.
    pub member: Box<ForecasterConfig>,
    /// How many members of `member` (at least 1).
    pub members: usize,
    /// Members of other configurations after them, one each: an ensemble of families (each
    /// reading the same inputs and forecasting the same steps as `member`).
    #[config(default = "Vec::new()")]
    pub others: Vec<ForecasterConfig>,
}

impl EnsembleConfig {
    /// Builds the ensemble on `device`, each member with its own initial weights.
    pub fn init(&self, device: &Device) -> Forecaster {
        let members = (0..self.members.max(1))
            .map(|_| self.member.init(device))
            .chain(self.others.iter().map(|other| other.init(device)))
            .collect();
        Forecaster::Ensemble(Ensemble { members })
    }

    /// Networks in all, counting those of members that are ensembles themselves.
    pub fn network_count(&self) -> usize {
        self.members.max(1) * self.member.network_count()
            + self
                .others
                .iter()
                .map(ForecasterConfig::network_count)
                .sum::<usize>()
    }
}

/// Several forecasters of one output shape; each output the median of theirs.
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

    /// The most series any member has parameters of its own for (see
    /// [`Forecaster::series_count`]); `None` when no member has any.
    pub fn series_count(&self) -> Option<usize> {
        self.members
            .iter()
            .filter_map(Forecaster::series_count)
            .max()
    }

    /// Networks in all, counting those of members that are ensembles themselves.
    pub fn network_count(&self) -> usize {
        (self.members.iter())
            .map(|member| match member {
                Forecaster::Ensemble(ensemble) => ensemble.network_count(),
                _ => 1,
            })
            .sum()
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

    #[test]
    fn an_ensemble_of_families_builds_each_and_knows_the_hybrids_series() {
        let device = Device::flex();
        let network = || RnnForecasterConfig::new(1, 4).with_output_size(2);
        let hybrids = EnsembleConfig::new(
            Box::new(ForecasterConfig::EsRnn(
                crate::EsRnnConfig::new(network(), 0).with_series(5),
            )),
            2,
        );
        let seasonal = crate::SeasonalRnnConfig::new(network(), 0).with_season(3);
        let config = EnsembleConfig::new(Box::new(ForecasterConfig::SeasonalRnn(seasonal)), 1)
            .with_others(vec![ForecasterConfig::Ensemble(hybrids)]);
        assert_eq!((1 + config.others.len(), config.network_count()), (2, 3));
        let model = config.init(&device);
        let Forecaster::Ensemble(ensemble) = &model else {
            panic!("not an ensemble");
        };
        assert!(matches!(ensemble.members[0], Forecaster::SeasonalRnn(_)));
        assert!(
            matches!(&ensemble.members[1], Forecaster::Ensemble(inner) if inner.members.len() == 2)
        );
        assert_eq!(ensemble.network_count(), 3);
        // the hybrids' coefficients are per series, wherever they sit in the ensemble
        assert_eq!(model.series_count(), Some(5));
        // two members: the mean of the seasonal network's and the hybrids' median
        let inputs = Tensor::<3>::ones([4, 6, 1], &device);
        let outputs = ensemble.member_outputs(inputs.clone());
        let mean = values((outputs[0].clone() + outputs[1].clone()) / 2.0);
        for (a, b) in values(model.forward(inputs)).iter().zip(&mean) {
            assert!((a - b).abs() <= 1e-6, "{a} {b}");
        }
    }

    #[test]
    fn an_ensemble_of_families_round_trips_through_json() {
        let network = RnnForecasterConfig::new(1, 4).with_output_size(2);
        let seasonal = crate::SeasonalRnnConfig::new(network.clone(), 0).with_season(3);
        let config = EnsembleConfig::new(Box::new(network.into()), 2)
            .with_others(vec![ForecasterConfig::SeasonalRnn(seasonal)]);
        let json = burn::config::config_to_json(&config);
        let back: EnsembleConfig = serde_json::from_str(&json).unwrap();
        assert_eq!((back.members, back.network_count()), (2, 3));
        assert!(matches!(
            &back.others[0],
            ForecasterConfig::SeasonalRnn(seasonal) if seasonal.season == 3
        ));
    }
}
