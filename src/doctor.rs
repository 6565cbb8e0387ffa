//! `sidepod doctor`: checks that podman works on this host the way sidepod needs it,
//! rootful or rootless, and says what to do about each problem it finds.

mod host;

use std::path::{Path, PathBuf};

use crate::backend::{BackendError, PodmanBackend};
use host::INSTALL;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    /// Worth knowing; nothing to fix.
    Note,
    /// sidepod will not work (or not fully) until it is fixed.
    Problem,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub level: Level,
    pub topic: &'static str,
    pub detail: String,
    pub fix: Option<String>,
}

impl Finding {
    fn ok(topic: &'static str, detail: impl Into<String>) -> Self {
        Finding {
            level: Level::Ok,
            topic,
            detail: detail.into(),
            fix: None,
        }
    }

    fn note(topic: &'static str, detail: impl Into<String>) -> Self {
        Finding {
            level: Level::Note,
            ..Finding::ok(topic, detail)
        }
    }

    fn problem(topic: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Finding {
            level: Level::Problem,
            fix: Some(fix.into()),
            ..Finding::ok(topic, detail)
        }
    }

    /// A podman call failed: the problem it is known to be, else podman's own words.
    fn failed(topic: &'static str, what: &str, e: &BackendError) -> Self {
        match e.host_fix() {
            Some(known) => Finding::problem(topic, format!("{what}: {}", known.problem), known.fix),
            None => Finding::problem(
                topic,
                format!("{what}: {e}"),
                "see podman's message above; `podman info` and `podman run` tell more",
            ),
        }
    }
}

/// Runs every check, in an order where each relies on the ones before.
pub async fn examine(explicit_podman: Option<&Path>) -> Vec<Finding> {
    let mut found = Vec::new();
    let podman = match PodmanBackend::locate(explicit_podman, false) {
        Ok(p) => p,
        Err(_) => {
            let searched = explicit_podman
                .map(|p| format!(" at {}", p.display()))
                .unwrap_or_else(|| " on PATH".into());
            found.push(Finding::problem(
                "podman",
                format!("podman was not found{searched}"),
                format!("install it ({INSTALL}), or give its path with --podman"),
            ));
            return found;
        }
    };
    let info = match podman.host_info().await {
        Ok(info) => info,
        Err(e) => {
            found.push(Finding::failed("podman", "`podman info` failed", &e));
            return found;
        }
    };
    found.push(host::version(podman.program(), &info.version));
    let user = current_user();
    found.push(Finding::ok(
        "mode",
        if info.rootless {
            format!("rootless, as {} (uid {})", user.name, user.uid)
        } else {
            "rootful".to_string()
        },
    ));
    found.push(Finding::ok(
        "runtime",
        format!(
            "{}, cgroups {} ({}), storage {}{}",
            info.runtime,
            info.cgroup_version,
            info.cgroup_manager,
            info.storage_driver,
            if info.network_backend.is_empty() {
                String::new()
            } else {
                format!(", network {}", info.network_backend)
            }
        ),
    ));
    if info.rootless {
        found.extend(rootless_checks(&user, &info.rootless_network_cmd));
        found.push(host::cgroups(
            &info.cgroup_version,
            &info.cgroup_controllers,
        ));
        found.extend(session_checks(&user));
    }
    found.push(host::storage(&info.storage_driver));
    found.push(network_dns(&info.network_backend, &|p| p.exists()));
    found.push(probe_container(&podman).await);
    found.push(probe_pod(&podman).await);
    found.push(systemd(Path::new("/run/systemd/system")));
    found
}

/// The exit code: 4 (a host problem) when anything must be fixed.
pub fn exit_code(found: &[Finding]) -> i32 {
    if found.iter().any(|f| f.level == Level::Problem) {
        crate::exit::HOST
    } else {
        crate::exit::SUCCESS
    }
}

/// `doctor --format json`: every finding, and the verdict, for scripts.
pub fn render_json(found: &[Finding]) -> String {
    let problems = found.iter().filter(|f| f.level == Level::Problem).count();
    let doc = serde_json::json!({
        "ready": problems == 0,
        "problems": problems,
        "exit_code": exit_code(found),
        "findings": found,
    });
    format!("{doc:#}\n")
}

