//! A job (a job file, or a CI format's job) as a `batch/v1` Job: the sidecars as native
//! sidecars, the steps run in order by the main container under the job runner's
//! exit-code rules, `activeDeadlineSeconds` from the job's timeout, no retries, and the
//! workspace from a volume the user names. A matrix gives one Job per combination.

use serde_json::{json, Map, Value};

use super::sidecars::Readiness;
use super::{dns_name, labels, Build, Dropped, Kube, Target};
use crate::backend::shell_join;
use crate::model::{Job, Project, Step, StepWhen, DEFAULT_READY_TIMEOUT, MAIN};
use crate::plan::Plan;

/// What stands for the workspace, which sidepod mounts from the project directory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Workspace {
    /// An empty directory: the steps bring their own files.
    #[default]
    Empty,
    /// A PersistentVolumeClaim of this name, made and filled by the user.
    Claim(String),
    /// An empty directory that an init container clones this repository into, at `#REF`
    /// when given.
    Git {
        url: String,
        reference: Option<String>,
    },
}

/// The image of the init container that clones a `git:` workspace.
pub const GIT_IMAGE: &str = "docker.io/alpine/git:latest";

impl Workspace {
    /// `empty`, `pvc:NAME` or `git:URL[#REF]`.
    pub fn parse(text: &str) -> Result<Workspace, String> {
        let wrong = || {
            format!(
                "--workspace {text:?}: give `empty`, `pvc:NAME` (a PersistentVolumeClaim) or \
                 `git:URL[#REF]` (cloned by an init container)"
            )
        };
        if text == "empty" {
            return Ok(Workspace::Empty);
        }
        if let Some(name) = text.strip_prefix("pvc:") {
            if name.is_empty() || dns_name(name) != name {
                return Err(format!(
                    "{}; {name:?} is not a valid claim name (lower-case letters, digits and \
                     '-')",
                    wrong()
                ));
            }
            return Ok(Workspace::Claim(name.into()));
        }
        match text.strip_prefix("git:").map(|r| r.split_once('#')) {
            Some(Some((url, reference))) if !url.is_empty() && !reference.is_empty() => {
                Ok(Workspace::Git {
                    url: url.into(),
                    reference: Some(reference.into()),
                })
            }
            Some(None) if text.len() > 4 => Ok(Workspace::Git {
                url: text[4..].into(),
                reference: None,
            }),
            _ => Err(wrong()),
        }
    }

    fn volume(&self) -> Value {
        match self {
            Workspace::Claim(name) => json!({"persistentVolumeClaim": {"claimName": name}}),
            Workspace::Empty | Workspace::Git { .. } => json!({"emptyDir": {}}),
        }
    }
}

/// One job to render: the loaded job, its whole project (sidecars and `main`) and plan,
/// and its matrix combination's label, if any.
pub struct JobVariant<'a> {
    pub job: &'a Job,
    pub project: &'a Project,
    pub plan: &'a Plan,
    pub combination: Option<String>,
}

/// The jobs as Kubernetes YAML: a Job each (with `Target::Podman`, a Pod each).
pub fn kube_job(variants: &[JobVariant], target: Target, workspace: &Workspace) -> Kube {
    let mut dropped = Dropped::default();
    let mut yaml = Vec::new();
    for v in variants {
        yaml.push(one(v, target, workspace, &mut dropped));
    }
    Kube {
        yaml: yaml.join("---\n"),
        dropped: dropped.messages(),
    }
}

