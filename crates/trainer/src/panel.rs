//! A run over a panel of many series (`[data] series_column`): one model trained on the windows
//! of every series, then evaluated on each series as a run of its own would be (its files in
//! `series/<name>/`) and over all series (`metrics.json`, `report.md`, `predictions.csv` at the
//! top of the run).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use yoho_data::PreparedPanel;
use yoho_eval::baselines::Baseline;
use yoho_eval::intervals::{Calibration, CalibrationErrors, StepCoverage, TestIntervals};
use yoho_eval::pooled::{ErrorsBySeries, pooled_errors_by_step};
use yoho_eval::{EvaluationTable, NAIVE, PanelSummary, Verdict};

use crate::artifacts::{RunDir, files};
use crate::config::ExperimentConfig;
use crate::device::SelectedDevice;
use crate::evaluation::{Evaluation, ModelErrors, evaluate, write_evaluation, write_series};
use crate::report::{
    Align, DataSummary, TrainingSummary, coverage_lines, csv_cell, markdown_rows, print_trained,
    relative_markdown, relative_text_table, steps_ahead, text_table,
};
use crate::training::{TrainedModel, write_loss_csv};
use yoho_eval::parallel::{cores, in_parallel};

/// One series of a panel run: its name and the directory (under `series/`) of its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesEntry {
    /// The series' name, as in the series column.
    pub name: String,
    /// Its directory's name under `series/`.
    pub dir: String,
}

/// `metrics.json` of a panel run.
#[derive(Debug, Clone, Serialize)]
pub struct PanelReport {
    /// The run's name.
    pub run: String,
    /// The device trained on.
    pub device: String,
    /// The file, its series column and the time split shared by every series.
    pub data: PanelData,
    /// How training went.
    pub training: TrainingSummary,
    /// The model against naive over all series.
    pub all_series: PanelSummary,
    /// Every series' data and measures (each series' own `metrics.json` has the rest).
    pub series: Vec<SeriesResult>,
    /// With `[evaluate] intervals`: each level's coverage over every step of every series'
    /// test windows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub intervals: Vec<StepCoverage>,
}

impl PanelReport {
    /// The report over `series`, with their intervals' coverage.
    fn new(
        (run, device): (String, String),
        data: PanelData,
        training: TrainingSummary,
        series: Vec<SeriesResult>,
    ) -> Self {
        let levels = (series.iter())
            .find_map(|result| Some(result.intervals.as_ref()?.0.levels.clone()))
            .unwrap_or_default();
        let parts: Vec<(&TestIntervals, &[Vec<f64>])> = (series.iter())
            .filter_map(|result| {
                let (intervals, actual) = result.intervals.as_ref()?;
                Some((intervals, actual.as_slice()))
            })
            .collect();
        Self {
            run,
            device,
            data,
            training,
            all_series: PanelSummary::over(series.iter().map(|r| &r.test)),
            intervals: StepCoverage::over(&levels, &parts),
            series,
        }
    }
}

/// A series of the file that a panel run left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeftOut {
    /// Its name.
    pub name: String,
    /// Why.
    pub reason: String,
}

/// How the panel's series are held out, in words.
fn split_words(data: &PanelData) -> String {
    match &data.held_out_from {
        Some(date) => format!("one time split: every series trains on rows before {date}"),
        None => "each series holds out its own newest rows".to_string(),
    }
}

/// What a panel run read.
#[derive(Debug, Clone, Serialize)]
pub struct PanelData {
    /// The file.
    pub source: String,
    /// The column naming each row's series.
    pub series_column: String,
    /// Input columns.
    pub features: Vec<String>,
    /// Forecast column.
    pub target: String,
    /// Steps forecast from each origin.
    pub horizon: usize,
    /// With `split = "common_time"`: every training target of every series comes before this
    /// date; `null` when each series holds out its own newest rows (`per_series`).
    pub held_out_from: Option<String>,
    /// The series left out, too short for the windows, each with why.
    pub left_out: Vec<LeftOut>,
    /// Training windows over all series.
    pub train_windows: usize,
    /// Validation windows over all series.
    pub valid_windows: usize,
    /// Test windows over all series.
    pub test_windows: usize,
}

