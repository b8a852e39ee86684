//! A forecaster that reads only the newest rows of each window (its lookback), as N-BEATS
//! ensembles networks of several lookbacks over one series: the window holds the longest, and
//! each member sees as much of it as its lookback says. Members of different lookbacks err
//! differently, which is what an ensemble's median gains from.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};

use super::{Forecaster, ForecasterConfig, SeasonalMlpConfig};
use crate::distribution::OutputDistribution;

/// Configuration of a [`Lookback`].
#[derive(Config, Debug)]
pub struct LookbackConfig {
    /// The forecaster that reads the rows.
    pub inner: Box<ForecasterConfig>,
    /// Rows it reads, the newest of each window (at least 1; a window shorter than this is read
    /// whole).
    pub rows: usize,
}

impl LookbackConfig {
    /// Builds the forecaster on `device`; a perceptron, whose input size is its window's, is
    /// built for the `rows` it is given, whatever window its own config names.
    pub fn init(&self, device: &Device) -> Forecaster {
        let rows = self.rows.max(1);
        let inner = match self.inner.as_ref() {
            ForecasterConfig::SeasonalMlp(mlp) => {
                ForecasterConfig::SeasonalMlp(SeasonalMlpConfig {
                    window_len: rows,
                    ..mlp.clone()
                })
            }
            other => other.clone(),
        };
        Forecaster::Lookback(Lookback {
            inner: vec![inner.init(device)],
            rows,
        })
    }
}

/// A forecaster reading the newest `rows` rows of each window.
#[derive(Module, Debug)]
pub struct Lookback {
    /// The forecaster, alone in the list (Burn's module derive cannot see through a `Box`).
    pub inner: Vec<Forecaster>,
    /// Rows it reads.
    #[module(skip)]
    pub(crate) rows: usize,
}

impl Lookback {
    /// The forecaster that reads the rows.
    pub fn inner(&self) -> &Forecaster {
        self.inner.first().expect("a lookback wraps a forecaster")
    }

    /// Rows it reads, the newest of each window.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The newest `rows` rows of `inputs`, `[batch, window_len, features]`.
    fn newest(&self, inputs: Tensor<3>) -> Tensor<3> {
        let [_, window_len, _] = inputs.dims();
        let rows = self.rows.min(window_len);
        inputs.narrow(1, window_len - rows, rows)
    }

    /// `[batch, window_len, features] → [batch, output_size × params]`, from the newest rows.
    pub fn forward(&self, inputs: Tensor<3>) -> Tensor<2> {
        self.inner().forward(self.newest(inputs))
    }

    /// [`Lookback::forward`] with each window's series (see [`Forecaster::forward_series`]).
    pub fn forward_series(&self, inputs: Tensor<3>, series: Tensor<1, Int>) -> Tensor<2> {
        self.inner().forward_series(self.newest(inputs), series)
    }

    /// Values forecast per window.
    pub fn output_size(&self) -> usize {
        self.inner().output_size()
    }

    /// What it outputs for each step.
    pub fn distribution(&self) -> &OutputDistribution {
        self.inner().distribution()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RnnForecasterConfig;
    use crate::forecaster::testing::values;
    use burn::tensor::TensorData;

    #[test]
    fn it_forecasts_from_its_newest_rows_alone() {
        let device = Device::flex();
        let network: ForecasterConfig = RnnForecasterConfig::new(1, 4).with_output_size(2).into();
        let Forecaster::Lookback(lookback) =
            LookbackConfig::new(Box::new(network), 3).init(&device)
        else {
            panic!("not a lookback");
        };
        let window = |first: f32| {
            let rows = vec![first, first, 0.5, -0.2, 1.0, 0.3];
            Tensor::<3>::from_data(TensorData::new(rows, [1, 6, 1]), &device)
        };
        let newest =
            Tensor::<3>::from_data(TensorData::new(vec![-0.2, 1.0, 0.3], [1, 3, 1]), &device);
        let expected = values(lookback.inner().forward(newest));
        assert_eq!(values(lookback.forward(window(0.0))), expected);
        // rows older than its lookback do not move its forecast
        assert_eq!(values(lookback.forward(window(9.0))), expected);
        assert_eq!(lookback.output_size(), 2);
        // a window shorter than the lookback is read whole
        let short = Tensor::<3>::from_data(TensorData::new(vec![1.0, 0.3], [1, 2, 1]), &device);
        let whole = values(lookback.inner().forward(short.clone()));
        assert_eq!(values(lookback.forward(short)), whole);
    }

    #[test]
    fn a_perceptron_is_built_for_the_rows_it_reads() {
        let device = Device::flex();
        // configured for the whole window of 6 rows, it reads the newest 4
        let mlp = SeasonalMlpConfig::new(1, 6, 0, vec![3]).with_output_size(2);
        let network = ForecasterConfig::SeasonalMlp(mlp);
        let Forecaster::Lookback(lookback) =
            LookbackConfig::new(Box::new(network), 4).init(&device)
        else {
            panic!("not a lookback");
        };
        let rows = vec![9.0, 9.0, 0.5, -0.2, 1.0, 0.3];
        let window = Tensor::<3>::from_data(TensorData::new(rows, [1, 6, 1]), &device);
        let newest = Tensor::<3>::from_data(
            TensorData::new(vec![0.5, -0.2, 1.0, 0.3], [1, 4, 1]),
            &device,
        );
        let expected = values(lookback.inner().forward(newest));
        assert_eq!(values(lookback.forward(window)), expected);
    }
}
