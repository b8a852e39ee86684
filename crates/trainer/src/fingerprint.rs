//! What a run started from, as hashes (`fingerprint.json`): `--resume` refuses a run whose
//! config or data changed since, instead of continuing from weights that no longer fit them.

use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_128;

use crate::artifacts::{RunDir, files};
use crate::config::ExperimentConfig;

/// Hashes (XXH3, 128 bits, in hex) of a run's config and data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The config as run, with `[train] epochs` left out (`--resume --epochs N` may extend a
    /// run).
    pub config: String,
    /// The bytes of the CSV file read (or, for a generated series, of its parameters, which the
    /// config holds too).
    pub data: String,
}

fn hex(bytes: &[u8]) -> String {
    format!("{:032x}", xxh3_128(bytes))
}

impl Fingerprint {
    /// The fingerprint of `config` and the data it names.
    pub fn of(config: &ExperimentConfig) -> anyhow::Result<Self> {
        let mut without_epochs = config.clone();
        without_epochs.train.epochs = 0;
        let config_text = toml::to_string(&without_epochs)?;
        let data =
            match &config.data.source {
                yoho_data::Source::File { path } => hex(&std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?),
                yoho_data::Source::Sine(spec) => hex(format!("{spec:?}").as_bytes()),
            };
        Ok(Self {
            config: hex(config_text.as_bytes()),
            data,
        })
    }

    /// Writes it into `run`.
    pub fn write(&self, run: &RunDir) -> anyhow::Result<()> {
        run.write(
            files::FINGERPRINT,
            serde_json::to_string_pretty(self)?.as_bytes(),
        )
    }

    /// Checks that `config` (read back from `run`) and its data are those the run started
    /// from. A run written before fingerprints existed is not checked, and says so.
    pub fn check(run: &RunDir, config: &ExperimentConfig) -> anyhow::Result<()> {
        let path = run.file(files::FINGERPRINT);
        let Some(saved) = Self::read(&path)? else {
            eprintln!(
                "note: {} has no {}: its config and data cannot be checked against the ones it \
                 started from",
                run.path().display(),
                files::FINGERPRINT
            );
            return Ok(());
        };
        let now = Self::of(config)?;
        if now.config != saved.config {
            bail!(
                "cannot resume {}: its {} changed since the run started (only --epochs may \
                 change on resume); start a new run with the changed config instead",
                run.path().display(),
                files::CONFIG
            );
        }
        if now.data != saved.data {
            let data = match &config.data.source {
                yoho_data::Source::File { path } => path.display().to_string(),
                yoho_data::Source::Sine(_) => "the generated series".to_string(),
            };
            bail!(
                "cannot resume {}: {data} changed since the run started (its contents no longer \
                 match {}); start a new run on the new data instead",
                run.path().display(),
                files::FINGERPRINT
            );
        }
        Ok(())
    }

    fn read(path: &Path) -> anyhow::Result<Option<Self>> {
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let fingerprint = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a run fingerprint", path.display()))?;
        Ok(Some(fingerprint))
    }
}
