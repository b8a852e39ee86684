//! Sliding windows over a series and their chronological split into train, validation and test.
//!
//! Windows are row ranges, not copies: scaling is fitted on the training rows only, after the
//! split, and the values are read out last (see [`crate::prepare()`]).

use crate::DataError;

/// The shape of each sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    /// Input steps per window.
    pub window_len: usize,
    /// Target steps after the window's last day (1 = the next day).
    pub horizon: usize,
    /// Steps between the starts of consecutive windows.
    pub stride: usize,
}

/// One sample as rows of the series: inputs `start .. start + window_len`, targets the
/// `horizon` rows after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First input row.
    pub start: usize,
    /// Input steps.
    pub window_len: usize,
    /// Target steps.
    pub horizon: usize,
}

impl Window {
    /// The last input row: "today" for the forecast.
    pub fn last_input_row(&self) -> usize {
        self.start + self.window_len - 1
    }

    /// The first target row.
    pub fn first_target_row(&self) -> usize {
        self.start + self.window_len
    }

    /// The last target row.
    pub fn last_target_row(&self) -> usize {
        self.start + self.window_len + self.horizon - 1
    }

    /// The target rows.
    pub fn target_rows(&self) -> std::ops::Range<usize> {
        self.first_target_row()..self.last_target_row() + 1
    }
}

/// Windows evenly spaced over a series, as a description rather than a list: the `count`
/// windows starting at `first_start`, `first_start + stride`, … Memory does not grow with the
/// number of windows, so a split of ten million windows costs a few words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowRun {
    /// The first window's first input row.
    pub first_start: usize,
    /// Rows between the starts of consecutive windows (at least 1 when `count > 1`).
    pub stride: usize,
    /// How many windows.
    pub count: usize,
    /// Input steps of every window.
    pub window_len: usize,
    /// Target steps of every window.
    pub horizon: usize,
}

impl WindowRun {
    /// Number of windows.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the run holds no window.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The `index`-th window, oldest first.
    pub fn get(&self, index: usize) -> Option<Window> {
        (index < self.count).then(|| Window {
            start: self.first_start + index * self.stride,
            window_len: self.window_len,
            horizon: self.horizon,
        })
    }

    /// The oldest window.
    pub fn first(&self) -> Option<Window> {
        self.get(0)
    }

    /// The newest window.
    pub fn last(&self) -> Option<Window> {
        self.count.checked_sub(1).and_then(|index| self.get(index))
    }

    /// The windows, oldest first.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Window> + '_ {
        (0..self.count).map(|index| self.get(index).expect("index < count"))
    }

    /// The windows `range` of this run (indices clamped to it), as a run.
    pub fn sub_run(&self, range: std::ops::Range<usize>) -> WindowRun {
        let end = range.end.min(self.count);
        let start = range.start.min(end);
        WindowRun {
            first_start: self.first_start + start * self.stride,
            count: end - start,
            ..*self
        }
    }

    /// How many of the oldest windows have every target before `row`: the last target row
    /// grows with the index, so they are a prefix (in closed form).
    pub fn count_ending_before(&self, row: usize) -> usize {
        self.count_before(self.window_len + self.horizon - 1, row)
    }

    /// How many of the oldest windows have their first target before `row` (a prefix too).
    pub fn count_starting_before(&self, row: usize) -> usize {
        self.count_before(self.window_len, row)
    }

    /// How many of the oldest windows have their row `offset` rows after their start before
    /// `row`.
    fn count_before(&self, offset: usize, row: usize) -> usize {
        match row.checked_sub(self.first_start + offset) {
            None | Some(0) => 0,
            Some(gap) => self.count.min((gap - 1) / self.stride.max(1) + 1),
        }
    }

    /// The windows in a list.
    pub fn to_vec(&self) -> Vec<Window> {
        self.iter().collect()
    }
}

