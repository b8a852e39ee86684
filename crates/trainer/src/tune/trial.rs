//! What a search tries and what each trial gives: the search space (one like NeuralForecast's
//! AutoLSTM's), the trials drawn from it and applied to the config, and a trial's result.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use yoho_data::TargetTransform;

use crate::ExperimentConfig;

/// The error of a trial interrupted while it trained.
pub(super) const INTERRUPTED: &str = "interrupted";
/// The error of a trial not started because the search was interrupted first.
const NOT_RUN: &str = "not run: the search was interrupted";
/// Window lengths tried, in horizons.
const WINDOW_MULTIPLES: [usize; 5] = [1, 2, 3, 4, 5];
/// Hidden units tried.
const HIDDEN_SIZES: [usize; 4] = [16, 32, 64, 128];
/// Mini-batch sizes tried.
const BATCH_SIZES: [usize; 4] = [16, 32, 64, 128];
/// The learning rates' range, sampled log-uniformly.
const LEARNING_RATES: (f64, f64) = (1e-4, 1e-1);

/// One trial's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// Input steps per window.
    pub window_len: usize,
    /// Units per recurrent layer.
    pub hidden_size: usize,
    /// Recurrent layers.
    pub num_layers: usize,
    /// Learning rate.
    pub lr: f64,
    /// Windows per optimiser step.
    pub batch_size: usize,
    /// What the network predicts.
    pub transform: TargetTransform,
}

impl Trial {
    /// The settings `config` has itself: those of trial 0.
    pub(super) fn of_config(config: &ExperimentConfig) -> Self {
        Self {
            window_len: config.data.window_len,
            hidden_size: config.model.hidden_size,
            num_layers: config.model.num_layers,
            lr: config.train.lr,
            batch_size: config.train.batch_size,
            transform: config.data.transform,
        }
    }

    /// A trial drawn from the search space; windows are multiples of `horizon` (of 2 steps at
    /// least) and at most `max_window` steps.
    fn sample(rng: &mut StdRng, horizon: usize, max_window: usize, season: Option<usize>) -> Self {
        let pick = |rng: &mut StdRng, values: &[usize]| values[rng.random_range(0..values.len())];
        let multiple = pick(rng, &WINDOW_MULTIPLES);
        let (low, high) = LEARNING_RATES;
        Self {
            window_len: (multiple * horizon).max(2).min(max_window.max(1)),
            hidden_size: pick(rng, &HIDDEN_SIZES),
            num_layers: rng.random_range(1..=3),
            lr: (low.ln() + rng.random::<f64>() * (high.ln() - low.ln())).exp(),
            batch_size: pick(rng, &BATCH_SIZES),
            transform: match (season, rng.random::<bool>()) {
                (Some(season), true) if season > 1 => TargetTransform::SeasonalDifference,
                _ => TargetTransform::Difference,
            },
        }
    }

    /// `base` with this trial's settings.
    pub(super) fn apply(&self, base: &ExperimentConfig) -> ExperimentConfig {
        let mut config = base.clone();
        // a config that predicts levels or log returns keeps them
        if differences(config.data.transform) {
            config.data.transform = self.transform;
        }
        // a window shorter than the season drops it (and the seasonal difference)
        config.data.set_window_len(self.window_len);
        // a network reads at most the trial's window
        for rows in &mut config.model.lookbacks {
            *rows = (*rows).min(self.window_len);
        }
        config.model.hidden_size = self.hidden_size;
        config.model.num_layers = self.num_layers;
        config.train.lr = self.lr;
        config.train.batch_size = self.batch_size;
        config
    }
}

/// What a search trains: trial 0, `config` as given (so that no drawn trial is kept unless it
/// beats the user's own settings on validation), then each of `drawn` applied to it.
pub(super) fn candidates(
    config: &ExperimentConfig,
    drawn: Vec<Trial>,
) -> Vec<(Trial, ExperimentConfig)> {
    let own = (Trial::of_config(config), config.clone());
    let drawn = drawn.into_iter().map(|trial| {
        let applied = trial.apply(config);
        (trial, applied)
    });
    std::iter::once(own).chain(drawn).collect()
}

