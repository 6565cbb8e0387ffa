//! `sidepod generate kube`: the project as a Pod, or the job (and each of its matrix's
//! combinations) as a Job, in Kubernetes YAML.

use crate::cli::{Generate, KubeRunner};
use crate::error::Error;
use crate::exit;
use crate::job::{matrix, JobChoice};
use crate::output;
use crate::plan::{JobVariant, KubeTarget, Workspace};
use crate::session::{Loaded, Session};

pub fn generate(s: &Session, what: &Generate) -> Result<i32, Error> {
    let Generate::Kube(args) = what;
    let workspace = Workspace::parse(&args.workspace).map_err(Error::Usage)?;
    let target = match args.runner {
        KubeRunner::Podman => KubeTarget::Podman,
        KubeRunner::Kubernetes => KubeTarget::Kubernetes,
    };
    let matrix = match s.job_file_to_load() {
        Some(f) => matrix::read_matrix(&f, &s.display(&f), None)
            .map_err(Error::Load)?
            .map(|m| (f, m)),
        None => None,
    };
    let kube = match matrix {
        // Each combination is its own job, named by its place, as `sidepod job` runs it.
        Some((file, m)) => {
            let all: Vec<_> = m.combinations.iter().enumerate().collect();
            let name = s.load_options().project_name;
            let loaded = super::job::variants(
                s,
                Some(&file),
                name.as_deref(),
                false,
                &JobChoice::default(),
                &all,
            )?;
            let variants: Vec<JobVariant> = loaded
                .iter()
                .map(|(label, job, project, plan)| JobVariant {
                    job,
                    project,
                    plan,
                    combination: Some(label.clone()),
                })
                .collect();
            for (_, _, project, _) in &loaded {
                s.warn_all(&project.warnings);
            }
            crate::plan::kube_job(&variants, target, &workspace)
        }
        None => match s.load()? {
            Loaded::Job { job, project, plan } => {
                s.warn_all(&project.warnings);
                let variant = JobVariant {
                    job: &job,
                    project: &project,
                    plan: &plan,
                    combination: None,
                };
                crate::plan::kube_job(&[variant], target, &workspace)
            }
            Loaded::Project { project, plan } => {
                s.warn_all(&project.warnings);
                bridge_warning(s, &plan);
                if args.workspace != "empty" {
                    s.output.warn(
                        "--workspace is for a job's workspace; a Compose project has none, and \
                     it is not used",
                    );
                }
                crate::plan::kube(&project, &plan, target)
            }
        },
    };
    for d in &kube.dropped {
        s.output.warn(d);
    }
    output::print(&kube.yaml).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}

fn bridge_warning(s: &Session, plan: &crate::plan::Plan) {
    if let crate::plan::Layout::Bridge { why } = &plan.layout {
        s.output.warn(&format!(
            "sidepod runs this stack in bridge mode ({why}); the YAML is one Pod, one \
             network namespace, where those containers clash: split it into Pods and \
             Services before `podman kube play` or kubectl"
        ));
    }
}
