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
    /// Compose or job file (repeatable; default: COMPOSE_FILE, then discovery)
    #[arg(short = 'f', long = "file", global = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Project name (default: COMPOSE_PROJECT_NAME, the file's `name:`, the directory)
    #[arg(short = 'p', long, global = true, value_name = "NAME")]
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
    /// Say more (repeat for more detail)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
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
    /// Validate the files and print the resolved project (or job)
    Config(ConfigArgs),
    /// Print sidepod's version
    Version,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print only the service names, one per line
    #[arg(long)]
    pub services: bool,
    /// Print only the volume names, one per line
    #[arg(long)]
    pub volumes: bool,
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
