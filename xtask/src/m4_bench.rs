//! `cargo xtask bench --m4 DIR --set NAME [--series N] [--seed S]`: one of the M4 competition's
//! six sets, read from its own files (`DIR/Train/<Set>-train.csv` and `DIR/Test/<Set>-test.csv`,
//! as the `Dataset` folder of the public `Mcompetitions/M4-methods` repository holds them: a
//! row per series, its id and then its values), run as one panel by the trainer's recipe (a
//! config of only `[data]`'s file, columns and horizon), and scored as M4 scores it: sMAPE and
//! MASE (with M4's period: 1 for yearly, weekly and daily series, 4, 12 and 24 for quarterly,
//! monthly and hourly ones) averaged over the series, and OWA, their mean relative to Naive2's.
//!
//! The files carry no dates: every series is dated to end on the same period (the last of
//! 2018), so that its frequency is found as the trainer finds any file's. The long file, the
//! config and the run are written under `<target>/bench/m4-<set>/`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{Datelike, Months, NaiveDate};
use trainer::cli::TrainArgs;
use trainer::device::DeviceChoice;
use yoho_eval::metrics;

/// One of M4's sets: its file name, horizon, MASE period and how its rows are dated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct M4Set {
    /// The files' name (`Weekly` for `Weekly-train.csv`).
    pub name: &'static str,
    /// Values forecast after each series.
    pub horizon: usize,
    /// M4's period for MASE and for Naive2's seasonal adjustment.
    pub period: usize,
}

/// The six sets.
pub const SETS: [M4Set; 6] = [
    M4Set {
        name: "Yearly",
        horizon: 6,
        period: 1,
    },
    M4Set {
        name: "Quarterly",
        horizon: 8,
        period: 4,
    },
    M4Set {
        name: "Monthly",
        horizon: 18,
        period: 12,
    },
    M4Set {
        name: "Weekly",
        horizon: 13,
        period: 1,
    },
    M4Set {
        name: "Daily",
        horizon: 14,
        period: 1,
    },
    M4Set {
        name: "Hourly",
        horizon: 48,
        period: 24,
    },
];

impl M4Set {
    /// This set with another horizon (for tests of files that do not match it).
    #[cfg(test)]
    fn with_horizon(self, horizon: usize) -> Self {
        Self { horizon, ..self }
    }

    /// The set named `name`, in any case.
    pub fn named(name: &str) -> anyhow::Result<Self> {
        (SETS.iter())
            .find(|set| set.name.eq_ignore_ascii_case(name))
            .copied()
            .ok_or_else(|| {
                let names: Vec<&str> = SETS.iter().map(|s| s.name).collect();
                anyhow::anyhow!("--set {name}: expected one of {}", names.join(", "))
            })
    }

    /// The date text of the row `back` periods before the last (2018's last period).
    fn date(&self, back: usize) -> String {
        let end = NaiveDate::from_ymd_opt(2018, 12, 1).expect("a date");
        let months_back = |months: usize| end - Months::new(months as u32);
        match self.name {
            "Yearly" => format!("{}", 2018 - back as i64),
            "Quarterly" => {
                let date = months_back(3 * back);
                format!("{}Q{}", date.year(), date.month0() / 3 + 1)
            }
            "Monthly" => months_back(back).format("%Y-%m").to_string(),
            "Weekly" => (monday_2018_12_31() - chrono::Days::new(7 * back as u64)).to_string(),
            "Daily" => (monday_2018_12_31() - chrono::Days::new(back as u64)).to_string(),
            _ => {
                let end = monday_2018_12_31().and_hms_opt(23, 0, 0).expect("a time");
                (end - chrono::Duration::hours(back as i64))
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            }
        }
    }
}

fn monday_2018_12_31() -> NaiveDate {
    NaiveDate::from_ymd_opt(2018, 12, 31).expect("a date")
}

/// What `bench --m4` was asked.
#[derive(Debug, Clone, PartialEq)]
pub struct M4Args {
    /// The folder holding `Train/` and `Test/`.
    pub dir: PathBuf,
    /// The set.
    pub set: M4Set,
    /// Only the first this many series (all without it).
    pub series: Option<usize>,
    /// The recipe's seed.
    pub seed: u64,
}

