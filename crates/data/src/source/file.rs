//! Reading a series (or a panel of many) from CSV or Parquet: polars parses the columns in use,
//! this module checks every cell and turns them into time-sorted [`TimeSeries`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use polars::prelude::{
    ChunkedArray, CsvReadOptions, DataFrame, DataType, Field, Float64Chunked, Int32Type,
    Int64Chunked, ParquetReader, PlSmallStr, Schema, SerReader, StringChunked, TimeUnit,
};
use serde::{Deserialize, Serialize};

use super::dates::{DateFormat, STEP_FORMAT, utc_offset_seconds};
use crate::DataError;
use crate::frequency::Frequency;
use crate::missing::{MissingPolicy, is_missing_token};
use crate::series::{Cleaning, Column, LoadedSeries, TimeSeries};
use crate::session::Cadence;
use crate::timestamp::Timestamp;

/// Rows in a spreadsheet are 1-based and the header takes row 1, so data row `i` (0-based) is
/// shown as row `i + 2`.
fn spreadsheet_row(data_row: usize) -> usize {
    data_row + 2
}

/// `[data] layout`: how a panel's file holds its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelLayout {
    /// A row per date and series, `series_column` naming each row's series (`Date,ticker,Close`).
    #[default]
    Long,
    /// A row per date and a column per series (`Date,AAPL,MSFT`): every column but the date
    /// column is a series, named by its header, its values the target; `series_column` names
    /// what the columns are (e.g. `"ticker"`). Empty cells before a series' first value and
    /// after its last are not part of it (series may start and end at different dates).
    Wide,
}

/// What to read from a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// The header of the date column.
    pub date_column: String,
    /// A `strftime` pattern for the dates (e.g. `%d/%m/%Y`); `None` detects the format (see
    /// [`DateFormat::detect`]).
    pub date_format: Option<String>,
    /// The numeric columns to read, in order; duplicates are read once.
    pub columns: Vec<String>,
    /// What to do with empty cells and with dates missing inside the series.
    pub missing: MissingPolicy,
    /// Columns read only if the file has them and every kept row holds a number there (for
    /// baselines such as the last Close); otherwise left out without an error.
    pub optional_columns: Vec<String>,
    /// How [`load_file_panel`] finds the series: a row per date and series, or a column per
    /// series (then `columns` holds the one name its values take, the target).
    pub layout: PanelLayout,
}

/// Reads `path` as CSV (or, with the extension `.parquet`, as Parquet: typed columns, dates as
/// a date, date-time or text column) and returns the date column and the requested numeric
/// columns; every cell is checked as in a CSV file, and errors name the same row.
///
/// Only the columns in use are parsed, the numeric ones as numbers (a file whose cells polars
/// cannot read as numbers is read again as text, so that the error names the cell).
/// Dates may be ISO (`YYYY-MM-DD`, or a date-time with `T` or a space), US `M/D/YYYY` or
/// European `D/M/YYYY` / `D.M.YYYY` (each optionally with a time), detected once per file (see
/// [`DateFormat`]), or follow `date_format`; a time of day other than midnight in any row makes
/// the series intraday. Line endings LF or CRLF; blank lines are skipped. Rows come back sorted
/// by time. Duplicate timestamps, unparsable dates, and (unless `missing` says otherwise) empty
/// or non-numeric cells in a used column are errors naming the row as a spreadsheet shows it.
pub fn load_file(path: &Path, options: &LoadOptions) -> Result<LoadedSeries, DataError> {
    let table = Table::read(path, options, None)?;
    let rows: Vec<u32> = (0..table.height()).collect();
    table.load(&rows, options)
}

/// Reads a file holding many series: one [`LoadedSeries`] per series, each read and checked as
/// [`load_file`] reads a file of one series. In the long layout (the default) the series are
/// told apart by `series_column` (e.g. a `ticker` column), in the order each first appears,
/// and a row whose series cell is empty is an error naming the row; in the wide layout each
/// column but the date column is a series (see [`PanelLayout::Wide`]).
pub fn load_file_panel(
    path: &Path,
    options: &LoadOptions,
    series_column: &str,
) -> Result<Vec<(String, LoadedSeries)>, DataError> {
    if options.layout == PanelLayout::Wide {
        return load_file_wide(path, options, series_column);
    }
    let table = Table::read(path, options, Some(series_column))?;
    table
        .series_groups()?
        .into_iter()
        .map(|(name, rows)| {
            let mut loaded = (table.load(&rows, options)).map_err(|error| match error {
                DataError::DuplicateDate {
                    path,
                    date,
                    first_row,
                    second_row,
                } => DataError::DuplicateDateInSeries {
                    path,
                    series_column: series_column.to_string(),
                    series: name.clone(),
                    date,
                    first_row,
                    second_row,
                },
                other => other,
            })?;
            loaded.series.source_name = format!("{} ({series_column} = {name})", path.display());
            Ok((name, loaded))
        })
        .collect()
}

/// What joins the names of a series' key columns into one `series_column` (`Sex, Age`).
pub const SERIES_COLUMNS_JOINED_BY: &str = ", ";

/// What joins a row's values of a series' key columns into its series' name (`Both / 0-14`).
pub const SERIES_NAMES_JOINED_BY: &str = " / ";

/// The columns `series_column` names in a file of columns `header`: itself, or where no
/// column has that name, the names it joins ([`SERIES_COLUMNS_JOINED_BY`]: `"Sex, Age"`).
fn key_columns(series_column: &str, header: &[String]) -> Vec<String> {
    let parts: Vec<String> = (series_column.split(SERIES_COLUMNS_JOINED_BY))
        .map(str::to_string)
        .collect();
    match parts.len() > 1 && !header.iter().any(|name| name == series_column) {
        true => parts,
        false => vec![series_column.to_string()],
    }
}

/// The series name of each row, from the columns of `key` (read by `cells`): one column's
/// cells, or several columns' texts joined by [`SERIES_NAMES_JOINED_BY`] (`Both / 0-14`), a
/// row lacking any of them lacking a name.
fn key_cells(
    key: &[String],
    cells: impl Fn(&str) -> Result<Cells, DataError>,
) -> Result<Cells, DataError> {
    if let [one] = key {
        return cells(one);
    }
    let columns = (key.iter())
        .map(|name| cells(name))
        .collect::<Result<Vec<Cells>, DataError>>()?;
    let height = columns.first().map_or(0, Cells::len);
    let names = (0..height as u32).map(|row| {
        let parts: Option<Vec<String>> = (columns.iter())
            .map(|cells| cells.text(row).map(|text| text.into_owned()))
            .collect();
        parts.map(|parts| parts.join(SERIES_NAMES_JOINED_BY))
    });
    Ok(Cells::Text(names.collect()))
}

/// Reads a wide file, a column per series: each series from its first value to its last, its
/// values named `options.columns[0]` (the target); a hole inside it follows the missing policy,
/// its errors naming the file's row and column.
fn load_file_wide(
    path: &Path,
    options: &LoadOptions,
    series_column: &str,
) -> Result<Vec<(String, LoadedSeries)>, DataError> {
    let without_optional = LoadOptions {
        optional_columns: Vec::new(),
        ..options.clone()
    };
    let table = Table::read(path, &without_optional, None)?;
    let target = options.columns.first().cloned().unwrap_or_default();
    let row_numbers: Vec<&String> = (table.columns.iter())
        .filter(|(_, cells)| table.holds_row_numbers(cells))
        .map(|(name, _)| name)
        .collect();
    let noted = (!row_numbers.is_empty()).then(|| {
        let names: Vec<&str> = row_numbers.iter().map(|name| name.as_str()).collect();
        names.join("', '")
    });
    let panel: Vec<(String, LoadedSeries)> = (0..table.columns.len())
        .filter(|index| !row_numbers.contains(&&table.columns[*index].0))
        .filter_map(|index| {
            let view = table.column_view(index);
            let rows = view.value_span()?;
            Some((view, rows))
        })
        .map(|(view, rows)| {
            let name = view.columns[0].0.clone();
            let mut loaded = view.load(&rows, options)?;
            loaded.series.columns[0].name = target.clone();
            loaded.series.source_name = format!("{} ({series_column} = {name})", path.display());
            loaded.cleaning.row_number_column = noted.clone();
            Ok((name, loaded))
        })
        .collect::<Result<_, DataError>>()?;
    match panel.is_empty() {
        true => Err(DataError::NoSeriesColumns {
            path: path.to_path_buf(),
        }),
        false => Ok(panel),
    }
}

/// Adds each optional column whose cells are all numbers in the kept rows (after filling, with
/// a policy that fills).
fn add_optional_columns(
    loaded: &mut LoadedSeries,
    optional: &[(String, Cells)],
    missing: MissingPolicy,
) {
    for (name, cells) in optional {
        let mut values: Vec<Option<f64>> = loaded
            .kept_rows
            .iter()
            .map(|row| match cells.number(*row) {
                Number::Value(value) => Some(value),
                Number::Missing | Number::Bad(_) => None,
            })
            .collect();
        missing.fill(&loaded.series.dates, &mut values);
        if let Some(values) = values.into_iter().collect() {
            loaded.series.columns.push(Column {
                name: name.clone(),
                values,
            });
        }
    }
}

fn distinct(names: &[String]) -> Vec<String> {
    let mut seen = Vec::new();
    for name in names {
        if !seen.contains(name) {
            seen.push(name.clone());
        }
    }
    seen
}

/// A column's cells as polars read them: text to check here, or numbers polars parsed.
#[derive(Clone)]
enum Cells {
    Text(StringChunked),
    Numbers(Float64Chunked),
    /// Days since 1970-01-01, as polars parses an ISO date column.
    Dates(ChunkedArray<Int32Type>),
}

/// One numeric cell, checked.
enum Number {
    Value(f64),
    /// Empty (or null in a typed file).
    Missing,
    /// Not a finite number; the cell's text.
    Bad(String),
}

impl Cells {
    /// The column `name` of `frame`, or an error listing the file's columns, `available`.
    fn of(
        path: &Path,
        frame: &DataFrame,
        name: &str,
        available: &[String],
        decimal_comma: bool,
    ) -> Result<Self, DataError> {
        let column = frame.column(name).map_err(|_| DataError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            available: available.to_vec(),
        })?;
        let failed = |error: polars::error::PolarsError| unreadable(path, error);
        // cells are read by index across polars' chunks: no contiguous copy of the column
        let series = column.as_materialized_series();
        Ok(match series.dtype() {
            DataType::String if decimal_comma => {
                let cells = series.str().map_err(failed)?;
                Cells::Text(
                    cells
                        .iter()
                        .map(|cell| cell.map(with_decimal_point))
                        .collect(),
                )
            }
            DataType::String => Cells::Text(series.str().map_err(failed)?.clone()),
            DataType::Date => Cells::Dates(series.date().map_err(failed)?.physical().clone()),
            // instants of a zone (a Parquet file's): their local times, written with offsets
            DataType::Datetime(unit, Some(zone)) => {
                let instants = series.datetime().map_err(failed)?.physical();
                let texts = zoned_texts(instants, *unit, zone).ok_or_else(|| {
                    let zone = zone.as_str();
                    unreadable(path, format!("column '{name}': unknown time zone '{zone}'"))
                })?;
                Cells::Text(texts)
            }
            dtype if dtype.is_primitive_numeric() => {
                let values = series.cast(&DataType::Float64).map_err(failed)?;
                Cells::Numbers(values.f64().map_err(failed)?.clone())
            }
            _ => {
                let text = series.cast(&DataType::String).map_err(failed)?;
                Cells::Text(text.str().map_err(failed)?.clone())
            }
        })
    }

    /// The cell's text (a number written out), `None` when empty.
    fn text(&self, row: u32) -> Option<std::borrow::Cow<'_, str>> {
        let row = row as usize;
        match self {
            Cells::Text(cells) => cells
                .get(row)
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(std::borrow::Cow::Borrowed),
            Cells::Numbers(cells) => cells
                .get(row)
                .map(|value| std::borrow::Cow::Owned(value.to_string())),
            Cells::Dates(cells) => cells
                .get(row)
                .map(|days| std::borrow::Cow::Owned(date_of(days).to_string())),
        }
    }

    /// The date of a typed date column's cell.
    fn date(&self, row: u32) -> Option<NaiveDate> {
        match self {
            Cells::Dates(cells) => cells.get(row as usize).map(date_of),
            Cells::Text(_) | Cells::Numbers(_) => None,
        }
    }

    /// The cell as a number; `NA`, `NaN` and other tokens of [`is_missing_token`] are
    /// `Missing` when `tokens_are_missing`, else not numbers.
    fn checked_number(&self, row: u32, tokens_are_missing: bool) -> Number {
        match self {
            Cells::Text(cells) => match cells.get(row as usize).map(str::trim) {
                None | Some("") => Number::Missing,
                Some(text) if tokens_are_missing && is_missing_token(text) => Number::Missing,
                Some(text) => match text.parse::<f64>().ok().or_else(|| with_thousands(text)) {
                    Some(value) if value.is_finite() => Number::Value(value),
                    _ => Number::Bad(text.to_string()),
                },
            },
            Cells::Numbers(cells) => match cells.get(row as usize) {
                None => Number::Missing,
                Some(value) if value.is_finite() => Number::Value(value),
                Some(value) if value.is_nan() && tokens_are_missing => Number::Missing,
                Some(value) => Number::Bad(value.to_string()),
            },
            Cells::Dates(cells) => match cells.get(row as usize) {
                None => Number::Missing,
                Some(days) => Number::Bad(date_of(days).to_string()),
            },
        }
    }

    /// The cell of data row `row` as a number, tokens such as `NA` counting as not numbers;
    /// `Missing` past the end (a row inserted for a missing date has `usize::MAX`).
    fn number(&self, row: usize) -> Number {
        match u32::try_from(row) {
            Ok(row) if (row as usize) < self.len() => self.checked_number(row, false),
            _ => Number::Missing,
        }
    }

    fn len(&self) -> usize {
        match self {
            Cells::Text(cells) => cells.len(),
            Cells::Numbers(cells) => cells.len(),
            Cells::Dates(cells) => cells.len(),
        }
    }
}

