//! What the head outputs for each step: a point forecast, or the parameters of a predictive
//! distribution, with the loss each is trained on.
//!
//! Outputs are laid out step by step: `[batch, steps × params]`, a step's parameters adjacent.
//! - `Point`: the value; mean squared error.
//! - `Gaussian`: mean `μ` and a raw scale `r`, `σ = softplus(r) + σ_min`; negative
//!   log-likelihood.
//! - `StudentT`: `μ`, a raw scale and a raw degrees of freedom, `ν = ν_min + softplus(r_ν)`
//!   (at least 2, so the variance exists); negative log-likelihood (DeepAR's default output).
//! - `Quantiles(τ…)`: one value per level `τ`; the mean pinball loss over the levels.

use burn::tensor::activation::softplus;
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// The smallest scale a distribution head can output (in model units), so the likelihood stays
/// finite.
pub const MIN_SCALE: f64 = 1e-3;
/// The fewest degrees of freedom of the Student-t head.
pub const MIN_DEGREES_OF_FREEDOM: f64 = 2.0;

/// The head's output for each step.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputDistribution {
    /// A point forecast (mean squared error).
    #[default]
    Point,
    /// A Gaussian: mean and scale (negative log-likelihood).
    Gaussian,
    /// A Student-t: location, scale and degrees of freedom (negative log-likelihood).
    StudentT,
    /// These quantile levels, ascending in (0, 1) (pinball loss).
    Quantiles(Vec<f64>),
}

impl OutputDistribution {
    /// Outputs per step.
    pub fn params(&self) -> usize {
        match self {
            Self::Point => 1,
            Self::Gaussian => 2,
            Self::StudentT => 3,
            Self::Quantiles(levels) => levels.len(),
        }
    }

    /// Whether parameter `index` of a step moves with the distribution's location, so that a
    /// forecast shifted by `c` shifts it by `c`: a point's value, a Gaussian's or a Student-t's
    /// mean (not their scales or degrees of freedom), every quantile.
    pub fn is_location(&self, index: usize) -> bool {
        match self {
            Self::Point | Self::Quantiles(_) => true,
            Self::Gaussian | Self::StudentT => index == 0,
        }
    }

    /// Whether the head outputs a distribution rather than a point.
    pub fn is_probabilistic(&self) -> bool {
        *self != Self::Point
    }

    /// Parameter `index` of every step: `outputs [batch, steps × params] → [batch, steps]`.
    fn param(&self, outputs: &Tensor<2>, index: usize) -> Tensor<2> {
        let [batch, width] = outputs.dims();
        let params = self.params();
        outputs
            .clone()
            .reshape([batch, width / params, params])
            .narrow(2, index, 1)
            .reshape([batch, width / params])
    }

    /// The point forecast of every step, `[batch, steps]`: the value, the mean (location), or
    /// the quantile nearest the median.
    pub fn point(&self, outputs: Tensor<2>) -> Tensor<2> {
        match self {
            Self::Point => outputs,
            Self::Gaussian | Self::StudentT => self.param(&outputs, 0),
            Self::Quantiles(levels) => self.param(&outputs, median_index(levels)),
        }
    }

    /// `outputs [batch, steps × params]` with `base [batch, steps]` added to each step's
    /// location parameters ([`OutputDistribution::is_location`]): the forecast of a network
    /// that outputs the departure from `base`.
    pub fn add_to_locations(&self, outputs: Tensor<2>, base: Tensor<2>) -> Tensor<2> {
        let [batch, width] = outputs.dims();
        let params = self.params();
        let steps = width / params;
        let shifted: Vec<f32> = (0..params)
            .map(|param| f32::from(u8::from(self.is_location(param))))
            .collect();
        let mask = Tensor::<1>::from_data(TensorData::new(shifted, [params]), &outputs.device())
            .reshape([1, 1, params])
            .expand([batch, steps, params]);
        let base = base
            .reshape([batch, steps, 1])
            .expand([batch, steps, params]);
        outputs + (base * mask).reshape([batch, width])
    }

