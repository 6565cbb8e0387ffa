//! Runs one parsed command line and turns its outcome into an exit code.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use crate::backend::{Backend, DryRunBackend, PodmanBackend};
use crate::cli::{Cli, Command, GlobalOptions, Progress};
use crate::commands;
use crate::compose::{self, LoadError, LoadOptions};
use crate::engine::{EngineError, Shutdown, Stack};
use crate::error::{exit, Error};
use crate::job::{self, Job};
use crate::model::Project;
use crate::output::{self, Output};
use crate::plan::Plan;

/// Runs the command; prints any error; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    init_diagnostics(cli.global.verbose);
    match dispatch(cli).await {
        Ok(code) => code,
        // Stopped by a signal after cleaning up: the exit code says it all.
        Err(e @ Error::Engine(EngineError::Interrupted(_))) => e.exit_code(),
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
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .try_init();
}

async fn dispatch(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Up(args) => commands::up(&cli.global, &args).await,
        Command::Down(args) => commands::down(&cli.global, &args).await,
        Command::Ps(args) => commands::ps(&cli.global, &args).await,
        Command::Logs(args) => commands::logs(&cli.global, &args).await,
        Command::Job(args) => commands::job(&cli.global, &args).await,
        Command::Exec(args) => commands::exec(&cli.global, &args).await,
        Command::Run(args) => commands::run(&cli.global, &args).await,
        Command::Build(args) => commands::build(&cli.global, &args).await,
        Command::Pull(args) => commands::pull(&cli.global, &args).await,
        Command::Start(args) => commands::start(&cli.global, &args).await,
        Command::Stop(args) => commands::stop(&cli.global, &args).await,
        Command::Restart(args) => commands::restart(&cli.global, &args).await,
        Command::Kill(args) => commands::kill(&cli.global, &args).await,
        Command::Wait(args) => commands::wait(&cli.global, &args).await,
        Command::Pause(args) => commands::pause(&cli.global, &args).await,
        Command::Unpause(args) => commands::unpause(&cli.global, &args).await,
        Command::Rm(args) => commands::rm(&cli.global, &args).await,
        Command::Port(args) => commands::port(&cli.global, &args).await,
        Command::Top(args) => commands::top(&cli.global, &args).await,
        Command::Ls(args) => commands::ls(&cli.global, &args).await,
        Command::Config(args) => commands::config(&cli.global, &args),
        Command::Generate(what) => commands::generate(&cli.global, &what),
        Command::Doctor => {
            let found = crate::doctor::examine(cli.global.podman.as_deref()).await;
            output::print(&crate::doctor::render(&found)).map_err(Error::Output)?;
            Ok(crate::doctor::exit_code(&found))
        }
        Command::Completions { shell } => {
            let mut text = Vec::new();
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "sidepod", &mut text);
            output::print(&String::from_utf8_lossy(&text)).map_err(Error::Output)?;
            Ok(exit::SUCCESS)
        }
        Command::Version => {
            output::print(&format!("sidepod {}\n", env!("CARGO_PKG_VERSION")))
                .map_err(Error::Output)?;
            Ok(exit::SUCCESS)
        }
    }
}

pub fn load_options(g: &GlobalOptions) -> LoadOptions {
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
    Project(Box<Project>),
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
    Ok(Loaded::Project(Box::new(project)))
}

pub fn plan(project: &Project, files: &[PathBuf], cwd: &Path) -> Result<Plan, Error> {
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

/// Loads a Compose project (not a job) and plans it.
pub fn load_compose(g: &GlobalOptions) -> Result<(Project, Plan), Error> {
    let opts = load_options(g);
    let project = compose::load_project(&opts)?;
    let plan = plan(&project, &project.files, &opts.working_dir)?;
    Ok((project, plan))
}

/// The project of the files (a job's with its main container), planned.
pub fn load_planned(g: &GlobalOptions) -> Result<(Project, Plan), Error> {
    match load(g)? {
        Loaded::Project(project) => {
            let opts = load_options(g);
            let plan = plan(&project, &project.files, &opts.working_dir)?;
            Ok((*project, plan))
        }
        Loaded::Job(job) => job::plan_job(&job).map_err(|source| Error::Plan {
            file: job.file.display().to_string(),
            source,
        }),
    }
}

/// For commands that act on what exists (`down`, `ps`, `logs`): the loaded project, or
/// with `-p` and no files, just the name.
pub fn load_or_name(g: &GlobalOptions) -> Result<(String, Option<(Project, Plan)>), Error> {
    match load_planned(g) {
        Ok((project, plan)) => Ok((project.name.clone(), Some((project, plan)))),
        Err(Error::Load(LoadError::NotFound { .. })) if g.project_name.is_some() => {
            let name = g.project_name.as_deref().unwrap_or_default();
            Ok((compose::checked_project_name(name, "-p")?, None))
        }
        Err(e) => Err(e),
    }
}

/// The podman backend; with `--dry-run`, one that prints what it would run instead
/// (and still reads the current state from podman when podman is there).
pub fn backend(g: &GlobalOptions) -> Result<Arc<dyn Backend>, Error> {
    let podman = PodmanBackend::locate(g.podman.as_deref());
    if g.dry_run {
        let reader = podman.ok().map(|p| Arc::new(p) as Arc<dyn Backend>);
        return Ok(Arc::new(DryRunBackend::new(reader)));
    }
    Ok(Arc::new(podman?))
}

/// While a foreground podman child owns the terminal, Ctrl-C is for it: sidepod stays
/// alive (handlers installed) to pass its exit code on.
pub fn hold_signals() -> Vec<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{signal, SignalKind};
    [
        SignalKind::interrupt(),
        SignalKind::terminate(),
        SignalKind::quit(),
    ]
    .into_iter()
    .filter_map(|k| signal(k).ok())
    .collect()
}

pub fn output(g: &GlobalOptions) -> Arc<Output> {
    use crate::output::ProgressStyle;
    let style = match g.progress {
        // A dry run's output is the commands it would run, and nothing else.
        _ if g.dry_run => ProgressStyle::Quiet,
        Progress::Quiet => ProgressStyle::Quiet,
        Progress::Json => ProgressStyle::Json,
        Progress::Auto | Progress::Plain => ProgressStyle::Lines,
    };
    Arc::new(Output::new(g.ansi, style))
}

pub fn stack(g: &GlobalOptions, project: Project, plan: Plan) -> Result<Stack, Error> {
    for w in &project.warnings {
        output::warn(w);
    }
    Ok(Stack {
        backend: backend(g)?,
        project: Arc::new(project),
        plan: Arc::new(plan),
        output: output(g),
    })
}

/// Listens for SIGINT and SIGTERM: the first asks for a graceful stop, the second to
/// kill, the third exits at once.
pub fn shutdown_on_signals() -> Shutdown {
    use tokio::signal::unix::{signal, SignalKind};
    let (trigger, shutdown) = Shutdown::new();
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return shutdown;
    };
    tokio::spawn(async move {
        loop {
            let sig = tokio::select! {
                _ = int.recv() => 2,
                _ = term.recv() => 15,
            };
            match trigger.fire(sig) {
                1 => output::warn("stopping gracefully (press Ctrl-C again to kill)"),
                2 => output::warn("killing (press Ctrl-C again to exit at once)"),
                _ => std::process::exit(128 + sig),
            }
        }
    });
    shutdown
}
