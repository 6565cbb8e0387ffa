//! doctor's checks of the host around podman: its version, cgroups and their delegation,
//! storage, and the login session a rootless user's podman relies on. Each takes what it
//! looks at as arguments, so that the tests can give it a broken host.

use std::path::Path;

use super::Finding;

/// The oldest podman sidepod is built and tested against (Debian 12's).
pub const MIN_PODMAN: (u32, u32) = (4, 3);

pub use crate::backend::INSTALL_PODMAN as INSTALL;

pub fn version(program: &Path, version: &str) -> Finding {
    let shown = format!("{}, version {version}", program.display());
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) if (major, minor) >= MIN_PODMAN => Finding::ok("podman", shown),
        (Some(_), Some(_)) => Finding::problem(
            "podman",
            format!(
                "{shown}: sidepod needs podman {}.{} or newer",
                MIN_PODMAN.0, MIN_PODMAN.1
            ),
            format!("upgrade podman ({INSTALL})"),
        ),
        _ => Finding::note(
            "podman",
            format!(
                "{shown}: not a version sidepod can read; it needs {}.{} or newer",
                MIN_PODMAN.0, MIN_PODMAN.1
            ),
        ),
    }
}

/// Rootless: resource limits and pause need cgroups v2 with the cpu, memory and pids
/// controllers delegated to the user.
pub fn cgroups(version: &str, controllers: &[String]) -> Finding {
    const NEEDED: [&str; 3] = ["cpu", "memory", "pids"];
    match version {
        "v1" => Finding::note(
            "cgroups",
            "v1: rootless podman ignores resource limits (cpus, mem_limit, pids_limit, \
             deploy.resources) and cannot pause; to have them, boot with cgroups v2 \
             (kernel option systemd.unified_cgroup_hierarchy=1, the default on current \
             Fedora, RHEL 9, Debian 11 and later)",
        ),
        "v2" => {
            let missing: Vec<&str> = NEEDED
                .into_iter()
                .filter(|c| !controllers.iter().any(|have| have == c))
                .collect();
            if missing.is_empty() {
                Finding::ok(
                    "cgroups",
                    "v2, with cpu, memory and pids delegated to this user",
                )
            } else {
                Finding::note(
                    "cgroups",
                    format!(
                        "v2, but the {} controller{} not delegated to this user: limits of \
                         that kind are ignored; as root, delegate them with a systemd \
                         drop-in /etc/systemd/system/user@.service.d/delegate.conf holding \
                         `[Service]` and `Delegate=cpu cpuset io memory pids`, then \
                         `systemctl daemon-reload` and log in again",
                        missing.join(", "),
                        if missing.len() == 1 { " is" } else { "s are" }
                    ),
                )
            }
        }
        other => Finding::note("cgroups", format!("podman reports cgroups {other:?}")),
    }
}

/// overlay is what podman should use; vfs works everywhere but copies whole images.
pub fn storage(driver: &str) -> Finding {
    match driver {
        "overlay" => Finding::ok(
            "storage",
            "overlay: containers share their image's layers, copy-on-write",
        ),
        "vfs" => Finding::note(
            "storage",
            "vfs: every container copies its whole image, which is slow and takes space; \
             on kernels from 5.13 (or with fuse-overlayfs installed), set driver = \
             \"overlay\" in ~/.config/containers/storage.conf (root: \
             /etc/containers/storage.conf), then run `podman system reset` (it removes \
             this user's containers and images)",
        ),
        other => Finding::note("storage", format!("{other}: neither overlay nor vfs")),
    }
}

/// What a rootless user's podman finds of a login session: XDG_RUNTIME_DIR, and
/// lingering where systemd would end the session's processes at logout.
pub struct Session<'a> {
    pub user: &'a str,
    pub uid: u32,
    pub runtime_dir: Option<&'a Path>,
    /// The owner of runtime_dir, when it exists.
    pub runtime_dir_owner: Option<u32>,
    pub systemd: bool,
    pub lingering: bool,
}

