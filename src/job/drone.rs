//! Drone (`.drone.yml`, `kind: pipeline`, `type: docker`): one pipeline's `services` and
//! `steps`, each step in a container of its own image in the pod, the workspace shared
//! read-write, as Drone runs them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use super::parts::{job_error, pick_job, CiJob, JobChoice, JobParts};
use crate::compose::{self, LoadError, Reader};
use crate::model::{Step, StepWhen};

/// Where Drone mounts the workspace, unless the pipeline's `workspace.path` says.
const WORKSPACE: &str = "/drone/src";

/// True for a `.drone.yml`, or a document of `kind: pipeline`.
pub fn is_pipeline(path: &Path, doc: &Mapping) -> bool {
    let named = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(".drone.yml"));
    named || doc.get("kind").and_then(Value::as_str) == Some("pipeline")
}

/// Every YAML document of the file: Drone puts one pipeline in each.
fn documents(text: &str, display: &str) -> Result<Vec<Mapping>, LoadError> {
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let value =
            Value::deserialize(doc).map_err(|e| job_error(display, "top level", &e.to_string()))?;
        if let Value::Mapping(m) = value {
            if m.get("kind").and_then(Value::as_str) == Some("pipeline") {
                out.push(m);
            }
        }
    }
    Ok(out)
}

fn name_of(p: &Mapping) -> String {
    p.get("name")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string()
}

/// Each pipeline, and whether it can run here (`--list`).
pub fn list(text: &str) -> Vec<(String, String)> {
    documents(text, "")
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let kind = p.get("type").and_then(Value::as_str).unwrap_or("docker");
            let how = if kind == "docker" {
                let steps = p
                    .get("steps")
                    .and_then(Value::as_sequence)
                    .map_or(0, Vec::len);
                format!("runs {steps} step(s), each in its own image")
            } else {
                format!("a {kind} pipeline: cannot run here (only docker pipelines run in a pod)")
            };
            (name_of(p), how)
        })
        .collect()
}

pub(super) fn read(
    file: &Path,
    dir: &Path,
    reader: &mut Reader,
    choice: &JobChoice,
) -> Result<JobParts, LoadError> {
    let display = reader.display(file);
    let text = reader.read_text(file)?;
    crate::compose::limits::check_nesting(&text, &display)?;
    let pipelines = documents(&text, &display)?;
    let names: Vec<String> = pipelines.iter().map(name_of).collect();
    let name = pick_job(&names, choice.job.as_deref(), "file", &display)?;
    let p = pipelines
        .into_iter()
        .find(|p| name_of(p) == name)
        .unwrap_or_default();
    let err = |at: &str, m: &str| job_error(&display, at, m);
    let kind = p.get("type").and_then(Value::as_str).unwrap_or("docker");
    if kind != "docker" {
        return Err(err(
            "type",
            &format!("a {kind} pipeline cannot run here; only docker pipelines run in a pod"),
        ));
    }
    let env = reader.env;
    let mut secrets = Vec::new();
    let mut warnings = Vec::new();
    let workspace = p
        .get("workspace")
        .and_then(|w| w.get("path"))
        .and_then(Value::as_str)
        .unwrap_or(WORKSPACE)
        .to_string();

    let mut services = Mapping::new();
    for (i, s) in p
        .get("services")
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let at = format!("services[{i}]");
        let sname = s
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| err(&at, "a service needs a `name`"))?;
        let mut svc = Mapping::new();
        let image = s
            .get("image")
            .and_then(Value::as_str)
            .ok_or_else(|| err(&at, "a service needs an `image`"))?;
        svc.insert("image".into(), image.into());
        let vars = environment(
            s.get("environment"),
            &format!("{at}.environment"),
            &display,
            &|k| env.get(k),
            &mut secrets,
        )?;
        svc.insert(
            "environment".into(),
            Value::Mapping(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
        );
        if let Some(cmds) = s.get("commands") {
            svc.insert(
                "entrypoint".into(),
                Value::Sequence(vec!["/bin/sh".into(), "-c".into()]),
            );
            svc.insert(
                "command".into(),
                Value::Sequence(vec![
                    script(cmds, &format!("{at}.commands"), &display)?.into()
                ]),
            );
        }
        for key in ["entrypoint", "command"] {
            if let Some(v) = s.get(key) {
                svc.insert(key.into(), v.clone());
            }
        }
        if let Some(pull) = s.get("pull").and_then(Value::as_str) {
            svc.insert(
                "pull_policy".into(),
                pull_policy(pull)
                    .ok_or_else(|| {
                        err(&format!("{at}.pull"), "use always, if-not-exists or never")
                    })?
                    .into(),
            );
        }
        if s.get("privileged").and_then(Value::as_bool) == Some(true) {
            svc.insert("privileged".into(), true.into());
        }
        services.insert(sname.into(), Value::Mapping(svc));
    }

    let list = p
        .get("steps")
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default();
    if list.is_empty() {
        return Err(err("steps", "a pipeline needs `steps:`"));
    }
    let branch = current_branch(dir);
    let mut steps = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let at = format!("steps[{i}]");
        let sname = s
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("step {}", i + 1));
        let image = s
            .get("image")
            .and_then(Value::as_str)
            .ok_or_else(|| err(&at, "a step needs an `image`"))?;
        let Some(cmds) = s.get("commands") else {
            // A plugin: the image does the work with its settings.
            warnings.push(format!(
                "{display}: {at} ({sname:?}) is a plugin step (no `commands`): it is skipped"
            ));
            steps.push(Step {
                name: sname,
                when: StepWhen::Never,
                ..Step::default()
            });
            continue;
        };
        let vars = environment(
            s.get("environment"),
            &format!("{at}.environment"),
            &display,
            &|k| env.get(k),
            &mut secrets,
        )?;
        if s.get("pull").and_then(Value::as_str) == Some("always") {
            warnings.push(format!("{display}: {at}.pull: a step's image is pulled when it is missing; pull it first to refresh it"));
        }
        steps.push(Step {
            name: sname,
            run: script(cmds, &format!("{at}.commands"), &display)?,
            env: vars.into_iter().collect(),
            when: when(
                s.get("when"),
                &format!("{at}.when"),
                &display,
                branch.as_deref(),
            )?,
            continue_on_error: s.get("failure").and_then(Value::as_str) == Some("ignore"),
            image: Some(image.to_string()),
            ..Step::default()
        });
    }
    // The main container idles in the first step's image: every step runs in its own.
    let first = list
        .iter()
        .find_map(|s| s.get("image").and_then(Value::as_str))
        .unwrap_or_default();
    let mut container = Mapping::new();
    container.insert("image".into(), first.into());
    container.insert("working_dir".into(), workspace.as_str().into());
    let mut vars = Mapping::new();
    for (k, v) in [
        ("CI", "true"),
        ("DRONE", "true"),
        ("DRONE_WORKSPACE", workspace.as_str()),
        ("DRONE_STAGE_NAME", name.as_str()),
    ] {
        vars.insert(k.into(), v.into());
    }
    container.insert("environment".into(), Value::Mapping(vars));
    let container = compose::validate(&Value::Mapping(container), &display)?;
    Ok(CiJob {
        name,
        services,
        container,
        steps,
        timeout: None,
        mask: secrets,
        warnings,
        auth: Default::default(),
    }
    .into_parts(&display, dir, "the pipeline's name"))
}