/// `count` trials drawn with `seed`; windows leave the training period at least one window.
pub fn draw_trials(config: &ExperimentConfig, rows: usize, count: usize, seed: u64) -> Vec<Trial> {
    let data = &config.data;
    let held_out = data.test_len + data.valid_len + data.horizon;
    let max_window = rows.saturating_sub(held_out).max(1);
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let mut trial = Trial::sample(&mut rng, data.horizon, max_window, data.season);
            // a config that predicts levels or log returns keeps them (`Trial::apply`)
            if !differences(data.transform) {
                trial.transform = data.transform;
            }
            trial
        })
        .collect()
}

/// Whether `transform` is one of the differences a trial chooses between.
fn differences(transform: TargetTransform) -> bool {
    matches!(
        transform,
        TargetTransform::Difference | TargetTransform::SeasonalDifference
    )
}

/// A trial's forecasts of its validation windows and what they forecast, `[window][step]`, in
/// the series' units (a panel's series each divided by its scale, one after the other).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidationForecasts {
    /// The targets of each window.
    pub actual: Vec<Vec<f64>>,
    /// The trial's forecast of each window.
    pub forecast: Vec<Vec<f64>>,
}

impl ValidationForecasts {
    /// The mean squared error over every step of every window.
    pub fn mse(&self) -> f64 {
        let squares: Vec<f64> = (self.actual.iter().flatten())
            .zip(self.forecast.iter().flatten())
            .map(|(actual, forecast)| (forecast - actual).powi(2))
            .collect();
        squares.iter().sum::<f64>() / squares.len().max(1) as f64
    }
}

/// What a trial gave.
#[derive(Debug, Clone)]
pub struct TrialResult {
    /// Its settings.
    pub trial: Trial,
    /// The mean squared error over every step of every validation window, in original units,
    /// of its run's forecast (its kept epoch's networks, blended with the config's statistical
    /// voices where it names them, within the series' bounds); for a panel, the mean over its
    /// series of each one's divided by the square of its scale (`None` when it failed).
    pub valid_mse: Option<f64>,
    /// Its forecasts of the validation windows, which the config's are tested against.
    pub valid_forecasts: Option<ValidationForecasts>,
    /// Epochs trained.
    pub epochs: usize,
    /// The epoch kept.
    pub kept_epoch: usize,
    /// The epoch at which it was stopped, behind the config's trial (`None` where it was not:
    /// a pruned trial has no validation MSE).
    pub pruned_at: Option<usize>,
    /// Wall seconds.
    pub seconds: f64,
    /// Why it failed.
    pub error: Option<String>,
    /// Where Ctrl-C or SIGTERM stopped it before it was scored: it is neither scored nor
    /// counted among the trials the kept one is chosen from.
    pub interrupted: Option<Interrupted>,
}

/// When a search's interruption stopped a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupted {
    /// As it trained (or was being scored).
    WhileTraining,
    /// Before it started.
    BeforeStart,
}

impl TrialResult {
    /// A trial that failed after `seconds`, with `error`.
    pub(super) fn failed(trial: &Trial, seconds: f64, error: Option<String>) -> Self {
        Self {
            trial: trial.clone(),
            valid_mse: None,
            valid_forecasts: None,
            epochs: 0,
            kept_epoch: 0,
            pruned_at: None,
            seconds,
            error,
            interrupted: None,
        }
    }

    /// A trial the search did not start: it was interrupted first.
    pub(super) fn not_run(trial: &Trial) -> Self {
        Self {
            interrupted: Some(Interrupted::BeforeStart),
            ..Self::failed(trial, 0.0, Some(NOT_RUN.into()))
        }
    }