impl M4Args {
    /// Reads `--m4 DIR --set NAME [--series N] [--seed S]`.
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let usage = "usage: cargo xtask bench --m4 DIR --set NAME [--series N] [--seed S]";
        let (mut dir, mut set, mut series, mut seed) = (None, None, None, 42);
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let mut value = || {
                (rest.next().cloned())
                    .ok_or_else(|| anyhow::anyhow!("{arg} needs a value; {usage}"))
            };
            match arg.as_str() {
                "--m4" => dir = Some(PathBuf::from(value()?)),
                "--set" => set = Some(M4Set::named(&value()?)?),
                "--series" => {
                    let text = value()?;
                    series = Some((text.parse().ok().filter(|n| *n > 0)).ok_or_else(|| {
                        anyhow::anyhow!("--series {text}: expected a number ≥ 1")
                    })?);
                }
                "--seed" => {
                    let text = value()?;
                    seed = text
                        .parse()
                        .map_err(|_| anyhow::anyhow!("--seed {text}: expected a number"))?;
                }
                other => bail!("unknown option {other}; {usage}"),
            }
        }
        Ok(Self {
            dir: dir.ok_or_else(|| anyhow::anyhow!("--m4 needs a folder; {usage}"))?,
            set: set.ok_or_else(|| anyhow::anyhow!("--set is missing; {usage}"))?,
            series,
            seed,
        })
    }
}

/// One series: its id, its history and the values M4 held out after it.
#[derive(Debug, Clone, PartialEq)]
pub struct M4Series {
    pub id: String,
    pub history: Vec<f64>,
    pub test: Vec<f64>,
}

/// The series of one of M4's files: a header, then a row per series, its quoted id and then its
/// values (empty or `NA` cells after a shorter series' last).
fn read_rows(path: &Path) -> anyhow::Result<Vec<(String, Vec<f64>)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {} (M4's set files)", path.display()))?;
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        let mut cells = line.split(',').map(|cell| cell.trim().trim_matches('"'));
        let Some(id) = cells.next().filter(|id| !id.is_empty()) else {
            continue;
        };
        let values = cells
            .filter(|cell| !cell.is_empty() && *cell != "NA")
            .map(|cell| {
                cell.parse::<f64>().map_err(|_| {
                    anyhow::anyhow!(
                        "{} row {}: {cell:?} is not a number",
                        path.display(),
                        index + 1
                    )
                })
            })
            .collect::<anyhow::Result<Vec<f64>>>()?;
        rows.push((id.to_string(), values));
    }
    Ok(rows)
}

/// The set's series: each training row joined to its test row by id.
pub fn read_set(dir: &Path, set: M4Set) -> anyhow::Result<Vec<M4Series>> {
    let train = read_rows(&dir.join("Train").join(format!("{}-train.csv", set.name)))?;
    let test: BTreeMap<String, Vec<f64>> =
        read_rows(&dir.join("Test").join(format!("{}-test.csv", set.name)))?
            .into_iter()
            .collect();
    train
        .into_iter()
        .map(|(id, history)| {
            let test = test.get(&id).cloned().unwrap_or_default();
            if test.len() != set.horizon {
                bail!(
                    "series {id}: {} test values, M4's {} set holds {}",
                    test.len(),
                    set.name,
                    set.horizon
                );
            }
            Ok(M4Series { id, history, test })
        })
        .collect()
}

/// The long file the trainer reads: `id,date,value`, every series dated to end together.
fn long_csv(set: M4Set, series: &[M4Series]) -> String {
    let mut text = String::from("id,date,value\n");
    for one in series {
        let values: Vec<f64> = one.history.iter().chain(&one.test).copied().collect();
        for (row, value) in values.iter().enumerate() {
            let _ = writeln!(
                text,
                "{},{},{value}",
                one.id,
                set.date(values.len() - 1 - row)
            );
        }
    }
    text
}

