//! Forecasts in original units: windows are encoded with the data stage's [`WindowCodec`], run
//! through the network in batches, and decoded with each window's own anchor. Beyond the
//! network's output width the forecasts are fed back in as new rows (recursive forecasting).

use burn::tensor::{Device, Int, Tensor, TensorData};
use yoho_data::{Anchor, PreparedData, RawWindow, WindowCodec, WindowRun};
use yoho_model::Forecaster;
use yoho_model::distribution::{self, OutputDistribution};

/// Windows per forward pass when forecasting many windows.
const INFERENCE_BATCH: usize = 1024;

/// Why a forecast cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InferenceError {
    /// More steps than the network outputs, from a network with inputs besides its target (and
    /// calendar features given for the rows ahead).
    #[error(
        "the model forecasts {output_size} step(s) at once; {steps} steps would need it to feed \
         back its own forecasts, which only works when its inputs are the target and calendar \
         features (given for the rows ahead)"
    )]
    CannotFeedBack {
        /// Steps asked for.
        steps: usize,
        /// Steps one forward pass makes.
        output_size: usize,
    },
    /// Known rows ahead given for fewer windows, or fewer steps, than forecast.
    #[error("the calendar rows ahead cover {given} of {windows} window(s) for {steps} steps each")]
    MissingRowsAhead {
        /// Windows with at least `steps` rows ahead.
        given: usize,
        /// Windows forecast.
        windows: usize,
        /// Steps asked for.
        steps: usize,
    },
    /// A window of a panel's series the model has no parameters for.
    #[error(
        "the windows are of series {index} of a panel, and the model has smoothing coefficients \
         for {count} series only (was it trained on another panel?)"
    )]
    UnknownSeries {
        /// The windows' series index.
        index: usize,
        /// Series the model knows.
        count: usize,
    },
}

/// Whether `model` has parameters for the series `codec` encodes.
fn check_series(model: &Forecaster, codec: &WindowCodec) -> Result<(), InferenceError> {
    match model.series_count() {
        Some(count) if codec.series_index() >= count => Err(InferenceError::UnknownSeries {
            index: codec.series_index(),
            count,
        }),
        _ => Ok(()),
    }
}

/// Forecasts `steps` values after each of `windows`, in original units: `[window][step]`.
///
/// Up to the network's output width this is one forward pass per batch; beyond it every
/// forecast is appended to its window and the window forecast again, which needs the target to
/// be the network's only input ([`forecast_with_calendar`] also takes calendar inputs).
pub fn forecast(
    model: &Forecaster,
    codec: &WindowCodec,
    windows: &[RawWindow],
    steps: usize,
    device: &Device,
) -> Result<Vec<Vec<f64>>, InferenceError> {
    forecast_ahead(model, codec, (windows, None), steps, device)
}

/// [`forecast`] for windows whose inputs besides the target are calendar columns
/// ([`WindowCodec::target_among_calendar`]), given `future`: for each window, the rows after it
/// (at least `steps` of them; their target values are not read). Beyond the network's output
/// width each forecast is fed back with its row's calendar values.
pub fn forecast_with_calendar(
    model: &Forecaster,
    codec: &WindowCodec,
    (windows, future): (&[RawWindow], &[RawWindow]),
    steps: usize,
    device: &Device,
) -> Result<Vec<Vec<f64>>, InferenceError> {
    forecast_ahead(model, codec, (windows, Some(future)), steps, device)
}

