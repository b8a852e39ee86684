//! The exponential-smoothing–recurrent hybrid (`family = "es_rnn"`), after Smyl's ES-RNN (the
//! M4 competition's winner), in additive form.
//!
//! Holt–Winters smoothing runs over each window's target column with learned coefficients: a
//! level `α` and a seasonality `γ`, each in (0, 1), one pair per series of a panel (chosen by
//! the series' index; a single series has one pair). The recurrent network reads the window
//! with its target deseasonalised and measured from the window's last level, `x_t − s_t −
//! ℓ_last`, and forecasts each step in those units; the step's last seasonal index and the last
//! level are added back. So a network that outputs 0 forecasts Holt–Winters' own forecast, and
//! the coefficients are learned jointly with the network through the same loss.
//!
//! Additive smoothing commutes with any affine map of the values, so the hybrid reads whatever
//! the data crate's codec gives it for a level target (scaled, normalised per window) and
//! answers in the same units.
//!
//! The recursion, for a window `x_0 … x_{W−1}` with season `m` (`m = 1`: no seasonality):
//! - start: `ℓ_init` the mean of the first season, `s_j` (`j < m`) the mean over the window's
//!   whole seasons of phase `j`'s deviation from its season's mean (`ℓ_init = x_0` and `s = 0`
//!   without seasonality);
//! - each step: `ℓ_t = α (x_t − s_t) + (1 − α) ℓ_{t−1}`, then
//!   `s_{t+m} = γ (x_t − ℓ_t) + (1 − γ) s_t`;
//! - step `k` (0-based) after the window: `ℓ_{W−1} + s_{W + (k mod m)}` plus the network's
//!   output.
//!
//! Every quantity of the recursion is linear in the window's values, so for given coefficients
//! the smoothing is two matrices per series, which the forward pass computes in f64 outside the
//! autodiff graph with their derivatives in `α` and `γ` and applies as one matrix product per
//! batch (see `EsRnn::smoothing_operators`).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::Forecaster;
use super::rnn::{RnnForecaster, RnnForecasterConfig};
use crate::distribution::OutputDistribution;

/// How close to 0 and 1 a smoothing coefficient may come: each is
/// `ε + (1 − 2ε) · sigmoid(raw)`, strictly inside (0, 1) even where f32's sigmoid rounds to 0
/// or 1.
pub const COEFFICIENT_MARGIN: f64 = 1e-3;

/// Configuration of an [`EsRnn`].
#[derive(Config, Debug)]
pub struct EsRnnConfig {
    /// The recurrent network that forecasts the deseasonalised, level-free window (its
    /// `input_size` is the window's features).
    pub network: RnnForecasterConfig,
    /// The input feature holding the target.
    pub target_index: usize,
    /// Rows per season (1: smoothing of the level only). A window must hold a season.
    #[config(default = 1)]
    pub season: usize,
    /// Series with their own coefficients (a panel's series count; 1 for one series).
    #[config(default = 1)]
    pub series: usize,
    /// The level coefficient `α` every series starts from.
    #[config(default = 0.3)]
    pub initial_level_smoothing: f64,
    /// The seasonal coefficient `γ` every series starts from.
    #[config(default = 0.2)]
    pub initial_season_smoothing: f64,
}

impl EsRnnConfig {
    /// Builds the hybrid on `device`.
    pub fn init(&self, device: &Device) -> Forecaster {
        Forecaster::EsRnn(self.init_es_rnn(device))
    }

    /// Builds the hybrid itself on `device`.
    pub fn init_es_rnn(&self, device: &Device) -> EsRnn {
        let series = self.series.max(1);
        let raw = |coefficient: f64| {
            let value = raw_of(coefficient) as f32;
            Param::from_tensor(Tensor::<1>::from_data(
                TensorData::new(vec![value; series], [series]),
                device,
            ))
        };
        EsRnn {
            level_raw: raw(self.initial_level_smoothing),
            season_raw: raw(self.initial_season_smoothing),
            network: self.network.init_rnn(device),
            target_index: self.target_index,
            season: self.season.max(1),
        }
    }
}

