//! PyTorch's outputs against Yoho's for the same weights and inputs: LSTM, GRU and RNN networks
//! of 1 and 2 layers, read from `torch.save` files and from safetensors. The fixtures and the
//! script that made them are in `tests/fixtures/pytorch/`.

use std::path::PathBuf;

use burn::tensor::{Device, Tensor, TensorData};
use yoho_model::{
    CellKind, EnsembleConfig, EsRnnConfig, ForecasterConfig, ImportError, PytorchWeights,
    RnnForecasterConfig, SeasonalRnnConfig,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pytorch")
        .join(name)
}

/// The input windows `[batch, time, features]` and PyTorch's outputs `[batch, 1]`.
fn expected(name: &str) -> (Vec<Vec<Vec<f32>>>, Vec<f32>) {
    let text = std::fs::read_to_string(fixture(&format!("{name}.json"))).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let inputs: Vec<Vec<Vec<f32>>> = serde_json::from_value(json["inputs"].clone()).unwrap();
    let outputs: Vec<Vec<f32>> = serde_json::from_value(json["outputs"].clone()).unwrap();
    (inputs, outputs.into_iter().map(|row| row[0]).collect())
}

fn forecast(weights: &PytorchWeights, inputs: &[Vec<Vec<f32>>]) -> Vec<f32> {
    let device = Device::flex();
    let model = weights.load_into(weights.config().init(&device)).unwrap();
    let shape = [inputs.len(), inputs[0].len(), inputs[0][0].len()];
    let values: Vec<f32> = inputs.iter().flatten().flatten().copied().collect();
    let windows = Tensor::<3>::from_data(TensorData::new(values, shape), &device);
    model.forward(windows).into_data().try_to_vec().unwrap()
}

#[test]
fn outputs_match_pytorch_for_every_cell_depth_and_format() {
    let cells = [
        ("lstm", CellKind::Lstm),
        ("gru", CellKind::Gru),
        ("rnn", CellKind::Rnn),
    ];
    for (cell_name, cell) in cells {
        for layers in [1, 2] {
            let name = format!("{cell_name}_{layers}");
            let (inputs, torch_outputs) = expected(&name);
            for extension in ["pt", "safetensors"] {
                let weights =
                    PytorchWeights::open(fixture(&format!("{name}.{extension}"))).unwrap();
                let config = weights.config();
                assert_eq!(
                    (config.cell, config.num_layers),
                    (cell, layers),
                    "{name}.{extension}"
                );
                assert_eq!(
                    (config.input_size, config.hidden_size, config.head.clone()),
                    (3, 8, vec![6])
                );
                let ours = forecast(&weights, &inputs);
                for (index, (ours, torch)) in ours.iter().zip(&torch_outputs).enumerate() {
                    let relative = ((ours - torch) / torch).abs();
                    assert!(
                        relative < 1e-5,
                        "{name}.{extension}, window {index}: Yoho {ours}, PyTorch {torch} \
                         (relative error {relative:e})"
                    );
                }
            }
        }
    }
}

#[test]
fn weights_for_another_architecture_are_refused_with_both_described() {
    let weights = PytorchWeights::open(fixture("lstm_2.pt")).unwrap();
    let device = Device::flex();
    let gru = RnnForecasterConfig::new(3, 8)
        .with_num_layers(2)
        .with_cell(CellKind::Gru)
        .with_head(vec![6])
        .init(&device);
    let error = weights.load_into(gru).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, ImportError::Mismatch { .. }), "{message}");
    assert!(message.contains("lstm_2.pt"), "{message}");
    assert!(
        message.contains("the file has an LSTM") && message.contains("the model has a GRU"),
        "{message}"
    );

    let wider = RnnForecasterConfig::new(3, 8)
        .with_num_layers(2)
        .with_head(vec![7])
        .init(&device);
    let message = weights.load_into(wider).unwrap_err().to_string();
    assert!(
        message.contains("[6, 1]") && message.contains("[7, 1]"),
        "{message}"
    );
}

#[test]
fn unreadable_files_are_named_in_the_error() {
    let missing = PytorchWeights::open(fixture("no_such_file.pt")).unwrap_err();
    assert!(matches!(missing, ImportError::Read { .. }));
    assert!(missing.to_string().contains("no_such_file.pt"), "{missing}");

    let not_weights = PytorchWeights::open(fixture("lstm_1.json")).unwrap_err();
    assert!(
        matches!(not_weights, ImportError::Read { .. }),
        "{not_weights}"
    );
    assert!(
        not_weights.to_string().contains("lstm_1.json"),
        "{not_weights}"
    );
}