/// One series' data and measures in a panel run.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesResult {
    /// Its name and directory.
    #[serde(flatten)]
    pub entry: SeriesEntry,
    /// Its data and split.
    pub data: DataSummary,
    /// Every forecaster's measures on its test days, in its units.
    pub test: EvaluationTable,
    /// Whether the networks left the series out (too short for their windows, or constant),
    /// so that its model is the statistical voices alone (`[model] statistical`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub without_networks: bool,
    /// Its intervals on its test days (its own `metrics.json` scores them), with the actual
    /// values of every step of every test window: what the panel's coverage counts.
    #[serde(skip)]
    pub intervals: Option<(TestIntervals, Vec<Vec<f64>>)>,
}

/// Directory names for the series: the name with every character other than letters, digits,
/// `-`, `_` and `.` replaced by `_`, numbered when two names would meet.
pub fn series_entries(names: &[&str]) -> Vec<SeriesEntry> {
    let mut taken: Vec<String> = Vec::new();
    names
        .iter()
        .map(|name| {
            let base: String = name
                .chars()
                .map(|c| match c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    true => c,
                    false => '_',
                })
                .collect();
            let base = match base.trim_matches('.').is_empty() {
                true => "series".to_string(),
                false => base,
            };
            let dir = std::iter::once(base.clone())
                .chain((2..).map(|n| format!("{base}-{n}")))
                .find(|candidate| !taken.contains(candidate))
                .expect("some numbered name is free");
            taken.push(dir.clone());
            SeriesEntry {
                name: name.to_string(),
                dir,
            }
        })
        .collect()
}

/// The directory of one series' files in a run.
pub fn series_dir(run: &RunDir, entry: &SeriesEntry) -> std::path::PathBuf {
    run.file(files::SERIES_DIR).join(&entry.dir)
}

/// The series a panel left out (`PreparedPanel::left_out`), as `left_out.json` and
/// `metrics.json` list them.
pub fn left_out(left_out: &[(String, String)]) -> Vec<LeftOut> {
    (left_out.iter())
        .map(|(name, reason)| LeftOut {
            name: name.clone(),
            reason: reason.clone(),
        })
        .collect()
}

/// Writes `panel.json` (the series of the run, `entries`) and `left_out.json` (those of the
/// file it left out, `(name, why)`, which `predict` passes over).
pub fn write_series_lists(
    run: &RunDir,
    entries: &[SeriesEntry],
    left: &[(String, String)],
) -> anyhow::Result<()> {
    run.write(
        files::PANEL,
        serde_json::to_string_pretty(entries)?.as_bytes(),
    )?;
    run.write(
        files::LEFT_OUT,
        serde_json::to_string_pretty(&left_out(left))?.as_bytes(),
    )
}

/// Reads `left_out.json`: the series of the file a panel run left out (none for a run written
/// before the file existed).
pub fn read_left_out(run: &RunDir) -> anyhow::Result<Vec<LeftOut>> {
    match run.file(files::LEFT_OUT).is_file() {
        true => read_series_list(run, files::LEFT_OUT),
        false => Ok(Vec::new()),
    }
}

/// Reads `panel.json`: the series a panel run knows.
pub fn read_entries(run: &RunDir) -> anyhow::Result<Vec<SeriesEntry>> {
    read_series_list(run, files::PANEL)
}

/// Reads the list of series in `run`'s `file`.
fn read_series_list<T: serde::de::DeserializeOwned>(run: &RunDir, file: &str) -> anyhow::Result<T> {
    let path = run.file(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|error| anyhow::anyhow!("{} is not a list of series: {error}", path.display()))
}