/// `cell` with a decimal comma written as a point (`-3,25` as `-3.25`) when it is a number
/// written so (digits, one comma, digits); as it is otherwise.
fn with_decimal_point(cell: &str) -> std::borrow::Cow<'_, str> {
    let unsigned = cell.trim().trim_start_matches(['-', '+']);
    match unsigned.split_once(',') {
        Some((whole, fraction)) if all_digits(whole) && all_digits(fraction) => {
            std::borrow::Cow::Owned(cell.replacen(',', ".", 1))
        }
        // dots between the thousands too: `1.234,5`
        Some((whole, fraction)) if all_digits(fraction) && in_thousands(whole, '.') => {
            std::borrow::Cow::Owned(cell.replace('.', "").replacen(',', ".", 1))
        }
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// Whether `text` is one digit or more and nothing else.
fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// Whether `whole` is one to three digits, then groups of three after `separator`s
/// (`1.234.567`, `12,000`).
fn in_thousands(whole: &str, separator: char) -> bool {
    let mut groups = whole.split(separator);
    let first = groups.next().unwrap_or("");
    let rest: Vec<&str> = groups.collect();
    (1..=3).contains(&first.len())
        && all_digits(first)
        && !rest.is_empty()
        && rest
            .iter()
            .all(|group| group.len() == 3 && all_digits(group))
}

/// A number written with commas between its thousands, as a spreadsheet exports it (`1,234.5`,
/// `-12,000`): groups of three digits after the first one to three; `None` for any other text.
fn with_thousands(cell: &str) -> Option<f64> {
    let unsigned = cell.trim_start_matches(['-', '+']);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    if !(in_thousands(whole, ',') && fraction.is_none_or(all_digits)) {
        return None;
    }
    cell.replace(',', "").parse().ok()
}

/// The date `days` after 1970-01-01.
fn date_of(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days + UNIX_EPOCH_DAYS_FROM_CE)
        .expect("polars' dates are in chrono's range")
}

/// Days from 0001-01-01 (day 1) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Whether `dates` (`height` rows written in `format`) are date-times whose UTC offsets change
/// within the file, one of them at a time other than midnight: an intraday series across a
/// daylight-saving change, whose local times repeat or skip an hour, so it is read in UTC. A
/// series of dates at local midnight keeps its dates. Only a file whose first date carries an
/// offset is scanned.
fn offsets_change_intraday(dates: &Cells, height: usize, format: &DateFormat) -> bool {
    let written = matches!(
        format,
        DateFormat::Iso | DateFormat::MonthFirst | DateFormat::DayFirst
    );
    // polars read the column as dates: no times, no offsets
    if !written || matches!(dates, Cells::Dates(_)) {
        return false;
    }
    let mut texts = (0..height as u32).filter_map(|row| dates.text(row));
    let Some(first) = texts.next() else {
        return false;
    };
    let Some(first_offset) = utc_offset_seconds(&first) else {
        return false;
    };
    let intraday =
        |text: &str| (format.parse(text)).is_some_and(|at| at.time() != chrono::NaiveTime::MIN);
    let (mut changes, mut any_intraday) = (false, intraday(&first));
    for text in texts {
        changes |= utc_offset_seconds(&text).is_some_and(|offset| offset != first_offset);
        any_intraday = any_intraday || intraday(&text);
        if changes && any_intraday {
            return true;
        }
    }
    false
}

/// The time steps of a file's `height` rows that have no column of their own: each row's place
/// in its series, 1, 2, 3, … (in the file, or among its series' rows, `names`, of a long panel).
fn row_steps(height: usize, names: Option<&Cells>) -> Cells {
    let mut seen: std::collections::HashMap<String, f64> = Default::default();
    let mut step = |row: usize| -> f64 {
        let name = names
            .and_then(|names| names.text(row as u32))
            .unwrap_or_default();
        let count = seen.entry(name.into_owned()).or_default();
        *count += 1.0;
        *count
    };
    let steps: Vec<f64> = (0..height).map(&mut step).collect();
    Cells::Numbers(Float64Chunked::from_vec("step".into(), steps))
}

/// The most usual gaps a step series may jump at once (see `Table::check_step_jumps`).
const MAX_STEP_GAP: i64 = 10_000;

/// A row's time as read: a date and time, or a time step.
enum Stamp {
    At(NaiveDateTime),
    Step(Timestamp),
}

/// The columns of a file in use, as polars read them, before validation.
struct Table {
    path: PathBuf,
    date_column: String,
    dates: Cells,
    /// How the dates are written.
    format: DateFormat,
    /// Whether the dates are read in UTC: an intraday file whose UTC offsets change within it.
    in_utc: bool,
    /// Lines above the header that were skipped (a preamble).
    preamble_lines: usize,
    /// Whether the file has no date column and its rows are numbered as time steps.
    numbered: bool,
    columns: Vec<(String, Cells)>,
    optional: Vec<(String, Cells)>,
    series: Option<(String, Cells)>,
    height: usize,
}

impl Table {
    /// Reads the date column, `options`' columns (the optional ones where the file has them)
    /// and `series_column` from `path`.
    fn read(
        path: &Path,
        options: &LoadOptions,
        series_column: Option<&str>,
    ) -> Result<Self, DataError> {
        let parquet = is_parquet(path);
        let (header, dialect) = match parquet {
            true => (parquet_header(path)?, Dialect::default()),
            false => csv_header(path, &options.date_column)?,
        };
        let date_column = date_column_in(&header, &options.date_column);
        // time steps without a column of their own: the rows numbered
        let numbered =
            options.date_format.as_deref() == Some(STEP_FORMAT) && !header.contains(&date_column);
        // a wide file's series are every column but the dates
        let columns = match options.layout {
            PanelLayout::Long => distinct(&options.columns),
            PanelLayout::Wide => (header.iter())
                .filter(|name| **name != date_column)
                .cloned()
                .collect(),
        };
        let optional: Vec<String> = distinct(&options.optional_columns)
            .into_iter()
            .filter(|name| !columns.contains(name) && header.contains(name))
            .collect();
        let key = series_column.map(|name| key_columns(name, &header));
        let mut wanted: Vec<&str> = Vec::new();
        wanted.extend((!numbered).then_some(date_column.as_str()));
        wanted.extend(columns.iter().map(String::as_str));
        wanted.extend(key.iter().flatten().map(String::as_str));
        if let Some(absent) = wanted
            .iter()
            .find(|name| !header.iter().any(|h| h == *name))
        {
            return Err(DataError::MissingColumn {
                path: path.to_path_buf(),
                column: absent.to_string(),
                available: header.clone(),
            });
        }
        wanted.extend(optional.iter().map(String::as_str));
        let frame = match parquet {
            true => read_parquet(path, &wanted)?,
            false => read_csv_columns(path, dialect, &header, &wanted, (&columns, &date_column))?,
        };
        let cells = |name: &str| Cells::of(path, &frame, name, &header, dialect.decimal_comma());
        let columns = columns
            .iter()
            .map(|name| Ok((name.clone(), cells(name)?)))
            .collect::<Result<Vec<_>, DataError>>()?;
        let series = (series_column.zip(key.as_deref()))
            .map(|(name, key)| Ok::<_, DataError>((name.to_string(), key_cells(key, cells)?)))
            .transpose()?;
        let dates = match numbered {
            true => row_steps(frame.height(), series.as_ref().map(|(_, names)| names)),
            false => cells(&date_column)?,
        };
        let optional = optional
            .into_iter()
            .filter_map(|name| Some((name.clone(), cells(&name).ok()?)))
            .collect();
        let height = frame.height();
        drop(frame);
        if height == 0 {
            return Err(DataError::NoRows {
                path: path.to_path_buf(),
            });
        }
        let format = match &options.date_format {
            Some(date_format) => DateFormat::from_config(date_format),
            None => DateFormat::detect((0..height as u32).filter_map(|row| dates.text(row)))
                .unwrap_or(DateFormat::Iso),
        };
        let in_utc = offsets_change_intraday(&dates, height, &format);
        Ok(Self {
            path: path.to_path_buf(),
            date_column,
            dates,
            format,
            in_utc,
            preamble_lines: dialect.skip_lines,
            numbered,
            columns,
            optional,
            series,
            height,
        })
    }

    /// Data row `data_row` (0-based) as a spreadsheet shows it: [`spreadsheet_row`], below
    /// any preamble.
    fn row_number(&self, data_row: usize) -> usize {
        spreadsheet_row(data_row) + self.preamble_lines
    }

    /// The table of the date column and the `index`-th column alone.
    fn column_view(&self, index: usize) -> Table {
        Table {
            path: self.path.clone(),
            date_column: self.date_column.clone(),
            dates: self.dates.clone(),
            format: self.format.clone(),
            in_utc: self.in_utc,
            preamble_lines: self.preamble_lines,
            numbered: self.numbered,
            columns: vec![self.columns[index].clone()],
            optional: Vec::new(),
            series: None,
            height: self.height,
        }
    }

    /// The rows from the first holding a value in the (one) column to the last; `None` when
    /// none does.
    fn value_span(&self) -> Option<Vec<u32>> {
        let (_, cells) = self.columns.first()?;
        let has_value = |row: &u32| (cells.text(*row)).is_some_and(|text| !is_missing_token(&text));
        let first = (0..self.height()).find(has_value)?;
        let last = (0..self.height()).rev().find(has_value)?;
        Some((first..=last).collect())
    }

    /// Whether `cells` hold the row numbers of the file's non-blank rows, `1, 2, 3, …` or
    /// `0, 1, 2, …` (an index, as R's `write.csv` and pandas' `to_csv` write one), over three
    /// rows or more.
    fn holds_row_numbers(&self, cells: &Cells) -> bool {
        let rows = (0..self.height()).filter(|row| !self.is_blank(*row));
        let mut numbers = rows.map(|row| match cells.number(row as usize) {
            Number::Value(value) => Some(value),
            Number::Missing | Number::Bad(_) => None,
        });
        let Some(Some(first @ (0.0 | 1.0))) = numbers.next() else {
            return false;
        };
        let mut count = 1.0;
        for number in numbers {
            if number != Some(first + count) {
                return false;
            }
            count += 1.0;
        }
        count >= 3.0
    }

