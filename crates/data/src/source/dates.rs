//! The date column's format, detected once per file: ISO dates and date-times (with `T` or a
//! space, with or without seconds, fractions and a UTC offset), US month-first and European
//! day-first dates, dates with the month's name (`5-Jan-2020`, `05 Jan 2020`, `Jan 05, 2020`,
//! `January 5 2020`), periods (a year `1990`, a month `1990-07` or `1990 Jul` (R's tsibble)
//! or `July 1990`, a quarter `1990Q3` or an ISO week `1990-W27`, each read as its first day),
//! decimal years of whole months (`1949.0833`, R's `time()` of a monthly or quarterly series:
//! February 1949) or of days (`1991.11916495551`, a weekly series'), R's times in cycles of
//! another frequency (`1.42857142857143`, read as time steps), compact dates
//! (`19900701`) and Unix times in seconds or milliseconds (`1577836800`, read in UTC) — or a
//! `strftime` pattern the config gives (`[data] date_format`; one without a day, such as
//! `%Y-%m` or `%b %Y`, reads the period's first day).
//!
//! A UTC offset is dropped, so a row keeps its local date and time, unless the offsets of an
//! intraday file change within it (daylight saving: local times repeat an hour in autumn and skip
//! one in spring); then every time is read in UTC ([`utc_offset_seconds`]), once each. A file
//! whose times are all midnight is a series of dates; one time of day other than midnight makes
//! it an intraday series (see [`crate::Timestamp`]).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// How the cells of a date column are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateFormat {
    /// `YYYY-MM-DD`, optionally followed by `T` or a space and a time.
    Iso,
    /// `M/D/YYYY` (US), optionally followed by a time.
    MonthFirst,
    /// `D/M/YYYY`, `D.M.YYYY` or `D-M-YYYY` (European), optionally followed by a time.
    DayFirst,
    /// A year, `YYYY`: its 1 January.
    Year,
    /// A month, `YYYY-MM` or `YYYY/MM`: its first day.
    YearMonth,
    /// A quarter, `YYYYQn`, `YYYY-Qn` or `YYYY Qn` (`q` too): its first day.
    YearQuarter,
    /// An ISO week, `YYYY-Www` or `YYYYWww`: its Monday.
    IsoWeek,
    /// A decimal year whose fraction is a whole number of months, as R writes the `time()` of
    /// a monthly or quarterly `ts` (`1949.08333333333` is February 1949, `1959.25` the second
    /// quarter): the month's first day.
    DecimalYear,
    /// A decimal year whose fractions are not whole months, as R writes the `time()` of a
    /// weekly or daily `ts` (`1991.1`, then `1991.11916495551` a week later): its place on the
    /// `ts`' grid of `per_year` rows a year, counted from `start` (the column's oldest cell,
    /// dated the day its fraction of its year falls on), a week or a day a row, so that the
    /// rows of a `ts` of 52 weeks a year are read 7 days apart although its years are 52.18
    /// weeks long.
    DecimalYearSteps {
        /// The column's oldest cell, as written.
        start: String,
        /// The `ts`' rows a year (its `frequency`).
        per_year: RowsPerYear,
    },
    /// A time in cycles of `per_cycle` rows, as R writes the `time()` of a `ts` whose frequency
    /// is not a year's rows (fpp2's `hyndsight`, daily with `frequency = 7`: `1.42857142857143`
    /// is the fourth day of the first week): no date, but the row's time step,
    /// `(time - start) × per_cycle`, counted from `start`, the column's oldest cell.
    CycleSteps {
        /// The column's oldest cell, as written.
        start: String,
        /// Rows a cycle (the `ts`' `frequency`).
        per_cycle: u32,
    },
    /// A day, its month's English name and a four-digit year, the day before or after the
    /// month (`5-Jan-2020`, `05 Jan 2020`, `Jan 05, 2020`, `2020-Jan-05`), optionally followed
    /// by a time.
    NamedMonth,
    /// A compact date, `YYYYMMDD` (eight digits).
    Compact,
    /// Seconds since 1970-01-01 00:00 UTC (nine or ten digits: 1973 to 2286), read in UTC.
    UnixSeconds,
    /// Milliseconds since 1970-01-01 00:00 UTC (twelve or thirteen digits), read in UTC.
    UnixMilliseconds,
    /// A `strftime` pattern (chrono's), e.g. `%d/%m/%Y` or `%Y%m%d`; one without a day (or
    /// without a month and a day) reads the month's (the year's) first day.
    Pattern(String),
    /// No date: a whole number, the row's time step (`[data] date_format = "step"`), for a
    /// series indexed by step numbers (`1, 2, 3, …` or `0, 10, 20, …`); read by
    /// [`DateFormat::step`], never by [`DateFormat::parse`]. Never detected: a column of
    /// small numbers is as likely years or row numbers.
    Step,
}

/// The rows a year of a weekly or daily R `ts` (its `frequency`), whose `time()` a
/// [`DateFormat::DecimalYearSteps`] column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowsPerYear {
    /// 52 weeks (`frequency = 52`).
    Weeks,
    /// A year's 52.18 weeks (`frequency = 365.25 / 7`, as fpp2's weekly series).
    WeeksOfYear,
    /// 365 days (`frequency = 365`).
    Days,
    /// A year's 365.25 days (`frequency = 365.25`).
    DaysOfYear,
}

impl std::fmt::Display for RowsPerYear {
    /// Its `frequency` as R's `ts` is given it: `52`, `365.25 / 7`, `365`, `365.25`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Weeks => "52",
            Self::WeeksOfYear => "365.25 / 7",
            Self::Days => "365",
            Self::DaysOfYear => "365.25",
        })
    }
}

impl RowsPerYear {
    /// Every grid, in the order tried.
    const ALL: [Self; 4] = [Self::Weeks, Self::WeeksOfYear, Self::Days, Self::DaysOfYear];

