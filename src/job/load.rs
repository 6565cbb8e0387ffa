//! Loading a job, whatever its format: the format reads its file into `JobParts`; the
//! sidecars then take exactly the Compose path (`compose::resolve`), and the main
//! container is converted like any Compose service. A new job format is one more reader
//! of `JobParts`.

use std::path::{Path, PathBuf};

use super::file;
use super::parts::{job_error, JobChoice};
use super::{Format, JOB_FILES};
use crate::compose::{self, convert_service, Context, Environment, LoadError, LoadOptions, Reader};
use crate::model::{FileSource, Job, Project, DEFAULT_WORKDIR, MAIN};

/// Finds the job file in `dir`, if there is one.
pub fn find_job_file(dir: &Path) -> Option<PathBuf> {
    JOB_FILES.iter().map(|f| dir.join(f)).find(|p| p.is_file())
}

/// Loads a job file. `opts.files` holds at most the job file itself; without it, the
/// working directory's `sidepod.yaml` or `.sidepod.yaml`. `choice` picks the job of a CI
/// file and its format, when the file's path and content do not say.
pub fn load_job(opts: &LoadOptions, choice: &JobChoice) -> Result<Job, LoadError> {
    let file = match opts.files.first() {
        Some(f) => opts.working_dir.join(f),
        None => find_job_file(&opts.working_dir).ok_or_else(|| LoadError::File {
            file: opts.working_dir.display().to_string(),
            message: format!(
                "no job file here (looked for {}); give one with -f",
                JOB_FILES.join(", ")
            ),
        })?,
    };
    let dir = match &opts.project_directory {
        Some(d) => opts.working_dir.join(d),
        None => file.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let env_files: Vec<PathBuf> = opts
        .env_files
        .iter()
        .map(|f| opts.working_dir.join(f))
        .collect();
    let env = Environment::load(&opts.environ, &dir, &env_files)?;
    let mut reader = Reader::new(&env, &opts.working_dir);
    let display = reader.display(&file);
    let format = choice
        .format
        .or_else(|| super::detect(&file))
        .unwrap_or(Format::Sidepod);
    let parts = match format {
        Format::Sidepod => file::read(&file, &dir, &mut reader)?,
        Format::Github => super::github::read(&file, &dir, &mut reader, choice)?,
        Format::Gitlab => super::gitlab::read(&file, &dir, &mut reader, choice)?,
        Format::Circleci => super::circleci::read(&file, &dir, &mut reader, choice)?,
        Format::Azure => super::azure::read(&file, &dir, &mut reader, choice)?,
        Format::Drone => super::drone::read(&file, &dir, &mut reader, choice)?,
    };
    let format_warnings = parts.warnings.clone();
    let label = parts.compose.label.clone();
    let mut project = compose::resolve(parts.compose, &mut reader, opts, &dir)
        .map_err(|e| file::rename_wait_error(e, &display))?;
    project.warnings.extend(format_warnings);
    if project.services.contains_key(MAIN) {
        return Err(LoadError::Invalid {
            file: label,
            at: format!("service {MAIN:?}"),
            message: format!("the name {MAIN:?} is the job's container; rename this sidecar"),
        });
    }
    let lookup = |k: &str| env.get(k);
    let ctx = Context {
        file: &display,
        project_dir: &dir,
        lookup: &lookup,
    };
    let mut container = convert_service(
        MAIN,
        parts.container,
        &project.volumes,
        &project.networks,
        &ctx,
    )
    .map_err(rename_container_error)?;
    if let Some(dep) = container
        .depends_on
        .keys()
        .find(|d| !project.services.contains_key(*d))
    {
        return Err(job_error(
            &display,
            "container: depends_on",
            &format!("{dep:?} is not a sidecar of this job"),
        ));
    }
    container
        .working_dir
        .get_or_insert_with(|| DEFAULT_WORKDIR.to_string());
    if let Some((i, c)) = parts
        .caches
        .iter()
        .enumerate()
        .find(|(_, c)| c.service != MAIN && !project.services.contains_key(&c.service))
    {
        return Err(job_error(
            &display,
            &format!("cache[{i}].service"),
            &format!("{:?} is not a sidecar of this job", c.service),
        ));
    }
    let mut secrets = secret_values(&parts.mask, &env, &project);
    for (service, auth) in &parts.auth {
        secrets.push(auth.password.clone());
        if service == MAIN {
            container.registry_auth = Some(auth.clone());
        } else if let Some(s) = project.services.get_mut(service) {
            s.registry_auth = Some(auth.clone());
        }
    }
    secrets.extend(
        parts
            .steps
            .iter()
            .filter_map(|s| s.registry_auth.as_ref().map(|a| a.password.clone())),
    );
    secrets.retain(|s| !s.is_empty());
    Ok(Job {
        file,
        project,
        container,
        steps: parts.steps,
        timeout: parts.timeout,
        ready_timeout: parts.ready_timeout,
        graceful_stop: parts.graceful_stop,
        secrets,
        caches: parts.caches,
    })
}

/// The values to mask: of the variables `mask:` names (the environment's or the `.env`
/// file's; an unset one has none), and the contents of the job's secret files.
fn secret_values(mask: &[String], env: &Environment, project: &Project) -> Vec<String> {
    let mut values: Vec<String> = mask.iter().filter_map(|name| env.get(name)).collect();
    for source in project.secrets.values() {
        let path = match source {
            FileSource::File(path) => path,
            FileSource::Content(text) => {
                values.push(text.clone());
                continue;
            }
            FileSource::Environment { value, .. } => {
                values.extend(value.clone());
                continue;
            }
            FileSource::External(_) => continue,
        };
        let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= MAX_SECRET_FILE);
        if let Some(text) = small.then(|| std::fs::read_to_string(path).ok()).flatten() {
            values.push(text);
        }
    }
    values.retain(|v| !v.is_empty());
    values
}

/// Larger files are certificates bundles and the like, not secrets to mask.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// Errors about the main container name it as `container`, the way the file does.
fn rename_container_error(e: LoadError) -> LoadError {
    match e {
        LoadError::Invalid { file, at, message } => LoadError::Invalid {
            file,
            at: at.replacen(&format!("service {MAIN:?}"), "container", 1),
            message,
        },
        other => other,
    }
}
