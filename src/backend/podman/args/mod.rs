//! podman's flags: one pure function per call, from backend specs to argv (without the
//! leading `podman`). Tested on their own; a dry run prints exactly these.

mod queries;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::env::env_arg;
pub use super::env::{hidden_env, reclaim_args};
use crate::backend::{
    BuildSecret, BuildSpec, ContainerSpec, ExecSpec, HealthSpec, LogOptions, MountSpec,
    NetworkAttach, NetworkSpec, PodSpec, VolumeSpec,
};
use crate::model::{
    format_duration, Dns, HealthTest, HostEntry, NetworkMode, Port, RestartPolicy, RuntimeOptions,
};
pub use queries::*;

pub(super) fn strings<const N: usize>(items: [&str; N]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn seconds(d: Duration) -> String {
    // podman takes whole seconds; round up so a grace period is never shortened.
    d.as_secs_f64().ceil().to_string()
}

fn label_args(labels: &BTreeMap<String, String>) -> Vec<String> {
    labels
        .iter()
        .flat_map(|(k, v)| ["--label".to_string(), format!("{k}={v}")])
        .collect()
}

fn port_arg(p: &Port) -> String {
    let mut s = String::new();
    if let Some(ip) = &p.host_ip {
        if ip.contains(':') {
            s.push_str(&format!("[{ip}]:"));
        } else {
            s.push_str(&format!("{ip}:"));
        }
        if p.published.is_none() {
            s.push(':');
        }
    }
    if let Some(published) = p.published {
        s.push_str(&format!("{published}:"));
    }
    s.push_str(&format!("{}/{}", p.target, p.protocol.as_str()));
    s
}

/// `podman pod create` for a project's pod.
pub fn pod_create_args(spec: &PodSpec) -> Vec<String> {
    let mut a = strings(["pod", "create", "--name"]);
    a.push(spec.name.clone());
    a.extend(label_args(&spec.labels));
    if let Some(u) = &spec.userns {
        flag(&mut a, "--userns", u);
    }
    let host_network = matches!(spec.network_mode, Some(NetworkMode::Host));
    match &spec.network_mode {
        Some(NetworkMode::Host) => a.extend(strings(["--network", "host"])),
        Some(NetworkMode::None) => a.extend(strings(["--network", "none"])),
        _ => {}
    }
    if !host_network {
        reach_args(&mut a, &spec.hosts, &spec.ports, &spec.dns);
    }
    a
}

/// Host entries, published ports and DNS settings, for a pod or a container of its own.
fn reach_args(a: &mut Vec<String>, hosts: &[HostEntry], ports: &[Port], dns: &Dns) {
    for h in hosts {
        a.push("--add-host".into());
        a.push(format!("{}:{}", h.host, h.ip));
    }
    for p in ports {
        a.push("-p".into());
        a.push(port_arg(p));
    }
    for (flag, values) in [
        ("--dns", &dns.servers),
        ("--dns-search", &dns.search),
        ("--dns-option", &dns.options),
    ] {
        for v in values {
            a.push(flag.into());
            a.push(v.clone());
        }
    }
}

/// How a container of bridge mode joins: its networks and names on them (or its network
/// mode), then what a pod would have given it.
fn network_args(a: &mut Vec<String>, n: &NetworkAttach) {
    match &n.mode {
        Some(mode) => flag(a, "--network", mode),
        None => {
            for net in &n.networks {
                match n.interfaces.get(net).filter(|o| !o.is_empty()) {
                    Some(options) => flag(a, "--network", &format!("{net}:{}", options.join(","))),
                    None => flag(a, "--network", net),
                }
            }
            for alias in &n.aliases {
                flag(a, "--network-alias", alias);
            }
        }
    }
    if let Some(h) = &n.hostname {
        flag(a, "--hostname", h);
    }
    let own_namespace = n.mode.as_deref().is_none_or(|m| m == "bridge");
    if own_namespace {
        reach_args(a, &n.hosts, &n.ports, &n.dns);
    }
}

pub fn network_create_args(spec: &NetworkSpec) -> Vec<String> {
    let mut a = strings(["network", "create"]);
    a.extend(label_args(&spec.labels));
    if spec.internal {
        a.push("--internal".into());
    }
    if spec.ipv6 {
        a.push("--ipv6".into());
    }
    if let Some(d) = &spec.ipam_driver {
        flag(&mut a, "--ipam-driver", d);
    }
    // Each pool's range and gateway follow its subnet, as podman pairs them in order.
    for pool in &spec.pools {
        for (f, v) in [
            ("--subnet", &pool.subnet),
            ("--ip-range", &pool.ip_range),
            ("--gateway", &pool.gateway),
        ] {
            if let Some(v) = v {
                flag(&mut a, f, v);
            }
        }
    }
    for (k, v) in &spec.options {
        flag(&mut a, "--opt", &format!("{k}={v}"));
    }
    if let Some(d) = &spec.driver {
        flag(&mut a, "--driver", d);
    }
    a.push(spec.name.clone());
    a
}

pub fn network_remove_args(names: &[String]) -> Vec<String> {
    with_names(strings(["network", "rm"]), names)
}

fn health_cmd(test: &HealthTest) -> String {
    match test {
        // podman reads a JSON array as the exec form, *without* the CMD keyword.
        HealthTest::Cmd(argv) => serde_json::to_string(argv).unwrap_or_default(),
        HealthTest::Shell(cmd) => cmd.clone(),
    }
}

fn restart_arg(r: RestartPolicy) -> String {
    r.to_string()
}

/// `podman run -d` for one container of a service.
pub fn run_args(spec: &ContainerSpec) -> Vec<String> {
    container_args(strings(["run", "-d"]), spec)
}

/// `up --no-start` and `create`: the same container, not started.
pub fn create_args(spec: &ContainerSpec) -> Vec<String> {
    container_args(strings(["create"]), spec)
}

/// `podman run` of a one-off container in the foreground.
pub fn run_foreground_args(spec: &ContainerSpec, remove: bool) -> Vec<String> {
    let head = if remove {
        strings(["run", "--rm"])
    } else {
        strings(["run"])
    };
    container_args(head, spec)
}

pub fn exec_args(spec: &ExecSpec) -> Vec<String> {
    let mut a = strings(["exec"]);
    if spec.detach {
        a.push("--detach".into());
    }
    if spec.interactive && !spec.detach {
        a.push("--interactive".into());
    }
    if spec.tty && !spec.detach {
        a.push("--tty".into());
    }
    if spec.privileged {
        a.push("--privileged".into());
    }
    for (k, v) in &spec.env {
        flag(&mut a, "--env", &env_arg(k, v));
    }
    if let Some(w) = &spec.workdir {
        a.push("--workdir".into());
        a.push(w.clone());
    }
    if let Some(u) = &spec.user {
        a.push("--user".into());
        a.push(u.clone());
    }
    a.push(spec.container.clone());
    a.extend(spec.command.iter().cloned());
    a
}

fn container_args(mut a: Vec<String>, spec: &ContainerSpec) -> Vec<String> {
    if !spec.pod.is_empty() {
        flag(&mut a, "--pod", &spec.pod);
    }
    if let Some(n) = &spec.network {
        network_args(&mut a, n);
    }
    flag(&mut a, "--name", &spec.name);
    a.extend(label_args(&spec.labels));
    for (k, v) in &spec.env {
        flag(&mut a, "--env", &env_arg(k, v));
    }
    mount_args(&mut a, spec);
    if let Some(w) = &spec.working_dir {
        flag(&mut a, "--workdir", w);
    }
    if let Some(u) = &spec.user {
        flag(&mut a, "--user", u);
    }
    if let Some(h) = &spec.health {
        health_args(&mut a, h);
    } else if spec.no_healthcheck {
        a.push("--no-healthcheck".into());
    }
    lifecycle_args(&mut a, spec);
    privilege_args(&mut a, spec);
    runtime_args(&mut a, &spec.runtime);
    if spec.tty {
        a.push("--tty".into());
    }
    if spec.interactive {
        a.push("--interactive".into());
    }
    if let Some(e) = &spec.entrypoint {
        let entrypoint = match e.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            many => serde_json::to_string(many).unwrap_or_default(),
        };
        flag(&mut a, "--entrypoint", &entrypoint);
    }
    a.push(spec.image.clone());
    if let Some(c) = &spec.command {
        a.extend(c.iter().cloned());
    }
    a
}

