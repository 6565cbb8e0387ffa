//! `sidepod cp`: files between a service's container and the host, by `podman cp`.

use crate::cli::CpArgs;
use crate::engine::EngineError;
use crate::error::Error;
use crate::exit;
use crate::plan::{COMPOSE_NUMBER, COMPOSE_ONEOFF, LABEL_PROJECT, LABEL_SERVICE};
use crate::session::Session;

pub async fn cp(s: &Session, args: &CpArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    let side = |arg: &str| -> Option<(String, String)> {
        // `./a:b` and `/a:b` are host paths; `web:/etc` names a service.
        let (service, path) = arg.split_once(':')?;
        let service_like = !service.is_empty() && !service.contains('/') && service != ".";
        service_like.then(|| (service.to_string(), path.to_string()))
    };
    let (from, to) = (side(&args.source), side(&args.dest));
    let usage = |m: &str| Error::Usage(format!("cp {} {}: {m}", args.source, args.dest));
    if args.source == "-" || args.dest == "-" {
        return Err(usage(
            "copying from or to standard input or output (`-`) is not supported; name a file",
        ));
    }
    let (service, path) = match (&from, &to) {
        (Some(_), Some(_)) => return Err(usage("one side must be a host path")),
        (None, None) => return Err(usage("one side must be SERVICE:PATH")),
        (Some(side), None) | (None, Some(side)) => side.clone(),
    };
    let project = &stack.project;
    if !project.services.contains_key(&service) {
        return Err(EngineError::no_such_service(&service, project).into());
    }
    let index = args.index.to_string();
    let container = stack
        .backend
        .containers(LABEL_PROJECT, &project.name)
        .await?
        .into_iter()
        .find(|c| {
            c.label(LABEL_SERVICE) == Some(service.as_str())
                && c.label(COMPOSE_NUMBER) == Some(index.as_str())
                && c.label(COMPOSE_ONEOFF) != Some("True")
        })
        .ok_or_else(|| EngineError::ServiceFailed {
            service: service.clone(),
            reason: format!("has no container #{index}; create it with `sidepod up`"),
            detail: String::new(),
        })?;
    let inside = format!("{}:{path}", container.name);
    let (a, b) = if from.is_some() {
        (inside, args.dest.clone())
    } else {
        (args.source.clone(), inside)
    };
    stack.backend.copy(&a, &b).await?;
    Ok(exit::SUCCESS)
}
