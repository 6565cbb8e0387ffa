//! Runs one parsed command line and turns its outcome into an exit code.

use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command, ConfigArgs, ConfigFormat, GlobalOptions};
use crate::compose::{self, Format, LoadOptions};
use crate::error::{exit, Error};
use crate::job::{self, Job};
use crate::model::Project;
use crate::output;
use crate::plan::Plan;

/// Runs the command; prints any error; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    init_diagnostics(cli.global.verbose);
    match dispatch(cli).await {
        Ok(code) => code,
        Err(e) => {
            output::error(&e.report());
            e.exit_code()
        }
    }
}

/// `-v` shows what sidepod does (each podman call, with its duration); `-vv` more.
/// `RUST_LOG` overrides both.
fn init_diagnostics(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "sidepod=debug",
        _ => "sidepod=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

async fn dispatch(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Config(args) => config(&cli.global, &args),
        Command::Version => {
            output::print(&format!("sidepod {}\n", env!("CARGO_PKG_VERSION")))
                .map_err(Error::Output)?;
            Ok(exit::SUCCESS)
        }
    }
}

fn load_options(g: &GlobalOptions) -> LoadOptions {
    LoadOptions {
        files: g.files.clone(),
        project_name: g.project_name.clone(),
        project_directory: g.project_directory.clone(),
        env_files: g.env_file.clone(),
        profiles: g.profile.clone(),
        ..LoadOptions::from_process()
    }
}

/// What the files on the command line describe.
pub enum Loaded {
    Project(Project),
    Job(Box<Job>),
}

/// Loads a Compose project, or a job when the (single) file is a job file, or when no
/// Compose file is found but a `sidepod.yaml` is; then plans it, so that every config
/// error surfaces before anything would run.
pub fn load(g: &GlobalOptions) -> Result<Loaded, Error> {
    let opts = load_options(g);
    let job_file: Option<PathBuf> = match opts.files.as_slice() {
        [one] if one.as_os_str() != "-" && job::is_job_file(&opts.working_dir.join(one)) => {
            Some(one.clone())
        }
        [] if compose_file_absent(&opts) => job::find_job_file(&opts.working_dir),
        _ => None,
    };
    if job_file.is_some() {
        let job = job::load_job(&opts)?;
        let mut whole = job.project.clone();
        whole
            .services
            .insert(job.container.name.clone(), job.container.clone());
        plan(&whole, std::slice::from_ref(&job.file), &opts.working_dir)?;
        return Ok(Loaded::Job(Box::new(job)));
    }
    let project = compose::load_project(&opts)?;
    plan(&project, &project.files, &opts.working_dir)?;
    Ok(Loaded::Project(project))
}

fn plan(project: &Project, files: &[PathBuf], cwd: &Path) -> Result<Plan, Error> {
    Plan::new(project).map_err(|source| Error::Plan {
        file: files
            .iter()
            .map(|f| f.strip_prefix(cwd).unwrap_or(f).display().to_string())
            .collect::<Vec<_>>()
            .join(" + "),
        source,
    })
}

fn compose_file_absent(opts: &LoadOptions) -> bool {
    opts.environ
        .get("COMPOSE_FILE")
        .is_none_or(|f| f.is_empty())
        && !Path::new(&opts.working_dir)
            .ancestors()
            .any(|d| compose::CANDIDATES.iter().any(|c| d.join(c).is_file()))
}

fn config(g: &GlobalOptions, args: &ConfigArgs) -> Result<i32, Error> {
    let loaded = load(g)?;
    let project = match &loaded {
        Loaded::Project(p) => p,
        Loaded::Job(j) => &j.project,
    };
    for w in &project.warnings {
        output::warn(w);
    }
    if args.quiet {
        return Ok(exit::SUCCESS);
    }
    let format = match args.format {
        ConfigFormat::Yaml => Format::Yaml,
        ConfigFormat::Json => Format::Json,
    };
    let text = if args.services {
        let mut names: Vec<&str> = project.services.keys().map(String::as_str).collect();
        if let Loaded::Job(j) = &loaded {
            names.push(&j.container.name);
        }
        lines(names)
    } else if args.volumes {
        lines(project.volumes.keys().map(String::as_str))
    } else {
        match &loaded {
            Loaded::Project(p) => compose::render_project(p, format),
            Loaded::Job(j) => job::render_job(j, format),
        }
    };
    output::print(&text).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}

fn lines<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().map(|s| format!("{s}\n")).collect()
}
