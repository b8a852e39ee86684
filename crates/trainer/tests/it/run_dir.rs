//! Run directories: a new run never mixes with an older one, and `--resume` refuses a run whose
//! config or data changed since it started.

use crate::common::{
    assert_clean_error, assert_success, read, train_into, trainer, write_config, write_series,
};

#[test]
fn a_new_run_never_mixes_with_an_earlier_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 60);
    let config = write_config(dir.path(), &data, "");
    let out = dir.path().join("run");
    assert_success(&train_into(&config, &out, &[]));
    // a file only some runs write, left by the earlier run
    std::fs::write(out.join("generated.png"), b"stale").unwrap();

    // the same directory again: refused, the earlier run untouched
    let output = train_into(&config, &out, &[]);
    assert_clean_error(&output, &["already holds files", "--overwrite"]);
    assert!(out.join("generated.png").exists() && out.join("metrics.json").exists());

    // --overwrite replaces it: nothing of the earlier run survives
    assert_success(&train_into(&config, &out, &["--overwrite"]));
    assert!(
        !out.join("generated.png").exists(),
        "a stale chart survived"
    );
    assert!(out.join("metrics.json").exists());

    // --overwrite never empties a directory that is not a run
    let other = dir.path().join("notes");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("todo.txt"), b"keep me").unwrap();
    let output = train_into(&config, &other, &["--overwrite"]);
    assert_clean_error(&output, &["is not a run directory", "nothing was deleted"]);
    assert_eq!(read(&other.join("todo.txt")), "keep me");

    // a run killed while writing its first file left only that file's temporary: the
    // directory counts as empty, and the leftover goes
    let killed = dir.path().join("killed");
    std::fs::create_dir(&killed).unwrap();
    std::fs::write(killed.join(".tmpA1b2C3"), b"half a conf").unwrap();
    assert_success(&train_into(&config, &killed, &[]));
    assert!(!killed.join(".tmpA1b2C3").exists());
    assert!(killed.join("metrics.json").exists());
    // beside anything else it still counts as files
    std::fs::write(other.join(".tmpA1b2C3"), b"half").unwrap();
    let output = train_into(&config, &other, &[]);
    assert_clean_error(&output, &["already holds files"]);
    assert!(other.join(".tmpA1b2C3").exists());
}

#[test]
fn the_default_run_directory_moves_to_the_next_free_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 60);
    let config = write_config(dir.path(), &data, "");
    for _ in 0..2 {
        let output = crate::common::trainer_command(&["--config", config.to_str().unwrap()])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_success(&output);
    }
    assert!(dir.path().join("runs/tiny/metrics.json").is_file());
    assert!(dir.path().join("runs/tiny-2/metrics.json").is_file());
}

#[test]
fn resume_refuses_a_run_whose_config_or_data_changed() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_series(dir.path(), 60);
    let config = write_config(dir.path(), &data, "checkpoint_every = 1");
    let out = dir.path().join("run");
    assert_success(&train_into(&config, &out, &[]));
    let resume = |epochs: &str| trainer(&["--resume", out.to_str().unwrap(), "--epochs", epochs]);

    // a wider network written into the run's config: its checkpoints no longer fit
    let saved = read(&out.join("config.toml"));
    std::fs::write(
        out.join("config.toml"),
        saved.replace("hidden_size = 8", "hidden_size = 16"),
    )
    .unwrap();
    assert_clean_error(&resume("6"), &["cannot resume", "config.toml changed"]);
    std::fs::write(out.join("config.toml"), &saved).unwrap();

    // the data file changed
    let original = read(&data);
    std::fs::write(&data, write_series_text_with_one_change(&original)).unwrap();
    assert_clean_error(
        &resume("6"),
        &["cannot resume", "series.csv", "changed since"],
    );
    std::fs::write(&data, &original).unwrap();

    // unchanged: only the epochs may grow
    let output = resume("6");
    assert_success(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("resuming"));
}

/// The same CSV with its last value nudged.
fn write_series_text_with_one_change(text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let last = lines.last_mut().unwrap();
    *last = last.replacen(",1", ",2", 1);
    lines.join("\n") + "\n"
}
