//! `FakeBackend` speaking the `Backend` trait: every call recorded as a typed `Call`,
//! so a test asserts the exact sequence, over the in-memory state of `state.rs`.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::call::Call;
use super::state::{configured_check, matches, next_scripted, FakeBackend};
use crate::backend::*;

#[async_trait]
impl Backend for FakeBackend {
    async fn version(&self) -> Result<String, BackendError> {
        self.record(Call::Version)?;
        Ok("fake".into())
    }

    async fn pod_create(&self, spec: &PodSpec) -> Result<(), BackendError> {
        let call = Call::PodCreate(spec.name.clone());
        self.pause(&call).await;
        self.record(call)?;
        if self.with(|s| s.pods.contains_key(&spec.name)) {
            return Err(BackendError::Command {
                argv: vec!["podman".into(), "pod".into(), "create".into()],
                status: Some(125),
                stderr: format!(
                    "Error: adding pod to state: name \"{}\" is in use: pod already exists",
                    spec.name
                ),
            });
        }
        self.with(|s| {
            s.unstarted_pods.insert(spec.name.clone());
            s.pods.insert(
                spec.name.clone(),
                PodInfo {
                    id: format!("pod-{}", spec.name),
                    name: spec.name.clone(),
                    labels: spec.labels.clone(),
                },
            )
        });
        Ok(())
    }

    async fn pod_start(&self, name: &str) -> Result<(), BackendError> {
        let call = Call::PodStart(name.into());
        self.pause(&call).await;
        self.record(call)?;
        self.with(|s| s.unstarted_pods.remove(name));
        Ok(())
    }

    async fn pods(&self, label: &str, value: &str) -> Result<Vec<PodInfo>, BackendError> {
        self.record(Call::PodPs)?;
        Ok(self.with(|s| {
            s.pods
                .values()
                .filter(|p| matches(&p.labels, label, value))
                .cloned()
                .collect()
        }))
    }

    async fn pod_stop(&self, name: &str, _timeout: Duration) -> Result<(), BackendError> {
        self.record(Call::PodStop(name.into()))?;
        self.with(|s| {
            for c in s.containers.values_mut() {
                if c.labels.get("io.sidepod.pod").is_some_and(|p| p == name) {
                    c.state = ContainerState::Exited;
                }
            }
        });
        Ok(())
    }

    async fn pod_remove(&self, name: &str, _timeout: Duration) -> Result<(), BackendError> {
        let call = Call::PodRemove(name.into());
        self.pause(&call).await;
        self.record(call)?;
        self.with(|s| {
            s.pods.remove(name);
            s.unstarted_pods.remove(name);
            s.containers
                .retain(|_, c| c.labels.get("io.sidepod.pod").is_none_or(|p| p != name));
        });
        Ok(())
    }

    async fn run(&self, spec: &ContainerSpec) -> Result<String, BackendError> {
        self.new_container(Call::Run(spec.name.clone()), spec, ContainerState::Running)
            .await
    }

    async fn create(&self, spec: &ContainerSpec) -> Result<String, BackendError> {
        self.new_container(
            Call::Create(spec.name.clone()),
            spec,
            ContainerState::Created,
        )
        .await
    }

    async fn passthrough(&self, what: &Passthrough) -> Result<i64, BackendError> {
        self.record(Call::Passthrough(what.clone()))?;
        Ok(0)
    }

    async fn events(
        &self,
        _label: &str,
        _value: &str,
        sink: mpsc::Sender<ContainerEvent>,
    ) -> Result<(), BackendError> {
        self.record(Call::Events)?;
        for event in self.with(|s| s.events.clone()) {
            let _ = sink.send(event).await;
        }
        // Then, as podman follows: a running container with a scripted exit code dies
        // (a moment after it started), until the receiver is gone.
        loop {
            for event in self.with(super::state::State::deaths) {
                if sink.send(event).await.is_err() {
                    return Ok(());
                }
            }
            tokio::select! {
                () = sink.closed() => return Ok(()),
                () = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
            }
        }
    }