/// One line about the panel for the terminal.
pub fn describe(panel: &PreparedPanel) {
    let data = panel_data(panel);
    let names: Vec<&str> = panel
        .series
        .iter()
        .take(5)
        .map(|s| s.name.as_str())
        .collect();
    let more = if panel.series.len() > 5 { ", …" } else { "" };
    eprintln!(
        "data: {} series ({} = {}{more}) of {}; {}; windows: {} train, {} valid, {} test",
        panel.series.len(),
        data.series_column,
        names.join(", "),
        data.source,
        split_words(&data),
        data.train_windows,
        data.valid_windows,
        data.test_windows,
    );
    print_notes(panel);
}

/// The notes on a panel: the series left out, with why, and what cleaning found in the others.
pub fn print_notes(panel: &PreparedPanel) {
    let left_out = (panel.left_out.iter())
        .map(|(name, reason)| format!("series '{name}' is left out: {reason}"))
        .collect();
    crate::notes::print_capped(left_out, "are left out likewise (left_out.json names each)");
    crate::notes::print_panel_notes(
        (panel.series.iter()).map(|member| (member.name.as_str(), member.data.cleaning_notes())),
    );
}

/// Evaluates the trained model on every series of `panel` and writes the run's files into
/// `run`, with those of the series the networks left out that were evaluated without them
/// (`alone`, each named); the model's intervals calibrated on a second fit's pooled errors
/// (`second`, in `panel`'s order) where one made them, else on its own.
pub(crate) fn evaluate_and_write(
    config: &ExperimentConfig,
    panel: &PreparedPanel,
    baselines: &[Box<dyn Baseline>],
    (run, alone): (&RunDir, Vec<(String, Evaluation)>),
    (selected, trained): (&SelectedDevice, &TrainedModel),
    second: Option<(Calibration, ErrorsBySeries)>,
) -> anyhow::Result<()> {
    let config_toml = toml::to_string_pretty(config)?;
    let names: Vec<&str> = (panel.series.iter().map(|s| s.name.as_str()))
        .chain(alone.iter().map(|(name, _)| name.as_str()))
        .collect();
    let mut entries = series_entries(&names);
    let alone_entries = entries.split_off(panel.series.len());
    let mut results = Vec::with_capacity(names.len());
    let mut predictions = Vec::with_capacity(names.len());
    let (calibration, pooled) = match second {
        Some(second) => second,
        None => pooled_errors(config, panel, selected, trained)?,
    };
    // the series side by side: each holds its statistical voices' fits (one test origin each
    // in the M4 protocol, which a series alone could not spread over the cores)
    let members: Vec<_> = panel.series.iter().zip(&pooled).collect();
    let evaluations = in_parallel(&members, cores(), |_, (member, errors)| {
        let name = format!("{} / {}", config.run_name(), member.name);
        let model_errors = CalibrationErrors {
            calibration,
            by_step: errors,
        };
        evaluate(
            config,
            &member.data,
            baselines,
            selected,
            trained,
            name,
            ModelErrors::Given(model_errors),
        )
    });
    for ((member, entry), evaluation) in panel.series.iter().zip(&entries).zip(evaluations) {
        let data = &member.data;
        let mut evaluation = evaluation?;
        evaluation.report.data.series = Some(member.name.clone());
        let dir = RunDir::create(&series_dir(run, entry))?;
        write_series(&dir, &evaluation, data, &[], &config_toml)?;
        predictions.push((member.name.clone(), read_predictions(&dir)?));
        results.push(SeriesResult {
            entry: entry.clone(),
            data: evaluation.report.data,
            test: evaluation.report.test,
            without_networks: false,
            intervals: (evaluation.report.intervals)
                .map(|intervals| (intervals, evaluation.forecast.actual_steps)),
        });
    }
    for (result, csv) in write_alone(run, alone, alone_entries, &config_toml)? {
        results.push(result);
        predictions.push(csv);
    }
    let training = TrainingSummary::new(
        &trained.history,
        trained.kept_epoch,
        trained.stop_reason.clone(),
        trained.wall_time.as_secs_f64(),
    );
    let names = (config.run_name().to_string(), selected.description.clone());
    let report = PanelReport::new(names, panel_data(panel), training, results);
    run.save_weights(config, &trained.forecaster)?;
    write_series_lists(run, &entries, &panel.left_out)?;
    write_loss_csv(run.path(), &trained.history)?;
    if !trained.history.is_empty() {
        crate::plots::loss_curve(&run.file(files::LOSS_PLOT), &trained.history)?;
    }
    write_summary(run, &report, &predictions, &config_toml)?;
    print_trained(&report.training, &report.device, run);
    Ok(())
}

