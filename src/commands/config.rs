//! `sidepod config`: validate and print the resolved project or job.

use crate::cli::{ConfigArgs, ConfigFormat};
use crate::compose::{self, Format};
use crate::engine::EngineError;
use crate::error::Error;
use crate::exit;
use crate::job;
use crate::output;
use crate::plan::{config_hash, image_name};
use crate::session::{Session, Unplanned};

pub fn config(s: &Session, args: &ConfigArgs) -> Result<i32, Error> {
    let (loaded, refusal) = match args.no_interpolate {
        true => (Unplanned::Project(uninterpolated(s)?), None),
        false => s.load_for_config()?,
    };
    // A job's own project: the sidecars, without the main container it adds.
    let project = match &loaded {
        Unplanned::Project(project) => project,
        Unplanned::Job { job, .. } => &job.project,
    };
    s.warn_all(&project.warnings);
    s.warn_all(&refusal.into_iter().collect::<Vec<_>>());
    if args.quiet {
        return Ok(exit::SUCCESS);
    }
    let format = match args.format {
        ConfigFormat::Yaml => Format::Yaml,
        ConfigFormat::Json => Format::Json,
    };
    let text = if args.images {
        let images = project
            .services
            .values()
            .map(|s| image_name(&project.name, s));
        images.map(|i| format!("{i}\n")).collect()
    } else if args.profiles {
        lines(project.profiles.iter().map(String::as_str))
    } else if let Some(which) = &args.hash {
        let names: Vec<&str> = match which.as_str() {
            "*" => project.services.keys().map(String::as_str).collect(),
            list => list.split(',').map(str::trim).collect(),
        };
        let mut out = String::new();
        for name in names {
            let Some(service) = project.services.get(name) else {
                return Err(EngineError::no_such_service(name, project).into());
            };
            out.push_str(&format!("{name} {}\n", config_hash(service)));
        }
        out
    } else if args.environment {
        let env = compose::interpolation_environment(&s.load_options())?;
        env.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
    } else if args.services {
        let mut names: Vec<&str> = project.services.keys().map(String::as_str).collect();
        if let Unplanned::Job { job, .. } = &loaded {
            names.push(&job.container.name);
        }
        lines(names)
    } else if args.volumes {
        lines(project.volumes.keys().map(String::as_str))
    } else {
        match &loaded {
            Unplanned::Project(project) if args.no_interpolate => {
                compose::render_uninterpolated(project, format)
            }
            Unplanned::Project(project) => compose::render_project(project, format),
            Unplanned::Job { job, .. } => job::render_job(job, format),
        }
    };
    output::print(&text).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}

/// `--no-interpolate`: the merged Compose files with `${VAR}` as written; neither
/// interpolated nor planned, as docker compose shows them.
fn uninterpolated(s: &Session) -> Result<crate::model::Project, Error> {
    let opts = crate::compose::LoadOptions {
        no_interpolate: true,
        ..s.load_options()
    };
    let file = opts.files.first().map(|f| opts.working_dir.join(f));
    if file.is_some_and(|f| job::is_job_file(&f)) {
        return Err(Error::Usage(
            "config --no-interpolate shows Compose files; a job file's variables are \
             interpolated as it loads"
                .into(),
        ));
    }
    Ok(compose::load_project(&opts)?)
}

fn lines<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().map(|s| format!("{s}\n")).collect()
}