    /// Rows a year.
    pub fn rows(self) -> f64 {
        match self {
            Self::Weeks => 52.0,
            Self::WeeksOfYear => 365.25 / 7.0,
            Self::Days => 365.0,
            Self::DaysOfYear => 365.25,
        }
    }

    /// Days a row stands for.
    pub fn days_per_row(self) -> i64 {
        match self {
            Self::Weeks | Self::WeeksOfYear => 7,
            Self::Days | Self::DaysOfYear => 1,
        }
    }

    /// The grid of `rows` rows a year, within 0.05 % (52 and 52.18 are 0.34 % apart); `None`
    /// for any other number of rows.
    fn nearest(rows: f64) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|grid| (rows / grid.rows() - 1.0).abs() < 5e-4)
    }
}

/// The `[data] date_format` that reads the date column as time steps.
pub const STEP_FORMAT: &str = "step";

impl DateFormat {
    /// What the format expects, for error messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Iso => "YYYY-MM-DD (optionally with a time)".to_string(),
            Self::MonthFirst => "M/D/YYYY (optionally with a time)".to_string(),
            Self::DayFirst => "D/M/YYYY or D.M.YYYY (optionally with a time)".to_string(),
            Self::Year => "a year, YYYY".to_string(),
            Self::YearMonth => "a month, YYYY-MM (or YYYY Mon, Mon YYYY)".to_string(),
            Self::YearQuarter => "a quarter, YYYY-Qn".to_string(),
            Self::IsoWeek => "an ISO week, YYYY-Www".to_string(),
            Self::DecimalYear => {
                "a decimal year of whole months, as R's time() of a monthly or quarterly series \
                 (1949.0833 for February 1949; other series need their dates written, or \
                 their rows numbered and read with date_format = \"step\")"
                    .to_string()
            }
            Self::DecimalYearSteps { start, per_year } => format!(
                "a decimal year on the grid of R's time() of a series of {per_year} rows a year \
                 from {start}"
            ),
            Self::CycleSteps { start, per_cycle } => format!(
                "a time in cycles of {per_cycle} rows from {start}, as R's time() of a series of \
                 frequency {per_cycle}"
            ),
            Self::NamedMonth => {
                "a date with its month's name and a four-digit year, D Mon YYYY or Mon D, YYYY \
                 (optionally with a time)"
                    .to_string()
            }
            Self::Compact => "a compact date, YYYYMMDD".to_string(),
            Self::UnixSeconds => "seconds since 1970-01-01 UTC (a Unix time)".to_string(),
            Self::UnixMilliseconds => "milliseconds since 1970-01-01 UTC".to_string(),
            Self::Pattern(pattern) => format!("the date_format \"{pattern}\""),
            Self::Step => {
                "a whole number, the row's time step (date_format = \"step\")".to_string()
            }
        }
    }

    /// The format `[data] date_format` names: time steps for `"step"`, else a `strftime`
    /// pattern.
    pub fn from_config(date_format: &str) -> Self {
        match date_format {
            STEP_FORMAT => Self::Step,
            pattern => Self::Pattern(pattern.to_string()),
        }
    }

    /// The time step a cell holds: a whole number (`-3`, `12`; `12.0` as a spreadsheet may
    /// write it), or `None`.
    pub fn step(text: &str) -> Option<i64> {
        let text = text.trim();
        if let Ok(step) = text.parse::<i64>() {
            return Some(step);
        }
        let number: f64 = text.parse().ok()?;
        // whole numbers up to 2^53, which a float holds exactly
        let exact = number.is_finite() && number.fract() == 0.0 && number.abs() <= 9.007e15;
        exact.then_some(number as i64)
    }

    /// The time step of a cell of a column of steps: a whole number for [`DateFormat::Step`],
    /// the row on the grid for [`DateFormat::CycleSteps`]; `None` for a cell off it and for
    /// every other format (whose cells are dates).
    pub fn step_of(&self, text: &str) -> Option<i64> {
        match self {
            Self::Step => Self::step(text),
            Self::CycleSteps { start, per_cycle } => {
                let (value, start) = (plain_number(text.trim())?, plain_number(start)?);
                row_on_grid(value, start, f64::from(*per_cycle))
            }
            _ => None,
        }
    }

    /// Whether the column holds time steps rather than dates.
    pub fn is_steps(&self) -> bool {
        matches!(self, Self::Step | Self::CycleSteps { .. })
    }

    /// What the format expects, for the error about a cell `text` it does not read: for a
    /// whole number that no format reads (a row number, a step count), that it is no date.
    pub fn describe_for(&self, text: &str) -> String {
        if let Some(pattern) = two_digit_year_pattern(text.trim()) {
            return format!(
                "{}; '{text}' has a two-digit year: set date_format = \"{pattern}\" to read it \
                 (two-digit years read as 1970 to 2069)",
                self.describe()
            );
        }
        match digits(text) {
            true => format!(
                "{}; a number other than a year, a YYYYMMDD date or a Unix time (a row number, \
                 say) is no date: write the date each row stands for, or set date_format = \
                 \"{STEP_FORMAT}\" for a series indexed by time steps",
                self.describe()
            ),
            false => self.describe(),
        }
    }

    /// The format of a column from its cells: a period's when a cell is one (a month, a quarter or
    /// an ISO week; a year, unless another cell is a decimal year, as R writes a monthly series'
    /// first January `1949` and its February `1949.08333333333`); for a cell of digits alone, a
    /// compact `YYYYMMDD` date (eight digits) or a Unix time in seconds (nine or ten) or
    /// milliseconds (twelve or thirteen); ISO when they start with a 4-digit year; for
    /// `a/b/YYYY`-style cells day-first when the separator is a dot or some `a` exceeds 12,
    /// month-first otherwise (the US convention). `None` when no cell looks like a date.
    pub fn detect<S: AsRef<str>>(cells: impl IntoIterator<Item = S>) -> Option<Self> {
        let mut numeric_dates = false;
        let mut day_first = false;
        let mut years = false;
        let (mut whole_months, mut finer) = (false, false);
        // every cell that is a plain number, for a grid, and whether one shows a fraction to 5
        // decimals
        let (mut numbers, mut fine_numbers): (Vec<(f64, String)>, bool) = (Vec::new(), false);
        for cell in cells {
            let cell = cell.as_ref().trim();
            if cell.is_empty() {
                continue;
            }
            if let Some(value) = plain_number(cell) {
                let fine =
                    (cell.split_once('.')).is_some_and(|(_, f)| f.len() >= MIN_FINER_DECIMALS);
                numbers.push((value, cell.to_string()));
                fine_numbers |= fine;
                if decimal_year(cell).is_some() && cell.contains('.') {
                    whole_months = true;
                    continue;
                }
                if fine && decimal_year_value(cell).is_some() {
                    finer = true;
                    continue;
                }
            }
            if years {
                continue;
            }
            match period(cell) {
                Some((Self::Year, _)) => {
                    years = true;
                    continue;
                }
                Some((format, _)) => return Some(format),
                None => {}
            }
            if let Some((format, _)) = digits_stamp(cell) {
                return Some(format);
            }
            if named_month_date(cell).is_some() {
                return Some(Self::NamedMonth);
            }
            let date = cell.split(['T', ' ']).next().unwrap_or(cell);
            let fields: Vec<&str> = date.split(['-', '/', '.']).collect();
            match fields.as_slice() {
                [year, _, _] if year.len() == 4 && date.contains('-') => return Some(Self::Iso),
                [first, second, year] if year.len() == 4 => {
                    numeric_dates = true;
                    let first: u32 = first.parse().unwrap_or(0);
                    let second: u32 = second.parse().unwrap_or(0);
                    if date.contains('.') || first > 12 {
                        day_first = true;
                    }
                    if second > 12 {
                        return Some(Self::MonthFirst);
                    }
                }
                _ => {}
            }
        }
        match (numeric_dates, day_first) {
            _ if finer => decimal_year_steps(&numbers).or_else(|| cycle_steps(numbers)),
            _ if whole_months => Some(Self::DecimalYear),
            _ if fine_numbers && !numeric_dates => cycle_steps(numbers),
            _ if years => Some(Self::Year),
            (false, _) => None,
            (true, true) => Some(Self::DayFirst),
            (true, false) => Some(Self::MonthFirst),
        }
    }

    /// The date and time of `text`, or `None` when it is not written in this format (always
    /// for [`DateFormat::Step`], which holds no date).
    pub fn parse(&self, text: &str) -> Option<NaiveDateTime> {
        let text = text.trim();
        match self {
            Self::Pattern(pattern) => return parse_pattern(text, pattern),
            Self::Year | Self::YearMonth | Self::YearQuarter | Self::IsoWeek => {
                let (format, date) = period(text)?;
                return (format == *self).then(|| date.and_time(NaiveTime::MIN));
            }
            Self::DecimalYear => {
                return decimal_year(text).map(|date| date.and_time(NaiveTime::MIN));
            }
            Self::DecimalYearSteps { start, per_year } => {
                return on_decimal_grid(text, start, *per_year)
                    .map(|date| date.and_time(NaiveTime::MIN));
            }
            Self::Compact | Self::UnixSeconds | Self::UnixMilliseconds => {
                let (format, at) = digits_stamp(text)?;
                return (format == *self).then_some(at);
            }
            Self::NamedMonth => return named_month_date(text),
            Self::Step | Self::CycleSteps { .. } => return None,
            Self::Iso | Self::MonthFirst | Self::DayFirst => {}
        }
        let (date, time) = match text.split_once(['T', ' ']) {
            Some((date, time)) => (date, Some(time.trim())),
            None => (text, None),
        };
        let fields: Vec<u32> = date
            .split(['-', '/', '.'])
            .map(|field| field.parse().ok())
            .collect::<Option<_>>()?;
        let [a, b, c] = fields.as_slice() else {
            return None;
        };
        let date = match self {
            Self::Iso => NaiveDate::from_ymd_opt(*a as i32, *b, *c),
            Self::MonthFirst => NaiveDate::from_ymd_opt(*c as i32, *a, *b),
            Self::DayFirst => NaiveDate::from_ymd_opt(*c as i32, *b, *a),
            _ => unreachable!("handled above"),
        }?;
        let time = match time {
            Some(time) => parse_time(time)?,
            None => NaiveTime::MIN,
        };
        Some(date.and_time(time))
    }
}

