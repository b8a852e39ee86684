//! `cargo xtask bench --accuracy DIR [--vs-statsforecast] [--jobs J] [--seed S] [--recipe FILE]
//! [--short]`:
//! the M4 competition's protocol on every series of `DIR/manifest.csv`
//! (`name,file,freq,season,horizon`, files relative to DIR): fit on all but the last `horizon`
//! values, forecast `horizon` steps from that origin, score MASE (scaled by the in-sample
//! seasonal naive of period `season`) and sMAPE.
//!
//! Methods: `yoho`, the trainer's default recipe (a config of only the file, the target and the
//! horizon: everything else chosen from the series, see `trainer`'s `recipe.rs`) with one model
//! per series; `yoho_global`, the recipe of a panel (the exponential-smoothing hybrid beside the
//! LSTM on the seasonal naive) with one model per frequency over all its series (each series
//! holding out its own last values, windows that every series can fill); `naive` and
//! `seasonal_naive` computed here, `ets`, Yoho's exponential smoothing (`yoho_eval::Ets`,
//! with the season of the series' frequency, as the recipe gives it), `holt_winters`, the
//! same with a season that evolves (`yoho_eval::HoltWinters`), `arima`, Yoho's
//! automatic ARIMA (`yoho_eval::Arima`, the same season), and `log_arima`, the same on the
//! logarithm of a strictly positive series (`yoho_eval::LogArima`); with
//! `--vs-statsforecast`, statsforecast's Naive, SeasonalNaive, AutoETS, AutoARIMA and
//! AutoTheta (`xtask/bench_statsforecast.py`), scored here the same way. `--recipe FILE`
//! replaces the recipe's `[model]` with the file's and sets its `[train]` keys over the recipe's,
//! `--seed S` its seed;
//! `--second-seed S` runs Yoho again with another seed and prints how much each series' MASE
//! moves. A series too short for the recipe's networks is forecast by both Yoho methods with
//! the recipe's statistical voices alone, as `trainer forecast` does; `--short` cuts every
//! series short first (`cut_copies`), to measure that.
//!
//! Writes `<target>/bench/accuracy.csv` (`name,method,mase,smape,seconds`) and
//! `<target>/bench/accuracy_forecasts.csv` (`name,method,date,forecast`), and prints the
//! summary the field uses: mean MASE, mean sMAPE, the geometric mean of MASE relative to the
//! seasonal naive, the series where a method beats the seasonal naive, and seconds.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use burn::tensor::Device;
use trainer::device::{DeviceChoice, select_device};
use trainer::fit::{LearnerFit, in_parallel};
use trainer::{ExperimentConfig, TooShort};
use yoho_data::defaults::panel_window_len;
use yoho_data::{LoadedSeries, PanelSplit, Timestamp};
use yoho_eval::baselines::{Baseline, Naive, SeasonalNaive, Statistical};
use yoho_eval::panel::Relative;
use yoho_eval::protocol::{self, OriginForecast};
use yoho_eval::{Arima, Ets, HoltWinters, LogArima};

use crate::backtest_bench::target_dir;

/// The method every other is compared with.
const REFERENCE: &str = "seasonal_naive";

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct AccuracyArgs {
    /// The folder holding `manifest.csv` and the series.
    pub dir: PathBuf,
    /// Also run statsforecast's methods.
    pub vs_statsforecast: bool,
    /// Series trained at the same time.
    pub jobs: usize,
    /// The recipe's `[train] seed` instead of its own.
    pub seed: Option<u64>,
    /// Another seed to run Yoho with, for the change of each series' MASE from seed to seed.
    pub second_seed: Option<u64>,
    /// A config whose `[model]` replaces the default recipe's, its `[train]` keys set over the
    /// recipe's.
    pub recipe: Option<PathBuf>,
    /// Cut every series to its last `2 × horizon + SHORT_EXTRA_ROWS` values first (see
    /// `cut_copies`).
    pub short: bool,
}

impl AccuracyArgs {
    /// Parses `--accuracy DIR [--vs-statsforecast] [--jobs J]`.
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let usage = "usage: cargo xtask bench --accuracy DIR [--vs-statsforecast] [--jobs J] \
                     [--seed S] [--second-seed S] [--recipe FILE] [--short]";
        let mut dir = None;
        let mut seed = None;
        let mut second_seed = None;
        let mut recipe = None;
        let mut vs_statsforecast = false;
        let mut short = false;
        let mut jobs = std::thread::available_parallelism().map_or(1, usize::from);
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--accuracy" => {
                    dir = Some(PathBuf::from(rest.next().context(usage)?));
                }
                "--vs-statsforecast" => vs_statsforecast = true,
                "--short" => short = true,
                "--jobs" => {
                    jobs = rest
                        .next()
                        .and_then(|n| n.parse().ok())
                        .filter(|n| *n > 0)
                        .with_context(|| format!("--jobs expects a number ≥ 1; {usage}"))?;
                }
                "--seed" => {
                    let value = rest.next().and_then(|n| n.parse().ok());
                    seed =
                        Some(value.with_context(|| format!("--seed expects a number; {usage}"))?);
                }
                "--second-seed" => {
                    let value = rest.next().and_then(|n| n.parse().ok());
                    second_seed = Some(
                        value
                            .with_context(|| format!("--second-seed expects a number; {usage}"))?,
                    );
                }
                "--recipe" => recipe = Some(PathBuf::from(rest.next().context(usage)?)),
                other => bail!("unknown option {other}; {usage}"),
            }
        }
        Ok(Self {
            dir: dir.context(usage)?,
            vs_statsforecast,
            jobs,
            seed,
            second_seed,
            recipe,
            short,
        })
    }
}

/// One series of the manifest.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    file: PathBuf,
    freq: String,
    season: usize,
    horizon: usize,
}

