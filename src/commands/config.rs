//! `sidepod config`: validate and print the resolved project or job.

use crate::cli::{ConfigArgs, ConfigFormat};
use crate::compose::{self, Format};
use crate::error::Error;
use crate::exit;
use crate::job;
use crate::output;
use crate::session::{Session, Unplanned};

pub fn config(s: &Session, args: &ConfigArgs) -> Result<i32, Error> {
    let (loaded, refusal) = s.load_for_config()?;
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
    let text = if args.services {
        let mut names: Vec<&str> = project.services.keys().map(String::as_str).collect();
        if let Unplanned::Job { job, .. } = &loaded {
            names.push(&job.container.name);
        }
        lines(names)
    } else if args.volumes {
        lines(project.volumes.keys().map(String::as_str))
    } else {
        match &loaded {
            Unplanned::Project(project) => compose::render_project(project, format),
            Unplanned::Job { job, .. } => job::render_job(job, format),
        }
    };
    output::print(&text).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}

fn lines<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().map(|s| format!("{s}\n")).collect()
}