fn one(v: &JobVariant, target: Target, workspace: &Workspace, dropped: &mut Dropped) -> String {
    let job = v.job;
    // The main container runs the steps, not the runner's keep-alive.
    let mut project = v.project.clone();
    let own_images = job.steps.iter().any(|s| s.image.is_some());
    if let Some(main) = project.services.get_mut(MAIN) {
        main.init = false;
        main.healthcheck = None;
        main.entrypoint = Some(vec!["/bin/sh".into(), "-c".into()]);
        main.command = Some(vec![if own_images {
            "exit 0".into()
        } else {
            String::new()
        }]);
    }
    let readiness = Readiness::Job(job.ready_timeout.unwrap_or(DEFAULT_READY_TIMEOUT));
    let mut b = Build::new(&project, v.plan, target, readiness, &job.secrets, dropped);
    b.volumes.workspace = Some((
        project.directory.to_string_lossy().into_owned(),
        workspace.volume(),
    ));
    let mut spec = b.pod_spec("Never");
    let main_name = b.names.get(MAIN);
    let workdir = job.workdir();
    let mounts = main_container(&spec, &main_name)
        .and_then(|c| c.get("volumeMounts").cloned())
        .unwrap_or_else(|| json!([]));
    let mut env = Vec::new();
    if own_images {
        let image = main_container(&spec, &main_name).map(|c| c["image"].clone());
        let steps = step_containers(job, &mut b, image.unwrap_or_default(), &mounts);
        push_init(&mut spec, steps, false);
    } else if let Some(main) = main_container_mut(&mut spec, &main_name) {
        let script = script(job, &mut b, &main_name, &mut env);
        main.insert("args".into(), json!([script]));
    }
    if !env.is_empty() {
        if let Some(main) = main_container_mut(&mut spec, &main_name) {
            let all = main.entry("env").or_insert_with(|| json!([]));
            if let Some(all) = all.as_array_mut() {
                all.extend(env);
            }
        }
    }
    if let Workspace::Git { url, reference } = workspace {
        let mut clone = vec!["git", "clone", "--depth", "1"];
        if let Some(r) = reference {
            clone.extend(["--branch", r]);
        }
        clone.extend([url.as_str(), workdir.as_str()]);
        let init = json!({
            "name": "git-clone",
            "image": GIT_IMAGE,
            "command": clone,
            "volumeMounts": [{"name": "workspace", "mountPath": workdir}],
        });
        push_init(&mut spec, vec![init], true);
    }
    if let Some(t) = job.timeout {
        if target == Target::Podman {
            spec.insert("activeDeadlineSeconds".into(), t.as_secs().max(1).into());
        }
    }
    let mut metadata = json!({"name": b.pod_name(), "labels": labels(&project, None)});
    if let Some(c) = &v.combination {
        metadata["annotations"] = json!({ "io.sidepod.matrix": c });
    }
    let mut documents = b.claims();
    documents.push(match target {
        Target::Podman => json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": metadata,
            "spec": spec,
        }),
        Target::Kubernetes => {
            let mut job_spec = json!({
                "backoffLimit": 0,
                "template": {"metadata": {"labels": labels(&project, None)}, "spec": spec},
            });
            if let Some(t) = job.timeout {
                job_spec["activeDeadlineSeconds"] = t.as_secs().max(1).into();
            }
            json!({
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": metadata,
                "spec": job_spec,
            })
        }
    });
    b.yaml(&documents)
}

fn main_container<'s>(spec: &'s Map<String, Value>, name: &str) -> Option<&'s Map<String, Value>> {
    spec["containers"]
        .as_array()?
        .iter()
        .filter_map(Value::as_object)
        .find(|c| c["name"] == name)
}

fn main_container_mut<'s>(
    spec: &'s mut Map<String, Value>,
    name: &str,
) -> Option<&'s mut Map<String, Value>> {
    spec.get_mut("containers")?
        .as_array_mut()?
        .iter_mut()
        .filter_map(Value::as_object_mut)
        .find(|c| c["name"] == name)
}

/// Adds init containers, first or last.
fn push_init(spec: &mut Map<String, Value>, containers: Vec<Value>, first: bool) {
    let init = spec.entry("initContainers").or_insert_with(|| json!([]));
    if let Some(init) = init.as_array_mut() {
        if first {
            init.splice(0..0, containers);
        } else {
            init.extend(containers);
        }
    }
}

