//! One command's session: the global options, the one output writer, the backend (podman,
//! or one a test injects), and the stop requests from signals. It loads and plans what the
//! files describe, once, and builds the `Stack` the engine works on. Commands receive it;
//! they never build these parts themselves.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::backend::{Backend, PodmanBackend};
use crate::cli::{CallLimit, GlobalOptions, Progress};
use crate::compose::{self, LoadError, LoadOptions};
use crate::engine::Stack;
use crate::error::Error;
use crate::job::{self, JobChoice};
use crate::model::{Job, Project};
use crate::output::{Output, ProgressStyle};
use crate::plan::Plan;
use crate::signal::{self, Shutdown};

/// What the files on the command line describe, planned.
/// A project or a job as loaded, before planning.
pub enum Unplanned {
    Project(Project),
    Job { job: Box<Job>, project: Project },
}

pub enum Loaded {
    Project {
        project: Project,
        plan: Plan,
    },
    /// A job, and its whole project (the sidecars and the main container), planned.
    Job {
        job: Box<Job>,
        project: Project,
        plan: Plan,
    },
}

impl Loaded {
    pub fn project(&self) -> &Project {
        match self {
            Loaded::Project { project, .. } | Loaded::Job { project, .. } => project,
        }
    }

    pub fn into_parts(self) -> (Project, Plan) {
        match self {
            Loaded::Project { project, plan } | Loaded::Job { project, plan, .. } => {
                (project, plan)
            }
        }
    }
}

/// For commands that act on what exists (`down`, `ps`, `logs`): the project's name, and
/// the loaded project when there are files.
pub struct Target {
    pub name: String,
    pub known: Option<(Project, Plan)>,
}

/// Whether stderr is a terminal that can draw the live board, with no `-v` lines to
/// break into it.
fn board_fits(verbose: u8) -> bool {
    verbose == 0
        && std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("TERM").is_some_and(|t| t != "dumb")
}

pub struct Session {
    pub global: GlobalOptions,
    pub output: Arc<Output>,
    backend: OnceLock<Arc<dyn Backend>>,
    shutdown: OnceLock<Shutdown>,
}

impl Session {
    /// A session for the command line: podman is found when first needed, and signal
    /// handlers are installed when a command first asks for stop requests.
    pub fn new(global: GlobalOptions) -> Session {
        let style = match global.progress {
            // A dry run's output is the commands it would run, and nothing else.
            _ if global.dry_run => ProgressStyle::Quiet,
            Progress::Quiet => ProgressStyle::Quiet,
            Progress::Json => ProgressStyle::Json,
            // The board moves the cursor: a terminal that can, and nothing else writing
            // to stderr meanwhile (`-v`'s lines).
            Progress::Auto if board_fits(global.verbose) => ProgressStyle::Board,
            Progress::Auto | Progress::Plain => ProgressStyle::Lines,
        };
        let output = Arc::new(Output::new(global.ansi, style));
        Session {
            global,
            output,
            backend: OnceLock::new(),
            shutdown: OnceLock::new(),
        }
    }

    /// A session over a given backend and stop requests (tests inject a fake and a
    /// trigger of their own).
    pub fn with_parts(
        global: GlobalOptions,
        output: Arc<Output>,
        backend: Arc<dyn Backend>,
        shutdown: Shutdown,
    ) -> Session {
        let session = Session {
            global,
            output,
            backend: OnceLock::new(),
            shutdown: OnceLock::new(),
        };
        let _ = session.backend.set(backend);
        let _ = session.shutdown.set(shutdown);
        session
    }

    /// The backend: podman (printing instead of changing anything with `--dry-run`).
    pub fn backend(&self) -> Result<Arc<dyn Backend>, Error> {
        if let Some(b) = self.backend.get() {
            return Ok(b.clone());
        }
        let mut podman = PodmanBackend::locate(self.global.podman.as_deref(), self.global.dry_run)?;
        if let Some(CallLimit(limit)) = self.global.parallel {
            podman = podman.with_call_limit(limit);
        }
        Ok(self.backend.get_or_init(|| Arc::new(podman)).clone())
    }

    /// Stop requests from SIGINT, SIGTERM and SIGHUP, listened for from the first call on.
    pub fn shutdown(&self) -> Result<Shutdown, Error> {
        if let Some(s) = self.shutdown.get() {
            return Ok(s.clone());
        }
        let installed = signal::install(self.output.clone())?;
        Ok(self.shutdown.get_or_init(|| installed).clone())
    }

