//! `sidepod ls`: the projects that have containers on this host, found by label.

use std::collections::BTreeMap;

use serde_json::json;

use crate::backend::{ContainerInfo, ContainerState};
use crate::cli::{LsArgs, PsFormat};
use crate::error::Error;
use crate::exit;
use crate::output;
use crate::plan::{COMPOSE_CONFIG_FILES, LABEL_PROJECT};
use crate::session::Session;

pub async fn ls(s: &Session, args: &LsArgs) -> Result<i32, Error> {
    let containers = s.backend()?.containers(LABEL_PROJECT, "").await?;
    let mut names = Vec::new();
    for f in &args.filter {
        match f.split_once('=') {
            Some(("name", text)) => names.push(text),
            _ => {
                return Err(Error::Usage(format!(
                    "--filter {f:?}: ls filters by `name=TEXT` only, as docker compose does"
                )))
            }
        }
    }
    let mut projects = projects(&containers, args.all);
    projects.retain(|p| names.iter().all(|n| p.name.contains(n)));
    let text = if args.quiet {
        projects.iter().map(|p| format!("{}\n", p.name)).collect()
    } else {
        match args.format {
            PsFormat::Json => {
                let rows: Vec<_> = projects
                    .iter()
                    .map(|p| json!({"Name": p.name, "Status": p.status, "ConfigFiles": p.files}))
                    .collect();
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&rows).unwrap_or_default()
                )
            }
            PsFormat::Table => table(&projects),
        }
    };
    output::print(&text).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}

#[derive(Debug, PartialEq, Eq)]
struct ProjectRow {
    name: String,
    /// `running(2), exited(1)`, as Compose writes it.
    status: String,
    files: String,
}

/// One row per project, by name; without `all`, only projects with something running.
fn projects(containers: &[ContainerInfo], all: bool) -> Vec<ProjectRow> {
    let mut by_project: BTreeMap<&str, Vec<&ContainerInfo>> = BTreeMap::new();
    for c in containers {
        if let Some(p) = c.label(LABEL_PROJECT) {
            by_project.entry(p).or_default().push(c);
        }
    }
    by_project
        .into_iter()
        .filter(|(_, cs)| all || cs.iter().any(|c| c.state == ContainerState::Running))
        .map(|(name, cs)| {
            let mut states: BTreeMap<&str, usize> = BTreeMap::new();
            for c in &cs {
                *states.entry(c.state.as_str()).or_default() += 1;
            }
            let status: Vec<String> = states.iter().map(|(s, n)| format!("{s}({n})")).collect();
            let mut files: Vec<&str> = cs
                .iter()
                .filter_map(|c| c.label(COMPOSE_CONFIG_FILES))
                .collect();
            files.sort_unstable();
            files.dedup();
            ProjectRow {
                name: name.to_string(),
                status: status.join(", "),
                files: files.join(","),
            }
        })
        .collect()
}

fn table(projects: &[ProjectRow]) -> String {
    let w0 = projects
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let w1 = projects
        .iter()
        .map(|p| p.status.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = format!("{:<w0$}   {:<w1$}   CONFIG FILES\n", "NAME", "STATUS");
    for p in projects {
        let row = format!("{:<w0$}   {:<w1$}   {}", p.name, p.status, p.files);
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(project: &str, state: ContainerState, files: Option<&str>) -> ContainerInfo {
        let mut labels = BTreeMap::from([(LABEL_PROJECT.to_string(), project.to_string())]);
        if let Some(f) = files {
            labels.insert(COMPOSE_CONFIG_FILES.into(), f.into());
        }
        ContainerInfo {
            id: String::new(),
            name: format!("{project}-x"),
            labels,
            state,
            status: String::new(),
            exit_code: 0,
            health: None,
            image: String::new(),
            ports: vec![],
            restart_count: 0,
            healthcheck: None,
            exposed: Vec::new(),
            pid: None,
        }
    }

    #[test]
    fn projects_are_grouped_with_their_states_and_files() {
        let containers = [
            container(
                "shop",
                ContainerState::Running,
                Some("/src/shop/compose.yaml"),
            ),
            container(
                "shop",
                ContainerState::Running,
                Some("/src/shop/compose.yaml"),
            ),
            container(
                "shop",
                ContainerState::Exited,
                Some("/src/shop/compose.yaml"),
            ),
            container("old", ContainerState::Exited, None),
        ];
        let running = projects(&containers, false);
        assert_eq!(
            running,
            [ProjectRow {
                name: "shop".into(),
                status: "exited(1), running(2)".into(),
                files: "/src/shop/compose.yaml".into(),
            }]
        );
        let all = projects(&containers, true);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].name, "old");
        assert_eq!(
            table(&all),
            "NAME   STATUS                  CONFIG FILES\n\
             old    exited(1)\n\
             shop   exited(1), running(2)   /src/shop/compose.yaml\n"
        );
    }
}
