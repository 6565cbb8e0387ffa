//! YAML that reads the same to Kubernetes' parsers, which follow YAML 1.1: a plain
//! `yes`, `off` or `1:30` is a string to YAML 1.2, as written, but a boolean or an
//! integer there. Such plain scalars are quoted.

/// The documents of `yaml`, with the plain scalars that YAML 1.1 would read as
/// something other than a string single-quoted. Block scalars are left as they are.
pub fn for_yaml_11(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len());
    // Inside a block scalar: the indentation its header line had.
    let mut block: Option<usize> = None;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(header) = block {
            if line.trim().is_empty() || indent > header {
                out.push_str(line);
                out.push('\n');
                continue;
            }
            block = None;
        }
        let (head, value) = split_value(line);
        if value.starts_with('|') || value.starts_with('>') {
            block = Some(indent);
        }
        out.push_str(head);
        if is_yaml_11_non_string(value) {
            out.push('\'');
            out.push_str(value);
            out.push('\'');
        } else {
            out.push_str(value);
        }
        out.push('\n');
    }
    out
}

/// A line as what comes before its scalar (`  key: `, `  - `) and the scalar.
fn split_value(line: &str) -> (&str, &str) {
    let trimmed = line.trim_start();
    let at = line.len() - trimmed.len();
    if let Some(rest) = trimmed.strip_prefix("- ") {
        let (head, value) = split_value(rest);
        let cut = at + 2 + head.len();
        return (&line[..cut], value);
    }
    // A plain key never holds ": ", a quoted value may: only the first one splits.
    if !trimmed.starts_with(['\'', '"']) {
        if let Some(pos) = trimmed.find(": ") {
            let cut = at + pos + 2;
            return (&line[..cut], &line[cut..]);
        }
    }
    (&line[..at], trimmed)
}

fn is_yaml_11_non_string(value: &str) -> bool {
    const WORDS: [&str; 16] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    WORDS.contains(&value) || is_sexagesimal(value)
}

/// YAML 1.1's base-60 numbers: `1:30`, `-2:05:00`, `1:30.5`.
fn is_sexagesimal(value: &str) -> bool {
    let digits = value.trim_start_matches(['-', '+']);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut parts = whole.split(':');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    !rest.is_empty()
        && first.starts_with(|c: char| c.is_ascii_digit())
        && first.chars().all(|c| c.is_ascii_digit() || c == '_')
        && rest.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 2
                && p.chars().all(|c| c.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n < 60)
        })
        && fraction.chars().all(|c| c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_yaml_11_reads_otherwise_are_quoted() {
        let yaml = "args:\n- --appendonly\n- yes\nenv:\n- name: FLAG\n  value: off\n- name: T\n  value: 1:30\nreadOnly: true\nport: 0.0.0.0:8000\n";
        assert_eq!(
            for_yaml_11(yaml),
            "args:\n- --appendonly\n- 'yes'\nenv:\n- name: FLAG\n  value: 'off'\n- name: T\n  value: '1:30'\nreadOnly: true\nport: 0.0.0.0:8000\n"
        );
    }

    #[test]
    fn block_scalars_and_quoted_values_stay_as_they_are() {
        let yaml = "script: |-\n  yes\n  - no\nnext: on\nq: 'yes'\n";
        assert_eq!(
            for_yaml_11(yaml),
            "script: |-\n  yes\n  - no\nnext: 'on'\nq: 'yes'\n"
        );
        assert!(!is_sexagesimal("8080"));
        assert!(!is_sexagesimal("1:75"));
        assert!(is_sexagesimal("190:20:30"));
    }
}
