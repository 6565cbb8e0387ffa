//! Reading the command line, with a useful message for an option of sidepod's own given
//! after the command (`sidepod ps -p web`), where docker compose users often put it.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;

use crate::cli::Cli;

/// Options that belong before the command, each with whether it takes a value.
const BEFORE_THE_COMMAND: [(&str, bool); 6] = [
    ("-p", true),
    ("--parallel", true),
    ("--project-name", true),
    ("-f", true),
    ("--file", true),
    ("--verbose", false),
];

/// The parsed command line; on an error, clap's message (and exit code 2), or for an
/// option of sidepod's own after the command, where to put it.
pub fn parse() -> Cli {
    let args: Vec<String> = std::env::args().collect();
    match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            if let Some(message) = misplaced(&e, &args).or_else(|| not_supported(&e, &args)) {
                eprintln!("error: {message}");
                std::process::exit(crate::exit::USAGE);
            }
            e.exit()
        }
    }
}

/// The message for a global option clap found after the command, with the command line
/// as it should be.
pub fn misplaced(e: &clap::Error, args: &[String]) -> Option<String> {
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let flag = arg.split('=').next().unwrap_or(arg);
    let takes_value = BEFORE_THE_COMMAND
        .iter()
        .find(|(f, _)| *f == flag)
        .map(|(_, v)| *v)?;
    let at = (args.iter()).position(|a| a == arg || a.starts_with(&format!("{flag}=")))?;
    let arg = &args[at];
    let cli = <Cli as clap::CommandFactory>::command();
    let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
    let command = args[1..at]
        .iter()
        .position(|a| names.contains(&a.as_str()))
        .map(|i| i + 1)?;
    let mut moved: Vec<String> = vec![arg.clone()];
    let value_follows = takes_value && !arg.contains('=') && at + 1 < args.len();
    if value_follows {
        moved.push(args[at + 1].clone());
    }
    let mut fixed: Vec<String> = vec!["sidepod".into()];
    fixed.extend(args[1..command].iter().cloned());
    fixed.extend(moved);
    fixed.extend(
        args[command..]
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                let i = i + command;
                i != at && !(value_follows && i == at + 1)
            })
            .map(|(_, a)| a.clone()),
    );
    Some(format!(
        "`{flag}` is an option of sidepod itself, not of `{}`: give it before the command, \
         as in\n  {}",
        args[command],
        fixed.join(" ")
    ))
}

/// The message for a docker compose command or flag that sidepod does not take: what
/// it is, and why (`cli::REFUSED`).
pub fn not_supported(e: &clap::Error, args: &[String]) -> Option<String> {
    let cli = <Cli as clap::CommandFactory>::command();
    let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
    let command = args[1..]
        .iter()
        .find(|a| {
            !a.starts_with('-')
                && (names.contains(&a.as_str()) || crate::cli::refused(a, "").is_some())
        })
        .map(String::as_str);
    match e.kind() {
        ErrorKind::InvalidSubcommand => {
            let Some(ContextValue::String(name)) = e.get(ContextKind::InvalidSubcommand) else {
                return None;
            };
            let why = crate::cli::refused(name, "")?;
            Some(format!("sidepod has no `{name}` command: {why}"))
        }
        ErrorKind::UnknownArgument => {
            let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
                return None;
            };
            let flag = arg.split('=').next().unwrap_or(arg);
            let (at, why) = match command.and_then(|c| crate::cli::refused(c, flag)) {
                Some(why) => (command.map(|c| format!("`{c}`")), why),
                None => (None, crate::cli::refused("", flag)?),
            };
            let of = at.map_or("sidepod".to_string(), |c| format!("{c} of sidepod"));
            Some(format!("`{flag}` is not supported by {of}: {why}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(line: &str) -> Option<String> {
        let args: Vec<String> = line.split(' ').map(String::from).collect();
        let e = Cli::try_parse_from(&args).unwrap_err();
        misplaced(&e, &args)
    }

    #[test]
    fn a_project_name_after_the_command_is_shown_where_it_belongs() {
        let m = message("sidepod ps -p shop -a").unwrap();
        assert!(
            m.contains("`-p` is an option of sidepod itself, not of `ps`"),
            "{m}"
        );
        assert!(m.ends_with("sidepod -p shop ps -a"), "{m}");
        let m = message("sidepod --ansi never logs --project-name=shop web").unwrap();
        assert!(
            m.ends_with("sidepod --ansi never --project-name=shop logs web"),
            "{m}"
        );
        let m = message("sidepod up -d --parallel 2").unwrap();
        assert!(m.ends_with("sidepod --parallel 2 up -d"), "{m}");
        let m = message("sidepod config --file compose.yaml").unwrap();
        assert!(m.ends_with("sidepod --file compose.yaml config"), "{m}");
    }

    #[test]
    fn a_refused_compose_flag_or_command_says_why() {
        let refused = |line: &str| {
            let args: Vec<String> = line.split(' ').map(String::from).collect();
            let e = Cli::try_parse_from(&args).unwrap_err();
            not_supported(&e, &args)
        };
        let m = refused("sidepod up -d --menu").unwrap();
        assert!(
            m.contains("`--menu` is not supported by `up`") && m.contains("Docker Desktop"),
            "{m}"
        );
        let m = refused("sidepod commit web").unwrap();
        assert!(
            m.contains("no `commit` command") && m.contains("podman commit"),
            "{m}"
        );
        let m = refused("sidepod --all-resources up").unwrap();
        assert!(m.contains("`--all-resources`"), "{m}");
        assert!(refused("sidepod ps --no-such-flag").is_none());
    }

    #[test]
    fn other_mistakes_keep_clap_s_message() {
        assert!(message("sidepod ps --no-such-flag").is_none());
    }
}
