//! What a job format contributes to the one loading path, and the errors formats share.

use crate::compose::raw::RawService;
use crate::compose::{ComposeSource, LoadError};
use std::time::Duration;

use crate::model::Step;

/// What a job format contributes to the one loading path.
pub struct JobParts {
    /// The sidecars and their volumes, networks, secrets and configs, as Compose data.
    pub compose: ComposeSource,
    /// The main container, where steps run, as a Compose service.
    pub container: RawService,
    pub steps: Vec<Step>,
    /// The job's own time limit, and its sidecars' readiness deadline.
    pub timeout: Option<Duration>,
    pub ready_timeout: Option<Duration>,
    /// `graceful_stop:`: stop in the grace periods at the end, not at once.
    pub graceful_stop: bool,
    /// `mask:`: the variables whose values are secret.
    pub mask: Vec<String>,
    pub caches: Vec<crate::model::Cache>,
    /// What the format could not carry over, said once at load (a skipped action, ...).
    pub warnings: Vec<String>,
    /// Registry logins by service (`main` for the main container).
    pub auth: std::collections::BTreeMap<String, crate::model::RegistryAuth>,
}

/// Which job of a CI file to run, and how (`sidepod job --job`, `--format`, `--image`,
/// `--strict-actions`).
#[derive(Debug, Clone, Default)]
pub struct JobChoice {
    pub format: Option<super::Format>,
    pub job: Option<String>,
    /// The image a job that runs on the runner (no `container:`) runs its steps in.
    pub image: Option<String>,
    /// Refuse `uses:` steps instead of skipping them.
    pub strict_actions: bool,
}

/// The `sh -c` text that runs `script` with a shell `command`, `{0}` standing for the
/// script's file, as CI systems run a step: the script is written to a file first.
pub(super) fn script_file(script: &str, command: &str) -> String {
    let end = format!(
        "SIDEPOD_SCRIPT_{}",
        crate::model::fingerprint(script.as_bytes())
    );
    format!(
        "f=$(mktemp) && cat > \"$f\" <<'{end}'\n{script}\n{end}\n{} ; rc=$?; rm -f \"$f\"; exit $rc",
        command.replace("{0}", "\"$f\"")
    )
}

/// The job of a CI file to run: the one named, else the only one.
pub(super) fn pick_job(
    names: &[String],
    wanted: Option<&str>,
    kind: &str,
    display: &str,
) -> Result<String, LoadError> {
    match (wanted, names) {
        (Some(n), _) if names.iter().any(|x| x == n) => Ok(n.to_string()),
        (Some(n), _) => Err(job_error(
            display,
            "jobs",
            &format!("no job {n:?}; the {kind} has: {}", names.join(", ")),
        )),
        (None, [only]) => Ok(only.clone()),
        (None, _) => Err(job_error(
            display,
            "jobs",
            &format!(
                "the {kind} has {} jobs ({}); choose one with --job",
                names.len(),
                names.join(", ")
            ),
        )),
    }
}

pub(super) fn job_error(file: &str, at: &str, message: &str) -> LoadError {
    LoadError::Invalid {
        file: file.to_string(),
        at: at.to_string(),
        message: message.to_string(),
    }
}

/// What a CI format reads from its file, made into `JobParts`: the sidecars as Compose
/// services of the job's project, named after the job.
pub(super) struct CiJob {
    pub name: String,
    pub services: serde_norway::Mapping,
    pub container: RawService,
    pub steps: Vec<Step>,
    pub timeout: Option<Duration>,
    /// The variables whose values are secret.
    pub mask: Vec<String>,
    pub warnings: Vec<String>,
    pub auth: std::collections::BTreeMap<String, crate::model::RegistryAuth>,
}

impl CiJob {
    /// `naming` says, in the words of messages, where the project's name came from.
    pub fn into_parts(
        self,
        display: &str,
        dir: &std::path::Path,
        naming: &'static str,
    ) -> JobParts {
        use serde_norway::{Mapping, Value};
        let mut value = Mapping::new();
        value.insert("name".into(), self.name.as_str().into());
        value.insert("services".into(), Value::Mapping(self.services));
        let mut value = Value::Mapping(value);
        crate::compose::normalize_services(&mut value);
        let mut mask = self.mask;
        mask.sort();
        mask.dedup();
        JobParts {
            compose: ComposeSource {
                label: display.to_string(),
                base_dir: dir.to_path_buf(),
                value,
                files: Vec::new(),
                naming: crate::compose::Naming::Job { key: naming },
                resets: Vec::new(),
            },
            container: self.container,
            steps: self.steps,
            timeout: self.timeout,
            ready_timeout: None,
            graceful_stop: false,
            mask,
            caches: Vec::new(),
            warnings: self.warnings,
            auth: self.auth,
        }
    }
}

