//! GitHub Actions workflows (`.github/workflows/*.yml`): one job's `container:`,
//! `services:` and steps, read into the one job model. `run:` steps run in the main
//! container; `actions/checkout` is a no-op (the workspace is mounted); any other
//! `uses:` step is skipped, and named, or refused with `--strict-actions`.

mod expr;
mod options;

pub(super) use options::apply as apply_options;

use std::collections::BTreeMap;
use std::path::Path;

use serde_norway::{Mapping, Value};

use self::expr::Contexts;
use super::parts::{
    add_env, job_error, login, minutes, pick_job, plain_pairs as pairs, read_mapping, script_file,
    CiJob, JobChoice, JobParts,
};
use crate::compose::{self, LoadError, Reader};
use crate::model::{Step, StepWhen, DEFAULT_WORKDIR};

/// True when the file is a GitHub Actions workflow: under `.github/workflows/`, or with
/// `on:` and `jobs:` whose jobs say where they run.
pub fn is_workflow(path: &Path, doc: &Mapping) -> bool {
    let under = path.to_string_lossy().contains(".github/workflows/");
    let jobs = doc.get("jobs").and_then(Value::as_mapping);
    let runs = jobs.is_some_and(|j| {
        j.values()
            .any(|job| job.get("runs-on").is_some() || job.get("uses").is_some())
    });
    (under && jobs.is_some()) || runs
}

/// Each job of the workflow, and whether it can run here (`--list`).
pub fn list(doc: &Mapping) -> Vec<(String, String)> {
    let jobs = doc
        .get("jobs")
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default();
    jobs.iter()
        .map(|(name, job)| {
            let name = text(name).unwrap_or_default();
            let how = if job.get("uses").is_some() {
                "calls a reusable workflow: cannot run here".to_string()
            } else if let Some(c) = job.get("container") {
                let image = c
                    .as_str()
                    .or_else(|| c.get("image").and_then(Value::as_str));
                format!("runs in {}", image.unwrap_or("its container"))
            } else {
                "runs on the runner: give the image its steps run in with --image".to_string()
            };
            (name, how)
        })
        .collect()
}

/// Reads the chosen job of a workflow.
pub(super) fn read(
    file: &Path,
    dir: &Path,
    reader: &mut Reader,
    choice: &JobChoice,
) -> Result<JobParts, LoadError> {
    let (display, doc) = read_mapping(file, reader)?;
    let err = |at: &str, message: &str| job_error(&display, at, message);
    let Some(jobs) = doc.get("jobs").and_then(Value::as_mapping) else {
        return Err(err("top level", "a workflow needs `jobs:`"));
    };
    let names: Vec<String> = jobs.keys().filter_map(text).collect();
    let name = pick_job(&names, choice.job.as_deref(), "workflow", &display)?;
    let job = jobs.get(name.as_str()).cloned().unwrap_or_default();
    let at = |key: &str| format!("jobs.{name}.{key}");
    if job.get("uses").is_some() {
        return Err(err(
            &at("uses"),
            "calls a reusable workflow; run that workflow's own file instead",
        ));
    }
    let lookup_env = reader.env;
    let lookup = |k: &str| lookup_env.get(k);
    let github = github_context(&name);
    let mut secrets = Vec::new();
    let levels = [
        (doc.get("env"), "env".to_string()),
        (job.get("env"), at("env")),
    ];
    let env = job_env(levels, &display, &lookup, &github, &mut secrets)?;
    let cx = Contexts {
        env: &env,
        lookup: &lookup,
        github: &github,
    };
    let mut sub = |v: &str, key: &str| -> Result<String, LoadError> {
        expr::substitute(v, &cx, &mut secrets).map_err(|m| err(key, &m))
    };
    let mut warnings = Vec::new();
    let mut auth = std::collections::BTreeMap::new();

    let container = match job.get("container") {
        Some(c) => {
            let (m, login) = container_service(c, &at("container"), &mut sub, &display)?;
            auth.extend(login.map(|l| (crate::model::MAIN.to_string(), l)));
            m
        }
        None => match &choice.image {
            Some(image) => {
                let mut m = Mapping::new();
                m.insert("image".into(), image.as_str().into());
                m
            }
            None => {
                return Err(err(
                    &at("runs-on"),
                    "this job runs on the runner, not in a container; give the image its \
                     steps should run in with --image (for example --image ubuntu:24.04)",
                ))
            }
        },
    };
    let mut container = container;
    // The variables every GitHub job sees.
    let defaults = [
        ("CI", "true"),
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_WORKSPACE", DEFAULT_WORKDIR),
        ("GITHUB_JOB", name.as_str()),
        ("RUNNER_OS", "Linux"),
    ];
    add_env(&mut container, defaults, false);
    let container = compose::validate(&Value::Mapping(container), &display)
        .map_err(|e| rename(e, &at("container")))?;

    let mut services = Mapping::new();
    if let Some(list) = job.get("services").and_then(Value::as_mapping) {
        for (sname, s) in list {
            let sname = text(sname).unwrap_or_default();
            let key = at(&format!("services.{sname}"));
            let (svc, login) = container_service(s, &key, &mut sub, &display)?;
            auth.extend(login.map(|l| (sname.clone(), l)));
            services.insert(sname.into(), Value::Mapping(svc));
        }
    }
    let shell = job
        .get("defaults")
        .or_else(|| doc.get("defaults"))
        .and_then(|d| d.get("run"))
        .cloned();
    let ctx = StepContext {
        env: &env,
        lookup: &lookup,
        github: &github,
        defaults: shell.as_ref(),
        choice,
        display: &display,
    };
    let steps = steps(&job, &at, &ctx, &mut secrets, &mut warnings)?;
    let timeout = minutes(job.get("timeout-minutes"), &at("timeout-minutes"), &display)?;
    Ok(CiJob {
        name,
        services,
        container,
        steps,
        timeout,
        mask: secrets,
        warnings,
        auth,
    }
    .into_parts(&display, dir, "the workflow's job name"))
}

