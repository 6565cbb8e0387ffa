//! The man page documents every command and every global option the CLI has.

use clap::CommandFactory;
use sidepod::cli::Cli;

fn man_page() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/man/sidepod.1")).unwrap()
}

#[test]
fn the_man_page_has_every_command_and_global_option() {
    let man = man_page();
    let cli = Cli::command();
    let mut missing = Vec::new();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        // Hidden ones are sidepod's own helpers, not commands for users.
        if name == "help" || sub.is_hide_set() {
            continue;
        }
        let names: Vec<String> = if sub.has_subcommands() {
            sub.get_subcommands()
                .map(|s| format!("{name} {}", s.get_name()))
                .collect()
        } else {
            vec![name.to_string()]
        };
        for n in names {
            if !man
                .lines()
                .any(|l| l == format!(".B {n}") || l.starts_with(&format!(".B {n} ")))
            {
                missing.push(format!("command {n}"));
            }
        }
    }
    for arg in cli.get_arguments() {
        if let Some(long) = arg.get_long() {
            if long == "help" || long == "version" {
                continue;
            }
            let escaped = format!("\\-\\-{}", long.replace('-', "\\-"));
            if !man.contains(&escaped) {
                missing.push(format!("option --{long}"));
            }
        }
    }
    assert!(missing.is_empty(), "man/sidepod.1 lacks: {missing:?}");
}
