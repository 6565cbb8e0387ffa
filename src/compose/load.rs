//! Loading a Compose project by Compose's rules: file discovery, environment and `.env`,
//! interpolation, shape validation, merging, `extends`, profiles, then conversion.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use super::convert::{self, clean_path, Context};
use super::discover::{checked_project_name, discover, project_name_from_dir};
use super::dotenv::parse_env_file;
use super::error::{describe_path, suggest};
use super::interpolate::Interpolator;
use super::merge::{merge_value, normalize_service};
use super::raw::{RawCompose, RawService};
use super::LoadError;
use crate::model::{Project, Service};

/// What the command line and the process environment say about where and how to load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f` files, in order (`-` is standard input). Empty: `COMPOSE_FILE`, then discovery.
    pub files: Vec<PathBuf>,
    pub project_name: Option<String>,
    pub project_directory: Option<PathBuf>,
    pub env_files: Vec<PathBuf>,
    pub profiles: Vec<String>,
    /// The directory relative paths on the command line are taken from.
    pub working_dir: PathBuf,
    /// The process environment (the shell's variables).
    pub environ: BTreeMap<String, String>,
}

impl LoadOptions {
    /// Options for the current process: its working directory and environment.
    pub fn from_process() -> Self {
        LoadOptions {
            working_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            environ: std::env::vars().collect(),
            ..LoadOptions::default()
        }
    }

    fn absolute(&self, p: &Path) -> PathBuf {
        clean_path(&self.working_dir.join(p))
    }
}

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
            let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Read {
                path: path.clone(),
                source,
            })?;
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

    pub fn get(&self, key: &str) -> Option<String> {
        self.shell
            .get(key)
            .cloned()
            .or_else(|| self.file.get(key).cloned().flatten())
    }
}

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
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|source| {
                LoadError::Read {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
            return Ok(text);
        }
        std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })
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
            let paths: Vec<String> = match entry {
                Value::String(p) => vec![p],
                Value::Mapping(m) => {
                    if let Some(key) = m.keys().filter_map(Value::as_str).find(|k| *k != "path") {
                        return Err(invalid(
                            at,
                            format!(
                                "`{key}` is not supported yet: an included file takes its \
                                 directory and this project's environment"
                            ),
                        ));
                    }
                    match m.get("path") {
                        Some(Value::String(p)) => vec![p.clone()],
                        Some(Value::Sequence(ps)) => ps
                            .iter()
                            .filter_map(|p| p.as_str().map(str::to_string))
                            .collect(),
                        _ => return Err(invalid(at, "needs a `path`".into())),
                    }
                }
                _ => {
                    return Err(invalid(
                        at,
                        "must be a file or a mapping with `path`".into(),
                    ))
                }
            };
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
                let doc = self.compose_document(&file)?;
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

/// Parses YAML text, applying `<<` merge keys. Errors carry file, line and column.
pub fn parse_yaml(text: &str, display: &str) -> Result<Value, LoadError> {
    let yaml_error = |e: serde_yaml::Error| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        // The position is already in front of the message; say it once.
        let message = e
            .to_string()
            .replacen(&format!(" at line {line} column {column}"), "", 1);
        LoadError::Yaml {
            file: display.to_string(),
            line,
            column,
            message,
        }
    };
    let mut value: Value = serde_yaml::from_str(text).map_err(yaml_error)?;
    value.apply_merge().map_err(yaml_error)?;
    match value {
        Value::Mapping(_) => Ok(value),
        Value::Null => Err(LoadError::File {
            file: display.to_string(),
            message: "the file is empty".into(),
        }),
        _ => Err(LoadError::File {
            file: display.to_string(),
            message: "expected a mapping of keys (services:, volumes:, ...) at the top level"
                .into(),
        }),
    }
}

/// Removes `x-*` extension keys at the levels where Compose allows them.
pub fn strip_extensions(doc: &mut Value) {
    strip(doc);
    strip_children(doc.get_mut("volumes"));
    strip_children(doc.get_mut("networks"));
    if let Some(Value::Mapping(services)) = doc.get_mut("services") {
        services.values_mut().for_each(strip_service_extensions);
    }
}

/// Removes `x-*` keys from one service definition.
pub fn strip_service_extensions(svc: &mut Value) {
    strip(svc);
    for key in ["build", "healthcheck", "deploy", "extends"] {
        if let Some(v) = svc.get_mut(key) {
            strip(v);
        }
    }
    strip_children(svc.get_mut("depends_on"));
    strip_children(svc.get_mut("networks"));
    if let Some(Value::Sequence(items)) = svc.get_mut("ports") {
        items.iter_mut().for_each(strip);
    }
    if let Some(Value::Sequence(items)) = svc.get_mut("volumes") {
        items.iter_mut().for_each(strip);
    }
}

