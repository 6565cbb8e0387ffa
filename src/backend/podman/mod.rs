//! `PodmanBackend`: the `Backend` verbs as podman CLI calls. Its parts: `process` runs the
//! children (and prints instead in a dry run), `args` builds every argv, `json` reads
//! podman's output, `probes` checks the host for `sidepod doctor`.

mod args;
mod deaf;
mod env;
mod files;
mod json;
mod probes;
mod process;
mod tools;
mod userns;

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

pub use args::*;
pub use json::HostInfo;

use self::json::{inspect_info, ps_info, InspectEntry, PodEntry, PsEntry, VolumeEntry};
use self::process::{argv, succeeded, Process};
use super::*;

pub struct PodmanBackend {
    process: Process,
    /// Containers' main processes, as `listening` last found them: while one lives, its
    /// ports are read from /proc without asking podman again.
    pids: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

impl PodmanBackend {
    /// Uses `explicit` (from `--podman` or `SIDEPOD_PODMAN`) or finds `podman` on PATH.
    /// With `dry_run`, every call that would change something is printed instead, and
    /// podman need not be there.
    pub fn locate(explicit: Option<&Path>, dry_run: bool) -> Result<Self, BackendError> {
        Ok(PodmanBackend {
            process: Process::locate(explicit, dry_run)?,
            pids: Default::default(),
        })
    }

    /// At most `limit` podman calls that contend on its locks at once (`None`: any).
    pub fn with_call_limit(mut self, limit: Option<usize>) -> Self {
        self.process = self.process.with_call_limit(limit);
        self
    }

    pub fn program(&self) -> &Path {
        self.process.program()
    }
}

/// A line of podman's error output that says a container is not running any more.
fn already_stopped(line: &str) -> bool {
    line.contains("can only kill running containers")
        || line.contains("container state improper")
        || line.contains("no such container")
}

/// podman 4 races when several `podman run --pod` start the pod's infra container at
/// once: one of them can find it mid-start and fail with exit 126, "container state
/// improper", leaving its own container created but not started.
fn lost_the_infra_race(status: Option<i32>, stderr: &str) -> bool {
    status == Some(126) && stderr.contains("container state improper")
}

impl PodmanBackend {
    /// After a lost infra race: the container exists, created; starting it again once the
    /// infra container has settled completes the `run`.
    async fn start_after_infra_race(
        &self,
        spec: &ContainerSpec,
        run: &[String],
        first: String,
    ) -> Result<String, BackendError> {
        let start = start_args(std::slice::from_ref(&spec.name));
        let mut pause = Duration::from_millis(200);
        let mut last = first;
        for _ in 0..4 {
            tracing::debug!(
                "{}: lost podman's infra start race; starting it again",
                spec.name
            );
            tokio::time::sleep(pause).await;
            pause *= 2;
            let (status, _, stderr) = self.process.status(&start).await?;
            if status == Some(0) {
                return Ok(spec.name.clone());
            }
            if !lost_the_infra_race(status, &stderr) {
                return succeeded(&start, status, stderr).map(|()| spec.name.clone());
            }
            last = stderr;
        }
        succeeded(run, Some(126), last).map(|()| spec.name.clone())
    }
}

/// The TCP ports listening in the network namespace of process `pid`, from the kernel's
/// own tables: no tool is needed in the image, and it reads the same rootless. `None`
/// once the process is gone.
fn ports_of(pid: u32) -> Option<Vec<u16>> {
    let mut ports = Vec::new();
    let mut any = false;
    for table in ["tcp", "tcp6"] {
        // A procfs table is in memory: reading it does not block.
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) {
            any = true;
            ports.extend(json::listening_ports(&text));
        }
    }
    ports.sort_unstable();
    ports.dedup();
    any.then_some(ports)
}

#[async_trait]
impl Backend for PodmanBackend {
    fn prints_only(&self) -> bool {
        self.process.dry_run()
    }

    async fn version(&self) -> Result<String, BackendError> {
        let args = version_args();
        match self.process.look(&args).await? {
            Some((status, stdout, stderr)) => {
                succeeded(&args, status, stderr).map(|()| stdout.trim().to_string())
            }
            None => Ok("dry-run".into()),
        }
    }

    async fn pod_create(&self, spec: &PodSpec) -> Result<(), BackendError> {
        self.process
            .change_ok(&pod_create_args(spec))
            .await
            .map(drop)
    }