    /// The mean loss of `outputs [batch, steps × params]` against `targets [batch, steps]`:
    /// MSE, the negative log-likelihood, or the mean pinball loss.
    pub fn loss(&self, outputs: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        match self {
            Self::Point => (outputs - targets).powi_scalar(2).mean(),
            Self::Gaussian => {
                let mean = self.param(&outputs, 0);
                let scale = scale_of(self.param(&outputs, 1));
                let z = (targets - mean) / scale.clone();
                (scale.log() + z.powi_scalar(2) * 0.5 + 0.5 * (2.0 * std::f64::consts::PI).ln())
                    .mean()
            }
            Self::StudentT => {
                let location = self.param(&outputs, 0);
                let scale = scale_of(self.param(&outputs, 1));
                let df = softplus(self.param(&outputs, 2), 1.0) + MIN_DEGREES_OF_FREEDOM;
                let z = (targets - location) / scale.clone();
                let half_df_plus = (df.clone() + 1.0) * 0.5;
                let nll = ln_gamma(df.clone() * 0.5) - ln_gamma(half_df_plus.clone())
                    + (df.clone() * std::f64::consts::PI).log() * 0.5
                    + scale.log()
                    + half_df_plus * (z.powi_scalar(2) / df).log1p();
                nll.mean()
            }
            Self::Quantiles(levels) => {
                let losses: Vec<Tensor<1>> = levels
                    .iter()
                    .enumerate()
                    .map(|(index, tau)| {
                        let miss = targets.clone() - self.param(&outputs, index);
                        let under = miss.clone() * *tau;
                        let over = miss * (*tau - 1.0);
                        under.max_pair(over).mean()
                    })
                    .collect();
                Tensor::cat(losses, 0).mean()
            }
        }
    }
}

/// The position of the level nearest 0.5 among `levels`.
pub fn median_index(levels: &[f64]) -> usize {
    levels
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - 0.5).abs().total_cmp(&(b.1 - 0.5).abs()))
        .map_or(0, |(index, _)| index)
}

/// A scale from its raw output: `softplus(raw) + MIN_SCALE`.
fn scale_of(raw: Tensor<2>) -> Tensor<2> {
    softplus(raw, 1.0) + MIN_SCALE
}

/// The scale of a raw output, `softplus(raw) + MIN_SCALE`, for one value (inference).
pub fn scale_from_raw(raw: f64) -> f64 {
    softplus_f64(raw) + MIN_SCALE
}

/// The Student-t head's degrees of freedom from their raw output.
pub fn degrees_of_freedom_from_raw(raw: f64) -> f64 {
    softplus_f64(raw) + MIN_DEGREES_OF_FREEDOM
}

