//! The command line. `trainer --config FILE` trains and evaluates; subcommands (such as
//! `predict`) sit beside it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::device::DeviceChoice;

/// Train and evaluate time-series forecasting experiments from a TOML config.
#[derive(Debug, Parser)]
#[command(name = "trainer", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; without a subcommand, `train`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the default `train` command.
    #[command(flatten)]
    pub train: TrainArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model, evaluate it on the test days against the naive forecast, write the run.
    Train(TrainArgs),
    /// Forecast the days after the last date of a CSV file with a saved run.
    Predict(PredictArgs),
}

/// Options of `predict`.
#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// The run directory written by training (config.toml, model.bpk, scaler.json).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// The CSV to forecast from: its last `window_len` rows are the model's input.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Days to forecast (default: the model's horizon).
    #[arg(long, value_name = "K")]
    pub steps: Option<usize>,
    /// Write the forecast here instead of `<run>/forecast.csv`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Where to compute (as for training).
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
}

/// Options of `train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// The experiment config (TOML with [data], [model] and [train]).
    #[arg(long, value_name = "FILE", default_value = "configs/lstm.toml")]
    pub config: PathBuf,
    /// Read this CSV file instead of the config's `[data] path`.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Train for this many epochs instead of the config's `[train] epochs`.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Write the run here instead of `runs/<config name>`.
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    pub out: Option<PathBuf>,
    /// Continue the interrupted run in DIR from its last checkpoint (its own config.toml is
    /// used; `--epochs` may extend it).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "data"])]
    pub resume: Option<PathBuf>,
    /// Where to compute: the GPU when built with wgpu and an adapter exists, else the CPU.
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
}

impl Cli {
    /// The command to run, `train` when none was named.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Train(self.train))
    }
}
