//! Closed-loop generation, as the NumPy article does it: the model reads the series' first
//! window, then only its own forecasts, until it has produced every remaining row.

use std::fmt::Write as _;

use burn::tensor::Device;
use serde::Serialize;
use yoho_data::sine::{CLEAN_COLUMN, X_COLUMN};
use yoho_data::{PreparedData, Timestamp};
use yoho_model::Forecaster;

use crate::inference::{self, InferenceError};
use crate::metrics;

/// The series and the curve the model generated from its first window.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// Rows given to the model: the first window.
    pub seed_len: usize,
    /// The date of every row.
    pub dates: Vec<Timestamp>,
    /// The abscissa of every row, when the series has an `x` column (the sine wave).
    pub x: Option<Vec<f64>>,
    /// The target, every row, in original units.
    pub actual: Vec<f64>,
    /// The target without noise, when the series has a `clean` column (the sine wave).
    pub clean: Option<Vec<f64>>,
    /// The generated values of rows `seed_len..`, in original units.
    pub generated: Vec<f64>,
}

/// How far the generated curve strays, in the target's units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GenerationSummary {
    /// Values generated.
    pub steps: usize,
    /// RMSE against the series.
    pub rmse: f64,
    /// MAE against the series.
    pub mae: f64,
    /// Largest absolute error against the series.
    pub max_abs_error: f64,
    /// RMSE against the noise-free curve, when there is one.
    pub rmse_vs_clean: Option<f64>,
}

impl Generation {
    /// The rows the model generated.
    pub fn generated_rows(&self) -> std::ops::Range<usize> {
        self.seed_len..self.actual.len()
    }

    /// The errors of the generated curve.
    pub fn summary(&self) -> GenerationSummary {
        let rows = self.generated_rows();
        let actual = &self.actual[rows.clone()];
        let max_abs_error = actual
            .iter()
            .zip(&self.generated)
            .map(|(a, g)| (a - g).abs())
            .fold(0.0, f64::max);
        GenerationSummary {
            steps: self.generated.len(),
            rmse: metrics::rmse(actual, &self.generated),
            mae: metrics::mae(actual, &self.generated),
            max_abs_error,
            rmse_vs_clean: self
                .clean
                .as_ref()
                .map(|clean| metrics::rmse(&clean[rows], &self.generated)),
        }
    }

    /// `generated.csv`: `row,date[,x],actual[,clean],generated`, the generated cell empty for
    /// the seed rows.
    pub fn csv(&self) -> String {
        let mut text = String::from("row,date");
        if self.x.is_some() {
            text += ",x";
        }
        text += ",actual";
        if self.clean.is_some() {
            text += ",clean";
        }
        text += ",generated\n";
        for row in 0..self.actual.len() {
            let _ = write!(text, "{row},{}", self.dates[row]);
            if let Some(x) = &self.x {
                let _ = write!(text, ",{}", x[row]);
            }
            let _ = write!(text, ",{}", self.actual[row]);
            if let Some(clean) = &self.clean {
                let _ = write!(text, ",{}", clean[row]);
            }
            text += ",";
            if row >= self.seed_len {
                let _ = write!(text, "{}", self.generated[row - self.seed_len]);
            }
            text += "\n";
        }
        text
    }
}

