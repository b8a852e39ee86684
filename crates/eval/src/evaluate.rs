//! Forecasts of the test days in original units — the model's and the baselines' — and the
//! table of their accuracy.

use std::collections::BTreeMap;

use burn::tensor::Device;
use serde::Serialize;
use serde::ser::SerializeMap;
use yoho_data::{PreparedData, Timestamp};
use yoho_model::Forecaster;

use crate::baselines::{Baseline, NAIVE, training_targets};
use crate::bounds::Bounds;
use crate::inference::{self, InferenceError};
use crate::metrics::{self, DieboldMariano, Measure, Undefined, Verdict};
use crate::parallel::per_window;

/// The name of the model's forecast.
pub const MODEL: &str = "model";

/// One forecaster's forecasts of the test days.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedForecast {
    /// `model` or a baseline's name.
    pub name: &'static str,
    /// One value per test window: its first step, in original units.
    pub values: Vec<f64>,
    /// Every step of every test window, `[window][step]`, in original units.
    pub steps: Vec<Vec<f64>>,
}

impl NamedForecast {
    /// The forecasts of every step of every window (`[window][step]`); `values` are the first
    /// steps.
    pub fn new(name: &'static str, steps: Vec<Vec<f64>>) -> Self {
        Self {
            name,
            values: steps.iter().map(|window| window[0]).collect(),
            steps,
        }
    }

    /// One-step forecasts, one per window.
    pub fn one_step(name: &'static str, values: Vec<f64>) -> Self {
        Self::new(name, values.into_iter().map(|value| vec![value]).collect())
    }
}

/// The test days and every forecaster's one-step-ahead forecasts of them.
#[derive(Debug, Clone, PartialEq)]
pub struct TestForecast {
    /// The date of each forecast target, ascending.
    pub dates: Vec<Timestamp>,
    /// What happened.
    pub actual: Vec<f64>,
    /// The target's last observed value before each test day.
    pub previous: Vec<f64>,
    /// The model first, then the baselines.
    pub forecasts: Vec<NamedForecast>,
    /// Every window's targets, all `horizon` steps: `[window][step]`.
    pub actual_steps: Vec<Vec<f64>>,
}

impl TestForecast {
    /// The forecasts of the forecaster called `name`.
    pub fn values(&self, name: &str) -> Option<&[f64]> {
        self.forecasts
            .iter()
            .find(|forecast| forecast.name == name)
            .map(|forecast| forecast.values.as_slice())
    }

    /// Every step of every window of the forecaster called `name`, `[window][step]`.
    pub fn steps(&self, name: &str) -> Option<&[Vec<f64>]> {
        self.forecasts
            .iter()
            .find(|forecast| forecast.name == name)
            .map(|forecast| forecast.steps.as_slice())
    }

    /// The test measured over every step of every window, as if each (window, step) were a
    /// day: the actual values, the naive forecast (each window's last observed value, for
    /// every step) and every forecaster's values, flattened window by window.
    pub fn all_steps(&self) -> TestForecast {
        let horizon = self.horizon();
        let flat = |steps: &[Vec<f64>]| steps.iter().flatten().copied().collect::<Vec<f64>>();
        TestForecast {
            dates: self.dates.iter().flat_map(|d| vec![*d; horizon]).collect(),
            actual: flat(&self.actual_steps),
            previous: self
                .previous
                .iter()
                .flat_map(|p| vec![*p; horizon])
                .collect(),
            forecasts: self
                .forecasts
                .iter()
                .map(|f| NamedForecast::one_step(f.name, flat(&f.steps)))
                .collect(),
            actual_steps: self
                .actual_steps
                .iter()
                .flatten()
                .map(|a| vec![*a])
                .collect(),
        }
    }

    /// The model's forecast of every step: `[window][step]`.
    pub fn model_steps(&self) -> &[Vec<f64>] {
        self.steps(MODEL)
            .expect("the model's forecast is always present")
    }

