//! The data loader of full-batch training: every window in one batch, built once and handed to
//! the learner every epoch. Burn's loader would fetch, encode and stack every window again each
//! epoch (and shuffle them, which cannot change a step that sees them all at once).

use std::sync::Arc;

use burn::data::dataloader::{DataLoader, DataLoaderIterator, Progress};
use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::Device;
use yoho_data::{WindowBatch, WindowBatcher, WindowDataset};

/// One batch of every window of a dataset, on a device.
#[derive(Clone)]
pub struct FullBatchLoader {
    batch: Option<WindowBatch>,
    items: usize,
}

impl FullBatchLoader {
    /// Encodes and stacks every window of `dataset` on `device` (no batch for an empty set).
    pub fn new(dataset: &WindowDataset, batcher: WindowBatcher, device: &Device) -> Self {
        let items = dataset.items();
        let refs: Vec<_> = items.iter().collect();
        Self {
            batch: (!refs.is_empty()).then(|| batcher.batch_refs(&refs, device)),
            items: dataset.len(),
        }
    }
}

/// The one batch, then the end.
struct Once<'a> {
    batch: Option<&'a WindowBatch>,
    items: usize,
    done: bool,
}

impl Iterator for Once<'_> {
    type Item = Result<WindowBatch, DatasetError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.done = true;
        self.batch.cloned().map(Ok)
    }
}

impl DataLoaderIterator<WindowBatch> for Once<'_> {
    fn progress(&self) -> Progress {
        let processed = if self.done { self.items } else { 0 };
        Progress::new(processed, self.items, None)
    }
}

impl DataLoader<WindowBatch> for FullBatchLoader {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<WindowBatch> + 'a> {
        Box::new(Once {
            batch: self.batch.as_ref(),
            items: self.items,
            done: false,
        })
    }

    fn num_items(&self) -> usize {
        self.items
    }

    fn to_device(&self, device: &Device) -> Arc<dyn DataLoader<WindowBatch>> {
        Arc::new(Self {
            batch: self.batch.as_ref().map(|batch| batch.to_device(device)),
            items: self.items,
        })
    }

    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<WindowBatch>> {
        let end = end.min(self.items);
        let start = start.min(end);
        Arc::new(Self {
            batch: self
                .batch
                .as_ref()
                .filter(|_| end > start)
                .map(|batch| batch.narrow(start, end - start)),
            items: end - start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc as StdArc;
    use yoho_data::{LoadedSeries, NaiveDate};

    #[test]
    fn one_batch_of_every_window_each_epoch() {
        let values: Vec<f64> = (0..40).map(|i| 100.0 + i as f64).collect();
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let loaded = LoadedSeries::daily("test", start, "v", values);
        let config = yoho_data::DataConfig {
            valid_len: 3,
            ..yoho_data::DataConfig::new("unused.csv", &["v"], "v", 4, 5)
        };
        let data = yoho_data::prepare_loaded(loaded, &config).unwrap();
        let device = Device::flex();
        let dataset = data.dataset(&data.splits.train);
        let loader =
            FullBatchLoader::new(&dataset, WindowBatcher::new(data.sample_shape()), &device);
        for _ in 0..2 {
            let batches: Vec<WindowBatch> = loader.iter().map(Result::unwrap).collect();
            assert_eq!(batches.len(), 1);
            assert_eq!(batches[0].inputs.dims(), [dataset.len(), 4, 1]);
        }
        assert_eq!(loader.num_items(), dataset.len());
        let part = loader.slice(2, 5);
        let batch = part.iter().next().unwrap().unwrap();
        assert_eq!(batch.targets.dims(), [3, 1]);
        let first: Vec<f32> = batch.targets.into_data().try_to_vec().unwrap();
        let expected: Vec<f32> = dataset.items()[2..5].iter().map(|i| i.targets[0]).collect();
        assert_eq!(first, expected);
        let empty = FullBatchLoader::new(
            &WindowDataset::default(),
            WindowBatcher::new(data.sample_shape()),
            &device,
        );
        assert!(empty.iter().next().is_none());
        let _: StdArc<dyn DataLoader<WindowBatch>> = loader.to_device(&device);
    }
}
