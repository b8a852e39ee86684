//! `trainer forecast` of a panel (`[data] series_column`): one model over every series of a
//! long-format file, fitted as one series' production fit is (each series' newest `valid_len`
//! rows choose the epoch, then a refit on every row for that many epochs), and the `horizon`
//! steps after each series' own last row forecast with intervals.
//!
//! A series too short for the networks' windows is forecast by the config's statistical members
//! alone (`forecast_statistical.rs`), its files beside the others'.
//!
//! A series has few validation windows, so the intervals are calibrated on the errors of all
//! series together, each scaled by how much its series moves (`yoho_eval::pooled`). The run
//! directory is a panel run's: `trainer predict` loads it again.

use anyhow::{Context, bail};
use yoho_data::{LoadedSeries, PreparedPanel};
use yoho_eval::Conformal;
use yoho_eval::pooled::{
    calibrate_each, first_step_count, pooled_conformal_by_step, pooled_voices_errors,
};
use yoho_model::Forecaster;

use crate::RunOutcome;
use crate::artifacts::{RunDir, files};
use crate::calibration_fit::voice_origins;
use crate::cli::ForecastArgs;
use crate::config::ExperimentConfig;
use crate::forecast_fit::{
    FinalFit, Fitter, data_path, lengthen_validation, note_on_calibration, note_on_voices,
    voices_instead, write_forecast,
};
use crate::forecast_statistical;
use crate::longer_validation::keeps_panel;
use crate::panel::{SeriesEntry, describe, series_dir, series_entries, write_series_lists};
use crate::predict::{Forecast, ModelRun, forecasts_csv, print_forecasts};
use yoho_eval::parallel::{cores, in_parallel};

/// The series of a panel file, each as its own loaded series.
type LoadedPanel = Vec<(String, LoadedSeries)>;

/// The series of a panel's file: those the fit `kept`, and those it `left` out with `why`.
struct RunSeries<'a> {
    kept: &'a LoadedPanel,
    left: &'a LoadedPanel,
    why: &'a [(String, String)],
}

/// Runs `trainer forecast` for a panel: fits, forecasts every series, prints and writes the run
/// directory (`forecast.csv` of all series at its top, each series' files in `series/<name>/`).
pub fn run_forecast_panel(
    mut config: ExperimentConfig,
    args: &ForecastArgs,
) -> anyhow::Result<RunOutcome> {
    let column = (config.data.series_column.clone()).expect("a panel config has a series column");
    let path = data_path(&config);
    let loaded = yoho_data::load_file_panel(&path, &config.data.load_options(&[]), &column)?;
    let selection = selection_panel(&mut config, &loaded, &column, args)?;
    describe(&selection);
    let config = config.for_panel(selection.series.len());
    // the series the fit kept, in its order: a refit without validation might keep more
    let kept: LoadedPanel = (selection.series.iter())
        .filter_map(|member| {
            loaded
                .iter()
                .find(|(name, _)| *name == member.name)
                .cloned()
        })
        .collect();
    let fit = Fitter::start(&config, args)?;
    let Some(chosen) = fit.choose_epoch(&config, &selection.training_data())? else {
        return Ok(RunOutcome::Interrupted);
    };
    let members: Vec<_> = selection.series.iter().map(|member| &member.data).collect();
    let (calibration, conformal) = pooled_conformal_by_step(
        &chosen.forecaster,
        &members,
        &config.evaluate.intervals,
        config.evaluate.season,
        config.blend().as_ref(),
        &fit.selected.device,
    )?;
    let first = conformal.first().and_then(|steps| steps.first());
    let conformal = match voices_instead(&config, &args.config, first) {
        Some(blend) => {
            let voices = (config.evaluate.season, &blend);
            let errors = pooled_voices_errors(&members, voices, voice_origins(&config));
            note_on_voices(first_step_count(&errors));
            calibrate_each(&errors, &config.evaluate.intervals)
        }
        None => {
            note_on_calibration(&config, calibration, first, selection.series.len());
            conformal
        }
    };
    let prepare_all = |refit: &ExperimentConfig| {
        let all_rows =
            yoho_data::prepare_panel_loaded_for_forecast(kept.clone(), &refit.data, &column, 0)?;
        check_same_series(&selection, &all_rows)?;
        Ok(all_rows)
    };
    let training_data = PreparedPanel::training_data;
    let Some(fitted) = fit.final_fit(
        &config,
        (chosen, selection.clone()),
        args.no_refit,
        prepare_all,
        training_data,
    )?
    else {
        return Ok(RunOutcome::Interrupted);
    };
    let left: LoadedPanel = (loaded.into_iter())
        .filter(|(name, _)| !kept.iter().any(|(kept, _)| kept == name))
        .collect();
    write_run(
        &fit,
        &config,
        fitted,
        &conformal,
        RunSeries {
            kept: &kept,
            left: &left,
            why: &selection.left_out,
        },
    )?;
    Ok(RunOutcome::Completed)
}

