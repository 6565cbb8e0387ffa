//! Whether a running container's main process would ignore its stop signal. The kernel
//! delivers a signal to the first process of a PID namespace only if that process
//! handles it (SIGKILL aside), so a shell or `sleep` as PID 1 sleeps through SIGTERM, and
//! a stop with a grace period only waits it out before the kill. Read on the host from
//! `/proc/PID/status`, where the container's PID comes from podman.

use std::path::Path;

/// The signals that process `pid` handles (its `SigCgt` mask), when it is PID 1 of a
/// PID namespace below the host's and does not handle SIGTERM: only such a process can
/// sleep through a stop. `None` whenever that cannot be read.
pub(super) fn deaf_to_sigterm(proc_root: &Path, pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(proc_root.join(pid.to_string()).join("status")).ok()?;
    namespace_init_mask(&status).filter(|&mask| !handles(mask, libc::SIGTERM))
}

/// Whether a process with handlers `mask` sleeps through stop signal `signal` (as podman
/// prints it: `15`, `SIGINT`). A signal this cannot read counts as heard.
pub(super) fn sleeps_through(mask: u64, signal: &str) -> bool {
    number(signal).is_some_and(|n| !handles(mask, n))
}

fn handles(mask: u64, signal: i32) -> bool {
    (1..=64).contains(&signal) && mask & (1u64 << (signal - 1)) != 0
}

/// From a `/proc/PID/status` text: the `SigCgt:` mask, when the process is PID 1 of a
/// nested PID namespace (`NSpid:` has more than one field and ends in 1).
fn namespace_init_mask(status: &str) -> Option<u64> {
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key).map(str::trim))
    };
    let ids: Vec<&str> = field("NSpid:")?.split_whitespace().collect();
    if ids.len() < 2 || ids.last() != Some(&"1") {
        return None;
    }
    u64::from_str_radix(field("SigCgt:")?, 16).ok()
}

/// The number of a signal given as `SIGTERM`, `term`, `15` or `SIGRTMIN+3`, on this host.
fn number(signal: &str) -> Option<i32> {
    let s = signal.trim().to_ascii_uppercase();
    if let Ok(n) = s.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let name = s.strip_prefix("SIG").unwrap_or(&s);
    if let Some(offset) = name.strip_prefix("RTMIN") {
        let offset: i32 = match offset.strip_prefix('+') {
            Some(o) => o.parse().ok()?,
            None if offset.is_empty() => 0,
            None => return None,
        };
        let n = libc::SIGRTMIN() + offset;
        return (n <= libc::SIGRTMAX()).then_some(n);
    }
    Some(match name {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "ABRT" | "IOT" => libc::SIGABRT,
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        "ALRM" => libc::SIGALRM,
        "TERM" => libc::SIGTERM,
        "CHLD" => libc::SIGCHLD,
        "CONT" => libc::SIGCONT,
        "STOP" => libc::SIGSTOP,
        "TSTP" => libc::SIGTSTP,
        "WINCH" => libc::SIGWINCH,
        "PWR" => libc::SIGPWR,
        "SYS" => libc::SIGSYS,
        "KILL" => libc::SIGKILL,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/PID/status` of busybox `sh -c 'sleep 1000; echo'` as a container's PID 1:
    /// it handles SIGINT and SIGCHLD only, and ignores SIGQUIT.
    const SHELL: &str = "Name:\tsh\nNSpid:\t30705\t1\nSigQ:\t0/96370\nSigPnd:\t0000000000000000\n\
        SigBlk:\t0000000000000000\nSigIgn:\t0000000000000004\nSigCgt:\t0000000000010002\n";

    #[test]
    fn a_shell_as_pid_1_sleeps_through_sigterm_but_not_sigint() {
        let mask = namespace_init_mask(SHELL).unwrap();
        assert!(sleeps_through(mask, "15"));
        assert!(sleeps_through(mask, "SIGTERM"));
        assert!(sleeps_through(mask, "SIGKILL"));
        assert!(!sleeps_through(mask, "2"));
        assert!(!sleeps_through(mask, "SIGINT"));
        // A signal podman would print and this cannot read: heard.
        assert!(!sleeps_through(mask, "SIGNOTONE"));
    }

    #[test]
    fn only_a_nested_namespace_init_can_sleep_through_a_stop() {
        assert!(namespace_init_mask(SHELL).is_some());
        // Not PID 1 in its namespace (a pod sharing one PID namespace, say): SIGTERM
        // kills it by default.
        let second = SHELL.replace("NSpid:\t30705\t1", "NSpid:\t30705\t7");
        assert_eq!(namespace_init_mask(&second), None);
        // The host's own init: never.
        let host = SHELL.replace("NSpid:\t30705\t1", "NSpid:\t1");
        assert_eq!(namespace_init_mask(&host), None);
        // No NSpid line (an old kernel) or an unreadable mask: never.
        assert_eq!(namespace_init_mask("Name:\tsh\n"), None);
        let garbled = SHELL.replace("0000000000010002", "zz");
        assert_eq!(namespace_init_mask(&garbled), None);
    }

    #[test]
    fn signals_are_read_by_name_or_number() {
        assert_eq!(number("SIGTERM"), Some(libc::SIGTERM));
        assert_eq!(number("term"), Some(libc::SIGTERM));
        assert_eq!(number("9"), Some(libc::SIGKILL));
        assert_eq!(number("SIGRTMIN+3"), Some(libc::SIGRTMIN() + 3));
        assert_eq!(number("RTMIN"), Some(libc::SIGRTMIN()));
        for bad in ["SIGFOO", "0", "65", "RTMIN+x", "RTMINX", "RTMIN+99"] {
            assert_eq!(number(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_process_that_handles_sigterm_or_is_gone_is_not_a_candidate() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(deaf_to_sigterm(dir.path(), 42), None);
        std::fs::create_dir(dir.path().join("42")).unwrap();
        std::fs::write(dir.path().join("42/status"), SHELL).unwrap();
        assert_eq!(deaf_to_sigterm(dir.path(), 42), Some(0x10002));
        let handles_term = SHELL.replace("0000000000010002", "0000000000014002");
        std::fs::write(dir.path().join("42/status"), handles_term).unwrap();
        assert_eq!(deaf_to_sigterm(dir.path(), 42), None);
    }
}