    async fn run_foreground(
        &self,
        spec: &ContainerSpec,
        remove: bool,
    ) -> Result<i64, BackendError> {
        self.record(Call::RunForeground {
            name: spec.name.clone(),
            remove,
        })?;
        Ok(self.with(|s| s.exit_codes.get(&spec.name).copied().unwrap_or(0)))
    }

    async fn exec(&self, spec: &ExecSpec) -> Result<i64, BackendError> {
        self.record(Call::Exec {
            container: spec.container.clone(),
            command: spec.command.clone(),
        })?;
        Ok(0)
    }

    async fn exec_stream(
        &self,
        spec: &ExecSpec,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<i64, BackendError> {
        let command = spec.command.join(" ");
        let call = Call::Exec {
            container: spec.container.clone(),
            command: spec.command.clone(),
        };
        self.pause(&call).await;
        self.record(call)?;
        let (code, lines) = self.with(|s| {
            let key = format!("exec:{command}");
            (
                s.exit_codes.get(&key).copied().unwrap_or(0),
                s.logs.get(&key).cloned().unwrap_or_default(),
            )
        });
        for text in lines {
            let line = LogLine {
                container: spec.container.clone(),
                stream: Stream::Stdout,
                text,
            };
            if sink.send(line).await.is_err() {
                break;
            }
        }
        Ok(code)
    }

    async fn restart(
        &self,
        names: &[String],
        timeout: Option<Duration>,
    ) -> Result<(), BackendError> {
        self.record(Call::Restart(names.to_vec()))?;
        self.with(|s| {
            s.grace_periods
                .push((Call::Restart(names.to_vec()), timeout))
        });
        self.set_state(names, ContainerState::Running);
        Ok(())
    }

    async fn start(&self, names: &[String]) -> Result<(), BackendError> {
        self.record(Call::Start(names.to_vec()))?;
        self.set_state(names, ContainerState::Running);
        Ok(())
    }

    async fn stop(&self, names: &[String], timeout: Option<Duration>) -> Result<(), BackendError> {
        let call = Call::Stop(names.to_vec());
        self.pause(&call).await;
        self.record(call)?;
        self.with(|s| s.grace_periods.push((Call::Stop(names.to_vec()), timeout)));
        self.set_state(names, ContainerState::Exited);
        Ok(())
    }

    async fn ignoring_stop(&self, containers: &[&ContainerInfo]) -> BTreeSet<String> {
        self.with(|s| {
            containers
                .iter()
                .filter(|c| c.state == ContainerState::Running && s.deaf.contains(&c.name))
                .map(|c| c.name.clone())
                .collect()
        })
    }

    async fn kill(&self, names: &[String], signal: &str) -> Result<(), BackendError> {
        self.record(Call::Kill {
            names: names.to_vec(),
            signal: signal.into(),
        })?;
        self.set_state(names, ContainerState::Exited);
        Ok(())
    }

    async fn pause(&self, names: &[String]) -> Result<(), BackendError> {
        self.record(Call::Pause(names.to_vec()))?;
        self.set_state(names, ContainerState::Paused);
        Ok(())
    }

    async fn unpause(&self, names: &[String]) -> Result<(), BackendError> {
        self.record(Call::Unpause(names.to_vec()))?;
        self.set_state(names, ContainerState::Running);
        Ok(())
    }

    async fn port(
        &self,
        name: &str,
        port: u16,
        protocol: &str,
    ) -> Result<Vec<String>, BackendError> {
        let _ = protocol;
        self.record(Call::Port(name.into()))?;
        Ok(vec![format!("0.0.0.0:{port}")])
    }

    async fn top(&self, name: &str) -> Result<String, BackendError> {
        self.record(Call::Top(name.into()))?;
        Ok("USER PID COMMAND\nroot 1 sleep\n".into())
    }

    async fn remove(&self, names: &[String], volumes: bool) -> Result<(), BackendError> {
        let names = names.to_vec();
        self.forget(Call::Remove { names, volumes })
    }

    async fn remove_now(&self, names: &[String], volumes: bool) -> Result<(), BackendError> {
        let names = names.to_vec();
        self.forget(Call::RemoveNow { names, volumes })
    }

    async fn containers(
        &self,
        label: &str,
        value: &str,
    ) -> Result<Vec<ContainerInfo>, BackendError> {
        self.record(Call::Ps)?;
        Ok(self.with(|s| {
            s.containers
                .values()
                .filter(|c| matches(&c.labels, label, value))
                .cloned()
                .collect()
        }))
    }

    async fn containers_and_leftovers(
        &self,
        label: &str,
        value: &str,
    ) -> Result<(Vec<ContainerInfo>, Vec<String>), BackendError> {
        let containers = self.containers(label, value).await?;
        Ok((containers, self.with(|s| s.leftovers.clone())))
    }

    async fn inspect(&self, names: &[String]) -> Result<Vec<ContainerInfo>, BackendError> {
        self.record(Call::Inspect(names.to_vec()))?;
        Ok(self.with(|s| {
            names
                .iter()
                .filter_map(|n| s.containers.get(n).cloned())
                .collect()
        }))
    }

    async fn healthcheck_run(&self, name: &str) -> Result<HealthRun, BackendError> {
        self.record(Call::Healthcheck(name.into()))?;
        Ok(self.with(|s| {
            if s.containers
                .get(name)
                .is_none_or(|c| c.state != ContainerState::Running)
            {
                return HealthRun::Error(format!("container {name} is not running"));
            }
            let result = s
                .health
                .get_mut(name)
                .map_or(HealthRun::Healthy, |q| next_scripted(q, HealthRun::Healthy));
            if let Some(c) = s.containers.get_mut(name) {
                let status = match result {
                    HealthRun::Healthy => "healthy",
                    _ => "unhealthy",
                };
                c.health = Some(HealthState {
                    status: status.into(),
                    failing_streak: 0,
                    log: vec![HealthLogEntry {
                        exit_code: i64::from(result != HealthRun::Healthy),
                        output: format!("{status} output"),
                    }],
                });
            }
            result
        }))
    }

    async fn listening(&self, name: &str) -> Result<Vec<u16>, BackendError> {
        self.record(Call::Listening(name.into()))?;
        Ok(self.with(|s| {
            s.listening
                .get_mut(name)
                .map_or_else(Vec::new, |q| next_scripted(q, Vec::new()))
        }))
    }

    async fn reclaim(&self, dir: &std::path::Path) -> Result<Option<String>, BackendError> {
        self.record(Call::Reclaim(dir.to_path_buf()))?;
        Ok(None)
    }

    async fn http_status(
        &self,
        name: &str,
        _check: &crate::model::HttpCheck,
    ) -> Result<Option<u16>, BackendError> {
        self.record(Call::Http(name.into()))?;
        Ok(self.with(|s| s.http.get_mut(name).and_then(|q| next_scripted(q, None))))
    }

    async fn wait(&self, name: &str) -> Result<i64, BackendError> {
        let call = Call::Wait(name.into());
        self.record(call.clone())?;
        self.pause(&call).await;
        let code = self.with(|s| s.exit_codes.get(name).copied());
        match code {
            Some(code) => {
                self.with(|s| {
                    if let Some(c) = s.containers.get_mut(name) {
                        c.state = ContainerState::Exited;
                        c.exit_code = code;
                    }
                });
                Ok(code)
            }
            // A container that never exits: wait until the test is over.
            None => std::future::pending().await,
        }
    }

    async fn logs(
        &self,
        name: &str,
        _opts: &LogOptions,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<(), BackendError> {
        self.record(Call::Logs(name.into()))?;
        self.send_logs(name, &sink).await;
        Ok(())
    }

    async fn logs_many(
        &self,
        names: &[String],
        _opts: &LogOptions,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<(), BackendError> {
        self.record(Call::LogsMany(names.to_vec()))?;
        for name in names {
            if !self.send_logs(name, &sink).await {
                break;
            }
        }
        Ok(())
    }

    async fn volume_create(&self, spec: &VolumeSpec) -> Result<(), BackendError> {
        self.record(Call::VolumeCreate(spec.name.clone()))?;
        self.with(|s| {
            s.volumes.insert(
                spec.name.clone(),
                VolumeInfo {
                    name: spec.name.clone(),
                    labels: spec.labels.clone(),
                    created: None,
                },
            )
        });
        Ok(())
    }

    async fn volumes(&self, label: &str, value: &str) -> Result<Vec<VolumeInfo>, BackendError> {
        self.record(Call::VolumeLs)?;
        Ok(self.with(|s| {
            s.volumes
                .values()
                .filter(|v| matches(&v.labels, label, value))
                .cloned()
                .collect()
        }))
    }

    async fn volume_exists(&self, name: &str) -> Result<bool, BackendError> {
        self.record(Call::VolumeExists(name.into()))?;
        Ok(self.with(|s| s.volumes.contains_key(name)))
    }

    async fn volume_remove(&self, names: &[String]) -> Result<(), BackendError> {
        self.record(Call::VolumeRemove(names.to_vec()))?;
        self.with(|s| names.iter().for_each(|n| drop(s.volumes.remove(n))));
        Ok(())
    }

    async fn network_create(&self, spec: &NetworkSpec) -> Result<(), BackendError> {
        self.record(Call::NetworkCreate(spec.name.clone()))?;
        let exists = self.with(|s| {
            s.networks
                .insert(spec.name.clone(), spec.labels.clone())
                .is_some()
        });
        if exists {
            return Err(BackendError::Command {
                argv: vec!["podman".into(), "network".into(), "create".into()],
                status: Some(125),
                stderr: format!(
                    "Error: network name {} already used: network already exists",
                    spec.name
                ),
            });
        }
        Ok(())
    }

    async fn networks(&self, label: &str, value: &str) -> Result<Vec<NetworkInfo>, BackendError> {
        self.record(Call::NetworkLs)?;
        Ok(self.with(|s| {
            s.networks
                .iter()
                .filter(|(_, labels)| matches(labels, label, value))
                .map(|(n, labels)| NetworkInfo {
                    name: n.clone(),
                    labels: labels.clone(),
                })
                .collect()
        }))
    }

    async fn network_remove(&self, names: &[String]) -> Result<(), BackendError> {
        self.record(Call::NetworkRemove(names.to_vec()))?;
        self.with(|s| names.iter().for_each(|n| drop(s.networks.remove(n))));
        Ok(())
    }

    async fn image_exists(&self, image: &str) -> Result<bool, BackendError> {
        self.record(Call::ImageExists(image.into()))?;
        Ok(self.with(|s| !s.missing_images.iter().any(|m| m == image)))
    }

    async fn image_exposed(&self, image: &str) -> Result<Vec<u16>, BackendError> {
        self.record(Call::ImageInspect(image.into()))?;
        Ok(self.with(|s| s.image_ports.get(image).cloned().unwrap_or_default()))
    }

    async fn pull(&self, image: &str) -> Result<(), BackendError> {
        self.record(Call::Pull(image.into()))
    }

    async fn pull_with_auth(
        &self,
        image: &str,
        auth: &crate::model::RegistryAuth,
    ) -> Result<(), BackendError> {
        self.record(Call::PullAuth(image.into(), auth.username.clone()))?;
        self.with(|s| s.missing_images.retain(|m| m != image));
        Ok(())
    }

    async fn build(&self, spec: &BuildSpec) -> Result<(), BackendError> {
        self.record(Call::Build(spec.tag.clone()))?;
        self.with(|s| s.missing_images.retain(|m| m != &spec.tag));
        self.with(|s| *s.image_builds.entry(spec.tag.clone()).or_default() += 1);
        Ok(())
    }

    async fn image_id(&self, image: &str) -> Result<Option<String>, BackendError> {
        self.record(Call::ImageId(image.into()))?;
        Ok(self.with(|s| {
            let missing = s.missing_images.iter().any(|m| m == image);
            let builds = s.image_builds.get(image).copied().unwrap_or(0);
            (!missing).then(|| format!("{image}@{builds}"))
        }))
    }

    async fn image_remove(&self, images: &[String]) -> Result<(), BackendError> {
        self.record(Call::ImageRemove(images.to_vec()))
    }

    async fn copy_into(
        &self,
        container: &str,
        source: &std::path::Path,
        dest: &str,
    ) -> Result<(), BackendError> {
        let mut files = Vec::new();
        let mut dirs = vec![source.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if let Ok(rel) = path.strip_prefix(source) {
                    files.push(rel.display().to_string());
                }
            }
        }
        files.sort();
        self.record(Call::Copy {
            container: container.into(),
            dest: dest.into(),
            files,
        })
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), BackendError> {
        self.record(Call::Cp(from.into(), to.into()))
    }
}

impl FakeBackend {
    /// `remove` and `remove_now`: the containers the call names are gone.
    fn forget(&self, call: Call) -> Result<(), BackendError> {
        let (Call::Remove { names, .. } | Call::RemoveNow { names, .. }) = &call else {
            unreachable!("only removals forget containers");
        };
        let names = names.clone();
        self.record(call)?;
        self.with(|s| {
            names.iter().for_each(|n| drop(s.containers.remove(n)));
            s.leftovers.retain(|l| !names.contains(l));
        });
        Ok(())
    }

    /// `run` and `create`: a new container in `state`, unless its image is missing.
    async fn new_container(
        &self,
        call: Call,
        spec: &ContainerSpec,
        state: ContainerState,
    ) -> Result<String, BackendError> {
        // A run into a pod never started starts its infra container; podman 4 fails a
        // second run that comes while the first one does.
        let starts_pod =
            state == ContainerState::Running && self.with(|s| s.unstarted_pods.contains(&spec.pod));
        if starts_pod && !self.with(|s| s.starting_pods.insert(spec.pod.clone())) {
            self.record(call)?;
            return Err(BackendError::Command {
                argv: vec!["podman".into(), "run".into(), spec.name.clone()],
                status: Some(126),
                stderr: "Error: container state improper".into(),
            });
        }
        self.pause(&call).await;
        if starts_pod {
            self.with(|s| {
                s.starting_pods.remove(&spec.pod);
                s.unstarted_pods.remove(&spec.pod);
            });
        }
        self.record(call)?;
        if self.with(|s| s.missing_images.contains(&spec.image)) {
            return Err(BackendError::Command {
                argv: vec!["podman".into(), "run".into(), spec.name.clone()],
                status: Some(125),
                stderr: format!("Error: {}: image not known", spec.image),
            });
        }
        if self.with(|s| s.leftovers.contains(&spec.name)) {
            return Err(BackendError::Command {
                argv: vec!["podman".into(), "run".into(), spec.name.clone()],
                status: Some(125),
                stderr: format!(
                    "Error: the container name {:?} is already in use",
                    spec.name
                ),
            });
        }
        Ok(self.with(|s| {
            s.next_id += 1;
            let id = format!("id{}", s.next_id);
            let mut labels = spec.labels.clone();
            labels.insert("io.sidepod.pod".into(), spec.pod.clone());
            s.containers.insert(
                spec.name.clone(),
                ContainerInfo {
                    id: id.clone(),
                    name: spec.name.clone(),
                    labels,
                    state,
                    status: "Up".into(),
                    exit_code: 0,
                    health: None,
                    image: spec.image.clone(),
                    ports: vec![],
                    restart_count: 0,
                    healthcheck: configured_check(spec, &s.image_checks),
                    exposed: s.image_ports.get(&spec.image).cloned().unwrap_or_default(),
                    pid: Some(1000 + s.next_id as u32),
                },
            );
            id
        }))
    }
}
