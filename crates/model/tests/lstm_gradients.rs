//! Gradients in f64 against central finite differences: the fused LSTM's and GRU's (and the
//! LSTM's against the backpropagation-through-time equations of the NumPy article written out
//! by hand), and the ES-RNN hybrid's smoothing coefficients.
//!
//! This file is its own test binary: the CPU device is switched to f64 before any tensor
//! exists, which Burn allows once per process.

use burn::module::Param;
use burn::tensor::{Device, FloatDType, Gradients, Tensor, TensorData};
use yoho_model::{CellKind, RecurrentConfig, RecurrentLayer};

const INPUT: usize = 2;
const HIDDEN: usize = 3;
const STEPS: usize = 4;
const BATCH: usize = 2;

/// Deterministic values in (−0.8, 0.8).
fn values(count: usize, salt: u64) -> Vec<f64> {
    (0..count as u64)
        .map(|i| {
            let x = (i * 7919 + salt * 104_729) % 1000;
            (x as f64 / 1000.0 - 0.5) * 1.6
        })
        .collect()
}

/// The parameters of one LSTM layer, row-major in PyTorch's layout (gates i, f, g, o).
#[derive(Clone, Debug)]
struct Weights {
    weight_ih: Vec<f64>, // [4H, F]
    weight_hh: Vec<f64>, // [4H, H]
    bias_ih: Vec<f64>,   // [4H]
    bias_hh: Vec<f64>,   // [4H]
}

impl Weights {
    fn sample() -> Self {
        Self {
            weight_ih: values(4 * HIDDEN * INPUT, 1),
            weight_hh: values(4 * HIDDEN * HIDDEN, 2),
            bias_ih: values(4 * HIDDEN, 3),
            bias_hh: values(4 * HIDDEN, 4),
        }
    }

    fn all_mut(&mut self) -> [&mut Vec<f64>; 4] {
        [
            &mut self.weight_ih,
            &mut self.weight_hh,
            &mut self.bias_ih,
            &mut self.bias_hh,
        ]
    }

    fn layer(&self, device: &Device) -> RecurrentLayer {
        let mut layer = RecurrentConfig::new(CellKind::Lstm, INPUT, HIDDEN)
            .init(device)
            .layers
            .remove(0);
        let matrix = |data: &[f64], columns: usize| {
            Param::from_tensor(Tensor::<2>::from_data(
                TensorData::new(data.to_vec(), [data.len() / columns, columns]),
                device,
            ))
        };
        let vector = |data: &[f64]| {
            Param::from_tensor(Tensor::<1>::from_data(
                TensorData::new(data.to_vec(), [data.len()]),
                device,
            ))
        };
        layer.weight_ih = matrix(&self.weight_ih, INPUT);
        layer.weight_hh = matrix(&self.weight_hh, HIDDEN);
        layer.bias_ih = vector(&self.bias_ih);
        layer.bias_hh = vector(&self.bias_hh);
        layer
    }
}

/// Inputs `[batch, time, features]`, and the loss weights applied to the last hidden state.
struct Problem {
    inputs: Vec<f64>,
    loss_weights: Vec<f64>,
}

impl Problem {
    fn new() -> Self {
        Self {
            inputs: values(BATCH * STEPS * INPUT, 5),
            loss_weights: values(BATCH * HIDDEN, 6),
        }
    }

    /// `loss = Σ loss_weights · h_T` through Yoho's layer.
    fn loss(&self, layer: &RecurrentLayer, device: &Device) -> Tensor<1> {
        let stack = yoho_model::Recurrent {
            layers: vec![layer.clone()],
            dropout: burn::nn::DropoutConfig::new(0.0).init(),
        };
        let inputs = Tensor::<3>::from_data(
            TensorData::new(self.inputs.clone(), [BATCH, STEPS, INPUT]),
            device,
        );
        let weights = Tensor::<2>::from_data(
            TensorData::new(self.loss_weights.clone(), [BATCH, HIDDEN]),
            device,
        );
        (stack.forward_last(inputs) * weights).sum()
    }