    /// The model's forecasts.
    pub fn model(&self) -> &[f64] {
        self.values(MODEL)
            .expect("the model's forecast is always present")
    }

    /// The naive forecasts.
    pub fn naive(&self) -> &[f64] {
        &self.previous
    }

    /// Steps forecast per window.
    pub fn horizon(&self) -> usize {
        self.model_steps().first().map_or(1, Vec::len)
    }

    /// The forecasts of `parts`, one after the other; only the forecasters every part has are
    /// kept.
    pub fn concat<'a>(parts: impl IntoIterator<Item = &'a TestForecast>) -> Self {
        let parts: Vec<&TestForecast> = parts.into_iter().collect();
        let names: Vec<&'static str> = parts.first().map_or(Vec::new(), |first| {
            first
                .forecasts
                .iter()
                .map(|f| f.name)
                .filter(|name| parts.iter().all(|part| part.values(name).is_some()))
                .collect()
        });
        let joined = |field: fn(&TestForecast) -> &[f64]| -> Vec<f64> {
            parts
                .iter()
                .flat_map(|part| field(part).iter().copied())
                .collect()
        };
        Self {
            dates: parts.iter().flat_map(|p| p.dates.iter().copied()).collect(),
            actual: joined(|p| &p.actual),
            previous: joined(|p| &p.previous),
            forecasts: names
                .iter()
                .map(|name| {
                    NamedForecast::new(
                        name,
                        parts
                            .iter()
                            .flat_map(|p| p.steps(name).unwrap_or_default().iter().cloned())
                            .collect(),
                    )
                })
                .collect(),
            actual_steps: parts.iter().flat_map(|p| p.actual_steps.clone()).collect(),
        }
    }
}

/// The model's and the naive forecast's errors `steps_ahead` steps ahead, over every test
/// window, in the target's units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepErrors {
    /// Days ahead (1 = the day after the window).
    pub steps_ahead: usize,
    /// The model's RMSE.
    pub model_rmse: f64,
    /// The model's MAE.
    pub model_mae: f64,
    /// The naive forecast's RMSE (the last observed value for every step).
    pub naive_rmse: f64,
    /// The naive forecast's MAE.
    pub naive_mae: f64,
}

/// The errors at every step ahead, `h = 1..=horizon`.
pub fn errors_by_step(test: &TestForecast) -> Vec<StepErrors> {
    (0..test.horizon())
        .map(|step| {
            let actual: Vec<f64> = test.actual_steps.iter().map(|a| a[step]).collect();
            let model: Vec<f64> = test.model_steps().iter().map(|m| m[step]).collect();
            StepErrors {
                steps_ahead: step + 1,
                model_rmse: metrics::rmse(&actual, &model),
                model_mae: metrics::mae(&actual, &model),
                naive_rmse: metrics::rmse(&actual, &test.previous),
                naive_mae: metrics::mae(&actual, &test.previous),
            }
        })
        .collect()
}

/// The model's and the baselines' forecasts of every step of the test windows (`values` the
/// first step, `steps` all `horizon`). Baselines that do not apply to `data` are left out.
pub fn forecast_test(
    model: &Forecaster,
    data: &PreparedData,
    baselines: &[Box<dyn Baseline>],
    device: &Device,
) -> Result<TestForecast, InferenceError> {
    let model_steps = inference::forecast_windows(model, data, &data.splits.test, device)?;
    Ok(test_forecast_of(model_steps, data, baselines))
}

