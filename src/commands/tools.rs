//! `doctor` and `completions`: about the host and the shell, not a project.

use crate::error::Error;
use crate::output;
use crate::session::Session;

pub async fn doctor(s: &Session) -> Result<i32, Error> {
    let found = crate::doctor::examine(s.global.podman.as_deref()).await;
    output::print(&crate::doctor::render(&found)).map_err(Error::Output)?;
    Ok(crate::doctor::exit_code(&found))
}

/// The shell code that asks sidepod for candidates as one types, so that they come from
/// the project here (service names, profiles, jobs).
pub fn completions(shell: clap_complete::Shell) -> Result<i32, Error> {
    output::print(&super::complete::registration(shell)).map_err(Error::Output)?;
    Ok(crate::exit::SUCCESS)
}