/// `text` read with the `strftime` `pattern`: a date and time, a date, or, for a pattern
/// without a day (`%Y-%m`), the month's first day, and without a month either (`%Y`), the
/// year's.
fn parse_pattern(text: &str, pattern: &str) -> Option<NaiveDateTime> {
    let midnight = |date: NaiveDate| date.and_time(NaiveTime::MIN);
    NaiveDateTime::parse_from_str(text, pattern)
        .ok()
        .or_else(|| NaiveDate::parse_from_str(text, pattern).ok().map(midnight))
        .or_else(|| {
            let with_day =
                NaiveDate::parse_from_str(&format!("{text} 1"), &format!("{pattern} %d"));
            with_day.ok().map(midnight)
        })
        .or_else(|| {
            let first =
                NaiveDate::parse_from_str(&format!("{text} 1 1"), &format!("{pattern} %m %d"));
            first.ok().map(midnight)
        })
}

/// A cell of digits alone as its format and its date and time: eight digits that make a valid
/// `YYYYMMDD` date, nine or ten digits (Unix seconds, in UTC) or twelve or thirteen (Unix
/// milliseconds); `None` for anything else, a year's four digits included (a period).
fn digits_stamp(cell: &str) -> Option<(DateFormat, NaiveDateTime)> {
    if !digits(cell) {
        return None;
    }
    let number: i64 = cell.parse().ok()?;
    let utc = |time: chrono::DateTime<chrono::Utc>| time.naive_utc();
    match cell.len() {
        8 => NaiveDate::parse_from_str(cell, "%Y%m%d")
            .ok()
            .map(|date| (DateFormat::Compact, date.and_time(NaiveTime::MIN))),
        9 | 10 => chrono::DateTime::from_timestamp(number, 0)
            .map(|time| (DateFormat::UnixSeconds, utc(time))),
        12 | 13 => chrono::DateTime::from_timestamp_millis(number)
            .map(|time| (DateFormat::UnixMilliseconds, utc(time))),
        _ => None,
    }
}