/// [`forecast`], feeding back forecasts with the known rows of `future` where given.
fn forecast_ahead(
    model: &Forecaster,
    codec: &WindowCodec,
    (windows, future): (&[RawWindow], Option<&[RawWindow]>),
    steps: usize,
    device: &Device,
) -> Result<Vec<Vec<f64>>, InferenceError> {
    let output_size = model.output_size();
    let known = future.zip(codec.target_among_calendar());
    if steps > output_size && !codec.is_univariate() && known.is_none() {
        return Err(InferenceError::CannotFeedBack { steps, output_size });
    }
    if let Some((future, _)) = known {
        let given = future.iter().filter(|rows| rows.len() >= steps).count();
        if given < windows.len() {
            let windows = windows.len();
            return Err(InferenceError::MissingRowsAhead {
                given,
                windows,
                steps,
            });
        }
    }
    check_series(model, codec)?;
    let mut windows = windows.to_vec();
    let mut forecasts = vec![Vec::with_capacity(steps); windows.len()];
    let mut done = 0;
    while done < steps {
        let take = output_size.min(steps - done);
        for (batch, (chunk, out)) in windows
            .chunks_mut(INFERENCE_BATCH)
            .zip(forecasts.chunks_mut(INFERENCE_BATCH))
            .enumerate()
        {
            let round = forecast_once(model, codec, chunk, take, device);
            let rows = chunk.iter_mut().zip(out).zip(round).enumerate();
            for (index, ((window, forecast), values)) in rows {
                if done + take < steps {
                    match known {
                        Some((future, target_index)) => {
                            let future = &future[batch * INFERENCE_BATCH + index];
                            let features = future.inputs.len() / future.len().max(1);
                            let rows = &future.inputs[done * features..(done + take) * features];
                            window.shift_in_known(&values, rows, target_index);
                        }
                        None => window.shift_in(&values),
                    }
                }
                forecast.extend(values);
            }
        }
        done += take;
    }
    Ok(forecasts)
}

/// [`forecast`], or, where forecasts are fed back (more `steps` than the network outputs)
/// through a model that reads calendar features beside its target
/// ([`WindowCodec::target_among_calendar`]), [`forecast_with_calendar`] with the rows `ahead`
/// gives for each window: asked for only then, so a model of the horizon costs no extra work.
pub fn forecast_fed_back(
    model: &Forecaster,
    codec: &WindowCodec,
    windows: &[RawWindow],
    (steps, ahead): (usize, impl FnOnce() -> Vec<RawWindow>),
    device: &Device,
) -> Result<Vec<Vec<f64>>, InferenceError> {
    let with_calendar = steps > model.output_size() && codec.target_among_calendar().is_some();
    match with_calendar {
        true => forecast_with_calendar(model, codec, (windows, &ahead()), steps, device),
        false => forecast(model, codec, windows, steps, device),
    }
}

/// `model`'s forecasts of every target of each of `data`'s `windows` (all `horizon` steps), in
/// original units.
pub fn forecast_windows(
    model: &Forecaster,
    data: &PreparedData,
    windows: &WindowRun,
    device: &Device,
) -> Result<Vec<Vec<f64>>, InferenceError> {
    let raw = data.raw_windows(windows);
    let horizon = data.window.horizon;
    let ahead = || calendar_ahead(data, windows, horizon);
    forecast_fed_back(model, &data.codec, &raw, (horizon, ahead), device)
}

/// The `steps` rows after each of `windows` of `data` (their calendar columns; the target
/// cells are never read), for forecasts fed back with them ([`forecast_with_calendar`]).
fn calendar_ahead(data: &PreparedData, windows: &WindowRun, steps: usize) -> Vec<RawWindow> {
    let ahead = windows.iter().map(|window| {
        let first = window.first_target_row();
        let rows = steps.min(data.series.len().saturating_sub(first));
        data.codec.raw_rows(&data.series, first, rows)
    });
    ahead.collect()
}

/// The network's input batch for `windows` (not empty), each window's series in its panel and
/// each window's anchor.
fn encode(
    codec: &WindowCodec,
    windows: &[RawWindow],
    device: &Device,
) -> (Tensor<3>, Tensor<1, Int>, Vec<Anchor>) {
    let window_len = windows[0].len();
    let features = windows[0].inputs.len() / window_len;
    let mut inputs = Vec::with_capacity(windows.len() * windows[0].inputs.len());
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
    let series = Tensor::<1, Int>::from_data(
        TensorData::new(
            vec![codec.series_index() as i64; windows.len()],
            [windows.len()],
        ),
        device,
    );
    (batch, series, anchors)
}

