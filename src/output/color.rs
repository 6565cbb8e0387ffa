//! Whether a stream gets colours, decided once for stdout and stderr alike, and the
//! styles sidepod uses.
//!
//! `--ansi always|never` decides outright. Otherwise the conventions of the terminal
//! world, read by anstyle-query: `NO_COLOR` (any value) turns colours off,
//! `CLICOLOR_FORCE` turns them on even when piped, `CLICOLOR=0` and `TERM=dumb` turn them
//! off, and what remains gets colours only on a terminal.

use std::io::IsTerminal;

use anstyle::{AnsiColor, Style};

use crate::cli::Ansi;

/// The stream a colour decision is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn is_terminal(self) -> bool {
        match self {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }
}

/// Whether `stream` gets colours under `ansi` and the environment.
pub fn enabled(ansi: Ansi, stream: Stream) -> bool {
    decide(ansi, stream.is_terminal())
}

fn decide(ansi: Ansi, terminal: bool) -> bool {
    match ansi {
        Ansi::Always => true,
        Ansi::Never => false,
        Ansi::Auto if anstyle_query::no_color() => false,
        Ansi::Auto if anstyle_query::clicolor_force() => true,
        Ansi::Auto if anstyle_query::clicolor() == Some(false) => false,
        Ansi::Auto => terminal && anstyle_query::term_supports_color(),
    }
}

/// The colours of log prefixes, one per service in turn, as docker compose cycles them.
pub const PALETTE: [AnsiColor; 6] = [
    AnsiColor::Cyan,
    AnsiColor::Yellow,
    AnsiColor::Green,
    AnsiColor::Magenta,
    AnsiColor::Blue,
    AnsiColor::BrightRed,
];

/// `text` in `style`, or as it is when colours are off.
pub fn paint(on: bool, style: Style, text: &str) -> String {
    if on {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

/// The style of a state on the progress board: green once reached, red when failed.
pub fn state_style(good: Option<bool>) -> Style {
    match good {
        Some(true) => AnsiColor::Green.on_default(),
        Some(false) => AnsiColor::Red.on_default().bold(),
        None => Style::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The environment is the process's: these cases run one after another in one test.
    #[test]
    fn the_environment_decides_auto_and_the_flag_overrides_it() {
        let clear = || {
            for k in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"] {
                std::env::remove_var(k);
            }
            std::env::set_var("TERM", "xterm-256color");
        };
        clear();
        assert!(decide(Ansi::Auto, true));
        assert!(!decide(Ansi::Auto, false), "piped output stays plain");
        std::env::set_var("NO_COLOR", "1");
        assert!(!decide(Ansi::Auto, true), "NO_COLOR");
        assert!(
            decide(Ansi::Always, false),
            "--ansi always wins over NO_COLOR"
        );
        clear();
        std::env::set_var("CLICOLOR", "0");
        assert!(!decide(Ansi::Auto, true), "CLICOLOR=0");
        clear();
        std::env::set_var("TERM", "dumb");
        assert!(!decide(Ansi::Auto, true), "TERM=dumb");
        clear();
        std::env::set_var("CLICOLOR_FORCE", "1");
        assert!(decide(Ansi::Auto, false), "CLICOLOR_FORCE colours a pipe");
        assert!(!decide(Ansi::Never, true), "--ansi never");
        clear();
    }

    #[test]
    fn paint_adds_nothing_when_colours_are_off() {
        let red = state_style(Some(false));
        assert_eq!(paint(false, red, "Error"), "Error");
        let on = paint(true, red, "Error");
        assert!(on.starts_with("\x1b[") && on.ends_with("\x1b[0m"), "{on:?}");
    }
}
