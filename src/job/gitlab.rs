//! GitLab CI (`.gitlab-ci.yml`): one job's `image`, `services`, `variables` and scripts,
//! read into the one job model, with `default:`, hidden jobs, local `extends:`,
//! `!reference` and local `include:` resolved first. `before_script` and `script` are
//! the job's step; `after_script` runs after it whatever happened, as GitLab runs it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_norway::{Mapping, Value};

use super::parts::{add_env, items, job_error, pick_job, CiJob, JobChoice, JobParts};
use crate::compose::{self, LoadError, Reader};
use document::{document, extended, resolve_references};

mod document;
use crate::model::{Step, StepWhen, DEFAULT_WORKDIR};

/// Top-level keys that are settings, not jobs.
const KEYWORDS: [&str; 12] = [
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
    "types",
    "spec",
];

/// True for a `.gitlab-ci.yml`, or a file whose jobs have `script:` and whose top level
/// has GitLab's `stages:`.
pub fn is_pipeline(path: &Path, doc: &Mapping) -> bool {
    let named = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(".gitlab-ci.yml"));
    named || (doc.contains_key("stages") && jobs(doc).next().is_some())
}

fn jobs(doc: &Mapping) -> impl Iterator<Item = (String, &Value)> {
    doc.iter().filter_map(|(k, v)| {
        let name = k.as_str()?;
        let job = v.as_mapping()?;
        let runs = job.contains_key("script")
            || job.contains_key("trigger")
            || job.contains_key("extends");
        (!name.starts_with('.') && !KEYWORDS.contains(&name) && runs).then(|| (name.to_string(), v))
    })
}

/// Each job, and whether it can run here (`--list`).
pub fn list(doc: &Mapping) -> Vec<(String, String)> {
    jobs(doc)
        .map(|(name, job)| {
            let how = if job.get("trigger").is_some() {
                "triggers another pipeline: cannot run here".to_string()
            } else {
                let image = job
                    .get("image")
                    .or_else(|| doc.get("default").and_then(|d| d.get("image")))
                    .or_else(|| doc.get("image"))
                    .and_then(image_name);
                match image {
                    Some(i) => format!("runs in {i}"),
                    None => "needs an image: give one with --image".to_string(),
                }
            };
            (name, how)
        })
        .collect()
}

