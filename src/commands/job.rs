//! `sidepod job`: run a job file's steps beside its sidecars, then clean up.

use crate::cli::JobArgs;
use crate::engine::{self, JobOptions};
use crate::error::Error;
use crate::job::matrix::{self, Combination};
use crate::job::{restrict, Format, JobChoice};
use crate::model::DEFAULT_READY_TIMEOUT;
use crate::session::Session;

pub async fn job(s: &Session, args: &JobArgs) -> Result<i32, Error> {
    // Masked before anything is loaded or printed.
    for name in &args.secrets {
        match std::env::var(name) {
            Ok(value) if !value.is_empty() => s.mask(&value, &format!("--secret {name}")),
            _ => s.warn_all(&[format!(
                "--secret {name}: {name} is not set in the environment; there is nothing to mask"
            )]),
        }
    }
    let extra = std::env::var_os("SIDEPOD_HOST_CONFIG").map(std::path::PathBuf::from);
    let restricted = args.restrict || restrict::host_restricts(extra.as_deref())?;
    let file = s.job_file(args.file.as_deref());
    let display = file.as_deref().map(|f| s.display(f)).unwrap_or_default();
    let choice = JobChoice {
        format: args.format.as_deref().and_then(Format::parse),
        job: args.job.clone(),
        image: args.image.clone(),
        strict_actions: args.strict_actions,
    };
    if args.list {
        return list(file.as_deref(), &display);
    }
    let matrix = match &file {
        Some(f) if f.is_file() => {
            matrix::read_matrix(f, &display, args.job.as_deref()).map_err(Error::Load)?
        }
        _ => None,
    };
    let Some(matrix) = matrix else {
        let (job, project, plan) = s.load_job(
            args.file.as_deref(),
            args.project_name.as_deref(),
            restricted,
            &choice,
        )?;
        let stack = s.stack(project, plan)?;
        let opts = options(args, &job);
        let mut shutdown = s.shutdown()?;
        return Ok(engine::run_job(&stack, &job, &opts, &mut shutdown).await?);
    };
    let chosen = choose(&matrix.combinations, &args.matrix, &display)?;
    let loaded = variants(
        s,
        args.file.as_deref(),
        args.project_name.as_deref(),
        restricted,
        &choice,
        &chosen,
    )?;
    let mut variants = Vec::new();
    for (label, job, project, plan) in loaded {
        variants.push(engine::Variant {
            label,
            stack: s.stack(project, plan)?,
            job,
        });
    }
    let opts = options(args, &variants[0].job);
    let fail_fast = matrix.fail_fast || args.fail_fast;
    let parallel = args.parallel.or(matrix.max_parallel).unwrap_or(1);
    let shutdown = s.shutdown()?;
    Ok(engine::run_matrix(variants, &opts, parallel, fail_fast, &shutdown).await)
}

/// A matrix's combinations, each loaded and planned as the job `<name>-<n>` (its place
/// in the matrix), with its label. All are loaded before any runs: an error in one is an
/// error of the file.
pub(super) fn variants(
    s: &Session,
    file: Option<&std::path::Path>,
    name: Option<&str>,
    restricted: bool,
    choice: &JobChoice,
    chosen: &[(usize, &Combination)],
) -> Result<
    Vec<(
        String,
        crate::model::Job,
        crate::model::Project,
        crate::plan::Plan,
    )>,
    Error,
> {
    let mut variants = Vec::new();
    for (i, combination) in chosen {
        let vars = combination.variables();
        let (first, _, _) = s.load_job_variant(file, name, restricted, &vars, choice)?;
        let name = format!("{}-{}", first.project.name, i + 1);
        let (job, project, plan) =
            s.load_job_variant(file, Some(&name), restricted, &vars, choice)?;
        variants.push((combination.label(), job, project, plan));
    }
    Ok(variants)
}

/// `--list`: the file's jobs, one a line, with whether and how each runs here.
fn list(file: Option<&std::path::Path>, display: &str) -> Result<i32, Error> {
    let Some(file) = file.filter(|f| f.is_file()) else {
        return Err(Error::Usage(
            "--list needs a job file; give one with -f".to_string(),
        ));
    };
    let jobs = crate::job::list_jobs(file, display)?;
    let width = jobs.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let text: String = jobs
        .iter()
        .map(|(name, how)| format!("{name:width$}  {how}\n"))
        .collect();
    crate::output::print(&text).map_err(Error::Output)?;
    Ok(crate::exit::SUCCESS)
}

fn options(args: &JobArgs, job: &crate::model::Job) -> JobOptions {
    JobOptions {
        keep: args.keep,
        label: None,
        steps: args.steps.clone(),
        junit: args.junit.clone(),
        logs_dir: args.logs_dir.clone(),
        timeout: args.timeout.or(job.timeout),
        ready_timeout: args
            .ready_timeout
            .or(job.ready_timeout)
            .unwrap_or(DEFAULT_READY_TIMEOUT),
        graceful_stop: args.graceful_stop || job.graceful_stop,
    }
}

/// The combinations `--matrix KEY=VALUE` (repeatable) selects, with their places in the
/// matrix; all of them without.
fn choose<'m>(
    all: &'m [Combination],
    wanted: &[String],
    display: &str,
) -> Result<Vec<(usize, &'m Combination)>, Error> {
    let mut pairs = Vec::new();
    for w in wanted {
        let Some((k, v)) = w.split_once('=') else {
            return Err(Error::Usage(format!(
                "--matrix {w}: give KEY=VALUE, as in --matrix db=postgres:16"
            )));
        };
        pairs.push((k.to_string(), v.to_string()));
    }
    let chosen: Vec<(usize, &Combination)> = all
        .iter()
        .enumerate()
        .filter(|(_, c)| pairs.iter().all(|(k, v)| c.0.get(k) == Some(v)))
        .collect();
    if chosen.is_empty() {
        let have: Vec<String> = all.iter().map(Combination::label).collect();
        return Err(Error::Load(crate::compose::LoadError::Invalid {
            file: display.to_string(),
            at: "matrix".into(),
            message: format!(
                "no combination has {}; the combinations are: {}",
                wanted.join(" "),
                have.join("; ")
            ),
        }));
    }
    Ok(chosen)
}
