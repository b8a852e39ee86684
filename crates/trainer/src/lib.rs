//! # trainer
//!
//! Yoho's training stage and command line: read an experiment config, prepare the data with
//! `yoho-data`, train a `yoho-model` forecaster with burn-train's learner, evaluate it with
//! `yoho-eval` on the test days against the baselines, and write a run directory.
//!
//! The binary (`src/main.rs`) only parses arguments and calls [`run::train_and_evaluate`].

pub mod artifacts;
pub mod backtest;
pub mod cli;
pub mod config;
pub mod device;
pub mod plots;
pub mod predict;
pub mod report;
pub mod run;
pub mod training;