/// Writes the files of a panel run none of whose series its networks could read (`data`, the
/// series left out with why): each series evaluated by the statistical voices alone
/// (`alone`, named), in its directory, and the summary over them, `name`d; prints its table.
pub(crate) fn write_without_networks(
    run: &RunDir,
    (name, data): (String, PanelData),
    alone: Vec<(String, Evaluation)>,
    training: TrainingSummary,
    config_toml: &str,
) -> anyhow::Result<()> {
    let names: Vec<&str> = alone.iter().map(|(name, _)| name.as_str()).collect();
    let entries = series_entries(&names);
    let left: Vec<(String, String)> = (data.left_out.iter())
        .map(|left| (left.name.clone(), left.reason.clone()))
        .collect();
    write_series_lists(run, &entries, &left)?;
    let (series, predictions): (Vec<SeriesResult>, Vec<(String, String)>) =
        write_alone(run, alone, entries, config_toml)?
            .into_iter()
            .unzip();
    let report = PanelReport::new((name, "the CPU".to_string()), data, training, series);
    write_summary(run, &report, &predictions, config_toml)
}

/// Writes each series of `alone` (evaluated by the statistical voices alone, named) into its
/// directory (`entries`, in the same order); returns its result and predictions.
fn write_alone(
    run: &RunDir,
    alone: Vec<(String, Evaluation)>,
    entries: Vec<SeriesEntry>,
    config_toml: &str,
) -> anyhow::Result<Vec<(SeriesResult, (String, String))>> {
    (alone.into_iter().zip(entries))
        .map(|((_, evaluation), entry)| {
            let dir = RunDir::create(&series_dir(run, &entry))?;
            write_evaluation(&dir, &evaluation, &[], config_toml)?;
            let predictions = (entry.name.clone(), read_predictions(&dir)?);
            let result = SeriesResult {
                entry,
                data: evaluation.report.data,
                test: evaluation.report.test,
                without_networks: true,
                intervals: (evaluation.report.intervals)
                    .map(|intervals| (intervals, evaluation.forecast.actual_steps)),
            };
            Ok((result, predictions))
        })
        .collect()
}

/// Writes a panel run's `predictions.csv` (from each series', `(name, text)`), `report.md`
/// and `metrics.json`, and prints its table.
fn write_summary(
    run: &RunDir,
    report: &PanelReport,
    predictions: &[(String, String)],
    config_toml: &str,
) -> anyhow::Result<()> {
    run.write(
        files::PREDICTIONS,
        panel_predictions(predictions).as_bytes(),
    )?;
    run.write(files::REPORT, markdown(report, config_toml).as_bytes())?;
    run.write(
        files::METRICS,
        serde_json::to_string_pretty(report)?.as_bytes(),
    )?;
    println!("{}", table(report));
    Ok(())
}