    fn loss_value(&self, weights: &Weights, device: &Device) -> f64 {
        let data = self.loss(&weights.layer(device), device).into_data();
        data.try_to_vec::<f64>().unwrap()[0]
    }

    fn input(&self, b: usize, t: usize) -> &[f64] {
        let start = (b * STEPS + t) * INPUT;
        &self.inputs[start..start + INPUT]
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `matrix [rows, columns] · vector`.
fn times(matrix: &[f64], columns: usize, vector: &[f64]) -> Vec<f64> {
    matrix
        .chunks(columns)
        .map(|row| row.iter().zip(vector).map(|(a, b)| a * b).sum())
        .collect()
}

/// One window's forward pass, keeping what the backward pass needs.
struct Step {
    input: Vec<f64>,
    previous_hidden: Vec<f64>,
    previous_cell: Vec<f64>,
    /// Activated gates i, f, g, o, each `[H]`.
    gates: [Vec<f64>; 4],
    cell: Vec<f64>,
}

/// The NumPy article's backpropagation through time, gate by gate, for every window of the
/// batch; returns the gradients in the layout of [`Weights`].
fn hand_derived_gradients(weights: &Weights, problem: &Problem) -> Weights {
    let mut grads = Weights {
        weight_ih: vec![0.0; weights.weight_ih.len()],
        weight_hh: vec![0.0; weights.weight_hh.len()],
        bias_ih: vec![0.0; weights.bias_ih.len()],
        bias_hh: vec![0.0; weights.bias_hh.len()],
    };
    for b in 0..BATCH {
        // forward
        let mut hidden = vec![0.0; HIDDEN];
        let mut cell = vec![0.0; HIDDEN];
        let mut steps = Vec::new();
        for t in 0..STEPS {
            let x = problem.input(b, t);
            let from_input = times(&weights.weight_ih, INPUT, x);
            let from_hidden = times(&weights.weight_hh, HIDDEN, &hidden);
            let z: Vec<f64> = (0..4 * HIDDEN)
                .map(|k| from_input[k] + from_hidden[k] + weights.bias_ih[k] + weights.bias_hh[k])
                .collect();
            let block = |index: usize| z[index * HIDDEN..(index + 1) * HIDDEN].to_vec();
            let input_gate: Vec<f64> = block(0).into_iter().map(sigmoid).collect();
            let forget_gate: Vec<f64> = block(1).into_iter().map(sigmoid).collect();
            let candidate: Vec<f64> = block(2).into_iter().map(f64::tanh).collect();
            let output_gate: Vec<f64> = block(3).into_iter().map(sigmoid).collect();
            let next_cell: Vec<f64> = (0..HIDDEN)
                .map(|j| forget_gate[j] * cell[j] + input_gate[j] * candidate[j])
                .collect();
            let next_hidden: Vec<f64> = (0..HIDDEN)
                .map(|j| output_gate[j] * next_cell[j].tanh())
                .collect();
            steps.push(Step {
                input: x.to_vec(),
                previous_hidden: hidden,
                previous_cell: cell,
                gates: [input_gate, forget_gate, candidate, output_gate],
                cell: next_cell.clone(),
            });
            hidden = next_hidden;
            cell = next_cell;
        }
        // backward: dL/dh_T is the loss weights; nothing flows in after the last step
        let mut d_hidden: Vec<f64> = problem.loss_weights[b * HIDDEN..(b + 1) * HIDDEN].to_vec();
        let mut d_cell_next = vec![0.0; HIDDEN];
        for step in steps.iter().rev() {
            let [i, f, g, o] = &step.gates;
            let mut d_z = [0.0; 4 * HIDDEN];
            let mut d_cell_previous = vec![0.0; HIDDEN];
            for j in 0..HIDDEN {
                let tanh_cell = step.cell[j].tanh();
                // output gate: h = o · tanh(c)
                let d_output = d_hidden[j] * tanh_cell * o[j] * (1.0 - o[j]);
                // the cell receives from h and from the next step's cell
                let d_c = d_hidden[j] * o[j] * (1.0 - tanh_cell * tanh_cell) + d_cell_next[j];
                // c = f · c_prev + i · g
                let d_input = d_c * g[j] * i[j] * (1.0 - i[j]);
                let d_candidate = d_c * i[j] * (1.0 - g[j] * g[j]);
                let d_forget = d_c * step.previous_cell[j] * f[j] * (1.0 - f[j]);
                d_z[j] = d_input;
                d_z[HIDDEN + j] = d_forget;
                d_z[2 * HIDDEN + j] = d_candidate;
                d_z[3 * HIDDEN + j] = d_output;
                d_cell_previous[j] = d_c * f[j];
            }
            for (k, dz) in d_z.iter().enumerate() {
                for (column, x) in step.input.iter().enumerate() {
                    grads.weight_ih[k * INPUT + column] += dz * x;
                }
                for (column, h) in step.previous_hidden.iter().enumerate() {
                    grads.weight_hh[k * HIDDEN + column] += dz * h;
                }
                grads.bias_ih[k] += dz;
                grads.bias_hh[k] += dz;
            }
            // dL/dh_{t-1} = W_hhᵀ · dz
            d_hidden = (0..HIDDEN)
                .map(|column| {
                    (0..4 * HIDDEN)
                        .map(|k| weights.weight_hh[k * HIDDEN + column] * d_z[k])
                        .sum()
                })
                .collect();
            d_cell_next = d_cell_previous;
        }
    }
    grads
}

/// One parameter's gradient, flattened.
fn gradient<const D: usize>(parameter: &Param<Tensor<D>>, grads: &Gradients) -> Vec<f64> {
    parameter
        .grad(grads)
        .expect("every weight has a gradient")
        .into_data()
        .try_to_vec()
        .unwrap()
}

/// Burn's autodiff gradients of the fused layer.
fn autodiff_gradients(weights: &Weights, problem: &Problem, device: &Device) -> Weights {
    let training = device.clone().autodiff();
    let layer = weights.layer(&training);
    let grads = problem.loss(&layer, &training).backward();
    Weights {
        weight_ih: gradient(&layer.weight_ih, &grads),
        weight_hh: gradient(&layer.weight_hh, &grads),
        bias_ih: gradient(&layer.bias_ih, &grads),
        bias_hh: gradient(&layer.bias_hh, &grads),
    }
}

/// Central differences `(L(w + ε) − L(w − ε)) / 2ε` for every weight.
fn finite_difference_gradients(weights: &Weights, problem: &Problem, device: &Device) -> Weights {
    let epsilon = 1e-6;
    let mut grads = weights.clone();
    for parameter in 0..4 {
        let count = grads.all_mut()[parameter].len();
        for index in 0..count {
            let mut plus = weights.clone();
            plus.all_mut()[parameter][index] += epsilon;
            let mut minus = weights.clone();
            minus.all_mut()[parameter][index] -= epsilon;
            grads.all_mut()[parameter][index] = (problem.loss_value(&plus, device)
                - problem.loss_value(&minus, device))
                / (2.0 * epsilon);
        }
    }
    grads
}

fn assert_close(name: &str, ours: &mut Weights, reference: &mut Weights, tolerance: f64) {
    let names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"];
    for ((parameter, a), b) in names.iter().zip(ours.all_mut()).zip(reference.all_mut()) {
        assert_eq!(a.len(), b.len());
        for (index, (x, y)) in a.iter().zip(b.iter()).enumerate() {
            let scale = x.abs().max(y.abs()).max(1e-3);
            assert!(
                (x - y).abs() <= tolerance * scale,
                "{name}: {parameter}[{index}]: autodiff {x} vs {y}"
            );
        }
    }
}

/// The CPU device in f64, configured once for the whole test binary before any tensor exists.
fn f64_device() -> Device {
    static CONFIGURED: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    CONFIGURED
        .get_or_init(|| {
            let mut device = Device::flex();
            device
                .configure(FloatDType::F64)
                .expect("the CPU device is configured before any tensor exists");
            device
        })
        .clone()
}

#[test]
fn fused_lstm_gradients_match_finite_differences_and_hand_derived_bptt() {
    let device = f64_device();
    let weights = Weights::sample();
    let problem = Problem::new();

    let mut autodiff = autodiff_gradients(&weights, &problem, &device);
    let mut hand = hand_derived_gradients(&weights, &problem);
    let mut numeric = finite_difference_gradients(&weights, &problem, &device);

    // the loss depends on every weight: no gradient is zero by construction
    assert!(autodiff.weight_hh.iter().all(|g| g.abs() > 1e-9));
    assert_close("vs hand-derived BPTT", &mut autodiff, &mut hand, 1e-9);
    assert_close("vs finite differences", &mut autodiff, &mut numeric, 1e-6);
}

/// The distribution heads' losses through the whole forecaster (fused LSTM, linear head): the
/// gradients of the recurrent and the head's weights against central finite differences.
#[test]
fn distribution_heads_train_the_fused_lstm_with_exact_gradients() {
    use yoho_model::{OutputDistribution, RnnForecaster as Forecaster, RnnForecasterConfig};
    let device = f64_device();
    let inputs = Tensor::<3>::from_data(
        TensorData::new(values(BATCH * STEPS * INPUT, 7), [BATCH, STEPS, INPUT]),
        &device,
    );
    let horizon = 2;
    let targets = Tensor::<2>::from_data(
        TensorData::new(values(BATCH * horizon, 8), [BATCH, horizon]),
        &device,
    );
    for distribution in [
        OutputDistribution::Gaussian,
        OutputDistribution::StudentT,
        OutputDistribution::Quantiles(vec![0.1, 0.5, 0.9]),
    ] {
        // no hidden head layer: a ReLU whose units all start dead would cut every gradient
        device.seed(7);
        let model = RnnForecasterConfig::new(INPUT, HIDDEN)
            .with_output_size(horizon)
            .with_distribution(distribution.clone())
            .init_rnn(&device);
        let loss = |model: &Forecaster, inputs: Tensor<3>, targets: Tensor<2>| {
            distribution.loss(model.forward(inputs), targets)
        };
        let value = |model: &Forecaster| -> f64 {
            loss(model, inputs.clone(), targets.clone())
                .into_data()
                .try_to_vec::<f64>()
                .unwrap()[0]
        };

        let training = device.clone().autodiff();
        // the same weights, tracked for gradients on the autodiff device
        let tracked = burn::module::Module::load_record(
            RnnForecasterConfig::new(INPUT, HIDDEN)
                .with_output_size(horizon)
                .with_distribution(distribution.clone())
                .init_rnn(&training),
            burn::module::Module::into_record(model.clone()),
        );
        let grads = loss(
            &tracked,
            inputs.clone().to_device(&training),
            targets.clone().to_device(&training),
        )
        .backward();
        let recurrent = gradient(&tracked.encoder.layers[0].weight_hh, &grads);
        let head = gradient(&tracked.head[0].weight, &grads);
        assert!(
            recurrent.iter().chain(&head).any(|g| g.abs() > 1e-6),
            "{distribution:?}: the loss reaches the weights"
        );

        let epsilon = 1e-6;
        let perturbed = |which: usize, index: usize, delta: f64| -> Forecaster {
            let mut model = model.clone();
            let parameter = match which {
                0 => &mut model.encoder.layers[0].weight_hh,
                _ => &mut model.head[0].weight,
            };
            let tensor = parameter.val();
            let shape = tensor.dims();
            let mut data: Vec<f64> = tensor.into_data().try_to_vec().unwrap();
            data[index] += delta;
            *parameter =
                Param::from_tensor(Tensor::from_data(TensorData::new(data, shape), &device));
            model
        };
        for (which, analytic) in [(0, &recurrent), (1, &head)] {
            for (index, g) in analytic.iter().enumerate() {
                let numeric = (value(&perturbed(which, index, epsilon))
                    - value(&perturbed(which, index, -epsilon)))
                    / (2.0 * epsilon);
                let scale = g.abs().max(numeric.abs()).max(1e-3);
                assert!(
                    (g - numeric).abs() <= 1e-5 * scale,
                    "{distribution:?}, weight {which}[{index}]: autodiff {g} vs {numeric}"
                );
            }
        }
    }
}

/// The fused GRU and RNN through a forecaster (zero initial state, a linear head), MSE: the
/// gradients of every recurrent parameter against central finite differences.
#[test]
fn fused_gru_and_rnn_gradients_match_finite_differences() {
    for cell in [CellKind::Gru, CellKind::Rnn] {
        gradients_match_finite_differences(cell);
    }
}

fn gradients_match_finite_differences(cell: CellKind) {
    use burn::nn::loss::{MseLoss, Reduction};
    use yoho_model::{RnnForecaster as Forecaster, RnnForecasterConfig};
    let device = f64_device();
    let inputs = Tensor::<3>::from_data(
        TensorData::new(values(BATCH * STEPS * INPUT, 9), [BATCH, STEPS, INPUT]),
        &device,
    );
    let targets = Tensor::<2>::from_data(TensorData::new(values(BATCH, 10), [BATCH, 1]), &device);
    let config = RnnForecasterConfig::new(INPUT, HIDDEN).with_cell(cell);
    device.seed(11);
    let model = config.init_rnn(&device);
    let loss = |model: &Forecaster, inputs: Tensor<3>, targets: Tensor<2>| {
        MseLoss::new().forward(model.forward(inputs), targets, Reduction::Mean)
    };
    let value = |model: &Forecaster| -> f64 {
        loss(model, inputs.clone(), targets.clone())
            .into_data()
            .try_to_vec::<f64>()
            .unwrap()[0]
    };
    let training = device.clone().autodiff();
    let tracked = burn::module::Module::load_record(
        config.init_rnn(&training),
        burn::module::Module::into_record(model.clone()),
    );
    let grads = loss(
        &tracked,
        inputs.clone().to_device(&training),
        targets.clone().to_device(&training),
    )
    .backward();
    let layer = &tracked.encoder.layers[0];
    let analytic = [
        gradient(&layer.weight_ih, &grads),
        gradient(&layer.weight_hh, &grads),
        gradient(&layer.bias_ih, &grads),
        gradient(&layer.bias_hh, &grads),
    ];
    assert!(
        analytic[1].iter().all(|g| g.abs() > 1e-12),
        "{:?}",
        analytic[1]
    );
    let epsilon = 1e-6;
    let perturbed = |which: usize, index: usize, delta: f64| -> Forecaster {
        let mut model = model.clone();
        let layer = &mut model.encoder.layers[0];
        match which {
            0 => nudge(&mut layer.weight_ih, index, delta, &device),
            1 => nudge(&mut layer.weight_hh, index, delta, &device),
            2 => nudge(&mut layer.bias_ih, index, delta, &device),
            _ => nudge(&mut layer.bias_hh, index, delta, &device),
        }
        model
    };
    for (which, analytic) in analytic.iter().enumerate() {
        for (index, g) in analytic.iter().enumerate() {
            let numeric = (value(&perturbed(which, index, epsilon))
                - value(&perturbed(which, index, -epsilon)))
                / (2.0 * epsilon);
            let scale = g.abs().max(numeric.abs()).max(1e-3);
            assert!(
                (g - numeric).abs() <= 1e-6 * scale,
                "{cell:?} parameter {which}[{index}]: fused {g} vs finite differences {numeric}"
            );
        }
    }
}

/// Adds `delta` to value `index` of `parameter`.
fn nudge<const D: usize>(
    parameter: &mut Param<Tensor<D>>,
    index: usize,
    delta: f64,
    device: &Device,
) {
    let tensor = parameter.val();
    let shape = tensor.dims();
    let mut data: Vec<f64> = tensor.into_data().try_to_vec().unwrap();
    data[index] += delta;
    *parameter = Param::from_tensor(Tensor::from_data(TensorData::new(data, shape), device));
}

/// The ES-RNN hybrid's smoothing coefficients (one pair per series, two series) get the
/// gradients of finite differences through the Holt–Winters recursion, the normalised window
/// the network reads and the forecast added back.
#[test]
fn es_rnn_smoothing_gradients_match_finite_differences() {
    use burn::nn::loss::{MseLoss, Reduction};
    use burn::tensor::Int;
    use yoho_model::{EsRnn, EsRnnConfig, RnnForecasterConfig};
    const WINDOW: usize = 7;
    const OUTPUTS: usize = 4;
    let device = f64_device();
    let inputs = Tensor::<3>::from_data(
        TensorData::new(values(BATCH * WINDOW * INPUT, 12), [BATCH, WINDOW, INPUT]),
        &device,
    );
    let targets = Tensor::<2>::from_data(
        TensorData::new(values(BATCH * OUTPUTS, 13), [BATCH, OUTPUTS]),
        &device,
    );
    let config = EsRnnConfig::new(
        RnnForecasterConfig::new(INPUT, HIDDEN).with_output_size(OUTPUTS),
        1,
    )
    .with_season(3)
    .with_series(2);
    device.seed(12);
    let model = config.init_es_rnn(&device);
    let series = |device: &Device| {
        Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 0], [BATCH]), device)
    };
    let loss = |model: &EsRnn, inputs: Tensor<3>, targets: Tensor<2>, device: &Device| {
        let outputs = model.forward_series(inputs, series(device));
        MseLoss::new().forward(outputs, targets, Reduction::Mean)
    };
    let value = |model: &EsRnn| -> f64 {
        loss(model, inputs.clone(), targets.clone(), &device)
            .into_data()
            .try_to_vec::<f64>()
            .unwrap()[0]
    };
    let training = device.clone().autodiff();
    let tracked = burn::module::Module::load_record(
        config.init_es_rnn(&training),
        burn::module::Module::into_record(model.clone()),
    );
    let grads = loss(
        &tracked,
        inputs.clone().to_device(&training),
        targets.clone().to_device(&training),
        &training,
    )
    .backward();
    let analytic = [
        gradient(&tracked.level_raw, &grads),
        gradient(&tracked.season_raw, &grads),
    ];
    let epsilon = 1e-6;
    for (which, analytic) in analytic.iter().enumerate() {
        for (index, g) in analytic.iter().enumerate() {
            assert!(
                g.abs() > 1e-9,
                "coefficient {which}[{index}] has no gradient"
            );
            let perturbed = |delta: f64| {
                let mut model = model.clone();
                match which {
                    0 => nudge(&mut model.level_raw, index, delta, &device),
                    _ => nudge(&mut model.season_raw, index, delta, &device),
                }
                value(&model)
            };
            let numeric = (perturbed(epsilon) - perturbed(-epsilon)) / (2.0 * epsilon);
            let scale = g.abs().max(numeric.abs()).max(1e-3);
            assert!(
                (g - numeric).abs() <= 1e-6 * scale,
                "coefficient {which}[{index}]: autodiff {g} vs finite differences {numeric}"
            );
        }
    }
}