    async fn pod_start(&self, name: &str) -> Result<(), BackendError> {
        self.process
            .change_ok(&pod_start_args(name))
            .await
            .map(drop)
    }

    async fn pods(&self, label: &str, value: &str) -> Result<Vec<PodInfo>, BackendError> {
        let args = list_args(&["pod", "ps"], label, value);
        let entries: Vec<PodEntry> = self.process.look_json(&args).await?.unwrap_or_default();
        Ok(entries
            .into_iter()
            .map(|p| PodInfo {
                id: p.id,
                name: p.name,
                labels: p.labels.unwrap_or_default(),
            })
            .collect())
    }

    async fn pod_stop(&self, name: &str, timeout: Duration) -> Result<(), BackendError> {
        self.process
            .change_ok(&pod_stop_args(name, timeout))
            .await
            .map(drop)
    }

    async fn pod_remove(&self, name: &str, timeout: Duration) -> Result<(), BackendError> {
        self.process.removal(&pod_remove_args(name, timeout)).await
    }

    async fn run(&self, spec: &ContainerSpec) -> Result<String, BackendError> {
        let spec = &*files::materialize(spec, self.process.dry_run())?;
        let args = run_args(spec);
        let process = self.process.with_env(hidden_env(&spec.env));
        let Some((status, stdout, stderr)) = process.change(&args).await? else {
            return Ok(format!("dry-run-{}", spec.name));
        };
        // Rootless podman on cgroups v1 starts the container without its limits.
        if status == Some(0) && stderr.contains("Resource limits are not supported and ignored") {
            tracing::warn!(
                "{}: resource limits are ignored by rootless podman on a cgroups v1 host",
                spec.name
            );
        }
        if status != Some(0) && lost_the_infra_race(status, &stderr) {
            return self.start_after_infra_race(spec, &args, stderr).await;
        }
        succeeded(&args, status, stderr).map(|()| stdout.trim().to_string())
    }

    async fn create(&self, spec: &ContainerSpec) -> Result<String, BackendError> {
        let spec = &*files::materialize(spec, self.process.dry_run())?;
        let args = create_args(spec);
        let process = self.process.with_env(hidden_env(&spec.env));
        let created = process.change_ok(&args).await?;
        Ok(created.map_or_else(
            || format!("dry-run-{}", spec.name),
            |id| id.trim().to_string(),
        ))
    }

    async fn passthrough(&self, what: &Passthrough) -> Result<i64, BackendError> {
        self.process
            .foreground(&tools::passthrough_args(what))
            .await
    }

    async fn events(
        &self,
        label: &str,
        value: &str,
        sink: mpsc::Sender<ContainerEvent>,
    ) -> Result<(), BackendError> {
        tools::events(&self.process, label, value, sink).await
    }

    async fn run_foreground(
        &self,
        spec: &ContainerSpec,
        remove: bool,
    ) -> Result<i64, BackendError> {
        let spec = &*files::materialize(spec, self.process.dry_run())?;
        self.process
            .with_env(hidden_env(&spec.env))
            .foreground(&run_foreground_args(spec, remove))
            .await
    }

    async fn exec(&self, spec: &ExecSpec) -> Result<i64, BackendError> {
        self.process
            .with_env(hidden_env(&spec.env))
            .foreground(&exec_args(spec))
            .await
    }

