//! PyTorch weights for a [`Forecaster`]: the `state_dict` of a network made of one `nn.LSTM`,
//! `nn.GRU` or `nn.RNN` (any depth, `batch_first` or not) followed by `nn.Linear` layers, saved
//! with `torch.save` (`.pt`, `.pth`, `.bin`) or as safetensors (`.safetensors`).
//!
//! The names in the file are matched by structure, not by a fixed naming scheme: the recurrent
//! module is whatever prefix holds `weight_ih_l0`, and the linear layers are chained by their
//! shapes from the recurrent hidden size to the output. Burn's stores read the file
//! ([`PytorchStore`], [`SafetensorsStore`]) and its PyTorch adapter transposes the linear
//! weights; the recurrent weights already have PyTorch's layout.
//!
//! ```no_run
//! use burn::tensor::Device;
//! use yoho_model::pytorch::PytorchWeights;
//!
//! # fn main() -> Result<(), yoho_model::pytorch::ImportError> {
//! let weights = PytorchWeights::open("model.pt")?;
//! let device = Device::flex();
//! let model = weights.load_into(weights.config().init(&device))?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::store::{
    KeyRemapper, ModuleSnapshot, ModuleStore, PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
};

use crate::forecaster::{Forecaster, ForecasterConfig, RnnForecaster, RnnForecasterConfig};
use crate::recurrent::CellKind;

/// Why weights could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read as a PyTorch or safetensors file.
    #[error("cannot read PyTorch weights from {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The file's tensors do not form a recurrent network with a linear head.
    #[error("{path} is not a recurrent network with a linear head: {message}")]
    Layout {
        /// The file.
        path: PathBuf,
        /// What was expected and found.
        message: String,
    },
    /// The file's network and the model differ.
    #[error("the weights in {path} do not fit the model: {message}")]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// What differs.
        message: String,
    },
}

/// The recurrent parameters of one layer, in PyTorch's names (`<name>_l<k>`).
const RECURRENT_PARAMETERS: [&str; 4] = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"];

/// A recurrent network's `state_dict` on disk: its tensors' names and shapes, and how they map
/// onto a [`Forecaster`].
#[derive(Debug, Clone)]
pub struct PytorchWeights {
    path: PathBuf,
    /// File name → name in the forecaster (`encoder.layers.0.weight_ih`, `head.1.bias`, …).
    names: BTreeMap<String, String>,
    config: RnnForecasterConfig,
}