/// The model's calibration errors of every series (`[series][step][error]`), pooled over the
/// series of `panel`, each scaled by its own (`yoho_eval::pooled`): one series' few validation
/// windows could not calibrate an interval.
pub(crate) fn pooled_errors(
    config: &ExperimentConfig,
    panel: &PreparedPanel,
    selected: &SelectedDevice,
    trained: &TrainedModel,
) -> anyhow::Result<(Calibration, ErrorsBySeries)> {
    let model = &trained.forecaster;
    if config.evaluate.intervals.is_empty() || model.distribution().is_probabilistic() {
        // no conformal interval to calibrate
        return Ok((
            Calibration::Validation,
            vec![Vec::new(); panel.series.len()],
        ));
    }
    let members: Vec<_> = panel.series.iter().map(|member| &member.data).collect();
    Ok(pooled_errors_by_step(
        model,
        &members,
        config.evaluate.season,
        config.blend().as_ref(),
        &selected.device,
    )?)
}

/// The text of the `predictions.csv` in a series' directory.
fn read_predictions(dir: &RunDir) -> anyhow::Result<String> {
    let path = dir.file(files::PREDICTIONS);
    std::fs::read_to_string(&path)
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))
}

/// The panel's `predictions.csv`: each series' (`(name, its predictions.csv)`) rows after a
/// first column naming it, under the union of their columns in the order they first come; a
/// series without a column (an interval level its calibration cannot give, a baseline that
/// does not apply to it) leaves its cells empty.
fn panel_predictions(series: &[(String, String)]) -> String {
    let header = |text: &str| -> Vec<String> {
        let line = text.lines().next().unwrap_or_default();
        line.split(',').map(str::to_string).collect()
    };
    let mut columns: Vec<String> = Vec::new();
    for (_, text) in series {
        for column in header(text) {
            if !columns.contains(&column) {
                columns.push(column);
            }
        }
    }
    let mut csv = format!("series,{}\n", columns.join(","));
    for (name, text) in series {
        let own = header(text);
        let name = csv_cell(name);
        // a series' own cells are dates and numbers: no commas to quote
        for line in text.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            let row: Vec<&str> = (columns.iter())
                .map(|column| {
                    (own.iter().position(|own| own == column))
                        .and_then(|index| cells.get(index).copied())
                        .unwrap_or_default()
                })
                .collect();
            let _ = writeln!(csv, "{name},{}", row.join(","));
        }
    }
    csv
}

fn panel_data(panel: &PreparedPanel) -> PanelData {
    let first = &panel.series[0].data;
    let total = |windows: fn(&yoho_data::PreparedData) -> usize| -> usize {
        panel.series.iter().map(|s| windows(&s.data)).sum()
    };
    PanelData {
        source: panel.source_name.clone(),
        series_column: panel.series_column.clone(),
        features: first.features.clone(),
        target: first.target.clone(),
        horizon: first.window.horizon,
        held_out_from: panel.held_out_from.map(|date| date.to_string()),
        left_out: left_out(&panel.left_out),
        train_windows: total(|d| d.splits.train.len()),
        valid_windows: total(|d| d.splits.valid.len()),
        test_windows: total(|d| d.splits.test.len()),
    }
}

const HEADERS: [&str; 8] = [
    "series",
    "forecasts",
    "model RMSE",
    "naive RMSE",
    "model MASE",
    "naive MASE",
    "DM p vs naive",
    "verdict",
];
const WIDTHS: [usize; 8] = [14, 9, 12, 12, 10, 10, 13, 22];

/// The series the networks trained on, and how many more the statistical voices alone
/// evaluated, in words ("2 series (and 1 more without networks)").
fn trained_series(report: &PanelReport) -> String {
    let without = (report.series.iter())
        .filter(|result| result.without_networks)
        .count();
    let trained = report.series.len() - without;
    match without {
        0 => format!("{trained} series"),
        _ => format!("{trained} series (and {without} more without networks)"),
    }
}

/// The most series the terminal table lists; `report.md` and `metrics.json` hold them all.
const PRINTED_SERIES_ROWS: usize = 20;

