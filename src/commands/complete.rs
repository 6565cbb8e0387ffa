//! Completions that know the project: the shell asks sidepod itself (clap's dynamic
//! completion, `COMPLETE=bash sidepod -- sidepod up ...`), and sidepod answers with the
//! service names and profiles of the files in the current directory, or the job names
//! of the CI file there.

use std::ffi::OsStr;

use clap::{CommandFactory, Parser};
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::{Bash, CompleteEnv, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use crate::cli::Cli;
use crate::session::{Session, Unplanned};

/// The environment variable the shell scripts set when they ask for candidates.
const VAR: &str = "COMPLETE";

/// The arguments, of any command, whose values are service names.
const SERVICE_ARGS: [&str; 5] = [
    "services",
    "service",
    "exit_code_from",
    "attach",
    "no_attach",
];

/// Answers the shell and exits when it is the shell asking (`COMPLETE` is set); else
/// returns at once.
pub fn answer_if_asked() {
    CompleteEnv::with_factory(command).var(VAR).complete();
}

/// The shell code that registers sidepod's completions, for `sidepod completions SHELL`
/// (the same as `COMPLETE=SHELL sidepod` prints).
pub fn registration(shell: clap_complete::Shell) -> String {
    let completer: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::Elvish => &Elvish,
        _ => &Powershell,
    };
    let mut text = Vec::new();
    // Writing to memory does not fail.
    let _ = completer.write_registration(VAR, "sidepod", "sidepod", "sidepod", &mut text);
    String::from_utf8_lossy(&text).into_owned()
}

/// The command line's definition, with the completers of values that come from files.
fn command() -> clap::Command {
    let mut cmd = Cli::command().mut_arg("profile", |a| a.add(ArgValueCompleter::new(profiles)));
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |sub| {
            // Every argument in its order: a changed one goes to the end of the list,
            // and positionals keep their places only when all move alike.
            let ids: Vec<String> = sub
                .get_arguments()
                .map(|a| a.get_id().to_string())
                .collect();
            ids.into_iter().fold(sub, |sub, id| {
                let serves = SERVICE_ARGS.contains(&id.as_str());
                sub.mut_arg(id, |a| match serves {
                    true => a.add(ArgValueCompleter::new(services)),
                    false => a,
                })
            })
        });
    }
    cmd.mut_subcommand("job", |job| {
        job.mut_arg("job", |a| a.add(ArgValueCompleter::new(jobs)))
    })
}

/// A session over the files the command line being completed names (`-f`, and
/// `--project-directory`), else those found here.
fn session() -> Session {
    // The shell passes the words typed so far after `--`.
    let words: Vec<String> = std::env::args().skip_while(|w| w != "--").skip(2).collect();
    // What was typed may not parse yet; then the files found here.
    let cli = Cli::try_parse_from(typed_options(&words))
        .or_else(|_| Cli::try_parse_from(["sidepod", "config"]))
        .unwrap_or_else(|_| unreachable!("a bare `sidepod config` parses"));
    let global = cli.global;
    Session::new(global)
}

/// The options of the words typed so far that say which files to read, as a command
/// line of `config`: the global `-f` and `--project-directory`, and `job`'s own `-f`.
fn typed_options(words: &[String]) -> Vec<String> {
    let mut line = vec!["sidepod".to_string()];
    let mut command: Option<&str> = None;
    let mut words = words.iter();
    while let Some(word) = words.next() {
        let files_here = command.is_none() || command == Some("job");
        match word.as_str() {
            "-f" | "--file" if files_here => {
                if let Some(file) = words.next() {
                    line.extend(["-f".to_string(), file.clone()]);
                }
            }
            "--project-directory" if command.is_none() => {
                if let Some(dir) = words.next() {
                    line.extend([word.clone(), dir.clone()]);
                }
            }
            // The other global options that take a value: skip the value.
            "-p" | "--project-name" | "--env-file" | "--profile" | "--podman" | "--ansi"
            | "--progress" | "--network"
                if command.is_none() =>
            {
                words.next();
            }
            w if command.is_none() && !w.starts_with('-') => command = Some(w),
            _ => {}
        }
    }
    line.push("config".to_string());
    line
}

/// The candidates among `names` that start with what was typed.
fn matching(current: &OsStr, names: impl IntoIterator<Item = String>) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    names
        .into_iter()
        .filter(|n| n.starts_with(typed.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

/// The project's services (a job file's sidecars and main container); none when the
/// files do not load.
fn services(current: &OsStr) -> Vec<CompletionCandidate> {
    let names = match session().load_for_config() {
        // Also those of inactive profiles: naming one starts it, as in Compose.
        Ok((Unplanned::Project(p), _)) => (p.services.keys().cloned())
            .chain(p.disabled_services.iter().cloned())
            .collect(),
        Ok((Unplanned::Job { job, .. }, _)) => {
            let mut names: Vec<String> = job.project.services.keys().cloned().collect();
            names.push(job.container.name.clone());
            names
        }
        Err(_) => Vec::new(),
    };
    matching(current, names)
}

/// Every profile the files name.
fn profiles(current: &OsStr) -> Vec<CompletionCandidate> {
    let names = match session().load_for_config() {
        Ok((Unplanned::Project(p), _)) => p.profiles,
        Ok((Unplanned::Job { job, .. }, _)) => job.project.profiles,
        Err(_) => Default::default(),
    };
    matching(current, names)
}

/// The jobs of the CI (or job) file `sidepod job` would read here.
fn jobs(current: &OsStr) -> Vec<CompletionCandidate> {
    let s = session();
    let Some(file) = s.job_file(None) else {
        return Vec::new();
    };
    let names: Vec<String> = crate::job::list_jobs(&file, &s.display(&file))
        .map(|jobs| jobs.into_iter().map(|(name, _)| name).collect())
        .unwrap_or_default();
    matching(current, names)
}

#[cfg(test)]
mod tests {
    use super::typed_options;

    fn options(line: &str) -> String {
        let words: Vec<String> = line.split(' ').map(String::from).collect();
        typed_options(&words).join(" ")
    }

    #[test]
    fn the_files_of_the_typed_line_are_read_and_nothing_else() {
        assert_eq!(
            options("-f a.yaml -p x up --no-deps"),
            "sidepod -f a.yaml config"
        );
        // After the command, -f is the command's own (`logs -f` follows)...
        assert_eq!(options("logs -f "), "sidepod config");
        // ... except for job, whose -f is its file.
        assert_eq!(options("job -f ci.yml --job "), "sidepod -f ci.yml config");
        assert_eq!(
            options("--project-directory sub --profile dev up "),
            "sidepod --project-directory sub config"
        );
    }
}