    pub fn load_options(&self) -> LoadOptions {
        let g = &self.global;
        LoadOptions {
            files: g.files.clone(),
            project_name: g.project_name.clone(),
            project_directory: g.project_directory.clone(),
            env_files: g.env_file.clone(),
            profiles: g.profile.clone(),
            network: g
                .network
                .as_deref()
                .and_then(crate::model::StackNetwork::parse),
            ..LoadOptions::from_process()
        }
    }

    /// Loads a Compose project, or a job when the (single) file is a job file, or when no
    /// Compose file is found but a `sidepod.yaml` is; then plans it, so that every config
    /// error surfaces before anything would run.
    pub fn load(&self) -> Result<Loaded, Error> {
        let opts = self.load_options();
        Ok(match self.load_unplanned()? {
            Unplanned::Job { job, project } => {
                let plan = plan(&project, std::slice::from_ref(&job.file), &opts.working_dir)?;
                Loaded::Job { job, project, plan }
            }
            Unplanned::Project(project) => {
                let plan = plan(&project, &project.files.clone(), &opts.working_dir)?;
                Loaded::Project { project, plan }
            }
        })
    }

    /// What `config` shows: the project or job as loaded, checked by every plan rule
    /// except those only running enforces, which come back as a warning, as does bridge
    /// mode and why.
    pub fn load_for_config(&self) -> Result<(Unplanned, Option<String>), Error> {
        let opts = self.load_options();
        let loaded = self.load_unplanned()?;
        let (project, files) = match &loaded {
            Unplanned::Job { job, project } => (project, vec![job.file.clone()]),
            Unplanned::Project(project) => (project, project.files.clone()),
        };
        let warning = match plan(project, &files, &opts.working_dir) {
            Ok(Plan {
                layout: crate::plan::Layout::Bridge { why },
                ..
            }) => Some(format!(
                "`up` runs this stack in bridge mode, each service in its own network \
                 namespace: {why}"
            )),
            Ok(_) => None,
            Err(Error::Plan { file, source }) if source.pod_model() => {
                Plan::check_order(project).map_err(|source| Error::Plan {
                    file: file.clone(),
                    source,
                })?;
                Some(format!(
                    "{file}: `up` refuses this stack as it is: {source}"
                ))
            }
            Err(e) => return Err(e),
        };
        Ok((loaded, warning))
    }

    /// Loads a Compose project, or a job when the (single) file is a job file, or when
    /// no Compose file is found but a `sidepod.yaml` is; not planned.
    /// The job file that `load` loads, when it loads a job, not a Compose project.
    pub fn job_file_to_load(&self) -> Option<std::path::PathBuf> {
        let opts = self.load_options();
        match opts.files.as_slice() {
            [one] if one.as_os_str() != "-" && job::is_job_file(&opts.working_dir.join(one)) => {
                Some(opts.working_dir.join(one))
            }
            [] if compose_file_absent(&opts) => job::find_job_file(&opts.working_dir),
            _ => None,
        }
    }

    pub fn load_unplanned(&self) -> Result<Unplanned, Error> {
        let opts = self.load_options();
        if self.job_file_to_load().is_some() {
            let (job, project) =
                self.load_job_unplanned(&opts, false, &[], &JobChoice::default())?;
            return Ok(Unplanned::Job {
                job: Box::new(job),
                project,
            });
        }
        Ok(Unplanned::Project(compose::load_project(&opts)?))
    }

    /// Loads and plans a job file: `file` (`sidepod job -f`), else the global `-f`, else
    /// `sidepod.yaml` here; `name` (`sidepod job -p`) names the run. `restrict` puts the
    /// job through the trust gate before anything else.
    pub fn load_job(
        &self,
        file: Option<&Path>,
        name: Option<&str>,
        restrict: bool,
        choice: &JobChoice,
    ) -> Result<(Job, Project, Plan), Error> {
        self.load_job_variant(file, name, restrict, &[], choice)
    }

    /// `load_job` with more variables (a matrix combination's), which interpolation sees
    /// and the main container gets in its environment.
    pub fn load_job_variant(
        &self,
        file: Option<&Path>,
        name: Option<&str>,
        restrict: bool,
        vars: &[(String, String)],
        choice: &JobChoice,
    ) -> Result<(Job, Project, Plan), Error> {
        let mut opts = self.load_options();
        if let Some(f) = file {
            opts.files = vec![f.to_path_buf()];
        }
        if let Some(n) = name {
            opts.project_name = Some(n.to_string());
        }
        opts.environ.extend(vars.iter().cloned());
        self.load_job_with(&opts, restrict, vars, choice)
    }

