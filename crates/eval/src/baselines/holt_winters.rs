//! Exponential smoothing whose season evolves (Holt–Winters), chosen as R's `ets` and
//! statsforecast's `AutoETS` choose it: every combination of an additive or multiplicative
//! error, no trend, a linear or a damped one, and no season, an additive or a multiplicative
//! one (Hyndman, Koehler, Ord and Snyder's state-space models) is fitted by maximum likelihood,
//! its smoothing coefficients and starting states together, and the one with the smallest AICc
//! forecasts. `augurs-ets` searches the same models but cannot fit a seasonal one, so the
//! recursion is written here; it is a few lines per model.
//!
//! [`Ets`] takes the season out once, with indices fixed over the whole history; this one lets
//! each phase's index move as the season changes. Like R's `ets`, it models seasons of 2 to 24
//! rows with at least three seasons of history; a history without one, or with a season longer
//! than that (weekly data's year), is forecast as [`Ets`] forecasts it. It is fitted afresh on
//! the values up to each origin and never sees a value after it.

use super::Ets;
use super::ets::MAX_HISTORY;
use super::optimise::{Limits, minimise};
use super::seasonality::classical_indices;

/// The longest season it models, as R's `ets` (longer ones have too many starting states).
const MAX_SEASON: usize = 24;

/// Seasons of history a seasonal model needs: its starting states come from a classical
/// decomposition of the first three.
const MIN_SEASONS: usize = 3;

/// The smoothing coefficients' bounds and the damping's (R's `ets` defaults).
const COEFFICIENT_BOUNDS: (f64, f64) = (1e-4, 0.9999);
const DAMPING_BOUNDS: (f64, f64) = (0.8, 0.98);

/// Exponential smoothing with an evolving season, chosen by AICc; see the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoltWinters {
    /// Rows per season; `None` or 1: forecast as [`Ets`] forecasts.
    pub season: Option<usize>,
}

impl HoltWinters {
    /// The name in tables, `metrics.json` and `predictions.csv`.
    pub const NAME: &'static str = "holt_winters";

    /// The forecast of the `steps` values after `history` (oldest first), fitted on its newest
    /// `MAX_HISTORY` values; [`Ets`]'s where it models no season (see the module doc) or no
    /// model fits.
    pub fn forecast_history(&self, history: &[f64], steps: usize) -> Vec<f64> {
        let history = &history[history.len().saturating_sub(MAX_HISTORY)..];
        let season = self.season.unwrap_or(1);
        let modelled = (2..=MAX_SEASON).contains(&season)
            && history.len() >= MIN_SEASONS * season
            && history.iter().all(|v| v.is_finite());
        let forecast = modelled.then(|| best_fit(history, season)).flatten();
        match forecast.map(|fit| fit.forecast(steps)) {
            Some(point) if point.iter().all(|v| v.is_finite()) => point,
            _ => Ets {
                season: self.season,
            }
            .forecast_history(history, steps),
        }
    }
}

/// How a component enters the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    None,
    Additive,
    Multiplicative,
}

/// The trend: none, linear, or linear and damped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trend {
    None,
    Linear,
    Damped,
}

/// One of the state-space models: its error, trend and season.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spec {
    error: Form,
    trend: Trend,
    season: Form,
}

impl Spec {
    /// The models searched: a multiplicative error or season only for a strictly positive
    /// history, and no additive error with a multiplicative season (its variance is unbounded,
    /// as R's `ets` restricts it).
    fn all(positive: bool) -> Vec<Self> {
        let multiplicative = |form: &Form| positive || *form != Form::Multiplicative;
        let errors = [Form::Additive, Form::Multiplicative];
        let seasons = [Form::None, Form::Additive, Form::Multiplicative];
        let trends = [Trend::None, Trend::Linear, Trend::Damped];
        let mut specs = Vec::new();
        for error in errors.iter().filter(|f| multiplicative(f)) {
            for season in seasons.iter().filter(|f| multiplicative(f)) {
                if *error == Form::Additive && *season == Form::Multiplicative {
                    continue;
                }
                specs.extend(trends.map(|trend| Self {
                    error: *error,
                    trend,
                    season: *season,
                }));
            }
        }
        specs
    }
}

