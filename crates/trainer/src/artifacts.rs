//! The run directory: what a run writes, written atomically, and how to load a run again.
//!
//! | file | what |
//! |---|---|
//! | `config.toml` | the experiment config as run (overrides applied) |
//! | `model.bpk` | the trained forecaster's weights (Burn's burnpack format) |
//! | `scaler.json` | the scaler fitted on the training rows |
//! | `metrics.json` | test metrics of the model and the naive forecast |
//! | `predictions.csv` | date, actual, predicted, naive for every test day |
//! | `loss.csv` | mean training (and validation) loss per epoch, in model units |
//! | `test_period.png`, `loss.png`, `predicted_vs_actual.png` | the charts |
//! | `by_step.csv`, `error_by_step.png`, `multi_step.png` | with `horizon > 1`: every window's forecast of every step, and the error by step ahead |
//! | `generated.csv`, `generated.png` | with `[evaluate] closed_loop`: the series generated from its first window |
//! | `report.md` | config, data, table and charts in one page |
//! | `checkpoint/` | the learner's latest checkpoint and the best epoch's |
//! | `intervals.json` | the model's conformal interval half-widths at every step ahead (`[evaluate] intervals`) |
//! | `fingerprint.json` | hashes of the config and the data the run started from (`--resume` checks them) |
//!
//! Every file is written to a temporary file, flushed to disk and renamed into place, so a run
//! killed at any moment leaves each file either whole or absent.

use std::path::{Path, PathBuf};

use anyhow::Context;
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Device;
use yoho_data::Scaler;
use yoho_model::Forecaster;

use crate::config::ExperimentConfig;

/// File names inside a run directory.
pub mod files {
    /// The config as run.
    pub const CONFIG: &str = "config.toml";
    /// The weights.
    pub const MODEL: &str = "model.bpk";
    /// The fitted scaler.
    pub const SCALER: &str = "scaler.json";
    /// Test metrics.
    pub const METRICS: &str = "metrics.json";
    /// Test predictions.
    pub const PREDICTIONS: &str = "predictions.csv";
    /// Loss per epoch.
    pub const LOSS: &str = "loss.csv";
    /// Chart of the test period.
    pub const TEST_PERIOD_PLOT: &str = "test_period.png";
    /// Chart of the loss per epoch.
    pub const LOSS_PLOT: &str = "loss.png";
    /// Chart of predicted against actual.
    pub const SCATTER_PLOT: &str = "predicted_vs_actual.png";
    /// Every test window's forecast of every step ahead (horizon > 1).
    pub const BY_STEP: &str = "by_step.csv";
    /// Chart of the error against the step ahead (horizon > 1).
    pub const STEP_ERROR_PLOT: &str = "error_by_step.png";
    /// Chart of the multi-day forecasts over the test period (horizon > 1).
    pub const MULTI_STEP_PLOT: &str = "multi_step.png";
    /// The closed-loop generated series.
    pub const GENERATED: &str = "generated.csv";
    /// Chart of the closed-loop generated series.
    pub const GENERATED_PLOT: &str = "generated.png";
    /// The report page.
    pub const REPORT: &str = "report.md";
    /// burn-train's learner writes its checkpoints here (its own name for the directory).
    pub const CHECKPOINT_DIR: &str = "checkpoint";
    /// Written by `trainer predict` and `trainer forecast`.
    pub const FORECAST: &str = "forecast.csv";
    /// `trainer forecast`: the series' last rows and the forecast after them.
    pub const FORECAST_PLOT: &str = "forecast.png";
    /// A backtest's forecasts of every fold's days.
    pub const BACKTEST: &str = "backtest.csv";
    /// A backtest's forecasts over its whole period.
    pub const BACKTEST_PLOT: &str = "backtest.png";
    /// Each forecaster's RMSE in each fold of a backtest.
    pub const FOLD_ERROR_PLOT: &str = "error_by_fold.png";
    /// Hashes of the config and the data a run started from.
    pub const FINGERPRINT: &str = "fingerprint.json";
    /// The model's conformal calibration at every step ahead, for `predict`'s intervals.
    pub const INTERVALS: &str = "intervals.json";
    /// A panel run's series: each one's name and the directory of its files.
    pub const PANEL: &str = "panel.json";
    /// The series of a panel's file that the run left out, each with why.
    pub const LEFT_OUT: &str = "left_out.json";
    /// The folder of a panel run's per-series directories.
    pub const SERIES_DIR: &str = "series";
    /// The checkpoints of a run's second fit for its intervals (`[evaluate] calibration_fit`).
    pub const CALIBRATION_FIT_DIR: &str = "calibration_fit";
}

