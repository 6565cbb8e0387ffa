//! Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`,
//! `${VAR?e}`, `${VAR:+x}`, `${VAR+x}` and `$$`, with nesting inside the words.

use std::collections::BTreeSet;

/// Why a string could not be interpolated. The caller adds file and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolationError {
    /// `${VAR:?message}` or `${VAR?message}` with VAR missing.
    Required { var: String, message: String },
    /// Not a valid template (`${`, `${VAR`, `$1`, `${VAR:x}`).
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
        let chars: Vec<char> = input.chars().collect();
        let mut out = String::with_capacity(input.len());
        let end = self.expand(&chars, 0, &mut out, false)?;
        debug_assert_eq!(end, chars.len());
        Ok(out)
    }

    /// Expands `chars[pos..]` into `out`. Inside a braced word (`nested`), stops before the
    /// `}` that closes it and returns its index; otherwise runs to the end.
    fn expand(
        &mut self,
        chars: &[char],
        mut pos: usize,
        out: &mut String,
        nested: bool,
    ) -> Result<usize, InterpolationError> {
        while pos < chars.len() {
            let c = chars[pos];
            if nested && c == '}' {
                return Ok(pos);
            }
            if c != '$' {
                out.push(c);
                pos += 1;
                continue;
            }
            match chars.get(pos + 1) {
                Some('$') => {
                    out.push('$');
                    pos += 2;
                }
                Some('{') => pos = self.braced(chars, pos + 2, out)?,
                Some(&n) if is_name_start(n) => {
                    let name_end = name_end(chars, pos + 1);
                    let name: String = chars[pos + 1..name_end].iter().collect();
                    out.push_str(&self.value_or_blank(&name));
                    pos = name_end;
                }
                Some(&other) => {
                    return Err(InterpolationError::Syntax(format!(
                        "\"${other}\" is not a variable"
                    )))
                }
                None => {
                    return Err(InterpolationError::Syntax(
                        "a lone \"$\" at the end".to_string(),
                    ))
                }
            }
        }
        if nested {
            return Err(InterpolationError::Syntax("missing closing \"}\"".into()));
        }
        Ok(pos)
    }

    /// Handles `${...}` starting just after the `{`; returns the index after the `}`.
    fn braced(
        &mut self,
        chars: &[char],
        start: usize,
        out: &mut String,
    ) -> Result<usize, InterpolationError> {
        if !chars.get(start).copied().is_some_and(is_name_start) {
            let rest: String = chars[start..].iter().take(20).collect();
            return Err(InterpolationError::Syntax(format!(
                "\"${{{rest}\" does not start with a variable name"
            )));
        }
        let name_end = name_end(chars, start);
        let name: String = chars[start..name_end].iter().collect();
        let mut pos = name_end;
        if chars.get(pos) == Some(&'}') {
            out.push_str(&self.value_or_blank(&name));
            return Ok(pos + 1);
        }
        let colon = chars.get(pos) == Some(&':');
        if colon {
            pos += 1;
        }
        let op = match chars.get(pos) {
            Some(&op @ ('-' | '?' | '+')) => op,
            Some(&other) => {
                return Err(InterpolationError::Syntax(format!(
                    "unknown modifier {:?} in \"${{{name}\"; use :-, -, :?, ?, :+ or +",
                    if colon {
                        format!(":{other}")
                    } else {
                        other.to_string()
                    }
                )))
            }
            None => {
                return Err(InterpolationError::Syntax(format!(
                    "missing closing \"}}\" in \"${{{name}\""
                )))
            }
        };
        pos += 1;
        let value = (self.lookup)(&name);
        let present = match &value {
            Some(v) => !(colon && v.is_empty()),
            None => false,
        };
        // The word is expanded only where it is used, so an unused `${X:?}` inside
        // a default does not fail, as in a shell.
        let use_word = match op {
            '-' | '?' => !present,
            _ => present,
        };
        let mut word = String::new();
        let close = if use_word {
            self.expand(chars, pos, &mut word, true)?
        } else {
            // Parsed only to find where it ends: a lookup that finds every variable keeps
            // an inner `?` from firing.
            let mut scratch = Interpolator::new(&|_| Some("set".to_string()));
            scratch.expand(chars, pos, &mut String::new(), true)?
        };
        match op {
            '-' => out.push_str(&if present {
                value.unwrap_or_default()
            } else {
                word
            }),
            '+' => out.push_str(if present { &word } else { "" }),
            _ => {
                if !present {
                    return Err(InterpolationError::Required {
                        var: name,
                        message: word,
                    });
                }
                out.push_str(&value.unwrap_or_default());
            }
        }
        Ok(close + 1)
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

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn name_end(chars: &[char], start: usize) -> usize {
    let mut end = start;
    while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_') {
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
            ("$1", "is not a variable"),
            ("cost: 5$", "lone"),
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