/// M4's Naive2: the naive forecast of the history seasonally adjusted by classical
/// multiplicative decomposition, the season put back, where the autocorrelation at lag
/// `period` is significant at 10 % (with three seasons of history at least, as M4's
/// benchmarks test it); the plain naive forecast otherwise.
pub fn naive2(history: &[f64], period: usize, horizon: usize) -> Vec<f64> {
    let last = history.last().copied().unwrap_or(f64::NAN);
    let Some(indices) = seasonal_indices(history, period) else {
        return vec![last; horizon];
    };
    let n = history.len();
    let adjusted = last / indices[(n - 1) % period];
    (n..n + horizon)
        .map(|row| adjusted * indices[row % period])
        .collect()
}

/// Classical multiplicative decomposition's index of each phase (mean 1), where M4's
/// seasonality test finds a season of `period`.
fn seasonal_indices(history: &[f64], period: usize) -> Option<Vec<f64>> {
    let n = history.len();
    if period < 2 || n < 3 * period || !significant_at_lag(history, period) {
        return None;
    }
    let average = |range: std::ops::Range<usize>| {
        history[range.clone()].iter().sum::<f64>() / range.len() as f64
    };
    let (mut sums, mut counts) = (vec![0.0; period], vec![0usize; period]);
    for row in period / 2..n - period / 2 {
        let start = row - period / 2;
        let trend = match period % 2 {
            // a 2 × period moving average, centred on the row
            0 if row + period / 2 < n => {
                (average(start..start + period) + average(start + 1..start + period + 1)) / 2.0
            }
            0 => continue,
            _ => average(start..start + period),
        };
        sums[row % period] += history[row] / trend;
        counts[row % period] += 1;
    }
    let raw: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| s / c as f64)
        .collect();
    let mean = raw.iter().sum::<f64>() / period as f64;
    Some(raw.iter().map(|index| index / mean).collect())
}

/// M4's seasonality test: the autocorrelation at lag `period` beyond 1.645 standard errors
/// (Bartlett's, from the autocorrelations at the shorter lags).
fn significant_at_lag(history: &[f64], period: usize) -> bool {
    let n = history.len();
    let mean = history.iter().sum::<f64>() / n as f64;
    let variance: f64 = history.iter().map(|v| (v - mean).powi(2)).sum();
    if variance == 0.0 {
        return false;
    }
    let acf = |lag: usize| {
        (0..n - lag)
            .map(|i| (history[i] - mean) * (history[i + lag] - mean))
            .sum::<f64>()
            / variance
    };
    let shorter: f64 = (1..period).map(|lag| acf(lag).powi(2)).sum();
    let limit = 1.645 * ((1.0 + 2.0 * shorter) / n as f64).sqrt();
    acf(period).abs() > limit
}

/// A method's scores over the set.
#[derive(Debug, Clone, PartialEq)]
pub struct M4Score {
    pub method: String,
    pub smape: f64,
    pub mase: f64,
}

/// The mean sMAPE and MASE of `forecasts` (one per series, in order) over `series`, as
/// `yoho_eval::metrics` measures them (MASE scaled by the seasonal naive of M4's `period` on
/// each history); an error naming the series where one is undefined.
pub fn score(
    method: &str,
    series: &[M4Series],
    forecasts: &[Vec<f64>],
    period: usize,
) -> anyhow::Result<M4Score> {
    let (mut smape, mut mase) = (0.0, 0.0);
    for (one, forecast) in series.iter().zip(forecasts) {
        let undefined = |measure: &str, why| {
            anyhow::anyhow!(
                "{method}'s {measure} of series {} is undefined: {why:?}",
                one.id
            )
        };
        smape +=
            metrics::smape_percent(&one.test, forecast).map_err(|why| undefined("sMAPE", why))?;
        let scale = metrics::seasonal_naive_in_sample_mae(&one.history, period);
        mase += metrics::mase(&one.test, forecast, scale).map_err(|why| undefined("MASE", why))?;
    }
    let count = series.len().max(1) as f64;
    Ok(M4Score {
        method: method.to_string(),
        smape: smape / count,
        mase: mase / count,
    })
}

