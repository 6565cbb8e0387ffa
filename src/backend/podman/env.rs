//! Container variables on podman's command lines: a value that holds a secret goes by
//! name only, and podman takes it from its own environment.

use std::collections::BTreeMap;

use crate::output::mask::holds_secret;

/// `KEY=VALUE`; only `KEY` when the value holds a secret, which then reaches podman in
/// its environment (`hidden_env`), never on a command line that any user can read.
pub(super) fn env_arg(k: &str, v: &str) -> String {
    if holds_secret(v) {
        k.to_string()
    } else {
        format!("{k}={v}")
    }
}

/// The variables whose values hold a secret: for podman's own environment.
pub fn hidden_env(env: &BTreeMap<String, String>) -> Vec<(String, String)> {
    env.iter()
        .filter(|(_, v)| holds_secret(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