/// Whether a file called `name` is one a write into a run directory left when it was killed
/// before its rename: the temporary file of [`write_atomic`] or of a checkpoint.
fn is_partial_file(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with(".tmp")
}

/// Removes the temporary files of saves that a killed process left behind in `directory`.
pub(crate) fn remove_partial_files(directory: &Path) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        if is_partial_file(&entry.file_name()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// that `path` is never seen half-written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let directory = path.parent().unwrap_or(Path::new("."));
    let mut temporary = tempfile::NamedTempFile::new_in(directory)
        .with_context(|| format!("cannot create a file in {}", directory.display()))?;
    std::io::Write::write_all(&mut temporary, bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    persist(temporary, path)
}

/// Renames a finished temporary file to `path`, readable by all as an ordinary file would be
/// (temporary files are created private). The file's contents reach the disk before the rename
/// and the rename before this returns, so a crash leaves the old file or the new one, whole.
pub fn persist(temporary: tempfile::NamedTempFile, path: &Path) -> anyhow::Result<()> {
    let context = || format!("cannot write {}", path.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(temporary.path(), std::fs::Permissions::from_mode(0o644))
            .with_context(context)?;
    }
    temporary.as_file().sync_all().with_context(context)?;
    temporary.persist(path).with_context(context)?;
    sync_directory(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

/// Reads the weights saved at `path` (a burnpack file) into memory whole: a record loaded from
/// its file reads each tensor from there when it is first used, and a model must not depend on
/// a file that a prune, an `--overwrite` or a temporary directory's end may delete.
pub fn read_record(path: &Path) -> anyhow::Result<ModuleRecord> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error:?}", path.display()))
}

/// Flushes a directory's entries (a rename into it) to disk; best effort, as not every platform
/// can open a directory.
pub fn sync_directory(directory: &Path) {
    let directory = match directory.as_os_str().is_empty() {
        true => Path::new("."),
        false => directory,
    };
    if let Ok(handle) = std::fs::File::open(directory) {
        let _ = handle.sync_all();
    }
}

/// A run directory.
#[derive(Debug, Clone)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// A directory for a new run at `path`: created when absent, used when empty. One that holds
    /// files is refused (a new run must not mix with an older one's checkpoints and charts),
    /// unless `overwrite`, which empties it first — and only when it is a run directory.
    /// Files a write left half-done when a run was killed (see `is_partial_file`) do not
    /// count: they are removed, so that a run killed while writing its first file can be
    /// started again.
    pub fn create_fresh(path: &Path, overwrite: bool) -> anyhow::Result<Self> {
        let occupied = std::fs::read_dir(path).is_ok_and(|entries| {
            (entries.flatten()).any(|entry| !is_partial_file(&entry.file_name()))
        });
        if !occupied {
            remove_partial_files(path);
        } else {
            if !overwrite {
                anyhow::bail!(
                    "{} already holds files (an earlier run?); a new run starts in an empty \
                     directory: pass --overwrite to replace that run, --out DIR for another \
                     directory, or --resume {} to continue it",
                    path.display(),
                    path.display()
                );
            }
            if !path.join(files::CONFIG).is_file() {
                anyhow::bail!(
                    "{} is not a run directory (it has no {}): --overwrite only replaces runs, \
                     so nothing was deleted",
                    path.display(),
                    files::CONFIG
                );
            }
            std::fs::remove_dir_all(path)
                .with_context(|| format!("cannot clear {} for --overwrite", path.display()))?;
        }
        Self::create(path)
    }

    /// The directory a command writes into: `out` (empty, or replaced with `overwrite`), else
    /// `default`, or the first of `<default>-2`, `-3`, … that is free (with a note saying so).
    pub fn create_for_command(
        out: Option<&Path>,
        overwrite: bool,
        default: &Path,
    ) -> anyhow::Result<Self> {
        match (out, overwrite) {
            (Some(out), overwrite) => Self::create_fresh(out, overwrite),
            (None, true) => Self::create_fresh(default, true),
            (None, false) => {
                let run = Self::create_next_free(default)?;
                if run.path() != default {
                    eprintln!(
                        "note: {} holds an earlier run; this one goes to {} (--overwrite \
                         replaces the earlier one)",
                        default.display(),
                        run.path().display()
                    );
                }
                Ok(run)
            }
        }
    }

    /// The first of `path`, `path-2`, `path-3`, … that is absent or empty, created.
    pub fn create_next_free(path: &Path) -> anyhow::Result<Self> {
        let name = path.file_name().map_or_else(
            || "run".to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
        let free = |candidate: &Path| {
            std::fs::read_dir(candidate).map_or(true, |mut entries| entries.next().is_none())
        };
        let candidate = std::iter::once(path.to_path_buf())
            .chain((2..).map(|n| path.with_file_name(format!("{name}-{n}"))))
            .find(|candidate| free(candidate))
            .expect("some numbered directory is free");
        Self::create(&candidate)
    }

    /// Creates the directory (and its parents) if needed.
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(path)
            .with_context(|| format!("cannot create the run directory {}", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
        })
    }

    /// A panel run's series directory (its scaler and calibration), which must exist.
    pub fn open_series(path: &Path) -> anyhow::Result<Self> {
        if !path.join(files::SCALER).is_file() {
            anyhow::bail!(
                "{} has no {}: not a series directory of a finished panel run",
                path.display(),
                files::SCALER
            );
        }
        Ok(Self {
            path: path.to_path_buf(),
        })
    }

    /// An existing run directory.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if !path.join(files::CONFIG).is_file() {
            anyhow::bail!(
                "{} is not a run directory: it has no {}",
                path.display(),
                files::CONFIG
            );
        }
        Ok(Self {
            path: path.to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `file` inside the run.
    pub fn file(&self, file: &str) -> PathBuf {
        self.path.join(file)
    }

    /// Writes `bytes` to `file` atomically.
    pub fn write(&self, file: &str, bytes: &[u8]) -> anyhow::Result<()> {
        write_atomic(&self.file(file), bytes)
    }

    /// Saves a fitted scaler (a panel run saves one per series, in each series' directory).
    pub fn save_scaler(&self, scaler: &Scaler) -> anyhow::Result<()> {
        self.write(
            files::SCALER,
            serde_json::to_string_pretty(scaler)?.as_bytes(),
        )
    }

    /// Saves the config and the weights.
    pub fn save_weights(
        &self,
        config: &ExperimentConfig,
        forecaster: &Forecaster,
    ) -> anyhow::Result<()> {
        self.write(files::CONFIG, toml::to_string_pretty(config)?.as_bytes())?;
        let weights = forecaster
            .clone()
            .into_record()
            .into_bytes()
            .context("cannot serialise the model")?;
        self.write(files::MODEL, &weights)
    }

    /// Loads the config, weights and scaler of a run (saved by [`RunDir::save_weights`] and
    /// [`RunDir::save_scaler`]).
    pub fn load_model(
        &self,
        device: &Device,
    ) -> anyhow::Result<(ExperimentConfig, Forecaster, Scaler)> {
        let (config, forecaster) = self.load_weights(device)?;
        Ok((config, forecaster, self.load_scaler()?))
    }

    /// Loads the scaler saved by [`RunDir::save_scaler`].
    pub fn load_scaler(&self) -> anyhow::Result<Scaler> {
        let scaler_path = self.file(files::SCALER);
        serde_json::from_str(
            &std::fs::read_to_string(&scaler_path)
                .with_context(|| format!("cannot read {}", scaler_path.display()))?,
        )
        .with_context(|| format!("{} is not a valid scaler", scaler_path.display()))
    }

    /// Loads the config and the weights saved by [`RunDir::save_weights`].
    pub fn load_weights(&self, device: &Device) -> anyhow::Result<(ExperimentConfig, Forecaster)> {
        let config_path = self.file(files::CONFIG);
        // read and checked like any config, so a hand-edited one is refused with its key named
        let config = ExperimentConfig::load_saved(&config_path)?;
        let model_path = self.file(files::MODEL);
        let record = read_record(&model_path)?;
        let forecaster = config
            .forecaster_config()
            .init(device)
            .try_load_record(record)
            .map_err(|error| {
                anyhow::anyhow!(
                    "{} does not fit the network in {}: {error:?}",
                    model_path.display(),
                    config_path.display()
                )
            })?;
        Ok((config, forecaster))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Tensor;

    #[test]
    fn saved_weights_load_into_memory_and_outlive_their_file() {
        // the main job's network: 4 inputs (OHLC) over windows of 5 days
        let main_job = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/lstm.toml");
        let config = ExperimentConfig::load(&main_job).unwrap();
        let device = Device::flex();
        let forecaster = config.forecaster_config().init(&device);
        let scratch = tempfile::tempdir().unwrap();
        let run = RunDir::create(&scratch.path().join("run")).unwrap();
        run.save_weights(&config, &forecaster).unwrap();
        let (_, loaded) = run.load_weights(&device).unwrap();
        drop(scratch);
        let inputs = || Tensor::<3>::ones([2, 5, 4], &device);
        let expected = forecaster.forward(inputs()).into_data();
        loaded
            .forward(inputs())
            .into_data()
            .assert_eq(&expected, true);
    }
}
