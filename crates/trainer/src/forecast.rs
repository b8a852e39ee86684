//! `trainer forecast`: the production fit. Trains on the whole series, its newest `valid_len`
//! rows choosing the epoch; then, by default, trains again on every row for the kept number of
//! epochs; and forecasts the `horizon` steps after the last row, with intervals. The run
//! directory it writes is one `trainer predict` loads again. A panel (`[data] series_column`)
//! is fitted as one model over all its series (`forecast_panel.rs`). A series too short for
//! the default recipe's networks is forecast by its statistical members alone
//! (`forecast_statistical.rs`).

use anyhow::{Context, bail};
use yoho_data::{LoadedSeries, PreparedData};
use yoho_eval::intervals::{calibrate_by_step, conformal_by_step};
use yoho_eval::rolling::voices_rolling_errors;

use crate::RunOutcome;
use crate::artifacts::files;
use crate::calibration_fit::voice_origins;
use crate::cli::ForecastArgs;
use crate::config::ExperimentConfig;
use crate::forecast_fit::{
    FinalFit, Fitter, data_path, lengthen_validation, note_on_calibration, note_on_voices,
    voices_instead, write_forecast,
};
use crate::longer_validation::keeps_series;
use crate::predict::{ModelRun, print_forecast};
use crate::recipe::{Purpose, TooShort};
use crate::train::load_config;

/// Runs `trainer forecast`: fits, forecasts, prints and writes the run directory.
pub fn run_forecast(args: &ForecastArgs) -> anyhow::Result<RunOutcome> {
    let config = match load_config(
        &args.config,
        args.data.as_deref(),
        args.epochs,
        Purpose::Forecast,
    ) {
        Ok(config) => config,
        Err(error) => match error.downcast_ref::<TooShort>() {
            Some(short) if short.recipe_model => {
                return crate::forecast_statistical::forecast_too_short(short, args);
            }
            _ => return Err(error),
        },
    };
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
    crate::notes::print_series_notes(&loaded.cleaning_notes());
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
    let conformal = match voices_instead(&config, &args.config, conformal.first()) {
        Some(blend) => {
            let most = voice_origins(&config);
            let (errors, _) = voices_rolling_errors(&blend, &selection_data, most);
            note_on_voices(errors.first().map_or(0, Vec::len));
            calibrate_by_step(&errors, &config.evaluate.intervals)
        }
        None => {
            note_on_calibration(&config, calibration, conformal.first(), 1);
            conformal
        }
    };
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
    write_forecast(run, &config.data.target, (&loaded, None), &forecast)?;
    print_forecast(&forecast);
    println!(
        "{words}; forecast written to {}",
        run.file(files::FORECAST).display()
    );
    Ok(RunOutcome::Completed)
}

/// The data of the fit that chooses the epoch: the newest `[data] valid_len` rows validate,
/// more where the recipe sized them and the widest interval needs them, as long as that fit
/// keeps the recipe's 16 training windows (`lengthen_validation`).
fn selection_data(
    config: &mut ExperimentConfig,
    loaded: &LoadedSeries,
    args: &ForecastArgs,
) -> anyhow::Result<PreparedData> {
    let data = config.data.clone();
    let prepare =
        |valid_len: usize| yoho_data::prepare_loaded_for_forecast(loaded.clone(), &data, valid_len);
    let base = prepare(data.valid_len).with_context(|| args.config.display().to_string())?;
    let longer = |valid_len: usize| prepare(valid_len).ok();
    Ok(lengthen_validation(
        config,
        args,
        (base, 1),
        longer,
        keeps_series,
    ))
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
