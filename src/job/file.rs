//! The job file format (`sidepod.yaml`): the main container, its sidecars (Compose service
//! syntax, or taken from a Compose file with `compose:`), and the steps.

use std::collections::BTreeMap;
use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_norway::{Mapping, Value};

use super::parts::{job_error, JobParts};
use crate::compose::raw::{ListOrMap, RawFileObject, RawNetwork, RawService, RawVolume};
use crate::compose::{
    self, normalize_services, parse_yaml, strip_extensions, strip_service_extensions,
    ComposeSource, LoadError, Naming, Reader, WAIT_KEY,
};
use crate::model::{fingerprint, parse_duration, Cache, Step, StepWhen, MAIN};

/// The names a job file is looked for by, in the current directory.
pub const JOB_FILES: [&str; 2] = ["sidepod.yaml", ".sidepod.yaml"];

/// `services`, `volumes` and `networks` are checked here, then merged as Compose data.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RawJob {
    name: Option<String>,
    container: Option<RawService>,
    #[serde(default)]
    services: IndexMap<String, RawService>,
    #[serde(default)]
    volumes: IndexMap<String, Option<RawVolume>>,
    #[serde(default)]
    networks: IndexMap<String, Option<RawNetwork>>,
    #[serde(default)]
    secrets: IndexMap<String, RawFileObject>,
    #[serde(default)]
    configs: IndexMap<String, RawFileObject>,
    steps: Option<Vec<RawStep>>,
    compose: Option<String>,
    /// The whole job's time limit (`--timeout` wins).
    timeout: Option<String>,
    /// How long sidecars may take to be ready (`--ready-timeout` wins).
    ready_timeout: Option<String>,
    /// Stop the sidecars and the main container in their grace periods at the end,
    /// instead of removing them at once (`--graceful-stop` too).
    graceful_stop: Option<bool>,
    /// Variables whose values are secret: masked in all output, never on a command line.
    mask: Option<Vec<String>>,
    /// Paths kept between runs.
    cache: Option<Vec<RawCache>>,
    /// Read before loading, by `matrix.rs`: each combination is a load of its own.
    matrix: Option<Value>,
    fail_fast: Option<bool>,
    /// sidepod's settings, as a Compose file's (`network: pod|bridge`).
    #[serde(rename = "x-sidepod")]
    sidepod: Option<crate::compose::raw::RawSidepod>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    path: String,
    key: Option<String>,
    /// Files (relative to the job's directory) whose contents the key depends on.
    #[serde(default)]
    files: Vec<String>,
    service: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: Option<String>,
    run: Option<String>,
    #[serde(alias = "environment")]
    env: Option<ListOrMap>,
    timeout: Option<String>,
    working_dir: Option<String>,
    /// `on_success` (the default), `on_failure`, `always` or `never`.
    when: Option<String>,
    continue_on_error: Option<bool>,
    /// Runs in a container of its own, with this image, instead of the main container.
    image: Option<String>,
}

/// The longest `run:` script: Linux's limit on one argument (MAX_ARG_STRLEN), less room
/// for `sh -c`.
const MAX_RUN_BYTES: usize = 128 * 1024 - 64;

/// Reads a job file in sidepod's own format: its Compose part (over the Compose file
/// `compose:` names, if any), its main container and its steps.
pub(super) fn read(file: &Path, dir: &Path, reader: &mut Reader) -> Result<JobParts, LoadError> {
    let display = reader.display(file);
    let text = reader.read_text(file)?;
    let mut value = parse_yaml(&text, &display)?;
    let resets = compose::take_tags(&mut value);
    rename_env_keys(&mut value, &display)?;
    strip_extensions(&mut value);
    rename_wait_keys(&mut value, &display)?;
    if let Some(c) = value.get_mut("container") {
        strip_service_extensions(c);
    }
    reader.interpolate(&mut value, &display, &is_step_run)?;
    let raw: RawJob = compose::validate(&value, &display)?;
    normalize_services(&mut value);

    // The sidecars: a Compose file's services, with the job's own merged over them.
    let mut sidecars = Value::Mapping(Mapping::new());
    let mut label = display.clone();
    let mut base_dir = dir.to_path_buf();
    if let Some(compose_file) = &raw.compose {
        let doc = reader.compose_document(&dir.join(compose_file))?;
        label = format!("{} + {display}", doc.display);
        base_dir = doc.dir.clone();
        sidecars = doc.value;
        if let Value::Mapping(m) = &mut sidecars {
            m.remove("name");
        }
    }
    let own: Mapping = [
        "services",
        "volumes",
        "networks",
        "secrets",
        "configs",
        crate::compose::SIDEPOD_KEY,
    ]
    .into_iter()
    .filter_map(|k| value.get(k).map(|v| (Value::from(k), v.clone())))
    .collect();
    compose::apply_resets(&mut sidecars, &resets);
    compose::merge_documents(&mut sidecars, Value::Mapping(own));
    if let (Some(name), Value::Mapping(m)) = (&raw.name, &mut sidecars) {
        m.insert("name".into(), Value::from(name.as_str()));
    }
    let Some(container) = raw.container else {
        return Err(job_error(
            &display,
            "top level",
            "a job needs a `container:` section (the image its steps run in)",
        ));
    };
    Ok(JobParts {
        compose: ComposeSource {
            label,
            base_dir,
            value: sidecars,
            files: Vec::new(),
            naming: Naming::Job {
                key: "the job's `name:` key",
            },
            resets,
        },
        container,
        steps: steps(raw.steps, &display)?,
        timeout: duration_key(raw.timeout, "timeout", &display)?,
        ready_timeout: duration_key(raw.ready_timeout, "ready_timeout", &display)?,
        graceful_stop: raw.graceful_stop.unwrap_or(false),
        mask: mask_names(raw.mask, &display)?,
        caches: caches(raw.cache, raw.name.as_deref(), dir, &display)?,
        warnings: Vec::new(),
        auth: Default::default(),
    })
}