/// One line per finding, fixes indented under their problem, and a verdict.
pub fn render(found: &[Finding]) -> String {
    let width = found.iter().map(|f| f.topic.len()).max().unwrap_or(0);
    let mut out = String::new();
    for f in found {
        let level = match f.level {
            Level::Ok => "ok",
            Level::Note => "note",
            Level::Problem => "PROBLEM",
        };
        out.push_str(&format!("{level:<8} {:<width$}  {}\n", f.topic, f.detail));
        if let Some(fix) = &f.fix {
            out.push_str(&format!("{:<8} {:<width$}  fix: {fix}\n", "", ""));
        }
    }
    let problems = found.iter().filter(|f| f.level == Level::Problem).count();
    out.push_str(&match problems {
        0 => "podman is ready for sidepod\n".to_string(),
        1 => "1 problem to fix\n".to_string(),
        n => format!("{n} problems to fix\n"),
    });
    out
}

struct User {
    name: String,
    uid: u32,
}

fn current_user() -> User {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").map_or(0, |m| m.uid());
    let name = std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| user_name(&passwd, uid))
        .unwrap_or_else(|| uid.to_string());
    User { name, uid }
}

fn user_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_string())
    })
}

/// The subordinate ID range of a user in /etc/subuid or /etc/subgid text (by name or uid).
fn subordinate_range(text: &str, user: &User) -> Option<(u64, u64)> {
    text.lines().find_map(|line| {
        let mut fields = line.trim().split(':');
        let who = fields.next()?;
        let start: u64 = fields.next()?.parse().ok()?;
        let count: u64 = fields.next()?.parse().ok()?;
        (count > 0 && (who == user.name || who == user.uid.to_string())).then_some((start, count))
    })
}

/// The first range of `count` IDs, from 100000 on and at a multiple of 65536 as
/// useradd allocates them, that overlaps no entry of any of `files` (the text of
/// /etc/subuid and /etc/subgid), so that one range serves both.
fn free_range(files: &[&str], count: u64) -> u64 {
    let taken: Vec<(u64, u64)> = files
        .iter()
        .flat_map(|text| text.lines())
        .filter_map(|line| {
            let mut fields = line.trim().split(':');
            let _who = fields.next()?;
            let start: u64 = fields.next()?.parse().ok()?;
            let n: u64 = fields.next()?.parse().ok()?;
            Some((start, start.saturating_add(n)))
        })
        .collect();
    let mut start = 100_000;
    while let Some(&(_, end)) = taken
        .iter()
        .find(|(s, e)| start < *e && *s < start.saturating_add(count))
    {
        // Past the entry in the way, at the next multiple of 65536.
        start = end.div_ceil(65_536).max(2) * 65_536;
    }
    start
}

fn rootless_checks(user: &User, network_cmd: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    let ranges: Vec<Option<(u64, u64)>> = ["/etc/subuid", "/etc/subgid"]
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .ok()
                .and_then(|t| subordinate_range(&t, user))
        })
        .collect();
    found.push(match (ranges[0], ranges[1]) {
        (Some((u, un)), Some((g, gn))) => Finding::ok(
            "user ids",
            format!("subuid {u}-{}, subgid {g}-{}", u + un - 1, g + gn - 1),
        ),
        _ => {
            let texts: Vec<String> = ["/etc/subuid", "/etc/subgid"]
                .iter()
                .map(|f| std::fs::read_to_string(f).unwrap_or_default())
                .collect();
            let start = free_range(&[&texts[0], &texts[1]], 65_536);
            let range = format!("{start}-{}", start + 65_535);
            Finding::problem(
                "user ids",
                format!("{} has no range in /etc/subuid and /etc/subgid", user.name),
                format!(
                    "as root: `usermod --add-subuids {range} --add-subgids {range} {}` (a \
                     range no other user has), then as {0}: `podman system migrate`",
                    user.name
                ),
            )
        }
    });
    let missing: Vec<&str> = ["newuidmap", "newgidmap"]
        .into_iter()
        .filter(|p| which::which(p).is_err())
        .collect();
    if !missing.is_empty() {
        found.push(Finding::problem(
            "uidmap",
            format!("{} not found", missing.join(" and ")),
            "install uidmap (Fedora: shadow-utils)",
        ));
    }
    // podman 5 names the helper it will use (pasta by default); podman 4 uses slirp4netns.
    let helper = match network_cmd {
        "" => which::which("slirp4netns").or_else(|_| which::which("pasta")),
        named => which::which(named),
    };
    found.push(match helper {
        Err(_) if !network_cmd.is_empty() => Finding::problem(
            "network",
            format!("podman networks rootless pods with {network_cmd}, which was not found"),
            format!(
                "install {} (Debian/Ubuntu: `apt-get install {0}`; Fedora/RHEL: `dnf \
                     install {0}`), or set default_rootless_network_cmd in the [network] \
                     table of containers.conf to the other one",
                if network_cmd == "pasta" {
                    "passt"
                } else {
                    network_cmd
                }
            ),
        ),
        Err(_) => Finding::problem(
            "network",
            "neither slirp4netns nor pasta was found; rootless pods need one",
            "install slirp4netns (or passt)",
        ),
        Ok(helper) => match tun_usable(Path::new("/dev/net/tun")) {
            Ok(()) => Finding::ok(
                "network",
                format!("{}, /dev/net/tun usable", helper.display()),
            ),
            Err(e) => Finding::problem(
                "network",
                format!("/dev/net/tun: {e}"),
                "as root: `modprobe tun` if it is missing, then `chmod 0666 /dev/net/tun`",
            ),
        },
    });
    found
}

