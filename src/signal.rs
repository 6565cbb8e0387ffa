//! Signals, and the shutdown requests they make. SIGINT, SIGTERM and SIGHUP all mean
//! "stop": the first asks for a graceful stop, the second for killing what is left, the
//! third to give up on teardown and exit at once. The count is kept here, in one place;
//! the engine only asks "requested?", "escalated?", "abandoned?" beside each wait.
//!
//! Nothing here exits the process: an abandoned teardown returns, and `main` exits.

use std::sync::Arc;

use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::watch;

use crate::output::Output;

/// Which signal came last, and how many have come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Signals {
    pub count: u32,
    pub last: i32,
}

/// The receiving side: the engine `select!`s on it beside every wait.
#[derive(Clone)]
pub struct Shutdown {
    rx: watch::Receiver<Signals>,
}

/// The sending side, fed by the signal handlers (and by tests).
pub struct ShutdownTrigger {
    tx: watch::Sender<Signals>,
}

/// What the n-th stop request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    Graceful,
    Kill,
    Abandon,
}

impl Escalation {
    pub fn of(count: u32) -> Escalation {
        match count {
            0 | 1 => Escalation::Graceful,
            2 => Escalation::Kill,
            _ => Escalation::Abandon,
        }
    }

    /// What the user is told when a signal comes.
    pub fn message(self) -> &'static str {
        match self {
            Escalation::Graceful => "stopping gracefully (press Ctrl-C again to kill)",
            Escalation::Kill => "killing (press Ctrl-C again to exit at once)",
            Escalation::Abandon => "exiting at once; some containers may be left",
        }
    }
}

/// A signal handler could not be installed: better refuse to start than run a stack
/// that a Ctrl-C could not stop in order.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen for {signal}: {source}")]
pub struct SignalError {
    signal: &'static str,
    #[source]
    source: std::io::Error,
}

impl Shutdown {
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(Signals::default());
        (ShutdownTrigger { tx }, Shutdown { rx })
    }

    /// A shutdown that never comes (for work that must not be interrupted, and tests).
    pub fn never() -> Shutdown {
        // With the trigger gone, waiting for a signal pends forever.
        Shutdown::new().1
    }

    async fn at_least(&mut self, count: u32) {
        // The trigger lives as long as the process; if it is gone, nothing will come.
        if self.rx.wait_for(|s| s.count >= count).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Resolves once a graceful stop has been asked for.
    pub async fn requested(&mut self) {
        self.at_least(1).await
    }

    /// Resolves once a second request asks to kill at once.
    pub async fn escalated(&mut self) {
        self.at_least(2).await
    }

    /// Resolves once a third request asks to give up on teardown.
    pub async fn abandoned(&mut self) {
        self.at_least(3).await
    }

    pub fn is_requested(&self) -> bool {
        self.rx.borrow().count >= 1
    }

    /// The last signal received, if any.
    pub fn signal(&self) -> Option<i32> {
        let s = *self.rx.borrow();
        (s.count > 0).then_some(s.last)
    }

    /// The last signal received, or SIGINT when the stop came some other way.
    pub fn last_signal(&self) -> i32 {
        self.signal().unwrap_or(SIGINT)
    }
}

impl ShutdownTrigger {
    /// Records a signal; returns what it asks for.
    pub fn fire(&self, signal: i32) -> Escalation {
        let mut count = 0;
        self.tx.send_modify(|s| {
            s.count += 1;
            s.last = signal;
            count = s.count;
        });
        Escalation::of(count)
    }
}

pub const SIGINT: i32 = 2;
pub const SIGTERM: i32 = 15;
pub const SIGHUP: i32 = 1;

fn listen(kind: SignalKind, name: &'static str) -> Result<Signal, SignalError> {
    signal(kind).map_err(|source| SignalError {
        signal: name,
        source,
    })
}

/// Listens for SIGINT, SIGTERM and SIGHUP from now on; each one is a stop request.
pub fn install(output: Arc<Output>) -> Result<Shutdown, SignalError> {
    let (trigger, shutdown) = Shutdown::new();
    let mut int = listen(SignalKind::interrupt(), "SIGINT")?;
    let mut term = listen(SignalKind::terminate(), "SIGTERM")?;
    let mut hup = listen(SignalKind::hangup(), "SIGHUP")?;
    tokio::spawn(async move {
        loop {
            let number = tokio::select! {
                _ = int.recv() => SIGINT,
                _ = term.recv() => SIGTERM,
                _ = hup.recv() => SIGHUP,
            };
            output.warn(trigger.fire(number).message());
        }
    });
    Ok(shutdown)
}

/// While a foreground podman child owns the terminal (`exec`, `run` of a one-off), its
/// own signals are for it: sidepod stays alive, ignoring them, to pass its exit code on.
pub struct Held(#[allow(dead_code)] Vec<Signal>);

pub fn hold() -> Result<Held, SignalError> {
    Ok(Held(vec![
        listen(SignalKind::interrupt(), "SIGINT")?,
        listen(SignalKind::terminate(), "SIGTERM")?,
        listen(SignalKind::hangup(), "SIGHUP")?,
        listen(SignalKind::quit(), "SIGQUIT")?,
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_request_escalates_once() {
        let (trigger, mut shutdown) = Shutdown::new();
        assert!(!shutdown.is_requested());
        assert_eq!(trigger.fire(2), Escalation::Graceful);
        shutdown.requested().await;
        assert_eq!(shutdown.signal(), Some(2));
        let mut s2 = shutdown.clone();
        let escalated = tokio::spawn(async move { s2.escalated().await });
        tokio::task::yield_now().await;
        assert!(!escalated.is_finished());
        assert_eq!(trigger.fire(15), Escalation::Kill);
        escalated.await.unwrap();
        assert_eq!(shutdown.signal(), Some(15));
        assert_eq!(trigger.fire(1), Escalation::Abandon);
        shutdown.abandoned().await;
        assert_eq!(shutdown.last_signal(), 1);
    }

    #[tokio::test]
    async fn sighup_is_a_stop_request_like_the_others() {
        let output = Arc::new(Output::new(
            crate::cli::Ansi::Never,
            crate::output::ProgressStyle::Quiet,
        ));
        let mut shutdown = install(output).unwrap();
        // A signal at this very process, which install() now handles.
        let pid = std::process::id().to_string();
        std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), shutdown.requested())
            .await
            .expect("SIGHUP asked for a stop");
        assert_eq!(shutdown.signal(), Some(1));
    }
}
