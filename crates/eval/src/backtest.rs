//! Rolling-origin backtesting: the last `folds × step` targets of a series, forecast fold by
//! fold, each fold's model trained only on what came before its origin.
//!
//! Each fold is an ordinary prepared experiment on the series cut at the fold's last target (and,
//! for a sliding window, at the front): its newest `step` targets are its test set, the
//! `valid_len` before them its validation set, and everything older its training set; the scaler
//! is fitted on its training rows. How a model is trained is the caller's: a [`Fit`].

use std::ops::Range;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use burn::tensor::Device;
use yoho_data::window::SplitSpec;
use yoho_data::{DataConfig, DataError, LoadedSeries, PreparedData, Timestamp, WindowCodec};
use yoho_model::Forecaster;

use crate::baselines::{Baseline, training_targets};
use crate::blend::Blend;
use crate::evaluate::{EvaluationTable, TestForecast, forecast_test};
use crate::inference::InferenceError;
use crate::intervals::{
    Calibration, CalibrationErrors, EarlierFolds, PooledIntervals, TestIntervals,
    calibrated_intervals, calibrates_every_level, conformal_test_intervals_from, test_intervals,
    with_crps_level,
};
use crate::rolling::{voice_origins, voices_rolling_errors};

/// When a backtest trains a new model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refit {
    /// A new model for every fold, on everything before its origin (folds are independent).
    Every,
    /// One model, trained on the first fold's history, forecasts every fold.
    Never,
    /// A new model every `n` folds; the folds between use the last one trained.
    EveryN(usize),
}

impl std::str::FromStr for Refit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "every" => Ok(Self::Every),
            "never" => Ok(Self::Never),
            number => match number.parse::<usize>() {
                Ok(0) | Err(_) => Err(format!(
                    "expected every, never or a number of folds ≥ 1, got '{text}'"
                )),
                Ok(1) => Ok(Self::Every),
                Ok(n) => Ok(Self::EveryN(n)),
            },
        }
    }
}

impl std::fmt::Display for Refit {
    /// `every`, `never` or `every N folds`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Every => write!(f, "every"),
            Self::Never => write!(f, "never"),
            Self::EveryN(folds) => write!(f, "every {folds} folds"),
        }
    }
}

/// How much history a fold trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistoryWindow {
    /// Everything before the origin: later folds train on more.
    #[default]
    Expanding,
    /// As many rows as the first fold has: the oldest rows drop out as the origin moves.
    Sliding,
}

impl std::str::FromStr for HistoryWindow {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "expanding" => Ok(Self::Expanding),
            "sliding" => Ok(Self::Sliding),
            _ => Err(format!("expected expanding or sliding, got '{text}'")),
        }
    }
}

impl std::fmt::Display for HistoryWindow {
    /// `expanding` or `sliding`, as `--window` spells it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Expanding => write!(f, "expanding"),
            Self::Sliding => write!(f, "sliding"),
        }
    }
}

/// What a backtest does.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestSpec {
    /// Forecast origins.
    pub folds: usize,
    /// Targets forecast from each origin (windows, one per target day).
    pub step: usize,
    /// When to train a new model.
    pub refit: Refit,
    /// How much history each fold trains on.
    pub window: HistoryWindow,
    /// Folds trained at the same time (1 = one after the other).
    pub jobs: usize,
    /// Central prediction intervals for every fold's forecasts, as levels in (0, 1) (see
    /// [`crate::intervals`]); empty for none.
    pub intervals: Vec<f64>,
    /// The seasonal period MASE is scaled by (the naive forecast's, period 1, without one).
    pub season: Option<usize>,
    /// The model's forecasts blended with a statistical forecaster's from each origin
    /// (`None`: the model's alone).
    pub blend: Option<Blend>,
}

/// Why a backtest cannot run.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError<E: std::error::Error + 'static> {
    /// The settings do not fit the series.
    #[error("backtest: {0}")]
    Plan(String),
    /// A fold's data could not be prepared.
    #[error("fold {}: {source}", .fold + 1)]
    Data {
        /// The fold, 0-based (the message counts from 1, as the report does).
        fold: usize,
        /// What went wrong.
        source: DataError,
    },
    /// Training a fold's model failed.
    #[error("fold {}: {source}", .fold + 1)]
    Fit {
        /// The fold, 0-based (the message counts from 1, as the report does).
        fold: usize,
        /// What went wrong.
        source: E,
    },
    /// A fold's forecasts could not be made.
    #[error("fold {}: {source}", .fold + 1)]
    Inference {
        /// The fold, 0-based (the message counts from 1, as the report does).
        fold: usize,
        /// What went wrong.
        source: InferenceError,
    },
}

/// A plan in words: "10 folds × 20 targets", "1 fold × 1 target".
pub fn plan_words(folds: usize, step: usize) -> String {
    let count = |count: usize, noun: &str| match count {
        1 => format!("1 {noun}"),
        _ => format!("{count} {noun}s"),
    };
    format!("{} × {}", count(folds, "fold"), count(step, "target"))
}

/// One fold of a plan: the rows of the series it sees and the model it forecasts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    /// 0-based, oldest origin first.
    pub index: usize,
    /// The rows of the full series this fold's experiment sees; its last `step` windows' targets
    /// are the fold's test days.
    pub rows: Range<usize>,
    /// The first target row of the fold (in the full series): nothing at or after it is trained
    /// on.
    pub origin_row: usize,
    /// The fold whose model forecasts this one (itself when it trains one).
    pub model_fold: usize,
}

impl Fold {
    /// Whether this fold trains a model.
    pub fn trains(&self) -> bool {
        self.model_fold == self.index
    }
}

/// Lays out the folds of `spec` over a series of `rows` rows cut into windows as `data` says.
/// An error says why, and a plan of fewer folds or targets that the series holds where there is
/// one.
pub fn plan(rows: usize, data: &DataConfig, spec: &BacktestSpec) -> Result<Vec<Fold>, String> {
    lay_out(rows, data, spec).map_err(|error| error + &fitting_plan(rows, data, spec))
}

/// [`plan`] without the hint.
fn lay_out(rows: usize, data: &DataConfig, spec: &BacktestSpec) -> Result<Vec<Fold>, String> {
    if spec.folds == 0 || spec.step == 0 {
        return Err("--folds and --step must be at least 1".into());
    }
    let windows = yoho_data::window::windows(rows, data.window_spec());
    let held_out = spec
        .folds
        .checked_mul(spec.step)
        .ok_or("--folds × --step is too large")?;
    // every fold needs its validation windows and at least one training window before it
    let needed = held_out.saturating_add(data.valid_len).saturating_add(1);
    if windows.len() < needed {
        return Err(format!(
            "{}, {} validation windows and one training window need {} windows; the series \
             has {}",
            plan_words(spec.folds, spec.step),
            data.valid_len,
            needed,
            windows.len(),
        ));
    }
    let first_test = windows.len() - held_out;
    let window_at = |index: usize| windows.get(index).expect("the plan's windows exist");
    let fold_end =
        |fold: usize| window_at(first_test + (fold + 1) * spec.step - 1).last_target_row() + 1;
    let first_len = fold_end(0);
    let folds: Vec<Fold> = (0..spec.folds)
        .map(|index| {
            let end = fold_end(index);
            let start = match spec.window {
                HistoryWindow::Expanding => 0,
                HistoryWindow::Sliding => end - first_len,
            };
            Fold {
                index,
                rows: start..end,
                origin_row: window_at(first_test + index * spec.step).first_target_row(),
                model_fold: match spec.refit {
                    Refit::Every => index,
                    Refit::Never => 0,
                    Refit::EveryN(n) => index - index % n,
                },
            }
        })
        .collect();
    check_oldest_fold(&folds[0], data, spec)?;
    Ok(folds)
}