fn flag(a: &mut Vec<String>, name: &str, value: &str) {
    a.push(name.to_string());
    a.push(value.to_string());
}

fn mount_args(a: &mut Vec<String>, spec: &ContainerSpec) {
    for m in &spec.mounts {
        match m {
            MountSpec::Volume {
                source,
                target,
                options,
            } if options.is_empty() => flag(a, "--volume", &format!("{source}:{target}")),
            // `--volume` has no subpath (podman 5.4 and later take it in `--mount`).
            MountSpec::Volume {
                source,
                target,
                options,
            } if options.iter().any(|o| o.starts_with("subpath=")) => {
                let spec = format!("type=volume,source={source},destination={target}");
                flag(a, "--mount", &format!("{spec},{}", options.join(",")))
            }
            MountSpec::Volume {
                source,
                target,
                options,
            } => flag(
                a,
                "--volume",
                &format!("{source}:{target}:{}", options.join(",")),
            ),
            MountSpec::Anonymous { target } => flag(a, "--volume", target),
            // The backend has written these to files (`files::materialize`) by now.
            MountSpec::Content { target, .. } => flag(a, "--tmpfs", target),
            MountSpec::Secret { name, target } => {
                flag(a, "--secret", &format!("{name},type=mount,target={target}"))
            }
            MountSpec::Image {
                image,
                subpath,
                target,
            } => {
                let sub = subpath.as_ref().map(|s| format!(",subpath={s}"));
                let spec = format!("type=image,source={image},destination={target}");
                flag(a, "--mount", &format!("{spec}{}", sub.unwrap_or_default()))
            }
            MountSpec::Tmpfs {
                target,
                size,
                read_only,
            } => {
                let mut m = format!("type=tmpfs,destination={target}");
                if let Some(s) = size {
                    m.push_str(&format!(",tmpfs-size={s}"));
                }
                if *read_only {
                    m.push_str(",ro=true");
                }
                flag(a, "--mount", &m);
            }
        }
    }
    for t in &spec.tmpfs {
        flag(a, "--tmpfs", t);
    }
    for v in &spec.volumes_from {
        flag(a, "--volumes-from", v);
    }
}

