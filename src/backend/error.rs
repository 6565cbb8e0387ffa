//! `BackendError`: a podman call that could not run, or failed.

use std::path::PathBuf;

/// What installs podman and the helpers rootless podman needs: the one hint that every
/// message gives, right for Debian, Ubuntu, Fedora and RHEL (whose podman package
/// brings its helpers).
pub const INSTALL_PODMAN: &str = "Debian/Ubuntu: `apt-get install podman uidmap \
                                  slirp4netns catatonit`; Fedora/RHEL: `dnf install podman`";

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("podman was not found{}; install it ({INSTALL_PODMAN}) or give its path with --podman, then run `sidepod doctor`", searched.as_ref().map(|p| format!(" at {}", p.display())).unwrap_or_default())]
    NotFound { searched: Option<PathBuf> },
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// A podman command exited non-zero: its argv, status and trimmed stderr.
    #[error("`{}` failed (exit {}): {stderr}", super::shell_join(argv), status.map_or("signal".to_string(), |s| s.to_string()))]
    Command {
        argv: Vec<String>,
        status: Option<i32>,
        stderr: String,
    },
    #[error("cannot read the output of `{}`: {message}", super::shell_join(argv))]
    Output { argv: Vec<String>, message: String },
}

impl BackendError {
    /// True when podman is missing, cannot start at all, or failed in a way that the
    /// host's setup explains (a host problem, exit code 4).
    pub fn is_host_problem(&self) -> bool {
        matches!(
            self,
            BackendError::NotFound { .. } | BackendError::Spawn { .. }
        ) || self.host_fix().is_some()
    }

    /// True when podman refused to create something because it exists already (another
    /// sidepod made it a moment before: two runs of one project at once).
    pub fn already_exists(&self) -> bool {
        match self {
            BackendError::Command { stderr, .. } => {
                stderr.contains("already exists") || stderr.contains("already in use")
            }
            _ => false,
        }
    }

    /// True when podman could not act on a pod or container because it is not there
    /// (any more).
    pub fn already_gone(&self) -> bool {
        match self {
            BackendError::Command { stderr, .. } => is_already_gone(stderr),
            _ => false,
        }
    }

    /// What fixes the host, when podman's message is one of the known host problems.
    pub fn host_fix(&self) -> Option<HostFix> {
        match self {
            BackendError::Command { stderr, .. } => diagnose(stderr),
            _ => None,
        }
    }
}

/// A known podman failure that comes from how the host is set up, and what fixes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostFix {
    pub problem: &'static str,
    pub fix: &'static str,
}

/// Each known problem: the phrases of podman's (or its runtime's) message that tell it,
/// any one of which is enough, and the fix.
const KNOWN: &[(&[&str], HostFix)] = &[
    (
        &["cgroups in hybrid mode not supported"],
        HostFix {
            problem: "crun cannot run containers on this host's mixed cgroup setup",
            fix: "install runc and set `[engine] runtime = \"runc\"` in \
                  /etc/containers/containers.conf (for one user: \
                  ~/.config/containers/containers.conf)",
        },
    ),
    (
        &["error setting rlimit", "setrlimit"],
        HostFix {
            problem: "podman's default open-file and process limits cannot be set here",
            fix: "set `[containers] default_ulimits = [\"nofile=1024:1024\", \
                  \"nproc=4096:4096\"]` in /etc/containers/containers.conf",
        },
    ),
    (
        &[
            "newuidmap",
            "newgidmap",
            "not enough IDs available",
            "no subuid ranges found",
            "no subgid ranges found",
        ],
        HostFix {
            problem: "rootless podman has no subordinate user and group IDs to map",
            fix: "install uidmap, and give the user 65536 subordinate IDs that overlap no \
                  other user's (`sidepod doctor` names a free range and the usermod \
                  command), then run `podman system migrate`",
        },
    ),
    (
        &["potentially insufficient UIDs or GIDs"],
        HostFix {
            problem: "the image has files owned by IDs beyond the user's subordinate range",
            fix: "give the user at least 65536 subordinate user and group IDs (`sidepod \
                  doctor` names a free range), then run `podman system migrate`",
        },
    ),
    (
        &["the path in $XDG_RUNTIME_DIR must be writable by the user"],
        HostFix {
            problem: "XDG_RUNTIME_DIR names a directory this user cannot write",
            fix: "unset XDG_RUNTIME_DIR, or point it at a directory of the user's (as \
                  root, `loginctl enable-linger USER` makes /run/user/UID)",
        },
    ),
    (
        &["try resetting the pause process"],
        HostFix {
            problem: "rootless podman's pause process is gone while its containers' state \
                      says they still run (their processes were killed without a reboot)",
            fix: "run `podman system migrate`: it marks those containers stopped and \
                  starts the pause process afresh",
        },
    ),
    (
        &["/dev/net/tun"],
        HostFix {
            problem: "slirp4netns cannot open /dev/net/tun for rootless networking",
            fix: "as root: `modprobe tun` if /dev/net/tun is missing, then \
                  `chmod 0666 /dev/net/tun`",
        },
    ),
    (
        &[
            "could not find slirp4netns",
            "\"slirp4netns\": executable file not found",
        ],
        HostFix {
            problem: "slirp4netns, which rootless pods need for their network, is missing",
            fix: "install slirp4netns (Debian/Ubuntu: `apt-get install slirp4netns`; \
                  Fedora/RHEL: `dnf install slirp4netns`, or passt for pasta)",
        },
    ),
    (
        &["catatonit"],
        HostFix {
            problem: "catatonit, which podman needs for a pod's infra container, is missing",
            fix: "install catatonit (Debian/Ubuntu: `apt-get install catatonit`; \
                  Fedora/RHEL: `dnf install catatonit`)",
        },
    ),
    (
        &["pause containers on rootless containers with cgroup V1"],
        HostFix {
            problem: "rootless containers cannot be paused on a cgroups v1 host",
            fix: "boot the host with cgroups v2 (systemd.unified_cgroup_hierarchy=1 on \
                  the kernel command line), or run the stack rootful",
        },
    ),
    (
        &[
            "default OCI runtime",
            "no valid executable found for OCI runtime",
        ],
        HostFix {
            problem: "podman's OCI runtime is not installed",
            fix: "install runc (or crun) and name it in containers.conf: \
                  `[engine] runtime = \"runc\"`",
        },
    ),
];

