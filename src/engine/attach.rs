//! Streaming container logs, prefixed (`db-1    | line`): for `up` without `-d` and for
//! `logs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc;

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

    /// Writes lines of containers' output, in one write.
    pub fn show(&self, output: &Output, lines: &[LogLine]) {
        let shown = lines.iter().map(|line| {
            let (index, prefix) = self
                .by_container
                .get(&line.container)
                .map_or((0, ""), |(i, p)| (*i, p.as_str()));
            (prefix, index, line.text.as_str())
        });
        output.log_lines(self.width, shown);
    }
}

/// `first` and the lines already waiting behind it (a burst), up to a bound: written
/// together, without waiting for more.
pub fn with_waiting(first: LogLine, rx: &mut mpsc::Receiver<LogLine>) -> Vec<LogLine> {
    let mut lines = vec![first];
    while lines.len() < BURST {
        match rx.try_recv() {
            Ok(line) => lines.push(line),
            Err(_) => break,
        }
    }
    lines
}

/// The most lines written at once.
const BURST: usize = 1024;

/// Streams the logs of `sources` until podman ends (with `follow`, until every
/// container has stopped) or a shutdown is requested: one podman process for them all.
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
    let names: Vec<String> = sources.iter().map(|s| s.container.clone()).collect();
    let follow = backend.logs_many(&names, opts, tx);
    tokio::pin!(follow);
    let mut ended = None;
    loop {
        tokio::select! {
            r = &mut follow, if ended.is_none() => ended = Some(r),
            line = rx.recv() => match line {
                Some(line) => prefixes.show(output, &with_waiting(line, &mut rx)),
                None => break,
            },
            _ = shutdown.requested() => {
                return Err(EngineError::Interrupted(shutdown.last_signal()));
            }
        }
    }
    match ended {
        Some(r) => r?,
        None => follow.await?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Stream;

    fn line(n: usize) -> LogLine {
        LogLine {
            container: "p-a-1".into(),
            stream: Stream::Stdout,
            text: n.to_string(),
        }
    }

    #[tokio::test]
    async fn a_burst_is_taken_whole_and_in_order_up_to_the_bound_without_waiting() {
        let (tx, mut rx) = mpsc::channel(4096);
        for n in 1..=BURST + 10 {
            tx.send(line(n)).await.unwrap();
        }
        let first = rx.recv().await.unwrap();
        let burst = with_waiting(first, &mut rx);
        assert_eq!(burst.len(), BURST);
        let texts: Vec<String> = burst.iter().map(|l| l.text.clone()).collect();
        assert_eq!(texts[0], "1");
        assert_eq!(texts[BURST - 1], BURST.to_string());
        // The rest comes next, and a lone line is not held back for more.
        let next = rx.recv().await.unwrap();
        assert_eq!(with_waiting(next, &mut rx).len(), 10);
        tx.send(line(0)).await.unwrap();
        let lone = rx.recv().await.unwrap();
        assert_eq!(with_waiting(lone, &mut rx).len(), 1);
    }
}