/// The test forecasts of a model made elsewhere (`model_steps`: every step of every test
/// window of `data`, in order) beside `baselines`' (those that apply to `data`), as
/// [`forecast_test`] gives them; the model's brought within the [`Bounds`] of each window's
/// origin.
pub fn test_forecast_of(
    mut model_steps: Vec<Vec<f64>>,
    data: &PreparedData,
    baselines: &[Box<dyn Baseline>],
) -> TestForecast {
    let windows = &data.splits.test;
    Bounds::apply_by_window(&Bounds::of_windows(data, windows), &mut model_steps);
    let target = data.target_values();
    let mut forecasts = vec![NamedForecast::new(MODEL, model_steps)];
    forecasts.extend(
        baselines
            .iter()
            .filter(|baseline| baseline.applies_to(data))
            .map(|baseline| {
                NamedForecast::new(
                    baseline.name(),
                    per_window(windows, |_, w| baseline.forecast_steps(data, &w)),
                )
            }),
    );
    TestForecast {
        dates: windows
            .iter()
            .map(|w| data.series.dates[w.first_target_row()])
            .collect(),
        actual: windows
            .iter()
            .map(|w| target[w.first_target_row()])
            .collect(),
        previous: windows.iter().map(|w| target[w.last_input_row()]).collect(),
        forecasts,
        actual_steps: windows
            .iter()
            .map(|w| target[w.target_rows()].to_vec())
            .collect(),
    }
}

/// Every measure of one forecaster on the test days, in the target's units. A measure that is
/// undefined on these days (it would divide by zero) is NaN (`null` in JSON) and named in
/// `undefined` with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastMetrics {
    /// Mean squared error.
    pub mse: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Mean absolute percentage error, percent.
    pub mape_percent: f64,
    /// Symmetric MAPE as the M4 competition defines it, percent.
    pub smape_percent: f64,
    /// Coefficient of determination.
    pub r_squared: f64,
    /// Share of days whose direction of change (vs the last observed value) was right.
    pub direction_accuracy: f64,
    /// Test MAE over the training set's in-sample naive MAE.
    pub mase: f64,
    /// `1 − MSE / MSE_naive`.
    pub skill_vs_naive: f64,
    /// Diebold–Mariano test against the naive forecast (absent for naive itself).
    pub dm_vs_naive: Option<DieboldMariano>,
    /// Diebold–Mariano test against the best baseline, the one with the lowest MSE on these
    /// days (absent for that baseline itself).
    pub dm_vs_best_baseline: Option<DieboldMariano>,
    /// The measures above that have no value here, each with why (e.g. `mape_percent` when an
    /// actual value is 0).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub undefined: BTreeMap<&'static str, Undefined>,
}

impl ForecastMetrics {
    /// Measures `forecast` against `test`, with MASE's in-sample scale and the best
    /// baseline's forecasts.
    pub fn compute(
        test: &TestForecast,
        forecast: &[f64],
        in_sample_scale: f64,
        best_baseline: &[f64],
    ) -> Self {
        let actual = &test.actual;
        let horizon = 1;
        let versus = |reference: &[f64]| {
            (forecast != reference)
                .then(|| metrics::diebold_mariano(actual, forecast, reference, horizon))
                .flatten()
        };
        let naive = test.naive();
        let mut undefined = BTreeMap::new();
        let mut value = |name: &'static str, measure: Measure| {
            measure.unwrap_or_else(|why| {
                undefined.insert(name, why);
                f64::NAN
            })
        };
        let mape_percent = value("mape_percent", metrics::mape_percent(actual, forecast));
        let smape_percent = value("smape_percent", metrics::smape_percent(actual, forecast));
        let r_squared = value("r_squared", metrics::r_squared(actual, forecast));
        let mase = value("mase", metrics::mase(actual, forecast, in_sample_scale));
        let skill_vs_naive = value(
            "skill_vs_naive",
            metrics::skill_score(actual, forecast, naive),
        );
        Self {
            mse: metrics::mse(actual, forecast),
            rmse: metrics::rmse(actual, forecast),
            mae: metrics::mae(actual, forecast),
            mape_percent,
            smape_percent,
            r_squared,
            direction_accuracy: metrics::direction_accuracy(actual, forecast, &test.previous),
            mase,
            skill_vs_naive,
            dm_vs_naive: versus(naive),
            dm_vs_best_baseline: versus(best_baseline),
            undefined,
        }
    }

    /// The Diebold–Mariano verdict against naive at 5 %; `None` for naive itself, or when the
    /// two forecasts are identical.
    pub fn verdict_vs_naive(&self) -> Option<Verdict> {
        self.dm_vs_naive.map(|dm| dm.verdict())
    }
}