impl PytorchWeights {
    /// Reads the names and shapes of the tensors in `path` and works out the network.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ImportError> {
        let path = path.as_ref().to_path_buf();
        let shapes = read_shapes(&path)?;
        let layout_error = |message: String| ImportError::Layout {
            path: path.clone(),
            message,
        };
        let recurrent = RecurrentLayout::find(&shapes).map_err(layout_error)?;
        let head = head_layout(&shapes, &recurrent).map_err(layout_error)?;
        let mut names = recurrent.names();
        for (index, prefix) in head.iter().enumerate() {
            for parameter in ["weight", "bias"] {
                names.insert(
                    format!("{prefix}.{parameter}"),
                    format!("head.{index}.{parameter}"),
                );
            }
        }
        let widths: Vec<usize> = head
            .iter()
            .map(|prefix| shapes[&format!("{prefix}.weight")][0])
            .collect();
        let (output_size, hidden_widths) = widths.split_last().expect("a head has a layer");
        let config = RnnForecasterConfig::new(recurrent.input_size, recurrent.hidden_size)
            .with_num_layers(recurrent.layers)
            .with_cell(recurrent.cell)
            .with_head(hidden_widths.to_vec())
            .with_output_size(*output_size);
        Ok(Self {
            path,
            names,
            config,
        })
    }

    /// The network the file describes (no dropout: it does not show in the weights).
    pub fn config(&self) -> RnnForecasterConfig {
        self.config.clone()
    }

    /// Loads the weights into `model`, which must have the file's architecture.
    pub fn load_into(&self, model: Forecaster) -> Result<Forecaster, ImportError> {
        match model {
            Forecaster::Rnn(model) => self.load_into_rnn(model).map(Forecaster::Rnn),
            Forecaster::Ensemble(ensemble) => Err(self.ensemble_mismatch(ensemble.network_count())),
            Forecaster::EsRnn(_) => Err(self.hybrid_mismatch()),
            Forecaster::SeasonalRnn(_) => Err(self.seasonal_mismatch()),
            Forecaster::SeasonalMlp(_) => Err(self.mlp_mismatch()),
            Forecaster::Lookback(_) => Err(self.lookback_mismatch()),
        }
    }

    fn load_into_rnn(&self, mut model: RnnForecaster) -> Result<RnnForecaster, ImportError> {
        self.check_fits(&model)?;
        let remapper = KeyRemapper::from_patterns(
            self.names
                .iter()
                .map(|(from, to)| (format!("^{}$", regex::escape(from)), to.clone()))
                .collect(),
        )
        .expect("escaped names are valid patterns");
        let read_error = |message: String| ImportError::Read {
            path: self.path.clone(),
            message,
        };
        let result = match Format::of(&self.path) {
            Format::Safetensors => model
                .load_from(
                    &mut SafetensorsStore::from_file(&self.path)
                        .remap(remapper)
                        .with_from_adapter(PyTorchToBurnAdapter),
                )
                .map_err(|error| read_error(error.to_string())),
            Format::Torch => model
                .load_from(&mut PytorchStore::from_file(&self.path).remap(remapper))
                .map_err(|error| read_error(error.to_string())),
        }?;
        let problems: Vec<String> = result
            .errors
            .iter()
            .map(|error| error.to_string())
            .chain(
                result
                    .missing
                    .iter()
                    .map(|(name, _)| format!("no tensor for {name}")),
            )
            .chain(
                result
                    .unused
                    .iter()
                    .map(|name| format!("{name} was not used")),
            )
            .collect();
        if !problems.is_empty() {
            return Err(ImportError::Mismatch {
                path: self.path.clone(),
                message: problems.join("; "),
            });
        }
        Ok(model)
    }

    /// Whether a model built from `config` can take these weights; the error says how they
    /// differ.
    pub fn check_config(&self, config: &ForecasterConfig) -> Result<(), ImportError> {
        match config {
            ForecasterConfig::Rnn(config) => self.check(Architecture::of_config(config)),
            ForecasterConfig::Ensemble(config) => {
                Err(self.ensemble_mismatch(config.network_count()))
            }
            ForecasterConfig::EsRnn(_) => Err(self.hybrid_mismatch()),
            ForecasterConfig::SeasonalRnn(_) => Err(self.seasonal_mismatch()),
            ForecasterConfig::SeasonalMlp(_) => Err(self.mlp_mismatch()),
            ForecasterConfig::Lookback(_) => Err(self.lookback_mismatch()),
        }
    }

    /// PyTorch's network reads the whole window.
    fn lookback_mismatch(&self) -> ImportError {
        self.mismatch(
            "the file holds a network that reads the whole window and the model reads only its \
             newest rows; import it without [model] lookbacks"
                .to_string(),
        )
    }

    /// One network's weights do not make an ES-RNN hybrid.
    fn hybrid_mismatch(&self) -> ImportError {
        self.mismatch(
            "the file holds a recurrent network and the model is the es_rnn hybrid, whose \
             smoothing coefficients PyTorch's file lacks; import it with [model] family = \"rnn\""
                .to_string(),
        )
    }

    /// A network trained on its own does not forecast departures from the seasonal naive.
    fn seasonal_mismatch(&self) -> ImportError {
        self.mismatch(
            "the file holds a recurrent network that forecasts values, and the model is \
             seasonal_rnn, which adds the seasonal naive to its network's output; import it with \
             [model] family = \"rnn\""
                .to_string(),
        )
    }

    /// A recurrent network's weights do not make a perceptron.
    fn mlp_mismatch(&self) -> ImportError {
        self.mismatch(
            "the file holds a recurrent network and the model is seasonal_mlp, a perceptron \
             without recurrent layers; import it with [model] family = \"rnn\""
                .to_string(),
        )
    }

    /// One network's weights do not make an ensemble of `networks`.
    fn ensemble_mismatch(&self, networks: usize) -> ImportError {
        self.mismatch(format!(
            "the file holds one network and the model is an ensemble of {networks} networks; \
             import it with [train] ensemble = 1 and one [model] family"
        ))
    }

    /// The model's architecture must be the file's.
    fn check_fits(&self, model: &RnnForecaster) -> Result<(), ImportError> {
        self.check(Architecture::of_model(model))
    }

    fn check(&self, found: Architecture) -> Result<(), ImportError> {
        if found.seq2seq {
            return Err(self.mismatch(
                "the model is an encoder–decoder (strategy = \"seq2seq\"); PyTorch weights load \
                 into a recurrent network with a linear head only"
                    .to_string(),
            ));
        }
        let wanted = Architecture::of_config(&self.config);
        if found != wanted {
            return Err(self.mismatch(format!("the file has {wanted}; the model has {found}")));
        }
        Ok(())
    }

    fn mismatch(&self, message: String) -> ImportError {
        ImportError::Mismatch {
            path: self.path.clone(),
            message,
        }
    }
}

