//! The default recipe: what a config that names only its data gets.
//!
//! A `[data]` section without `window_len` asks for settings chosen from the series itself
//! (`yoho_data::defaults::Recipe`): the season and calendar inputs of its frequency, one forecast
//! origin of `horizon` steps held out for the test and one before it for validation, a window
//! of two horizons (at least a season), the target alone as input and standard scaling. A
//! config without `[model]` gets the recipe's networks below, and the recipe's training fills
//! the `[train]` keys a config does not set (a seed of its own changes the seed alone): an
//! ensemble of LSTM
//! families that read level targets (one series: the exponential-smoothing hybrid, the LSTM on
//! top of the seasonal naive and the LSTM on levels; a panel the first two), so `[data]
//! transform` is `level`; a config that names an `rnn` model gets the seasonal difference
//! instead (an output of 0 is the seasonal naive). Every key the section sets is kept, and
//! `[evaluate] season` is the series' season.
//! So `path`, `target` and `horizon` (and `date_column` when it is not `Date`) are a complete
//! config.

use std::path::Path;

use anyhow::{Context, bail};
use toml::{Table, Value};
use yoho_data::defaults::Recipe;
use yoho_data::{DataConfig, Frequency, TargetTransform};

use crate::family::{Families, ModelFamily};

/// The recipe's networks and training, for a config without `[model]` (and under the `[train]`
/// keys a config sets): a small
/// LSTM in three families that each forecast from another base (`es_rnn` from Holt–Winters'
/// forecast, `seasonal_rnn` from the seasonal naive, `rnn` on levels normalised at the window's
/// last value from the naive), two networks of each (seeds apart), the forecast the median of
/// the families' medians; mini-batches of 32, AdamW with a cosine schedule, early stopping after
/// 30 epochs without a lower validation loss, the best epoch from epoch 20 on kept (one
/// validation origin is too few to trust a barely trained network's luck), at most 1,000
/// optimiser steps per series (NeuralForecast's default `max_steps`: a long series is not
/// trained ten times longer than a short one for the same model), in epochs of at most 50
/// mini-batches (GluonTS's default `num_batches_per_epoch`; the step budget over the minimum
/// epochs, so a long series trains its 1,000 steps, and a panel of a thousand series is
/// validated and may stop every 50 steps instead of once per pass over all of them). Several
/// networks halve the noise one network's seed leaves in its forecast, and families that err
/// differently beat any one of them. Exponential smoothing and automatic ARIMA (each fitted on
/// the whole history up to the origin) err differently again and deterministically; the
/// forecast is the median of the networks', ETS's and ARIMA's (`blend = "median"`), so that
/// networks trained on one short series that go astray, or a statistical fit that does, are
/// outvoted by the other two. ARIMA's voice is the mean of its fits on the values and on the
/// logarithm, and exponential smoothing's the mean of its fits with a season fixed over the
/// history and one that evolves, Holt–Winters (`statistical = [["ets", "holt_winters"],
/// ["arima", "log_arima"]]`): neither fit is right for every series, and their means err less
/// than either on the accuracy bench, here and on unseen series (the evolving season gains on
/// 62 quarterly and monthly series of fpp3's and ties elsewhere).
const SECTIONS: &str = r#"
[model]
family = ["es_rnn", "seasonal_rnn", "rnn"]
cell = "lstm"
hidden_size = 32
head = [16]
statistical = [["ets", "holt_winters"], ["arima", "log_arima"]]
blend = "median"

[train]
epochs = 300
batch_size = 32
shuffle = true
seed = 42
lr = 0.003
weight_decay = 0.01
lr_schedule = "cosine"
grad_clip = 1.0
patience = 30
restore_best = true
min_epochs = 20
max_steps = 1000
batches_per_epoch = 50
ensemble = 2
"#;

/// What a panel's recipe (a config with `[data] series_column`) changes in [`SECTIONS`]: three
/// networks of each of two families, the exponential-smoothing hybrid, whose smoothing
/// coefficients each series learns for itself, and the LSTM on top of the seasonal naive (one
/// global model over many series gains more from networks of two families than of three). Its
/// forecast is blended as one series' is: the median of the networks' (the mean of the two
/// families' medians), exponential smoothing's voice (its fits with a fixed and an evolving
/// season) and ARIMA's (its fits on the values and on the logarithm). On the accuracy bench
/// that median gains over the panels' former mean of four (with ARIMA on the logarithm alone)
/// on every one of ten seeds, here and on unseen series, most on yearly series; and in it six
/// networks of each family instead of three forecast no better on average for twice the
/// training.
const PANEL_CHANGES: &str = r#"
[model]
family = ["es_rnn", "seasonal_rnn"]

[train]
ensemble = 3
"#;

/// The `[model]` and `[train]` sections the recipe gives a config (its `[model]` to one without
/// one, its `[train]` keys under the config's own): those of one
/// model of a panel (`panel`) or of one series.
pub fn sections(panel: bool) -> Table {
    let mut sections: Table = toml::from_str(SECTIONS).expect("the recipe's sections are valid");
    if panel {
        let changes: Table = toml::from_str(PANEL_CHANGES).expect("the panel's are valid");
        for (name, keys) in changes {
            if let (Some(Value::Table(section)), Value::Table(keys)) =
                (sections.get_mut(&name), keys)
            {
                section.extend(keys);
            }
        }
    }
    sections
}

/// What a config is read for, which decides the rows the recipe sizes its windows for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A run (or a search): the newest `horizon` rows are held out for the test.
    Run,
    /// A backtest: its folds test the newest `test_windows` windows (folds × step), each
    /// after a validation period, and the recipe reads nothing of those.
    Backtest {
        /// The windows the folds forecast, together.
        test_windows: usize,
    },
    /// `trainer forecast`: nothing is held out for a test, so the series has a horizon of rows
    /// more for its windows; a series of `n` rows gets the windows a run of `n + horizon` rows
    /// gets (the M4 protocol's fit on all but the last horizon), and a series too short for a
    /// run can still be forecast.
    Forecast,
}

