//! Forecasts in original units: windows are encoded with the data stage's [`WindowCodec`], run
//! through the network in batches, and decoded with each window's own anchor. Beyond the
//! network's output width the forecasts are fed back in as new rows (recursive forecasting).

use burn::tensor::{Device, Tensor, TensorData};
use yoho_data::{RawWindow, WindowCodec};
use yoho_model::Forecaster;

/// Windows per forward pass when forecasting many windows.
const INFERENCE_BATCH: usize = 1024;

/// Why a forecast cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InferenceError {
    /// More steps than the network outputs, from a network with inputs besides its target.
    #[error(
        "the model forecasts {output_size} step(s) at once; {steps} steps would need it to feed \
         back its own forecasts, which only works when the target is its only input"
    )]
    CannotFeedBack {
        /// Steps asked for.
        steps: usize,
        /// Steps one forward pass makes.
        output_size: usize,
    },
}

/// Forecasts `steps` values after each of `windows`, in original units: `[window][step]`.
///
/// Up to the network's output width this is one forward pass per batch; beyond it every
/// forecast is appended to its window and the window forecast again, which needs the target to
/// be the network's only input.
pub fn forecast(
    model: &Forecaster,
    codec: &WindowCodec,
    windows: &[RawWindow],
    steps: usize,
    device: &Device,
) -> Result<Vec<Vec<f64>>, InferenceError> {
    let output_size = model.output_size;
    if steps > output_size && !codec.is_univariate() {
        return Err(InferenceError::CannotFeedBack { steps, output_size });
    }
    let mut windows = windows.to_vec();
    let mut forecasts = vec![Vec::with_capacity(steps); windows.len()];
    let mut done = 0;
    while done < steps {
        let take = output_size.min(steps - done);
        for (chunk, out) in windows
            .chunks_mut(INFERENCE_BATCH)
            .zip(forecasts.chunks_mut(INFERENCE_BATCH))
        {
            let round = forecast_once(model, codec, chunk, take, device);
            for ((window, forecast), values) in chunk.iter_mut().zip(out).zip(round) {
                if done + take < steps {
                    window.shift_in(&values);
                }
                forecast.extend(values);
            }
        }
        done += take;
    }
    Ok(forecasts)
}

/// One forward pass over `windows`: the first `take` outputs of each, in original units.
fn forecast_once(
    model: &Forecaster,
    codec: &WindowCodec,
    windows: &[RawWindow],
    take: usize,
    device: &Device,
) -> Vec<Vec<f64>> {
    let Some(first) = windows.first() else {
        return Vec::new();
    };
    let window_len = first.len();
    let features = first.inputs.len() / window_len;
    let mut inputs = Vec::with_capacity(windows.len() * first.inputs.len());
    let mut anchors = Vec::with_capacity(windows.len());
    for window in windows {
        let (encoded, anchor) = codec.encode(window);
        inputs.extend(encoded);
        anchors.push(anchor);
    }
    let batch = Tensor::<3>::from_data(
        TensorData::new(inputs, [windows.len(), window_len, features]),
        device,
    );
    let outputs: Vec<f32> = model
        .forward(batch)
        .narrow(1, 0, take)
        .into_data()
        .try_into_vec_as::<f32>()
        .expect("the forecaster's output converts to f32");
    outputs
        .chunks(take)
        .zip(&anchors)
        .map(|(values, anchor)| anchor.decode_outputs(values))
        .collect()
}
