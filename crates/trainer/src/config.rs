//! The experiment config: a TOML file with `[data]`, `[model]` and `[train]` sections.
//! Unknown keys and wrong types are errors that name the key.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use yoho_data::window::MAX_STEPS;
use yoho_data::{DataConfig, PanelSplit, TargetTransform, WindowNorm};
use yoho_model::{
    CellKind, EnsembleConfig, EsRnnConfig, ForecasterConfig, LookbackConfig, OutputDistribution,
    RnnForecasterConfig, SeasonalMlpConfig, SeasonalRnnConfig,
};

pub use crate::family::{Families, ModelFamily};
use crate::recipe::Purpose;

/// A whole experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// The run's name; defaults to the config file's stem. Runs go to `runs/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What to read and how to cut it into samples.
    pub data: DataConfig,
    /// The network (without the section, every key at its default: `ModelSection::default`).
    #[serde(default)]
    pub model: ModelSection,
    /// The optimisation.
    #[serde(default)]
    pub train: TrainSection,
    /// What is measured after training besides the test days.
    #[serde(default, skip_serializing_if = "EvaluateSection::is_default")]
    pub evaluate: EvaluateSection,
}

/// `[evaluate]`: extra evaluations after training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvaluateSection {
    /// Generate the whole series closed-loop, as the NumPy article does: start from the first
    /// window and feed every forecast back in until the series' length (needs the target to
    /// be the only feature). Writes `generated.csv` and `generated.png`.
    pub closed_loop: bool,
    /// Rows per season for the `seasonal_naive` baseline (12 for monthly data, 52 for weekly,
    /// 5 or 7 for daily); without it that baseline is left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub season: Option<usize>,
    /// Central prediction intervals to give every forecast, as levels in (0, 1): split-conformal
    /// around the model's forecasts (calibrated on its validation errors) and the naive
    /// forecast's (on its training errors). `[]` for none.
    pub intervals: Vec<f64>,
    /// Where a run's validation period holds too few windows for the widest interval (a period
    /// of one horizon gives one error at each step; 95 % needs 19, which a panel's series
    /// pool), calibrate the intervals on the validation errors of a second fit of the same
    /// config that holds out up to that many windows before the test period (as long as it
    /// keeps the training windows), at the price of a second training. The default recipe sets
    /// it where it sizes the validation period.
    pub calibration_fit: bool,
}

impl Default for EvaluateSection {
    fn default() -> Self {
        Self {
            closed_loop: false,
            season: None,
            intervals: vec![0.8, 0.95],
            calibration_fit: false,
        }
    }
}

impl EvaluateSection {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// How a model forecasts `horizon > 1` steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// The head outputs every step at once.
    #[default]
    Direct,
    /// A one-step model fed its own forecasts (needs the target as the only feature).
    Recursive,
    /// An encoder–decoder: the decoder makes one step at a time from the encoder's state.
    Seq2seq,
}

/// How the learning rate changes over the epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LrSchedule {
    /// `lr` throughout.
    #[default]
    Constant,
    /// From `lr` down to 0 along half a cosine over `epochs` (PyTorch's `CosineAnnealingLR`).
    Cosine,
}

/// The loss a point head (`[model] output = "point"`) is trained and validated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PointLoss {
    /// Squared errors (PyTorch's `MSELoss()`): the point forecasts the mean.
    #[default]
    Mse,
    /// Absolute errors (NeuralForecast's default `MAE()`, the pinball loss at the median, and
    /// the scale the M4 competition's MASE and sMAPE measure on): the point forecasts the
    /// median, and an outlier in the training targets pulls it less.
    Mae,
}

/// How a batch's errors (squared or absolute, see [`PointLoss`]) become its loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LossReduction {
    /// Their mean (PyTorch's `MSELoss()`).
    #[default]
    Mean,
    /// Their sum, as a from-scratch implementation that adds up every window's gradient does:
    /// steps grow with the batch size.
    Sum,
}

/// The optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerName {
    /// Adam with decoupled weight decay (PyTorch's `AdamW`), the LSTM article's choice.
    #[default]
    Adamw,
    /// Adam, with weight decay as an L2 penalty (PyTorch's `Adam`).
    Adam,
    /// Stochastic gradient descent with optional momentum, the NumPy article's choice.
    Sgd,
}

impl OptimizerName {
    /// PyTorch's default weight decay for this optimiser.
    pub fn default_weight_decay(self) -> f64 {
        match self {
            Self::Adamw => 0.01,
            Self::Adam | Self::Sgd => 0.0,
        }
    }
}

fn one() -> usize {
    1
}

/// `[model] output`: what the head outputs for each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// A point forecast.
    #[default]
    Point,
    /// A Gaussian's mean and scale.
    Gaussian,
    /// A Student-t's location, scale and degrees of freedom.
    StudentT,
    /// The quantiles of `[model] quantiles`.
    Quantiles,
}

/// `[model]`: the network's shape. Input and output sizes follow from `[data]`.
///
/// `family` chooses the kind of network, or several kinds forecasting as one ensemble (see
/// [`Families`]); the recurrent keys (`cell`, `hidden_size`, `num_layers`, `dropout`) and the
/// rest (`head`, `strategy`, `output`, `quantiles`, `init_from`) apply to every family. A
/// config without `family` is an `rnn`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    /// The kind of network: `rnn` (the default), `es_rnn` or `seasonal_rnn`, or a list of them.
    #[serde(default)]
    pub family: Families,
    /// `es_rnn`: the series with their own smoothing coefficients. A panel run sets it to its
    /// series count (and saves it with the run); 1 otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<usize>,
    /// `rnn`: `lstm`, `gru` or `rnn`.
    #[serde(default)]
    pub cell: CellKind,
    /// Hidden units per recurrent layer (the article: 100; by default the recipe's 32).
    #[serde(default = "default_hidden_size")]
    pub hidden_size: usize,
    /// Stacked recurrent layers.
    #[serde(default = "one")]
    pub num_layers: usize,
    /// Dropout between recurrent layers, in [0, 1).
    #[serde(default)]
    pub dropout: f64,
    /// Hidden widths of the MLP head (the article: [50]).
    #[serde(default)]
    pub head: Vec<usize>,
    /// How `[data] horizon > 1` steps are forecast: `direct`, `recursive` or `seq2seq`.
    #[serde(default)]
    pub strategy: Strategy,
    /// What the head outputs for each step: `point` (the default; trained on MSE), or a
    /// predictive distribution trained on its negative log-likelihood (`gaussian`,
    /// `student_t`) or the pinball loss (`quantiles`, at `quantiles`).
    #[serde(default)]
    pub output: OutputKind,
    /// The quantile levels of `output = "quantiles"`, ascending in (0, 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantiles: Option<Vec<f64>>,
    /// PyTorch weights to start from: the `state_dict` of the same network, saved with
    /// `torch.save` or as safetensors (see `yoho_model::pytorch`). With `[train] epochs = 0`
    /// they are evaluated without training. Relative to the current directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<PathBuf>,
    /// Statistical forecasters whose forecasts are averaged with the networks' as more
    /// families (each voice weighs `1 / (families + voices)`; `blend` may take the median
    /// instead), fitted at each origin on the target's values up to it: `ets` (exponential
    /// smoothing on the series seasonally adjusted with `[evaluate] season`, or `[data] season`
    /// without it), `holt_winters` (exponential smoothing whose season evolves, with the same
    /// season), `arima` (automatic seasonal ARIMA with the same season), `log_arima` (the
    /// same on the logarithm of a strictly positive series); one name or a list. A list within
    /// the list is one voice, the mean of its members' forecasts (`["ets", ["arima",
    /// "log_arima"]]`: ARIMA speaks once, with the mean of its fits on the values and on the
    /// logarithm). Without it the networks forecast alone.
    #[serde(
        default,
        deserialize_with = "one_or_more",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub statistical: Vec<Voice>,
    /// How the networks' forecast and `statistical`'s combine at each step: `mean` (the
    /// default: the weights above) or `median` (the median of the networks' forecast and each
    /// statistical one, so that the one far from the others is outvoted). Only with
    /// `statistical`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blend: Option<yoho_eval::BlendRule>,
    /// Rows of the window each network reads, the newest (N-BEATS's ensemble of lookbacks):
    /// network `k` of each family's `[train] ensemble` reads `lookbacks[k mod n]` of the
    /// window's `window_len`. Each at most `window_len`, and at least `[data] season` for the
    /// families that read seasons; at most as many as the ensemble's networks per family.
    /// Empty (the default): every network reads the whole window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookbacks: Vec<usize>,
}

