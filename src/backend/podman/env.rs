//! What containers and the host share, on podman's command lines: variables (a value
//! that holds a secret goes by name only, and podman takes it from its own environment)
//! and the workspace's files (given back to the user).

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

/// Inside podman's user namespace, where the user is uid 0 and what containers wrote
/// as their other users shows those uids: each such file is given back to uid 0, the
/// user. Files of other host users (shown as 65534) are left alone.
pub fn reclaim_args(dir: &std::path::Path) -> Vec<String> {
    let test = [
        "-xdev", "(", "-not", "-user", "0", "-o", "-not", "-group", "0", ")", "-not", "-user",
        "65534", "-exec", "chown", "-h", "0:0", "{}", "+",
    ];
    ["unshare", "find"]
        .into_iter()
        .map(String::from)
        .chain([dir.display().to_string()])
        .chain(test.into_iter().map(String::from))
        .collect()
}
