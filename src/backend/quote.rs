//! Shell quoting for printed commands (errors, `-v`, `--dry-run`): quotes only what a
//! POSIX shell would otherwise split or expand, so commands stay readable and pasteable.
//! Kept by hand: shell-words (which splits `command:` strings) quotes every `=` too, so
//! each `--label=a=b` and `KEY=value` of podman's argv would be shown in quotes.

pub fn shell_quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-+=/:.,@%^".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

pub fn shell_join<S: AsRef<str>>(args: &[S]) -> String {
    args.iter()
        .map(|a| shell_quote(a.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(
            shell_join(&["run", "--env", "A=1 2", "x=y,z", "", "it's", "$HOME"]),
            r#"run --env 'A=1 2' x=y,z '' 'it'\''s' '$HOME'"#
        );
    }
}
