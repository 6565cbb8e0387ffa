//! Streaming container logs, prefixed (`db-1    | line`): for `up` without `-d` and for
//! `logs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{EngineError, Shutdown};
use crate::backend::{Backend, LogLine, LogOptions};
use crate::output::Output;

/// A container to show, with the prefix its lines get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSource {
    pub container: String,
    pub prefix: String,
}

/// Where each container's lines go: its prefix, padded to the widest, and its colour.
pub struct Prefixes {
    width: usize,
    by_container: BTreeMap<String, (usize, String)>,
}

impl Prefixes {
    /// From `(container, prefix)` pairs, in the order their colours are given.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Prefixes {
        let by_container: BTreeMap<String, (usize, String)> = pairs
            .into_iter()
            .enumerate()
            .map(|(i, (container, prefix))| (container.to_string(), (i, prefix.to_string())))
            .collect();
        let width = by_container
            .values()
            .map(|(_, p)| p.len())
            .max()
            .unwrap_or(0);
        Prefixes {
            width,
            by_container,
        }
    }

    /// Writes one line of a container's output.
    pub fn show(&self, output: &Output, line: &LogLine) {
        let (index, prefix) = self
            .by_container
            .get(&line.container)
            .map_or((0, ""), |(i, p)| (*i, p.as_str()));
        output.log_line(prefix, self.width, index, &line.text);
    }
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
    let prefixes = Prefixes::new(
        sources
            .iter()
            .map(|s| (s.container.as_str(), s.prefix.as_str())),
    );
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
                Some(line) => prefixes.show(output, &line),
                None => break,
            },
            _ = shutdown.requested() => {
                tasks.abort_all();
                return Err(EngineError::Interrupted(shutdown.last_signal()));
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