/// Reads `dir/manifest.csv`; an error names the row and the column that is wrong.
fn read_manifest(dir: &Path) -> anyhow::Result<Vec<Entry>> {
    let path = dir.join("manifest.csv");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .with_context(|| {
                format!(
                    "{}: no column `{name}` (expected name,file,freq,season,horizon)",
                    path.display()
                )
            })
    };
    let [name, file, freq, season, horizon] =
        ["name", "file", "freq", "season", "horizon"].map(column);
    let (name, file, freq, season, horizon) = (name?, file?, freq?, season?, horizon?);
    let mut entries = Vec::new();
    for (index, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let row = index + 2;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let cell = |at: usize| {
            cells.get(at).copied().with_context(|| {
                format!(
                    "{} row {row}: expected {} cells",
                    path.display(),
                    header.len()
                )
            })
        };
        let count = |at: usize, key: &str| -> anyhow::Result<usize> {
            cell(at)?.parse().ok().filter(|n| *n > 0).with_context(|| {
                format!(
                    "{} row {row}: {key} must be a whole number ≥ 1",
                    path.display()
                )
            })
        };
        entries.push(Entry {
            name: cell(name)?.to_string(),
            file: dir.join(cell(file)?),
            freq: cell(freq)?.to_string(),
            season: count(season, "season")?,
            horizon: count(horizon, "horizon")?,
        });
    }
    if entries.is_empty() {
        bail!("{} lists no series", path.display());
    }
    Ok(entries)
}

/// One method's forecast of one series from its origin, scored.
#[derive(Debug, Clone)]
struct Scored {
    name: String,
    method: String,
    mase: Option<f64>,
    smape: Option<f64>,
    seconds: f64,
    dates: Vec<Timestamp>,
    forecast: Vec<f64>,
}

impl Scored {
    fn new(entry: &Entry, method: &str, result: OriginForecast, seconds: f64) -> Self {
        Self {
            name: entry.name.clone(),
            method: method.to_string(),
            mase: result.mase.ok(),
            smape: result.smape_percent.ok(),
            seconds,
            dates: result.dates,
            forecast: result.forecast,
        }
    }
}

/// A series loaded, with how Yoho forecasts it.
struct Series {
    entry: Entry,
    loaded: LoadedSeries,
    yoho: Yoho,
}

/// How Yoho forecasts a series: with the recipe's networks, or, where the series is too short
/// for them, with the recipe's statistical voices alone (as `trainer forecast` does).
enum Yoho {
    /// The recipe's networks (or `--recipe`'s).
    Networks {
        /// Its config as one series (`yoho`).
        config: Box<ExperimentConfig>,
        /// Its config as a series of its frequency's panel (`yoho_global`): the recipe's
        /// panel model, or `--recipe`'s.
        panel: Box<ExperimentConfig>,
    },
    /// The recipe's statistical voices alone: one forecast from the origin, which both
    /// methods score.
    Statistical {
        /// The series' data config, its window settings placeholders.
        data: Box<yoho_data::DataConfig>,
        /// The season the voices adjust for.
        season: Option<usize>,
        /// The voices' forecast from the origin, scored.
        origin: Box<OriginForecast>,
        /// The seconds it took.
        seconds: f64,
    },
}

impl Series {
    /// Its data config, as one series' recipe chose it.
    fn data(&self) -> &yoho_data::DataConfig {
        match &self.yoho {
            Yoho::Networks { config, .. } => &config.data,
            Yoho::Statistical { data, .. } => data,
        }
    }

    /// The season Yoho's exponential smoothing and ARIMA adjust for.
    fn season(&self) -> Option<usize> {
        match &self.yoho {
            Yoho::Networks { config, .. } => config.ets().season,
            Yoho::Statistical { season, .. } => *season,
        }
    }

    /// The statistical voices' forecast from the series' origin, scored as `method`'s; `None`
    /// for a series Yoho's networks forecast.
    fn statistical(&self, method: &str) -> Option<Scored> {
        let Yoho::Statistical {
            origin, seconds, ..
        } = &self.yoho
        else {
            return None;
        };
        let origin = origin.as_ref().clone();
        Some(Scored::new(&self.entry, method, origin, *seconds))
    }
}

/// The bench's config of `entry`: its `[data]` names only the file, the target and the
/// horizon, so that the trainer's default recipe chooses everything else from the series (the
/// manifest's season only scores); `sections` (`[model]`, `[train]`, … of `--recipe`) replace
/// the recipe's.
fn config_for(entry: &Entry, sections: &toml::Table) -> anyhow::Result<ExperimentConfig> {
    let mut data = toml::Table::new();
    let file = entry.file.display().to_string();
    data.insert("path".into(), toml::Value::String(file));
    data.insert("target".into(), toml::Value::String("value".into()));
    data.insert("horizon".into(), toml::Value::Integer(entry.horizon as i64));
    let mut table = sections.clone();
    let extra = match table.remove("data") {
        Some(toml::Value::Table(extra)) => extra,
        _ => toml::Table::new(),
    };
    data.extend(extra);
    table.insert("data".into(), toml::Value::Table(data));
    let name = Path::new(&entry.name).with_extension("toml");
    ExperimentConfig::from_table(table, &name).with_context(|| format!("series {}", entry.name))
}

/// Loads every series and makes its configs, with `sections` as one series and
/// `panel_sections` in a panel; a series too short for the recipe's networks gets its
/// statistical voices alone (without `--recipe`; with it, it is an error).
fn load_all(
    entries: &[Entry],
    sections: &toml::Table,
    panel_sections: &toml::Table,
) -> anyhow::Result<Vec<Series>> {
    entries
        .iter()
        .map(|entry| {
            let config = match config_for(entry, sections) {
                Ok(config) => config,
                Err(error) => return statistical_series(entry, error),
            };
            let loaded = yoho_data::load(&config.data, &[])
                .with_context(|| format!("series {}", entry.name))?;
            // the same sections make the same config: the recipe reads the file once
            let panel = match panel_sections == sections {
                true => config.clone(),
                false => config_for(entry, panel_sections)?,
            };
            Ok(Series {
                entry: entry.clone(),
                loaded,
                yoho: Yoho::Networks {
                    config: Box::new(config),
                    panel: Box::new(panel),
                },
            })
        })
        .collect()
}