/// The `github.*` and `runner.*` values a local run has.
fn github_context(job: &str) -> BTreeMap<&'static str, String> {
    let mut github: BTreeMap<&'static str, String> = BTreeMap::new();
    github.insert("github.workspace", DEFAULT_WORKDIR.into());
    github.insert("github.job", job.to_string());
    github.insert("github.event_name", "push".into());
    github.insert("runner.os", "Linux".into());
    github.insert("runner.temp", "/tmp".into());
    github
}

/// The workflow's and the job's `env:`; each level sees the levels above it.
fn job_env(
    levels: [(Option<&Value>, String); 2],
    display: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    github: &BTreeMap<&'static str, String>,
    secrets: &mut Vec<String>,
) -> Result<BTreeMap<String, String>, LoadError> {
    let mut env = BTreeMap::new();
    for (level, at_level) in levels {
        for (k, v) in pairs(level, &at_level, display)? {
            let cx = Contexts {
                env: &env,
                lookup,
                github,
            };
            let v = expr::substitute(&v, &cx, secrets)
                .map_err(|m| job_error(display, &at_level, &m))?;
            env.insert(k, v);
        }
    }
    Ok(env)
}

/// What every step of a job reads.
struct StepContext<'a> {
    env: &'a BTreeMap<String, String>,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    github: &'a BTreeMap<&'static str, String>,
    /// `defaults.run`: the job's, else the workflow's.
    defaults: Option<&'a Value>,
    choice: &'a JobChoice,
    display: &'a str,
}

/// A job's `container:` or one of its `services:`, as a Compose service.
fn container_service(
    c: &Value,
    at: &str,
    sub: &mut dyn FnMut(&str, &str) -> Result<String, LoadError>,
    display: &str,
) -> Result<(Mapping, Option<crate::model::RegistryAuth>), LoadError> {
    let mut out = Mapping::new();
    let mut auth = None;
    let c = match c {
        Value::String(image) => {
            out.insert("image".into(), sub(image, at)?.into());
            return Ok((out, None));
        }
        Value::Mapping(m) => m,
        _ => {
            return Err(job_error(
                display,
                at,
                "expected an image, or a mapping with `image`",
            ))
        }
    };
    for (k, v) in c {
        let key = text(k).unwrap_or_default();
        let here = format!("{at}.{key}");
        match key.as_str() {
            "image" => {
                out.insert(
                    "image".into(),
                    sub(&text(v).unwrap_or_default(), &here)?.into(),
                );
            }
            "env" => {
                let mut vars = Mapping::new();
                for (k, v) in pairs(Some(v), &here, display)? {
                    vars.insert(k.into(), sub(&v, &here)?.into());
                }
                out.insert("environment".into(), Value::Mapping(vars));
            }
            // In a pod every port is on the shared localhost; publishing it on the host
            // would only risk a clash with another job.
            "ports" => {
                let ports = v.as_sequence().cloned().unwrap_or_default();
                let mut expose = Vec::new();
                for p in ports {
                    let p = sub(&text(&p).unwrap_or_default(), &here)?;
                    let target = p.rsplit(':').next().unwrap_or_default().to_string();
                    expose.push(Value::from(target));
                }
                out.insert("expose".into(), Value::Sequence(expose));
            }
            "volumes" => {
                let mut vols = Vec::new();
                for item in v.as_sequence().cloned().unwrap_or_default() {
                    vols.push(sub(&text(&item).unwrap_or_default(), &here)?.into());
                }
                out.insert("volumes".into(), Value::Sequence(vols));
            }
            "options" => {
                let opts = sub(&text(v).unwrap_or_default(), &here)?;
                options::apply(&opts, &mut out).map_err(|m| job_error(display, &here, &m))?;
            }
            "command" | "entrypoint" => {
                out.insert(
                    key.as_str().into(),
                    sub(&text(v).unwrap_or_default(), &here)?.into(),
                );
            }
            "credentials" => {
                auth = Some(login(v, &here, display, &mut |s| sub(s, &here))?);
            }
            other => {
                return Err(job_error(
                    display,
                    &here,
                    &format!(
                        "unknown key {other:?}; a container has image, env, ports, volumes, \
                         options, credentials, command and entrypoint"
                    ),
                ))
            }
        }
    }
    if !out.contains_key("image") {
        return Err(job_error(display, at, "needs an `image`"));
    }
    Ok((out, auth))
}