/// The raw parameter whose coefficient is `coefficient` (clamped inside the margin).
fn raw_of(coefficient: f64) -> f64 {
    let inner = (coefficient - COEFFICIENT_MARGIN) / (1.0 - 2.0 * COEFFICIENT_MARGIN);
    let inner = inner.clamp(1e-6, 1.0 - 1e-6);
    (inner / (1.0 - inner)).ln()
}

/// Holt–Winters smoothing coefficients per series, learned with a recurrent network that
/// forecasts what smoothing leaves.
#[derive(Module, Debug)]
pub struct EsRnn {
    /// Raw level coefficients, `[series]`; `α` is their squashed value (see
    /// [`EsRnn::level_smoothing`]).
    pub level_raw: Param<Tensor<1>>,
    /// Raw seasonal coefficients, `[series]`.
    pub season_raw: Param<Tensor<1>>,
    /// The network over the deseasonalised, level-free window.
    pub network: RnnForecaster,
    /// The input feature holding the target.
    #[module(skip)]
    pub(crate) target_index: usize,
    /// Rows per season.
    #[module(skip)]
    pub(crate) season: usize,
}

impl EsRnn {
    /// The level coefficients `α`, `[series]`, each in (0, 1).
    pub fn level_smoothing(&self) -> Tensor<1> {
        squash(self.level_raw.val())
    }

    /// The seasonal coefficients `γ`, `[series]`, each in (0, 1).
    pub fn season_smoothing(&self) -> Tensor<1> {
        squash(self.season_raw.val())
    }

    /// Series with their own coefficients.
    pub fn series_count(&self) -> usize {
        self.level_raw.val().dims()[0]
    }

    /// Values forecast per window.
    pub fn output_size(&self) -> usize {
        self.network.output_size
    }

    /// What the network outputs for each step.
    pub fn distribution(&self) -> &OutputDistribution {
        &self.network.distribution
    }

    /// `[batch, window_len, features] → [batch, output_size × params]`, every window smoothed
    /// with the first series' coefficients.
    pub fn forward(&self, inputs: Tensor<3>) -> Tensor<2> {
        let batch = inputs.dims()[0];
        let device = inputs.device();
        let first = Tensor::<1, Int>::zeros([1], &device);
        self.forward_batch(inputs, first, Tensor::<1, Int>::zeros([batch], &device))
    }

    /// `[batch, window_len, features]` and each window's series index `[batch]` →
    /// `[batch, output_size × params]`.
    pub fn forward_series(&self, inputs: Tensor<3>, series: Tensor<1, Int>) -> Tensor<2> {
        let (used, local) = batch_series(series);
        self.forward_batch(inputs, used, local)
    }

    /// The forward pass of a batch whose windows belong to the series `used` (`[used]`), each
    /// window's place among them `local` (`[batch]`).
    fn forward_batch(
        &self,
        inputs: Tensor<3>,
        used: Tensor<1, Int>,
        local: Tensor<1, Int>,
    ) -> Tensor<2> {
        let [batch, window_len, features] = inputs.dims();
        let target = inputs
            .clone()
            .narrow(2, self.target_index, 1)
            .reshape([batch, 1, window_len]);
        let operators = self.smoothing_operators(window_len, used);
        let (normalised, base) = operators.apply(target, local);
        let normalised = normalised.reshape([batch, window_len]);
        let base = base.reshape([batch, self.output_size()]);
        let network_inputs = replace_feature(inputs, self.target_index, features, normalised);
        let outputs = self.network.forward(network_inputs);
        self.distribution().add_to_locations(outputs, base)
    }

