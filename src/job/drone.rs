//! Drone (`.drone.yml`, `kind: pipeline`, `type: docker`): one pipeline's `services` and
//! `steps`, each step in a container of its own image in the pod, the workspace shared
//! read-write, as Drone runs them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_norway::{Mapping, Value};

use super::parts::{items, job_error, pick_job, CiJob, JobChoice, JobParts};
use crate::compose::{self, LoadError, Reader};
use crate::model::{PullPolicy, RegistryAuth, Step, StepWhen};

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
    for doc in serde_norway::Deserializer::from_str(text) {
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
                format!("a {kind:?} pipeline: cannot run here (only docker pipelines run in a pod)")
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
    // Each error names the pipeline before the key.
    let named = |e: LoadError| match e {
        LoadError::Invalid { file, at, message } => LoadError::Invalid {
            file,
            at: format!("pipeline {name:?}, {at}"),
            message,
        },
        other => other,
    };
    pipeline(p, name.clone(), &display, dir, reader.env).map_err(named)
}

/// One pipeline of the file, named `name`, as `JobParts`.
fn pipeline(
    p: Mapping,
    name: String,
    display: &str,
    dir: &Path,
    env: &crate::compose::Environment,
) -> Result<JobParts, LoadError> {
    let display = display.to_string();
    let err = |at: &str, m: &str| job_error(&display, at, m);
    let kind = p.get("type").and_then(Value::as_str).unwrap_or("docker");
    if kind != "docker" {
        return Err(err(
            "type",
            &format!("{kind:?} pipelines cannot run here; only docker pipelines run in a pod"),
        ));
    }
    let mut warnings = Vec::new();
    let workspace = p
        .get("workspace")
        .and_then(|w| w.get("path"))
        .and_then(Value::as_str)
        .unwrap_or(WORKSPACE)
        .to_string();

    let lookup = |k: &str| env.get(k);
    let pull_secrets = PullSecrets::read(&p, &display, &lookup, &mut warnings)?;
    let mut reading = Reading {
        display: &display,
        lookup: &lookup,
        secrets: Vec::new(),
        pull_secrets,
    };
    let mut auth_by_service = BTreeMap::new();
    let mut services = Mapping::new();
    for (i, s) in items(p.get("services")) {
        let (sname, svc, auth) = service(&mut reading, s, &format!("services[{i}]"))?;
        if let Some(auth) = auth {
            auth_by_service.insert(sname.clone(), auth);
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
        steps.push(step(&mut reading, s, i, branch.as_deref(), &mut warnings)?);
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
    // It is pulled with the login its image's steps have.
    if let Some(auth) = steps
        .iter()
        .filter(|s| s.image.as_deref() == Some(first))
        .find_map(|s| s.registry_auth.clone())
        .or_else(|| reading.pull_secrets.login_for(first))
    {
        auth_by_service.insert(crate::model::MAIN.to_string(), auth);
    }
    Ok(CiJob {
        name,
        services,
        container,
        steps,
        timeout: None,
        mask: reading.secrets,
        warnings,
        auth: auth_by_service,
    }
    .into_parts(&display, dir, "the pipeline's name"))
}

/// What reading a pipeline's services and steps needs: the file's name, the environment,
/// and the secrets read so far (to be masked).
struct Reading<'a> {
    display: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    secrets: Vec<String>,
    pull_secrets: PullSecrets,
}

impl Reading<'_> {
    /// An item's `environment:`, its secrets read and kept to be masked.
    fn environment(
        &mut self,
        item: &Value,
        at: &str,
    ) -> Result<BTreeMap<String, String>, LoadError> {
        let at = format!("{at}.environment");
        environment(
            item.get("environment"),
            &at,
            self.display,
            self.lookup,
            &mut self.secrets,
        )
    }

    /// An item's `auth_config`, else the pull secret for its image's registry.
    fn auth(
        &mut self,
        item: &Value,
        at: &str,
        image: &str,
    ) -> Result<Option<RegistryAuth>, LoadError> {
        Ok(
            auth_config(item, at, self.display, self.lookup, &mut self.secrets)?
                .or_else(|| self.pull_secrets.login_for(image)),
        )
    }
}