/// Recognises a host problem in a podman error message.
pub fn diagnose(stderr: &str) -> Option<HostFix> {
    KNOWN
        .iter()
        .find(|(phrases, _)| phrases.iter().any(|p| stderr.contains(p)))
        .map(|(_, fix)| *fix)
}

/// podman's word for a pod or container that is not there.
pub fn is_already_gone(stderr: &str) -> bool {
    stderr.contains("no such pod") || stderr.contains("no such container")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_host_problems_are_recognised_in_podmans_messages() {
        // As podman 4.3 (with runc or crun) prints them.
        let cases = [
            (
                "Error: OCI runtime error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2",
                "mixed cgroup",
            ),
            (
                "Error: runc: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted: OCI permission denied",
                "limits",
            ),
            (
                "Error: crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted: OCI permission denied",
                "limits",
            ),
            (
                "Error: cannot set up namespace using \"/usr/bin/newuidmap\": exit status 1",
                "subordinate",
            ),
            (
                "Error: writing blob: adding layer with blob \"sha256:4f4f\": processing tar file(potentially insufficient UIDs or GIDs available in user namespace (requested 0:42 for /etc/shadow): Check /etc/subuid and /etc/subgid if configured locally and run \"podman system migrate\": lchown /etc/shadow: invalid argument): exit status 1",
                "beyond the user's subordinate range",
            ),
            (
                "the path in $XDG_RUNTIME_DIR must be writable by the user\nError: runc: mkdir /nonexistent: permission denied",
                "XDG_RUNTIME_DIR",
            ),
            (
                "time=\"2026-12-04T06:14:25Z\" level=error msg=\"invalid internal status, try resetting the pause process with \\\"podman system migrate\\\": could not find any running process: no such process\"",
                "pause process",
            ),
            (
                "Error: slirp4netns failed: \"open(\\\"/dev/net/tun\\\"): No such file or directory\"",
                "/dev/net/tun",
            ),
            (
                "Error: building local pause image: finding pause binary: exec: \"catatonit\": executable file not found in $PATH",
                "catatonit",
            ),
            (
                "Error: default OCI runtime \"crun\" not found: invalid argument",
                "OCI runtime",
            ),
            (
                "Error: can not pause containers on rootless containers with cgroup V1: this container does not have a cgroup",
                "cgroups v1",
            ),
        ];
        for (stderr, phrase) in cases {
            let fix = diagnose(stderr).unwrap_or_else(|| panic!("not recognised: {stderr}"));
            assert!(fix.problem.contains(phrase), "{stderr} -> {fix:?}");
        }
        assert_eq!(diagnose("Error: no such container p-db-1"), None);
        let failed = BackendError::Command {
            argv: vec!["podman".into(), "run".into()],
            status: Some(126),
            stderr: cases[1].0.into(),
        };
        assert!(failed.is_host_problem());
        let other = BackendError::Command {
            argv: vec!["podman".into(), "run".into()],
            status: Some(125),
            stderr: "Error: name is in use".into(),
        };
        assert!(!other.is_host_problem());
    }
}
