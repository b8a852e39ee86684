//! `[model] family`: the kind of network, or several kinds whose networks forecast as one
//! ensemble.

use serde::{Deserialize, Serialize};

/// One kind of network (a variant of `yoho_model::Forecaster`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelFamily {
    /// A recurrent encoder (`cell`, `hidden_size`, `num_layers`, `dropout`) with an MLP head,
    /// or an encoder–decoder (`strategy = "seq2seq"`).
    #[default]
    Rnn,
    /// The ES-RNN hybrid: Holt–Winters smoothing of the target with learned level and seasonal
    /// coefficients (one pair per series; the period `[data] season`), and the recurrent
    /// network of `rnn`'s keys over what it leaves. Needs `[data] transform = "level"` and the
    /// target among the features.
    EsRnn,
    /// The recurrent network of `rnn`'s keys forecasting each step's departure from the
    /// window's seasonal naive (period `[data] season`): what `rnn` learns from
    /// `transform = "seasonal_difference"`, reading levels like `es_rnn`, so that the two can
    /// form one ensemble. Needs `[data] transform = "level"` and the target among the features.
    SeasonalRnn,
    /// A multilayer perceptron over the whole window (`[data] window_len` rows of every
    /// feature, flattened; `num_layers` hidden layers of `hidden_size`, then `head`'s widths)
    /// forecasting each step's departure from the window's seasonal naive, as `seasonal_rnn`
    /// does. Needs `[data] transform = "level"` and the target among the features.
    SeasonalMlp,
}

impl ModelFamily {
    /// Every family, in the order the error messages list them.
    pub const ALL: [Self; 4] = [Self::Rnn, Self::EsRnn, Self::SeasonalRnn, Self::SeasonalMlp];

    /// The name as written in a config.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rnn => "rnn",
            Self::EsRnn => "es_rnn",
            Self::SeasonalRnn => "seasonal_rnn",
            Self::SeasonalMlp => "seasonal_mlp",
        }
    }

    /// Whether the family reads and forecasts the target's levels (`[data] transform =
    /// "level"`) and needs the target among its inputs.
    pub fn reads_levels(self) -> bool {
        self != Self::Rnn
    }

    fn named(name: &str) -> Result<Self, String> {
        (Self::ALL.into_iter())
            .find(|family| family.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown family \"{name}\": expected {}, or a list of them",
                    Self::ALL
                        .map(|family| format!("\"{}\"", family.name()))
                        .join(", ")
                )
            })
    }
}

/// `[model] family`: one family (`"es_rnn"`), or several (`["es_rnn", "seasonal_rnn"]`) whose
/// networks (`[train] ensemble` of each) forecast as one ensemble: the median of the families'
/// medians (for two families, their mean).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Written", into = "Written")]
pub struct Families(Vec<ModelFamily>);

impl Families {
    /// The one family `family`.
    pub fn one(family: ModelFamily) -> Self {
        Self(vec![family])
    }

    /// The families, in the order the config lists them.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = ModelFamily> + '_ {
        self.0.iter().copied()
    }

    /// Whether `family` is one of them.
    pub fn contains(&self, family: ModelFamily) -> bool {
        self.0.contains(&family)
    }

    /// How many families.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a config names at least one family.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Default for Families {
    fn default() -> Self {
        Self::one(ModelFamily::default())
    }
}

/// `family` as a config writes it.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Written {
    One(String),
    Several(Vec<String>),
}

impl TryFrom<Written> for Families {
    type Error = String;

    fn try_from(written: Written) -> Result<Self, String> {
        let names = match written {
            Written::One(name) => vec![name],
            Written::Several(names) => names,
        };
        if names.is_empty() {
            return Err("expected a family or a list of families, got []".into());
        }
        let families = (names.iter())
            .map(|name| ModelFamily::named(name))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(repeated) = (families.iter().enumerate())
            .find(|(index, family)| families[..*index].contains(family))
        {
            return Err(format!(
                "\"{}\" is listed twice: set [train] ensemble for more networks of a family",
                repeated.1.name()
            ));
        }
        Ok(Self(families))
    }
}

impl From<Families> for Written {
    fn from(families: Families) -> Self {
        let mut names: Vec<String> = families.iter().map(|f| f.name().to_string()).collect();
        match names.len() {
            1 => Self::One(names.remove(0)),
            _ => Self::Several(names),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize)]
    struct Model {
        family: Families,
    }

    fn parse(text: &str) -> Result<Families, String> {
        toml::from_str::<Model>(text)
            .map(|model| model.family)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn a_family_or_a_list_of_families_reads_and_writes_back() {
        let one = parse("family = \"seasonal_rnn\"").unwrap();
        assert_eq!(one, Families::one(ModelFamily::SeasonalRnn));
        let several = parse("family = [\"es_rnn\", \"seasonal_rnn\"]").unwrap();
        assert_eq!(
            several.iter().collect::<Vec<_>>(),
            [ModelFamily::EsRnn, ModelFamily::SeasonalRnn]
        );
        for families in [one, several] {
            let text = toml::to_string(&Model {
                family: families.clone(),
            })
            .unwrap();
            assert_eq!(parse(&text).unwrap(), families, "{text}");
        }
    }

    #[test]
    fn unknown_empty_and_repeated_families_are_named() {
        for (text, expected) in [
            ("family = \"transformer\"", "\"transformer\""),
            ("family = [\"rnn\", \"tcn\"]", "\"tcn\""),
            ("family = []", "got []"),
            ("family = [\"es_rnn\", \"es_rnn\"]", "listed twice"),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
            assert!(error.contains("family"), "{text}: {error}");
        }
    }
}
