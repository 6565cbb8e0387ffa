//! One module per command: from parsed flags to engine calls and printed results.

mod config;
mod down;
mod logs;
mod ps;
mod up;

pub use config::config;
pub use down::down;
pub use logs::logs;
pub use ps::ps;
pub use up::up;