/// `cache:`: each path's volume, named after the job (its `name:`, else its directory,
/// never the run's `-p`), its key, and the hash of its key files' contents.
fn caches(
    raw: Option<Vec<RawCache>>,
    name: Option<&str>,
    dir: &Path,
    display: &str,
) -> Result<Vec<Cache>, LoadError> {
    let scope = name
        .map(str::to_string)
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "job".into());
    let scope = volume_word(&scope);
    let mut out: Vec<Cache> = Vec::new();
    for (i, c) in raw.unwrap_or_default().into_iter().enumerate() {
        let at = |k: &str| format!("cache[{i}].{k}");
        if !c.path.starts_with('/') {
            return Err(job_error(
                display,
                &at("path"),
                &format!("{:?} is not an absolute path in the container", c.path),
            ));
        }
        let key = match c.key {
            Some(k) if volume_word(&k) == k && !k.is_empty() => k,
            Some(k) => {
                return Err(job_error(
                    display,
                    &at("key"),
                    &format!("{k:?} cannot name a volume; use letters, digits, '.', '_' and '-'"),
                ))
            }
            None => volume_word(c.path.trim_matches('/')),
        };
        let mut contents = Vec::new();
        for (j, f) in c.files.iter().enumerate() {
            let bytes = std::fs::read(dir.join(f)).map_err(|e| {
                job_error(
                    display,
                    &format!("cache[{i}].files[{j}]"),
                    &format!("cannot read {f}: {e} (the cache key is made from its contents)"),
                )
            })?;
            contents.extend_from_slice(f.as_bytes());
            contents.push(0);
            contents.extend_from_slice(&bytes);
        }
        let key = if c.files.is_empty() {
            key
        } else {
            format!("{key}-{}", &fingerprint(&contents)[..12])
        };
        let service = c.service.unwrap_or_else(|| MAIN.to_string());
        if out.iter().any(|o| o.service == service && o.path == c.path) {
            return Err(job_error(
                display,
                &at("path"),
                &format!("{} of {service} is cached twice", c.path),
            ));
        }
        out.push(Cache {
            volume: format!("sidepod-cache-{scope}-{key}"),
            service,
            path: c.path,
            key,
        });
    }
    Ok(out)
}

/// Text as a volume name's part: letters, digits, `.`, `_` and `-`, the rest as `-`.
fn volume_word(text: &str) -> String {
    let word: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    word.trim_start_matches(['.', '-', '_']).to_string()
}

/// `mask:`: names of variables, as the environment spells them.
fn mask_names(names: Option<Vec<String>>, display: &str) -> Result<Vec<String>, LoadError> {
    let names = names.unwrap_or_default();
    for (i, name) in names.iter().enumerate() {
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(job_error(
                display,
                &format!("mask[{i}]"),
                &format!(
                    "{name:?} is not a variable name; list the names of the variables \
                     whose values are secret (mask: [DB_PASSWORD]), not their values"
                ),
            ));
        }
    }
    Ok(names)
}

/// A top-level duration of the job file (`10m`, `1h30m`).
fn duration_key(
    value: Option<String>,
    key: &str,
    display: &str,
) -> Result<Option<std::time::Duration>, LoadError> {
    value
        .map(|v| parse_duration(&v).map_err(|m| job_error(display, key, &m)))
        .transpose()
}

/// `steps[N].run` is shell text for the container; it is never interpolated.
fn is_step_run(path: &str) -> bool {
    path.starts_with("steps[") && path.ends_with("].run")
}

/// `env:` is accepted for `environment:` in the container and the sidecars.
fn rename_env_keys(doc: &mut Value, display: &str) -> Result<(), LoadError> {
    let rename = |svc: &mut Value, at: String| -> Result<(), LoadError> {
        let Value::Mapping(m) = svc else {
            return Ok(());
        };
        if let Some(env) = m.remove("env") {
            if m.contains_key("environment") {
                return Err(job_error(
                    display,
                    &at,
                    "give `env` or `environment`, not both",
                ));
            }
            m.insert("environment".into(), env);
        }
        Ok(())
    };
    if let Some(c) = doc.get_mut("container") {
        rename(c, "container".into())?;
    }
    if let Some(Value::Mapping(services)) = doc.get_mut("services") {
        for (name, svc) in services.iter_mut() {
            let at = format!("service {:?}", name.as_str().unwrap_or_default());
            rename(svc, at)?;
        }
    }
    Ok(())
}