/// One forward pass over `windows`: the first `take` outputs of each, in original units.
fn forecast_once(
    model: &Forecaster,
    codec: &WindowCodec,
    windows: &[RawWindow],
    take: usize,
    device: &Device,
) -> Vec<Vec<f64>> {
    if windows.is_empty() {
        return Vec::new();
    }
    let (batch, series, anchors) = encode(codec, windows, device);
    let outputs: Vec<f32> = model
        .forward_point_series(batch, series)
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

/// Quantiles of the predictive distribution of a model with a distribution head, in original
/// units: `[window][step][level]` for each of the `output_size` steps one forward pass makes and
/// each of `levels` (ascending within each step). `None` for a point model, and for a level a
/// quantile head cannot reach (below its lowest or above its highest quantile); `None` too for a
/// series the model has no parameters for (as [`forecast`] says).
pub fn forecast_quantiles(
    model: &Forecaster,
    codec: &WindowCodec,
    windows: &[RawWindow],
    levels: &[f64],
    device: &Device,
) -> Option<Vec<Vec<Vec<Option<f64>>>>> {
    let distribution = model.distribution();
    if !distribution.is_probabilistic() || check_series(model, codec).is_err() {
        return None;
    }
    let params = distribution.params();
    let mut quantiles = Vec::with_capacity(windows.len());
    for chunk in windows.chunks(INFERENCE_BATCH) {
        let (batch, series, anchors) = encode(codec, chunk, device);
        let outputs: Vec<f32> = model
            .forward_series(batch, series)
            .into_data()
            .try_into_vec_as::<f32>()
            .expect("the forecaster's output converts to f32");
        for (window_outputs, anchor) in outputs.chunks(model.output_size() * params).zip(&anchors) {
            quantiles.push(
                window_outputs
                    .chunks(params)
                    .enumerate()
                    .map(|(index, step)| {
                        let params: Vec<f64> = step.iter().map(|v| f64::from(*v)).collect();
                        levels
                            .iter()
                            .map(|level| {
                                quantile(distribution, &params, *level)
                                    .map(|q| anchor.decode(index, q))
                            })
                            .collect()
                    })
                    .collect(),
            );
        }
    }
    Some(quantiles)
}

/// The `level` quantile, in model units, of one step's distribution parameters `params`.
pub fn quantile(distribution: &OutputDistribution, params: &[f64], level: f64) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
    match distribution {
        OutputDistribution::Point => None,
        OutputDistribution::Gaussian => {
            let scale = distribution::scale_from_raw(params[1]);
            let normal = Normal::new(params[0], scale).ok()?;
            Some(normal.inverse_cdf(level))
        }
        OutputDistribution::StudentT => {
            let scale = distribution::scale_from_raw(params[1]);
            let df = distribution::degrees_of_freedom_from_raw(params[2]);
            let t = StudentsT::new(params[0], scale, df).ok()?;
            Some(t.inverse_cdf(level))
        }
        OutputDistribution::Quantiles(taus) => interpolate_quantile(taus, params, level),
    }
}

/// The `level` quantile from quantiles at `taus` (sorted first, so crossing quantiles do not
/// matter), linear between neighbouring levels; `None` outside `taus`' range.
fn interpolate_quantile(taus: &[f64], values: &[f64], level: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let upper = taus.iter().position(|tau| *tau >= level)?;
    if (taus[upper] - level).abs() < 1e-12 {
        return Some(sorted[upper]);
    }
    let lower = upper.checked_sub(1)?;
    let share = (level - taus[lower]) / (taus[upper] - taus[lower]);
    Some(sorted[lower] + share * (sorted[upper] - sorted[lower]))
}

#[cfg(test)]
mod tests {
    use yoho_data::{ColumnScaler, Scaler, ScalingMethod, TargetTransform, WindowNorm};
    use yoho_model::RnnForecasterConfig;

    use super::*;