/// A step's command line: in its directory, with its variables, under its timeout.
/// A variable whose value holds a secret is read from the container's environment,
/// which takes it from the Secret (`env` gets those entries).
fn step_line(
    job: &Job,
    index: usize,
    step: &Step,
    b: &mut Build,
    container: &str,
    env: &mut Vec<Value>,
) -> String {
    let mut line = format!("cd {}", shell_join(&[job.step_workdir(step)]));
    for (key, value) in &step.env {
        let entry = b.secrets.env(container, key, value);
        if entry.get("valueFrom").is_some() {
            let alias = format!("SIDEPOD_STEP_{}_{key}", index + 1);
            let mut entry = entry;
            entry["name"] = alias.clone().into();
            env.push(entry);
            line.push_str(&format!(" && export {key}=\"${alias}\""));
        } else {
            line.push_str(&format!(
                " && export {}",
                shell_join(&[format!("{key}={value}")])
            ));
        }
    }
    let run = shell_join(&[step.run.as_str()]);
    match step.timeout {
        Some(t) => line.push_str(&format!(
            " && exec timeout {} sh -c {run}",
            t.as_secs().max(1)
        )),
        None => line.push_str(&format!(" && exec sh -c {run}")),
    }
    line
}

/// The steps as one shell script, with the job runner's rules: a step runs while every
/// step before it passed (unless it runs `always` or on failure), a failure with
/// `continue_on_error` is reported and passed over, and the script exits with the first
/// failing step's code (124 for a step out of time), or 0.
fn script(job: &Job, b: &mut Build, container: &str, env: &mut Vec<Value>) -> String {
    let mut text = String::from("code=0\n");
    for (i, step) in job.steps.iter().enumerate() {
        let header = shell_join(&[format!("== {}", step.name)]);
        let line = step_line(job, i, step, b, container, env);
        let failed = if step.continue_on_error {
            format!(
                "echo {} \"(exit $rc); continuing\"",
                shell_join(&[format!("{} failed", step.name)])
            )
        } else {
            "code=$rc".into()
        };
        let (guard, on_failure) = match step.when {
            StepWhen::Never => continue,
            StepWhen::OnSuccess => ("[ \"$code\" -eq 0 ]", failed),
            StepWhen::Always => ("true", format!("if [ \"$code\" -eq 0 ]; then {failed}; fi")),
            StepWhen::OnFailure => ("[ \"$code\" -ne 0 ]", ":".into()),
        };
        text.push_str(&format!(
            "if {guard}; then\n  echo {header}\n  ({line}); rc=$?\n  if [ \"$rc\" -ne 0 ]; then {on_failure}; fi\nfi\n"
        ));
    }
    text.push_str("exit \"$code\"\n");
    text
}

/// Steps with their own images: each step a plain init container, in order, after the
/// sidecars, with the main container's mounts; the pod stops at the first failure.
fn step_containers(job: &Job, b: &mut Build, main_image: Value, mounts: &Value) -> Vec<Value> {
    let mut containers = Vec::new();
    for (i, step) in job.steps.iter().enumerate() {
        match step.when {
            StepWhen::Never => continue,
            StepWhen::OnSuccess => {}
            StepWhen::Always | StepWhen::OnFailure => b.dropped.add(
                "a step that runs after a failure (steps with their own images are init \
                 containers, and the pod ends at the first that fails)",
                &step.name,
            ),
        }
        let name = dns_name(&format!("step-{}-{}", i + 1, step.name));
        let mut env = Vec::new();
        let mut line = step_line(job, i, step, b, &name, &mut env);
        if step.continue_on_error {
            line = format!(
                "({line}) || echo {}",
                shell_join(&[format!("{} failed; continuing", step.name)])
            );
        }
        let image = step.image.clone().map_or(main_image.clone(), Value::from);
        let mut c = json!({
            "name": name,
            "image": image,
            "command": ["/bin/sh", "-c", line],
            "volumeMounts": mounts,
        });
        if !env.is_empty() {
            c["env"] = env.into();
        }
        containers.push(c);
    }
    containers
}