/// A model's coefficients and starting states.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    spec: Spec,
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
    level: f64,
    slope: f64,
    /// One index per phase: row `r`'s is `seasonal[r % len]` (empty without a season).
    seasonal: Vec<f64>,
}

/// The states after a pass over a history, ready to forecast from it.
#[derive(Debug, Clone, PartialEq)]
struct Fitted {
    model: Model,
    level: f64,
    slope: f64,
    seasonal: Vec<f64>,
    /// The row after the history (its phase is `rows % season`).
    rows: usize,
}

impl Model {
    /// The model's parameters from the search's point (see [`Model::to_point`]), or `None`
    /// outside the usual bounds (R's `ets`: β ≤ α, γ ≤ 1 − α).
    fn from_point(spec: Spec, season: usize, point: &[f64]) -> Option<Self> {
        let mut values = point.iter().copied();
        let mut next = || values.next().unwrap_or(0.0);
        let (low, high) = COEFFICIENT_BOUNDS;
        let alpha = next();
        let beta = if spec.trend == Trend::None {
            0.0
        } else {
            next()
        };
        let gamma = if spec.season == Form::None {
            0.0
        } else {
            next()
        };
        let phi = match spec.trend {
            Trend::Damped => next(),
            _ => 1.0,
        };
        let within = |v: f64, from: f64, to: f64| (from..=to).contains(&v);
        let bounded = within(alpha, low, high)
            && (spec.trend == Trend::None || within(beta, low, alpha))
            && (spec.season == Form::None || within(gamma, low, 1.0 - alpha))
            && (spec.trend != Trend::Damped || within(phi, DAMPING_BOUNDS.0, DAMPING_BOUNDS.1));
        if !bounded {
            return None;
        }
        let level = next();
        let slope = if spec.trend == Trend::None {
            0.0
        } else {
            next()
        };
        let seasonal = match spec.season {
            Form::None => Vec::new(),
            form => {
                let mut phases: Vec<f64> = (1..season).map(|_| next()).collect();
                let sum: f64 = phases.iter().sum();
                phases.push(match form {
                    Form::Multiplicative => season as f64 - sum,
                    _ => -sum,
                });
                phases
            }
        };
        Some(Self {
            spec,
            alpha,
            beta,
            gamma,
            phi,
            level,
            slope,
            seasonal,
        })
    }

    /// The search's point: the free coefficients, then the starting states (all phases but
    /// the last, which makes them sum to 0 or average 1).
    fn to_point(&self) -> Vec<f64> {
        let mut point = vec![self.alpha];
        if self.spec.trend != Trend::None {
            point.push(self.beta);
        }
        if self.spec.season != Form::None {
            point.push(self.gamma);
        }
        if self.spec.trend == Trend::Damped {
            point.push(self.phi);
        }
        point.push(self.level);
        if self.spec.trend != Trend::None {
            point.push(self.slope);
        }
        if let Some((_, phases)) = self.seasonal.split_last() {
            point.extend_from_slice(phases);
        }
        point
    }

    /// One pass over `values`: the states after it and the likelihood's criterion (−2 log
    /// likelihood up to a constant: `n log Σe²`, plus `2 Σ log|ŷ|` for a multiplicative error),
    /// or `None` where a multiplicative model's forecast or states leave the positives. It
    /// takes the model (each of the search's evaluations makes one) so as not to copy it.
    fn run(self, values: &[f64]) -> Option<(Fitted, f64)> {
        let (mut level, mut slope, mut seasonal) = (self.level, self.slope, self.seasonal.clone());
        let (mut squares, mut logs) = (0.0, 0.0);
        let multiplicative_season = self.spec.season == Form::Multiplicative;
        let multiplicative_error = self.spec.error == Form::Multiplicative;
        for (row, &y) in values.iter().enumerate() {
            let base = level + self.phi * slope;
            let phase = (!seasonal.is_empty()).then(|| row % seasonal.len());
            let index = phase.map(|p| seasonal[p]);
            let expected = match (self.spec.season, index) {
                (Form::Additive, Some(s)) => base + s,
                (Form::Multiplicative, Some(s)) => base * s,
                _ => base,
            };
            if (multiplicative_error || multiplicative_season) && (expected <= 0.0 || base <= 0.0) {
                return None;
            }
            let error = match multiplicative_error {
                true => (y - expected) / expected,
                false => y - expected,
            };
            squares += error * error;
            if multiplicative_error {
                logs += expected.abs().ln();
            }
            let deseasonalised = match (self.spec.season, index) {
                (Form::Additive, Some(s)) => y - s,
                (Form::Multiplicative, Some(s)) => y / s,
                _ => y,
            };
            let new_level = base + self.alpha * (deseasonalised - base);
            if self.spec.trend != Trend::None {
                let damped = self.phi * slope;
                slope = damped + self.beta / self.alpha * (new_level - level - damped);
            }
            if let (Some(p), Some(s)) = (phase, index) {
                let departure = match multiplicative_season {
                    true => y / base,
                    false => y - base,
                };
                seasonal[p] = s + self.gamma * (departure - s);
            }
            level = new_level;
        }
        let rows = values.len();
        let criterion = rows as f64 * squares.ln() + 2.0 * logs;
        let fitted = Fitted {
            model: self,
            level,
            slope,
            seasonal,
            rows,
        };
        criterion.is_finite().then_some((fitted, criterion))
    }
}