/// A plan a series of `rows` rows (cut into windows as `data` says) can hold, as a hint after
/// `spec` failed: as many of its folds as fit, each of as many targets as fit; empty when none
/// does. The windows bound the targets, and the oldest fold's purged periods may need more rows.
fn fitting_plan(rows: usize, data: &DataConfig, spec: &BacktestSpec) -> String {
    match plan_that_fits(rows, data, spec) {
        Some((folds, step)) => format!("; --folds {folds} --step {step} fits"),
        None => String::new(),
    }
}

/// The plan a series of `rows` rows holds that is nearest `spec`'s, as `(folds, step)`:
/// `spec`'s own when it fits, else as many folds as fit (at most `spec`'s), then as many
/// targets each (at most `spec`'s step); `None` when it cannot hold one fold of one target.
pub fn plan_that_fits(
    rows: usize,
    data: &DataConfig,
    spec: &BacktestSpec,
) -> Option<(usize, usize)> {
    plan_that_fits_panel([rows], data, spec)
}

/// The plan nearest `spec`'s that a panel of series of `rows` rows each holds, as
/// `(folds, step)`: of the plans whose every fold the longest series holds (at most `spec`'s
/// folds and targets), the one that gives the most test periods (a series in a fold: a
/// shorter series joins the newer folds it holds, see [`series_folds`]), and of those the
/// first in the order of [`plan_that_fits`] (more folds, then more targets each). So a panel
/// whose shortest series can spare its rows keeps every series in every fold, and one whose
/// shortest series cannot (the recipe sizes a panel's windows to leave it one training
/// window) is not held to that series' plan. A series too short for one fold of one target
/// counts for nothing; `None` when every series is. For one series, [`plan_that_fits`].
pub fn plan_that_fits_panel(
    rows: impl IntoIterator<Item = usize>,
    data: &DataConfig,
    spec: &BacktestSpec,
) -> Option<(usize, usize)> {
    let with = |folds: usize, step: usize| BacktestSpec {
        folds,
        step,
        blend: None,
        ..spec.clone()
    };
    let holds = |rows: usize, folds: usize, step: usize| lay_out(rows, data, &with(folds, step));
    // each length once, with how many series have it
    let mut lengths = std::collections::BTreeMap::<usize, usize>::new();
    for rows in rows.into_iter().filter(|rows| holds(*rows, 1, 1).is_ok()) {
        *lengths.entry(rows).or_default() += 1;
    }
    let longest = *lengths.keys().next_back()?;
    let windows = yoho_data::window::windows(longest, data.window_spec()).len();
    let targets = windows.saturating_sub(data.valid_len + 1);
    let candidates = (1..=spec.folds.min(targets)).rev().flat_map(|folds| {
        (1..=(targets / folds).min(spec.step))
            .rev()
            .map(move |step| (folds, step))
    });
    // the newest folds a series holds: as many as a plan of that many folds fits (fewer fit
    // wherever more do)
    let folds_held = |rows: usize, folds: usize, step: usize| {
        let (mut fits, mut not) = (0, folds + 1);
        while not - fits > 1 {
            let middle = (fits + not) / 2;
            match holds(rows, middle, step).is_ok() {
                true => fits = middle,
                false => not = middle,
            }
        }
        fits
    };
    let test_periods = |folds: usize, step: usize| -> usize {
        (lengths.iter())
            .map(|(rows, series)| series * folds_held(*rows, folds, step))
            .sum()
    };
    let series: usize = lengths.values().sum();
    let mut best: Option<((usize, usize), usize)> = None;
    // a bounded search: each try lays out the windows again
    for (folds, step) in candidates.take(400) {
        // the candidates come with fewer folds and no more test periods than every series in
        // every fold: once one has that many, none after it has more (one series: the first
        // plan it holds)
        if best.is_some_and(|(_, most)| most >= folds * series) {
            break;
        }
        if holds(longest, folds, step).is_err() {
            continue;
        }
        let periods = test_periods(folds, step);
        if best.is_none_or(|(_, most)| periods > most) {
            best = Some(((folds, step), periods));
        }
    }
    best.map(|(plan, _)| plan)
}

/// The folds of `spec` that a panel's series of `rows` rows holds, indexed as in the whole
/// plan: every fold where it holds them all ([`plan`]), else the newest ones it holds, since
/// a panel's folds each cut every series as far before its own end and a series too short for
/// the older folds can still join the newer ones (in a sliding history, with as many rows as
/// the first fold it joins). The error, for a series that holds not even the newest fold, is
/// [`plan`]'s for that fold alone.
pub fn series_folds(
    rows: usize,
    data: &DataConfig,
    spec: &BacktestSpec,
) -> Result<Vec<Fold>, String> {
    let newer = |skipped: usize| {
        let newer = BacktestSpec {
            folds: spec.folds - skipped,
            ..spec.clone()
        };
        let folds = lay_out(rows, data, &newer).ok()?;
        let shifted = |fold: Fold| Fold {
            index: fold.index + skipped,
            model_fold: fold.model_fold + skipped,
            ..fold
        };
        Some(folds.into_iter().map(shifted).collect())
    };
    let newest = BacktestSpec {
        folds: 1,
        ..spec.clone()
    };
    // every fold first (none skipped), then ever fewer of the newest; the hint of a plan that
    // fits is worked out only for the error
    (0..spec.folds)
        .find_map(newer)
        .ok_or_else(|| plan(rows, data, &newest).err().unwrap_or_default())
}

/// Whether the oldest fold (the one with the fewest rows) holds its periods: besides the
/// windows, the split purges the rows between them (no window's targets cross into the next
/// period), which [`yoho_data::window::rows_needed`] counts.
fn check_oldest_fold(oldest: &Fold, data: &DataConfig, spec: &BacktestSpec) -> Result<(), String> {
    let held_out = SplitSpec {
        test_len: oldest.rows.end - oldest.origin_row,
        valid_len: data.valid_len,
    };
    if let Some(why) = yoho_data::window::periods_without_windows(data.window_spec(), held_out) {
        return Err(format!("every fold's periods: {why}"));
    }
    let needed = yoho_data::window::rows_needed(data.window_spec(), held_out);
    match oldest.rows.len() < needed {
        true => Err(format!(
            "{} leave the {} {} rows, and window_len = {}, horizon = {}, its test period of {} \
             rows and valid_len = {} need at least {needed}",
            plan_words(spec.folds, spec.step),
            if spec.folds == 1 {
                "fold"
            } else {
                "oldest fold"
            },
            oldest.rows.len(),
            data.window_len,
            data.horizon,
            held_out.test_len,
            data.valid_len
        )),
        false => Ok(()),
    }
}

/// Trains a model for one fold's data. Implemented by the trainer with its learner; anything
/// that turns a [`PreparedData`] into a [`Forecaster`] will do.
pub trait Fit: Sync {
    /// Why training can fail.
    type Error: std::error::Error + Send + 'static;

    /// A model trained on `data`'s training windows (and validated on its validation windows),
    /// for `fold`. Must not look at `data`'s test windows.
    fn fit(&self, data: &PreparedData, fold: &Fold) -> Result<Forecaster, Self::Error>;
}