fn health_args(a: &mut Vec<String>, h: &HealthSpec) {
    flag(a, "--health-cmd", &health_cmd(&h.test));
    // podman refuses intervals under a second; sidepod runs the checks itself anyway.
    let at_least_a_second = |d: Duration| format_duration(d.max(Duration::from_secs(1)));
    flag(a, "--health-interval", &at_least_a_second(h.interval));
    flag(a, "--health-timeout", &at_least_a_second(h.timeout));
    flag(a, "--health-retries", &h.retries.to_string());
    flag(a, "--health-start-period", &format_duration(h.start_period));
}

/// How the container's process starts, stops and restarts.
fn lifecycle_args(a: &mut Vec<String>, spec: &ContainerSpec) {
    if spec.init {
        a.push("--init".into());
    }
    if let Some(s) = &spec.stop_signal {
        flag(a, "--stop-signal", s);
    }
    if let Some(t) = spec.stop_timeout {
        flag(a, "--stop-timeout", &seconds(t));
    }
    if spec.restart != RestartPolicy::No {
        flag(a, "--restart", &restart_arg(spec.restart));
    }
}

/// Capabilities, devices and what the container may write.
fn privilege_args(a: &mut Vec<String>, spec: &ContainerSpec) {
    for c in &spec.cap_add {
        flag(a, "--cap-add", c);
    }
    for c in &spec.cap_drop {
        flag(a, "--cap-drop", c);
    }
    if spec.privileged {
        a.push("--privileged".into());
    }
    for d in &spec.devices {
        flag(a, "--device", d);
    }
    if spec.read_only {
        a.push("--read-only".into());
    }
    if let Some(s) = spec.shm_size {
        flag(a, "--shm-size", &s.to_string());
    }
    for (name, u) in &spec.ulimits {
        flag(a, "--ulimit", &format!("{name}={}:{}", u.soft, u.hard));
    }
}

