//! `trainer`: train and evaluate a Yoho experiment. See `trainer --help`.

use std::process::ExitCode;

use clap::Parser;
use trainer::cli::{Cli, Command};

fn main() -> ExitCode {
    let result = match Cli::parse().into_command() {
        Command::Train(args) => trainer::run::train_and_evaluate(&args).map(|_| ()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
