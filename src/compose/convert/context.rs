//! What conversion needs besides the raw data, and lexical path cleaning.

use super::*;

/// What conversion needs besides the raw data.
pub struct Context<'a> {
    /// How errors name the file(s): `compose.yaml`, or `compose.yaml + compose.override.yaml`.
    pub file: &'a str,
    pub project_dir: &'a Path,
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Context<'_> {
    pub(super) fn err(&self, path: &str, message: impl Into<String>) -> LoadError {
        LoadError::Invalid {
            file: self.file.to_string(),
            at: describe_path(path),
            message: message.into(),
        }
    }

    /// Resolves a host path against the project directory (and `~` against HOME).
    pub fn host_path(&self, p: &str) -> PathBuf {
        let expanded = if p == "~" || p.starts_with("~/") {
            let home = (self.lookup)("HOME").unwrap_or_else(|| "/".into());
            PathBuf::from(home).join(p.trim_start_matches('~').trim_start_matches('/'))
        } else {
            PathBuf::from(p)
        };
        clean_path(&self.project_dir.join(expanded))
    }
}

/// Removes `.` and resolves `..` lexically, without touching the file system.
pub fn clean_path(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