fn image_name(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Mapping(m) => m.get("name").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// Reads the chosen job of a pipeline.
pub(super) fn read(
    file: &Path,
    dir: &Path,
    reader: &mut Reader,
    choice: &JobChoice,
) -> Result<JobParts, LoadError> {
    let display = reader.display(file);
    let err = |at: &str, m: &str| job_error(&display, at, m);
    let mut doc = document(file, dir, reader, &display, 0)?;
    let original = doc.clone();
    resolve_references(&mut doc, &original, &display)?;
    let names: Vec<String> = jobs(&doc).map(|(n, _)| n).collect();
    let name = pick_job(&names, choice.job.as_deref(), "pipeline", &display)?;
    let mut job = extended(&doc, &name, &display, &mut Vec::new())?;
    if job.get("trigger").is_some() {
        return Err(err(
            &format!("{name}.trigger"),
            "triggers another pipeline, which cannot run here",
        ));
    }
    fill_defaults(&doc, &mut job);
    let vars = job_variables(&doc, &job, &name, &display, reader.env)?;
    let env = reader.env;
    let expand = |s: &str| -> String {
        let lookup = |k: &str| vars.get(k).cloned().or_else(|| env.get(k));
        crate::compose::interpolate::Interpolator::new(&lookup)
            .interpolate(s)
            .unwrap_or_else(|_| s.to_string())
    };
    let container = job_container(&job, &name, choice, &vars, &expand, &display)?;

    let mut services = Mapping::new();
    for (i, s) in items(job.get("services")) {
        let at = format!("{name}.services[{i}]");
        let (sname, mut svc) = service(s, &at, &display, &expand)?;
        // The runner passes the file's variables to every service; its own win.
        add_env(&mut svc, &vars, false);
        services.insert(sname.into(), Value::Mapping(svc));
    }
    let (steps, timeout) = job_steps(&job, &name, &display)?;
    Ok(CiJob {
        name,
        services,
        container,
        steps,
        timeout,
        mask: Vec::new(),
        warnings: Vec::new(),
        auth: Default::default(),
    }
    .into_parts(&display, dir, "the pipeline's job name"))
}

/// `default:` (and the old top-level keys) fill what the job does not say.
fn fill_defaults(doc: &Mapping, job: &mut Mapping) {
    let defaults = doc
        .get("default")
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default();
    for key in [
        "image",
        "services",
        "before_script",
        "after_script",
        "timeout",
    ] {
        if !job.contains_key(key) {
            if let Some(v) = defaults.get(key).or_else(|| doc.get(key)) {
                job.insert(key.into(), v.clone());
            }
        }
    }
}

/// The job's variables: the file's, the job's, and this run's matrix combination, each
/// expanded as the runner expands them.
fn job_variables(
    doc: &Mapping,
    job: &Mapping,
    name: &str,
    display: &str,
    env: &crate::compose::Environment,
) -> Result<BTreeMap<String, String>, LoadError> {
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    for (level, at) in [
        (doc.get("variables"), "variables".to_string()),
        (job.get("variables"), format!("{name}.variables")),
    ] {
        vars.extend(variables(level, &at, display)?);
    }
    match job.get("parallel") {
        None => {}
        Some(p) if p.get("matrix").is_some() => {
            // This run's combination (its variables are in the environment) wins.
            let axes = p.get("matrix").and_then(Value::as_sequence).into_iter().flatten();
            for key in axes.filter_map(Value::as_mapping).flat_map(|m| m.keys()) {
                if let Some(k) = key.as_str() {
                    if let Some(v) = env.get(k) {
                        vars.insert(k.to_string(), v);
                    }
                }
            }
        }
        Some(_) => {
            return Err(job_error(
                display,
                &format!("{name}.parallel"),
                "a number of parallel copies splits the job across runners, which one pod cannot do; use parallel: matrix:, or remove it",
            ))
        }
    }
    // A variable's value may name others (`$OTHER`, `${OTHER}`; `$$` is a `$`), as
    // the runner expands them.
    Ok(vars
        .iter()
        .map(|(k, v)| (k.clone(), expand_value(v, &vars, &|k| env.get(k), 0)))
        .collect())
}

/// The main container: the job's image (or --image), its entrypoint, and the variables
/// with the runner's defaults.
fn job_container(
    job: &Mapping,
    name: &str,
    choice: &JobChoice,
    vars: &BTreeMap<String, String>,
    expand: &dyn Fn(&str) -> String,
    display: &str,
) -> Result<compose::raw::RawService, LoadError> {
    let err = |at: &str, m: &str| job_error(display, at, m);
    let mut container = Mapping::new();
    match job.get("image") {
        Some(Value::String(image)) => {
            container.insert("image".into(), expand(image).into());
        }
        Some(Value::Mapping(m)) => {
            let image = m
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| err(&format!("{name}.image"), "needs a `name`"))?;
            container.insert("image".into(), expand(image).into());
            if let Some(e) = m.get("entrypoint") {
                container.insert("entrypoint".into(), e.clone());
            }
        }
        Some(_) => {
            return Err(err(
                &format!("{name}.image"),
                "expected an image, or a mapping with `name`",
            ))
        }
        None => match &choice.image {
            Some(i) => {
                container.insert("image".into(), i.as_str().into());
            }
            None => {
                return Err(err(
                    &format!("{name}.image"),
                    "the job names no image (nor does `default:`); give one with --image",
                ))
            }
        },
    }
    let mut environment: Mapping = vars
        .iter()
        .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
        .collect();
    for (k, v) in [
        ("CI", "true"),
        ("GITLAB_CI", "true"),
        ("CI_PROJECT_DIR", DEFAULT_WORKDIR),
        ("CI_BUILDS_DIR", DEFAULT_WORKDIR),
        ("CI_JOB_NAME", name),
    ] {
        environment.entry(k.into()).or_insert_with(|| v.into());
    }
    container.insert("environment".into(), Value::Mapping(environment));
    compose::validate(&Value::Mapping(container), display)
}

