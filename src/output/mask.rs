//! Secret values, masked as `***` in everything sidepod writes: stdout, stderr, log
//! lines, reports and files. Registered once they are known (`--secret NAME`, a job's
//! `mask:` and its secrets), for the whole process.

use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret becomes.
pub const MASK: &str = "***";

/// Values shorter than this would mask ordinary text; they are refused with a warning.
pub const MIN_SECRET_LEN: usize = 4;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Masks `value` from now on; each of its lines too, so that a multi-line secret (a key
/// file) is masked line by line in logs. False when it is too short to mask.
pub fn add_secret(value: &str) -> bool {
    let value = value.trim_end_matches(['\n', '\r']);
    if value.len() < MIN_SECRET_LEN {
        return value.is_empty();
    }
    let mut all = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    let parts = std::iter::once(value).chain(value.lines().map(str::trim));
    for part in parts.filter(|p| p.len() >= MIN_SECRET_LEN) {
        if !all.iter().any(|s| s == part) {
            all.push(part.to_string());
        }
    }
    // The longest first, so that a secret containing another is masked whole.
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    true
}

/// The text with every secret replaced by `***`.
pub fn mask(text: &str) -> Cow<'_, str> {
    let all = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    if all.is_empty() || !all.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for s in all.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    Cow::Owned(out)
}

/// True when the text holds a secret: such a value must not go on a command line.
pub fn holds_secret(text: &str) -> bool {
    let all = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    all.iter().any(|s| text.contains(s.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_whole_line_by_line_and_short_ones_refused() {
        assert!(add_secret("hunter2-xyz"));
        assert!(add_secret("hunter2-xyz-longer"));
        assert!(add_secret(
            "-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----\n"
        ));
        assert!(!add_secret("ab"));
        assert_eq!(
            mask("token=hunter2-xyz-longer, again hunter2-xyz"),
            "token=***, again ***"
        );
        assert_eq!(mask("line: AAAABBBBCCCC"), "line: ***");
        assert_eq!(mask("ab stays"), "ab stays");
        assert!(holds_secret("x hunter2-xyz y"));
        assert!(!holds_secret("nothing here"));
    }
}