    /// The smoothing of a window of `window_len` rows of each series of `used` (`[used]`, the
    /// series a batch holds) as the linear maps it is (see [`SmoothingOperators`], whose `i`th
    /// maps are `used[i]`'s), with the gradients of its coefficients: the maps are computed in
    /// f64 outside the graph with their derivatives in `α` and `γ`, and a window `x` of series
    /// `s` enters it as `x·M₀ + (α − α₀)·x·∂M/∂α + (γ − γ₀)·x·∂M/∂γ` where `α₀`, `γ₀` are the
    /// coefficients' current values, so the value is `x·M₀` and the gradient exact. Only the
    /// two coefficient differences are in the graph: a few operations per batch instead of
    /// several per step of the recursion, and no gradient of a matrix per window.
    fn smoothing_operators(&self, window_len: usize, used: Tensor<1, Int>) -> SmoothingOperators {
        let device = &used.device();
        let season = match window_len >= self.season {
            true => self.season,
            false => 1,
        };
        let alpha = self.level_smoothing().select(0, used.clone());
        let gamma = self.season_smoothing().select(0, used);
        let host = |coefficients: &Tensor<1>| -> Vec<f64> {
            coefficients
                .clone()
                .into_data()
                .convert::<f64>()
                .try_to_vec::<f64>()
                .expect("coefficients convert to f64")
        };
        let (alphas, gammas) = (host(&alpha), host(&gamma));
        let series = alphas.len();
        let outputs = self.output_size();
        let maps: Vec<HoltWintersMaps> = (alphas.iter().zip(&gammas))
            .map(|(alpha, gamma)| HoltWintersMaps::new(window_len, season, outputs, *alpha, *gamma))
            .collect();
        let stack = |part: fn(&HoltWintersMaps) -> &[f64], columns: usize| {
            let values: Vec<f64> = maps.iter().flat_map(|m| part(m).iter().copied()).collect();
            Tensor::<3>::from_data(
                TensorData::new(values, [series, window_len, columns]),
                device,
            )
        };
        // zero in value, one in derivative
        let nudge = |coefficient: Tensor<1>| coefficient.clone() - coefficient.detach();
        SmoothingOperators {
            normalise: MapsOf {
                value: stack(|m| &m.normalise.value, window_len),
                by_alpha: stack(|m| &m.normalise.by_alpha, window_len),
                by_gamma: stack(|m| &m.normalise.by_gamma, window_len),
            },
            forecast: MapsOf {
                value: stack(|m| &m.forecast.value, outputs),
                by_alpha: stack(|m| &m.forecast.by_alpha, outputs),
                by_gamma: stack(|m| &m.forecast.by_gamma, outputs),
            },
            d_alpha: nudge(alpha),
            d_gamma: nudge(gamma),
        }
    }
}

/// The smoothing of a window as linear maps of its target row `x [1, W]`, one per series:
/// `x · normalise[s]` is the window deseasonalised and measured from its last level, `x −
/// s_t − ℓ_{W−1}` (`[1, W]`), and `x · forecast[s]` Holt–Winters' forecast of each step after
/// it, `ℓ_{W−1} + s_{W + (k mod m)}` (`[1, output_size]`).
struct SmoothingOperators {
    /// `[series, W, W]` each.
    normalise: MapsOf,
    /// `[series, W, output_size]` each.
    forecast: MapsOf,
    /// `α − α₀`, `[series]`: zero, with the gradient of `α`.
    d_alpha: Tensor<1>,
    /// `γ − γ₀`, `[series]`.
    d_gamma: Tensor<1>,
}

/// One of the maps for every series, and its derivatives in `α` and `γ`, outside the graph.
struct MapsOf {
    value: Tensor<3>,
    by_alpha: Tensor<3>,
    by_gamma: Tensor<3>,
}

impl SmoothingOperators {
    /// Both maps applied to each window's target row `target [batch, 1, W]`, each with its
    /// series' maps (`series [batch]`): the normalised window `[batch, 1, W]` and the
    /// forecast `[batch, 1, output_size]`.
    fn apply(&self, target: Tensor<3>, series: Tensor<1, Int>) -> (Tensor<3>, Tensor<3>) {
        let batch = target.dims()[0];
        let of_batch = |difference: &Tensor<1>| {
            difference
                .clone()
                .select(0, series.clone())
                .reshape([batch, 1, 1])
        };
        let linear = |maps: &MapsOf| {
            let times =
                |map: &Tensor<3>| target.clone().matmul(map.clone().select(0, series.clone()));
            times(&maps.value)
                + times(&maps.by_alpha) * of_batch(&self.d_alpha)
                + times(&maps.by_gamma) * of_batch(&self.d_gamma)
        };
        (linear(&self.normalise), linear(&self.forecast))
    }
}

/// One series' smoothing maps (see [`SmoothingOperators`]), computed in f64: each a `[W,
/// columns]` matrix, row-major, with its derivatives in `α` and `γ` (see [`columns_of`]).
struct HoltWintersMaps {
    normalise: Form,
    forecast: Form,
}

