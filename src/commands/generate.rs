//! `sidepod generate kube`: the project (or job) as Kubernetes YAML.

use crate::app::load_planned;
use crate::cli::{Generate, GlobalOptions};
use crate::error::{exit, Error};
use crate::output;

pub fn generate(g: &GlobalOptions, what: &Generate) -> Result<i32, Error> {
    let Generate::Kube = what;
    let (project, plan) = load_planned(g)?;
    for w in &project.warnings {
        output::warn(w);
    }
    let kube = crate::plan::kube(&project, &plan);
    for d in &kube.dropped {
        output::warn(d);
    }
    output::print(&kube.yaml).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}
