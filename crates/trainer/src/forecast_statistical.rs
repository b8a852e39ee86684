//! `trainer forecast` of series too short for the recipe's networks: fewer rows than a
//! validation period of a horizon and 16 training windows need (four years of a monthly series
//! at horizon 18; many of the M4 competition's yearly series). Where the config
//! leaves `[model]` to the recipe, such a series is forecast by the recipe's statistical
//! voices alone (exponential smoothing, and ARIMA on the values and on the logarithm), fitted on
//! its whole history, with intervals calibrated on their own errors at rolling origins
//! (`yoho_eval::statistical_only`). A panel's series that its networks' fit leaves out (too
//! short for the windows, or constant) are forecast the same way beside the others.
//!
//! The run directory holds the config as written, `statistical.json` (what `trainer predict`
//! forecasts new data with), and the forecast files of a network's run.

use std::path::Path;

use anyhow::Context;
use toml::Table;
use yoho_data::{DataConfig, LoadedSeries};
use yoho_eval::backtest::BacktestSpec;
use yoho_eval::baselines::Baseline;
use yoho_eval::intervals::percent;
use yoho_eval::{Blend, BlendRule, Conformal};

use crate::RunOutcome;
use crate::artifacts::{RunDir, files};
use crate::cli::{BacktestArgs, ForecastArgs};
use crate::config::{EvaluateSection, Voice, baselines_of};
use crate::forecast_fit::{data_file as data_path, write_forecast};
use crate::panel::{SeriesEntry, series_dir, series_entries, write_series_lists};
use crate::predict::{Forecast, forecasts_csv, print_forecasts, statistical_forecast};
use crate::recipe::TooShort;
use crate::statistical_run::{StatisticalRun, alone_data};

/// Forecasts the series `short` describes (one, or every series of a panel) by the recipe's
/// statistical voices alone, and writes the run directory.
pub(crate) fn forecast_too_short(
    short: &TooShort,
    args: &ForecastArgs,
) -> anyhow::Result<RunOutcome> {
    let Fallback {
        text,
        table,
        statistical,
        blend,
    } = Fallback::start(short, &args.config, "forecast")?;
    let data = &statistical.data;
    // every series read before the run directory is written
    let series = load_series(data)?;
    let default = Path::new("runs").join(format!("{}-forecast", run_name(&table, &args.config)));
    let run = RunDir::create_for_command(args.out.as_deref(), args.overwrite, &default)?;
    // first: a directory with a config.toml is one --overwrite may replace
    run.write(files::CONFIG, text.as_bytes())?;
    statistical.save(&run)?;
    let voices = (&blend, statistical.levels.as_slice());
    let named: Vec<(Option<String>, Forecast)> = match data.series_column {
        None => {
            let (_, loaded) = &series[0];
            vec![(None, forecast_into(&run, voices, data, loaded, None)?)]
        }
        Some(_) => {
            let names: Vec<&str> = series
                .iter()
                .filter_map(|(name, _)| name.as_deref())
                .collect();
            let entries = series_entries(&names);
            write_series_lists(&run, &entries, &[])?;
            (entries.iter().zip(&series))
                .map(|(entry, (name, loaded))| {
                    let dir = RunDir::create(&series_dir(&run, entry))?;
                    let forecast = forecast_into(&dir, voices, data, loaded, name.as_deref())?;
                    Ok((name.clone(), forecast))
                })
                .collect::<anyhow::Result<_>>()?
        }
    };
    let borrowed: Vec<(Option<&str>, &Forecast)> = (named.iter())
        .map(|(name, forecast)| (name.as_deref(), forecast))
        .collect();
    run.write(files::FORECAST, forecasts_csv(&borrowed).as_bytes())?;
    print_forecasts(&borrowed);
    println!(
        "fitted exponential smoothing and ARIMA on every row; forecast written to {}",
        run.file(files::FORECAST).display()
    );
    Ok(RunOutcome::Completed)
}

/// The series `data` names: one (with its cleaning notes printed), or each of a panel's by
/// its name.
fn load_series(data: &DataConfig) -> anyhow::Result<Vec<(Option<String>, LoadedSeries)>> {
    Ok(match &data.series_column {
        None => {
            let loaded = yoho_data::load(data, &[])?;
            crate::notes::print_series_notes(&loaded.cleaning_notes());
            vec![(None, loaded)]
        }
        Some(column) => {
            yoho_data::load_file_panel(&data_path(data), &data.load_options(&[]), column)?
                .into_iter()
                .map(|(name, loaded)| (Some(name), loaded))
                .collect()
        }
    })
}

