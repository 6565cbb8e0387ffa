//! What no real Compose or job file needs, refused before it can cost time or memory:
//! files larger than a few MiB (or endless, like `/dev/zero`), flow collections nested
//! deeper than any configuration, and replica counts no host could run.

use std::io::Read;
use std::path::Path;

use super::LoadError;

/// The largest file sidepod reads: far above any Compose file.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// How deep `[` and `{` may nest; YAML parsers slow down with the square of the depth.
pub const MAX_NESTING: usize = 64;

/// The most replicas one service may ask for on one host.
pub const MAX_REPLICAS: u32 = 1000;

/// Reads at most `MAX_FILE_BYTES` from `reader`; more is an error naming `shown`.
pub fn read_limited(mut reader: impl Read, shown: &Path) -> Result<String, LoadError> {
    let mut bytes = Vec::new();
    (&mut reader)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| LoadError::Read {
            path: shown.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError::File {
            file: shown.display().to_string(),
            message: format!(
                "it is larger than {} MiB, which no Compose or job file is; give the right file",
                MAX_FILE_BYTES >> 20
            ),
        });
    }
    String::from_utf8(bytes).map_err(|e| LoadError::File {
        file: shown.display().to_string(),
        message: format!(
            "it is not UTF-8 text (byte {} is not)",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// Reads a file with `read_limited`.
pub fn read_file(path: &Path) -> Result<String, LoadError> {
    let file = std::fs::File::open(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    read_limited(file, path)
}

/// Refuses YAML whose flow collections nest deeper than `MAX_NESTING`, counted outside
/// quoted strings and comments, before the parser sees it.
pub fn check_nesting(text: &str, display: &str) -> Result<(), LoadError> {
    let (mut depth, mut line) = (0usize, 1usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = '\n';
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            comment = false;
        } else if comment {
            // Nothing in a comment counts.
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else {
            match c {
                '"' | '\'' if matches!(previous, ' ' | '[' | '{' | ',' | ':' | '\n') => {
                    quote = Some(c)
                }
                '#' if previous.is_whitespace() => comment = true,
                '[' | '{' => depth += 1,
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth > MAX_NESTING {
                return Err(LoadError::Yaml {
                    file: display.to_string(),
                    line,
                    column: 1,
                    message: format!(
                        "lists and mappings nest more than {MAX_NESTING} deep here; no \
                         configuration needs that"
                    ),
                });
            }
        }
        previous = c;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_input_stops_at_the_limit() {
        let endless = std::io::repeat(b'a');
        let err = read_limited(endless, Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("larger than 4 MiB"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_but_brackets_in_strings_and_comments_are_not() {
        let deep = "x: ".to_string() + &"[".repeat(MAX_NESTING + 1);
        let err = check_nesting(&deep, "f.yaml").unwrap_err();
        assert!(err.to_string().contains("f.yaml"), "{err}");
        let quoted = format!("x: \"{}\"\n# {}\n", "[".repeat(200), "{".repeat(200));
        assert!(check_nesting(&quoted, "f.yaml").is_ok());
        assert!(check_nesting("a: [[1, 2], {b: [3]}]", "f.yaml").is_ok());
    }
}
