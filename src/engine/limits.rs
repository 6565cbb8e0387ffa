//! A service's `ulimits` against what this host lets podman set: rootless podman cannot
//! raise a limit above the user's own hard limit, and no one can raise `nofile` above
//! the kernel's `fs.nr_open`. Such a value is the service's problem (a config error),
//! found before anything is created, not a host problem that a host fix could help.

use std::collections::BTreeMap;

use crate::model::Ulimit;

/// What the host allows for one limit: its ceiling, what sets it, and how to lift it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceiling {
    pub value: i64,
    pub of: &'static str,
    pub why: &'static str,
    pub lift: &'static str,
}

const USER: (&str, &str, &str) = (
    "this user's hard limit",
    ", which podman cannot raise (rootless, or root without CAP_SYS_RESOURCE)",
    "or raise the user's hard limit (limits.conf, or the CI runner's own) before \
     starting sidepod",
);
const NR_OPEN: (&str, &str, &str) = (
    "the kernel's fs.nr_open",
    "",
    "or, as root, raise it with `sysctl fs.nr_open=N`",
);

/// The first limit of SERVICE above what the host allows, as the message for the user.
pub fn check(
    service: &str,
    ulimits: &BTreeMap<String, Ulimit>,
    ceiling: &dyn Fn(&str) -> Option<Ceiling>,
) -> Result<(), String> {
    for (name, limit) in ulimits {
        let Some(c) = ceiling(name) else { continue };
        let asked = limit.hard.max(limit.soft);
        // -1 is "unlimited", above every ceiling but an unlimited one.
        let above = match (asked, c.value) {
            (_, -1) => false,
            (-1, _) => true,
            (a, v) => a > v,
        };
        if above {
            let shown = |v: i64| {
                if v == -1 {
                    "unlimited".to_string()
                } else {
                    v.to_string()
                }
            };
            return Err(format!(
                "service {service:?}: ulimits.{name}: {} is above {} ({}){}; lower it to \
                 at most {2}, {}",
                shown(asked),
                c.of,
                shown(c.value),
                c.why,
                c.lift
            ));
        }
    }
    Ok(())
}

/// This host's ceiling for the limit NAME (as Compose names them), for podman run by
/// this process: rootless as `podman` itself decides by the effective uid, or root
/// without CAP_SYS_RESOURCE (in a container, say), which cannot raise a hard limit either.
pub fn host_ceiling(name: &str) -> Option<Ceiling> {
    let bound = unsafe { libc::geteuid() } != 0 || !can_raise_limits();
    let nr_open = (name == "nofile")
        .then(|| std::fs::read_to_string("/proc/sys/fs/nr_open").ok())
        .flatten()
        .and_then(|t| t.trim().parse::<i64>().ok())
        .map(|value| Ceiling {
            value,
            of: NR_OPEN.0,
            why: NR_OPEN.1,
            lift: NR_OPEN.2,
        });
    let hard = if bound {
        resource(name).and_then(hard_limit)
    } else {
        None
    };
    match (hard, nr_open) {
        (Some(h), Some(n)) if h.value == -1 || n.value < h.value => Some(n),
        (Some(h), _) => Some(h),
        (None, n) => n,
    }
}

/// Whether this process has CAP_SYS_RESOURCE (bit 24 of CapEff), which raises hard limits.
fn can_raise_limits() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("CapEff:"))?;
            u64::from_str_radix(line["CapEff:".len()..].trim(), 16).ok()
        })
        .is_some_and(|caps| caps & (1 << 24) != 0)
}

fn resource(name: &str) -> Option<libc::__rlimit_resource_t> {
    Some(match name {
        "nofile" => libc::RLIMIT_NOFILE,
        "nproc" => libc::RLIMIT_NPROC,
        "core" => libc::RLIMIT_CORE,
        "memlock" => libc::RLIMIT_MEMLOCK,
        "stack" => libc::RLIMIT_STACK,
        "fsize" => libc::RLIMIT_FSIZE,
        "cpu" => libc::RLIMIT_CPU,
        "data" => libc::RLIMIT_DATA,
        "as" => libc::RLIMIT_AS,
        "locks" => libc::RLIMIT_LOCKS,
        "sigpending" => libc::RLIMIT_SIGPENDING,
        "msgqueue" => libc::RLIMIT_MSGQUEUE,
        "nice" => libc::RLIMIT_NICE,
        "rtprio" => libc::RLIMIT_RTPRIO,
        "rttime" => libc::RLIMIT_RTTIME,
        _ => return None,
    })
}

fn hard_limit(resource: libc::__rlimit_resource_t) -> Option<Ceiling> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct it is given.
    if unsafe { libc::getrlimit(resource, &mut limit) } != 0 {
        return None;
    }
    let value = if limit.rlim_max == libc::RLIM_INFINITY {
        -1
    } else {
        i64::try_from(limit.rlim_max).unwrap_or(i64::MAX)
    };
    Some(Ceiling {
        value,
        of: USER.0,
        why: USER.1,
        lift: USER.2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pairs: &[(&str, i64, i64)]) -> BTreeMap<String, Ulimit> {
        pairs
            .iter()
            .map(|(n, soft, hard)| {
                (
                    n.to_string(),
                    Ulimit {
                        soft: *soft,
                        hard: *hard,
                    },
                )
            })
            .collect()
    }

    fn user_hard(value: i64) -> impl Fn(&str) -> Option<Ceiling> {
        move |name| {
            (name == "nofile").then_some(Ceiling {
                value,
                of: USER.0,
                why: USER.1,
                lift: USER.2,
            })
        }
    }

    #[test]
    fn a_limit_above_the_users_hard_limit_names_the_service_key_and_limit() {
        let err = check(
            "db",
            &limits(&[("nofile", 4_000_000, 4_000_000)]),
            &user_hard(524_288),
        )
        .unwrap_err();
        assert!(
            err.starts_with("service \"db\": ulimits.nofile: 4000000 is above"),
            "{err}"
        );
        assert!(
            err.contains("this user's hard limit (524288), which podman cannot raise"),
            "{err}"
        );
        assert!(
            err.contains("lower it to at most 524288, or raise the user's hard limit"),
            "{err}"
        );
    }

    #[test]
    fn limits_within_the_ceiling_or_without_one_pass() {
        let ok = limits(&[("nofile", 1024, 524_288), ("nproc", 99_999_999, 99_999_999)]);
        assert_eq!(check("db", &ok, &user_hard(524_288)), Ok(()));
        assert_eq!(check("db", &ok, &user_hard(-1)), Ok(()));
    }

    #[test]
    fn unlimited_is_above_a_finite_ceiling() {
        let err = check("db", &limits(&[("nofile", -1, -1)]), &user_hard(1024)).unwrap_err();
        assert!(err.contains("unlimited is above"), "{err}");
    }

    #[test]
    fn this_hosts_nofile_ceiling_is_known_in_either_mode() {
        let c = host_ceiling("nofile").expect("a nofile ceiling");
        assert!(c.value == -1 || c.value >= 1024, "{c:?}");
    }
}
