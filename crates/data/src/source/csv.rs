//! Reading a daily series from CSV: polars parses the file, this module checks every cell of the
//! columns in use and turns them into a date-sorted [`TimeSeries`].

use std::io::Cursor;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::{CsvReadOptions, DataFrame, DataType, ParquetReader, SerReader};

use super::dates::DateFormat;
use crate::DataError;
use crate::frequency::Frequency;
use crate::missing::{MissingPolicy, is_missing_token};
use crate::series::{Column, LoadedSeries, TimeSeries};

/// Rows in a spreadsheet are 1-based and the header takes row 1, so data row `i` (0-based) is
/// shown as row `i + 2`.
fn spreadsheet_row(data_row: usize) -> usize {
    data_row + 2
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
}

/// Reads `path` as CSV (or, with the extension `.parquet`, as Parquet: typed columns, dates as
/// a date, date-time or text column) and returns the date column and the requested numeric
/// columns; every cell is checked as in a CSV file, and errors name the same row.
///
/// Dates may be ISO (`YYYY-MM-DD`, or a date-time at midnight), US `M/D/YYYY` or European
/// `D/M/YYYY` / `D.M.YYYY`, detected once per file (see [`DateFormat`]), or follow
/// `date_format`; line endings LF or CRLF; blank lines are skipped. Rows come back sorted by
/// date. Duplicate dates, unparsable dates, times of day other than midnight, and (unless
/// `missing` says otherwise) empty or non-numeric cells in a used column are errors naming the row as a
/// spreadsheet shows it.
pub fn load_csv(path: &Path, options: &LoadOptions) -> Result<LoadedSeries, DataError> {
    let frame = match is_parquet(path) {
        true => read_parquet(path)?,
        false => {
            let bytes = std::fs::read(path).map_err(|source| DataError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(DataError::EmptyFile {
                    path: path.to_path_buf(),
                });
            }
            parse_as_text(path, bytes)?
        }
    };
    let columns = distinct(&options.columns);
    let mut table = TextTable::new(path, &frame, &options.date_column, &columns)?;
    if let Some(pattern) = &options.date_format {
        table.format = DateFormat::Pattern(pattern.clone());
    }
    let optional: Vec<(String, Vec<Option<String>>)> = distinct(&options.optional_columns)
        .into_iter()
        .filter(|name| !columns.contains(name))
        .filter_map(|name| Some((name.clone(), text_column(path, &frame, &name).ok()?)))
        .collect();
    let mut loaded = match options.missing.fills() {
        true => table.into_filled_series(options.missing)?,
        false => table.into_series(options.missing == MissingPolicy::Drop)?,
    };
    add_optional_columns(&mut loaded, optional, options.missing);
    Ok(loaded)
}

/// Adds each optional column whose cells are all numbers in the kept rows (after filling, with
/// a policy that fills).
fn add_optional_columns(
    loaded: &mut LoadedSeries,
    optional: Vec<(String, Vec<Option<String>>)>,
    missing: MissingPolicy,
) {
    let rows = &loaded.kept_rows;
    for (name, cells) in optional {
        let mut values: Vec<Option<f64>> = rows
            .iter()
            .map(|row| {
                let value: f64 = cells.get(*row)?.as_deref()?.trim().parse().ok()?;
                value.is_finite().then_some(value)
            })
            .collect();
        missing.fill(&loaded.series.dates, &mut values);
        if let Some(values) = values.into_iter().collect() {
            loaded.series.columns.push(Column { name, values });
        }
    }
}