/// What must agree between a file and a model.
#[derive(Debug, PartialEq)]
struct Architecture {
    cell: CellKind,
    input_size: usize,
    hidden_size: usize,
    layers: usize,
    /// Output widths of the linear layers, the forecast last.
    linear_widths: Vec<usize>,
    seq2seq: bool,
}

impl Architecture {
    fn of_config(config: &RnnForecasterConfig) -> Self {
        let mut linear_widths = config.head.clone();
        linear_widths.push(match config.seq2seq_target_index {
            Some(_) => 1,
            None => config.output_size,
        });
        Self {
            cell: config.cell,
            input_size: config.input_size,
            hidden_size: config.hidden_size,
            layers: config.num_layers,
            linear_widths,
            seq2seq: config.seq2seq_target_index.is_some(),
        }
    }

    fn of_model(model: &RnnForecaster) -> Self {
        let first = &model.encoder.layers[0];
        Self {
            cell: first.cell,
            input_size: first.weight_ih.dims()[1],
            hidden_size: first.hidden_size,
            layers: model.encoder.layers.len(),
            linear_widths: model
                .head
                .iter()
                .map(|linear| linear.weight.dims()[1])
                .collect(),
            seq2seq: model.decoder.is_some(),
        }
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} with {} input feature(s), hidden size {}, {} layer(s) and linear widths {:?}",
            cell_name(self.cell),
            self.input_size,
            self.hidden_size,
            self.layers,
            self.linear_widths
        )
    }
}

fn cell_name(cell: CellKind) -> &'static str {
    match cell {
        CellKind::Lstm => "an LSTM",
        CellKind::Gru => "a GRU",
        CellKind::Rnn => "an RNN",
    }
}

/// The file formats, told apart by extension.
enum Format {
    /// `torch.save` (a zip of pickles), `.pt`, `.pth` or `.bin`.
    Torch,
    /// `.safetensors`.
    Safetensors,
}

impl Format {
    fn of(path: &Path) -> Self {
        match path.extension().and_then(|extension| extension.to_str()) {
            Some("safetensors") => Self::Safetensors,
            _ => Self::Torch,
        }
    }
}

