//! The data stage's error type: every variant names the file, row, column or key at fault and
//! says what was expected.

use std::path::PathBuf;

/// Everything that can go wrong between a CSV file on disk and a batch of windows.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not UTF-8 text (a spreadsheet's export in Windows-1252, Latin-1 or
    /// Shift-JIS).
    #[error(
        "{path} is not UTF-8 text: line {line} holds the byte 0x{byte:02X}, not valid UTF-8 (was it saved as Windows-1252, Latin-1 or Shift-JIS?); save it as UTF-8 (in Excel: Save As, \"CSV UTF-8\")"
    )]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first byte that is not UTF-8.
        line: usize,
        /// That byte.
        byte: u8,
    },
    /// The file has no bytes (or only whitespace).
    #[error("{path} is empty: expected a header row naming the columns, then one row per day")]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// The CSV or Parquet reader rejected the file.
    #[error("{path} is not a readable {kind} file: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// "CSV" or "Parquet".
        kind: &'static str,
        /// The parser's message.
        message: String,
    },
    /// The file has a header but no data rows.
    #[error("{path} has a header row but no data rows: expected one row per day")]
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// A column named in the config is not in the file.
    #[error("{path} has no column '{column}'; the columns are: {}", available.join(", "))]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// The columns the file has.
        available: Vec<String>,
    },
    /// A cell in a used column is empty.
    #[error(
        "{path}, row {row}, column '{column}': the cell is empty, expected a number (set [data] missing = \"drop\" (or drop_missing = true) to drop such rows, or \"ffill\" or \"interpolate\" to fill them)"
    )]
    MissingValue {
        /// The file.
        path: PathBuf,
        /// 1-based row as a spreadsheet shows it (the header is row 1).
        row: usize,
        /// The column.
        column: String,
    },
    /// A wide file has no column but its date column that holds a value.
    #[error(
        "{path} holds no series: no column but its dates holds a value (a wide file, layout = \"wide\", holds a column per series)"
    )]
    NoSeriesColumns {
        /// The file.
        path: PathBuf,
    },
    /// A row of a long-format file names no series.
    #[error(
        "{path}, row {row}, column '{column}': the cell is empty, expected the name of the row's series (every row of a panel names its series; [data] missing does not fill names)"
    )]
    MissingSeriesName {
        /// The file.
        path: PathBuf,
        /// 1-based row as a spreadsheet shows it (the header is row 1).
        row: usize,
        /// The series column.
        column: String,
    },
    /// No line of a CSV file names the date column, and its first line is no header (it has
    /// fewer fields than the line below it: a title above the header).
    #[error(
        "{path}: none of its first {lines} lines names the date column '{column}', and line {first_line} ('{text}') has fewer fields than the line below it, so it is no header; set [data] date_column to the name the header gives the dates"
    )]
    NoHeader {
        /// The file.
        path: PathBuf,
        /// The date column looked for.
        column: String,
        /// How many lines were looked through.
        lines: usize,
        /// The first line that is not blank (1-based).
        first_line: usize,
        /// Its text.
        text: String,
    },
    /// A CSV row has more fields than the header names.
    #[error(
        "{path}, row {row}: {fields} fields, but the header names {columns} (fields separated by '{separator}'; a value holding the separator must be quoted)"
    )]
    RaggedRow {
        /// The file.
        path: PathBuf,
        /// 1-based row as a spreadsheet shows it (the header is row 1).
        row: usize,
        /// The row's fields.
        fields: usize,
        /// The header's columns.
        columns: usize,
        /// The field separator the file was read with.
        separator: char,
    },
    /// A cell in a used column is not a finite number.
    #[error(
        "{path}, row {row}, column '{column}': '{value}' is not a finite number ({})",
        not_a_number_advice(*.missing_token)
    )]
    NotANumber {
        /// The file.
        path: PathBuf,
        /// 1-based row as a spreadsheet shows it (the header is row 1).
        row: usize,
        /// The column.
        column: String,
        /// The cell's text.
        value: String,
        /// Whether the text marks a missing value (`NA`, `NaN`, `null`, …), which the filling
        /// policies fill as they fill an empty cell.
        missing_token: bool,
    },
    /// A date cell could not be parsed.
    #[error(
        "{path}, row {row}, column '{column}': '{value}' is not a date; expected {expected} (set [data] date_format for another one, e.g. \"%d/%m/%Y\")"
    )]
    BadDate {
        /// The file.
        path: PathBuf,
        /// 1-based row as a spreadsheet shows it (the header is row 1).
        row: usize,
        /// The date column.
        column: String,
        /// The cell's text.
        value: String,
        /// The format the column was read with.
        expected: String,
    },
    /// A cell of a column of time steps (`date_format = "step"`) that is no whole number.
    #[error(
        "{path}, row {row}, column '{column}': '{value}' is not a time step; expected a whole number (date_format = \"step\" reads the column as time steps)"
    )]
    BadStep {
        /// The file.
        path: PathBuf,
        /// 1-based row as a spreadsheet shows it (the header is row 1).
        row: usize,
        /// The column of steps.
        column: String,
        /// The cell's text.
        value: String,
    },
    /// Calendar inputs asked of a series indexed by time steps, which has no dates.
    #[error(
        "{source_name}: [data] calendar asks for '{feature}', but the series is indexed by time steps (date_format = \"step\"), which have no calendar: leave calendar out, or write the dates"
    )]
    CalendarOfSteps {
        /// The series' source (its file).
        source_name: String,
        /// The first calendar input asked for.
        feature: String,
    },
    /// A series of time steps jumps by far more than its usual gap at once.
    #[error(
        "{path}: the steps jump from {} (row {}) to {} (row {}), more than {limit} times their usual gap of {usual}: expected steps spaced alike (a typo?), the steps in between being missing values",
        from.0, from.1, to.0, to.1
    )]
    StepJump {
        /// The file.
        path: PathBuf,
        /// The step before the jump and its 1-based row as a spreadsheet shows it.
        from: (String, usize),
        /// The step after it and its row.
        to: (String, usize),
        /// The most common gap between consecutive steps.
        usual: usize,
        /// How many usual gaps a jump may span.
        limit: usize,
    },
    /// Two rows carry the same date.
    #[error(
        "{path}: rows {first_row} and {second_row} both have the date {date}; expected one row per date"
    )]
    DuplicateDate {
        /// The file.
        path: PathBuf,
        /// The repeated date.
        date: String,
        /// The earlier row (1-based, header is row 1).
        first_row: usize,
        /// The later row.
        second_row: usize,
    },
    /// Two rows of one series of a panel carry the same date.
    #[error(
        "{path} ({series_column} = {series}): rows {first_row} and {second_row} both have the date {date}; expected one row per date in each series (where another column tells such rows apart, name both: series_column = [\"{series_column}\", \"…\"])"
    )]
    DuplicateDateInSeries {
        /// The file.
        path: PathBuf,
        /// The column(s) naming each row's series.
        series_column: String,
        /// The series.
        series: String,
        /// The repeated date.
        date: String,
        /// The earlier row (1-based, header is row 1).
        first_row: usize,
        /// The later row.
        second_row: usize,
    },
    /// The series is too short for the windows and held-out sets asked for.
    #[error(
        "{source_name} has {rows} usable rows, but window_len = {window_len}, horizon = {horizon}, stride = {stride}, test_len = {test_len} and valid_len = {valid_len} need at least {needed} rows"
    )]
    TooShort {
        /// The file or data source.
        source_name: String,
        /// Rows available after cleaning.
        rows: usize,
        /// Rows needed.
        needed: usize,
        /// The window length in steps.
        window_len: usize,
        /// The forecast horizon in steps.
        horizon: usize,
        /// The stride between windows.
        stride: usize,
        /// Rows of the test period.
        test_len: usize,
        /// Rows of the validation period.
        valid_len: usize,
    },
    /// A `[data]` setting is out of its range.
    #[error("[data] {key}: {message}")]
    InvalidSetting {
        /// The config key.
        key: &'static str,
        /// What was expected.
        message: String,
    },
    /// A column cannot be scaled with the chosen method.
    #[error("{source_name}: cannot scale column '{column}' with {method} scaling: {reason}")]
    Scaling {
        /// The file or data source (filled in where the column's series is known).
        source_name: String,
        /// The column.
        column: String,
        /// The scaling method.
        method: &'static str,
        /// Why not.
        reason: String,
        /// Whether the reason is that the column never changes over the training rows.
        constant: bool,
    },
}

/// What to do about a cell that is not a number: drop its row, or, for a token that marks a
/// missing value, fill it.
fn not_a_number_advice(missing_token: bool) -> &'static str {
    if missing_token {
        "it marks a missing value: set [data] missing = \"drop\" to drop such rows, or \"ffill\" or \"interpolate\" to fill them"
    } else {
        "set [data] missing = \"drop\" (or drop_missing = true) to drop such rows"
    }
}
