//! Where a series comes from: a CSV file ([`csv`]) or the NumPy article's generated noisy sine
//! wave ([`sine`]).

pub mod csv;
pub mod dates;
pub mod sine;
