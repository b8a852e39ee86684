//! The trainer's end-to-end tests, one binary: the `trainer` command on tiny configs and the
//! run directories it writes.

mod common;

mod backtest;
mod bad_input;
mod beyond_one_day;
mod ensemble;
mod es_rnn;
mod families;
mod forecast;
mod forecast_panel;
mod interruption;
mod intervals;
mod leakage;
mod main_job;
mod overhead;
mod panel;
mod predict;
mod pytorch_weights;
mod recipe;
mod run_dir;
mod statistical;
mod too_short;
mod tune;
mod wgpu_backend;
