//! Automatic ARIMA, the other statistician's default (Hyndman and Khandakar's `auto.arima`, as
//! statsforecast's `AutoARIMA` runs it): the history up to the origin is differenced until it
//! is stationary (once at the season when its seasonal strength exceeds 0.64; then up to twice
//! while the KPSS test rejects a stationary level at 5 %), and a stepwise search over seasonal
//! ARIMA orders keeps the fit with the smallest AICc. Each order is fitted by conditional sum
//! of squares (Nelder–Mead over coefficients kept stationary and invertible) and scored by its
//! exact Gaussian likelihood (the Kalman filter; for seasons over 12, whose state would be
//! large, by the conditional sum of squares, as `auto.arima` does). The forecast continues the
//! fit with future errors of zero, and the differences are summed back.
//!
//! Like [`super::Ets`], it is fitted afresh on every value up to each window's origin and never
//! sees a value after it. No maintained Rust crate has an AutoARIMA as accurate as
//! statsforecast's (the one tried, `anofox-forecast`, scored 0.79 against 0.71 on the bench),
//! hence this one.

use super::optimise::{Limits, minimise};
use super::seasonality::{SEASONAL_STRENGTH, seasonal_strength};

/// The newest values it fits on at most, as exponential smoothing does.
pub const MAX_HISTORY: usize = 1000;

/// The KPSS statistic's 5 % critical value for a stationary level.
const KPSS_CRITICAL_VALUE: f64 = 0.463;

/// Regular differences at most.
const MAX_DIFFERENCES: usize = 2;

/// Largest orders searched: non-seasonal AR and MA, seasonal AR and MA, and their sum.
const MAX_P: usize = 5;
const MAX_Q: usize = 5;
const MAX_SEASONAL_P: usize = 2;
const MAX_SEASONAL_Q: usize = 2;
const MAX_ORDER: usize = 5;

/// Seasons up to which orders are compared by their exact likelihood; longer ones by their
/// conditional sum of squares, as `auto.arima` does for seasons over 12. The Kalman filter's
/// state has up to `5 + 2 · season` rows: with a season of 24 (hourly data) the exact
/// likelihood would take about 0.9 s a fit of 1,000 values, against 0.05 s.
const MAX_EXACT_SEASON: usize = 12;

/// Iterations at most towards the Kalman filter's starting covariance.
const MAX_COVARIANCE_ITERATIONS: usize = 5000;

/// The steps to an AR/MA pair's neighbours in the stepwise search: each alone down and up,
/// then both together.
const NEIGHBOUR_STEPS: [(isize, isize); 8] = [
    (-1, 0),
    (1, 0),
    (0, -1),
    (0, 1),
    (-1, -1),
    (1, 1),
    (-1, 1),
    (1, -1),
];

/// Orders fitted at most in one stepwise search (statsforecast's `nmodels`).
const MAX_MODELS: usize = 94;

/// Rows below which no model is fitted (the naive forecast instead).
const MIN_ROWS: usize = 8;

/// Automatic seasonal ARIMA; see the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arima {
    /// Rows per season; `None` or 1: no seasonal terms.
    pub season: Option<usize>,
}

impl Arima {
    /// The name in tables, `metrics.json` and `predictions.csv`.
    pub const NAME: &'static str = "arima";