impl Fitted {
    /// The point forecast of the `steps` rows after the history.
    fn forecast(&self, steps: usize) -> Vec<f64> {
        let model = &self.model;
        let mut damping = 0.0;
        (1..=steps)
            .map(|h| {
                damping += model.phi.powi(h as i32);
                let base = self.level + damping * self.slope;
                let row = self.rows + h - 1;
                match model.spec.season {
                    Form::None => base,
                    Form::Additive => base + self.seasonal[row % self.seasonal.len()],
                    Form::Multiplicative => base * self.seasonal[row % self.seasonal.len()],
                }
            })
            .collect()
    }

    /// The same states in units `scale` times larger (indices of a multiplicative season are
    /// ratios and stay).
    fn rescaled(mut self, scale: f64) -> Self {
        self.level *= scale;
        self.slope *= scale;
        if self.model.spec.season == Form::Additive {
            self.seasonal.iter_mut().for_each(|s| *s *= scale);
        }
        self
    }
}

/// The model with the smallest AICc fitted to `history` (`season` rows per season, at least
/// three seasons of it), in the history's units; `None` when none fits.
fn best_fit(history: &[f64], season: usize) -> Option<Fitted> {
    let scale = history.iter().map(|v| v.abs()).sum::<f64>() / history.len() as f64;
    if scale <= 0.0 || !scale.is_finite() {
        return None;
    }
    let scaled: Vec<f64> = history.iter().map(|v| v / scale).collect();
    let positive = scaled.iter().all(|&v| v > 0.0);
    let (fitted, _) = Spec::all(positive)
        .into_iter()
        .filter_map(|spec| fit(&scaled, season, spec))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(fitted.rescaled(scale))
}

/// `spec` fitted to `values` by maximum likelihood (Nelder and Mead's search from R's starting
/// coefficients and a decomposition's starting states), with its AICc; `None` when it cannot
/// fit or has too many parameters for the history. `values` are in units of their mean
/// absolute value ([`best_fit`]), so one first step suits every coordinate; the search is run
/// a second time from its own result, as a simplex that collapsed along one coordinate stops
/// short of the minimum.
fn fit(values: &[f64], season: usize, spec: Spec) -> Option<(Fitted, f64)> {
    let rows = values.len();
    let start = starting_model(values, season, spec)?;
    // its free coefficients and starting states, and the errors' variance
    let k = start.to_point().len() + 1;
    if rows <= k + 1 {
        return None;
    }
    let objective = |point: &[f64]| {
        Model::from_point(spec, season, point)
            .and_then(|model| model.run(values))
            .map_or(f64::INFINITY, |(_, criterion)| criterion)
    };
    let limits = Limits {
        step: 0.05,
        max_evaluations: 200 * k,
        tolerance: 1e-8,
    };
    let (point, _) = minimise(objective, &start.to_point(), limits);
    let (point, _) = minimise(objective, &point, limits);
    let (fitted, criterion) = Model::from_point(spec, season, &point)?.run(values)?;
    let k = k as f64;
    let aicc = criterion + 2.0 * k + 2.0 * k * (k + 1.0) / (rows as f64 - k - 1.0);
    aicc.is_finite().then_some((fitted, aicc))
}

