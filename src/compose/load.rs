//! Loading a Compose project by Compose's rules: file discovery, environment and `.env`,
//! interpolation, shape validation, merging, `extends`, profiles, then conversion. The
//! second half, `resolve`, is the one path every source of services takes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_norway::{Mapping, Value};

use super::convert::{self, clean_path, Context};
use super::discover::{
    checked_project_name, discover, normalized_project_name, project_name_from_dir,
};
use super::environment::Environment;
use super::merge::{apply_resets, merge_documents, KeyPath};
use super::raw::{RawCompose, RawService};
use super::reader::Reader;
use super::yaml::validate;
use super::LoadError;
use crate::model::StackNetwork;
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
    /// `--network pod|bridge`: wins over the file's `x-sidepod: {network:}`.
    pub network: Option<StackNetwork>,
    /// `config --no-interpolate`: `${VAR}` stays as written.
    pub no_interpolate: bool,
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

/// Services left out, by name, with the profiles that would enable them.
pub type Disabled = BTreeMap<String, Vec<String>>;

/// Turns the merged services into model services: profiles filter, conversion, reference
/// checks. Used for Compose projects and for a job's sidecars.
pub fn convert_services(
    raw: IndexMap<String, RawService>,
    profiles: &[String],
    volumes: &BTreeMap<String, crate::model::Volume>,
    networks: &BTreeMap<String, crate::model::Network>,
    ctx: &Context,
) -> Result<(BTreeMap<String, Service>, Disabled), LoadError> {
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
    Ok((services, disabled))
}

/// The Compose data of one source of services, merged and ready to resolve: a Compose
/// project's files, or what a job file (or another job format) holds as Compose.
pub struct ComposeSource {
    /// How errors name the file(s): `compose.yaml + compose.override.yaml`.
    pub label: String,
    /// The directory of the first file, which `extends` takes relative paths from.
    pub base_dir: PathBuf,
    /// The merged mapping: `services`, `volumes`, `networks`, `secrets`, `configs`, and
    /// for a Compose project its `name`.
    pub value: Value,
    pub files: Vec<PathBuf>,
    /// How the project name is found.
    pub naming: Naming,
    /// The paths the files' `!reset` and `!override` tags name: they also clear what a
    /// service's `extends` brings in.
    pub resets: Vec<KeyPath>,
}

/// Where a source's project name comes from, after `-p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `COMPOSE_PROJECT_NAME`, then the file's `name:`, then the directory.
    Compose,
    /// The file's own `name:` (in the words of its messages), then the directory: a job
    /// never takes a Compose project's name from the environment.
    Job { key: &'static str },
}

/// The one path every source of services takes from merged Compose data to a project:
/// `extends`, the shape check, profiles, the name, conversion, reference checks and the
/// warnings a user should see.
pub fn resolve(
    mut source: ComposeSource,
    reader: &mut Reader,
    opts: &LoadOptions,
    project_dir: &Path,
) -> Result<Project, LoadError> {
    let label = &source.label;
    if let Some(Value::Mapping(services)) = source.value.get_mut("services") {
        reader.resolve_extends(
            services,
            label,
            &source.base_dir,
            project_dir,
            &source.resets,
        )?;
    }
    let raw: RawCompose = validate(&source.value, label)?;
    let network = match raw.sidepod.as_ref().and_then(|s| s.network.as_deref()) {
        None => None,
        Some(text) => Some(StackNetwork::parse(text).ok_or_else(|| LoadError::Invalid {
            file: label.clone(),
            at: "x-sidepod.network".into(),
            message: format!(
                "{text:?} is not a network layout; use pod (one pod, one network namespace) \
                 or bridge (a podman network, each service in its own namespace)"
            ),
        })?),
    };
    let env = reader.env;
    let profiles = active_profiles(&opts.profiles, env);
    let name =
        project_name(opts, env, source.naming, raw.name.as_deref(), project_dir).map_err(|e| {
            match e {
                // A name from the file is the file's error, where the key is.
                LoadError::ProjectName { .. }
                    if raw.name.is_some() && opts.project_name.is_none() =>
                {
                    LoadError::Invalid {
                        file: label.clone(),
                        at: "name".into(),
                        message: e.to_string(),
                    }
                }
                other => other,
            }
        })?;
    let lookup = |k: &str| env.get(k);
    let ctx = Context {
        file: label,
        project_dir,
        lookup: &lookup,
    };
    let volumes = convert::convert_volumes(raw.volumes, &ctx)?;
    let networks = convert::convert_networks(raw.networks, &ctx)?;
    let secrets = convert::convert_file_objects(raw.secrets, "secrets", &ctx)?;
    let configs = convert::convert_file_objects(raw.configs, "configs", &ctx)?;
    let (services, disabled) =
        convert_services(raw.services, &profiles, &volumes, &networks, &ctx)?;
    let all_profiles = (services.values().flat_map(|s| s.profiles.iter()))
        .chain(disabled.values().flatten())
        .cloned()
        .collect();
    let disabled_services = disabled.into_keys().collect();
    let ref_warnings = convert::check_file_refs(&services, &secrets, &configs, &ctx)?;
    let mut warnings = unset_warnings(&reader.unset);
    warnings.extend(ref_warnings);
    warnings.append(&mut reader.warnings);
    warnings.extend(convert::unapplied_warnings(&services));
    warnings.extend(convert::network_warnings(&networks));
    Ok(Project {
        name,
        directory: project_dir.to_path_buf(),
        files: source.files,
        services,
        volumes,
        networks,
        secrets,
        configs,
        disabled_services,
        profiles: all_profiles,
        warnings,
        network: opts.network.or(network),
    })
}

