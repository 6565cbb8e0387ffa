//! Streaming container logs, prefixed (`db-1    | line`): for `up` without `-d` and for
//! `logs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{EngineError, Shutdown};
use crate::backend::{Backend, LogOptions};
use crate::output::Output;

/// A container to show, with the prefix its lines get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSource {
    pub container: String,
    pub prefix: String,
}

/// Streams the logs of `sources` until every stream ends (with `follow`, until every
/// container has stopped) or a shutdown is requested.
pub async fn stream_logs(
    backend: Arc<dyn Backend>,
    sources: &[LogSource],
    opts: &LogOptions,
    output: &Output,
    shutdown: &mut Shutdown,
) -> Result<(), EngineError> {
    let width = sources.iter().map(|s| s.prefix.len()).max().unwrap_or(0);
    let prefixes: BTreeMap<&str, (usize, &str)> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| (s.container.as_str(), (i, s.prefix.as_str())))
        .collect();
    let (tx, mut rx) = mpsc::channel(512);
    let mut tasks = JoinSet::new();
    for s in sources {
        let backend = backend.clone();
        let tx = tx.clone();
        let name = s.container.clone();
        let opts = opts.clone();
        tasks.spawn(async move { backend.logs(&name, &opts, tx).await });
    }
    drop(tx);
    loop {
        tokio::select! {
            line = rx.recv() => match line {
                Some(line) => {
                    let (index, prefix) = prefixes.get(line.container.as_str()).copied().unwrap_or((0, ""));
                    output.log_line(prefix, width, index, &line.text);
                }
                None => break,
            },
            _ = shutdown.requested() => {
                tasks.abort_all();
                return Err(EngineError::Interrupted(shutdown.signal().unwrap_or(2)));
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        if let Ok(Err(e)) = done {
            return Err(e.into());
        }
    }
    Ok(())
}