/// What a command on a series too short for the recipe's networks starts from: the config as
/// written (its text and table), the recipe's statistical run for the series and its blend.
pub(crate) struct Fallback {
    pub text: String,
    pub table: Table,
    pub statistical: StatisticalRun,
    pub blend: Blend,
}

impl Fallback {
    /// Reads the config at `config_path` (which the recipe refused with `short`), and says
    /// that the series is `done` ("forecast", "evaluated") with the voices alone.
    pub(crate) fn start(short: &TooShort, config_path: &Path, done: &str) -> anyhow::Result<Self> {
        let (text, table) = read_config(config_path)?;
        let statistical = statistical_run(short, &table, config_path)?;
        let blend = statistical.blend()?;
        eprintln!(
            "note: {}: {done} with the recipe's exponential smoothing and ARIMA alone",
            statistical.why
        );
        Ok(Self {
            text,
            table,
            statistical,
            blend,
        })
    }
}

/// What a backtest of a series (or a panel) too short for the recipe's networks starts from:
/// the fallback, the backtest of its voices alone, the baselines measured beside them and the
/// `[data]` the voices read (`statistical_run::alone_data`).
pub(crate) struct FallbackBacktest {
    pub fallback: Fallback,
    pub spec: BacktestSpec,
    pub baselines: Vec<Box<dyn Baseline>>,
    pub data: DataConfig,
}

impl FallbackBacktest {
    /// [`Fallback::start`] for `trainer backtest` with `args`.
    pub(crate) fn start(short: &TooShort, args: &BacktestArgs) -> anyhow::Result<Self> {
        let fallback = Fallback::start(short, &args.config, "backtested")?;
        let statistical = &fallback.statistical;
        let spec = statistical.backtest_spec(args, fallback.blend.clone());
        let baselines = baselines_of(statistical.season, Some(fallback.blend.clone()));
        let data = alone_data(&statistical.data);
        Ok(Self {
            fallback,
            spec,
            baselines,
            data,
        })
    }

    /// The backtest's directory (`--out`, else `runs/<name>-backtest`), with the config as
    /// written and `statistical.json`; and the run's name.
    pub(crate) fn create_run(&self, args: &BacktestArgs) -> anyhow::Result<(String, RunDir)> {
        let name = run_name(&self.fallback.table, &args.config);
        let default = Path::new("runs").join(format!("{name}-backtest"));
        let run = RunDir::create_for_command(args.out.as_deref(), args.overwrite, &default)?;
        // first: a directory with a config.toml is one --overwrite may replace
        run.write(files::CONFIG, self.fallback.text.as_bytes())?;
        self.fallback.statistical.save(&run)?;
        Ok((name, run))
    }
}

/// The text of the config file at `path` and its table.
fn read_config(path: &Path) -> anyhow::Result<(String, Table)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let table: Table =
        toml::from_str(&text).with_context(|| format!("{} is not a TOML file", path.display()))?;
    Ok((text, table))
}

/// The run's name: the config's `name`, else its file's stem, as a run of networks names it.
pub(crate) fn run_name(table: &Table, path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned());
    (table
        .get("name")
        .and_then(toml::Value::as_str)
        .map(str::to_string))
    .or(stem)
    .unwrap_or_else(|| "run".to_string())
}

/// The forecast of a panel's series `entry` (`loaded`) that its networks' fit left out (`why`:
/// too short for the windows, or constant), by the run's statistical voices alone (`blend`,
/// intervals of `levels`), its files written into its directory of `run`.
pub(crate) fn forecast_left_out(
    run: &RunDir,
    (blend, levels): (&Blend, &[f64]),
    data: &DataConfig,
    (entry, loaded): (&SeriesEntry, &LoadedSeries),
    why: &str,
) -> anyhow::Result<Forecast> {
    eprintln!(
        "note: series '{}' is left out of the panel's networks ({why}): forecast by \
         exponential smoothing and ARIMA alone",
        entry.name
    );
    let dir = RunDir::create(&series_dir(run, entry))?;
    forecast_into(&dir, (blend, levels), data, loaded, Some(&entry.name))
}

/// `loaded`'s forecast of `data`'s horizon by `blend` alone, with its chart, `forecast.csv`
/// and interval calibration written into `dir`.
fn forecast_into(
    dir: &RunDir,
    (blend, levels): (&Blend, &[f64]),
    data: &DataConfig,
    loaded: &LoadedSeries,
    series_name: Option<&str>,
) -> anyhow::Result<Forecast> {
    let series = (&loaded.series, data);
    let (forecast, calibration) =
        statistical_forecast(blend, levels, series, &data_path(data), data.horizon)?;
    dir.write(
        files::INTERVALS,
        serde_json::to_string_pretty(&calibration)?.as_bytes(),
    )?;
    note_on_missing_levels(&calibration, series_name);
    write_forecast(dir, &data.target, (loaded, series_name), &forecast)?;
    Ok(forecast)
}

