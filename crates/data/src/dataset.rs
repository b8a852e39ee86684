//! Samples as Burn sees them: a [`WindowItem`] per window, read lazily from a
//! [`WindowDataset`], and a [`WindowBatcher`] that stacks them into
//! `[batch, window_len, features]` inputs and `[batch, horizon]` targets.

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::series::TimeSeries;
use crate::transform::{WindowCodec, WindowItem};
use crate::window::WindowRun;

/// A Burn dataset of windows over one or more series. Nothing is copied up front: a window is
/// a row range of its series, encoded by its series' codec only when the data loader reads it,
/// so memory holds the series once, whatever the window length and the number of windows.
#[derive(Debug, Clone, Default)]
pub struct WindowDataset {
    parts: Vec<DatasetPart>,
    /// The number of windows in `parts[..=i]`, for each `i`.
    ends: Vec<usize>,
}

#[derive(Debug, Clone)]
struct DatasetPart {
    series: Arc<TimeSeries>,
    codec: Arc<WindowCodec>,
    windows: WindowRun,
}

impl WindowDataset {
    /// A dataset of `windows` of `series`, encoded by `codec`.
    pub fn new(series: Arc<TimeSeries>, codec: Arc<WindowCodec>, windows: WindowRun) -> Self {
        let mut dataset = Self::default();
        dataset.push(series, codec, windows);
        dataset
    }

    /// Adds `windows` of another series (with its own codec: its own scaler) after the
    /// windows already there.
    pub fn push(&mut self, series: Arc<TimeSeries>, codec: Arc<WindowCodec>, windows: WindowRun) {
        let end = self.ends.last().copied().unwrap_or(0) + windows.len();
        self.parts.push(DatasetPart {
            series,
            codec,
            windows,
        });
        self.ends.push(end);
    }

    /// The series the windows come from: one more than the highest series index of their
    /// codecs (0 when empty).
    pub fn series_count(&self) -> usize {
        (self.parts.iter())
            .map(|part| part.codec.series_index() + 1)
            .max()
            .unwrap_or(0)
    }

    /// Every item, encoded now (for small sets: validation, tests).
    pub fn items(&self) -> Vec<WindowItem> {
        (0..self.len())
            .filter_map(|index| self.item(index))
            .collect()
    }

    /// The `index`-th window's item, encoded now.
    pub fn item(&self, index: usize) -> Option<WindowItem> {
        let part = self.ends.partition_point(|end| *end <= index);
        let before = match part {
            0 => 0,
            _ => self.ends[part - 1],
        };
        let DatasetPart {
            series,
            codec,
            windows,
        } = self.parts.get(part)?;
        Some(codec.item(series, &windows.get(index - before)?))
    }
}

impl Dataset<WindowItem> for WindowDataset {
    /// Panics past the end, as Burn's own datasets do: the data loader asks only for
    /// `0..len()`.
    fn get(&self, index: usize) -> Result<WindowItem, DatasetError> {
        match self.item(index) {
            Some(item) => Ok(item),
            None => panic!("window {index} asked of a dataset of {}", self.len()),
        }
    }

    fn len(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }
}

/// The shape every [`WindowItem`] of a dataset has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleShape {
    /// Input steps.
    pub window_len: usize,
    /// Input columns.
    pub features: usize,
    /// Target steps.
    pub horizon: usize,
}

/// What training reads: the sample shape and the training and validation windows of one
/// series ([`crate::PreparedData::training_data`]) or of every series of a panel
/// ([`crate::PreparedPanel::training_data`]).
#[derive(Debug, Clone)]
pub struct TrainingData {
    /// The shape of every sample.
    pub shape: SampleShape,
    /// The windows to train on.
    pub train: WindowDataset,
    /// The validation windows (may be empty).
    pub valid: WindowDataset,
}

/// A batch on a device.
#[derive(Debug, Clone)]
pub struct WindowBatch {
    /// `[batch, window_len, features]`.
    pub inputs: Tensor<3>,
    /// `[batch, horizon]`.
    pub targets: Tensor<2>,
    /// Each window's series in its panel, `[batch]` (0 for a single series).
    pub series: Tensor<1, Int>,
    /// Each window's target scaled units per model unit, `[batch]` ([`WindowItem::spread`]).
    pub spreads: Tensor<1>,
}

