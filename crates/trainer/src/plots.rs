//! PNG charts drawn with plotters: the test period (actual, model, naive — the articles'
//! figure), the loss per epoch on a log scale, predicted against actual; for multi-step models
//! the error against the step ahead and the multi-day forecasts over the series; the
//! closed-loop generated curve; a backtest's error per fold; and a forecast past the series'
//! end after its last rows.
//!
//! Text uses DejaVu Sans, embedded in the binary, so no system font is needed. Each chart is
//! drawn into a temporary file beside its destination and renamed into place.

use std::error::Error;
use std::path::Path;
use std::sync::Once;

use anyhow::Context;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::training::EpochLoss;
use yoho_eval::Generation;
use yoho_eval::{Intervals, StepErrors, TestForecast};

/// The actual series.
pub const ACTUAL_COLOUR: RGBColor = RGBColor(0, 0, 0);
/// The model's forecast.
pub const MODEL_COLOUR: RGBColor = RGBColor(214, 39, 40);
/// The naive forecast.
pub const NAIVE_COLOUR: RGBColor = RGBColor(31, 119, 180);
/// Training loss.
pub const TRAIN_COLOUR: RGBColor = RGBColor(31, 119, 180);
/// Validation loss.
pub const VALID_COLOUR: RGBColor = RGBColor(255, 127, 14);

/// Size of the test-period chart, pixels.
pub const TEST_PERIOD_SIZE: (u32, u32) = (1200, 600);
/// Size of the loss chart, pixels.
pub const LOSS_SIZE: (u32, u32) = (900, 600);
/// Size of the scatter chart, pixels.
pub const SCATTER_SIZE: (u32, u32) = (700, 700);
/// Size of the error-by-step chart, pixels.
pub const STEP_ERROR_SIZE: (u32, u32) = (900, 600);
/// The noise-free curve of a generated series.
pub const CLEAN_COLOUR: RGBColor = RGBColor(44, 160, 44);

const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

type DrawResult = Result<(), Box<dyn Error>>;

fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans is a valid font"));
    });
}

/// Draws a chart with `draw` into a PNG at `path`, atomically.
fn render(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult,
) -> anyhow::Result<()> {
    register_font();
    let directory = path.parent().unwrap_or(Path::new("."));
    let temporary = tempfile::Builder::new()
        .suffix(".png")
        .tempfile_in(directory)
        .with_context(|| format!("cannot create a file in {}", directory.display()))?;
    {
        let root = BitMapBackend::new(temporary.path(), size).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(|e| e.into())
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(|e| e.into()));
        drawn.map_err(|error| anyhow::anyhow!("cannot draw {}: {error}", path.display()))?;
    }
    crate::artifacts::persist(temporary, path)
}

/// A chart with the common caption size, margin and axis label areas.
fn chart_builder<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    caption: impl AsRef<str>,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(caption, (FONT, 26))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(90);
    builder
}

/// The legend box, at `position`.
fn draw_legend<'a, DB, Coord>(
    chart: &mut ChartContext<'a, DB, Coord>,
    position: SeriesLabelPosition,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Coord: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// What the charts call the values of `target`: the target, and a panel's `series` by name
/// ("sales of shop_a").
pub fn series_label(target: &str, series: Option<&str>) -> String {
    match series {
        Some(name) => format!("{target} of {name}"),
        None => target.to_string(),
    }
}

/// The corner of a chart over `x` and `y` where the legend hides the fewest of `points`: the
/// upper left unless another corner (its outer third of each axis) holds fewer.
fn quiet_corner(
    points: impl IntoIterator<Item = (f64, f64)>,
    x: &std::ops::Range<f64>,
    y: &std::ops::Range<f64>,
) -> SeriesLabelPosition {
    let third = |range: &std::ops::Range<f64>| (range.end - range.start) / 3.0;
    let (left, right) = (x.start + third(x), x.end - third(x));
    let (lower, upper) = (y.start + third(y), y.end - third(y));
    let mut counts = [0usize; 4];
    for (px, py) in points {
        let column = match (px <= left, px >= right) {
            (true, _) => 0,
            (_, true) => 1,
            _ => continue,
        };
        let row = match (py >= upper, py <= lower) {
            (true, _) => 0,
            (_, true) => 2,
            _ => continue,
        };
        counts[row + column] += 1;
    }
    let corners = [
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::LowerLeft,
        SeriesLabelPosition::LowerRight,
    ];
    let quietest = (0..4).min_by_key(|corner| counts[*corner]).unwrap_or(0);
    corners[quietest].clone()
}

/// The largest magnitude an axis reaches: beyond it the margins, and plotters' own arithmetic
/// on the range, would overflow.
const AXIS_LIMIT: f64 = 1e300;

/// An axis range over the finite values of `series` with a 5 % margin each side.
fn value_range<'a>(series: impl IntoIterator<Item = &'a [f64]>) -> std::ops::Range<f64> {
    let (low, high) = series
        .into_iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    axis_range(low, high)
}

