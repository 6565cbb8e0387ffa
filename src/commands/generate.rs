//! `sidepod generate kube`: the project (or job) as Kubernetes YAML.

use crate::cli::Generate;
use crate::error::Error;
use crate::exit;
use crate::output;
use crate::session::Session;

pub fn generate(s: &Session, what: &Generate) -> Result<i32, Error> {
    let Generate::Kube = what;
    let (project, plan) = s.load()?.into_parts();
    s.warn_all(&project.warnings);
    let kube = crate::plan::kube(&project, &plan);
    for d in &kube.dropped {
        s.output.warn(d);
    }
    output::print(&kube.yaml).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}
