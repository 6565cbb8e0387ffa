//! Runs one parsed command line: a session for it, the command, and its outcome as an
//! exit code.

use crate::cli::{Cli, Command};
use crate::commands;
use crate::engine::EngineError;
use crate::error::Error;
use crate::exit;
use crate::output;
use crate::session::Session;

/// Runs the command; prints any error; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    init_diagnostics(cli.global.verbose, cli.global.ansi);
    let session = Session::new(cli.global);
    let outcome = dispatch(&session, cli.command).await;
    session.output.close();
    match outcome {
        Ok(code) => code,
        // Stopped by a signal after cleaning up: the exit code says it all.
        Err(e @ Error::Engine(EngineError::Interrupted(_))) => e.exit_code(),
        Err(e) => {
            session.output.error(&e.report());
            e.exit_code()
        }
    }
}

/// `-v` shows what sidepod does (each podman call, with its duration); `-vv` more.
/// `RUST_LOG` overrides both.
/// Their colours obey `--ansi`, `NO_COLOR` and the rest, as all output does.
fn init_diagnostics(verbose: u8, ansi: crate::cli::Ansi) {
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
        .with_ansi(output::color::enabled(ansi, output::color::Stream::Stderr))
        .with_target(false)
        .without_time()
        .try_init();
}

async fn dispatch(s: &Session, command: Command) -> Result<i32, Error> {
    match command {
        Command::Up(args) => commands::up(s, &args).await,
        Command::Watch(args) => commands::watch(s, &args).await,
        Command::Down(args) => commands::down(s, &args).await,
        Command::Ps(args) => commands::ps(s, &args).await,
        Command::Logs(args) => commands::logs(s, &args).await,
        Command::Job(args) => commands::job(s, &args).await,
        Command::Exec(args) => commands::exec(s, &args).await,
        Command::Run(args) => commands::run(s, &args).await,
        Command::Build(args) => commands::build(s, &args).await,
        Command::Pull(args) => commands::pull(s, &args).await,
        Command::Start(args) => commands::start(s, &args).await,
        Command::Stop(args) => commands::stop(s, &args).await,
        Command::Restart(args) => commands::restart(s, &args).await,
        Command::Kill(args) => commands::kill(s, &args).await,
        Command::Wait(args) => commands::wait(s, &args).await,
        Command::Pause(args) => commands::pause(s, &args).await,
        Command::Unpause(args) => commands::unpause(s, &args).await,
        Command::Rm(args) => commands::rm(s, &args).await,
        Command::Port(args) => commands::port(s, &args).await,
        Command::Top(args) => commands::top(s, &args).await,
        Command::Ls(args) => commands::ls(s, &args).await,
        Command::Config(args) => commands::config(s, &args),
        Command::Cp(args) => commands::cp(s, &args).await,
        Command::Images(args) => commands::images(s, &args).await,
        Command::Volumes(args) => commands::volumes(s, &args).await,
        Command::Scale(args) => commands::scale(s, &args).await,
        Command::Create(args) => commands::create(s, &args).await,
        Command::Events(args) => commands::events(s, &args).await,
        Command::Stats(args) => commands::stats(s, &args).await,
        Command::Push(args) => commands::push(s, &args).await,
        Command::Attach(args) => commands::attach(s, &args).await,
        Command::Export(args) => commands::export(s, &args).await,
        Command::Generate(what) => commands::generate(s, &what),
        Command::Cache(what) => commands::cache(s, &what).await,
        Command::Doctor(a) => commands::doctor(s, &a).await,
        Command::Completions { shell } => commands::completions(shell),
        // main runs it before there is a session.
        Command::ProbeHttp(_) => Ok(exit::RUNTIME),
        Command::Version(args) => {
            let version = env!("CARGO_PKG_VERSION");
            let text = match (args.short, args.format) {
                (true, _) => format!("{version}\n"),
                (false, crate::cli::PsFormat::Json) => {
                    format!("{}\n", serde_json::json!({ "version": version }))
                }
                (false, crate::cli::PsFormat::Table) => format!("sidepod {version}\n"),
            };
            output::print(&text).map_err(Error::Output)?;
            Ok(exit::SUCCESS)
        }
    }
}
