//! `trainer predict`: load a saved run and forecast the days after the last date of a CSV file
//! (with the networks it saved, or with the statistical members alone for a run of series too
//! short for them: `statistical.json`).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use burn::tensor::Device;
use yoho_data::{
    Cadence, Column, DataConfig, ForecastBounds, NaiveDate, RawWindow, TimeSeries, Timestamp,
    WindowCodec, calendar, load_file, load_file_panel,
};
use yoho_eval::NAIVE;
use yoho_model::Forecaster;

use yoho_data::window::MAX_STEPS;
use yoho_eval::intervals::{interval_pairs, interval_quantile_levels, percent};
use yoho_eval::statistical_only::rolling_conformal;
use yoho_eval::{Blend, Bounds, Conformal};

use crate::artifacts::{RunDir, files};
use crate::config::ExperimentConfig;
use crate::device::{DeviceChoice, select_device};
use crate::report::{push_interval_cells, push_interval_headers};
use crate::statistical_run::StatisticalRun;
use yoho_eval::parallel::{cores, in_parallel};

/// One forecast day.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastDay {
    /// Steps ahead of the last date (1 = the next trading day).
    pub step: usize,
    /// The date (or date and time), in the series' frequency (weekdays for business-daily data;
    /// holidays are not known).
    pub date: Timestamp,
    /// The model's forecast, in original units.
    pub forecast: f64,
    /// The naive forecast: the last observed value.
    pub naive: f64,
    /// The model's conformal intervals, one `(lower, upper)` per level of
    /// [`Forecast::levels`]; `None` where the run has no calibration for the level or the step.
    pub intervals: Vec<Option<(f64, f64)>>,
}

/// A forecast of some days after a series' end.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// The interval levels of every day's `intervals`, e.g. `[0.8, 0.95]`.
    pub levels: Vec<f64>,
    /// One per step ahead.
    pub days: Vec<ForecastDay>,
}

impl Forecast {
    /// Every day's forecast and interval ends brought within the [`Bounds`] `rule` gives the
    /// series' values (`history`): a series never negative is forecast non-negative.
    fn within_bounds_of(mut self, rule: ForecastBounds, history: &[f64]) -> Self {
        let bounds = Bounds::of_history(rule, history);
        for day in &mut self.days {
            day.forecast = bounds.apply(day.forecast);
            for interval in day.intervals.iter_mut().flatten() {
                *interval = bounds.apply_interval(*interval);
            }
        }
        self
    }
}

/// The run's conformal calibration at every step ahead (`intervals.json`), if it has one.
fn read_calibration(run: &RunDir) -> anyhow::Result<Vec<Conformal>> {
    let path = run.file(files::INTERVALS);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not an interval calibration", path.display()))
}

/// The intervals around `forecast` at `step` (0-based) of every level of `levels`.
fn intervals_at(
    calibration: &[Conformal],
    levels: &[f64],
    step: usize,
    forecast: f64,
) -> Vec<Option<(f64, f64)>> {
    levels
        .iter()
        .map(|level| calibration.get(step)?.interval(*level, forecast))
        .collect()
}

/// The timestamps of `steps` forecasts after the last of `history` (the series' dates), in its
/// [`Cadence`]: see [`forecast_dates`].
fn dates_after(history: &[Timestamp], steps: usize) -> anyhow::Result<Vec<Timestamp>> {
    let last = *history
        .last()
        .context("a series without dates has none to follow")?;
    forecast_dates(last, steps, &Cadence::infer(history))
}

/// The timestamps of `steps` forecasts after `last` in the series' `cadence` (weekdays for
/// business-daily data: holidays are not known; an intraday series' hours and weekdays), or an
/// error when they would run past the calendar's last date.
fn forecast_dates(
    last: Timestamp,
    steps: usize,
    cadence: &Cadence,
) -> anyhow::Result<Vec<Timestamp>> {
    let frequency = cadence.frequency;
    let mut dates = Vec::with_capacity(steps);
    let mut date = last;
    for _ in 0..steps {
        date = cadence.next(date).with_context(|| {
            format!(
                "{steps} {frequency} steps after {last} run past the last date the calendar \
                 holds ({})",
                NaiveDate::MAX
            )
        })?;
        dates.push(date);
    }
    Ok(dates)
}

/// A run directory with its config and weights loaded on the chosen device.
struct TrainedRun {
    run: RunDir,
    config: ExperimentConfig,
    model: Forecaster,
    device: Device,
}

