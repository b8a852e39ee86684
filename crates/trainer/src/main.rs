//! `trainer`: train and evaluate a Yoho experiment. See `trainer --help`.

use std::process::ExitCode;

use clap::Parser;
use trainer::cli::{Cli, Command};
use trainer::run::RunOutcome;

/// The exit code of a run stopped by Ctrl-C or SIGTERM after writing its checkpoint.
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    keep_freed_memory();
    let result = match Cli::parse().into_command() {
        Command::Train(args) => trainer::run::train_and_evaluate(&args),
        Command::Predict(args) => {
            trainer::predict::run_predict(&args).map(|()| RunOutcome::Completed)
        }
        Command::Backtest(args) => {
            trainer::backtest::run_backtest(&args).map(|()| RunOutcome::Completed)
        }
    };
    match result {
        Ok(RunOutcome::Completed) => ExitCode::SUCCESS,
        Ok(RunOutcome::Interrupted) => ExitCode::from(INTERRUPTED),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Keeps freed memory in the process for the next epoch instead of returning it to the system.
///
/// A full-batch epoch allocates and frees the same tens of megabytes every time. glibc serves
/// blocks that large with fresh `mmap`s and unmaps them on free, so every epoch paid for
/// hundreds of thousands of page faults: 300 epochs of `configs/lstm.toml` spent 41 s in the
/// kernel. Serving them from the heap and never trimming it made 30 epochs take 2.6 s instead
/// of 6.2 s (minor page faults: 51 k instead of 1.68 M).
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; it runs before any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}
