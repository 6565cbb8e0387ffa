//! Azure Pipelines (`azure-pipelines.yml`): one job's `container:` and `services:`
//! (inline, or aliases of `resources.containers`), its variables and its `script` and
//! `bash` steps, read into the one job model. `checkout` is the mounted workspace;
//! `task` steps are skipped and named.

use std::collections::BTreeMap;
use std::path::Path;

use serde_norway::{Mapping, Value};

use super::parts::{
    add_env, job_error, minutes, pick_job, read_mapping, script_file, CiJob, JobChoice, JobParts,
};
use crate::compose::{self, LoadError, Reader};
use crate::model::{Step, StepWhen, DEFAULT_WORKDIR};

/// True for `azure-pipelines.yml`, a `jobs:` list of `- job:`, or steps written as Azure
/// writes them (`script:`, `bash:`, `task:`).
pub fn is_pipeline(path: &Path, doc: &Mapping) -> bool {
    let named = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("azure-pipelines"));
    let job_list = doc
        .get("jobs")
        .and_then(Value::as_sequence)
        .is_some_and(|jobs| jobs.iter().any(|j| j.get("job").is_some()));
    let azure_steps = doc
        .get("steps")
        .and_then(Value::as_sequence)
        .is_some_and(|steps| {
            steps.iter().any(|s| {
                ["script", "bash", "task", "checkout"]
                    .iter()
                    .any(|k| s.get(*k).is_some())
            })
        });
    named || job_list || azure_steps || doc.contains_key("stages") && doc.contains_key("pool")
}

/// The jobs: `jobs:`, the jobs of every `stages:` entry, or the pipeline itself when it
/// has its steps at the top.
fn jobs(doc: &Mapping) -> Vec<(String, Mapping)> {
    let mut out = Vec::new();
    let mut take = |list: Option<&Value>| {
        for j in list.and_then(Value::as_sequence).into_iter().flatten() {
            if let (Some(name), Some(m)) = (j.get("job").and_then(Value::as_str), j.as_mapping()) {
                out.push((name.to_string(), m.clone()));
            }
        }
    };
    take(doc.get("jobs"));
    for stage in doc
        .get("stages")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        take(stage.get("jobs"));
    }
    if out.is_empty() && doc.contains_key("steps") {
        out.push(("job".to_string(), doc.clone()));
    }
    out
}

/// Each job, and whether it can run here (`--list`).
pub fn list(doc: &Mapping) -> Vec<(String, String)> {
    jobs(doc)
        .into_iter()
        .map(|(name, job)| {
            let how = match job.get("container") {
                Some(_) => "runs in its container".to_string(),
                None => {
                    "runs on the agent: give the image its steps run in with --image".to_string()
                }
            };
            (name, how)
        })
        .collect()
}