/// `low..high` with a 5 % margin each side, made safe for plotters, whose search for tick
/// positions never ends on an infinite range or on one too narrow for its magnitude: no value
/// (hence no series) gives an infinite, empty or unresolvably narrow axis.
fn axis_range(low: f64, high: f64) -> std::ops::Range<f64> {
    if !(low.is_finite() && high.is_finite() && low <= high) {
        return -1.0..1.0;
    }
    let (low, high) = (low.max(-AXIS_LIMIT), high.min(AXIS_LIMIT));
    let magnitude = low.abs().max(high.abs());
    let margin = ((high - low) * 0.05).max(1e-9).max(magnitude * 1e-12);
    (low - margin)..(high + margin)
}

/// A chart over dates, x from 0 to its last index, values on y.
type DateChart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The name of a time axis over `dates`: "step" for a series indexed by time steps.
fn time_axis(dates: &[yoho_data::Timestamp]) -> &'static str {
    match dates.first().is_some_and(|date| date.is_step()) {
        true => "step",
        false => "date",
    }
}

/// The mesh of a chart over dates: `date_label` names an x position's date, `y_desc` the values.
fn draw_date_mesh(
    chart: &mut DateChart<'_, '_>,
    x_desc: impl Into<String>,
    y_desc: impl Into<String>,
    date_label: &dyn Fn(&f64) -> String,
) -> DrawResult {
    let y_label = value_label(&chart.y_range());
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .y_label_formatter(&y_label)
        .x_labels(8)
        .x_label_formatter(date_label)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 18))
        .draw()?;
    Ok(())
}

/// The labels of a value axis spanning `range`: as many decimals as tell apart its ticks
/// (about twenty at most over the span), none for a span of twenty or more.
fn value_label(range: &std::ops::Range<f64>) -> impl Fn(&f64) -> String + use<> {
    let span = (range.end - range.start).abs();
    let decimals = match span > 0.0 && span.is_finite() {
        true => (-(span / 20.0).log10()).ceil().clamp(0.0, 6.0) as usize,
        false => 1,
    };
    move |value| format!("{value:.decimals$}")
}

/// A polygon's corners on a chart, in order.
type Outline = Vec<(f64, f64)>;

/// Shades interval bands, each `(level, outlines)` one or more polygons, the widest first so
/// that each is shaded over the last; `label` precedes each level's name in the legend.
fn draw_bands(
    chart: &mut DateChart<'_, '_>,
    mut bands: Vec<(f64, Vec<Outline>)>,
    label: &str,
) -> DrawResult {
    bands.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (level, outlines) in bands {
        let shade = MODEL_COLOUR.mix(BAND_OPACITY);
        let polygons = (outlines.into_iter()).map(|outline| Polygon::new(outline, shade.filled()));
        chart
            .draw_series(polygons)?
            .label(format!(
                "{label}{} % interval",
                yoho_eval::intervals::percent(level)
            ))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], shade.filled()));
    }
    Ok(())
}

fn legend_line(colour: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
}

/// One level's interval on each day of a chart, `None` on a day without one (a backtest's fold
/// whose calibration errors are too few for it).
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The nominal coverage, e.g. 0.8.
    pub level: f64,
    /// `(lower, upper)` on each day.
    pub ends: Vec<Option<(f64, f64)>>,
}

impl Band {
    /// The band of `intervals`, an interval on every day.
    pub fn whole(intervals: &Intervals) -> Self {
        let ends = intervals.lower.iter().zip(&intervals.upper);
        Self {
            level: intervals.level,
            ends: ends.map(|(lower, upper)| Some((*lower, *upper))).collect(),
        }
    }

    /// The outlines of the band's runs of consecutive days with an interval: each the upper
    /// ends forward and the lower ends back, at the days' places on the x axis.
    fn outlines(&self) -> Vec<Outline> {
        let mut runs: Vec<Vec<(usize, (f64, f64))>> = Vec::new();
        for (day, ends) in self.ends.iter().enumerate() {
            match (ends, runs.last_mut()) {
                (None, _) => {}
                (Some(ends), Some(run)) if run.last().is_some_and(|(last, _)| last + 1 == day) => {
                    run.push((day, *ends));
                }
                (Some(ends), _) => runs.push(vec![(day, *ends)]),
            }
        }
        (runs.into_iter())
            .map(|run| match run.as_slice() {
                // a lone day's interval as a bar, which an outline of two points would not show
                [(day, (lower, upper))] => {
                    let (left, right) = (*day as f64 - LONE_DAY, *day as f64 + LONE_DAY);
                    vec![
                        (left, *upper),
                        (right, *upper),
                        (right, *lower),
                        (left, *lower),
                    ]
                }
                run => {
                    let upper = run.iter().map(|(day, (_, upper))| (*day as f64, *upper));
                    let lower = (run.iter().rev()).map(|(day, (lower, _))| (*day as f64, *lower));
                    upper.chain(lower).collect()
                }
            })
            .collect()
    }
}

