//! The commands of one container or image that hand the terminal to podman (`attach`,
//! `export`, `stats`, `push`), and `events`, which follows the project's containers.

use std::io::IsTerminal;

use tokio::sync::mpsc;

use crate::backend::{ContainerEvent, ContainerState, Passthrough};
use crate::cli::{AttachArgs, EventsArgs, ExportArgs, PsFormat, PushArgs, StatsArgs};
use crate::engine::EngineError;
use crate::error::Error;
use crate::exit;
use crate::output;
use crate::plan::{dependencies, image_name, LABEL_PROJECT, LABEL_SERVICE};
use crate::session::Session;

/// podman's exit code as sidepod's.
fn code(c: i64) -> i32 {
    i32::try_from(c).unwrap_or(exit::RUNTIME)
}

pub async fn attach(s: &Session, args: &AttachArgs) -> Result<i32, Error> {
    let (backend, container) = super::found::replica(s, &args.service, args.index).await?;
    let what = Passthrough::Attach {
        container: container.name,
        no_stdin: args.no_stdin,
        sig_proxy: args.sig_proxy,
        detach_keys: args.detach_keys.clone(),
    };
    // podman has the terminal from here: the board, if any, ends where it is.
    s.output.close();
    Ok(code(backend.passthrough(&what).await?))
}

pub async fn export(s: &Session, args: &ExportArgs) -> Result<i32, Error> {
    if args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::Usage(format!(
            "export {}: an archive would be written to the terminal; give -o FILE, or \
             redirect standard output to a file",
            args.service
        )));
    }
    let (backend, container) = super::found::replica(s, &args.service, args.index).await?;
    let what = Passthrough::Export {
        container: container.name,
        output: args.output.clone(),
    };
    // podman has the terminal from here: the board, if any, ends where it is.
    s.output.close();
    Ok(code(backend.passthrough(&what).await?))
}

pub async fn stats(s: &Session, args: &StatsArgs) -> Result<i32, Error> {
    let (target, backend, found) = super::found::containers(s, &args.services).await?;
    let containers: Vec<String> = found
        .into_iter()
        .filter(|c| c.state == ContainerState::Running)
        .map(|c| c.name)
        .collect();
    // Without names, podman would show every container of the host.
    if containers.is_empty() {
        s.output.warn(&format!(
            "project {:?} has no running containers; start them with `sidepod up -d`",
            target.name
        ));
        return Ok(exit::SUCCESS);
    }
    let what = Passthrough::Stats {
        containers,
        no_stream: args.no_stream,
        json: args.format == PsFormat::Json,
    };
    // podman has the terminal from here: the board, if any, ends where it is.
    s.output.close();
    Ok(code(backend.passthrough(&what).await?))
}

pub async fn push(s: &Session, args: &PushArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    let project = &stack.project;
    EngineError::check_services(&args.services, project)?;
    let wanted = with_dependencies(project, &args.services, args.include_deps);
    // As docker compose: the services that name their image; a built image without a
    // name has nowhere to go.
    for service in wanted.iter().filter_map(|n| project.services.get(*n)) {
        if service.image.is_none() {
            continue;
        }
        let image = image_name(&project.name, service);
        let what = Passthrough::Push {
            image: image.clone(),
            quiet: args.quiet,
        };
        match stack.backend.passthrough(&what).await? {
            0 => {}
            failed if args.ignore_push_failures => s.output.warn(&format!(
                "service {:?}: pushing {image} failed (exit {failed})",
                service.name
            )),
            failed => {
                return Err(EngineError::ServiceFailed {
                    service: service.name.clone(),
                    reason: format!("could not push {image} (podman exited with {failed})"),
                    detail: String::new(),
                }
                .into())
            }
        }
    }
    Ok(exit::SUCCESS)
}

/// The named services (all when none), and with `deps` what they depend on.
pub(super) fn with_dependencies<'p>(
    project: &'p crate::model::Project,
    named: &'p [String],
    deps: bool,
) -> Vec<&'p str> {
    let mut wanted: Vec<&str> = match named.is_empty() {
        true => project.services.keys().map(String::as_str).collect(),
        false => named.iter().map(String::as_str).collect(),
    };
    let mut i = 0;
    while deps && i < wanted.len() {
        for dep in dependencies(&project.services[wanted[i]], &project.services) {
            if !wanted.contains(&dep) {
                wanted.push(dep);
            }
        }
        i += 1;
    }
    wanted
}

pub async fn events(s: &Session, args: &EventsArgs) -> Result<i32, Error> {
    let target = s.target()?;
    if let Some((project, _)) = &target.known {
        EngineError::check_services(&args.services, project)?;
    }
    let backend = s.backend()?;
    let mut shutdown = s.shutdown()?;
    let (tx, mut rx) = mpsc::channel(64);
    let follow = backend.events(LABEL_PROJECT, &target.name, tx);
    tokio::pin!(follow);
    let mut ended = false;
    loop {
        tokio::select! {
            r = &mut follow, if !ended => { r?; ended = true; }
            event = rx.recv() => match event {
                Some(e) => {
                    // Only the services' containers, as docker compose reports them: not
                    // the pod's infra container, which carries the project's labels too.
                    let Some(service) = e.attributes.get(LABEL_SERVICE).cloned() else {
                        continue;
                    };
                    if args.services.is_empty() || args.services.contains(&service) {
                        output::print(&event_line(&e, &service, args.json)).map_err(Error::Output)?;
                    }
                }
                None => return Ok(exit::SUCCESS),
            },
            _ = shutdown.requested() => return Ok(exit::SUCCESS),
        }
    }
}

/// One event as docker compose prints it: `2026-12-03 07:00:01.500000 container start
/// ID (image=..., name=...)`, or its JSON object.
fn event_line(e: &ContainerEvent, service: &str, json: bool) -> String {
    if json {
        let v = serde_json::json!({
            "time": e.time, "type": "container", "action": e.action, "id": e.id,
            "service": service, "attributes": {"image": e.image, "name": e.name},
        });
        return format!("{v}\n");
    }
    // 2026-12-03T07:00:01.5Z (or with an offset): date, time, six digits of fraction.
    let stamp = e.time.replace('T', " ");
    let (clock, fraction) = match stamp.split_once('.') {
        Some((clock, rest)) => {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (clock.to_string(), format!("{digits:0<6}"))
        }
        None => (stamp.chars().take(19).collect(), "000000".to_string()),
    };
    format!(
        "{clock}.{} container {} {} (image={}, name={})\n",
        &fraction[..6],
        e.action,
        e.id,
        e.image,
        e.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reads_as_docker_compose_prints_it() {
        let e = ContainerEvent {
            time: "2026-12-03T07:00:01.5Z".into(),
            action: "start".into(),
            id: "4b7e".into(),
            name: "shop-db-1".into(),
            image: "postgres:16".into(),
            attributes: Default::default(),
            exit_code: None,
        };
        assert_eq!(
            event_line(&e, "db", false),
            "2026-12-03 07:00:01.500000 container start 4b7e (image=postgres:16, name=shop-db-1)\n"
        );
        let v: serde_json::Value = serde_json::from_str(&event_line(&e, "db", true)).unwrap();
        assert_eq!(
            (v["action"].as_str(), v["service"].as_str()),
            (Some("start"), Some("db"))
        );
        assert_eq!(v["attributes"]["name"], "shop-db-1");
    }
}
