//! `LoadError`: everything that stops a Compose or job file from loading (exit code 3).

use std::path::PathBuf;

use super::discover::CANDIDATES;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no compose file found in {} or its parents (looked for {}); give one with -f",
        dir.display(),
        CANDIDATES.join(", ")
    )]
    NotFound { dir: PathBuf },
    #[error("{file}:{line}:{column}: invalid YAML: {message}")]
    Yaml {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A problem at one place in one file (or in the merged files): `at` names the
    /// service and key, as in `service "web": ports[0]`.
    #[error("{file}: {at}: {message}")]
    Invalid {
        file: String,
        at: String,
        message: String,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{}:{line}: {message}", path.display())]
    EnvFile {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("invalid project name {name:?} (from {origin}): {reason}")]
    ProjectName {
        name: String,
        origin: &'static str,
        reason: String,
    },
}

impl LoadError {
    /// What went wrong, without naming the file again (for an error about the file that
    /// refers to this one).
    pub fn detail(&self) -> String {
        match self {
            LoadError::Read { source, .. } => source.to_string(),
            LoadError::File { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

/// Describes a key path (`services.web.ports[0]`) the way a user thinks of it:
/// `service "web": ports[0]`.
pub fn describe_path(path: &str) -> String {
    let path = path.trim_start_matches('.');
    if let Some(rest) = path.strip_prefix("services.") {
        let (service, key) = split_first_segment(rest);
        return match key {
            Some(key) => format!("service {service:?}: {key}"),
            None => format!("service {service:?}"),
        };
    }
    for (prefix, what) in [("volumes.", "volume"), ("networks.", "network")] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let (name, key) = split_first_segment(rest);
            return match key {
                Some(key) => format!("{what} {name:?}: {key}"),
                None => format!("{what} {name:?}"),
            };
        }
    }
    if path.is_empty() || path == "." {
        "top level".to_string()
    } else {
        path.to_string()
    }
}

fn split_first_segment(rest: &str) -> (&str, Option<&str>) {
    match rest.find(['.', '[']) {
        Some(i) => {
            let key = rest[i..].trim_start_matches('.');
            (&rest[..i], Some(key).filter(|k| !k.is_empty()))
        }
        None => (rest, None),
    }
}

/// The closest candidate to a misspelt key, if it is close enough to be a likely typo.
pub fn suggest<'a>(key: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(key, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_described_by_service_and_key() {
        let cases = [
            ("services.web.ports[0]", "service \"web\": ports[0]"),
            ("services.web", "service \"web\""),
            (
                "services.web.healthcheck.interval",
                "service \"web\": healthcheck.interval",
            ),
            ("volumes.data.external", "volume \"data\": external"),
            ("name", "name"),
            ("", "top level"),
        ];
        for (path, want) in cases {
            assert_eq!(describe_path(path), want);
        }
    }

    #[test]
    fn suggestions_for_typos() {
        let keys = ["image", "environment", "healthcheck", "ports"];
        assert_eq!(suggest("imag", keys), Some("image"));
        assert_eq!(suggest("enviroment", keys), Some("environment"));
        assert_eq!(suggest("zzz", keys), None);
    }
}