/// Generates the rest of the series from its first window. The model must take the target as
/// its only feature, besides calendar features (each generated row gets its date's).
pub fn generate(
    model: &Forecaster,
    data: &PreparedData,
    device: &Device,
) -> Result<Generation, InferenceError> {
    let seed_len = data.window.window_len;
    let rows = data.series.len();
    let codec = &data.codec;
    let seed = codec.raw_rows(&data.series, 0, seed_len);
    let steps = rows - seed_len;
    // the rows' calendar columns, with their target cells never read
    let ahead = || vec![codec.raw_rows(&data.series, seed_len, steps)];
    let generated =
        inference::forecast_fed_back(model, codec, &[seed], (steps, ahead), device)?.remove(0);
    Ok(Generation {
        seed_len,
        dates: data.series.dates.clone(),
        x: data.series.column(X_COLUMN).map(<[f64]>::to_vec),
        actual: data.target_values().to_vec(),
        clean: data.series.column(CLEAN_COLUMN).map(<[f64]>::to_vec),
        generated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use yoho_data::DataConfig;
    use yoho_data::sine::SineSpec;
    use yoho_model::RnnForecasterConfig;

    fn sine_config() -> DataConfig {
        DataConfig::new("", &["value"], "value", 6, 5).with_sine(SineSpec {
            points: 40,
            noise: 0.1,
            seed: 3,
            ..SineSpec::default()
        })
    }

    #[test]
    fn generation_reads_nothing_after_the_first_window() {
        let device = Device::flex();
        let model = RnnForecasterConfig::new(1, 8).init(&device);
        let data = yoho_data::prepare(&sine_config()).unwrap();
        // the same series with every value after the first window overwritten
        let mut loaded = yoho_data::LoadedSeries {
            series: (*data.series).clone(),
            cleaning: Default::default(),
            kept_rows: (0..data.series.len()).collect(),
        };
        for column in &mut loaded.series.columns {
            for value in column.values.iter_mut().skip(6) {
                *value = 1e3;
            }
        }
        let mut corrupted = yoho_data::prepare_loaded(loaded, &sine_config()).unwrap();
        // the same encoding (its statistics come from the training rows, which changed too)
        corrupted.codec = data.codec.clone();
        let original = generate(&model, &data, &device).unwrap();
        let from_corrupted = generate(&model, &corrupted, &device).unwrap();
        assert_eq!(original.generated.len(), 34);
        assert_eq!(original.generated, from_corrupted.generated);
        assert_ne!(original.actual, from_corrupted.actual);
    }

    #[test]
    fn generation_with_calendar_inputs_reads_only_the_calendar_after_the_first_window() {
        let device = Device::flex();
        // the target and the day of the week's sine and cosine
        let model = RnnForecasterConfig::new(3, 8).init(&device);
        let config = DataConfig {
            calendar: vec![yoho_data::CalendarFeature::DayOfWeek],
            ..sine_config()
        };
        // the sine's values on days from 2000-01-01, which have a calendar
        let yoho_data::Source::Sine(spec) = &config.source else {
            unreachable!("a sine config")
        };
        let loaded = crate::baselines::tests::sine_on_days(spec);
        let data = yoho_data::prepare_loaded(loaded, &config).unwrap();
        let mut corrupted = data.clone();
        let mut series = (*data.series).clone();
        let target = (series.columns.iter_mut())
            .find(|column| column.name == "value")
            .unwrap();
        target.values.iter_mut().skip(6).for_each(|v| *v = 1e3);
        corrupted.series = std::sync::Arc::new(series);
        let original = generate(&model, &data, &device).unwrap();
        let from_corrupted = generate(&model, &corrupted, &device).unwrap();
        assert_eq!(original.generated.len(), 34);
        assert_eq!(original.generated, from_corrupted.generated);
        // the calendar does reach it: another week's days give another curve
        let mut shifted = data.clone();
        let mut series = (*data.series).clone();
        for column in series
            .columns
            .iter_mut()
            .filter(|c| c.name.starts_with("day_of_week"))
        {
            column.values.rotate_left(1);
        }
        shifted.series = std::sync::Arc::new(series);
        let from_shifted = generate(&model, &shifted, &device).unwrap();
        assert_ne!(original.generated, from_shifted.generated);
    }

    #[test]
    fn csv_leaves_the_seed_rows_without_a_generated_value() {
        let generation = Generation {
            seed_len: 2,
            dates: (1..=3)
                .map(|d| {
                    yoho_data::NaiveDate::from_ymd_opt(2000, 1, d)
                        .unwrap()
                        .into()
                })
                .collect(),
            x: Some(vec![0.0, 0.5, 1.0]),
            actual: vec![0.1, 0.4, 0.9],
            clean: Some(vec![0.0, 0.48, 0.84]),
            generated: vec![0.8],
        };
        assert_eq!(
            generation.csv(),
            "row,date,x,actual,clean,generated\n\
             0,2000-01-01,0,0.1,0,\n\
             1,2000-01-02,0.5,0.4,0.48,\n\
             2,2000-01-03,1,0.9,0.84,0.8\n"
        );
        let summary = generation.summary();
        assert_eq!(summary.steps, 1);
        assert!((summary.rmse - 0.1).abs() < 1e-12);
        assert!((summary.rmse_vs_clean.unwrap() - 0.04).abs() < 1e-12);
    }
}