/// `entry` forecast by the recipe's statistical voices alone, when `error` is the recipe's
/// refusal of a series too short for its networks; `error` otherwise.
fn statistical_series(entry: &Entry, error: anyhow::Error) -> anyhow::Result<Series> {
    let Some(short) = error.downcast_ref::<TooShort>().filter(|s| s.recipe_model) else {
        return Err(error);
    };
    let mut data = short.data.clone();
    data.test_len = entry.horizon;
    let loaded = yoho_data::load(&data, &[]).with_context(|| format!("series {}", entry.name))?;
    let start = Instant::now();
    let blend = trainer::recipe_blend(short)?;
    let values = (loaded.series.column("value")).context("the series has its value column")?;
    // the rows the baselines' scoring needs (a window and the test period), checked before
    // the voices are fitted on the values before the origin
    let needed = yoho_data::window::rows_needed(data.window_spec(), data.split_spec());
    if values.len() < needed {
        bail!(
            "series {}: {} values, fewer than the {needed} that the test period of horizon {} \
             and a window before it need",
            entry.name,
            values.len(),
            entry.horizon
        );
    }
    let origin = values.len() - entry.horizon;
    let history = &values[..origin];
    let mut forecast = blend.forecast_alone(history, entry.horizon);
    // as a run keeps it: a series never negative is forecast non-negative
    yoho_eval::Bounds::of_history(data.bounds, history).apply_all(&mut forecast);
    let season = Some(entry.season);
    let scored = protocol::score_last(values, &loaded.series.dates, forecast, season);
    Ok(Series {
        entry: entry.clone(),
        yoho: Yoho::Statistical {
            data: Box::new(data),
            season: Some(short.season).filter(|season| *season > 1),
            origin: Box::new(scored),
            seconds: start.elapsed().as_secs_f64(),
        },
        loaded,
    })
}

/// The config of one model over `group` (series of one frequency and horizon): the first
/// series' panel recipe with the windows of the trainer's panel recipe
/// (`yoho_data::defaults::panel_window_len`: every series keeps a training window).
fn panel_config(
    group: &[(&Series, &ExperimentConfig)],
    freq: &str,
) -> anyhow::Result<ExperimentConfig> {
    let first = group[0].1;
    let season = first.data.season.unwrap_or(1);
    let horizon = first.data.horizon;
    if let Some((_, other)) = group
        .iter()
        .find(|(_, panel)| panel.data.horizon != horizon)
    {
        bail!(
            "the {freq} series have different horizons ({} and {}): one model per frequency \
             needs one",
            horizon,
            other.data.horizon
        );
    }
    let rows: Vec<usize> = group.iter().map(|(s, _)| s.loaded.series.len()).collect();
    // the trainer's panel recipe sizes its windows by the same rule
    let window = panel_window_len(&rows, horizon, first.data.valid_len, season)
        .with_context(|| format!("the {freq} series are too short for one model's windows"))?;
    let mut config = first.clone();
    config.name = Some(format!("global-{freq}"));
    config.data.set_window_len(window);
    config.data.split = PanelSplit::PerSeries;
    Ok(config)
}

/// The CPU device the bench trains on.
fn cpu() -> anyhow::Result<Device> {
    Ok(select_device(DeviceChoice::Cpu)?.device)
}

/// `yoho`: one model per series, `jobs` series at a time.
fn per_series(series: &[Series], jobs: usize, scratch: &Path) -> anyhow::Result<Vec<Scored>> {
    in_parallel(series, jobs, |_, one| fit_one(one, scratch))
        .into_iter()
        .collect()
}

fn fit_one(series: &Series, scratch: &Path) -> anyhow::Result<Scored> {
    let config = match &series.yoho {
        Yoho::Networks { config, .. } => config,
        Yoho::Statistical { .. } => {
            return Ok(series.statistical("yoho").expect("a statistical series"));
        }
    };
    let start = Instant::now();
    let device = cpu()?;
    let fit = LearnerFit::new(config, device.clone(), &scratch.join(&series.entry.name));
    let result = protocol::forecast_at_origin(
        &series.loaded,
        &config.data,
        Some(series.entry.season),
        config.blend().as_ref(),
        &fit,
        &device,
    )
    .with_context(|| format!("series {}", series.entry.name))?;
    Ok(Scored::new(
        &series.entry,
        "yoho",
        result,
        start.elapsed().as_secs_f64(),
    ))
}

/// `yoho_global`: one model per frequency over all its series, each holding out its own last
/// `horizon` values; the windows are the shortest of the group's series. `jobs` frequencies
/// train at a time; a series' seconds are its group's over its size.
fn global(series: &[Series], jobs: usize, scratch: &Path) -> anyhow::Result<Vec<Scored>> {
    let mut groups: BTreeMap<&str, Vec<(&Series, &ExperimentConfig)>> = BTreeMap::new();
    let mut scored = Vec::new();
    for one in series {
        match &one.yoho {
            Yoho::Networks { panel, .. } => {
                let group = groups.entry(one.entry.freq.as_str()).or_default();
                group.push((one, panel.as_ref()));
            }
            Yoho::Statistical { .. } => scored.extend(one.statistical("yoho_global")),
        }
    }
    let groups: Vec<(&str, Vec<(&Series, &ExperimentConfig)>)> = groups.into_iter().collect();
    let fitted = in_parallel(&groups, jobs, |_, (freq, group)| {
        fit_group(freq, group, scratch)
    });
    for group in fitted {
        scored.extend(group?);
    }
    Ok(scored)
}

