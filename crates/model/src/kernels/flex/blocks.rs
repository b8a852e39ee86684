//! How the `flex` kernels share the work: the batch cut into one block of windows per thread,
//! each block running every step on its own, and the buffers the blocks write in disjoint rows.

use std::ops::Range;

use rayon::prelude::*;

use burn::backend::flex::FlexTensor;

/// The tensors with their values contiguous (copied only when they are not).
pub(super) fn contiguous<const N: usize>(tensors: [FlexTensor; N]) -> [FlexTensor; N] {
    tensors.map(|tensor| tensor.to_contiguous())
}

/// The fewest windows a block of [`row_blocks`] gets: below it, one thread does all.
pub(super) const MIN_ROWS_PER_BLOCK: usize = 64;

/// The batch's rows in one contiguous block per worker thread (one block for a small batch).
/// The recurrence of one window never reads another's, so each block runs every step on its
/// own thread: no barrier between steps, and each product stays on its thread.
pub(super) fn row_blocks(batch: usize) -> Vec<Range<usize>> {
    let threads = rayon::current_num_threads().max(1);
    let blocks = (batch / MIN_ROWS_PER_BLOCK).clamp(1, threads);
    let per_block = batch.div_ceil(blocks);
    (0..blocks)
        .map(|block| block * per_block..((block + 1) * per_block).min(batch))
        .filter(|rows| !rows.is_empty())
        .collect()
}

/// Runs `work` on every block of rows, in parallel when there are several.
pub(super) fn for_each_block(blocks: Vec<Range<usize>>, work: impl Fn(Range<usize>) + Sync + Send) {
    match blocks.len() {
        1 => work(blocks.into_iter().next().expect("one block")),
        _ => blocks.into_par_iter().for_each(work),
    }
}

/// The `len` values of `values` from `start`: a block's rows of one step of a saved buffer.
pub(super) fn own<T>(values: &[T], (start, len): (usize, usize)) -> &[T] {
    &values[start..start + len]
}

/// A buffer that the blocks of [`for_each_block`] write in disjoint row ranges.
#[derive(Clone, Copy)]
pub(super) struct Shared<T> {
    start: *mut T,
    len: usize,
}

// SAFETY: the blocks write disjoint ranges of the buffer, and the buffer outlives them.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Shared<T> {
    pub(super) fn of(values: &mut [T]) -> Self {
        Self {
            start: values.as_mut_ptr(),
            len: values.len(),
        }
    }

    /// `len` values from `start`.
    ///
    /// # Safety
    /// No other live slice may overlap the range while this one is written.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn slice(&self, start: usize, len: usize) -> &mut [T] {
        assert!(start + len <= self.len, "a block reaches past its buffer");
        // SAFETY: in bounds (checked); exclusive by the caller's promise.
        unsafe { std::slice::from_raw_parts_mut(self.start.add(start), len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_blocks_cover_the_batch_once_in_order() {
        for batch in [1, 63, 64, 127, 128, 129, 1000, 4926] {
            let blocks = row_blocks(batch);
            assert_eq!(blocks.first().unwrap().start, 0, "{batch}");
            assert_eq!(blocks.last().unwrap().end, batch, "{batch}");
            assert!(blocks.windows(2).all(|pair| pair[0].end == pair[1].start));
            assert!(blocks.len() <= rayon::current_num_threads().max(1));
            if batch < 2 * MIN_ROWS_PER_BLOCK {
                assert_eq!(blocks.len(), 1, "{batch}");
            }
        }
    }
}
