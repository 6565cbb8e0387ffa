//! The variables interpolation sees: the shell's, and the env file's (`.env` or
//! `--env-file`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::dotenv::parse_env_file;
use super::LoadError;

/// The variables interpolation sees: the shell's win over the env file's.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    shell: BTreeMap<String, String>,
    file: IndexMap<String, Option<String>>,
}

impl Environment {
    /// Reads `--env-file`s (in order, later ones win) or else `dir/.env` if present.
    pub fn load(
        shell: &BTreeMap<String, String>,
        dir: &Path,
        env_files: &[PathBuf],
    ) -> Result<Self, LoadError> {
        let explicit = !env_files.is_empty();
        let files: Vec<PathBuf> = if explicit {
            env_files.to_vec()
        } else {
            vec![dir.join(".env")]
        };
        let mut file: IndexMap<String, Option<String>> = IndexMap::new();
        for path in files {
            if !explicit && !path.is_file() {
                continue;
            }
            let text = super::limits::read_file(&path)?;
            let lookup = |k: &str| {
                shell
                    .get(k)
                    .cloned()
                    .or_else(|| file.get(k).cloned().flatten())
            };
            let vars =
                parse_env_file(&text, &lookup).map_err(|(line, message)| LoadError::EnvFile {
                    path: path.clone(),
                    line,
                    message,
                })?;
            file.extend(vars);
        }
        Ok(Environment {
            shell: shell.clone(),
            file,
        })
    }

    /// Every variable with a value: the shell's over the files'.
    pub fn all(&self) -> BTreeMap<String, String> {
        let mut all: BTreeMap<String, String> = (self.file.iter())
            .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
            .collect();
        all.extend(self.shell.clone());
        all
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.shell
            .get(key)
            .cloned()
            .or_else(|| self.file.get(key).cloned().flatten())
    }
}

impl Environment {
    /// The environment an `include` entry's files see: every variable of this one, over
    /// the include's own env files.
    pub fn with_files(&self, files: &[PathBuf]) -> Result<Self, LoadError> {
        let mut outer = self.shell.clone();
        for (k, v) in &self.file {
            if let Some(v) = v {
                outer.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if files.is_empty() {
            return Ok(Environment {
                shell: outer,
                file: IndexMap::new(),
            });
        }
        Environment::load(&outer, Path::new("/"), files)
    }
}
