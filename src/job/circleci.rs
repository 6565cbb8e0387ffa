//! CircleCI (`.circleci/config.yml`): one job's `docker:` images, the first the primary
//! container and the others secondaries on the shared localhost, and its `run` steps.
//! `checkout` is the mounted workspace; other built-in steps (caches, artifacts, test
//! results) and orb commands are skipped and named.

use std::path::Path;

use serde_norway::{Mapping, Value};

use super::parts::{
    add_env, job_error, pick_job, plain_pairs as pairs, read_mapping, script_file, CiJob,
    JobChoice, JobParts,
};
use crate::compose::{self, LoadError, Reader};
use crate::model::{Step, StepWhen, DEFAULT_WORKDIR};

/// True for `.circleci/config.yml`, or a config whose jobs run in `docker:` images.
pub fn is_config(path: &Path, doc: &Mapping) -> bool {
    let under = path.to_string_lossy().contains(".circleci/");
    let jobs = doc.get("jobs").and_then(Value::as_mapping);
    let docker = jobs.is_some_and(|j| {
        j.values()
            .any(|job| job.get("docker").is_some() || job.get("executor").is_some())
    });
    doc.contains_key("version") && (docker || (under && jobs.is_some()))
}

/// Each job, and whether it can run here (`--list`).
pub fn list(doc: &Mapping) -> Vec<(String, String)> {
    let jobs = doc
        .get("jobs")
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default();
    jobs.iter()
        .map(|(name, job)| {
            let name = name.as_str().unwrap_or_default().to_string();
            let how = match docker_images(doc, job) {
                Some(images) if !images.is_empty() => {
                    let primary = images[0]
                        .get("image")
                        .and_then(Value::as_str)
                        .unwrap_or("?");
                    format!(
                        "runs in {primary} with {} secondary container(s)",
                        images.len() - 1
                    )
                }
                _ => "runs on a machine or macOS executor: cannot run here".to_string(),
            };
            (name, how)
        })
        .collect()
}

/// The job's `docker:` list, its own or its executor's.
fn docker_images(doc: &Mapping, job: &Value) -> Option<Vec<Value>> {
    if let Some(d) = job.get("docker") {
        return d.as_sequence().cloned();
    }
    let executor = match job.get("executor")? {
        Value::String(s) => s.clone(),
        Value::Mapping(m) => m.get("name")?.as_str()?.to_string(),
        _ => return None,
    };
    doc.get("executors")?
        .get(executor.as_str())?
        .get("docker")?
        .as_sequence()
        .cloned()
}

/// Reads the chosen job of a config.
pub(super) fn read(
    file: &Path,
    dir: &Path,
    reader: &mut Reader,
    choice: &JobChoice,
) -> Result<JobParts, LoadError> {
    let (display, doc) = read_mapping(file, reader)?;
    let err = |at: &str, m: &str| job_error(&display, at, m);
    let jobs = doc
        .get("jobs")
        .and_then(Value::as_mapping)
        .ok_or_else(|| err("top level", "a config needs `jobs:`"))?;
    let names: Vec<String> = jobs
        .keys()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect();
    let name = pick_job(&names, choice.job.as_deref(), "config", &display)?;
    let job = jobs.get(name.as_str()).cloned().unwrap_or_default();
    let at = |k: &str| format!("jobs.{name}.{k}");
    if let Some(p) = job.get("parallelism") {
        if p.as_u64() != Some(1) {
            return Err(err(
                &at("parallelism"),
                "splits the job across machines, which one pod cannot do; remove it to run the job once",
            ));
        }
    }
    let images = docker_images(&doc, &job)
        .filter(|i| !i.is_empty())
        .ok_or_else(|| {
            err(
                &at("docker"),
                "the job runs on a machine or macOS executor; only `docker:` jobs run in a pod",
            )
        })?;
    let mut warnings = Vec::new();
    let job_env = pairs(job.get("environment"), &at("environment"), &display)?;
    let mut auth = std::collections::BTreeMap::new();
    let (mut primary, login) = image(&images[0], &at("docker[0]"), &display, reader.env)?;
    auth.extend(login.map(|l| (crate::model::MAIN.to_string(), l)));
    add_env(&mut primary, job_env, true);
    let defaults = [
        ("CI", "true"),
        ("CIRCLECI", "true"),
        ("CIRCLE_JOB", name.as_str()),
    ];
    add_env(&mut primary, defaults, false);
    let container = compose::validate(&Value::Mapping(primary), &display)?;
    let mut services = Mapping::new();
    for (i, img) in images.iter().enumerate().skip(1) {
        let here = at(&format!("docker[{i}]"));
        let (svc, login) = image(img, &here, &display, reader.env)?;
        let base = img
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
                short_name(
                    svc.get("image")
                        .and_then(Value::as_str)
                        .unwrap_or("service"),
                )
            });
        let mut sname = base.clone();
        let mut n = 2;
        while services.contains_key(sname.as_str()) {
            sname = format!("{base}-{n}");
            n += 1;
        }
        auth.extend(login.map(|l| (sname.clone(), l)));
        services.insert(sname.into(), Value::Mapping(svc));
    }
    let steps = steps(&job, &at, &display, &mut warnings)?;
    Ok(CiJob {
        name,
        services,
        container,
        steps,
        timeout: None,
        mask: Vec::new(),
        warnings,
        auth,
    }
    .into_parts(&display, dir, "the config's job name"))
}