/// One model over the series of one frequency, `group`, scored at each series' origin.
fn fit_group(
    freq: &str,
    group: &[(&Series, &ExperimentConfig)],
    scratch: &Path,
) -> anyhow::Result<Vec<Scored>> {
    let start = Instant::now();
    let device = cpu()?;
    let config = panel_config(group, freq)?;
    let loaded = group
        .iter()
        .map(|(s, _)| (s.entry.name.clone(), s.loaded.clone()))
        .collect();
    let panel = yoho_data::prepare_panel_loaded(loaded, &config.data, "series")
        .with_context(|| format!("the {freq} panel"))?;
    if let Some((name, why)) = panel.left_out.first() {
        bail!("the {freq} panel left out series {name}: {why}");
    }
    let config = config.for_panel(panel.series.len());
    let fit = LearnerFit::new(&config, device.clone(), scratch);
    let model = fit
        .train(&panel.training_data(), &format!("global-{freq}"))
        .with_context(|| format!("the {freq} panel"))?;
    let seconds = start.elapsed().as_secs_f64() / group.len() as f64;
    let blend = config.blend();
    let mut scored = Vec::with_capacity(group.len());
    for ((one, _), prepared) in group.iter().zip(&panel.series) {
        let season = Some(one.entry.season);
        let result =
            protocol::score_at_origin(&prepared.data, &model, season, blend.as_ref(), &device)?;
        scored.push(Scored::new(&one.entry, "yoho_global", result, seconds));
    }
    Ok(scored)
}

/// The naive forecasts and Yoho's statistical forecasters alone at every series' origin, the
/// series spread over `jobs` workers (each fit timed on its own).
fn baselines(series: &[Series], jobs: usize) -> anyhow::Result<Vec<Scored>> {
    let each = in_parallel(series, jobs, |_, one| baselines_of(one));
    let each: Vec<Vec<Scored>> = each.into_iter().collect::<anyhow::Result<_>>()?;
    Ok(each.into_iter().flatten().collect())
}

/// [`baselines`] on one series.
fn baselines_of(one: &Series) -> anyhow::Result<Vec<Scored>> {
    let mut scored = Vec::new();
    let mut data = one.data().clone();
    data.valid_len = 0;
    let prepared = yoho_data::prepare_loaded(one.loaded.clone(), &data)?;
    let season = Some(one.entry.season);
    let seasonal = SeasonalNaive {
        season: one.entry.season,
    };
    for (method, result) in [
        (
            "naive",
            protocol::baseline_at_origin(&prepared, &Naive, season),
        ),
        (
            REFERENCE,
            protocol::baseline_at_origin(&prepared, &seasonal, season),
        ),
    ] {
        // a seasonal naive forecast needs a season of values before the origin
        if let Some(result) = result {
            scored.push(Scored::new(&one.entry, method, result, 0.0));
        }
    }
    // Yoho's own exponential smoothing (its season fixed and evolving) and ARIMA (on levels
    // and on the logarithm), with the season the recipe gives them
    let recipe_season = one.season();
    let own = [
        Statistical::from(Ets {
            season: recipe_season,
        }),
        Statistical::from(HoltWinters {
            season: recipe_season,
        }),
        Statistical::from(Arima {
            season: recipe_season,
        }),
        Statistical::from(LogArima {
            season: recipe_season,
        }),
    ];
    for baseline in own {
        let start = Instant::now();
        let result = protocol::baseline_at_origin(&prepared, &baseline, season);
        let seconds = start.elapsed().as_secs_f64();
        scored
            .extend(result.map(|result| Scored::new(&one.entry, baseline.name(), result, seconds)));
    }
    Ok(scored)
}

/// statsforecast's methods, run by `xtask/bench_statsforecast.py` and scored here.
fn statsforecast(dir: &Path, series: &[Series], out_dir: &Path) -> anyhow::Result<Vec<Scored>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench_statsforecast.py");
    let out = out_dir.join("statsforecast_forecasts.csv");
    let status = std::process::Command::new("python3")
        .arg(&script)
        .arg(dir)
        .arg(&out)
        .status()
        .context("cannot run python3")?;
    if !status.success() {
        bail!(
            "{} failed ({status}); statsforecast installs with `pip install statsforecast`",
            script.display()
        );
    }
    let text = std::fs::read_to_string(&out)?;
    // (name, method) → (forecast by step, seconds)
    let mut forecasts: BTreeMap<(String, String), (Vec<f64>, f64)> = BTreeMap::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let parsed = (cells.len() == 5)
            .then(|| Some((cells[3].parse::<f64>().ok()?, cells[4].parse::<f64>().ok()?)))
            .flatten();
        let (value, seconds) =
            parsed.with_context(|| format!("{} line {}: {line}", out.display(), index + 1))?;
        let slot = forecasts
            .entry((cells[0].to_string(), cells[1].to_string()))
            .or_default();
        slot.0.push(value);
        slot.1 = seconds;
    }
    let mut scored = Vec::new();
    for ((name, method), (forecast, seconds)) in forecasts {
        let one = series
            .iter()
            .find(|s| s.entry.name == name)
            .with_context(|| format!("{}: unknown series {name}", out.display()))?;
        let result = score_forecast(one, forecast)?;
        scored.push(Scored::new(&one.entry, &method, result, seconds));
    }
    Ok(scored)
}

/// A forecast made elsewhere of `series`' last `horizon` values, scored as Yoho's are.
fn score_forecast(series: &Series, forecast: Vec<f64>) -> anyhow::Result<OriginForecast> {
    let values = series
        .loaded
        .series
        .column("value")
        .context("the series has its value column")?;
    let horizon = series.entry.horizon;
    if forecast.len() != horizon {
        bail!(
            "series {}: {} forecasts for a horizon of {horizon}",
            series.entry.name,
            forecast.len()
        );
    }
    let dates = &series.loaded.series.dates;
    let season = Some(series.entry.season);
    Ok(protocol::score_last(values, dates, forecast, season))
}

/// One method's summary over the series it forecast.
struct Summary {
    method: String,
    series: usize,
    mean_mase: f64,
    mean_smape: f64,
    relative_mase: f64,
    beats_reference: usize,
    compared: usize,
    seconds: f64,
}