fn softplus_f64(x: f64) -> f64 {
    // ln(1 + eˣ) without overflow
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// `ln Γ(x)` for `x > 0`, elementwise: shifted by 6 with the recurrence, then Stirling's series
/// to the `x⁻⁵` term (error below 1e-10 from 6 on).
fn ln_gamma(x: Tensor<2>) -> Tensor<2> {
    let mut product = x.clone();
    for shift in 1..6 {
        product = product * (x.clone() + f64::from(shift));
    }
    let z = x + 6.0;
    let inverse = z.clone().recip();
    let inverse_squared = inverse.clone().powi_scalar(2);
    let series = inverse.clone()
        * (inverse_squared.clone() * (inverse_squared * (1.0 / 1260.0) - 1.0 / 360.0) + 1.0 / 12.0);
    (z.clone() - 0.5) * z.clone().log() - z + 0.5 * (2.0 * std::f64::consts::PI).ln() + series
        - product.log()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn tensor(values: &[f32], columns: usize) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len() / columns, columns]),
            &Device::flex(),
        )
    }

    fn scalar(value: Tensor<1>) -> f64 {
        f64::from(value.into_data().try_to_vec::<f32>().unwrap()[0])
    }

    /// The raw output whose scale is `scale`.
    fn raw_scale(scale: f64) -> f32 {
        let softplus = scale - MIN_SCALE;
        (softplus.exp() - 1.0).ln() as f32
    }

    #[test]
    fn gaussian_nll_is_the_closed_form() {
        // μ = 1, σ = 2, y = 4: ln 2 + (1.5²)/2 + ln(2π)/2
        let outputs = tensor(&[1.0, raw_scale(2.0)], 2);
        let nll = scalar(OutputDistribution::Gaussian.loss(outputs, tensor(&[4.0], 1)));
        let expected = 2f64.ln() + 1.5f64.powi(2) / 2.0 + (2.0 * std::f64::consts::PI).ln() / 2.0;
        assert!((nll - expected).abs() < 1e-5, "{nll} vs {expected}");
    }

    #[test]
    fn student_t_nll_is_the_closed_form() {
        // location 1, scale 2, ν = 5, y = 4
        let raw_df = ((5.0 - MIN_DEGREES_OF_FREEDOM).exp() - 1.0).ln() as f32;
        let outputs = tensor(&[1.0, raw_scale(2.0), raw_df], 3);
        let nll = scalar(OutputDistribution::StudentT.loss(outputs, tensor(&[4.0], 1)));
        let t = statrs_free_student_t_log_density(4.0, 1.0, 2.0, 5.0);
        assert!((nll + t).abs() < 1e-4, "{nll} vs {}", -t);
    }

    /// ln of the Student-t density written out: Γ(3) = 2, Γ(2.5) = 1.5·0.5·√π.
    fn statrs_free_student_t_log_density(y: f64, location: f64, scale: f64, df: f64) -> f64 {
        assert_eq!(df, 5.0);
        let gamma_3 = 2.0f64;
        let gamma_2_5 = 1.5 * 0.5 * std::f64::consts::PI.sqrt();
        let z = (y - location) / scale;
        (gamma_3 / gamma_2_5).ln()
            - 0.5 * (df * std::f64::consts::PI).ln()
            - scale.ln()
            - (df + 1.0) / 2.0 * (1.0 + z * z / df).ln()
    }

    #[test]
    fn pinball_loss_by_hand() {
        // levels 0.1 and 0.9, forecasts 8 and 12, target 11: 0.1·3 = 0.3 and 0.1·1 = 0.1
        let distribution = OutputDistribution::Quantiles(vec![0.1, 0.9]);
        let loss = scalar(distribution.loss(tensor(&[8.0, 12.0], 2), tensor(&[11.0], 1)));
        assert!((loss - 0.2).abs() < 1e-6, "{loss}");
    }

    #[test]
    fn a_base_shifts_the_location_parameters_only() {
        let base = tensor(&[10.0, 20.0], 2).reshape([1, 2]);
        let outputs = |params: usize| {
            let values: Vec<f32> = (0..2 * params).map(|v| v as f32).collect();
            tensor(&values, 2 * params).reshape([1, 2 * params])
        };
        let values = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap();
        // two steps: (μ, raw scale) each for a Gaussian, every quantile for quantiles
        let gaussian = OutputDistribution::Gaussian.add_to_locations(outputs(2), base.clone());
        assert_eq!(values(gaussian), [10.0, 1.0, 22.0, 3.0]);
        let student = OutputDistribution::StudentT.add_to_locations(outputs(3), base.clone());
        assert_eq!(values(student), [10.0, 1.0, 2.0, 23.0, 4.0, 5.0]);
        let quantiles = OutputDistribution::Quantiles(vec![0.1, 0.9]);
        let shifted = quantiles.add_to_locations(outputs(2), base.clone());
        assert_eq!(values(shifted), [10.0, 11.0, 22.0, 23.0]);
        let point = OutputDistribution::Point.add_to_locations(outputs(1), base);
        assert_eq!(values(point), [10.0, 21.0]);
    }

    #[test]
    fn points_are_the_mean_or_the_median_quantile() {
        // two steps of a Gaussian: (μ, r) pairs
        let outputs = tensor(&[1.0, 0.0, 2.0, 0.0], 4);
        let point = OutputDistribution::Gaussian.point(outputs);
        assert_eq!(
            point.into_data().try_to_vec::<f32>().unwrap(),
            vec![1.0, 2.0]
        );
        let quantiles = OutputDistribution::Quantiles(vec![0.05, 0.5, 0.95]);
        let point = quantiles.point(tensor(&[1.0, 2.0, 3.0], 3));
        assert_eq!(point.into_data().try_to_vec::<f32>().unwrap(), vec![2.0]);
        assert_eq!(median_index(&[0.1, 0.4, 0.9]), 1);
    }

    #[test]
    fn ln_gamma_matches_known_values() {
        let x = tensor(&[0.5, 1.0, 2.5, 3.0, 10.0], 5);
        let values = ln_gamma(x).into_data().try_to_vec::<f32>().unwrap();
        let expected = [
            std::f64::consts::PI.sqrt().ln(),
            0.0,
            (1.5 * 0.5 * std::f64::consts::PI.sqrt()).ln(),
            2f64.ln(),
            362_880f64.ln(),
        ];
        for (value, expected) in values.iter().zip(expected) {
            assert!(
                (f64::from(*value) - expected).abs() < 1e-4,
                "{value} vs {expected}"
            );
        }
        assert!((scale_from_raw(0.0) - (2f64.ln() + MIN_SCALE)).abs() < 1e-12);
        assert!((degrees_of_freedom_from_raw(-50.0) - 2.0).abs() < 1e-12);
    }
}
