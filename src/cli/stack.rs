//! The flags of the commands that run and show a stack: `up`, `watch`, `down`, `ps`,
//! `logs`, `config` and `generate kube`.

use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Start in the background and return
    #[arg(short, long)]
    pub detach: bool,
    /// Build images of `build:` services first, even when they exist
    #[arg(long)]
    pub build: bool,
    /// Wait until the services are running, and healthy where they have a healthcheck
    #[arg(long)]
    pub wait: bool,
    /// Seconds `--wait` waits at most (then exit code 5)
    #[arg(long, value_name = "SECONDS")]
    pub wait_timeout: Option<u64>,
    /// Start only the named services, not their dependencies
    #[arg(long)]
    pub no_deps: bool,
    /// Stop everything when any container exits (not with -d)
    #[arg(long, conflicts_with = "detach")]
    pub abort_on_container_exit: bool,
    /// Stop everything when any container fails (not with -d)
    #[arg(long, conflicts_with = "detach")]
    pub abort_on_container_failure: bool,
    /// Recreate containers even when their configuration is unchanged
    #[arg(long)]
    pub force_recreate: bool,
    /// Remove containers of services that are no longer in the files
    #[arg(long)]
    pub remove_orphans: bool,
    /// Exit with this service's exit code; implies --abort-on-container-exit
    #[arg(long, value_name = "SERVICE", conflicts_with = "detach")]
    pub exit_code_from: Option<String>,
    /// Watch the services' `develop.watch` files while attached, as `watch` does
    #[arg(short = 'w', long, conflicts_with = "detach")]
    pub watch: bool,
    /// Pull images first: always, missing (not here) or never, whatever each service's
    /// pull_policy says
    #[arg(long, value_name = "POLICY", value_parser = ["always", "missing", "never"])]
    pub pull: Option<String>,
    /// Accepted as in Compose: sidepod shows no pull progress
    #[arg(long)]
    pub quiet_pull: bool,
    /// Accepted as in Compose: sidepod shows one line per build, never the build's own
    #[arg(long)]
    pub quiet_build: bool,
    /// Accepted as in Compose: sidepod never asks
    #[arg(short, long)]
    pub yes: bool,
    /// Run this many replicas of a service (SERVICE=N, repeatable), over the file's
    #[arg(long, value_name = "SERVICE=N")]
    pub scale: Vec<String>,
    /// Never build: a `build:` service whose image is missing is an error
    #[arg(long, conflicts_with = "build")]
    pub no_build: bool,
    /// Keep the containers that exist, even when their configuration changed
    #[arg(long, conflicts_with = "force_recreate")]
    pub no_recreate: bool,
    /// Show only these services' output (repeatable)
    #[arg(long, value_name = "SERVICE")]
    pub attach: Vec<String>,
    /// Do not show these services' output (repeatable)
    #[arg(long, value_name = "SERVICE")]
    pub no_attach: Vec<String>,
    /// Do not colour the log prefixes
    #[arg(long)]
    pub no_color: bool,
    /// Print the log lines alone, without the `service-1 | ` prefix
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Show each log line's timestamp
    #[arg(long)]
    pub timestamps: bool,
    /// Seconds each container gets to stop when the run ends (default: its
    /// stop_grace_period, or 10)
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Create the pod, volumes and containers, and start nothing
    #[arg(long, conflicts_with_all = ["wait", "watch"])]
    pub no_start: bool,
    /// Remove the anonymous volumes of containers that are recreated, with them
    #[arg(short = 'V', long)]
    pub renew_anon_volumes: bool,
    /// Recreate the services the others depend on, even when unchanged
    #[arg(long, conflicts_with = "no_recreate")]
    pub always_recreate_deps: bool,
    /// Services to start (with their dependencies); default: all
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Build images of `build:` services first, even when they exist
    #[arg(long)]
    pub build: bool,
    /// Never build: a `build:` service whose image is missing is an error
    #[arg(long, conflicts_with = "build")]
    pub no_build: bool,
    /// Recreate containers even when their configuration is unchanged
    #[arg(long)]
    pub force_recreate: bool,
    /// Keep the containers that exist, even when their configuration changed
    #[arg(long, conflicts_with = "force_recreate")]
    pub no_recreate: bool,
    /// Pull images first: always, missing (not here) or never
    #[arg(long, value_name = "POLICY", value_parser = ["always", "missing", "never"])]
    pub pull: Option<String>,
    /// Accepted as in Compose: sidepod shows no pull progress
    #[arg(long)]
    pub quiet_pull: bool,
    /// Remove containers of services that are no longer in the files
    #[arg(long)]
    pub remove_orphans: bool,
    /// Create this many replicas of a service (SERVICE=N, repeatable)
    #[arg(long, value_name = "SERVICE=N")]
    pub scale: Vec<String>,
    /// Accepted as in Compose: sidepod never asks
    #[arg(short, long)]
    pub yes: bool,
    /// Services to create (with their dependencies); default: all
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Do not build and start the services first: watch what runs
    #[arg(long)]
    pub no_up: bool,
    /// Remove the image a rebuild replaced (--prune=false keeps it)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_name = "BOOL")]
    pub prune: bool,
    /// Hide build output (sidepod shows one line per build, never the build's own)
    #[arg(long)]
    pub quiet: bool,
    /// Services to watch; default: every service with `develop.watch` rules
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// Also remove the project's named volumes and anonymous volumes
    #[arg(short, long)]
    pub volumes: bool,
    /// Seconds each container gets to stop (default: its stop_grace_period, or 10)
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Accepted for Compose compatibility: containers of services no longer in the files
    /// are in the pod, and go with it
    #[arg(long)]
    pub remove_orphans: bool,
    /// Also remove images: `local`, those built without an `image:` name; `all`, every
    /// service's
    #[arg(long, value_name = "TYPE", value_parser = ["local", "all"])]
    pub rmi: Option<String>,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show stopped containers too
    #[arg(short, long)]
    pub all: bool,
    /// Output format: a table, or one JSON object per container and line
    #[arg(long, value_enum, default_value_t = PsFormat::Table)]
    pub format: PsFormat,
    /// Print only the container IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Print only the service names, one per line
    #[arg(long = "services")]
    pub services_only: bool,
    /// Only containers in this state (repeatable): created, running, paused, restarting,
    /// removing, exited or dead
    #[arg(long, value_name = "STATE", value_parser = STATES)]
    pub status: Vec<String>,
    /// Only containers with this property (KEY=VALUE, repeatable); the key is `status`
    #[arg(long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Accepted as in Compose: sidepod never truncates
    #[arg(long)]
    pub no_trunc: bool,
    /// Only these services
    pub services: Vec<String>,
}

