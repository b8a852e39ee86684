//! `trainer forecast`: the production fit. Trains on the whole series, its newest `valid_len`
//! rows choosing the epoch; then, by default, trains again on every row for the kept number of
//! epochs; and forecasts the `horizon` steps after the last row, with intervals. The run
//! directory it writes is one `trainer predict` loads again. A panel (`[data] series_column`)
//! is fitted as one model over all its series (`forecast_panel.rs`).

use anyhow::{Context, bail};
use yoho_data::{LoadedSeries, PreparedData};
use yoho_eval::Conformal;
use yoho_eval::intervals::{Calibration, conformal_by_step, percent};

use crate::RunOutcome;
use crate::artifacts::files;
use crate::cli::ForecastArgs;
use crate::config::ExperimentConfig;
use crate::forecast_fit::{
    FinalFit, Fitter, data_path, note_on_training_calibration, recipe_sizes_validation,
    write_forecast,
};
use crate::predict::{ModelRun, print_forecast};
use crate::recipe::Purpose;
use crate::train::load_config;

/// Runs `trainer forecast`: fits, forecasts, prints and writes the run directory.
pub fn run_forecast(args: &ForecastArgs) -> anyhow::Result<RunOutcome> {
    let config = load_config(
        &args.config,
        args.data.as_deref(),
        args.epochs,
        Purpose::Forecast,
    )?;
    check_config(&config, args)?;
    match config.data.series_column.is_some() {
        true => crate::forecast_panel::run_forecast_panel(config, args),
        false => forecast_series(config, args),
    }
}

/// The production fit and forecast of one series.
fn forecast_series(
    mut config: ExperimentConfig,
    args: &ForecastArgs,
) -> anyhow::Result<RunOutcome> {
    let loaded = yoho_data::load(&config.data, &[])?;
    let selection_data = selection_data(&mut config, &loaded, args)?;
    let fit = Fitter::start(&config, args)?;
    let Some(selection) = fit.choose_epoch(&config, &selection_data.training_data())? else {
        return Ok(RunOutcome::Interrupted);
    };
    let (calibration, conformal) = conformal_by_step(
        &selection.forecaster,
        &selection_data,
        &config.evaluate.intervals,
        config.blend().as_ref(),
        &fit.selected.device,
    )?;
    note_on_calibration(&config, calibration, &conformal);
    fit.run.write(
        files::INTERVALS,
        serde_json::to_string_pretty(&conformal)?.as_bytes(),
    )?;
    let prepare_all = |refit: &ExperimentConfig| {
        Ok(yoho_data::prepare_loaded_for_forecast(
            loaded.clone(),
            &refit.data,
            0,
        )?)
    };
    let fitted = (selection, selection_data);
    let training_data = PreparedData::training_data;
    let Some(FinalFit { model, data, words }) =
        fit.final_fit(&config, fitted, args.no_refit, prepare_all, training_data)?
    else {
        return Ok(RunOutcome::Interrupted);
    };
    let run = &fit.run;
    run.save_weights(&config, &model)?;
    run.save_scaler(data.scaler())?;
    let model_run = ModelRun {
        config: &config,
        model: &model,
        device: &fit.selected.device,
    };
    let forecast = model_run.forecast(
        run,
        loaded.series.clone(),
        &data_path(&config),
        config.data.horizon,
        0,
    )?;
    write_forecast(run, &config, &loaded, &forecast)?;
    print_forecast(&forecast);
    println!(
        "{words}; forecast written to {}",
        run.file(files::FORECAST).display()
    );
    Ok(RunOutcome::Completed)
}

/// The data of the fit that chooses the epoch: the newest `[data] valid_len` rows validate.
/// A config that leaves the validation period to the default recipe (its file sets neither
/// `window_len` nor `valid_len`) and is refitted on every row gets one long enough to
/// calibrate its widest interval (19 windows for 95 %), as long as that fit keeps the recipe's
/// 16 training windows: the refit trains on those rows anyway, so they move only the choice
/// of epoch. `config`'s `valid_len` becomes the one used.
fn selection_data(
    config: &mut ExperimentConfig,
    loaded: &LoadedSeries,
    args: &ForecastArgs,
) -> anyhow::Result<PreparedData> {
    let prepare = |valid_len: usize| {
        yoho_data::prepare_loaded_for_forecast(loaded.clone(), &config.data, valid_len)
    };
    let data = &config.data;
    let widest = (config.evaluate.intervals.iter())
        .map(|level| Conformal::errors_needed(*level))
        .max();
    if let Some(needed) = widest
        .filter(|_| !args.no_refit && data.valid_len > 0 && recipe_sizes_validation(&args.config))
    {
        let wanted = data.horizon + needed.saturating_sub(1) * data.stride;
        for valid_len in (data.valid_len + 1..=wanted).rev() {
            let Ok(prepared) = prepare(valid_len) else {
                continue;
            };
            if prepared.splits.train.len() >= yoho_data::defaults::MIN_TRAINING_WINDOWS {
                config.data.valid_len = valid_len;
                return Ok(prepared);
            }
        }
    }
    prepare(config.data.valid_len)
        .with_context(|| format!("{}: the series is too short", args.config.display()))
}

/// Says why intervals are missing or likely too narrow, and what would give them.
fn note_on_calibration(
    config: &ExperimentConfig,
    calibration: Calibration,
    conformal: &[Conformal],
) {
    let data = &config.data;
    if note_on_training_calibration(config, calibration) {
        return;
    }
    let Some(first) = conformal.first() else {
        return;
    };
    for level in first.missing_levels() {
        let needed = Conformal::errors_needed(level);
        eprintln!(
            "note: no {} % interval: its calibration needs {needed} validation windows, and \
             valid_len = {} rows hold {} (valid_len = {} would hold {needed})",
            percent(level),
            data.valid_len,
            first.calibration_size,
            data.horizon + (needed - 1) * data.stride
        );
    }
}

/// What `forecast` cannot do with `config`, as an error naming the key.
fn check_config(config: &ExperimentConfig, args: &ForecastArgs) -> anyhow::Result<()> {
    let path = args.config.display();
    if let Some(weights) = &config.model.init_from {
        bail!(
            "{path}: [model] init_from = {}: `trainer forecast` trains its own model; remove \
             init_from, or forecast those weights' run with `trainer predict`",
            weights.display()
        );
    }
    Ok(())
}
