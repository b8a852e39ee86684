//! What a forecast of the statistical members alone is made of (`statistical.json` in its run
//! directory): the recipe's exponential smoothing and ARIMA voices, the season they adjust
//! for and the data they read, for a series too short for the recipe's networks. `trainer
//! predict` reads it to forecast new data the same way.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use yoho_data::DataConfig;
use yoho_eval::backtest::BacktestSpec;
use yoho_eval::{Blend, BlendRule};

use crate::artifacts::RunDir;
use crate::cli::BacktestArgs;
use crate::config::{Voice, blend_of};

/// The file of a run forecast by the statistical members alone.
pub const STATISTICAL: &str = "statistical.json";

/// A forecast by the statistical members alone: see the module doc.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatisticalRun {
    /// Why the networks were left out, e.g. "the series has 30 rows, too few for …".
    pub why: String,
    /// The config's `[data]` (its window settings placeholders): the file, the columns and
    /// the horizon.
    pub data: DataConfig,
    /// Rows per season the members adjust for (`None`: not seasonal).
    pub season: Option<usize>,
    /// The voices (`[model] statistical`), each the mean of its members' forecasts.
    pub statistical: Vec<Voice>,
    /// How the voices combine at each step (`[model] blend`).
    pub blend: Option<BlendRule>,
    /// The central interval levels, e.g. `[0.8, 0.95]`.
    pub levels: Vec<f64>,
}

impl StatisticalRun {
    /// The voices as one blend without networks.
    pub fn blend(&self) -> anyhow::Result<Blend> {
        blend_of(&self.statistical, self.blend, 0, self.season).context(
            "a statistical forecast needs at least one of ets, holt_winters, arima and log_arima",
        )
    }

    /// The backtest of `args`' folds by these voices alone (`blend`, from [`Self::blend`]): a
    /// fold at a time (nothing trains), with this run's interval levels and season.
    pub fn backtest_spec(&self, args: &BacktestArgs, blend: Blend) -> BacktestSpec {
        BacktestSpec {
            folds: args.folds(),
            step: args.step(),
            refit: args.refit,
            window: args.window,
            jobs: 1,
            intervals: self.levels.clone(),
            season: self.season,
            blend: Some(blend),
        }
    }

    /// Writes `statistical.json` into `run`.
    pub fn save(&self, run: &RunDir) -> anyhow::Result<()> {
        run.write(STATISTICAL, serde_json::to_string_pretty(self)?.as_bytes())
    }

    /// The statistical forecast `run` was made with; `None` for a run of networks.
    pub fn open(run: &RunDir) -> anyhow::Result<Option<Self>> {
        let path = run.file(STATISTICAL);
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let run = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a statistical forecast's", path.display()))?;
        Ok(Some(run))
    }
}

/// `data` (a config's `[data]`) as the statistical voices alone read a series of it: windows
/// of one row (the naive forecast's origin), no validation period, none of the networks'
/// transforms or scaling (so a constant series is forecast, as its constant), and one series
/// (a panel's series one at a time).
pub fn alone_data(data: &DataConfig) -> DataConfig {
    DataConfig {
        series_column: None,
        scaling: yoho_data::ScalingMethod::None,
        scale_factor: None,
        window_len: 1,
        stride: 1,
        valid_len: 0,
        season: None,
        transform: Default::default(),
        log: false,
        window_norm: Default::default(),
        ..data.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Statistical;

    #[test]
    fn it_round_trips_through_its_file_and_blends_its_voices() {
        let data: DataConfig = toml::from_str(
            "path = \"x.csv\"\nfeatures = [\"value\"]\ntarget = \"value\"\nwindow_len = 1\n\
             test_len = 1\nhorizon = 4\n",
        )
        .unwrap();
        let statistical = StatisticalRun {
            why: "too short".into(),
            data,
            season: Some(4),
            statistical: vec![
                Voice::One(Statistical::Ets),
                Voice::Mean(vec![Statistical::Arima, Statistical::LogArima]),
            ],
            blend: Some(BlendRule::Median),
            levels: vec![0.8, 0.95],
        };
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::create(dir.path()).unwrap();
        assert_eq!(StatisticalRun::open(&run).unwrap(), None);
        statistical.save(&run).unwrap();
        let opened = StatisticalRun::open(&run).unwrap().unwrap();
        assert_eq!(opened, statistical);
        let blend = opened.blend().unwrap();
        assert_eq!(blend.voices, [0, 1, 1]);
        assert_eq!(blend.rule, BlendRule::Median);
        assert!(blend.statistical.iter().all(|m| m.season() == Some(4)));
        let no_voices = StatisticalRun {
            statistical: Vec::new(),
            ..statistical
        };
        assert!(no_voices.blend().is_err());
    }
}
