//! Reading Compose files: each file is read, interpolated, shape-checked and normalised
//! for merging, once; `include` and `extends` bring in other files' services with their
//! relative paths kept pointing where they did.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

use super::convert::clean_path;
use super::environment::Environment;
use super::error::describe_path;
use super::interpolate::Interpolator;
use super::limits;
use super::merge::{apply_resets, merge_documents, merge_service, take_tags, KeyPath};
use super::raw::RawCompose;
use super::yaml::{normalize_services, parse_yaml, strip_extensions, validate};
use super::LoadError;

/// One file read, interpolated, shape-checked and normalised for merging.
#[derive(Debug, Clone)]
pub struct Document {
    pub display: String,
    pub dir: PathBuf,
    pub value: Value,
    /// The paths its `!reset` and `!override` tags name, removed from what it is merged
    /// over.
    pub resets: Vec<KeyPath>,
}

/// Reads and prepares files against one environment, collecting warnings on the way.
pub struct Reader<'a> {
    pub env: &'a Environment,
    pub working_dir: &'a Path,
    pub unset: BTreeSet<String>,
    pub warnings: Vec<String>,
    cache: BTreeMap<PathBuf, Document>,
    /// The files being read through `include`, outermost first (to report cycles).
    including: Vec<PathBuf>,
    /// Whether `${VAR}` is replaced (all but `config --no-interpolate`).
    pub interpolating: bool,
}

impl<'a> Reader<'a> {
    pub fn new(env: &'a Environment, working_dir: &'a Path) -> Self {
        Reader {
            env,
            working_dir,
            unset: BTreeSet::new(),
            warnings: Vec::new(),
            interpolating: true,
            cache: BTreeMap::new(),
            including: Vec::new(),
        }
    }