/// A quantity of the recursion as a linear form in the window's values, `Σ_j c_j x_j`, with
/// the derivatives of its coefficients in `α` and `γ`; or, flattened, a matrix of such
/// coefficients.
#[derive(Clone)]
struct Form {
    value: Vec<f64>,
    by_alpha: Vec<f64>,
    by_gamma: Vec<f64>,
}

impl Form {
    fn zero(len: usize) -> Self {
        Self {
            value: vec![0.0; len],
            by_alpha: vec![0.0; len],
            by_gamma: vec![0.0; len],
        }
    }

    /// `x_t`.
    fn unit(len: usize, t: usize) -> Self {
        let mut form = Self::zero(len);
        form.value[t] = 1.0;
        form
    }

    /// `self + factor · other`, `factor` a constant.
    fn plus(&self, factor: f64, other: &Self) -> Self {
        let add = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a + factor * b).collect();
        Self {
            value: add(&self.value, &other.value),
            by_alpha: add(&self.by_alpha, &other.by_alpha),
            by_gamma: add(&self.by_gamma, &other.by_gamma),
        }
    }

    /// `c · self + (1 − c) · other` for a coefficient `c` (`α` when `is_alpha`, else `γ`),
    /// with the product rule for the derivative in `c`.
    fn blend(&self, c: f64, other: &Self, is_alpha: bool) -> Self {
        let mix = |a: &[f64], b: &[f64]| -> Vec<f64> {
            a.iter()
                .zip(b)
                .map(|(a, b)| c * a + (1.0 - c) * b)
                .collect()
        };
        let mut blended = Self {
            value: mix(&self.value, &other.value),
            by_alpha: mix(&self.by_alpha, &other.by_alpha),
            by_gamma: mix(&self.by_gamma, &other.by_gamma),
        };
        let by_c = match is_alpha {
            true => &mut blended.by_alpha,
            false => &mut blended.by_gamma,
        };
        for ((d, a), b) in by_c.iter_mut().zip(&self.value).zip(&other.value) {
            *d += a - b;
        }
        blended
    }
}

impl HoltWintersMaps {
    /// The maps of a window of `window_len` rows with season `season` (1: the level alone),
    /// `outputs` steps ahead, for coefficients `alpha` and `gamma`: the recursion of the
    /// [module](self) documentation run on linear forms.
    fn new(window_len: usize, season: usize, outputs: usize, alpha: f64, gamma: f64) -> Self {
        let w = window_len;
        let (mut level, mut seasonal) = match season {
            1 => (Form::unit(w, 0), vec![Form::zero(w)]),
            _ => initial_state(w, season),
        };
        for t in 0..w {
            let x = Form::unit(w, t);
            let index = seasonal[t].clone();
            level = x.plus(-1.0, &index).blend(alpha, &level, true);
            seasonal.push(match season {
                1 => index,
                _ => x.plus(-1.0, &level).blend(gamma, &index, false),
            });
        }
        let normalised: Vec<Form> = (0..w)
            .map(|t| Form::unit(w, t).plus(-1.0, &seasonal[t]).plus(-1.0, &level))
            .collect();
        let forecasts: Vec<Form> = (0..outputs)
            .map(|k| level.plus(1.0, &seasonal[w + k % season]))
            .collect();
        Self {
            normalise: columns_of(&normalised, w),
            forecast: columns_of(&forecasts, w),
        }
    }
}

/// The level (the mean of the first season) and seasonal indices (each phase's mean deviation
/// from its season's mean over the window's whole seasons) the recursion starts from.
fn initial_state(window_len: usize, season: usize) -> (Form, Vec<Form>) {
    let mut level = Form::zero(window_len);
    for j in 0..season {
        level.value[j] = 1.0 / season as f64;
    }
    let seasons = window_len / season;
    let indices = (0..season)
        .map(|phase| {
            let mut index = Form::zero(window_len);
            for k in 0..seasons {
                for j in 0..season {
                    index.value[k * season + j] -= 1.0 / (seasons * season) as f64;
                }
                index.value[k * season + phase] += 1.0 / seasons as f64;
            }
            index
        })
        .collect();
    (level, indices)
}