/// The job's steps (before_script with script, then after_script always) and its timeout.
fn job_steps(
    job: &Mapping,
    name: &str,
    display: &str,
) -> Result<(Vec<Step>, Option<Duration>), LoadError> {
    let err = |at: &str, m: &str| job_error(display, at, m);
    let script = lines(job.get("script"), &format!("{name}.script"), display)?;
    if script.is_empty() {
        return Err(err(&format!("{name}.script"), "a job needs a `script`"));
    }
    let before = lines(
        job.get("before_script"),
        &format!("{name}.before_script"),
        display,
    )?;
    let after = lines(
        job.get("after_script"),
        &format!("{name}.after_script"),
        display,
    )?;
    let mut steps = vec![Step {
        name: name.to_string(),
        run: shell_lines(before.iter().chain(script.iter())),
        ..Step::default()
    }];
    if !after.is_empty() {
        steps.push(Step {
            name: "after_script".into(),
            run: shell_lines(after.iter()),
            when: StepWhen::Always,
            ..Step::default()
        });
    }
    let timeout = match job.get("timeout").and_then(Value::as_str) {
        None => None,
        Some(t) => Some(duration(t).ok_or_else(|| {
            err(
                &format!("{name}.timeout"),
                &format!("{t:?} is not a duration GitLab writes, as 1h 30m or 90 minutes"),
            )
        })?),
    };
    Ok((steps, timeout))
}

/// One `services:` entry, with the name GitLab gives it: its `alias`, else the image
/// without its tag, `/` as `__` (and, as a second alias, as `-`).
fn service(
    s: &Value,
    at: &str,
    display: &str,
    expand: &dyn Fn(&str) -> String,
) -> Result<(String, Mapping), LoadError> {
    let mut svc = Mapping::new();
    let (image, m) = match s {
        Value::String(i) => (expand(i), None),
        Value::Mapping(m) => (
            expand(
                m.get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| job_error(display, at, "needs a `name`: the image"))?,
            ),
            Some(m),
        ),
        _ => {
            return Err(job_error(
                display,
                at,
                "expected an image, or a mapping with `name`",
            ))
        }
    };
    svc.insert("image".into(), image.as_str().into());
    let base = image
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .map_or(image.as_str(), |(b, _)| b);
    let base = base.split('@').next().unwrap_or(base);
    let mut names = vec![base.replace('/', "__"), base.replace('/', "-")];
    if let Some(m) = m {
        for (k, v) in m {
            let key = k.as_str().unwrap_or_default();
            let here = format!("{at}.{key}");
            match key {
                "name" => {}
                "alias" => {
                    let aliases: Vec<String> = v.as_str().unwrap_or_default().split([',', ' ']).filter(|a| !a.is_empty()).map(str::to_string).collect();
                    if aliases.is_empty() {
                        return Err(job_error(display, &here, "expected one or more names"));
                    }
                    // The aliases name it, and the image's names still reach it.
                    names.splice(0..0, aliases);
                }
                "command" | "entrypoint" => {
                    svc.insert(key.into(), v.clone());
                }
                "variables" => {
                    let vars: Mapping = variables(Some(v), &here, display)?.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
                    svc.insert("environment".into(), Value::Mapping(vars));
                }
                "pull_policy" => {
                    let policy = match v.as_str().or_else(|| v.as_sequence().and_then(|s| s.first()).and_then(Value::as_str)) {
                        Some("always") => "always",
                        Some("if-not-present") => "missing",
                        Some("never") => "never",
                        _ => return Err(job_error(display, &here, "use always, if-not-present or never")),
                    };
                    svc.insert("pull_policy".into(), policy.into());
                }
                other => return Err(job_error(display, &here, &format!("unknown key {other:?}; a service has name, alias, command, entrypoint, variables and pull_policy"))),
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    let name = names.remove(0);
    if !names.is_empty() {
        let aliases: Vec<Value> = names.into_iter().map(Value::from).collect();
        let mut net = Mapping::new();
        net.insert("aliases".into(), Value::Sequence(aliases));
        let mut nets = Mapping::new();
        nets.insert("default".into(), Value::Mapping(net));
        svc.insert("networks".into(), Value::Mapping(nets));
    }
    Ok((name, svc))
}

/// A variable's value with the variables it names expanded, theirs too (a few levels
/// deep, which ends any cycle); one the file does not set comes from the environment
/// sidepod runs in, else is empty.
fn expand_value(
    value: &str,
    vars: &BTreeMap<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
    depth: usize,
) -> String {
    let lookup = |k: &str| match vars.get(k) {
        Some(raw) if depth < 4 => Some(expand_value(raw, vars, env, depth + 1)),
        Some(raw) => Some(raw.clone()),
        None => env(k),
    };
    crate::compose::interpolate::Interpolator::new(&lookup)
        .interpolate(value)
        .unwrap_or_else(|_| value.to_string())
}

/// `variables:`: plain values, or `{value, description}`.
fn variables(
    v: Option<&Value>,
    at: &str,
    display: &str,
) -> Result<Vec<(String, String)>, LoadError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Value::Mapping(m) = v else {
        return Err(job_error(display, at, "expected a mapping of NAME: value"));
    };
    m.iter()
        .map(|(k, v)| {
            let name = k.as_str().unwrap_or_default().to_string();
            let value = match v {
                // `expand: false` keeps every `$` as written.
                Value::Mapping(full) if full.get("expand") == Some(&Value::Bool(false)) => full
                    .get("value")
                    .and_then(crate::compose::raw::scalar_text)
                    .map(|t| t.replace('$', "$$")),
                Value::Mapping(full) => {
                    full.get("value").and_then(crate::compose::raw::scalar_text)
                }
                other => crate::compose::raw::scalar_text(other),
            };
            value.map(|val| (name.clone(), val)).ok_or_else(|| {
                job_error(display, &format!("{at}.{name}"), "expected a plain value")
            })
        })
        .collect()
}

/// Script lines: a string, or a list of strings (nested lists from `!reference` are
/// flattened already).
fn lines(v: Option<&Value>, at: &str, display: &str) -> Result<Vec<String>, LoadError> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|i| {
                crate::compose::raw::scalar_text(i)
                    .ok_or_else(|| job_error(display, at, "expected lines of shell"))
            })
            .collect(),
        Some(_) => Err(job_error(
            display,
            at,
            "expected a line of shell or a list of them",
        )),
    }
}

