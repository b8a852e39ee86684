//! One model over many series: each series is evaluated as a run of its own would be (its
//! [`EvaluationTable`]); this module sums them up over all series.
//!
//! Scale-dependent measures (RMSE, MAE) are averaged as they are, so a series of large values
//! weighs more; MASE and the skill against naive are scale-free, and the counts say on how
//! many series the model beats the naive forecast. The field's summary of many series (the M4
//! competition's) is [`Relative`]: each forecaster's MASE over the seasonal naive's, as a
//! geometric mean over the series, and on how many series it beats the seasonal naive.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::baselines::{NAIVE, SEASONAL_NAIVE};
use crate::evaluate::{EvaluationTable, MODEL};
use crate::metrics::Verdict;

/// The mean of each measure of one forecaster over the series where it is defined.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeanMetrics {
    /// Mean RMSE (in each series' units).
    pub rmse: f64,
    /// Mean MAE (in each series' units).
    pub mae: f64,
    /// Mean MAPE, percent.
    pub mape_percent: f64,
    /// Mean sMAPE (M4's), percent.
    pub smape_percent: f64,
    /// Mean MASE: scale-free, comparable across series.
    pub mase: f64,
    /// Mean `1 − MSE / MSE_naive`.
    pub skill_vs_naive: f64,
    /// Series it was measured on.
    pub series: usize,
}

/// The model against naive over all series of a panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PanelSummary {
    /// Every forecaster's mean measures, keyed by name.
    pub mean: BTreeMap<&'static str, MeanMetrics>,
    /// Series on which the model's RMSE is below naive's.
    pub model_lower_rmse_than_naive: usize,
    /// Series on which the model beats naive at the 5 % level (Diebold–Mariano).
    pub model_significantly_better_than_naive: usize,
    /// Series on which naive beats the model at the 5 % level.
    pub naive_significantly_better_than_model: usize,
    /// Series on which the test could not be made (one forecast origin, or losses that never
    /// differ).
    pub model_untested_vs_naive: usize,
    /// Series in the panel.
    pub series: usize,
    /// The forecaster every other is set against in [`PanelSummary::relative`]: the seasonal
    /// naive where the series have one (a config with `[evaluate] season`), else naive.
    pub reference: &'static str,
    /// Every forecaster against [`PanelSummary::reference`], keyed by name.
    pub relative: BTreeMap<&'static str, Relative>,
}

/// One forecaster against the reference forecaster over a panel's series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relative {
    /// The geometric mean over the series of its MASE divided by the reference's (below 1:
    /// better than the reference): the M4 competition's relative MASE.
    pub relative_mase: f64,
    /// Series on which its MASE is below the reference's.
    pub beats_reference: usize,
    /// Series on which both are measured.
    pub series: usize,
}

impl Relative {
    /// Over the `(forecaster's MASE, reference's MASE)` of each series (pairs that are not both
    /// finite and positive are skipped); `None` when none is left.
    pub fn of(pairs: impl IntoIterator<Item = (f64, f64)>) -> Option<Self> {
        let ratios: Vec<f64> = (pairs.into_iter())
            .filter(|(mase, reference)| mase.is_finite() && reference.is_finite())
            .filter(|(mase, reference)| *mase > 0.0 && *reference > 0.0)
            .map(|(mase, reference)| mase / reference)
            .collect();
        let logs: Vec<f64> = ratios.iter().map(|ratio| ratio.ln()).collect();
        (!ratios.is_empty()).then(|| Self {
            relative_mase: mean_of_finite(logs.into_iter()).exp(),
            beats_reference: ratios.iter().filter(|ratio| **ratio < 1.0).count(),
            series: ratios.len(),
        })
    }
}

