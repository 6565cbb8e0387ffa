//! Compose variable interpolation, as compose-go's template package does it: `$VAR`,
//! `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`, `${VAR?e}`, `${VAR:+x}`, `${VAR+x}` and
//! `$$`. A `$` that no variable name follows stays a literal `$` (`^a$`, `$(cmd)`, `$1`).
//! A modifier's word runs to the `}` that balances the `${`, so it may hold braces
//! (`${X:-{"a":1}}`), and is itself interpolated, only where it is used.

use std::collections::BTreeSet;

/// Why a string could not be interpolated. The caller adds file and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolationError {
    /// `${VAR:?message}` or `${VAR?message}` with VAR missing.
    Required { var: String, message: String },
    /// Not a valid template (`${`, `${VAR`, `${1}`, `${VAR:x}`).
    Syntax(String),
}

impl std::fmt::Display for InterpolationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InterpolationError::Required { var, message } if message.is_empty() => {
                write!(f, "required variable {var} is missing a value")
            }
            InterpolationError::Required { var, message } => {
                write!(f, "required variable {var} is missing a value: {message}")
            }
            InterpolationError::Syntax(msg) => write!(
                f,
                "invalid interpolation format: {msg} (write a literal $ as $$)"
            ),
        }
    }
}

/// Interpolates strings against a variable lookup and remembers which variables were unset.
pub struct Interpolator<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// Variables that were used without a default and were not set.
    pub unset: BTreeSet<String>,
}

impl<'a> Interpolator<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Interpolator {
            lookup,
            unset: BTreeSet::new(),
        }
    }

    pub fn interpolate(&mut self, input: &str) -> Result<String, InterpolationError> {
        let mut out = String::with_capacity(input.len());
        let b = input.as_bytes();
        // Every byte this looks at is ASCII, so slicing at these indices keeps UTF-8 whole.
        let mut pos = 0;
        while let Some(found) = input[pos..].find('$') {
            let at = pos + found;
            out.push_str(&input[pos..at]);
            pos = match b.get(at + 1) {
                Some(b'$') => {
                    out.push('$');
                    at + 2
                }
                Some(b'{') => self.braced(input, at, &mut out)?,
                Some(&n) if is_name_start(n) => {
                    let end = name_end(b, at + 1);
                    let value = self.value_or_blank(&input[at + 1..end]);
                    out.push_str(&value);
                    end
                }
                _ => {
                    out.push('$');
                    at + 1
                }
            };
        }
        out.push_str(&input[pos..]);
        Ok(out)
    }

    /// `${...}` at `at` (the `$`); returns the index after what it consumed.
    fn braced(
        &mut self,
        s: &str,
        at: usize,
        out: &mut String,
    ) -> Result<usize, InterpolationError> {
        let b = s.as_bytes();
        let start = at + 2;
        if !b.get(start).copied().is_some_and(is_name_start) {
            let rest: String = s[start..].chars().take(20).collect();
            return Err(InterpolationError::Syntax(format!(
                "\"${{{rest}\" does not start with a variable name"
            )));
        }
        let name_end = name_end(b, start);
        let name = &s[start..name_end];
        if b.get(name_end) == Some(&b'}') {
            out.push_str(&self.value_or_blank(name));
            return Ok(name_end + 1);
        }
        let colon = b.get(name_end) == Some(&b':');
        let op_at = name_end + usize::from(colon);
        let op = match b.get(op_at) {
            Some(&op @ (b'-' | b'?' | b'+')) => op,
            Some(_) => {
                let modifier: String = s[name_end..].chars().take(2).collect();
                return Err(InterpolationError::Syntax(format!(
                    "unknown modifier {modifier:?} in \"${{{name}\"; use :-, -, :?, ?, :+ or +"
                )));
            }
            None => {
                return Err(InterpolationError::Syntax(format!(
                    "missing closing \"}}\" in \"${{{name}\""
                )))
            }
        };
        // The template reaches the last `}` of its line; the word ends at the `}` that
        // balances the `${`, and what lies between is read again as a template.
        let line_end = s[at..].find('\n').map_or(s.len(), |i| at + i);
        let Some(last) = s[at..line_end].rfind('}').map(|i| at + i) else {
            return Err(InterpolationError::Syntax(format!(
                "missing closing \"}}\" in \"${{{name}\""
            )));
        };
        let (word_end, rest) = match balancing_brace(&b[at..=last]) {
            Some(i) => (at + i, &s[at + i + 1..=last]),
            None => (last, ""),
        };
        let word = &s[op_at + 1..word_end];
        let value = (self.lookup)(name);
        let present = match &value {
            Some(v) => !(colon && v.is_empty()),
            None => false,
        };
        match op {
            b'-' if present => out.push_str(&value.unwrap_or_default()),
            b'-' => out.push_str(&self.interpolate(word)?),
            b'+' if present => out.push_str(&self.interpolate(word)?),
            b'+' => out.push_str(&value.unwrap_or_default()),
            _ if present => out.push_str(&value.unwrap_or_default()),
            _ => {
                return Err(InterpolationError::Required {
                    var: name.to_string(),
                    message: self.interpolate(word)?,
                })
            }
        }
        out.push_str(&self.interpolate(rest)?);
        Ok(last + 1)
    }

    fn value_or_blank(&mut self, name: &str) -> String {
        match (self.lookup)(name) {
            Some(v) => v,
            None => {
                self.unset.insert(name.to_string());
                String::new()
            }
        }
    }
}