pub(super) fn read(
    file: &Path,
    dir: &Path,
    reader: &mut Reader,
    choice: &JobChoice,
) -> Result<JobParts, LoadError> {
    let (display, doc) = read_mapping(file, reader)?;
    let all = jobs(&doc);
    let names: Vec<String> = all.iter().map(|(n, _)| n.clone()).collect();
    let name = pick_job(&names, choice.job.as_deref(), "pipeline", &display)?;
    let job = all
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, j)| j)
        .unwrap_or_default();
    let at = |k: &str| format!("jobs.{name}.{k}");
    let resources: BTreeMap<String, Value> = doc
        .get("resources")
        .and_then(|r| r.get("containers"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c.get("container")?.as_str()?.to_string(), c.clone())))
        .collect();
    let mut vars = variables(doc.get("variables"), "variables", &display)?;
    vars.extend(variables(job.get("variables"), &at("variables"), &display)?);
    let expand = |s: &str| macros(s, &vars);

    let mut container = match job.get("container") {
        Some(c) => container(c, &resources, &at("container"), &display, &expand)?,
        None => match &choice.image {
            Some(i) => {
                let mut m = Mapping::new();
                m.insert("image".into(), i.as_str().into());
                m
            }
            None => {
                return Err(job_error(
                    &display,
                    &at("pool"),
                    "this job runs on the agent, not in a container; give the image its steps should run in with --image",
                ))
            }
        },
    };
    // Azure gives every variable to the steps, upper-cased, dots as underscores.
    let upper = vars
        .iter()
        .map(|(k, v)| (k.to_uppercase().replace('.', "_"), v));
    add_env(&mut container, upper, false);
    let defaults = [
        ("TF_BUILD", "True"),
        ("BUILD_SOURCESDIRECTORY", DEFAULT_WORKDIR),
        ("SYSTEM_DEFAULTWORKINGDIRECTORY", DEFAULT_WORKDIR),
    ];
    add_env(&mut container, defaults, false);
    let container = compose::validate(&Value::Mapping(container), &display)?;
    let mut services = Mapping::new();
    if let Some(list) = job.get("services").and_then(Value::as_mapping) {
        for (sname, s) in list {
            let sname = sname.as_str().unwrap_or_default().to_string();
            let svc = self::container(
                s,
                &resources,
                &at(&format!("services.{sname}")),
                &display,
                &expand,
            )?;
            services.insert(sname.into(), Value::Mapping(svc));
        }
    }
    let mut warnings = Vec::new();
    let steps = steps(&job, &at, &display, &expand, &mut warnings)?;
    let timeout = minutes(
        job.get("timeoutInMinutes"),
        &at("timeoutInMinutes"),
        &display,
    )?;
    Ok(CiJob {
        name,
        services,
        container,
        steps,
        timeout,
        mask: Vec::new(),
        warnings,
        auth: Default::default(),
    }
    .into_parts(&display, dir, "the pipeline's job name"))
}

/// A container: an image, an alias of `resources.containers`, or a mapping with
/// `image`, `name`, `env`, `ports`, `volumes` and `options`.
fn container(
    c: &Value,
    resources: &BTreeMap<String, Value>,
    at: &str,
    display: &str,
    expand: &dyn Fn(&str) -> String,
) -> Result<Mapping, LoadError> {
    let c = match c {
        Value::String(s) => match resources.get(s) {
            Some(r) => r.clone(),
            None => {
                let mut m = Mapping::new();
                m.insert("image".into(), s.as_str().into());
                Value::Mapping(m)
            }
        },
        other => other.clone(),
    };
    let Value::Mapping(c) = c else {
        return Err(job_error(
            display,
            at,
            "expected an image, an alias of resources.containers, or a mapping",
        ));
    };
    let mut out = Mapping::new();
    for (k, v) in &c {
        let key = k.as_str().unwrap_or_default();
        let here = format!("{at}.{key}");
        match key {
            "image" => {
                out.insert("image".into(), expand(v.as_str().unwrap_or_default()).into());
            }
            "container" | "name" | "endpoint" | "mapDockerSocket" => {}
            "env" => {
                let env: Mapping = variables(Some(v), &here, display)?
                    .into_iter()
                    .map(|(k, v)| (k.into(), expand(&v).into()))
                    .collect();
                out.insert("environment".into(), Value::Mapping(env));
            }
            "ports" => {
                let expose: Vec<Value> = v
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .filter_map(crate::compose::raw::scalar_text)
                    .map(|p| Value::from(p.rsplit(':').next().unwrap_or_default().to_string()))
                    .collect();
                out.insert("expose".into(), Value::Sequence(expose));
            }
            "volumes" => {
                out.insert("volumes".into(), v.clone());
            }
            "options" => {
                let opts = expand(v.as_str().unwrap_or_default());
                super::github::apply_options(&opts, &mut out).map_err(|m| job_error(display, &here, &m))?;
            }
            other => {
                return Err(job_error(
                    display,
                    &here,
                    &format!("unknown key {other:?}; a container has image, name, env, ports, volumes and options"),
                ))
            }
        }
    }
    if !out.contains_key("image") {
        return Err(job_error(display, at, "needs an `image`"));
    }
    Ok(out)
}

