//! What a batch of changes does to one service: copy files in, remove those that are
//! gone, restart, run `exec`, or rebuild and recreate.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::rules::Changes;
use super::Replacing;
use crate::backend::{ContainerState, ExecSpec};
use crate::engine::control::service_containers;
use crate::engine::{hooks, up, EngineError, Shutdown, Stack, UpOptions};
use crate::model::WatchAction;
use crate::output::Event;
use crate::plan::image_name;

pub(super) struct Actor<'a> {
    pub stack: &'a Stack,
    pub replacing: &'a Replacing,
    pub prune: bool,
}

impl Actor<'_> {
    /// Acts on one service's changes. A failure is said, and watching goes on; only a
    /// stop request ends it.
    pub async fn apply(
        &self,
        service: &str,
        changes: &Changes,
        shutdown: &mut Shutdown,
    ) -> Result<(), EngineError> {
        match self.act(service, changes, shutdown).await {
            Err(EngineError::Interrupted(n)) => Err(EngineError::Interrupted(n)),
            Err(e) => {
                let message = format!("watch: service {service}: {e}");
                self.stack.output.warn(&message);
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }

    fn said(&self, service: &str, action: WatchAction, files: usize) {
        self.stack.output.emit(Event::Watch {
            service: service.to_string(),
            action: action.as_str().to_string(),
            files,
        });
    }

    async fn act(
        &self,
        service: &str,
        changes: &Changes,
        shutdown: &mut Shutdown,
    ) -> Result<(), EngineError> {
        if changes.rebuild {
            self.said(service, WatchAction::Rebuild, changes.files);
            return self.rebuild(service, shutdown).await;
        }
        let all = service_containers(self.stack, &[service.to_string()]).await?;
        let names: Vec<String> = all
            .iter()
            .filter(|c| c.state == ContainerState::Running)
            .map(|c| c.name.clone())
            .collect();
        if names.is_empty() {
            return Err(EngineError::NotCreated(service.to_string()));
        }
        if !changes.copies.is_empty() || !changes.removals.is_empty() {
            self.said(service, WatchAction::Sync, changes.files);
            for name in &names {
                self.sync(name, changes).await?;
            }
        }
        if changes.restart {
            self.said(service, WatchAction::Restart, changes.files);
            self.replacing.begin(&names);
            let restarted = self.stack.backend.restart(&names, None).await;
            self.replacing.end(&names, false);
            restarted?;
        }
        for hook in &changes.exec {
            for name in &names {
                let backend = &self.stack.backend;
                let hook = std::slice::from_ref(hook);
                hooks::run_in(backend, service, "develop.watch exec", name, hook).await?;
            }
        }
        Ok(())
    }

    /// Copies the changed files into `container`, one `podman cp` per directory there,
    /// and removes the paths whose files are gone.
    async fn sync(&self, container: &str, changes: &Changes) -> Result<(), EngineError> {
        let backend = &self.stack.backend;
        for (dir, files) in &changes.copies {
            let staged = Staging::of(files).map_err(|source| EngineError::HostPath {
                path: "a staging directory for the sync".into(),
                source,
            })?;
            if backend
                .copy_into(container, staged.path(), dir)
                .await
                .is_err()
            {
                // Its directory may not be there yet: make it, and copy once more.
                let mkdir = exec(container, &["mkdir", "-p", dir]);
                backend.exec(&mkdir).await?;
                backend.copy_into(container, staged.path(), dir).await?;
            }
        }
        if !changes.removals.is_empty() {
            let mut argv = vec!["rm", "-rf", "--"];
            argv.extend(changes.removals.iter().map(String::as_str));
            let code = backend.exec(&exec(container, &argv)).await?;
            if code != 0 {
                return Err(EngineError::Unrunnable(format!(
                    "removing {} in {container} failed with exit code {code}",
                    changes
                        .removals
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Builds the service's image again and recreates its containers from it; with
    /// `prune`, the image it replaced is removed.
    async fn rebuild(&self, service: &str, shutdown: &mut Shutdown) -> Result<(), EngineError> {
        let stack = self.stack;
        let image = image_name(&stack.project.name, &stack.project.services[service]);
        let before = stack.backend.image_id(&image).await?;
        let old: Vec<String> = service_containers(stack, &[service.to_string()])
            .await?
            .into_iter()
            .map(|c| c.name)
            .collect();
        self.replacing.begin(&old);
        let opts = UpOptions {
            services: vec![service.to_string()],
            no_deps: true,
            build: true,
            force_recreate: true,
            ..UpOptions::default()
        };
        let started = up(stack, &opts, shutdown).await;
        let mut names: BTreeSet<String> = old.into_iter().collect();
        if let Ok(started) = &started {
            names.extend(started.iter().map(|c| c.name.clone()));
        }
        self.replacing
            .end(&names.into_iter().collect::<Vec<_>>(), true);
        started?;
        let after = stack.backend.image_id(&image).await?;
        if let (true, Some(old)) = (self.prune, before.filter(|b| Some(b) != after.as_ref())) {
            // Another tag or a container may still use it; then it stays.
            if let Err(e) = stack.backend.image_remove(&[old]).await {
                tracing::debug!("the replaced image stays: {e}");
            }
        }
        Ok(())
    }
}

fn exec(container: &str, argv: &[&str]) -> ExecSpec {
    ExecSpec {
        container: container.to_string(),
        command: argv.iter().map(|s| s.to_string()).collect(),
        ..ExecSpec::default()
    }
}

/// A directory of the files to copy, each at its path below the container directory
/// (hard links where the file system allows, else copies); removed when dropped.
struct Staging(PathBuf);

static STAGED: AtomicU64 = AtomicU64::new(0);

impl Staging {
    fn of(files: &BTreeSet<(PathBuf, PathBuf)>) -> std::io::Result<Staging> {
        let n = STAGED.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("sidepod-sync-{}-{n}", std::process::id()));
        let staging = Staging(dir);
        std::fs::create_dir_all(&staging.0)?;
        for (host, at) in files {
            let to = staging.0.join(at);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            if std::fs::hard_link(host, &to).is_err() {
                match std::fs::copy(host, &to) {
                    Ok(_) => {}
                    // Gone since the change was seen: the next batch removes it.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(staging)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