/// `commands`, run as Drone runs them: each line shown (`+ cmd`) and the first failure
/// ends the step.
fn script(v: &Value, at: &str, display: &str) -> Result<String, LoadError> {
    let lines: Vec<String> = match v {
        Value::Sequence(items) => items
            .iter()
            .map(|i| {
                crate::compose::raw::scalar_text(i)
                    .ok_or_else(|| job_error(display, at, "expected lines of shell"))
            })
            .collect::<Result<_, _>>()?,
        Value::String(s) => vec![s.clone()],
        _ => return Err(job_error(display, at, "expected a list of commands")),
    };
    let mut out = String::from("set -e\n");
    for line in lines {
        out.push_str(&format!("echo + {}\n{line}\n", shell_words::quote(&line)));
    }
    Ok(out)
}

/// `environment`: plain values, or `{from_secret: NAME}`, read from the environment
/// sidepod runs in and masked.
fn environment(
    v: Option<&Value>,
    at: &str,
    display: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    secrets: &mut Vec<String>,
) -> Result<BTreeMap<String, String>, LoadError> {
    let Some(Value::Mapping(m)) = v else {
        return match v {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            _ => Err(job_error(display, at, "expected a mapping of NAME: value")),
        };
    };
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let key = k.as_str().unwrap_or_default().to_string();
        let value = match v {
            Value::Mapping(s) => {
                let secret = s
                    .get("from_secret")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        job_error(
                            display,
                            &format!("{at}.{key}"),
                            "expected a value or `from_secret: NAME`",
                        )
                    })?;
                secrets.push(secret.to_string());
                lookup(secret).unwrap_or_default()
            }
            other => crate::compose::raw::scalar_text(other).unwrap_or_default(),
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// `when:`: `status` (success, failure), `event` (a local run is a push), `branch`
/// (the checkout's); lists, or `include`/`exclude`.
fn when(
    v: Option<&Value>,
    at: &str,
    display: &str,
    branch: Option<&str>,
) -> Result<StepWhen, LoadError> {
    let Some(Value::Mapping(m)) = v else {
        return Ok(StepWhen::OnSuccess);
    };
    let mut on = (true, false);
    for (k, cond) in m {
        let key = k.as_str().unwrap_or_default();
        let matches = |value: &str| -> bool {
            let list = |v: Option<&Value>| -> Vec<String> {
                match v {
                    Some(Value::String(s)) => vec![s.clone()],
                    Some(Value::Sequence(items)) => items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                }
            };
            let (include, exclude) = match cond {
                Value::Mapping(c) => (list(c.get("include")), list(c.get("exclude"))),
                other => (list(Some(other)), Vec::new()),
            };
            let glob = |p: &str| {
                p == value
                    || p.strip_suffix('*')
                        .is_some_and(|pre| value.starts_with(pre))
            };
            (include.is_empty() || include.iter().any(|p| glob(p)))
                && !exclude.iter().any(|p| glob(p))
        };
        match key {
            "status" => on = (matches("success"), matches("failure")),
            "event" => {
                if !matches("push") {
                    return Ok(StepWhen::Never);
                }
            }
            "branch" => {
                if !matches(branch.unwrap_or("main")) {
                    return Ok(StepWhen::Never);
                }
            }
            other => {
                return Err(job_error(
                    display,
                    &format!("{at}.{other}"),
                    "sidepod evaluates `status`, `event` and `branch` conditions",
                ))
            }
        }
    }
    Ok(match on {
        (true, true) => StepWhen::Always,
        (true, false) => StepWhen::OnSuccess,
        (false, true) => StepWhen::OnFailure,
        (false, false) => StepWhen::Never,
    })
}

/// The branch checked out in `dir`, from `.git/HEAD`.
fn current_branch(dir: &Path) -> Option<String> {
    let head = std::fs::read_to_string(dir.join(".git/HEAD")).ok()?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_string)
}

fn pull_policy(pull: &str) -> Option<&'static str> {
    match pull {
        "always" => Some("always"),
        "if-not-exists" => Some("missing"),
        "never" => Some("never"),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