/// The name and shape of every tensor in the file.
fn read_shapes(path: &Path) -> Result<BTreeMap<String, Vec<usize>>, ImportError> {
    let read_error = |message: String| ImportError::Read {
        path: path.to_path_buf(),
        message,
    };
    if !path.is_file() {
        return Err(read_error("no such file".to_string()));
    }
    let tensors = match Format::of(path) {
        Format::Safetensors => shapes_in(&mut SafetensorsStore::from_file(path)),
        Format::Torch => shapes_in(&mut PytorchStore::from_file(path)),
    };
    tensors.map_err(read_error)
}

fn shapes_in<S: ModuleStore>(store: &mut S) -> Result<BTreeMap<String, Vec<usize>>, String> {
    let tensors = store.get_all_tensors().map_err(|error| error.to_string())?;
    Ok(tensors
        .iter()
        .map(|(name, tensor)| (name.clone(), tensor.shape.to_vec()))
        .collect())
}

/// The recurrent module found in a file.
struct RecurrentLayout {
    /// The module's name, `lstm` in `lstm.weight_ih_l0`.
    prefix: String,
    cell: CellKind,
    input_size: usize,
    hidden_size: usize,
    layers: usize,
}

impl RecurrentLayout {
    fn find(shapes: &BTreeMap<String, Vec<usize>>) -> Result<Self, String> {
        let prefixes: Vec<&str> = shapes
            .keys()
            .filter_map(|name| name.strip_suffix("weight_ih_l0"))
            .map(|prefix| prefix.strip_suffix('.').unwrap_or(prefix))
            .collect();
        let prefix = match prefixes.as_slice() {
            [prefix] => prefix.to_string(),
            [] => {
                return Err(
                    "no tensor named like `lstm.weight_ih_l0` (an nn.LSTM, nn.GRU or nn.RNN)"
                        .to_string(),
                );
            }
            more => return Err(format!("several recurrent modules: {more:?}")),
        };
        if shapes
            .keys()
            .any(|name| name.starts_with(&prefix) && name.ends_with("_reverse"))
        {
            return Err(format!(
                "`{prefix}` is bidirectional, which Yoho's layers are not"
            ));
        }
        let name = |parameter: &str, layer: usize| join(&prefix, &format!("{parameter}_l{layer}"));
        let layers = (0..)
            .take_while(|layer| shapes.contains_key(&name("weight_ih", *layer)))
            .count();
        for layer in 0..layers {
            for parameter in RECURRENT_PARAMETERS {
                if !shapes.contains_key(&name(parameter, layer)) {
                    return Err(format!(
                        "no `{}` (Yoho's recurrent layers have biases)",
                        name(parameter, layer)
                    ));
                }
            }
        }
        let matrix = |name: &str| match shapes[name].as_slice() {
            &[rows, columns] => Ok([rows, columns]),
            other => Err(format!(
                "`{name}` is {other:?}: expected a matrix [rows, columns]"
            )),
        };
        let [_, input_size] = matrix(&name("weight_ih", 0))?;
        let [gate_rows, hidden_size] = matrix(&name("weight_hh", 0))?;
        let cell = match (hidden_size > 0).then(|| gate_rows / hidden_size) {
            Some(4) => Some(CellKind::Lstm),
            Some(3) => Some(CellKind::Gru),
            Some(1) => Some(CellKind::Rnn),
            _ => None,
        }
        .filter(|cell| gate_rows == cell.gate_count() * hidden_size)
        .ok_or_else(|| {
            format!(
                "`{}` is {:?}: not 4, 3 or 1 gates of the hidden size",
                name("weight_hh", 0),
                [gate_rows, hidden_size]
            )
        })?;
        let layout = Self {
            prefix,
            cell,
            input_size,
            hidden_size,
            layers,
        };
        layout.check_shapes(shapes)?;
        Ok(layout)
    }