/// Whether podman networks resolve names, which bridge mode needs (a stack in one pod
/// does not): netavark with aardvark-dns, or CNI with its dnsname plugin.
fn network_dns(backend: &str, exists: &dyn Fn(&Path) -> bool) -> Finding {
    let found = |dirs: &[&str], name: &str| dirs.iter().any(|d| exists(&Path::new(d).join(name)));
    const HELPERS: [&str; 4] = [
        "/usr/libexec/podman",
        "/usr/lib/podman",
        "/usr/local/libexec/podman",
        "/usr/local/lib/podman",
    ];
    const FIX: &str = "install netavark and aardvark-dns (apt-get install netavark \
                       aardvark-dns; contrib/setup-host.sh does it) and set \
                       network_backend = \"netavark\" under [network] in \
                       /etc/containers/containers.conf";
    match backend {
        "netavark" if found(&HELPERS, "aardvark-dns") => Finding::ok(
            "network",
            "netavark with aardvark-dns: in bridge mode, services find each other by name",
        ),
        "netavark" => Finding::note(
            "network",
            format!("netavark without aardvark-dns: in bridge mode names do not resolve; {FIX}"),
        ),
        "cni"
            if found(
                &["/usr/lib/cni", "/usr/libexec/cni", "/opt/cni/bin"],
                "dnsname",
            ) =>
        {
            Finding::note(
                "network",
                format!(
                    "CNI with dnsname: in bridge mode a service on several networks finds \
                     names on its first one only; for all of them, {FIX}"
                ),
            )
        }
        _ => Finding::note(
            "network",
            format!(
                "the {} network backend resolves no names, which bridge mode needs (a \
                 stack in one pod does not); {FIX}",
                if backend.is_empty() {
                    "unknown"
                } else {
                    backend
                }
            ),
        ),
    }
}

/// The login session podman finds, from the environment and the files systemd keeps.
fn session_checks(user: &User) -> Vec<Finding> {
    use std::os::unix::fs::MetadataExt;
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    let owner = dir
        .as_deref()
        .and_then(|d| std::fs::metadata(d).ok())
        .map(|m| m.uid());
    host::session(&host::Session {
        user: &user.name,
        uid: user.uid,
        runtime_dir: dir.as_deref(),
        runtime_dir_owner: owner,
        systemd: Path::new("/run/systemd/system").is_dir(),
        lingering: Path::new("/var/lib/systemd/linger")
            .join(&user.name)
            .exists(),
    })
}

fn tun_usable(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map(drop)
}

async fn probe_container(podman: &PodmanBackend) -> Finding {
    let rootfs = scratch_dir();
    if let Err(e) = std::fs::create_dir_all(&rootfs) {
        return Finding::problem(
            "containers",
            format!("cannot create {}: {e}", rootfs.display()),
            "make the temporary directory (TMPDIR) writable",
        );
    }
    let result = podman.probe_container(&rootfs).await;
    let _ = std::fs::remove_dir_all(&rootfs);
    match result {
        Ok(()) => Finding::ok("containers", "a container starts"),
        Err(e) => Finding::failed("containers", "a container cannot start", &e),
    }
}

async fn probe_pod(podman: &PodmanBackend) -> Finding {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(18999, |a| a.port());
    let name = format!("sidepod-doctor-{}", std::process::id());
    match podman.probe_pod(&name, port).await {
        Ok(()) => Finding::ok("pods", "a pod with a published port starts"),
        Err(e) => Finding::failed("pods", "a pod cannot start", &e),
    }
}

fn scratch_dir() -> PathBuf {
    std::env::temp_dir().join(format!("sidepod-doctor-{}", std::process::id()))
}

