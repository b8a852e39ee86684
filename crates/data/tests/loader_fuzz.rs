//! Property tests: whatever bytes a CSV file holds, the loader returns `Ok` or `Err`, never
//! panics.

use std::path::Path;

use proptest::prelude::*;
use yoho_data::{LoadOptions, load_file};

const VALID: &str = "Date,Open,High,Close\n\
2021-01-04,27575.57,27602.11,27258.38\n\
2021-01-05,27151.38,27279.78,27158.63\n\
1/6/2021,27102.85,27196.40,27055.94\n\
2021-01-07,27340.46,28139.03,27490.13\r\n\
2021-01-08,28139.03,28139.03,28139.03\n";

/// A semicolon-separated file of quarters with decimal commas.
const VALID_EUROPEAN: &str = "Date;Open;High;Close\n\
1990Q1;1,5;2,25;1,25\n\
1990Q2;2;3,5;-1,75\n\
1990-Q3;2,5;3;2\r\n\
1990 q4;3;3;3\n";

fn options() -> LoadOptions {
    LoadOptions {
        date_column: "Date".into(),
        date_format: None,
        columns: vec!["Open".into(), "Close".into()],
        missing: yoho_data::MissingPolicy::Error,
        optional_columns: vec!["High".into()],
        layout: yoho_data::PanelLayout::Long,
    }
}

fn load_bytes(bytes: &[u8], drop_missing: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fuzz.csv");
    std::fs::write(&path, bytes).unwrap();
    let mut options = options();
    if drop_missing {
        options.missing = yoho_data::MissingPolicy::Drop;
    }
    let result = load_file(Path::new(&path), &options);
    if let Ok(loaded) = result {
        let series = loaded.series;
        assert!(
            series.dates.windows(2).all(|d| d[0] < d[1]),
            "dates strictly ascend"
        );
        for column in &series.columns {
            assert_eq!(column.values.len(), series.len());
            assert!(column.values.iter().all(|v| v.is_finite()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), drop in any::<bool>()) {
        load_bytes(&bytes, drop);
    }

    #[test]
    fn random_text_with_csv_characters_never_panics(
        text in "[Date,;\tOpenClose0-9./\\-\" QqW\\r\\n]{0,200}",
        drop in any::<bool>(),
    ) {
        load_bytes(text.as_bytes(), drop);
    }

    #[test]
    fn mutations_of_a_valid_file_never_panic(
        edits in proptest::collection::vec((0..VALID.len(), any::<u8>()), 1..6),
        deletions in proptest::collection::vec(0..VALID.len(), 0..4),
        cut in 0..=VALID.len(),
        drop in any::<bool>(),
        european in any::<bool>(),
    ) {
        let valid = if european { VALID_EUROPEAN } else { VALID };
        let mut bytes = valid.as_bytes().to_vec();
        let length = bytes.len();
        for (at, byte) in edits {
            bytes[at % length] = byte;
        }
        for at in deletions {
            if at < bytes.len() {
                bytes.remove(at);
            }
        }
        bytes.truncate(cut.min(bytes.len()));
        load_bytes(&bytes, drop);
    }
}

#[test]
fn the_european_file_mutated_above_loads_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("european.csv");
    std::fs::write(&path, VALID_EUROPEAN).unwrap();
    let loaded = load_file(&path, &options()).unwrap();
    assert_eq!(loaded.series.column("Open").unwrap(), &[1.5, 2.0, 2.5, 3.0]);
    assert_eq!(
        loaded.series.column("Close").unwrap(),
        &[1.25, -1.75, 2.0, 3.0]
    );
    assert_eq!(loaded.series.dates[2].to_string(), "1990-07-01");
}
