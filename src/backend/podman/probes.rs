//! Probes of the host for `sidepod doctor`: they need no image and leave nothing behind.

use std::path::Path;

use super::args::{info_args, probe_pod_args, probe_run_args};
use super::json::HostInfo;
use super::process::argv;
use super::PodmanBackend;
use crate::backend::BackendError;

/// The command `probe_container` runs, which no empty root has.
const PROBE_COMMAND: &str = "/sidepod-doctor-probe";

impl PodmanBackend {
    pub async fn host_info(&self) -> Result<HostInfo, BackendError> {
        let args = info_args();
        let out = self.process.call(&args).await?;
        HostInfo::parse(&out).map_err(|e| BackendError::Output {
            argv: argv(&args),
            message: e.to_string(),
        })
    }

    /// Starts a container on `rootfs` (an empty directory) whose command does not exist:
    /// podman and the OCI runtime set the whole container up, and only the final exec
    /// fails, with exit code 127. Any other failure is the host's.
    pub async fn probe_container(&self, rootfs: &Path) -> Result<(), BackendError> {
        let args = probe_run_args(rootfs, PROBE_COMMAND);
        let (status, _, stderr) = self.process.status(&args).await?;
        if status == Some(127) && stderr.contains(PROBE_COMMAND) {
            return Ok(());
        }
        Err(BackendError::Command {
            argv: argv(&args),
            status,
            stderr,
        })
    }

    /// Creates and starts a pod named `name` that publishes `port` on 127.0.0.1 (its infra
    /// container sets up the pod's network, rootless or not), then removes it.
    pub async fn probe_pod(&self, name: &str, port: u16) -> Result<(), BackendError> {
        let [create, start, remove] = probe_pod_args(name, port);
        self.process.call(&create).await?;
        let started = self.process.call(&start).await;
        let removed = self.process.call(&remove).await;
        started.and(removed).map(drop)
    }
}