    /// The epoch kept, as the trials' table and CSV give it: none for a pruned or interrupted
    /// trial.
    pub(super) fn epoch_kept(&self) -> Option<usize> {
        (self.pruned_at.is_none() && self.interrupted.is_none()).then_some(self.kept_epoch)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn trials_are_drawn_from_the_space_and_repeat_with_the_seed() {
        let config = seq2seq();
        let trials = draw_trials(&config, 1000, 50, 7);
        assert_eq!(trials, draw_trials(&config, 1000, 50, 7));
        assert_ne!(trials, draw_trials(&config, 1000, 50, 8));
        let horizon = config.data.horizon;
        for trial in &trials {
            assert_eq!(trial.window_len % horizon, 0, "{trial:?}");
            assert!(HIDDEN_SIZES.contains(&trial.hidden_size));
            assert!((1..=3).contains(&trial.num_layers));
            assert!((1e-4..=1e-1).contains(&trial.lr), "{trial:?}");
            assert!(BATCH_SIZES.contains(&trial.batch_size));
        }
        // with a season, both transforms are tried
        let mut seasonal = config.clone();
        seasonal.data.season = Some(5);
        let transforms: Vec<TargetTransform> = draw_trials(&seasonal, 1000, 50, 7)
            .iter()
            .map(|trial| trial.transform)
            .collect();
        assert!(transforms.contains(&TargetTransform::SeasonalDifference));
        assert!(transforms.contains(&TargetTransform::Difference));
        assert!(
            trials
                .iter()
                .all(|t| t.transform == TargetTransform::Difference)
        );
        // a config on levels keeps them, and its trials say so
        let mut levels = config.clone();
        levels.data.transform = TargetTransform::Level;
        let kept = draw_trials(&levels, 1000, 10, 7);
        assert!(kept.iter().all(|t| t.transform == TargetTransform::Level));
        assert_eq!(
            kept[0].apply(&levels).data.transform,
            TargetTransform::Level
        );
        // a short series caps the windows
        let short = draw_trials(
            &config,
            config.data.test_len + config.data.valid_len + 8,
            20,
            7,
        );
        assert!(short.iter().all(|trial| trial.window_len <= 3), "{short:?}");
        // lookbacks longer than a trial's window read all of it
        let mut lookbacks = config.clone();
        lookbacks.model.lookbacks = vec![2, 1000];
        lookbacks.train.ensemble = 2;
        let applied = short[0].apply(&lookbacks);
        assert_eq!(
            applied.model.lookbacks,
            [2.min(short[0].window_len), short[0].window_len]
        );
        applied.validate().unwrap();
    }

    #[test]
    fn trial_0_is_the_config_as_given() {
        let mut config = seq2seq();
        // a season longer than the window, which applying the config's own settings would
        // drop: trial 0 is the config as given
        config.data.season = Some(config.data.window_len + 1);
        let drawn = draw_trials(&config, 1000, 3, 7);
        let trials = candidates(&config, drawn.clone());
        assert_eq!(trials.len(), 4);
        assert_eq!(trials[0].1, config);
        assert_eq!(trials[0].0.window_len, config.data.window_len);
        assert_eq!(trials[0].0.hidden_size, config.model.hidden_size);
        assert_eq!(trials[0].0.lr, config.train.lr);
        for ((trial, applied), drawn) in trials[1..].iter().zip(&drawn) {
            assert_eq!(trial, drawn);
            assert_eq!(*applied, drawn.apply(&config));
        }
    }

    /// A result of `valid_mse` (failed when `None`).
    pub(crate) fn scored(valid_mse: Option<f64>) -> TrialResult {
        TrialResult {
            trial: Trial::of_config(&seq2seq()),
            valid_mse,
            valid_forecasts: None,
            epochs: 1,
            kept_epoch: 1,
            pruned_at: None,
            seconds: 0.0,
            error: None,
            interrupted: None,
        }
    }

    /// The config of `configs/seq2seq.toml`.
    pub(crate) fn seq2seq() -> ExperimentConfig {
        ExperimentConfig::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/seq2seq.toml"),
        )
        .unwrap()
    }
}
