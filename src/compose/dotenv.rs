//! `.env` and `env_file` parsing: `KEY=VALUE` and `KEY: VALUE` lines, `export`, quotes,
//! comments, and interpolation of unquoted and double-quoted values, as Compose reads them.
//! Kept by hand: the dotenv crates (dotenvy) read no `KEY: value` lines, and their
//! substitution and quoting rules are not compose-go's.

use indexmap::IndexMap;

use super::interpolate::Interpolator;

/// Parses env-file text. `lookup` resolves variables not defined earlier in the file.
/// Errors carry the 1-based line number.
pub fn parse_env_file(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, Option<String>>, (usize, String)> {
    let mut vars: IndexMap<String, Option<String>> = IndexMap::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, raw_line)) = lines.next() {
        let line_no = index + 1;
        let line = raw_line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        // `KEY: value` is the same as `KEY=value` (compose-go reads YAML-style lines too):
        // the key ends at the first `=` or `:`.
        let (key, rest) = match line.find(['=', ':']) {
            Some(i) => (line[..i].trim(), Some(&line[i + 1..])),
            None => (line, None),
        };
        if key.is_empty() || key.chars().any(|c| c.is_whitespace()) {
            return Err((line_no, format!("invalid variable name {key:?}")));
        }
        let Some(rest) = rest else {
            // A bare name: take it from the environment, like Compose.
            vars.insert(key.to_string(), lookup(key));
            continue;
        };
        let rest = rest.trim_start();
        // The environment wins over the file's own earlier lines, as in compose-go.
        let known = |name: &str| lookup(name).or_else(|| vars.get(name).cloned().flatten());
        let value = if let Some(body) = rest.strip_prefix('\'') {
            let (content, _) = quoted_value(body, '\'', &mut lines)
                .ok_or((line_no, "missing closing single quote".to_string()))?;
            content
        } else if let Some(body) = rest.strip_prefix('"') {
            let (content, _) = quoted_value(body, '"', &mut lines)
                .ok_or((line_no, "missing closing double quote".to_string()))?;
            let unescaped = unescape_double(&content);
            Interpolator::new(&known)
                .interpolate(&unescaped)
                .map_err(|e| (line_no, e.to_string()))?
        } else {
            let unquoted = match rest.find(" #").or_else(|| rest.find("\t#")) {
                Some(i) => &rest[..i],
                None => rest,
            };
            Interpolator::new(&known)
                .interpolate(unquoted.trim_end())
                .map_err(|e| (line_no, e.to_string()))?
        };
        vars.insert(key.to_string(), Some(value));
    }
    Ok(vars)
}

/// Reads a quoted value that may continue over several lines; returns the content and
/// whatever followed the closing quote.
fn quoted_value<'a>(
    first: &str,
    quote: char,
    lines: &mut impl Iterator<Item = (usize, &'a str)>,
) -> Option<(String, String)> {
    let mut content = String::new();
    let mut current = first.to_string();
    loop {
        if let Some(end) = closing_quote(&current, quote) {
            content.push_str(&current[..end]);
            return Some((content, current[end + 1..].to_string()));
        }
        content.push_str(&current);
        content.push('\n');
        current = lines.next()?.1.to_string();
    }
}

fn closing_quote(s: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if quote == '"' && c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        if c == quote && !escaped {
            return Some(i);
        }
        escaped = false;
    }
    None
}

fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> IndexMap<String, Option<String>> {
        let lookup = |k: &str| (k == "FROM_SHELL").then(|| "shell".to_string());
        parse_env_file(text, &lookup).unwrap()
    }

    #[test]
    fn yaml_style_lines_are_read_and_the_key_ends_at_the_first_separator() {
        let vars = parse("DB_HOST: db\nexport PORT:5432\nURL=http://db:5432\nEMPTY:\n");
        let get = |k: &str| vars.get(k).cloned().flatten();
        assert_eq!(get("DB_HOST").as_deref(), Some("db"));
        assert_eq!(get("PORT").as_deref(), Some("5432"));
        assert_eq!(get("URL").as_deref(), Some("http://db:5432"));
        assert_eq!(get("EMPTY").as_deref(), Some(""));
        let lookup = |_: &str| None;
        let bad = parse_env_file("MY KEY: x\n", &lookup).unwrap_err();
        assert_eq!(bad, (1, "invalid variable name \"MY KEY\"".to_string()));
    }

    #[test]
    fn env_file_forms() {
        let vars = parse(
            "# comment\n\
             A=1\n\
             export B = two\n\
             C='single $A'\n\
             D=\"double $A\\n\"\n\
             E=unquoted # comment\n\
             F=${A}-${FROM_SHELL}\n\
             G=\n\
             FROM_SHELL\n\
             H=\"multi\nline\"\n\
             I=a#b\n",
        );
        let get = |k: &str| vars.get(k).cloned().flatten();
        assert_eq!(get("A").as_deref(), Some("1"));
        assert_eq!(get("B").as_deref(), Some("two"));
        assert_eq!(get("C").as_deref(), Some("single $A"));
        assert_eq!(get("D").as_deref(), Some("double 1\n"));
        assert_eq!(get("E").as_deref(), Some("unquoted"));
        assert_eq!(get("F").as_deref(), Some("1-shell"));
        assert_eq!(get("G").as_deref(), Some(""));
        assert_eq!(get("FROM_SHELL").as_deref(), Some("shell"));
        assert_eq!(get("H").as_deref(), Some("multi\nline"));
        assert_eq!(get("I").as_deref(), Some("a#b"));
    }

    #[test]
    fn env_file_errors_carry_the_line() {
        let lookup = |_: &str| None;
        assert_eq!(parse_env_file("A=1\nB='open\n", &lookup).unwrap_err().0, 2);
        let (line, msg) = parse_env_file("\n\nBAD KEY=1", &lookup).unwrap_err();
        assert_eq!(line, 3);
        assert!(msg.contains("invalid variable name"));
    }
}