/// Saves the fitted model with each series' scaler and calibration (`conformal`) and the
/// series the fit left out (`left`: each loaded, and why), forecasts every series of `kept`
/// after its last row (and, with `[model] statistical`, each left out by the statistical
/// members alone), writes the forecasts and prints them.
fn write_run(
    fit: &Fitter,
    config: &ExperimentConfig,
    FinalFit { model, data, words }: FinalFit<PreparedPanel>,
    conformal: &[Vec<Conformal>],
    RunSeries { kept, left, why }: RunSeries<'_>,
) -> anyhow::Result<()> {
    let run = &fit.run;
    run.save_weights(config, &model)?;
    let entries = save_series(run, &data, conformal, why)?;
    let mut forecasts = forecast_each(config, &model, &fit.selected.device, run, &entries, kept)?;
    let mut entries = entries;
    let left_out = forecast_left_out(config, run, &entries, (left, why))?;
    if let Some((left_entries, left_forecasts)) = left_out {
        entries.extend(left_entries);
        forecasts.extend(left_forecasts);
    }
    let named: Vec<(Option<&str>, &Forecast)> = (entries.iter().zip(&forecasts))
        .map(|(entry, forecast)| (Some(entry.name.as_str()), forecast))
        .collect();
    run.write(files::FORECAST, forecasts_csv(&named).as_bytes())?;
    print_forecasts(&named);
    println!(
        "{words}; the forecasts of {} series written to {}",
        entries.len(),
        run.file(files::FORECAST).display()
    );
    Ok(())
}

