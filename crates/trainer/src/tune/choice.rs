//! Which trial a search keeps. The lowest validation MSE alone would trade the config's own
//! settings for a drawn trial that did better by chance: among twenty trials scored on a few
//! validation origins, one usually does. So a drawn trial replaces the config as given (trial
//! 0) only where its validation errors are lower by more than chance: the Diebold–Mariano test
//! of its forecasts against the config's on the validation windows, at the 5 % level divided
//! by the number of drawn trials (Bonferroni's correction, since the best of them is tested).

use yoho_eval::DieboldMariano;
use yoho_eval::metrics::diebold_mariano_multi_step;

use super::trial::{TrialResult, ValidationForecasts};

/// The trial a search keeps, and why.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    /// The config as given: its validation MSE is the lowest (or every drawn trial failed).
    Config,
    /// The config as given, although drawn trial `lowest` scored a lower validation MSE: not
    /// lower by more than chance (`test`, `None` where the test cannot be made).
    ConfigKept {
        /// The drawn trial with the lowest validation MSE.
        lowest: usize,
        /// Its forecasts against the config's.
        test: Option<DieboldMariano>,
        /// The p-value it needed to stay under.
        threshold: f64,
    },
    /// Drawn trial `index`, whose validation errors are significantly lower than the config's
    /// (`test`; `None` where the config's own trial failed and there was nothing to test).
    Drawn {
        /// The trial kept.
        index: usize,
        /// Its forecasts against the config's.
        test: Option<DieboldMariano>,
    },
}

impl Choice {
    /// The index of the trial kept (0: the config as given).
    pub fn index(&self) -> usize {
        match self {
            Self::Config | Self::ConfigKept { .. } => 0,
            Self::Drawn { index, .. } => *index,
        }
    }
}

/// The trial to keep of `results` (trial 0 the config as given, the others drawn); `None`
/// when every trial failed.
pub fn choose(results: &[TrialResult]) -> Option<Choice> {
    let lowest = lowest_mse(results)?;
    let Some(own) = results.first().and_then(scored_forecasts) else {
        // the config's own trial failed: the best drawn one stands alone
        return Some(Choice::Drawn {
            index: lowest,
            test: None,
        });
    };
    if lowest == 0 {
        return Some(Choice::Config);
    }
    // the drawn trials the lowest was found among: those an interruption stopped were not
    let drawn_trials = (results.iter().skip(1))
        .filter(|result| result.interrupted.is_none())
        .count();
    let threshold = yoho_eval::SIGNIFICANCE_LEVEL / drawn_trials.max(1) as f64;
    let drawn = scored_forecasts(&results[lowest]).expect("a scored trial has its forecasts");
    let test = diebold_mariano_multi_step(&own.actual, &drawn.forecast, &own.forecast);
    Some(match test {
        Some(dm) if dm.statistic < 0.0 && dm.p_value < threshold => Choice::Drawn {
            index: lowest,
            test: Some(dm),
        },
        test => Choice::ConfigKept {
            lowest,
            test,
            threshold,
        },
    })
}

/// The forecasts of a trial that was scored.
fn scored_forecasts(result: &TrialResult) -> Option<&ValidationForecasts> {
    result.valid_mse.and(result.valid_forecasts.as_ref())
}