/// The `[W, forms]` matrix (row-major) whose column `i` holds the coefficients of `forms[i]`,
/// with their derivatives.
fn columns_of(forms: &[Form], window_len: usize) -> Form {
    let matrix = |part: fn(&Form) -> &Vec<f64>| {
        let mut values = vec![0.0; window_len * forms.len()];
        for (column, form) in forms.iter().enumerate() {
            for (row, value) in part(form).iter().enumerate() {
                values[row * forms.len() + column] = *value;
            }
        }
        values
    };
    Form {
        value: matrix(|f| &f.value),
        by_alpha: matrix(|f| &f.by_alpha),
        by_gamma: matrix(|f| &f.by_gamma),
    }
}

/// The distinct series of a batch's windows (`series [batch]`), ascending (`[used]`), and each
/// window's place among them (`[batch]`): the batch needs the maps of those series alone, not
/// of every series of the panel.
fn batch_series(series: Tensor<1, Int>) -> (Tensor<1, Int>, Tensor<1, Int>) {
    let device = series.device();
    let indices: Vec<i64> = (series.into_data().convert::<i64>().try_to_vec::<i64>())
        .expect("series indices convert to i64");
    let mut used = indices.clone();
    used.sort_unstable();
    used.dedup();
    let local: Vec<i64> = (indices.iter())
        .map(|index| used.binary_search(index).expect("every index is used") as i64)
        .collect();
    let tensor = |values: Vec<i64>| {
        let len = values.len();
        Tensor::<1, Int>::from_data(TensorData::new(values, [len]), &device)
    };
    (tensor(used), tensor(local))
}

/// `ε + (1 − 2ε) · sigmoid(raw)`.
fn squash(raw: Tensor<1>) -> Tensor<1> {
    sigmoid(raw) * (1.0 - 2.0 * COEFFICIENT_MARGIN) + COEFFICIENT_MARGIN
}

