//! Healthchecks, restart policies and stop signals.

use super::*;

pub(super) fn healthcheck(
    h: RawHealthcheck,
    path: &str,
    ctx: &Context,
) -> Result<Option<Healthcheck>, LoadError> {
    if flag(h.disable) {
        return Ok(None);
    }
    let test = match h.test {
        None => return Err(ctx.err(path, "a healthcheck needs `test` (or `disable: true`)")),
        Some(Command::Shell(s)) if s.trim().is_empty() => {
            return Err(ctx.err(&format!("{path}.test"), "the test is empty"))
        }
        Some(Command::Shell(s)) => HealthTest::Shell(s),
        Some(Command::Exec(v)) => match v.split_first() {
            Some((first, _)) if first == "NONE" => return Ok(None),
            Some((first, rest)) if first == "CMD" && !rest.is_empty() => {
                HealthTest::Cmd(rest.to_vec())
            }
            Some((first, rest)) if first == "CMD-SHELL" && !rest.is_empty() => {
                HealthTest::Shell(rest.join(" "))
            }
            _ => {
                return Err(ctx.err(
                    &format!("{path}.test"),
                    "a test list starts with CMD, CMD-SHELL or NONE, followed by the command \
                     (e.g. [\"CMD\", \"pg_isready\"])",
                ))
            }
        },
    };
    let duration = |v: Option<String>, key: &str, default| -> Result<_, LoadError> {
        v.map(|d| parse_duration(&d).map_err(|m| ctx.err(&format!("{path}.{key}"), m)))
            .transpose()
            .map(|d| d.unwrap_or(default))
    };
    let check = Healthcheck {
        test,
        interval: duration(h.interval, "interval", Healthcheck::DEFAULT_INTERVAL)?,
        timeout: duration(h.timeout, "timeout", Healthcheck::DEFAULT_TIMEOUT)?,
        start_period: duration(h.start_period, "start_period", std::time::Duration::ZERO)?,
        start_interval: duration(
            h.start_interval,
            "start_interval",
            Healthcheck::DEFAULT_START_INTERVAL,
        )?,
        retries: h
            .retries
            .map(whole::<u32>)
            .transpose()
            .map_err(|m| ctx.err(&format!("{path}.retries"), m))?
            .unwrap_or(Healthcheck::DEFAULT_RETRIES),
    };
    for (key, d) in [("interval", check.interval), ("timeout", check.timeout)] {
        if d.is_zero() {
            return Err(ctx.err(
                &format!("{path}.{key}"),
                format!("{key} must be above zero"),
            ));
        }
    }
    Ok(Some(check))
}

pub(super) fn restart_policy(r: &str) -> Result<RestartPolicy, String> {
    match r {
        "no" | "" => Ok(RestartPolicy::No),
        "always" => Ok(RestartPolicy::Always),
        "unless-stopped" => Ok(RestartPolicy::UnlessStopped),
        "on-failure" => Ok(RestartPolicy::OnFailure(None)),
        other => match other.strip_prefix("on-failure:") {
            Some(n) => n
                .parse()
                .map(|n| RestartPolicy::OnFailure(Some(n)))
                .map_err(|_| {
                    format!(
                        "invalid restart policy {other:?}: the retry count must be a whole number"
                    )
                }),
            None => Err(format!(
                "unknown restart policy {other:?}; use no, always, on-failure[:N] or unless-stopped"
            )),
        },
    }
}

pub(super) const SIGNALS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

pub(super) fn check_signal(sig: &str) -> Result<(), String> {
    let name = sig.to_ascii_uppercase();
    let name = name.strip_prefix("SIG").unwrap_or(&name);
    let numeric = name.parse::<u8>().is_ok_and(|n| (1..=64).contains(&n));
    let realtime = name.starts_with("RTMIN") || name.starts_with("RTMAX");
    if numeric || realtime || SIGNALS.contains(&name) {
        Ok(())
    } else {
        Err(format!(
            "unknown signal {sig:?} (e.g. SIGTERM, SIGINT, SIGQUIT)"
        ))
    }
}
