//! `sidepod ps`: the project's containers, as a table or JSON.

use serde_json::json;

use crate::backend::{ContainerInfo, ContainerState};
use crate::cli::{PsArgs, PsFormat};
use crate::error::Error;
use crate::exit;
use crate::output;
use crate::plan::{COMPOSE_NUMBER, LABEL_PROJECT, LABEL_SERVICE};
use crate::session::Session;

pub async fn ps(s: &Session, args: &PsArgs) -> Result<i32, Error> {
    let name = s.target()?.name;
    let backend = s.backend()?;
    let mut containers: Vec<ContainerInfo> = backend
        .containers(LABEL_PROJECT, &name)
        .await?
        .into_iter()
        .filter(|c| args.all || c.state == ContainerState::Running)
        .filter(|c| {
            args.services.is_empty()
                || args
                    .services
                    .iter()
                    .any(|s| Some(s.as_str()) == c.label(LABEL_SERVICE))
        })
        .collect();
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    // Each check that is due runs now, so the health shown is current.
    let names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
    let health: std::collections::BTreeMap<String, String> =
        crate::engine::refresh_health(&backend, &names)
            .await?
            .into_iter()
            .filter_map(|i| i.health.map(|h| (i.name, h.status)))
            .collect();
    let text = match args.format {
        PsFormat::Json => {
            let rows: Vec<_> = containers
                .iter()
                .map(|c| {
                    json!({
                        "Name": c.name,
                        "Service": c.label(LABEL_SERVICE).unwrap_or_default(),
                        "Number": c.label(COMPOSE_NUMBER).and_then(|n| n.parse::<u32>().ok()),
                        "State": c.state.as_str(),
                        "Health": health.get(&c.name).cloned().unwrap_or_default(),
                        "ExitCode": c.exit_code,
                        "Status": c.status,
                        "Image": c.image,
                        "Ports": c.ports,
                        "ID": c.id,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
            s.push('\n');
            s
        }
        PsFormat::Table => table(&containers, &health),
    };
    output::print(&text).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}

fn table(
    containers: &[ContainerInfo],
    health: &std::collections::BTreeMap<String, String>,
) -> String {
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
