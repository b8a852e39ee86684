//! How far an ensemble's members disagree on the test days: each member's own error and the
//! range of their forecasts, beside the error of the median the ensemble forecasts.

use burn::tensor::Device;
use serde::Serialize;
use yoho_data::PreparedData;
use yoho_model::Forecaster;

use crate::evaluate::{MODEL, TestForecast};
use crate::inference::{self, InferenceError};
use crate::metrics::rmse;

/// The spread of an ensemble's members on the test windows (every step of every window).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnsembleSpread {
    /// Members in the ensemble.
    pub members: usize,
    /// Networks in all: more than `members` where each member is itself an ensemble (the
    /// networks of one family, as the default recipe trains them).
    pub networks: usize,
    /// Each member's RMSE, in the target's units, the first member first.
    pub member_rmse: Vec<f64>,
    /// The RMSE of the ensemble's forecast (the members' median).
    pub ensemble_rmse: f64,
    /// The mean over every forecast value of the range of the members' forecasts (highest −
    /// lowest), in the target's units.
    pub mean_range: f64,
}

impl EnsembleSpread {
    /// The lowest and the highest member RMSE.
    pub fn member_rmse_range(&self) -> (f64, f64) {
        let fold =
            |pick: fn(f64, f64) -> f64, start| self.member_rmse.iter().copied().fold(start, pick);
        (
            fold(f64::min, f64::INFINITY),
            fold(f64::max, f64::NEG_INFINITY),
        )
    }
}

/// The spread of `model`'s members on `data`'s test windows, whose forecasts `test` holds;
/// `None` when `model` is not an ensemble or there is no test window.
pub fn ensemble_spread(
    model: &Forecaster,
    data: &PreparedData,
    test: &TestForecast,
    device: &Device,
) -> Result<Option<EnsembleSpread>, InferenceError> {
    let Forecaster::Ensemble(ensemble) = model else {
        return Ok(None);
    };
    let actual: Vec<f64> = test.actual_steps.concat();
    let Some(ensemble_steps) = test.steps(MODEL) else {
        return Ok(None);
    };
    if actual.is_empty() {
        return Ok(None);
    }
    let members = (ensemble.members.iter())
        .map(|member| {
            inference::forecast_windows(member, data, &data.splits.test, device)
                .map(|steps| steps.concat())
        })
        .collect::<Result<Vec<Vec<f64>>, _>>()?;
    let spread = spread_of(&members, &ensemble_steps.concat(), &actual);
    Ok(Some(EnsembleSpread {
        networks: ensemble.network_count(),
        ..spread
    }))
}

/// The spread of `members`' forecasts (each flattened like `actual`) and the ensemble's.
fn spread_of(members: &[Vec<f64>], ensemble: &[f64], actual: &[f64]) -> EnsembleSpread {
    let ranges = (0..actual.len()).map(|index| {
        let values = members.iter().map(|member| member[index]);
        let high = values.clone().fold(f64::NEG_INFINITY, f64::max);
        let low = values.fold(f64::INFINITY, f64::min);
        high - low
    });
    EnsembleSpread {
        members: members.len(),
        networks: members.len(),
        member_rmse: (members.iter())
            .map(|member| rmse(actual, member))
            .collect(),
        ensemble_rmse: rmse(actual, ensemble),
        mean_range: ranges.sum::<f64>() / actual.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_is_each_members_error_and_the_range_of_their_forecasts() {
        let actual = [1.0, 2.0];
        let members = vec![vec![1.0, 2.0], vec![2.0, 2.0], vec![4.0, 5.0]];
        let spread = spread_of(&members, &[2.0, 2.0], &actual);
        assert_eq!(spread.members, 3);
        assert_eq!(spread.member_rmse[0], 0.0);
        assert!((spread.member_rmse[1] - 0.5f64.sqrt()).abs() < 1e-12);
        assert!((spread.member_rmse[2] - 3.0).abs() < 1e-12);
        assert!((spread.ensemble_rmse - 0.5f64.sqrt()).abs() < 1e-12);
        // ranges 3 and 3
        assert_eq!(spread.mean_range, 3.0);
        assert_eq!(spread.member_rmse_range(), (0.0, 3.0));
    }
}