fn strip(v: &mut Value) {
    if let Value::Mapping(m) = v {
        m.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with("x-")));
    }
}

fn strip_children(v: Option<&mut Value>) {
    if let Some(Value::Mapping(m)) = v {
        m.values_mut().for_each(strip);
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

/// Keys of the Compose Specification that sidepod does not support (yet). Naming them
/// tells the user it is not a typo.
const UNSUPPORTED: [&str; 30] = [
    "secrets",
    "configs",
    "models",
    "attach",
    "blkio_config",
    "cgroup",
    "cgroup_parent",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "credential_spec",
    "develop",
    "device_cgroup_rules",
    "domainname",
    "external_links",
    "gpus",
    "ipc",
    "isolation",
    "label_file",
    "mac_address",
    "mem_swappiness",
    "pid",
    "post_start",
    "pre_stop",
    "runtime",
    "storage_opt",
    "userns_mode",
];

/// Deserializes a document into its raw type; errors name the file, service and key.
pub fn validate<T: DeserializeOwned>(value: &Value, display: &str) -> Result<T, LoadError> {
    serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        shape_error(display, &path, &message)
    })
}

fn shape_error(display: &str, path: &str, message: &str) -> LoadError {
    let path = if path == "." { "" } else { path };
    let invalid = |at: String, message: String| LoadError::Invalid {
        file: display.to_string(),
        at,
        message,
    };
    let Some(rest) = message.strip_prefix("unknown field `") else {
        // Say it in YAML's words, not serde's.
        let message = message
            .replace("expected a map", "expected a mapping")
            .replace("expected a sequence", "expected a list")
            .replace("invalid type: map", "invalid type: mapping")
            .replace("invalid type: sequence", "invalid type: list");
        return invalid(describe_path(path), message);
    };
    let key = rest.split('`').next().unwrap_or_default();
    let candidates: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
    // serde reports the path of the unknown key itself; name its parent.
    let parent = path
        .strip_suffix(key)
        .map(|p| p.trim_end_matches('.'))
        .unwrap_or(path);
    let at = describe_path(parent);
    let detail = if UNSUPPORTED.contains(&key) && !candidates.is_empty() {
        format!(
            "unknown key {key:?}: sidepod does not support this Compose key yet; remove it \
             or rename it to x-{key} to keep it as an extension"
        )
    } else if let Some(s) = suggest(key, candidates.iter().copied()) {
        format!("unknown key {key:?} (did you mean {s:?}?)")
    } else {
        format!("unknown key {key:?}; custom keys must start with x-")
    };
    invalid(at, detail)
}

pub fn normalize_services(doc: &mut Value) {
    if let Some(Value::Mapping(services)) = doc.get_mut("services") {
        services.values_mut().for_each(normalize_service);
    }
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

/// Turns the merged services into model services: profiles filter, conversion, reference
/// checks. Used for Compose projects and for a job's sidecars.
pub fn convert_services(
    raw: IndexMap<String, RawService>,
    profiles: &[String],
    volumes: &BTreeMap<String, crate::model::Volume>,
    networks: &BTreeMap<String, crate::model::Network>,
    ctx: &Context,
) -> Result<(BTreeMap<String, Service>, Vec<String>), LoadError> {
    let all_profiles = profiles.iter().any(|p| p == "*");
    let mut services = BTreeMap::new();
    let mut disabled: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, svc) in raw {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(LoadError::Invalid {
                file: ctx.file.to_string(),
                at: format!("service {name:?}"),
                message: "a service name may use only letters, digits, '.', '_' and '-'".into(),
            });
        }
        let own = svc.profiles.clone().unwrap_or_default();
        if !own.is_empty() && !all_profiles && !own.iter().any(|p| profiles.contains(p)) {
            disabled.insert(name, own);
            continue;
        }
        let service = convert::convert_service(&name, svc, volumes, networks, ctx)?;
        services.insert(name, service);
    }
    convert::check_references(&services, &disabled, ctx)?;
    Ok((services, disabled.into_keys().collect()))
}

