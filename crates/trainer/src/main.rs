//! `trainer`: train and evaluate a Yoho experiment. See `trainer --help`.

use std::process::ExitCode;

use clap::Parser;
use trainer::RunOutcome;
use trainer::cli::{Cli, Command};

/// The exit code of a run stopped by Ctrl-C or SIGTERM after writing its checkpoint.
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    trainer::keep_freed_memory();
    let result = match Cli::parse().into_command() {
        Command::Train(args) => trainer::train::train_and_evaluate(&args),
        Command::Predict(args) => {
            trainer::predict::run_predict(&args).map(|()| RunOutcome::Completed)
        }
        Command::Forecast(args) => trainer::forecast::run_forecast(&args),
        Command::Tune(args) => trainer::tune::run_tune(&args),
        Command::Backtest(args) => trainer::backtest::run_backtest(&args),
    };
    match result {
        Ok(RunOutcome::Completed) => ExitCode::SUCCESS,
        Ok(RunOutcome::Interrupted) => ExitCode::from(INTERRUPTED),
        Err(error) => {
            eprintln!("error: {}", trainer::error_text(&error));
            ExitCode::FAILURE
        }
    }
}
