//! What the user sees: typed events from the engine, and the one writer that renders
//! them (plain lines, JSON objects or nothing) beside container logs and results.

mod board;
pub mod color;
mod event;
pub mod mask;
mod writer;

pub use event::{
    Event, HealthReport, JobReport, Readiness, Resource, ResourceKind, SidecarRow, StepRow,
    StepStatus,
};
pub use writer::{error, print, warn, Output, ProgressStyle};