/// Loads a Compose project as `docker compose` would, from files to a validated model.
pub fn load_project(opts: &LoadOptions) -> Result<Project, LoadError> {
    let first_dir = opts
        .project_directory
        .as_deref()
        .map(|d| opts.absolute(d))
        .unwrap_or_else(|| opts.working_dir.clone());
    let first_env = Environment::load(&opts.environ, &first_dir, &absolute_all(opts))?;
    let files = compose_files(opts, &first_env, &first_dir)?;
    let project_dir = match &opts.project_directory {
        Some(d) => opts.absolute(d),
        None => files
            .iter()
            .find(|f| f.as_os_str() != "-")
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| opts.working_dir.clone()),
    };
    let env = if project_dir == first_dir {
        first_env
    } else {
        Environment::load(&opts.environ, &project_dir, &absolute_all(opts))?
    };
    let mut reader = Reader::new(&env, &opts.working_dir);
    let docs = files
        .iter()
        .map(|f| reader.compose_document(f))
        .collect::<Result<Vec<_>, _>>()?;
    let label = docs
        .iter()
        .map(|d| d.display.as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    let mut merged = Value::Mapping(Mapping::new());
    for doc in &docs {
        merge_value(&mut merged, doc.value.clone(), "");
    }
    if let Some(Value::Mapping(services)) = merged.get_mut("services") {
        reader.resolve_extends(services, &label, &docs[0].dir, &project_dir)?;
    }
    let raw: RawCompose = validate(&merged, &label)?;
    let profiles = active_profiles(&opts.profiles, &env);
    let name = project_name(opts, &env, raw.name.as_deref(), &project_dir)?;
    let lookup = |k: &str| env.get(k);
    let ctx = Context {
        file: &label,
        project_dir: &project_dir,
        lookup: &lookup,
    };
    let volumes = convert::convert_volumes(raw.volumes, &ctx)?;
    let networks = convert::convert_networks(raw.networks);
    let secrets = convert::convert_file_objects(raw.secrets, "secrets", &ctx)?;
    let configs = convert::convert_file_objects(raw.configs, "configs", &ctx)?;
    let (services, disabled_services) =
        convert_services(raw.services, &profiles, &volumes, &networks, &ctx)?;
    convert::check_file_refs(&services, &secrets, &configs, &ctx)?;
    let mut warnings = unset_warnings(&reader.unset);
    warnings.append(&mut reader.warnings);
    warnings.extend(convert::isolation_warning(&services));
    Ok(Project {
        name,
        directory: project_dir,
        files,
        services,
        volumes,
        networks,
        secrets,
        configs,
        disabled_services,
        warnings,
    })
}

pub fn unset_warnings(unset: &BTreeSet<String>) -> Vec<String> {
    unset
        .iter()
        .map(|v| format!("variable {v:?} is not set; using an empty string"))
        .collect()
}

fn absolute_all(opts: &LoadOptions) -> Vec<PathBuf> {
    opts.env_files.iter().map(|p| opts.absolute(p)).collect()
}

fn compose_files(
    opts: &LoadOptions,
    env: &Environment,
    dir: &Path,
) -> Result<Vec<PathBuf>, LoadError> {
    let absolute = |p: &Path| {
        if p.as_os_str() == "-" {
            p.to_path_buf()
        } else {
            opts.absolute(p)
        }
    };
    if !opts.files.is_empty() {
        return Ok(opts.files.iter().map(|f| absolute(f)).collect());
    }
    if let Some(list) = env.get("COMPOSE_FILE").filter(|l| !l.is_empty()) {
        let sep = env
            .get("COMPOSE_PATH_SEPARATOR")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| ":".into());
        return Ok(list
            .split(sep.as_str())
            .filter(|f| !f.is_empty())
            .map(|f| absolute(Path::new(f)))
            .collect());
    }
    discover(dir)
}

pub fn active_profiles(given: &[String], env: &Environment) -> Vec<String> {
    if !given.is_empty() {
        return given.to_vec();
    }
    env.get("COMPOSE_PROFILES")
        .map(|p| {
            p.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// `-p`, then `COMPOSE_PROJECT_NAME`, then `name:`, then the directory's name.
pub fn project_name(
    opts: &LoadOptions,
    env: &Environment,
    from_file: Option<&str>,
    dir: &Path,
) -> Result<String, LoadError> {
    if let Some(p) = &opts.project_name {
        return checked_project_name(p, "-p");
    }
    if let Some(p) = env.get("COMPOSE_PROJECT_NAME").filter(|p| !p.is_empty()) {
        return checked_project_name(&p, "COMPOSE_PROJECT_NAME");
    }
    if let Some(p) = from_file {
        return checked_project_name(p, "the `name:` key");
    }
    project_name_from_dir(dir)
}
