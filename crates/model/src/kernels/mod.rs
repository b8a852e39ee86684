//! Fused recurrent kernels: one Burn operation per layer and window instead of a dozen per
//! time step. Each cell has its own module; the LSTM's is [`lstm`].

pub mod gru;
pub mod lstm;
pub mod rnn;

pub use gru::{GruShape, gru_sequence};
pub use lstm::{LstmSequence, LstmShape, RecurrentOps, lstm_sequence};
pub use rnn::{RnnShape, rnn_sequence};