    /// The forecast of the `steps` values after `history` (oldest first), fitted on its newest
    /// `MAX_HISTORY` values. A history too short to fit gets the naive forecast.
    pub fn forecast_history(&self, history: &[f64], steps: usize) -> Vec<f64> {
        let history = &history[history.len().saturating_sub(MAX_HISTORY)..];
        let naive = vec![history.last().copied().unwrap_or(f64::NAN); steps];
        if history.len() < MIN_ROWS || steps == 0 || history.iter().any(|v| !v.is_finite()) {
            return naive;
        }
        // fitted in units of the largest magnitude: squares of values near 1e300 stay finite
        let scale = history.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        if scale == 0.0 {
            return naive;
        }
        let scaled: Vec<f64> = history.iter().map(|v| v / scale).collect();
        let season = self.season.unwrap_or(1);
        let differencing = Differencing::choose(&scaled, season);
        let levels = differencing.levels(&scaled);
        let stationary = levels.last().expect("the history is the first level");
        let forecast = match search(stationary, season, differencing.allows_constant()) {
            Some(fit) => fit.forecast(stationary, steps),
            None => vec![0.0; steps],
        };
        let forecast: Vec<f64> = (differencing.integrate(&levels, forecast).iter())
            .map(|v| v * scale)
            .collect();
        match forecast.iter().all(|v| v.is_finite()) {
            true => forecast,
            false => naive,
        }
    }
}

/// How often the series is differenced: `seasonal` times at lag `season`, then `regular` times
/// at lag 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Differencing {
    season: usize,
    seasonal: usize,
    regular: usize,
}

impl Differencing {
    /// The differences `values` needs to look stationary (see the module doc).
    fn choose(values: &[f64], season: usize) -> Self {
        let seasonal = usize::from(
            season > 1
                && values.len() >= 3 * season
                && seasonal_strength(values, season) > SEASONAL_STRENGTH,
        );
        let mut series = match seasonal {
            1 => difference(values, season),
            _ => values.to_vec(),
        };
        let mut regular = 0;
        while regular < MAX_DIFFERENCES && series.len() > MIN_ROWS && kpss_rejects_level(&series) {
            series = difference(&series, 1);
            regular += 1;
        }
        Self {
            season,
            seasonal,
            regular,
        }
    }

    /// Whether a constant (a mean, or a drift once differenced) may be fitted: not after two
    /// differences, where it would be a quadratic trend.
    fn allows_constant(&self) -> bool {
        self.seasonal + self.regular < 2
    }

    /// The lags of the differences, in the order they are taken.
    fn lags(&self) -> impl Iterator<Item = usize> {
        std::iter::repeat_n(self.season, self.seasonal).chain(std::iter::repeat_n(1, self.regular))
    }

    /// `values` and each of its differences in turn; the last is the stationary series.
    fn levels(&self, values: &[f64]) -> Vec<Vec<f64>> {
        let mut levels = vec![values.to_vec()];
        for lag in self.lags() {
            let next = difference(levels.last().expect("one level at least"), lag);
            levels.push(next);
        }
        levels
    }

    /// A forecast of the last level summed back, difference by difference, to the first.
    fn integrate(&self, levels: &[Vec<f64>], forecast: Vec<f64>) -> Vec<f64> {
        let lags: Vec<usize> = self.lags().collect();
        let mut forecast = forecast;
        for (level, lag) in levels.iter().zip(&lags).rev() {
            let mut extended = level.clone();
            for change in &forecast {
                let base = extended[extended.len() - lag];
                extended.push(base + change);
            }
            forecast = extended.split_off(level.len());
        }
        forecast
    }
}

/// `values[t] - values[t - lag]`, for `t` from `lag`.
fn difference(values: &[f64], lag: usize) -> Vec<f64> {
    values.windows(lag + 1).map(|w| w[lag] - w[0]).collect()
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn variance(values: &[f64]) -> f64 {
    let m = mean(values);
    values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64
}

/// Whether the KPSS test rejects a stationary level at 5 % (Bartlett-weighted long-run
/// variance with `⌊3√n / 13⌋` lags, as `forecast::ndiffs`). A constant series is stationary.
fn kpss_rejects_level(values: &[f64]) -> bool {
    let n = values.len();
    let m = mean(values);
    let centred: Vec<f64> = values.iter().map(|v| v - m).collect();
    let mut partial = 0.0;
    let mut eta = 0.0;
    for e in &centred {
        partial += e;
        eta += partial * partial;
    }
    eta /= (n * n) as f64;
    let lags = (3.0 * (n as f64).sqrt() / 13.0) as usize;
    let autocovariance = |lag: usize| {
        centred[lag..]
            .iter()
            .zip(&centred)
            .map(|(a, b)| a * b)
            .sum::<f64>()
    };
    let long_run = (autocovariance(0)
        + 2.0
            * (1..=lags.min(n - 1))
                .map(|lag| (1.0 - lag as f64 / (lags + 1) as f64) * autocovariance(lag))
                .sum::<f64>())
        / n as f64;
    long_run > 1e-12 * (1.0 + m * m) && eta / long_run > KPSS_CRITICAL_VALUE
}

/// A seasonal ARIMA's orders on the differenced series: AR `p`, MA `q`, seasonal AR `sp` and
/// MA `sq`, and whether it has a constant (mean).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Order {
    p: usize,
    q: usize,
    sp: usize,
    sq: usize,
    constant: bool,
}

