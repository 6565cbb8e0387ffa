//! `build` and `pull`: the services' images.

use crate::cli::{BuildArgs, PullArgs, PullWhen};
use crate::engine::EngineError;
use crate::error::Error;
use crate::exit;
use crate::output::{Event, Resource, ResourceKind};
use crate::plan::{build_groups, image_name};
use crate::session::Session;

pub async fn build(s: &Session, args: &BuildArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    let project = &stack.project;
    EngineError::check_services(&args.services, project)?;
    let wanted = project
        .services
        .values()
        .filter(|s| args.services.is_empty() || args.services.contains(&s.name));
    // Services with the same build section share one build.
    for (names, mut spec) in build_groups(project, wanted) {
        crate::engine::forwards_an_agent(&names, &spec)?;
        spec.no_cache |= args.no_cache;
        spec.pull |= args.pull;
        for arg in &args.build_arg {
            let (k, v) = arg.split_once('=').unwrap_or((arg, ""));
            spec.args.insert(k.to_string(), v.to_string());
        }
        let image = |state| Event::resource(ResourceKind::Image, &spec.tag, state);
        if !args.quiet {
            stack.output.emit(image(Resource::Building));
        }
        stack.backend.build(&spec).await?;
        if !args.quiet {
            stack.output.emit(image(Resource::Built));
        }
    }
    Ok(exit::SUCCESS)
}

pub async fn pull(s: &Session, args: &PullArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    let project = &stack.project;
    EngineError::check_services(&args.services, project)?;
    let wanted = super::passthrough::with_dependencies(project, &args.services, args.include_deps);
    for (name, service) in &project.services {
        // A service built from its own build section has nothing to pull.
        if !wanted.contains(&name.as_str()) || service.image.is_none() {
            continue;
        }
        if args.ignore_buildable && service.build.is_some() {
            continue;
        }
        let image = image_name(&project.name, service);
        if args.policy == PullWhen::Missing && stack.backend.image_exists(&image).await? {
            continue;
        }
        let event = |state| Event::resource(ResourceKind::Image, &image, state);
        let say = |state| {
            if !args.quiet {
                stack.output.emit(event(state))
            }
        };
        say(Resource::Pulling);
        match stack.backend.pull(&image).await {
            Ok(()) => {
                if !stack.backend.prints_only() {
                    crate::engine::pulls::PullLog::here().record(&image);
                }
                say(Resource::Pulled)
            }
            Err(e) if args.ignore_pull_failures => {
                stack.output.warn(&format!("service {name:?}: {e}"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(exit::SUCCESS)
}