/// A registry login written `{username, password}`.
pub(super) fn login(
    v: &serde_norway::Value,
    at: &str,
    display: &str,
    sub: &mut dyn FnMut(&str) -> Result<String, LoadError>,
) -> Result<crate::model::RegistryAuth, LoadError> {
    let get = |k: &str| v.get(k).and_then(crate::compose::raw::scalar_text);
    match (get("username"), get("password")) {
        (Some(u), Some(p)) => Ok(crate::model::RegistryAuth {
            username: sub(&u)?,
            password: sub(&p)?,
        }),
        _ => Err(job_error(
            display,
            at,
            "a registry login needs `username` and `password`",
        )),
    }
}

/// A mapping of plain values (`env:`, `environment:`); a null value is empty.
pub(super) fn plain_pairs(
    v: Option<&serde_norway::Value>,
    at: &str,
    display: &str,
) -> Result<Vec<(String, String)>, LoadError> {
    use crate::compose::raw::scalar_text;
    match v {
        None | Some(serde_norway::Value::Null) => Ok(Vec::new()),
        Some(serde_norway::Value::Mapping(m)) => m
            .iter()
            .map(|(k, v)| match (scalar_text(k), scalar_text(v)) {
                (Some(k), Some(v)) => Ok((k, v)),
                (Some(k), None) if v.is_null() => Ok((k, String::new())),
                _ => Err(job_error(display, at, "expected NAME: value pairs")),
            })
            .collect(),
        Some(_) => Err(job_error(display, at, "expected a mapping of NAME: value")),
    }
}

/// A number of minutes (`timeout-minutes`, `timeoutInMinutes`).
pub(super) fn minutes(
    v: Option<&serde_norway::Value>,
    at: &str,
    display: &str,
) -> Result<Option<Duration>, LoadError> {
    match v {
        None => Ok(None),
        Some(v) => match crate::compose::raw::scalar_text(v).and_then(|t| t.parse::<f64>().ok()) {
            Some(m) if m > 0.0 && m < 1e6 => Ok(Some(Duration::from_secs_f64(m * 60.0))),
            _ => Err(job_error(display, at, "expected a number of minutes")),
        },
    }
}

/// `db` → `MATRIX_DB`; `node-version` → `MATRIX_NODE_VERSION`: the variable a matrix
/// axis sets.
pub fn matrix_variable(key: &str) -> String {
    let word: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("MATRIX_{word}")
}

/// A CI file read as one YAML mapping, with the name messages give it.
pub(super) fn read_mapping(
    file: &std::path::Path,
    reader: &crate::compose::Reader,
) -> Result<(String, serde_norway::Mapping), LoadError> {
    let display = reader.display(file);
    let source = reader.read_text(file)?;
    match crate::compose::parse_yaml(&source, &display)? {
        serde_norway::Value::Mapping(doc) => Ok((display, doc)),
        _ => Err(job_error(&display, "top level", "expected a mapping")),
    }
}

/// Adds variables to a Compose service's `environment` mapping; a variable the service
/// sets already keeps its value unless `replace`.
pub(super) fn add_env<K: AsRef<str>, V: AsRef<str>>(
    service: &mut serde_norway::Mapping,
    vars: impl IntoIterator<Item = (K, V)>,
    replace: bool,
) {
    use serde_norway::{Mapping, Value};
    let env = service
        .entry("environment".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if let Value::Mapping(env) = env {
        for (k, v) in vars {
            let (k, v): (Value, Value) = (k.as_ref().into(), v.as_ref().into());
            if replace || !env.contains_key(&k) {
                env.insert(k, v);
            }
        }
    }
}

/// The items of a list the file may leave out, numbered from 0.
pub(super) fn items(
    list: Option<&serde_norway::Value>,
) -> impl Iterator<Item = (usize, &serde_norway::Value)> {
    list.and_then(serde_norway::Value::as_sequence)
        .into_iter()
        .flatten()
        .enumerate()
}