/// R's starting point: α a fifth of its range over the season, β a tenth of α's, γ a
/// twentieth of 1 − α's, φ near its top; the starting level and slope a straight line through
/// the first seasonally adjusted values, the season a classical decomposition of the first
/// three seasons. `None` where a multiplicative season's indices are not all positive.
fn starting_model(values: &[f64], season: usize, spec: Spec) -> Option<Model> {
    let (low, high) = COEFFICIENT_BOUNDS;
    let periods = if spec.season == Form::None { 1 } else { season };
    let alpha = low + 0.2 * (high - low) / periods as f64;
    let seasonal = match spec.season {
        Form::None => Vec::new(),
        form => {
            let multiplicative = form == Form::Multiplicative;
            let indices =
                classical_indices(&values[..MIN_SEASONS * season], season, multiplicative);
            let usable = indices
                .iter()
                .all(|v| v.is_finite() && (!multiplicative || *v > 0.0));
            if !usable {
                return None;
            }
            indices
        }
    };
    let first: Vec<f64> = (values.iter().enumerate())
        .take((2 * periods).max(10))
        .map(|(row, &v)| match spec.season {
            Form::None => v,
            Form::Additive => v - seasonal[row % season],
            Form::Multiplicative => v / seasonal[row % season].max(1e-2),
        })
        .collect();
    let (level, slope) = match spec.trend {
        Trend::None => (first.iter().sum::<f64>() / first.len() as f64, 0.0),
        _ => straight_line(&first),
    };
    Some(Model {
        spec,
        alpha,
        beta: low + 0.1 * (alpha - low),
        gamma: low + 0.05 * (1.0 - alpha - low),
        phi: DAMPING_BOUNDS.0 + 0.99 * (DAMPING_BOUNDS.1 - DAMPING_BOUNDS.0),
        level,
        slope,
        seasonal,
    })
}