    /// A codec that hands the network the window's values unchanged (one feature, the target).
    fn identity_codec() -> WindowCodec {
        let column = ColumnScaler::fit("v", ScalingMethod::None, None, &[0.0, 1.0]).unwrap();
        let scaler = Scaler {
            method: ScalingMethod::None,
            columns: vec![column],
            log_return_scale: None,
        };
        let features = ["v".to_string()];
        WindowCodec::new(
            scaler,
            &features,
            &[],
            "v",
            TargetTransform::Level,
            WindowNorm::None,
        )
        .unwrap()
    }

    fn raw(values: &[f32]) -> RawWindow {
        let values: Vec<f64> = values.iter().map(|v| f64::from(*v)).collect();
        RawWindow {
            inputs: values.clone(),
            target: values,
        }
    }

    fn forward(model: &Forecaster, window: &[f32], device: &Device) -> Vec<f32> {
        let one = Tensor::<3>::from_data(
            TensorData::new(window.to_vec(), [1, window.len(), 1]),
            device,
        );
        model
            .forward_point(one)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    }

    #[test]
    fn each_series_is_forecast_with_its_own_coefficients_and_an_unknown_one_is_refused() {
        use burn::module::Param;
        use yoho_model::EsRnnConfig;
        let device = Device::flex();
        let mut model = EsRnnConfig::new(RnnForecasterConfig::new(1, 4).with_output_size(2), 0)
            .with_season(2)
            .with_series(2)
            .init_es_rnn(&device);
        model.level_raw = Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![-2.0f32, 2.0], [2]),
            &device,
        ));
        let model = Forecaster::EsRnn(model);
        let window = [raw(&[1.0, 4.0, 2.0, 6.0, 1.5, 5.0])];
        let of = |index: usize| {
            let codec = identity_codec().with_series_index(index);
            forecast(&model, &codec, &window, 2, &device)
        };
        let (first, second) = (of(0).unwrap(), of(1).unwrap());
        assert_ne!(first, second);
        assert_eq!(
            of(2),
            Err(InferenceError::UnknownSeries { index: 2, count: 2 })
        );
    }

    #[test]
    fn recursive_forecast_feeds_back_its_own_outputs() {
        let device = Device::flex();
        let model = RnnForecasterConfig::new(1, 6).init(&device);
        let start = [0.1_f32, 0.4, -0.2, 0.3];
        let recursive = forecast(&model, &identity_codec(), &[raw(&start)], 3, &device).unwrap();
        // the same thing by hand, one forward pass per step
        let mut window = start.to_vec();
        for (step, value) in recursive[0].iter().enumerate() {
            let expected = forward(&model, &window, &device)[0];
            assert!(
                (f64::from(expected) - value).abs() < 1e-6,
                "step {step}: {expected} vs {value}"
            );
            window.remove(0);
            window.push(expected);
        }
    }

    #[test]
    fn a_forecast_fed_back_with_calendar_rows_reads_each_rows_calendar() {
        let device = Device::flex();
        let model = RnnForecasterConfig::new(2, 6).init(&device);
        // the target and one calendar column: `v, c` per row, time-major
        let column = |name| ColumnScaler::fit(name, ScalingMethod::None, None, &[0.0, 1.0]);
        let scaler = Scaler {
            method: ScalingMethod::None,
            columns: vec![column("v").unwrap(), column("c").unwrap()],
            log_return_scale: None,
        };
        let features = ["v".to_string(), "c".to_string()];
        let codec = WindowCodec::new(
            scaler,
            &features,
            &["c".to_string()],
            "v",
            TargetTransform::Level,
            WindowNorm::None,
        )
        .unwrap();
        assert_eq!(codec.target_among_calendar(), Some(0));
        // an input not known ahead leaves nothing to feed back with
        let other = WindowCodec::new(
            codec.scaler().clone(),
            &features,
            &[],
            "v",
            TargetTransform::Level,
            WindowNorm::None,
        )
        .unwrap();
        assert_eq!(other.target_among_calendar(), None);
        let window = RawWindow {
            inputs: vec![0.1, 1.0, 0.4, -1.0, -0.2, 1.0],
            target: vec![0.1, 0.4, -0.2],
        };
        // the calendar of the three rows after it; their target cells are not read
        let future = RawWindow {
            inputs: vec![f64::NAN, -1.0, f64::NAN, 1.0, f64::NAN, -1.0],
            target: vec![f64::NAN; 3],
        };
        let windows = std::slice::from_ref(&window);
        assert_eq!(
            forecast(&model, &codec, windows, 3, &device),
            Err(InferenceError::CannotFeedBack {
                steps: 3,
                output_size: 1
            })
        );
        let known = (windows, std::slice::from_ref(&future));
        let fed = forecast_with_calendar(&model, &codec, known, 3, &device).unwrap();
        assert_eq!(
            forecast_with_calendar(&model, &codec, known, 4, &device),
            Err(InferenceError::MissingRowsAhead {
                given: 0,
                windows: 1,
                steps: 4
            })
        );
        // by hand: one forward pass per step, each new row its forecast and its calendar value
        let mut rows: Vec<[f32; 2]> = vec![[0.1, 1.0], [0.4, -1.0], [-0.2, 1.0]];
        for (step, value) in fed[0].iter().enumerate() {
            let flat: Vec<f32> = rows.iter().flatten().copied().collect();
            let one = Tensor::<3>::from_data(TensorData::new(flat, [1, 3, 2]), &device);
            let expected = model
                .forward_point(one)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()[0];
            assert!(
                (f64::from(expected) - value).abs() < 1e-6,
                "step {step}: {expected} vs {value}"
            );
            rows.remove(0);
            rows.push([expected, future.inputs[2 * step + 1] as f32]);
        }
    }

    #[test]
    fn a_one_step_model_with_calendar_inputs_forecasts_test_windows_without_their_targets() {
        use yoho_data::{CalendarFeature, DataConfig, sine::SineSpec};
        let device = Device::flex();
        // one step at a time, from the target and the day of the week's sine and cosine
        let model = RnnForecasterConfig::new(3, 8).init(&device);
        let spec = SineSpec {
            points: 60,
            noise: 0.1,
            seed: 3,
            ..SineSpec::default()
        };
        let config = DataConfig {
            calendar: vec![CalendarFeature::DayOfWeek],
            horizon: 3,
            ..DataConfig::new("", &["value"], "value", 6, 8).with_sine(spec)
        };
        // the sine's values on days from 2000-01-01, which have a calendar
        let loaded = crate::baselines::tests::sine_on_days(&spec);
        let data = yoho_data::prepare_loaded(loaded, &config).unwrap();
        let test = data.splits.test;
        let forecasts = forecast_windows(&model, &data, &test, &device).unwrap();
        assert!(forecasts.iter().all(|steps| steps.len() == 3));
        // the first test window's targets overwritten: its forecasts do not move
        let origin = test.first().unwrap().first_target_row();
        let mut series = (*data.series).clone();
        let target = series
            .columns
            .iter_mut()
            .find(|c| c.name == "value")
            .unwrap();
        target.values[origin..].iter_mut().for_each(|v| *v = 1e3);
        let corrupted = PreparedData {
            series: std::sync::Arc::new(series),
            ..data.clone()
        };
        let first = test.sub_run(0..1);
        let again = forecast_windows(&model, &corrupted, &first, &device).unwrap();
        assert_eq!(again[0], forecasts[0]);
    }

    #[test]
    fn recursive_forecast_with_a_multi_step_model_takes_every_output() {
        let device = Device::flex();
        let model = RnnForecasterConfig::new(1, 6)
            .with_output_size(2)
            .init(&device);
        let windows = [raw(&[1.0; 4]), raw(&[1.0; 4])];
        let direct = forward(&model, &[1.0; 4], &device);
        let recursive = forecast(&model, &identity_codec(), &windows, 5, &device).unwrap();
        assert_eq!(recursive.len(), 2);
        assert!(recursive.iter().all(|steps| steps.len() == 5));
        // the first two steps of each window are the model's direct output
        for steps in &recursive {
            assert_eq!(steps[0], f64::from(direct[0]));
            assert_eq!(steps[1], f64::from(direct[1]));
        }
    }
}