/// The test period: actual, model and naive against the date, in `unit`s.
pub fn test_period(
    path: &Path,
    forecast: &TestForecast,
    bands: &[Band],
    target: &str,
    unit: &str,
) -> anyhow::Result<()> {
    let days = forecast.dates.len();
    // one test window (the M4 protocol) is one point, centred
    let x_range = match days {
        0 | 1 => -0.5..0.5,
        _ => 0.0..(days - 1) as f64,
    };
    let series = [
        ("actual", &forecast.actual[..], ACTUAL_COLOUR),
        ("model", forecast.model(), MODEL_COLOUR),
        ("naive (the last value)", forecast.naive(), NAIVE_COLOUR),
    ];
    let band_ends: Vec<Vec<f64>> = (bands.iter())
        .map(|band| {
            band.ends
                .iter()
                .flatten()
                .flat_map(|(l, u)| [*l, *u])
                .collect()
        })
        .collect();
    let y_range = value_range(
        (series.iter().map(|(_, values, _)| *values)).chain(band_ends.iter().map(Vec::as_slice)),
    );
    render(path, TEST_PERIOD_SIZE, |root| {
        let caption = format!("{target} one step ahead over the test period");
        let all_points = (series.iter())
            .flat_map(|(_, values, _)| values.iter().enumerate().map(|(i, v)| (i as f64, *v)));
        let legend = quiet_corner(all_points, &x_range, &y_range);
        let mut chart = chart_builder(root, caption).build_cartesian_2d(x_range, y_range)?;
        // a date at each test day's place only
        let date_label = |x: &f64| {
            let day = x.round();
            match (day - x).abs() < 1e-6 && day >= 0.0 {
                true => {
                    (forecast.dates.get(day as usize)).map_or_else(String::new, ToString::to_string)
                }
                false => String::new(),
            }
        };
        draw_date_mesh(
            &mut chart,
            time_axis(&forecast.dates),
            format!("{target} ({unit})"),
            &date_label,
        )?;
        // a band is drawn over each run of days that has its interval
        let outlines = bands
            .iter()
            .map(|band| (band.level, band.outlines()))
            .collect();
        draw_bands(&mut chart, outlines, "model ")?;
        for (label, values, colour) in series {
            let points = || values.iter().enumerate().map(|(i, v)| (i as f64, *v));
            chart
                .draw_series(LineSeries::new(points(), colour.stroke_width(2)))?
                .label(label)
                .legend(legend_line(colour));
            // a few days' points marked, so that one day's shows at all
            if days <= MARKED_DAYS {
                chart.draw_series(points().map(|p| Circle::new(p, 4, colour.filled())))?;
            }
        }
        draw_legend(&mut chart, legend)?;
        Ok(())
    })
}

/// The most test days whose points the test-period chart marks.
const MARKED_DAYS: usize = 60;

/// Half the width of a lone day's interval bar, in days.
const LONE_DAY: f64 = 0.2;

/// How opaque each interval band is over the chart (bands stack where they overlap).
const BAND_OPACITY: f64 = 0.15;

/// Mean training and validation loss per epoch, log scale.
pub fn loss_curve(path: &Path, history: &[EpochLoss]) -> anyhow::Result<()> {
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let train: Vec<(f64, f64)> = history
        .iter()
        .filter(|e| positive(e.train))
        .map(|e| (e.epoch as f64, e.train))
        .collect();
    let valid: Vec<(f64, f64)> = history
        .iter()
        .filter_map(|e| {
            e.valid
                .filter(|v| positive(*v))
                .map(|v| (e.epoch as f64, v))
        })
        .collect();
    let (low, high) = train
        .iter()
        .chain(&valid)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    let (low, high) = if low.is_finite() && high.is_finite() {
        (
            (low / 1.5).max(1.0 / AXIS_LIMIT),
            (high * 1.5).min(AXIS_LIMIT),
        )
    } else {
        (1e-6, 1.0)
    };
    let last_epoch = history.last().map_or(2, |e| e.epoch.max(2)) as f64;
    render(path, LOSS_SIZE, |root| {
        let mut chart = chart_builder(root, "Loss per epoch")
            .build_cartesian_2d(1f64..last_epoch, (low..high).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("MSE loss (scaled units, log scale)")
            .x_label_formatter(&|epoch| format!("{epoch:.0}"))
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 18))
            .draw()?;
        chart
            .draw_series(LineSeries::new(train, TRAIN_COLOUR.stroke_width(2)))?
            .label("training")
            .legend(legend_line(TRAIN_COLOUR));
        if !valid.is_empty() {
            chart
                .draw_series(LineSeries::new(valid, VALID_COLOUR.stroke_width(2)))?
                .label("validation")
                .legend(legend_line(VALID_COLOUR));
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}

/// The model's forecast against the actual value for every test day, with the diagonal.
pub fn predicted_vs_actual(
    path: &Path,
    forecast: &TestForecast,
    target: &str,
    unit: &str,
) -> anyhow::Result<()> {
    let range = value_range([&forecast.actual[..], forecast.model()]);
    render(path, SCATTER_SIZE, |root| {
        let mut chart = chart_builder(root, format!("Predicted vs actual {target}"))
            .build_cartesian_2d(range.clone(), range.clone())?;
        chart
            .configure_mesh()
            .x_desc(format!("actual {target} ({unit})"))
            .y_desc(format!("predicted {target} ({unit})"))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 18))
            .draw()?;
        chart
            .draw_series(LineSeries::new(
                [(range.start, range.start), (range.end, range.end)],
                ACTUAL_COLOUR.stroke_width(1),
            ))?
            .label("predicted = actual")
            .legend(legend_line(ACTUAL_COLOUR));
        chart
            .draw_series(
                forecast
                    .actual
                    .iter()
                    .zip(forecast.model())
                    .map(|(a, p)| Circle::new((*a, *p), 4, MODEL_COLOUR.filled())),
            )?
            .label("model, one per test value")
            .legend(|(x, y)| Circle::new((x + 12, y), 4, MODEL_COLOUR.filled()));
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    })
}

