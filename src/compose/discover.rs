//! Finding the Compose files and naming the project, by Compose's rules.

use std::path::{Path, PathBuf};

use super::LoadError;

/// The file names Compose looks for, in order of preference.
pub const CANDIDATES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Looks in `dir` and then its parents for a Compose file; returns it followed by its
/// override file, if any.
pub fn discover(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    for d in dir.ancestors() {
        if let Some(found) = CANDIDATES.iter().map(|c| d.join(c)).find(|p| p.is_file()) {
            let mut files = vec![found.clone()];
            let stem = found
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("compose");
            for ext in ["yaml", "yml"] {
                let over = d.join(format!("{stem}.override.{ext}"));
                if over.is_file() {
                    files.push(over);
                    break;
                }
            }
            return Ok(files);
        }
    }
    Err(LoadError::NotFound {
        dir: dir.to_path_buf(),
    })
}

/// Checks an explicitly given project name (`-p`, `COMPOSE_PROJECT_NAME`, `name:`):
/// it is lowercased, and must then be `[a-z0-9][a-z0-9_-]*`.
pub fn checked_project_name(name: &str, origin: &'static str) -> Result<String, LoadError> {
    let lowered = name.trim().to_ascii_lowercase();
    let invalid = |reason: &str| LoadError::ProjectName {
        name: name.to_string(),
        origin,
        reason: reason.to_string(),
    };
    if lowered.is_empty() {
        return Err(invalid("it is empty"));
    }
    if let Some(bad) = lowered
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        return Err(invalid(&format!(
            "{bad:?} is not allowed; use only a-z, 0-9, '_' and '-'"
        )));
    }
    if !lowered.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(invalid("it must start with a letter or digit"));
    }
    Ok(lowered)
}

/// Derives a project name from a directory name: lowercased, with every character
/// outside `[a-z0-9_-]` dropped.
pub fn project_name_from_dir(dir: &Path) -> Result<String, LoadError> {
    let base = dir
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let normalized: String = base
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    let normalized = normalized.trim_start_matches(['_', '-']).to_string();
    if normalized.is_empty() {
        return Err(LoadError::ProjectName {
            name: base,
            origin: "the project directory's name",
            reason: "nothing usable is left after normalising; give one with -p".to_string(),
        });
    }
    Ok(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_names_are_lowercased_and_checked() {
        assert_eq!(
            checked_project_name("Shop-CI_2", "-p").unwrap(),
            "shop-ci_2"
        );
        for bad in ["", "my app", "-x", "a.b", "ünïcode"] {
            assert!(checked_project_name(bad, "-p").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn directory_names_are_normalised() {
        assert_eq!(
            project_name_from_dir(Path::new("/src/My Project.v2")).unwrap(),
            "myprojectv2"
        );
        assert!(project_name_from_dir(Path::new("/src/...")).is_err());
    }
}
