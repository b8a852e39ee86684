//! Work spread over threads: the benches' series, `tune`'s trials and an ensemble's members.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `work` on every item of `items` (with its index), `jobs` items at a time (each item on the
/// first free worker), the results in the items' order.
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
    std::thread::scope(|scope| {
        for _ in 1..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(worker);
        }
        worker();
    });
    let mut results = results.into_inner().expect("results lock");
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