/// RMSE of the model and of the naive forecast against the number of steps ahead.
pub fn error_by_step(
    path: &Path,
    errors: &[StepErrors],
    target: &str,
    unit: &str,
) -> anyhow::Result<()> {
    let model: Vec<f64> = errors.iter().map(|e| e.model_rmse).collect();
    let naive: Vec<f64> = errors.iter().map(|e| e.naive_rmse).collect();
    indexed_lines(
        path,
        &format!("{target}: test RMSE by steps ahead"),
        ("steps ahead (h)", &format!("RMSE ({unit})")),
        &[
            ("model", model, MODEL_COLOUR),
            ("naive (last observed value)", naive, NAIVE_COLOUR),
        ],
        None,
    )
}

/// Colours of the baselines in charts with one line per forecaster, in order.
const BASELINE_COLOURS: [RGBColor; 9] = [
    NAIVE_COLOUR,
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(255, 127, 14),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Each forecaster's RMSE in each fold of a backtest: `rmse[forecaster][fold]`.
pub fn error_by_fold(
    path: &Path,
    forecasters: &[(&str, Vec<f64>)],
    target: &str,
    unit: &str,
) -> anyhow::Result<()> {
    let lines = coloured(forecasters);
    indexed_lines(
        path,
        &format!("{target}: RMSE in each backtest fold"),
        ("fold (1 = oldest origin)", &format!("RMSE ({unit})")),
        &lines,
        None,
    )
}

/// Each forecaster's relative MASE (its MASE over `reference`'s, the geometric mean over a
/// panel's series) in each fold of a panel's backtest: `relative[forecaster][fold]`.
pub fn relative_mase_by_fold(
    path: &Path,
    forecasters: &[(&str, Vec<f64>)],
    reference: &str,
) -> anyhow::Result<()> {
    let lines = coloured(forecasters);
    indexed_lines(
        path,
        &format!("MASE / {reference} over the series in each backtest fold"),
        (
            "fold (1 = oldest origin)",
            &format!("MASE / {reference} (below 1 beats it)"),
        ),
        &lines,
        // the reference's line runs along 1, at the top
        Some(SeriesLabelPosition::LowerRight),
    )
}

/// Each forecaster's values with its colour: the model's own, the baselines' in turn.
fn coloured<'a>(forecasters: &[(&'a str, Vec<f64>)]) -> Vec<(&'a str, Vec<f64>, RGBColor)> {
    let mut baseline_colours = BASELINE_COLOURS.iter().cycle();
    (forecasters.iter())
        .map(|(name, values)| {
            let colour = match *name {
                yoho_eval::MODEL => MODEL_COLOUR,
                _ => *baseline_colours.next().expect("a cycle never ends"),
            };
            (*name, values.clone(), colour)
        })
        .collect()
}

/// Lines of values against 1, 2, 3, … with a dot at every point, the y axis from 0; the legend
/// at `legend`, or else in the corner that hides the fewest points.
fn indexed_lines(
    path: &Path,
    caption: &str,
    (x_desc, y_desc): (&str, &str),
    lines: &[(&str, Vec<f64>, RGBColor)],
    legend: Option<SeriesLabelPosition>,
) -> anyhow::Result<()> {
    let mut y_range = value_range(lines.iter().map(|(_, values, _)| &values[..]));
    y_range.start = y_range.start.min(0.0);
    let count = lines
        .iter()
        .map(|(_, values, _)| values.len())
        .max()
        .unwrap_or(0);
    let x_range = 0.75..count.max(2) as f64 + 0.25;
    let legend = legend.unwrap_or_else(|| {
        let points = (lines.iter()).flat_map(|(_, values, _)| {
            (values.iter().enumerate()).map(|(i, v)| ((i + 1) as f64, *v))
        });
        quiet_corner(points, &x_range, &y_range)
    });
    render(path, STEP_ERROR_SIZE, |root| {
        let mut chart =
            chart_builder(root, caption).build_cartesian_2d(x_range.clone(), y_range)?;
        let y_label = value_label(&chart.y_range());
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(count.clamp(2, 20))
            .x_label_formatter(&|h| format!("{h:.0}"))
            .y_label_formatter(&y_label)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 18))
            .draw()?;
        for (label, values, colour) in lines {
            // a value that is not finite (a forecaster unmeasured in a fold) is left out
            let points = (values.iter().enumerate())
                .map(|(i, v)| ((i + 1) as f64, *v))
                .filter(|(_, v)| v.is_finite());
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?
                .label(*label)
                .legend(legend_line(*colour));
            chart.draw_series(points.map(|p| Circle::new(p, 5, colour.filled())))?;
        }
        draw_legend(&mut chart, legend)?;
        Ok(())
    })
}

