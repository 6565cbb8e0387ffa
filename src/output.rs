//! The one writer of stdout (results, container logs) and stderr (progress, warnings,
//! errors). Every write is one whole line, so lines from concurrent tasks never mix.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use crate::cli::Ansi;

/// Writes a command's result to stdout. A closed pipe (`sidepod config | head`) is a
/// normal end, not an error.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A line on stderr. A closed stderr loses the line; it must not end the run (cleanup
/// may still be under way).
fn to_stderr(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A warning on stderr, one line each.
pub fn warn(message: &str) {
    to_stderr(&format!("warning: {message}"));
}

/// An error report on stderr.
pub fn error(report: &str) {
    to_stderr(report);
}

const PALETTE: [&str; 6] = ["36", "33", "32", "35", "34", "91"];

/// How progress lines appear on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressStyle {
    /// One line of text each (`Container shop-db-1  Started`).
    Lines,
    /// One JSON object each, for scripts: `{"id":"Container shop-db-1","status":"Started"}`,
    /// or `{"message":"..."}` for lines of another form.
    Json,
    /// None at all.
    Quiet,
}

/// Prefixed container logs on stdout and progress on stderr, coloured on a terminal.
pub struct Output {
    color: bool,
    progress: ProgressStyle,
    lock: Mutex<()>,
}

impl Output {
    pub fn new(ansi: Ansi, progress: ProgressStyle) -> Self {
        let color = match ansi {
            Ansi::Always => true,
            Ansi::Never => false,
            Ansi::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        Output {
            color,
            progress,
            lock: Mutex::new(()),
        }
    }

    /// A progress or status line on stderr (`Container shop-db-1  Started`).
    pub fn status(&self, line: &str) {
        let line = match self.progress {
            ProgressStyle::Quiet => return,
            ProgressStyle::Lines => line.to_string(),
            ProgressStyle::Json => progress_json(line),
        };
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        to_stderr(&line);
    }

    /// One container log line: `db-1    | text`, the prefix padded to `width` and
    /// coloured by `index` on a terminal.
    pub fn log_line(&self, prefix: &str, width: usize, index: usize, text: &str) {
        let line = if self.color {
            let c = PALETTE[index % PALETTE.len()];
            format!("\x1b[{c}m{prefix:<width$} |\x1b[0m {text}\n")
        } else {
            format!("{prefix:<width$} | {text}\n")
        };
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        // A closed stdout ends the output, not the run.
        let _ = print(&line);
    }
}

/// A progress line as JSON: `Kind NAME  Status` (the form of every event about a
/// container, pod, volume or image) becomes `{"id":"Kind NAME","status":"Status"}`.
fn progress_json(line: &str) -> String {
    let event = line.split_once("  ").and_then(|(id, status)| {
        let (kind, name) = id.split_once(' ')?;
        let known = ["Container", "Pod", "Volume", "Image", "Service", "Network"];
        (known.contains(&kind) && !name.contains(' ') && !status.trim().is_empty())
            .then(|| serde_json::json!({"id": id, "status": status.trim()}))
    });
    event
        .unwrap_or_else(|| serde_json::json!({ "message": line }))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_events_become_json_objects() {
        assert_eq!(
            progress_json("Container shop-db-1  Started"),
            r#"{"id":"Container shop-db-1","status":"Started"}"#
        );
        assert_eq!(
            progress_json("Pod shop  Removed"),
            r#"{"id":"Pod shop","status":"Removed"}"#
        );
        assert_eq!(
            progress_json("db-1 exited with code 0"),
            r#"{"message":"db-1 exited with code 0"}"#
        );
        assert_eq!(
            progress_json("Container shop-db-1  Killed (SIGTERM)"),
            r#"{"id":"Container shop-db-1","status":"Killed (SIGTERM)"}"#
        );
    }
}