/// Every method's summary, `wall` giving each method's total seconds (else the sum of its rows').
fn summarize(scored: &[Scored], wall: &BTreeMap<String, f64>) -> Vec<Summary> {
    let reference: BTreeMap<&str, f64> = scored
        .iter()
        .filter(|s| s.method == REFERENCE)
        .filter_map(|s| Some((s.name.as_str(), s.mase?)))
        .collect();
    let mut methods: Vec<&str> = Vec::new();
    for s in scored {
        if !methods.contains(&s.method.as_str()) {
            methods.push(&s.method);
        }
    }
    methods
        .into_iter()
        .map(|method| {
            let rows: Vec<&Scored> = scored.iter().filter(|s| s.method == method).collect();
            let mase: Vec<f64> = rows.iter().filter_map(|s| s.mase).collect();
            let smape: Vec<f64> = rows.iter().filter_map(|s| s.smape).collect();
            // the panel runs' summary: the geometric mean of the ratios, and the wins
            let pairs =
                (rows.iter()).filter_map(|s| Some((s.mase?, *reference.get(s.name.as_str())?)));
            let relative = Relative::of(pairs);
            Summary {
                method: method.to_string(),
                series: rows.len(),
                mean_mase: mase.iter().sum::<f64>() / mase.len().max(1) as f64,
                mean_smape: smape.iter().sum::<f64>() / smape.len().max(1) as f64,
                relative_mase: relative.as_ref().map_or(f64::NAN, |r| r.relative_mase),
                beats_reference: relative.as_ref().map_or(0, |r| r.beats_reference),
                compared: relative.as_ref().map_or(0, |r| r.series),
                seconds: wall
                    .get(method)
                    .copied()
                    .unwrap_or_else(|| rows.iter().map(|s| s.seconds).sum()),
            }
        })
        .collect()
}

/// The summary table, then the relative MASE of every method by frequency.
fn table(summaries: &[Summary], scored: &[Scored], series: &[Series]) -> String {
    let mut text = format!(
        "{:<16} {:>6} {:>10} {:>12} {:>14} {:>20} {:>9}\n",
        "method",
        "series",
        "mean MASE",
        "mean sMAPE %",
        "relative MASE",
        "beats seasonal naive",
        "seconds"
    );
    for s in summaries {
        let beats = match s.method.as_str() {
            REFERENCE => "—".to_string(),
            _ => format!("{} of {}", s.beats_reference, s.compared),
        };
        let _ = writeln!(
            text,
            "{:<16} {:>6} {:>10.3} {:>12.2} {:>14.3} {:>20} {:>9.1}",
            s.method, s.series, s.mean_mase, s.mean_smape, s.relative_mase, beats, s.seconds
        );
    }
    let mut freqs: Vec<&str> = Vec::new();
    for one in series {
        if !freqs.contains(&one.entry.freq.as_str()) {
            freqs.push(&one.entry.freq);
        }
    }
    let _ = write!(
        text,
        "\nrelative MASE by frequency (geometric mean)\n{:<16}",
        "method"
    );
    for freq in &freqs {
        let _ = write!(text, " {freq:>10}");
    }
    text += "\n";
    for s in summaries {
        let _ = write!(text, "{:<16}", s.method);
        for freq in &freqs {
            let names: Vec<&str> = series
                .iter()
                .filter(|one| one.entry.freq == *freq)
                .map(|one| one.entry.name.as_str())
                .collect();
            let in_freq: Vec<Scored> = scored
                .iter()
                .filter(|row| names.contains(&row.name.as_str()))
                .filter(|row| row.method == s.method || row.method == REFERENCE)
                .cloned()
                .collect();
            let value = summarize(&in_freq, &BTreeMap::new())
                .into_iter()
                .find(|summary| summary.method == s.method)
                .filter(|summary| summary.compared > 0)
                .map_or("—".to_string(), |summary| {
                    format!("{:.3}", summary.relative_mase)
                });
            let _ = write!(text, " {value:>10}");
        }
        text += "\n";
    }
    text
}

fn optional(value: Option<f64>) -> String {
    value.map_or(String::new(), |v| v.to_string())
}

/// Writes `accuracy.csv` and `accuracy_forecasts.csv` into `out_dir`.
fn write_csvs(out_dir: &Path, scored: &[Scored]) -> anyhow::Result<()> {
    let mut scores = String::from("name,method,mase,smape,seconds\n");
    let mut forecasts = String::from("name,method,date,forecast\n");
    for s in scored {
        let _ = writeln!(
            scores,
            "{},{},{},{},{:.3}",
            s.name,
            s.method,
            optional(s.mase),
            optional(s.smape),
            s.seconds
        );
        for (date, value) in s.dates.iter().zip(&s.forecast) {
            let _ = writeln!(forecasts, "{},{},{date},{value}", s.name, s.method);
        }
    }
    std::fs::write(out_dir.join("accuracy.csv"), scores)?;
    std::fs::write(out_dir.join("accuracy_forecasts.csv"), forecasts)?;
    Ok(())
}

/// What the bench measured.
struct Evaluated {
    /// The series, in the manifest's order.
    series: Vec<Series>,
    /// Every method's forecast of every series it forecast, scored.
    scored: Vec<Scored>,
    /// Each method's wall seconds where they are not the sum of its series' (the Yoho methods,
    /// whose series train side by side).
    wall: BTreeMap<String, f64>,
}