/// The follow-up article's chart: the actual series over the test period with the model's
/// multi-day forecast drawn from every `horizon`-th test window, each starting at the window's
/// last observed value.
pub fn multi_step_forecasts(
    path: &Path,
    forecast: &TestForecast,
    target: &str,
    unit: &str,
) -> anyhow::Result<()> {
    let horizon = forecast.horizon();
    let windows = forecast.dates.len();
    // day 0 is the first test window's last observed day; window w forecasts days w+1..w+horizon
    let mut actual = vec![(0.0, forecast.previous[0])];
    actual.extend(
        forecast.actual_steps[0]
            .iter()
            .enumerate()
            .map(|(h, v)| ((h + 1) as f64, *v)),
    );
    for (w, steps) in forecast.actual_steps.iter().enumerate().skip(1) {
        actual.push(((w + horizon) as f64, steps[horizon - 1]));
    }
    let paths: Vec<Vec<(f64, f64)>> = (0..windows)
        .step_by(horizon)
        .map(|w| {
            std::iter::once((w as f64, forecast.previous[w]))
                .chain(
                    forecast.model_steps()[w]
                        .iter()
                        .enumerate()
                        .map(|(h, v)| ((w + h + 1) as f64, *v)),
                )
                .collect()
        })
        .collect();
    let all_values: Vec<f64> = actual
        .iter()
        .chain(paths.iter().flatten())
        .map(|(_, v)| *v)
        .collect();
    let y_range = value_range([&all_values[..]]);
    let x_max = (windows + horizon - 1).max(1) as f64;
    let dates = &forecast.dates;
    render(path, TEST_PERIOD_SIZE, |root| {
        let caption =
            format!("{target}: {horizon}-step forecasts from every {horizon}th test window");
        let drawn = actual.iter().chain(paths.iter().flatten()).copied();
        let legend = quiet_corner(drawn, &(0.0..x_max), &y_range);
        let mut chart = chart_builder(root, caption).build_cartesian_2d(0f64..x_max, y_range)?;
        let date_label = |x: &f64| {
            let day = x.round().max(1.0) as usize - 1;
            match dates.get(day) {
                Some(date) => date.to_string(),
                None => format!("+{}", day + 1 - dates.len()),
            }
        };
        draw_date_mesh(
            &mut chart,
            format!(
                "{} of the first forecast step (+k: k steps after the last test window's)",
                time_axis(dates)
            ),
            format!("{target} ({unit})"),
            &date_label,
        )?;
        chart
            .draw_series(LineSeries::new(actual, ACTUAL_COLOUR.stroke_width(2)))?
            .label("actual")
            .legend(legend_line(ACTUAL_COLOUR));
        for (index, points) in paths.into_iter().enumerate() {
            let series =
                chart.draw_series(LineSeries::new(points, MODEL_COLOUR.stroke_width(2)))?;
            if index == 0 {
                series
                    .label(format!("model, {horizon} steps at once"))
                    .legend(legend_line(MODEL_COLOUR));
            }
        }
        draw_legend(&mut chart, legend)?;
        Ok(())
    })
}

/// The rows of a series of `rows` rows that [`history_and_forecast`] shows before a forecast of
/// `steps` steps: the newest `max(4 · steps, 60)`, or all.
pub fn history_rows(rows: usize, steps: usize) -> std::ops::Range<usize> {
    let shown = steps.saturating_mul(4).max(60);
    rows.saturating_sub(shown)..rows
}

/// A forecast past a series' end, for [`history_and_forecast`].
pub struct FutureForecast {
    /// The date of each step.
    pub dates: Vec<yoho_data::Timestamp>,
    /// The forecast of each step.
    pub values: Vec<f64>,
    /// The central intervals of every level that every step has: `(level, [(lower, upper)])`.
    pub bands: Vec<(f64, Vec<(f64, f64)>)>,
}

