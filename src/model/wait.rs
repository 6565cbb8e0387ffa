//! Wait strategies: what makes a service ready, when the file says (`x-sidepod-wait` in
//! a Compose file, `wait:` in a job file). All of a service's strategies must pass.

use std::time::Duration;

use super::HealthTest;

/// One way of knowing a service is ready, with its own time limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitStrategy {
    pub check: WaitCheck,
    /// How long it may take; without one, the run's readiness deadline, else
    /// `DEFAULT_WAIT_TIMEOUT`.
    pub timeout: Option<Duration>,
    /// How often a polled check (port, HTTP, command) is tried.
    pub interval: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitCheck {
    /// The TCP port accepts connections inside the pod.
    Port(u16),
    /// A line of the container's output matches `pattern` (a regex), `times` times.
    Log { pattern: String, times: u32 },
    /// A GET of `path` on `port`, inside the pod, answers with `status`.
    Http(HttpCheck),
    /// The command, run in the container, exits with 0.
    Command(HealthTest),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCheck {
    pub https: bool,
    pub port: u16,
    /// The path and query, from `/`.
    pub path: String,
    /// Sent as the Host header.
    pub host: String,
    pub status: u16,
}

impl WaitStrategy {
    pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(500);
    /// A strategy's limit when neither it nor the run gives one: no wait is endless.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

    /// How the summary and errors name it: `port 5432`, `log "ready"`, ...
    pub fn describe(&self) -> String {
        match &self.check {
            WaitCheck::Port(p) => format!("port {p}"),
            WaitCheck::Log { pattern, times: 1 } => format!("log {pattern:?}"),
            WaitCheck::Log { pattern, times } => format!("log {pattern:?} {times} times"),
            WaitCheck::Http(h) => format!(
                "{}://{}:{}{} answering {}",
                if h.https { "https" } else { "http" },
                h.host,
                h.port,
                h.path,
                h.status
            ),
            WaitCheck::Command(HealthTest::Cmd(argv)) => format!("command {:?}", argv.join(" ")),
            WaitCheck::Command(HealthTest::Shell(s)) => format!("command {s:?}"),
        }
    }
}