/// A safetensors file of `f32` zeros with the tensors `(name, shape)`, written by hand: an
/// 8-byte header length, the JSON header, then the data.
fn write_safetensors(path: &std::path::Path, tensors: &[(&str, Vec<usize>)]) {
    let mut header = serde_json::Map::new();
    let mut offset = 0;
    for (name, shape) in tensors {
        let bytes = 4 * shape.iter().product::<usize>();
        header.insert(
            name.to_string(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes]}),
        );
        offset += bytes;
    }
    let header = serde_json::Value::Object(header).to_string();
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header.as_bytes());
    file.resize(file.len() + offset, 0);
    std::fs::write(path, file).unwrap();
}

#[test]
fn tensors_of_the_wrong_rank_or_size_are_errors_naming_file_and_tensor() {
    let dir = std::env::temp_dir().join(format!("yoho-pytorch-shapes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let head = [("linear.weight", vec![1, 8]), ("linear.bias", vec![1])];
    // each case: a file, its tensors with their shapes, and what the error must say
    type Case<'a> = (&'a str, Vec<(&'a str, Vec<usize>)>, &'a str);
    let cases: [Case; 3] = [
        (
            "flat.safetensors",
            vec![
                ("lstm.weight_ih_l0", vec![32]),
                ("lstm.weight_hh_l0", vec![32, 8]),
                ("lstm.bias_ih_l0", vec![32]),
                ("lstm.bias_hh_l0", vec![32]),
            ],
            "`lstm.weight_ih_l0` is [32]: expected a matrix",
        ),
        (
            "short_bias.safetensors",
            vec![
                ("lstm.weight_ih_l0", vec![32, 3]),
                ("lstm.weight_hh_l0", vec![32, 8]),
                ("lstm.bias_ih_l0", vec![31]),
                ("lstm.bias_hh_l0", vec![32]),
            ],
            "`lstm.bias_ih_l0` is [31], expected [32]",
        ),
        (
            "odd_gates.safetensors",
            vec![
                ("lstm.weight_ih_l0", vec![30, 3]),
                ("lstm.weight_hh_l0", vec![30, 8]),
                ("lstm.bias_ih_l0", vec![30]),
                ("lstm.bias_hh_l0", vec![30]),
            ],
            "not 4, 3 or 1 gates",
        ),
    ];
    for (file, recurrent, expected) in cases {
        let path = dir.join(file);
        let tensors: Vec<(&str, Vec<usize>)> = recurrent.into_iter().chain(head.clone()).collect();
        write_safetensors(&path, &tensors);
        let error = PytorchWeights::open(&path).unwrap_err().to_string();
        assert!(
            error.contains(file) && error.contains(expected),
            "{file}: {error}"
        );
    }
    // the same writer makes a file that loads, so the errors above are the shapes'
    let path = dir.join("good.safetensors");
    let good = [
        ("lstm.weight_ih_l0", vec![32, 3]),
        ("lstm.weight_hh_l0", vec![32, 8]),
        ("lstm.bias_ih_l0", vec![32]),
        ("lstm.bias_hh_l0", vec![32]),
    ];
    let tensors: Vec<(&str, Vec<usize>)> = good.into_iter().chain(head).collect();
    write_safetensors(&path, &tensors);
    let weights = PytorchWeights::open(&path).unwrap();
    assert_eq!(weights.config().hidden_size, 8);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_ensemble_of_families_is_refused_with_its_network_count() {
    let weights = PytorchWeights::open(fixture("lstm_2.pt")).unwrap();
    let network = || weights.config();
    let family = |member: ForecasterConfig| {
        ForecasterConfig::Ensemble(EnsembleConfig::new(Box::new(member), 3))
    };
    let config = EnsembleConfig::new(
        Box::new(family(ForecasterConfig::EsRnn(EsRnnConfig::new(
            network(),
            0,
        )))),
        1,
    )
    .with_others(vec![family(ForecasterConfig::SeasonalRnn(
        SeasonalRnnConfig::new(network(), 0),
    ))]);
    let config = ForecasterConfig::Ensemble(config);
    for message in [
        weights.check_config(&config).unwrap_err().to_string(),
        (weights.load_into(config.init(&Device::flex())))
            .unwrap_err()
            .to_string(),
    ] {
        assert!(message.contains("ensemble of 6 networks"), "{message}");
        assert!(message.contains("one [model] family"), "{message}");
    }
}