/// The series' last rows (`dates`, `history`) and the forecast after them, its intervals shaded.
pub fn history_and_forecast(
    path: &Path,
    dates: &[yoho_data::Timestamp],
    history: &[f64],
    forecast: &FutureForecast,
    target: &str,
) -> anyhow::Result<()> {
    let start = history.len();
    let x_of = |step: usize| (start + step - 1) as f64;
    let (values, bands) = (&forecast.values, &forecast.bands);
    let band_values: Vec<f64> = (bands.iter())
        .flat_map(|(_, ends)| ends.iter().flat_map(|(lower, upper)| [*lower, *upper]))
        .collect();
    let y_range = value_range([history, &values[..], &band_values[..]]);
    let x_max = (start + values.len()).max(2) as f64 - 1.0;
    let last = history.last().map(|v| ((start as f64) - 1.0, *v));
    let date_label = |x: &f64| {
        let index = x.round().max(0.0) as usize;
        match index.checked_sub(start) {
            None => dates
                .get(index)
                .map_or_else(String::new, ToString::to_string),
            Some(step) => forecast
                .dates
                .get(step)
                .map_or_else(String::new, ToString::to_string),
        }
    };
    render(path, TEST_PERIOD_SIZE, |root| {
        let caption = format!("{target}: the last rows and the forecast after them");
        let drawn = (history.iter().enumerate())
            .map(|(i, v)| (i as f64, *v))
            .chain((values.iter().enumerate()).map(|(i, v)| (x_of(i + 1), *v)))
            .chain((bands.iter()).flat_map(|(_, ends)| {
                (ends.iter().enumerate()).flat_map(move |(step, (low, up))| {
                    [(x_of(step + 1), *low), (x_of(step + 1), *up)]
                })
            }));
        let legend = quiet_corner(drawn, &(0.0..x_max), &y_range);
        let mut chart = chart_builder(root, caption).build_cartesian_2d(0f64..x_max, y_range)?;
        draw_date_mesh(&mut chart, time_axis(dates), target, &date_label)?;
        // a fan from the last observed value, so that one step's band shows too
        let outlines = bands
            .iter()
            .map(|(level, ends)| {
                let upper = (ends.iter().enumerate()).map(|(step, (_, up))| (x_of(step + 1), *up));
                let lower =
                    (ends.iter().enumerate().rev()).map(|(step, (low, _))| (x_of(step + 1), *low));
                let outline = last.into_iter().chain(upper).chain(lower).collect();
                (*level, vec![outline])
            })
            .collect();
        draw_bands(&mut chart, outlines, "")?;
        chart
            .draw_series(LineSeries::new(
                history.iter().enumerate().map(|(i, v)| (i as f64, *v)),
                ACTUAL_COLOUR.stroke_width(2),
            ))?
            .label("actual")
            .legend(legend_line(ACTUAL_COLOUR));
        // the forecast line starts from the last observed value
        let points = last
            .into_iter()
            .chain(values.iter().enumerate().map(|(i, v)| (x_of(i + 1), *v)));
        chart
            .draw_series(LineSeries::new(points, MODEL_COLOUR.stroke_width(2)))?
            .label("forecast")
            .legend(legend_line(MODEL_COLOUR));
        draw_legend(&mut chart, legend)?;
        Ok(())
    })
}