impl Order {
    fn coefficients(&self) -> usize {
        self.p + self.q + self.sp + self.sq
    }

    fn parameters(&self) -> usize {
        self.coefficients() + usize::from(self.constant)
    }

    /// Whether it is inside the searched space.
    fn allowed(&self, seasonal: bool, constant_allowed: bool) -> bool {
        self.p <= MAX_P
            && self.q <= MAX_Q
            && self.sp <= MAX_SEASONAL_P
            && self.sq <= MAX_SEASONAL_Q
            && (seasonal || self.sp + self.sq == 0)
            && self.coefficients() <= MAX_ORDER
            && (constant_allowed || !self.constant)
    }

    /// The orders one step from it, in the stepwise search's order.
    fn neighbours(&self) -> Vec<Order> {
        let o = *self;
        let step = |v: usize, by: isize| v.checked_add_signed(by);
        let mut out = Vec::new();
        let mut push =
            |p: Option<usize>, q: Option<usize>, sp: Option<usize>, sq: Option<usize>| {
                if let (Some(p), Some(q), Some(sp), Some(sq)) = (p, q, sp, sq) {
                    out.push(Order { p, q, sp, sq, ..o });
                }
            };
        for (dsp, dsq) in NEIGHBOUR_STEPS {
            push(Some(o.p), Some(o.q), step(o.sp, dsp), step(o.sq, dsq));
        }
        for (dp, dq) in NEIGHBOUR_STEPS {
            push(step(o.p, dp), step(o.q, dq), Some(o.sp), Some(o.sq));
        }
        out.push(Order {
            constant: !o.constant,
            ..o
        });
        out
    }
}

/// A fitted model on the differenced series `w`: `w[t] - mean` follows
/// `Σ ar · (w[t-lag] - mean) + e[t] + Σ ma · e[t-lag]`.
#[derive(Debug, Clone)]
struct Fit {
    order: Order,
    mean: f64,
    /// (lag, coefficient) of the expanded AR and MA polynomials, zeros left out.
    ar: Vec<(usize, f64)>,
    ma: Vec<(usize, f64)>,
    aicc: f64,
}

impl Fit {
    /// The `steps` values after `w`, future errors zero.
    fn forecast(&self, w: &[f64], steps: usize) -> Vec<f64> {
        let (_, errors) = residuals(w, self);
        let n = w.len();
        let mut z: Vec<f64> = w.iter().map(|v| v - self.mean).collect();
        for t in n..n + steps {
            let ar: f64 = self.ar.iter().map(|&(lag, c)| c * z[t - lag]).sum();
            let ma: f64 = (self.ma.iter())
                .filter(|&&(lag, _)| t >= lag && t - lag < n)
                .map(|&(lag, c)| c * errors[t - lag])
                .sum();
            z.push(ar + ma);
        }
        z[n..].iter().map(|v| v + self.mean).collect()
    }
}

