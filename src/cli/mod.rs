//! The command line: global options and commands (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "sidepod",
    version,
    about = "Run a main container and its sidecar services in one rootless Podman pod",
    long_about = "Run a main container and its sidecar services in one rootless Podman pod.\n\n\
                  sidepod reads Compose files (compose.yaml, docker-compose.yml, ...) and its \
                  own job files (sidepod.yaml)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalOptions {
    /// Compose or job file (repeatable; default: COMPOSE_FILE, then discovery). Give it
    /// before the command, as with docker compose: after it, `-f` is the command's own
    /// (`logs -f`).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Project name (default: COMPOSE_PROJECT_NAME, the file's `name:`, the directory)
    #[arg(short = 'p', long, value_name = "NAME")]
    pub project_name: Option<String>,
    /// Directory that relative paths and .env are taken from
    #[arg(long, global = true, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,
    /// Environment file to read instead of .env (repeatable)
    #[arg(long, global = true, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Enable services of this profile (repeatable; default: COMPOSE_PROFILES)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Vec<String>,
    /// Print the podman commands that would run; create nothing
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// The podman executable
    #[arg(long, global = true, env = "SIDEPOD_PODMAN", value_name = "PATH")]
    pub podman: Option<PathBuf>,
    /// When to use colours
    #[arg(long, global = true, value_enum, default_value_t = Ansi::Auto)]
    pub ansi: Ansi,
    /// How to show progress
    #[arg(long, global = true, value_enum, default_value_t = Progress::Auto)]
    pub progress: Progress,
    /// How the containers share the network: one pod, or the project's podman networks
    /// (default: the file's `x-sidepod: {network:}`, else a pod when one can hold the
    /// stack)
    #[arg(long, global = true, env = "SIDEPOD_NETWORK", value_name = "MODE", value_parser = ["pod", "bridge"])]
    pub network: Option<String>,
    /// At most N podman calls that contend on podman's locks at once; -1 for no limit
    /// (default: twice the cores, from 2 to 8). Give it before the command: after it,
    /// `job --parallel` is the number of matrix combinations at once
    #[arg(long, env = "COMPOSE_PARALLEL_LIMIT", value_name = "N", allow_negative_numbers = true, value_parser = parse_call_limit)]
    pub parallel: Option<CallLimit>,
    /// Say more: each podman call with its duration (repeat for more). Give it before the
    /// command (`sidepod -v up`): after it, `-v` is the command's own (`down -v`).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// `--parallel`: a number of podman calls, or none (`-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimit(pub Option<usize>);

