//! The matrix products of the fused kernel: a thin wrapper over the `gemm` crate (the one `flex`
//! itself uses) for operands given as a start and strides.

use super::float::KernelFloat;

/// A matrix operand of [`product`]: its first element and its row and column strides.
#[derive(Clone, Copy)]
pub(super) struct Operand<T> {
    start: *const T,
    row_stride: usize,
    column_stride: usize,
}

impl<T> Operand<T> {
    /// A row-major matrix with `columns` columns starting at `values[0]`.
    pub(super) fn rows(values: &[T], columns: usize) -> Self {
        Self {
            start: values.as_ptr(),
            row_stride: columns,
            column_stride: 1,
        }
    }

    /// The transpose of the row-major matrix with `columns` columns starting at `values[0]`.
    pub(super) fn columns(values: &[T], columns: usize) -> Self {
        Self {
            start: values.as_ptr(),
            row_stride: 1,
            column_stride: columns,
        }
    }
}

/// Which threads a product may use.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Threads {
    /// Rayon's pool, for a product large enough to share.
    Pool,
    /// The calling thread only (the caller already runs one task per thread).
    One,
}

/// `destination [m, n] = (keep ? destination : 0) + lhs [m, k] · rhs [k, n]`, with
/// `destination` row-major.
///
/// # Safety
/// `lhs` and `rhs` must address `m × k` and `k × n` valid elements with their strides,
/// `destination` must hold `m × n`, and must not overlap `lhs` or `rhs`.
pub(super) unsafe fn product<T: KernelFloat>(
    [m, n, k]: [usize; 3],
    destination: &mut [T],
    keep: bool,
    lhs: Operand<T>,
    rhs: Operand<T>,
    threads: Threads,
) {
    assert!(destination.len() >= m * n);
    let parallelism = if threads == Threads::Pool && m * n * k >= 1 << 20 {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    let keep_factor = if keep { T::ONE } else { T::ZERO };
    // SAFETY: forwarded from the caller; `destination` holds m × n row-major values.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            destination.as_mut_ptr(),
            1,
            n as isize,
            keep,
            lhs.start,
            lhs.column_stride as isize,
            lhs.row_stride as isize,
            rhs.start,
            rhs.column_stride as isize,
            rhs.row_stride as isize,
            keep_factor,
            T::ONE,
            false,
            false,
            false,
            parallelism,
        );
    }
}
