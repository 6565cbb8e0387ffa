//! Resource limits, security, logging and kernel settings, and byte sizes.

use super::*;

/// Where a service's keys are, for messages.
struct Keys<'a> {
    name: &'a str,
    ctx: &'a Context<'a>,
}

impl Keys<'_> {
    fn err(&self, key: &str, message: impl Into<String>) -> LoadError {
        self.ctx
            .err(&format!("services.{}.{key}", self.name), message)
    }

    fn bytes(&self, v: &Option<Scalar>, key: &str) -> Result<Option<u64>, LoadError> {
        v.as_ref()
            .map(|v| parse_bytes(&v.0).map_err(|m| self.err(key, m)))
            .transpose()
    }

    fn whole(&self, n: Option<Number>, key: &str) -> Result<Option<i64>, LoadError> {
        n.map(|n| whole::<i64>(n).map_err(|m| self.err(key, m)))
            .transpose()
    }

    fn cpus(&self, v: &Option<Scalar>, key: &str) -> Result<Option<String>, LoadError> {
        v.as_ref()
            .map(|v| {
                let text = v.0.trim();
                match text.parse::<f64>() {
                    Ok(n) if n > 0.0 && n.is_finite() => Ok(text.to_string()),
                    _ => Err(self.err(
                        key,
                        format!("invalid CPU count {text:?}: write a positive number, as in 0.5"),
                    )),
                }
            })
            .transpose()
    }
}

/// One setting written two ways (`mem_limit` and `deploy.resources.limits.memory`) must
/// agree.
fn one<T: PartialEq + std::fmt::Debug>(
    plain: Option<T>,
    deploy: Option<T>,
    key: &str,
    deploy_key: &str,
) -> Result<Option<T>, String> {
    match (plain, deploy) {
        (Some(a), Some(b)) if a != b => Err(format!(
            "{key} ({a:?}) and {deploy_key} ({b:?}) disagree; keep one"
        )),
        (a, b) => Ok(a.or(b)),
    }
}

/// Resources (`mem_limit`, `cpus`, ... and their `deploy.resources` forms), security,
/// logging and kernel settings.
pub(super) fn runtime_options(
    name: &str,
    raw: &RawService,
    ctx: &Context,
) -> Result<RuntimeOptions, LoadError> {
    let keys = Keys { name, ctx };
    let resources = raw
        .deploy
        .as_ref()
        .and_then(|d| d.resources.clone())
        .unwrap_or_default();
    let limits = resources.limits.unwrap_or_default();
    let reservations = resources.reservations.unwrap_or_default();
    refuse_unsupported(&limits, &reservations, &keys)?;
    let logging = raw.logging.clone().unwrap_or_default();
    let mut options = RuntimeOptions {
        security_opt: raw.security_opt.clone().unwrap_or_default(),
        group_add: raw
            .group_add
            .iter()
            .flatten()
            .map(|g| g.0.clone())
            .collect(),
        sysctls: sysctls(raw),
        log_driver: logging.driver,
        log_options: scalar_map(logging.options),
        annotations: labels(raw.annotations.clone()),
        oom_score_adj: keys.whole(raw.oom_score_adj, "oom_score_adj")?,
        oom_kill_disable: flag(raw.oom_kill_disable),
        platform: raw.platform.clone(),
        ipc: namespace(
            raw.ipc.as_deref(),
            &keys,
            "ipc",
            &["host", "private", "shareable", "none"],
        )?,
        pid: namespace(raw.pid.as_deref(), &keys, "pid", &["host", "private"])?,
        userns: raw.userns_mode.clone(),
        oci_runtime: raw.runtime.clone(),
        mac_address: raw.mac_address.clone(),
        ..RuntimeOptions::default()
    };
    memory(&mut options, raw, &limits, &reservations, &keys)?;
    cpu_and_pids(&mut options, raw, &limits, &keys)?;
    Ok(options)
}