impl PanelSummary {
    /// Sums up the tables of every series.
    pub fn over<'a>(tables: impl IntoIterator<Item = &'a EvaluationTable>) -> Self {
        let tables: Vec<&EvaluationTable> = tables.into_iter().collect();
        let mut names: Vec<&'static str> = Vec::new();
        for table in &tables {
            for (name, _) in &table.rows {
                if !names.contains(name) {
                    names.push(name);
                }
            }
        }
        let reference = match names.contains(&SEASONAL_NAIVE) {
            true => SEASONAL_NAIVE,
            false => NAIVE,
        };
        let relative = (names.iter())
            .filter_map(|name| {
                let pairs = (tables.iter())
                    .filter_map(|table| Some((table.get(name)?.mase, table.get(reference)?.mase)));
                Some((*name, Relative::of(pairs)?))
            })
            .collect();
        let mean = names
            .into_iter()
            .map(|name| {
                let rows: Vec<_> = tables.iter().filter_map(|t| t.get(name)).collect();
                let average = |value: &dyn Fn(&crate::ForecastMetrics) -> f64| {
                    mean_of_finite(rows.iter().map(|metrics| value(metrics)))
                };
                let metrics = MeanMetrics {
                    rmse: average(&|m| m.rmse),
                    mae: average(&|m| m.mae),
                    mape_percent: average(&|m| m.mape_percent),
                    smape_percent: average(&|m| m.smape_percent),
                    mase: average(&|m| m.mase),
                    skill_vs_naive: average(&|m| m.skill_vs_naive),
                    series: rows.len(),
                };
                (name, metrics)
            })
            .collect();
        let model_vs_naive =
            |test: &dyn Fn(&crate::ForecastMetrics, &crate::ForecastMetrics) -> bool| {
                tables
                    .iter()
                    .filter(|table| match (table.get(MODEL), table.get(NAIVE)) {
                        (Some(model), Some(naive)) => test(model, naive),
                        _ => false,
                    })
                    .count()
            };
        Self {
            mean,
            model_lower_rmse_than_naive: model_vs_naive(&|model, naive| model.rmse < naive.rmse),
            model_significantly_better_than_naive: model_vs_naive(&|model, _| {
                model.verdict_vs_naive() == Some(Verdict::Better)
            }),
            naive_significantly_better_than_model: model_vs_naive(&|model, _| {
                model.verdict_vs_naive() == Some(Verdict::Worse)
            }),
            model_untested_vs_naive: model_vs_naive(&|model, _| model.verdict_vs_naive().is_none()),
            series: tables.len(),
            reference,
            relative,
        }
    }
}

/// The mean of the finite values; NaN when there is none.
fn mean_of_finite(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values
        .filter(|value| value.is_finite())
        .fold((0.0, 0usize), |(sum, count), value| {
            (sum + value, count + 1)
        });
    match count {
        0 => f64::NAN,
        _ => sum / count as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{NamedForecast, TestForecast};
    use yoho_data::NaiveDate;

    fn table(actual: &[f64], model: &[f64], previous: &[f64]) -> EvaluationTable {
        let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let test = TestForecast {
            dates: vec![day.into(); actual.len()],
            actual: actual.to_vec(),
            previous: previous.to_vec(),
            forecasts: vec![
                NamedForecast::one_step(MODEL, model.to_vec()),
                NamedForecast::one_step("naive", previous.to_vec()),
            ],
            actual_steps: actual.iter().map(|a| vec![*a]).collect(),
        };
        EvaluationTable::with_training_targets(&test, &[1.0, 2.0, 3.0, 4.0], None)
    }

    #[test]
    fn means_and_counts_over_series_by_hand() {
        // series 1: the model is exact (RMSE 0), naive is 1 off every day (RMSE 1)
        let exact = table(&[2.0, 3.0, 4.0], &[2.0, 3.0, 4.0], &[1.0, 2.0, 3.0]);
        // series 2: the model is 3 off (RMSE 3), naive 1 off (RMSE 1)
        let poor = table(&[2.0, 3.0, 4.0], &[5.0, 6.0, 7.0], &[1.0, 2.0, 3.0]);
        let summary = PanelSummary::over([&exact, &poor]);
        assert_eq!(summary.series, 2);
        assert_eq!(summary.model_lower_rmse_than_naive, 1);
        // each series' loss differences are constant: no test can be made
        assert_eq!(summary.model_untested_vs_naive, 2);
        let model = &summary.mean[MODEL];
        assert!((model.rmse - 1.5).abs() < 1e-12, "{model:?}");
        // in-sample naive MAE of 1, 2, 3, 4 is 1: MASE = MAE
        assert!((model.mase - 1.5).abs() < 1e-12, "{model:?}");
        assert!((summary.mean["naive"].rmse - 1.0).abs() < 1e-12);
        assert_eq!(model.series, 2);
        // without a seasonal naive, against naive: MASE 0 is skipped (no ratio), 3 / 1 = 3
        assert_eq!(summary.reference, NAIVE);
        let relative = &summary.relative[MODEL];
        assert_eq!((relative.series, relative.beats_reference), (1, 0));
        assert!((relative.relative_mase - 3.0).abs() < 1e-12);
    }

    #[test]
    fn relative_mase_is_a_geometric_mean_of_ratios() {
        // ratios 0.5 and 2: geometric mean 1, beats the reference once
        let relative = Relative::of([(1.0, 2.0), (4.0, 2.0), (f64::NAN, 1.0)]).unwrap();
        assert!((relative.relative_mase - 1.0).abs() < 1e-12);
        assert_eq!((relative.beats_reference, relative.series), (1, 2));
        // ratios 0.25 and 0.25 and 1: (1/16)^(1/3)
        let relative = Relative::of([(1.0, 4.0), (0.5, 2.0), (3.0, 3.0)]).unwrap();
        assert!((relative.relative_mase - (1.0f64 / 16.0).powf(1.0 / 3.0)).abs() < 1e-12);
        assert_eq!(relative.beats_reference, 2);
        assert!(Relative::of([(0.0, 1.0)]).is_none());
    }
}