/// The container states `ps --status` takes, as docker compose names them.
pub const STATES: [&str; 7] = [
    "created",
    "running",
    "paused",
    "restarting",
    "removing",
    "exited",
    "dead",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PsFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep following new output
    #[arg(short, long)]
    pub follow: bool,
    /// Number of lines from the end of each log, or `all`
    #[arg(short = 'n', long, value_name = "N")]
    pub tail: Option<String>,
    /// Only lines before then: a timestamp (2026-01-02T15:04:05Z) or a duration ago (10m)
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Only this replica of each service
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Print the lines alone, without the `service-1 | ` prefix
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Do not colour the prefixes
    #[arg(long)]
    pub no_color: bool,
    /// Show timestamps
    #[arg(short, long)]
    pub timestamps: bool,
    /// Only lines since then: a timestamp (2026-01-02T15:04:05Z) or a duration ago (10m)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only these services
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print only the service names, one per line
    #[arg(long)]
    pub services: bool,
    /// Print only the volume names, one per line
    #[arg(long)]
    pub volumes: bool,
    /// Print only each service's image, one per line
    #[arg(long)]
    pub images: bool,
    /// Print every profile the files name, one per line
    #[arg(long)]
    pub profiles: bool,
    /// Print `SERVICE HASH` for these services (comma-separated, or `*`): the hash that
    /// decides whether `up` recreates the container
    #[arg(long, value_name = "SERVICES")]
    pub hash: Option<String>,
    /// Print the variables the files were interpolated with, KEY=VALUE
    #[arg(long)]
    pub environment: bool,
    /// Print the files merged, with their ${VARIABLES} as written
    #[arg(long)]
    pub no_interpolate: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = ConfigFormat::Yaml)]
    pub format: ConfigFormat,
    /// Only validate; print nothing
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigFormat {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct KubeArgs {
    /// Who runs the YAML: `kubernetes`, or `podman` for the form podman 4's `kube play`
    /// runs (no native sidecars: every service one of the pod's containers, started
    /// together; a job as a Pod instead of a Job)
    #[arg(long = "for", value_name = "RUNNER", value_enum, default_value_t = KubeRunner::Kubernetes)]
    pub runner: KubeRunner,
    /// What stands for a job's workspace: `empty`, `pvc:NAME` or `git:URL[#REF]`
    #[arg(long, value_name = "VOLUME", default_value = "empty")]
    pub workspace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KubeRunner {
    Kubernetes,
    Podman,
}
