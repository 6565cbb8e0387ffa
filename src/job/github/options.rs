//! A GitHub container's or service's `options:`, the `docker create` flags it is given,
//! as the Compose keys that mean the same.

use serde_norway::{Mapping, Value};

/// Adds what `options` says to `service` (a Compose service mapping).
pub fn apply(options: &str, service: &mut Mapping) -> Result<(), String> {
    let words = shell_words::split(options).map_err(|e| format!("cannot split it: {e}"))?;
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (word.clone(), None),
        };
        if let Some(key) = switch(&flag) {
            service.insert(key.into(), Value::Bool(true));
            continue;
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| words.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let health = |service: &mut Mapping, key: &str, v: Value| {
            let hc = service
                .entry("healthcheck".into())
                .or_insert_with(|| Value::Mapping(Mapping::new()));
            if let Value::Mapping(hc) = hc {
                hc.insert(key.into(), v);
            }
        };
        match flag.as_str() {
            "--health-cmd" => {
                let cmd = value()?;
                health(service, "test", seq(["CMD-SHELL".to_string(), cmd]));
            }
            "--health-interval" => health(service, "interval", value()?.into()),
            "--health-timeout" => health(service, "timeout", value()?.into()),
            "--health-start-period" => health(service, "start_period", value()?.into()),
            "--health-start-interval" => health(service, "start_interval", value()?.into()),
            "--health-retries" => health(service, "retries", value()?.into()),
            "--no-healthcheck" => health(service, "disable", Value::Bool(true)),
            "-e" | "--env" => push(service, "environment", value()?),
            "--entrypoint" => {
                service.insert("entrypoint".into(), seq([value()?]));
            }
            "-u" | "--user" => set(service, "user", value()?),
            "-h" | "--hostname" => set(service, "hostname", value()?),
            "-w" | "--workdir" => set(service, "working_dir", value()?),
            "-m" | "--memory" => set(service, "mem_limit", value()?),
            "--memory-reservation" => set(service, "mem_reservation", value()?),
            "--cpus" => set(service, "cpus", value()?),
            "--cpuset-cpus" => set(service, "cpuset", value()?),
            "--pids-limit" => set(service, "pids_limit", value()?),
            "--shm-size" => set(service, "shm_size", value()?),
            "--stop-signal" => set(service, "stop_signal", value()?),
            "--stop-timeout" => set(service, "stop_grace_period", format!("{}s", value()?)),
            "--platform" => set(service, "platform", value()?),
            "--tmpfs" => push(service, "tmpfs", value()?),
            "--cap-add" => push(service, "cap_add", value()?),
            "--cap-drop" => push(service, "cap_drop", value()?),
            "--device" => push(service, "devices", value()?),
            "--dns" => push(service, "dns", value()?),
            "--dns-search" => push(service, "dns_search", value()?),
            "--dns-option" | "--dns-opt" => push(service, "dns_opt", value()?),
            "--add-host" => push(service, "extra_hosts", value()?),
            "--security-opt" => push(service, "security_opt", value()?),
            "--group-add" => push(service, "group_add", value()?),
            "--sysctl" => push(service, "sysctls", value()?),
            "-l" | "--label" => push(service, "labels", value()?),
            "-v" | "--volume" => push(service, "volumes", value()?),
            "--ulimit" => {
                let v = value()?;
                let (name, limits) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--ulimit {v}: write NAME=SOFT[:HARD]"))?;
                let (soft, hard) = limits.split_once(':').unwrap_or((limits, limits));
                let mut pair = Mapping::new();
                pair.insert("soft".into(), soft.into());
                pair.insert("hard".into(), hard.into());
                let ulimits = service
                    .entry("ulimits".into())
                    .or_insert_with(|| Value::Mapping(Mapping::new()));
                if let Value::Mapping(u) = ulimits {
                    u.insert(name.into(), Value::Mapping(pair));
                }
            }
            // Every name resolves inside the pod: an alias is one more of them.
            "--network-alias" | "--net-alias" => {
                let alias = value()?;
                let nets = service
                    .entry("networks".into())
                    .or_insert_with(|| Value::Mapping(Mapping::new()));
                if let Value::Mapping(nets) = nets {
                    let default = nets
                        .entry("default".into())
                        .or_insert_with(|| Value::Mapping(Mapping::new()));
                    if let Value::Mapping(d) = default {
                        let aliases = d
                            .entry("aliases".into())
                            .or_insert_with(|| Value::Sequence(Vec::new()));
                        if let Value::Sequence(a) = aliases {
                            a.push(alias.into());
                        }
                    }
                }
            }
            // sidepod names containers itself, and the pod is the network.
            "--name" | "--network" | "--net" => {
                value()?;
            }
            other => {
                return Err(format!(
                    "{other} has no meaning sidepod knows for a container in a pod; remove it"
                ))
            }
        }
    }
    Ok(())
}

/// Flags without a value, and the key each turns on.
fn switch(flag: &str) -> Option<&'static str> {
    match flag {
        "--privileged" => Some("privileged"),
        "--init" => Some("init"),
        "--read-only" => Some("read_only"),
        "-t" | "--tty" => Some("tty"),
        "-i" | "--interactive" => Some("stdin_open"),
        _ => None,
    }
}

fn seq<const N: usize>(items: [String; N]) -> Value {
    Value::Sequence(items.into_iter().map(Value::from).collect())
}

fn set(service: &mut Mapping, key: &str, value: String) {
    service.insert(key.into(), value.into());
}

fn push(service: &mut Mapping, key: &str, value: String) {
    let list = service
        .entry(key.into())
        .or_insert_with(|| Value::Sequence(Vec::new()));
    if let Value::Sequence(items) = list {
        items.push(value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_flags_become_a_healthcheck_and_others_their_keys() {
        let mut m = Mapping::new();
        apply(
            "--health-cmd \"pg_isready -U postgres\" --health-interval 10s --health-timeout=5s \
             --health-retries 5 --health-start-period 3s -e A=1 --memory 512m --network-alias db \
             --privileged --ulimit nofile=1024:2048 --name ignored",
            &mut m,
        )
        .unwrap();
        let v = Value::Mapping(m);
        let hc = &v["healthcheck"];
        assert_eq!(
            hc["test"],
            serde_norway::from_str::<Value>("[CMD-SHELL, pg_isready -U postgres]").unwrap()
        );
        assert_eq!(hc["interval"], "10s");
        assert_eq!(hc["timeout"], "5s");
        assert_eq!(hc["retries"], "5");
        assert_eq!(hc["start_period"], "3s");
        assert_eq!(v["environment"][0], "A=1");
        assert_eq!(v["mem_limit"], "512m");
        assert_eq!(v["networks"]["default"]["aliases"][0], "db");
        assert_eq!(v["privileged"], true);
        assert_eq!(v["ulimits"]["nofile"]["hard"], "2048");
    }

    #[test]
    fn unknown_and_incomplete_flags_are_named() {
        let err = apply("--gpus all", &mut Mapping::new()).unwrap_err();
        assert!(err.contains("--gpus has no meaning"), "{err}");
        let err = apply("--health-cmd", &mut Mapping::new()).unwrap_err();
        assert!(err.contains("--health-cmd needs a value"), "{err}");
    }
}
