//! The one writer of stdout (results, container logs) and stderr (events, warnings,
//! errors). Every write is whole lines, so lines from concurrent tasks never mix, and
//! every write has its secrets masked.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::board::Board;
use super::color::{self, Stream};
use super::{Event, StepStatus};
use crate::cli::Ansi;

/// Writes a command's result to stdout. A closed pipe (`sidepod config | head`) is a
/// normal end, not an error.
pub fn print(text: &str) -> std::io::Result<()> {
    let text = super::mask::mask(text);
    let written = super::board::around(|| {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).and_then(|_| out.flush())
    });
    match written {
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

/// How events appear on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressStyle {
    /// Plain text (`Container shop-db-1  Started`).
    Lines,
    /// The live board on a terminal; plain lines once it is closed.
    Board,
    /// One JSON object a line, for scripts (`docs/events.schema.json`).
    Json,
    /// None at all.
    Quiet,
}

/// Where the board stands: not drawn yet, drawn, or done with.
enum Live {
    NotYet,
    Open(Board),
    Closed,
}

/// The CI system whose log folds sections, known from its environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sections {
    None,
    /// `::group::` and `::endgroup::` (GitHub Actions).
    GitHub,
    /// `section_start` and `section_end` markers (GitLab CI).
    GitLab,
}

impl Sections {
    fn detect() -> Sections {
        let set = |k: &str| std::env::var(k).is_ok_and(|v| v == "true");
        if set("GITHUB_ACTIONS") {
            Sections::GitHub
        } else if set("GITLAB_CI") {
            Sections::GitLab
        } else {
            Sections::None
        }
    }

    /// The marker that opens or closes a step's section, on stdout beside its output.
    fn marker(self, event: &Event) -> Option<String> {
        let Event::Step {
            index,
            total,
            name,
            status,
            ..
        } = event
        else {
            return None;
        };
        let started = *status == StepStatus::Started;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        match (self, started) {
            (Sections::None, _) => None,
            (Sections::GitHub, true) => Some(format!("::group::Step {index}/{total}: {name}")),
            (Sections::GitHub, false) => Some("::endgroup::".into()),
            (Sections::GitLab, true) => Some(format!(
                "\x1b[0Ksection_start:{now}:sidepod_step_{index}[collapsed=false]\r\x1b[0K\
                 Step {index}/{total}: {name}"
            )),
            (Sections::GitLab, false) => Some(format!(
                "\x1b[0Ksection_end:{now}:sidepod_step_{index}\r\x1b[0K"
            )),
        }
    }
}

/// Prefixed container logs on stdout and progress on stderr, coloured as `--ansi` and
/// the environment say.
pub struct Output {
    /// Colours on stdout (log prefixes) and stderr (the board's states).
    color_out: bool,
    color_err: bool,
    progress: ProgressStyle,
    live: Mutex<Live>,
    sections: Sections,
    lock: Mutex<()>,
    /// `--no-log-prefix` and `--no-color` of `logs` and `up`.
    plain_logs: AtomicBool,
    no_log_prefix: AtomicBool,
}

impl Output {
    pub fn new(ansi: Ansi, progress: ProgressStyle) -> Self {
        Output {
            color_out: color::enabled(ansi, Stream::Stdout),
            color_err: color::enabled(ansi, Stream::Stderr),
            progress,
            live: Mutex::new(Live::NotYet),
            sections: Sections::detect(),
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
            ProgressStyle::Lines | ProgressStyle::Board => event.plain(),
            ProgressStyle::Json => event.json().to_string(),
        };
        if self.progress != ProgressStyle::Json {
            if let Some(marker) = self.sections.marker(&event) {
                let _ = print(&format!("{marker}\n"));
            }
        }
        if matches!(event, Event::Job(_) | Event::Error(_)) {
            self.close();
        } else if self.on_board(|board| board.show(&event, &text)) {
            return;
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        to_stderr(&text);
    }

    /// Runs `draw` on the board when events go to one, opening it at the first; false
    /// when they do not (any more).
    fn on_board(&self, draw: impl FnOnce(&Board)) -> bool {
        if self.progress != ProgressStyle::Board {
            return false;
        }
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*live, Live::NotYet) {
            *live = Live::Open(Board::new(self.color_err));
        }
        match &*live {
            Live::Open(board) => {
                draw(board);
                true
            }
            _ => false,
        }
    }

    /// Ends the board, leaving its last state on the screen; later events are lines.
    pub fn close(&self) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Live::Open(board) = &*live {
            board.close();
        }
        if self.progress == ProgressStyle::Board {
            *live = Live::Closed;
        }
    }

    /// A warning; in JSON, an event like the others, so that every line stays JSON.
    pub fn warn(&self, message: &str) {
        match self.progress {
            ProgressStyle::Json | ProgressStyle::Board => {
                self.emit(Event::Warning(message.to_string()))
            }
            _ => warn(message),
        }
    }

    /// A plain note for people (a matrix's progress and table); none in JSON, whose
    /// events already carry the same facts, or when quiet.
    pub fn say(&self, text: &str) {
        if matches!(self.progress, ProgressStyle::Lines | ProgressStyle::Board) {
            self.emit(Event::Notice(text.to_string()));
        }
    }

    /// The error a command ends with; in JSON, an event like the others.
    pub fn error(&self, report: &str) {
        match self.progress {
            ProgressStyle::Json => self.emit(Event::Error(report.to_string())),
            _ => {
                self.close();
                error(report)
            }
        }
    }

    /// One container log line: `db-1    | text`, the prefix padded to `width` and
    /// coloured by `index` on a terminal. The board ends where attached logs begin, as
    /// docker compose's does.
    pub fn log_line(&self, prefix: &str, width: usize, index: usize, text: &str) {
        self.log_lines(width, [(prefix, index, text)]);
    }

    /// Container log lines, each whole, written at once: a burst that is already there
    /// costs one write, not one per line.
    pub fn log_lines<'a>(
        &self,
        width: usize,
        lines: impl IntoIterator<Item = (&'a str, usize, &'a str)>,
    ) {
        if self.progress == ProgressStyle::Board {
            self.close();
        }
        let bare = self.no_log_prefix.load(Ordering::Relaxed);
        let colored = self.color_out && !self.plain_logs.load(Ordering::Relaxed);
        let mut all = String::new();
        for (prefix, index, text) in lines {
            if !bare {
                let style = color::PALETTE[index % color::PALETTE.len()].on_default();
                all.push_str(&color::paint(
                    colored,
                    style,
                    &format!("{prefix:<width$} |"),
                ));
                all.push(' ');
            }
            all.push_str(text);
            all.push('\n');
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        // A closed stdout ends the output, not the run.
        let _ = print(&all);
    }
}
