//! The corpus of malformed inputs: each file under `tests/fixtures/invalid/` must fail
//! with exit code 3, a message holding every `# expect:` phrase of its header, nothing on
//! stdout, and no panic. The command is `config`, unless a `# command:` line names the
//! one that must refuse it (what loads but cannot run fails at `up`, before anything is
//! created; `--dry-run` shows that nothing would be).

mod common;

use std::path::Path;

#[test]
fn every_malformed_input_is_a_clear_config_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "the corpus has only {} inputs",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let phrases: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .collect();
        assert!(
            !phrases.is_empty(),
            "{} has no `# expect:` line",
            file.display()
        );
        let name = file.file_name().unwrap().to_str().unwrap().to_string();
        let command: Vec<String> = text
            .lines()
            .find_map(|l| l.strip_prefix("# command: "))
            .unwrap_or("config")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let mut args = vec!["-f".to_string(), name.clone()];
        args.extend(command);
        let out = common::run_in(&dir, &args, &[], None);
        let missing: Vec<&&str> = phrases
            .iter()
            .filter(|p| !out.stderr.contains(**p))
            .collect();
        if out.code != 3
            || !missing.is_empty()
            || !out.stdout.is_empty()
            || out.stderr.contains("panicked")
        {
            failures.push(format!(
                "{name}: exit {} (want 3), missing {missing:?}\n  stderr: {}",
                out.code,
                out.stderr.trim().replace('\n', "\n          ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