    async fn exec_stream(
        &self,
        spec: &ExecSpec,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<i64, BackendError> {
        self.process
            .with_env(hidden_env(&spec.env))
            .stream(&exec_args(spec), &spec.container, sink)
            .await
    }

    async fn start(&self, names: &[String]) -> Result<(), BackendError> {
        self.process.change_ok(&start_args(names)).await.map(drop)
    }

    async fn restart(
        &self,
        names: &[String],
        timeout: Option<Duration>,
    ) -> Result<(), BackendError> {
        self.process
            .change_ok(&restart_args(names, timeout))
            .await
            .map(drop)
    }

    async fn stop(&self, names: &[String], timeout: Option<Duration>) -> Result<(), BackendError> {
        self.process
            .change_ok(&stop_args(names, timeout))
            .await
            .map(drop)
    }

    async fn ignoring_stop(&self, containers: &[&ContainerInfo]) -> BTreeSet<String> {
        // The handlers of each main process that is PID 1 of its own namespace and does
        // not handle SIGTERM: only those need their stop signal looked up.
        let masks: BTreeMap<&str, u64> = containers
            .iter()
            .filter(|c| c.state == ContainerState::Running)
            .filter_map(|c| {
                let mask = deaf::deaf_to_sigterm(Path::new("/proc"), c.pid?)?;
                Some((c.name.as_str(), mask))
            })
            .collect();
        if masks.is_empty() {
            return BTreeSet::new();
        }
        let names: Vec<String> = masks.keys().map(|n| n.to_string()).collect();
        let Ok(Some((Some(0), out, _))) = self.process.look(&stop_signal_args(&names)).await else {
            return BTreeSet::new();
        };
        out.lines()
            .filter_map(|l| l.split_once('\t'))
            .filter(|(name, signal)| {
                masks
                    .get(name)
                    .is_some_and(|&mask| deaf::sleeps_through(mask, signal.trim()))
            })
            .map(|(name, _)| name.to_string())
            .collect()
    }

    async fn kill(&self, names: &[String], signal: &str) -> Result<(), BackendError> {
        let args = kill_args(names, signal);
        let Some((status, _, stderr)) = self.process.change(&args).await? else {
            return Ok(());
        };
        // podman kills the running ones and fails for those that have stopped (or gone)
        // in the meantime, which is what killing asks for.
        if status != Some(0) && stderr.lines().all(already_stopped) {
            return Ok(());
        }
        succeeded(&args, status, stderr)
    }

    async fn pause(&self, names: &[String]) -> Result<(), BackendError> {
        self.process.change_ok(&pause_args(names)).await.map(drop)
    }

    async fn unpause(&self, names: &[String]) -> Result<(), BackendError> {
        self.process.change_ok(&unpause_args(names)).await.map(drop)
    }

    async fn port(
        &self,
        name: &str,
        port: u16,
        protocol: &str,
    ) -> Result<Vec<String>, BackendError> {
        let args = port_args(name, port, protocol);
        let Some((status, stdout, stderr)) = self.process.look(&args).await? else {
            return Ok(Vec::new());
        };
        succeeded(&args, status, stderr)?;
        Ok(stdout
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect())
    }

    async fn top(&self, name: &str) -> Result<String, BackendError> {
        let args = top_args(name);
        match self.process.look(&args).await? {
            Some((status, stdout, stderr)) => succeeded(&args, status, stderr).map(|()| stdout),
            None => Ok(String::new()),
        }
    }

    async fn remove(&self, names: &[String], volumes: bool) -> Result<(), BackendError> {
        self.process
            .removal(&remove_args(names, volumes, None))
            .await
    }

    async fn remove_now(&self, names: &[String], volumes: bool) -> Result<(), BackendError> {
        let args = remove_args(names, volumes, Some(Duration::ZERO));
        self.process.removal(&args).await
    }

    async fn containers(
        &self,
        label: &str,
        value: &str,
    ) -> Result<Vec<ContainerInfo>, BackendError> {
        let args = list_args(&["ps", "--all"], label, value);
        let entries: Vec<PsEntry> = self.process.look_json(&args).await?.unwrap_or_default();
        Ok(entries
            .into_iter()
            .filter(|e| !e.is_infra)
            .map(ps_info)
            .collect())
    }

    async fn containers_and_leftovers(
        &self,
        label: &str,
        value: &str,
    ) -> Result<(Vec<ContainerInfo>, Vec<String>), BackendError> {
        // podman 4.3's `ps --external` fails now and then while another container is
        // being removed ("determining buildah container ...: container not known"): it
        // is asked again, and in the end the leftovers are given up, not the listing.
        for attempt in 1..=3 {
            match self.process.look_json(&external_ps_args()).await {
                Ok(entries) => {
                    let entries: Vec<PsEntry> = entries.unwrap_or_default();
                    return Ok(json::split_leftovers(entries, label, value));
                }
                Err(e) => {
                    tracing::debug!("ps --external, try {attempt}: {e}");
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
            }
        }
        Ok((self.containers(label, value).await?, Vec::new()))
    }

    async fn inspect(&self, names: &[String]) -> Result<Vec<ContainerInfo>, BackendError> {
        let dry_run = self.process.dry_run();
        // Containers a dry run "created" do not exist; ask only about real ones.
        let names: Vec<String> = names
            .iter()
            .filter(|n| !(dry_run && n.starts_with("dry-run-")))
            .cloned()
            .collect();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let args = inspect_args(&names);
        let entries = match self.process.look_json::<Vec<InspectEntry>>(&args).await {
            Ok(found) => found.unwrap_or_default(),
            // In a dry run, a container that `up` would create is not there yet.
            Err(_) if dry_run => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(entries.into_iter().map(inspect_info).collect())
    }

    async fn healthcheck_run(&self, name: &str) -> Result<HealthRun, BackendError> {
        let Some((status, stdout, stderr)) = self.process.change(&healthcheck_args(name)).await?
        else {
            return Ok(HealthRun::Healthy);
        };
        Ok(match status {
            Some(0) => HealthRun::Healthy,
            Some(1) if stdout.contains("unhealthy") || stderr.is_empty() => HealthRun::Unhealthy,
            _ => HealthRun::Error(if stderr.is_empty() {
                stdout.trim().to_string()
            } else {
                stderr
            }),
        })
    }

    async fn listening(&self, name: &str) -> Result<Vec<u16>, BackendError> {
        let known = self
            .pids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .copied();
        if let Some(ports) = known.and_then(ports_of) {
            return Ok(ports);
        }
        let info = self.inspect(&[name.to_string()]).await?;
        let Some(pid) = info.first().and_then(|i| i.pid) else {
            return Ok(Vec::new());
        };
        self.pids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), pid);
        Ok(ports_of(pid).unwrap_or_default())
    }

    async fn reclaim(&self, dir: &Path) -> Result<Option<String>, BackendError> {
        // Rootful, a container's root is the host's: what it wrote is root's already.
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            return Ok(None);
        }
        let args = reclaim_args(dir);
        match self.process.change(&args).await? {
            Some((Some(0), _, _)) | None => Ok(None),
            Some((_, _, stderr)) => Ok(Some(stderr.trim().to_string())),
        }
    }