    /// How a path is shown in messages: relative to the working directory when inside it.
    pub fn display(&self, path: &Path) -> String {
        if path.as_os_str() == "-" {
            return "(stdin)".into();
        }
        path.strip_prefix(self.working_dir)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.display().to_string())
    }

    pub fn read_text(&self, path: &Path) -> Result<String, LoadError> {
        if path.as_os_str() == "-" {
            return limits::read_limited(std::io::stdin(), path);
        }
        limits::read_file(path)
    }

    /// Interpolates every string value below `value`, except where `skip(path)` says so.
    pub fn interpolate(
        &mut self,
        value: &mut Value,
        display: &str,
        skip: &dyn Fn(&str) -> bool,
    ) -> Result<(), LoadError> {
        if !self.interpolating {
            return Ok(());
        }
        let env = self.env;
        let lookup = |k: &str| env.get(k);
        let mut interpolator = Interpolator::new(&lookup);
        let result = interpolate_tree(value, "", &mut interpolator, skip);
        self.unset.extend(interpolator.unset);
        result.map_err(|(path, e)| LoadError::Invalid {
            file: display.to_string(),
            at: describe_path(&path),
            message: e.to_string(),
        })
    }

    /// Reads one Compose file into a merge-ready document.
    pub fn compose_document(&mut self, path: &Path) -> Result<Document, LoadError> {
        self.read_document(path, true)
    }

    /// Reads one file; with `whole`, checks it as a whole Compose file too (an `extends`
    /// file is read only for its services).
    fn read_document(&mut self, path: &Path, whole: bool) -> Result<Document, LoadError> {
        if let Some(doc) = self.cache.get(path) {
            return Ok(doc.clone());
        }
        let display = self.display(path);
        let text = self.read_text(path)?;
        let mut value = parse_yaml(&text, &display)?;
        if !whole {
            if let Value::Mapping(top) = &mut value {
                top.retain(|k, _| k.as_str() == Some("services"));
            }
        }
        let resets = take_tags(&mut value);
        strip_extensions(&mut value);
        self.interpolate(&mut value, &display, &|_| false)?;
        let dir = if path.as_os_str() == "-" {
            self.working_dir.to_path_buf()
        } else {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        if let Value::Mapping(top) = &mut value {
            if let Some(include) = top.remove("include") {
                self.including.push(path.to_path_buf());
                let included = self.include(include, &display, &dir, top, &resets);
                self.including.pop();
                included?;
            }
        }
        let raw: RawCompose = validate(&value, &display)?;
        if raw.version.is_some() {
            self.warnings
                .push(format!("{display}: `version` is obsolete and is ignored"));
        }
        normalize_services(&mut value);
        super::merge::unique_entries(&mut value);
        let doc = Document {
            display,
            dir,
            value,
            resets,
        };
        if whole {
            self.cache.insert(path.to_path_buf(), doc.clone());
        }
        Ok(doc)
    }

    /// `include`: each entry's files are read as a Compose project of their own (the
    /// first file, then its overrides), with the entry's `project_directory` (else the
    /// first file's directory) for their relative paths and `.env`, and its `env_file`s
    /// under this project's variables. Their services, volumes, networks, secrets and
    /// configs are added to `top`; where `top` defines the same name, its definition is
    /// merged over the included one.
    fn include(
        &mut self,
        include: Value,
        display: &str,
        dir: &Path,
        top: &mut Mapping,
        resets: &[KeyPath],
    ) -> Result<(), LoadError> {
        let invalid = |at: String, message: String| LoadError::Invalid {
            file: display.to_string(),
            at,
            message,
        };
        let Value::Sequence(entries) = include else {
            return Err(invalid(
                "include".into(),
                "must be a list of files (or of mappings with `path`)".into(),
            ));
        };
        for (i, entry) in entries.into_iter().enumerate() {
            let at = format!("include[{i}]");
            if let Some(included) = self.include_entry(&at, entry, display, dir)? {
                merge_included(top, included, resets);
            }
        }
        Ok(())
    }

    /// One `include` entry, read as a project of its own: its services, volumes,
    /// networks, secrets and configs, with paths made absolute.
    fn include_entry(
        &mut self,
        at: &str,
        entry: Value,
        display: &str,
        dir: &Path,
    ) -> Result<Option<Mapping>, LoadError> {
        let at = at.to_string();
        let invalid = |at: String, message: String| LoadError::Invalid {
            file: display.to_string(),
            at,
            message,
        };
        let spec = include_spec(entry).map_err(|m| invalid(at.clone(), m))?;
        let files: Vec<PathBuf> = spec
            .paths
            .iter()
            .map(|p| clean_path(&dir.join(p)))
            .collect();
        if let Some(start) = self.including.iter().position(|f| *f == files[0]) {
            let cycle: Vec<String> = self.including[start..]
                .iter()
                .chain(std::iter::once(&files[0]))
                .map(|f| self.display(f))
                .collect();
            return Err(invalid(
                at,
                format!("include cycle: {}", cycle.join(" -> ")),
            ));
        }
        let project_dir = match &spec.project_directory {
            Some(d) => clean_path(&dir.join(d)),
            None => files[0].parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        let env_files: Vec<PathBuf> = match &spec.env_file {
            Some(list) => list
                .iter()
                .filter(|f| f.as_str() != "/dev/null")
                .map(|f| clean_path(&dir.join(f)))
                .collect(),
            None => Some(project_dir.join(".env"))
                .filter(|f| f.is_file())
                .into_iter()
                .collect(),
        };
        if let Some(missing) = env_files.iter().find(|f| !f.is_file()) {
            return Err(invalid(
                at,
                format!(
                    "env file {} does not exist; create it or remove it from env_file",
                    self.display(missing)
                ),
            ));
        }
        let env = self
            .env
            .with_files(&env_files)
            .map_err(|e| invalid(at.clone(), format!("env_file: {}", e.detail())))?;
        let mut child = Reader::new(&env, self.working_dir);
        child.including = self.including.clone();
        child.interpolating = self.interpolating;
        let mut merged = Value::Mapping(Mapping::new());
        let mut label = Vec::new();
        for file in &files {
            let doc = child.compose_document(file).map_err(|e| match e {
                // A file that cannot be read is the including file's error.
                LoadError::Read { .. } | LoadError::File { .. } => invalid(
                    at.clone(),
                    format!("cannot include {}: {}", self.display(file), e.detail()),
                ),
                other => other,
            })?;
            apply_resets(&mut merged, &doc.resets);
            merge_documents(&mut merged, doc.value);
            label.push(doc.display);
        }
        let label = label.join(" + ");
        if let Some(Value::Mapping(services)) = merged.get_mut("services") {
            child.resolve_extends(services, &label, &project_dir, &project_dir, &[])?;
            for service in services.values_mut() {
                rebase_paths(service, &project_dir);
                // A variable named without a value takes it from the include's own
                // variables, which the rest of the project does not see.
                if let Some(Value::Mapping(vars)) = service.get_mut("environment") {
                    for (k, v) in vars.iter_mut() {
                        if v.is_null() {
                            if let Some(value) = k.as_str().and_then(|k| env.get(k)) {
                                *v = Value::from(value);
                            }
                        }
                    }
                }
            }
        }
        self.unset.append(&mut child.unset);
        self.warnings.append(&mut child.warnings);
        let Value::Mapping(mut included) = merged else {
            return Ok(None);
        };
        for kind in ["secrets", "configs"] {
            if let Some(Value::Mapping(objects)) = included.get_mut(kind) {
                for object in objects.values_mut() {
                    if let Some(Value::String(f)) = object.get_mut("file") {
                        if !Path::new(f.as_str()).is_absolute() && !f.starts_with('~') {
                            *f = clean_path(&project_dir.join(&*f))
                                .to_string_lossy()
                                .to_string();
                        }
                    }
                }
            }
        }
        Ok(Some(included))
    }

    /// Replaces every service's `extends` by the merge of its base and itself. `resets`
    /// are the `!reset` and `!override` paths of the file(s) the services come from.
    pub fn resolve_extends(
        &mut self,
        services: &mut Mapping,
        doc_display: &str,
        doc_dir: &Path,
        project_dir: &Path,
        resets: &[KeyPath],
    ) -> Result<(), LoadError> {
        let original = services.clone();
        let src = Source {
            services: &original,
            display: doc_display,
            dir: doc_dir,
            resets,
        };
        for (name, slot) in services.iter_mut() {
            let name = name.as_str().unwrap_or_default().to_string();
            *slot = self.extended(&name, &src, project_dir, &mut Vec::new())?;
        }
        Ok(())
    }

    fn extended(
        &mut self,
        name: &str,
        src: &Source,
        project_dir: &Path,
        stack: &mut Vec<String>,
    ) -> Result<Value, LoadError> {
        let (display, dir) = (src.display, src.dir);
        let here = format!("{display}:{name}");
        if stack.contains(&here) {
            stack.push(here);
            return Err(LoadError::File {
                file: display.to_string(),
                message: format!("extends forms a cycle: {}", stack.join(" -> ")),
            });
        }
        let mut service = match src.services.get(name) {
            Some(Value::Mapping(m)) => m.clone(),
            // An empty service: extending it adds nothing.
            Some(Value::Null) => Mapping::new(),
            Some(_) | None => {
                return Err(LoadError::File {
                    file: display.to_string(),
                    message: format!(
                        "extends refers to service {name:?}, which is not in this file{}",
                        stack
                            .last()
                            .map(|s| format!(" (asked by {s})"))
                            .unwrap_or_default()
                    ),
                })
            }
        };
        let Some(ext) = service.remove("extends") else {
            return Ok(Value::Mapping(service));
        };
        let (base_name, base_file) = match &ext {
            Value::String(s) => (s.clone(), None),
            Value::Mapping(m) => (
                m.get("service")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                m.get("file").and_then(Value::as_str).map(str::to_string),
            ),
            _ => (String::new(), None),
        };
        stack.push(here);
        let mut base = match base_file {
            None => self.extended(&base_name, src, project_dir, stack)?,
            Some(file) => {
                let path = clean_path(&dir.join(file));
                // As in compose-go, only the file's services matter: it is not checked as
                // a whole Compose file.
                let doc = self.read_document(&path, false)?;
                let other = doc
                    .value
                    .get("services")
                    .and_then(Value::as_mapping)
                    .cloned()
                    .unwrap_or_default();
                let theirs = Source {
                    services: &other,
                    display: &doc.display,
                    dir: &doc.dir,
                    resets: &doc.resets,
                };
                let mut base = self.extended(&base_name, &theirs, project_dir, stack)?;
                if doc.dir != project_dir {
                    rebase_paths(&mut base, &doc.dir);
                }
                base
            }
        };
        stack.pop();
        // The extending service's `!reset` and `!override` paths clear the base first.
        let own: Vec<KeyPath> = src
            .resets
            .iter()
            .filter(|p| p.len() > 2 && p[0] == "services" && p[1] == name)
            .map(|p| p[2..].to_vec())
            .collect();
        apply_resets(&mut base, &own);
        merge_service(&mut base, Value::Mapping(service));
        Ok(base)
    }
}

/// Where the services an `extends` looks in come from.
struct Source<'a> {
    services: &'a Mapping,
    display: &'a str,
    dir: &'a Path,
    resets: &'a [KeyPath],
}