/// Every window that fits in `rows` rows, oldest first, aligned so that the newest window's
/// last target is the series' last row.
pub fn windows(rows: usize, spec: WindowSpec) -> WindowRun {
    let span = spec.window_len + spec.horizon;
    let empty = WindowRun {
        window_len: spec.window_len,
        horizon: spec.horizon,
        stride: spec.stride.max(1),
        ..WindowRun::default()
    };
    if spec.window_len == 0 || spec.horizon == 0 || spec.stride == 0 || rows < span {
        return empty;
    }
    let last_start = rows - span;
    let count = last_start / spec.stride + 1;
    WindowRun {
        first_start: last_start - (count - 1) * spec.stride,
        count,
        ..empty
    }
}

/// How many of the newest rows to hold out: the series splits into consecutive periods
/// train | valid | test, counted in target time steps (rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SplitSpec {
    /// Rows of the test period: the newest ones.
    pub test_len: usize,
    /// Rows of the validation period, just before the test period (0 = none).
    pub valid_len: usize,
}

/// The windows of each split, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitWindows {
    /// Windows to train on: every target of each comes before the validation period (before the
    /// test period when there is none).
    pub train: WindowRun,
    /// Validation windows (may be empty): every target inside the validation period.
    pub valid: WindowRun,
    /// Test windows: every target inside the test period; their first targets are the forecast
    /// origins' next rows.
    pub test: WindowRun,
    /// The first row of the validation period (the test period's when there is none).
    first_held_out_row: usize,
}

impl SplitWindows {
    /// The last row any training window reads, input or target: what the scaler may see.
    pub fn last_training_row(&self) -> Option<usize> {
        self.train.last().map(|window| window.last_target_row())
    }

    /// The first held-out row: the first of the validation period, or else of the test period.
    pub fn first_held_out_row(&self) -> usize {
        self.first_held_out_row
    }

    /// Keeps only the training windows whose targets all lie before `row` (a boundary another
    /// series sets); `None` when none is left.
    pub fn train_before(&self, row: usize) -> Option<SplitWindows> {
        let kept = self.train.count_ending_before(row);
        (kept > 0).then(|| SplitWindows {
            train: self.train.sub_run(0..kept),
            ..self.clone()
        })
    }
}

/// Splits `windows` (aligned on the series' last row, as [`windows`] makes them) into the
/// periods of `spec`: the newest `test_len` rows are the test period, the `valid_len` rows
/// before them the validation period, the rest the training period. A window belongs to a split
/// only when every one of its targets lies in that split's period, so no validation or training
/// target is a test-period value, and no training target a validation-period value; windows
/// that straddle two periods are dropped.
///
/// With `test_len = 0` there is no test period (the production fit, which forecasts past the
/// series' end): the test split is empty, and with `valid_len = 0` too every window trains.
///
/// Returns `None` when no training window would remain, when a test period is asked for and
/// holds no window, or when a validation period is asked for and holds no window.
pub fn split(windows: &WindowRun, spec: SplitSpec) -> Option<SplitWindows> {
    let rows = windows.last()?.last_target_row() + 1;
    let held_out = spec.test_len.checked_add(spec.valid_len)?;
    if held_out >= rows {
        return None;
    }
    let test_start = rows - spec.test_len;
    let valid_start = rows - held_out;
    let test = windows.sub_run(windows.count_starting_before(test_start)..windows.len());
    let valid = windows.sub_run(
        windows.count_starting_before(valid_start)..windows.count_ending_before(test_start),
    );
    let train = windows.sub_run(0..windows.count_ending_before(valid_start));
    let missing = |len: usize, split: &WindowRun| len > 0 && split.is_empty();
    if train.is_empty() || missing(spec.test_len, &test) || missing(spec.valid_len, &valid) {
        return None;
    }
    Some(SplitWindows {
        train,
        valid,
        test,
        first_held_out_row: valid_start,
    })
}