/// The index of the trial with the lowest validation MSE (the first of equals, so the config
/// as given, trial 0, wins a tie).
pub fn lowest_mse(results: &[TrialResult]) -> Option<usize> {
    (results.iter().enumerate())
        .filter_map(|(index, result)| result.valid_mse.map(|mse| (index, mse)))
        .min_by(|(_, a), (_, b)| a.total_cmp(b))
        .map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::trial::tests::scored;

    /// A trial scored on the windows `actual` with `forecast` (failed when `None`).
    fn trial(forecast: Option<Vec<Vec<f64>>>, actual: &[Vec<f64>]) -> TrialResult {
        let forecasts = forecast.map(|forecast| ValidationForecasts {
            actual: actual.to_vec(),
            forecast,
        });
        let mse = forecasts.as_ref().map(ValidationForecasts::mse);
        TrialResult {
            valid_mse: mse,
            valid_forecasts: forecasts,
            ..scored(None)
        }
    }

    /// Forty windows of two steps; `offset(w)` added to the actual values of window `w`.
    fn shifted(actual: &[Vec<f64>], offset: impl Fn(usize) -> f64) -> Vec<Vec<f64>> {
        (actual.iter().enumerate())
            .map(|(w, steps)| steps.iter().map(|a| a + offset(w)).collect())
            .collect()
    }

    #[test]
    fn a_drawn_trial_is_kept_only_where_it_beats_the_config_by_more_than_chance() {
        let actual: Vec<Vec<f64>> = (0..40).map(|w| vec![w as f64, w as f64 + 1.0]).collect();
        // the config errs by ±1, alternately
        let sign = |w: usize| if w.is_multiple_of(2) { 1.0 } else { -1.0 };
        let own = trial(Some(shifted(&actual, sign)), &actual);
        // a trial that errs by 0, 0.1 or 0.2: far better on every window
        let sharp = trial(Some(shifted(&actual, |w| 0.1 * (w % 3) as f64)), &actual);
        // a trial that errs by ±1 but by 0.9 on one window: lower MSE, by chance
        let lucky = trial(
            Some(shifted(&actual, |w| if w == 7 { -0.9 } else { sign(w) })),
            &actual,
        );
        let failed = trial(None, &actual);
        let results = [own.clone(), lucky.clone(), sharp.clone(), failed.clone()];
        let choice = choose(&results).unwrap();
        let kept_sharp = match &choice {
            Choice::Drawn {
                index: 2,
                test: Some(dm),
            } => dm.p_value < 0.05 / 3.0,
            _ => false,
        };
        assert!(kept_sharp, "{choice:?}");
        assert_eq!(choice.index(), 2);
        // the lucky trial has the lowest MSE of the rest, but not by more than chance
        let choice = choose(&[own.clone(), lucky.clone(), failed.clone()]).unwrap();
        match choice {
            Choice::ConfigKept {
                lowest, threshold, ..
            } => {
                assert_eq!(lowest, 1);
                assert_eq!(threshold, 0.025);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(choice.index(), 0);
        // trials an interruption stopped (or never started) are not among those the lowest
        // was found among: the threshold divides by the two that finished
        let stopped = TrialResult {
            interrupted: Some(crate::tune::trial::Interrupted::WhileTraining),
            ..failed.clone()
        };
        let results = [
            own.clone(),
            lucky.clone(),
            failed.clone(),
            stopped.clone(),
            stopped,
        ];
        match choose(&results).unwrap() {
            Choice::ConfigKept { threshold, .. } => assert_eq!(threshold, 0.025),
            other => panic!("{other:?}"),
        }
        // the config as given wins a tie, and stands where it scores lowest
        assert_eq!(choose(&[own.clone(), own.clone()]), Some(Choice::Config));
        assert_eq!(choose(&[sharp.clone(), own.clone()]), Some(Choice::Config));
        // with the config's own trial failed, the best drawn one is kept untested
        assert_eq!(
            choose(&[failed.clone(), lucky, sharp]),
            Some(Choice::Drawn {
                index: 2,
                test: None
            })
        );
        assert_eq!(choose(&[failed.clone(), failed]), None);
        assert_eq!(lowest_mse(&[own]), Some(0));
    }

    #[test]
    fn the_lowest_validation_mse_is_the_config_as_given_at_a_tie_and_never_a_failed_trial() {
        let results = [scored(Some(2.0)), scored(None), scored(Some(1.0))];
        assert_eq!(lowest_mse(&results), Some(2));
        let tie = [scored(Some(1.0)), scored(Some(1.0))];
        assert_eq!(lowest_mse(&tie), Some(0));
        assert_eq!(lowest_mse(&[scored(None)]), None);
    }
}