fn steps(
    job: &Value,
    at: &dyn Fn(&str) -> String,
    sc: &StepContext,
    secrets: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Step>, LoadError> {
    let (display, choice, defaults) = (sc.display, sc.choice, sc.defaults);
    let Some(list) = job.get("steps").and_then(Value::as_sequence) else {
        return Err(job_error(display, &at("steps"), "a job needs `steps:`"));
    };
    let default_shell = defaults.and_then(|d| d.get("shell")).and_then(text);
    let default_dir = defaults
        .and_then(|d| d.get("working-directory"))
        .and_then(text);
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let here = at(&format!("steps[{i}]"));
        let err = |key: &str, m: &str| job_error(display, &format!("{here}.{key}"), m);
        let mut env = sc.env.clone();
        for (k, v) in pairs(s.get("env"), &format!("{here}.env"), display)? {
            let cx = Contexts {
                env: &env,
                lookup: sc.lookup,
                github: sc.github,
            };
            let v = expr::substitute(&v, &cx, secrets).map_err(|m| err("env", &m))?;
            env.insert(k, v);
        }
        let cx = Contexts {
            env: &env,
            lookup: sc.lookup,
            github: sc.github,
        };
        let name = s.get("name").and_then(text);
        if let Some(uses) = s.get("uses").and_then(text) {
            if uses.starts_with("actions/checkout@") || uses == "actions/checkout" {
                continue;
            }
            if choice.strict_actions {
                return Err(err(
                    "uses",
                    &format!("{uses} is an action, which sidepod cannot run (--strict-actions)"),
                ));
            }
            let label = name.clone().unwrap_or_else(|| uses.clone());
            warnings.push(format!(
                "{display}: {here} ({label:?}): `uses: {uses}` is skipped: sidepod runs `run:` \
                 steps, not actions"
            ));
            out.push(Step {
                name: label,
                when: StepWhen::Never,
                ..Step::default()
            });
            continue;
        }
        let Some(script) = s.get("run").and_then(text) else {
            return Err(job_error(display, &here, "a step needs `run:` or `uses:`"));
        };
        let script = expr::substitute(&script, &cx, secrets).map_err(|m| err("run", &m))?;
        let shell = s.get("shell").and_then(text).or(default_shell.clone());
        let when = match s.get("if") {
            None => StepWhen::OnSuccess,
            Some(Value::Bool(b)) => {
                if *b {
                    StepWhen::OnSuccess
                } else {
                    StepWhen::Never
                }
            }
            Some(c) => expr::condition(&text(c).unwrap_or_default(), &cx, secrets)
                .map_err(|m| err("if", &m))?,
        };
        let continue_on_error = match s.get("continue-on-error") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                let v = expr::substitute(&text(v).unwrap_or_default(), &cx, secrets)
                    .map_err(|m| err("continue-on-error", &m))?;
                v == "true"
            }
        };
        let working_dir = s
            .get("working-directory")
            .and_then(text)
            .or(default_dir.clone());
        out.push(Step {
            name: name
                .unwrap_or_else(|| format!("Run {}", script.lines().next().unwrap_or_default())),
            run: with_shell(&script, shell.as_deref()).map_err(|m| err("shell", &m))?,
            env,
            timeout: minutes(
                s.get("timeout-minutes"),
                &format!("{here}.timeout-minutes"),
                display,
            )?,
            working_dir,
            when,
            continue_on_error,
            ..Step::default()
        });
    }
    Ok(out)
}

/// The `sh -c` text that runs `script` as GitHub's `shell:` would: written to a file, then
/// run by the shell's command with the file for `{0}` (container jobs default to
/// `sh -e {0}`).
fn with_shell(script: &str, shell: Option<&str>) -> Result<String, String> {
    let command = match shell.unwrap_or("sh") {
        "sh" => "sh -e {0}",
        "bash" => "bash --noprofile --norc -eo pipefail {0}",
        "python" => "python {0}",
        "pwsh" | "powershell" | "cmd" => {
            return Err("Windows shells do not run in a Linux container".into())
        }
        custom if custom.contains("{0}") => custom,
        custom => return Err(format!("{custom:?} needs {{0}} where the script goes")),
    };
    Ok(script_file(script, command))
}

fn text(v: &Value) -> Option<String> {
    crate::compose::raw::scalar_text(v)
}

/// A shape error in the generated service points at the workflow's key.
fn rename(e: LoadError, at: &str) -> LoadError {
    match e {
        LoadError::Invalid {
            file,
            at: inner,
            message,
        } => LoadError::Invalid {
            file,
            at: format!("{at} ({inner})"),
            message,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests;