/// The one-step errors of `fit` on `w` and their sum of squares, conditioned on the values and
/// errors before `w` being zero (the series at its mean). Every order is so scored on all rows:
/// conditioning on each order's own first rows, as R's CSS does, scores a seasonal AR on fewer
/// rows than its rivals and lets the search prefer it for that alone.
fn residuals(w: &[f64], fit: &Fit) -> (f64, Vec<f64>) {
    let mut errors = vec![0.0; w.len()];
    let mut sum_of_squares = 0.0;
    for t in 0..w.len() {
        let ar: f64 = (fit.ar.iter())
            .filter(|&&(lag, _)| lag <= t)
            .map(|&(lag, c)| c * (w[t - lag] - fit.mean))
            .sum();
        let ma: f64 = (fit.ma.iter())
            .filter(|&&(lag, _)| lag <= t)
            .map(|&(lag, c)| c * errors[t - lag])
            .sum();
        errors[t] = w[t] - fit.mean - ar - ma;
        sum_of_squares += errors[t] * errors[t];
    }
    (sum_of_squares, errors)
}

/// AR coefficients of a stationary polynomial (`1 - Σ φ_i B^i`) from unconstrained values:
/// each mapped into (-1, 1) by `tanh` as a partial autocorrelation, then Durbin–Levinson.
fn stationary(free: &[f64]) -> Vec<f64> {
    let mut phi: Vec<f64> = Vec::with_capacity(free.len());
    for (k, u) in free.iter().enumerate() {
        let r = u.tanh();
        let previous = phi.clone();
        for j in 0..k {
            phi[j] = previous[j] - r * previous[k - 1 - j];
        }
        phi.push(r);
    }
    phi
}

/// `(1 - Σ a_i B^i)(1 - Σ s_k B^(season·k))` as (lag, coefficient) of `Σ c B^lag` on the right
/// hand side (`sign` -1 for AR polynomials, +1 for MA ones written `1 + Σ ...`).
fn expand(regular: &[f64], seasonal: &[f64], season: usize, sign: f64) -> Vec<(usize, f64)> {
    let lead = |coefficients: &[f64], lag: usize| -> Vec<(usize, f64)> {
        std::iter::once((0, 1.0))
            .chain((coefficients.iter().enumerate()).map(|(i, c)| ((i + 1) * lag, sign * c)))
            .collect()
    };
    let mut product = std::collections::BTreeMap::new();
    for (la, ca) in lead(regular, 1) {
        for &(lb, cb) in &lead(seasonal, season) {
            *product.entry(la + lb).or_insert(0.0) += ca * cb;
        }
    }
    (product.into_iter())
        .filter(|&(lag, c)| lag > 0 && c != 0.0)
        .map(|(lag, c)| (lag, sign * c))
        .collect()
}

/// Fits `order` to the stationary series `w` by conditional sum of squares; `None` when `w`
/// has too few rows for its parameters.
fn fit(w: &[f64], order: Order, season: usize) -> Option<Fit> {
    let (w_mean, w_sd) = (mean(w), variance(w).sqrt().max(1e-12));
    let build = |free: &[f64]| {
        let (ar, rest) = free.split_at(order.p);
        let (ma, rest) = rest.split_at(order.q);
        let (sar, rest) = rest.split_at(order.sp);
        let (sma, rest) = rest.split_at(order.sq);
        let negate = |v: Vec<f64>| v.into_iter().map(|c| -c).collect::<Vec<_>>();
        Fit {
            order,
            mean: rest.first().map_or(0.0, |c| w_mean + c * w_sd),
            ar: expand(&stationary(ar), &stationary(sar), season, -1.0),
            ma: expand(
                &negate(stationary(ma)),
                &negate(stationary(sma)),
                season,
                1.0,
            ),
            aicc: f64::NAN,
        }
    };
    let rows = w.len();
    let k = order.parameters() + 1;
    let longest_lag = (order.p + season * order.sp).max(order.q + season * order.sq);
    if rows <= k + 3 || longest_lag >= rows {
        return None;
    }
    let objective = |free: &[f64]| {
        let (sum_of_squares, _) = residuals(w, &build(free));
        (sum_of_squares / rows as f64).ln()
    };
    let limits = Limits {
        step: 0.1,
        max_evaluations: 200 * (order.parameters() + 1),
        tolerance: 1e-8,
    };
    let (best, log_variance) = minimise(objective, &vec![0.0; order.parameters()], limits);
    if !log_variance.is_finite() {
        return None;
    }
    let fitted = build(&best);
    let minus_twice_log_likelihood = match season <= MAX_EXACT_SEASON {
        true => exact_deviance(w, &fitted)?,
        false => rows as f64 * log_variance,
    };
    let (n, k) = (rows as f64, k as f64);
    let aicc = minus_twice_log_likelihood + 2.0 * k + 2.0 * k * (k + 1.0) / (n - k - 1.0).max(1.0);
    Some(Fit { aicc, ..fitted })
}

