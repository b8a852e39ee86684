//! The networks' forecast averaged with statistical ones: exponential smoothing ([`Ets`]) and
//! automatic ARIMA ([`Arima`]), fitted at each origin on the history before it, each weigh in as
//! one more member of an ensemble of families. A deterministic member that errs differently
//! from the networks lowers the noise that the networks' seeds leave in the forecast, and on
//! most real series its error (see the README's accuracy bench: not on yearly series, where
//! the networks alone do better).

use yoho_data::{PreparedData, Window};

use crate::baselines::{Baseline, Statistical, history_up_to_origin};
use crate::evaluate::{MODEL, NamedForecast, TestForecast};
use crate::parallel::per_window;

/// How the networks' forecast and the statistical ones are combined.
#[derive(Debug, Clone, PartialEq)]
pub struct Blend {
    /// The statistical forecasters, one or more.
    pub statistical: Vec<Statistical>,
    /// The weight of each of them, in (0, 1); the networks' forecast gets the rest.
    pub weight: f64,
}

impl Blend {
    /// Each of `statistical` weighted as one more family beside `families` families of
    /// networks: the mean of `families + statistical.len()` equal members.
    pub fn as_more_families(statistical: Vec<Statistical>, families: usize) -> Self {
        let weight = 1.0 / (families + statistical.len()) as f64;
        Self {
            statistical,
            weight,
        }
    }

    /// `statistical` alone weighted as one more family beside `families` families of networks.
    pub fn as_one_more_family(statistical: impl Into<Statistical>, families: usize) -> Self {
        Self::as_more_families(vec![statistical.into()], families)
    }

    /// `network` and each of `statistical`'s forecasts (the same steps), averaged with the
    /// blend's weights.
    pub fn combine(&self, network: &[f64], statistical: &[Vec<f64>]) -> Vec<f64> {
        let network_weight = 1.0 - self.weight * statistical.len() as f64;
        (network.iter().enumerate())
            .map(|(step, n)| {
                network_weight * n
                    + statistical
                        .iter()
                        .map(|s| self.weight * s[step])
                        .sum::<f64>()
            })
            .collect()
    }

    /// `network`'s forecast of the steps after `history` (the target's values up to the
    /// origin, oldest first) blended with the statistical forecasts fitted on `history`.
    pub fn forecast(&self, history: &[f64], network: &[f64]) -> Vec<f64> {
        let statistical: Vec<Vec<f64>> = (self.statistical.iter())
            .map(|member| member.forecast_history(history, network.len()))
            .collect();
        self.combine(network, &statistical)
    }

    /// `network`'s forecast of `window` of `data` blended with the statistical forecasts from
    /// the window's origin.
    pub fn forecast_window(
        &self,
        data: &PreparedData,
        window: &Window,
        network: &[f64],
    ) -> Vec<f64> {
        self.forecast(history_up_to_origin(data, window), network)
    }

    /// `test`'s model forecasts (`model`, every step of every window of `data`'s test period,
    /// as [`crate::evaluate::forecast_test`] gives them with `baselines`) blended with the
    /// statistical forecasts from each window's origin. A member that is also one of
    /// `baselines` (the same forecaster, with the only column of its name) is taken from that
    /// column rather than fitted again at every origin: the same numbers, for half the fits.
    pub fn apply_to_test(
        &self,
        test: &mut TestForecast,
        data: &PreparedData,
        baselines: &[Box<dyn Baseline>],
    ) {
        let columns: Vec<Option<&[Vec<f64>]>> = (self.statistical.iter())
            .map(|member| member_column(member, test, data, baselines))
            .collect();
        let networks = test.model_steps();
        let blended = per_window(&data.splits.test, |index, window| {
            let network = &networks[index];
            let history = history_up_to_origin(data, &window);
            let statistical: Vec<Vec<f64>> = (self.statistical.iter())
                .zip(&columns)
                .map(|(member, column)| match column.and_then(|c| c.get(index)) {
                    Some(steps) if steps.len() == network.len() => steps.clone(),
                    _ => member.forecast_history(history, network.len()),
                })
                .collect();
            self.combine(network, &statistical)
        });
        if let Some(model) = test.forecasts.iter_mut().find(|f| f.name == MODEL) {
            *model = NamedForecast::new(MODEL, blended);
        }
    }
}