/// The index of the `}` that closes the `{` at index 1, counting nested braces. As in
/// compose-go, the character after each `{` is not looked at.
fn balancing_brace(b: &[u8]) -> Option<usize> {
    let mut open = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'}' => {
                open = open.saturating_sub(1);
                if open == 0 {
                    return Some(i);
                }
            }
            b'{' => {
                open += 1;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn name_end(b: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
        end += 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn run(input: &str) -> Result<String, InterpolationError> {
        let vars: BTreeMap<&str, &str> = [
            ("SET", "value"),
            ("EMPTY", ""),
            ("NESTED", "inner"),
            ("PORT", "8080"),
        ]
        .into();
        let lookup = move |k: &str| vars.get(k).map(|v| v.to_string());
        Interpolator::new(&lookup).interpolate(input)
    }

    #[test]
    fn interpolation_table() {
        let cases = [
            ("plain", "plain"),
            ("$SET", "value"),
            ("${SET}", "value"),
            ("a${SET}b", "avalueb"),
            ("$SET-x", "value-x"),
            ("${UNSET}", ""),
            ("${UNSET:-d}", "d"),
            ("${EMPTY:-d}", "d"),
            ("${EMPTY-d}", ""),
            ("${UNSET-d}", "d"),
            ("${SET:-d}", "value"),
            ("${SET:+x}", "x"),
            ("${EMPTY:+x}", ""),
            ("${EMPTY+x}", "x"),
            ("${UNSET+x}", ""),
            ("${SET:?boom}", "value"),
            ("${EMPTY?boom}", ""),
            ("$$", "$"),
            ("$${SET}", "${SET}"),
            ("$$$SET", "$value"),
            ("${UNSET:-${NESTED}}", "inner"),
            ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
            ("${UNSET:-a}b}", "ab}"),
            ("${UNSET:-{x}", "{x"),
            ("${SET:-${UNSET:?never evaluated}}", "value"),
            ("${UNSET:-$$}", "$"),
            ("${PORT}:80", "8080:80"),
            ("${UNSET:-}", ""),
            ("é${SET}ü", "évalueü"),
            // A `$` that no name follows is kept, as compose-go keeps it.
            ("a $ string", "a $ string"),
            ("^REGEX$", "^REGEX$"),
            ("$}", "$}"),
            ("sh -c \"echo $(date)\"", "sh -c \"echo $(date)\""),
            ("$1 and 5$", "$1 and 5$"),
            // A word with braces runs to the brace that balances `${`.
            ("${UNSET:-{\"json\":2}}", "{\"json\":2}"),
            ("${SET:-{\"json\":2}}", "value"),
            ("${UNSET:-a} then ${SET}", "a then value"),
            ("${SET:+[$SET]}", "[value]"),
        ];
        for (input, want) in cases {
            assert_eq!(run(input).as_deref(), Ok(want), "input {input:?}");
        }
    }

    #[test]
    fn interpolation_errors() {
        let cases = [
            (
                "${UNSET:?please set UNSET}",
                "missing a value: please set UNSET",
            ),
            ("${EMPTY:?empty}", "required variable EMPTY"),
            ("${UNSET?}", "required variable UNSET is missing a value"),
            ("${UNSET:-${X:?inner}}", "required variable X"),
            ("${", "does not start with a variable name"),
            ("${}", "does not start with a variable name"),
            ("${SET", "missing closing"),
            ("${SET:-abc", "missing closing"),
            ("${SET:x}", "unknown modifier"),
            ("${SET*}", "unknown modifier"),
            ("${SET:-abc\n}", "missing closing"),
            ("${1abc}", "does not start with a variable name"),
        ];
        for (input, phrase) in cases {
            let err = run(input).expect_err(input).to_string();
            assert!(err.contains(phrase), "{input:?}: {err}");
        }
    }

    #[test]
    fn unset_variables_are_remembered() {
        let lookup = |_: &str| None;
        let mut i = Interpolator::new(&lookup);
        i.interpolate("${A} $B ${C:-x}").unwrap();
        assert_eq!(i.unset.into_iter().collect::<Vec<_>>(), ["A", "B"]);
    }
}
