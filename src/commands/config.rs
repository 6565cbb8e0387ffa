//! `sidepod config`: validate and print the resolved project or job.

use crate::app::{load, Loaded};
use crate::cli::{ConfigArgs, ConfigFormat, GlobalOptions};
use crate::compose::{self, Format};
use crate::error::{exit, Error};
use crate::job;
use crate::output;

pub fn config(g: &GlobalOptions, args: &ConfigArgs) -> Result<i32, Error> {
    let loaded = load(g)?;
    let project = match &loaded {
        Loaded::Project(p) => p,
        Loaded::Job(j) => &j.project,
    };
    for w in &project.warnings {
        output::warn(w);
    }
    if args.quiet {
        return Ok(exit::SUCCESS);
    }
    let format = match args.format {
        ConfigFormat::Yaml => Format::Yaml,
        ConfigFormat::Json => Format::Json,
    };
    let text = if args.services {
        let mut names: Vec<&str> = project.services.keys().map(String::as_str).collect();
        if let Loaded::Job(j) = &loaded {
            names.push(&j.container.name);
        }
        lines(names)
    } else if args.volumes {
        lines(project.volumes.keys().map(String::as_str))
    } else {
        match &loaded {
            Loaded::Project(p) => compose::render_project(p, format),
            Loaded::Job(j) => job::render_job(j, format),
        }
    };
    output::print(&text).map_err(Error::Output)?;
    Ok(exit::SUCCESS)
}

fn lines<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().map(|s| format!("{s}\n")).collect()
}