/// Parses CSV bytes with every column kept as text, so that each cell can be checked here.
fn parse_as_text(path: &Path, bytes: Vec<u8>) -> Result<DataFrame, DataError> {
    let csv_error = |error: polars::error::PolarsError| DataError::Csv {
        path: path.to_path_buf(),
        message: error.to_string(),
    };
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
        .map_err(csv_error)?;
    if frame.height() == 0 {
        return Err(DataError::NoRows {
            path: path.to_path_buf(),
        });
    }
    Ok(frame)
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

/// The used columns of a CSV file as text cells, before validation.
struct TextTable {
    path: PathBuf,
    date_column: String,
    dates: Vec<Option<String>>,
    /// How the dates are written.
    format: DateFormat,
    columns: Vec<(String, Vec<Option<String>>)>,
}

impl TextTable {
    fn new(
        path: &Path,
        frame: &DataFrame,
        date_column: &str,
        columns: &[String],
    ) -> Result<Self, DataError> {
        let read = |name: &str| text_column(path, frame, name);
        let date_column = date_column_in(frame, date_column);
        let dates = read(&date_column)?;
        let columns = columns
            .iter()
            .map(|name| Ok((name.clone(), read(name)?)))
            .collect::<Result<Vec<_>, DataError>>()?;
        let format = DateFormat::detect(dates.iter().flatten().map(String::as_str))
            .unwrap_or(DateFormat::Iso);
        Ok(Self {
            path: path.to_path_buf(),
            date_column,
            dates,
            format,
            columns,
        })
    }

    /// Whether data row `data_row` is blank: no date and no used cell holds anything.
    fn is_blank(&self, data_row: usize) -> bool {
        let blank =
            |cell: &Option<String>| cell.as_deref().is_none_or(|text| text.trim().is_empty());
        blank(&self.dates[data_row])
            && self
                .columns
                .iter()
                .all(|(_, cells)| blank(&cells[data_row]))
    }

    /// Every non-blank row's data row, date and values as `parse` reads them (`None` drops the
    /// row, counted), sorted by date and checked for duplicate dates; and whether the file was
    /// out of order.
    #[allow(clippy::type_complexity)]
    fn sorted_rows<V>(
        &self,
        parse: impl Fn(usize) -> Result<Option<V>, DataError>,
    ) -> Result<(Vec<(usize, NaiveDate, V)>, usize, bool), DataError> {
        let mut rows = Vec::with_capacity(self.dates.len());
        let mut dropped_rows = 0;
        for (data_row, date_cell) in self.dates.iter().enumerate() {
            if self.is_blank(data_row) {
                continue;
            }
            let date = self.parse_date(data_row, date_cell.as_deref())?;
            match parse(data_row)? {
                Some(values) => rows.push((data_row, date, values)),
                None => dropped_rows += 1,
            }
        }
        if rows.is_empty() {
            return Err(DataError::NoRows {
                path: self.path.clone(),
            });
        }
        let was_unsorted = rows.windows(2).any(|pair| pair[0].1 > pair[1].1);
        rows.sort_by_key(|(data_row, date, _)| (*date, *data_row));
        let dates: Vec<NaiveDate> = rows.iter().map(|(_, date, _)| *date).collect();
        self.check_unique(&dates, |index| rows[index].0)?;
        Ok((rows, dropped_rows, was_unsorted))
    }

    fn into_series(self, drop_missing: bool) -> Result<LoadedSeries, DataError> {
        let (rows, dropped_rows, was_unsorted) =
            self.sorted_rows(|data_row| match self.parse_values(data_row) {
                Ok(values) => Ok(Some(values)),
                Err(_) if drop_missing => Ok(None),
                Err(error) => Err(error),
            })?;
        let kept_rows = rows.iter().map(|(data_row, _, _)| *data_row).collect();
        Ok(LoadedSeries {
            series: self.assemble(rows),
            dropped_rows,
            was_unsorted,
            kept_rows,
        })
    }

    /// The series with every hole filled as `missing` (`ffill` or `interpolate`) says: rows for
    /// the dates the series' frequency expects but lacks, then every empty (or `NA`) cell
    /// filled; rows still holding a hole (before a column's first value) are dropped.
    fn into_filled_series(self, missing: MissingPolicy) -> Result<LoadedSeries, DataError> {
        let (mut rows, _, was_unsorted) = self.sorted_rows(|data_row| {
            self.columns
                .iter()
                .map(|(name, cells)| match cells[data_row].as_deref() {
                    Some(text) if !is_missing_token(text) => {
                        self.parse_number(data_row, name, Some(text)).map(Some)
                    }
                    _ => Ok(None),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        })?;
        let dates: Vec<NaiveDate> = rows.iter().map(|(_, date, _)| *date).collect();
        // a row for every date the series' frequency expects, its cells empty (no source row)
        for date in Frequency::infer(&dates).missing(&dates) {
            rows.push((usize::MAX, date, vec![None; self.columns.len()]));
        }
        rows.sort_by_key(|(_, date, _)| *date);
        let dates: Vec<NaiveDate> = rows.iter().map(|(_, date, _)| *date).collect();
        for column in 0..self.columns.len() {
            let mut values: Vec<Option<f64>> = rows.iter().map(|(_, _, v)| v[column]).collect();
            missing.fill(&dates, &mut values);
            for (row, value) in rows.iter_mut().zip(values) {
                row.2[column] = value;
            }
        }
        let total = rows.len();
        let complete: Vec<(usize, NaiveDate, Vec<f64>)> = rows
            .into_iter()
            .filter_map(|(data_row, date, values)| {
                Some((
                    data_row,
                    date,
                    values.into_iter().collect::<Option<Vec<f64>>>()?,
                ))
            })
            .collect();
        if complete.is_empty() {
            return Err(DataError::NoRows { path: self.path });
        }
        let dropped_rows = total - complete.len();
        let kept_rows = complete.iter().map(|(data_row, _, _)| *data_row).collect();
        Ok(LoadedSeries {
            series: self.assemble(complete),
            dropped_rows,
            was_unsorted,
            kept_rows,
        })
    }

    /// An error naming the first two rows with the same date among sorted `dates`
    /// (`data_row` gives each one's row in the file).
    fn check_unique(
        &self,
        dates: &[NaiveDate],
        data_row: impl Fn(usize) -> usize,
    ) -> Result<(), DataError> {
        match (1..dates.len()).find(|index| dates[index - 1] == dates[*index]) {
            Some(index) => Err(DataError::DuplicateDate {
                path: self.path.clone(),
                date: dates[index].to_string(),
                first_row: spreadsheet_row(data_row(index - 1)),
                second_row: spreadsheet_row(data_row(index)),
            }),
            None => Ok(()),
        }
    }

    fn parse_date(&self, data_row: usize, cell: Option<&str>) -> Result<NaiveDate, DataError> {
        let text = cell.unwrap_or("").trim();
        let timestamp = self.format.parse(text).ok_or_else(|| DataError::BadDate {
            path: self.path.clone(),
            row: spreadsheet_row(data_row),
            column: self.date_column.clone(),
            value: text.to_string(),
            expected: self.format.describe(),
        })?;
        if timestamp.time() != chrono::NaiveTime::MIN {
            return Err(DataError::IntradayTime {
                path: self.path.clone(),
                row: spreadsheet_row(data_row),
                column: self.date_column.clone(),
                value: text.to_string(),
            });
        }
        Ok(timestamp.date())
    }

    fn parse_values(&self, data_row: usize) -> Result<Vec<f64>, DataError> {
        self.columns
            .iter()
            .map(|(name, cells)| self.parse_number(data_row, name, cells[data_row].as_deref()))
            .collect()
    }

    fn parse_number(
        &self,
        data_row: usize,
        column: &str,
        cell: Option<&str>,
    ) -> Result<f64, DataError> {
        let text = cell.unwrap_or("").trim();
        if text.is_empty() {
            return Err(DataError::MissingValue {
                path: self.path.clone(),
                row: spreadsheet_row(data_row),
                column: column.to_string(),
            });
        }
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(value),
            _ => Err(DataError::NotANumber {
                path: self.path.clone(),
                row: spreadsheet_row(data_row),
                column: column.to_string(),
                value: text.to_string(),
            }),
        }
    }

    fn assemble(&self, rows: Vec<(usize, NaiveDate, Vec<f64>)>) -> TimeSeries {
        let mut columns: Vec<Column> = self
            .columns
            .iter()
            .map(|(name, _)| Column {
                name: name.clone(),
                values: Vec::with_capacity(rows.len()),
            })
            .collect();
        let mut dates = Vec::with_capacity(rows.len());
        for (_, date, values) in rows {
            dates.push(date);
            for (column, value) in columns.iter_mut().zip(values) {
                column.values.push(value);
            }
        }
        TimeSeries {
            source_name: self.path.display().to_string(),
            dates,
            columns,
        }
    }
}

/// One column of the frame as optional text cells, or an error listing the columns that exist.
fn text_column(
    path: &Path,
    frame: &DataFrame,
    name: &str,
) -> Result<Vec<Option<String>>, DataError> {
    let missing = || DataError::MissingColumn {
        path: path.to_path_buf(),
        column: name.to_string(),
        available: frame
            .get_column_names()
            .iter()
            .map(|column| column.to_string())
            .collect(),
    };
    let column = frame.column(name).map_err(|_| missing())?;
    let failed = |error: polars::error::PolarsError| DataError::Csv {
        path: path.to_path_buf(),
        message: error.to_string(),
    };
    let series = column.as_materialized_series();
    match series.dtype() {
        DataType::String => {
            let text = series.str().map_err(failed)?;
            Ok(text.iter().map(|cell| cell.map(str::to_string)).collect())
        }
        // typed columns (Parquet): floats written out so that they parse back to the same value
        DataType::Float32 | DataType::Float64 => {
            let values = series.cast(&DataType::Float64).map_err(failed)?;
            let values = values.f64().map_err(failed)?;
            Ok(values.iter().map(|v| v.map(|v| v.to_string())).collect())
        }
        _ => {
            let text = series.cast(&DataType::String).map_err(failed)?;
            let text = text.str().map_err(failed)?;
            Ok(text.iter().map(|cell| cell.map(str::to_string)).collect())
        }
    }
}

/// The frame's column named `wanted`, or else its only column whose name is `wanted` in another
/// case (`date` for `Date`); `wanted` itself when neither is there, for the error to name.
fn date_column_in(frame: &DataFrame, wanted: &str) -> String {
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|name| name.to_string())
        .collect();
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

/// Reads a Parquet file into a frame of typed columns.
fn read_parquet(path: &Path) -> Result<DataFrame, DataError> {
    let file = std::fs::File::open(path).map_err(|source| DataError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let frame = ParquetReader::new(file)
        .finish()
        .map_err(|error| DataError::Csv {
            path: path.to_path_buf(),
            message: format!("not a readable Parquet file: {error}"),
        })?;
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
        }
    }

    fn load(text: &str, columns: &[&str]) -> Result<LoadedSeries, DataError> {
        let file = write_csv(text);
        load_csv(file.path(), &options(columns))
    }

    #[test]
    fn reads_iso_dates_with_lf_endings() {
        let loaded = load(
            "Date,Open,Close\n2021-01-04,100.5,101\n2021-01-05,102,103.25\n",
            &["Open", "Close"],
        )
        .unwrap();
        let series = loaded.series;
        assert_eq!(
            series.dates[0],
            NaiveDate::from_ymd_opt(2021, 1, 4).unwrap()
        );
        assert_eq!(series.column("Open").unwrap(), &[100.5, 102.0]);
        assert_eq!(series.column("Close").unwrap(), &[101.0, 103.25]);
        assert!(!loaded.was_unsorted);
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
            vec![
                NaiveDate::from_ymd_opt(1999, 1, 4).unwrap(),
                NaiveDate::from_ymd_opt(1999, 12, 31).unwrap()
            ]
        );
        assert_eq!(loaded.series.column("Open").unwrap(), &[1229.2, 1464.5]);
    }

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
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
        ] {
            let loaded = load(text, &["Open"]).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(loaded.series.dates, expected, "{text}");
        }
        // a pattern given in the config
        let file = write_csv("Date,Open\n20210104,1\n20210113,2\n");
        let loaded = load_csv(
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
    fn each_missing_policy_handles_empty_cells_and_missing_dates() {
        // business days; Wednesday 2024-01-10 is missing and Friday's Open is empty
        let text = "Date,Open,Close\n2024-01-08,10,11\n2024-01-09,12,13\n2024-01-11,16,17\n\
                    2024-01-12,,19\n2024-01-15,20,21\n";
        let with = |missing| {
            let file = write_csv(text);
            load_csv(
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
        assert_eq!(dropped.dropped_rows, 1);

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
        let loaded = load_csv(
            file.path(),
            &LoadOptions {
                missing: MissingPolicy::Ffill,
                ..options(&["Open"])
            },
        )
        .unwrap();
        assert_eq!(loaded.series.column("Open").unwrap(), &[1.0, 1.0]);
        assert_eq!(
            loaded.dropped_rows, 1,
            "nothing before the first row to fill it from"
        );
    }

    /// A Parquet file of `dates` (as a Date, or a midnight Datetime column) and two typed
    /// columns, `Open` (f64) and `Volume` (i64).
    fn write_parquet(dates: &[NaiveDate], open: &[f64], as_datetime: bool) -> tempfile::TempPath {
        use polars::prelude::{Column, IntoColumn, NamedFrom, ParquetWriter, Series, TimeUnit};
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let days: Vec<i32> = dates
            .iter()
            .map(|d| (*d - epoch).num_days() as i32)
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
            let from_parquet = load_csv(&path, &options(&["Open", "Volume"])).unwrap();
            assert_eq!(from_parquet.series.dates, from_csv.series.dates);
            assert_eq!(from_parquet.series.columns, from_csv.series.columns);
            assert_eq!(from_parquet.series.column("Open").unwrap(), &open);
        }
        // errors name the file and the column as for CSV
        let path = write_parquet(&dates, &open, false);
        let error = load_csv(&path, &options(&["Close"]))
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
        let error = load_csv(not_parquet.path(), &options(&["Open"]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a readable Parquet file"), "{error}");
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
    fn blank_lines_are_skipped() {
        let loaded = load("Date,Open\n2021-01-04,1\n\n2021-01-05,2\n\n\n\n", &["Open"]).unwrap();
        assert_eq!(loaded.series.column("Open").unwrap(), &[1.0, 2.0]);
        let loaded = load("Date,Open\r\n2021-01-04,1\r\n\r\n,\r\n", &["Open"]).unwrap();
        assert_eq!(loaded.series.len(), 1);
    }

    #[test]
    fn times_of_day_and_unknown_formats_are_named() {
        let error = load("Date,Open\n2021-01-04 09:30:00,1\n", &["Open"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("row 2") && error.contains("has a time of day"),
            "{error}"
        );
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
    fn sorts_rows_by_date_and_says_so() {
        let loaded = load("Date,Open\n2021-01-05,2\n2021-01-04,1\n", &["Open"]).unwrap();
        assert!(loaded.was_unsorted);
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
        }
    }

    #[test]
    fn drop_missing_drops_and_counts_bad_rows() {
        let file = write_csv("Date,Open\n2021-01-04,1\n2021-01-05,\n2021-01-06,x\n2021-01-07,4\n");
        let mut options = options(&["Open"]);
        options.missing = MissingPolicy::Drop;
        let loaded = load_csv(file.path(), &options).unwrap();
        assert_eq!(loaded.dropped_rows, 2);
        assert_eq!(loaded.series.column("Open").unwrap(), &[1.0, 4.0]);
    }

    #[test]
    fn optional_columns_are_read_when_clean_and_skipped_otherwise() {
        let file = write_csv("Date,Open,Close,Note\n2021-01-05,2,2.5,x\n2021-01-04,1,1.5,\n");
        let mut options = options(&["Open"]);
        options.optional_columns = vec!["Close".into(), "Note".into(), "Absent".into()];
        let loaded = load_csv(file.path(), &options).unwrap();
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
        let error = load_csv(Path::new("/no/such/file.csv"), &options(&["Open"])).unwrap_err();
        assert!(error.to_string().contains("/no/such/file.csv"));
    }

    /// Both shipped files load unchanged (the Nikkei file only where `../shared` exists).
    #[test]
    fn shipped_files_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let sp500 = load_csv(
            &root.join("data/sp500.csv"),
            &options(&["Open", "High", "Low", "Close"]),
        )
        .unwrap();
        assert_eq!(sp500.series.len(), 5031);
        assert_eq!(
            sp500.series.dates[0],
            NaiveDate::from_ymd_opt(1999, 1, 4).unwrap()
        );
        let nikkei = root.join("../shared/data/nikkei_225.csv");
        if !nikkei.exists() {
            eprintln!("skipped the Nikkei half: {} is absent", nikkei.display());
            return;
        }
        let nikkei = load_csv(&nikkei, &options(&["Open"])).unwrap();
        assert_eq!(nikkei.series.len(), 1092);
    }
}