fn steps(
    job: &Mapping,
    at: &dyn Fn(&str) -> String,
    display: &str,
    expand: &dyn Fn(&str) -> String,
    warnings: &mut Vec<String>,
) -> Result<Vec<Step>, LoadError> {
    let Some(list) = job.get("steps").and_then(Value::as_sequence) else {
        return Err(job_error(display, &at("steps"), "a job needs `steps:`"));
    };
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let here = at(&format!("steps[{i}]"));
        let label = s
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::to_string);
        if s.get("checkout").is_some() {
            continue;
        }
        if let Some(task) = s.get("task").and_then(Value::as_str) {
            warnings.push(format!(
                "{display}: {here}: task {task} is skipped: sidepod runs `script` and `bash` steps"
            ));
            out.push(Step {
                name: label.unwrap_or_else(|| task.to_string()),
                when: StepWhen::Never,
                ..Step::default()
            });
            continue;
        }
        let (script, command) = match (s.get("script"), s.get("bash")) {
            // Azure runs both with bash, without `-e`: the last command's code is the step's.
            (Some(v), None) | (None, Some(v)) => (
                v,
                "if command -v bash >/dev/null 2>&1; then bash --noprofile --norc {0}; else sh {0}; fi",
            ),
            _ => return Err(job_error(display, &here, "a step needs `script:` or `bash:` (or is a checkout or a task)")),
        };
        let script = expand(script.as_str().unwrap_or_default());
        let env: BTreeMap<String, String> =
            variables(s.get("env"), &format!("{here}.env"), display)?
                .into_iter()
                .map(|(k, v)| (k, expand(&v)))
                .collect();
        let when = match s.get("condition").and_then(Value::as_str).map(str::trim) {
            None | Some("succeeded()") => StepWhen::OnSuccess,
            Some("failed()") => StepWhen::OnFailure,
            Some("always()") | Some("succeededOrFailed()") => StepWhen::Always,
            Some("false") => StepWhen::Never,
            Some(other) => {
                return Err(job_error(
                    display,
                    &format!("{here}.condition"),
                    &format!("{other:?}: sidepod understands succeeded(), failed(), always(), succeededOrFailed() and false"),
                ))
            }
        };
        out.push(Step {
            name: label.unwrap_or_else(|| script.lines().next().unwrap_or_default().to_string()),
            run: script_file(&script, command),
            env,
            timeout: minutes(
                s.get("timeoutInMinutes"),
                &format!("{here}.timeoutInMinutes"),
                display,
            )?,
            working_dir: s
                .get("workingDirectory")
                .and_then(Value::as_str)
                .map(expand),
            when,
            continue_on_error: s
                .get("continueOnError")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            ..Step::default()
        });
    }
    Ok(out)
}

/// `$(name)` macros, replaced before a step runs as Azure replaces them; unknown ones
/// stay as they are (the shell may mean a command substitution).
fn macros(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("$(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find(')') {
            Some(end) => {
                let name = &after[..end];
                match predefined(name).or_else(|| vars.get(name).cloned()) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[start..start + 3 + end]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn predefined(name: &str) -> Option<String> {
    match name {
        "Build.SourcesDirectory" | "System.DefaultWorkingDirectory" | "Pipeline.Workspace" => {
            Some(DEFAULT_WORKDIR.into())
        }
        "Agent.OS" => Some("Linux".into()),
        _ => None,
    }
}

/// `variables:` as a mapping, or as a list of `{name, value}`.
fn variables(
    v: Option<&Value>,
    at: &str,
    display: &str,
) -> Result<BTreeMap<String, String>, LoadError> {
    let bad = || {
        job_error(
            display,
            at,
            "expected NAME: value pairs, or a list of {name, value}",
        )
    };
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Mapping(m)) => m
            .iter()
            .map(|(k, v)| {
                Some((
                    crate::compose::raw::scalar_text(k)?,
                    crate::compose::raw::scalar_text(v)?,
                ))
            })
            .collect::<Option<_>>()
            .ok_or_else(bad),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|i| {
                if i.get("group").is_some() || i.get("template").is_some() {
                    return None;
                }
                Some((
                    i.get("name")?.as_str()?.to_string(),
                    crate::compose::raw::scalar_text(i.get("value")?)?,
                ))
            })
            .collect::<Option<_>>()
            .ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

#[cfg(test)]
mod tests;