pub fn session(s: &Session) -> Vec<Finding> {
    let mut found = Vec::new();
    found.push(match (s.runtime_dir, s.runtime_dir_owner) {
        (None, _) => Finding::note(
            "session",
            format!(
                "XDG_RUNTIME_DIR is not set (no login session: su, sudo, cron or a CI \
                 runner); podman keeps its state under /tmp/podman-run-{} instead, which \
                 works for sidepod and for podman run the same way",
                s.uid
            ),
        ),
        (Some(dir), Some(owner)) if owner == s.uid => {
            Finding::ok("session", format!("XDG_RUNTIME_DIR={}", dir.display()))
        }
        (Some(dir), owner) => Finding::problem(
            "session",
            format!(
                "XDG_RUNTIME_DIR={} {}",
                dir.display(),
                match owner {
                    None => "does not exist".to_string(),
                    Some(o) => format!("belongs to uid {o}, not to {} ({})", s.user, s.uid),
                }
            ),
            format!(
                "unset XDG_RUNTIME_DIR, or point it at a directory of {0}'s (as root: \
                 `install -d -m 0700 -o {0} /run/user/{1}`, or `loginctl enable-linger {0}`, \
                 which makes it)",
                s.user, s.uid
            ),
        ),
    });
    if s.systemd && !s.lingering {
        found.push(Finding::note(
            "linger",
            format!(
                "{0} does not linger: at the last logout systemd stops {0}'s processes, \
                 `sidepod up -d` containers too; for CI users and long-running stacks, as \
                 root: `loginctl enable-linger {0}`",
                s.user
            ),
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    #[test]
    fn podman_older_than_the_minimum_is_a_problem_with_the_install_hint() {
        let old = version(Path::new("/usr/bin/podman"), "4.2.1");
        assert_eq!(old.level, Level::Problem);
        assert!(old
            .detail
            .contains("4.2.1: sidepod needs podman 4.3 or newer"));
        assert!(old.fix.unwrap().contains("apt-get install podman"));
        for fine in ["4.3.1", "5.2.2", "5.0.0-dev"] {
            assert_eq!(
                version(Path::new("podman"), fine).level,
                Level::Ok,
                "{fine}"
            );
        }
        assert_eq!(version(Path::new("podman"), "main").level, Level::Note);
    }

    #[test]
    fn cgroups_v1_and_undelegated_controllers_are_named() {
        let v1 = cgroups("v1", &[]);
        assert_eq!(v1.level, Level::Note);
        assert!(
            v1.detail.contains("ignores resource limits"),
            "{}",
            v1.detail
        );
        let some = cgroups("v2", &["cpu".into(), "pids".into()]);
        assert!(
            some.detail
                .contains("the memory controller is not delegated"),
            "{}",
            some.detail
        );
        assert!(some.detail.contains("Delegate=cpu cpuset io memory pids"));
        let all: Vec<String> = ["cpuset", "cpu", "io", "memory", "pids"]
            .map(String::from)
            .into();
        assert_eq!(cgroups("v2", &all).level, Level::Ok);
    }

    #[test]
    fn storage_says_which_driver_and_why() {
        assert_eq!(storage("overlay").level, Level::Ok);
        let vfs = storage("vfs");
        assert_eq!(vfs.level, Level::Note);
        assert!(vfs.detail.contains("copies its whole image"));
        assert!(vfs.detail.contains("driver = \"overlay\""));
    }

    fn session_of(
        dir: Option<&Path>,
        owner: Option<u32>,
        systemd: bool,
        linger: bool,
    ) -> Vec<Finding> {
        session(&Session {
            user: "ci",
            uid: 1001,
            runtime_dir: dir,
            runtime_dir_owner: owner,
            systemd,
            lingering: linger,
        })
    }

    #[test]
    fn a_missing_or_foreign_runtime_dir_and_no_lingering_are_found() {
        let unset = session_of(None, None, false, false);
        assert_eq!(unset.len(), 1);
        assert_eq!(unset[0].level, Level::Note);
        assert!(unset[0].detail.contains("/tmp/podman-run-1001"));
        let dir = Path::new("/run/user/1001");
        let gone = &session_of(Some(dir), None, false, false)[0];
        assert_eq!(gone.level, Level::Problem);
        assert!(gone.detail.ends_with("/run/user/1001 does not exist"));
        assert!(gone
            .fix
            .as_ref()
            .unwrap()
            .contains("install -d -m 0700 -o ci /run/user/1001"));
        let foreign = &session_of(Some(dir), Some(0), false, false)[0];
        assert!(foreign
            .detail
            .contains("belongs to uid 0, not to ci (1001)"));
        assert_eq!(
            session_of(Some(dir), Some(1001), false, false)[0].level,
            Level::Ok
        );
        let no_linger = session_of(Some(dir), Some(1001), true, false);
        assert!(no_linger[1].detail.contains("loginctl enable-linger ci"));
        assert_eq!(session_of(Some(dir), Some(1001), true, true).len(), 1);
    }
}
