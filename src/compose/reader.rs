//! Reading Compose files: each file is read, interpolated, shape-checked and normalised
//! for merging, once; `include` and `extends` bring in other files' services with their
//! relative paths kept pointing where they did.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::convert::clean_path;
use super::environment::Environment;
use super::error::describe_path;
use super::interpolate::Interpolator;
use super::limits;
use super::merge::merge_value;
use super::raw::RawCompose;
use super::yaml::{normalize_services, parse_yaml, strip_extensions, validate};
use super::LoadError;

/// One file read, interpolated, shape-checked and normalised for merging.
#[derive(Debug, Clone)]
pub struct Document {
    pub display: String,
    pub dir: PathBuf,
    pub value: Value,
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
}

impl<'a> Reader<'a> {
    pub fn new(env: &'a Environment, working_dir: &'a Path) -> Self {
        Reader {
            env,
            working_dir,
            unset: BTreeSet::new(),
            warnings: Vec::new(),
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
        if let Some(doc) = self.cache.get(path) {
            return Ok(doc.clone());
        }
        let display = self.display(path);
        let text = self.read_text(path)?;
        let mut value = parse_yaml(&text, &display)?;
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
                let included = self.include(include, &display, &dir, top);
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
        let doc = Document {
            display,
            dir,
            value,
        };
        self.cache.insert(path.to_path_buf(), doc.clone());
        Ok(doc)
    }

    /// `include`: each listed file is read as a Compose file of its own, its relative
    /// paths taken from its own directory, and its services, volumes, networks, secrets
    /// and configs are added to `top`; a name defined twice is an error.
    fn include(
        &mut self,
        include: Value,
        display: &str,
        dir: &Path,
        top: &mut Mapping,
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
            let paths = include_paths(entry).map_err(|m| invalid(at.clone(), m))?;
            for p in paths {
                let file = clean_path(&dir.join(&p));
                if let Some(start) = self.including.iter().position(|f| *f == file) {
                    let cycle: Vec<String> = self.including[start..]
                        .iter()
                        .chain(std::iter::once(&file))
                        .map(|f| self.display(f))
                        .collect();
                    return Err(invalid(
                        at,
                        format!("include cycle: {}", cycle.join(" -> ")),
                    ));
                }
                let doc = self.compose_document(&file).map_err(|e| match e {
                    // A file that cannot be read is the including file's error.
                    LoadError::Read { .. } | LoadError::File { .. } => invalid(
                        at.clone(),
                        format!("cannot include {}: {}", self.display(&file), e.detail()),
                    ),
                    other => other,
                })?;
                let Value::Mapping(mut included) = doc.value else {
                    continue;
                };
                if let Some(Value::Mapping(services)) = included.get_mut("services") {
                    for service in services.values_mut() {
                        rebase_paths(service, &doc.dir);
                    }
                }
                for kind in ["secrets", "configs"] {
                    if let Some(Value::Mapping(objects)) = included.get_mut(kind) {
                        for object in objects.values_mut() {
                            if let Some(Value::String(f)) = object.get_mut("file") {
                                if !Path::new(f.as_str()).is_absolute() {
                                    *f = clean_path(&doc.dir.join(&*f))
                                        .to_string_lossy()
                                        .to_string();
                                }
                            }
                        }
                    }
                }
                for kind in ["services", "volumes", "networks", "secrets", "configs"] {
                    let Some(Value::Mapping(theirs)) = included.remove(kind) else {
                        continue;
                    };
                    let ours = top
                        .entry(Value::from(kind))
                        .or_insert_with(|| Value::Mapping(Mapping::new()));
                    let Value::Mapping(ours) = ours else {
                        continue;
                    };
                    for (name, v) in theirs {
                        if ours.contains_key(&name) {
                            return Err(invalid(
                                at.clone(),
                                format!(
                                    "{kind}.{} is defined both here and in the included {}; \
                                     rename one",
                                    name.as_str().unwrap_or_default(),
                                    doc.display
                                ),
                            ));
                        }
                        ours.insert(name, v);
                    }
                }
            }
        }
        Ok(())
    }

    /// Replaces every service's `extends` by the merge of its base and itself.
    pub fn resolve_extends(
        &mut self,
        services: &mut Mapping,
        doc_display: &str,
        doc_dir: &Path,
        project_dir: &Path,
    ) -> Result<(), LoadError> {
        let original = services.clone();
        for (name, slot) in services.iter_mut() {
            let name = name.as_str().unwrap_or_default().to_string();
            let mut stack = Vec::new();
            *slot = self.extended(
                &name,
                &original,
                doc_display,
                doc_dir,
                project_dir,
                &mut stack,
            )?;
        }
        Ok(())
    }

    fn extended(
        &mut self,
        name: &str,
        services: &Mapping,
        display: &str,
        dir: &Path,
        project_dir: &Path,
        stack: &mut Vec<String>,
    ) -> Result<Value, LoadError> {
        let here = format!("{display}:{name}");
        if stack.contains(&here) {
            stack.push(here);
            return Err(LoadError::File {
                file: display.to_string(),
                message: format!("extends forms a cycle: {}", stack.join(" -> ")),
            });
        }
        let mut service = match services.get(name) {
            Some(Value::Mapping(m)) => m.clone(),
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
            None => self.extended(&base_name, services, display, dir, project_dir, stack)?,
            Some(file) => {
                let path = clean_path(&dir.join(file));
                let doc = self.compose_document(&path)?;
                let other = doc
                    .value
                    .get("services")
                    .and_then(Value::as_mapping)
                    .cloned()
                    .unwrap_or_default();
                let mut base = self.extended(
                    &base_name,
                    &other,
                    &doc.display,
                    &doc.dir,
                    project_dir,
                    stack,
                )?;
                if doc.dir != project_dir {
                    rebase_paths(&mut base, &doc.dir);
                }
                base
            }
        };
        stack.pop();
        merge_value(&mut base, Value::Mapping(service), "");
        Ok(base)
    }
}

/// The files one `include` entry names: a path, or a mapping with `path` (one or a list).
fn include_paths(entry: Value) -> Result<Vec<String>, String> {
    match entry {
        Value::String(p) => Ok(vec![p]),
        Value::Mapping(m) => {
            if let Some(key) = m.keys().filter_map(Value::as_str).find(|k| *k != "path") {
                return Err(format!(
                    "`{key}` is not supported yet: an included file takes its directory and \
                     this project's environment"
                ));
            }
            match m.get("path") {
                Some(Value::String(p)) => Ok(vec![p.clone()]),
                Some(Value::Sequence(ps)) => Ok(ps
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()),
                _ => Err("needs a `path`".into()),
            }
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