/// Without systemd, podman's healthcheck timers never run; sidepod does not need them.
fn systemd(marker: &Path) -> Finding {
    if marker.is_dir() {
        Finding::ok("systemd", "running")
    } else {
        Finding::note(
            "systemd",
            "not running: podman's healthcheck timers never fire here; sidepod runs the \
             health checks itself whenever something waits for health",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, uid: u32) -> User {
        User {
            name: name.into(),
            uid,
        }
    }

    #[test]
    fn a_free_range_overlaps_no_existing_entry_of_either_file() {
        assert_eq!(free_range(&["", ""], 65_536), 100_000);
        // Another user at 100000-165535: the next free block.
        let subuid = "alice:100000:65536\n";
        assert_eq!(free_range(&[subuid, ""], 65_536), 196_608);
        // A range in subgid only counts too, and so does one that is not aligned.
        let subgid = "alice:100000:65536\nbob:200000:70000\n";
        let start = free_range(&[subuid, subgid], 65_536);
        assert_eq!(start, 327_680);
        for (s, n) in [(100_000u64, 65_536u64), (200_000, 70_000)] {
            assert!(
                start + 65_536 <= s || s + n <= start,
                "{start} overlaps {s}+{n}"
            );
        }
        // Garbage lines are skipped.
        assert_eq!(free_range(&["# comment\nx:y:z\n", ""], 65_536), 100_000);
    }

    #[test]
    fn subordinate_ranges_are_found_by_name_or_uid() {
        let text = "alice:100000:65536\n1001:165536:65536\nempty:200000:0\n";
        assert_eq!(
            subordinate_range(text, &user("alice", 1000)),
            Some((100000, 65536))
        );
        assert_eq!(
            subordinate_range(text, &user("bob", 1001)),
            Some((165536, 65536))
        );
        assert_eq!(subordinate_range(text, &user("empty", 1002)), None);
        assert_eq!(subordinate_range(text, &user("carol", 1003)), None);
    }

    #[test]
    fn user_names_come_from_passwd() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nci:x:1001:1001::/home/ci:/bin/sh\n";
        assert_eq!(user_name(passwd, 1001).as_deref(), Some("ci"));
        assert_eq!(user_name(passwd, 7), None);
    }

    #[test]
    fn problems_carry_their_fix_and_make_exit_code_4() {
        let found = vec![
            Finding::ok("podman", "/usr/bin/podman, version 4.3.1"),
            Finding::failed(
                "containers",
                "a container cannot start",
                &BackendError::Command {
                    argv: vec!["podman".into(), "run".into()],
                    status: Some(126),
                    stderr: "Error: OCI runtime error: crun: cgroups in hybrid mode not supported"
                        .into(),
                },
            ),
            systemd(Path::new("/nonexistent/systemd")),
        ];
        let text = render(&found);
        assert!(
            text.contains("ok       podman      /usr/bin/podman, version 4.3.1\n"),
            "{text}"
        );
        assert!(
            text.contains("PROBLEM  containers  a container cannot start: crun cannot run"),
            "{text}"
        );
        assert!(
            text.contains("fix: install runc and set `[engine] runtime = \"runc\"`"),
            "{text}"
        );
        assert!(text.contains("note     systemd     not running"), "{text}");
        assert!(text.ends_with("1 problem to fix\n"), "{text}");
        assert_eq!(exit_code(&found), 4);
        assert_eq!(exit_code(&found[..1]), 0);
        assert!(render(&found[..1]).ends_with("podman is ready for sidepod\n"));
    }

    #[test]
    fn network_dns_is_checked_for_bridge_mode() {
        let aardvark = |p: &Path| p == Path::new("/usr/lib/podman/aardvark-dns");
        let nothing = |_: &Path| false;
        let dnsname = |p: &Path| p == Path::new("/usr/lib/cni/dnsname");
        let ok = network_dns("netavark", &aardvark);
        assert!(
            ok.fix.is_none() && ok.detail.contains("find each other by name"),
            "{ok:?}"
        );
        for (backend, exists, says) in [
            (
                "netavark",
                &nothing as &dyn Fn(&Path) -> bool,
                "without aardvark-dns",
            ),
            ("cni", &nothing, "the cni network backend resolves no names"),
            ("cni", &dnsname, "first one only"),
        ] {
            let f = network_dns(backend, exists);
            assert!(f.detail.contains(says), "{f:?}");
            assert!(f.detail.contains("network_backend = \"netavark\""), "{f:?}");
        }
    }

    #[test]
    fn a_missing_tun_device_is_reported() {
        assert!(tun_usable(Path::new("/nonexistent/tun")).is_err());
    }
}