/// Says which interval levels `calibration` (one per step) cannot give at some steps, and why:
/// the rolling origins give fewer errors than the level needs, the farther steps fewest.
fn note_on_missing_levels(calibration: &[Conformal], series_name: Option<&str>) {
    let (Some(first), Some(last)) = (calibration.first(), calibration.last()) else {
        return;
    };
    let of = series_name.map_or_else(String::new, |name| format!(" of series '{name}'"));
    for (index, level) in first.levels.iter().enumerate() {
        let missing = (calibration.iter())
            .filter(|step| step.half_widths[index].is_none())
            .count();
        if missing > 0 {
            eprintln!(
                "note: no {} % interval{of} at {missing} of {} steps: it needs {} errors, and \
                 the rolling origins over the series' newer half give {} at the first step and \
                 {} at the last",
                percent(*level),
                calibration.len(),
                Conformal::errors_needed(*level),
                first.calibration_size,
                last.calibration_size,
            );
        }
    }
}

/// The recipe's statistical voices (`[model] statistical`) and how they combine (`[model]
/// blend`), of a panel's recipe (`panel`) or one series'.
fn recipe_voices(panel: bool) -> anyhow::Result<(Vec<Voice>, Option<BlendRule>)> {
    let model = &crate::recipe::sections(panel)["model"];
    let statistical: Vec<Voice> = (model.get("statistical").cloned())
        .context("the recipe names its statistical voices")?
        .try_into()?;
    let blend = (model.get("blend").cloned())
        .map(toml::Value::try_into)
        .transpose()?;
    Ok((statistical, blend))
}

/// What the default recipe forecasts a series too short for its networks with (`short`, the
/// recipe's refusal, from `ExperimentConfig::from_table`): its statistical voices alone,
/// seasonally adjusted with the season of the series' frequency. The accuracy bench forecasts
/// such a series with it, as `trainer forecast` does.
pub fn recipe_blend(short: &TooShort) -> anyhow::Result<Blend> {
    let (statistical, rule) = recipe_voices(short.data.series_column.is_some())?;
    let season = Some(short.season).filter(|season| *season > 1);
    crate::config::blend_of(&statistical, rule, 0, season)
        .context("the recipe names its statistical voices")
}

/// What the recipe forecasts `short`'s series with: its statistical voices and their rule, the
/// season (the config's `[evaluate]` or `[data] season`, that of the series' frequency without
/// them), and the interval levels of the config's `[evaluate] intervals` (`table`, read from
/// `config_path`) or the default.
fn statistical_run(
    short: &TooShort,
    table: &Table,
    config_path: &Path,
) -> anyhow::Result<StatisticalRun> {
    let (statistical, blend) = recipe_voices(short.data.series_column.is_some())?;
    let levels = match (table.get("evaluate")).and_then(|evaluate| evaluate.get("intervals")) {
        Some(levels) => levels.clone().try_into().with_context(|| {
            format!(
                "{}: [evaluate] intervals: expected a list of levels in (0, 1)",
                config_path.display()
            )
        })?,
        None => EvaluateSection::default().intervals,
    };
    if let Some(level) = levels
        .iter()
        .find(|level| !(0.0..1.0).contains(*level) || **level == 0.0)
    {
        anyhow::bail!(
            "{}: [evaluate] intervals: expected levels in (0, 1), got {level}",
            config_path.display()
        );
    }
    Ok(StatisticalRun {
        why: short.message.clone(),
        data: short.data.clone(),
        season: Some(season(table).unwrap_or(short.season)).filter(|season| *season > 1),
        statistical,
        blend,
        levels,
    })
}

/// The season `table` (a config) sets: `[evaluate] season`, else `[data] season`.
fn season(table: &Table) -> Option<usize> {
    let key = |section: &str| {
        (table.get(section))
            .and_then(|section| section.get("season"))
            .and_then(toml::Value::as_integer)
            .and_then(|season| usize::try_from(season).ok())
    };
    key("evaluate").or_else(|| key("data"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_season_a_config_sets_comes_before_the_frequencys() {
        let table = |text: &str| -> Table { toml::from_str(text).unwrap() };
        assert_eq!(season(&table("[data]\ntarget = \"y\"\n")), None);
        assert_eq!(season(&table("[data]\nseason = 7\n")), Some(7));
        let both = table("[data]\nseason = 7\n[evaluate]\nseason = 12\n");
        assert_eq!(season(&both), Some(12));
        assert_eq!(season(&table("[data]\nseason = -3\n")), None);
    }
}