pub fn volume_create_args(spec: &VolumeSpec) -> Vec<String> {
    let mut a = strings(["volume", "create"]);
    a.extend(label_args(&spec.labels));
    if let Some(d) = &spec.driver {
        a.push("--driver".into());
        a.push(d.clone());
    }
    for (k, v) in &spec.driver_opts {
        a.push("--opt".into());
        a.push(format!("{k}={v}"));
    }
    a.push(spec.name.clone());
    a
}

pub fn build_args(spec: &BuildSpec) -> Vec<String> {
    // Docker's image format, as docker compose builds: OCI images drop HEALTHCHECK.
    let mut a = strings(["build", "--format", "docker", "--tag"]);
    a.push(spec.tag.clone());
    for t in &spec.tags {
        flag(&mut a, "--tag", t);
    }
    if let Some(f) = &spec.dockerfile {
        a.push("--file".into());
        let remote = crate::model::is_remote_context(&spec.context.to_string_lossy());
        // podman reads a relative --file from its working directory; Compose means the
        // context (a remote context's file is named inside it).
        let path = if remote || Path::new(f).is_absolute() {
            PathBuf::from(f)
        } else {
            spec.context.join(f)
        };
        a.push(path.to_string_lossy().into_owned());
    }
    if !spec.platforms.is_empty() {
        flag(&mut a, "--platform", &spec.platforms.join(","));
    }
    for s in &spec.secrets {
        let value = match s {
            BuildSecret::File { id, path } => format!("id={id},src={path}"),
            BuildSecret::Env { id, var } => format!("id={id},env={var}"),
        };
        flag(&mut a, "--secret", &value);
    }
    for (name, values) in [
        ("--ssh", &spec.ssh),
        ("--build-context", &spec.build_contexts),
        ("--cache-from", &spec.cache_from),
        ("--cache-to", &spec.cache_to),
        ("--add-host", &spec.add_hosts),
        ("--ulimit", &spec.ulimits),
    ] {
        for v in values {
            flag(&mut a, name, v);
        }
    }
    if let Some(n) = &spec.network {
        flag(&mut a, "--network", n);
    }
    if let Some(size) = spec.shm_size {
        flag(&mut a, "--shm-size", &size.to_string());
    }
    if let Some(t) = &spec.target {
        a.push("--target".into());
        a.push(t.clone());
    }
    for (k, v) in &spec.args {
        a.push("--build-arg".into());
        a.push(format!("{k}={v}"));
    }
    a.extend(label_args(&spec.labels));
    if spec.no_cache {
        a.push("--no-cache".into());
    }
    if spec.pull {
        a.push("--pull".into());
    }
    a.push(spec.context.to_string_lossy().into_owned());
    a
}

/// `podman logs` of one container or more: with more, podman starts each line with the
/// container's name (`--names`; its ID without).
pub fn logs_args(names: &[String], opts: &LogOptions) -> Vec<String> {
    let mut a = strings(["logs"]);
    if names.len() > 1 {
        a.push("--names".into());
    }
    if opts.follow {
        a.push("--follow".into());
    }
    if let Some(n) = opts.tail {
        a.push("--tail".into());
        a.push(n.to_string());
    }
    if opts.timestamps {
        a.push("--timestamps".into());
    }
    for (flag, value) in [("--since", &opts.since), ("--until", &opts.until)] {
        if let Some(v) = value {
            a.push(flag.into());
            a.push(v.clone());
        }
    }
    a.extend(names.iter().cloned());
    a
}

fn with_names(mut head: Vec<String>, names: &[String]) -> Vec<String> {
    head.extend(names.iter().cloned());
    head
}

pub fn stop_args(names: &[String], timeout: Option<Duration>) -> Vec<String> {
    let head = match timeout {
        Some(t) => vec!["stop".into(), "--time".into(), seconds(t)],
        None => strings(["stop"]),
    };
    with_names(head, names)
}

pub fn start_args(names: &[String]) -> Vec<String> {
    with_names(strings(["start"]), names)
}

pub fn restart_args(names: &[String], timeout: Option<Duration>) -> Vec<String> {
    let head = match timeout {
        Some(t) => vec!["restart".into(), "--time".into(), seconds(t)],
        None => strings(["restart"]),
    };
    with_names(head, names)
}