fn parse_call_limit(text: &str) -> Result<CallLimit, String> {
    match text.trim().parse::<i64>() {
        Ok(-1) => Ok(CallLimit(None)),
        Ok(n) if n >= 1 => Ok(CallLimit(usize::try_from(n).ok())),
        _ => Err(format!(
            "{text:?} is not a number of podman calls: give 1 or more, or -1 for no limit"
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Ansi {
    Auto,
    Never,
    Always,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Progress {
    Auto,
    Plain,
    Json,
    Quiet,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create and start the services (in one pod)
    Up(UpArgs),
    /// Start the services, then sync, restart or rebuild them as their `develop.watch`
    /// files change
    Watch(WatchArgs),
    /// Stop and remove the services, the pod, and with -v the volumes
    Down(DownArgs),
    /// List the project's containers
    Ps(PsArgs),
    /// Show the services' output
    Logs(LogsArgs),
    /// Run a CI job: sidecars until ready, then the steps in the main container; always
    /// clean up
    Job(JobArgs),
    /// Run a command in a running service container
    Exec(ExecArgs),
    /// Run a one-off container of a service in the project's pod
    Run(RunArgs),
    /// Build the images of services with `build:`
    Build(BuildArgs),
    /// Pull the services' images
    Pull(PullArgs),
    /// Start existing containers (and what they depend on)
    Start(StartArgs),
    /// Stop containers (only the named services; dependents first)
    Stop(StopArgs),
    /// Restart containers
    Restart(RestartArgs),
    /// Send a signal to containers
    Kill(KillArgs),
    /// Wait until the services' containers stop; exit with their exit code
    Wait(WaitArgs),
    /// Freeze the services' running containers
    Pause(ServicesArgs),
    /// Thaw the services' paused containers
    Unpause(ServicesArgs),
    /// Remove the services' stopped containers
    Rm(RmArgs),
    /// Print where a service's port is published on the host
    Port(PortArgs),
    /// Show the processes running in the services' containers
    Top(ServicesArgs),
    /// List the projects that have containers here
    Ls(LsArgs),
    /// Validate the files and print the resolved project (or job)
    Config(ConfigArgs),
    /// Check that podman works here as sidepod needs it, and say how to fix what does not
    Doctor(DoctorArgs),
    /// Copy files between a service container and the host (SERVICE:PATH HOST_PATH, or
    /// the other way)
    Cp(CpArgs),
    /// List the images of the project's containers
    Images(ListArgs),
    /// List the project's volumes (of these services, when named)
    Volumes(ListArgs),
    /// Set the number of replicas of services (SERVICE=N...) and start or remove them
    Scale(ScaleArgs),
    /// Create the pod, volumes and containers of the services; start none
    Create(CreateArgs),
    /// Follow the events of the project's containers
    Events(EventsArgs),
    /// Show the containers' CPU, memory and I/O use, live
    Stats(StatsArgs),
    /// Push the services' images to their registries
    Push(PushArgs),
    /// Attach to a service container's output and input
    Attach(AttachArgs),
    /// Write a service container's file system as a tar archive
    Export(ExportArgs),
    /// Print the project in another format
    #[command(subcommand)]
    Generate(Generate),
    /// List or prune the volumes that keep jobs' `cache:` paths between runs
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print shell completions
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Print sidepod's version
    Version(VersionArgs),
    /// (internal) An HTTP wait strategy's request, made inside a container's network
    #[command(name = "__probe-http", hide = true)]
    ProbeHttp(ProbeHttpArgs),
}

/// What `__probe-http` asks: sidepod runs it as a child of itself.
#[derive(Debug, clap::Args)]
pub struct ProbeHttpArgs {
    #[arg(long)]
    pub pid: u32,
    #[arg(long)]
    pub port: u16,
    #[arg(long)]
    pub host: String,
    #[arg(long)]
    pub path: String,
    #[arg(long)]
    pub https: bool,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List the cache volumes: key, path, age
    Ls,
    /// Remove cache volumes (all, or those older than --older-than); in use ones are left
    Prune {
        /// Only those created more than this long ago (e.g. 7d is written 168h)
        #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
        older_than: Option<std::time::Duration>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Generate {
    /// Kubernetes YAML: a Compose project as one Pod (a job as a batch/v1 Job), services
    /// others depend on as native sidecars, and a PersistentVolumeClaim per named volume
    Kube(KubeArgs),
}

#[derive(Debug, Args)]
pub struct JobArgs {
    /// The job file (default: sidepod.yaml or .sidepod.yaml here)
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Name of this run (its pod); two runs at once need two names
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project_name: Option<String>,
    /// Leave the pod and containers when the job ends, and say how to enter and remove them
    #[arg(long)]
    pub keep: bool,
    /// Run only this step (repeatable); the others are reported as skipped
    #[arg(long = "step", value_name = "NAME")]
    pub steps: Vec<String>,
    /// Write a JUnit XML report, one test case per step
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write every container's log there, one file per service
    #[arg(long, value_name = "DIR")]
    pub logs_dir: Option<PathBuf>,
    /// Stop the job after this long (e.g. 10m, 1h30m); exit code 124 (default: the job
    /// file's `timeout:`, else none)
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<std::time::Duration>,
    /// How long sidecars may take to be ready; exit code 5 after it (default: the job
    /// file's `ready_timeout:`, else 2m)
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub ready_timeout: Option<std::time::Duration>,
    /// At the end, stop the sidecars and the main container in their grace periods
    /// (to let them write coverage or flush data) instead of removing them at once
    /// (default: the job file's `graceful_stop:`, else at once, as CI services are)
    #[arg(long)]
    pub graceful_stop: bool,
    /// The value of environment variable NAME is secret (repeatable): masked as *** in
    /// all output, reports and logs, and kept off every command line
    #[arg(long = "secret", value_name = "NAME")]
    pub secrets: Vec<String>,
    /// Refuse what reaches past the pod and the workspace (privileged, devices, cap_add,
    /// the host's network, confinement turned off, binds outside the workspace, the
    /// podman socket); also on with SIDEPOD_RESTRICT=1 or the host's
    /// /etc/sidepod/host.yaml (`restrict: true`)
    #[arg(long, env = "SIDEPOD_RESTRICT", value_parser = clap::builder::FalseyValueParser::new())]
    pub restrict: bool,
    /// Run only the matrix combinations with this value (KEY=VALUE, repeatable)
    #[arg(long = "matrix", value_name = "KEY=VALUE")]
    pub matrix: Vec<String>,
    /// Run up to N matrix combinations at once, each in its own pod (default 1)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(usize))]
    pub parallel: Option<usize>,
    /// After a combination fails, start no more (as the file's `fail_fast: true`)
    #[arg(long)]
    pub fail_fast: bool,
    /// The job to run, of a CI file with several (a GitHub workflow's job id)
    #[arg(long = "job", value_name = "NAME")]
    pub job: Option<String>,
    /// Read the file as this format, whatever its path and content say
    #[arg(long, value_name = "FORMAT", value_parser = clap::builder::PossibleValuesParser::new(JOB_FORMATS))]
    pub format: Option<String>,
    /// List the file's jobs and whether each can run here, and run none
    #[arg(long)]
    pub list: bool,
    /// The image a job that runs on the runner (no `container:`) runs its steps in
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Refuse a workflow whose steps use actions, instead of skipping those steps
    #[arg(long)]
    pub strict_actions: bool,
}

/// The job formats `sidepod job --format` names (`job::Format` reads each).
pub const JOB_FORMATS: [&str; 6] = ["sidepod", "github", "gitlab", "circleci", "azure", "drone"];

fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    crate::model::parse_duration(s)
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print only the names (volumes) or IDs (images)
    #[arg(short, long)]
    pub quiet: bool,
    /// Output format: a table, or one JSON object a line
    #[arg(long, value_enum, default_value_t = PsFormat::Table)]
    pub format: PsFormat,
    /// Only these services
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Do not start the services they depend on
    #[arg(long)]
    pub no_deps: bool,
    /// SERVICE=N, one or more
    #[arg(required = true, value_name = "SERVICE=N")]
    pub scale: Vec<String>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// One JSON object a line, as docker compose writes them
    #[arg(long)]
    pub json: bool,
    /// Only these services
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Also stopped containers (podman shows running ones; accepted as in Compose)
    #[arg(short, long)]
    pub all: bool,
    /// Print once and return
    #[arg(long)]
    pub no_stream: bool,
    /// Accepted as in Compose: podman never truncates names here
    #[arg(long)]
    pub no_trunc: bool,
    /// Output format: a table, or JSON
    #[arg(long, value_enum, default_value_t = PsFormat::Table)]
    pub format: PsFormat,
    /// Only these services
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Warn about images that cannot be pushed, and go on
    #[arg(long)]
    pub ignore_push_failures: bool,
    /// Also push the images of the services they depend on
    #[arg(long)]
    pub include_deps: bool,
    /// Print nothing but errors
    #[arg(short, long)]
    pub quiet: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The keys that detach (podman's default: ctrl-p,ctrl-q)
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Which replica of the service
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    /// Do not attach standard input
    #[arg(long)]
    pub no_stdin: bool,
    /// Pass the signals sidepod receives on to the container (--sig-proxy=false not)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_name = "BOOL")]
    pub sig_proxy: bool,
    pub service: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Which replica of the service
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    /// Write the archive to this file (default: standard output)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    pub service: String,
}

#[derive(Debug, Args)]
pub struct CpArgs {
    /// Which replica of the service
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    /// Accepted as in Compose: podman cp follows the source's links itself
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// Accepted as in Compose: podman keeps what it can of ownership
    #[arg(short, long)]
    pub archive: bool,
    /// SERVICE:PATH or a host path (`-` is not supported)
    pub source: String,
    /// SERVICE:PATH or a host path
    pub dest: String,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print the version number alone
    #[arg(long)]
    pub short: bool,
    /// Output format: `sidepod X`, or `{"version": "X"}`
    #[arg(short, long, value_enum, default_value_t = PsFormat::Table)]
    pub format: PsFormat,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Start the command in the background and return
    #[arg(short, long)]
    pub detach: bool,
    /// Do not allocate a terminal (default: one when stdin is a terminal)
    #[arg(short = 'T', long = "no-tty")]
    pub no_tty: bool,
    /// Set an environment variable (KEY=VALUE, or KEY to pass sidepod's own)
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Working directory inside the container
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User to run as
    #[arg(short, long)]
    pub user: Option<String>,
    /// Which replica of the service
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    /// Give the command extended privileges
    #[arg(long)]
    pub privileged: bool,
    pub service: String,
    /// The command and its arguments
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Start it in the background and print its name
    #[arg(short, long)]
    pub detach: bool,
    /// Publish a port of the container (HOST:CONTAINER, as in `ports:`; bridge mode)
    #[arg(short, long = "publish", value_name = "PORTS")]
    pub publish: Vec<String>,
    /// Publish the service's own ports, which a one-off container leaves out
    #[arg(long)]
    pub service_ports: bool,
    /// Mount a volume or host path (as in `volumes:`)
    #[arg(short, long = "volume", value_name = "VOLUME")]
    pub volume: Vec<String>,
    /// Add a label (KEY=VALUE)
    #[arg(short, long = "label", value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Add a Linux capability
    #[arg(long, value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a Linux capability
    #[arg(long, value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Give it the service's names on its networks (bridge mode)
    #[arg(long)]
    pub use_aliases: bool,
    /// Build its image first, even when it exists
    #[arg(long)]
    pub build: bool,
    /// Remove containers of services no longer in the files
    #[arg(long)]
    pub remove_orphans: bool,
    /// Keep standard input open (the default; accepted as in Compose)
    #[arg(short, long)]
    pub interactive: bool,
    /// Do not start the services it depends on
    #[arg(long)]
    pub no_deps: bool,
    /// Set an environment variable (KEY=VALUE, or KEY to pass sidepod's own)
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Override the image's entrypoint
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Working directory inside the container
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User to run as
    #[arg(short, long)]
    pub user: Option<String>,
    /// Name of the container
    #[arg(long)]
    pub name: Option<String>,
    /// Do not allocate a terminal
    #[arg(short = 'T', long = "no-tty")]
    pub no_tty: bool,
    /// Pull the image first: always, missing (not here) or never, over the service's
    /// pull_policy
    #[arg(long, value_name = "POLICY", value_parser = ["always", "missing", "never"])]
    pub pull: Option<String>,
    /// Accepted as in Compose: sidepod shows no pull or build progress
    #[arg(short, long)]
    pub quiet: bool,
    /// Accepted as in Compose: sidepod shows no build progress
    #[arg(long)]
    pub quiet_build: bool,
    /// Accepted as in Compose: sidepod shows no pull progress
    #[arg(long)]
    pub quiet_pull: bool,
    pub service: String,
    /// The command (default: the service's)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Do not use the build cache
    #[arg(long)]
    pub no_cache: bool,
    /// Pull newer base images
    #[arg(long)]
    pub pull: bool,
    /// Set a build argument (KEY=VALUE), over the file's
    #[arg(long, value_name = "KEY=VALUE")]
    pub build_arg: Vec<String>,
    /// Print nothing but errors
    #[arg(short, long)]
    pub quiet: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Warn about images that cannot be pulled, and go on
    #[arg(long)]
    pub ignore_pull_failures: bool,
    /// missing: only images that are not here; always: every image
    #[arg(long, value_enum, default_value_t = PullWhen::Always)]
    pub policy: PullWhen,
    /// Also pull the images of the services they depend on
    #[arg(long)]
    pub include_deps: bool,
    /// Leave out the services that can be built (`build:`), even when they name an
    /// image (one without `image:` is never pulled)
    #[arg(long)]
    pub ignore_buildable: bool,
    /// Print nothing but errors
    #[arg(short, long)]
    pub quiet: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PullWhen {
    Missing,
    Always,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Wait until the services are running, and healthy where they have a healthcheck
    #[arg(long)]
    pub wait: bool,
    /// Seconds `--wait` waits at most (then exit code 5)
    #[arg(long, value_name = "SECONDS")]
    pub wait_timeout: Option<u64>,
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ServicesArgs {
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Seconds to wait before killing (default: each service's stop_grace_period, or 10)
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Do not restart the services that declare `restart: true` on these
    #[arg(long)]
    pub no_deps: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait before killing (default: each service's stop_grace_period, or 10)
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Do not ask (sidepod never asks; accepted as in Compose)
    #[arg(short, long)]
    pub force: bool,
    /// Stop the containers first, when they run
    #[arg(short, long)]
    pub stop: bool,
    /// Also remove their anonymous volumes
    #[arg(short, long)]
    pub volumes: bool,
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PortArgs {
    /// tcp or udp
    #[arg(long, default_value = "tcp", value_parser = ["tcp", "udp", "sctp"])]
    pub protocol: String,
    /// Which replica of the service
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    pub service: String,
    /// The container port
    pub private_port: u16,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Output format: a table for people, or JSON (every finding, its fix and the
    /// verdict) for scripts
    #[arg(long, value_enum, default_value_t = PsFormat::Table)]
    pub format: PsFormat,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Also projects whose containers are all stopped
    #[arg(short, long)]
    pub all: bool,
    /// Print only the project names
    #[arg(short, long)]
    pub quiet: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = PsFormat::Table)]
    pub format: PsFormat,
    /// Only projects whose name holds this text (name=TEXT, repeatable)
    #[arg(long, value_name = "name=TEXT")]
    pub filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// When the first container stops, take the project down (as `down` does)
    #[arg(long)]
    pub down_project: bool,
    /// Services to wait for (default: all)
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// The signal to send
    #[arg(short, long, default_value = "SIGKILL")]
    pub signal: String,
    pub services: Vec<String>,
}

mod examples;
mod refused;
mod stack;
pub use examples::{EXAMPLES, FILES};
pub use refused::{refused, REFUSED};
pub use stack::*;