    /// The job file `sidepod job` would load: `file`, else the global `-f`, else the
    /// one found here.
    pub fn job_file(&self, file: Option<&Path>) -> Option<std::path::PathBuf> {
        let opts = self.load_options();
        match file.or(opts.files.first().map(|f| f.as_path())) {
            Some(f) => Some(opts.working_dir.join(f)),
            None => job::find_job_file(&opts.working_dir),
        }
    }

    fn load_job_with(
        &self,
        opts: &LoadOptions,
        restrict: bool,
        vars: &[(String, String)],
        choice: &JobChoice,
    ) -> Result<(Job, Project, Plan), Error> {
        let (job, project) = self.load_job_unplanned(opts, restrict, vars, choice)?;
        let plan = plan(&project, std::slice::from_ref(&job.file), &opts.working_dir)?;
        Ok((job, project, plan))
    }

    fn load_job_unplanned(
        &self,
        opts: &LoadOptions,
        restrict: bool,
        vars: &[(String, String)],
        choice: &JobChoice,
    ) -> Result<(Job, Project), Error> {
        let mut job = job::load_job(opts, choice)?;
        for (k, v) in vars {
            job.container.environment.insert(k.clone(), Some(v.clone()));
        }
        if restrict {
            job::restrict::check(&job, &self.display(&job.file))?;
        }
        for value in &job.secrets {
            self.mask(
                value,
                "a value the job file's mask: names, or one of its secrets",
            );
        }
        let project = job.project();
        Ok((job, project))
    }

    /// A Compose project (not a job), planned, as a stack to run.
    pub fn compose_stack(&self) -> Result<Stack, Error> {
        self.compose_stack_with(|_| Ok(()))
    }

    /// A Compose project as a stack, after `adjust` has changed what the command line
    /// says over the files (`up --scale`, `--pull`), and planned as changed.
    pub fn compose_stack_with(
        &self,
        adjust: impl FnOnce(&mut Project) -> Result<(), Error>,
    ) -> Result<Stack, Error> {
        let opts = self.load_options();
        let mut project = compose::load_project(&opts)?;
        adjust(&mut project)?;
        let plan = plan(&project, &project.files.clone(), &opts.working_dir)?;
        self.stack(project, plan)
    }

    /// With files, the loaded project; with `-p` and no files, just the name.
    pub fn target(&self) -> Result<Target, Error> {
        match self.load() {
            Ok(loaded) => {
                let (project, plan) = loaded.into_parts();
                Ok(Target {
                    name: project.name.clone(),
                    known: Some((project, plan)),
                })
            }
            Err(Error::Load(LoadError::NotFound { .. })) if self.global.project_name.is_some() => {
                let name = self.global.project_name.as_deref().unwrap_or_default();
                Ok(Target {
                    name: compose::checked_project_name(name, "-p")?,
                    known: None,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The stack the engine works on; the project's load warnings are said here, once.
    pub fn stack(&self, project: Project, plan: Plan) -> Result<Stack, Error> {
        self.warn_all(&project.warnings);
        Ok(Stack {
            backend: self.backend()?,
            project: Arc::new(project),
            plan: Arc::new(plan),
            output: self.output.clone(),
        })
    }

    /// Masks a secret value from now on in everything sidepod writes; `what` names it in
    /// the warning when it is too short to mask.
    pub fn mask(&self, value: &str, what: &str) {
        if !crate::output::mask::add_secret(value) {
            self.output.warn(&format!(
                "{what} is shorter than {} characters, too short to mask: it may appear in \
                 the output",
                crate::output::mask::MIN_SECRET_LEN
            ));
        }
    }

    /// How errors name a file: relative to the working directory when it is below it.
    pub fn display(&self, file: &Path) -> String {
        let cwd = self.load_options().working_dir;
        file.strip_prefix(&cwd)
            .unwrap_or(file)
            .display()
            .to_string()
    }

    pub fn warn_all(&self, warnings: &[String]) {
        for w in warnings {
            self.output.warn(w);
        }
    }
}

/// Plans a project; a plan error names the file(s) it comes from.
fn plan(project: &Project, files: &[std::path::PathBuf], cwd: &Path) -> Result<Plan, Error> {
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
