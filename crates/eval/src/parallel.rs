//! The statistical forecasters are fitted afresh at every forecast origin, and an origin's fit
//! does not depend on another's: [`per_window`] spreads them over the machine's cores.

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