impl TrainedRun {
    fn open(run_dir: &Path, device: DeviceChoice) -> anyhow::Result<Self> {
        let run = RunDir::open(run_dir)?;
        let device = select_device(device)?.device;
        let (config, model) = run.load_weights(&device)?;
        Ok(Self {
            run,
            config,
            model,
            device,
        })
    }

    fn model_run(&self) -> ModelRun<'_> {
        ModelRun {
            config: &self.config,
            model: &self.model,
            device: &self.device,
        }
    }

    /// The steps asked for (the run's horizon by default), checked against what it can make.
    fn steps(&self, steps: Option<usize>) -> anyhow::Result<usize> {
        let steps = steps.unwrap_or(self.config.data.horizon);
        check_steps(&self.config, steps)?;
        Ok(steps)
    }

    /// Forecasts `steps` steps after the last row of `data_path` (the run's horizon by
    /// default). A model forecasts `horizon` steps at once; more steps are made by feeding its
    /// own forecasts back, which needs its inputs to be the target and calendar features.
    fn forecast_series(&self, data_path: &Path, steps: Option<usize>) -> anyhow::Result<Forecast> {
        let steps = self.steps(steps)?;
        let loaded = load_file(data_path, &self.config.data.load_options(&[]))?;
        self.model_run()
            .forecast(&self.run, loaded.series, data_path, steps, 0)
    }

    /// Forecasts `steps` days after the last row of every series of `data_path` (a
    /// long-format file with the run's series column), each series with its own scaler and
    /// calibration; a series the run left out, by its statistical members alone (passed over
    /// without them). A series the run was not trained on is an error naming it.
    fn forecast_panel(
        &self,
        data_path: &Path,
        steps: Option<usize>,
    ) -> anyhow::Result<Vec<(String, Forecast)>> {
        let run = &self.run;
        let Some(column) = &self.config.data.series_column else {
            bail!("{} is not a panel run", run.path().display());
        };
        let steps = self.steps(steps)?;
        let entries = crate::panel::read_entries(run)?;
        let left_out = crate::panel::read_left_out(run)?;
        let series = load_file_panel(data_path, &self.config.data.load_options(&[]), column)?;
        let left = |name: &str| left_out.iter().find(|left| left.name == name);
        // the network's series side by side (each forecast holds its statistical members'
        // fits); those left out after, in the file's order, with their notes
        let members = in_parallel(&series, cores(), |_, (name, loaded)| {
            (left(name).is_none())
                .then(|| self.forecast_member(&entries, name, loaded.clone(), data_path, steps))
        });
        let mut forecasts = Vec::new();
        for ((name, loaded), member) in series.into_iter().zip(members) {
            // a series has no forecast above exactly when it was left out
            let forecast = match (member, left(&name)) {
                (Some(forecast), _) => Some(forecast?),
                (None, Some(left)) => {
                    self.forecast_left_out(&name, &left.reason, &loaded, data_path, steps)?
                }
                (None, None) => None,
            };
            forecasts.extend(forecast.map(|forecast| (name, forecast)));
        }
        Ok(forecasts)
    }

    /// The forecast of the panel's series `name` (`loaded`, from `data_path`) by the run's
    /// network, with its scaler and calibration (`entries`: the series the run knows).
    fn forecast_member(
        &self,
        entries: &[crate::panel::SeriesEntry],
        name: &str,
        loaded: yoho_data::LoadedSeries,
        data_path: &Path,
        steps: usize,
    ) -> anyhow::Result<Forecast> {
        let run = &self.run;
        let index = entries
            .iter()
            .position(|e| e.name == name)
            .with_context(|| {
                format!(
                    "{} holds series '{name}', which the run in {} was not trained on (it knows \
                     {})",
                    data_path.display(),
                    run.path().display(),
                    entries
                        .iter()
                        .map(|e| format!("'{}'", e.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        let series_run = RunDir::open_series(&crate::panel::series_dir(run, &entries[index]))?;
        (self.model_run()).forecast(&series_run, loaded.series, data_path, steps, index)
    }

    /// The forecast of a series the run left out (`why`) by its statistical members alone;
    /// `None`, with a note, when the run has none.
    fn forecast_left_out(
        &self,
        name: &str,
        why: &str,
        loaded: &yoho_data::LoadedSeries,
        data_path: &Path,
        steps: usize,
    ) -> anyhow::Result<Option<Forecast>> {
        let Some(blend) = self.config.blend() else {
            eprintln!("note: series '{name}' is not forecast: the run left it out ({why})");
            return Ok(None);
        };
        let levels = &self.config.evaluate.intervals;
        let series = (&loaded.series, &self.config.data);
        let (forecast, _) = statistical_forecast(&blend, levels, series, data_path, steps)?;
        Ok(Some(forecast))
    }
}

/// A trained model and what it needs to forecast.
pub(crate) struct ModelRun<'a> {
    pub config: &'a ExperimentConfig,
    pub model: &'a Forecaster,
    pub device: &'a Device,
}

impl ModelRun<'_> {
    /// The forecast of `steps` days after `series` (read from `data_path`), with the scaler and
    /// the calibration saved in `files` (the run, or a panel run's series directory);
    /// `series_index` is the series' place in a panel run (in `panel.json`; 0 for a run of one
    /// series), which picks the model's parameters of that series (the hybrid's smoothing
    /// coefficients). A series never negative is forecast non-negative (`yoho_eval::bounds`).
    pub fn forecast(
        &self,
        files: &RunDir,
        mut series: TimeSeries,
        data_path: &Path,
        steps: usize,
        series_index: usize,
    ) -> anyhow::Result<Forecast> {
        let (config, model, device) = (self.config, self.model, self.device);
        let data = &config.data;
        let scaler = files.load_scaler()?;
        let calibration = read_calibration(files)?;
        calendar::check_dates(&series, &data.calendar)?;
        calendar::add_columns(&mut series, &data.calendar);
        yoho_data::check_logarithms(&series, data)?;
        if series.len() < data.window_len {
            bail!(
                "{} has {} usable rows, fewer than one window: the model reads the last {} rows",
                series.source_name,
                series.len(),
                data.window_len
            );
        }
        let codec = yoho_data::codec(data, scaler)
            .with_context(|| {
                format!(
                    "the run's scaler does not fit its config in {}",
                    files.path().display()
                )
            })?
            .with_series_index(series_index);
        let last_observed = *series
            .column(&data.target)
            .and_then(<[f64]>::last)
            .expect("the series has the target column and at least one row");
        let dates = dates_after(&series.dates, steps)
            .with_context(|| format!("cannot date the forecast of {}", data_path.display()))?;
        let window = codec.raw_rows(&series, series.len() - data.window_len, data.window_len);
        let windows = std::slice::from_ref(&window);
        // beyond one forward pass, each forecast is fed back with its date's calendar
        let ahead = || vec![calendar_rows(&codec, data, &dates)];
        let mut forecasts =
            yoho_eval::forecast_fed_back(model, &codec, windows, (steps, ahead), device)?.remove(0);
        let history = series
            .column(&data.target)
            .expect("the series has the target column");
        if let Some(blend) = config.blend() {
            forecasts = blend.forecast(history, &forecasts);
        }
        let (levels, intervals) = match model.distribution().is_probabilistic() {
            // the head's own quantiles, for the steps one forward pass makes
            true => {
                let levels = config.evaluate.intervals.clone();
                let quantile_levels = interval_quantile_levels(&levels);
                let quantiles = yoho_eval::inference::forecast_quantiles(
                    model,
                    &codec,
                    &[window],
                    &quantile_levels,
                    device,
                )
                .map_or_else(Vec::new, |mut windows| windows.remove(0));
                let intervals = (0..steps)
                    .map(|step| {
                        interval_pairs(quantiles.get(step).map(Vec::as_slice), levels.len())
                    })
                    .collect::<Vec<_>>();
                (levels, intervals)
            }
            false => {
                let levels = calibration
                    .first()
                    .map_or_else(Vec::new, |first| first.levels.clone());
                let intervals = forecasts
                    .iter()
                    .enumerate()
                    .map(|(step, forecast)| intervals_at(&calibration, &levels, step, *forecast))
                    .collect::<Vec<_>>();
                (levels, intervals)
            }
        };
        let days = forecasts
            .into_iter()
            .zip(dates)
            .zip(intervals)
            .enumerate()
            .map(|(index, ((forecast, date), intervals))| ForecastDay {
                step: index + 1,
                date,
                forecast,
                naive: last_observed,
                intervals,
            })
            .collect();
        Ok(Forecast { levels, days }.within_bounds_of(data.bounds, history))
    }
}

/// The inputs of the rows at `dates` (the forecast's) as `codec` reads them: the calendar
/// columns of `data`, and the target's column as zeros, to be replaced by the forecasts.
fn calendar_rows(codec: &WindowCodec, data: &DataConfig, dates: &[Timestamp]) -> RawWindow {
    let mut future = TimeSeries {
        source_name: "the forecast's dates".into(),
        dates: dates.to_vec(),
        columns: vec![Column {
            name: data.target.clone(),
            values: vec![0.0; dates.len()],
        }],
    };
    calendar::add_columns(&mut future, &data.calendar);
    codec.raw_rows(&future, 0, dates.len())
}

/// The forecast of `steps` steps after `series` (read from `data_path`) by `blend`'s
/// statistical members alone, fitted on the whole of its target column (`data`'s), with
/// split-conformal intervals of `levels` calibrated on their errors at rolling origins over its
/// newer half (`yoho_eval::statistical_only`); and that calibration. A series never negative is
/// forecast non-negative (`yoho_eval::bounds`).
pub(crate) fn statistical_forecast(
    blend: &Blend,
    levels: &[f64],
    (series, data): (&TimeSeries, &DataConfig),
    data_path: &Path,
    steps: usize,
) -> anyhow::Result<(Forecast, Vec<Conformal>)> {
    let target = &data.target;
    let history = series
        .column(target)
        .with_context(|| format!("{} has no column {target}", data_path.display()))?;
    let (Some(&last_observed), Some(_)) = (history.last(), series.dates.last()) else {
        bail!("{} holds no rows to forecast from", data_path.display());
    };
    let dates = dates_after(&series.dates, steps)
        .with_context(|| format!("cannot date the forecast of {}", data_path.display()))?;
    let forecasts = blend.forecast_alone(history, steps);
    let calibration = rolling_conformal(blend, (history, data.bounds), steps, levels);
    let days = (forecasts.into_iter().zip(dates).enumerate())
        .map(|(index, (forecast, date))| ForecastDay {
            step: index + 1,
            date,
            forecast,
            naive: last_observed,
            intervals: intervals_at(&calibration, levels, index, forecast),
        })
        .collect();
    let forecast = Forecast {
        levels: levels.to_vec(),
        days,
    }
    .within_bounds_of(data.bounds, history);
    Ok((forecast, calibration))
}

fn check_steps(config: &ExperimentConfig, steps: usize) -> anyhow::Result<()> {
    let data = &config.data;
    if !(1..=MAX_STEPS).contains(&steps) {
        bail!("--steps: expected at least 1 and at most {MAX_STEPS} (the limit), got {steps}");
    }
    if steps > data.horizon && !data.target_and_calendar_only() {
        let calendar: Vec<&str> = data.calendar.iter().map(|feature| feature.name()).collect();
        let inputs = match calendar.is_empty() {
            true => data.features.join(", "),
            false => format!(
                "{} and the calendar features {}",
                data.features.join(", "),
                calendar.join(", ")
            ),
        };
        bail!(
            "this model forecasts {} step(s) at once from {inputs}; --steps {steps} would need \
             it to feed back its own forecasts, which only works when its inputs are the \
             target and calendar features: train with [data] horizon = {steps} to forecast that \
             far",
            data.horizon,
        );
    }
    Ok(())
}

/// The forecast as CSV: `step,date,forecast,naive`, then `lower_80,upper_80,…` (empty where a
/// step has no calibrated interval).
pub fn forecast_csv(forecast: &Forecast) -> String {
    forecasts_csv(&[(None, forecast)])
}

/// The forecasts of several series as one CSV, a first column `series` naming each row's series
/// when they have names.
pub(crate) fn forecasts_csv(forecasts: &[(Option<&str>, &Forecast)]) -> String {
    let named = forecasts.iter().any(|(name, _)| name.is_some());
    let mut text = String::from(if named { "series," } else { "" });
    text += "step,date,forecast,naive";
    let levels = forecasts.first().map_or(&[][..], |(_, f)| &f.levels[..]);
    push_interval_headers(&mut text, levels.iter().copied());
    text += "\n";
    for (name, forecast) in forecasts {
        for day in &forecast.days {
            if let Some(name) = name {
                text += &crate::report::csv_cell(name);
                text += ",";
            }
            let _ = write!(
                text,
                "{},{},{},{}",
                day.step, day.date, day.forecast, day.naive
            );
            for level in 0..levels.len() {
                push_interval_cells(&mut text, day.intervals.get(level).copied().flatten());
            }
            text += "\n";
        }
    }
    text
}

/// Runs `trainer predict`: prints the forecast (of every series, for a panel run) and writes it
/// to `--out` (default `<run>/forecast.csv`).
pub fn run_predict(args: &crate::cli::PredictArgs) -> anyhow::Result<()> {
    let run = RunDir::open(&args.run)?;
    let forecasts = match StatisticalRun::open(&run)? {
        Some(statistical) => predict_statistically(&statistical, &args.data, args.steps)?,
        None => predict_with_networks(args)?,
    };
    let borrowed: Vec<(Option<&str>, &Forecast)> = forecasts
        .iter()
        .map(|(name, forecast)| (name.as_deref(), forecast))
        .collect();
    print_forecasts(&borrowed);
    if let Some(note) = missing_intervals_note(&borrowed) {
        eprintln!("note: {note}");
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.run.join(files::FORECAST));
    crate::artifacts::write_atomic(&out, forecasts_csv(&borrowed).as_bytes())?;
    println!("forecast written to {}", out.display());
    Ok(())
}

/// The forecasts of every series of `args.data` by the run's networks.
fn predict_with_networks(
    args: &crate::cli::PredictArgs,
) -> anyhow::Result<Vec<(Option<String>, Forecast)>> {
    let trained = TrainedRun::open(&args.run, args.device)?;
    Ok(match &trained.config.data.series_column {
        None => vec![(None, trained.forecast_series(&args.data, args.steps)?)],
        Some(_) => trained
            .forecast_panel(&args.data, args.steps)?
            .into_iter()
            .map(|(name, forecast)| (Some(name), forecast))
            .collect(),
    })
}

/// The forecasts of every series of `data_path` (one, or a panel's) by a statistical run's
/// voices, fitted afresh on each series (`steps`: the run's horizon by default).
fn predict_statistically(
    statistical: &StatisticalRun,
    data_path: &Path,
    steps: Option<usize>,
) -> anyhow::Result<Vec<(Option<String>, Forecast)>> {
    let data = &statistical.data;
    let steps = steps.unwrap_or(data.horizon);
    if !(1..=MAX_STEPS).contains(&steps) {
        bail!("--steps: expected at least 1 and at most {MAX_STEPS} (the limit), got {steps}");
    }
    let blend = statistical.blend()?;
    let options = data.load_options(&[]);
    let series: Vec<(Option<String>, TimeSeries)> = match &data.series_column {
        None => vec![(None, load_file(data_path, &options)?.series)],
        Some(column) => (load_file_panel(data_path, &options, column)?.into_iter())
            .map(|(name, loaded)| (Some(name), loaded.series))
            .collect(),
    };
    (series.into_iter())
        .map(|(name, series)| {
            let of = (&series, data);
            let (forecast, _) =
                statistical_forecast(&blend, &statistical.levels, of, data_path, steps)?;
            Ok((name, forecast))
        })
        .collect()
}

/// Why some intervals are missing ("—"), when they are: the run's validation windows calibrated
/// no level, or not every step forecast; `None` when every interval is there.
fn missing_intervals_note(forecasts: &[(Option<&str>, &Forecast)]) -> Option<String> {
    let cells = || {
        (forecasts.iter())
            .flat_map(|(_, forecast)| &forecast.days)
            .flat_map(|day| &day.intervals)
    };
    let missing = cells().filter(|cell| cell.is_none()).count();
    let why = match (missing, cells().count()) {
        (0, _) => return None,
        (missing, all) if missing == all => {
            "the run calibrated no interval (its validation windows hold too few errors; \
             `trainer forecast` fits on the whole series with intervals from a longer \
             validation period)"
        }
        _ => {
            "the run calibrated some levels or steps only (a step beyond its horizon, or a \
             level its validation errors are too few for)"
        }
    };
    Some(format!("— marks an interval missing: {why}"))
}

/// Series whose forecasts are printed, at most: a panel's others are in the CSV only.
const PRINTED_SERIES: usize = 5;

/// Prints the forecasts of one series or of a panel's (each under its name): the first
/// [`PRINTED_SERIES`] series' tables, then how many more the CSV holds.
pub(crate) fn print_forecasts(forecasts: &[(Option<&str>, &Forecast)]) {
    for (name, forecast) in forecasts.iter().take(PRINTED_SERIES) {
        if let Some(name) = name {
            println!("series {name}:");
        }
        print_forecast(forecast);
    }
    if let Some(more) = forecasts
        .len()
        .checked_sub(PRINTED_SERIES)
        .filter(|n| *n > 0)
    {
        println!("… and {more} more series (every series is in the forecast's CSV file)");
    }
}

/// Prints the forecast as a table: step, date, forecast, naive and each interval.
pub(crate) fn print_forecast(forecast: &Forecast) {
    let mut header = format!(
        "{:>4}  {:<10}  {:>14}  {:>14}",
        "step", "date", "forecast", NAIVE
    );
    for level in &forecast.levels {
        let _ = write!(
            header,
            "  {:>31}",
            format!("{} % interval", percent(*level))
        );
    }
    println!("{header}");
    for day in &forecast.days {
        let mut line = format!(
            "{:>4}  {}  {:>14.3}  {:>14.3}",
            day.step, day.date, day.forecast, day.naive
        );
        for interval in &day.intervals {
            let cell = interval.map_or("—".to_string(), |(lower, upper)| {
                format!("{lower:.3} to {upper:.3}")
            });
            let _ = write!(line, "  {cell:>31}");
        }
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;
    use yoho_data::Frequency;

    use super::*;

    #[test]
    fn missing_intervals_are_explained_once() {
        let day = |intervals: Vec<Option<(f64, f64)>>| ForecastDay {
            step: 1,
            date: Timestamp::from_date(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()),
            forecast: 1.0,
            naive: 1.0,
            intervals,
        };
        let forecast = |days| Forecast {
            levels: vec![0.8, 0.95],
            days,
        };
        let whole = forecast(vec![day(vec![Some((0.0, 2.0)), Some((-1.0, 3.0))])]);
        assert_eq!(missing_intervals_note(&[(None, &whole)]), None);
        let none = forecast(vec![day(vec![None, None])]);
        let note = missing_intervals_note(&[(None, &none)]).unwrap();
        assert!(note.contains("calibrated no interval"), "{note}");
        let some = forecast(vec![day(vec![Some((0.0, 2.0)), None])]);
        let note = missing_intervals_note(&[(None, &whole), (None, &some)]).unwrap();
        assert!(note.contains("some levels or steps only"), "{note}");
    }

    fn date(year: i32, month: u32, day: u32) -> Timestamp {
        Timestamp::from_date(NaiveDate::from_ymd_opt(year, month, day).unwrap())
    }

    #[test]
    fn each_step_gets_the_intervals_of_its_own_calibration() {
        let calibration = vec![
            Conformal::calibrate(&[1.0, -2.0, 3.0, -4.0, 5.0], &[0.8, 0.95]),
            Conformal::calibrate(&[10.0, -20.0, 30.0, -40.0, 50.0], &[0.8, 0.95]),
        ];
        let levels = [0.8, 0.95];
        // step 1: the 5th smallest of 5 errors for 80 %; 95 % needs 19 errors
        assert_eq!(
            intervals_at(&calibration, &levels, 0, 100.0),
            vec![Some((95.0, 105.0)), None]
        );
        assert_eq!(
            intervals_at(&calibration, &levels, 1, 100.0),
            vec![Some((50.0, 150.0)), None]
        );
        // beyond the calibrated steps: none
        assert_eq!(
            intervals_at(&calibration, &levels, 2, 100.0),
            vec![None, None]
        );
        let forecast = Forecast {
            levels: levels.to_vec(),
            days: vec![ForecastDay {
                step: 1,
                date: date(2024, 1, 8),
                forecast: 100.0,
                naive: 99.0,
                intervals: intervals_at(&calibration, &levels, 0, 100.0),
            }],
        };
        assert_eq!(
            forecast_csv(&forecast),
            "step,date,forecast,naive,lower_80,upper_80,lower_95,upper_95\n\
             1,2024-01-08,100,99,95,105,,\n"
        );
    }

    #[test]
    fn a_series_never_negative_gets_no_forecast_or_interval_end_below_zero() {
        let day = |step: usize, forecast: f64, lower: f64| ForecastDay {
            step,
            date: date(2024, 1, step as u32),
            forecast,
            naive: 1.0,
            intervals: vec![Some((lower, forecast + 2.0)), None],
        };
        let forecast = Forecast {
            levels: vec![0.8, 0.95],
            days: vec![day(1, 0.5, -1.5), day(2, -0.5, -2.5)],
        };
        let bounded = (forecast.clone()).within_bounds_of(ForecastBounds::Auto, &[3.0, 0.0, 1.0]);
        assert_eq!(bounded.days[0], day(1, 0.5, 0.0));
        let second = &bounded.days[1];
        assert_eq!(
            (second.forecast, second.intervals[0]),
            (0.0, Some((0.0, 1.5)))
        );
        assert_eq!(second.intervals[1], None);
        // a series that has been negative keeps every value, and so does `bounds = "none"`
        let negative = (forecast.clone()).within_bounds_of(ForecastBounds::Auto, &[3.0, -1.0]);
        assert_eq!(negative, forecast);
        let none = (forecast.clone()).within_bounds_of(ForecastBounds::None, &[3.0, 0.0, 1.0]);
        assert_eq!(none, forecast);
    }

    #[test]
    fn forecasts_are_dated_in_the_series_frequency() {
        // Friday 2024-01-05: Monday to Friday of the next week, then Monday again
        let dates = forecast_dates(date(2024, 1, 5), 6, &Frequency::BusinessDaily.into()).unwrap();
        assert_eq!(dates.first(), Some(&date(2024, 1, 8)));
        assert_eq!(dates.last(), Some(&date(2024, 1, 15)));
        // monthly data on the first of the month
        let dates = forecast_dates(date(2010, 12, 1), 3, &Frequency::Monthly.into()).unwrap();
        assert_eq!(
            dates,
            vec![date(2011, 1, 1), date(2011, 2, 1), date(2011, 3, 1)]
        );
        let dates = forecast_dates(date(2024, 1, 6), 2, &Frequency::Daily.into()).unwrap();
        assert_eq!(dates, vec![date(2024, 1, 7), date(2024, 1, 8)]);
        // hourly data: the next hours, through midnight
        let evening = NaiveDate::from_ymd_opt(2024, 1, 5)
            .unwrap()
            .and_hms_opt(22, 0, 0)
            .unwrap();
        let dates = forecast_dates(
            Timestamp::from_datetime(evening),
            3,
            &Frequency::Minutes(60).into(),
        )
        .unwrap();
        let written: Vec<String> = dates.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            written,
            [
                "2024-01-05 23:00:00",
                "2024-01-06 00:00:00",
                "2024-01-06 01:00:00"
            ]
        );
    }

    #[test]
    fn an_intraday_series_is_forecast_in_its_hours_and_on_its_days() {
        // half-hours from 09:00 to 16:30, Monday to Friday, three weeks from Monday 2024-01-01
        let midnight = |day: u32| {
            let date = NaiveDate::from_ymd_opt(2024, 1, day).unwrap();
            Timestamp::from_datetime(date.and_hms_opt(0, 0, 0).unwrap())
        };
        let history: Vec<Timestamp> = (1..=19)
            .map(midnight)
            .filter(|day| day.date().weekday().num_days_from_monday() < 5)
            .flat_map(|day| {
                (18..=33).map(move |half_hour| day.plus_seconds(half_hour * 1_800).unwrap())
            })
            .collect();
        let written: Vec<String> = (dates_after(&history, 3).unwrap().iter())
            .map(|date| date.to_string())
            .collect();
        // Friday 2024-01-19 16:30 is followed by Monday's opening rows
        assert_eq!(
            written,
            [
                "2024-01-22 09:00:00",
                "2024-01-22 09:30:00",
                "2024-01-22 10:00:00"
            ]
        );
        // rows around the clock every day go on through the night, as before
        let around_the_clock: Vec<Timestamp> = (0..72)
            .map(|hour| midnight(1).plus_seconds(hour * 3_600).unwrap())
            .collect();
        let next = dates_after(&around_the_clock, 2).unwrap();
        assert_eq!(next[1].to_string(), "2024-01-04 01:00:00");
    }

    #[test]
    fn dates_past_the_calendars_end_are_an_error_not_a_panic() {
        let near_the_end = Timestamp::from_date(NaiveDate::MAX - chrono::Days::new(3));
        let error = format!(
            "{:#}",
            forecast_dates(near_the_end, 10, &Frequency::BusinessDaily.into()).unwrap_err()
        );
        assert!(error.contains("run past the last date"), "{error}");
        assert!(forecast_dates(near_the_end, 1, &Frequency::BusinessDaily.into()).is_ok());
    }
}