    /// Checks every recurrent tensor's shape against the layout: `weight_ih_lk [G·H, inputs]`
    /// (the input size for layer 0, `H` after), `weight_hh_lk [G·H, H]`, each bias `[G·H]`.
    fn check_shapes(&self, shapes: &BTreeMap<String, Vec<usize>>) -> Result<(), String> {
        let gates = self.cell.gate_count() * self.hidden_size;
        for layer in 0..self.layers {
            let inputs = match layer {
                0 => self.input_size,
                _ => self.hidden_size,
            };
            let expected = [
                ("weight_ih", vec![gates, inputs]),
                ("weight_hh", vec![gates, self.hidden_size]),
                ("bias_ih", vec![gates]),
                ("bias_hh", vec![gates]),
            ];
            for (parameter, expected) in expected {
                let name = join(&self.prefix, &format!("{parameter}_l{layer}"));
                let shape = &shapes[&name];
                if *shape != expected {
                    return Err(format!(
                        "`{name}` is {shape:?}, expected {expected:?} for {} with hidden size {}",
                        cell_name(self.cell),
                        self.hidden_size
                    ));
                }
            }
        }
        Ok(())
    }

    /// File name → forecaster name for every recurrent tensor.
    fn names(&self) -> BTreeMap<String, String> {
        (0..self.layers)
            .flat_map(|layer| {
                RECURRENT_PARAMETERS.map(|parameter| {
                    (
                        join(&self.prefix, &format!("{parameter}_l{layer}")),
                        format!("encoder.layers.{layer}.{parameter}"),
                    )
                })
            })
            .collect()
    }
}

/// `prefix.name`, or `name` for a module saved on its own.
fn join(prefix: &str, name: &str) -> String {
    match prefix.is_empty() {
        true => name.to_string(),
        false => format!("{prefix}.{name}"),
    }
}

/// The linear layers' prefixes, input first: each `weight [out, in]` takes the previous one's
/// output (the first takes the recurrent hidden state), and every other tensor must belong to one.
fn head_layout(
    shapes: &BTreeMap<String, Vec<usize>>,
    recurrent: &RecurrentLayout,
) -> Result<Vec<String>, String> {
    let recurrent_names = recurrent.names();
    let mut linear: BTreeMap<String, [usize; 2]> = BTreeMap::new();
    for (name, shape) in shapes {
        if recurrent_names.contains_key(name) {
            continue;
        }
        let Some(prefix) = name.strip_suffix(".weight") else {
            if name.ends_with(".bias") {
                continue;
            }
            return Err(format!(
                "`{name}` is neither a recurrent nor a linear tensor"
            ));
        };
        let [out, input] = shape.as_slice() else {
            return Err(format!(
                "`{name}` is {shape:?}, not a linear weight [out, in]"
            ));
        };
        if shapes.get(&format!("{prefix}.bias")) != Some(&vec![*out]) {
            return Err(format!("`{name}` has no bias `{prefix}.bias` of [{out}]"));
        }
        linear.insert(prefix.to_string(), [*out, *input]);
    }
    if let Some(orphan) = shapes.keys().find(|name| {
        name.strip_suffix(".bias").is_some_and(|prefix| {
            !recurrent_names.contains_key(*name) && !linear.contains_key(prefix)
        })
    }) {
        return Err(format!("`{orphan}` has no weight"));
    }
    let mut chain = Vec::new();
    let mut width = recurrent.hidden_size;
    while !linear.is_empty() {
        let next: Vec<&String> = linear
            .iter()
            .filter(|(_, [_, input])| *input == width)
            .map(|(prefix, _)| prefix)
            .collect();
        let prefix = match next.as_slice() {
            [prefix] => (*prefix).clone(),
            [] => {
                return Err(format!(
                    "no linear layer takes {width} inputs; left: {:?}",
                    linear.keys().collect::<Vec<_>>()
                ));
            }
            more => {
                return Err(format!(
                    "several linear layers take {width} inputs: {more:?}"
                ));
            }
        };
        width = linear.remove(&prefix).expect("found above")[0];
        chain.push(prefix);
    }
    if chain.is_empty() {
        return Err("no linear layer after the recurrent one".to_string());
    }
    Ok(chain)
}