/// `-2 log L` (up to a constant) of `fit` on `w`: the exact Gaussian likelihood by the Kalman
/// filter, started from the state's stationary covariance, the innovations' variance
/// concentrated out. `None` where the filter breaks down.
fn exact_deviance(w: &[f64], fit: &Fit) -> Option<f64> {
    let model = StateSpace::new(fit);
    let mut covariance = model.stationary_covariance()?;
    let mut state = vec![0.0; model.rows()];
    let (mut sum_log_variance, mut sum_squares) = (0.0, 0.0);
    for value in w {
        let variance = covariance[0][0];
        if !(variance > 0.0 && variance.is_finite()) {
            return None;
        }
        let innovation = value - fit.mean - state[0];
        sum_log_variance += variance.ln();
        sum_squares += innovation * innovation / variance;
        let gain: Vec<f64> = covariance.iter().map(|row| row[0] / variance).collect();
        let first_row = covariance[0].clone();
        for (i, row) in covariance.iter_mut().enumerate() {
            state[i] += gain[i] * innovation;
            for (c, f) in row.iter_mut().zip(&first_row) {
                *c -= gain[i] * f;
            }
        }
        state = model.advance(&state);
        covariance = model.predict(&covariance);
    }
    let n = w.len() as f64;
    Some(n * (sum_squares / n).ln() + sum_log_variance)
}

/// An ARMA in Harvey's state-space form: the state's first row is the series, the transition
/// `T` has the AR coefficients in its first column and ones above the diagonal, and one shock
/// enters each row through `loading` (1 and the MA coefficients).
struct StateSpace {
    ar: Vec<f64>,
    loading: Vec<f64>,
}

impl StateSpace {
    fn new(fit: &Fit) -> Self {
        let p = fit.ar.iter().map(|&(lag, _)| lag).max().unwrap_or(0);
        let q = fit.ma.iter().map(|&(lag, _)| lag).max().unwrap_or(0);
        let rows = p.max(q + 1);
        let mut ar = vec![0.0; rows];
        for &(lag, c) in &fit.ar {
            ar[lag - 1] = c;
        }
        let mut loading = vec![0.0; rows];
        loading[0] = 1.0;
        for &(lag, c) in &fit.ma {
            loading[lag] = c;
        }
        Self { ar, loading }
    }

    fn rows(&self) -> usize {
        self.ar.len()
    }

    /// `T · state`.
    fn advance(&self, state: &[f64]) -> Vec<f64> {
        (0..self.rows())
            .map(|i| self.ar[i] * state[0] + state.get(i + 1).copied().unwrap_or(0.0))
            .collect()
    }

    /// `T · P · T' + loading · loading'`.
    fn predict(&self, covariance: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let left: Vec<Vec<f64>> = (0..self.rows())
            .map(|i| {
                let next = covariance.get(i + 1);
                (0..self.rows())
                    .map(|j| self.ar[i] * covariance[0][j] + next.map_or(0.0, |row| row[j]))
                    .collect()
            })
            .collect();
        (0..self.rows())
            .map(|i| {
                (0..self.rows())
                    .map(|j| {
                        let shifted = left[i].get(j + 1).copied().unwrap_or(0.0);
                        left[i][0] * self.ar[j] + shifted + self.loading[i] * self.loading[j]
                    })
                    .collect()
            })
            .collect()
    }