/// Windows over `rows` rows, split; or an error saying how many rows would be needed.
/// `test_len = 0` asks for no test period (see [`split`]).
pub fn split_series(
    source_name: &str,
    rows: usize,
    window: WindowSpec,
    held_out: SplitSpec,
) -> Result<SplitWindows, DataError> {
    check_window_spec(window)?;
    check_count("test_len", held_out.test_len, 0)?;
    check_count("valid_len", held_out.valid_len, 0)?;
    if let Some(message) = periods_without_windows(window, held_out) {
        let key = match held_out.test_len < window.horizon {
            true => "test_len",
            false => "valid_len",
        };
        return Err(DataError::InvalidSetting { key, message });
    }
    split(&windows(rows, window), held_out).ok_or_else(|| DataError::TooShort {
        source_name: source_name.to_string(),
        rows,
        needed: rows_needed(window, held_out),
        window_len: window.window_len,
        horizon: window.horizon,
        stride: window.stride,
        test_len: held_out.test_len,
        valid_len: held_out.valid_len,
    })
}

/// The largest value of each step-count setting (`window_len`, `horizon`, `stride`, `test_len`,
/// `valid_len`): ten million steps, far beyond any series Yoho reads in memory, and small enough
/// that sizes computed from them cannot overflow.
pub const MAX_STEPS: usize = 10_000_000;

/// Checks every step count of a config against its range (at least 1, `valid_len` at least 0,
/// at most [`MAX_STEPS`]); the error names the key.
pub(crate) fn check_spec(window: WindowSpec, held_out: SplitSpec) -> Result<(), DataError> {
    check_window_spec(window)?;
    check_count("test_len", held_out.test_len, 1)?;
    check_count("valid_len", held_out.valid_len, 0)
}

fn check_window_spec(window: WindowSpec) -> Result<(), DataError> {
    check_count("window_len", window.window_len, 1)?;
    check_count("horizon", window.horizon, 1)?;
    check_count("stride", window.stride, 1)
}

/// `value` of the setting `key` within `least..=MAX_STEPS`, or an error naming the key.
fn check_count(key: &'static str, value: usize, least: usize) -> Result<(), DataError> {
    match (least..=MAX_STEPS).contains(&value) {
        true => Ok(()),
        false => Err(DataError::InvalidSetting {
            key,
            message: format!(
                "expected a whole number of at least {least} and at most {MAX_STEPS} (the limit), got {value}"
            ),
        }),
    }
}

/// The fewest rows for which [`split`] leaves a training window (and, with `horizon` ≤
/// `test_len`, a test window), in closed form.
///
/// Windows are aligned on the series' last row, `stride` apart: their starts are
/// `rows − window_len − horizon − k·stride`. A training window's last target must come before
/// the held-out `test_len + valid_len` rows, so `k ≥ ⌈held_out / stride⌉`, and that window must
/// start at row 0 or later. A validation period needs a window inside it too: with
/// `valid_len > 0`, `k·stride` must also fall within `test_len .. test_len + valid_len −
/// horizon` for some `k` (see [`split`], which says when no row count suffices). Saturates
/// instead of overflowing.
pub fn rows_needed(window: WindowSpec, held_out: SplitSpec) -> usize {
    let stride = window.stride.max(1);
    let span = window.window_len.saturating_add(window.horizon);
    let held = held_out.test_len.saturating_add(held_out.valid_len);
    span.saturating_add(held.div_ceil(stride).saturating_mul(stride))
}

