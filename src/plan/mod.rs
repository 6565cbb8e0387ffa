//! Pure planning: model → the pod, its containers and volumes, and the order of work.

mod graph;
mod kube;
mod specs;

pub use graph::{dependencies, Plan, PlanError};
pub use kube::{kube, Kube};
pub use specs::*;
