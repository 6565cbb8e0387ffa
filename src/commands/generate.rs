//! `sidepod generate kube`: the project (or job) as Kubernetes YAML.

use crate::cli::Generate;
use crate::error::Error;
use crate::exit;
use crate::output;
use crate::session::{Loaded, Session};

pub fn generate(s: &Session, what: &Generate) -> Result<i32, Error> {
    let Generate::Kube = what;
    let loaded = s.load()?;
    let secrets = match &loaded {
        Loaded::Job { job, .. } => job.secrets.clone(),
        Loaded::Project { .. } => Vec::new(),
    };
    let (project, plan) = loaded.into_parts();
    s.warn_all(&project.warnings);
    let kube = crate::plan::kube(&project, &plan, &secrets);
    if let crate::plan::Layout::Bridge { why } = &plan.layout {
        s.output.warn(&format!(
            "sidepod runs this stack in bridge mode ({why}); the YAML is one Pod, one \
             network namespace, where those containers clash: split it into Pods and \
             Services before `podman kube play` or kubectl"
        ));
    }
    for d in &kube.dropped {
        s.output.warn(d);
    }
    output::print(&kube.yaml).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}