/// Every method's scores on every series of `args.dir`.
fn evaluate(
    args: &AccuracyArgs,
    sections: &toml::Table,
    out_dir: &Path,
) -> anyhow::Result<Evaluated> {
    let entries = read_manifest(&args.dir)?;
    // without --recipe, a panel gets the recipe's own panel model; with it, the file's model
    // and its [train] keys over the panel recipe's, as the trainer reads a panel's config (the
    // per-frequency configs are built on one series, whose recipe would fill one series' keys)
    let panel_sections = match sections.is_empty() {
        true => trainer::recipe_sections(true),
        false => over_panel_training(sections),
    };
    let mut series = load_all(&entries, sections, &panel_sections)?;
    if let Some(seed) = args.seed {
        for one in &mut series {
            if let Yoho::Networks { config, panel } = &mut one.yoho {
                config.train.seed = seed;
                panel.train.seed = seed;
            }
        }
    }
    let scratch = out_dir.join(format!("accuracy-runs-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let mut wall = BTreeMap::new();
    let mut scored = baselines(&series, args.jobs)?;
    eprintln!(
        "yoho: {} series, one model each, {} at a time",
        series.len(),
        args.jobs
    );
    let start = Instant::now();
    scored.extend(per_series(&series, args.jobs, &scratch)?);
    wall.insert("yoho".to_string(), start.elapsed().as_secs_f64());
    eprintln!(
        "yoho_global: one model per frequency, {} at a time",
        args.jobs
    );
    let start = Instant::now();
    scored.extend(global(&series, args.jobs, &scratch)?);
    wall.insert("yoho_global".to_string(), start.elapsed().as_secs_f64());
    if args.vs_statsforecast {
        eprintln!("statsforecast: Naive, SeasonalNaive, AutoETS, AutoARIMA, AutoTheta");
        scored.extend(statsforecast(&args.dir, &series, out_dir)?);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(Evaluated {
        series,
        scored,
        wall,
    })
}

/// `sections` with the panel recipe's `[train]` keys that its own `[train]` does not set.
fn over_panel_training(sections: &toml::Table) -> toml::Table {
    let mut merged = sections.clone();
    trainer::fill_recipe_training(&mut merged, true);
    merged
}

/// The `[model]` and `[train]` sections of the config at `path` (`--recipe`).
fn recipe_sections(path: &Path) -> anyhow::Result<toml::Table> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not TOML", path.display()))?;
    Ok(table
        .into_iter()
        .filter(|(section, _)| section == "model" || section == "train")
        .collect())
}

/// Rows a `--short` series keeps beyond two horizons: a history of `horizon + 12` values
/// before its origin (18 yearly, 20 quarterly, 30 monthly), too few for the recipe's networks
/// (which need `2 × horizon + 16`), as many of the M4 competition's yearly series are.
const SHORT_EXTRA_ROWS: usize = 12;

/// Copies of `dir`'s manifest and series into `cut_dir`, each series' file cut to its header
/// and its last `2 × horizon + SHORT_EXTRA_ROWS` lines (`--short`), or `horizon + season + 1`
/// where that is more (MASE's scale needs a season and one value before the origin: 66 of a
/// weekly series at horizon 13); `cut_dir`.
fn cut_copies(dir: &Path, cut_dir: &Path) -> anyhow::Result<PathBuf> {
    let entries = read_manifest(dir)?;
    let _ = std::fs::remove_dir_all(cut_dir);
    std::fs::create_dir_all(cut_dir)?;
    std::fs::copy(dir.join("manifest.csv"), cut_dir.join("manifest.csv"))?;
    for entry in &entries {
        let text = std::fs::read_to_string(&entry.file)
            .with_context(|| format!("cannot read {}", entry.file.display()))?;
        let mut lines = text.lines().filter(|line| !line.trim().is_empty());
        let header = lines.next().unwrap_or_default();
        let rows: Vec<&str> = lines.collect();
        // MASE's scale needs a season and one value before the origin
        let keep = (2 * entry.horizon + SHORT_EXTRA_ROWS).max(entry.horizon + entry.season + 1);
        let mut cut = format!("{header}\n");
        for row in &rows[rows.len().saturating_sub(keep)..] {
            cut += row;
            cut.push('\n');
        }
        let relative = entry.file.strip_prefix(dir).unwrap_or(&entry.file);
        let copy = cut_dir.join(relative);
        if let Some(parent) = copy.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&copy, cut)?;
    }
    Ok(cut_dir.to_path_buf())
}

/// Runs the accuracy bench.
pub fn run(args: &AccuracyArgs) -> anyhow::Result<()> {
    let sections = match &args.recipe {
        None => toml::Table::new(),
        Some(path) => recipe_sections(path)?,
    };
    let out_dir = target_dir().join("bench");
    std::fs::create_dir_all(&out_dir)?;
    let cut;
    let args = match args.short {
        false => args,
        true => {
            let dir = cut_copies(&args.dir, &out_dir.join("accuracy-short"))?;
            cut = AccuracyArgs {
                dir,
                ..args.clone()
            };
            &cut
        }
    };
    let Evaluated {
        series,
        scored,
        wall,
    } = evaluate(args, &sections, &out_dir)?;
    write_csvs(&out_dir, &scored)?;
    let summaries = summarize(&scored, &wall);
    println!(
        "M4 protocol on {} series of {}: each forecast `horizon` steps from its origin; relative \
         MASE is the geometric mean of MASE over the seasonal naive's (below 1 beats it)",
        series.len(),
        args.dir.display(),
    );
    println!("{}", table(&summaries, &scored, &series));
    println!(
        "yoho and yoho_global: seconds of wall time for all series, on {} job(s); statsforecast: \
         its fits' own time, numba's compilation excluded",
        args.jobs
    );
    println!("written: {}", out_dir.join("accuracy.csv").display());
    if let Some(second) = args.second_seed {
        let again = AccuracyArgs {
            seed: Some(second),
            vs_statsforecast: false,
            ..args.clone()
        };
        let other = evaluate(&again, &sections, &out_dir)?.scored;
        println!("{}", seed_changes(&scored, &other, second));
    }
    Ok(())
}

/// How much each Yoho method's per-series MASE moves between the runs `first` and `second`
/// (the latter with seed `seed`): the median and the largest relative change.
fn seed_changes(first: &[Scored], second: &[Scored], seed: u64) -> String {
    let mut text = format!("seed to seed (against --seed {seed}), change of each series' MASE:\n");
    for method in ["yoho", "yoho_global"] {
        let changes: Vec<f64> = first
            .iter()
            .filter(|row| row.method == method)
            .filter_map(|row| {
                let other = second
                    .iter()
                    .find(|o| o.method == method && o.name == row.name)?;
                let (a, b) = (row.mase?, other.mase?);
                (a > 0.0 && b > 0.0).then(|| (b / a).max(a / b))
            })
            .collect();
        if changes.is_empty() {
            continue;
        }
        let (median, _, largest) = crate::spread(&changes);
        let _ = writeln!(
            text,
            "{method:<12} median {:.1} %, largest ×{:.2}",
            100.0 * (median - 1.0),
            largest
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_is_read_by_column_name_and_bad_rows_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(dir.path().join("manifest.csv"), text).unwrap();
        write("name,file,freq,season,horizon,n\nnile,nile.csv,yearly,1,6,100\n");
        let entries = read_manifest(dir.path()).unwrap();
        assert_eq!(entries[0].name, "nile");
        assert_eq!(entries[0].file, dir.path().join("nile.csv"));
        assert_eq!((entries[0].season, entries[0].horizon), (1, 6));
        write("name,file,freq,season,horizon\nnile,nile.csv,yearly,1,six\n");
        let error = format!("{:#}", read_manifest(dir.path()).unwrap_err());
        assert!(
            error.contains("row 2") && error.contains("horizon"),
            "{error}"
        );
        write("name,file,season,horizon\n");
        let error = format!("{:#}", read_manifest(dir.path()).unwrap_err());
        assert!(error.contains("`freq`"), "{error}");
    }

    #[test]
    fn the_summary_compares_with_the_seasonal_naive_series_by_series() {
        let row = |name: &str, method: &str, mase: f64| Scored {
            name: name.into(),
            method: method.into(),
            mase: Some(mase),
            smape: Some(10.0 * mase),
            seconds: 1.0,
            dates: Vec::new(),
            forecast: Vec::new(),
        };
        let scored = [
            row("a", REFERENCE, 2.0),
            row("b", REFERENCE, 1.0),
            row("a", "m", 1.0),
            row("b", "m", 2.0),
        ];
        let summaries = summarize(&scored, &BTreeMap::new());
        let m = summaries.iter().find(|s| s.method == "m").unwrap();
        // ratios 0.5 and 2: geometric mean 1; one series beaten
        assert!((m.relative_mase - 1.0).abs() < 1e-12);
        assert_eq!((m.beats_reference, m.compared), (1, 2));
        assert!((m.mean_mase - 1.5).abs() < 1e-12 && (m.mean_smape - 15.0).abs() < 1e-12);
        assert!((m.seconds - 2.0).abs() < 1e-12);
    }

    /// The bench on `dir`'s manifest, `jobs` series at a time, with the recipe's seed.
    fn bench_args(dir: &Path, jobs: usize) -> AccuracyArgs {
        AccuracyArgs {
            dir: dir.to_path_buf(),
            vs_statsforecast: false,
            jobs,
            seed: None,
            second_seed: None,
            recipe: None,
            short: false,
        }
    }

    /// A monthly series of `rows` rows from 1990: a yearly cycle on a trend.
    fn monthly_csv(rows: usize, phase: f64) -> String {
        let mut text = String::from("Date,value\n");
        for i in 0..rows {
            let (year, month) = (1990 + i / 12, 1 + i % 12);
            let value =
                100.0 + i as f64 + 10.0 * ((i as f64 + phase) * std::f64::consts::PI / 6.0).sin();
            text += &format!("{year}-{month:02}-01,{value:.3}\n");
        }
        text
    }

    #[test]
    fn every_method_forecasts_every_series_from_its_origin() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), monthly_csv(96, 0.0)).unwrap();
        std::fs::write(dir.path().join("b.csv"), monthly_csv(84, 3.0)).unwrap();
        std::fs::write(
            dir.path().join("manifest.csv"),
            "name,file,freq,season,horizon\na,a.csv,monthly,12,6\nb,b.csv,monthly,12,6\n",
        )
        .unwrap();
        let sections: toml::Table = toml::from_str("[train]\nepochs = 3").unwrap();
        let args = bench_args(dir.path(), 2);
        let out = tempfile::tempdir().unwrap();
        let Evaluated { scored, wall, .. } = evaluate(&args, &sections, out.path()).unwrap();
        for method in [
            "naive",
            REFERENCE,
            "ets",
            "holt_winters",
            "arima",
            "log_arima",
            "yoho",
            "yoho_global",
        ] {
            for (name, last_year) in [("a", 1997), ("b", 1996)] {
                let row = scored
                    .iter()
                    .find(|s| s.name == name && s.method == method)
                    .unwrap_or_else(|| panic!("no {method} row for {name}"));
                assert!(row.mase.is_some_and(f64::is_finite), "{method} {name}");
                assert_eq!(row.forecast.len(), 6);
                // the last six months of the series
                assert_eq!(row.dates[0].to_string(), format!("{last_year}-07-01"));
            }
        }
        // the seasonal naive repeats last year's values exactly, shifted by the trend of 12
        let seasonal = scored
            .iter()
            .find(|s| s.name == "a" && s.method == REFERENCE)
            .unwrap();
        assert!((seasonal.mase.unwrap() - 1.0).abs() < 1e-9);
        assert!(wall.contains_key("yoho") && wall.contains_key("yoho_global"));
        write_csvs(out.path(), &scored).unwrap();
        let csv = std::fs::read_to_string(out.path().join("accuracy.csv")).unwrap();
        assert!(csv.starts_with("name,method,mase,smape,seconds\n"));
        assert_eq!(csv.lines().count(), 1 + 2 * 8);
    }

    #[test]
    fn a_series_too_short_for_the_networks_gets_the_recipes_statistical_voices() {
        // "b" holds 30 months: cut to its last 2 × 6 + 12 rows by --short, too few for the
        // recipe's networks (3 × 6 + 16 rows for a run), so both Yoho methods forecast it with
        // exponential smoothing and ARIMA's voice alone; "a" keeps its networks
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("m")).unwrap();
        std::fs::write(dir.path().join("a.csv"), monthly_csv(96, 0.0)).unwrap();
        std::fs::write(dir.path().join("m/b.csv"), monthly_csv(30, 3.0)).unwrap();
        std::fs::write(
            dir.path().join("manifest.csv"),
            "name,file,freq,season,horizon\na,a.csv,monthly,12,6\nb,m/b.csv,monthly,12,6\n",
        )
        .unwrap();
        let out = tempfile::tempdir().unwrap();
        let cut = cut_copies(dir.path(), &out.path().join("short")).unwrap();
        let lines = |path: &Path| std::fs::read_to_string(path).unwrap().lines().count();
        assert_eq!(lines(&cut.join("a.csv")), 1 + 24);
        assert_eq!(lines(&cut.join("m/b.csv")), 1 + 24);
        let args = bench_args(dir.path(), 1);
        let sections: toml::Table = toml::from_str("[train]\nepochs = 2").unwrap();
        let Evaluated { scored, .. } = evaluate(&args, &sections, out.path()).unwrap();
        let history: Vec<f64> = (monthly_csv(30, 3.0).lines().skip(1))
            .map(|line| line.split_once(',').unwrap().1.parse().unwrap())
            .collect();
        let season = Some(12);
        let voices = [
            vec![
                Statistical::from(Ets { season }),
                HoltWinters { season }.into(),
            ],
            vec![Arima { season }.into(), LogArima { season }.into()],
        ];
        let blend = yoho_eval::Blend::of_voices(voices, 0).with_rule(yoho_eval::BlendRule::Median);
        let expected = blend.forecast_alone(&history[..24], 6);
        for method in ["yoho", "yoho_global"] {
            let row = (scored.iter())
                .find(|s| s.name == "b" && s.method == method)
                .unwrap_or_else(|| panic!("no {method} row for b"));
            assert_eq!(row.forecast, expected, "{method}");
            assert!(row.mase.is_some_and(f64::is_finite), "{method}");
            assert!(scored.iter().any(|s| s.name == "a" && s.method == method));
        }
        // its baselines are scored from the same origin
        let ets = (scored.iter())
            .find(|s| s.name == "b" && s.method == "ets")
            .unwrap();
        assert_eq!(ets.dates[0].to_string(), "1992-01-01");
        // a --recipe of its own names no voices to fall back on: the series is an error
        let own: toml::Table = toml::from_str("[model]\nhidden_size = 4").unwrap();
        let error = evaluate(&args, &own, out.path()).err().expect("too short");
        assert!(format!("{error:#}").contains("30 rows"), "{error:#}");
        // a series shorter than its test period and a window is an error naming it, before
        // the voices are fitted (not an overflow)
        std::fs::write(dir.path().join("m/b.csv"), monthly_csv(12, 3.0)).unwrap();
        let error = evaluate(&args, &sections, out.path())
            .err()
            .expect("too short");
        assert!(
            format!("{error:#}").contains("series b: 12 values"),
            "{error:#}"
        );
    }

    #[test]
    fn the_trainers_recipe_panel_makes_the_global_forecasts() {
        // two monthly series of the manifest, and the same in one long-format file; "b" is too
        // short to leave 16 training windows of two horizons, but not to leave one
        let dir = tempfile::tempdir().unwrap();
        let mut long = String::from("Date,series,value\n");
        for (name, rows, phase) in [("a", 96, 0.0), ("b", 40, 3.0)] {
            let csv = monthly_csv(rows, phase);
            std::fs::write(dir.path().join(format!("{name}.csv")), &csv).unwrap();
            for line in csv.lines().skip(1) {
                let (date, value) = line.split_once(',').unwrap();
                long += &format!("{date},{name},{value}\n");
            }
        }
        std::fs::write(
            dir.path().join("manifest.csv"),
            "name,file,freq,season,horizon\na,a.csv,monthly,12,6\nb,b.csv,monthly,12,6\n",
        )
        .unwrap();
        let sections = "[model]\nfamily = \"es_rnn\"\nhidden_size = 8\n\n[train]\nepochs = 3\n";
        let args = bench_args(dir.path(), 1);
        let out = tempfile::tempdir().unwrap();
        let bench = evaluate(&args, &toml::from_str(sections).unwrap(), out.path()).unwrap();
        // the trainer on the long file, with a config of its data and the same sections
        let data = dir.path().join("long.csv");
        std::fs::write(&data, long).unwrap();
        let config = dir.path().join("long.toml");
        let text = format!(
            "[data]\npath = {:?}\nseries_column = \"series\"\ntarget = \"value\"\n\
             horizon = 6\n\n{sections}",
            data.display().to_string()
        );
        std::fs::write(&config, text).unwrap();
        let run = dir.path().join("run");
        let train = trainer::cli::TrainArgs {
            config,
            data: None,
            epochs: None,
            out: Some(run.clone()),
            overwrite: false,
            resume: None,
            device: DeviceChoice::Cpu,
        };
        trainer::train::train_and_evaluate(&train).unwrap();
        for name in ["a", "b"] {
            let by_step =
                std::fs::read_to_string(run.join("series").join(name).join("by_step.csv")).unwrap();
            // window, first_target_date, steps_ahead, actual, model, …
            let ours: Vec<f64> = (by_step.lines().skip(1))
                .map(|line| line.split(',').nth(4).unwrap().parse().unwrap())
                .collect();
            let global = (bench.scored.iter())
                .find(|s| s.name == name && s.method == "yoho_global")
                .unwrap();
            assert_eq!(ours.len(), global.forecast.len());
            for (a, b) in ours.iter().zip(&global.forecast) {
                assert!(
                    (a - b).abs() <= 1e-9 * b.abs(),
                    "{name}: {ours:?} vs {:?}",
                    global.forecast
                );
            }
        }
    }

    #[test]
    fn seed_changes_are_relative_and_symmetric() {
        let row = |name: &str, mase: f64| Scored {
            name: name.into(),
            method: "yoho".into(),
            mase: Some(mase),
            smape: None,
            seconds: 0.0,
            dates: Vec::new(),
            forecast: Vec::new(),
        };
        let first = [row("a", 1.0), row("b", 2.0), row("c", 1.0)];
        let second = [row("a", 1.1), row("b", 1.0), row("c", 1.0)];
        // changes ×1.1, ×2 (a halving counts as a doubling) and ×1: median 10 %, largest ×2
        let text = seed_changes(&first, &second, 43);
        assert!(text.contains("median 10.0 %, largest ×2.00"), "{text}");
        // an even count: the mean of the middle two (×1.1 and ×1.3)
        let (first, second) = (
            [
                first[0].clone(),
                first[1].clone(),
                first[2].clone(),
                row("d", 1.0),
            ],
            [
                second[0].clone(),
                second[1].clone(),
                second[2].clone(),
                row("d", 1.3),
            ],
        );
        let text = seed_changes(&first, &second, 43);
        assert!(text.contains("median 20.0 %, largest ×2.00"), "{text}");
    }
}