/// The intercept (at the first row) and slope of the least-squares line through `values`.
fn straight_line(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = values.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in values.iter().enumerate() {
        let dx = x as f64 - mean_x;
        sxy += dx * (y - mean_y);
        sxx += dx * dx;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (mean_y - slope * mean_x, slope)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `seasons` seasons of 4 rows on a line: additive swings of a fixed size.
    fn additive(seasons: usize) -> Vec<f64> {
        (0..4 * seasons)
            .map(|row| 50.0 + 0.5 * row as f64 + [6.0, -2.0, 3.0, -7.0][row % 4])
            .collect()
    }

    /// Ten years of months growing 1 % a month, the swing in proportion to the level.
    fn multiplicative() -> Vec<f64> {
        (0..120)
            .map(|row| {
                let phase = (row % 12) as f64 * std::f64::consts::TAU / 12.0;
                100.0 * 1.01_f64.powi(row) * (1.0 + 0.25 * phase.sin())
            })
            .collect()
    }

    #[test]
    fn a_fixed_additive_season_on_a_line_is_continued() {
        let values = additive(12);
        let forecast = HoltWinters { season: Some(4) }.forecast_history(&values[..40], 8);
        for (step, (f, truth)) in forecast.iter().zip(&values[40..]).enumerate() {
            assert!((f - truth).abs() < 0.5, "step {step}: {f} against {truth}");
        }
    }

    #[test]
    fn a_season_in_proportion_to_a_growing_level_is_continued() {
        let values = multiplicative();
        let forecast = HoltWinters { season: Some(12) }.forecast_history(&values[..102], 18);
        for (step, (f, truth)) in forecast.iter().zip(&values[102..]).enumerate() {
            let relative = (f - truth).abs() / truth;
            assert!(relative < 0.03, "step {step}: {f} against {truth}");
        }
    }

    #[test]
    fn a_season_that_changes_is_followed_where_fixed_indices_lag() {
        // the first phase's peak moves to the third half-way through
        let values: Vec<f64> = (0..80)
            .map(|row| {
                let peaks = if row < 40 {
                    [8.0, 0.0, 0.0, -8.0]
                } else {
                    [0.0, 0.0, 8.0, -8.0]
                };
                100.0 + peaks[row % 4] + ((row * 7919) % 11) as f64 / 11.0
            })
            .collect();
        let truth = [100.0, 100.0, 108.0, 92.0];
        let error = |forecast: Vec<f64>| {
            (forecast.iter().zip(truth.iter().cycle()))
                .map(|(f, t)| (f - t).abs())
                .sum::<f64>()
        };
        let evolving = error(HoltWinters { season: Some(4) }.forecast_history(&values, 8));
        let fixed = error(Ets { season: Some(4) }.forecast_history(&values, 8));
        assert!(evolving < fixed / 2.0, "{evolving} against {fixed}");
    }

    #[test]
    fn the_coefficients_stay_within_their_bounds_and_the_last_index_closes_the_season() {
        let values = multiplicative();
        for spec in Spec::all(true) {
            let Some((fitted, aicc)) = fit(&values, 12, spec) else {
                continue;
            };
            let model = &fitted.model;
            assert!(aicc.is_finite());
            assert!((1e-4..=0.9999).contains(&model.alpha), "{spec:?}");
            if spec.trend != Trend::None {
                assert!((1e-4..=model.alpha).contains(&model.beta), "{spec:?}");
            }
            if spec.season != Form::None {
                assert!(
                    (1e-4..=1.0 - model.alpha).contains(&model.gamma),
                    "{spec:?}"
                );
                let sum: f64 = model.seasonal.iter().sum();
                let closed = if spec.season == Form::Multiplicative {
                    12.0
                } else {
                    0.0
                };
                assert!((sum - closed).abs() < 1e-9, "{spec:?}: {sum}");
            }
            if spec.trend == Trend::Damped {
                assert!((0.8..=0.98).contains(&model.phi), "{spec:?}");
            }
            assert_eq!(
                Model::from_point(spec, 12, &model.to_point()).as_ref(),
                Some(model)
            );
        }
        assert!(Model::from_point(Spec::all(true)[0], 12, &[1.5, 1.0]).is_none());
    }

    #[test]
    fn multiplicative_forms_only_for_a_positive_history() {
        let signs = |specs: Vec<Spec>| {
            specs
                .iter()
                .filter(|s| s.error == Form::Multiplicative || s.season == Form::Multiplicative)
                .count()
        };
        assert_eq!(Spec::all(true).len(), 15);
        assert_eq!(signs(Spec::all(false)), 0);
        assert_eq!(Spec::all(false).len(), 6);
        // a history crossing zero is still forecast, additively
        let crossing: Vec<f64> = additive(12).iter().map(|v| v - 60.0).collect();
        let forecast = HoltWinters { season: Some(4) }.forecast_history(&crossing[..40], 8);
        for (f, truth) in forecast.iter().zip(&crossing[40..]) {
            assert!((f - truth).abs() < 0.5, "{f} against {truth}");
        }
    }

    #[test]
    fn without_a_season_it_can_model_it_forecasts_as_ets() {
        let values = additive(12);
        for (season, rows) in [(None, 40), (Some(1), 40), (Some(4), 11), (Some(52), 40)] {
            let history = &values[..rows];
            assert_eq!(
                HoltWinters { season }.forecast_history(history, 6),
                Ets { season }.forecast_history(history, 6),
                "season {season:?}, {rows} rows"
            );
        }
        let mut gap = values.clone();
        gap[5] = f64::NAN;
        let ets = Ets { season: Some(4) }.forecast_history(&gap[..40], 3);
        let holt_winters = HoltWinters { season: Some(4) }.forecast_history(&gap[..40], 3);
        assert_eq!(format!("{holt_winters:?}"), format!("{ets:?}"));
    }

    #[test]
    fn only_the_newest_values_are_fitted_and_the_same_history_gives_the_same_forecast() {
        let long: Vec<f64> = (0..MAX_HISTORY + 200)
            .map(|row| 500.0 + [3.0, -1.0, 2.0, -4.0][row % 4] + (row % 7) as f64)
            .collect();
        let member = HoltWinters { season: Some(4) };
        let newest = &long[200..];
        assert_eq!(
            member.forecast_history(&long, 4),
            member.forecast_history(newest, 4)
        );
        assert_eq!(
            member.forecast_history(newest, 4),
            member.forecast_history(newest, 4)
        );
    }
}