    /// The state's covariance that [`Self::predict`] leaves unchanged (the coefficients are
    /// stationary), by iterating it from the shocks' own; `None` if it diverges.
    fn stationary_covariance(&self) -> Option<Vec<Vec<f64>>> {
        let mut covariance: Vec<Vec<f64>> = (self.loading.iter())
            .map(|a| self.loading.iter().map(|b| a * b).collect())
            .collect();
        for _ in 0..MAX_COVARIANCE_ITERATIONS {
            let next = self.predict(&covariance);
            let change = (next.iter().flatten())
                .zip(covariance.iter().flatten())
                .fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()));
            covariance = next;
            if !change.is_finite() {
                return None;
            }
            if change < 1e-10 * (1.0 + covariance[0][0].abs()) {
                break;
            }
        }
        Some(covariance)
    }
}

/// The stepwise search (see the module doc): the smallest-AICc fit among the starting orders,
/// then repeatedly the first neighbour that improves on it.
fn search(w: &[f64], season: usize, constant_allowed: bool) -> Option<Fit> {
    let seasonal = season > 1;
    let start = |p, q, sp, sq| Order {
        p,
        q,
        sp: if seasonal { sp } else { 0 },
        sq: if seasonal { sq } else { 0 },
        constant: constant_allowed,
    };
    let mut tried: Vec<Order> = Vec::new();
    let mut best: Option<Fit> = None;
    let mut consider = |order: Order, best: &mut Option<Fit>| -> bool {
        if tried.len() >= MAX_MODELS
            || tried.contains(&order)
            || !order.allowed(seasonal, constant_allowed)
        {
            return false;
        }
        tried.push(order);
        match fit(w, order, season) {
            Some(candidate) if best.as_ref().is_none_or(|b| candidate.aicc < b.aicc) => {
                *best = Some(candidate);
                true
            }
            _ => false,
        }
    };
    // the last is the null model without a constant: where none is allowed, the second already is
    let starts = [
        start(2, 2, 1, 1),
        start(0, 0, 0, 0),
        start(1, 0, 1, 0),
        start(0, 1, 0, 1),
        Order {
            constant: false,
            ..start(0, 0, 0, 0)
        },
    ];
    for order in starts {
        consider(order, &mut best);
    }
    'improve: loop {
        let current = best.as_ref()?.order;
        for neighbour in current.neighbours() {
            if consider(neighbour, &mut best) {
                continue 'improve;
            }
        }
        break;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible standard normal noise (a small LCG and Box–Muller).
    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut uniform = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos())
            .collect()
    }

    #[test]
    fn differences_sum_back_exactly() {
        let values: Vec<f64> = (0..40)
            .map(|i| (i * i % 17) as f64 + 0.5 * i as f64)
            .collect();
        let differencing = Differencing {
            season: 4,
            seasonal: 1,
            regular: 2,
        };
        let levels = differencing.levels(&values);
        assert_eq!(levels.len(), 4);
        assert_eq!(levels[3].len(), 40 - 4 - 2);
        // the last level's own next values, summed back, give the series' next values
        let longer: Vec<f64> = (0..43)
            .map(|i| (i * i % 17) as f64 + 0.5 * i as f64)
            .collect();
        let future = differencing.levels(&longer)[3][levels[3].len()..].to_vec();
        let back = differencing.integrate(&levels, future);
        for (got, want) in back.iter().zip(&longer[40..]) {
            assert!((got - want).abs() < 1e-9, "{back:?}");
        }
    }

    #[test]
    fn coefficients_stay_stationary_and_polynomials_expand() {
        // any unconstrained values give an AR(2) inside the stationarity triangle
        for free in [[5.0, -5.0], [-3.0, 4.0], [0.3, 0.2]] {
            let phi = stationary(&free);
            assert!(phi[1].abs() < 1.0 && phi[0] + phi[1] < 1.0 && phi[1] - phi[0] < 1.0);
        }
        assert_eq!(stationary(&[0.0, 0.0]), vec![0.0, 0.0]);
        // (1 - 0.5B)(1 - 0.4B^4) = 1 - 0.5B - 0.4B^4 + 0.2B^5
        let ar = expand(&[0.5], &[0.4], 4, -1.0);
        let want = [(1, 0.5), (4, 0.4), (5, -0.2)];
        for ((lag, c), (want_lag, want_c)) in ar.iter().zip(want) {
            assert_eq!(*lag, want_lag);
            assert!((c - want_c).abs() < 1e-12, "{ar:?}");
        }
        // (1 + 0.5B)(1 + 0.4B^4) = 1 + 0.5B + 0.4B^4 + 0.2B^5
        let ma = expand(&[0.5], &[0.4], 4, 1.0);
        assert!((ma[2].1 - 0.2).abs() < 1e-12, "{ma:?}");
    }

    #[test]
    fn the_kalman_likelihood_is_the_exact_one() {
        // AR(1), phi 0.6: z0 has variance 1 / (1 - phi^2), each later z given the one before
        // variance 1 (in units of the shocks' variance, concentrated out)
        let z = noise(50, 17);
        let fit = Fit {
            order: Order {
                p: 1,
                q: 0,
                sp: 0,
                sq: 0,
                constant: false,
            },
            mean: 0.0,
            ar: vec![(1, 0.6)],
            ma: Vec::new(),
            aicc: f64::NAN,
        };
        let squares: f64 = z[0] * z[0] * (1.0 - 0.36)
            + z.windows(2)
                .map(|w| (w[1] - 0.6 * w[0]).powi(2))
                .sum::<f64>();
        let want = 50.0 * (squares / 50.0).ln() - (1.0 - 0.36_f64).ln();
        let got = exact_deviance(&z, &fit).unwrap();
        assert!((got - want).abs() < 1e-8, "{got} vs {want}");
        // MA(1), theta 0.5: the first value's variance is 1 + theta^2, and an invertible MA's
        // one-step variance falls towards the shocks' own
        let ma = Fit {
            ar: Vec::new(),
            ma: vec![(1, 0.5)],
            ..fit
        };
        let model = StateSpace::new(&ma);
        let start = model.stationary_covariance().unwrap();
        assert!((start[0][0] - 1.25).abs() < 1e-12, "{start:?}");
        assert!(exact_deviance(&z, &ma).is_some_and(f64::is_finite));
    }

    #[test]
    fn an_ar1_is_recovered_and_forecast_towards_its_mean() {
        // x[t] - 10 = 0.7 (x[t-1] - 10) + e
        let e = noise(600, 3);
        let mut x = vec![10.0];
        for t in 1..600 {
            x.push(10.0 + 0.7 * (x[t - 1] - 10.0) + e[t]);
        }
        let differencing = Differencing::choose(&x, 1);
        assert_eq!(differencing.regular, 0);
        let order = Order {
            p: 1,
            q: 0,
            sp: 0,
            sq: 0,
            constant: true,
        };
        let fitted = fit(&x, order, 1).unwrap();
        assert!((fitted.ar[0].1 - 0.7).abs() < 0.06, "{:?}", fitted.ar);
        assert!((fitted.mean - 10.0).abs() < 0.3, "{}", fitted.mean);
        let forecast = Arima { season: None }.forecast_history(&x, 30);
        let last = x[599] - 10.0;
        assert!((forecast[0] - 10.0 - 0.7 * last).abs() < 0.3 + 0.1 * last.abs());
        assert!((forecast[29] - 10.0).abs() < 0.5, "{forecast:?}");
    }

    #[test]
    fn a_random_walk_is_differenced_and_an_ma1_found() {
        // x[t] = x[t-1] + e[t] + 0.6 e[t-1]: one difference, then an MA(1)
        let e = noise(500, 7);
        let mut x = vec![100.0];
        for t in 1..500 {
            x.push(x[t - 1] + e[t] + 0.6 * e[t - 1]);
        }
        let differencing = Differencing::choose(&x, 1);
        assert_eq!(differencing.regular, 1);
        // given a season it has none of, it is not differenced at it
        assert!(seasonal_strength(&x, 4) < SEASONAL_STRENGTH);
        assert_eq!(
            Differencing::choose(&x, 4),
            Differencing {
                season: 4,
                ..differencing
            }
        );
        let w = difference(&x, 1);
        let best = search(&w, 1, true).unwrap();
        let ma1: f64 = best
            .ma
            .iter()
            .find(|(lag, _)| *lag == 1)
            .map_or(0.0, |m| m.1);
        let ar1: f64 = best
            .ar
            .iter()
            .find(|(lag, _)| *lag == 1)
            .map_or(0.0, |m| m.1);
        // an MA(1) of 0.6, or an equivalent short ARMA: the first impulse response is ~1.2
        assert!((ma1 + ar1 - 0.6).abs() < 0.15, "{best:?}");
    }

    #[test]
    fn a_seasonal_series_is_differenced_at_its_season_and_keeps_its_pattern() {
        let shape = [12.0, -3.0, 5.0, -14.0];
        let e = noise(120, 11);
        let values: Vec<f64> = (0..120)
            .map(|t| 200.0 + 0.8 * t as f64 + shape[t % 4] + e[t])
            .collect();
        let differencing = Differencing::choose(&values, 4);
        assert_eq!(differencing.seasonal, 1);
        let forecast = Arima { season: Some(4) }.forecast_history(&values, 8);
        for (k, f) in forecast.iter().enumerate() {
            let t = 120 + k;
            let want = 200.0 + 0.8 * t as f64 + shape[t % 4];
            assert!(
                (f - want).abs() < 4.0,
                "step {k}: {f} vs {want}: {forecast:?}"
            );
        }
        // without the season it cannot follow the pattern as closely
        let flat = Arima { season: None }.forecast_history(&values, 8);
        let error = |f: &[f64]| -> f64 {
            (f.iter().enumerate())
                .map(|(k, v)| (v - 200.0 - 0.8 * (120 + k) as f64 - shape[(120 + k) % 4]).abs())
                .sum()
        };
        assert!(error(&forecast) < error(&flat));
    }

    #[test]
    fn the_forecast_scales_with_the_series_even_near_the_largest_floats() {
        let e = noise(80, 13);
        let values: Vec<f64> = (0..80).map(|t| 10.0 + (t % 4) as f64 + e[t]).collect();
        let arima = Arima { season: Some(4) };
        let forecast = arima.forecast_history(&values, 4);
        for scale in [1e-200, 1e290] {
            let scaled: Vec<f64> = values.iter().map(|v| v * scale).collect();
            for (got, want) in arima.forecast_history(&scaled, 4).iter().zip(&forecast) {
                assert!((got / scale - want).abs() < 1e-9 * want.abs(), "{scale:e}");
            }
        }
    }

    #[test]
    fn short_constant_or_broken_histories_get_the_naive_forecast() {
        let arima = Arima { season: Some(12) };
        assert_eq!(arima.forecast_history(&[1.0, 2.0, 3.0], 2), vec![3.0, 3.0]);
        assert_eq!(arima.forecast_history(&[5.0; 40], 3), vec![5.0; 3]);
        let mut broken: Vec<f64> = (0..40).map(f64::from).collect();
        broken[7] = f64::NAN;
        assert_eq!(arima.forecast_history(&broken, 2), vec![39.0, 39.0]);
        assert!(arima.forecast_history(&[1.0; 40], 0).is_empty());
    }
}
