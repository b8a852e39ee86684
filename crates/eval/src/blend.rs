//! The networks' forecast combined with statistical ones: exponential smoothing
//! ([`Ets`](crate::Ets)) and automatic ARIMA ([`Arima`](crate::Arima)), fitted at each origin
//! on the history before it. By default each weighs in as one more member of an ensemble of
//! families (a weighted mean); with
//! [`BlendRule::Median`] the forecast is the median of the networks' and the members' at each
//! step, so that one of them going far astray is outvoted. A deterministic member that errs
//! differently from the networks lowers the noise that the networks' seeds leave in the
//! forecast, and on most real series its error (see the README's accuracy bench: not on yearly
//! series, where the networks alone do better).

use yoho_data::{PreparedData, Window};

use crate::baselines::{Baseline, Statistical, history_up_to_origin};
use crate::bounds::SeriesBounds;
use crate::evaluate::{MODEL, NamedForecast, TestForecast};
use crate::parallel::per_window;

/// How a [`Blend`] combines the networks' forecast with its statistical members' at each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlendRule {
    /// The weighted mean: each member at the blend's `weight`, the networks at the rest.
    #[default]
    Mean,
    /// The median of the networks' forecast and each member's (the mean of the middle two for
    /// an even count); the weight is unused. Where one of them errs far from the others (a
    /// network trained on one short series, a wrong ARIMA order), the others outvote it.
    Median,
}

/// How the networks' forecast and the statistical ones are combined.
#[derive(Debug, Clone, PartialEq)]
pub struct Blend {
    /// The statistical forecasters, one or more, each fitted at every origin.
    pub statistical: Vec<Statistical>,
    /// The voice each of them speaks in (`voices[i]` for `statistical[i]`; voices numbered from
    /// 0 in order, each with a member): the forecasts of one voice's members are averaged,
    /// and the rule combines the networks' forecast with the voices'. Each member is a voice
    /// of its own unless [`Blend::of_voices`] groups them.
    pub voices: Vec<usize>,
    /// The weight of each voice, in (0, 1); the networks' forecast gets the rest.
    pub weight: f64,
    /// The mean with those weights (the default), or the median.
    pub rule: BlendRule,
}

impl Blend {
    /// Each of `statistical` weighted as one more family beside `families` families of
    /// networks: the mean of `families + statistical.len()` equal members.
    pub fn as_more_families(statistical: Vec<Statistical>, families: usize) -> Self {
        Self::of_voices(statistical.into_iter().map(|member| vec![member]), families)
    }

    /// Each of `voices` (one or more forecasters whose forecasts are averaged, e.g. ARIMA on the
    /// values and on the logarithm) weighted as one more family beside `families` families of
    /// networks. An empty voice is skipped.
    pub fn of_voices(voices: impl IntoIterator<Item = Vec<Statistical>>, families: usize) -> Self {
        let (mut statistical, mut numbers) = (Vec::new(), Vec::new());
        for members in voices.into_iter().filter(|members| !members.is_empty()) {
            let number = numbers.last().map_or(0, |last| last + 1);
            numbers.extend(std::iter::repeat_n(number, members.len()));
            statistical.extend(members);
        }
        let count = numbers.last().map_or(0, |last| last + 1);
        Self {
            statistical,
            voices: numbers,
            weight: 1.0 / (families + count) as f64,
            rule: BlendRule::Mean,
        }
    }

    /// The same members combined by `rule`.
    pub fn with_rule(self, rule: BlendRule) -> Self {
        Self { rule, ..self }
    }

    /// `statistical` alone weighted as one more family beside `families` families of networks.
    pub fn as_one_more_family(statistical: impl Into<Statistical>, families: usize) -> Self {
        Self::as_more_families(vec![statistical.into()], families)
    }