/// The lines as one shell script that stops at the first failing line and shows each
/// line before it runs, as GitLab's job log does.
fn shell_lines<'a>(lines: impl Iterator<Item = &'a String>) -> String {
    let mut out = String::from("set -e\n");
    for line in lines {
        let shown = line.replace('\'', "'\\''");
        out.push_str(&format!("printf '%s\\n' '$ {shown}'\n{line}\n"));
    }
    out
}

/// GitLab's human durations: `1h 30m`, `90 minutes`, `2 hours`, `3600`.
fn duration(text: &str) -> Option<Duration> {
    let t = text.trim().to_ascii_lowercase();
    if let Ok(secs) = t.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut number = String::new();
    let mut unit = String::new();
    let mut flush = |number: &mut String, unit: &mut String| -> Option<()> {
        if number.is_empty() {
            return if unit.is_empty() { Some(()) } else { None };
        }
        let n: u64 = number.parse().ok()?;
        let per = match unit.as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" | "" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86400,
            _ => return None,
        };
        total += n * per;
        number.clear();
        unit.clear();
        Some(())
    };
    for c in t.chars() {
        if c.is_ascii_digit() {
            if !unit.is_empty() {
                flush(&mut number, &mut unit)?;
            }
            number.push(c);
        } else if c.is_ascii_alphabetic() {
            unit.push(c);
        } else if c == ' ' || c == ',' {
            if !unit.is_empty() {
                flush(&mut number, &mut unit)?;
            }
        } else {
            return None;
        }
    }
    flush(&mut number, &mut unit)?;
    (total > 0).then(|| Duration::from_secs(total))
}

#[cfg(test)]
mod tests;