    /// Number of data rows in the file, blank ones included.
    fn height(&self) -> u32 {
        self.height as u32
    }

    /// The data rows of each series, in the order each series first appears.
    fn series_groups(&self) -> Result<Vec<(String, Vec<u32>)>, DataError> {
        let (column, cells) = self.series.as_ref().expect("read with a series column");
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        let mut groups: Vec<(String, Vec<u32>)> = Vec::new();
        for row in 0..self.height() {
            let name = match cells.text(row) {
                Some(name) => name,
                None if self.is_blank(row) => continue,
                None => {
                    return Err(DataError::MissingSeriesName {
                        path: self.path.clone(),
                        row: self.row_number(row as usize),
                        column: column.clone(),
                    });
                }
            };
            let group = match index.get(name.as_ref()) {
                Some(group) => *group,
                None => {
                    index.insert(name.to_string(), groups.len());
                    groups.push((name.to_string(), Vec::new()));
                    groups.len() - 1
                }
            };
            groups[group].1.push(row);
        }
        if groups.is_empty() {
            return Err(DataError::NoRows {
                path: self.path.clone(),
            });
        }
        Ok(groups)
    }

    /// The series of the data rows `rows`, cleaned as `options.missing` says.
    fn load(&self, rows: &[u32], options: &LoadOptions) -> Result<LoadedSeries, DataError> {
        let mut loaded = match options.missing.fills() {
            true => self.filled_series(rows, options.missing)?,
            false => self.series(rows, options.missing == MissingPolicy::Drop)?,
        };
        add_optional_columns(&mut loaded, &self.optional, options.missing);
        Ok(loaded)
    }

    /// Whether data row `data_row` is blank: no date and no used cell holds anything.
    fn is_blank(&self, data_row: u32) -> bool {
        self.dates.text(data_row).is_none()
            && self
                .columns
                .iter()
                .all(|(_, cells)| matches!(cells.checked_number(data_row, false), Number::Missing))
    }

    /// The non-blank rows among `rows` that `keep` keeps (the others are counted), each with its
    /// timestamp, sorted by time and checked for duplicates; and whether they were out of
    /// order. The timestamps are dates unless some row has a time of day other than midnight:
    /// then the series is intraday, and every timestamp a date and time.
    #[allow(clippy::type_complexity)]
    fn sorted_rows(
        &self,
        rows: &[u32],
        keep: impl Fn(u32) -> Result<bool, DataError>,
    ) -> Result<(Vec<(Timestamp, u32)>, usize, bool), DataError> {
        let mut parsed = Vec::with_capacity(rows.len());
        let mut dropped_rows = 0;
        for &data_row in rows {
            if self.is_blank(data_row) {
                continue;
            }
            let stamp = self.parse_stamp(data_row)?;
            match keep(data_row)? {
                true => parsed.push((stamp, data_row)),
                false => dropped_rows += 1,
            }
        }
        if parsed.is_empty() {
            return Err(DataError::NoRows {
                path: self.path.clone(),
            });
        }
        let intraday = (parsed.iter()).any(
            |(stamp, _)| matches!(stamp, Stamp::At(at) if at.time() != chrono::NaiveTime::MIN),
        );
        let mut kept: Vec<(Timestamp, u32)> = parsed
            .into_iter()
            .map(|(stamp, row)| match stamp {
                Stamp::Step(step) => (step, row),
                Stamp::At(datetime) if intraday => (Timestamp::from_datetime(datetime), row),
                Stamp::At(datetime) => (Timestamp::from_date(datetime.date()), row),
            })
            .collect();
        let was_unsorted = kept.windows(2).any(|pair| pair[0].0 > pair[1].0);
        if was_unsorted {
            kept.sort_unstable();
        }
        self.check_unique(&kept)?;
        self.check_step_jumps(&kept)?;
        Ok((kept, dropped_rows, was_unsorted))
    }

    /// A row's time: its date and time, or its step when the date column holds steps.
    fn parse_stamp(&self, data_row: u32) -> Result<Stamp, DataError> {
        if !self.format.is_steps() {
            return self.parse_date(data_row).map(Stamp::At);
        }
        let cell = self.dates.text(data_row);
        let text = cell.as_deref().unwrap_or("");
        let step = self.format.step_of(text).and_then(Timestamp::from_step);
        step.map(Stamp::Step).ok_or_else(|| match self.format {
            DateFormat::Step => DataError::BadStep {
                path: self.path.clone(),
                row: self.row_number(data_row as usize),
                column: self.date_column.clone(),
                value: text.to_string(),
            },
            // R's time in cycles: a cell off its grid is a bad date of that format
            _ => self.bad_date(data_row, text),
        })
    }

    /// An error where steps (`kept`, sorted) jump by more than [`MAX_STEP_GAP`] of their usual
    /// gaps at once: a typo (`10000` for `1000`) would otherwise make the missing steps in
    /// between more rows than memory holds.
    fn check_step_jumps(&self, kept: &[(Timestamp, u32)]) -> Result<(), DataError> {
        if !kept.first().is_some_and(|(stamp, _)| stamp.is_step()) {
            return Ok(());
        }
        let stamps: Vec<Timestamp> = kept.iter().map(|(stamp, _)| *stamp).collect();
        let Frequency::Steps(usual) = Frequency::infer(&stamps) else {
            return Ok(());
        };
        let limit = (usual as i64).saturating_mul(MAX_STEP_GAP);
        match (kept.windows(2)).find(|pair| pair[1].0.seconds_since(pair[0].0) > limit) {
            Some(pair) => Err(DataError::StepJump {
                path: self.path.clone(),
                from: (pair[0].0.to_string(), self.row_number(pair[0].1 as usize)),
                to: (pair[1].0.to_string(), self.row_number(pair[1].1 as usize)),
                usual: usual as usize,
                limit: MAX_STEP_GAP as usize,
            }),
            None => Ok(()),
        }
    }

    fn series(&self, rows: &[u32], drop_missing: bool) -> Result<LoadedSeries, DataError> {
        let (rows, dropped_rows, was_unsorted) =
            self.sorted_rows(rows, |data_row| match self.check_values(data_row) {
                Ok(()) => Ok(true),
                Err(_) if drop_missing => Ok(false),
                Err(error) => Err(error),
            })?;
        let columns = self
            .columns
            .iter()
            .map(|(name, cells)| Column {
                name: name.clone(),
                values: rows
                    .iter()
                    .map(|(_, row)| match cells.checked_number(*row, false) {
                        Number::Value(value) => value,
                        Number::Missing | Number::Bad(_) => unreachable!("checked above"),
                    })
                    .collect(),
            })
            .collect();
        Ok(LoadedSeries {
            series: TimeSeries {
                source_name: self.path.display().to_string(),
                dates: rows.iter().map(|(date, _)| *date).collect(),
                columns,
            },
            cleaning: Cleaning {
                dropped_rows,
                filled_rows: 0,
                was_unsorted,
                read_in_utc: self.in_utc,
                preamble_lines: self.preamble_lines,
                numbered_rows: self.numbered,
                row_number_column: None,
            },
            kept_rows: rows.iter().map(|(_, row)| *row as usize).collect(),
        })
    }

    /// The series with every hole filled as `missing` (`ffill` or `interpolate`) says: rows for
    /// the dates the series' frequency expects but lacks, then every empty (or `NA`) cell
    /// filled; rows still holding a hole (before a column's first value) are dropped.
    fn filled_series(
        &self,
        rows: &[u32],
        missing: MissingPolicy,
    ) -> Result<LoadedSeries, DataError> {
        let (rows, _, was_unsorted) = self.sorted_rows(rows, |data_row| {
            for (name, cells) in &self.columns {
                if let Number::Bad(value) = cells.checked_number(data_row, true) {
                    return Err(self.not_a_number(data_row, name, value));
                }
            }
            Ok(true)
        })?;
        let observed: Vec<Timestamp> = rows.iter().map(|(date, _)| *date).collect();
        // a row for every timestamp the series' frequency expects, with no source row
        let mut all: Vec<(Timestamp, Option<u32>)> =
            rows.iter().map(|(date, row)| (*date, Some(*row))).collect();
        all.extend(
            (Cadence::infer(&observed).missing(&observed).into_iter()).map(|date| (date, None)),
        );
        all.sort_by_key(|(date, _)| *date);
        let dates: Vec<Timestamp> = all.iter().map(|(date, _)| *date).collect();
        // each used column's values, a hole `None` (an empty cell, or a row for a missing date)
        let read: Vec<Vec<Option<f64>>> = (self.columns.iter())
            .map(|(_, cells)| {
                (all.iter())
                    .map(
                        |(_, row)| match row.map(|row| cells.checked_number(row, true)) {
                            Some(Number::Value(value)) => Some(value),
                            _ => None,
                        },
                    )
                    .collect()
            })
            .collect();
        let had_hole: Vec<bool> = (0..all.len())
            .map(|index| read.iter().any(|values| values[index].is_none()))
            .collect();
        let mut filled = read;
        for values in &mut filled {
            missing.fill(&dates, values);
        }
        let complete: Vec<usize> = (0..all.len())
            .filter(|index| filled.iter().all(|values| values[*index].is_some()))
            .collect();
        if complete.is_empty() {
            return Err(DataError::NoRows {
                path: self.path.clone(),
            });
        }
        let columns = self
            .columns
            .iter()
            .zip(&filled)
            .map(|((name, _), values)| Column {
                name: name.clone(),
                values: complete
                    .iter()
                    .map(|index| values[*index].unwrap())
                    .collect(),
            })
            .collect();
        Ok(LoadedSeries {
            series: TimeSeries {
                source_name: self.path.display().to_string(),
                dates: complete.iter().map(|index| dates[*index]).collect(),
                columns,
            },
            cleaning: Cleaning {
                dropped_rows: all.len() - complete.len(),
                filled_rows: complete.iter().filter(|index| had_hole[**index]).count(),
                was_unsorted,
                read_in_utc: self.in_utc,
                preamble_lines: self.preamble_lines,
                numbered_rows: self.numbered,
                row_number_column: None,
            },
            kept_rows: complete
                .iter()
                .map(|index| all[*index].1.map_or(usize::MAX, |row| row as usize))
                .collect(),
        })
    }

    /// An error naming the first two rows with the same timestamp among sorted `rows`.
    fn check_unique(&self, rows: &[(Timestamp, u32)]) -> Result<(), DataError> {
        match rows.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            Some(pair) => Err(DataError::DuplicateDate {
                path: self.path.clone(),
                date: pair[1].0.to_string(),
                first_row: self.row_number(pair[0].1 as usize),
                second_row: self.row_number(pair[1].1 as usize),
            }),
            None => Ok(()),
        }
    }

    /// The date and time of a row (midnight for a date).
    fn parse_date(&self, data_row: u32) -> Result<NaiveDateTime, DataError> {
        if let Some(date) = self.dates.date(data_row) {
            return Ok(date.and_time(chrono::NaiveTime::MIN));
        }
        let cell = self.dates.text(data_row);
        let text = cell.as_deref().unwrap_or("");
        let local = (self.format.parse(text)).ok_or_else(|| self.bad_date(data_row, text))?;
        let offset = utc_offset_seconds(text)
            .filter(|_| self.in_utc)
            .unwrap_or(0);
        Ok(local - chrono::Duration::seconds(i64::from(offset)))
    }

    /// The error for a date cell `text` of data row `data_row` that its format does not read.
    fn bad_date(&self, data_row: u32, text: &str) -> DataError {
        DataError::BadDate {
            path: self.path.clone(),
            row: self.row_number(data_row as usize),
            column: self.date_column.clone(),
            value: text.to_string(),
            expected: self.format.describe_for(text),
        }
    }

    /// Every used cell of the row is a number, or an error naming the first that is not.
    fn check_values(&self, data_row: u32) -> Result<(), DataError> {
        for (name, cells) in &self.columns {
            match cells.checked_number(data_row, false) {
                Number::Value(_) => {}
                Number::Missing => {
                    return Err(DataError::MissingValue {
                        path: self.path.clone(),
                        row: self.row_number(data_row as usize),
                        column: name.clone(),
                    });
                }
                Number::Bad(value) => return Err(self.not_a_number(data_row, name, value)),
            }
        }
        Ok(())
    }

    fn not_a_number(&self, data_row: u32, column: &str, value: String) -> DataError {
        DataError::NotANumber {
            path: self.path.clone(),
            row: self.row_number(data_row as usize),
            column: column.to_string(),
            missing_token: is_missing_token(&value),
            value,
        }
    }
}

