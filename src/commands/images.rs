//! `build` and `pull`: the services' images.

use crate::app::{load_compose, stack};
use crate::cli::{BuildArgs, GlobalOptions, PullArgs, PullWhen};
use crate::engine::EngineError;
use crate::error::{exit, Error};
use crate::output;
use crate::plan::{build_spec, image_name};

pub async fn build(g: &GlobalOptions, args: &BuildArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    let stack = stack(g, project, plan)?;
    let project = &stack.project;
    EngineError::check_services(&args.services, project)?;
    for (name, service) in &project.services {
        if !args.services.is_empty() && !args.services.contains(name) {
            continue;
        }
        let Some(mut spec) = build_spec(project, service) else {
            continue;
        };
        spec.no_cache = args.no_cache;
        spec.pull = args.pull;
        for arg in &args.build_arg {
            let (k, v) = arg.split_once('=').unwrap_or((arg, ""));
            spec.args.insert(k.to_string(), v.to_string());
        }
        stack
            .output
            .status(&format!("Image {}  Building", spec.tag));
        stack.backend.build(&spec).await?;
        stack.output.status(&format!("Image {}  Built", spec.tag));
    }
    Ok(exit::SUCCESS)
}

pub async fn pull(g: &GlobalOptions, args: &PullArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    let stack = stack(g, project, plan)?;
    let project = &stack.project;
    EngineError::check_services(&args.services, project)?;
    for (name, service) in &project.services {
        let wanted = args.services.is_empty() || args.services.contains(name);
        // A service built from its own build section has nothing to pull.
        if !wanted || service.image.is_none() {
            continue;
        }
        let image = image_name(&project.name, service);
        if args.policy == PullWhen::Missing && stack.backend.image_exists(&image).await? {
            continue;
        }
        stack.output.status(&format!("Image {image}  Pulling"));
        match stack.backend.pull(&image).await {
            Ok(()) => stack.output.status(&format!("Image {image}  Pulled")),
            Err(e) if args.ignore_pull_failures => output::warn(&format!("service {name:?}: {e}")),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(exit::SUCCESS)
}