/// Whether `text` is a whole number written in digits alone (not empty).
fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// The first day of the month a decimal year (`1949.08333333333`, `1959.25`, `1871`) falls
/// in, where its fraction is a whole number of months (written to 3 decimals or more:
/// `1949.083` too); `None` for anything else (a weekly series' `1990.0192`, a cell without a
/// 4-digit year).
fn decimal_year(cell: &str) -> Option<NaiveDate> {
    decimal_year_value(cell)?;
    let (year, fraction) = cell.split_once('.').unwrap_or((cell, ""));
    let months = format!("0.{fraction}").parse::<f64>().ok()? * 12.0;
    let month = months.round();
    // a hundredth of a month: 3 decimals of a year are within 0.006 of one, and a weekly
    // series' weeks (3/13 of a month apart) are not taken for months
    if (months - month).abs() > 0.01 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month as u32 + 1, 1)
}

/// Decimals a cell of a decimal year must show, somewhere in the column, for the column to be
/// read as days (R writes 15 significant digits; a price such as `1234.56` shows two).
const MIN_FINER_DECIMALS: usize = 5;

/// A decimal year's value (`1991.1`, `1991.11916495551`, `1992`); `None` for anything else (a
/// cell without a 4-digit year).
fn decimal_year_value(cell: &str) -> Option<f64> {
    let (year, _) = cell.split_once('.').unwrap_or((cell, ""));
    plain_number(cell).filter(|_| year.len() == 4)
}

/// A number written in digits with or without a fraction (`1.42857142857143`, `53`); `None`
/// for anything else (a sign, an exponent, other characters).
fn plain_number(cell: &str) -> Option<f64> {
    let (whole, fraction) = cell.split_once('.').unwrap_or((cell, ""));
    if !digits(whole) || !(fraction.is_empty() || digits(fraction)) {
        return None;
    }
    cell.parse().ok()
}

/// The median step between the distinct values of `numbers` (sorted and deduplicated in place).
fn median_step(numbers: &mut Vec<(f64, String)>) -> Option<f64> {
    numbers.sort_by(|a, b| a.0.total_cmp(&b.0));
    numbers.dedup_by(|a, b| a.0 == b.0);
    let mut steps: Vec<f64> = (numbers.windows(2))
        .map(|pair| pair[1].0 - pair[0].0)
        .collect();
    steps.sort_by(f64::total_cmp);
    steps.get(steps.len() / 2).copied()
}

/// The cycles of a column of plain numbers (`(value, cell)`, in any order) whose usual step is
/// a whole fraction of one, `1 / per_cycle` with `per_cycle` at least 2, from the oldest;
/// `None` otherwise.
fn cycle_steps(mut numbers: Vec<(f64, String)>) -> Option<DateFormat> {
    let per_cycle = 1.0 / median_step(&mut numbers)?;
    let whole = per_cycle.round();
    if !(2.0..=f64::from(u32::MAX)).contains(&whole) || (per_cycle / whole - 1.0).abs() > 1e-4 {
        return None;
    }
    let (_, start) = numbers.swap_remove(0);
    Some(DateFormat::CycleSteps {
        start,
        per_cycle: whole as u32,
    })
}

/// The row of `value` on a grid of `per_unit` rows a unit from `start` (row 0); `None` more
/// than a hundredth of a row off it.
fn row_on_grid(value: f64, start: f64, per_unit: f64) -> Option<i64> {
    let rows = (value - start) * per_unit;
    let row = rows.round();
    ((rows - row).abs() <= 0.01).then_some(row as i64)
}

/// The grid of the decimal years among a column's plain numbers (`(value, cell)`, in any
/// order): the rows a year of their usual step (the median step between distinct values), from
/// the oldest; `None` when it is no weekly or daily grid.
fn decimal_year_steps(numbers: &[(f64, String)]) -> Option<DateFormat> {
    let mut decimals: Vec<(f64, String)> = (numbers.iter())
        .filter(|(_, cell)| decimal_year_value(cell).is_some())
        .cloned()
        .collect();
    let per_year = RowsPerYear::nearest(1.0 / median_step(&mut decimals)?)?;
    let (_, start) = decimals.swap_remove(0);
    Some(DateFormat::DecimalYearSteps { start, per_year })
}

/// The date of decimal year `cell` on the grid of `per_year` rows a year from `start`: the day
/// `start`'s fraction of its year falls on, then a week or a day a row; `None` for a cell off
/// the grid or no decimal year.
fn on_decimal_grid(cell: &str, start: &str, per_year: RowsPerYear) -> Option<NaiveDate> {
    let start_value = decimal_year_value(start)?;
    let row = row_on_grid(decimal_year_value(cell)?, start_value, per_year.rows())?;
    let year = start_value.floor() as i32;
    let first_of_year = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let days_in_year = (NaiveDate::from_ymd_opt(year + 1, 1, 1)? - first_of_year).num_days();
    let day_of_year = ((start_value - f64::from(year)) * days_in_year as f64).round() as i64;
    let days = day_of_year + row * per_year.days_per_row();
    first_of_year.checked_add_signed(chrono::TimeDelta::try_days(days)?)
}