    /// `network` and each of `statistical`'s forecasts (the same steps, one per member in the
    /// blend's order), combined step by step by the blend's rule: each voice's members
    /// averaged first.
    pub fn combine(&self, network: &[f64], statistical: &[Vec<f64>]) -> Vec<f64> {
        let statistical = self.voice_forecasts(statistical);
        let members = |step: usize| statistical.iter().map(move |s| s[step]);
        let steps = network.iter().enumerate();
        match self.rule {
            BlendRule::Mean => {
                let network_weight = 1.0 - self.weight * statistical.len() as f64;
                steps
                    .map(|(step, n)| {
                        network_weight * n + members(step).map(|v| self.weight * v).sum::<f64>()
                    })
                    .collect()
            }
            BlendRule::Median => steps
                .map(|(step, &n)| median(std::iter::once(n).chain(members(step))))
                .collect(),
        }
    }

    /// Each voice's forecast at each step: the mean of its members' (`statistical`, one per
    /// member in the blend's order; a voice of one member is that member's forecast).
    pub(crate) fn voice_forecasts(&self, statistical: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let count = self.voices.iter().max().map_or(0, |last| last + 1);
        (0..count)
            .map(|voice| {
                let members: Vec<&Vec<f64>> = (statistical.iter().zip(&self.voices))
                    .filter_map(|(forecast, number)| (*number == voice).then_some(forecast))
                    .collect();
                let steps = members.first().map_or(0, |first| first.len());
                let mean = |step: usize| {
                    members.iter().map(|m| m[step]).sum::<f64>() / members.len() as f64
                };
                (0..steps).map(mean).collect()
            })
            .collect()
    }

    /// `network`'s forecast of the steps after `history` (the target's values up to the
    /// origin, oldest first) blended with the statistical forecasts fitted on `history`.
    pub fn forecast(&self, history: &[f64], network: &[f64]) -> Vec<f64> {
        self.combine(network, &self.member_forecasts(history, network.len()))
    }

    /// Each statistical member's forecast of the `steps` values after `history` (the target's
    /// values up to the origin, oldest first), in the blend's order: what [`Blend::combine`]
    /// takes.
    pub fn member_forecasts(&self, history: &[f64], steps: usize) -> Vec<Vec<f64>> {
        (self.statistical.iter())
            .map(|member| member.forecast_history(history, steps))
            .collect()
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
    /// statistical forecasts from each window's origin, within the [`Bounds`](crate::Bounds)
    /// of `data` there. A member that is also one of `baselines` (the same forecaster, with the
    /// only column of its name) is taken from that column rather than fitted again at every
    /// origin: the same numbers, for half the fits.
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
        let bounds = SeriesBounds::of_data(data);
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
            let mut blended = self.combine(network, &statistical);
            bounds.at(&window).apply_all(&mut blended);
            blended
        });
        if let Some(model) = test.forecasts.iter_mut().find(|f| f.name == MODEL) {
            *model = NamedForecast::new(MODEL, blended);
        }
    }
}

