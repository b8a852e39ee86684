//! Fused recurrent kernels: one Burn operation per layer and window instead of a dozen per
//! time step, with a hand-written backward pass, for the LSTM, the GRU and the tanh RNN.
//!
//! Each cell is one file: its shape checks, its entry point and its equations composed from any
//! backend's operations (the other backends' implementation and the kernels' reference):
//! [`lstm`], [`gru`], [`rnn`]. [`ops`] declares the backend extension ([`RecurrentOps`]);
//! [`flex`] holds the `flex` CPU kernels, one file per cell over shared scheduling helpers;
//! [`cube`] the CubeCL kernels of the GPU backends (`wgpu`, `cuda`); `portable.rs` runs the
//! composed equations on the other backends; `autodiff.rs` records each
//! call as one node of the autodiff graph; [`projection`] is every step's input projection at
//! once; [`composed`] holds the tensor helpers the composed equations share.

#[cfg(feature = "autodiff")]
mod autodiff;
pub mod composed;
#[cfg(any(feature = "wgpu", feature = "cuda"))]
pub mod cube;
#[cfg(feature = "flex")]
pub mod flex;
pub mod gru;
pub mod lstm;
// without a backend feature the extension's generated dispatch has no arm to read its flags in
#[cfg_attr(
    not(any(
        feature = "flex",
        feature = "wgpu",
        feature = "cuda",
        feature = "ndarray",
        feature = "autodiff"
    )),
    allow(unused_variables)
)]
pub mod ops;
#[cfg(any(feature = "autodiff", feature = "ndarray"))]
mod portable;
pub mod projection;
pub mod rnn;

pub use gru::{GruShape, gru_sequence};
pub use lstm::{LstmSequence, LstmShape, lstm_sequence};
pub use ops::RecurrentOps;
pub use rnn::{RnnShape, rnn_sequence};