/// The period `cell` names, as its format and its first day: a year (`1990`), a month
/// (`1990-07`, `1990/7`; or named in English, as R's tsibble writes a month, `1990 Jul`, and
/// statistics offices `July 1990`, `Jul-1990`), a quarter (`1990Q3`, `1990-Q3`, `1990 q3`) or
/// an ISO week (`1990-W27`, `1990W27`, `1990 W27`); `None` for anything else.
fn period(cell: &str) -> Option<(DateFormat, NaiveDate)> {
    if let Some((name, year)) = cell.split_once([' ', '-', '/'])
        && let Some(month) = month_named(name)
    {
        let year: i32 = Some(year)
            .filter(|year| year.len() == 4 && digits(year))?
            .parse()
            .ok()?;
        return Some((
            DateFormat::YearMonth,
            NaiveDate::from_ymd_opt(year, month, 1)?,
        ));
    }
    let (year_text, rest) = cell.split_at_checked(4)?;
    if !digits(year_text) {
        return None;
    }
    let year: i32 = year_text.parse().ok()?;
    if rest.is_empty() {
        return Some((DateFormat::Year, NaiveDate::from_ymd_opt(year, 1, 1)?));
    }
    let rest = rest.trim_start_matches(['-', ' ', '/']);
    let separated = rest.len() < cell.len() - 4;
    if let Some(quarter) = rest.strip_prefix(['Q', 'q']) {
        let quarter: u32 = quarter.parse().ok().filter(|q| (1..=4).contains(q))?;
        let first = NaiveDate::from_ymd_opt(year, 3 * quarter - 2, 1)?;
        return Some((DateFormat::YearQuarter, first));
    }
    if let Some(week) = rest
        .strip_prefix('W')
        .filter(|week| week.len() == 2 && digits(week))
    {
        let monday = NaiveDate::from_isoywd_opt(year, week.parse().ok()?, Weekday::Mon)?;
        return Some((DateFormat::IsoWeek, monday));
    }
    if separated && (1..=2).contains(&rest.len()) && digits(rest) {
        let first = NaiveDate::from_ymd_opt(year, rest.parse().ok()?, 1)?;
        return Some((DateFormat::YearMonth, first));
    }
    if separated && let Some(month) = month_named(rest) {
        return Some((
            DateFormat::YearMonth,
            NaiveDate::from_ymd_opt(year, month, 1)?,
        ));
    }
    None
}