    async fn http_status(
        &self,
        name: &str,
        check: &crate::model::HttpCheck,
    ) -> Result<Option<u16>, BackendError> {
        let info = self.inspect(&[name.to_string()]).await?;
        let Some(pid) = info.first().and_then(|i| i.pid) else {
            return Ok(None);
        };
        let mut args = vec![
            "__probe-http".to_string(),
            "--pid".into(),
            pid.to_string(),
            "--port".into(),
            check.port.to_string(),
            "--host".into(),
            check.host.clone(),
            "--path".into(),
            check.path.clone(),
        ];
        if check.https {
            args.push("--https".into());
        }
        let (status, stdout, stderr) = self.process.helper(&args).await?;
        let answer = stdout.trim();
        if status != Some(0) {
            return Err(BackendError::Command {
                argv: argv(&args),
                status,
                stderr,
            });
        }
        if answer == crate::probe::REFUSED {
            return Ok(None);
        }
        answer.parse().map(Some).map_err(|_| BackendError::Output {
            argv: argv(&args),
            message: format!("expected an HTTP status, got {answer:?}"),
        })
    }

    async fn wait(&self, name: &str) -> Result<i64, BackendError> {
        let args = wait_args(name);
        let Some(out) = self.process.change_ok(&args).await? else {
            return Ok(0);
        };
        out.trim().parse().map_err(|_| BackendError::Output {
            argv: argv(&args),
            message: format!("expected an exit code, got {:?}", out.trim()),
        })
    }