/// A series (or every series of a panel) too short for the recipe's windows: too few rows for
/// the held-out periods and 16 training windows. `trainer forecast` forecasts such a series
/// with the recipe's statistical members alone when the config leaves `[model]` to the recipe
/// (`forecast_statistical.rs`); otherwise it is the error it says.
#[derive(Debug)]
pub struct TooShort {
    /// What is too short, for what, e.g. "c.toml: the series has 30 rows, too few for …".
    pub message: String,
    /// The config's `[data]`, with placeholder window settings: enough to load the series.
    pub data: DataConfig,
    /// Rows per season of the series' frequency.
    pub season: usize,
    /// Whether the config leaves `[model]` to the recipe, whose statistical
    /// members can forecast without the networks.
    pub recipe_model: bool,
}

impl std::fmt::Display for TooShort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; ", self.message)?;
        match self.recipe_model {
            true => write!(
                f,
                "a run (`trainer --config`) evaluates it and `trainer forecast` forecasts it \
                 with exponential smoothing and ARIMA alone, or set [data] window_len, \
                 test_len and valid_len yourself"
            ),
            false => write!(f, "set [data] window_len, test_len and valid_len yourself"),
        }
    }
}

impl std::error::Error for TooShort {}

/// Fills in what `table` (a config read from `path`, for `purpose`) leaves to the recipe, when
/// its `[data]` section has no `window_len`: the data keys it lacks, the `[model]` section when
/// it lacks one and the `[train]` keys it does not set (a panel's with [`PANEL_CHANGES`]), and
/// `[evaluate] season` (and, for a run whose validation period it sizes,
/// `[evaluate] calibration_fit`). A config with `window_len` is left as it is.
pub(crate) fn fill(table: &mut Table, path: &Path, purpose: Purpose) -> anyhow::Result<()> {
    if !wanted(table) {
        // without [data] the schema's own error names the missing section
        return Ok(());
    }
    let panel = (table.get("data"))
        .and_then(|data| data.get("series_column"))
        .is_some();
    let recipe = sections(panel);
    let levels = (table.get("model").unwrap_or(&recipe["model"]))
        .get("family")
        .and_then(|family| family.clone().try_into::<Families>().ok())
        .is_some_and(|families| families.iter().any(ModelFamily::reads_levels));
    let recipe_model = !table.contains_key("model");
    let longest_lookback = (table.get("model"))
        .and_then(|model| model.get("lookbacks"))
        .and_then(Value::as_array)
        .and_then(|lookbacks| lookbacks.iter().filter_map(Value::as_integer).max());
    let Some(Value::Table(data)) = table.get_mut("data") else {
        return Ok(());
    };
    // a run's one validation period of a horizon calibrates no interval (nor a few series'
    // together): a second fit does
    let calibration_fit = purpose != Purpose::Forecast && !data.contains_key("valid_len");
    let season = fill_data(data, path, levels, purpose).map_err(|error| {
        match error.downcast::<TooShort>() {
            Ok(short) => TooShort {
                recipe_model,
                ..short
            }
            .into(),
            Err(error) => error,
        }
    })?;
    // the longest of the config's own lookbacks sizes the window, as with a window of its own
    if let (Some(longest), Some(Value::Integer(window_len))) =
        (longest_lookback, data.get_mut("window_len"))
    {
        *window_len = (*window_len).max(longest);
    }
    let evaluate = table
        .entry("evaluate")
        .or_insert_with(|| Value::Table(Table::new()));
    if let Value::Table(evaluate) = evaluate {
        evaluate
            .entry("season")
            .or_insert(Value::Integer(season as i64));
        if calibration_fit {
            evaluate
                .entry("calibration_fit")
                .or_insert(Value::Boolean(true));
        }
    }
    if !table.contains_key("model") {
        table.insert("model".into(), recipe["model"].clone());
    }
    fill_training_from(table, &recipe);
    Ok(())
}

/// Fills the `[train]` keys `table` does not set with the recipe's (a panel's with `panel`):
/// a seed or a number of epochs of a config's own changes that alone, not the whole training.
pub fn fill_training(table: &mut Table, panel: bool) {
    fill_training_from(table, &sections(panel));
}

