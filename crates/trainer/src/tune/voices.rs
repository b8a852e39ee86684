//! The statistical voices' forecasts from the validation origins, fitted once per search. A
//! trial of a config with `[model] statistical` is scored on its networks blended with those
//! voices, which read only the history up to each origin: every trial shares them, so each
//! history is fitted once, not once per trial.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

use yoho_data::{PreparedData, Window};
use yoho_eval::Blend;
use yoho_eval::baselines::history_up_to_origin;

/// The voices' forecasts already fitted, by the history they were fitted on.
#[derive(Debug, Default)]
pub struct VoiceForecasts {
    fitted: Mutex<HashMap<u64, Vec<Vec<f64>>>>,
}

impl VoiceForecasts {
    /// `blend`'s statistical members' forecasts of `window` of `data` (series `series`), each
    /// `steps` long, fitted on the target's values up to the window's origin; fitted afresh
    /// only for a history (and blend) not met before.
    pub fn of(
        &self,
        series: &str,
        data: &PreparedData,
        window: &Window,
        blend: &Blend,
        steps: usize,
    ) -> Vec<Vec<f64>> {
        let history = history_up_to_origin(data, window);
        let key = key(series, history, blend, steps);
        if let Some(fitted) = self.fitted.lock().expect("voices lock").get(&key) {
            return fitted.clone();
        }
        let fitted = blend.member_forecasts(history, steps);
        let mut map = self.fitted.lock().expect("voices lock");
        map.insert(key, fitted.clone());
        fitted
    }

    /// Histories fitted so far.
    pub fn len(&self) -> usize {
        self.fitted.lock().expect("voices lock").len()
    }

    /// Whether none has been fitted yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A key for the fits of `blend`'s members on `history` of `series`, `steps` ahead.
fn key(series: &str, history: &[f64], blend: &Blend, steps: usize) -> u64 {
    let mut hasher = DefaultHasher::new();
    series.hash(&mut hasher);
    steps.hash(&mut hasher);
    format!("{:?}", blend.statistical).hash(&mut hasher);
    history.len().hash(&mut hasher);
    for value in history {
        value.to_bits().hash(&mut hasher);
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yoho_eval::Ets;

    #[test]
    fn each_history_is_fitted_once_and_gives_what_a_fit_gives() {
        let text = "[data]\nsource = \"sine\"\npoints = 60\nfeatures = [\"value\"]\n\
                    target = \"value\"\nwindow_len = 8\nhorizon = 3\ntest_len = 6\n\
                    valid_len = 9\n";
        let config = crate::ExperimentConfig::from_table(
            toml::from_str(text).unwrap(),
            std::path::Path::new("s.toml"),
        )
        .unwrap();
        let data = yoho_data::prepare(&config.data).unwrap();
        let blend = Blend::as_one_more_family(Ets { season: None }, 1);
        let voices = VoiceForecasts::default();
        let windows: Vec<Window> = data.splits.valid.iter().collect();
        assert!(windows.len() > 1);
        let first: Vec<_> = (windows.iter())
            .map(|w| voices.of("a", &data, w, &blend, 3))
            .collect();
        assert_eq!(voices.len(), windows.len());
        // a second trial meets the same histories: nothing is fitted again
        let again: Vec<_> = (windows.iter())
            .map(|w| voices.of("a", &data, w, &blend, 3))
            .collect();
        assert_eq!(again, first);
        assert_eq!(voices.len(), windows.len());
        // each is what ETS gives from the window's origin
        for (window, fitted) in windows.iter().zip(&first) {
            let history = history_up_to_origin(&data, window);
            assert_eq!(fitted[0], Ets { season: None }.forecast_history(history, 3));
        }
        // another series, or another number of steps, is another history to fit
        voices.of("b", &data, &windows[0], &blend, 3);
        voices.of("a", &data, &windows[0], &blend, 2);
        assert_eq!(voices.len(), windows.len() + 2);
    }
}
