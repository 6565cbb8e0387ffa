//! Images before containers: builds (each build section once, whatever the number of
//! services that share it) and pulls as each pull policy and registry login ask, for
//! services and for job steps with an image of their own.

use super::{EngineError, Stack};
use crate::model::{PullPolicy, RegistryAuth};
use crate::output::{Event, Resource, ResourceKind};
use crate::plan::image_name;

/// Builds the image of services whose build sections are the same, once, when one of
/// their images is missing, `--build` asks, or a `pull_policy: build` does.
pub(super) async fn ensure_build(
    stack: &Stack,
    names: &[String],
    spec: &crate::backend::BuildSpec,
    force_build: bool,
    no_build: bool,
) -> Result<(), EngineError> {
    let project = &stack.project;
    let always = !no_build
        && (force_build
            || names
                .iter()
                .any(|n| project.services[n].pull_policy == Some(PullPolicy::Build)));
    let mut missing = always;
    for n in names {
        if missing {
            break;
        }
        missing = !stack
            .backend
            .image_exists(&image_name(&project.name, &project.services[n]))
            .await?;
    }
    if missing && no_build {
        return Err(EngineError::Unrunnable(format!(
            "service {:?}: image {} is not here, and --no-build keeps sidepod from building \
             it; build it first (sidepod build), or leave out --no-build",
            names.join(", "),
            spec.tag
        )));
    }
    if missing {
        forwards_an_agent(names, spec)?;
        let image = |state| Event::resource(ResourceKind::Image, &spec.tag, state);
        stack.output.emit(image(Resource::Building));
        stack.backend.build(spec).await?;
        stack.output.emit(image(Resource::Built));
    }
    Ok(())
}

/// A `build.ssh` entry without a path forwards the ssh agent: refused before building
/// when there is none to forward, with what to do.
pub fn forwards_an_agent(
    names: &[String],
    spec: &crate::backend::BuildSpec,
) -> Result<(), EngineError> {
    let agent = spec.ssh.iter().find(|s| !s.contains('='));
    match agent {
        Some(id) if std::env::var_os("SSH_AUTH_SOCK").is_none() => {
            Err(EngineError::Unrunnable(format!(
                "service {:?}: build.ssh {id:?} forwards your ssh agent, and SSH_AUTH_SOCK \
                 is not set; start one (eval $(ssh-agent) && ssh-add), or name a key: \
                 {id}=~/.ssh/id_ed25519",
                names.join(", ")
            )))
        }
        _ => Ok(()),
    }
}

/// Pulls a service's image (one without a build section) as its `pull_policy` asks.
pub(super) async fn ensure_image(stack: &Stack, name: &str) -> Result<(), EngineError> {
    let project = &stack.project;
    let service = &project.services[name];
    let image = image_name(&project.name, service);
    fetch_image(
        stack,
        name,
        &image,
        service.pull_policy,
        service.registry_auth.as_ref(),
    )
    .await
}

/// Pulls `image` for `who` (a service, a step) as its pull policy asks, with its login
/// when it has one. A missing image without a login is left to `podman run`, which
/// pulls it by itself: no extra call. `daily`, `weekly` and `every_<duration>` pull when
/// sidepod's last pull of the image is older (`pulls.rs`); an image that is here and
/// cannot be refreshed is used as it is, with a warning.
pub(crate) async fn fetch_image(
    stack: &Stack,
    who: &str,
    image: &str,
    policy: Option<PullPolicy>,
    auth: Option<&RegistryAuth>,
) -> Result<(), EngineError> {
    let backend = &stack.backend;
    let pull = || async {
        stack.output.emit(Event::resource(
            ResourceKind::Image,
            image,
            Resource::Pulling,
        ));
        match auth {
            Some(auth) => backend.pull_with_auth(image, auth).await?,
            None => backend.pull(image).await?,
        }
        if !backend.prints_only() {
            super::pulls::PullLog::here().record(image);
        }
        Ok::<(), EngineError>(())
    };
    match policy {
        Some(PullPolicy::Build) => Err(EngineError::Image {
            service: who.to_string(),
            message: "pull_policy is build, but the service has no build section".into(),
        }),
        Some(PullPolicy::Never) if !backend.image_exists(image).await? => Err(EngineError::Image {
            service: who.to_string(),
            message: format!(
                "image {image} is not here and its pull_policy is never; build or pull it first"
            ),
        }),
        Some(PullPolicy::Never) => Ok(()),
        Some(PullPolicy::Always) => pull().await,
        Some(PullPolicy::Refresh(every)) => {
            if !backend.image_exists(image).await? {
                return pull().await;
            }
            let last = super::pulls::PullLog::here().last_pull(image);
            if !super::pulls::due_now(every, last) {
                return Ok(());
            }
            if let Err(e) = pull().await {
                stack.output.warn(&format!(
                    "{who}: could not refresh {image} ({e}); using the image that is here"
                ));
            }
            Ok(())
        }
        _ if auth.is_some() && !backend.image_exists(image).await? => pull().await,
        _ => Ok(()),
    }
}