/// A fold's outcome.
#[derive(Debug, Clone)]
pub struct FoldResult {
    /// The fold.
    pub fold: Fold,
    /// The date of its first target.
    pub origin_date: Timestamp,
    /// Its test days' forecasts, the model's and the baselines'.
    pub forecast: TestForecast,
    /// Its measures.
    pub table: EvaluationTable,
    /// Its prediction intervals, when the spec asks for them.
    pub intervals: Option<TestIntervals>,
    /// Time spent training its model (zero when it reuses another fold's).
    pub training_time: Duration,
}

/// A whole backtest.
#[derive(Debug, Clone)]
pub struct Backtest {
    /// Every fold, oldest origin first.
    pub folds: Vec<FoldResult>,
    /// Every fold's forecasts, one after the other.
    pub pooled: TestForecast,
    /// The measures over the pooled forecasts (MASE scaled by the first fold's training targets).
    pub table: EvaluationTable,
    /// The folds' prediction intervals pooled, when the spec asks for them.
    pub intervals: Option<PooledIntervals>,
    /// Wall time of the whole backtest.
    pub wall_time: Duration,
}

impl FoldResult {
    /// The result of `fold`: its test forecasts, their measures and intervals, and the time
    /// its model took to train; the origin's date is the forecasts' first.
    pub(crate) fn of(
        fold: Fold,
        (forecast, table, intervals): (TestForecast, EvaluationTable, Option<TestIntervals>),
        training_time: Duration,
    ) -> Self {
        Self {
            origin_date: forecast.dates[0],
            fold,
            forecast,
            table,
            intervals,
            training_time,
        }
    }
}

/// What the progress callback is told after each trained fold.
#[derive(Debug, Clone, Copy)]
pub struct FoldProgress {
    /// The fold just trained.
    pub fold: usize,
    /// Folds trained so far.
    pub done: usize,
    /// Folds that train in all.
    pub total: usize,
    /// Its training time.
    pub took: Duration,
    /// Time since the backtest started.
    pub elapsed: Duration,
}

impl FoldProgress {
    /// The time the remaining folds will take at the pace so far.
    pub fn remaining(&self) -> Duration {
        self.elapsed
            .mul_f64((self.total - self.done) as f64 / self.done.max(1) as f64)
    }
}

/// Runs the backtest `spec` over `loaded` (a series loaded with the baselines' extra columns),
/// cut into experiments as `config` says, training with `fit` and comparing with `baselines`.
pub fn run<F: Fit>(
    loaded: &LoadedSeries,
    config: &DataConfig,
    spec: &BacktestSpec,
    baselines: &[Box<dyn Baseline>],
    fit: &F,
    device: &Device,
    progress: &(dyn Fn(FoldProgress) + Sync),
) -> Result<Backtest, BacktestError<F::Error>> {
    let started = Instant::now();
    let folds = plan(loaded.series.len(), config, spec).map_err(BacktestError::Plan)?;
    let prepared: Vec<PreparedData> = folds
        .iter()
        .map(|fold| prepare_fold(loaded, config, fold))
        .collect::<Result<_, _>>()?;
    let models = train_folds(&folds, &prepared, spec.jobs, fit, started, progress)?;
    let first_training_targets = training_targets(&prepared[0]).to_vec();
    let mut results = Vec::with_capacity(folds.len());
    // `Some` once the first fold's validation windows prove too few to calibrate any level
    let mut earlier: Option<EarlierFolds> = None;
    for (fold, data) in folds.into_iter().zip(prepared) {
        let (model, codec, training_time) = models
            .iter()
            .find(|(index, ..)| *index == fold.model_fold)
            .map(|(_, model, codec, time)| (model, codec, *time))
            .expect("every fold's model fold trains");
        // a reused model reads its inputs as its own fold's scaler says
        let data = PreparedData {
            codec: codec.clone(),
            ..data
        };
        let mut forecast = forecast_test(model, &data, baselines, device).map_err(|source| {
            BacktestError::Inference {
                fold: fold.index,
                source,
            }
        })?;
        if let Some(blend) = &spec.blend {
            blend.apply_to_test(&mut forecast, &data, baselines);
        }
        let table = EvaluationTable::new(&forecast, &data, spec.season);
        let first = results.is_empty();
        let calibration = (&mut earlier, first);
        let intervals = fold_intervals(model, &data, &forecast, spec, calibration, device)
            .map_err(|source| BacktestError::Inference {
                fold: fold.index,
                source,
            })?;
        let training_time = match fold.trains() {
            true => training_time,
            false => Duration::ZERO,
        };
        results.push(FoldResult::of(
            fold,
            (forecast, table, intervals),
            training_time,
        ));
    }
    Ok(pooled(
        results,
        &first_training_targets,
        spec.season,
        started,
    ))
}

/// The intervals of one fold's `forecast` (of `data`, by `model`), if the spec asks for them:
/// calibrated on the fold's own validation windows, unless the first fold's (`first`) calibrate
/// no level; from then on `earlier` collects every fold's test errors, and each later fold is
/// calibrated as [`fallback_intervals`] says.
fn fold_intervals(
    model: &Forecaster,
    data: &PreparedData,
    forecast: &TestForecast,
    spec: &BacktestSpec,
    (earlier, first): (&mut Option<EarlierFolds>, bool),
    device: &Device,
) -> Result<Option<TestIntervals>, InferenceError> {
    let levels = &spec.intervals;
    let intervals = match (levels.is_empty(), &*earlier) {
        (true, _) => None,
        (false, Some(before)) => fallback_intervals(data, forecast, spec, Some(before)),
        (false, None) => {
            let blend = spec.blend.as_ref();
            let own = test_intervals(model, data, forecast, levels, blend, device)?;
            match first && too_few_to_calibrate(&own) {
                true => {
                    *earlier = Some(EarlierFolds::default());
                    fallback_intervals(data, forecast, spec, None)
                }
                false => Some(own),
            }
        }
    };
    if let Some(earlier) = earlier {
        earlier.add(data, forecast);
    }
    Ok(intervals)
}

/// A model's calibration errors at each step ahead and the naive forecast's at one step
/// (forecast − actual), and where they come from.
type FallbackErrors = (Calibration, (Vec<Vec<f64>>, Vec<f64>));

/// The intervals of a fold's `forecast` (of `data`) whose own validation windows are too few:
/// calibrated on the test errors of the folds before it (`earlier`, of values before its
/// origin) where those calibrate every level at every step (and the CRPS); else on the errors
/// of `spec`'s statistical voices alone at origins rolling over the values before the fold's
/// test period ([`voices_rolling_errors`], as a run's are when its validation windows are too
/// few) where those do; else, on a short history, on whichever of the two calibrates more
/// intervals (a level, or the CRPS's widest, at a step ahead; the folds before it on a tie),
/// the levels and steps its errors are too few for left out. `None` where neither calibrates
/// any.
fn fallback_intervals(
    data: &PreparedData,
    forecast: &TestForecast,
    spec: &BacktestSpec,
    earlier: Option<&EarlierFolds>,
) -> Option<TestIntervals> {
    let levels = &spec.intervals;
    let calibrates_all =
        |(_, (by_step, naive)): &FallbackErrors| calibrates_every_level(by_step, naive, levels);
    let earlier: Option<FallbackErrors> =
        earlier.map(|before| (Calibration::EarlierFolds, before.before_origin_of(forecast)));
    let chosen = match earlier {
        Some(earlier) if calibrates_all(&earlier) => earlier,
        earlier => {
            let voices = voices_errors(data, spec)
                .map(|errors| (Calibration::VoicesAtRollingOrigins, errors));
            let wanted = with_crps_level(levels);
            let count = |errors: &Option<FallbackErrors>| {
                (errors.as_ref()).map_or(0, |(_, (by_step, _))| {
                    calibrated_intervals(by_step, &wanted)
                })
            };
            let (from_earlier, from_voices) = (count(&earlier), count(&voices));
            match voices {
                Some(voices) if calibrates_all(&voices) => voices,
                _ if from_earlier.max(from_voices) == 0 => return None,
                _ if from_earlier >= from_voices => earlier?,
                voices => voices?,
            }
        }
    };
    let (calibration, (by_step, naive)) = chosen;
    let errors = CalibrationErrors {
        calibration,
        by_step: &by_step,
    };
    Some(conformal_test_intervals_from(
        data,
        forecast,
        levels,
        (errors, &naive),
    ))
}

