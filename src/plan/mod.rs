//! Pure planning: model → the pod (or the project's networks), its containers and
//! volumes, and the order of work.

mod graph;
mod kube;
mod layout;
mod specs;

pub use graph::{dependencies, Plan, PlanError};
pub use kube::{kube, kube_job, JobVariant, Kube, Target as KubeTarget, Workspace};
pub use layout::{network_name, network_specs, Layout};
pub use specs::*;
