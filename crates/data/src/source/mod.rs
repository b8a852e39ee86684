//! Where a series comes from: a CSV or Parquet file ([`file`](mod@file)) or the NumPy article's generated noisy sine
//! wave ([`sine`]).

pub mod dates;
pub mod file;
pub mod sine;
