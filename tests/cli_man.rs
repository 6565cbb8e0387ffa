//! One man page per command (`man/sidepod-up.1`, ...), generated from the CLI
//! definition with its EXAMPLES and FILES, as podman and git ship theirs. The pages in
//! `man/` must be what the definition generates now: after changing a command, run
//! `SIDEPOD_BLESS=1 cargo test --test cli_man` and commit the pages.

use std::collections::BTreeMap;
use std::path::Path;

use clap::{CommandFactory, Parser};
use sidepod::cli::{Cli, EXAMPLES, FILES};

/// The commands that get a page: `up`, ..., and `cache ls` for nested ones.
fn commands(cli: &clap::Command) -> Vec<(String, clap::Command)> {
    let mut all = Vec::new();
    for sub in cli.get_subcommands() {
        if sub.get_name() == "help" || sub.is_hide_set() {
            continue;
        }
        if sub.has_subcommands() {
            for nested in sub.get_subcommands().filter(|n| n.get_name() != "help") {
                all.push((
                    format!("{} {}", sub.get_name(), nested.get_name()),
                    nested.clone(),
                ));
            }
        } else {
            all.push((sub.get_name().to_string(), sub.clone()));
        }
    }
    all
}

/// Text for roff: backslashes and leading dots or quotes escaped, hyphens as minus.
fn roff(text: &str) -> String {
    let text = text.replace('\\', "\\\\").replace('-', "\\-");
    match text.chars().next() {
        Some('.') | Some('\'') => format!("\\&{text}"),
        _ => text,
    }
}

/// The page of one command.
fn page(name: &str, cmd: clap::Command) -> Vec<u8> {
    let title = format!("sidepod-{}", name.replace(' ', "-"));
    let cmd = cmd
        .display_name(title.clone())
        .bin_name(format!("sidepod {name}"));
    let man = clap_mangen::Man::new(cmd)
        .title(title.to_uppercase())
        .section("1")
        .source(format!("sidepod {}", env!("CARGO_PKG_VERSION")))
        .manual("sidepod manual");
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    man.render_synopsis_section(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    man.render_options_section(&mut out).unwrap();
    let mut text = String::from(".SH EXAMPLES\n");
    let examples = EXAMPLES.iter().find(|(n, _)| *n == name).map(|(_, e)| *e);
    for (line, what) in examples.unwrap_or_default() {
        text.push_str(&format!(".TP\n.B {}\n{}\n", roff(line), roff(what)));
    }
    text.push_str(".SH FILES\n");
    for (files, what) in FILES {
        text.push_str(&format!(".TP\n.I {}\n{}\n", roff(files), roff(what)));
    }
    text.push_str(".SH \"SEE ALSO\"\n\\fBsidepod\\fR(1), \\fBsidepod\\-job\\fR(5), \\fBsidepod\\-compose\\fR(5)\n");
    out.extend_from_slice(text.as_bytes());
    out
}

fn pages() -> BTreeMap<String, Vec<u8>> {
    let mut cli = Cli::command();
    // Global options (--profile, --dry-run, ...) appear on every command's page.
    cli.build();
    commands(&cli)
        .into_iter()
        .map(|(name, cmd)| {
            (
                format!("sidepod-{}.1", name.replace(' ', "-")),
                page(&name, cmd),
            )
        })
        .collect()
}

#[test]
fn every_command_has_its_page_as_the_cli_definition_generates_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let pages = pages();
    let bless = std::env::var("SIDEPOD_BLESS").as_deref() == Ok("1");
    let mut stale = Vec::new();
    for (file, text) in &pages {
        let path = dir.join(file);
        if bless {
            std::fs::write(&path, text).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(text.as_slice()) {
            stale.push(file.clone());
        }
    }
    // No page of a command that is gone.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        if file.starts_with("sidepod-") && file.ends_with(".1") && !pages.contains_key(&file) {
            stale.push(format!("{file} (no such command)"));
        }
    }
    assert!(
        stale.is_empty(),
        "man pages out of date: {stale:?}; run SIDEPOD_BLESS=1 cargo test --test cli_man"
    );
}

#[test]
fn every_command_has_examples_and_every_example_is_of_a_command() {
    let mut cli = Cli::command();
    cli.build();
    let names: Vec<String> = commands(&cli).into_iter().map(|(n, _)| n).collect();
    let without: Vec<&String> = names
        .iter()
        .filter(|n| !EXAMPLES.iter().any(|(e, list)| e == n && !list.is_empty()))
        .collect();
    assert!(without.is_empty(), "commands without EXAMPLES: {without:?}");
    for (name, list) in EXAMPLES {
        assert!(
            names.iter().any(|n| n == name),
            "examples of no command: {name}"
        );
        for (line, _) in *list {
            // `source <(sidepod completions bash)`: the sidepod command inside.
            let plain = line.replace("<(", "").replace(')', "");
            let words: Vec<&str> = plain.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "sidepod").expect(line);
            let given = words[at + 1..].join(" ");
            assert!(
                given.starts_with(name),
                "{line:?} is not an example of {name}"
            );
            // Each example parses as the CLI defines it.
            let argv: Vec<&str> = words[at..]
                .iter()
                .copied()
                .take_while(|w| *w != ">")
                .collect();
            if let Err(e) = Cli::try_parse_from(&argv) {
                panic!("example {line:?} does not parse: {e}");
            }
        }
    }
}

#[test]
fn the_pages_of_the_file_formats_are_there_and_cover_their_keys() {
    let man = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let job = std::fs::read_to_string(man.join("sidepod-job.5")).unwrap();
    for key in [
        "container",
        "services",
        "steps",
        "compose",
        "matrix",
        "cache",
        "secrets",
        "wait",
        "timeout",
        "ready_timeout",
        "working_dir",
        "fail_fast",
    ] {
        assert!(
            job.contains(&format!(".B {key}\n")) || job.contains(&format!("\\fB{key}:\\fR")),
            "sidepod-job(5) does not describe {key}"
        );
    }
    for format in [
        "GitHub Actions",
        "GitLab CI",
        "CircleCI",
        "Azure Pipelines",
        "Drone",
    ] {
        assert!(
            job.contains(format),
            "sidepod-job(5) does not name {format}"
        );
    }
    // sidepod-compose(5) carries the README's table of differences, row by row.
    let compose = std::fs::read_to_string(man.join("sidepod-compose.5")).unwrap();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table = readme
        .split("### Differences from docker compose")
        .nth(1)
        .unwrap();
    let rows: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("|---"))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(rows.len() >= 10, "{rows:?}");
    for row in rows {
        let what = row.split('|').nth(1).unwrap().trim().replace('`', "");
        let first = what.split([',', ';']).next().unwrap().trim();
        assert!(
            compose.contains(&roff(first)) || compose.contains(first),
            "sidepod-compose(5) lacks the difference {first:?}"
        );
    }
}
