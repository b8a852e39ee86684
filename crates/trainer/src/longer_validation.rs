//! A validation period longer than the one the default recipe sizes (one origin of `horizon`
//! steps), where something needs more origins than one: `trainer forecast`'s fit that chooses
//! the epoch and calibrates its intervals, a run's second fit for its intervals
//! (`calibration_fit.rs`) and `trainer tune`'s selection. Each asks for a number of origins;
//! the period is the longest up to that many that the data allows.

use yoho_data::defaults::MIN_TRAINING_WINDOWS;
use yoho_data::{DataConfig, PreparedData, PreparedPanel};

use crate::config::ExperimentConfig;

/// `config` with the validation period `valid_len`.
pub(crate) fn with_valid_len(config: &ExperimentConfig, valid_len: usize) -> ExperimentConfig {
    let mut longer = config.clone();
    longer.data.valid_len = valid_len;
    longer
}

/// The validation rows that hold `origins` origins of every series together, `series` series
/// sharing them (at least one origin each): `horizon` and a stride for each origin after the
/// first.
pub(crate) fn rows_for(data: &DataConfig, origins: usize, series: usize) -> usize {
    let each = origins.div_ceil(series.max(1)).max(1);
    data.horizon + (each - 1) * data.stride
}

/// The longest validation period from `wanted` rows down to one more than `own` that `prepare`
/// gives data for and `keeps` accepts, with that data; `None` when none does.
pub(crate) fn longest<D>(
    (own, wanted): (usize, usize),
    prepare: impl Fn(usize) -> Option<D>,
    keeps: impl Fn(&D) -> bool,
) -> Option<(usize, D)> {
    (own + 1..=wanted)
        .rev()
        .find_map(|valid_len| prepare(valid_len).filter(&keeps).map(|d| (valid_len, d)))
}

/// Whether `longer` keeps `data`'s test period and the recipe's 16 training windows.
pub(crate) fn keeps_series(data: &PreparedData, longer: &PreparedData) -> bool {
    longer.splits.train.len() >= MIN_TRAINING_WINDOWS
        && longer.splits.test.to_vec() == data.splits.test.to_vec()
}

/// Whether `longer` holds `panel`'s series in its order, each with its test period and as many
/// training windows as it had or at least the recipe's 16.
pub(crate) fn keeps_panel(panel: &PreparedPanel, longer: &PreparedPanel) -> bool {
    panel.series.len() == longer.series.len()
        && panel.series.iter().zip(&longer.series).all(|(own, long)| {
            let (own_train, long_train) = (&own.data.splits.train, &long.data.splits.train);
            own.name == long.name
                && long_train.len() >= own_train.len().min(MIN_TRAINING_WINDOWS)
                && long.data.splits.test.to_vec() == own.data.splits.test.to_vec()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_shared_out_over_the_series() {
        let data = |stride: usize| -> DataConfig {
            let text = format!(
                "source = \"sine\"\nfeatures = [\"value\"]\ntarget = \"value\"\n\
                 window_len = 10\nhorizon = 3\nstride = {stride}"
            );
            toml::from_str(&text).unwrap()
        };
        let (data, every_other) = (data(1), data(2));
        // one series: 19 origins; four: 5 each; twenty: one each
        assert_eq!(rows_for(&data, 19, 1), 21);
        assert_eq!(rows_for(&data, 19, 4), 7);
        assert_eq!(rows_for(&data, 19, 20), 3);
        assert_eq!(rows_for(&every_other, 4, 1), 9);
    }

    #[test]
    fn the_longest_accepted_period_is_taken() {
        // data for every length; the check accepts up to 7 rows
        let found = longest((3, 10), Some, |rows: &usize| *rows <= 7);
        assert_eq!(found, Some((7, 7)));
        assert_eq!(longest((3, 10), Some, |_: &usize| false), None);
        // nothing longer than one's own is wanted
        assert_eq!(longest((5, 5), Some, |_: &usize| true), None);
    }
}
