//! The one writer of stdout (results, container logs) and stderr (events, warnings,
//! errors). Every write is whole lines, so lines from concurrent tasks never mix, and
//! every write has its secrets masked.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::Event;
use crate::cli::Ansi;

/// Writes a command's result to stdout. A closed pipe (`sidepod config | head`) is a
/// normal end, not an error.
pub fn print(text: &str) -> std::io::Result<()> {
    let text = super::mask::mask(text);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A line on stderr. A closed stderr loses the line; it must not end the run (cleanup
/// may still be under way).
fn to_stderr(line: &str) {
    let line = super::mask::mask(line);
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A warning on stderr, for what comes before there is an `Output` (loading).
pub fn warn(message: &str) {
    to_stderr(&format!("warning: {message}"));
}

/// An error report on stderr.
pub fn error(report: &str) {
    to_stderr(report);
}

const PALETTE: [&str; 6] = ["36", "33", "32", "35", "34", "91"];

/// How events appear on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressStyle {
    /// Plain text (`Container shop-db-1  Started`).
    Lines,
    /// One JSON object a line, for scripts (`docs/events.schema.json`).
    Json,
    /// None at all.
    Quiet,
}

/// Prefixed container logs on stdout and progress on stderr, coloured on a terminal.
pub struct Output {
    color: bool,
    progress: ProgressStyle,
    lock: Mutex<()>,
    /// `--no-log-prefix` and `--no-color` of `logs` and `up`.
    plain_logs: AtomicBool,
    no_log_prefix: AtomicBool,
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
            plain_logs: AtomicBool::new(false),
            no_log_prefix: AtomicBool::new(false),
        }
    }

    /// How container log lines look from now on: without colour, and without the
    /// `db-1 | ` prefix.
    pub fn set_log_style(&self, no_color: bool, no_prefix: bool) {
        self.plain_logs.store(no_color, Ordering::Relaxed);
        self.no_log_prefix.store(no_prefix, Ordering::Relaxed);
    }

    /// An event on stderr, as the progress style renders it.
    pub fn emit(&self, event: Event) {
        let text = match self.progress {
            ProgressStyle::Quiet => return,
            ProgressStyle::Lines => event.plain(),
            ProgressStyle::Json => event.json().to_string(),
        };
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        to_stderr(&text);
    }

    /// A warning; in JSON, an event like the others, so that every line stays JSON.
    pub fn warn(&self, message: &str) {
        match self.progress {
            ProgressStyle::Json => self.emit(Event::Warning(message.to_string())),
            _ => warn(message),
        }
    }

    /// A plain note for people (a matrix's progress and table); none in JSON, whose
    /// events already carry the same facts, or when quiet.
    pub fn say(&self, text: &str) {
        if self.progress == ProgressStyle::Lines {
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            to_stderr(text);
        }
    }

    /// The error a command ends with; in JSON, an event like the others.
    pub fn error(&self, report: &str) {
        match self.progress {
            ProgressStyle::Json => self.emit(Event::Error(report.to_string())),
            _ => error(report),
        }
    }

    /// One container log line: `db-1    | text`, the prefix padded to `width` and
    /// coloured by `index` on a terminal.
    pub fn log_line(&self, prefix: &str, width: usize, index: usize, text: &str) {
        let line = if self.no_log_prefix.load(Ordering::Relaxed) {
            format!("{text}\n")
        } else if self.color && !self.plain_logs.load(Ordering::Relaxed) {
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
