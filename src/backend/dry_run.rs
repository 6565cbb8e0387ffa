//! `DryRunBackend`: for `--dry-run`. Every call that would change something prints the
//! podman command it would run, shell-quoted, one per line, and does nothing; calls that
//! only look are passed to podman when it is there (so `down` sees what exists), and see
//! nothing otherwise.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::podman::*;
use super::*;

pub struct DryRunBackend {
    reader: Option<Arc<dyn Backend>>,
}

impl DryRunBackend {
    pub fn new(reader: Option<Arc<dyn Backend>>) -> Self {
        DryRunBackend { reader }
    }

    fn show(&self, args: Vec<String>) {
        let _ = crate::output::print(&format!("podman {}\n", shell_join(&args)));
    }
}

#[async_trait]
impl Backend for DryRunBackend {
    fn prints_only(&self) -> bool {
        true
    }

    async fn version(&self) -> Result<String, BackendError> {
        match &self.reader {
            Some(r) => r.version().await,
            None => Ok("dry-run".into()),
        }
    }

    async fn pod_create(&self, spec: &PodSpec) -> Result<(), BackendError> {
        self.show(pod_create_args(spec));
        Ok(())
    }

    async fn pods(&self, label: &str, value: &str) -> Result<Vec<PodInfo>, BackendError> {
        match &self.reader {
            Some(r) => r.pods(label, value).await,
            None => Ok(Vec::new()),
        }
    }

    async fn pod_remove(&self, name: &str, timeout: Duration) -> Result<(), BackendError> {
        self.show(pod_remove_args(name, timeout));
        Ok(())
    }

    async fn run(&self, spec: &ContainerSpec) -> Result<String, BackendError> {
        self.show(run_args(spec));
        Ok(format!("dry-run-{}", spec.name))
    }

    async fn run_foreground(
        &self,
        spec: &ContainerSpec,
        remove: bool,
    ) -> Result<i64, BackendError> {
        self.show(run_foreground_args(spec, remove));
        Ok(0)
    }

    async fn exec(&self, spec: &ExecSpec) -> Result<i64, BackendError> {
        self.show(exec_args(spec));
        Ok(0)
    }

    async fn exec_stream(
        &self,
        spec: &ExecSpec,
        _sink: mpsc::Sender<LogLine>,
    ) -> Result<i64, BackendError> {
        self.show(exec_args(spec));
        Ok(0)
    }

    async fn start(&self, names: &[String]) -> Result<(), BackendError> {
        self.show(start_args(names));
        Ok(())
    }

    async fn restart(
        &self,
        names: &[String],
        timeout: Option<Duration>,
    ) -> Result<(), BackendError> {
        self.show(restart_args(names, timeout));
        Ok(())
    }

    async fn stop(&self, names: &[String], timeout: Option<Duration>) -> Result<(), BackendError> {
        self.show(stop_args(names, timeout));
        Ok(())
    }

    async fn kill(&self, names: &[String], signal: &str) -> Result<(), BackendError> {
        self.show(kill_args(names, signal));
        Ok(())
    }

    async fn pause(&self, names: &[String]) -> Result<(), BackendError> {
        self.show(pause_args(names));
        Ok(())
    }

    async fn unpause(&self, names: &[String]) -> Result<(), BackendError> {
        self.show(unpause_args(names));
        Ok(())
    }

    async fn port(
        &self,
        name: &str,
        port: u16,
        protocol: &str,
    ) -> Result<Vec<String>, BackendError> {
        match &self.reader {
            Some(r) => r.port(name, port, protocol).await,
            None => Ok(Vec::new()),
        }
    }

    async fn top(&self, name: &str) -> Result<String, BackendError> {
        match &self.reader {
            Some(r) => r.top(name).await,
            None => Ok(String::new()),
        }
    }

    async fn remove(&self, names: &[String], volumes: bool) -> Result<(), BackendError> {
        self.show(remove_args(names, volumes));
        Ok(())
    }

    async fn containers(
        &self,
        label: &str,
        value: &str,
    ) -> Result<Vec<ContainerInfo>, BackendError> {
        match &self.reader {
            Some(r) => r.containers(label, value).await,
            None => Ok(Vec::new()),
        }
    }

    async fn inspect(&self, names: &[String]) -> Result<Vec<ContainerInfo>, BackendError> {
        match &self.reader {
            // Containers a dry run "created" do not exist; ask only about real ones.
            Some(r) => {
                let real: Vec<String> = names
                    .iter()
                    .filter(|n| !n.starts_with("dry-run-"))
                    .cloned()
                    .collect();
                Ok(r.inspect(&real).await.unwrap_or_default())
            }
            None => Ok(Vec::new()),
        }
    }

    async fn healthcheck_run(&self, name: &str) -> Result<HealthRun, BackendError> {
        self.show(healthcheck_args(name));
        Ok(HealthRun::Healthy)
    }

    async fn wait(&self, name: &str) -> Result<i64, BackendError> {
        self.show(vec!["wait".into(), name.into()]);
        Ok(0)
    }

    async fn logs(
        &self,
        name: &str,
        opts: &LogOptions,
        _sink: mpsc::Sender<LogLine>,
    ) -> Result<(), BackendError> {
        self.show(logs_args(name, opts));
        Ok(())
    }

    async fn volume_create(&self, spec: &VolumeSpec) -> Result<(), BackendError> {
        self.show(volume_create_args(spec));
        Ok(())
    }

    async fn volumes(&self, label: &str, value: &str) -> Result<Vec<VolumeInfo>, BackendError> {
        match &self.reader {
            Some(r) => r.volumes(label, value).await,
            None => Ok(Vec::new()),
        }
    }

    async fn volume_exists(&self, name: &str) -> Result<bool, BackendError> {
        match &self.reader {
            Some(r) => r.volume_exists(name).await,
            None => Ok(true),
        }
    }

    async fn volume_remove(&self, names: &[String]) -> Result<(), BackendError> {
        self.show(volume_remove_args(names));
        Ok(())
    }

    async fn image_exists(&self, image: &str) -> Result<bool, BackendError> {
        match &self.reader {
            Some(r) => r.image_exists(image).await,
            None => Ok(false),
        }
    }

    async fn pull(&self, image: &str) -> Result<(), BackendError> {
        self.show(pull_args(image));
        Ok(())
    }

    async fn build(&self, spec: &BuildSpec) -> Result<(), BackendError> {
        self.show(build_args(spec));
        Ok(())
    }
}