/// How a CSV file is written: its field separator, and the lines above its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Dialect {
    separator: u8,
    /// Lines above the header (a preamble), skipped; 0 when the header is the first line that
    /// is not blank.
    skip_lines: usize,
}

impl Default for Dialect {
    fn default() -> Self {
        Self {
            separator: b',',
            skip_lines: 0,
        }
    }
}

impl Dialect {
    /// Whether its numbers may have a decimal comma: a `;`-separated file's may, as
    /// spreadsheets in much of Europe write them.
    fn decimal_comma(self) -> bool {
        self.separator == b';'
    }

    /// The dialect of a file whose header line is `line`: fields separated by commas, or by
    /// semicolons or tabs when the line has more of those than of commas.
    fn sniff(line: &str) -> Self {
        let count = |separator: char| line.matches(separator).count();
        let separator = [(',', b','), (';', b';'), ('\t', b'\t')]
            .into_iter()
            .max_by_key(|(separator, byte)| (count(*separator), *byte == b','))
            .map_or(b',', |(_, byte)| byte);
        Self {
            separator,
            skip_lines: 0,
        }
    }

    /// Whether the header `line` names `column` (in any case, as [`date_column_in`] finds it).
    fn names(line: &str, column: &str) -> bool {
        let separator = Self::sniff(line).separator as char;
        line.trim_start_matches('\u{feff}')
            .split(separator)
            .any(|field| field.trim().trim_matches('"').eq_ignore_ascii_case(column))
    }

    /// `options` reading this dialect.
    fn apply(self, options: CsvReadOptions) -> CsvReadOptions {
        options
            .with_skip_lines(self.skip_lines)
            .map_parse_options(|parse| {
                parse
                    .with_separator(self.separator)
                    .with_decimal_comma(self.decimal_comma())
            })
    }
}

/// The most lines above a CSV file's header that are looked through for it.
const MAX_PREAMBLE_LINES: usize = 50;

/// The header line of a CSV file and the lines above it to skip: its first line that is not
/// blank, unless that line does not name `date_column` and a later one (among the first
/// [`MAX_PREAMBLE_LINES`]) does: then that one, the lines above it a preamble (a title or a
/// source line, as Google Trends and statistics offices write). Errors for an unreadable or
/// empty file.
fn header_line(path: &Path, date_column: &str) -> Result<(String, usize), DataError> {
    let read_error = |source| DataError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut reader = std::io::BufReader::new(file);
    let mut first: Option<(usize, String)> = None;
    let mut second: Option<String> = None;
    for index in 0..=MAX_PREAMBLE_LINES {
        let mut line = String::new();
        let read = std::io::BufRead::read_line(&mut reader, &mut line).map_err(|error| {
            match (error.kind(), not_utf8(path)) {
                (std::io::ErrorKind::InvalidData, Some(not_utf8)) => not_utf8,
                _ => read_error(error),
            }
        })?;
        if read == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        if Dialect::names(&line, date_column) {
            // the first non-blank line itself: no preamble (polars skips leading blank lines)
            let skip = if first.is_none() { 0 } else { index };
            return Ok((line, skip));
        }
        match first {
            None => first = Some((index, line)),
            Some(_) => {
                second.get_or_insert(line);
            }
        }
    }
    // no line names the date column: the first is the header, for the error to list its names,
    // unless it has fewer fields than the next (a title above a header named otherwise)
    let Some((index, line)) = first else {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
        });
    };
    let fields = |line: &str| field_count(line.trim_end(), Dialect::sniff(line).separator);
    if second.is_some_and(|next| fields(&next) > fields(&line)) {
        return Err(DataError::NoHeader {
            path: path.to_path_buf(),
            column: date_column.to_string(),
            lines: MAX_PREAMBLE_LINES + 1,
            first_line: index + 1,
            text: line.trim().to_string(),
        });
    }
    Ok((line, 0))
}

/// The header of a CSV file (its column names) and its [`Dialect`], sniffed from its header
/// line ([`header_line`]); or the errors of an unreadable or empty file.
fn csv_header(path: &Path, date_column: &str) -> Result<(Vec<String>, Dialect), DataError> {
    let (first_line, skip_lines) = header_line(path, date_column)?;
    let dialect = Dialect {
        skip_lines,
        ..Dialect::sniff(&first_line)
    };
    let frame = dialect
        .apply(CsvReadOptions::default())
        .with_has_header(true)
        .with_n_rows(Some(0))
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|reader| reader.finish())
        .map_err(|error| {
            let columns = field_count(first_line.trim_end(), dialect.separator);
            parse_error(path, dialect, columns, error)
        })?;
    Ok((frame_names(&frame), dialect))
}

fn frame_names(frame: &DataFrame) -> Vec<String> {
    frame
        .get_column_names()
        .iter()
        .map(|name| name.to_string())
        .collect()
}

/// Reads the columns `wanted` of the CSV file (those that `header` has; an absent one is
/// reported when it is asked for), `numeric` ones parsed as numbers by polars and, when its
/// first cell is a plain ISO date, `date_column` as dates. If polars cannot parse every cell
/// so (or a date cell comes back empty, or a number NaN or infinite), the file is read again
/// with those columns as text, for the loader to name the cell.
fn read_csv_columns(
    path: &Path,
    dialect: Dialect,
    header: &[String],
    wanted: &[&str],
    (numeric, date_column): (&[String], &str),
) -> Result<DataFrame, DataError> {
    let present: Vec<PlSmallStr> = header
        .iter()
        .filter(|name| wanted.contains(&name.as_str()))
        .map(|name| PlSmallStr::from(name.as_str()))
        .collect();
    let read = |typed_numbers: bool, typed_dates: bool| {
        let mut overwrite: Schema = numeric
            .iter()
            .filter(|name| typed_numbers && header.contains(name))
            .map(|name| Field::new(name.as_str().into(), DataType::Float64))
            .collect();
        if typed_dates {
            overwrite.with_column(date_column.into(), DataType::Date);
        }
        dialect
            .apply(CsvReadOptions::default())
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_columns(Some(present.clone().into()))
            .with_schema_overwrite(Some(Arc::new(overwrite)))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|reader| reader.finish())
    };
    let all_finite = |frame: &DataFrame| {
        numeric.iter().all(|name| {
            frame
                .column(name)
                .ok()
                .and_then(|column| column.as_materialized_series().f64().ok().cloned())
                .is_none_or(|values| values.into_no_null_iter().all(f64::is_finite))
        })
    };
    let dates_whole = |frame: &DataFrame| {
        frame
            .column(date_column)
            .is_ok_and(|column| column.null_count() == 0)
    };
    if first_cell_is_iso_date(path, dialect, header, date_column)
        && let Ok(frame) = read(true, true)
        && all_finite(&frame)
        && dates_whole(&frame)
    {
        return Ok(frame);
    }
    match read(true, false) {
        Ok(frame) if all_finite(&frame) => Ok(frame),
        _ => read(false, false).map_err(|error| parse_error(path, dialect, header.len(), error)),
    }
}

/// What polars' `error` reading the CSV file at `path` (of `columns` columns) was: a row with
/// more fields than the header, named, or else polars' own message.
fn parse_error(
    path: &Path,
    dialect: Dialect,
    columns: usize,
    error: polars::error::PolarsError,
) -> DataError {
    if let Some(not_utf8) = not_utf8(path) {
        return not_utf8;
    }
    match ragged_row(path, dialect, columns) {
        Some((row, fields)) => DataError::RaggedRow {
            path: path.to_path_buf(),
            row,
            fields,
            columns,
            separator: dialect.separator as char,
        },
        None => unreadable(path, error),
    }
}

/// The error naming the first line of the file at `path` that is not UTF-8 text, and its
/// byte; `None` for a UTF-8 file (or one that cannot be read).
fn not_utf8(path: &Path) -> Option<DataError> {
    let bytes = std::fs::read(path).ok()?;
    let error = std::str::from_utf8(&bytes).err()?;
    let valid = &bytes[..error.valid_up_to()];
    Some(DataError::NotUtf8 {
        path: path.to_path_buf(),
        line: valid.iter().filter(|byte| **byte == b'\n').count() + 1,
        byte: bytes[error.valid_up_to()],
    })
}

/// The first row of the CSV file with more fields than `columns` (its line number, the header's
/// being 1, and its fields), separators inside double quotes not counted; `None` when none.
fn ragged_row(path: &Path, dialect: Dialect, columns: usize) -> Option<(usize, usize)> {
    let text = std::fs::read_to_string(path).ok()?;
    (text.lines().enumerate())
        .skip(dialect.skip_lines)
        .skip_while(|(_, line)| line.trim().is_empty())
        .skip(1)
        .map(|(index, line)| (index + 1, field_count(line, dialect.separator)))
        .find(|(_, fields)| *fields > columns)
}

/// The fields of a CSV `line` separated by `separator`, those inside double quotes not counted.
fn field_count(line: &str, separator: u8) -> usize {
    let mut quoted = false;
    let separators = line.bytes().filter(|byte| {
        if *byte == b'"' {
            quoted = !quoted;
        }
        *byte == separator && !quoted
    });
    separators.count() + 1
}

/// Whether the date column's first data cell is a plain `YYYY-MM-DD` date (no time), so that
/// polars may parse the column as dates.
fn first_cell_is_iso_date(
    path: &Path,
    dialect: Dialect,
    header: &[String],
    date_column: &str,
) -> bool {
    let Some(index) = header.iter().position(|name| name == date_column) else {
        return false;
    };
    let first = dialect
        .apply(CsvReadOptions::default())
        .with_has_header(true)
        .with_n_rows(Some(1))
        .with_infer_schema_length(Some(0))
        .with_projection(Some(Arc::new(vec![index])))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|reader| reader.finish());
    let Ok(first) = first else {
        return false;
    };
    let cell = first.columns().first().and_then(|column| {
        let cells = column.as_materialized_series().str().ok()?;
        (!cells.is_empty())
            .then(|| cells.get(0))
            .flatten()
            .map(str::to_string)
    });
    cell.is_some_and(|text| {
        text.len() == 10 && NaiveDate::parse_from_str(&text, "%Y-%m-%d").is_ok()
    })
}

/// The column named `wanted` among `names`, or else the only one whose name is `wanted` in
/// another case (`date` for `Date`); `wanted` itself when neither is there, for the error to
/// name.
fn date_column_in(names: &[String], wanted: &str) -> String {
    if names.iter().any(|name| name == wanted) {
        return wanted.to_string();
    }
    let mut alike = names
        .iter()
        .filter(|name| name.eq_ignore_ascii_case(wanted));
    match (alike.next(), alike.next()) {
        (Some(only), None) => only.clone(),
        _ => wanted.to_string(),
    }
}

fn parquet_reader(path: &Path) -> Result<ParquetReader<std::fs::File>, DataError> {
    let file = std::fs::File::open(path).map_err(|source| DataError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(ParquetReader::new(file))
}

/// The file at `path` is not a readable file of its kind (CSV or Parquet), as `why` says.
fn unreadable(path: &Path, why: impl std::fmt::Display) -> DataError {
    DataError::Csv {
        path: path.to_path_buf(),
        kind: file_kind(path),
        message: why.to_string(),
    }
}

/// "Parquet" or "CSV", as `path` is read.
fn file_kind(path: &Path) -> &'static str {
    match is_parquet(path) {
        true => "Parquet",
        false => "CSV",
    }
}