/// The metrics of every forecaster, model first; serialised as a map from name to metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationTable {
    /// `(forecaster, metrics)` rows.
    pub rows: Vec<(&'static str, ForecastMetrics)>,
    /// The baseline with the lowest MSE on the test days.
    pub best_baseline: &'static str,
    /// The forecast origins measured (test windows): the Diebold–Mariano tests need two.
    pub origins: usize,
}

impl EvaluationTable {
    /// Measures every forecast of `test` of `data`'s test windows; MASE as the M4 competition
    /// scales it, by the in-sample MAE of the seasonal naive forecast of period `season` (the
    /// naive forecast without one).
    pub fn new(test: &TestForecast, data: &PreparedData, season: Option<usize>) -> Self {
        Self::with_training_targets(test, training_targets(data), season)
    }

    /// Measures every forecast of `test`: over every step of every window when the horizon is
    /// more than 1 (the Diebold–Mariano tests on one loss per window, each window's mean squared
    /// error over its steps, with the test's horizon). MASE divides by the in-sample MAE of the
    /// seasonal naive forecast of period `season` (of the naive forecast without one) over
    /// `training_targets`.
    pub fn with_training_targets(
        test: &TestForecast,
        training_targets: &[f64],
        season: Option<usize>,
    ) -> Self {
        let in_sample =
            metrics::seasonal_naive_in_sample_mae(training_targets, season.unwrap_or(1));
        let horizon = test.horizon();
        // with horizon > 1, every step of every window is measured
        let flattened;
        let measured = match horizon {
            1 => test,
            _ => {
                flattened = test.all_steps();
                &flattened
            }
        };
        // without any baseline in `test`, the naive forecast it always carries is the best
        let (best_baseline, best_values) = measured
            .forecasts
            .iter()
            .filter(|f| f.name != MODEL)
            .min_by(|a, b| {
                metrics::mse(&measured.actual, &a.values)
                    .total_cmp(&metrics::mse(&measured.actual, &b.values))
            })
            .map_or((NAIVE, measured.naive()), |best| {
                (best.name, &best.values[..])
            });
        // with horizon > 1, the Diebold–Mariano tests take one loss per forecast origin (the
        // window's mean over its steps); naive's steps repeat each window's last value
        let naive_steps: Vec<Vec<f64>> = match horizon {
            1 => Vec::new(),
            _ => test.previous.iter().map(|p| vec![*p; horizon]).collect(),
        };
        let best_steps = test.steps(best_baseline).unwrap_or(&naive_steps);
        let rows = measured
            .forecasts
            .iter()
            .map(|f| {
                let mut row = ForecastMetrics::compute(measured, &f.values, in_sample, best_values);
                if horizon > 1 {
                    let own = test.steps(f.name).unwrap_or_default();
                    let versus = |reference: &[Vec<f64>]| {
                        (own != reference)
                            .then(|| {
                                metrics::diebold_mariano_multi_step(
                                    &test.actual_steps,
                                    own,
                                    reference,
                                )
                            })
                            .flatten()
                    };
                    row.dm_vs_naive = versus(&naive_steps);
                    row.dm_vs_best_baseline = versus(best_steps);
                }
                (f.name, row)
            })
            .collect();
        Self {
            rows,
            best_baseline,
            origins: test.actual_steps.len(),
        }
    }

    /// The metrics of the forecaster called `name`.
    pub fn get(&self, name: &str) -> Option<&ForecastMetrics> {
        self.rows.iter().find(|(n, _)| *n == name).map(|(_, m)| m)
    }
}