/// A date written with its month's English name and a four-digit year, the day before the
/// month (`5-Jan-2020`, `05 Jan 2020`, `2020-Jan-05`) or after it (`Jan 05, 2020`,
/// `January 5 2020`), optionally followed by a time (`05-Jan-2020 09:30`); `None` for anything
/// else, a two-digit year included (`5-Jan-20` is 1920 or 2020).
fn named_month_date(cell: &str) -> Option<NaiveDateTime> {
    let mut fields: Vec<&str> = (cell.split([' ', '-', '/', ',']))
        .filter(|field| !field.is_empty())
        .collect();
    let time = match fields.last() {
        Some(last) if last.contains(':') => {
            let time = parse_time(last)?;
            fields.pop();
            time
        }
        _ => NaiveTime::MIN,
    };
    let [first, second, third] = fields.as_slice() else {
        return None;
    };
    let number = |text: &str, lengths: std::ops::RangeInclusive<usize>| -> Option<u32> {
        (lengths.contains(&text.len()) && digits(text)).then(|| text.parse().ok())?
    };
    let (day, month, year) = match month_named(second) {
        Some(month) => match number(first, 1..=2) {
            Some(day) => (day, month, number(third, 4..=4)?),
            None => (number(third, 1..=2)?, month, number(first, 4..=4)?),
        },
        None => (
            number(second, 1..=2)?,
            month_named(first)?,
            number(third, 4..=4)?,
        ),
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(date.and_time(time))
}

/// The `strftime` pattern of a day, a month's English name and a two-digit year with one
/// separator (`5-Jan-20`, as a spreadsheet writes `d-mmm-yy`: `%d-%b-%y`); `None` for
/// anything else.
fn two_digit_year_pattern(cell: &str) -> Option<String> {
    let separator = [' ', '-', '/'].into_iter().find(|&c| cell.contains(c))?;
    let [day, month, year] = cell.split(separator).collect::<Vec<_>>()[..] else {
        return None;
    };
    let numbers = (1..=2).contains(&day.len()) && digits(day) && year.len() == 2 && digits(year);
    let name = match month.len() {
        3 => "%b",
        _ => "%B",
    };
    (numbers && month_named(month).is_some()).then(|| format!("%d{separator}{name}{separator}%y"))
}

/// The month (1 to 12) an English name or its first three letters or more name (`Jan`,
/// `Sept`, `SEPTEMBER`); `None` for anything else.
fn month_named(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let name = name.to_ascii_lowercase();
    if name.len() < 3 {
        return None;
    }
    let month = MONTHS.iter().position(|month| month.starts_with(&name))?;
    Some(month as u32 + 1)
}

/// The UTC offset a date-time cell ends with (`Z`, `±HH:MM`, `±HHMM` or `±HH` after its time),
/// in seconds east of UTC; `None` for a cell without one.
pub fn utc_offset_seconds(text: &str) -> Option<i32> {
    let (_, time) = text.trim().split_once(['T', ' '])?;
    let offset = split_offset(time.trim()).1?;
    if offset == "Z" {
        return Some(0);
    }
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
    let (hours, minutes) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    Some(sign * (hours * 3600 + minutes * 60))
}

/// A time of day split into its local part and the UTC offset it ends with, if any (`Z`, or
/// from its sign on: `+02:00`).
fn split_offset(time: &str) -> (&str, Option<&str>) {
    if time.ends_with('Z') {
        return (time.trim_end_matches('Z'), Some("Z"));
    }
    match time.rfind(['+', '-']) {
        Some(sign) if sign > 0 => (&time[..sign], Some(&time[sign..])),
        _ => (time, None),
    }
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`, optionally followed by a UTC offset (`Z`, `±HH:MM`,
/// `±HHMM`), which is dropped: the local time is kept.
fn parse_time(text: &str) -> Option<NaiveTime> {
    let (local, _) = split_offset(text);
    ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M"]
        .iter()
        .find_map(|format| NaiveTime::parse_from_str(local.trim(), format).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_whole_numbers_named_by_the_config_and_never_detected() {
        assert_eq!(DateFormat::from_config("step"), DateFormat::Step);
        assert_eq!(
            DateFormat::from_config("%Y%m"),
            DateFormat::Pattern("%Y%m".into())
        );
        let read: Vec<Option<i64>> = ["1", " -3 ", "12.0", "1e3", "1.5", "x", "", "inf"]
            .iter()
            .map(|cell| DateFormat::step(cell))
            .collect();
        assert_eq!(
            read,
            [
                Some(1),
                Some(-3),
                Some(12),
                Some(1000),
                None,
                None,
                None,
                None
            ]
        );
        assert_eq!(DateFormat::Step.parse("1"), None);
        assert_ne!(DateFormat::detect(["1", "2", "3"]), Some(DateFormat::Step));
        assert!(
            DateFormat::Iso
                .describe_for("7")
                .contains("date_format = \"step\"")
        );
    }

    fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(year, month, day)
            .unwrap()
            .and_hms_opt(hour, minute, 0)
            .unwrap()
    }

    #[test]
    fn every_written_form_of_a_date_is_read() {
        let cases = [
            (DateFormat::Iso, "2021-01-04", at(2021, 1, 4, 0, 0)),
            (DateFormat::Iso, "2021-01-04 00:00:00", at(2021, 1, 4, 0, 0)),
            (DateFormat::Iso, "2021-01-04T09:30", at(2021, 1, 4, 9, 30)),
            (
                DateFormat::Iso,
                "2021-01-04T09:30:00Z",
                at(2021, 1, 4, 9, 30),
            ),
            (
                DateFormat::Iso,
                "2021-01-04T09:30:00.250+09:00",
                chrono::Timelike::with_nanosecond(&at(2021, 1, 4, 9, 30), 250_000_000).unwrap(),
            ),
            (
                DateFormat::Iso,
                "2021-01-04 09:30:00-0500",
                at(2021, 1, 4, 9, 30),
            ),
            (DateFormat::MonthFirst, "1/4/2021", at(2021, 1, 4, 0, 0)),
            (
                DateFormat::MonthFirst,
                "12/31/2018 16:00",
                at(2018, 12, 31, 16, 0),
            ),
            (DateFormat::DayFirst, "04.01.2021", at(2021, 1, 4, 0, 0)),
            (DateFormat::DayFirst, "31/12/2018", at(2018, 12, 31, 0, 0)),
            (
                DateFormat::Pattern("%Y%m%d".into()),
                "20210104",
                at(2021, 1, 4, 0, 0),
            ),
            (
                DateFormat::Pattern("%d %b %Y %H:%M".into()),
                "04 Jan 2021 10:15",
                at(2021, 1, 4, 10, 15),
            ),
            (DateFormat::NamedMonth, "4-Jan-2021", at(2021, 1, 4, 0, 0)),
            (DateFormat::NamedMonth, "04 JAN 2021", at(2021, 1, 4, 0, 0)),
            (DateFormat::NamedMonth, "Jan 04, 2021", at(2021, 1, 4, 0, 0)),
            (
                DateFormat::NamedMonth,
                "January 4 2021",
                at(2021, 1, 4, 0, 0),
            ),
            (DateFormat::NamedMonth, "2021-Jan-04", at(2021, 1, 4, 0, 0)),
            (
                DateFormat::NamedMonth,
                "04-Jan-2021 10:15",
                at(2021, 1, 4, 10, 15),
            ),
        ];
        for (format, text, expected) in cases {
            assert_eq!(format.parse(text), Some(expected), "{format:?} {text}");
        }
        for (format, text) in [
            (DateFormat::Iso, "2021-13-04"),
            (DateFormat::Iso, "04/01/2021"),
            (DateFormat::MonthFirst, "13/4/2021"),
            (DateFormat::Iso, "2021-01-04 25:00"),
            (DateFormat::Iso, ""),
            (DateFormat::NamedMonth, "4-Jan-21"),
            (DateFormat::NamedMonth, "31-Feb-2021"),
            (DateFormat::NamedMonth, "Jan 2021"),
            (DateFormat::NamedMonth, "4-Jam-2021"),
        ] {
            assert_eq!(format.parse(text), None, "{format:?} {text:?}");
        }
    }

    #[test]
    fn a_utc_offset_is_read_in_seconds_east() {
        assert_eq!(utc_offset_seconds("2023-10-29T02:00:00+02:00"), Some(7200));
        assert_eq!(utc_offset_seconds("2023-10-29 02:00:00+0100"), Some(3600));
        assert_eq!(
            utc_offset_seconds("2021-01-04T09:30:00.250-05:30"),
            Some(-19_800)
        );
        assert_eq!(utc_offset_seconds("2021-01-04T09:30Z"), Some(0));
        assert_eq!(utc_offset_seconds("2021-01-04T09:30:00+09"), Some(32_400));
        assert_eq!(utc_offset_seconds("2021-01-04 09:30:00"), None);
        assert_eq!(utc_offset_seconds("2021-01-04"), None);
    }

    #[test]
    fn the_format_is_detected_from_the_whole_column() {
        assert_eq!(DateFormat::detect(["2021-01-04"]), Some(DateFormat::Iso));
        assert_eq!(
            DateFormat::detect(["", "2021-01-04T10:00:00"]),
            Some(DateFormat::Iso)
        );
        // US unless a first field exceeds 12 or the separator is a dot
        assert_eq!(
            DateFormat::detect(["1/4/2021", "1/5/2021"]),
            Some(DateFormat::MonthFirst)
        );
        assert_eq!(
            DateFormat::detect(["01/04/2021", "13/04/2021"]),
            Some(DateFormat::DayFirst)
        );
        assert_eq!(
            DateFormat::detect(["04.01.2021"]),
            Some(DateFormat::DayFirst)
        );
        assert_eq!(
            DateFormat::detect(["12/01/2018", "12/31/2018"]),
            Some(DateFormat::MonthFirst)
        );
        // the month's name: a day's date, or a month's (a period) without a day
        for cell in ["5-Jan-2020", "Jan 05, 2020", "05 January 2020 09:30"] {
            assert_eq!(DateFormat::detect([cell]), Some(DateFormat::NamedMonth));
        }
        assert_eq!(
            DateFormat::detect(["Jan-2020"]),
            Some(DateFormat::YearMonth)
        );
        assert_eq!(DateFormat::detect(["5-Jan-20"]), None);
        // a two-digit year is not guessed, but its pattern is named and reads it
        assert!(
            DateFormat::Iso
                .describe_for("5-Jan-20")
                .contains("\"%d-%b-%y\"")
        );
        assert!(
            DateFormat::Iso
                .describe_for("05 March 99")
                .contains("\"%d %B %y\"")
        );
        assert!(!DateFormat::Iso.describe_for("5-Jan-2020").contains("%y"));
        assert_eq!(
            DateFormat::Pattern("%d-%b-%y".into()).parse("5-Jan-20"),
            Some(at(2020, 1, 5, 0, 0))
        );
        assert_eq!(
            DateFormat::Pattern("%d %B %y".into()).parse("05 March 99"),
            Some(at(1999, 3, 5, 0, 0))
        );
        assert_eq!(DateFormat::detect(["yesterday", ""]), None);
    }

    /// Midnight of a day.
    fn day(year: i32, month: u32, day: u32) -> NaiveDateTime {
        at(year, month, day, 0, 0)
    }

    #[test]
    fn periods_are_detected_and_read_as_their_first_day() {
        let cases = [
            (["1871", "1872"], DateFormat::Year, day(1871, 1, 1)),
            (
                ["1991-07", "1991-08"],
                DateFormat::YearMonth,
                day(1991, 7, 1),
            ),
            (["1991/7", "1991/8"], DateFormat::YearMonth, day(1991, 7, 1)),
            (
                ["1990Q3", "1990Q4"],
                DateFormat::YearQuarter,
                day(1990, 7, 1),
            ),
            (
                ["1990-Q3", "1990-Q4"],
                DateFormat::YearQuarter,
                day(1990, 7, 1),
            ),
            (
                ["1990 q3", "1990 q4"],
                DateFormat::YearQuarter,
                day(1990, 7, 1),
            ),
            // ISO week 1 of 2021 starts on Monday 4 January
            (
                ["2021-W01", "2021-W02"],
                DateFormat::IsoWeek,
                day(2021, 1, 4),
            ),
            (["2021W01", "2021W02"], DateFormat::IsoWeek, day(2021, 1, 4)),
            // R's tsibble writes a month as "1975 Jan" and a week as "2021 W01"
            (
                ["1975 Jan", "1975 Feb"],
                DateFormat::YearMonth,
                day(1975, 1, 1),
            ),
            (
                ["2021 W01", "2021 W02"],
                DateFormat::IsoWeek,
                day(2021, 1, 4),
            ),
            (
                ["September 2019", "October 2019"],
                DateFormat::YearMonth,
                day(2019, 9, 1),
            ),
            (
                ["Sept-2019", "Oct-2019"],
                DateFormat::YearMonth,
                day(2019, 9, 1),
            ),
            (
                ["2019-DEC", "2020-JAN"],
                DateFormat::YearMonth,
                day(2019, 12, 1),
            ),
        ];
        for (cells, format, first) in cases {
            assert_eq!(DateFormat::detect(cells), Some(format.clone()), "{cells:?}");
            assert_eq!(format.parse(cells[0]), Some(first), "{cells:?}");
        }
        // R's time() of a monthly and a quarterly ts: decimal years of whole months, their
        // Januaries written as plain years
        let cases = [
            (
                &["1949", "1949.08333333333", "1949.91666666667"][..],
                [day(1949, 1, 1), day(1949, 2, 1), day(1949, 12, 1)],
            ),
            (
                &["1959.25", "1959.5", "1959.75"][..],
                [day(1959, 4, 1), day(1959, 7, 1), day(1959, 10, 1)],
            ),
            (
                &["1949.0", "1949.083", "1949.917"][..],
                [day(1949, 1, 1), day(1949, 2, 1), day(1949, 12, 1)],
            ),
        ];
        for (cells, dates) in cases {
            assert_eq!(DateFormat::detect(cells), Some(DateFormat::DecimalYear));
            for (cell, date) in cells.iter().zip(dates) {
                assert_eq!(DateFormat::DecimalYear.parse(cell), Some(date), "{cell}");
            }
        }
        // whole years alone stay years; a weekly ts' weeks and two decimals are no months
        assert_eq!(DateFormat::detect(["1871", "1872"]), Some(DateFormat::Year));
        assert_eq!(
            DateFormat::detect(["1871.12", "1872.34"]),
            None,
            "two decimals are no decimal year's"
        );
        for cell in ["1990.01923076923", "1949.42", "49.5", "1949.5.1", "1949.x"] {
            assert_eq!(DateFormat::DecimalYear.parse(cell), None, "{cell}");
        }
        // not periods: a day, a decimal year, a compact date, a 13th month, a 5th quarter
        for cell in [
            "1990-07-01",
            "1871.5",
            "19900701",
            "1990-13",
            "1990Q5",
            "1990-W54",
            "1990 Ja",
            "1990 Janus",
            "Jan 5 1990",
            "Jan-90",
            "Mar 1990 12:00",
        ] {
            assert_eq!(period(cell), None, "{cell}");
        }
        // a period of another kind than the column's is not a date of it
        assert_eq!(DateFormat::YearMonth.parse("1990Q3"), None);
        assert_eq!(DateFormat::Year.parse("1990-07"), None);
    }

    #[test]
    fn a_ts_time_in_cycles_is_read_as_time_steps() {
        // R's time() of fpp2's hyndsight (daily, frequency 7), from its fourth day of week 1
        let cells: Vec<String> = (0..365)
            .map(|day| format!("{}", 1.0 + f64::from(day + 3) / 7.0))
            .map(|cell| cell.chars().take(16).collect())
            .collect();
        assert_eq!(cells[0], "1.42857142857142");
        let format = DateFormat::detect(cells.iter().rev()).expect("cycles");
        assert_eq!(
            format,
            DateFormat::CycleSteps {
                start: cells[0].clone(),
                per_cycle: 7
            }
        );
        assert!(format.is_steps());
        let steps: Vec<Option<i64>> = cells.iter().map(|cell| format.step_of(cell)).collect();
        assert!(
            steps
                .iter()
                .enumerate()
                .all(|(i, step)| *step == Some(i as i64))
        );
        // off the grid, or no plain number, is no step; nor is it a date
        assert_eq!(format.step_of("1.5"), None);
        assert_eq!(format.step_of("-1.5"), None);
        assert_eq!(format.parse("2"), None);
        assert!(format.describe().contains("cycles of 7 rows"));
        // steps of a whole cycle, or numbers to two decimals, are no cycles
        assert_eq!(DateFormat::detect(["1.000001", "2.000001"]), None);
        assert_eq!(DateFormat::detect(["1.25", "1.5", "1.75"]), None);
    }

    /// `cells` read by `format`, asserting that each is read `days` after the one before.
    fn read_days_apart(format: &DateFormat, cells: &[String], days: i64) -> Vec<NaiveDateTime> {
        let dates: Vec<NaiveDateTime> = (cells.iter())
            .map(|cell| format.parse(cell).expect(cell))
            .collect();
        assert!(
            dates
                .windows(2)
                .all(|pair| (pair[1] - pair[0]).num_days() == days),
            "{format:?}"
        );
        dates
    }

    #[test]
    fn a_weekly_ts_decimal_years_are_read_a_week_apart() {
        // R's time() of fpp2's gasoline (frequency 365.25 / 7), as write.csv writes it: the
        // first cell short, the others to 15 significant digits
        let cells: Vec<String> = (0..1355)
            .map(|week| match week {
                0 => "1991.1".to_string(),
                _ => format!("{:.11}", 1991.1 + f64::from(week) * 7.0 / 365.25),
            })
            .collect();
        assert_eq!(cells[1], "1991.11916495551");
        let format = DateFormat::DecimalYearSteps {
            start: "1991.1".into(),
            per_year: RowsPerYear::WeeksOfYear,
        };
        assert_eq!(DateFormat::detect(cells.iter().rev()), Some(format.clone()));
        let dates = read_days_apart(&format, &cells, 7);
        assert_eq!(dates[0], day(1991, 2, 6));
        // a cell off the grid, or without its year's four digits, is no date
        assert_eq!(format.parse("1991.12"), None);
        assert!(
            format
                .describe()
                .contains("365.25 / 7 rows a year from 1991.1")
        );
        assert_eq!(format.parse("91.5"), None);
        // a ts of 52 weeks a year, from its first January, and one of 365 days a year: a week
        // or a day a row, across years 52.18 weeks and 365.25 days long
        for (per_year, rows, days) in [(RowsPerYear::Weeks, 400, 7), (RowsPerYear::Days, 800, 1)] {
            let cells: Vec<String> = (0..rows)
                .map(|row| format!("{}", 2000.0 + f64::from(row) / per_year.rows()))
                .map(|cell| cell.chars().take(16).collect())
                .collect();
            let format = DateFormat::detect(&cells).expect("a grid");
            assert_eq!(
                format,
                DateFormat::DecimalYearSteps {
                    start: "2000".into(),
                    per_year
                }
            );
            let dates = read_days_apart(&format, &cells, days);
            assert_eq!(dates[0], day(2000, 1, 1));
        }
    }
    #[test]
    fn compact_dates_and_unix_times_are_detected_and_read() {
        let cases = [
            (
                ["20210104", "20210105"],
                DateFormat::Compact,
                day(2021, 1, 4),
            ),
            (
                ["1577836800", "1577840400"],
                DateFormat::UnixSeconds,
                day(2020, 1, 1),
            ),
            (
                ["1577838600000", "1577842200000"],
                DateFormat::UnixMilliseconds,
                at(2020, 1, 1, 0, 30),
            ),
            (
                ["999999999", "1000003599"],
                DateFormat::UnixSeconds,
                at(2001, 9, 9, 1, 46) + chrono::Duration::seconds(39),
            ),
        ];
        for (cells, format, first) in cases {
            assert_eq!(DateFormat::detect(cells), Some(format.clone()), "{cells:?}");
            assert_eq!(format.parse(cells[0]), Some(first), "{cells:?}");
        }
        // eight digits that are no date, and lengths of neither seconds nor milliseconds
        for cell in ["20211304", "12345", "12345678901", "12345678901234"] {
            assert_eq!(digits_stamp(cell), None, "{cell}");
        }
        // a cell of another kind than the column's is not a date of it
        assert_eq!(DateFormat::UnixSeconds.parse("1577836800000"), None);
        assert_eq!(DateFormat::Compact.parse("1577836800"), None);
        assert_eq!(DateFormat::UnixSeconds.parse("2021-01-04"), None);
    }

    #[test]
    fn a_pattern_without_a_day_reads_the_periods_first_day() {
        let pattern = |text: &str| DateFormat::Pattern(text.into());
        assert_eq!(pattern("%Y-%m").parse("1991-07"), Some(day(1991, 7, 1)));
        assert_eq!(pattern("%b %Y").parse("Jul 1991"), Some(day(1991, 7, 1)));
        assert_eq!(pattern("%Y%m").parse("199107"), Some(day(1991, 7, 1)));
        assert_eq!(pattern("%Y").parse("1871"), Some(day(1871, 1, 1)));
        assert_eq!(pattern("%Y-%m").parse("1991-13"), None);
    }
}