/// The first `count` series' rows of `rows` (a row per series, then the means), a row saying
/// how many more there are, and the means.
fn first_rows(mut rows: Vec<Vec<String>>, count: usize) -> Vec<Vec<String>> {
    let Some(means) = rows.pop() else {
        return rows;
    };
    if rows.len() > count {
        let more = rows.len() - count;
        rows.truncate(count);
        let mut row = vec![String::new(); means.len()];
        row[0] = format!("… {more} more");
        rows.push(row);
    }
    rows.push(means);
    rows
}

/// A row per series, then the means over all series.
fn rows(report: &PanelReport) -> Vec<Vec<String>> {
    let number = |value: Option<f64>, decimals: usize| match value {
        Some(value) if value.is_finite() => format!("{value:.decimals$}"),
        _ => "n/a".to_string(),
    };
    let mut rows: Vec<Vec<String>> = report
        .series
        .iter()
        .map(|result| {
            let model = result.test.get(yoho_eval::MODEL);
            let naive = result.test.get(NAIVE);
            let verdict = match model.and_then(|m| m.verdict_vs_naive()) {
                Some(Verdict::Better) => "model better (5 %)",
                Some(Verdict::Worse) => "naive better (5 %)",
                Some(Verdict::NoDifference) => "no significant difference",
                // one forecast origin, or losses that never differ
                None => "untested",
            };
            vec![
                result.entry.name.clone(),
                result.data.test_windows.to_string(),
                number(model.map(|m| m.rmse), 3),
                number(naive.map(|m| m.rmse), 3),
                number(model.map(|m| m.mase), 3),
                number(naive.map(|m| m.mase), 3),
                number(model.and_then(|m| m.dm_vs_naive).map(|dm| dm.p_value), 4),
                verdict.to_string(),
            ]
        })
        .collect();
    let mean = |name: &str| report.all_series.mean.get(name);
    let summary = &report.all_series;
    rows.push(vec![
        "mean".to_string(),
        (report.series.iter())
            .map(|result| result.data.test_windows)
            .sum::<usize>()
            .to_string(),
        number(mean(yoho_eval::MODEL).map(|m| m.rmse), 3),
        number(mean(NAIVE).map(|m| m.rmse), 3),
        number(mean(yoho_eval::MODEL).map(|m| m.mase), 3),
        number(mean(NAIVE).map(|m| m.mase), 3),
        String::new(),
        significance_in_brief(summary),
    ]);
    rows
}

/// The mean row's verdict: on how many series the model beats naive at the 5 % level, of those
/// the test could be made on.
fn significance_in_brief(summary: &PanelSummary) -> String {
    let better = summary.model_significantly_better_than_naive;
    match summary.model_untested_vs_naive {
        0 => format!("better on {better} of {}", summary.series),
        untested if untested == summary.series => format!("untested on all {untested}"),
        untested => format!("better on {better} of {} tested", summary.series - untested),
    }
}

/// The sentence on the test against naive over the panel: how many series beat it at the 5 %
/// level, lose to it, and could not be tested (with what would test them).
fn significance_sentence(summary: &PanelSummary) -> String {
    let untested = match summary.model_untested_vs_naive {
        0 => String::new(),
        untested => format!(
            " ({untested} untested: one forecast origin, or losses that never differ; \
             `trainer backtest` forecasts from many origins)"
        ),
    };
    format!(
        "it beats naive at the 5 % level on {} and loses at that level on {}{untested}",
        summary.model_significantly_better_than_naive,
        summary.naive_significantly_better_than_model
    )
}

/// The sentence naming the series the networks left out that their statistical voices were
/// evaluated on alone; `None` when there are none.
fn without_networks(report: &PanelReport) -> Option<String> {
    let names: Vec<String> = (report.series.iter())
        .filter(|result| result.without_networks)
        .map(|result| format!("'{}'", result.entry.name))
        .collect();
    match (names.len(), report.series.len()) {
        (0, _) => None,
        (alone, all) if alone == all => Some(
            "Every series is too short for the networks' windows, so the model is the \
             statistical voices alone ([model] statistical)."
                .to_string(),
        ),
        _ => Some(format!(
            "Left out of the networks (too short for their windows, or constant), so the model is the \
             statistical voices alone ([model] statistical) on {}.",
            names.join(", ")
        )),
    }
}