/// A sidecar's `wait:` is the `x-sidepod-wait` of Compose files.
fn rename_wait_keys(doc: &mut Value, display: &str) -> Result<(), LoadError> {
    if doc.get("container").and_then(|c| c.get("wait")).is_some() {
        return Err(job_error(
            display,
            "container: wait",
            "only sidecars have wait strategies: the steps run once every sidecar is ready",
        ));
    }
    let Some(Value::Mapping(services)) = doc.get_mut("services") else {
        return Ok(());
    };
    for (name, svc) in services.iter_mut() {
        let Value::Mapping(m) = svc else { continue };
        if let Some(wait) = m.remove("wait") {
            if m.contains_key(WAIT_KEY) {
                let at = format!("service {:?}", name.as_str().unwrap_or_default());
                return Err(job_error(
                    display,
                    &at,
                    &format!("give `wait` or `{WAIT_KEY}`, not both"),
                ));
            }
            m.insert(WAIT_KEY.into(), wait);
        }
    }
    Ok(())
}

/// Errors about a sidecar's wait strategies name the key as the job file spells it.
pub(super) fn rename_wait_error(e: LoadError, display: &str) -> LoadError {
    match e {
        LoadError::Invalid { file, at, message } if file == display => LoadError::Invalid {
            at: at.replace(WAIT_KEY, "wait"),
            file,
            message: message.replace(&format!("an {WAIT_KEY} strategy"), "a wait: strategy"),
        },
        other => other,
    }
}

fn steps(raw: Option<Vec<RawStep>>, display: &str) -> Result<Vec<Step>, LoadError> {
    let raw = raw.unwrap_or_default();
    if raw.is_empty() {
        return Err(job_error(
            display,
            "steps",
            "a job needs at least one step with `run:`",
        ));
    }
    raw.into_iter()
        .enumerate()
        .map(|(i, s)| {
            let at = format!("steps[{i}]");
            let run = s.run.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
                job_error(
                    display,
                    &at,
                    "a step needs `run:` (the shell command to run)",
                )
            })?;
            // It reaches the container as one argument of `podman exec`, which the kernel
            // caps; better said now than after the sidecars have started.
            if run.len() > MAX_RUN_BYTES {
                return Err(job_error(
                    display,
                    &format!("{at}.run"),
                    &format!(
                        "the script is {} KiB, more than the {} KiB one command line holds; \
                         put it in a file in the workspace and run that file",
                        run.len() >> 10,
                        MAX_RUN_BYTES >> 10
                    ),
                ));
            }
            let timeout = s
                .timeout
                .map(|t| {
                    parse_duration(&t).map_err(|m| job_error(display, &format!("{at}.timeout"), &m))
                })
                .transpose()?;
            let env = match s.env {
                None => BTreeMap::new(),
                Some(ListOrMap::Map(m)) => m
                    .into_iter()
                    .map(|(k, v)| (k, v.unwrap_or_default()))
                    .collect(),
                Some(ListOrMap::List(l)) => l
                    .into_iter()
                    .map(|item| match item.split_once('=') {
                        Some((k, v)) => (k.to_string(), v.to_string()),
                        None => (item, String::new()),
                    })
                    .collect(),
            };
            let name = s.name.unwrap_or_else(|| default_step_name(&run));
            let when = match s.when.as_deref() {
                None | Some("on_success") => StepWhen::OnSuccess,
                Some("on_failure") => StepWhen::OnFailure,
                Some("always") => StepWhen::Always,
                Some("never") => StepWhen::Never,
                Some(other) => {
                    return Err(job_error(
                        display,
                        &format!("{at}.when"),
                        &format!(
                        "{other:?} is not a condition; use on_success, on_failure, always or never"
                    ),
                    ))
                }
            };
            Ok(Step {
                name,
                run,
                env,
                timeout,
                working_dir: s.working_dir,
                when,
                continue_on_error: s.continue_on_error.unwrap_or(false),
                image: s.image,
                ..Step::default()
            })
        })
        .collect()
}

/// `Run <first line>`, shortened, as CI systems name a step without a name.
fn default_step_name(run: &str) -> String {
    let first = run.lines().next().unwrap_or_default().trim();
    let short: String = first.chars().take(40).collect();
    if short.len() < first.len() {
        format!("Run {short}...")
    } else {
        format!("Run {short}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_run_paths_are_recognised() {
        assert!(is_step_run("steps[0].run"));
        assert!(is_step_run("steps[12].run"));
        assert!(!is_step_run("steps[0].env.A"));
        assert!(!is_step_run("container.command[0]"));
    }

    #[test]
    fn unnamed_steps_are_named_after_their_command() {
        assert_eq!(default_step_name("pytest -q\nmore"), "Run pytest -q");
        assert!(default_step_name(&"x".repeat(60)).ends_with("..."));
    }
}
