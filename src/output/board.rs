//! The live progress board on a terminal, as docker compose draws it: a header with
//! `done/total`, then one line per pod, volume, image, container, sidecar and step, each
//! with a spinner while it is under way, its state and its elapsed time, redrawn in
//! place (indicatif draws and clears the lines).
//!
//! Lines of other kinds (notices, warnings) and whatever is written to stdout meanwhile
//! appear above the board, which stays at the bottom until the command closes it.

use std::sync::{Mutex, RwLock};
use std::time::Duration;

use indexmap::IndexMap;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::color::{paint, state_style};
use super::{Event, Resource, StepStatus};

/// The board that is drawn now, if any: what writes stdout hides it for a moment.
static LIVE: RwLock<Option<MultiProgress>> = RwLock::new(None);

/// Runs `write` (of stdout) with the live board, if any, lifted out of the way.
pub fn around<R>(write: impl FnOnce() -> R) -> R {
    let live = LIVE.read().unwrap_or_else(|e| e.into_inner()).clone();
    match live {
        Some(multi) => multi.suspend(write),
        None => write(),
    }
}

const SPINNER: &str = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ";
const STATE_WIDTH: usize = 10;

/// One line: what it is about, and how that stands.
struct Row {
    bar: ProgressBar,
    label: String,
    state: String,
    good: Option<bool>,
    busy: bool,
    /// The time the row took, frozen once it is no longer busy.
    took: Duration,
}

struct Rows {
    list: IndexMap<String, Row>,
    width: usize,
}

/// The board of one command.
pub struct Board {
    multi: MultiProgress,
    header: ProgressBar,
    color: bool,
    rows: Mutex<Rows>,
}

/// What an event makes of a row: its label, state, whether it is good, and whether it
/// is still under way. None for events that are not a row's state.
fn row_of(event: &Event) -> Option<(String, String, Option<bool>, bool)> {
    match event {
        Event::Resource { kind, name, state } => {
            let busy = matches!(
                state,
                Resource::Pulling
                    | Resource::Building
                    | Resource::Stopping
                    | Resource::Recreating(_)
                    | Resource::Waiting
            );
            let good = match state {
                Resource::Exited(code) => Some(*code == 0),
                Resource::Killed(_) => Some(false),
                _ if busy => None,
                _ => Some(true),
            };
            let label = format!("{} {name}", kind.word());
            Some((label, state.status().to_string(), good, busy))
        }
        Event::SidecarReady { service, ready, .. } => Some((
            format!("Sidecar {service}"),
            format!("Ready ({})", ready.word()),
            Some(true),
            false,
        )),
        Event::SidecarFinished { service, code } => Some((
            format!("Sidecar {service}"),
            format!("Finished ({code})"),
            Some(*code == 0),
            false,
        )),
        Event::Step {
            index,
            total,
            name,
            status,
            ..
        } => {
            let label = format!("Step {index}/{total} {name}");
            let (state, good, busy) = match status {
                StepStatus::Started => ("Running".to_string(), None, true),
                StepStatus::Passed => ("Passed".to_string(), Some(true), false),
                StepStatus::Failed(code) => (format!("Failed ({code})"), Some(false), false),
                StepStatus::TimedOut => ("Timed out".to_string(), Some(false), false),
                StepStatus::Stopped => ("Stopped".to_string(), Some(false), false),
                StepStatus::Skipped | StepStatus::NotRun => ("Skipped".to_string(), None, false),
            };
            Some((label, state, good, busy))
        }
        _ => None,
    }
}

fn busy_style() -> ProgressStyle {
    ProgressStyle::with_template(" {spinner} {msg} {secs}")
        .expect("the template is valid")
        .tick_chars(SPINNER)
        .with_key("secs", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:>5.1}s", s.elapsed().as_secs_f64());
        })
}

fn done_style() -> ProgressStyle {
    ProgressStyle::with_template(" {msg}").expect("the template is valid")
}

impl Board {
    /// A board on stderr. `color` paints the states.
    pub fn new(color: bool) -> Board {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        let header = multi.add(ProgressBar::new_spinner());
        header.set_style(done_style());
        *LIVE.write().unwrap_or_else(|e| e.into_inner()) = Some(multi.clone());
        Board {
            multi,
            header,
            color,
            rows: Mutex::new(Rows {
                list: IndexMap::new(),
                width: 0,
            }),
        }
    }

    /// Shows the event: a row's new state, or a line above the board. `text` is its
    /// plain form.
    pub fn show(&self, event: &Event, text: &str) {
        let Some((label, state, good, busy)) = row_of(event) else {
            let _ = self.multi.println(text);
            return;
        };
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        let wider = label.chars().count() > rows.width;
        rows.width = rows.width.max(label.chars().count());
        let row = match rows.list.get_mut(&label) {
            Some(row) => row,
            None => {
                let bar = self.multi.add(ProgressBar::new_spinner());
                rows.list.entry(label.clone()).or_insert(Row {
                    bar,
                    label: label.clone(),
                    state: String::new(),
                    good: None,
                    busy: false,
                    took: Duration::ZERO,
                })
            }
        };
        if busy && !row.busy {
            row.bar.reset_elapsed();
            row.bar.set_style(busy_style());
            row.bar.enable_steady_tick(Duration::from_millis(100));
        } else if !busy && row.busy {
            row.bar.disable_steady_tick();
            row.bar.set_style(done_style());
        } else if !busy {
            row.bar.set_style(done_style());
        }
        if !busy {
            row.took = row.bar.elapsed();
        }
        (row.state, row.good, row.busy) = (state, good, busy);
        let width = rows.width;
        if wider {
            for row in rows.list.values() {
                self.draw(row, width);
            }
        } else if let Some(row) = rows.list.get(&label) {
            self.draw(row, width);
        }
        self.count(&rows);
    }

    fn draw(&self, row: &Row, width: usize) {
        let state = paint(
            self.color,
            state_style(row.good),
            &format!("{:<STATE_WIDTH$}", row.state),
        );
        let label = format!("{:<width$}", row.label);
        if row.busy {
            row.bar.set_message(format!("{label}  {state}"));
        } else {
            let mark = match row.good {
                Some(false) => paint(self.color, state_style(Some(false)), "✘"),
                Some(true) => paint(self.color, state_style(Some(true)), "✔"),
                None => " ".to_string(),
            };
            row.bar.set_message(format!(
                "{mark} {label}  {state} {:>5.1}s",
                row.took.as_secs_f64()
            ));
        }
    }

    fn count(&self, rows: &Rows) {
        let done = rows.list.values().filter(|r| !r.busy).count();
        self.header
            .set_message(format!("[+] Running {done}/{}", rows.list.len()));
    }

    /// Leaves the board's last state on the screen and stops drawing it.
    pub fn close(&self) {
        let rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        self.count(&rows);
        self.header.abandon();
        for row in rows.list.values() {
            row.bar.disable_steady_tick();
            row.bar.abandon();
        }
        *LIVE.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