pub fn kill_args(names: &[String], signal: &str) -> Vec<String> {
    with_names(vec!["kill".into(), "--signal".into(), signal.into()], names)
}

/// Resource limits, security, logging and kernel settings, as `podman run` flags.
fn runtime_args(a: &mut Vec<String>, r: &RuntimeOptions) {
    let mut flag = |name: &str, value: String| {
        a.push(name.to_string());
        a.push(value);
    };
    if let Some(m) = r.memory {
        flag("--memory", m.to_string());
    }
    if let Some(m) = r.memory_reservation {
        flag("--memory-reservation", m.to_string());
    }
    if let Some(m) = r.memory_swap {
        flag("--memory-swap", m.to_string());
    }
    if let Some(c) = &r.cpus {
        flag("--cpus", c.clone());
    }
    if let Some(c) = r.cpu_shares {
        flag("--cpu-shares", c.to_string());
    }
    if let Some(c) = &r.cpuset {
        flag("--cpuset-cpus", c.clone());
    }
    if let Some(p) = r.pids_limit {
        flag("--pids-limit", p.to_string());
    }
    for o in &r.security_opt {
        flag("--security-opt", o.clone());
    }
    for g in &r.group_add {
        flag("--group-add", g.clone());
    }
    for (k, v) in &r.sysctls {
        flag("--sysctl", format!("{k}={v}"));
    }
    if let Some(d) = &r.log_driver {
        flag("--log-driver", d.clone());
    }
    for (k, v) in &r.log_options {
        flag("--log-opt", format!("{k}={v}"));
    }
    for (k, v) in &r.annotations {
        flag("--annotation", format!("{k}={v}"));
    }
    if let Some(o) = r.oom_score_adj {
        flag("--oom-score-adj", o.to_string());
    }
    for (name, value) in [
        ("--ipc", &r.ipc),
        ("--pid", &r.pid),
        ("--userns", &r.userns),
        ("--runtime", &r.oci_runtime),
        ("--mac-address", &r.mac_address),
    ] {
        if let Some(v) = value {
            flag(name, v.clone());
        }
    }
    if let Some(p) = &r.platform {
        flag("--platform", p.clone());
    }
    if r.oom_kill_disable {
        a.push("--oom-kill-disable".into());
    }
}

pub fn pause_args(names: &[String]) -> Vec<String> {
    with_names(strings(["pause"]), names)
}

pub fn unpause_args(names: &[String]) -> Vec<String> {
    with_names(strings(["unpause"]), names)
}

pub fn port_args(name: &str, port: u16, protocol: &str) -> Vec<String> {
    vec!["port".into(), name.into(), format!("{port}/{protocol}")]
}

pub fn top_args(name: &str) -> Vec<String> {
    vec!["top".into(), name.into()]
}

pub fn volume_remove_args(names: &[String]) -> Vec<String> {
    with_names(strings(["volume", "rm", "--force"]), names)
}

pub fn pull_args(image: &str) -> Vec<String> {
    vec!["pull".into(), "--quiet".into(), image.into()]
}

pub fn healthcheck_args(name: &str) -> Vec<String> {
    vec!["healthcheck".into(), "run".into(), name.into()]
}

/// `rm --force`, which stops a running container in its stop timeout first, or in
/// `timeout`.
pub fn remove_args(names: &[String], volumes: bool, timeout: Option<Duration>) -> Vec<String> {
    let mut head = strings(["rm", "--force"]);
    if volumes {
        head.push("--volumes".into());
    }
    if let Some(t) = timeout {
        head.extend(["--time".into(), seconds(t)]);
    }
    with_names(head, names)
}

pub fn pod_start_args(name: &str) -> Vec<String> {
    strings(["pod", "start", name])
}

pub fn pod_stop_args(name: &str, timeout: Duration) -> Vec<String> {
    vec![
        "pod".into(),
        "stop".into(),
        "--time".into(),
        seconds(timeout),
        name.into(),
    ]
}

pub fn pod_remove_args(name: &str, timeout: Duration) -> Vec<String> {
    vec![
        "pod".into(),
        "rm".into(),
        "--force".into(),
        "--time".into(),
        seconds(timeout),
        name.into(),
    ]
}

#[cfg(test)]
mod flags;
#[cfg(test)]
mod tests;