/// `cimg/postgres:14.0` → `postgres`.
fn short_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split([':', '@']).next().unwrap_or(last).to_string()
}

/// One `docker:` entry as a Compose service; its `auth` values may name variables of
/// the environment (`$DOCKERHUB_PASSWORD`), as CircleCI's project variables are named.
fn image(
    v: &Value,
    at: &str,
    display: &str,
    env: &crate::compose::Environment,
) -> Result<(Mapping, Option<crate::model::RegistryAuth>), LoadError> {
    let Value::Mapping(m) = v else {
        return Err(job_error(display, at, "expected a mapping with `image`"));
    };
    let mut out = Mapping::new();
    let mut login = None;
    for (k, v) in m {
        let key = k.as_str().unwrap_or_default();
        match key {
            "image" | "command" | "entrypoint" | "user" => {
                out.insert(key.into(), v.clone());
            }
            "environment" => {
                let vars: Mapping = pairs(Some(v), &format!("{at}.environment"), display)?
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect();
                out.insert("environment".into(), Value::Mapping(vars));
            }
            "name" => {}
            "auth" => {
                let here = format!("{at}.auth");
                let lookup = |k: &str| env.get(k);
                let mut expand = |s: &str| {
                    crate::compose::interpolate::Interpolator::new(&lookup)
                        .interpolate(s)
                        .map_err(|e| job_error(display, &here, &e.to_string()))
                };
                login = Some(super::parts::login(v, &here, display, &mut expand)?);
            }
            "aws_auth" => {
                return Err(job_error(
                    display,
                    &format!("{at}.aws_auth"),
                    "ECR logins need AWS; log in first with `podman login`, and remove it",
                ))
            }
            other => {
                return Err(job_error(
                    display,
                    &format!("{at}.{other}"),
                    "unknown key; an image has image, name, environment, command, entrypoint, user and auth",
                ))
            }
        }
    }
    if !out.contains_key("image") {
        return Err(job_error(display, at, "needs an `image`"));
    }
    Ok((out, login))
}

fn steps(
    job: &Value,
    at: &dyn Fn(&str) -> String,
    display: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<Step>, LoadError> {
    let Some(list) = job.get("steps").and_then(Value::as_sequence) else {
        return Err(job_error(display, &at("steps"), "a job needs `steps:`"));
    };
    let workdir = job
        .get("working_directory")
        .and_then(Value::as_str)
        .map(|w| {
            // The workspace is the job's directory here, wherever CircleCI would put it.
            w.replace("~/project", DEFAULT_WORKDIR)
        });
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let here = at(&format!("steps[{i}]"));
        let (kind, body) = match s {
            Value::String(k) => (k.clone(), Value::Null),
            Value::Mapping(m) if m.len() == 1 => {
                let (k, v) = m.iter().next().expect("one entry");
                (k.as_str().unwrap_or_default().to_string(), v.clone())
            }
            _ => {
                return Err(job_error(
                    display,
                    &here,
                    "expected a step: checkout, or run: with a command",
                ))
            }
        };
        match kind.as_str() {
            "checkout" => {}
            "run" => {
                let (command, m) = match &body {
                    Value::String(c) => (c.clone(), Mapping::new()),
                    Value::Mapping(m) => (
                        m.get("command")
                            .and_then(Value::as_str)
                            .ok_or_else(|| {
                                job_error(display, &format!("{here}.run"), "needs a `command`")
                            })?
                            .to_string(),
                        m.clone(),
                    ),
                    _ => {
                        return Err(job_error(
                            display,
                            &format!("{here}.run"),
                            "expected a command or a mapping",
                        ))
                    }
                };
                if m.get("background").and_then(Value::as_bool) == Some(true) {
                    return Err(job_error(display, &format!("{here}.run.background"), "background steps are not supported here; run the program as a secondary container instead"));
                }
                let when = match m.get("when").and_then(Value::as_str) {
                    None | Some("on_success") => StepWhen::OnSuccess,
                    Some("on_fail") => StepWhen::OnFailure,
                    Some("always") => StepWhen::Always,
                    Some(other) => {
                        return Err(job_error(
                            display,
                            &format!("{here}.run.when"),
                            &format!("{other:?}: use on_success, on_fail or always"),
                        ))
                    }
                };
                out.push(Step {
                    name: m.get("name").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| command.lines().next().unwrap_or_default().to_string()),
                    // CircleCI's default shell: `/bin/bash -eo pipefail` where there is bash.
                    run: script_file(
                        &command,
                        "if command -v bash >/dev/null 2>&1; then bash -eo pipefail {0}; else sh -e {0}; fi",
                    ),
                    env: pairs(m.get("environment"), &format!("{here}.run.environment"), display)?.into_iter().collect(),
                    working_dir: m.get("working_directory").and_then(Value::as_str).map(str::to_string).or(workdir.clone()),
                    when,
                    ..Step::default()
                });
            }
            other => warnings.push(format!(
                "{display}: {here}: `{other}` is skipped: sidepod runs `checkout` and `run` steps"
            )),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
