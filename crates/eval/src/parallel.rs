//! Work spread over threads. The statistical forecasters are fitted afresh at every forecast
//! origin, and an origin's fit does not depend on another's: `per_window` spreads them over
//! the machine's cores. [`in_parallel`] spreads any independent items the same way: a panel's
//! series (each of one origin in the M4 protocol), an ensemble's members, a search's trials.
//! A call made from inside another's worker spreads again (jobs × jobs threads at most), on
//! purpose: a worker waits on memory and on its serial parts, and the spare threads fill the
//! gaps. Keeping such calls on their worker's thread made the accuracy bench's one model per
//! series take 34–36 s instead of 28 s on two cores, with the same forecasts.
//!
//! Work spread over several workers runs its matrix products and recurrent kernels on its own
//! worker, not on rayon's shared pool as well: the workers already fill the cores, and a product
//! shared with the pool's threads then waits on them. On two cores this cut the accuracy
//! bench's context switches by a fifth and its fits' time by about a tenth.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use yoho_data::{Window, WindowRun};

/// The machine's cores (1 where they cannot be told).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// `forecast` of every window of `windows` (with its index in the run), in order: on one
/// thread per core. Each result is the one a single thread gives; a run of one window stays
/// on the calling thread.
pub(crate) fn per_window<T: Send>(
    windows: &WindowRun,
    forecast: impl Fn(usize, Window) -> T + Sync,
) -> Vec<T> {
    per_window_on(windows, cores(), forecast)
}

/// [`per_window`] on at most `threads` threads.
fn per_window_on<T: Send>(
    windows: &WindowRun,
    threads: usize,
    forecast: impl Fn(usize, Window) -> T + Sync,
) -> Vec<T> {
    let windows: Vec<Window> = windows.iter().collect();
    in_parallel(&windows, threads, |index, window| forecast(index, *window))
}

/// `work` on every item of `items` (with its index), `jobs` items at a time (each item on the
/// first free worker, the calling thread one of them), the results in the items' order.
pub fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    work: impl Fn(usize, &T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(items.len()));
    let worker = || {
        loop {
            let index = next.fetch_add(1, Ordering::SeqCst);
            let Some(item) = items.get(index) else {
                break;
            };
            let result = work(index, item);
            results.lock().expect("results lock").push((index, result));
        }
    };
    let workers = jobs.clamp(1, items.len().max(1));
    std::thread::scope(|scope| {
        for _ in 1..workers {
            scope.spawn(|| on_own_thread(&worker));
        }
        match workers {
            1 => worker(),
            _ => on_own_thread(&worker),
        }
    });
    let mut results = results.into_inner().expect("results lock");
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// `work`, with any rayon parallelism inside it (the `flex` kernels' products and blocks, the
/// backend's own operations) kept to one thread: `work` runs in a pool of one thread of its
/// own, or on the calling thread as it is where such a pool cannot be started.
fn on_own_thread(work: &(impl Fn() + Sync)) {
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
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
    fn parallel_work_comes_back_in_the_items_order() {
        let items: Vec<usize> = (0..23).collect();
        for jobs in [1, 2, 5, 64] {
            let squares = in_parallel(&items, jobs, |index, item| {
                assert_eq!(index, *item);
                item * item
            });
            assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
        }
        assert!(in_parallel(&[] as &[usize], 2, |_, item| *item).is_empty());
    }

    #[test]
    fn spread_work_keeps_rayon_to_its_own_worker() {
        let items: Vec<usize> = (0..4).collect();
        let pools = in_parallel(&items, 2, |_, _| rayon::current_num_threads());
        assert_eq!(pools, vec![1; 4]);
        // alone, a call keeps the whole pool for its products
        let alone = in_parallel(&items, 1, |_, _| rayon::current_num_threads());
        assert_eq!(alone, vec![rayon::current_num_threads(); 4]);
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
