//! Finding the Compose files and naming the project, by Compose's rules.

use std::path::{Path, PathBuf};

use super::LoadError;

/// The file names Compose looks for, in compose-go's order of preference.
pub const CANDIDATES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The override file names, in compose-go's order: whichever main file was found, the
/// first of these beside it is merged over it.
pub const OVERRIDES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// Looks in `dir` and then its parents for a Compose file; returns it followed by its
/// override file, if any.
pub fn discover(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    for d in dir.ancestors() {
        if let Some(found) = CANDIDATES.iter().map(|c| d.join(c)).find(|p| p.is_file()) {
            let mut files = vec![found];
            files.extend(OVERRIDES.iter().map(|o| d.join(o)).find(|p| p.is_file()));
            return Ok(files);
        }
    }
    Err(LoadError::NotFound {
        dir: dir.to_path_buf(),
    })
}

/// Checks a project name given imperatively (`-p`, `COMPOSE_PROJECT_NAME`): as in
/// compose-go, it must already be in normal form, `[a-z0-9][a-z0-9_-]*`.
pub fn checked_project_name(name: &str, origin: &'static str) -> Result<String, LoadError> {
    let invalid = |reason: String| LoadError::ProjectName {
        name: name.to_string(),
        origin,
        reason,
    };
    if name.is_empty() {
        return Err(invalid("it is empty".into()));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        let hint = if bad.is_ascii_uppercase() {
            format!("; write it in lower case: {}", name.to_ascii_lowercase())
        } else {
            String::new()
        };
        return Err(invalid(format!(
            "{bad:?} is not allowed; use only a-z, 0-9, '_' and '-'{hint}"
        )));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(invalid("it must start with a letter or digit".into()));
    }
    Ok(name.to_string())
}

/// A project name from a file's `name:` key, normalised as compose-go normalises it:
/// lowercased, characters outside `[a-z0-9_-]` dropped, leading `_` and `-` trimmed.
pub fn normalized_project_name(name: &str, origin: &'static str) -> Result<String, LoadError> {
    let normalized = normalize(name);
    if normalized.is_empty() {
        return Err(LoadError::ProjectName {
            name: name.to_string(),
            origin,
            reason: "nothing usable is left after normalising; give one with -p".to_string(),
        });
    }
    Ok(normalized)
}

fn normalize(name: &str) -> String {
    let kept: String = name
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// Derives a project name from a directory name: lowercased, with every character
/// outside `[a-z0-9_-]` dropped.
pub fn project_name_from_dir(dir: &Path) -> Result<String, LoadError> {
    let base = dir
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    normalized_project_name(&base, "the project directory's name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_names_must_be_normal() {
        assert_eq!(
            checked_project_name("shop-ci_2", "-p").unwrap(),
            "shop-ci_2"
        );
        for bad in ["", "my app", "-x", "_x", "a.b", "ünïcode", "MY_PROJECT"] {
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
        assert_eq!(
            normalized_project_name("My_Project", "name").unwrap(),
            "my_project"
        );
    }
}