/// Loads a Compose project as `docker compose` would, from files to a validated model.
pub fn load_project(opts: &LoadOptions) -> Result<Project, LoadError> {
    let (files, project_dir, env) = files_and_environment(opts)?;
    let mut reader = Reader::new(&env, &opts.working_dir);
    reader.interpolating = !opts.no_interpolate;
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
    let mut resets = Vec::new();
    for doc in &docs {
        apply_resets(&mut merged, &doc.resets);
        merge_documents(&mut merged, doc.value.clone());
        resets.extend(doc.resets.iter().cloned());
    }
    let source = ComposeSource {
        label,
        base_dir: docs[0].dir.clone(),
        value: merged,
        files,
        naming: Naming::Compose,
        resets,
    };
    resolve(source, &mut reader, opts, &project_dir)
}

/// The variables a project's files are interpolated with (`config --environment`).
pub fn interpolation_environment(
    opts: &LoadOptions,
) -> Result<BTreeMap<String, String>, LoadError> {
    Ok(files_and_environment(opts)?.2.all())
}

/// The project's files, its directory, and the environment its files are read with.
fn files_and_environment(
    opts: &LoadOptions,
) -> Result<(Vec<PathBuf>, PathBuf, Environment), LoadError> {
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
    // As in compose-go, `.env` is read where the project directory is given, else beside
    // the first `-f` file, else here: files named by `COMPOSE_FILE` (which `.env` may
    // set) or found in a parent directory keep this directory's `.env`.
    let explicit_files = opts.project_directory.is_none() && !opts.files.is_empty();
    let env = if project_dir == first_dir || !explicit_files {
        first_env
    } else {
        Environment::load(&opts.environ, &project_dir, &absolute_all(opts))?
    };
    Ok((files, project_dir, env))
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

/// `-p`, then (for a Compose project) `COMPOSE_PROJECT_NAME`, then `name:`, then the
/// directory's name.
fn project_name(
    opts: &LoadOptions,
    env: &Environment,
    naming: Naming,
    from_file: Option<&str>,
    dir: &Path,
) -> Result<String, LoadError> {
    if let Some(p) = &opts.project_name {
        return checked_project_name(p, "-p");
    }
    let key = match naming {
        Naming::Compose => {
            if let Some(p) = env.get("COMPOSE_PROJECT_NAME").filter(|p| !p.is_empty()) {
                return checked_project_name(&p, "COMPOSE_PROJECT_NAME");
            }
            "the `name:` key"
        }
        Naming::Job { key } => key,
    };
    if let Some(p) = from_file {
        return normalized_project_name(p, key);
    }
    project_name_from_dir(dir)
}