/// Instants of `zone` (`unit`s since 1970 UTC) as the local times there, each written with its
/// UTC offset (`2023-10-29T02:00:00+01:00`), as a CSV file of the zone writes them; `None` for
/// a zone the time-zone database does not know.
fn zoned_texts(instants: &Int64Chunked, unit: TimeUnit, zone: &str) -> Option<StringChunked> {
    let zone: chrono_tz::Tz = zone.parse().ok()?;
    let per_second: i64 = match unit {
        TimeUnit::Nanoseconds => 1_000_000_000,
        TimeUnit::Microseconds => 1_000_000,
        TimeUnit::Milliseconds => 1_000,
    };
    let local = |value: i64| {
        let (seconds, fraction) = (value.div_euclid(per_second), value.rem_euclid(per_second));
        let nanos = (fraction * (1_000_000_000 / per_second)) as u32;
        let instant = chrono::DateTime::from_timestamp(seconds, nanos)?;
        Some(
            instant
                .with_timezone(&zone)
                .format("%Y-%m-%dT%H:%M:%S%.f%:z")
                .to_string(),
        )
    };
    Some(instants.iter().map(|value| value.and_then(local)).collect())
}

/// The column names of a Parquet file, from its footer.
fn parquet_header(path: &Path) -> Result<Vec<String>, DataError> {
    let schema = parquet_reader(path)?
        .schema()
        .map_err(|error| unreadable(path, error))?;
    Ok(schema.iter_names().map(|name| name.to_string()).collect())
}

/// Reads the columns `wanted` of a Parquet file, typed as the file stores them.
fn read_parquet(path: &Path, wanted: &[&str]) -> Result<DataFrame, DataError> {
    let frame = parquet_reader(path)?
        .with_columns(Some(wanted.iter().map(|name| name.to_string()).collect()))
        .finish()
        .map_err(|error| unreadable(path, error))?;
    if frame.height() == 0 {
        return Err(DataError::NoRows {
            path: path.to_path_buf(),
        });
    }
    Ok(frame)
}

