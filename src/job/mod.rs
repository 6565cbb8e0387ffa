//! Job files: a source of services for the one loading path, which adds the main
//! container and the steps; and their rendering for `config`.

mod azure;
mod circleci;
mod drone;
mod file;
mod github;
mod gitlab;
mod load;
pub mod matrix;
mod parts;
mod render;
pub mod restrict;

use std::path::Path;

pub use file::JOB_FILES;
pub use load::{find_job_file, load_job};
pub use parts::{JobChoice, JobParts};
pub use render::render_job;

/// The job formats sidepod reads; each is one more source of `JobParts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// sidepod's own `sidepod.yaml`.
    Sidepod,
    /// A GitHub Actions workflow.
    Github,
    /// A GitLab CI pipeline.
    Gitlab,
    /// A CircleCI config.
    Circleci,
    /// An Azure Pipelines pipeline.
    Azure,
    /// A Drone pipeline.
    Drone,
}

impl Format {
    pub const NAMES: [&'static str; 6] = crate::cli::JOB_FORMATS;

    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "sidepod" => Some(Format::Sidepod),
            "github" | "github-actions" => Some(Format::Github),
            "gitlab" | "gitlab-ci" => Some(Format::Gitlab),
            "circleci" => Some(Format::Circleci),
            "azure" | "azure-pipelines" => Some(Format::Azure),
            "drone" => Some(Format::Drone),
            _ => None,
        }
    }
}

/// The format of a job file, from its path and content; `None` when it is none of them
/// (a Compose file, say).
pub fn detect(path: &Path) -> Option<Format> {
    let text = crate::compose::limits::read_file(path).ok()?;
    // Text too deep to be any kind is left to the loader, which says why.
    crate::compose::limits::check_nesting(&text, "").ok()?;
    // The first document: a Drone file holds one pipeline in each.
    let first = serde_norway::Deserializer::from_str(&text).next()?;
    let serde_norway::Value::Mapping(doc) = serde::Deserialize::deserialize(first).ok()? else {
        return None;
    };
    if drone::is_pipeline(path, &doc) {
        Some(Format::Drone)
    } else if azure::is_pipeline(path, &doc) {
        Some(Format::Azure)
    } else if doc.contains_key("steps") || doc.contains_key("container") {
        Some(Format::Sidepod)
    } else if github::is_workflow(path, &doc) {
        Some(Format::Github)
    } else if circleci::is_config(path, &doc) {
        Some(Format::Circleci)
    } else if gitlab::is_pipeline(path, &doc) {
        Some(Format::Gitlab)
    } else {
        None
    }
}

/// True when the file is a job file of a format sidepod reads.
pub fn is_job_file(path: &Path) -> bool {
    detect(path).is_some()
}

/// A CI file's jobs, each with whether and how it can run here (`job --list`).
pub fn list_jobs(
    path: &Path,
    display: &str,
) -> Result<Vec<(String, String)>, crate::compose::LoadError> {
    let text = crate::compose::limits::read_file(path)?;
    if detect(path) == Some(Format::Drone) {
        return Ok(drone::list(&text));
    }
    let doc = crate::compose::parse_yaml(&text, display)?;
    let serde_norway::Value::Mapping(doc) = doc else {
        return Ok(Vec::new());
    };
    Ok(match detect(path) {
        Some(Format::Github) => github::list(&doc),
        Some(Format::Gitlab) => gitlab::list(&doc),
        Some(Format::Circleci) => circleci::list(&doc),
        Some(Format::Azure) => azure::list(&doc),
        _ => {
            let name = doc
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("(the job)")
                .to_string();
            vec![(name, "runs in its container".to_string())]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn every_format_the_command_line_names_is_read() {
        for name in Format::NAMES {
            assert!(Format::parse(name).is_some(), "{name}");
        }
        assert_eq!(Format::parse("jenkins"), None);
    }
}
