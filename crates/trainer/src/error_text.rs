//! An error in words for the user: its message, then each cause whose text the message does not
//! already hold (a library error that prints its cause, such as "cannot read a.csv: No such
//! file or directory", is not followed by that cause again).

/// `error` and its causes, joined by ": ", each cause left out where the text before it already
/// holds it.
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text += ": ";
        }
        text += &cause;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error whose message holds its cause's, as `thiserror`'s `{source}` writes it.
    #[derive(Debug)]
    struct Read {
        source: std::io::Error,
    }

    impl std::fmt::Display for Read {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot read a.csv: {}", self.source)
        }
    }

    impl std::error::Error for Read {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn a_cause_is_written_once() {
        let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::new(Read { source: missing });
        assert_eq!(
            format!("{error:#}"),
            "cannot read a.csv: no such file: no such file"
        );
        assert_eq!(error_text(&error), "cannot read a.csv: no such file");
        // a context over a cause it does not repeat keeps both
        let error = error.context("config.toml");
        assert_eq!(
            error_text(&error),
            "config.toml: cannot read a.csv: no such file"
        );
    }
}