/// One of the pipeline's `services:`, as a Compose service, with its registry login.
fn service(
    r: &mut Reading,
    s: &Value,
    at: &str,
) -> Result<(String, Mapping, Option<RegistryAuth>), LoadError> {
    let display = r.display;
    let err = |at: &str, m: &str| job_error(display, at, m);
    let sname = s
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| err(at, "a service needs a `name`"))?;
    let mut svc = Mapping::new();
    let image = s
        .get("image")
        .and_then(Value::as_str)
        .ok_or_else(|| err(at, "a service needs an `image`"))?;
    svc.insert("image".into(), image.into());
    let vars = r.environment(s, at)?;
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
                script(cmds, &format!("{at}.commands"), display)?.into()
            ]),
        );
    }
    for key in ["entrypoint", "command"] {
        if let Some(v) = s.get(key) {
            svc.insert(key.into(), v.clone());
        }
    }
    if let Some(policy) = pull_policy(s.get("pull"), &format!("{at}.pull"), display)? {
        svc.insert("pull_policy".into(), policy.name().into());
    }
    let auth = r.auth(s, at, image)?;
    if s.get("privileged").and_then(Value::as_bool) == Some(true) {
        svc.insert("privileged".into(), true.into());
    }
    Ok((sname.to_string(), svc, auth))
}

/// One of the pipeline's `steps:`; a plugin step (no `commands`) is kept, never to run.
fn step(
    r: &mut Reading,
    s: &Value,
    i: usize,
    branch: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<Step, LoadError> {
    let display = r.display;
    let at = &format!("steps[{i}]");
    let err = |at: &str, m: &str| job_error(display, at, m);
    let sname = s
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("step {}", i + 1));
    let image = s
        .get("image")
        .and_then(Value::as_str)
        .ok_or_else(|| err(at, "a step needs an `image`"))?;
    let Some(cmds) = s.get("commands") else {
        // A plugin: the image does the work with its settings.
        warnings.push(format!(
            "{display}: {at} ({sname:?}) is a plugin step (no `commands`): it is skipped"
        ));
        return Ok(Step {
            name: sname,
            when: StepWhen::Never,
            ..Step::default()
        });
    };
    let vars = r.environment(s, at)?;
    let registry_auth = r.auth(s, at, image)?;
    Ok(Step {
        name: sname,
        run: script(cmds, &format!("{at}.commands"), display)?,
        env: vars.into_iter().collect(),
        when: when(s.get("when"), &format!("{at}.when"), display, branch)?,
        continue_on_error: s.get("failure").and_then(Value::as_str) == Some("ignore"),
        image: Some(image.to_string()),
        pull: pull_policy(s.get("pull"), &format!("{at}.pull"), display)?,
        registry_auth,
        ..Step::default()
    })
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
        let value = secret_or_plain(v, &format!("{at}.{key}"), display, lookup, secrets)?;
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

/// `pull:`: `always`, `if-not-exists`, `never`, or a boolean (`true`: always, as
/// Drone's older syntax writes it).
fn pull_policy(
    v: Option<&Value>,
    at: &str,
    display: &str,
) -> Result<Option<PullPolicy>, LoadError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(true)) => Ok(Some(PullPolicy::Always)),
        Some(Value::Bool(false)) => Ok(Some(PullPolicy::Missing)),
        Some(Value::String(s)) if s == "always" => Ok(Some(PullPolicy::Always)),
        Some(Value::String(s)) if s == "if-not-exists" => Ok(Some(PullPolicy::Missing)),
        Some(Value::String(s)) if s == "never" => Ok(Some(PullPolicy::Never)),
        Some(_) => Err(job_error(
            display,
            at,
            "use always, if-not-exists, never, true or false",
        )),
    }
}