/// `member`'s forecasts of every test window, when `baselines` holds that very forecaster and
/// `test` has exactly one column of its name (the one [`crate::evaluate::forecast_test`] made
/// of it); `None` otherwise.
fn member_column<'a>(
    member: &Statistical,
    test: &'a TestForecast,
    data: &PreparedData,
    baselines: &[Box<dyn Baseline>],
) -> Option<&'a [Vec<f64>]> {
    let applicable = || baselines.iter().filter(|b| b.applies_to(data));
    let same = applicable().find(|baseline| {
        (baseline.as_any()).and_then(|any| any.downcast_ref::<Statistical>()) == Some(member)
    })?;
    let name = same.name();
    let unique = applicable().filter(|b| b.name() == name).count() == 1
        && test.forecasts.iter().filter(|f| f.name == name).count() == 1;
    unique.then(|| test.steps(name)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baselines::{Arima, Ets};

    #[test]
    fn the_statistical_member_weighs_as_one_family() {
        let ets = Ets { season: None };
        let blend = Blend::as_one_more_family(ets, 3);
        assert_eq!(blend.weight, 0.25);
        assert_eq!(
            blend.combine(&[4.0, 8.0], &[vec![8.0, 0.0]]),
            vec![5.0, 6.0]
        );
        // a straight line: ETS continues it (damped), the blend is 3/4 network and 1/4 that
        let history: Vec<f64> = (0..30).map(f64::from).collect();
        let statistical = ets.forecast_history(&history, 2);
        let blended = blend.forecast(&history, &[0.0, 0.0]);
        for (b, s) in blended.iter().zip(&statistical) {
            assert!((b - s / 4.0).abs() < 1e-12);
        }
        assert!((statistical[0] - 30.0).abs() < 0.5, "{statistical:?}");
    }

    #[test]
    fn two_statistical_members_weigh_as_two_families() {
        let (ets, arima) = (Ets { season: Some(4) }, Arima { season: Some(4) });
        let blend = Blend::as_more_families(vec![ets.into(), arima.into()], 2);
        assert_eq!(blend.weight, 0.25);
        assert_eq!(
            blend.combine(&[4.0], &[vec![8.0], vec![0.0]]),
            vec![0.5 * 4.0 + 0.25 * 8.0]
        );
        let history: Vec<f64> = (0..48)
            .map(|row| 50.0 + 0.3 * f64::from(row) + [4.0, -2.0, 1.0, -3.0][row as usize % 4])
            .collect();
        let (e, a) = (
            ets.forecast_history(&history, 3),
            arima.forecast_history(&history, 3),
        );
        let blended = blend.forecast(&history, &[10.0; 3]);
        for step in 0..3 {
            let want = 5.0 + 0.25 * (e[step] + a[step]);
            assert!((blended[step] - want).abs() < 1e-12, "{blended:?}");
        }
        assert_eq!(Statistical::from(arima).season(), Some(4));
    }

    #[test]
    fn the_test_forecast_blends_each_window_with_the_forecast_from_its_origin() {
        let values: Vec<f64> = (0..40).map(|i| 10.0 + f64::from(i % 5)).collect();
        let data = crate::baselines::tests::prepared(&values, 6, 4);
        let windows = &data.splits.test;
        let network: Vec<Vec<f64>> = windows.iter().map(|_| vec![1.0]).collect();
        let mut test = TestForecast {
            dates: Vec::new(),
            actual: Vec::new(),
            previous: Vec::new(),
            forecasts: vec![NamedForecast::new(MODEL, network)],
            actual_steps: Vec::new(),
        };
        let ets = Ets { season: Some(5) };
        Blend::as_one_more_family(ets, 1).apply_to_test(&mut test, &data, &[]);
        for (window, got) in windows.iter().zip(test.model()) {
            let history = &values[..=window.last_input_row()];
            let want = 0.5 + 0.5 * ets.forecast_history(history, 1)[0];
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    /// A test forecast of 1 from the network in every window of `data`, beside a column
    /// `column` of the member's name (one value per window).
    fn test_with_column(data: &PreparedData, column: impl Fn(&Window) -> Vec<f64>) -> TestForecast {
        let windows = &data.splits.test;
        TestForecast {
            dates: Vec::new(),
            actual: Vec::new(),
            previous: Vec::new(),
            forecasts: vec![
                NamedForecast::new(MODEL, windows.iter().map(|_| vec![1.0]).collect()),
                NamedForecast::new(Ets::NAME, windows.iter().map(|w| column(&w)).collect()),
            ],
            actual_steps: Vec::new(),
        }
    }

    #[test]
    fn a_member_that_is_a_baseline_is_taken_from_its_column_and_only_then() {
        let values: Vec<f64> = (0..40).map(|i| 10.0 + f64::from(i % 5)).collect();
        let data = crate::baselines::tests::prepared(&values, 6, 4);
        let ets = Ets { season: Some(5) };
        let blend = Blend::as_one_more_family(ets, 1);
        let fitted = |test: &TestForecast| {
            for (window, got) in data.splits.test.iter().zip(test.model()) {
                let history = &values[..=window.last_input_row()];
                let want = 0.5 + 0.5 * ets.forecast_history(history, 1)[0];
                assert!((got - want).abs() < 1e-12, "{got} vs {want}");
            }
        };
        let member: Box<dyn Baseline> = Box::new(Statistical::from(ets));
        // the column of the same forecaster is blended as it stands (a marker of 100 here) …
        let mut test = test_with_column(&data, |_| vec![100.0]);
        blend.apply_to_test(&mut test, &data, std::slice::from_ref(&member));
        assert!(
            test.model().iter().all(|&v| v == 50.5),
            "{:?}",
            test.model()
        );
        // … and the real column gives what fitting at each origin gives, to the bit
        let mut reused = test_with_column(&data, |w| member.forecast_steps(&data, w));
        blend.apply_to_test(&mut reused, &data, std::slice::from_ref(&member));
        let mut refitted = test_with_column(&data, |_| vec![100.0]);
        blend.apply_to_test(&mut refitted, &data, &[]);
        assert_eq!(reused.model(), refitted.model());
        // another season, no such baseline, or two columns of its name: fitted at each origin
        let other: Box<dyn Baseline> = Box::new(Statistical::from(Ets { season: Some(4) }));
        let twice: Vec<Box<dyn Baseline>> = vec![
            Box::new(Statistical::from(ets)),
            Box::new(Statistical::from(Ets { season: Some(4) })),
        ];
        for baselines in [vec![other], Vec::new(), twice] {
            let mut test = test_with_column(&data, |_| vec![100.0]);
            blend.apply_to_test(&mut test, &data, &baselines);
            fitted(&test);
        }
    }
}