/// The forecasts of the series the networks' fit left out (`left`, `why` each was) by the
/// config's statistical members alone, each with its directory in `run` (named after the
/// `kept` series'), in `left`'s order; `None` without `[model] statistical`.
fn forecast_left_out(
    config: &ExperimentConfig,
    run: &RunDir,
    kept: &[SeriesEntry],
    (left, why): (&LoadedPanel, &[(String, String)]),
) -> anyhow::Result<Option<(Vec<SeriesEntry>, Vec<Forecast>)>> {
    let Some(blend) = config.blend() else {
        return Ok(None);
    };
    let names: Vec<&str> = (kept.iter().map(|entry| entry.name.as_str()))
        .chain(left.iter().map(|(name, _)| name.as_str()))
        .collect();
    let entries = series_entries(&names).split_off(kept.len());
    let levels = config.evaluate.intervals.as_slice();
    let forecasts = (entries.iter().zip(left))
        .map(|(entry, (name, loaded))| {
            let reason = (why.iter().find(|(left, _)| left == name))
                .map_or("too short", |(_, reason)| reason.as_str());
            let series = (entry, loaded);
            forecast_statistical::forecast_left_out(
                run,
                (&blend, levels),
                &config.data,
                series,
                reason,
            )
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Some((entries, forecasts)))
}

/// The panel of the fit that chooses the epoch: each series' newest `[data] valid_len` rows
/// validate, more where the recipe sized them and the widest interval needs them (19 pooled
/// errors for 95 %: with 4 series, 5 validation windows each), as long as every series keeps
/// the training windows it had (up to the recipe's 16) and none is left out
/// (`lengthen_validation`).
fn selection_panel(
    config: &mut ExperimentConfig,
    loaded: &LoadedPanel,
    column: &str,
    args: &ForecastArgs,
) -> anyhow::Result<PreparedPanel> {
    let source = data_path(config).display().to_string();
    let data = config.data.clone();
    let prepare = |valid_len: usize| {
        yoho_data::prepare_panel_loaded_for_forecast(loaded.clone(), &data, column, valid_len).map(
            |panel| PreparedPanel {
                source_name: source.clone(),
                ..panel
            },
        )
    };
    let base = prepare(data.valid_len)
        .with_context(|| format!("{}: no series can be fitted", args.config.display()))?;
    // the same series are left out, for the reasons the config's own sizes give
    let left_out = base.left_out.clone();
    let series = base.series.len();
    let longer = |valid_len: usize| prepare(valid_len).ok();
    let chosen = lengthen_validation(config, args, (base, series), longer, keeps_panel);
    Ok(PreparedPanel { left_out, ..chosen })
}

/// An error unless the refit's panel holds the series of the fit that chose the epoch, in the
/// same order (the model knows each series by its place).
fn check_same_series(selection: &PreparedPanel, refit: &PreparedPanel) -> anyhow::Result<()> {
    let names = |panel: &PreparedPanel| -> Vec<String> {
        panel
            .series
            .iter()
            .map(|member| member.name.clone())
            .collect()
    };
    if names(selection) != names(refit) {
        bail!(
            "the refit on every row holds the series {:?}, the fit before it {:?}",
            names(refit),
            names(selection)
        );
    }
    Ok(())
}

/// Writes `panel.json`, `left_out.json` (the series the fit `left` out) and each series'
/// scaler (the one its model was trained with) and interval calibration in its directory; the
/// entries, in the panel's order.
fn save_series(
    run: &RunDir,
    panel: &PreparedPanel,
    conformal: &[Vec<Conformal>],
    left: &[(String, String)],
) -> anyhow::Result<Vec<SeriesEntry>> {
    let names: Vec<&str> = panel.series.iter().map(|s| s.name.as_str()).collect();
    let entries = series_entries(&names);
    for ((member, entry), calibration) in panel.series.iter().zip(&entries).zip(conformal) {
        let dir = RunDir::create(&series_dir(run, entry))?;
        dir.save_scaler(member.data.scaler())?;
        dir.write(
            files::INTERVALS,
            serde_json::to_string_pretty(calibration)?.as_bytes(),
        )?;
    }
    write_series_lists(run, &entries, left)?;
    Ok(entries)
}

/// Each series' forecast of `horizon` steps after its last row, with its chart and
/// `forecast.csv` in its directory.
fn forecast_each(
    config: &ExperimentConfig,
    model: &Forecaster,
    device: &burn::tensor::Device,
    run: &RunDir,
    entries: &[SeriesEntry],
    kept: &LoadedPanel,
) -> anyhow::Result<Vec<Forecast>> {
    let model_run = ModelRun {
        config,
        model,
        device,
    };
    let path = data_path(config);
    let series: Vec<_> = entries.iter().zip(kept).collect();
    // the series side by side (each forecast holds its statistical members' fits), then their
    // files in order
    let forecasts = in_parallel(&series, cores(), |index, (entry, (_, loaded))| {
        let dir = RunDir::open_series(&series_dir(run, entry))?;
        let forecast = model_run.forecast(
            &dir,
            loaded.series.clone(),
            &path,
            config.data.horizon,
            index,
        )?;
        anyhow::Ok((dir, forecast))
    });
    (series.iter().zip(forecasts))
        .map(|((entry, (_, loaded)), result)| {
            let (dir, forecast) = result?;
            write_forecast(
                &dir,
                &config.data.target,
                (loaded, Some(&entry.name)),
                &forecast,
            )?;
            Ok(forecast)
        })
        .collect()
}