/// Whether `path` names a Parquet file (by its extension).
fn is_parquet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("parquet"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_csv(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    fn options(columns: &[&str]) -> LoadOptions {
        LoadOptions {
            date_column: "Date".into(),
            date_format: None,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            missing: MissingPolicy::Error,
            optional_columns: Vec::new(),
            layout: PanelLayout::Long,
        }
    }

    fn load(text: &str, columns: &[&str]) -> Result<LoadedSeries, DataError> {
        let file = write_csv(text);
        load_file(file.path(), &options(columns))
    }

    #[test]
    fn reads_iso_dates_with_lf_endings() {
        let loaded = load(
            "Date,Open,Close\n2021-01-04,100.5,101\n2021-01-05,102,103.25\n",
            &["Open", "Close"],
        )
        .unwrap();
        let series = loaded.series;
        assert_eq!(series.dates[0], day(2021, 1, 4));
        assert_eq!(series.column("Open").unwrap(), &[100.5, 102.0]);
        assert_eq!(series.column("Close").unwrap(), &[101.0, 103.25]);
        assert!(!loaded.cleaning.was_unsorted);
    }

    #[test]
    fn reads_us_dates_with_crlf_endings() {
        let loaded = load(
            "Date,Open,Volume\r\n1/4/1999,1229.2,877000000\r\n12/31/1999,1464.5,374050000\r\n",
            &["Open"],
        )
        .unwrap();
        assert_eq!(
            loaded.series.dates,
            vec![day(1999, 1, 4), day(1999, 12, 31)]
        );
        assert_eq!(loaded.series.column("Open").unwrap(), &[1229.2, 1464.5]);
    }

    fn day(year: i32, month: u32, day: u32) -> Timestamp {
        Timestamp::from_date(NaiveDate::from_ymd_opt(year, month, day).unwrap())
    }

    #[test]
    fn every_date_format_reads_the_same_days() {
        let expected = vec![day(2021, 1, 4), day(2021, 1, 13)];
        for text in [
            "Date,Open\n2021-01-04,1\n2021-01-13,2\n",
            "Date,Open\n2021-01-04 00:00:00,1\n2021-01-13 00:00:00,2\n",
            "Date,Open\n2021-01-04T00:00:00Z,1\n2021-01-13T00:00:00Z,2\n",
            "Date,Open\n2021-01-04T00:00+09:00,1\n2021-01-13T00:00+09:00,2\n",
            "Date,Open\n1/4/2021,1\n1/13/2021,2\n",
            "Date,Open\n04/01/2021,1\n13/01/2021,2\n",
            "Date,Open\n04.01.2021,1\n13.01.2021,2\n",
            "Date,Open\n4-Jan-2021,1\n13-Jan-2021,2\n",
            // as a market data site exports it: quoted, newest first
            "\"Date\",\"Open\"\n\"Jan 13, 2021\",\"2\"\n\"Jan 04, 2021\",\"1\"\n",
        ] {
            let loaded = load(text, &["Open"]).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(loaded.series.dates, expected, "{text}");
        }
        // a pattern given in the config
        let file = write_csv("Date,Open\n20210104,1\n20210113,2\n");
        let loaded = load_file(
            file.path(),
            &LoadOptions {
                date_format: Some("%Y%m%d".into()),
                ..options(&["Open"])
            },
        )
        .unwrap();
        assert_eq!(loaded.series.dates, expected);
    }

    #[test]
    fn a_wide_file_is_a_series_per_column_from_its_first_value_to_its_last() {
        // A starts a day late, B ends a day early (NA), C has a hole inside
        let text = "Date,A,B,C\n2024-01-01,,1,7\n2024-01-02,2,2,\n2024-01-03,3,NA,9\n";
        let file = write_csv(text);
        let wide = LoadOptions {
            layout: PanelLayout::Wide,
            ..options(&["sales"])
        };
        let error = load_file_panel(file.path(), &wide, "shop").unwrap_err();
        assert!(
            matches!(&error, DataError::MissingValue { row: 3, column, .. } if column == "C"),
            "{error}"
        );
        let filled = LoadOptions {
            missing: MissingPolicy::Interpolate,
            ..wide.clone()
        };
        let panel = load_file_panel(file.path(), &filled, "shop").unwrap();
        let names: Vec<&str> = panel.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C"]);
        let values = |index: usize| panel[index].1.series.column("sales").unwrap().to_vec();
        assert_eq!(values(0), [2.0, 3.0]);
        assert_eq!(values(1), [1.0, 2.0]);
        assert_eq!(values(2), [7.0, 8.0, 9.0]);
        assert_eq!(panel[0].1.series.dates[0].to_string(), "2024-01-02");
        assert_eq!(panel[2].1.cleaning.filled_rows, 1);
        assert!(panel[1].1.series.source_name.ends_with("(shop = B)"));
        // a column without any value is no series; a file of dates alone, or of empty
        // columns, has none
        let file = write_csv("Date,A,Empty\n2024-01-01,1,\n2024-01-02,2,\n");
        assert_eq!(
            load_file_panel(file.path(), &wide, "shop").unwrap().len(),
            1
        );
        for text in [
            "Date\n2024-01-01\n",
            "Date,A,B\n2024-01-01,,\n2024-01-02,NA,\n",
        ] {
            let file = write_csv(text);
            let error = load_file_panel(file.path(), &wide, "shop").unwrap_err();
            assert!(
                matches!(error, DataError::NoSeriesColumns { .. }),
                "{error}"
            );
        }
    }

    #[test]
    fn semicolons_tabs_and_decimal_commas_are_read() {
        let expected = [1.5, -2.25, 3.0];
        for text in [
            "Date;Open\n2024-01-01;1,5\n2024-01-02;-2,25\n2024-01-03;3\n",
            "Date;Open\n2024-01-01;1.5\n2024-01-02;-2.25\n2024-01-03;3\n",
            "Date\tOpen\n2024-01-01\t1.5\n2024-01-02\t-2.25\n2024-01-03\t3\n",
        ] {
            let loaded = load(text, &["Open"]).unwrap();
            assert_eq!(loaded.series.column("Open").unwrap(), &expected, "{text}");
        }
        // read as text (an NA cell), the decimal commas are numbers still
        let file = write_csv("Date;Open\n2024-01-01;1,5\n2024-01-02;NA\n2024-01-03;3\n");
        let options = LoadOptions {
            missing: MissingPolicy::Interpolate,
            ..options(&["Open"])
        };
        let loaded = load_file(file.path(), &options).unwrap();
        assert_eq!(loaded.series.column("Open").unwrap(), &[1.5, 2.25, 3.0]);
        // in a comma-separated file, a quoted "1,5" is no number (nor 15)
        let error = load("Date,Open\n2024-01-01,\"1,5\"\n", &["Open"]).unwrap_err();
        assert!(
            error.to_string().contains("'1,5' is not a finite number"),
            "{error}"
        );
    }

    #[test]
    fn a_row_with_more_fields_than_the_header_is_named() {
        let text = "Date,Open\n2024-01-01,1\n2024-01-02,\"2,0\"\n2024-01-03,3,4\n";
        let error = load(text, &["Open"]).unwrap_err();
        assert!(
            matches!(
                error,
                DataError::RaggedRow {
                    row: 4,
                    fields: 3,
                    columns: 2,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn period_cells_load_as_their_first_days() {
        let first_day = |y, m, d| Timestamp::from_date(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        for (cells, dates, frequency) in [
            (
                ["1871", "1872"],
                [(1871, 1, 1), (1872, 1, 1)],
                Frequency::Yearly,
            ),
            (
                ["1990Q4", "1991Q1"],
                [(1990, 10, 1), (1991, 1, 1)],
                Frequency::Quarterly,
            ),
            (
                ["1991-11", "1991-12"],
                [(1991, 11, 1), (1991, 12, 1)],
                Frequency::Monthly,
            ),
            // R's time() of a monthly and a quarterly ts
            (
                ["1949", "1949.08333333333"],
                [(1949, 1, 1), (1949, 2, 1)],
                Frequency::Monthly,
            ),
            (
                ["1959.75", "1960"],
                [(1959, 10, 1), (1960, 1, 1)],
                Frequency::Quarterly,
            ),
        ] {
            let file = write_csv(&format!("Date,Open\n{},1\n{},2\n", cells[0], cells[1]));
            let loaded = load_file(file.path(), &options(&["Open"])).unwrap();
            let expected: Vec<Timestamp> = dates.map(|(y, m, d)| first_day(y, m, d)).to_vec();
            assert_eq!(loaded.series.dates, expected, "{cells:?}");
            assert_eq!(
                Frequency::infer(&loaded.series.dates),
                frequency,
                "{cells:?}"
            );
        }
    }

    #[test]
    fn a_preamble_above_the_header_is_skipped_and_rows_keep_their_line_numbers() {
        // Google Trends writes a category line and a blank line above its header
        let trends = "Category: All categories\n\nWeek,rust: (Worldwide)\n2021-12-05,50\n\
                      2021-12-12,61\n";
        let options = |column: &str| LoadOptions {
            date_column: "Week".into(),
            ..options(&[column])
        };
        let file = write_csv(trends);
        let loaded = load_file(file.path(), &options("rust: (Worldwide)")).unwrap();
        assert_eq!(
            loaded.series.column("rust: (Worldwide)").unwrap(),
            &[50.0, 61.0]
        );
        assert_eq!(loaded.cleaning.preamble_lines, 2);
        assert!(
            (loaded.cleaning_notes()).contains(&crate::CleaningNote::SkippedPreamble(2)),
            "{:?}",
            loaded.cleaning_notes()
        );
        // a cell's row is its line in the file
        let file = write_csv(&trends.replace(",61", ",<1"));
        let error = load_file(file.path(), &options("rust: (Worldwide)")).unwrap_err();
        assert!(
            matches!(error, DataError::NotANumber { row: 5, .. }),
            "{error}"
        );
        // the separator is the header's, not the preamble's; a header named in another case
        let eurostat = "Source: Eurostat, 2024\ntime;Value\n2020-01-01;1,5\n2020-01-02;2,5\n";
        let file = write_csv(eurostat);
        let by_time = LoadOptions {
            date_column: "TIME".into(),
            ..options("Value")
        };
        let loaded = load_file(file.path(), &by_time).unwrap();
        assert_eq!(loaded.series.column("Value").unwrap(), &[1.5, 2.5]);
        assert_eq!(loaded.cleaning.preamble_lines, 1);
        // no line names the date column, and the first has fewer fields than the next: no
        // header; with as many fields, the first line is the header whose names the error lists
        let file = write_csv("Category: All categories\nDay,rust\n2021-12-05,50\n");
        let error = load_file(file.path(), &options("rust")).unwrap_err();
        assert!(
            matches!(&error, DataError::NoHeader { first_line: 1, .. }),
            "{error}"
        );
        assert!(
            error.to_string().contains("'Category: All categories'"),
            "{error}"
        );
        let file = write_csv("Day,rust\n2021-12-05,50\n");
        let error = load_file(file.path(), &options("rust")).unwrap_err();
        assert!(
            matches!(&error, DataError::MissingColumn { available, .. } if available == &["Day", "rust"]),
            "{error}"
        );
        // a clean file reads no preamble
        let file = write_csv("\nWeek,rust\n2021-12-05,50\n");
        let loaded = load_file(file.path(), &options("rust")).unwrap();
        assert_eq!(loaded.cleaning.preamble_lines, 0);
    }

    #[test]
    fn a_file_that_is_not_utf8_names_its_line_and_byte() {
        // Windows-1252's 'ä' (0xE4) in the header, then in a data cell
        for (bytes, line) in [
            (&b"Date;Ums\xe4tze\n2021-01-01;1,5\n"[..], 1),
            (&b"Date;Open\n2021-01-01;1,5\n2021-01-02;2,5 \xe4\n"[..], 3),
        ] {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            Write::write_all(&mut file, bytes).unwrap();
            let error = load_file(file.path(), &options(&["Open"])).unwrap_err();
            assert!(
                matches!(error, DataError::NotUtf8 { line: l, byte: 0xE4, .. } if l == line),
                "{error}"
            );
            assert!(error.to_string().contains("save it as UTF-8"), "{error}");
        }
    }

    #[test]
    fn compact_dates_and_unix_times_load_in_utc() {
        let day = |y, m, d| Timestamp::from_date(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        let at = |y, m, d, hour| {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            Timestamp::from_datetime(date.and_hms_opt(hour, 0, 0).unwrap())
        };
        // a file whose times are all midnight is a series of dates
        for (cells, dates, frequency) in [
            (
                ["20211231", "20220101"],
                [day(2021, 12, 31), day(2022, 1, 1)],
                Frequency::Daily,
            ),
            (
                ["1577836800", "1577840400"],
                [at(2020, 1, 1, 0), at(2020, 1, 1, 1)],
                Frequency::Minutes(60),
            ),
            (
                ["1578096000000", "1578182400000"],
                [day(2020, 1, 4), day(2020, 1, 5)],
                Frequency::Daily,
            ),
        ] {
            let file = write_csv(&format!("ts,Open\n{},1\n{},2\n", cells[0], cells[1]));
            let options = LoadOptions {
                date_column: "ts".into(),
                ..options(&["Open"])
            };
            let loaded = load_file(file.path(), &options).unwrap();
            assert_eq!(loaded.series.dates, dates.to_vec(), "{cells:?}");
            assert_eq!(
                Frequency::infer(&loaded.series.dates),
                frequency,
                "{cells:?}"
            );
        }
    }

    #[test]
    fn each_missing_policy_handles_empty_cells_and_missing_dates() {
        // business days; Wednesday 2024-01-10 is missing and Friday's Open is empty
        let text = "Date,Open,Close\n2024-01-08,10,11\n2024-01-09,12,13\n2024-01-11,16,17\n\
                    2024-01-12,,19\n2024-01-15,20,21\n";
        let with = |missing| {
            let file = write_csv(text);
            load_file(
                file.path(),
                &LoadOptions {
                    missing,
                    optional_columns: vec!["Close".into()],
                    ..options(&["Open"])
                },
            )
        };
        let error = with(MissingPolicy::Error).unwrap_err().to_string();
        assert!(error.contains("row 5") && error.contains("'Open'") && error.contains("empty"));
        let dropped = with(MissingPolicy::Drop).unwrap();
        assert_eq!(
            dropped.series.column("Open").unwrap(),
            &[10.0, 12.0, 16.0, 20.0]
        );
        assert_eq!(
            (dropped.cleaning.dropped_rows, dropped.cleaning.filled_rows),
            (1, 0)
        );

        let filled = with(MissingPolicy::Ffill).unwrap();
        assert_eq!(
            filled.series.dates.len(),
            6,
            "a row for the missing Wednesday"
        );
        assert_eq!(filled.series.dates[2], day(2024, 1, 10));
        assert_eq!(
            filled.series.column("Open").unwrap(),
            &[10.0, 12.0, 12.0, 16.0, 16.0, 20.0]
        );
        assert_eq!(
            filled.series.column("Close").unwrap(),
            &[11.0, 13.0, 13.0, 17.0, 19.0, 21.0],
            "the optional column is filled too"
        );
        assert_eq!(filled.kept_rows[2], usize::MAX);
        // the inserted Wednesday and Friday's empty Open; Close is optional, not counted
        assert_eq!(
            (filled.cleaning.dropped_rows, filled.cleaning.filled_rows),
            (0, 2)
        );

        let interpolated = with(MissingPolicy::Interpolate).unwrap();
        // Wednesday halfway between Tuesday and Thursday; Friday 3 days before Monday's 20
        let open = interpolated.series.column("Open").unwrap();
        assert_eq!(open[2], 14.0);
        assert!(
            (open[4] - (16.0 + 4.0 * 1.0 / 4.0)).abs() < 1e-12,
            "{open:?}"
        );
        // NA tokens count as holes when filling
        let file = write_csv("Date,Open\n2024-01-08,NA\n2024-01-09,1\n2024-01-10,NaN\n");
        let loaded = load_file(
            file.path(),
            &LoadOptions {
                missing: MissingPolicy::Ffill,
                ..options(&["Open"])
            },
        )
        .unwrap();
        assert_eq!(loaded.series.column("Open").unwrap(), &[1.0, 1.0]);
        assert_eq!(
            (loaded.cleaning.dropped_rows, loaded.cleaning.filled_rows),
            (1, 1),
            "NA before any value"
        );
        assert_eq!(
            loaded.cleaning.dropped_rows, 1,
            "nothing before the first row to fill it from"
        );
    }

    /// A Parquet file of `dates` (as a Date, or a midnight Datetime column) and two typed
    /// columns, `Open` (f64) and `Volume` (i64).
    fn write_parquet(dates: &[Timestamp], open: &[f64], as_datetime: bool) -> tempfile::TempPath {
        use polars::prelude::{Column, IntoColumn, NamedFrom, ParquetWriter, Series, TimeUnit};
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let days: Vec<i32> = dates
            .iter()
            .map(|d| (d.date() - epoch).num_days() as i32)
            .collect();
        let date_column = match as_datetime {
            false => Series::new("Date".into(), days)
                .cast(&DataType::Date)
                .unwrap(),
            true => {
                let millis: Vec<i64> = days.iter().map(|d| i64::from(*d) * 86_400_000).collect();
                Series::new("Date".into(), millis)
                    .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                    .unwrap()
            }
        };
        let volume: Vec<i64> = (0..open.len() as i64).map(|i| 1000 + i).collect();
        let columns: Vec<Column> = vec![
            date_column.into_column(),
            Series::new("Open".into(), open.to_vec()).into_column(),
            Series::new("Volume".into(), volume).into_column(),
        ];
        let mut frame = DataFrame::new(open.len(), columns).unwrap();
        let path = tempfile::Builder::new()
            .suffix(".parquet")
            .tempfile()
            .unwrap()
            .into_temp_path();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        path
    }

    /// A Parquet file of `tests/fixtures` (`make_zoned_parquet.py` wrote them with pandas).
    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
    }

    #[test]
    fn parquet_instants_of_a_zone_are_read_as_its_local_times_or_in_utc_across_a_change() {
        // Berlin, 2023-10-29 00:00 to 03:00 local: 02:00 comes twice, so UTC (22:00 to 02:00)
        let loaded = load_file(&fixture("berlin_hours.parquet"), &options(&["Open"])).unwrap();
        let stamps: Vec<String> = loaded.series.dates.iter().map(|d| d.to_string()).collect();
        assert!(loaded.cleaning.read_in_utc, "{stamps:?}");
        assert_eq!(stamps[0], "2023-10-28 22:00:00");
        assert_eq!(stamps[4], "2023-10-29 02:00:00");
        assert_eq!(
            Frequency::infer(&loaded.series.dates),
            Frequency::Minutes(60)
        );
        // Tokyo keeps one offset: its local times (07:00, 08:00)
        let loaded = load_file(&fixture("tokyo_hours.parquet"), &options(&["Open"])).unwrap();
        assert!(!loaded.cleaning.read_in_utc);
        assert_eq!(loaded.series.dates[0].to_string(), "2023-10-29 07:00:00");
    }

    #[test]
    fn parquet_and_csv_give_the_same_series() {
        let dates = [day(2021, 1, 4), day(2021, 1, 5), day(2021, 1, 7)];
        // values that need every digit to come back the same
        let open = [0.1 + 0.2, 27_444.170_000_000_002, 1e-300];
        let csv_text: String = std::iter::once("Date,Open,Volume\n".to_string())
            .chain(
                dates
                    .iter()
                    .zip(open)
                    .enumerate()
                    .map(|(i, (d, o))| format!("{d},{o},{}\n", 1000 + i)),
            )
            .collect();
        let from_csv = load(&csv_text, &["Open", "Volume"]).unwrap();
        for as_datetime in [false, true] {
            let path = write_parquet(&dates, &open, as_datetime);
            let from_parquet = load_file(&path, &options(&["Open", "Volume"])).unwrap();
            assert_eq!(from_parquet.series.dates, from_csv.series.dates);
            assert_eq!(from_parquet.series.columns, from_csv.series.columns);
            assert_eq!(from_parquet.series.column("Open").unwrap(), &open);
        }
        // errors name the file and the column as for CSV
        let path = write_parquet(&dates, &open, false);
        let error = load_file(&path, &options(&["Close"]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(".parquet") && error.contains("'Close'"),
            "{error}"
        );
        let not_parquet = tempfile::Builder::new()
            .suffix(".parquet")
            .tempfile()
            .unwrap();
        std::fs::write(not_parquet.path(), b"Date,Open\n2021-01-04,1\n").unwrap();
        let error = load_file(not_parquet.path(), &options(&["Open"]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("is not a readable Parquet file"), "{error}");
    }

    #[test]
    fn the_date_column_is_found_in_any_case() {
        let loaded = load("date,Open\n2021-01-04,1\n", &["Open"]).unwrap();
        assert_eq!(loaded.series.dates, vec![day(2021, 1, 4)]);
        let error = load("When,Open\n2021-01-04,1\n", &["Open"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("'Date'") && error.contains("When"),
            "{error}"
        );
    }

    #[test]
    fn a_long_file_becomes_one_series_per_name() {
        let text = "Date,ticker,Open,Notes\n\
                    2024-01-02,B,20,x\n2024-01-01,A,1,\n2024-01-01,B,10,y\n\
                    2024-01-02,A,2,\n\n2024-01-03,A,3,z\n";
        let file = write_csv(text);
        let panel = load_file_panel(file.path(), &options(&["Open"]), "ticker").unwrap();
        let names: Vec<&str> = panel.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["B", "A"]);
        let (_, b) = &panel[0];
        assert_eq!(b.series.column("Open").unwrap(), &[10.0, 20.0]);
        assert_eq!(b.series.dates, vec![day(2024, 1, 1), day(2024, 1, 2)]);
        assert_eq!(b.kept_rows, vec![2, 0]);
        assert!(b.cleaning.was_unsorted);
        let (_, a) = &panel[1];
        assert_eq!(a.series.column("Open").unwrap(), &[1.0, 2.0, 3.0]);
        assert!(
            a.series.source_name.contains("ticker = A"),
            "{}",
            a.series.source_name
        );
        // a date twice in one series is an error; the same date in two series is not
        let file = write_csv("Date,ticker,Open\n2024-01-01,A,1\n2024-01-01,A,2\n");
        let error = load_file_panel(file.path(), &options(&["Open"]), "ticker").unwrap_err();
        assert!(matches!(
            error,
            DataError::DuplicateDateInSeries {
                first_row: 2,
                second_row: 3,
                ..
            }
        ));
        let message = error.to_string();
        assert!(
            message.contains("(ticker = A): rows 2 and 3")
                && message.contains("series_column = [\"ticker\", \"…\"]"),
            "{message}"
        );
        let file = write_csv("Date,ticker,Open\n2024-01-01,A,1\n2024-01-02,,2\n");
        let error = load_file_panel(file.path(), &options(&["Open"]), "ticker")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("row 3")
                && error.contains("'ticker'")
                && error.contains("name of the row's series"),
            "{error}"
        );
        let error = load_file_panel(file.path(), &options(&["Open"]), "symbol")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("'symbol'") && error.contains("ticker"),
            "{error}"
        );
    }

    #[test]
    fn a_wide_files_column_of_row_numbers_is_no_series() {
        // R's write.csv numbers the rows from 1 ("rownames"), pandas' to_csv from 0 (no name)
        for (header, first) in [("rownames", 1), ("", 0)] {
            let mut text = format!("{header},Date,AAPL,MSFT\n");
            for day in 0..5 {
                text += &format!("{},2024-01-0{},{},{}\n", first + day, day + 1, 10 + day, 20);
            }
            let file = write_csv(&text);
            let wide = LoadOptions {
                layout: PanelLayout::Wide,
                ..options(&["price"])
            };
            let panel = load_file_panel(file.path(), &wide, "ticker").unwrap();
            let names: Vec<&str> = panel.iter().map(|(name, _)| name.as_str()).collect();
            assert_eq!(names, ["AAPL", "MSFT"], "{header:?}");
            let notes = panel[0].1.cleaning_notes();
            let note = format!("column '{header}' holds the row numbers");
            assert!(
                notes.iter().any(|n| n.to_string().starts_with(&note)),
                "{notes:?}"
            );
        }
        // a series that only counts up from 5, or by 2, is a series
        let file = write_csv("Date,A,B\n2024-01-01,5,0\n2024-01-02,6,2\n2024-01-03,7,4\n");
        let wide = LoadOptions {
            layout: PanelLayout::Wide,
            ..options(&["price"])
        };
        assert_eq!(
            load_file_panel(file.path(), &wide, "ticker").unwrap().len(),
            2
        );
    }

    #[test]
    fn a_series_named_by_two_columns_is_one_series_per_pair() {
        // tsibble's keys: deaths by sex and age, each pair one series
        let text = "Week,Sex,Age,Deaths\n\
                    2024-01-01,F,0-14,1\n2024-01-01,M,0-14,2\n2024-01-01,F,15+,3\n\
                    2024-01-08,F,0-14,4\n2024-01-08,M,0-14,5\n2024-01-08,F,15+,6\n";
        let file = write_csv(text);
        let options = LoadOptions {
            date_column: "Week".into(),
            ..options(&["Deaths"])
        };
        let panel = load_file_panel(file.path(), &options, "Sex, Age").unwrap();
        let names: Vec<&str> = panel.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["F / 0-14", "M / 0-14", "F / 15+"]);
        assert_eq!(panel[2].1.series.column("Deaths").unwrap(), &[3.0, 6.0]);
        assert!(
            panel[0]
                .1
                .series
                .source_name
                .ends_with("(Sex, Age = F / 0-14)"),
            "{}",
            panel[0].1.series.source_name
        );
        // one of them alone leaves two rows a date in a series
        let error = load_file_panel(file.path(), &options, "Age").unwrap_err();
        assert!(
            matches!(error, DataError::DuplicateDateInSeries { .. }),
            "{error}"
        );
        // a key column the file lacks is named, and so is a row without a part of its name
        let error = load_file_panel(file.path(), &options, "Sex, Region")
            .unwrap_err()
            .to_string();
        assert!(error.contains("'Region'"), "{error}");
        let file = write_csv("Week,Sex,Age,Deaths\n2024-01-01,F,0-14,1\n2024-01-08,,0-14,2\n");
        let error = load_file_panel(file.path(), &options, "Sex, Age")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("row 3") && error.contains("'Sex, Age'"),
            "{error}"
        );
    }

    #[test]
    fn used_number_columns_are_read_as_numbers_and_bad_cells_still_named() {
        let file = write_csv("Date,Open,Junk\n2024-01-01,1.5,abc\n2024-01-02,2.5,def\n");
        let table = Table::read(file.path(), &options(&["Open"]), None).unwrap();
        assert!(matches!(table.columns[0].1, Cells::Numbers(_)));
        let error = load("Date,Open\n2024-01-01,1.5\n2024-01-02,n.a.\n", &["Open"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("row 3") && error.contains("n.a."), "{error}");
    }

    #[test]
    fn iso_dates_are_read_as_dates_and_a_later_time_of_day_is_still_seen() {
        let file = write_csv("Date,Open\n2024-01-01,1\n2024-03-01,2\n");
        let table = Table::read(file.path(), &options(&["Open"]), None).unwrap();
        assert!(matches!(table.dates, Cells::Dates(_)));
        assert_eq!(table.parse_date(1).unwrap().date(), day(2024, 3, 1).date());
        // a time of day further down makes the whole series intraday
        let loaded = load(
            "Date,Open\n2024-01-01,1\n2024-01-02 09:30:00,2\n",
            &["Open"],
        )
        .unwrap();
        let stamps: Vec<String> = loaded.series.dates.iter().map(|d| d.to_string()).collect();
        assert_eq!(stamps, ["2024-01-01 00:00:00", "2024-01-02 09:30:00"]);
        for (text, needle) in [
            ("Date,Open\n2024-01-01,1\n2024-13-02,2\n", "'2024-13-02'"),
            ("Date,Open\n2024-01-01,1\n1/3/2024,2\n", "'1/3/2024'"),
        ] {
            let error = load(text, &["Open"]).unwrap_err().to_string();
            assert!(
                error.contains("row 3") && error.contains(needle),
                "{text}: {error}"
            );
        }
    }

    #[test]
    fn hourly_holes_are_filled_inside_a_day_but_nights_are_left_alone() {
        // 9:00 to 12:00 on two days; 10:00 of the first day is absent and 11:00 is empty
        let text = "Date,Open\n2024-01-08 09:00,1\n2024-01-08 11:00,\n2024-01-08 12:00,4\n\
                    2024-01-09 09:00,5\n2024-01-09 10:00,6\n2024-01-09 11:00,7\n2024-01-09 12:00,8\n";
        let file = write_csv(text);
        for (missing, expected) in [
            (MissingPolicy::Ffill, [1.0, 1.0, 1.0, 4.0]),
            (MissingPolicy::Interpolate, [1.0, 2.0, 3.0, 4.0]),
        ] {
            let loaded = load_file(
                file.path(),
                &LoadOptions {
                    missing,
                    ..options(&["Open"])
                },
            )
            .unwrap();
            let values = loaded.series.column("Open").unwrap();
            assert_eq!(values.len(), 8, "{missing:?}: {:?}", loaded.series.dates);
            assert_eq!(values[..4], expected, "{missing:?}");
            assert_eq!(loaded.series.dates[1].to_string(), "2024-01-08 10:00:00");
            assert_eq!(loaded.kept_rows[1], usize::MAX);
        }
        let dropped = load_file(
            file.path(),
            &LoadOptions {
                missing: MissingPolicy::Drop,
                ..options(&["Open"])
            },
        )
        .unwrap();
        assert_eq!(dropped.series.len(), 6);
        let error = load(text, &["Open"]).unwrap_err().to_string();
        assert!(error.contains("row 3"), "{error}");
    }

    #[test]
    fn a_daily_break_is_not_filled_but_a_missing_row_is() {
        // 09:00 to 11:00 and 13:00 to 14:00 on three days; the second day lacks 10:00
        let mut text = String::from("Date,Open\n");
        for day in 8..=10 {
            for hour in [9, 10, 11, 13, 14] {
                if (day, hour) != (9, 10) {
                    text += &format!("2024-01-{day:02} {hour:02}:00,{hour}\n");
                }
            }
        }
        let file = write_csv(&text);
        let options = LoadOptions {
            missing: MissingPolicy::Ffill,
            ..options(&["Open"])
        };
        let loaded = load_file(file.path(), &options).unwrap();
        let dates: Vec<String> = (loaded.series.dates.iter())
            .map(|date| date.to_string())
            .collect();
        assert_eq!(dates.len(), 15, "{dates:?}");
        assert_eq!(dates[6], "2024-01-09 10:00:00");
        assert!(
            !dates.iter().any(|date| date.ends_with("12:00:00")),
            "{dates:?}"
        );
    }

    #[test]
    fn blank_lines_are_skipped() {
        let loaded = load("Date,Open\n2021-01-04,1\n\n2021-01-05,2\n\n\n\n", &["Open"]).unwrap();
        assert_eq!(loaded.series.column("Open").unwrap(), &[1.0, 2.0]);
        let loaded = load("Date,Open\r\n2021-01-04,1\r\n\r\n,\r\n", &["Open"]).unwrap();
        assert_eq!(loaded.series.len(), 1);
    }

    #[test]
    fn times_of_day_make_an_intraday_series_and_unknown_formats_are_named() {
        for text in [
            "Date,Open\n2021-01-04 09:30:00,1\n2021-01-04 10:30,2\n",
            "Date,Open\n2021-01-04T09:30:00Z,1\n2021-01-04T10:30:00Z,2\n",
            "Date,Open\n1/4/2021 09:30,1\n1/4/2021 10:30,2\n",
        ] {
            let loaded = load(text, &["Open"]).unwrap_or_else(|e| panic!("{text}: {e}"));
            let stamps: Vec<String> = loaded.series.dates.iter().map(|d| d.to_string()).collect();
            assert_eq!(
                stamps,
                ["2021-01-04 09:30:00", "2021-01-04 10:30:00"],
                "{text}"
            );
            assert_eq!(
                Frequency::infer(&loaded.series.dates),
                Frequency::Minutes(60)
            );
        }
        let error = load("Date,Open\n2021-01-04,1\n4 Jan 2021,2\n", &["Open"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("row 3")
                && error.contains("expected YYYY-MM-DD")
                && error.contains("date_format"),
            "{error}"
        );
    }

    #[test]
    fn an_intraday_file_across_a_daylight_saving_change_is_read_in_utc() {
        // Berlin's autumn change: 02:00 comes twice, at +02:00 and then at +01:00
        let text = "Date,Open\n2023-10-29T01:00:00+02:00,1\n2023-10-29T02:00:00+02:00,2\n\
                    2023-10-29T02:00:00+01:00,3\n2023-10-29T03:00:00+01:00,4\n";
        let loaded = load(text, &["Open"]).unwrap();
        assert!(loaded.cleaning.read_in_utc);
        let stamps: Vec<String> = loaded.series.dates.iter().map(|d| d.to_string()).collect();
        let hours = ["23:00:00", "00:00:00", "01:00:00", "02:00:00"];
        let days = ["2023-10-28", "2023-10-29", "2023-10-29", "2023-10-29"];
        let expected: Vec<String> = days
            .iter()
            .zip(hours)
            .map(|(d, h)| format!("{d} {h}"))
            .collect();
        assert_eq!(stamps, expected);
        assert_eq!(loaded.series.column("Open").unwrap(), &[1.0, 2.0, 3.0, 4.0]);
        assert!(
            loaded
                .cleaning_notes()
                .contains(&crate::CleaningNote::ReadInUtc)
        );
        // one offset throughout: the local times stay
        let one = "Date,Open\n2021-01-04T09:30:00+09:00,1\n2021-01-04T10:30:00+09:00,2\n";
        let loaded = load(one, &["Open"]).unwrap();
        assert!(!loaded.cleaning.read_in_utc);
        assert_eq!(loaded.series.dates[0].to_string(), "2021-01-04 09:30:00");
        // dates at local midnight across the spring change stay dates
        let days = "Date,Open\n2023-03-25T00:00:00+01:00,1\n2023-03-26T00:00:00+01:00,2\n\
                    2023-03-27T00:00:00+02:00,3\n";
        let loaded = load(days, &["Open"]).unwrap();
        assert!(!loaded.cleaning.read_in_utc);
        assert_eq!(loaded.series.dates[2], day(2023, 3, 27));
    }

    #[test]
    fn numbers_with_thousands_separators_are_read_and_other_commas_are_not() {
        assert_eq!(with_thousands("1,000.00"), Some(1000.0));
        assert_eq!(with_thousands("-12,345,678"), Some(-12_345_678.0));
        assert_eq!(with_thousands("+1,234.5"), Some(1234.5));
        for text in [
            "1,00", "1234,567", ",123", "1,234.", "1,234.5x", "12", "1.234,5", "a,123",
        ] {
            assert_eq!(with_thousands(text), None, "{text}");
        }
        let text = "Date,Sales\n2021-01-04,\"1,000.50\"\n2021-01-05,\"12,345\"\n";
        let loaded = load(text, &["Sales"]).unwrap();
        assert_eq!(loaded.series.column("Sales").unwrap(), &[1000.5, 12_345.0]);
        // a semicolon file's decimal commas with dots between the thousands
        let text = "Date;Sales\n2021-01-04;1.234,5\n2021-01-05;-12.345.678,25\n2021-01-06;7,5\n";
        let loaded = load(text, &["Sales"]).unwrap();
        assert_eq!(
            loaded.series.column("Sales").unwrap(),
            &[1234.5, -12_345_678.25, 7.5]
        );
        assert_eq!(with_decimal_point("1.23,4"), "1.23,4");
    }

    #[test]
    fn sorts_rows_by_date_and_says_so() {
        let loaded = load("Date,Open\n2021-01-05,2\n2021-01-04,1\n", &["Open"]).unwrap();
        assert!(loaded.cleaning.was_unsorted);
        assert_eq!(loaded.series.column("Open").unwrap(), &[1.0, 2.0]);
    }

    #[test]
    fn missing_cell_names_row_and_column() {
        let error = load("Date,Open\n2021-01-04,1\n2021-01-05,\n", &["Open"]).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, DataError::MissingValue { row: 3, .. }),
            "{message}"
        );
        assert!(
            message.contains("row 3") && message.contains("'Open'"),
            "{message}"
        );
    }

    #[test]
    fn non_numeric_cell_names_row_column_and_value() {
        let error = load("Date,Open\n2021-01-04,1\n2021-01-05,abc\n", &["Open"]).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, DataError::NotANumber { row: 3, .. }),
            "{message}"
        );
        assert!(message.contains("'abc'"), "{message}");
    }

    #[test]
    fn non_finite_cells_are_not_numbers() {
        for cell in ["NaN", "inf", "-inf"] {
            let error = load(&format!("Date,Open\n2021-01-04,{cell}\n"), &["Open"]).unwrap_err();
            assert!(
                matches!(error, DataError::NotANumber { row: 2, .. }),
                "{cell}: {error}"
            );
            // a token that marks a missing value may be filled too; infinity may not
            let fill = error.to_string().contains("\"interpolate\" to fill them");
            assert_eq!(fill, cell == "NaN", "{cell}: {error}");
        }
    }

    #[test]
    fn drop_missing_drops_and_counts_bad_rows() {
        let file = write_csv("Date,Open\n2021-01-04,1\n2021-01-05,\n2021-01-06,x\n2021-01-07,4\n");
        let mut options = options(&["Open"]);
        options.missing = MissingPolicy::Drop;
        let loaded = load_file(file.path(), &options).unwrap();
        assert_eq!(loaded.cleaning.dropped_rows, 2);
        assert_eq!(loaded.series.column("Open").unwrap(), &[1.0, 4.0]);
    }

    #[test]
    fn optional_columns_are_read_when_clean_and_skipped_otherwise() {
        let file = write_csv("Date,Open,Close,Note\n2021-01-05,2,2.5,x\n2021-01-04,1,1.5,\n");
        let mut options = options(&["Open"]);
        options.optional_columns = vec!["Close".into(), "Note".into(), "Absent".into()];
        let loaded = load_file(file.path(), &options).unwrap();
        assert_eq!(loaded.series.column("Close").unwrap(), &[1.5, 2.5]);
        assert!(loaded.series.column("Note").is_none());
        assert!(loaded.series.column("Absent").is_none());
    }

    #[test]
    fn unused_columns_may_hold_anything() {
        let loaded = load(
            "Date,Open,Note\n2021-01-04,1,\n2021-01-05,2,n/a\n",
            &["Open"],
        )
        .unwrap();
        assert_eq!(loaded.series.len(), 2);
    }

    #[test]
    fn duplicate_dates_name_both_rows() {
        let error = load(
            "Date,Open\n2021-01-04,1\n2021-01-05,2\n2021-01-04,3\n",
            &["Open"],
        )
        .unwrap_err();
        assert!(
            matches!(
                error,
                DataError::DuplicateDate {
                    first_row: 2,
                    second_row: 4,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn a_row_number_is_said_to_be_no_date() {
        let options = LoadOptions {
            date_column: "t".into(),
            ..options(&["Open"])
        };
        let file = write_csv("t,Open\n1,1\n2,2\n");
        let message = load_file(file.path(), &options).unwrap_err().to_string();
        assert!(message.contains("'1' is not a date"), "{message}");
        assert!(
            message.contains("(a row number, say) is no date"),
            "{message}"
        );
        // a cell that is no number gets no such words
        let file = write_csv("t,Open\nmonday,1\n");
        let message = load_file(file.path(), &options).unwrap_err().to_string();
        assert!(!message.contains("row number"), "{message}");
    }

    #[test]
    fn a_ts_time_in_cycles_is_read_as_steps_without_a_date_format() {
        // R's write.csv of a daily ts of frequency 7, as fpp2's hyndsight
        let file = write_csv(
            "\"rownames\",\"time\",\"value\"\n1,1.42857142857143,1157\n2,1.57142857142857,1118\n\
             3,1.71428571428571,1040\n4,1.85714285714286,980\n5,2,1100\n",
        );
        let loaded = load_file(
            file.path(),
            &LoadOptions {
                date_column: "time".into(),
                ..options(&["value"])
            },
        )
        .unwrap();
        let steps: Vec<Timestamp> = (0..5).filter_map(Timestamp::from_step).collect();
        assert_eq!(loaded.series.dates, steps);
        assert_eq!(
            loaded.series.column("value").unwrap(),
            &[1157.0, 1118.0, 1040.0, 980.0, 1100.0]
        );
    }

    #[test]
    fn a_column_of_time_steps_is_read_as_steps() {
        let options = LoadOptions {
            date_column: "t".into(),
            date_format: Some("step".into()),
            ..options(&["Open"])
        };
        let steps = |numbers: &[i64]| -> Vec<Timestamp> {
            (numbers.iter())
                .map(|step| Timestamp::from_step(*step).unwrap())
                .collect()
        };
        // out of order, every 10 steps, one missing (30), one written as a float
        let file = write_csv(
            "t,Open
10,1
0,0
20.0,2
40,4
",
        );
        let loaded = load_file(file.path(), &options).unwrap();
        assert_eq!(loaded.series.dates, steps(&[0, 10, 20, 40]));
        assert_eq!(loaded.series.column("Open").unwrap(), &[0.0, 1.0, 2.0, 4.0]);
        assert!(loaded.cleaning.was_unsorted);
        assert_eq!(Frequency::infer(&loaded.series.dates), Frequency::Steps(10));
        // filled: the missing step 30 gets a row, interpolated
        let filled = LoadOptions {
            missing: MissingPolicy::Interpolate,
            ..options.clone()
        };
        let loaded = load_file(file.path(), &filled).unwrap();
        assert_eq!(loaded.series.dates, steps(&[0, 10, 20, 30, 40]));
        assert_eq!(loaded.series.column("Open").unwrap()[3], 3.0);
        // a cell that is no whole number, and a duplicate step, name their rows
        let file = write_csv(
            "t,Open
1,1
1.5,2
",
        );
        let message = load_file(file.path(), &options).unwrap_err().to_string();
        assert!(
            message.contains("row 3, column 't': '1.5' is not a time step; expected a whole"),
            "{message}"
        );
        let file = write_csv(
            "t,Open
1,1
2,2
1,3
",
        );
        let error = load_file(file.path(), &options).unwrap_err();
        assert!(matches!(
            error,
            DataError::DuplicateDate {
                first_row: 2,
                second_row: 4,
                ..
            }
        ));
        // a typo that jumps far beyond the usual gap is refused, not filled with rows
        let mut text = String::from("t,Open\n");
        for step in 1..=20 {
            let step = if step == 20 { 2_000_000 } else { step };
            text += &format!("{step},1\n");
        }
        let file = write_csv(&text);
        let message = load_file(file.path(), &filled).unwrap_err().to_string();
        assert!(
            message.contains("jump from 19 (row 20) to 2000000 (row 21)"),
            "{message}"
        );
    }

    #[test]
    fn time_steps_without_a_column_of_their_own_number_the_rows() {
        let plain = options(&["Open"]);
        let options = LoadOptions {
            date_format: Some("step".into()),
            ..plain.clone()
        };
        let steps = |count: i64| -> Vec<Timestamp> {
            (1..=count).filter_map(Timestamp::from_step).collect()
        };
        let file = write_csv("Open\n5\n6\n7\n");
        let loaded = load_file(file.path(), &options).unwrap();
        assert_eq!(loaded.series.dates, steps(3));
        assert_eq!(loaded.series.column("Open").unwrap(), &[5.0, 6.0, 7.0]);
        assert!(loaded.cleaning.numbered_rows);
        // a long panel's rows are numbered within each series
        let file = write_csv("shop,Open\na,1\nb,10\na,2\nb,20\na,3\n");
        let panel = load_file_panel(file.path(), &options, "shop").unwrap();
        let dates: Vec<Vec<Timestamp>> = (panel.iter())
            .map(|(_, loaded)| loaded.series.dates.clone())
            .collect();
        assert_eq!(dates, [steps(3), steps(2)]);
        // a file with its date column keeps it; without "step", a missing one is an error
        let stepped = write_csv("Date,Open\n7,1\n");
        let loaded = load_file(stepped.path(), &options).unwrap();
        assert_eq!(loaded.series.dates, [Timestamp::from_step(7).unwrap()]);
        assert!(!loaded.cleaning.numbered_rows);
        assert!(matches!(
            load_file(file.path(), &plain),
            Err(DataError::MissingColumn { .. })
        ));
    }

    #[test]
    fn unparsable_date_names_row() {
        let error = load("Date,Open\n2021-01-04,1\n04.01.2021,2\n", &["Open"]).unwrap_err();
        assert!(
            matches!(error, DataError::BadDate { row: 3, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("'04.01.2021'"));
    }

    #[test]
    fn absent_column_lists_the_columns_there_are() {
        let error = load("Date,Open,High\n2021-01-04,1,2\n", &["Close"]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("no column 'Close'"), "{message}");
        assert!(message.contains("Date, Open, High"), "{message}");
    }

    #[test]
    fn empty_file_and_header_only_are_errors() {
        assert!(matches!(
            load("", &["Open"]),
            Err(DataError::EmptyFile { .. })
        ));
        assert!(matches!(
            load("\n\n", &["Open"]),
            Err(DataError::EmptyFile { .. })
        ));
        assert!(matches!(
            load("Date,Open\n", &["Open"]),
            Err(DataError::NoRows { .. })
        ));
    }

    #[test]
    fn missing_file_is_a_read_error_naming_it() {
        let error = load_file(Path::new("/no/such/file.csv"), &options(&["Open"])).unwrap_err();
        assert!(error.to_string().contains("/no/such/file.csv"));
    }

    /// Both shipped files load unchanged (the Nikkei file only where `../shared` exists).
    #[test]
    fn shipped_files_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let sp500 = load_file(
            &root.join("data/sp500.csv"),
            &options(&["Open", "High", "Low", "Close"]),
        )
        .unwrap();
        assert_eq!(sp500.series.len(), 5031);
        assert_eq!(sp500.series.dates[0], day(1999, 1, 4));
        let nikkei = root.join("../shared/data/nikkei_225.csv");
        if !nikkei.exists() {
            eprintln!("skipped the Nikkei half: {} is absent", nikkei.display());
            return;
        }
        let nikkei = load_file(&nikkei, &options(&["Open"])).unwrap();
        assert_eq!(nikkei.series.len(), 1092);
    }
}