/// Why the held-out periods hold no window whatever the series' length, if they do not: a test
/// (or validation) period shorter than the horizon, or one that no window of the stride fits in.
pub fn periods_without_windows(window: WindowSpec, held_out: SplitSpec) -> Option<String> {
    let (horizon, stride) = (window.horizon, window.stride.max(1));
    if (1..horizon).contains(&held_out.test_len) {
        return Some(format!(
            "test_len = {} rows cannot hold one window of horizon = {horizon} targets (the \
             test period must be at least the horizon: with test_len = horizon, one forecast \
             origin)",
            held_out.test_len
        ));
    }
    if held_out.valid_len > 0 {
        // validation windows end k·stride rows before the last row, for k with
        // test_len ≤ k·stride ≤ test_len + valid_len − horizon
        let fits = held_out.valid_len.checked_sub(horizon).is_some_and(|room| {
            let first = held_out.test_len.div_ceil(stride) * stride;
            first <= held_out.test_len + room
        });
        if !fits {
            return Some(format!(
                "valid_len = {} rows hold no window of horizon = {horizon} targets every \
                 stride = {stride} rows (make valid_len at least the horizon, and longer than \
                 the stride, or 0 for no validation)",
                held_out.valid_len
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The article's table: 100, 102, 105, 103, 106, 108, 107, 109.
    const ARTICLE: [f64; 8] = [100.0, 102.0, 105.0, 103.0, 106.0, 108.0, 107.0, 109.0];

    fn spec(window_len: usize, horizon: usize, stride: usize) -> WindowSpec {
        WindowSpec {
            window_len,
            horizon,
            stride,
        }
    }

    fn inputs_and_target(window: &Window) -> (Vec<f64>, Vec<f64>) {
        let inputs = ARTICLE[window.start..window.first_target_row()].to_vec();
        let targets = ARTICLE[window.target_rows()].to_vec();
        (inputs, targets)
    }

    #[test]
    fn article_table_gives_its_three_windows() {
        let all = windows(ARTICLE.len(), spec(5, 1, 1));
        let pairs: Vec<_> = all.iter().map(|w| inputs_and_target(&w)).collect();
        assert_eq!(
            pairs,
            vec![
                (vec![100.0, 102.0, 105.0, 103.0, 106.0], vec![108.0]),
                (vec![102.0, 105.0, 103.0, 106.0, 108.0], vec![107.0]),
                (vec![105.0, 103.0, 106.0, 108.0, 107.0], vec![109.0]),
            ]
        );
    }

    #[test]
    fn stride_keeps_the_newest_window() {
        let all = windows(ARTICLE.len(), spec(2, 1, 2));
        let starts: Vec<usize> = all.iter().map(|w| w.start).collect();
        assert_eq!(starts, vec![1, 3, 5]);
        assert_eq!(all.last().unwrap().last_target_row(), ARTICLE.len() - 1);
    }

    #[test]
    fn horizon_targets_are_the_next_k_values() {
        let all = windows(ARTICLE.len(), spec(3, 2, 1));
        let (inputs, targets) = inputs_and_target(&all.first().unwrap());
        assert_eq!(inputs, vec![100.0, 102.0, 105.0]);
        assert_eq!(targets, vec![103.0, 106.0]);
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn split_holds_out_the_newest_targets_in_order() {
        let all = windows(20, spec(3, 1, 1)); // 17 windows, targets rows 3..=19
        let parts = split(
            &all,
            SplitSpec {
                test_len: 4,
                valid_len: 3,
            },
        )
        .unwrap();
        let targets = |ws: &WindowRun| ws.iter().map(|w| w.first_target_row()).collect::<Vec<_>>();
        assert_eq!(targets(&parts.test), vec![16, 17, 18, 19]);
        assert_eq!(targets(&parts.valid), vec![13, 14, 15]);
        assert_eq!(targets(&parts.train), (3..13).collect::<Vec<_>>());
        assert_eq!(parts.last_training_row(), Some(12));
    }

    #[test]
    fn without_a_test_period_the_newest_rows_validate_and_all_else_trains() {
        // the production fit: 20 rows, horizon 2; windows' first targets at rows 3..=18
        let all = windows(20, spec(3, 2, 1));
        let targets = |ws: &WindowRun| ws.iter().map(|w| w.first_target_row()).collect::<Vec<_>>();
        let parts = split(
            &all,
            SplitSpec {
                test_len: 0,
                valid_len: 4,
            },
        )
        .unwrap();
        assert!(parts.test.is_empty());
        // validation targets all in rows 16..=19, training targets all before row 16
        assert_eq!(targets(&parts.valid), vec![16, 17, 18]);
        assert_eq!(targets(&parts.train), (3..15).collect::<Vec<_>>());
        assert_eq!(parts.first_held_out_row(), 16);
        // nothing held out: every window trains, the last one ending on the last row
        let parts = split(&all, SplitSpec::default()).unwrap();
        assert_eq!(targets(&parts.train), (3..19).collect::<Vec<_>>());
        assert!(parts.valid.is_empty() && parts.test.is_empty());
        assert_eq!(parts.last_training_row(), Some(19));
    }

    #[test]
    fn multi_step_training_targets_never_reach_held_out_targets() {
        let all = windows(30, spec(4, 3, 1));
        let parts = split(
            &all,
            SplitSpec {
                test_len: 5,
                valid_len: 4,
            },
        )
        .unwrap();
        let first_held_out = parts.valid.first().unwrap().first_target_row();
        assert_eq!(first_held_out, 21);
        assert!(
            parts
                .train
                .iter()
                .all(|w| w.last_target_row() < first_held_out)
        );
        // the windows that straddle a boundary are dropped, not trained on: two between
        // training and validation, two between validation and test
        assert_eq!(
            parts.train.len() + 2 + parts.valid.len() + 2 + parts.test.len(),
            all.len()
        );
    }

    /// Windows per split by hand: 20 rows, 3 inputs, horizon 3, 6 test and 4 validation rows.
    #[test]
    fn multi_step_periods_hold_only_their_own_targets() {
        let all = windows(20, spec(3, 3, 1)); // first targets 3..=17
        let parts = split(
            &all,
            SplitSpec {
                test_len: 6,
                valid_len: 4,
            },
        )
        .unwrap();
        let targets = |ws: &WindowRun| {
            ws.iter()
                .map(|w| w.target_rows().collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        // test period: rows 14..=19; four origins
        assert_eq!(
            targets(&parts.test),
            vec![
                vec![14, 15, 16],
                vec![15, 16, 17],
                vec![16, 17, 18],
                vec![17, 18, 19]
            ]
        );
        // validation period: rows 10..=13; two windows
        assert_eq!(
            targets(&parts.valid),
            vec![vec![10, 11, 12], vec![11, 12, 13]]
        );
        // training: every target before row 10
        assert_eq!(parts.train.last().unwrap().target_rows(), 7..10);
        assert_eq!(parts.train.len(), 5);
        assert_eq!(parts.first_held_out_row(), 10);
    }

    #[test]
    fn a_test_period_of_the_horizon_is_one_origin() {
        let all = windows(40, spec(5, 6, 1));
        let parts = split(
            &all,
            SplitSpec {
                test_len: 6,
                valid_len: 6,
            },
        )
        .unwrap();
        assert_eq!(parts.test.len(), 1);
        assert_eq!(parts.test.first().unwrap().target_rows(), 34..40);
        assert_eq!(parts.valid.len(), 1);
        assert_eq!(parts.valid.first().unwrap().target_rows(), 28..34);
    }

    #[test]
    fn periods_shorter_than_the_horizon_are_refused_by_key() {
        let error = split_series(
            "s.csv",
            100,
            spec(5, 6, 1),
            SplitSpec {
                test_len: 5,
                valid_len: 0,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("test_len") && error.contains("horizon = 6"),
            "{error}"
        );
        let error = split_series(
            "s.csv",
            100,
            spec(5, 6, 1),
            SplitSpec {
                test_len: 6,
                valid_len: 3,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("valid_len"), "{error}");
    }

    #[test]
    fn too_short_series_says_how_many_rows_are_needed() {
        let window = spec(5, 1, 1);
        let held_out = SplitSpec {
            test_len: 3,
            valid_len: 0,
        };
        assert_eq!(rows_needed(window, held_out), 9); // 5 inputs + 1 train target + 3 test targets
        let error = split_series("tiny.csv", 8, window, held_out).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("tiny.csv") && message.contains("at least 9 rows"),
            "{message}"
        );
        assert!(split_series("tiny.csv", 9, window, held_out).is_ok());
    }

    #[test]
    fn the_closed_form_count_matches_a_filter_over_every_window() {
        for window_len in 1..4 {
            for horizon in 1..5 {
                for stride in 1..4 {
                    let all = windows(40, spec(window_len, horizon, stride));
                    for row in 0..45 {
                        let by_filter =
                            all.iter().take_while(|w| w.last_target_row() < row).count();
                        assert_eq!(all.count_ending_before(row), by_filter, "{row} {all:?}");
                        let starting = all
                            .iter()
                            .take_while(|w| w.first_target_row() < row)
                            .count();
                        assert_eq!(all.count_starting_before(row), starting, "{row} {all:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_boundary_from_another_series_shortens_only_the_training_windows() {
        let all = windows(20, spec(3, 1, 1));
        let held_out = SplitSpec {
            test_len: 4,
            valid_len: 0,
        };
        let parts = split(&all, held_out).unwrap();
        let cut = parts.train_before(10).unwrap();
        assert_eq!(cut.train.last().unwrap().last_target_row(), 9);
        assert_eq!((cut.valid, cut.test), (parts.valid, parts.test));
        assert!(parts.train_before(3).is_none());
    }

    /// [`rows_needed`] by search: the fewest rows that leave a training window.
    fn rows_needed_by_search(window: WindowSpec, held_out: SplitSpec) -> usize {
        (1..)
            .find(|rows| split(&windows(*rows, window), held_out).is_some())
            .unwrap()
    }

    #[test]
    fn rows_needed_in_closed_form_matches_the_search() {
        for window_len in 1..4 {
            for horizon in 1..6 {
                for stride in 1..5 {
                    for test_len in 0..8 {
                        for valid_len in 0..7 {
                            let window = spec(window_len, horizon, stride);
                            let held_out = SplitSpec {
                                test_len,
                                valid_len,
                            };
                            if periods_without_windows(window, held_out).is_some() {
                                // no row count gives such periods a window
                                assert!(split(&windows(200, window), held_out).is_none());
                                continue;
                            }
                            assert_eq!(
                                rows_needed(window, held_out),
                                rows_needed_by_search(window, held_out),
                                "{window:?} {held_out:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn huge_settings_are_answered_at_once() {
        let held_out = |test_len| SplitSpec {
            test_len,
            valid_len: 0,
        };
        // more test days than the series has: an error saying how many rows it would take
        let error = split_series("sp500.csv", 400, spec(5, 1, 1), held_out(1_000_000)).unwrap_err();
        assert!(
            error.to_string().contains("need at least 1000006 rows"),
            "{error}"
        );
        let error = split_series("sp500.csv", 400, spec(5, 1, 5_000_000), held_out(3)).unwrap_err();
        assert!(
            error.to_string().contains("need at least 5000006 rows"),
            "{error}"
        );
        // past the limit: an error naming the key and the limit
        for (window, held_out, key) in [
            (spec(5, 1, usize::MAX), held_out(3), "stride"),
            (spec(MAX_STEPS + 1, 1, 1), held_out(3), "window_len"),
            (spec(5, 1, 1), held_out(usize::MAX), "test_len"),
        ] {
            let error = split_series("x", 400, window, held_out)
                .unwrap_err()
                .to_string();
            assert!(
                error.contains(key) && error.contains("10000000 (the limit)"),
                "{error}"
            );
        }
        assert_eq!(
            rows_needed(
                spec(usize::MAX, usize::MAX, usize::MAX),
                held_out(usize::MAX)
            ),
            usize::MAX
        );
    }

    #[test]
    fn zero_window_len_is_an_error_naming_the_key() {
        let error = split_series(
            "x",
            100,
            spec(0, 1, 1),
            SplitSpec {
                test_len: 3,
                valid_len: 0,
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("window_len"), "{error}");
    }
}