/// What one `include` entry says: its files, and where their directory and variables
/// come from.
struct IncludeSpec {
    paths: Vec<String>,
    project_directory: Option<String>,
    env_file: Option<Vec<String>>,
}

fn include_spec(entry: Value) -> Result<IncludeSpec, String> {
    let strings = |v: &Value, key: &str| -> Result<Vec<String>, String> {
        match v {
            Value::String(p) => Ok(vec![p.clone()]),
            Value::Sequence(ps) => ps
                .iter()
                .map(|p| {
                    p.as_str()
                        .map(str::to_string)
                        .ok_or(format!("`{key}` must list file paths"))
                })
                .collect(),
            _ => Err(format!("`{key}` must be a path or a list of paths")),
        }
    };
    match entry {
        Value::String(p) => Ok(IncludeSpec {
            paths: vec![p],
            project_directory: None,
            env_file: None,
        }),
        Value::Mapping(m) => {
            if let Some(key) = m
                .keys()
                .filter_map(Value::as_str)
                .find(|k| !matches!(*k, "path" | "project_directory" | "env_file"))
            {
                return Err(format!(
                    "unknown key {key:?}; an include entry has `path`, `project_directory` \
                     and `env_file`"
                ));
            }
            let paths = match m.get("path") {
                Some(v) => strings(v, "path")?,
                None => Vec::new(),
            };
            if paths.is_empty() {
                return Err("needs a `path`".into());
            }
            let project_directory = match m.get("project_directory") {
                None | Some(Value::Null) => None,
                Some(Value::String(d)) => Some(d.clone()),
                Some(_) => return Err("`project_directory` must be a path".into()),
            };
            let env_file = m
                .get("env_file")
                .map(|v| strings(v, "env_file"))
                .transpose()?;
            Ok(IncludeSpec {
                paths,
                project_directory,
                env_file,
            })
        }
        _ => Err("must be a file or a mapping with `path`".into()),
    }
}