impl WindowBatch {
    /// The same batch on `device`.
    pub fn to_device(&self, device: &Device) -> Self {
        Self {
            inputs: self.inputs.clone().to_device(device),
            targets: self.targets.clone().to_device(device),
            series: self.series.clone().to_device(device),
            spreads: self.spreads.clone().to_device(device),
        }
    }

    /// The `len` windows from `start`.
    pub fn narrow(&self, start: usize, len: usize) -> Self {
        Self {
            inputs: self.inputs.clone().narrow(0, start, len),
            targets: self.targets.clone().narrow(0, start, len),
            series: self.series.clone().narrow(0, start, len),
            spreads: self.spreads.clone().narrow(0, start, len),
        }
    }
}

/// Stacks [`WindowItem`]s into a [`WindowBatch`].
#[derive(Debug, Clone, Copy)]
pub struct WindowBatcher {
    shape: SampleShape,
}

impl WindowBatcher {
    /// A batcher for items of `shape`.
    pub fn new(shape: SampleShape) -> Self {
        Self { shape }
    }

    /// Stacks borrowed items, for evaluation without cloning them.
    pub fn batch_refs(&self, items: &[&WindowItem], device: &Device) -> WindowBatch {
        let SampleShape {
            window_len,
            features,
            horizon,
        } = self.shape;
        let batch = items.len();
        let mut inputs = Vec::with_capacity(batch * window_len * features);
        let mut targets = Vec::with_capacity(batch * horizon);
        let mut series = Vec::with_capacity(batch);
        let mut spreads = Vec::with_capacity(batch);
        for item in items {
            series.push(item.series as i64);
            spreads.push(item.spread);
            debug_assert_eq!(item.inputs.len(), window_len * features);
            debug_assert_eq!(item.targets.len(), horizon);
            inputs.extend_from_slice(&item.inputs);
            targets.extend_from_slice(&item.targets);
        }
        WindowBatch {
            inputs: Tensor::from_data(
                TensorData::new(inputs, [batch, window_len, features]),
                device,
            ),
            targets: Tensor::from_data(TensorData::new(targets, [batch, horizon]), device),
            series: Tensor::from_data(TensorData::new(series, [batch]), device),
            spreads: Tensor::from_data(TensorData::new(spreads, [batch]), device),
        }
    }
}

impl Batcher<WindowItem, WindowBatch> for WindowBatcher {
    fn batch(&self, items: Vec<WindowItem>, device: &Device) -> WindowBatch {
        let refs: Vec<&WindowItem> = items.iter().collect();
        self.batch_refs(&refs, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_have_the_documented_shapes_and_order() {
        let device = Device::flex();
        let shape = SampleShape {
            window_len: 2,
            features: 3,
            horizon: 1,
        };
        let items = vec![
            WindowItem {
                inputs: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                targets: vec![7.0],
                series: 0,
                spread: 1.0,
            },
            WindowItem {
                inputs: vec![8.0, 9.0, 10.0, 11.0, 12.0, 13.0],
                targets: vec![14.0],
                series: 3,
                spread: 0.5,
            },
        ];
        let batch = WindowBatcher::new(shape).batch(items, &device);
        assert_eq!(batch.inputs.dims(), [2, 2, 3]);
        assert_eq!(batch.targets.dims(), [2, 1]);
        // second sample, second day, first feature
        let value: Vec<f32> = batch
            .inputs
            .slice([1..2, 1..2, 0..1])
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap();
        assert_eq!(value, vec![11.0]);
        let series: Vec<i64> = batch.series.into_data().try_into_vec_as::<i64>().unwrap();
        assert_eq!(series, vec![0, 3]);
        let spreads: Vec<f32> = batch.spreads.into_data().try_into_vec_as::<f32>().unwrap();
        assert_eq!(spreads, vec![1.0, 0.5]);
    }
}
