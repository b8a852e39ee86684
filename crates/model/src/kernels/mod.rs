//! Fused recurrent kernels: one Burn operation per layer and window instead of a dozen per
//! time step, with a hand-written backward pass, for the LSTM, the GRU and the tanh RNN.
//!
//! [`fused`] holds the backend extension ([`RecurrentOps`]), the LSTM's equations, the autodiff
//! nodes and the `flex` CPU kernels of all three cells; [`gru`] and [`rnn`] hold those cells'
//! equations composed from any backend's operations (the other backends' implementation and
//! the kernels' reference) and their entry points.

pub mod fused;
pub mod gru;
pub mod rnn;

pub use fused::{LstmSequence, LstmShape, RecurrentOps, lstm_sequence};
pub use gru::{GruShape, gru_sequence};
pub use rnn::{RnnShape, rnn_sequence};