/// [`fill_training`] from the recipe's `sections`, already read.
fn fill_training_from(table: &mut Table, sections: &Table) {
    let train = table
        .entry("train")
        .or_insert_with(|| Value::Table(Table::new()));
    if let (Value::Table(own), Some(Value::Table(recipe))) = (train, sections.get("train")) {
        for (key, value) in recipe {
            own.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
}

/// Whether `table` asks for the recipe: its `[data]` section has no `window_len`.
pub(crate) fn wanted(table: &Table) -> bool {
    table
        .get("data")
        .and_then(Value::as_table)
        .is_some_and(|data| !data.contains_key("window_len"))
}

/// The note a config whose `[data]` leaves its windows to the recipe (`table`, read from
/// `path`) gets when its own `[model]` names neither `family` nor `statistical`: that section
/// replaces the recipe's whole model, so the keys it leaves out take their plain defaults (one
/// `rnn` family, no statistical voices), which a user who meant to change one key of the
/// recipe's would not guess.
pub(crate) fn partial_model_note(table: &Table, path: &Path) -> Option<String> {
    let model = table.get("model")?.as_table()?;
    let partial = !model.contains_key("family") && !model.contains_key("statistical");
    (wanted(table) && partial).then(|| {
        format!(
            "{}: its [model] replaces the recipe's whole model (three families of networks, \
             blended with exponential smoothing and ARIMA): the keys it leaves out take their \
             plain defaults, one `rnn` family and no statistical voices; set `family`, \
             `statistical` and `blend` there too, or leave [model] out, for the recipe's",
            path.display()
        )
    })
}

/// Fills the data keys the recipe chooses from the series; returns its season, the config's own
/// `[data] season` or else its frequency's (`[evaluate] season`: the seasonal naive's, MASE's and exponential smoothing's, which read the
/// whole history, so it is kept where a window is too short to hold a season). Families that
/// read levels (`levels`: the `es_rnn` hybrid smooths them itself, `seasonal_rnn` subtracts
/// the seasonal naive itself) get `transform = "level"`.
fn fill_data(
    data: &mut Table,
    path: &Path,
    levels: bool,
    purpose: Purpose,
) -> anyhow::Result<usize> {
    let target = match data.get("target") {
        Some(Value::String(target)) => target.clone(),
        _ => bail!(
            "{}: [data] target: expected the column to forecast, e.g. target = \"value\"",
            path.display()
        ),
    };
    data.entry("features")
        .or_insert_with(|| Value::Array(vec![Value::String(target.clone())]));
    let horizon = match data.get("horizon") {
        None => 1,
        Some(Value::Integer(horizon)) if *horizon >= 1 => *horizon as usize,
        Some(other) => bail!(
            "{}: [data] horizon: expected a whole number ≥ 1, got {other}",
            path.display()
        ),
    };
    let (loaded, frequency) = load_series(data, path)?;
    let lengths: Vec<usize> = loaded.iter().map(|loaded| loaded.series.len()).collect();
    // periods the config sets longer than a horizon leave that many fewer rows for the windows
    let longer = |key: &str| period_len(data, key, horizon).saturating_sub(horizon);
    let usable = |rows: usize| match purpose {
        Purpose::Run | Purpose::Backtest { .. } => {
            rows.saturating_sub(longer("test_len") + longer("valid_len"))
        }
        Purpose::Forecast => (rows.saturating_add(horizon)).saturating_sub(longer("valid_len")),
    };
    let usable: Vec<usize> = lengths.iter().map(|rows| usable(*rows)).collect();
    let held_out = match purpose {
        Purpose::Run | Purpose::Backtest { .. } => {
            "the test and validation periods of a horizon each"
        }
        Purpose::Forecast => "a validation period of a horizon",
    };
    let panel = data.contains_key("series_column");
    let own_season = match data.get("season") {
        None => None,
        Some(Value::Integer(season)) if *season >= 1 => Some(*season as usize),
        Some(other) => bail!(
            "{}: [data] season: expected a whole number ≥ 1 of rows per season, got {other}",
            path.display()
        ),
    };
    let unread = held_out_rows(data, horizon, purpose);
    let own_season = match (own_season, frequency) {
        (None, Frequency::Steps(_)) => {
            let targets =
                (loaded.iter()).map(|loaded| loaded.series.column(&target).unwrap_or(&[]));
            Some(season_of_steps(targets, unread, path, panel))
        }
        (None, Frequency::Minutes(_) | Frequency::Daily) => {
            season_of_session(&loaded, unread, path, frequency)
        }
        (own, _) => own,
    };
    let season = own_season.unwrap_or(yoho_data::defaults::season(frequency));
    let recipe = match panel {
        true => Recipe::for_panel(&usable, frequency, own_season, horizon),
        false => Recipe::for_series(usable[0], frequency, own_season, horizon),
    };
    let Some(recipe) = recipe else {
        let rows = lengths.iter().max().copied().unwrap_or(0);
        let minimum = yoho_data::defaults::MIN_TRAINING_WINDOWS;
        let (series, windows) = match panel {
            true => (
                "the longest series",
                format!("{minimum} training windows of all series together"),
            ),
            false => ("the series", format!("{minimum} training windows")),
        };
        let message = format!(
            "{}: {series} has {rows} rows, too few for the default recipe's networks at \
             horizon = {horizon} ({held_out} and {windows})",
            path.display(),
        );
        return Err(TooShort {
            message,
            data: probe_config(data, path)?,
            season,
            recipe_model: false,
        }
        .into());
    };
    let integer = |value: usize| Value::Integer(value as i64);
    let transform = match levels {
        true => TargetTransform::Level,
        false => recipe.transform,
    };
    let calendar = (recipe.calendar.iter())
        .map(|feature| Value::String(feature.name().to_string()))
        .collect();
    let chosen = [
        ("window_len", integer(recipe.window_len)),
        ("test_len", integer(recipe.test_len)),
        ("valid_len", integer(recipe.valid_len)),
        ("calendar", Value::Array(calendar)),
        ("scaling", Value::String("standard".into())),
        ("transform", Value::String(transform.name().into())),
    ];
    for (key, value) in chosen {
        data.entry(key).or_insert(value);
    }
    if recipe.season > 1 {
        data.entry("season").or_insert(integer(recipe.season));
    }
    Ok(season)
}

/// Each series `data` names (one, or a panel's) and their frequency (the longest series'),
/// read with placeholder window settings.
fn load_series(
    data: &Table,
    path: &Path,
) -> anyhow::Result<(Vec<yoho_data::LoadedSeries>, Frequency)> {
    let probe = probe_config(data, path)?;
    let loaded: Vec<yoho_data::LoadedSeries> = match (&probe.source, &probe.series_column) {
        (yoho_data::Source::File { path: file }, Some(column)) => {
            yoho_data::load_file_panel(file, &probe.load_options(&[]), column)?
                .into_iter()
                .map(|(_, loaded)| loaded)
                .collect()
        }
        _ => vec![yoho_data::load(&probe, &[])?],
    };
    let frequency = (loaded.iter())
        .max_by_key(|loaded| loaded.series.len())
        .map(|loaded| Frequency::infer(&loaded.series.dates))
        .with_context(|| format!("{}: the data holds no series", path.display()))?;
    Ok((loaded, frequency))
}

/// The rows of the held-out period `key` (`test_len`, `valid_len`) of `data`: the config's
/// own, or a horizon.
fn period_len(data: &Table, key: &str, horizon: usize) -> usize {
    match data.get(key) {
        Some(Value::Integer(len)) => usize::try_from(*len).unwrap_or(0),
        _ => horizon,
    }
}

/// The newest rows of each series that `purpose` holds out from what the recipe may read of
/// its values: a run's test and validation periods (`[data] test_len` and `valid_len`, a
/// horizon each by default), a backtest's every fold's targets and the first fold's
/// validation period; none for a forecast, whose test is the future.
fn held_out_rows(data: &Table, horizon: usize, purpose: Purpose) -> usize {
    let period = |key: &str| period_len(data, key, horizon);
    match purpose {
        Purpose::Run => period("test_len").saturating_add(period("valid_len")),
        Purpose::Backtest { test_windows } => {
            (test_windows.saturating_add(horizon - 1)).saturating_add(period("valid_len"))
        }
        Purpose::Forecast => 0,
    }
}

/// The season of an intraday series observed for part of each day only (a market's or an
/// office's hours: the rows of its usual day), or of a daily series closed on some weekdays
/// (a shop closed on Sundays: its open days, a week's rows), with a note; `None` where the
/// series is held around the clock, or every day, whose `frequency` gives the season. The
/// longest of a panel's series speaks for it, read from its dates before its `held_out` newest
/// rows (a run's or a backtest's held-out periods), as a season of time steps is.
fn season_of_session(
    loaded: &[yoho_data::LoadedSeries],
    held_out: usize,
    path: &Path,
    frequency: Frequency,
) -> Option<usize> {
    let longest = loaded.iter().max_by_key(|loaded| loaded.series.len())?;
    let dates = &longest.series.dates;
    let seen = &dates[..dates.len().saturating_sub(held_out)];
    let session = yoho_data::Session::of_frequency(seen, frequency)?;
    let season = session.season()?;
    let (held, calendar) = match session.is_daily() {
        true => ("a week's rows", "the calendar's"),
        false => ("a day's rows", "the clock's"),
    };
    eprintln!(
        "note: {}: rows {frequency}, {session}: season = {} ({held}, not {calendar} {}); set \
         [data] season to choose another (1: none)",
        path.display(),
        season,
        yoho_data::defaults::season(frequency),
    );
    Some(season)
}

/// The season of time steps, which carry none of their own: the one
/// `yoho_data::seasonality` finds in the values of `targets` (one series', or most of a
/// panel's) before their `held_out` newest rows, or 1; a note says which, and how to choose.
fn season_of_steps<'a>(
    targets: impl Iterator<Item = &'a [f64]>,
    held_out: usize,
    path: &Path,
    panel: bool,
) -> usize {
    let seen = targets.map(|values| &values[..values.len().saturating_sub(held_out)]);
    let rows = match held_out {
        0 => "every row",
        _ => "the rows before the held-out periods",
    };
    let choose = "set [data] season to choose another (1: none)";
    let found = yoho_data::seasonality::detect_panel(seen);
    let note = match (found, panel) {
        (None, _) => format!(
            "time steps carry no season of their own, and none repeats in the values of \
             {rows}: the recipe uses none; set [data] season if the series has one"
        ),
        (Some(found), false) => format!(
            "time steps carry no season of their own; the values of {rows} repeat every {} \
             steps (autocorrelation {:.2}), so season = {}; {choose}",
            found.season, found.median_autocorrelation, found.season
        ),
        (Some(found), true) => format!(
            "time steps carry no season of their own; the values of {rows} repeat every {} \
             steps in {} of {} series (median autocorrelation {:.2}), so season = {}; {choose}",
            found.season, found.showing, found.series, found.median_autocorrelation, found.season
        ),
    };
    eprintln!("note: {}: {note}", path.display());
    found.map_or(1, |found| found.season)
}

/// `data` (a config's `[data]`, read from `path`) as a data config with placeholder window
/// settings: enough to load its series.
fn probe_config(data: &Table, path: &Path) -> anyhow::Result<DataConfig> {
    let mut probe = data.clone();
    probe.insert("window_len".into(), Value::Integer(1));
    probe.insert("test_len".into(), Value::Integer(1));
    probe.remove("season");
    probe.remove("transform");
    Value::Table(probe).try_into().map_err(|error| {
        // a key's own message names its section already
        let error = error.to_string();
        let section = if error.starts_with("[data]") {
            ""
        } else {
            "[data]: "
        };
        anyhow::anyhow!("{}: {section}{error}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monthly_csv(dir: &Path, rows: usize) -> std::path::PathBuf {
        let mut text = String::from("Date,value\n");
        for i in 0..rows {
            let value = 100.0 + i as f64 + 10.0 * (i as f64 * std::f64::consts::PI / 6.0).sin();
            text += &format!("{}-{:02}-01,{value:.3}\n", 1990 + i / 12, 1 + i % 12);
        }
        let path = dir.join("monthly.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_config_of_path_target_and_horizon_gets_the_recipe() {
        let dir = tempfile::tempdir().unwrap();
        let data = monthly_csv(dir.path(), 144);
        let mut table: Table = toml::from_str(&format!(
            "[data]\npath = {:?}\ntarget = \"value\"\nhorizon = 18\n",
            data.display().to_string()
        ))
        .unwrap();
        fill(&mut table, Path::new("m.toml"), Purpose::Run).unwrap();
        let data = table["data"].as_table().unwrap();
        assert_eq!(data["window_len"].as_integer(), Some(36));
        assert_eq!(data["test_len"].as_integer(), Some(18));
        assert_eq!(data["season"].as_integer(), Some(12));
        assert_eq!(data["transform"].as_str(), Some("level"));
        assert_eq!(data["features"].as_array().unwrap().len(), 1);
        assert_eq!(table["evaluate"]["season"].as_integer(), Some(12));
        assert_eq!(table["model"]["hidden_size"].as_integer(), Some(32));
        assert_eq!(table["train"]["patience"].as_integer(), Some(30));
        // a [train] of the config's own keeps the recipe's training but for its own keys
        let mut seeded = table.clone();
        seeded.insert("train".into(), toml::from_str("seed = 7").unwrap());
        seeded["data"].as_table_mut().unwrap().remove("window_len");
        fill(&mut seeded, Path::new("m.toml"), Purpose::Run).unwrap();
        assert_eq!(seeded["train"]["seed"].as_integer(), Some(7));
        let mut recipe_train = table["train"].as_table().unwrap().clone();
        recipe_train.insert("seed".into(), Value::Integer(7));
        assert_eq!(seeded["train"].as_table().unwrap(), &recipe_train);
        // an rnn model of one series reads the seasonal difference
        let mut named = table.clone();
        named.insert("model".into(), toml::from_str("hidden_size = 8").unwrap());
        for key in ["transform", "window_len"] {
            named["data"].as_table_mut().unwrap().remove(key);
        }
        fill(&mut named, Path::new("m.toml"), Purpose::Run).unwrap();
        assert_eq!(
            named["data"]["transform"].as_str(),
            Some("seasonal_difference")
        );
        // the config's own lookbacks: the longest sizes the window (18 months ahead read 36)
        for (lookbacks, window_len) in [("[12, 48]", 48), ("[12, 24]", 36)] {
            let mut looking = named.clone();
            let model = format!("hidden_size = 8\nlookbacks = {lookbacks}");
            looking.insert("model".into(), toml::from_str(&model).unwrap());
            looking["data"].as_table_mut().unwrap().remove("window_len");
            fill(&mut looking, Path::new("m.toml"), Purpose::Run).unwrap();
            let chosen = looking["data"]["window_len"].as_integer();
            assert_eq!(chosen, Some(window_len), "{lookbacks}");
        }
    }

    #[test]
    fn a_short_series_does_not_size_a_panel_or_refuse_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("Date,ticker,value\n");
        // 84 months leave room for windows of 30 rows with one training window each; 20
        // months hold none, and are left out when the panel is prepared
        for (ticker, rows) in [("long", 144), ("short", 84), ("tiny", 20)] {
            for i in 0..rows {
                let value = 50.0 + i as f64 + 5.0 * ((i % 12) as f64);
                text += &format!("{}-{:02}-01,{ticker},{value}\n", 1990 + i / 12, 1 + i % 12);
            }
        }
        let data = dir.path().join("panel.csv");
        std::fs::write(&data, text).unwrap();
        let mut table: Table = toml::from_str(&format!(
            "[data]\npath = {:?}\ntarget = \"value\"\nhorizon = 18\nseries_column = \"ticker\"\n",
            data.display().to_string()
        ))
        .unwrap();
        fill(&mut table, Path::new("p.toml"), Purpose::Run).unwrap();
        assert_eq!(table["data"]["window_len"].as_integer(), Some(30));
        assert_eq!(table["data"]["season"].as_integer(), Some(12));
        // a panel's few series pool too few validation errors for its intervals: a second fit
        assert_eq!(table["evaluate"]["calibration_fit"].as_bool(), Some(true));
    }

    #[test]
    fn a_model_section_of_its_own_that_names_no_family_gets_a_note() {
        let config = |text: &str| -> Table { toml::from_str(text).unwrap() };
        let data = "[data]\npath = \"s.csv\"\ntarget = \"v\"\nhorizon = 3\n";
        let path = Path::new("c.toml");
        let partial = config(&format!("{data}[model]\nhidden_size = 64\n"));
        let note = partial_model_note(&partial, path).unwrap();
        assert!(note.starts_with("c.toml: its [model] replaces"), "{note}");
        assert!(note.contains("`family`"), "{note}");
        // no [model], a [model] that names its family or voices, or a config that sets its
        // own window (no recipe): nothing to say
        assert_eq!(partial_model_note(&config(data), path), None);
        for keys in ["family = \"rnn\"", "statistical = [\"ets\"]"] {
            let named = config(&format!("{data}[model]\nhidden_size = 64\n{keys}\n"));
            assert_eq!(partial_model_note(&named, path), None, "{keys}");
        }
        let windowed = config(&format!(
            "{data}window_len = 6\n[model]\nhidden_size = 64\n"
        ));
        assert_eq!(partial_model_note(&windowed, path), None);
    }

    #[test]
    fn a_panel_gets_two_families_and_one_series_three_all_on_level_targets() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("Date,ticker,value\n");
        for (ticker, rows) in [("a", 144), ("b", 120)] {
            for i in 0..rows {
                let value = 50.0 + i as f64 + 5.0 * ((i % 12) as f64);
                text += &format!("{}-{:02}-01,{ticker},{value}\n", 1990 + i / 12, 1 + i % 12);
            }
        }
        let data = dir.path().join("panel.csv");
        std::fs::write(&data, text).unwrap();
        let config = |extra: &str| -> Table {
            let mut table: Table = toml::from_str(&format!(
                "[data]\npath = {:?}\ntarget = \"value\"\nhorizon = 18\n{extra}",
                data.display().to_string()
            ))
            .unwrap();
            fill(&mut table, Path::new("p.toml"), Purpose::Run).unwrap();
            table
        };
        let panel = config("series_column = \"ticker\"\n");
        let families = |table: &Table| {
            let family = table["model"]["family"].clone();
            family
                .try_into::<Families>()
                .unwrap()
                .iter()
                .collect::<Vec<_>>()
        };
        let both = [ModelFamily::EsRnn, ModelFamily::SeasonalRnn];
        assert_eq!(families(&panel), both);
        assert_eq!(panel["model"]["hidden_size"].as_integer(), Some(32));
        assert_eq!(panel["data"]["transform"].as_str(), Some("level"));
        // every series keeps a training window: 120 rows still hold windows of two horizons
        assert_eq!(panel["data"]["window_len"].as_integer(), Some(36));
        // three networks of each of two families, against two of each of three for one series
        assert_eq!(panel["train"]["ensemble"].as_integer(), Some(3));
        assert_eq!(sections(false)["train"]["ensemble"].as_integer(), Some(2));
        let mut train = panel["train"].as_table().unwrap().clone();
        train.insert("ensemble".into(), Value::Integer(2));
        assert_eq!(Value::Table(train), sections(false)["train"]);
        // a panel that names its model keeps it, and its transform with it
        let named = config("series_column = \"ticker\"\n[model]\nhidden_size = 8\n");
        assert!(named["model"].get("family").is_none());
        assert_eq!(
            named["data"]["transform"].as_str(),
            Some("seasonal_difference")
        );
        assert_eq!(families(&sections(true)), both);
        // one of the two families alone also reads levels
        let seasonal = config(
            "series_column = \"ticker\"\n[model]\nfamily = \"seasonal_rnn\"\nhidden_size = 8\n",
        );
        assert_eq!(seasonal["data"]["transform"].as_str(), Some("level"));
        let three = [
            ModelFamily::EsRnn,
            ModelFamily::SeasonalRnn,
            ModelFamily::Rnn,
        ];
        assert_eq!(families(&sections(false)), three);
    }

    #[test]
    fn both_recipes_blend_with_exponential_smoothing_and_arima() {
        // exponential smoothing speaks once, with the mean of its fits with a fixed and an
        // evolving season; ARIMA once, with the mean of its fits on the values and on the
        // logarithm; the forecast is the median of the networks', ETS's and ARIMA's, one series
        // or a panel
        let smoothing = Value::from(vec!["ets", "holt_winters"]);
        let pair = Value::from(vec!["arima", "log_arima"]);
        for panel in [false, true] {
            let model = &sections(panel)["model"];
            let voices = Value::Array(vec![smoothing.clone(), pair.clone()]);
            assert_eq!(model["statistical"], voices, "panel: {panel}");
            assert_eq!(model["blend"].as_str(), Some("median"), "panel: {panel}");
        }
    }

    #[test]
    fn keys_a_config_sets_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let data = monthly_csv(dir.path(), 144);
        let mut table: Table = toml::from_str(&format!(
            "[data]\npath = {:?}\ntarget = \"value\"\nhorizon = 18\ntransform = \"difference\"\n\
             test_len = 36\n[model]\nhidden_size = 8\n",
            data.display().to_string()
        ))
        .unwrap();
        fill(&mut table, Path::new("m.toml"), Purpose::Run).unwrap();
        assert_eq!(table["data"]["transform"].as_str(), Some("difference"));
        assert_eq!(table["data"]["test_len"].as_integer(), Some(36));
        assert_eq!(table["model"]["hidden_size"].as_integer(), Some(8));
        assert!(table["model"].get("head").is_none());
    }

    #[test]
    fn a_run_whose_validation_period_the_recipe_sizes_gets_a_second_fit_for_its_intervals() {
        let dir = tempfile::tempdir().unwrap();
        let data = monthly_csv(dir.path(), 144);
        let config = |extra: &str| -> Table {
            toml::from_str(&format!(
                "[data]\npath = {:?}\ntarget = \"value\"\nhorizon = 6\n{extra}",
                data.display().to_string()
            ))
            .unwrap()
        };
        let second_fit = |mut table: Table, purpose: Purpose| {
            fill(&mut table, Path::new("m.toml"), purpose).unwrap();
            table["evaluate"].get("calibration_fit").cloned()
        };
        assert_eq!(
            second_fit(config(""), Purpose::Run),
            Some(Value::Boolean(true))
        );
        // a validation period of the config's own and `trainer forecast` (which lengthens its
        // own) get none
        assert_eq!(second_fit(config("valid_len = 6"), Purpose::Run), None);
        assert_eq!(second_fit(config(""), Purpose::Forecast), None);
        let mut off = config("");
        off.insert(
            "evaluate".into(),
            toml::from_str("calibration_fit = false").unwrap(),
        );
        assert_eq!(second_fit(off, Purpose::Run), Some(Value::Boolean(false)));
    }

    #[test]
    fn a_series_too_short_for_the_recipe_says_what_to_set() {
        let dir = tempfile::tempdir().unwrap();
        let data = monthly_csv(dir.path(), 40);
        let mut table: Table = toml::from_str(&format!(
            "[data]\npath = {:?}\ntarget = \"value\"\nhorizon = 18\n",
            data.display().to_string()
        ))
        .unwrap();
        let error = fill(&mut table, Path::new("m.toml"), Purpose::Run).unwrap_err();
        let text = format!("{error:#}");
        assert!(
            text.contains("40 rows") && text.contains("window_len"),
            "{text}"
        );
        // the recipe's model can forecast it with its statistical voices alone: the error
        // says so and carries the series' season and how to load it
        let short = error.downcast_ref::<TooShort>().unwrap();
        assert!(
            short.recipe_model && text.contains("`trainer forecast`"),
            "{text}"
        );
        assert_eq!((short.season, short.data.horizon), (12, 18));
        // [train] alone leaves the model, and its statistical voices, to the recipe
        table.insert("train".into(), toml::from_str("seed = 7").unwrap());
        let error = fill(&mut table, Path::new("m.toml"), Purpose::Forecast).unwrap_err();
        assert!(error.downcast_ref::<TooShort>().unwrap().recipe_model);
        // a config that names its own model is only told what to set
        table.insert("model".into(), toml::from_str("hidden_size = 8").unwrap());
        let error = fill(&mut table, Path::new("m.toml"), Purpose::Forecast).unwrap_err();
        assert!(!error.downcast_ref::<TooShort>().unwrap().recipe_model);
        assert!(!format!("{error:#}").contains("`trainer forecast`"));
    }

    /// A file of `values` alone in `dir` (its rows numbered as time steps) and the `[data]` of
    /// a config of only it, its target and `horizon`.
    fn steps_config(dir: &Path, name: &str, values: &[f64], horizon: usize) -> Table {
        let mut text = String::from("value\n");
        for value in values {
            text += &format!("{value:.6}\n");
        }
        let path = dir.join(format!("{name}.csv"));
        std::fs::write(&path, text).unwrap();
        toml::from_str(&format!(
            "[data]\npath = {:?}\ndate_format = \"step\"\ntarget = \"value\"\n\
             horizon = {horizon}\n",
            path.display().to_string()
        ))
        .unwrap()
    }

    /// A cycle of `period` steps, the same shape every time, scaled by `amplitude`.
    fn cycle(len: usize, period: usize, amplitude: f64) -> Vec<f64> {
        let angle = |t: usize| 2.0 * std::f64::consts::PI * (t % period) as f64 / period as f64;
        (0..len)
            .map(|t| 50.0 + amplitude * angle(t).sin())
            .collect()
    }

    /// Irregular values without a season (a fixed pseudo-random sequence).
    fn irregular(len: usize) -> Vec<f64> {
        let mut state = 12345_u64;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                50.0 + (state >> 33) as f64 / (1u64 << 31) as f64
            })
            .collect()
    }

    #[test]
    fn time_steps_get_the_season_their_values_repeat() {
        let dir = tempfile::tempdir().unwrap();
        let mut table = steps_config(dir.path(), "cycle", &cycle(240, 12, 5.0), 6);
        fill(&mut table, Path::new("s.toml"), Purpose::Run).unwrap();
        assert_eq!(table["data"]["season"].as_integer(), Some(12));
        assert_eq!(table["evaluate"]["season"].as_integer(), Some(12));
        assert_eq!(table["data"]["window_len"].as_integer(), Some(13));
        // values without a season get none, and a season of the config's own is kept
        let mut table = steps_config(dir.path(), "irregular", &irregular(240), 6);
        fill(&mut table, Path::new("s.toml"), Purpose::Run).unwrap();
        assert!(table["data"].get("season").is_none(), "{table}");
        assert_eq!(table["evaluate"]["season"].as_integer(), Some(1));
        let mut table = steps_config(dir.path(), "own", &cycle(240, 12, 5.0), 6);
        table["data"]
            .as_table_mut()
            .unwrap()
            .insert("season".into(), Value::Integer(4));
        fill(&mut table, Path::new("s.toml"), Purpose::Run).unwrap();
        assert_eq!(table["evaluate"]["season"].as_integer(), Some(4));
    }

    /// A config of a file of `Time,value` rows every half-hour from 09:00 to 16:30 (16 a day)
    /// on weekdays, or around the clock every day, for four weeks from Monday 2024-01-01.
    fn half_hourly_config(dir: &Path, name: &str, around_the_clock: bool) -> Table {
        let monday = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let mut text = String::from("Time,value\n");
        for (day, date) in monday.iter_days().take(28).enumerate() {
            let half_hours = match around_the_clock {
                true => 0..48,
                false if day % 7 >= 5 => continue,
                false => 18..34,
            };
            for (row, half_hour) in half_hours.enumerate() {
                let time = date
                    .and_hms_opt(half_hour / 2, 30 * (half_hour % 2), 0)
                    .unwrap();
                text += &format!("{time},{}\n", 100 + row);
            }
        }
        let path = dir.join(format!("{name}.csv"));
        std::fs::write(&path, text).unwrap();
        toml::from_str(&format!(
            "[data]\npath = {:?}\ndate_column = \"Time\"\ntarget = \"value\"\nhorizon = 4\n",
            path.display().to_string()
        ))
        .unwrap()
    }

    #[test]
    fn an_intraday_series_of_opening_hours_gets_a_day_of_its_rows_as_season() {
        let dir = tempfile::tempdir().unwrap();
        let mut table = half_hourly_config(dir.path(), "office", false);
        fill(&mut table, Path::new("o.toml"), Purpose::Run).unwrap();
        assert_eq!(table["data"]["season"].as_integer(), Some(16), "{table}");
        assert_eq!(table["evaluate"]["season"].as_integer(), Some(16));
        assert_eq!(table["data"]["window_len"].as_integer(), Some(17));
        // rows around the clock keep the clock's day of 48 half-hours
        let mut table = half_hourly_config(dir.path(), "plant", true);
        fill(&mut table, Path::new("p.toml"), Purpose::Run).unwrap();
        assert_eq!(
            table["evaluate"]["season"].as_integer(),
            Some(48),
            "{table}"
        );
    }

    #[test]
    fn a_session_is_never_read_from_the_rows_a_run_tests() {
        // ten weekdays of office hours (16 half-hours a day), then five days around the clock
        // (48 a day), which the run's test and validation periods hold exactly
        let dir = tempfile::tempdir().unwrap();
        let monday = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let mut text = String::from("Time,value\n");
        let office = (monday.iter_days().take(14))
            .filter(|date| chrono::Datelike::weekday(date).num_days_from_monday() < 5);
        let around_the_clock = monday.iter_days().skip(14).take(5);
        for (index, date) in office.chain(around_the_clock).enumerate() {
            let half_hours = if index < 10 { 18..34 } else { 0..48 };
            for (row, half_hour) in half_hours.enumerate() {
                let time = date
                    .and_hms_opt(half_hour / 2, 30 * (half_hour % 2), 0)
                    .unwrap();
                text += &format!("{time},{}\n", 100 + row);
            }
        }
        let path = dir.path().join("office.csv");
        std::fs::write(&path, text).unwrap();
        let config = |held_out: usize| -> Table {
            toml::from_str(&format!(
                "[data]\npath = {:?}\ndate_column = \"Time\"\ntarget = \"value\"\n\
                 horizon = 4\ntest_len = 4\nvalid_len = {}\n",
                path.display().to_string(),
                held_out - 4
            ))
            .unwrap()
        };
        // the run holds out the 240 rows around the clock: the office's day is the season
        let mut table = config(240);
        fill(&mut table, Path::new("o.toml"), Purpose::Run).unwrap();
        assert_eq!(
            table["evaluate"]["season"].as_integer(),
            Some(16),
            "{table}"
        );
        // a forecast reads every row, and so sees the clock's 48 half-hours held on 5 of 15 days
        let mut table = config(240);
        fill(&mut table, Path::new("o.toml"), Purpose::Forecast).unwrap();
        assert_eq!(
            table["evaluate"]["season"].as_integer(),
            Some(48),
            "{table}"
        );
    }

    #[test]
    fn a_daily_series_closed_on_sundays_gets_a_week_of_its_rows_as_season() {
        let dir = tempfile::tempdir().unwrap();
        let monday = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let mut text = String::from("Date,value\n");
        let open = (monday.iter_days().take(210))
            .filter(|date| chrono::Datelike::weekday(date) != chrono::Weekday::Sun);
        for (row, date) in open.enumerate() {
            text += &format!("{date},{}\n", 100 + row % 6);
        }
        let path = dir.path().join("shop.csv");
        std::fs::write(&path, text).unwrap();
        let mut table: Table = toml::from_str(&format!(
            "[data]\npath = {:?}\ntarget = \"value\"\nhorizon = 6\n",
            path.display().to_string()
        ))
        .unwrap();
        fill(&mut table, Path::new("s.toml"), Purpose::Run).unwrap();
        assert_eq!(table["data"]["season"].as_integer(), Some(6), "{table}");
        assert_eq!(table["evaluate"]["season"].as_integer(), Some(6));
    }

    #[test]
    fn a_panel_of_time_steps_gets_the_season_most_of_its_series_repeat() {
        let dir = tempfile::tempdir().unwrap();
        // a long panel without a date column: each series' rows are numbered 1, 2, 3, …
        let mut text = String::from("shop,value\n");
        let shops = [
            ("a", cycle(240, 12, 5.0)),
            ("b", cycle(200, 12, 3.0)),
            ("c", irregular(240)),
        ];
        for (shop, values) in &shops {
            for value in values {
                text += &format!("{shop},{value:.6}\n");
            }
        }
        let data = dir.path().join("shops.csv");
        std::fs::write(&data, text).unwrap();
        let mut table: Table = toml::from_str(&format!(
            "[data]\npath = {:?}\ndate_format = \"step\"\nseries_column = \"shop\"\n\
             target = \"value\"\nhorizon = 6\n",
            data.display().to_string()
        ))
        .unwrap();
        fill(&mut table, Path::new("p.toml"), Purpose::Run).unwrap();
        assert_eq!(table["data"]["season"].as_integer(), Some(12));
        assert_eq!(table["evaluate"]["season"].as_integer(), Some(12));
    }

    #[test]
    fn a_season_is_never_found_in_the_rows_a_run_or_a_backtest_tests() {
        let dir = tempfile::tempdir().unwrap();
        // 300 rows without a season, and the same with a strong cycle of 7 steps from row
        // `from` on, which whatever reads those rows finds
        let clean = irregular(300);
        let poisoned = |from: usize| {
            let mut values = clean.clone();
            for (t, value) in values.iter_mut().enumerate().skip(from) {
                *value += 20.0 * (2.0 * std::f64::consts::PI * (t % 7) as f64 / 7.0).sin();
            }
            let whole = yoho_data::seasonality::detect(&values).map(|found| found.season);
            assert_eq!(whole, Some(7), "from row {from}");
            values
        };
        let filled = |values: &[f64], name: &str, horizon: usize, purpose: Purpose| {
            let mut table = steps_config(dir.path(), name, values, horizon);
            fill(&mut table, Path::new("s.toml"), purpose).unwrap();
            table["data"].as_table_mut().unwrap().remove("path");
            table
        };
        // a run holds out its test and validation periods, 40 rows each
        let run = |values: &[f64], name: &str| filled(values, name, 40, Purpose::Run);
        assert_eq!(
            run(&poisoned(220), "run_poisoned"),
            run(&clean, "run_clean")
        );
        // a backtest's ten folds of 18 forecast the newest 180 windows of two steps (181
        // rows), the first after a validation period of two
        let backtest = |values: &[f64], name: &str| {
            filled(values, name, 2, Purpose::Backtest { test_windows: 180 })
        };
        let tested = backtest(&poisoned(117), "backtest_poisoned");
        assert_eq!(tested, backtest(&clean, "backtest_clean"));
        assert_eq!(tested["evaluate"]["season"].as_integer(), Some(1));
        // a forecast, whose test is the future, reads every row
        let forecast = filled(&poisoned(117), "forecast", 2, Purpose::Forecast);
        assert_eq!(forecast["evaluate"]["season"].as_integer(), Some(7));
    }
}