fn interpolate_tree(
    value: &mut Value,
    path: &str,
    interpolator: &mut Interpolator,
    skip: &dyn Fn(&str) -> bool,
) -> Result<(), (String, super::interpolate::InterpolationError)> {
    if skip(path) {
        return Ok(());
    }
    match value {
        Value::String(s) => {
            *s = interpolator
                .interpolate(s)
                .map_err(|e| (path.to_string(), e))?;
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate_tree(item, &format!("{path}[{i}]"), interpolator, skip)?;
            }
        }
        Value::Mapping(m) => {
            for (k, v) in m.iter_mut() {
                let key = super::raw::scalar_text(k).unwrap_or_default();
                let child = if path.is_empty() {
                    key
                } else {
                    format!("{path}.{key}")
                };
                interpolate_tree(v, &child, interpolator, skip)?;
            }
        }
        Value::Tagged(t) => interpolate_tree(&mut t.value, path, interpolator, skip)?,
        _ => {}
    }
    Ok(())
}

/// Makes the relative paths of a service from another file absolute against its file's
/// directory, so that they keep pointing at the same place after `extends`.
fn rebase_paths(service: &mut Value, dir: &Path) {
    let rebase = |p: &str| -> String {
        if Path::new(p).is_absolute() || p.starts_with('~') || p.contains("://") {
            p.to_string()
        } else {
            clean_path(&dir.join(p)).to_string_lossy().to_string()
        }
    };
    if let Some(Value::String(context)) =
        service.get_mut("build").and_then(|b| b.get_mut("context"))
    {
        *context = rebase(context);
    }
    match service.get_mut("env_file") {
        Some(Value::String(p)) => *p = rebase(p),
        Some(Value::Sequence(items)) => {
            for item in items {
                match item {
                    Value::String(p) => *p = rebase(p),
                    Value::Mapping(m) => {
                        if let Some(Value::String(p)) = m.get_mut("path") {
                            *p = rebase(p);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if let Some(Value::Sequence(items)) = service.get_mut("volumes") {
        for item in items {
            match item {
                Value::String(spec) if spec.starts_with('.') => {
                    if let Some((source, rest)) = spec.split_once(':') {
                        *spec = format!("{}:{rest}", rebase(source));
                    }
                }
                Value::Mapping(m) if m.get("type").and_then(Value::as_str) == Some("bind") => {
                    if let Some(Value::String(source)) = m.get_mut("source") {
                        *source = rebase(source);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Adds what an `include` entry defines to `top`. Where `top` defines the same name, its
/// definition is merged over the included one, after its `!reset` and `!override` tags
/// have cleared their paths.
fn merge_included(top: &mut Mapping, mut included: Mapping, resets: &[KeyPath]) {
    for kind in [
        "services", "volumes", "networks", "secrets", "configs", "models",
    ] {
        let Some(Value::Mapping(theirs)) = included.remove(kind) else {
            continue;
        };
        let ours = top
            .entry(Value::from(kind))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        let Value::Mapping(ours) = ours else {
            continue;
        };
        for (name, mut v) in theirs {
            if let Some(local) = ours.remove(&name) {
                // This file's definition is merged over the included one, after
                // its `!reset` and `!override` tags have cleared their paths.
                let key = name.as_str().unwrap_or_default();
                let own: Vec<KeyPath> = resets
                    .iter()
                    .filter(|p| p.len() > 2 && p[0] == kind && p[1] == key)
                    .map(|p| p[2..].to_vec())
                    .collect();
                apply_resets(&mut v, &own);
                if kind == "services" {
                    merge_service(&mut v, local);
                } else {
                    merge_documents(&mut v, local);
                }
            }
            ours.insert(name, v);
        }
    }
}