/// The median of `values` (at least one): the middle value, or the mean of the middle two for
/// an even count (ordered by `f64::total_cmp`, so a NaN among them cannot panic).
pub(crate) fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut sorted: Vec<f64> = values.collect();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() % 2 {
        1 => sorted[middle],
        _ => (sorted[middle - 1] + sorted[middle]) / 2.0,
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

    /// Twelve years of a trending quarterly series, and `ets`'s and `arima`'s forecasts of the
    /// three quarters after it.
    fn quarterly_members(ets: Ets, arima: Arima) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let history: Vec<f64> = (0..48)
            .map(|row| 50.0 + 0.3 * f64::from(row) + [4.0, -2.0, 1.0, -3.0][row as usize % 4])
            .collect();
        let (e, a) = (
            ets.forecast_history(&history, 3),
            arima.forecast_history(&history, 3),
        );
        (history, e, a)
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
        let (history, e, a) = quarterly_members(ets, arima);
        let blended = blend.forecast(&history, &[10.0; 3]);
        for step in 0..3 {
            let want = 5.0 + 0.25 * (e[step] + a[step]);
            assert!((blended[step] - want).abs() < 1e-12, "{blended:?}");
        }
        assert_eq!(Statistical::from(arima).season(), Some(4));
    }

    #[test]
    fn the_median_rule_outvotes_the_member_farthest_from_the_others() {
        let (ets, arima) = (Ets { season: Some(4) }, Arima { season: Some(4) });
        let blend =
            Blend::as_more_families(vec![ets.into(), arima.into()], 3).with_rule(BlendRule::Median);
        // step 1: the networks far above, ARIMA's the middle; step 2: ETS's; step 3: the
        // networks'; the weights (a fifth each) do not enter
        assert_eq!(
            blend.combine(
                &[10.0, 1.0, 5.0],
                &[vec![2.0, 5.0, 4.0], vec![3.0, 9.0, 6.0]]
            ),
            vec![3.0, 5.0, 5.0]
        );
        // two forecasts: the mean of both, whatever the family count
        let one = Blend::as_more_families(vec![ets.into()], 3).with_rule(BlendRule::Median);
        assert_eq!(one.combine(&[4.0, -1.0], &[vec![8.0, 1.0]]), vec![6.0, 0.0]);
        // through the fits: the median of the networks' forecast and the two members'
        let (history, e, a) = quarterly_members(ets, arima);
        for network in [[0.0; 3], [1e6; 3]] {
            let blended = blend.forecast(&history, &network);
            for step in 0..3 {
                let want = e[step]
                    .max(a[step])
                    .min(network[step].max(e[step].min(a[step])));
                assert_eq!(blended[step], want, "{blended:?}");
            }
        }
        // a NaN among them gives a number or NaN, never a panic
        let with_nan = blend.combine(&[f64::NAN], &[vec![1.0], vec![2.0]]);
        assert_eq!(with_nan.len(), 1);
    }

    #[test]
    fn a_voice_of_several_members_speaks_with_their_mean() {
        let (ets, arima) = (Ets { season: Some(4) }, Arima { season: Some(4) });
        let log_arima = crate::baselines::LogArima { season: Some(4) };
        let voices = || vec![vec![ets.into()], vec![arima.into(), log_arima.into()]];
        let blend = Blend::of_voices(voices(), 2);
        assert_eq!(blend.statistical.len(), 3);
        assert_eq!(blend.voices, [0, 1, 1]);
        // two voices beside two families: a quarter each, ARIMA's the mean of its two fits
        assert_eq!(blend.weight, 0.25);
        assert_eq!(
            blend.combine(&[4.0], &[vec![8.0], vec![0.0], vec![2.0]]),
            vec![0.5 * 4.0 + 0.25 * 8.0 + 0.25 * 1.0]
        );
        // the median of the networks', ETS's and the pair's mean: 10 and 4 outvote 1 and 3's 2
        let median = Blend::of_voices(voices(), 3).with_rule(BlendRule::Median);
        assert_eq!(
            median.combine(
                &[10.0, 0.0],
                &[vec![4.0, 4.0], vec![1.0, 1.0], vec![3.0, 9.0]]
            ),
            vec![4.0, 4.0]
        );
        // through the fits
        let (history, e, a) = quarterly_members(ets, arima);
        let l = log_arima.forecast_history(&history, 3);
        let blended = median.forecast(&history, &[1e6; 3]);
        for step in 0..3 {
            let pair = (a[step] + l[step]) / 2.0;
            assert_eq!(blended[step], e[step].max(pair), "{blended:?}");
        }
        // one member a voice: exactly the blend of single members; an empty voice is skipped
        let single = Blend::of_voices([vec![ets.into()], vec![], vec![arima.into()]], 3);
        assert_eq!(
            single,
            Blend::as_more_families(vec![ets.into(), arima.into()], 3)
        );
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
