//! # trainer
//!
//! Yoho's training stage and command line: read an experiment config, prepare the data with
//! `yoho-data`, train a `yoho-model` forecaster with burn-train's learner, evaluate it with
//! `yoho-eval` on the test days against the baselines, and write a run directory.
//!
//! The binary (`src/main.rs`) only parses arguments and calls the command's file: [`train`]
//! (the main job, and `--resume`), [`forecast`], [`predict`], [`backtest`] or [`tune`]; they share the run directory
//! ([`artifacts`], which owns every file name), the evaluation of one series (`evaluation.rs`),
//! the panel run (`panel.rs`) and the reports (`report/`, `plots.rs`).

pub mod artifacts;
pub mod backtest;
mod backtest_panel;
mod calibration_fit;
pub mod cli;
mod config;
pub mod device;
mod error_text;
mod evaluation;
mod family;
mod fingerprint;
pub mod fit;
pub mod forecast;
mod forecast_fit;
mod forecast_panel;
mod forecast_statistical;
mod longer_validation;
mod notes;
mod panel;
mod plots;
pub mod predict;
mod recipe;
mod report;
mod statistical_run;
pub mod train;
mod train_statistical;
mod training;
pub mod tune;

pub use config::ExperimentConfig;
pub use error_text::error_text;
pub use forecast_statistical::recipe_blend;
pub use recipe::TooShort;
/// Fills the `[train]` keys a config does not set with the default recipe's.
pub use recipe::fill_training as fill_recipe_training;
/// The default recipe's `[model]` and `[train]` for one series or one model of a panel (for
/// `cargo xtask bench --accuracy`).
pub use recipe::sections as recipe_sections;

/// How a command ended, for the exit code.
pub enum RunOutcome {
    /// It did all it was asked to.
    Completed,
    /// Stopped by a signal after writing a checkpoint.
    Interrupted,
}

/// What burn-train's learner adds to an epoch (for `cargo xtask bench --trainer`).
pub use training::overhead;

/// Keeps freed memory in the process for the next epoch instead of returning it to the system.
/// Call it first in `main`, before any thread is started.
///
/// A full-batch epoch allocates and frees the same tens of megabytes every time. glibc serves
/// blocks that large with fresh `mmap`s and unmaps them on free, so every epoch paid for
/// hundreds of thousands of page faults: 300 epochs of `configs/lstm.toml` spent 41 s in the
/// kernel. Serving them from the heap and never trimming it made 30 epochs take 2.6 s instead
/// of 6.2 s (minor page faults: 51 k instead of 1.68 M).
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; the caller runs it before any thread is
    // started.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

/// Returns the memory freed so far to the system, once: after loading a large file, the
/// parser's buffers (freed, but kept by [`keep_freed_memory`]'s settings and spread over the
/// parser's threads) would otherwise stay in the process for the whole run.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's arenas to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}