impl Serialize for EvaluationTable {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.rows.len()))?;
        for (name, metrics) in &self.rows {
            map.serialize_entry(name, metrics)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mase_is_scaled_by_the_seasonal_naive_of_the_season() {
        let test = TestForecast {
            dates: Vec::new(),
            actual: vec![10.0, 20.0],
            previous: vec![9.0, 9.0],
            forecasts: vec![NamedForecast::one_step(MODEL, vec![12.0, 17.0])],
            actual_steps: Vec::new(),
        };
        // in sample, each value is 1 above the one before and 2 above the one two before
        let targets = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let seasonal = EvaluationTable::with_training_targets(&test, &targets, Some(2));
        let naive = EvaluationTable::with_training_targets(&test, &targets, None);
        // the model's MAE is (2 + 3) / 2 = 2.5
        assert_eq!(seasonal.get(MODEL).unwrap().mase, 1.25);
        assert_eq!(naive.get(MODEL).unwrap().mase, 2.5);
    }

    #[test]
    fn folds_of_consecutive_multi_step_origins_pool_into_one_runs_diebold_mariano() {
        // six origins, 3 steps ahead, consecutive: windows overlap in 2 targets
        let values: Vec<f64> = (0..12).map(|i| 10.0 + f64::from(i * 7 % 5)).collect();
        let window = |origin: usize| values[origin + 1..origin + 4].to_vec();
        let model = |origin: usize| (0..3).map(|k| values[origin] + 0.3 * k as f64).collect();
        let part = |origins: std::ops::Range<usize>| {
            let steps: Vec<Vec<f64>> = origins.clone().map(model).collect();
            let actual_steps: Vec<Vec<f64>> = origins.clone().map(window).collect();
            TestForecast {
                dates: Vec::new(),
                actual: actual_steps.iter().map(|a| a[0]).collect(),
                previous: origins.map(|o| values[o]).collect(),
                forecasts: vec![NamedForecast::new(MODEL, steps)],
                actual_steps,
            }
        };
        let (first, second, whole) = (part(0..3), part(3..6), part(0..6));
        let pooled = TestForecast::concat([&first, &second]);
        assert_eq!(pooled, whole);
        let table = EvaluationTable::with_training_targets(&pooled, &values[..6], None);
        let naive: Vec<Vec<f64>> = whole.previous.iter().map(|p| vec![*p; 3]).collect();
        let expected =
            metrics::diebold_mariano_multi_step(&whole.actual_steps, whole.model_steps(), &naive);
        let dm = table.get(MODEL).unwrap().dm_vs_naive;
        assert!(dm.is_some());
        assert_eq!(dm, expected);
        assert_eq!(dm.unwrap().horizon, 3);
    }

    #[test]
    fn a_models_forecasts_stay_within_the_bounds_of_each_windows_origin() {
        use crate::baselines::tests::prepared;
        // two one-step test windows, their origins rows 27 and 28
        let counts: Vec<f64> = (0..30).map(|i| f64::from(i % 4)).collect();
        let negative = vec![vec![-1.0], vec![-0.5]];
        let test = test_forecast_of(negative.clone(), &prepared(&counts, 2, 2), &[]);
        assert_eq!(test.model_steps(), [[0.0], [0.0]]);
        // a negative value at row 28, the first window's target, does not lift that window's
        // bound, but is history to the second window
        let mut late = counts.clone();
        late[28] = -1.0;
        let test = test_forecast_of(negative.clone(), &prepared(&late, 2, 2), &[]);
        assert_eq!(test.model_steps(), [[0.0], [-0.5]]);
        let mut early = counts;
        early[3] = -1.0;
        let test = test_forecast_of(negative.clone(), &prepared(&early, 2, 2), &[]);
        assert_eq!(test.model_steps(), negative);
    }
}