/// `[model] hidden_size` where a config leaves it out: the recipe's.
fn default_hidden_size() -> usize {
    32
}

impl Default for ModelSection {
    /// A config without `[model]`: every key at its serde default (one LSTM of
    /// [`default_hidden_size`] units with a linear head), read from an empty section so that
    /// the two cannot differ.
    fn default() -> Self {
        toml::Table::new()
            .try_into()
            .expect("every [model] key has a default")
    }
}

impl ModelSection {
    /// The rows network `index` (0-based) of each family's ensemble reads, `lookbacks[index
    /// mod n]`; `None` without lookbacks (the whole window).
    pub fn lookback_of(&self, index: usize) -> Option<usize> {
        let lookbacks = &self.lookbacks;
        (!lookbacks.is_empty()).then(|| lookbacks[index % lookbacks.len()])
    }
}

/// `[model] statistical`: a statistical member of the ensemble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistical {
    /// Automatic exponential smoothing (`yoho_eval::Ets`).
    Ets,
    /// Exponential smoothing whose season evolves, Holt–Winters (`yoho_eval::HoltWinters`).
    HoltWinters,
    /// Automatic seasonal ARIMA (`yoho_eval::Arima`).
    Arima,
    /// Automatic seasonal ARIMA on the logarithm of a strictly positive series
    /// (`yoho_eval::LogArima`).
    LogArima,
}

impl Statistical {
    /// Its name in a config.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ets => "ets",
            Self::HoltWinters => "holt_winters",
            Self::Arima => "arima",
            Self::LogArima => "log_arima",
        }
    }
}

/// One voice of `[model] statistical`: a forecaster, or several whose forecasts are averaged
/// into one (written as a list within the list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Voice {
    /// One forecaster.
    One(Statistical),
    /// The mean of several forecasters' forecasts.
    Mean(Vec<Statistical>),
}

impl Voice {
    /// Its forecasters, in the order written.
    pub fn members(&self) -> &[Statistical] {
        match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Mean(several) => several,
        }
    }
}

/// The blend of `voices` (`[model] statistical`) by `rule` (`[model] blend`; the mean by
/// default) with `families` families of networks, every member seasonally adjusted with
/// `season`; `None` without voices.
pub fn blend_of(
    voices: &[Voice],
    rule: Option<yoho_eval::BlendRule>,
    families: usize,
    season: Option<usize>,
) -> Option<yoho_eval::Blend> {
    let member = |statistical: &Statistical| -> yoho_eval::Statistical {
        match statistical {
            Statistical::Ets => yoho_eval::Ets { season }.into(),
            Statistical::HoltWinters => yoho_eval::HoltWinters { season }.into(),
            Statistical::Arima => yoho_eval::Arima { season }.into(),
            Statistical::LogArima => yoho_eval::LogArima { season }.into(),
        }
    };
    let members = voices
        .iter()
        .map(|voice| voice.members().iter().map(member).collect::<Vec<_>>());
    let rule = rule.unwrap_or_default();
    (!voices.is_empty()).then(|| yoho_eval::Blend::of_voices(members, families).with_rule(rule))
}

/// The baselines a run scores its forecast against: the standard set with `season`, and each
/// member of `blend` whose name is not among them.
pub fn baselines_of(
    season: Option<usize>,
    blend: Option<yoho_eval::Blend>,
) -> Vec<Box<dyn yoho_eval::Baseline>> {
    let mut baselines = yoho_eval::standard_baselines(season);
    for member in blend.map(|blend| blend.statistical).unwrap_or_default() {
        if !baselines
            .iter()
            .any(|b| b.name() == yoho_eval::Baseline::name(&member))
        {
            baselines.push(Box::new(member));
        }
    }
    baselines
}

/// `[model] statistical` as one name or a list of names and lists of names.
fn one_or_more<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Voice>, D::Error> {
    #[derive(Deserialize)]
    #[serde(
        untagged,
        expecting = "\"ets\", \"holt_winters\", \"arima\", \"log_arima\" or a list of them \
                     (a list within the list: one voice, the mean of its members)"
    )]
    enum Given {
        One(Statistical),
        More(Vec<Voice>),
    }
    Ok(match Given::deserialize(deserializer)? {
        Given::One(one) => vec![Voice::One(one)],
        Given::More(more) => more,
    })
}

/// `[train]`: how the network is fitted. Defaults follow PyTorch's AdamW.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainSection {
    /// Passes over the training windows.
    pub epochs: usize,
    /// Windows per optimiser step; 0 = all training windows in one step (full batch).
    pub batch_size: usize,
    /// Shuffle the training windows every epoch.
    pub shuffle: bool,
    /// Seed of the initial weights, the shuffling and dropout.
    pub seed: u64,
    /// `adamw` (default), `adam` or `sgd`.
    pub optimizer: OptimizerName,
    /// Learning rate.
    pub lr: f64,
    /// Weight decay: decoupled for AdamW, an L2 penalty for Adam and SGD. Defaults as in
    /// PyTorch: 0.01 for AdamW, 0 otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<f64>,
    /// SGD momentum (0 = plain SGD).
    pub momentum: f64,
    /// Adam(W) β₁.
    pub beta1: f64,
    /// Adam(W) β₂.
    pub beta2: f64,
    /// Adam(W) ε.
    pub eps: f64,
    /// Write a checkpoint every this many epochs (0 = ten times per run); the last epoch
    /// always gets one.
    pub checkpoint_every: usize,
    /// Print the loss every this many epochs (0 = about twenty lines per run).
    pub log_every: usize,
    /// `mse` (default) or `mae`: the point head's loss (see [`PointLoss`]); a distribution
    /// head is trained on its own.
    pub loss: PointLoss,
    /// `mean` (default) or `sum` of the batch's errors.
    pub loss_reduction: LossReduction,
    /// Stop when the validation loss has not improved for this many epochs (0 = never; needs
    /// `[data] valid_len > 0`).
    pub patience: usize,
    /// Evaluate the weights of the epoch with the lowest validation loss instead of the last
    /// epoch's (when there is a validation split).
    pub restore_best: bool,
    /// Epochs trained before early stopping may stop, and before an epoch may be kept as the
    /// best: a small validation set cannot then keep a barely trained network (0 = from the
    /// first epoch; at most `epochs` count).
    pub min_epochs: usize,
    /// The most optimiser steps a network takes per series it trains on (0 = no limit):
    /// training stops after the epoch that reaches it, but not before `min_epochs`. A long
    /// series' epochs hold many mini-batches, so a budget of steps, as NeuralForecast's
    /// `max_steps`, sizes its training where a count of epochs would run it many times longer
    /// than a short one's; a panel of N series gets N times the budget, each series as many
    /// steps as alone. The cosine schedule spans the epochs the budget leaves.
    pub max_steps: usize,
    /// The most mini-batches an epoch holds (0 = every training window once): where the
    /// training windows fill more, an epoch is the next this many batches of one stream of
    /// passes over them, each pass in a fresh random order, so that a large panel is validated,
    /// early-stopped and checkpointed every this many steps instead of once per pass (GluonTS's
    /// `num_batches_per_epoch`). `epochs`, `patience`, `min_epochs` and the kept epoch count
    /// these shorter epochs.
    pub batches_per_epoch: usize,
    /// `constant` (default) or `cosine`.
    pub lr_schedule: LrSchedule,
    /// Rescale each parameter's gradient to at most this L2 norm (0 = no clipping).
    pub grad_clip: f64,
    /// Networks trained side by side from different initial weights, each forecast the median
    /// of theirs (1 = one network).
    pub ensemble: usize,
}

/// The most members `[train] ensemble` may ask for.
pub const MAX_ENSEMBLE: usize = 64;

impl Default for TrainSection {
    fn default() -> Self {
        Self {
            epochs: 100,
            batch_size: 0,
            shuffle: true,
            seed: 42,
            optimizer: OptimizerName::Adamw,
            lr: 1e-3,
            weight_decay: None,
            momentum: 0.0,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            checkpoint_every: 0,
            log_every: 0,
            loss: PointLoss::Mse,
            loss_reduction: LossReduction::Mean,
            patience: 0,
            restore_best: true,
            min_epochs: 0,
            max_steps: 0,
            batches_per_epoch: 0,
            lr_schedule: LrSchedule::Constant,
            grad_clip: 0.0,
            ensemble: 1,
        }
    }
}

