//! `doctor` and `completions`: about the host and the shell, not a project.

use crate::cli::Cli;
use crate::error::Error;
use crate::output;
use crate::session::Session;

pub async fn doctor(s: &Session) -> Result<i32, Error> {
    let found = crate::doctor::examine(s.global.podman.as_deref()).await;
    output::print(&crate::doctor::render(&found)).map_err(Error::Output)?;
    Ok(crate::doctor::exit_code(&found))
}

pub fn completions(shell: clap_complete::Shell) -> Result<i32, Error> {
    let mut text = Vec::new();
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut cmd, "sidepod", &mut text);
    output::print(&String::from_utf8_lossy(&text)).map_err(Error::Output)?;
    Ok(crate::exit::SUCCESS)
}