/// The NumPy article's chart: the series (and its noise-free curve, if known) against the
/// curve the model generated closed-loop from the first window.
pub fn closed_loop(path: &Path, generation: &Generation, target: &str) -> anyhow::Result<()> {
    let abscissa: Vec<f64> = match &generation.x {
        Some(x) => x.clone(),
        None => (0..generation.actual.len()).map(|i| i as f64).collect(),
    };
    let x_desc = if generation.x.is_some() { "x" } else { "row" };
    let generated: Vec<(f64, f64)> = generation
        .generated_rows()
        .zip(&generation.generated)
        .map(|(row, v)| (abscissa[row], *v))
        .collect();
    let mut ranges = vec![&generation.actual[..], &generation.generated[..]];
    if let Some(clean) = &generation.clean {
        ranges.push(clean);
    }
    let y_range = value_range(ranges);
    let x_range = abscissa[0]..abscissa[abscissa.len() - 1];
    let seed_end = abscissa[generation.seed_len - 1];
    render(path, TEST_PERIOD_SIZE, |root| {
        let caption = format!(
            "{target}: closed-loop generation from the first {} rows",
            generation.seed_len
        );
        let mut chart =
            chart_builder(root, caption).build_cartesian_2d(x_range, y_range.clone())?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(target)
            .x_label_formatter(&|x| format!("{x:.1}"))
            .y_label_formatter(&value_label(&y_range))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 18))
            .draw()?;
        chart.draw_series(LineSeries::new(
            [(seed_end, y_range.start), (seed_end, y_range.end)],
            BLACK.mix(0.3).stroke_width(1),
        ))?;
        if let Some(clean) = &generation.clean {
            chart
                .draw_series(LineSeries::new(
                    abscissa.iter().copied().zip(clean.iter().copied()),
                    CLEAN_COLOUR.stroke_width(2),
                ))?
                .label("without noise")
                .legend(legend_line(CLEAN_COLOUR));
        }
        chart
            .draw_series(LineSeries::new(
                abscissa
                    .iter()
                    .copied()
                    .zip(generation.actual.iter().copied()),
                ACTUAL_COLOUR.stroke_width(1),
            ))?
            .label("series")
            .legend(legend_line(ACTUAL_COLOUR));
        chart.draw_series(
            abscissa
                .iter()
                .zip(&generation.actual)
                .map(|(x, v)| Circle::new((*x, *v), 3, ACTUAL_COLOUR.filled())),
        )?;
        chart
            .draw_series(LineSeries::new(generated, MODEL_COLOUR.stroke_width(3)))?
            .label("generated (fed its own output)")
            .legend(legend_line(MODEL_COLOUR));
        draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_goes_where_it_hides_the_fewest_points() {
        let (x, y) = (0.0..9.0, 0.0..9.0);
        let corner = |points: &[(f64, f64)]| quiet_corner(points.iter().copied(), &x, &y);
        // nothing drawn, or a tie: the upper left
        assert!(matches!(corner(&[]), SeriesLabelPosition::UpperLeft));
        // a series falling from the upper left to the lower right
        let falling: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 9.0 - i as f64)).collect();
        assert!(matches!(corner(&falling), SeriesLabelPosition::UpperRight));
        // rising, with one more point in the lower left
        let mut rising: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, i as f64)).collect();
        rising.push((0.5, 0.5));
        assert!(matches!(corner(&rising), SeriesLabelPosition::UpperLeft));
        rising.push((0.5, 8.5));
        rising.push((8.5, 0.5));
        assert!(matches!(corner(&rising), SeriesLabelPosition::UpperLeft));
        rising.push((0.2, 8.8));
        assert!(matches!(corner(&rising), SeriesLabelPosition::LowerRight));
    }

    #[test]
    fn axis_ranges_are_finite_and_resolvable_at_any_magnitude() {
        let cases: [&[f64]; 6] = [
            &[1e300, 1.2e300, f64::INFINITY],
            &[1e-300, 1.1e-300],
            &[f64::MAX, -f64::MAX],
            &[f64::NAN, f64::NEG_INFINITY],
            &[5.0, 5.0],
            &[],
        ];
        for values in cases {
            let range = value_range([values]);
            assert!(
                range.start.is_finite() && range.end.is_finite(),
                "{values:?}"
            );
            let magnitude = range.start.abs().max(range.end.abs());
            assert!(
                range.end - range.start >= magnitude * 1e-12 && range.end > range.start,
                "{values:?}: {range:?}"
            );
        }
    }
    use yoho_data::NaiveDate;
    use yoho_eval::{MODEL, NamedForecast};

    fn forecast() -> TestForecast {
        let start = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let actual: Vec<f64> = (0..40)
            .map(|i| 1000.0 + 30.0 * (i as f64 / 5.0).sin())
            .collect();
        let mut previous = vec![1000.0];
        previous.extend_from_slice(&actual[..39]);
        let model: Vec<f64> = actual.iter().map(|a| a + 12.0).collect();
        TestForecast {
            dates: (0..40)
                .map(|i| (start + chrono::Days::new(i)).into())
                .collect(),
            actual_steps: (0..40)
                .map(|i| (i..i + 3).map(|j| actual[j.min(39)]).collect())
                .collect(),
            actual,
            previous: previous.clone(),
            forecasts: vec![
                NamedForecast::new(
                    MODEL,
                    model.iter().map(|m| vec![*m, m + 5.0, m + 10.0]).collect(),
                ),
                NamedForecast::one_step("naive", previous),
            ],
        }
    }

    /// Opens the PNG, checks its size and counts the pixels of each colour.
    fn colour_counts(path: &Path, size: (u32, u32), colours: &[RGBColor]) -> Vec<usize> {
        let image = image::open(path).unwrap().to_rgb8();
        assert_eq!(image.dimensions(), size, "{}", path.display());
        let white = image.pixels().filter(|p| p.0 == [255, 255, 255]).count();
        assert!(white < (size.0 * size.1) as usize, "blank image");
        colours
            .iter()
            .map(|c| image.pixels().filter(|p| p.0 == [c.0, c.1, c.2]).count())
            .collect()
    }

    /// Asserts that each of `colours` covers more than 100 pixels of the PNG at `path`.
    fn assert_drawn(path: &Path, size: (u32, u32), colours: &[RGBColor], what: &str) {
        let counts = colour_counts(path, size, colours);
        assert!(counts.iter().all(|n| *n > 100), "{what}: {counts:?}");
    }

    #[test]
    fn value_labels_tell_their_ticks_apart() {
        let label = |start: f64, end: f64, value: f64| value_label(&(start..end))(&value);
        // a span of 0.26 ticked every 0.02, as an index divided by 10,000 is
        assert_eq!(label(1.07, 1.33, 1.12), "1.12");
        assert_eq!(label(2400.0, 2600.0, 2500.0), "2500");
        assert_eq!(label(-3.0, 3.0, 0.5), "0.5");
        assert_eq!(label(0.0, 0.001, 0.0005), "0.00050");
        // an empty span keeps one decimal
        assert_eq!(label(5.0, 5.0, 5.0), "5.0");
    }

    #[test]
    fn a_band_is_outlined_over_each_run_of_days_with_an_interval() {
        let band = Band {
            level: 0.8,
            ends: vec![
                None,
                Some((1.0, 3.0)),
                Some((2.0, 4.0)),
                None,
                Some((5.0, 6.0)),
            ],
        };
        // the upper ends forward, then the lower ends back, at each day's place
        let first = vec![(1.0, 3.0), (2.0, 4.0), (2.0, 2.0), (1.0, 1.0)];
        // a lone day's as a bar
        let lone = vec![(3.8, 6.0), (4.2, 6.0), (4.2, 5.0), (3.8, 5.0)];
        assert_eq!(band.outlines(), [first, lone]);
    }

    #[test]
    fn test_period_chart_shows_every_series() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test_period.png");
        let band = Intervals {
            level: 0.8,
            lower: forecast().model().iter().map(|v| v - 5.0).collect(),
            upper: forecast().model().iter().map(|v| v + 5.0).collect(),
        };
        let band = Band::whole(&band);
        test_period(&path, &forecast(), &[band], "Open", "index points").unwrap();
        assert_drawn(
            &path,
            TEST_PERIOD_SIZE,
            &[ACTUAL_COLOUR, MODEL_COLOUR, NAIVE_COLOUR],
            "pixels of actual, model, naive",
        );
        // the band: the model's colour at BAND_OPACITY over white
        let blend = |c: u8| 255.0 * (1.0 - BAND_OPACITY) + f64::from(c) * BAND_OPACITY;
        let band = [
            blend(MODEL_COLOUR.0),
            blend(MODEL_COLOUR.1),
            blend(MODEL_COLOUR.2),
        ];
        let image = image::open(&path).unwrap().to_rgb8();
        let shaded = image
            .pixels()
            .filter(|p| (0..3).all(|k| (f64::from(p.0[k]) - band[k]).abs() <= 2.0))
            .count();
        assert!(shaded > 1000, "the interval band covers {shaded} pixels");
    }

    #[test]
    fn loss_chart_shows_training_and_validation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loss.png");
        let history: Vec<EpochLoss> = (1..=50)
            .map(|epoch| EpochLoss {
                epoch,
                train: 1.0 / epoch as f64,
                valid: Some(2.0 / epoch as f64),
            })
            .collect();
        loss_curve(&path, &history).unwrap();
        assert_drawn(
            &path,
            LOSS_SIZE,
            &[TRAIN_COLOUR, VALID_COLOUR],
            "pixels of train, valid",
        );
    }

    #[test]
    fn scatter_chart_shows_the_points() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scatter.png");
        predicted_vs_actual(&path, &forecast(), "Open", "index points").unwrap();
        assert_drawn(
            &path,
            SCATTER_SIZE,
            &[MODEL_COLOUR, ACTUAL_COLOUR],
            "pixels of points, diagonal",
        );
    }

    #[test]
    fn step_error_chart_shows_model_and_naive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("steps.png");
        let errors = yoho_eval::errors_by_step(&forecast());
        assert_eq!(errors.len(), 3);
        error_by_step(&path, &errors, "Open", "index points").unwrap();
        assert_drawn(
            &path,
            STEP_ERROR_SIZE,
            &[MODEL_COLOUR, NAIVE_COLOUR],
            "pixels",
        );
    }

    #[test]
    fn multi_step_chart_shows_series_and_forecasts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("multi.png");
        multi_step_forecasts(&path, &forecast(), "Open", "index points").unwrap();
        assert_drawn(
            &path,
            TEST_PERIOD_SIZE,
            &[ACTUAL_COLOUR, MODEL_COLOUR],
            "pixels",
        );
    }

    #[test]
    fn closed_loop_chart_shows_series_clean_and_generated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("generated.png");
        let x: Vec<f64> = (0..50).map(|i| i as f64 * 0.25).collect();
        let clean: Vec<f64> = x.iter().map(|v| v.sin()).collect();
        let generation = Generation {
            seed_len: 10,
            dates: (0..50)
                .map(|i| {
                    (NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(i)).into()
                })
                .collect(),
            actual: clean.iter().map(|c| c + 0.05).collect(),
            generated: clean[10..].iter().map(|c| c * 0.9).collect(),
            clean: Some(clean),
            x: Some(x),
        };
        closed_loop(&path, &generation, "value").unwrap();
        assert_drawn(
            &path,
            TEST_PERIOD_SIZE,
            &[ACTUAL_COLOUR, MODEL_COLOUR, CLEAN_COLOUR],
            "pixels",
        );
    }
}