impl TrainSection {
    /// The weight decay in effect: the one set, or the optimiser's default.
    pub fn weight_decay(&self) -> f64 {
        self.weight_decay
            .unwrap_or_else(|| self.optimizer.default_weight_decay())
    }

    /// The first epoch that early stopping may stop at and that may be kept as the best:
    /// `min_epochs`, or `epochs` when that is fewer (`--epochs` may cut a run short).
    pub fn first_keepable_epoch(&self) -> usize {
        self.min_epochs.min(self.epochs)
    }

    /// These settings for a training set of `series` series in `steps_per_epoch` mini-batches:
    /// `epochs` cut to the epochs `series × max_steps` allow (rounded up to a whole epoch, at
    /// least `min_epochs`).
    pub fn within_step_budget(&self, series: usize, steps_per_epoch: usize) -> TrainSection {
        let mut budgeted = self.clone();
        if self.max_steps > 0 {
            let budget = self.max_steps.saturating_mul(series.max(1));
            let allowed = budget.div_ceil(steps_per_epoch.max(1));
            budgeted.epochs = self.epochs.min(allowed.max(self.min_epochs));
        }
        budgeted
    }

    /// Epochs between checkpoints.
    pub fn checkpoint_interval(&self) -> usize {
        match self.checkpoint_every {
            0 => (self.epochs / 10).max(1),
            every => every,
        }
    }
}

/// A config's error against the schema, named after its file, with a hint at the key meant.
fn schema_error(path: &Path, message: &str) -> anyhow::Error {
    let hint = suggest_key(message)
        .map(|key| format!("\ndid you mean `{key}`?"))
        .unwrap_or_default();
    anyhow::anyhow!("{}: {}{hint}", path.display(), message.trim_end())
}

/// An error for a `[data] path` that is relative, absent from the current directory, and found
/// beside the config at `config` instead: paths are read from the current directory, and a
/// user who keeps the data beside the config is told so (any other absent file is left to the
/// loader's error).
fn check_data_path(table: &toml::Table, config: &Path) -> anyhow::Result<()> {
    let Some(data) = (table.get("data"))
        .and_then(|data| data.get("path"))
        .and_then(toml::Value::as_str)
        .map(Path::new)
    else {
        return Ok(());
    };
    let beside = config.parent().map(|folder| folder.join(data));
    match beside {
        Some(beside) if data.is_relative() && !data.exists() && beside.is_file() => bail!(
            "{}: [data] path {:?} is not found from the current directory: paths are read from \
             the directory the trainer runs in, not from the config's folder; {} is there: run \
             from that folder or write path = {:?}",
            config.display(),
            data.display().to_string(),
            beside.display(),
            beside.display().to_string()
        ),
        _ => Ok(()),
    }
}

/// Replaces `[data] path` in `table` with `data`, where the data come from a file (a config
/// whose `source` generates its series keeps it, and `--data` is refused later).
fn replace_data_path(table: &mut toml::Table, data: &Path) {
    let Some(toml::Value::Table(section)) = table.get_mut("data") else {
        return;
    };
    let from_file = (section.get("source")).is_none_or(|source| source.as_str() == Some("csv"));
    if from_file {
        let path = data.to_string_lossy().into_owned();
        section.insert("path".into(), toml::Value::String(path));
    }
}