/// A value written plainly or as `{from_secret: NAME}`; a secret's name joins `secrets`
/// (its value is masked).
fn secret_or_plain(
    v: &Value,
    at: &str,
    display: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    secrets: &mut Vec<String>,
) -> Result<String, LoadError> {
    if let Value::Mapping(s) = v {
        let secret = s
            .get("from_secret")
            .and_then(Value::as_str)
            .ok_or_else(|| job_error(display, at, "expected a value or `from_secret: NAME`"))?;
        secrets.push(secret.to_string());
        return Ok(lookup(secret).unwrap_or_default());
    }
    Ok(crate::compose::raw::scalar_text(v).unwrap_or_default())
}

/// A service's or step's `auth_config: {username, password}`, each plain or
/// `from_secret`.
fn auth_config(
    item: &Value,
    at: &str,
    display: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    secrets: &mut Vec<String>,
) -> Result<Option<RegistryAuth>, LoadError> {
    let Some(config) = item.get("auth_config") else {
        return Ok(None);
    };
    let at = format!("{at}.auth_config");
    let mut part = |key: &str| -> Result<Option<String>, LoadError> {
        config
            .get(key)
            .map(|v| secret_or_plain(v, &format!("{at}.{key}"), display, lookup, secrets))
            .transpose()
    };
    match (part("username")?, part("password")?) {
        (Some(username), Some(password)) => Ok(Some(RegistryAuth { username, password })),
        _ => Err(job_error(
            display,
            &at,
            "a registry login needs `username` and `password`",
        )),
    }
}

/// The logins of `image_pull_secrets`: each names a secret whose value is a Docker
/// config (`{"auths": {"registry": {"auth": "..."}}}`), read from the environment.
#[derive(Default)]
struct PullSecrets(BTreeMap<String, RegistryAuth>);

impl PullSecrets {
    fn read(
        pipeline: &Mapping,
        display: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
        warnings: &mut Vec<String>,
    ) -> Result<PullSecrets, LoadError> {
        let mut logins = BTreeMap::new();
        let Some(names) = pipeline.get("image_pull_secrets") else {
            return Ok(PullSecrets(logins));
        };
        let names = names.as_sequence().ok_or_else(|| {
            job_error(
                display,
                "image_pull_secrets",
                "expected a list of secret names",
            )
        })?;
        for (i, name) in names.iter().enumerate() {
            let at = format!("image_pull_secrets[{i}]");
            let name = name
                .as_str()
                .ok_or_else(|| job_error(display, &at, "expected a secret's name"))?;
            let Some(text) = lookup(name).filter(|t| !t.trim().is_empty()) else {
                warnings.push(format!(
                    "{display}: {at}: the secret {name:?} is not set in the environment; \
                     images are pulled without its logins"
                ));
                continue;
            };
            let bad = || {
                job_error(
                    display,
                    &at,
                    &format!(
                        "the secret {name:?} is not a Docker config: expected \
                         {{\"auths\": {{\"REGISTRY\": {{\"auth\": \"BASE64(user:password)\"}}}}}}"
                    ),
                )
            };
            let config: serde_json::Value = serde_json::from_str(&text).map_err(|_| bad())?;
            let auths = config
                .get("auths")
                .and_then(|a| a.as_object())
                .ok_or_else(bad)?;
            for (registry, entry) in auths {
                let text = |k: &str| entry.get(k).and_then(|v| v.as_str());
                let login = match (text("auth"), text("username"), text("password")) {
                    (Some(token), _, _) => RegistryAuth::from_token(token),
                    (None, Some(u), Some(p)) => Some(RegistryAuth {
                        username: u.to_string(),
                        password: p.to_string(),
                    }),
                    _ => None,
                };
                logins.insert(registry_host(registry), login.ok_or_else(bad)?);
            }
        }
        Ok(PullSecrets(logins))
    }

    /// The login for the registry `image` is pulled from, if a pull secret has one.
    fn login_for(&self, image: &str) -> Option<RegistryAuth> {
        self.0.get(&RegistryAuth::registry_of(image)).cloned()
    }
}

/// A Docker config's registry key as a host: `https://index.docker.io/v1/` is Docker
/// Hub (`docker.io`), `https://ghcr.io` is `ghcr.io`.
fn registry_host(key: &str) -> String {
    let host = key
        .split_once("://")
        .map_or(key, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_string()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
