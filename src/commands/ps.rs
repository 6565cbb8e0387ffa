//! `sidepod ps`: the project's containers, as a table, one JSON object per line, their
//! IDs or their services.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::backend::{ContainerInfo, ContainerState};
use crate::cli::{PsArgs, PsFormat, STATES};
use crate::error::Error;
use crate::exit;
use crate::output;
use crate::plan::{COMPOSE_NUMBER, LABEL_SERVICE};
use crate::session::Session;

pub async fn ps(s: &Session, args: &PsArgs) -> Result<i32, Error> {
    let states = states(args)?;
    let (target, backend, mut containers) = super::found::containers(s, &args.services).await?;
    containers.retain(|c| match &states {
        Some(states) => states.contains(c.state.as_str()),
        None => args.all || c.state == ContainerState::Running,
    });
    // In one pod, podman gives every container the pod's ports: each keeps its own
    // service's.
    if let Some((project, plan)) = &target.known {
        if !plan.layout.is_bridge() {
            for c in &mut containers {
                let own: BTreeSet<u16> = c
                    .label(LABEL_SERVICE)
                    .and_then(|name| project.services.get(name))
                    .map(|svc| svc.ports.iter().map(|p| p.target).collect())
                    .unwrap_or_default();
                c.ports
                    .retain(|p| publisher(p).is_some_and(|p| own.contains(&p.target)));
            }
        }
    }
    let text = if args.services_only {
        let names: BTreeSet<&str> = containers
            .iter()
            .filter_map(|c| c.label(LABEL_SERVICE))
            .collect();
        names.into_iter().map(|n| format!("{n}\n")).collect()
    } else if args.quiet {
        containers.iter().map(|c| format!("{}\n", c.id)).collect()
    } else {
        // Each check that is due runs now, so the health shown is current.
        let names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
        let health: BTreeMap<String, String> = crate::engine::refresh_health(&backend, &names)
            .await?
            .into_iter()
            .filter_map(|i| i.health.map(|h| (i.name, h.status)))
            .collect();
        match args.format {
            PsFormat::Json => containers
                .iter()
                .map(|c| format!("{}\n", row(c, &target.name, health.get(&c.name))))
                .collect(),
            PsFormat::Table => table(&containers, &health),
        }
    };
    output::print(&text).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}

/// The states `--status` and `--filter status=` ask for, if any.
fn states(args: &PsArgs) -> Result<Option<BTreeSet<String>>, Error> {
    let mut states: BTreeSet<String> = args.status.iter().cloned().collect();
    for f in &args.filter {
        match f.split_once('=') {
            Some(("status", v)) if STATES.contains(&v) => {
                states.insert(v.to_string());
            }
            Some(("status", v)) => {
                return Err(Error::Usage(format!(
                    "--filter status={v}: the states are {}",
                    STATES.join(", ")
                )))
            }
            _ => {
                return Err(Error::Usage(format!(
                    "--filter {f:?}: ps filters by `status=STATE` only, as docker compose does"
                )))
            }
        }
    }
    Ok((!states.is_empty()).then_some(states))
}

/// One port binding, as podman writes it: `0.0.0.0:8080->80/tcp`.
struct Publisher<'a> {
    url: &'a str,
    published: u16,
    target: u16,
    protocol: &'a str,
}

fn publisher(binding: &str) -> Option<Publisher<'_>> {
    let (host, container) = binding.split_once("->")?;
    let (target, protocol) = container.split_once('/')?;
    let (url, published) = host.rsplit_once(':')?;
    let first = |range: &str| range.split('-').next()?.parse::<u16>().ok();
    Some(Publisher {
        url,
        published: first(published)?,
        target: first(target)?,
        protocol,
    })
}

/// A container as docker compose's `ps --format json` writes it.
fn row(c: &ContainerInfo, project: &str, health: Option<&String>) -> serde_json::Value {
    let publishers: Vec<_> = c
        .ports
        .iter()
        .filter_map(|p| publisher(p))
        .map(|p| {
            json!({
                "URL": p.url,
                "TargetPort": p.target,
                "PublishedPort": p.published,
                "Protocol": p.protocol,
            })
        })
        .collect();
    let labels: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    json!({
        "ID": c.id,
        "Name": c.name,
        "Names": [c.name],
        "Image": c.image,
        "Project": project,
        "Service": c.label(LABEL_SERVICE).unwrap_or_default(),
        "Number": c.label(COMPOSE_NUMBER).and_then(|n| n.parse::<u32>().ok()),
        "State": c.state.as_str(),
        "Health": health.cloned().unwrap_or_default(),
        "ExitCode": c.exit_code,
        "Status": c.status,
        "Ports": c.ports.join(", "),
        "Publishers": publishers,
        "Labels": labels.join(","),
    })
}

fn table(containers: &[ContainerInfo], health: &BTreeMap<String, String>) -> String {
    let rows: Vec<[String; 4]> = containers
        .iter()
        .map(|c| {
            let status = match (c.state, health.get(&c.name)) {
                (ContainerState::Running, Some(h)) => format!("running ({h})"),
                (ContainerState::Exited, _) => format!("exited ({})", c.exit_code),
                (s, _) => s.as_str().to_string(),
            };
            [
                c.name.clone(),
                c.label(LABEL_SERVICE).unwrap_or_default().to_string(),
                status,
                c.ports.join(", "),
            ]
        })
        .collect();
    columns(["NAME", "SERVICE", "STATUS", "PORTS"], &rows)
}

/// Four columns, aligned, under their header; trailing blanks trimmed.
/// Kept by hand: docker compose prints Go tabwriter columns (no borders, three blanks
/// between columns), which a table crate (comfy-table, tabled) needs more code to mimic.
pub(super) fn columns(header: [&str; 4], rows: &[[String; 4]]) -> String {
    let header = header.map(String::from);
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    std::iter::once(&header)
        .chain(rows.iter())
        .map(|r| {
            let line = format!(
                "{:<w0$}   {:<w1$}   {:<w2$}   {}",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            );
            format!("{}\n", line.trim_end())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_is_read_into_its_parts() {
        let p = publisher("127.0.0.1:8080->80/tcp").unwrap();
        assert_eq!(
            (p.url, p.published, p.target, p.protocol),
            ("127.0.0.1", 8080, 80, "tcp")
        );
        let r = publisher("0.0.0.0:9000-9001->9000-9001/udp").unwrap();
        assert_eq!((r.published, r.target, r.protocol), (9000, 9000, "udp"));
        assert!(publisher("80/tcp").is_none());
    }
}
