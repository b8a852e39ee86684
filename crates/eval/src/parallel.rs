//! The statistical forecasters are fitted afresh at every forecast origin, and an origin's fit
//! does not depend on another's: [`per_window`] spreads them over the machine's cores, and
//! [`per_item`] a panel's series, where each holds one origin (the M4 protocol).

use std::num::NonZeroUsize;

use yoho_data::{Window, WindowRun};

/// `forecast` of every window of `windows` (with its index in the run), in order: on one
/// thread per core, each taking a contiguous share of the windows. Each result is the one
/// a single thread gives; a run of one window stays on the calling thread.
pub(crate) fn per_window<T: Send>(
    windows: &WindowRun,
    forecast: impl Fn(usize, Window) -> T + Sync,
) -> Vec<T> {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    per_window_on(windows, cores, forecast)
}

/// [`per_window`] on at most `threads` threads.
fn per_window_on<T: Send>(
    windows: &WindowRun,
    threads: usize,
    forecast: impl Fn(usize, Window) -> T + Sync,
) -> Vec<T> {
    let count = windows.len();
    let threads = threads.clamp(1, count.max(1));
    if threads == 1 {
        return windows
            .iter()
            .enumerate()
            .map(|(i, w)| forecast(i, w))
            .collect();
    }
    let share = count.div_ceil(threads);
    let forecast = &forecast;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..count)
            .step_by(share)
            .map(|first| {
                let run = windows.sub_run(first..first + share);
                scope.spawn(move || {
                    (run.iter().enumerate())
                        .map(|(offset, window)| forecast(first + offset, window))
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        // a panic in a worker goes on as it would have on the calling thread
        (workers.into_iter())
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
            .collect()
    })
}

/// `work` on every item of `items`, in order, on one thread per core, each taking a
/// contiguous share of the items; a single item stays on the calling thread.
pub fn per_item<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    per_item_on(items, cores, work)
}

/// [`per_item`] on at most `threads` threads.
fn per_item_on<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(&work).collect();
    }
    let share = items.len().div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (items.chunks(share))
            .map(|chunk| scope.spawn(move || chunk.iter().map(work).collect::<Vec<R>>()))
            .collect();
        // a panic in a worker goes on as it would have on the calling thread
        (workers.into_iter())
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(count: usize) -> WindowRun {
        WindowRun {
            first_start: 3,
            stride: 2,
            count,
            window_len: 4,
            horizon: 1,
        }
    }

    #[test]
    fn every_item_is_worked_once_in_order_whatever_the_threads() {
        for count in [0usize, 1, 2, 5, 17] {
            let items: Vec<usize> = (0..count).collect();
            for threads in [1, 2, 3, 40] {
                let squares = per_item_on(&items, threads, |i| i * i);
                assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn every_window_is_forecast_once_in_order_whatever_the_threads() {
        for count in [0, 1, 2, 5, 16, 17] {
            let windows = run(count);
            let alone: Vec<(usize, usize)> =
                per_window_on(&windows, 1, |i, w| (i, w.last_input_row()));
            assert_eq!(alone.len(), count);
            for threads in [2, 3, 8, 40] {
                let spread = per_window_on(&windows, threads, |i, w| (i, w.last_input_row()));
                assert_eq!(spread, alone, "{count} windows on {threads} threads");
            }
        }
    }
}
