//! One module per command: from parsed flags to engine calls and printed results.

mod cache;
pub mod complete;
mod config;
mod control;
mod cp;
mod down;
mod exec;
mod found;
mod generate;
mod images;
mod job;
mod listing;
mod logs;
mod ls;
mod passthrough;
mod ps;
mod tools;
mod up;

pub use cache::cache;
pub use config::config;
pub use control::{kill, pause, port, restart, rm, start, stop, top, unpause, wait};
pub use cp::cp;
pub use down::down;
pub use exec::{exec, run};
pub use generate::generate;
pub use images::{build, pull};
pub use job::job;
pub use listing::{images, volumes};
pub use logs::logs;
pub use ls::ls;
pub use passthrough::{attach, events, export, push, stats};
pub use ps::ps;
pub use tools::{completions, doctor};
pub use up::{create, scale, up, watch};