/// The table: each method's sMAPE, MASE and OWA (relative to `reference`, Naive2).
pub fn table(scores: &[M4Score], reference: &M4Score) -> String {
    let mut text = format!(
        "{:<14} {:>9} {:>9} {:>7}\n",
        "method", "sMAPE %", "MASE", "OWA"
    );
    for s in scores {
        let owa = (s.smape / reference.smape + s.mase / reference.mase) / 2.0;
        let _ = writeln!(
            text,
            "{:<14} {:>9.3} {:>9.3} {:>7.3}",
            s.method, s.smape, s.mase, owa
        );
    }
    text
}

/// The model's forecast of each series from the run at `run` (its `by_step.csv`).
fn run_forecasts(run: &Path, series: &[M4Series]) -> anyhow::Result<Vec<Vec<f64>>> {
    let listing = std::fs::read_to_string(run.join("panel.json"))?;
    let entries: Vec<serde_json::Value> = serde_json::from_str(&listing)?;
    let dirs: BTreeMap<&str, &str> = (entries.iter())
        .filter_map(|e| Some((e["name"].as_str()?, e["dir"].as_str()?)))
        .collect();
    series
        .iter()
        .map(|one| {
            let dir = dirs
                .get(one.id.as_str())
                .with_context(|| format!("no run for {}", one.id))?;
            let path = run.join("series").join(dir).join("by_step.csv");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            // window, first_target_date, steps_ahead, actual, model, …
            (text.lines().skip(1))
                .map(|line| {
                    (line.split(',').nth(4))
                        .and_then(|cell| cell.parse().ok())
                        .with_context(|| format!("{}: no forecast in {line:?}", path.display()))
                })
                .collect()
        })
        .collect()
}

/// Runs the bench, writing under `<target>/bench/m4-<set>/` (`CARGO_TARGET_DIR` or `target`).
pub fn run(args: &M4Args) -> anyhow::Result<()> {
    let out = (crate::backtest_bench::target_dir())
        .join("bench")
        .join(format!("m4-{}", args.set.name.to_lowercase()));
    let report = evaluate(args, &out)?;
    println!("\n{report}");
    Ok(())
}

