//! The data loader of epochs shorter than a pass over the training windows (`[train]
//! batches_per_epoch`): each epoch hands the learner the next `batches_per_epoch` mini-batches
//! of one continuing stream, which walks through the windows in an order shuffled afresh at
//! each pass (as GluonTS's `num_batches_per_epoch` and NeuralForecast's step-sized training
//! do). A panel of a thousand series is then looked in on, validated and early-stopped every
//! few hundred steps instead of once per pass over every series, and no window is seen twice
//! before every other has been seen once.

use std::sync::{Arc, Mutex};

use burn::data::dataloader::{DataLoader, DataLoaderIterator, Progress};
use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::Device;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use yoho_data::{WindowBatch, WindowBatcher, WindowDataset};

/// Where the stream of windows stands: the current pass's order and the next window in it.
struct Stream {
    order: Vec<usize>,
    next: usize,
    rng: StdRng,
    seed: u64,
    shuffle: bool,
}

impl Stream {
    /// The next `count` windows' indices, starting a new pass (shuffled anew) where one ends.
    fn take(&mut self, count: usize) -> Vec<usize> {
        let mut taken = Vec::with_capacity(count);
        while taken.len() < count && !self.order.is_empty() {
            if self.next == self.order.len() {
                self.next = 0;
                if self.shuffle {
                    self.order.shuffle(&mut self.rng);
                }
            }
            let end = (self.next + count - taken.len()).min(self.order.len());
            taken.extend_from_slice(&self.order[self.next..end]);
            self.next = end;
        }
        taken
    }
}

/// Epochs of `batches_per_epoch` mini-batches of `batch_size` windows each, drawn in turn from
/// one stream over `dataset`.
#[derive(Clone)]
pub struct EpochSampleLoader {
    dataset: WindowDataset,
    batcher: WindowBatcher,
    batch_size: usize,
    batches_per_epoch: usize,
    device: Device,
    stream: Arc<Mutex<Stream>>,
}

impl EpochSampleLoader {
    /// A loader over `dataset` whose epochs hold `batches_per_epoch` batches of `batch_size`
    /// windows, in an order shuffled at each pass from `seed` (kept in the windows' own order
    /// without `shuffle`).
    pub fn new(
        dataset: WindowDataset,
        batcher: WindowBatcher,
        (batch_size, batches_per_epoch): (usize, usize),
        seed: u64,
        shuffle: bool,
        device: &Device,
    ) -> Self {
        let order: Vec<usize> = (0..dataset.len()).collect();
        let stream = Stream {
            next: order.len(),
            order,
            rng: StdRng::seed_from_u64(seed),
            seed,
            shuffle,
        };
        Self {
            dataset,
            batcher,
            batch_size: batch_size.max(1),
            batches_per_epoch: batches_per_epoch.max(1),
            device: device.clone(),
            stream: Arc::new(Mutex::new(stream)),
        }
    }

    /// The windows an epoch holds.
    fn epoch_items(&self) -> usize {
        let windows = self.stream.lock().expect("the stream's lock").order.len();
        (self.batch_size * self.batches_per_epoch).min(windows)
    }
}

/// One epoch's batches: the window indices taken from the stream at its start.
struct EpochBatches<'a> {
    loader: &'a EpochSampleLoader,
    indices: Vec<usize>,
    done: usize,
}

impl Iterator for EpochBatches<'_> {
    type Item = Result<WindowBatch, DatasetError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done >= self.indices.len() {
            return None;
        }
        let end = (self.done + self.loader.batch_size).min(self.indices.len());
        let items: Result<Vec<_>, DatasetError> = self.indices[self.done..end]
            .iter()
            .map(|index| self.loader.dataset.get(*index))
            .collect();
        self.done = end;
        Some(items.map(|items| {
            let refs: Vec<_> = items.iter().collect();
            self.loader.batcher.batch_refs(&refs, &self.loader.device)
        }))
    }
}

impl DataLoaderIterator<WindowBatch> for EpochBatches<'_> {
    fn progress(&self) -> Progress {
        Progress::new(self.done, self.indices.len(), None)
    }
}

