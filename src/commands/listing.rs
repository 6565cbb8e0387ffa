//! `images` and `volumes`: what the project's containers use, as a table, one JSON
//! object a line, or names alone.

use std::collections::BTreeSet;

use serde_json::json;

use crate::cli::{ListArgs, PsFormat};
use crate::engine::EngineError;
use crate::error::Error;
use crate::exit;
use crate::output;
use crate::plan::LABEL_PROJECT;
use crate::session::Session;

pub async fn images(s: &Session, args: &ListArgs) -> Result<i32, Error> {
    let (_, backend, containers) = super::found::containers(s, &args.services).await?;
    let mut rows = Vec::new();
    for c in &containers {
        let id = backend.image_id(&c.image).await?.unwrap_or_default();
        let short: String = id.trim_start_matches("sha256:").chars().take(12).collect();
        // The tag follows the last `:` after the last `/`.
        let (repository, tag) = match c.image.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
            _ => (c.image.clone(), "latest".to_string()),
        };
        rows.push((c.name.clone(), repository, tag, short));
    }
    let text: String = if args.quiet {
        let ids: BTreeSet<&str> = rows.iter().map(|r| r.3.as_str()).collect();
        ids.into_iter().map(|id| format!("{id}\n")).collect()
    } else if args.format == PsFormat::Json {
        let lines = rows.iter().map(|(c, r, t, id)| {
            json!({"ContainerName": c, "Repository": r, "Tag": t, "ID": id}).to_string() + "\n"
        });
        lines.collect()
    } else {
        let rows: Vec<[String; 4]> = rows.into_iter().map(|(c, r, t, i)| [c, r, t, i]).collect();
        super::ps::columns(["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID"], &rows)
    };
    output::print(&text).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}

pub async fn volumes(s: &Session, args: &ListArgs) -> Result<i32, Error> {
    let target = s.target()?;
    // With services named: the volumes they mount, by podman name.
    let wanted: Option<BTreeSet<String>> = match &target.known {
        Some((project, _)) if !args.services.is_empty() => {
            EngineError::check_services(&args.services, project)?;
            let keys = args
                .services
                .iter()
                .flat_map(|s| project.services[s].volumes.iter())
                .filter_map(|m| m.source.clone());
            Some(keys.map(|k| project.volume_name(&k)).collect())
        }
        _ => None,
    };
    let backend = s.backend()?;
    let mut volumes = backend.volumes(LABEL_PROJECT, &target.name).await?;
    volumes.retain(|v| wanted.as_ref().is_none_or(|w| w.contains(&v.name)));
    volumes.sort_by(|a, b| a.name.cmp(&b.name));
    let text: String = match (args.quiet, args.format) {
        (true, _) => volumes.iter().map(|v| format!("{}\n", v.name)).collect(),
        (false, PsFormat::Json) => volumes
            .iter()
            .map(|v| {
                json!({"Name": v.name, "Driver": "local", "Labels": v.labels}).to_string() + "\n"
            })
            .collect(),
        (false, PsFormat::Table) => {
            let mut out = String::from("VOLUME NAME\n");
            out.extend(volumes.iter().map(|v| format!("{}\n", v.name)));
            out
        }
    };
    output::print(&text).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}
