//! Rootless podman is two processes: started outside its user namespace, podman forks a
//! copy of itself that joins the namespace (held open by podman's pause process) and
//! waits for it. That costs about 30 ms on every call, and for the streams an attached
//! run keeps for hours (`podman events`, `podman logs --follow`) the waiting copy doubles
//! their memory (about 33 MiB each). So sidepod starts every podman call (and its own
//! helpers) already inside the namespace, as `podman unshare` does for the commands it
//! runs: the child joins the pause process's user and mount namespaces before it becomes
//! podman, and podman, told by its environment that the namespace is set up, does not
//! fork again.
//!
//! When the pause process cannot be found (podman not run yet, a `tmp_dir` set in
//! containers.conf) the call is started the ordinary way, and podman makes the pause
//! process.

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

use tokio::process::Command;

/// podman's pause process's user and mount namespaces, open.
pub struct Namespaces {
    user: OwnedFd,
    mount: OwnedFd,
}

/// Where rootless podman keeps its pause process's pid: under `libpod/tmp` in
/// `$XDG_RUNTIME_DIR`, or in `/tmp/podman-run-UID` without one (podman 4 and 5).
fn pause_pid_file(runtime_dir: Option<OsString>, uid: u32) -> PathBuf {
    let runtime = runtime_dir.filter(|d| !d.is_empty()).map_or_else(
        || PathBuf::from(format!("/tmp/podman-run-{uid}")),
        PathBuf::from,
    );
    runtime.join("libpod/tmp/pause.pid")
}

impl Namespaces {
    /// The namespaces to start rootless podman calls in; `None` as root, or when there
    /// is no pause process of this user's to join.
    pub fn of_pause_process() -> Option<Namespaces> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        if uid == 0 || std::env::var_os("_CONTAINERS_USERNS_CONFIGURED").is_some() {
            return None;
        }
        let pid: u32 =
            std::fs::read_to_string(pause_pid_file(std::env::var_os("XDG_RUNTIME_DIR"), uid))
                .ok()?
                .trim()
                .parse()
                .ok()?;
        let open = |ns: &str| File::open(format!("/proc/{pid}/ns/{ns}")).ok();
        let (user, mount) = (open("user")?, open("mnt")?);
        // Already in that namespace (podman unshare): nothing to join.
        let ours = std::fs::read_link("/proc/self/ns/user").ok()?;
        if std::fs::read_link(format!("/proc/{pid}/ns/user")).ok()? == ours {
            return None;
        }
        Some(Namespaces {
            user: user.into(),
            mount: mount.into(),
        })
    }

    /// Makes `cmd` start inside these namespaces, as podman's own child would be.
    pub fn enter(self, cmd: &mut Command) {
        // SAFETY: geteuid and getegid have no preconditions and cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        cmd.env("_CONTAINERS_USERNS_CONFIGURED", "done")
            .env("_CONTAINERS_ROOTLESS_UID", uid.to_string())
            .env("_CONTAINERS_ROOTLESS_GID", gid.to_string());
        // The descriptors are opened close-on-exec: podman does not inherit them.
        let (user, mount) = (self.user, self.mount);
        // Joining a mount namespace moves the working directory to its root: the call
        // goes back to its own by path (the namespace is a copy of the host's), so that
        // relative paths (`cp note.txt`) hold.
        let cwd = cmd
            .as_std()
            .get_current_dir()
            .map(std::path::Path::to_path_buf)
            .or_else(|| std::env::current_dir().ok())
            .and_then(|d| std::ffi::CString::new(d.into_os_string().into_encoded_bytes()).ok());
        // SAFETY: the closure runs in the forked child, which has one thread (as joining
        // a user namespace requires), before exec; it calls only setns and chdir, which
        // are async-signal-safe, on descriptors and a path the closure owns, and
        // allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                for (fd, kind) in [(&user, libc::CLONE_NEWUSER), (&mount, libc::CLONE_NEWNS)] {
                    if libc::setns(fd.as_raw_fd(), kind) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                if let Some(dir) = &cwd {
                    if libc::chdir(dir.as_ptr()) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_pid_is_under_the_runtime_dir_or_in_tmp_without_one() {
        assert_eq!(
            pause_pid_file(Some("/run/user/1000".into()), 1000),
            PathBuf::from("/run/user/1000/libpod/tmp/pause.pid")
        );
        for unset in [None, Some(OsString::new())] {
            assert_eq!(
                pause_pid_file(unset, 1000),
                PathBuf::from("/tmp/podman-run-1000/libpod/tmp/pause.pid")
            );
        }
    }
}