/// `inputs [batch, W, features]` with feature `index` replaced by `column [batch, W]`.
fn replace_feature(
    inputs: Tensor<3>,
    index: usize,
    features: usize,
    column: Tensor<2>,
) -> Tensor<3> {
    let [batch, window_len, _] = inputs.dims();
    let column = column.reshape([batch, window_len, 1]);
    let mut parts = Vec::with_capacity(3);
    if index > 0 {
        parts.push(inputs.clone().narrow(2, 0, index));
    }
    parts.push(column);
    if index + 1 < features {
        parts.push(inputs.narrow(2, index + 1, features - index - 1));
    }
    Tensor::cat(parts, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
        tensor.into_data().try_to_vec::<f32>().unwrap()
    }

    /// Holt–Winters by hand in f64, as the module doc states it: (last level, seasonal indices).
    fn reference(x: &[f64], season: usize, alpha: f64, gamma: f64) -> (f64, Vec<f64>) {
        let (mut level, mut seasonal) = if season > 1 {
            let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
            let seasons: Vec<&[f64]> = x.chunks_exact(season).collect();
            let indices = (0..season)
                .map(|j| mean(&seasons.iter().map(|s| s[j] - mean(s)).collect::<Vec<_>>()))
                .collect();
            (mean(&x[..season]), indices)
        } else {
            (x[0], vec![0.0])
        };
        for (t, value) in x.iter().enumerate() {
            let index = seasonal[t];
            level = alpha * (value - index) + (1.0 - alpha) * level;
            seasonal.push(if season > 1 {
                gamma * (value - level) + (1.0 - gamma) * index
            } else {
                index
            });
        }
        seasonal.truncate(x.len() + season);
        (level, seasonal)
    }

    fn hybrid(season: usize, output_size: usize, device: &Device) -> EsRnn {
        EsRnnConfig::new(
            RnnForecasterConfig::new(1, 4).with_output_size(output_size),
            0,
        )
        .with_season(season)
        .with_initial_level_smoothing(0.4)
        .with_initial_season_smoothing(0.25)
        .init_es_rnn(device)
    }

    #[test]
    fn the_network_reads_the_smoothed_window_and_holt_winters_forecast_is_added_back() {
        let device = Device::flex();
        let short = vec![3.0f32, 5.0, 9.0, 4.0, 3.5, 5.5, 8.0, 4.5, 3.0, 6.0];
        let long: Vec<f32> = (0..23)
            .map(|t| (t as f32 * 0.9).sin() * 3.0 + t as f32 * 0.2 + (t % 5) as f32)
            .collect();
        for (window, season) in [
            (&short, 1),
            (&short, 4),
            (&long, 5),
            (&long, 1),
            (&long, 23),
        ] {
            let as_input = |values: Vec<f32>| {
                Tensor::<3>::from_data(TensorData::new(values, [1, window.len(), 1]), &device)
            };
            let model = hybrid(season, 6, &device);
            let x: Vec<f64> = window.iter().map(|v| f64::from(*v)).collect();
            let (level, seasonal) = reference(&x, season, 0.4, 0.25);
            let normalised: Vec<f32> = (x.iter().zip(&seasonal))
                .map(|(value, index)| (value - index - level) as f32)
                .collect();
            let network = values(model.network.forward(as_input(normalised)));
            let forecast = values(model.forward(as_input(window.to_vec())));
            for (step, value) in forecast.iter().enumerate() {
                let expected =
                    f64::from(network[step]) + level + seasonal[window.len() + step % season];
                assert!(
                    (f64::from(*value) - expected).abs() < 1e-4 * (1.0 + expected.abs()),
                    "window {} season {season} step {step}: {value} against {expected}",
                    window.len()
                );
            }
        }
    }

    #[test]
    fn coefficients_stay_inside_zero_and_one_whatever_the_raw_parameters() {
        let device = Device::flex();
        let mut model = hybrid(4, 2, &device);
        let extremes = [-1e4f32, -60.0, 0.0, 60.0, 1e4];
        let raw = Param::from_tensor(Tensor::<1>::from_data(
            TensorData::new(extremes.to_vec(), [extremes.len()]),
            &device,
        ));
        model.level_raw = raw.clone();
        model.season_raw = raw;
        for coefficients in [model.level_smoothing(), model.season_smoothing()] {
            for value in values(coefficients) {
                assert!(value > 0.0 && value < 1.0, "{value}");
            }
        }
        for coefficient in [0.01, 0.3, 0.9] {
            let back = values(squash(tensor1(&[raw_of(coefficient) as f32], &device)))[0];
            assert!(
                (f64::from(back) - coefficient).abs() < 1e-5,
                "{coefficient}: {back}"
            );
        }
    }

    #[test]
    fn each_series_uses_its_own_coefficients() {
        let device = Device::flex();
        let mut config = EsRnnConfig::new(RnnForecasterConfig::new(1, 4).with_output_size(2), 0)
            .with_season(2)
            .with_series(2);
        config.initial_level_smoothing = 0.5;
        let mut model = config.init_es_rnn(&device);
        model.level_raw = Param::from_tensor(tensor1(&[0.0, 3.0], &device));
        let window: Vec<f32> = vec![1.0, 4.0, 2.0, 6.0, 1.5, 5.0];
        let inputs = Tensor::<3>::from_data(
            TensorData::new([window.clone(), window].concat(), [2, 6, 1]),
            &device,
        );
        let both = values(model.forward_series(
            inputs.clone(),
            Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1], [2]), &device),
        ));
        assert_ne!(both[0..2], both[2..4]);
        let first = values(model.forward(inputs.clone()));
        assert_eq!(first[0..2], both[0..2]);
        assert_eq!(first[2..4], both[0..2]);
        // a batch of the second series alone is smoothed with its coefficients, not the first's
        let second = values(model.forward_series(
            inputs,
            Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 1], [2]), &device),
        ));
        assert_eq!(second[0..2], both[2..4]);
        assert_eq!(second[2..4], both[2..4]);
    }

    #[test]
    fn a_batch_computes_the_maps_of_its_own_series_alone() {
        let device = Device::flex();
        let series =
            Tensor::<1, Int>::from_data(TensorData::new(vec![7i64, 2, 7, 4], [4]), &device);
        let (used, local) = batch_series(series);
        let ints = |tensor: Tensor<1, Int>| tensor.into_data().convert::<i64>().try_to_vec::<i64>();
        assert_eq!(ints(used).unwrap(), [2, 4, 7]);
        assert_eq!(ints(local).unwrap(), [2, 0, 2, 1]);
    }

    fn tensor1(values: &[f32], device: &Device) -> Tensor<1> {
        Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), device)
    }
}