impl DataLoader<WindowBatch> for EpochSampleLoader {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<WindowBatch> + 'a> {
        let count = self.epoch_items();
        let indices = (self.stream.lock()).expect("the stream's lock").take(count);
        Box::new(EpochBatches {
            loader: self,
            indices,
            done: 0,
        })
    }

    fn num_items(&self) -> usize {
        self.epoch_items()
    }

    /// The same stream, its batches built on `device`.
    fn to_device(&self, device: &Device) -> Arc<dyn DataLoader<WindowBatch>> {
        Arc::new(Self {
            device: device.clone(),
            ..self.clone()
        })
    }

    /// A loader over the windows `start..end` alone, with a stream of its own.
    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<WindowBatch>> {
        let end = end.min(self.dataset.len());
        let start = start.min(end);
        let stream = self.stream.lock().expect("the stream's lock");
        let order: Vec<usize> = (start..end).collect();
        let sliced = Stream {
            next: order.len(),
            order,
            rng: StdRng::seed_from_u64(stream.seed),
            seed: stream.seed,
            shuffle: stream.shuffle,
        };
        Arc::new(Self {
            stream: Arc::new(Mutex::new(sliced)),
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use yoho_data::LoadedSeries;

    fn stream(windows: usize, shuffle: bool) -> Stream {
        Stream {
            order: (0..windows).collect(),
            next: windows,
            rng: StdRng::seed_from_u64(7),
            seed: 7,
            shuffle,
        }
    }

    #[test]
    fn every_window_is_seen_once_a_pass_whatever_the_epochs_cut() {
        let mut stream = stream(10, true);
        // epochs of 4 windows: the first pass ends inside the third epoch
        let taken: Vec<usize> = (0..5).flat_map(|_| stream.take(4)).collect();
        let (first, second) = (&taken[..10], &taken[10..20]);
        for pass in [first, second] {
            let mut sorted = pass.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..10).collect::<Vec<_>>(), "{taken:?}");
        }
        assert_ne!(first, second, "each pass is shuffled afresh");
        assert_ne!(first, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn without_shuffling_the_epochs_walk_through_the_windows_in_turn() {
        let mut stream = stream(5, false);
        assert_eq!(stream.take(3), [0, 1, 2]);
        assert_eq!(stream.take(3), [3, 4, 0]);
        assert_eq!(stream.take(3), [1, 2, 3]);
        assert!(self::stream(0, true).take(3).is_empty());
    }

    #[test]
    fn an_epoch_holds_its_batches_of_windows_and_the_next_epoch_goes_on() {
        let values: Vec<f64> = (0..60).map(f64::from).collect();
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let loaded = LoadedSeries::daily("rising", start, "v", values);
        let config: yoho_data::DataConfig = toml::from_str(
            "path = \"unused.csv\"\ntarget = \"v\"\nwindow_len = 4\ntest_len = 5\nvalid_len = 5",
        )
        .unwrap();
        let data = yoho_data::prepare_loaded(loaded, &config).unwrap();
        let training = data.training_data();
        let windows = training.train.len();
        let device = Device::flex();
        let batcher = WindowBatcher::new(training.shape);
        let loader =
            EpochSampleLoader::new(training.train.clone(), batcher, (4, 3), 42, false, &device);
        assert_eq!(loader.num_items(), 12);
        let first_targets = |loader: &EpochSampleLoader| -> Vec<Vec<f32>> {
            (loader.iter())
                .map(|batch| {
                    batch
                        .unwrap()
                        .targets
                        .into_data()
                        .try_to_vec::<f32>()
                        .unwrap()
                })
                .collect()
        };
        let epoch = first_targets(&loader);
        assert_eq!(epoch.len(), 3);
        assert!(epoch.iter().all(|batch| batch.len() == 4));
        // in the windows' own order, the second epoch starts where the first stopped
        let whole = FullBatch(&training.train, batcher, &device).targets();
        assert_eq!(epoch.concat(), whole[..12]);
        assert_eq!(first_targets(&loader).concat(), whole[12..24]);
        assert!(windows > 24);
        // a slice streams its own windows only
        let sliced = loader.slice(2, 5);
        assert_eq!(sliced.num_items(), 3);
        let batches: Vec<_> = sliced.iter().map(|b| b.unwrap()).collect();
        assert_eq!(batches.len(), 1);
        assert_eq!(
            batches[0]
                .targets
                .clone()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap(),
            whole[2..5]
        );
    }

    /// Every window of a dataset as one batch, for comparison.
    struct FullBatch<'a>(&'a WindowDataset, WindowBatcher, &'a Device);

    impl FullBatch<'_> {
        fn targets(&self) -> Vec<f32> {
            let items = self.0.items();
            let refs: Vec<_> = items.iter().collect();
            (self.1.batch_refs(&refs, self.2).targets)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        }
    }
}