/// The terminal table of a panel run.
pub fn table(report: &PanelReport) -> String {
    let data = &report.data;
    let summary = &report.all_series;
    let mut text = format!(
        "Test: {} series of {} ({}), {} {}, each in its own units; {}\n",
        summary.series,
        data.source,
        data.series_column,
        data.target,
        steps_ahead(data.horizon),
        split_words(data)
    );
    let rows = first_rows(rows(report), PRINTED_SERIES_ROWS);
    let mut widths = WIDTHS;
    widths[0] = rows
        .iter()
        .map(|row| row[0].chars().count())
        .fold(WIDTHS[0], usize::max);
    text += &text_table(&HEADERS, &rows, &widths, Align::Left);
    let _ = writeln!(
        text,
        "The model's RMSE is below naive's on {} of {} series; {}. Each series' full table is \
         in series/<name>/{}.",
        summary.model_lower_rmse_than_naive,
        summary.series,
        significance_sentence(summary),
        match report.series.len() > PRINTED_SERIES_ROWS {
            true => ", and report.md's table holds every series",
            false => "",
        }
    );
    if let Some(sentence) = without_networks(report) {
        let _ = writeln!(text, "{sentence}");
    }
    let relative = relative_text_table(summary);
    if !relative.is_empty() {
        let _ = write!(text, "\n{relative}");
    }
    if let Some(lines) = coverage_text(&report.intervals) {
        let _ = write!(text, "\n{lines}");
    }
    text
}

/// The panel's interval coverage over every step of every series, a heading and a line per
/// level; `None` without intervals.
fn coverage_text(coverages: &[StepCoverage]) -> Option<String> {
    let values = coverages.iter().map(|c| c.values).max()?;
    Some(format!(
        "Prediction intervals over every step of every series' test forecasts ({values} \
         values), each series' calibrated as its report says:\n{}",
        coverage_lines(coverages)
    ))
}

