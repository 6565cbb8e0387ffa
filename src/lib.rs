//! sidepod: run a main container and its sidecar services in one rootless Podman pod.
//!
//! Data flows one way: files → raw (`compose`, `job`) → `model` → `plan` → execution →
//! output.

pub mod app;
pub mod argv;
pub mod backend;
pub mod cli;
pub mod commands;
pub mod compose;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod exit;
pub mod job;
pub mod model;
pub mod output;
pub mod plan;
pub mod probe;
pub mod session;
pub mod signal;

pub use app::run;
pub use error::Error;