    async fn logs(
        &self,
        name: &str,
        opts: &LogOptions,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<(), BackendError> {
        let args = logs_args(&[name.to_string()], opts);
        self.process.stream(&args, name, sink).await.map(drop)
    }

    async fn logs_many(
        &self,
        names: &[String],
        opts: &LogOptions,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<(), BackendError> {
        match names {
            [] => Ok(()),
            [name] => self.logs(name, opts, sink).await,
            _ => tools::logs_many(&self.process, names, opts, sink).await,
        }
    }

    async fn volume_create(&self, spec: &VolumeSpec) -> Result<(), BackendError> {
        self.process
            .change_ok(&volume_create_args(spec))
            .await
            .map(drop)
    }

    async fn volumes(&self, label: &str, value: &str) -> Result<Vec<VolumeInfo>, BackendError> {
        let args = list_args(&["volume", "ls"], label, value);
        let entries: Vec<VolumeEntry> = self.process.look_json(&args).await?.unwrap_or_default();
        Ok(entries
            .into_iter()
            .map(|v| VolumeInfo {
                created: v.created_at.as_deref().and_then(json::unix_time),
                name: v.name,
                labels: v.labels.unwrap_or_default(),
            })
            .collect())
    }

    async fn volume_exists(&self, name: &str) -> Result<bool, BackendError> {
        let found = self.process.look(&exists_args("volume", name)).await?;
        // Without podman, a dry run cannot tell: it assumes the volume is there.
        Ok(found.is_none_or(|(status, _, _)| status == Some(0)))
    }

    async fn volume_remove(&self, names: &[String]) -> Result<(), BackendError> {
        if names.is_empty() {
            return Ok(());
        }
        self.process
            .change_ok(&volume_remove_args(names))
            .await
            .map(drop)
    }

    async fn network_create(&self, spec: &NetworkSpec) -> Result<(), BackendError> {
        self.process
            .change_ok(&network_create_args(spec))
            .await
            .map(drop)
    }

    async fn networks(&self, label: &str, value: &str) -> Result<Vec<NetworkInfo>, BackendError> {
        let args = list_args(&["network", "ls"], label, value);
        let entries: Vec<json::NetworkEntry> =
            self.process.look_json(&args).await?.unwrap_or_default();
        Ok(entries
            .into_iter()
            .map(|n| NetworkInfo {
                name: n.name,
                labels: n.labels.unwrap_or_default(),
            })
            .collect())
    }

    async fn network_remove(&self, names: &[String]) -> Result<(), BackendError> {
        if names.is_empty() {
            return Ok(());
        }
        self.process.removal(&network_remove_args(names)).await
    }

    async fn image_exists(&self, image: &str) -> Result<bool, BackendError> {
        let found = self.process.look(&exists_args("image", image)).await?;
        Ok(found.is_some_and(|(status, _, _)| status == Some(0)))
    }

    async fn image_exposed(&self, image: &str) -> Result<Vec<u16>, BackendError> {
        let args = image_exposed_args(image);
        Ok(match self.process.look(&args).await? {
            Some((Some(0), stdout, _)) => json::exposed_ports(&stdout),
            _ => Vec::new(),
        })
    }

    async fn pull(&self, image: &str) -> Result<(), BackendError> {
        self.process.change_ok(&pull_args(image)).await.map(drop)
    }

    async fn pull_with_auth(
        &self,
        image: &str,
        auth: &crate::model::RegistryAuth,
    ) -> Result<(), BackendError> {
        let file = files::auth_file(image, auth, self.process.dry_run())?;
        let args = pull_with_auth_args(image, &file);
        let done = self.process.change_ok(&args).await.map(drop);
        let _ = std::fs::remove_file(&file);
        done
    }

    async fn build(&self, spec: &BuildSpec) -> Result<(), BackendError> {
        let mut spec = spec.clone();
        if let Some(text) = spec.dockerfile_inline.take() {
            let file = files::text_file(&text, 0o444, self.process.dry_run())?;
            spec.dockerfile = Some(file.display().to_string());
        }
        self.process.change_ok(&build_args(&spec)).await.map(drop)
    }

    async fn image_id(&self, image: &str) -> Result<Option<String>, BackendError> {
        let found = self.process.look(&image_id_args(image)).await?;
        Ok(found.and_then(|(status, out, _)| {
            let id = out.trim();
            (status == Some(0) && !id.is_empty()).then(|| id.to_string())
        }))
    }

    async fn image_remove(&self, images: &[String]) -> Result<(), BackendError> {
        if images.is_empty() {
            return Ok(());
        }
        self.process
            .change_ok(&image_remove_args(images))
            .await
            .map(drop)
    }

    async fn copy_into(
        &self,
        container: &str,
        source: &std::path::Path,
        dest: &str,
    ) -> Result<(), BackendError> {
        self.process
            .change_ok(&copy_into_args(container, source, dest))
            .await
            .map(drop)
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), BackendError> {
        let args = ["cp", from, to].map(String::from);
        self.process.change_ok(&args).await.map(drop)
    }
}

#[cfg(test)]
mod tests;