/// The errors (forecast − actual) of `spec`'s statistical voices alone at origins rolling over
/// the values before the test period of `data`, the model's stand-in at each step ahead and the
/// naive forecast's at one step ([`voices_rolling_errors`]); `None` without voices.
fn voices_errors(data: &PreparedData, spec: &BacktestSpec) -> Option<(Vec<Vec<f64>>, Vec<f64>)> {
    let blend = spec.blend.as_ref()?;
    let most_origins = voice_origins(&with_crps_level(&spec.intervals), data.window.horizon);
    Some(voices_rolling_errors(blend, data, most_origins))
}

/// Whether a fold's own `intervals` calibrate none of their levels for want of validation
/// errors (one validation window, as the recipe holds out), so that the backtest calibrates
/// each later fold on the folds before it instead.
fn too_few_to_calibrate(intervals: &TestIntervals) -> bool {
    let model = &intervals.model;
    let calibrated = |level: &f64| {
        let key = crate::intervals::percent(*level);
        model.metrics.levels.contains_key(&key)
    };
    let none = !intervals.levels.iter().any(calibrated);
    none && model.conformal.is_some() && intervals.calibration == Calibration::Validation
}

/// The backtest of the folds' `results` (oldest first): their forecasts, measures (MASE scaled
/// by `first_training_targets`, the oldest fold's, with `season`) and intervals pooled, and the
/// time since it `started`.
pub(crate) fn pooled(
    results: Vec<FoldResult>,
    first_training_targets: &[f64],
    season: Option<usize>,
    started: Instant,
) -> Backtest {
    let pooled = TestForecast::concat(results.iter().map(|r| &r.forecast));
    let table = EvaluationTable::with_training_targets(&pooled, first_training_targets, season);
    // every fold with intervals (where the folds before calibrate, those with enough of them)
    let parts: Vec<(&TestIntervals, &[f64])> = results
        .iter()
        .filter_map(|r| Some((r.intervals.as_ref()?, r.forecast.actual.as_slice())))
        .collect();
    let intervals = PooledIntervals::pool(&parts);
    Backtest {
        folds: results,
        pooled,
        table,
        intervals,
        wall_time: started.elapsed(),
    }
}

/// The experiment of one fold: the series cut to its rows, its last `step` windows the test.
pub(crate) fn prepare_fold<E: std::error::Error + 'static>(
    loaded: &LoadedSeries,
    config: &DataConfig,
    fold: &Fold,
) -> Result<PreparedData, BacktestError<E>> {
    let cut = cut(loaded, fold.rows.clone());
    // the fold's test period: from its origin to its last window's last target (`step` rows
    // for one-step windows), so that its validation windows end before the origin
    let config = DataConfig {
        test_len: fold.rows.end - fold.origin_row,
        ..config.clone()
    };
    yoho_data::prepare_loaded(cut, &config).map_err(|source| BacktestError::Data {
        fold: fold.index,
        source,
    })
}

/// `loaded` cut to `rows`.
fn cut(loaded: &LoadedSeries, rows: Range<usize>) -> LoadedSeries {
    let mut series = loaded.series.clone();
    series.dates = series.dates[rows.clone()].to_vec();
    for column in &mut series.columns {
        column.values = column.values[rows.clone()].to_vec();
    }
    LoadedSeries {
        series,
        cleaning: loaded.cleaning.clone(),
        kept_rows: loaded.kept_rows[rows].to_vec(),
    }
}

/// One fold of a panel's backtest: every series cut to the rows its own [`plan`] gives the
/// fold, so that each series' origins lie as far before its own end as the other series'
/// (as the M4 competition sets each series' origin at its own end).
#[derive(Debug, Clone)]
pub struct PanelFold {
    /// 0-based, oldest origin first.
    pub index: usize,
    /// The series that hold the fold (`(name, series)`, in the panel's order), each cut
    /// to the fold's rows: nothing at or after the fold's last target is in it.
    pub series: Vec<(String, LoadedSeries)>,
    /// The fold's test period in rows, from its origin to each cut series' end (the same in
    /// every series): `[data] test_len` of the fold's experiment.
    pub test_len: usize,
    /// Rows of each series after the fold's last target (0 for the newest fold).
    pub rows_after: usize,
}

/// How a panel's series stand in a backtest's plan ([`plan_panel`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PanelPlan {
    /// The series too short for even the newest fold, each with why.
    pub left_out: Vec<(String, String)>,
    /// The series too short for the oldest folds, each with the first fold (0-based) it
    /// joins: it is backtested on that fold and the newer ones.
    pub newer_folds_only: Vec<(String, usize)>,
}

/// Where each series of a panel (`(name, series)` pairs) stands in `spec`'s folds (see
/// [`series_folds`]); an error when no series can hold every fold, which would leave the
/// oldest fold without a series.
pub fn plan_panel(
    loaded: &[(String, LoadedSeries)],
    config: &DataConfig,
    spec: &BacktestSpec,
) -> Result<PanelPlan, String> {
    let mut planned = PanelPlan::default();
    // the longest series that misses a fold: where none holds them all, its error names a
    // plan it holds, which the panel holds too
    let mut longest: Option<(usize, &str)> = None;
    let mut every_fold = false;
    for (name, series) in loaded {
        let rows = series.series.len();
        match series_folds(rows, config, spec) {
            Ok(folds) if folds[0].index == 0 => {
                every_fold = true;
                continue;
            }
            Ok(folds) => (planned.newer_folds_only).push((name.clone(), folds[0].index)),
            Err(message) => planned.left_out.push((name.clone(), message)),
        }
        if longest.is_none_or(|(longest, _)| rows > longest) {
            longest = Some((rows, name));
        }
    }
    match (every_fold, longest) {
        (false, Some((rows, name))) => {
            let error = plan(rows, config, spec).err().unwrap_or_default();
            Err(format!(
                "no series of the panel can hold the folds; series '{name}': {error}"
            ))
        }
        _ => Ok(planned),
    }
}