impl ExperimentConfig {
    /// Reads and checks the config at `path`. Relative data paths stay relative to the current
    /// directory.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        Self::load_reading(path, None, Purpose::Run)
    }

    /// Reads and checks the config at `path` for `purpose`, as [`ExperimentConfig::load`], with
    /// its `[data] path` replaced by `data` (`--data`) first, so that the default recipe
    /// chooses its settings (season, calendar, window) from the series that will be read.
    pub(crate) fn load_reading(
        path: &Path,
        data: Option<&Path>,
        purpose: Purpose,
    ) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let schema_error = |message: String| schema_error(path, &message);
        let mut table: toml::Table =
            toml::from_str(&text).map_err(|error| schema_error(error.to_string()))?;
        match data {
            Some(data) => replace_data_path(&mut table, data),
            None => check_data_path(&table, path)?,
        }
        match crate::recipe::wanted(&table) {
            // read from the text, so that an error shows its line
            false => {
                let config =
                    toml::from_str(&text).map_err(|error| schema_error(error.to_string()))?;
                Self::checked(config, path)
            }
            true => {
                if let Some(note) = crate::recipe::partial_model_note(&table, path) {
                    eprintln!("note: {note}");
                }
                Self::from_table_for(table, path, purpose)
            }
        }
    }

    /// The config `table` holds, as if read from a file at `path` (which names it, and its
    /// errors): with the default recipe filled in where its `[data]` has no `window_len` (see
    /// `recipe.rs`), then checked.
    pub fn from_table(table: toml::Table, path: &Path) -> anyhow::Result<Self> {
        Self::from_table_for(table, path, Purpose::Run)
    }

    /// [`ExperimentConfig::from_table`] with the recipe sized for `purpose`.
    fn from_table_for(
        mut table: toml::Table,
        path: &Path,
        purpose: Purpose,
    ) -> anyhow::Result<Self> {
        crate::recipe::fill(&mut table, path, purpose)?;
        let config = toml::Value::Table(table)
            .try_into()
            .map_err(|error: toml::de::Error| {
                let message = error.to_string();
                let hint = suggest_key(&message)
                    .map(|key| format!("\ndid you mean `{key}`?"))
                    .unwrap_or_default();
                anyhow::anyhow!("{}: {}{hint}", path.display(), message.trim_end())
            })?;
        Self::checked(config, path)
    }

    /// `config` named after `path` when it has no name, and checked.
    fn checked(mut config: Self, path: &Path) -> anyhow::Result<Self> {
        if config.name.is_none() {
            config.name = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned());
        }
        config
            .validate()
            .with_context(|| format!("invalid config {}", path.display()))?;
        Ok(config)
    }

    /// Reads the config a run directory saved (`config.toml`), checked like any config.
    ///
    /// Runs written before `[data] transform` and `window_norm` existed predicted scaled levels
    /// from unnormalised windows, and panels before `split` existed shared one time split; a
    /// saved config without those keys keeps that meaning, so that `predict` and `--resume` use
    /// such a run as it was trained.
    pub fn load_saved(path: &Path) -> anyhow::Result<Self> {
        let mut config = Self::load(path)?;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let table: toml::Table = toml::from_str(&text)
            .with_context(|| format!("{} is not a TOML table", path.display()))?;
        let data = table.get("data").and_then(toml::Value::as_table);
        if data.is_some_and(|data| !data.contains_key("transform")) {
            config.data.transform = TargetTransform::Level;
        }
        if data.is_some_and(|data| !data.contains_key("window_norm")) {
            config.data.window_norm = WindowNorm::None;
        }
        // panels saved before `split` existed shared one time split
        if data.is_some_and(|data| !data.contains_key("split")) {
            config.data.split = PanelSplit::CommonTime;
        }
        Ok(config)
    }

    /// The run's name.
    pub fn run_name(&self) -> &str {
        self.name.as_deref().unwrap_or("run")
    }

    /// The default run directory: `runs/<name>`.
    pub fn default_run_dir(&self) -> PathBuf {
        Path::new("runs").join(self.run_name())
    }

    /// Checks ranges that the types alone do not: every problem names its key. (`[data]` checks
    /// its own keys as it is read: see [`DataConfig`].)
    pub fn validate(&self) -> anyhow::Result<()> {
        let model = &self.model;
        let train = &self.train;
        within("[model] hidden_size", model.hidden_size, 1, MAX_HIDDEN_SIZE)?;
        within("[model] num_layers", model.num_layers, 1, MAX_LAYERS)?;
        if !(0.0..1.0).contains(&model.dropout) {
            bail!(
                "[model] dropout: expected a probability in [0, 1), got {}",
                model.dropout
            );
        }
        for (index, width) in model.head.iter().enumerate() {
            within(
                &format!("[model] head: layer {}", index + 1),
                *width,
                1,
                MAX_HIDDEN_SIZE,
            )?;
        }
        within("[train] epochs", train.epochs, 0, MAX_EPOCHS)?;
        within("[train] batch_size", train.batch_size, 0, MAX_STEPS)?;
        within(
            "[evaluate] season",
            self.evaluate.season.unwrap_or(1),
            1,
            MAX_STEPS,
        )?;
        if train.epochs == 0 && model.init_from.is_none() {
            bail!(
                "[train] epochs: expected at least 1, got 0 (0 only evaluates the weights of \
                 [model] init_from, and none is set)"
            );
        }
        if model.init_from.is_some() && model.strategy == Strategy::Seq2seq {
            bail!(
                "[model] init_from: PyTorch weights load into a recurrent network with a linear \
                 head, not into strategy = \"seq2seq\"'s encoder–decoder"
            );
        }
        positive("lr", train.lr)?;
        positive("eps", train.eps)?;
        let weight_decay = train.weight_decay();
        if !(weight_decay >= 0.0 && weight_decay.is_finite()) {
            bail!("[train] weight_decay: expected a number ≥ 0, got {weight_decay}");
        }
        for (key, beta) in [
            ("beta1", train.beta1),
            ("beta2", train.beta2),
            ("momentum", train.momentum),
        ] {
            if !(0.0..1.0).contains(&beta) {
                bail!("[train] {key}: expected a number in [0, 1), got {beta}");
            }
        }
        if !(train.grad_clip >= 0.0 && train.grad_clip.is_finite()) {
            bail!(
                "[train] grad_clip: expected a number ≥ 0 (0 = no clipping), got {}",
                train.grad_clip
            );
        }
        if !(1..=MAX_ENSEMBLE).contains(&train.ensemble) {
            bail!(
                "[train] ensemble: expected a number of networks from 1 to {MAX_ENSEMBLE}, got {}",
                train.ensemble
            );
        }
        if train.patience > 0 && self.data.valid_len == 0 {
            bail!(
                "[train] patience: early stopping watches the validation loss, so [data] \
                 valid_len must be at least 1 (it is 0)"
            );
        }
        if train.lr_schedule == LrSchedule::Cosine && train.lr > 1.0 {
            bail!(
                "[train] lr: the cosine schedule needs lr ≤ 1, got {}",
                train.lr
            );
        }
        self.validate_intervals()?;
        self.validate_output()?;
        if train.momentum > 0.0 && train.optimizer != OptimizerName::Sgd {
            bail!("[train] momentum: only applies with optimizer = \"sgd\" (Adam's is beta1)");
        }
        self.validate_strategy()?;
        self.validate_family()?;
        self.validate_closed_loop()
    }

    fn validate_family(&self) -> anyhow::Result<()> {
        let data = &self.data;
        for family in self.model.family.iter().filter(|f| f.reads_levels()) {
            let name = family.name();
            if data.transform != TargetTransform::Level {
                bail!(
                    "[data] transform: family = \"{name}\" reads the target's levels and \
                     forecasts levels, so it needs transform = \"level\", got \"{}\"",
                    data.transform.name()
                );
            }
            if self.target_feature_index().is_none() {
                bail!(
                    "[model] family = \"{name}\" reads the target in the window, so [data] \
                     features must include \"{}\", got [{}]",
                    data.target,
                    quoted(&data.features)
                );
            }
        }
        if self.model.family.contains(ModelFamily::SeasonalMlp)
            && self.model.strategy == Strategy::Seq2seq
        {
            bail!(
                "[model] strategy = \"seq2seq\": family = \"seasonal_mlp\" is a perceptron \
                 without a recurrent decoder; use strategy = \"direct\" or \"recursive\""
            );
        }
        let season = data.season.unwrap_or(1);
        if self.model.family.contains(ModelFamily::EsRnn) && season > data.window_len {
            bail!(
                "[data] season: family = \"es_rnn\" starts its seasonal indices from the \
                 window's first season, so window_len must be at least season ({season}), got {}",
                data.window_len
            );
        }
        within(
            "[model] series",
            self.model.series.unwrap_or(1),
            1,
            MAX_STEPS,
        )?;
        self.validate_lookbacks()
    }

    fn validate_lookbacks(&self) -> anyhow::Result<()> {
        let (lookbacks, data) = (&self.model.lookbacks, &self.data);
        let networks = self.train.ensemble.max(1);
        if lookbacks.len() > networks {
            bail!(
                "[model] lookbacks: {} lookbacks for {networks} network(s) per family ([train] \
                 ensemble); network k reads lookbacks[k], so list at most {networks} or raise \
                 ensemble",
                lookbacks.len()
            );
        }
        let season = data.season.unwrap_or(1);
        let seasonal = self
            .model
            .family
            .iter()
            .find(|family| family.reads_levels());
        for &rows in lookbacks {
            if !(1..=data.window_len).contains(&rows) {
                bail!(
                    "[model] lookbacks: a network reads the newest rows of the window, so each \
                     lookback must be from 1 to [data] window_len ({}), got {rows}",
                    data.window_len
                );
            }
            if let Some(family) = seasonal.filter(|_| rows < season) {
                bail!(
                    "[model] lookbacks: family = \"{}\" forecasts from the window's last \
                     season, so each lookback must be at least [data] season ({season}), got \
                     {rows}",
                    family.name()
                );
            }
        }
        Ok(())
    }

    fn validate_strategy(&self) -> anyhow::Result<()> {
        match self.model.strategy {
            Strategy::Direct => Ok(()),
            Strategy::Recursive if !self.data.target_and_calendar_only() => bail!(
                "[model] strategy = \"recursive\" feeds the model its own forecasts, so [data] \
                 features must be the target alone ([\"{}\"]; calendar features may join it), \
                 got [{}]",
                self.data.target,
                quoted(&self.data.features)
            ),
            Strategy::Recursive => Ok(()),
            Strategy::Seq2seq if self.target_feature_index().is_none() => bail!(
                "[model] strategy = \"seq2seq\" starts its decoder from the last observed \
                 target, so [data] features must include \"{}\", got [{}]",
                self.data.target,
                quoted(&self.data.features)
            ),
            Strategy::Seq2seq => Ok(()),
        }
    }

    fn validate_intervals(&self) -> anyhow::Result<()> {
        let levels = &self.evaluate.intervals;
        if let Some(level) = levels
            .iter()
            .find(|level| !(**level > 0.0 && **level < 1.0))
        {
            bail!(
                "[evaluate] intervals: expected levels between 0 and 1, e.g. [0.8, 0.95], got \
                 {level}"
            );
        }
        if levels.len() > 10 {
            bail!(
                "[evaluate] intervals: expected at most 10 levels (the limit), got {}",
                levels.len()
            );
        }
        // levels are reported and keyed by their percent, to a tenth
        let mut percents: Vec<String> = levels
            .iter()
            .map(|l| yoho_eval::intervals::percent(*l))
            .collect();
        percents.sort();
        if let Some(pair) = percents.windows(2).find(|pair| pair[0] == pair[1]) {
            bail!(
                "[evaluate] intervals: expected distinct levels (to a tenth of a percent), got \
                 {} % twice",
                pair[0]
            );
        }
        Ok(())
    }

    fn validate_closed_loop(&self) -> anyhow::Result<()> {
        if self.evaluate.closed_loop && !self.data.target_and_calendar_only() {
            bail!(
                "[evaluate] closed_loop feeds the model its own forecasts, so [data] features \
                 must be the target alone ([\"{}\"]; calendar features may join it), got [{}]",
                self.data.target,
                quoted(&self.data.features)
            );
        }
        Ok(())
    }

    /// The config for one model over a panel of `series` series: `es_rnn` learns smoothing
    /// coefficients for each of them (`[model] series`); other families are unchanged.
    pub fn for_panel(mut self, series: usize) -> Self {
        if self.model.family.contains(ModelFamily::EsRnn) {
            self.model.series = Some(series);
        }
        self
    }

    /// The position of the target among the features, if it is one.
    pub fn target_feature_index(&self) -> Option<usize> {
        self.data
            .features
            .iter()
            .position(|feature| *feature == self.data.target)
    }

    /// Values the network outputs per window: 1 for the recursive strategy, the horizon
    /// otherwise.
    pub fn model_output_size(&self) -> usize {
        match self.model.strategy {
            Strategy::Recursive => 1,
            Strategy::Direct | Strategy::Seq2seq => self.data.horizon,
        }
    }

    /// How the networks' forecast is blended with `[model] statistical`'s (`None`: it is not):
    /// each statistical forecast weighs as one more family (or, with `[model] blend =
    /// "median"`, the median of them all), seasonally adjusted with `[evaluate] season` (the
    /// `ets` baseline's; `[data] season` without it).
    pub fn blend(&self) -> Option<yoho_eval::Blend> {
        let families = self.model.family.len();
        blend_of(
            &self.model.statistical,
            self.model.blend,
            families,
            self.ets().season,
        )
    }

    /// Exponential smoothing as this config gives it: seasonally adjusted with `[evaluate]
    /// season` (the `ets` baseline's), `[data] season` without it.
    pub fn ets(&self) -> yoho_eval::Ets {
        yoho_eval::Ets {
            season: self.evaluate.season.or(self.data.season),
        }
    }

    /// Automatic ARIMA as this config gives it, with the season [`Self::ets`] has.
    pub fn arima(&self) -> yoho_eval::Arima {
        yoho_eval::Arima {
            season: self.ets().season,
        }
    }

    /// Automatic ARIMA on the logarithm, with the season [`Self::ets`] has.
    pub fn log_arima(&self) -> yoho_eval::LogArima {
        yoho_eval::LogArima {
            season: self.ets().season,
        }
    }

    /// The baselines a run scores its model against: the standard set with `[evaluate]
    /// season`, and each `[model] statistical` member whose name is not among them, so that
    /// every member's own score is reported beside the blend (whose test forecasts reuse its
    /// column).
    pub fn baselines(&self) -> Vec<Box<dyn yoho_eval::Baseline>> {
        baselines_of(self.evaluate.season, self.blend())
    }

    /// The network this config describes, for `features` inputs and `horizon` outputs: one
    /// network, an ensemble of `[train] ensemble` networks, or an ensemble of such per family;
    /// with `[model] lookbacks`, network `k` of each family reads the newest `lookbacks[k mod
    /// n]` rows of the window.
    pub fn forecaster_config(&self) -> ForecasterConfig {
        let mut families = self.model.family.iter().map(|family| {
            let member = |index: usize| self.with_lookback(self.family_config(family), index);
            match (self.train.ensemble, self.model.lookbacks.len()) {
                (0 | 1, _) => member(0),
                (members, 0 | 1) => {
                    ForecasterConfig::Ensemble(EnsembleConfig::new(Box::new(member(0)), members))
                }
                (members, _) => ForecasterConfig::Ensemble(
                    EnsembleConfig::new(Box::new(member(0)), 1)
                        .with_others((1..members).map(member).collect()),
                ),
            }
        });
        let first = families.next().expect("a config names a family");
        let others: Vec<ForecasterConfig> = families.collect();
        match others.is_empty() {
            true => first,
            false => ForecasterConfig::Ensemble(
                EnsembleConfig::new(Box::new(first), 1).with_others(others),
            ),
        }
    }

    /// `network` reading the newest rows `[model] lookbacks` gives the `index`th network of a
    /// family (`network` itself without lookbacks).
    fn with_lookback(&self, network: ForecasterConfig, index: usize) -> ForecasterConfig {
        match self.model.lookback_of(index) {
            None => network,
            Some(rows) => ForecasterConfig::Lookback(LookbackConfig::new(Box::new(network), rows)),
        }
    }

    /// One network of `family` as this config describes it.
    pub fn family_config(&self, family: ModelFamily) -> ForecasterConfig {
        let target_index = self.target_feature_index().unwrap_or(0);
        let season = self.data.season.unwrap_or(1);
        match family {
            ModelFamily::Rnn => self.rnn_forecaster_config().into(),
            ModelFamily::EsRnn => ForecasterConfig::EsRnn(
                EsRnnConfig::new(self.rnn_forecaster_config(), target_index)
                    .with_season(season)
                    .with_series(self.model.series.unwrap_or(1)),
            ),
            ModelFamily::SeasonalRnn => ForecasterConfig::SeasonalRnn(
                SeasonalRnnConfig::new(self.rnn_forecaster_config(), target_index)
                    .with_season(season),
            ),
            ModelFamily::SeasonalMlp => {
                ForecasterConfig::SeasonalMlp(self.mlp_config(target_index))
            }
        }
    }

    /// The perceptron of `family = "seasonal_mlp"`: `num_layers` hidden layers of
    /// `hidden_size`, then `head`'s.
    fn mlp_config(&self, target_index: usize) -> SeasonalMlpConfig {
        let model = &self.model;
        let hidden = std::iter::repeat_n(model.hidden_size, model.num_layers.max(1))
            .chain(model.head.iter().copied())
            .collect();
        SeasonalMlpConfig::new(
            self.data.model_features().len(),
            self.data.window_len,
            target_index,
            hidden,
        )
        .with_output_size(self.model_output_size())
        .with_season(self.data.season.unwrap_or(1))
        .with_distribution(self.output_distribution())
    }

    fn rnn_forecaster_config(&self) -> RnnForecasterConfig {
        let model = &self.model;
        RnnForecasterConfig::new(self.data.model_features().len(), model.hidden_size)
            .with_num_layers(model.num_layers)
            .with_dropout(model.dropout)
            .with_head(model.head.clone())
            .with_output_size(self.model_output_size())
            .with_cell(model.cell)
            .with_seq2seq_target_index(match model.strategy {
                Strategy::Seq2seq => self.target_feature_index(),
                Strategy::Direct | Strategy::Recursive => None,
            })
            .with_distribution(self.output_distribution())
    }

    /// The head's output distribution `[model] output` names.
    pub fn output_distribution(&self) -> OutputDistribution {
        match self.model.output {
            OutputKind::Point => OutputDistribution::Point,
            OutputKind::Gaussian => OutputDistribution::Gaussian,
            OutputKind::StudentT => OutputDistribution::StudentT,
            OutputKind::Quantiles => {
                OutputDistribution::Quantiles(self.model.quantiles.clone().unwrap_or_default())
            }
        }
    }

    fn validate_output(&self) -> anyhow::Result<()> {
        let model = &self.model;
        match (model.output, &model.quantiles) {
            (OutputKind::Quantiles, None) => bail!(
                "[model] quantiles: output = \"quantiles\" needs its levels, e.g. quantiles = \
                 [0.05, 0.5, 0.95]"
            ),
            (OutputKind::Quantiles, Some(levels)) => {
                let ascending = levels.windows(2).all(|pair| pair[0] < pair[1]);
                let inside = levels.iter().all(|level| *level > 0.0 && *level < 1.0);
                if levels.is_empty() || levels.len() > 99 || !ascending || !inside {
                    bail!(
                        "[model] quantiles: expected 1 to 99 ascending levels between 0 and 1, \
                         e.g. [0.05, 0.5, 0.95], got {levels:?}"
                    );
                }
            }
            (_, Some(_)) => bail!("[model] quantiles: only applies with output = \"quantiles\""),
            (_, None) => {}
        }
        if model.output != OutputKind::Point && model.init_from.is_some() {
            bail!(
                "[model] init_from: PyTorch weights load into a point forecaster; remove \
                 init_from or set output = \"point\""
            );
        }
        let members: Vec<Statistical> = (model.statistical.iter())
            .flat_map(|voice| voice.members().iter().copied())
            .collect();
        if model
            .statistical
            .iter()
            .any(|voice| voice.members().is_empty())
        {
            bail!(
                "[model] statistical: an empty list is no voice; list its forecasters, e.g. \
                 [\"ets\", [\"arima\", \"log_arima\"]], or remove it"
            );
        }
        if let Some(repeated) = (members.iter())
            .enumerate()
            .find_map(|(i, s)| members[..i].contains(s).then_some(s))
        {
            bail!(
                "[model] statistical: \"{}\" is listed twice; list each forecaster once \
                 (each weighs as one family)",
                repeated.name()
            );
        }
        if model.blend.is_some() && model.statistical.is_empty() {
            bail!(
                "[model] blend: combines the networks' forecast with statistical ones; set \
                 statistical = [\"ets\", \"arima\"] (or one of them) or remove blend"
            );
        }
        if model.output != OutputKind::Point && !model.statistical.is_empty() {
            bail!(
                "[model] statistical: the statistical forecast is blended with point forecasts; \
                 remove statistical or set output = \"point\""
            );
        }
        if model.output != OutputKind::Point && self.train.loss == PointLoss::Mae {
            bail!(
                "[train] loss = \"mae\" is a loss of output = \"point\"; a distribution \
                 head is trained on its own (output = \"quantiles\" with quantiles = [0.5] \
                 on half the absolute error)"
            );
        }
        if model.output != OutputKind::Point && self.train.loss_reduction == LossReduction::Sum {
            bail!(
                "[train] loss_reduction = \"sum\" applies to the errors of output = \
                 \"point\"; a distribution head is trained on its mean loss"
            );
        }
        Ok(())
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// For an "unknown field `x`, expected one of `a`, `b`" message, the expected key nearest to
/// `x`, if one is close enough to be a likely typo.
fn suggest_key(message: &str) -> Option<&str> {
    let unknown = message.split("unknown field `").nth(1)?.split('`').next()?;
    let expected = message.split("expected one of").nth(1)?;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|candidate| (strsim::jaro_winkler(unknown, candidate), candidate))
        .filter(|(similarity, _)| *similarity > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// The widest recurrent layer or head layer: 16,384 units (an LSTM layer of that width holds
/// 4 GiB of weights in `f32`).
pub const MAX_HIDDEN_SIZE: usize = 16_384;
/// The most stacked recurrent layers.
pub const MAX_LAYERS: usize = 64;
/// The most epochs.
pub const MAX_EPOCHS: usize = 10_000_000;

/// Checks `least ≤ value ≤ most`; the error names `key`, the range and the limit.
fn within(key: &str, value: usize, least: usize, most: usize) -> anyhow::Result<()> {
    if (least..=most).contains(&value) {
        Ok(())
    } else {
        bail!(
            "{key}: expected a whole number of at least {least} and at most {most} (the limit), \
             got {value}"
        )
    }
}

fn positive(key: &str, value: f64) -> anyhow::Result<()> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        bail!("[train] {key}: expected a number > 0, got {value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        [data]
        path = "data/sp500.csv"
        features = ["Open"]
        target = "Open"
        window_len = 5
        test_len = 100

        [model]
        hidden_size = 100
        head = [50]
    "#;

    fn parse(text: &str) -> anyhow::Result<ExperimentConfig> {
        let config: ExperimentConfig = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        config.validate()?;
        Ok(config)
    }

    #[test]
    fn a_data_file_beside_the_config_but_not_in_the_current_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = "yoho-beside-the-config.csv";
        std::fs::write(dir.path().join(file), "Date,v\n2020-01-01,1\n").unwrap();
        let config = dir.path().join("beside.toml");
        let text = format!("[data]\npath = \"{file}\"\ntarget = \"v\"\nwindow_len = 2\n");
        std::fs::write(&config, text).unwrap();
        // the tests run in the crate's folder, where no such file is
        let error = format!("{:#}", ExperimentConfig::load(&config).unwrap_err());
        assert!(
            error.contains("not found from the current directory"),
            "{error}"
        );
        assert!(
            error.contains(&dir.path().join(file).display().to_string()),
            "{error}"
        );
        // an absent file found nowhere is left to the loader
        std::fs::remove_file(dir.path().join(file)).unwrap();
        assert!(ExperimentConfig::load(&config).is_ok());
    }

    #[test]
    fn a_config_of_data_alone_gets_every_default() {
        // an empty [model] and no [model] at all read the same defaults
        let empty: ModelSection = toml::from_str("").unwrap();
        assert_eq!(empty, ModelSection::default());
        let data_alone = "[data]\npath = \"a.csv\"\ntarget = \"v\"\nwindow_len = 8\n";
        let config = parse(data_alone).unwrap();
        assert_eq!(config.model, ModelSection::default());
        assert_eq!(config.model.hidden_size, 32);
        assert_eq!(config.data.features, ["v"]);
        assert_eq!(config.data.test_len, 1);
        assert_eq!(config.forecaster_config().input_size(), 1);
    }

    #[test]
    fn feeding_back_takes_the_target_with_calendar_features_and_refuses_other_inputs() {
        let with = |data: &str| {
            MINIMAL.replace("test_len = 100", data) + "[evaluate]\nclosed_loop = true\n"
        };
        assert!(parse(&with("test_len = 100\ncalendar = [\"day_of_week\"]")).is_ok());
        let error = parse(
            &with("test_len = 100")
                .replace("features = [\"Open\"]", "features = [\"Open\", \"Close\"]"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("closed_loop") && error.contains("\"Open\", \"Close\""),
            "{error}"
        );
        // the recursive strategy feeds back the same way
        let recursive = |data: &str| {
            MINIMAL.replace("test_len = 100", data).replace(
                "hidden_size = 100",
                "hidden_size = 100\nstrategy = \"recursive\"",
            )
        };
        let calendar = "test_len = 100\nhorizon = 3\ncalendar = [\"day_of_week\"]";
        assert!(parse(&recursive(calendar)).is_ok());
        let other = recursive(calendar)
            .replace("features = [\"Open\"]", "features = [\"Open\", \"Close\"]");
        assert!(parse(&other).unwrap_err().to_string().contains("recursive"));
    }

    #[test]
    fn a_step_budget_per_series_cuts_the_epochs_of_long_series_only() {
        let mut train = TrainSection {
            epochs: 300,
            min_epochs: 20,
            max_steps: 1000,
            ..TrainSection::default()
        };
        // 41 mini-batches an epoch: 25 epochs reach 1,000 steps
        assert_eq!(train.within_step_budget(1, 41).epochs, 25);
        // a panel of 4 series gets 4,000 steps: 98 epochs of 41
        assert_eq!(train.within_step_budget(4, 41).epochs, 98);
        // 3 an epoch: 334 epochs would, so the 300 stand
        assert_eq!(train.within_step_budget(1, 3).epochs, 300);
        // 500 an epoch: 2 epochs would, but never fewer than min_epochs
        assert_eq!(train.within_step_budget(1, 500).epochs, 20);
        train.max_steps = 0;
        assert_eq!(train.within_step_budget(1, 500).epochs, 300);
        assert_eq!(train.within_step_budget(0, 0).epochs, 300);
    }

    #[test]
    fn exponential_smoothing_weighs_as_one_more_family_with_the_series_season() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("monthly.csv");
        let write = |months: usize| {
            let mut text = String::from("Date,value\n");
            for i in 0..months {
                let value = 100.0 + i as f64 + 10.0 * (i as f64 * std::f64::consts::PI / 6.0).sin();
                text += &format!("{}-{:02}-01,{value:.3}\n", 1990 + i / 12, 1 + i % 12);
            }
            std::fs::write(&data, text).unwrap();
        };
        write(144);
        let parsed = |extra: &str| {
            let table: toml::Table = toml::from_str(&format!(
                "[data]\npath = {:?}\ntarget = \"value\"\nhorizon = 18\n{extra}",
                data.display().to_string()
            ))
            .unwrap();
            ExperimentConfig::from_table(table, Path::new("m.toml"))
        };
        let config = |extra: &str| parsed(extra).unwrap();
        let rejection = |extra: &str| format!("{:#}", parsed(extra).unwrap_err());
        // the recipe's three families of networks, ETS and ARIMA: the median of the networks'
        // forecast, ETS's voice (the mean of its fits with a fixed and an evolving season) and
        // ARIMA's (the mean of its fits on the values and on the logarithm)
        let blend = config("").blend().expect("the recipe blends");
        assert_eq!(blend.rule, yoho_eval::BlendRule::Median);
        let seasons = |blend: &yoho_eval::Blend| -> Vec<Option<usize>> {
            blend.statistical.iter().map(|s| s.season()).collect()
        };
        assert_eq!(seasons(&blend), vec![Some(12); 4]);
        assert!(matches!(
            blend.statistical[..],
            [
                yoho_eval::Statistical::Ets(_),
                yoho_eval::Statistical::HoltWinters(_),
                yoho_eval::Statistical::Arima(_),
                yoho_eval::Statistical::LogArima(_)
            ]
        ));
        assert_eq!(blend.voices, [0, 0, 1, 1]);
        // a config that names its model blends only when it says so, one name or a list, by
        // the weighted mean unless it says median
        assert_eq!(config("[model]\nhidden_size = 8\n").blend(), None);
        let named = config("[model]\nhidden_size = 8\nstatistical = \"ets\"\n");
        let named = named.blend().unwrap();
        assert_eq!(
            (named.weight, named.rule),
            (0.5, yoho_eval::BlendRule::Mean)
        );
        let median = "[model]\nhidden_size = 8\nstatistical = \"ets\"\nblend = \"median\"\n";
        assert_eq!(
            config(median).blend().unwrap().rule,
            yoho_eval::BlendRule::Median
        );
        let message = rejection("[model]\nhidden_size = 8\nblend = \"median\"\n");
        assert!(
            message.contains("[model] blend") && message.contains("set statistical"),
            "{message}"
        );
        let message =
            rejection("[model]\nhidden_size = 8\nstatistical = \"ets\"\nblend = \"max\"\n");
        assert!(
            message.contains("m.toml") && message.contains("blend") && message.contains("median"),
            "{message}"
        );
        let listed = config("[model]\nhidden_size = 8\nstatistical = [\"arima\"]\n");
        assert!(matches!(
            listed.blend().unwrap().statistical[..],
            [yoho_eval::Statistical::Arima(_)]
        ));
        // ARIMA on the logarithm, with the season the others have; a baseline column of the
        // run only where a config names it, after the standard ones
        let logged = config("[model]\nhidden_size = 8\nstatistical = [\"ets\", \"log_arima\"]\n");
        assert!(matches!(
            logged.blend().unwrap().statistical[..],
            [
                yoho_eval::Statistical::Ets(_),
                yoho_eval::Statistical::LogArima(yoho_eval::LogArima { season: Some(12) })
            ]
        ));
        let names = |config: &ExperimentConfig| -> Vec<&'static str> {
            config.baselines().iter().map(|b| b.name()).collect()
        };
        let standard: Vec<&str> = (yoho_eval::standard_baselines(Some(12)).iter())
            .map(|b| b.name())
            .collect();
        assert_eq!(names(&listed), standard);
        assert_eq!(names(&logged), [&standard[..], &["log_arima"]].concat());
        // Holt–Winters, with the same season, and its own column
        let evolving =
            config("[model]\nhidden_size = 8\nstatistical = [[\"ets\", \"holt_winters\"]]\n");
        let blend = evolving.blend().unwrap();
        assert!(matches!(
            blend.statistical[..],
            [
                yoho_eval::Statistical::Ets(_),
                yoho_eval::Statistical::HoltWinters(yoho_eval::HoltWinters { season: Some(12) })
            ]
        ));
        assert_eq!(blend.voices, [0, 0]);
        assert_eq!(
            names(&evolving),
            [&standard[..], &["holt_winters"]].concat()
        );
        // a list within the list: one voice, weighing as one family, the mean of its members;
        // it is saved as it was written
        let voiced =
            "[model]\nhidden_size = 8\nstatistical = [\"ets\", [\"arima\", \"log_arima\"]]\n";
        let voiced = config(voiced);
        let blend = voiced.blend().unwrap();
        assert_eq!(
            (blend.voices.as_slice(), blend.weight),
            (&[0, 1, 1][..], 1.0 / 3.0)
        );
        assert_eq!(names(&voiced), names(&logged));
        let saved: toml::Table = toml::from_str(&toml::to_string(&voiced).unwrap()).unwrap();
        assert_eq!(
            saved["model"]["statistical"].to_string(),
            r#"["ets", ["arima", "log_arima"]]"#
        );
        for (bad, wanted) in [
            ("[[]]", "an empty list is no voice"),
            ("[\"ets\", [\"ets\", \"arima\"]]", "\"ets\" is listed twice"),
            ("[[\"arima\", [\"ets\"]]]", "a list within the list"),
        ] {
            let message = rejection(&format!("[model]\nhidden_size = 8\nstatistical = {bad}\n"));
            assert!(message.contains(wanted), "{bad}: {message}");
        }
        let message = rejection("[model]\nstatistical = \"theta\"\n");
        assert!(
            message.contains("m.toml") && message.contains("statistical"),
            "{message}"
        );
        assert!(
            message.contains("\"ets\", \"holt_winters\", \"arima\", \"log_arima\" or a list"),
            "{message}"
        );
        let message =
            rejection("[model]\nhidden_size = 8\nstatistical = [\"arima\", \"ets\", \"arima\"]\n");
        assert!(
            message.contains("m.toml") && message.contains("\"arima\" is listed twice"),
            "{message}"
        );
        // 72 months: the windows cannot hold a year, the whole history (6 years) can
        write(72);
        let short = config("");
        assert_eq!(short.data.season, None);
        assert_eq!(short.evaluate.season, Some(12));
        assert_eq!(seasons(&short.blend().unwrap()), vec![Some(12); 4]);
    }

    #[test]
    fn defaults_reproduce_pytorchs_adamw() {
        let config = parse(MINIMAL).unwrap();
        let train = &config.train;
        assert_eq!((train.lr, train.beta1, train.beta2), (1e-3, 0.9, 0.999));
        assert_eq!((train.eps, train.weight_decay()), (1e-8, 0.01));
        assert_eq!(train.optimizer, OptimizerName::Adamw);
        assert_eq!(train.batch_size, 0);
        assert_eq!(config.model.cell, CellKind::Lstm);
        assert_eq!(config.data.stride, 1);
        assert_eq!(config.data.horizon, 1);
    }

    #[test]
    fn unknown_key_is_named() {
        let text = MINIMAL.replace("head = [50]", "head = [50]\nhiden_size = 3");
        let error = parse(&text).unwrap_err().to_string();
        assert!(error.contains("hiden_size"), "{error}");
    }

    #[test]
    fn unknown_key_gets_the_nearest_valid_one_suggested() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("typo.toml");
        std::fs::write(
            &path,
            MINIMAL.replace("head = [50]", "head = [50]\n[train]\nlearning_rat = 0.1"),
        )
        .unwrap();
        let error = format!("{:#}", ExperimentConfig::load(&path).unwrap_err());
        assert!(
            error.contains("learning_rat") && error.contains("typo.toml"),
            "{error}"
        );
        std::fs::write(
            &path,
            MINIMAL.replace("head = [50]", "head = [50]\n[train]\nepoch = 3"),
        )
        .unwrap();
        let error = format!("{:#}", ExperimentConfig::load(&path).unwrap_err());
        assert!(error.contains("did you mean `epochs`?"), "{error}");
        assert_eq!(
            suggest_key("unknown field `zzzz`, expected one of `lr`, `eps`"),
            None
        );
    }

    #[test]
    fn wrong_type_is_named() {
        let text = MINIMAL.replace("window_len = 5", "window_len = \"five\"");
        let error = parse(&text).unwrap_err().to_string();
        assert!(error.contains("window_len"), "{error}");
    }

    #[test]
    fn out_of_range_values_name_their_key() {
        for (from, to, key) in [
            ("head = [50]", "head = [50]\n[train]\nlr = -0.1", "lr"),
            ("head = [50]", "head = [50]\n[train]\nepochs = 0", "epochs"),
            ("head = [50]", "head = [50]\ndropout = 1.5", "dropout"),
            ("hidden_size = 100", "hidden_size = 0", "hidden_size"),
            (
                "head = [50]",
                "head = [50]\ninit_from = \"w.pt\"\nstrategy = \"seq2seq\"",
                "init_from",
            ),
        ] {
            let error = parse(&MINIMAL.replace(from, to)).unwrap_err().to_string();
            assert!(error.contains(key), "{key}: {error}");
        }
    }

    #[test]
    fn distribution_heads_and_intervals_are_checked() {
        let with_model =
            |extra: &str| MINIMAL.replace("head = [50]", &format!("head = [50]\n{extra}"));
        for (extra, expected) in [
            (
                "output = \"quantiles\"",
                "[model] quantiles: output = \"quantiles\" needs",
            ),
            (
                "output = \"quantiles\"\nquantiles = [0.9, 0.1]",
                "expected 1 to 99 ascending levels",
            ),
            (
                "quantiles = [0.1, 0.9]",
                "only applies with output = \"quantiles\"",
            ),
            (
                "output = \"gaussian\"\ninit_from = \"w.pt\"",
                "[model] init_from",
            ),
            ("output = \"beta\"", "unknown variant `beta`"),
        ] {
            let error = parse(&with_model(extra)).unwrap_err().to_string();
            assert!(error.contains(expected), "{extra}: {error}");
        }
        let config = parse(&with_model("output = \"student_t\"")).unwrap();
        assert_eq!(config.output_distribution(), OutputDistribution::StudentT);
        assert_eq!(config.evaluate.intervals, vec![0.8, 0.95]);
        let bad_level = MINIMAL.to_string() + "\n[evaluate]\nintervals = [0.8, 1.0]";
        let error = parse(&bad_level).unwrap_err().to_string();
        assert!(error.contains("[evaluate] intervals"), "{error}");
        let twice = MINIMAL.to_string() + "\n[evaluate]\nintervals = [0.8, 0.95, 0.80001]";
        let error = parse(&twice).unwrap_err().to_string();
        assert!(error.contains("80 % twice"), "{error}");
        // a second fit for the intervals, off unless asked for
        let second_fit = "\n[evaluate]\ncalibration_fit = true";
        let on = parse(&(MINIMAL.to_string() + second_fit)).unwrap();
        assert!(on.evaluate.calibration_fit);
        assert!(!parse(MINIMAL).unwrap().evaluate.calibration_fit);
    }

    #[test]
    fn the_point_loss_is_squared_error_unless_absolute_error_is_asked_for() {
        assert_eq!(parse(MINIMAL).unwrap().train.loss, PointLoss::Mse);
        let with = |model: &str, train: &str| {
            let model = MINIMAL.replace("head = [50]", &format!("head = [50]\n{model}"));
            parse(&format!("{model}\n[train]\n{train}"))
        };
        let config = with("", "loss = \"mae\"\nloss_reduction = \"sum\"").unwrap();
        assert_eq!(config.train.loss, PointLoss::Mae);
        assert_eq!(config.train.loss_reduction, LossReduction::Sum);
        let error = with("output = \"gaussian\"", "loss = \"mae\"").unwrap_err();
        assert!(
            error.to_string().contains("[train] loss = \"mae\""),
            "{error}"
        );
        let error = with("", "loss = \"huber\"").unwrap_err().to_string();
        assert!(error.contains("unknown variant `huber`"), "{error}");
        assert!(error.contains("expected `mse` or `mae`"), "{error}");
    }

    #[test]
    fn sizes_past_their_limit_name_the_key_and_the_limit() {
        for (from, to, expected) in [
            (
                "hidden_size = 100",
                "hidden_size = 100000000",
                "[model] hidden_size",
            ),
            (
                "head = [50]",
                "head = [50, 1000000]",
                "[model] head: layer 2",
            ),
            (
                "head = [50]",
                "head = [50]\nnum_layers = 1000",
                "[model] num_layers",
            ),
            (
                "head = [50]",
                "head = [50]\n[train]\nepochs = 100000000000",
                "[train] epochs",
            ),
            (
                "test_len = 100",
                "test_len = 100\nstride = 99999999999",
                "[data] stride",
            ),
            ("test_len = 100", "test_len = 100000000", "[data] test_len"),
        ] {
            let error = parse(&MINIMAL.replace(from, to)).unwrap_err().to_string();
            assert!(
                error.contains(expected) && error.contains("(the limit)"),
                "{expected}: {error}"
            );
        }
    }

    #[test]
    fn runs_saved_before_transforms_keep_their_level_recipe() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        // as the code before `transform` and `window_norm` saved it
        std::fs::write(&path, MINIMAL).unwrap();
        let saved = ExperimentConfig::load_saved(&path).unwrap();
        assert_eq!(saved.data.transform, TargetTransform::Level);
        assert_eq!(saved.data.window_norm, WindowNorm::None);
        // a config that names them keeps them; a new config without them gets the defaults
        std::fs::write(
            &path,
            MINIMAL.replace(
                "test_len = 100",
                "test_len = 100\ntransform = \"log_return\"",
            ),
        )
        .unwrap();
        let saved = ExperimentConfig::load_saved(&path).unwrap();
        assert_eq!(saved.data.transform, TargetTransform::LogReturn);
        assert_eq!(saved.data.window_norm, WindowNorm::None);
        let fresh = ExperimentConfig::load(&path).unwrap();
        assert_eq!(fresh.data.window_norm, WindowNorm::Last);
    }

    #[test]
    fn family_defaults_to_rnn_and_is_named_when_unknown() {
        let old = parse(MINIMAL).unwrap();
        assert_eq!(old.model.family, Families::one(ModelFamily::Rnn));
        let named = parse(&MINIMAL.replace("[model]", "[model]\nfamily = \"rnn\"")).unwrap();
        assert_eq!(named, old);
        assert!(matches!(
            named.forecaster_config(),
            ForecasterConfig::Rnn(rnn) if rnn.hidden_size == 100 && rnn.head == vec![50]
        ));
        let error = parse(&MINIMAL.replace("[model]", "[model]\nfamily = \"transformer\""))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("transformer") && error.contains("rnn"),
            "{error}"
        );
    }

    #[test]
    fn lookbacks_go_round_each_familys_networks_and_a_season_bounds_them() {
        let text = MINIMAL
            .replace("head = [50]", "head = [50]\nlookbacks = [3, 5]")
            .replace("test_len = 100", "test_len = 100\n[train]\nensemble = 3");
        let lookback_rows = |config: &ForecasterConfig| match config {
            ForecasterConfig::Lookback(lookback) => lookback.rows,
            other => panic!("not a lookback: {other:?}"),
        };
        let ForecasterConfig::Ensemble(ensemble) = parse(&text).unwrap().forecaster_config() else {
            panic!("not an ensemble");
        };
        let members: Vec<usize> = std::iter::once(ensemble.member.as_ref())
            .chain(&ensemble.others)
            .map(lookback_rows)
            .collect();
        assert_eq!(members, [3, 5, 3]);
        // one network: the first lookback
        let single = parse(&MINIMAL.replace("head = [50]", "head = [50]\nlookbacks = [4]"));
        assert_eq!(lookback_rows(&single.unwrap().forecaster_config()), 4);
        // a family that forecasts from the window's last season reads at least a season
        let seasonal = MINIMAL
            .replace(
                "[model]",
                "[model]\nfamily = \"seasonal_rnn\"\nlookbacks = [3]",
            )
            .replace(
                "test_len = 100",
                "test_len = 100\ntransform = \"level\"\nseason = 4",
            );
        let error = parse(&seasonal).unwrap_err().to_string();
        assert!(
            error.contains("[model] lookbacks") && error.contains("season (4), got 3"),
            "{error}"
        );
        assert!(parse(&seasonal.replace("lookbacks = [3]", "lookbacks = [4]")).is_ok());
    }

    #[test]
    fn the_hybrid_is_built_from_the_data_and_refuses_what_it_cannot_smooth() {
        let hybrid = MINIMAL
            .replace("[model]", "[model]\nfamily = \"es_rnn\"")
            .replace("test_len = 100", "test_len = 100\ntransform = \"level\"");
        let config = parse(&hybrid.replace("window_len = 5", "window_len = 5\nseason = 4"))
            .unwrap()
            .for_panel(3);
        match config.forecaster_config() {
            ForecasterConfig::EsRnn(es) => {
                assert_eq!((es.season, es.series, es.target_index), (4, 3, 0));
                assert_eq!(es.network.hidden_size, 100);
            }
            other => panic!("{other:?}"),
        }
        for (from, to, expected) in [
            ("transform = \"level\"", "", "[data] transform"),
            (
                "window_len = 5",
                "window_len = 5\nseason = 12",
                "[data] season",
            ),
            (
                "features = [\"Open\"]",
                "features = [\"Close\"]",
                "features must include \"Open\"",
            ),
        ] {
            let error = parse(&hybrid.replace(from, to)).unwrap_err().to_string();
            assert!(error.contains(expected), "{expected}: {error}");
        }
    }

    /// The config at `path` as a table with its data path made absolute, if it asks for the
    /// default recipe.
    fn recipe_config_from_root(path: &Path) -> Option<toml::Table> {
        let mut table: toml::Table = toml::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
        if !crate::recipe::wanted(&table) {
            return None;
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let data = table.get_mut("data")?.as_table_mut()?;
        let file = root.join(data.get("path")?.as_str()?);
        data.insert(
            "path".into(),
            toml::Value::String(file.display().to_string()),
        );
        Some(table)
    }

    #[test]
    fn shipped_configs_parse() {
        let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs");
        for entry in std::fs::read_dir(configs).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                let loaded = match recipe_config_from_root(&path) {
                    // the recipe reads the series, whose path is relative to the repository root
                    Some(table) => ExperimentConfig::from_table(table, &path),
                    None => ExperimentConfig::load(&path),
                };
                let forecast_only = |error: &anyhow::Error| {
                    (error.downcast_ref::<crate::recipe::TooShort>())
                        .is_some_and(|short| short.recipe_model)
                };
                match loaded {
                    Ok(_) => {}
                    // a series too short for the recipe's networks (configs/short.toml) is one
                    // `trainer forecast` forecasts with the recipe's statistical voices alone
                    Err(error) if forecast_only(&error) => {}
                    Err(error) => panic!("{}: {error:#}", path.display()),
                }
            }
        }
    }
}
