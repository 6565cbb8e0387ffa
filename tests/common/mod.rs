//! A small builder that runs the real `sidepod` binary in a scratch directory.
#![allow(dead_code)]

/// The host for a podman test; with SIDEPOD_SKIP_PODMAN_TESTS=1, the test says that it
/// is skipped, by name, and returns.
#[allow(unused_macros)]
macro_rules! host {
    () => {{
        fn here() {}
        let test = std::any::type_name_of_val(&here).trim_end_matches("::here");
        match common::podman::Host::get(test) {
            Some(h) => h,
            None => return,
        }
    }};
}

pub mod podman;

/// Each line of `stderr` as a `--progress json` event, checked against the documented
/// schema (`docs/events.schema.json`); panics on a line that is not JSON or does not match.
pub fn json_events(stderr: &str) -> Vec<serde_json::Value> {
    let schema_text = include_str!("../../docs/events.schema.json");
    let schema: serde_json::Value = serde_json::from_str(schema_text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    stderr
        .lines()
        .map(|line| {
            let event: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON event ({e}): {line:?}\n{stderr}"));
            let errors: Vec<String> = validator
                .iter_errors(&event)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{line} does not match the schema: {errors:?}"
            );
            event
        })
        .collect()
}

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Test {
    pub dir: tempfile::TempDir,
    cwd: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Parses stdout as YAML into JSON values, for assertions.
    pub fn yaml(&self) -> serde_json::Value {
        serde_norway::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not YAML ({e}):\n{}", self.stdout))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success; stderr:\n{}", self.stderr);
        self
    }

    /// Asserts a config error (exit 3) whose message holds every phrase.
    #[track_caller]
    pub fn config_error(&self, phrases: &[&str]) -> &Self {
        assert_eq!(
            self.code, 3,
            "expected exit 3; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        for p in phrases {
            assert!(
                self.stderr.contains(p),
                "stderr lacks {p:?}:\n{}",
                self.stderr
            );
        }
        assert!(
            self.stdout.is_empty(),
            "a failed load printed to stdout:\n{}",
            self.stdout
        );
        self
    }
}

impl Test {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sidepod-test")
            .tempdir()
            .expect("temp dir");
        let cwd = dir.path().join("proj");
        std::fs::create_dir_all(&cwd).unwrap();
        Test {
            dir,
            cwd,
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
        }
    }

    /// The directory the command runs in (`<tmp>/proj`, so the project is named `proj`).
    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// Writes a file relative to the working directory.
    pub fn file(self, name: &str, content: &str) -> Self {
        let path = self.cwd.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    /// Runs in a subdirectory of the working directory instead.
    pub fn in_dir(mut self, sub: &str) -> Self {
        self.cwd = self.cwd.join(sub);
        std::fs::create_dir_all(&self.cwd).unwrap();
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|s| s.to_string()));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.into());
        self
    }

    pub fn run(&self) -> Outcome {
        run_in(&self.cwd, &self.args, &self.env, self.stdin.as_deref())
    }
}

/// Runs the binary with a clean environment (PATH and HOME only, plus `env`).
pub fn run_in(
    cwd: &Path,
    args: &[String],
    env: &[(String, String)],
    stdin: Option<&str>,
) -> Outcome {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sidepod"));
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", "/home/tester")
        .envs(env.iter().cloned())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run sidepod");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `../shared` beside the project: the scenarios and the Compose schema.
pub fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    assert!(
        p.join("scenarios").is_dir(),
        "the shared folder is missing at {}: it must sit beside the project",
        p.display()
    );
    p
}