/// `report.md` of a panel run.
fn markdown(report: &PanelReport, config_toml: &str) -> String {
    let data = &report.data;
    let training = &report.training;
    let mut text = format!("# Yoho panel run `{}`\n\n", report.run);
    let networks = report.series.iter().any(|result| !result.without_networks);
    let _ = match (networks, training.epochs) {
        (false, _) => writeln!(
            text,
            "No networks trained; {} series evaluated ({}).\n",
            report.all_series.series, training.stop_reason
        ),
        (true, epochs) => writeln!(
            text,
            "One model trained on {} in {epochs} epochs ({:.1} s on {}; {}).\n",
            trained_series(report),
            training.wall_seconds,
            report.device,
            training.stop_reason
        ),
    };
    let _ = writeln!(
        text,
        "- source: `{}`, series column `{}`; inputs {}; target {} {}",
        data.source,
        data.series_column,
        data.features.join(", "),
        data.target,
        steps_ahead(data.horizon)
    );
    let _ = writeln!(
        text,
        "- {}; windows: {} training, {} validation, {} test\n",
        split_words(data),
        data.train_windows,
        data.valid_windows,
        data.test_windows
    );
    let _ = writeln!(text, "## Test, per series and on average\n");
    text += &markdown_rows(&HEADERS, &rows(report), Align::Left);
    let _ = writeln!(
        text,
        "\nRMSE is in each series' units, so its mean weighs series of large values more; MASE \
         is comparable across series. Each series' report, charts and predictions are in \
         `series/<name>/`.\n"
    );
    if let Some(sentence) = without_networks(report) {
        let _ = writeln!(text, "{sentence}\n");
    }
    let relative = relative_markdown(&report.all_series);
    if !relative.is_empty() {
        let _ = writeln!(text, "## Every forecaster over all series\n\n{relative}");
    }
    if let Some(lines) = coverage_text(&report.intervals) {
        let lines = lines.trim_end().replace('\n', "\n\n");
        let _ = writeln!(text, "## Prediction intervals\n\n{lines}\n");
    }
    if networks {
        let _ = writeln!(text, "![loss](loss.png)\n");
    }
    let _ = writeln!(text, "## Config\n\n```toml\n{config_toml}```");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_over_series_counts_only_the_tested_ones() {
        let summary = |better, worse, untested| PanelSummary {
            mean: Default::default(),
            model_lower_rmse_than_naive: 0,
            model_significantly_better_than_naive: better,
            naive_significantly_better_than_model: worse,
            model_untested_vs_naive: untested,
            series: 10,
            reference: NAIVE,
            relative: Default::default(),
        };
        for ((better, worse, untested), brief) in [
            ((4, 1, 0), "better on 4 of 10"),
            ((4, 1, 3), "better on 4 of 7 tested"),
            ((0, 0, 10), "untested on all 10"),
        ] {
            assert_eq!(
                significance_in_brief(&summary(better, worse, untested)),
                brief
            );
        }
        assert_eq!(
            significance_sentence(&summary(4, 1, 0)),
            "it beats naive at the 5 % level on 4 and loses at that level on 1"
        );
        let sentence = significance_sentence(&summary(0, 0, 10));
        assert!(
            sentence.contains("(10 untested: one forecast origin"),
            "{sentence}"
        );
    }

    #[test]
    fn the_terminal_lists_the_first_series_then_how_many_more_and_the_means() {
        let rows = |series: usize| -> Vec<Vec<String>> {
            (0..series)
                .map(|i| vec![format!("s{i}"), "1".to_string()])
                .chain([vec!["mean".to_string(), "2".to_string()]])
                .collect()
        };
        let names = |rows: Vec<Vec<String>>| -> Vec<String> {
            rows.into_iter().map(|row| row[0].clone()).collect()
        };
        assert_eq!(names(first_rows(rows(3), 3)), ["s0", "s1", "s2", "mean"]);
        let cut = first_rows(rows(5), 2);
        assert_eq!(cut[2], ["… 3 more", ""]);
        assert_eq!(names(cut), ["s0", "s1", "… 3 more", "mean"]);
        assert!(first_rows(Vec::new(), 2).is_empty());
    }

    #[test]
    fn series_directories_are_safe_and_distinct() {
        let entries = series_entries(&["^GSPC", "N225", "a/b", "a_b", "..", ""]);
        let dirs: Vec<&str> = entries.iter().map(|e| e.dir.as_str()).collect();
        assert_eq!(
            dirs,
            ["_GSPC", "N225", "a_b", "a_b-2", "series", "series-2"]
        );
        assert_eq!(entries[0].name, "^GSPC");
    }

    #[test]
    fn a_panels_predictions_hold_every_series_columns() {
        let series = [
            (
                "a".to_string(),
                "date,actual,naive\n2020-01-01,1,2\n".to_string(),
            ),
            (
                "b,c".to_string(),
                "date,actual,naive,lower_80,upper_80\n2020-01-01,3,4,2,6\n2020-02-01,5,6,4,8\n"
                    .to_string(),
            ),
            (
                "d".to_string(),
                "date,actual,upper_80\n2020-01-01,7,9\n".to_string(),
            ),
        ];
        assert_eq!(
            panel_predictions(&series),
            "series,date,actual,naive,lower_80,upper_80\n\
             a,2020-01-01,1,2,,\n\
             \"b,c\",2020-01-01,3,4,2,6\n\
             \"b,c\",2020-02-01,5,6,4,8\n\
             d,2020-01-01,7,,,9\n"
        );
    }

    #[test]
    fn series_names_are_quoted_in_csv_when_they_must_be() {
        assert_eq!(csv_cell("N225"), "N225");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