/// The GPUs a service asks for (`gpus:`, or `deploy.resources.reservations.devices`
/// with the `gpu` capability), as the CDI devices podman passes with `--device`:
/// `nvidia.com/gpu=all`, or one per `device_ids` entry. podman cannot pick a `count` of
/// GPUs, so a count gives all of them.
pub(super) fn gpu_devices(
    name: &str,
    raw: &RawService,
    ctx: &Context,
) -> Result<Vec<String>, LoadError> {
    let keys = Keys { name, ctx };
    let reserved = raw
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.reservations.as_ref())
        .and_then(|r| r.devices.clone());
    let mut out = Vec::new();
    for (key, value) in [
        ("deploy.resources.reservations.devices", reserved),
        ("gpus", raw.gpus.clone()),
    ] {
        let entries = match value {
            None => continue,
            Some(serde_norway::Value::String(s)) if s == "all" => {
                out.push("nvidia.com/gpu=all".to_string());
                continue;
            }
            Some(serde_norway::Value::Sequence(items)) => items,
            Some(_) => return Err(keys.err(key, "expected `all` or a list of devices")),
        };
        for (i, e) in entries.iter().enumerate() {
            let at = format!("{key}[{i}]");
            let texts = |k: &str| -> Vec<String> {
                e.get(k)
                    .and_then(serde_norway::Value::as_sequence)
                    .map(|l| {
                        l.iter()
                            .filter_map(super::super::raw::scalar_text)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let caps = texts("capabilities");
            if key != "gpus" && !caps.iter().any(|c| c == "gpu") {
                return Err(keys.err(
                    &at,
                    "only GPUs (capabilities: [gpu]) can be reserved here; pass other \
                     devices with `devices:`",
                ));
            }
            let vendor = match e.get("driver").and_then(serde_norway::Value::as_str) {
                None | Some("nvidia") => "nvidia.com",
                Some("amd") => "amd.com",
                Some(other) => {
                    return Err(keys.err(
                        &format!("{at}.driver"),
                        format!("no CDI vendor is known for GPU driver {other:?}; use nvidia or amd, or `devices:`"),
                    ))
                }
            };
            let ids = texts("device_ids");
            if ids.is_empty() {
                out.push(format!("{vendor}/gpu=all"));
            }
            out.extend(ids.iter().map(|id| format!("{vendor}/gpu={id}")));
        }
    }
    out.dedup();
    Ok(out)
}

/// `deploy.resources` settings podman has no meaning for are refused, with what to do.
fn refuse_unsupported(
    limits: &RawResourceSpec,
    reservations: &RawResourceSpec,
    keys: &Keys,
) -> Result<(), LoadError> {
    for (set, key, why) in [
        (
            limits.devices.is_some(),
            "deploy.resources.limits.devices",
            "use `devices:`",
        ),
        (
            limits.generic_resources.is_some(),
            "deploy.resources.limits.generic_resources",
            "remove it",
        ),
        (
            reservations.generic_resources.is_some(),
            "deploy.resources.reservations.generic_resources",
            "remove it",
        ),
        (
            reservations.cpus.is_some(),
            "deploy.resources.reservations.cpus",
            "podman has no CPU reservation; use cpu_shares",
        ),
        (
            reservations.pids.is_some(),
            "deploy.resources.reservations.pids",
            "use deploy.resources.limits.pids",
        ),
    ] {
        if set {
            return Err(keys.err(key, format!("sidepod does not support this setting; {why}")));
        }
    }
    Ok(())
}

fn memory(
    options: &mut RuntimeOptions,
    raw: &RawService,
    limits: &RawResourceSpec,
    reservations: &RawResourceSpec,
    keys: &Keys,
) -> Result<(), LoadError> {
    options.memory = one(
        keys.bytes(&raw.mem_limit, "mem_limit")?,
        keys.bytes(&limits.memory, "deploy.resources.limits.memory")?,
        "mem_limit",
        "deploy.resources.limits.memory",
    )
    .map_err(|m| keys.err("mem_limit", m))?;
    options.memory_reservation = one(
        keys.bytes(&raw.mem_reservation, "mem_reservation")?,
        keys.bytes(&reservations.memory, "deploy.resources.reservations.memory")?,
        "mem_reservation",
        "deploy.resources.reservations.memory",
    )
    .map_err(|m| keys.err("mem_reservation", m))?;
    options.memory_swap = match &raw.memswap_limit {
        Some(v) if v.0.trim() == "-1" => Some(-1),
        Some(v) => Some(
            i64::try_from(parse_bytes(&v.0).map_err(|m| keys.err("memswap_limit", m))?)
                .map_err(|_| keys.err("memswap_limit", "too large"))?,
        ),
        None => None,
    };
    Ok(())
}

fn cpu_and_pids(
    options: &mut RuntimeOptions,
    raw: &RawService,
    limits: &RawResourceSpec,
    keys: &Keys,
) -> Result<(), LoadError> {
    options.cpus = one(
        keys.cpus(&raw.cpus, "cpus")?,
        keys.cpus(&limits.cpus, "deploy.resources.limits.cpus")?,
        "cpus",
        "deploy.resources.limits.cpus",
    )
    .map_err(|m| keys.err("cpus", m))?;
    options.pids_limit = one(
        keys.whole(raw.pids_limit, "pids_limit")?,
        keys.whole(limits.pids, "deploy.resources.limits.pids")?,
        "pids_limit",
        "deploy.resources.limits.pids",
    )
    .map_err(|m| keys.err("pids_limit", m))?;
    options.cpu_shares = raw
        .cpu_shares
        .map(|n| whole::<u64>(n).map_err(|m| keys.err("cpu_shares", m)))
        .transpose()?;
    options.cpuset = raw.cpuset.as_ref().map(|c| c.0.trim().to_string());
    if let Some(c) = &options.cpuset {
        if c.is_empty()
            || !c
                .chars()
                .all(|ch| ch.is_ascii_digit() || ch == ',' || ch == '-')
        {
            return Err(keys.err(
                "cpuset",
                format!("invalid CPU set {c:?}: write CPU numbers and ranges, as in 0-3 or 0,2"),
            ));
        }
    }
    Ok(())
}

/// The kernel settings; one without a value is an empty one, as compose-go reads it.
fn sysctls(raw: &RawService) -> BTreeMap<String, String> {
    list_or_map(raw.sysctls.clone())
        .into_iter()
        .map(|(key, value)| (key, value.unwrap_or_default()))
        .collect()
}

/// Parses a byte size: `1024`, `64m`, `1g`, `512kb`, `1.5g` (powers of 1024).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let digits_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(digits_end);
    let value: f64 = num.parse().map_err(|_| {
        format!("invalid size {s:?}: write a number with an optional unit, as in 64m")
    })?;
    let factor: u64 = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "invalid size {s:?}: unknown unit {other:?} (use b, k, m, g)"
            ))
        }
    };
    let bytes = value * factor as f64;
    // podman takes sizes as signed 64-bit numbers; `as` would saturate silently.
    if !bytes.is_finite() || bytes >= i64::MAX as f64 {
        return Err(format!(
            "size {s:?} is too large (at most {} bytes)",
            i64::MAX
        ));
    }
    Ok(bytes as u64)
}

/// `ipc:` or `pid:`: one of `plain`, `service:NAME` or `container:NAME`.
fn namespace(
    v: Option<&str>,
    keys: &Keys,
    key: &str,
    plain: &[&str],
) -> Result<Option<String>, LoadError> {
    let Some(v) = v else { return Ok(None) };
    let named = ["service:", "container:"]
        .iter()
        .any(|p| v.strip_prefix(p).is_some_and(|n| !n.is_empty()));
    if plain.contains(&v) || named {
        return Ok(Some(v.to_string()));
    }
    Err(keys.err(
        key,
        format!(
            "{v:?} is not a namespace; use {}, service:NAME or container:NAME",
            plain.join(", ")
        ),
    ))
}
