//! `sidepod logs`: the services' output, prefixed by container.

use crate::backend::LogOptions;
use crate::cli::LogsArgs;
use crate::engine::{self, EngineError, LogSource};
use crate::error::Error;
use crate::exit;
use crate::plan::{log_prefix, COMPOSE_NUMBER, LABEL_SERVICE};
use crate::session::Session;

pub async fn logs(s: &Session, args: &LogsArgs) -> Result<i32, Error> {
    let tail = match args.tail.as_deref() {
        None | Some("all") | Some("-1") => None,
        Some(n) => Some(n.parse::<usize>().map_err(|_| {
            Error::Usage(format!(
                "--tail takes a number of lines or `all`, not {n:?}"
            ))
        })?),
    };
    let (target, backend, mut containers) = super::found::containers(s, &args.services).await?;
    let known = target.known;
    if let Some(index) = args.index {
        containers.retain(|c| c.label(COMPOSE_NUMBER).and_then(|n| n.parse().ok()) == Some(index));
    }
    s.output.set_log_style(args.no_color, args.no_log_prefix);
    let sources: Vec<LogSource> = containers
        .iter()
        .map(|c| {
            let service = c.label(LABEL_SERVICE).unwrap_or(&c.name);
            let number = c
                .label(COMPOSE_NUMBER)
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            let custom = known
                .as_ref()
                .and_then(|(p, _)| p.services.get(service))
                .and_then(|s| s.container_name.as_deref());
            LogSource {
                container: c.name.clone(),
                prefix: log_prefix(service, number, custom),
            }
        })
        .collect();
    // Pad here too: without -f the containers are shown one by one.
    let width = sources.iter().map(|s| s.prefix.len()).max().unwrap_or(0);
    let sources: Vec<LogSource> = sources
        .into_iter()
        .map(|s| LogSource {
            prefix: format!("{:<width$}", s.prefix),
            ..s
        })
        .collect();
    let opts = LogOptions {
        follow: args.follow,
        tail,
        timestamps: args.timestamps,
        since: args.since.clone(),
        until: args.until.clone(),
    };
    let output = s.output.clone();
    let mut shutdown = s.shutdown()?;
    if args.follow {
        return match engine::stream_logs(backend, &sources, &opts, &output, &mut shutdown).await {
            // Ctrl-C is how one stops following: not a failure.
            Ok(()) | Err(EngineError::Interrupted(_)) => Ok(exit::SUCCESS),
            Err(e) => Err(e.into()),
        };
    }
    // Without -f, one container after the other, so each log reads in order.
    for source in &sources {
        engine::stream_logs(
            backend.clone(),
            std::slice::from_ref(source),
            &opts,
            &output,
            &mut shutdown,
        )
        .await?;
    }
    Ok(exit::SUCCESS)
}