/// Fold `index` of `spec` over a panel (see [`PanelFold`]): the series that hold it (see
/// [`series_folds`]).
pub fn panel_fold(
    loaded: &[(String, LoadedSeries)],
    config: &DataConfig,
    spec: &BacktestSpec,
    index: usize,
) -> PanelFold {
    let mut fold = PanelFold {
        index,
        series: Vec::with_capacity(loaded.len()),
        test_len: 0,
        rows_after: 0,
    };
    for (name, series) in loaded {
        let held = series_folds(series.series.len(), config, spec).ok();
        let Some(planned) = held.and_then(|folds| folds.into_iter().find(|f| f.index == index))
        else {
            continue;
        };
        fold.test_len = planned.rows.end - planned.origin_row;
        fold.rows_after = series.series.len() - planned.rows.end;
        fold.series.push((name.clone(), cut(series, planned.rows)));
    }
    fold
}

type TrainedFold = (usize, Forecaster, Arc<WindowCodec>, Duration);

/// Trains the model of every fold that trains one, `jobs` at a time.
fn train_folds<F: Fit>(
    folds: &[Fold],
    prepared: &[PreparedData],
    jobs: usize,
    fit: &F,
    started: Instant,
    progress: &(dyn Fn(FoldProgress) + Sync),
) -> Result<Vec<TrainedFold>, BacktestError<F::Error>> {
    let training: Vec<usize> = folds
        .iter()
        .filter(|f| f.trains())
        .map(|f| f.index)
        .collect();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::with_capacity(training.len()));
    let worker = || {
        while let Some(&index) = training.get(next.fetch_add(1, Ordering::SeqCst)) {
            let fold_started = Instant::now();
            let outcome = fit.fit(&prepared[index], &folds[index]);
            let took = fold_started.elapsed();
            let failed = outcome.is_err();
            outcomes
                .lock()
                .expect("fold results lock")
                .push((index, outcome, took));
            if failed {
                // let the other workers finish their fold, but start no new one
                next.store(training.len(), Ordering::SeqCst);
                return;
            }
            progress(FoldProgress {
                fold: index,
                done: done.fetch_add(1, Ordering::SeqCst) + 1,
                total: training.len(),
                took,
                elapsed: started.elapsed(),
            });
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..jobs.clamp(1, training.len().max(1)) {
            scope.spawn(worker);
        }
        worker();
    });
    let mut trained = Vec::with_capacity(training.len());
    let mut outcomes = outcomes.into_inner().expect("fold results lock");
    outcomes.sort_by_key(|(index, ..)| *index);
    for (index, outcome, took) in outcomes {
        let model = outcome.map_err(|source| BacktestError::Fit {
            fold: index,
            source,
        })?;
        trained.push((index, model, prepared[index].codec.clone(), took));
    }
    Ok(trained)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;
    use std::sync::atomic::AtomicUsize;
    use yoho_data::{LoadedSeries, ScalingMethod};
    use yoho_model::RnnForecasterConfig;

    /// 120 rows: a slow wave, then from row `poison_from` on values a billion times larger, so
    /// that a fold that trains on any of them is seen at once.
    fn series(poison_from: usize) -> LoadedSeries {
        let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let values: Vec<f64> = (0..120)
            .map(|i| {
                let value = 100.0 + (i as f64 / 5.0).sin();
                if i >= poison_from { value * 1e9 } else { value }
            })
            .collect();
        LoadedSeries::daily("test", start, "v", values)
    }

    fn config() -> DataConfig {
        DataConfig {
            scaling: ScalingMethod::Standard,
            valid_len: 5,
            ..DataConfig::new("unused.csv", &["v"], "v", 4, 10)
        }
    }

    fn spec(folds: usize, step: usize, refit: Refit, window: HistoryWindow) -> BacktestSpec {
        BacktestSpec {
            folds,
            step,
            refit,
            window,
            jobs: 2,
            intervals: vec![0.8],
            season: None,
            blend: None,
        }
    }

    /// An untrained model that records what it was given to train on.
    struct Recorder {
        calls: AtomicUsize,
        /// `(fold, largest target it trained or validated on)`.
        largest_training_target: Mutex<Vec<(usize, f64)>>,
        origins: Mutex<Vec<(usize, usize)>>,
    }

    impl Recorder {
        fn new() -> Self {
            Self {
                calls: AtomicUsize::new(0),
                largest_training_target: Mutex::new(Vec::new()),
                origins: Mutex::new(Vec::new()),
            }
        }

        fn largest(&self, fold: usize) -> f64 {
            let recorded = self.largest_training_target.lock().unwrap();
            recorded.iter().find(|(f, _)| *f == fold).unwrap().1
        }
    }

    impl Fit for Recorder {
        type Error = std::io::Error;

        fn fit(&self, data: &PreparedData, fold: &Fold) -> Result<Forecaster, Self::Error> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let target = data.target_values();
            let trained_on = data.splits.train.iter().chain(data.splits.valid.iter());
            let largest = trained_on
                .flat_map(|w| target[w.target_rows()].iter().copied())
                .fold(f64::NEG_INFINITY, f64::max);
            self.largest_training_target
                .lock()
                .unwrap()
                .push((fold.index, largest));
            // the fold's scaler saw only rows before its first test target
            let first_test = data.splits.test.first().unwrap().first_target_row();
            assert!(data.splits.last_training_row().unwrap() < first_test);
            self.origins
                .lock()
                .unwrap()
                .push((fold.index, fold.rows.start + first_test));
            Ok(RnnForecasterConfig::new(1, 4).init(&Device::flex()))
        }
    }

    fn run_with(loaded: &LoadedSeries, spec: &BacktestSpec, fit: &Recorder) -> Backtest {
        run(
            loaded,
            &config(),
            spec,
            &crate::standard_baselines(None),
            fit,
            &Device::flex(),
            &|_| {},
        )
        .unwrap()
    }

    #[test]
    fn folds_never_train_on_a_target_at_or_after_their_origin() {
        for window in [HistoryWindow::Expanding, HistoryWindow::Sliding] {
            let spec = spec(4, 5, Refit::Every, window);
            let folds = plan(120, &config(), &spec).unwrap();
            for fold in &folds {
                // poison everything from this fold's origin on: it and the folds before it must
                // not train on any of it; the folds after it may, and do
                let fit = Recorder::new();
                run_with(&series(fold.origin_row), &spec, &fit);
                for earlier in 0..=fold.index {
                    let largest = fit.largest(earlier);
                    assert!(
                        largest < 1e3,
                        "{window:?}: fold {earlier} trained on {largest}, a value from row {} on",
                        fold.origin_row
                    );
                }
                if let Some(later) = folds.get(fold.index + 1) {
                    assert!(fit.largest(later.index) > 1e3, "the poison is visible");
                }
            }
        }
    }

    /// With a horizon of 3, a fold's validation windows end before its origin too: none of them
    /// may hold a target of the fold's test period (with windows counted instead of rows, the
    /// last ones reached two days past the origin).
    #[test]
    fn multi_step_folds_never_validate_on_a_target_at_or_after_their_origin() {
        let config = DataConfig {
            horizon: 3,
            ..config()
        };
        let spec = spec(3, 6, Refit::Every, HistoryWindow::Expanding);
        let folds = plan(120, &config, &spec).unwrap();
        for fold in &folds {
            let fit = Recorder::new();
            run(
                &series(fold.origin_row),
                &config,
                &spec,
                &crate::standard_baselines(None),
                &fit,
                &Device::flex(),
                &|_| {},
            )
            .unwrap();
            for earlier in 0..=fold.index {
                let largest = fit.largest(earlier);
                assert!(
                    largest < 1e3,
                    "fold {earlier} trained or validated on {largest}, a value from row {} on",
                    fold.origin_row
                );
            }
        }
    }

    /// One validation window calibrates no 80 % interval (it needs 4 errors): each later
    /// fold is calibrated on the test errors of the folds before it, on nothing of its own or
    /// later; the CRPS, whose grid needs 9, once they are enough for it.
    #[test]
    fn folds_with_too_few_validation_errors_calibrate_on_the_folds_before_them() {
        let config = DataConfig {
            valid_len: 1,
            ..config()
        };
        let spec = spec(4, 5, Refit::Every, HistoryWindow::Expanding);
        let fit = Recorder::new();
        let baselines = crate::standard_baselines(None);
        let device = Device::flex();
        let result = run(
            &series(1000),
            &config,
            &spec,
            &baselines,
            &fit,
            &device,
            &|_| {},
        )
        .unwrap();
        let calibrated: Vec<bool> = (result.folds.iter())
            .map(|fold| fold.intervals.is_some())
            .collect();
        // 5 errors before the second fold (80 %, but no CRPS), 10 before the third
        assert_eq!(calibrated, [false, true, true, true]);
        let crps = |fold: usize| {
            let intervals = result.folds[fold].intervals.as_ref().unwrap();
            intervals.model.metrics.crps.is_some()
        };
        assert_eq!([crps(1), crps(2), crps(3)], [false, true, true]);
        let errors_before = |fold: usize| -> Vec<f64> {
            (result.folds[..fold].iter())
                .flat_map(|earlier| {
                    let test = &earlier.forecast;
                    test.model()
                        .iter()
                        .zip(&test.actual)
                        .map(|(f, a)| f - a)
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        for fold in [1, 2, 3] {
            let intervals = result.folds[fold].intervals.as_ref().unwrap();
            assert_eq!(intervals.calibration, Calibration::EarlierFolds);
            let expected = crate::intervals::Conformal::calibrate(&errors_before(fold), &[0.8]);
            assert_eq!(intervals.model_by_step[0], expected);
        }
        let pooled = result.intervals.unwrap();
        assert_eq!(
            (pooled.parts, pooled.calibration),
            (3, Calibration::EarlierFolds)
        );
        assert!(pooled.model.levels.contains_key("80"));
        // the CRPS pooled over the two folds that have one
        assert_eq!(pooled.fewer_parts.get(crate::intervals::CRPS_KEY), Some(&2));
    }

    /// Over several steps ahead, an earlier fold's last forecasts reach past the next fold's
    /// origin: a fold is calibrated only on the earlier folds' errors of values before its own
    /// origin, never on its own test period's.
    #[test]
    fn earlier_folds_lend_only_errors_of_values_before_the_folds_origin() {
        let config = DataConfig {
            valid_len: 3,
            horizon: 3,
            ..config()
        };
        let spec = spec(6, 5, Refit::Every, HistoryWindow::Expanding);
        let baselines = crate::standard_baselines(None);
        let device = Device::flex();
        let backtest = |loaded: &LoadedSeries| {
            let fit = Recorder::new();
            run(loaded, &config, &spec, &baselines, &fit, &device, &|_| {}).unwrap()
        };
        let result = backtest(&series(1000));
        let calibrations: Vec<Option<Calibration>> = (result.folds.iter())
            .map(|fold| fold.intervals.as_ref().map(|i| i.calibration))
            .collect();
        // before the second fold, 5, 4 and 3 errors one, two and three steps ahead: enough for
        // the 80 % interval at the first two steps; before the fourth, 15, 14 and 13: the third
        // fold's last forecasts reach 1 and 2 values past the fourth's origin
        let earlier = Some(Calibration::EarlierFolds);
        assert_eq!(
            calibrations,
            [None, earlier, earlier, earlier, earlier, earlier]
        );
        let second = result.folds[1].intervals.as_ref().unwrap();
        let widths: Vec<bool> = (second.model_by_step.iter())
            .map(|conformal| conformal.half_widths[0].is_some())
            .collect();
        assert_eq!(widths, [true, true, false]);
        let fourth = &result.folds[3];
        let sizes: Vec<usize> = (fourth.intervals.as_ref().unwrap().model_by_step.iter())
            .map(|conformal| conformal.calibration_size)
            .collect();
        assert_eq!(sizes, [15, 14, 13]);
        // worked out here: every error of the three folds before it whose target row (one-row
        // strides: a window's first target, then a row a step) lies before its origin
        let mut expected: Vec<Vec<f64>> = vec![Vec::new(); 3];
        for earlier in &result.folds[..3] {
            let test = &earlier.forecast;
            let windows = test.model_steps().iter().zip(&test.actual_steps);
            for (window, (forecasts, actual)) in windows.enumerate() {
                for (step, (forecast, actual)) in forecasts.iter().zip(actual).enumerate() {
                    if earlier.fold.origin_row + window + step < fourth.fold.origin_row {
                        expected[step].push(forecast - actual);
                    }
                }
            }
        }
        let intervals = fourth.intervals.as_ref().unwrap();
        for (step, errors) in expected.iter().enumerate() {
            let calibrated = crate::intervals::Conformal::calibrate(errors, &[0.8]);
            assert_eq!(
                intervals.model_by_step[step],
                calibrated,
                "step {}",
                step + 1
            );
        }
    }

    /// With statistical voices, the folds before the earlier folds' errors are enough get
    /// intervals too: calibrated on the voices' errors at origins rolling over the values
    /// before their own test period, and on nothing from it.
    #[test]
    fn the_first_folds_calibrate_on_the_voices_until_the_earlier_folds_are_enough() {
        let config = DataConfig {
            valid_len: 1,
            ..config()
        };
        let spec = BacktestSpec {
            blend: Some(crate::rolling::tests::blend(crate::BlendRule::Mean)),
            ..spec(4, 5, Refit::Every, HistoryWindow::Expanding)
        };
        let baselines = crate::standard_baselines(None);
        let device = Device::flex();
        let backtest = |loaded: &LoadedSeries| {
            let fit = Recorder::new();
            run(loaded, &config, &spec, &baselines, &fit, &device, &|_| {}).unwrap()
        };
        let clean = series(1000);
        let result = backtest(&clean);
        let calibrations: Vec<Option<Calibration>> = (result.folds.iter())
            .map(|fold| fold.intervals.as_ref().map(|i| i.calibration))
            .collect();
        let (voices, earlier) = (
            Some(Calibration::VoicesAtRollingOrigins),
            Some(Calibration::EarlierFolds),
        );
        // 5 errors before the second fold, 10 (enough for the CRPS's 90 %) before the third
        assert_eq!(calibrations, [voices, voices, earlier, earlier]);
        for fold in &result.folds[..2] {
            let data: PreparedData =
                prepare_fold::<DataError>(&clean, &config, &fold.fold).unwrap();
            // enough origins for the CRPS's 90 % (9 errors) at the one step ahead
            let (by_step, _) = voices_rolling_errors(spec.blend.as_ref().unwrap(), &data, 9);
            assert_eq!(by_step[0].len(), 9);
            let expected = crate::intervals::Conformal::calibrate(&by_step[0], &[0.8]);
            let intervals = fold.intervals.as_ref().unwrap();
            assert_eq!(intervals.model_by_step[0], expected);
        }
        // the values from the first fold's origin on reach none of its intervals
        let origin = result.folds[0].fold.origin_row;
        let poisoned = backtest(&series(origin));
        let first = |result: &Backtest| result.folds[0].intervals.clone().unwrap();
        assert_eq!(first(&poisoned).model_by_step, first(&result).model_by_step);
        assert_eq!(
            first(&poisoned).naive.conformal,
            first(&result).naive.conformal
        );
        let pooled = result.intervals.unwrap();
        assert_eq!(pooled.parts, 4);
        assert!(pooled.model.levels.contains_key("80"));
        assert!(pooled.model.crps.is_some());
    }

    /// On a short history the voices' errors calibrate the 80 % interval but not the 95 %
    /// one: each fold keeps the levels its errors give rather than none, and the pooled
    /// intervals score what the folds have.
    #[test]
    fn a_short_historys_folds_keep_the_levels_their_errors_calibrate() {
        let config = DataConfig {
            valid_len: 1,
            ..config()
        };
        let levels = vec![0.8, 0.95];
        let spec = BacktestSpec {
            blend: Some(crate::rolling::tests::blend(crate::BlendRule::Mean)),
            intervals: levels.clone(),
            ..spec(3, 1, Refit::Every, HistoryWindow::Expanding)
        };
        let baselines = crate::standard_baselines(None);
        let device = Device::flex();
        // 36 rows of the wave, the newest `poisoned` of them a billion times larger
        let short = |poisoned: usize| {
            let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
            let rows = 36;
            let values: Vec<f64> = (0..rows)
                .map(|i| {
                    let value = 100.0 + (i as f64 / 5.0).sin();
                    if i >= rows - poisoned {
                        value * 1e9
                    } else {
                        value
                    }
                })
                .collect();
            LoadedSeries::daily("test", start, "v", values)
        };
        let backtest = |loaded: &LoadedSeries| {
            let fit = Recorder::new();
            run(loaded, &config, &spec, &baselines, &fit, &device, &|_| {}).unwrap()
        };
        let clean = short(0);
        let result = backtest(&clean);
        for fold in &result.folds {
            let intervals = fold.intervals.as_ref().expect("the 80 % interval at least");
            assert_eq!(intervals.calibration, Calibration::VoicesAtRollingOrigins);
            let data: PreparedData =
                prepare_fold::<DataError>(&clean, &config, &fold.fold).unwrap();
            let wanted = [0.8, 0.95, crate::intervals::CRPS_WIDEST_LEVEL];
            let origins = voice_origins(&wanted, 1);
            let (by_step, _) = voices_rolling_errors(spec.blend.as_ref().unwrap(), &data, origins);
            // fewer than the 19 errors the 95 % interval needs
            assert!((4..19).contains(&by_step[0].len()), "{}", by_step[0].len());
            let expected = crate::intervals::Conformal::calibrate(&by_step[0], &levels);
            assert_eq!(intervals.model_by_step[0], expected);
            assert_eq!(expected.half_widths[1], None);
            let own: Vec<f64> = intervals.model.intervals.iter().map(|i| i.level).collect();
            assert_eq!(own, [0.8]);
        }
        let pooled = result.intervals.as_ref().unwrap();
        assert_eq!(pooled.levels, [0.8]);
        assert_eq!(pooled.parts, 3);
        // the values from the first fold's origin on reach none of its intervals
        let poisoned = backtest(&short(3));
        let first = |result: &Backtest| result.folds[0].intervals.clone().unwrap();
        assert_eq!(first(&poisoned).model_by_step, first(&result).model_by_step);
    }

    #[test]
    fn a_plan_too_large_for_the_series_suggests_one_that_fits() {
        // 30 rows, window 4, horizon 1: 26 windows, 20 targets after 5 validation windows
        // and a training window: 10 folds of 2
        let asked = spec(10, 20, Refit::Every, HistoryWindow::Expanding);
        let error = plan(30, &config(), &asked).unwrap_err();
        assert!(
            error.ends_with("the series has 26; --folds 10 --step 2 fits"),
            "{error}"
        );
        let suggested = spec(10, 2, Refit::Every, HistoryWindow::Expanding);
        assert!(plan(30, &config(), &suggested).is_ok());
        // enough windows, but not the rows the oldest fold's purged periods need: 30 rows,
        // one-row windows 12 steps ahead (18 windows), 3 folds × 5 leave the oldest fold 20
        // rows where its test period of 16 and a training window need 29
        let long = DataConfig {
            window_len: 1,
            horizon: 12,
            valid_len: 0,
            ..config()
        };
        let error = plan(
            30,
            &long,
            &spec(3, 5, Refit::Every, HistoryWindow::Expanding),
        );
        let error = error.unwrap_err();
        assert!(
            error.ends_with("need at least 29; --folds 3 --step 2 fits"),
            "{error}"
        );
        // a series without a single window suggests nothing
        let error = plan(3, &config(), &asked).unwrap_err();
        assert!(error.ends_with("the series has 0"), "{error}");
        // the plan that fits: the one asked for where it fits, never more targets a fold
        assert_eq!(plan_that_fits(30, &config(), &asked), Some((10, 2)));
        let small = spec(2, 3, Refit::Every, HistoryWindow::Expanding);
        assert_eq!(plan_that_fits(30, &config(), &small), Some((2, 3)));
        assert_eq!(plan_that_fits(3, &config(), &asked), None);
    }

    #[test]
    fn the_plan_covers_the_newest_targets_fold_by_fold() {
        let folds = plan(
            120,
            &config(),
            &spec(4, 5, Refit::Every, HistoryWindow::Expanding),
        )
        .unwrap();
        // 120 rows, window 4, horizon 1: 116 windows, targets rows 4..=119; the last 20 targets
        // are rows 100..=119, five per fold
        let origins: Vec<usize> = folds.iter().map(|f| f.origin_row).collect();
        assert_eq!(origins, [100, 105, 110, 115]);
        assert!(folds.iter().all(|f| f.rows.start == 0));
        assert_eq!(folds[3].rows.end, 120);
        let sliding = plan(
            120,
            &config(),
            &spec(4, 5, Refit::Every, HistoryWindow::Sliding),
        )
        .unwrap();
        let lengths: Vec<usize> = sliding.iter().map(|f| f.rows.len()).collect();
        assert_eq!(lengths, [105, 105, 105, 105]);
        assert_eq!(sliding[3].rows, 15..120);
        // too many folds for the series
        assert!(
            plan(
                120,
                &config(),
                &spec(30, 5, Refit::Every, HistoryWindow::Expanding)
            )
            .is_err()
        );
    }

    #[test]
    fn refit_decides_which_folds_train() {
        let trained = |refit| {
            let fit = Recorder::new();
            let result = run_with(
                &series(usize::MAX),
                &spec(5, 4, refit, HistoryWindow::Expanding),
                &fit,
            );
            let folds: Vec<usize> = result.folds.iter().map(|f| f.fold.model_fold).collect();
            (fit.calls.load(Ordering::SeqCst), folds)
        };
        assert_eq!(trained(Refit::Never), (1, vec![0, 0, 0, 0, 0]));
        assert_eq!(trained(Refit::EveryN(2)), (3, vec![0, 0, 2, 2, 4]));
        assert_eq!(trained(Refit::Every), (5, vec![0, 1, 2, 3, 4]));
        assert_eq!("3".parse::<Refit>(), Ok(Refit::EveryN(3)));
        assert!("0".parse::<Refit>().is_err());
    }

    #[test]
    fn pooled_measures_are_the_measures_of_the_concatenated_forecasts() {
        let fit = Recorder::new();
        let result = run_with(
            &series(usize::MAX),
            &spec(3, 5, Refit::Every, HistoryWindow::Expanding),
            &fit,
        );
        assert_eq!(result.pooled.actual.len(), 15);
        let actual: Vec<f64> = result
            .folds
            .iter()
            .flat_map(|f| f.forecast.actual.clone())
            .collect();
        for name in ["model", "naive", "drift"] {
            let forecast: Vec<f64> = result
                .folds
                .iter()
                .flat_map(|f| f.forecast.values(name).unwrap().to_vec())
                .collect();
            let pooled = result.table.get(name).unwrap();
            assert_eq!(
                pooled.mse,
                crate::metrics::mse(&actual, &forecast),
                "{name}"
            );
            assert_eq!(
                pooled.mae,
                crate::metrics::mae(&actual, &forecast),
                "{name}"
            );
        }
        // every fold's origin as planned, oldest first
        let mut origins = fit.origins.lock().unwrap().clone();
        origins.sort();
        let planned: Vec<usize> = result.folds.iter().map(|f| f.fold.origin_row).collect();
        assert_eq!(origins.iter().map(|o| o.1).collect::<Vec<_>>(), planned);
    }

    /// A daily series of `rows` rows named `name`, valued by its row.
    fn counted(name: &str, rows: usize) -> (String, LoadedSeries) {
        let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let values = (0..rows).map(|row| row as f64).collect();
        (
            name.to_string(),
            LoadedSeries::daily(name, start, "v", values),
        )
    }

    #[test]
    fn a_panels_folds_cut_every_series_as_far_before_its_own_end() {
        let panel = [
            counted("long", 120),
            counted("short", 90),
            counted("tiny", 20),
            counted("speck", 8),
        ];
        let spec = spec(4, 5, Refit::Every, HistoryWindow::Expanding);
        let planned = plan_panel(&panel, &config(), &spec).unwrap();
        // 8 rows, 4 windows: not even the newest fold's 5 targets, 5 validation windows and
        // one training window
        assert_eq!(planned.left_out.len(), 1);
        assert_eq!(planned.left_out[0].0, "speck");
        assert!(planned.left_out[0].1.contains("windows"), "{planned:?}");
        // 20 rows, 16 windows: the newest two folds' 10 targets and 6 windows before them
        assert_eq!(planned.newer_folds_only, [("tiny".to_string(), 2)]);
        for index in 0..4 {
            let fold = panel_fold(&panel, &config(), &spec, index);
            let names: Vec<&str> = fold.series.iter().map(|(name, _)| name.as_str()).collect();
            let joined = match index {
                0 | 1 => &["long", "short"][..],
                _ => &["long", "short", "tiny"][..],
            };
            assert_eq!(names, joined);
            // horizon 1: five targets a fold, the newest fold's ending at each series' end
            assert_eq!((fold.test_len, fold.rows_after), (5, 15 - 5 * index));
            for ((_, cut), full_rows) in fold.series.iter().zip([120, 90, 20]) {
                let values = &cut.series.columns[0].values;
                assert_eq!(values.len(), full_rows - fold.rows_after);
                // nothing after the fold's last target
                assert_eq!(*values.last().unwrap(), (values.len() - 1) as f64);
            }
        }
        // no series holds the oldest fold: refused, with the longest series' plan that fits
        let error = plan_panel(&panel[2..], &config(), &spec).unwrap_err();
        assert!(error.contains("series 'tiny'"), "{error}");
        assert!(error.ends_with("--folds 4 --step 2 fits"), "{error}");
        // a sliding history keeps as many rows in every fold as the series' first fold has
        let sliding = self::spec(4, 5, Refit::Every, HistoryWindow::Sliding);
        for index in 0..4 {
            let fold = panel_fold(&panel, &config(), &sliding, index);
            for ((_, cut), full_rows) in fold.series.iter().zip([120, 90]) {
                let values = &cut.series.columns[0].values;
                assert_eq!(values.len(), full_rows - 15);
                assert_eq!(values[0], (5 * index) as f64);
            }
            // 'tiny' joins fold 3 with its 15 rows up to it, and keeps 15 in fold 4
            if let Some((_, cut)) = fold.series.get(2) {
                let values = &cut.series.columns[0].values;
                assert_eq!((values.len(), values[0]), (15, (5 * index - 10) as f64));
            }
        }
    }

    #[test]
    fn a_panels_default_plan_gives_the_most_test_periods() {
        let asked = spec(10, 20, Refit::Every, HistoryWindow::Expanding);
        // one series: the plan it holds
        for rows in [30, 60, 300] {
            assert_eq!(
                plan_that_fits_panel([rows], &config(), &asked),
                plan_that_fits(rows, &config(), &asked)
            );
        }
        assert_eq!(plan_that_fits(300, &config(), &asked), Some((10, 20)));
        // 20 rows (16 windows) hold 10 folds of one target: both series in every fold (20 test
        // periods) beat 300 rows' 10 folds of 20 targets alone (10)
        let planned = plan_that_fits_panel([300, 20], &config(), &asked);
        assert_eq!(planned, Some((10, 1)));
        assert_eq!(planned, plan_that_fits(20, &config(), &asked));
        // 12 rows (8 windows) hold two folds of one target at most: they join the newest two
        // of the 10 that 300 rows hold, not the other way round (12 test periods against 4)
        assert_eq!(plan_that_fits(12, &config(), &asked), Some((2, 1)));
        let planned = plan_that_fits_panel([300, 12], &config(), &asked);
        assert_eq!(planned, Some((10, 1)));
        let ten = spec(10, 1, Refit::Every, HistoryWindow::Expanding);
        assert_eq!(series_folds(300, &config(), &ten).unwrap().len(), 10);
        let newest = series_folds(12, &config(), &ten).unwrap();
        assert_eq!(newest.iter().map(|f| f.index).collect::<Vec<_>>(), [8, 9]);
        // with as many targets as fit, the most test periods and the first in plan order
        let wide = spec(10, 20, Refit::Every, HistoryWindow::Expanding);
        assert_eq!(
            plan_that_fits_panel([300, 300], &config(), &wide),
            Some((10, 20))
        );
        // a series too short for one target counts for nothing; none that holds one, no plan
        assert_eq!(
            plan_that_fits_panel([300, 12, 3], &config(), &asked),
            Some((10, 1))
        );
        assert_eq!(plan_that_fits_panel([3, 4], &config(), &asked), None);
    }

    #[test]
    fn a_plan_holds_exactly_when_its_oldest_fold_can_be_prepared() {
        // six-step windows: the purged split needs rows the windows alone do not count
        let config = DataConfig {
            horizon: 6,
            valid_len: 6,
            ..config()
        };
        let spec = spec(2, 1, Refit::Every, HistoryWindow::Expanding);
        for rows in 16..30 {
            let start = yoho_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
            let values = (0..rows).map(|row| (row as f64 / 3.0).sin()).collect();
            let loaded = LoadedSeries::daily("test", start, "v", values);
            let planned = plan(rows, &config, &spec);
            let prepared = planned
                .as_ref()
                .ok()
                .map(|folds| prepare_fold::<std::io::Error>(&loaded, &config, &folds[0]).is_ok());
            assert_eq!(
                prepared,
                planned.is_ok().then_some(true),
                "{rows} rows: {planned:?}"
            );
            if rows == 20 {
                let error = planned.unwrap_err();
                assert!(error.contains("leave the oldest fold 19 rows"), "{error}");
            }
        }
        assert!(plan(23, &config, &spec).is_ok());
    }
}
