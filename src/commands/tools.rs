//! `doctor` and `completions`: about the host and the shell, not a project.

use crate::cli::{DoctorArgs, PsFormat};
use crate::error::Error;
use crate::output;
use crate::session::Session;

pub async fn doctor(s: &Session, a: &DoctorArgs) -> Result<i32, Error> {
    let found = crate::doctor::examine(s.global.podman.as_deref()).await;
    let shown = match a.format {
        PsFormat::Json => crate::doctor::render_json(&found),
        _ => crate::doctor::render(&found),
    };
    output::print(&shown).map_err(Error::Output)?;
    Ok(crate::doctor::exit_code(&found))
}

/// The shell code that asks sidepod for candidates as one types, so that they come from
/// the project here (service names, profiles, jobs).
pub fn completions(shell: clap_complete::Shell) -> Result<i32, Error> {
    output::print(&super::complete::registration(shell)).map_err(Error::Output)?;
    Ok(crate::exit::SUCCESS)
}