/// Runs the set's panel in `out` and scores it: the report's heading and table.
fn evaluate(args: &M4Args, out: &Path) -> anyhow::Result<String> {
    let set = args.set;
    let mut series = read_set(&args.dir, set)?;
    if let Some(count) = args.series {
        series.truncate(count);
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let data = out.join("series.csv");
    std::fs::write(&data, long_csv(set, &series))?;
    let config = out.join("config.toml");
    let text = format!(
        "[data]\npath = {:?}\ndate_column = \"date\"\nseries_column = \"id\"\n\
         target = \"value\"\nhorizon = {}\n\n[train]\nseed = {}\n",
        data.display().to_string(),
        set.horizon,
        args.seed
    );
    std::fs::write(&config, text)?;
    let run_dir = out.join("run");
    let started = Instant::now();
    trainer::train::train_and_evaluate(&TrainArgs {
        config,
        data: None,
        epochs: None,
        out: Some(run_dir.clone()),
        overwrite: true,
        resume: None,
        device: DeviceChoice::Cpu,
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let forecasts = run_forecasts(&run_dir, &series)?;
    let last = |s: &M4Series| s.history.last().copied().unwrap_or(f64::NAN);
    let naive2s: Vec<Vec<f64>> = (series.iter())
        .map(|s| naive2(&s.history, set.period, set.horizon))
        .collect();
    let naives: Vec<Vec<f64>> = (series.iter())
        .map(|s| vec![last(s); set.horizon])
        .collect();
    let reference = score("Naive2", &series, &naive2s, set.period)?;
    let scores = [
        score("yoho", &series, &forecasts, set.period)?,
        reference.clone(),
        score("naive", &series, &naives, set.period)?,
    ];
    Ok(format!(
        "M4 {}: {} series, {} ahead, MASE period {}; the trainer's recipe (seed {}) in \
         {seconds:.1} s (run in {})\n{}",
        set.name.to_lowercase(),
        series.len(),
        set.horizon,
        set.period,
        args.seed,
        run_dir.display(),
        table(&scores, &reference)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str) -> M4Set {
        M4Set::named(name).unwrap()
    }

    #[test]
    fn every_set_dates_its_rows_to_end_with_2018() {
        let dates = |name: &str| (set(name).date(0), set(name).date(1));
        assert_eq!(dates("yearly"), ("2018".into(), "2017".into()));
        assert_eq!(dates("Quarterly"), ("2018Q4".into(), "2018Q3".into()));
        assert_eq!(set("quarterly").date(4), "2017Q4");
        assert_eq!(dates("monthly"), ("2018-12".into(), "2018-11".into()));
        assert_eq!(dates("weekly"), ("2018-12-31".into(), "2018-12-24".into()));
        assert_eq!(dates("daily"), ("2018-12-31".into(), "2018-12-30".into()));
        assert_eq!(
            dates("hourly"),
            ("2018-12-31 23:00:00".into(), "2018-12-31 22:00:00".into())
        );
        assert!(
            M4Set::named("fortnightly")
                .unwrap_err()
                .to_string()
                .contains("Hourly")
        );
    }

    #[test]
    fn smape_and_mase_are_m4s() {
        let one = |test: Vec<f64>, history: Vec<f64>| M4Series {
            id: "S1".into(),
            history,
            test,
        };
        let score = |series: &M4Series, forecast: Vec<f64>, period| {
            score("m", std::slice::from_ref(series), &[forecast], period)
        };
        let series = one(vec![100.0, 50.0], vec![100.0; 3]);
        let error = score(&series, vec![110.0, 50.0], 1).unwrap_err();
        assert!(
            error.to_string().contains("m's MASE of series S1"),
            "{error}"
        );
        // in-sample naive errors of period 2: |3-1|, |4-2| → 2; forecast errors 1 and 3 → 2
        let series = one(vec![5.0, 6.0], vec![1.0, 2.0, 3.0, 4.0]);
        let scored = score(&series, vec![4.0, 9.0], 2).unwrap();
        assert!((scored.mase - 1.0).abs() < 1e-12);
        let expected = (200.0 / 9.0 + 200.0 * 3.0 / 15.0) / 2.0;
        assert!((scored.smape - expected).abs() < 1e-12, "{scored:?}");
        let series = one(vec![100.0, 50.0], vec![1.0, 2.0]);
        let scored = score(&series, vec![110.0, 50.0], 1).unwrap();
        assert!((scored.smape - 200.0 * 10.0 / 210.0 / 2.0).abs() < 1e-12);
    }

    #[test]
    fn naive2_puts_a_significant_season_back_and_is_naive_without_one() {
        // a multiplicative quarterly season on a rising level
        let pattern = [0.8, 1.2, 1.1, 0.9];
        let history: Vec<f64> = (0..24)
            .map(|row| (100.0 + row as f64) * pattern[row % 4])
            .collect();
        let forecast = naive2(&history, 4, 8);
        // the level of the last row (23, phase 3), each phase's index put back
        for (step, value) in forecast.iter().enumerate() {
            let phase = (24 + step) % 4;
            let expected = 123.0 * pattern[phase];
            assert!((value - expected).abs() < 0.03 * expected, "{forecast:?}");
        }
        assert!(
            forecast[1] > forecast[0] * 1.3,
            "the season is put back: {forecast:?}"
        );
        // a straight line has no season; nor has a period of 1
        let line: Vec<f64> = (0..24).map(|row| 10.0 + row as f64).collect();
        assert_eq!(naive2(&line, 4, 3), vec![33.0; 3]);
        assert_eq!(naive2(&history, 1, 2), vec![*history.last().unwrap(); 2]);
        // fewer than three seasons: no test, the naive forecast
        assert_eq!(naive2(&history[..11], 4, 1), vec![history[10]]);
    }

    /// A folder in M4's layout holding a weekly set of `series` series of `rows` values (and
    /// 13 test values each), quoted ids and shorter rows padded with empty cells as M4's are.
    fn m4_folder(dir: &Path, series: usize, rows: usize) {
        for (folder, values, suffix) in [("Train", rows, "train"), ("Test", 13, "test")] {
            std::fs::create_dir_all(dir.join(folder)).unwrap();
            let offset = if folder == "Test" { rows } else { 0 };
            let mut text = String::from("\"V1\",\"V2\"\n");
            for k in 0..series {
                let own = values - usize::from(folder == "Train") * k;
                let cells: Vec<String> = (0..values)
                    .map(|i| match i < own {
                        true => {
                            let t = (offset + i + k) as f64;
                            format!("\"{:.3}\"", 100.0 + 10.0 * (t / 4.0).sin() + 0.1 * t)
                        }
                        false => "\"\"".to_string(),
                    })
                    .collect();
                let _ = writeln!(text, "\"W{}\",{}", k + 1, cells.join(","));
            }
            std::fs::write(dir.join(folder).join(format!("Weekly-{suffix}.csv")), text).unwrap();
        }
    }

    #[test]
    fn a_sets_files_are_read_by_id_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        m4_folder(dir.path(), 2, 30);
        let series = read_set(dir.path(), set("weekly")).unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!((series[0].id.as_str(), series[0].history.len()), ("W1", 30));
        // the second series is one value shorter, its last cell empty
        assert_eq!((series[1].id.as_str(), series[1].history.len()), ("W2", 29));
        assert_eq!(series[1].test.len(), 13);
        // a test row of the wrong length names the series and the set
        let error = read_set(dir.path(), set("weekly").with_horizon(12)).unwrap_err();
        assert!(
            error.to_string().contains("series W1: 13 test values"),
            "{error}"
        );
        let error = read_set(&dir.path().join("absent"), set("weekly")).unwrap_err();
        assert!(error.to_string().contains("Weekly-train.csv"), "{error}");
    }

    #[test]
    fn the_bench_runs_the_recipe_over_the_set_and_scores_it_against_naive2() {
        let dir = tempfile::tempdir().unwrap();
        m4_folder(dir.path(), 3, 110);
        let args = M4Args::parse(&[
            "--m4".into(),
            dir.path().display().to_string(),
            "--set".into(),
            "weekly".into(),
            "--series".into(),
            "2".into(),
        ])
        .unwrap();
        let report = evaluate(&args, &dir.path().join("out")).unwrap();
        assert!(report.contains("M4 weekly: 2 series, 13 ahead"), "{report}");
        let row = |method: &str| -> Vec<f64> {
            let line = (report.lines())
                .find(|line| line.starts_with(method))
                .unwrap_or_else(|| panic!("no {method} row: {report}"));
            line.split_whitespace()
                .skip(1)
                .map(|v| v.parse().unwrap())
                .collect()
        };
        assert_eq!(row("Naive2")[2], 1.0);
        // weekly series have period 1: Naive2 is the naive forecast
        assert_eq!(row("naive"), row("Naive2"));
        let yoho = row("yoho");
        assert!(yoho.iter().all(|v| v.is_finite() && *v > 0.0), "{report}");
        // the model forecast the two series it was asked for, from their own files
        let forecasts = run_forecasts(
            &dir.path().join("out/run"),
            &read_set(dir.path(), args.set).unwrap()[..2],
        )
        .unwrap();
        assert!(forecasts.iter().all(|f| f.len() == 13));
    }

    #[test]
    fn its_options_are_checked() {
        let parse =
            |args: &[&str]| M4Args::parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
        let args = parse(&["--m4", "d", "--set", "hourly", "--seed", "7"]).unwrap();
        assert_eq!((args.set.horizon, args.set.period, args.seed), (48, 24, 7));
        assert!(
            parse(&["--m4", "d"])
                .unwrap_err()
                .to_string()
                .contains("--set")
        );
        assert!(parse(&["--m4", "d", "--set", "weekly", "--series", "0"]).is_err());
        assert!(parse(&["--m4", "d", "--set", "weekly", "--jobs", "2"]).is_err());
    }
}
