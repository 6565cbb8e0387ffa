//! docker compose's commands and flags beside sidepod's (`tests/compose_cli.tsv`): each
//! is supported with a test that uses it, or refused with a message naming the reason;
//! the table and sidepod's CLI definition must agree both ways.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;
use sidepod::cli::{refused, Cli, REFUSED};

#[derive(Debug)]
struct Row {
    command: String,
    flag: Option<String>,
    status: String,
    test: Option<String>,
}

fn table() -> Vec<Row> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compose_cli.tsv");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert!(cells.len() >= 3, "a row needs COMMAND FLAG STATUS: {l:?}");
            Row {
                command: cells[0].to_string(),
                flag: (cells[1] != "-").then(|| cells[1].to_string()),
                status: cells[2].to_string(),
                test: cells.get(3).map(|t| t.to_string()),
            }
        })
        .collect()
}

/// sidepod's definition of a command (`GLOBAL`: the top level), built so that its
/// arguments are all there.
fn definition(command: &str) -> Option<clap::Command> {
    let mut cli = Cli::command();
    cli.build();
    match command {
        "GLOBAL" => Some(cli),
        name => cli.find_subcommand(name).cloned(),
    }
}

fn long_flags(cmd: &clap::Command, globals: bool) -> BTreeSet<String> {
    cmd.get_arguments()
        .filter(|a| globals || !a.is_global_set())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .filter(|l| l != "--help" && l != "--version")
        .collect()
}

/// The body of test `name` in tests/FILE.rs.
fn test_body(file: &str, name: &str) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/{file}.rs"));
    let src = std::fs::read_to_string(path).ok()?;
    let at = src.find(&format!("\nfn {name}()"))?;
    let before = &src[..at];
    if !before.trim_end().ends_with("#[test]") {
        return None;
    }
    let rest = &src[at..];
    let end = rest[1..].find("\n}\n").map_or(rest.len(), |e| e + 3);
    Some(rest[..end].to_string())
}

#[test]
fn every_supported_row_is_in_the_cli_and_used_by_the_test_it_names() {
    let mut wrong = Vec::new();
    for row in table().iter().filter(|r| r.status == "supported") {
        let what = format!("{} {}", row.command, row.flag.as_deref().unwrap_or(""));
        let Some(cmd) = definition(&row.command) else {
            wrong.push(format!("{what}: sidepod has no such command"));
            continue;
        };
        let arg = row.flag.as_ref().map(|f| {
            cmd.get_arguments()
                .find(|a| a.get_long().map(|l| format!("--{l}")).as_deref() == Some(f.as_str()))
        });
        if let Some(None) = arg {
            wrong.push(format!(
                "{what}: sidepod's {} has no such flag",
                row.command
            ));
            continue;
        }
        let Some((file, name)) = row.test.as_deref().and_then(|t| t.split_once("::")) else {
            wrong.push(format!("{what}: no test named"));
            continue;
        };
        let Some(body) = test_body(file, name) else {
            wrong.push(format!("{what}: no test {file}::{name}"));
            continue;
        };
        if row.command != "GLOBAL" && !body.contains(&format!("\"{}\"", row.command)) {
            wrong.push(format!("{what}: {name} does not run {}", row.command));
        }
        if let (Some(flag), Some(Some(arg))) = (&row.flag, arg) {
            let short = arg.get_short().map(|s| format!("\"-{s}\""));
            let used = body.contains(&format!("\"{flag}\""))
                || body.contains(&format!("\"{flag}="))
                || short.is_some_and(|s| body.contains(&s));
            if !used {
                wrong.push(format!("{what}: {name} does not use {flag}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "table rows that do not hold:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_refused_row_is_refused_with_its_reason() {
    let rows = table();
    for row in rows.iter().filter(|r| r.status == "refused") {
        let command = if row.command == "GLOBAL" {
            ""
        } else {
            row.command.as_str()
        };
        let flag = row.flag.as_deref().unwrap_or("");
        let why = refused(command, flag)
            .unwrap_or_else(|| panic!("{command} {flag}: refused in the table, not in REFUSED"));
        // Not in the definition: refusing is not a flag that does nothing.
        let cmd = definition(&row.command);
        if let (Some(cmd), Some(f)) = (&cmd, &row.flag) {
            assert!(
                !long_flags(cmd, true).contains(f),
                "{command} {f} is defined, yet refused"
            );
        }
        if row.flag.is_none() {
            assert!(cmd.is_none(), "{command} is defined, yet refused");
        }
        let mut args: Vec<String> = Vec::new();
        if !command.is_empty() {
            args.push(command.to_string());
        }
        if !flag.is_empty() {
            args.push(flag.to_string());
        }
        if command.is_empty() {
            args.push("ps".to_string());
        }
        let out = common::run_in(Path::new("/"), &args, &[], None);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(why),
            "{args:?} does not say why: {}",
            out.stderr
        );
    }
    for (command, flag, _) in REFUSED {
        let command = if command.is_empty() {
            "GLOBAL"
        } else {
            command
        };
        let listed = rows.iter().any(|r| {
            r.status == "refused"
                && r.command == command
                && r.flag.as_deref().unwrap_or("") == *flag
        });
        assert!(listed, "REFUSED has {command} {flag}, the table does not");
    }
}

#[test]
fn every_flag_of_the_commands_in_the_table_is_in_the_table() {
    let rows = table();
    let commands: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.status != "refused" || r.flag.is_some())
        .map(|r| r.command.as_str())
        .collect();
    let mut missing = Vec::new();
    for command in commands {
        let Some(cmd) = definition(command) else {
            continue;
        };
        for flag in long_flags(&cmd, command == "GLOBAL") {
            let listed = rows
                .iter()
                .any(|r| r.command == command && r.flag.as_deref() == Some(flag.as_str()));
            if !listed {
                missing.push(format!("{command} {flag}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "sidepod flags not in tests/compose_cli.tsv (add them as supported or extra): {missing:?}"
    );
    for row in rows.iter().filter(|r| r.status == "extra") {
        let cmd = definition(&row.command).expect(&row.command);
        let flag = row.flag.as_deref().unwrap_or_default();
        assert!(
            long_flags(&cmd, true).contains(flag),
            "extra {} {flag} is not defined",
            row.command
        );
    }
}
