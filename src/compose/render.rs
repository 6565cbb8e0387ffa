//! `sidepod config`: the resolved project as normalised Compose YAML or JSON: long forms,
//! absolute paths, interpolated values, keys in a fixed order.

use serde_json::{json, Map, Value};

use crate::model::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// Renders a value as YAML or pretty JSON, ending in a newline. Secret values are
/// masked in the data, so that the text stays valid YAML (`'***'`, quoted).
pub fn to_text(value: &Value, format: Format) -> String {
    let mut masked = value.clone();
    mask_strings(&mut masked);
    let value = &masked;
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Yaml => serde_norway::to_string(value).unwrap_or_default(),
    }
}

fn mask_strings(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(m) = crate::output::mask::mask(s) {
                *s = m;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_strings),
        Value::Object(m) => m.values_mut().for_each(mask_strings),
        _ => {}
    }
}

/// Writes every `$` in interpolated values as `$$`, so that the output, read again,
/// means the same thing.
pub fn escape_dollars(value: &mut Value) {
    match value {
        Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        Value::Array(items) => items.iter_mut().for_each(escape_dollars),
        Value::Object(m) => m.values_mut().for_each(escape_dollars),
        _ => {}
    }
}

pub fn render_project(project: &Project, format: Format) -> String {
    let mut value = project_value(project);
    escape_dollars(&mut value);
    to_text(&value, format)
}

/// The project as loaded without interpolation: its `${VAR}` are the files' own, and
/// stay as written.
pub fn render_uninterpolated(project: &Project, format: Format) -> String {
    to_text(&project_value(project), format)
}

fn project_value(p: &Project) -> Value {
    let mut top = Map::new();
    top.insert("name".into(), json!(p.name));
    top.insert("services".into(), services_value(p));
    if !p.networks.is_empty() {
        let networks: Map<String, Value> = p
            .networks
            .iter()
            .map(|(k, n)| (k.clone(), network_value(&p.name, k, n)))
            .collect();
        top.insert("networks".into(), Value::Object(networks));
    }
    insert_volumes(&mut top, p);
    insert_file_objects(&mut top, p);
    if let Some(network) = p.network {
        top.insert(
            crate::compose::SIDEPOD_KEY.into(),
            json!({ "network": network.name() }),
        );
    }
    Value::Object(top)
}

/// The project's top-level `secrets` and `configs`: the files they are read from.
pub fn insert_file_objects(top: &mut Map<String, Value>, p: &Project) {
    for (key, files) in [("secrets", &p.secrets), ("configs", &p.configs)] {
        if !files.is_empty() {
            let objects: Map<String, Value> = files
                .iter()
                .map(|(name, source)| (name.clone(), file_source_value(source)))
                .collect();
            top.insert(key.into(), Value::Object(objects));
        }
    }
}

fn file_source_value(source: &FileSource) -> Value {
    match source {
        FileSource::File(file) => json!({ "file": file }),
        FileSource::Content(text) => json!({ "content": text }),
        FileSource::Environment { var, .. } => json!({ "environment": var }),
        FileSource::External(name) => json!({ "external": true, "name": name }),
    }
}

/// The project's top-level `volumes`, when it has any.
pub fn insert_volumes(top: &mut Map<String, Value>, p: &Project) {
    if !p.volumes.is_empty() {
        let volumes: Map<String, Value> = p
            .volumes
            .iter()
            .map(|(k, v)| (k.clone(), volume_value(p, k, v)))
            .collect();
        top.insert("volumes".into(), Value::Object(volumes));
    }
}

fn volume_value(p: &Project, key: &str, v: &Volume) -> Value {
    let mut m = Map::new();
    let name = if v.external {
        v.name.clone().unwrap_or_else(|| key.to_string())
    } else {
        p.volume_name(key)
    };
    m.insert("name".into(), json!(name));
    if v.external {
        m.insert("external".into(), json!(true));
    }
    insert_opt(&mut m, "driver", v.driver.as_ref());
    insert_map(&mut m, "driver_opts", &v.driver_opts);
    insert_map(&mut m, "labels", &v.labels);
    Value::Object(m)
}

fn network_value(project: &str, key: &str, n: &Network) -> Value {
    let mut m = Map::new();
    let name = n.name.clone().unwrap_or_else(|| {
        if n.external {
            key.to_string()
        } else {
            format!("{project}_{key}")
        }
    });
    m.insert("name".into(), json!(name));
    if n.external {
        m.insert("external".into(), json!(true));
    }
    if n.internal {
        m.insert("internal".into(), json!(true));
    }
    insert_opt(&mut m, "driver", n.driver.as_ref());
    insert_map(&mut m, "driver_opts", &n.driver_opts);
    insert_map(&mut m, "labels", &n.labels);
    if n.enable_ipv6 {
        m.insert("enable_ipv6".into(), json!(true));
    }
    if n.ipam_driver.is_some() || !n.pools.is_empty() || !n.unapplied.is_empty() {
        let mut ipam = Map::new();
        insert_opt(&mut ipam, "driver", n.ipam_driver.as_ref());
        let pools: Vec<Value> = n
            .pools
            .iter()
            .map(|p| {
                let mut pool = Map::new();
                insert_opt(&mut pool, "subnet", p.subnet.as_ref());
                insert_opt(&mut pool, "ip_range", p.ip_range.as_ref());
                insert_opt(&mut pool, "gateway", p.gateway.as_ref());
                Value::Object(pool)
            })
            .collect();
        if !pools.is_empty() {
            ipam.insert("config".into(), json!(pools));
        }
        if let Some(options) = n.unapplied.get("ipam.options") {
            ipam.insert("options".into(), options.clone());
        }
        m.insert("ipam".into(), Value::Object(ipam));
    }
    Value::Object(m)
}

fn insert_opt<T: serde::Serialize>(m: &mut Map<String, Value>, key: &str, v: Option<T>) {
    if let Some(v) = v {
        m.insert(key.into(), json!(v));
    }
}

fn insert_map<T: serde::Serialize>(
    m: &mut Map<String, Value>,
    key: &str,
    v: &std::collections::BTreeMap<String, T>,
) {
    if !v.is_empty() {
        m.insert(key.into(), json!(v));
    }
}

fn insert_list<T: serde::Serialize>(m: &mut Map<String, Value>, key: &str, v: &[T]) {
    if !v.is_empty() {
        m.insert(key.into(), json!(v));
    }
}

fn insert_flag(m: &mut Map<String, Value>, key: &str, v: bool) {
    if v {
        m.insert(key.into(), json!(true));
    }
}

/// One service in normalised long form, keys in alphabetical order as `docker compose
/// config` prints them.
/// Every service of the project, by name.
pub fn services_value(p: &Project) -> Value {
    let services: Map<String, Value> = p
        .services
        .values()
        .map(|s| (s.name.clone(), service_value(s)))
        .collect();
    Value::Object(services)
}

pub fn service_value(s: &Service) -> Value {
    let mut m = Map::new();
    insert_build(&mut m, s);
    insert_list(&mut m, "cap_add", &s.cap_add);
    insert_list(&mut m, "cap_drop", &s.cap_drop);
    insert_opt(&mut m, "command", s.command.as_ref());
    insert_opt(&mut m, "container_name", s.container_name.as_ref());
    insert_depends_on(&mut m, s);
    if s.replicas != 1 {
        m.insert("deploy".into(), json!({ "replicas": s.replicas }));
    }
    insert_list(&mut m, "devices", &s.devices);
    insert_opt(&mut m, "entrypoint", s.entrypoint.as_ref());
    insert_map(&mut m, "environment", &s.environment);
    let expose: Vec<String> = s
        .expose
        .iter()
        .map(|e| match e.protocol {
            Protocol::Tcp => e.port.to_string(),
            p => format!("{}/{}", e.port, p.as_str()),
        })
        .collect();
    insert_list(&mut m, "expose", &expose);
    if s.healthcheck_disabled {
        m.insert("healthcheck".into(), json!({ "disable": true }));
    }
    if let Some(h) = &s.healthcheck {
        m.insert("healthcheck".into(), healthcheck_value(h));
    }
    insert_opt(&mut m, "hostname", s.hostname.as_ref());
    insert_opt(&mut m, "image", s.image.as_ref());
    insert_flag(&mut m, "init", s.init);
    insert_map(&mut m, "labels", &s.labels);
    insert_network_settings(&mut m, s);
    let ports: Vec<Value> = s.ports.iter().map(port_value).collect();
    insert_list(&mut m, "ports", &ports);
    insert_flag(&mut m, "privileged", s.privileged);
    insert_list(&mut m, "profiles", &s.profiles);
    insert_opt(&mut m, "pull_policy", s.pull_policy.map(PullPolicy::name));
    insert_flag(&mut m, "read_only", s.read_only);
    if s.restart != RestartPolicy::No {
        m.insert("restart".into(), json!(s.restart.to_string()));
    }
    insert_opt(&mut m, "shm_size", s.shm_size);
    insert_flag(&mut m, "stdin_open", s.stdin_open);
    insert_opt(
        &mut m,
        "stop_grace_period",
        s.stop_grace_period.map(format_duration),
    );
    insert_opt(&mut m, "stop_signal", s.stop_signal.as_ref());
    insert_list(&mut m, "tmpfs", &s.tmpfs);
    insert_flag(&mut m, "tty", s.tty);
    insert_ulimits(&mut m, &s.ulimits);
    insert_opt(&mut m, "user", s.user.as_ref());
    let volumes: Vec<Value> = s.volumes.iter().map(mount_value).collect();
    insert_list(&mut m, "volumes", &volumes);
    insert_opt(&mut m, "working_dir", s.working_dir.as_ref());
    insert_runtime(&mut m, &s.runtime);
    insert_volumes_from(&mut m, s);
    insert_list(&mut m, "dns", &s.dns.servers);
    insert_list(&mut m, "dns_search", &s.dns.search);
    insert_list(&mut m, "dns_opt", &s.dns.options);
    for (key, refs) in [("secrets", &s.secrets), ("configs", &s.configs)] {
        let refs: Vec<Value> = refs
            .iter()
            .map(|r| {
                let mut v = json!({"source": r.source, "target": r.target});
                if let Some((uid, gid)) = &r.owner {
                    v["uid"] = json!(uid);
                    v["gid"] = json!(gid);
                }
                if let Some(mode) = r.mode {
                    v["mode"] = json!(format!("0{mode:o}"));
                }
                v
            })
            .collect();
        insert_list(&mut m, key, &refs);
    }
    let waits: Vec<Value> = s.wait.iter().map(wait_value).collect();
    insert_list(&mut m, super::WAIT_KEY, &waits);
    insert_unapplied(&mut m, &s.unapplied);
    for (key, hooks) in [
        ("pre_start", &s.pre_start),
        ("post_start", &s.post_start),
        ("pre_stop", &s.pre_stop),
    ] {
        if !hooks.is_empty() {
            m.insert(key.into(), hooks.iter().map(hook_value).collect());
        }
    }
    if !s.watch.is_empty() {
        let rules: Vec<Value> = s.watch.iter().map(watch_value).collect();
        m.insert("develop".into(), json!({ "watch": rules }));
    }
    m.sort_keys();
    Value::Object(m)
}

fn hook_value(h: &crate::model::Hook) -> Value {
    let mut m = Map::new();
    m.insert("command".into(), json!(h.command));
    insert_opt(&mut m, "image", h.image.as_ref());
    insert_opt(&mut m, "user", h.user.as_ref());
    if h.privileged {
        m.insert("privileged".into(), json!(true));
    }
    if h.per_replica {
        m.insert("per_replica".into(), json!(true));
    }
    insert_opt(&mut m, "working_dir", h.working_dir.as_ref());
    if !h.environment.is_empty() {
        m.insert("environment".into(), json!(h.environment));
    }
    Value::Object(m)
}

fn watch_value(w: &crate::model::WatchRule) -> Value {
    let mut m = Map::new();
    m.insert("path".into(), json!(w.path.display().to_string()));
    m.insert("action".into(), json!(w.action.as_str()));
    insert_opt(&mut m, "target", w.target.as_ref());
    for (key, patterns) in [("ignore", &w.ignore), ("include", &w.include)] {
        if !patterns.is_empty() {
            m.insert(key.into(), json!(patterns));
        }
    }
    if w.initial_sync {
        m.insert("initial_sync".into(), json!(true));
    }
    if let Some(exec) = &w.exec {
        m.insert("exec".into(), hook_value(exec));
    }
    Value::Object(m)
}

/// The keys sidepod shows but does not apply, each at its place (`networks.NET.KEY`
/// inside that network).
fn insert_unapplied(
    m: &mut Map<String, Value>,
    unapplied: &std::collections::BTreeMap<String, Value>,
) {
    for (key, value) in unapplied {
        let parts: Vec<&str> = key.split('.').collect();
        put_at(m, &parts, value.clone());
    }
}

fn put_at(m: &mut Map<String, Value>, parts: &[&str], value: Value) {
    match parts {
        [] => {}
        [last] => {
            m.insert(last.to_string(), value);
        }
        [first, rest @ ..] => {
            let slot = m.entry(first.to_string()).or_insert(Value::Null);
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(next) = slot {
                put_at(next, rest, value);
            }
        }
    }
}

/// The `build` section.
fn insert_build(m: &mut Map<String, Value>, s: &Service) {
    if let Some(b) = &s.build {
        let mut bm = Map::new();
        bm.insert("context".into(), json!(b.context.to_string_lossy()));
        insert_opt(&mut bm, "dockerfile", b.dockerfile.as_ref());
        insert_opt(&mut bm, "dockerfile_inline", b.dockerfile_inline.as_ref());
        insert_map(&mut bm, "args", &b.args);
        insert_opt(&mut bm, "target", b.target.as_ref());
        insert_map(&mut bm, "labels", &b.labels);
        insert_list(&mut bm, "platforms", &b.platforms);
        let secrets: Vec<Value> = b
            .secrets
            .iter()
            .map(|r| json!({ "source": r.source, "target": r.target }))
            .collect();
        insert_list(&mut bm, "secrets", &secrets);
        let ssh: Vec<String> = b
            .ssh
            .iter()
            .map(|(id, p)| p.as_ref().map_or(id.clone(), |p| format!("{id}={p}")))
            .collect();
        insert_list(&mut bm, "ssh", &ssh);
        insert_map(&mut bm, "additional_contexts", &b.additional_contexts);
        insert_list(&mut bm, "tags", &b.tags);
        insert_list(&mut bm, "cache_from", &b.cache_from);
        insert_list(&mut bm, "cache_to", &b.cache_to);
        insert_flag(&mut bm, "no_cache", b.no_cache);
        insert_flag(&mut bm, "pull", b.pull);
        insert_opt(&mut bm, "network", b.network.as_ref());
        insert_hosts(&mut bm, &b.extra_hosts);
        insert_opt(&mut bm, "shm_size", b.shm_size);
        insert_ulimits(&mut bm, &b.ulimits);
        bm.extend(b.unapplied.clone());
        m.insert("build".into(), Value::Object(bm));
    }
}

/// `depends_on`, in long form.
fn insert_depends_on(m: &mut Map<String, Value>, s: &Service) {
    if !s.depends_on.is_empty() {
        let deps: Map<String, Value> = s
            .depends_on
            .iter()
            .map(|(name, d)| {
                let mut dm = Map::new();
                dm.insert("condition".into(), json!(d.condition.as_str()));
                dm.insert("required".into(), json!(d.required));
                if d.restart {
                    dm.insert("restart".into(), json!(true));
                }
                (name.clone(), Value::Object(dm))
            })
            .collect();
        m.insert("depends_on".into(), Value::Object(deps));
    }
}

/// Host entries, links and networks.
fn insert_network_settings(m: &mut Map<String, Value>, s: &Service) {
    insert_hosts(m, &s.extra_hosts);
    let links: Vec<String> = s
        .links
        .iter()
        .map(|l| format!("{}:{}", l.service, l.alias))
        .collect();
    insert_list(m, "links", &links);
    insert_opt(
        m,
        "network_mode",
        s.network_mode.as_ref().map(|n| n.to_string()),
    );
    if !s.networks.is_empty() {
        let nets: Map<String, Value> = s
            .networks
            .iter()
            .map(|(k, n)| {
                let mut v = Map::new();
                if !n.aliases.is_empty() {
                    v.insert("aliases".into(), json!(n.aliases));
                }
                insert_opt(&mut v, "ipv4_address", n.ipv4_address.as_ref());
                insert_opt(&mut v, "ipv6_address", n.ipv6_address.as_ref());
                insert_opt(&mut v, "mac_address", n.mac_address.as_ref());
                insert_opt(&mut v, "interface_name", n.interface_name.as_ref());
                let v = if v.is_empty() {
                    Value::Null
                } else {
                    Value::Object(v)
                };
                (k.clone(), v)
            })
            .collect();
        m.insert("networks".into(), Value::Object(nets));
    }
}

fn insert_hosts(m: &mut Map<String, Value>, hosts: &[HostEntry]) {
    let hosts: Vec<String> = hosts
        .iter()
        .map(|h| format!("{}={}", h.host, h.ip))
        .collect();
    insert_list(m, "extra_hosts", &hosts);
}

/// `ulimits`: one number when soft and hard agree.
fn insert_ulimits(
    m: &mut Map<String, Value>,
    ulimits: &std::collections::BTreeMap<String, Ulimit>,
) {
    if !ulimits.is_empty() {
        let limits: Map<String, Value> = ulimits
            .iter()
            .map(|(k, u)| {
                let v = if u.soft == u.hard {
                    json!(u.soft)
                } else {
                    json!({ "soft": u.soft, "hard": u.hard })
                };
                (k.clone(), v)
            })
            .collect();
        m.insert("ulimits".into(), Value::Object(limits));
    }
}

/// `volumes_from`, in the short form.
fn insert_volumes_from(m: &mut Map<String, Value>, s: &Service) {
    let from: Vec<String> = s
        .volumes_from
        .iter()
        .map(|v| {
            let source = match &v.source {
                VolumesSource::Service(name) => name.clone(),
                VolumesSource::Container(name) => format!("container:{name}"),
            };
            if v.read_only {
                format!("{source}:ro")
            } else {
                source
            }
        })
        .collect();
    insert_list(m, "volumes_from", &from);
}

fn insert_runtime(m: &mut Map<String, Value>, r: &RuntimeOptions) {
    insert_map(m, "annotations", &r.annotations);
    insert_opt(m, "cpu_shares", r.cpu_shares);
    insert_opt(m, "cpus", r.cpus.as_ref());
    insert_opt(m, "cpuset", r.cpuset.as_ref());
    insert_list(m, "group_add", &r.group_add);
    if r.log_driver.is_some() || !r.log_options.is_empty() {
        let mut logging = Map::new();
        insert_opt(&mut logging, "driver", r.log_driver.as_ref());
        insert_map(&mut logging, "options", &r.log_options);
        m.insert("logging".into(), Value::Object(logging));
    }
    insert_opt(m, "mem_limit", r.memory);
    insert_opt(m, "mem_reservation", r.memory_reservation);
    insert_opt(m, "memswap_limit", r.memory_swap);
    insert_flag(m, "oom_kill_disable", r.oom_kill_disable);
    insert_opt(m, "oom_score_adj", r.oom_score_adj);
    insert_opt(m, "pids_limit", r.pids_limit);
    insert_opt(m, "platform", r.platform.as_ref());
    insert_opt(m, "ipc", r.ipc.as_ref());
    insert_opt(m, "pid", r.pid.as_ref());
    insert_opt(m, "userns_mode", r.userns.as_ref());
    insert_opt(m, "runtime", r.oci_runtime.as_ref());
    insert_opt(m, "mac_address", r.mac_address.as_ref());
    insert_list(m, "security_opt", &r.security_opt);
    insert_map(m, "sysctls", &r.sysctls);
}

fn healthcheck_value(h: &Healthcheck) -> Value {
    let test: Vec<String> = match &h.test {
        HealthTest::Cmd(argv) => std::iter::once("CMD".to_string())
            .chain(argv.iter().cloned())
            .collect(),
        HealthTest::Shell(cmd) => vec!["CMD-SHELL".into(), cmd.clone()],
    };
    json!({
        "test": test,
        "interval": format_duration(h.interval),
        "timeout": format_duration(h.timeout),
        "retries": h.retries,
        "start_period": format_duration(h.start_period),
        "start_interval": format_duration(h.start_interval),
    })
}

/// One wait strategy, as `x-sidepod-wait` reads it.
fn wait_value(w: &WaitStrategy) -> Value {
    let mut m = Map::new();
    match &w.check {
        WaitCheck::Port(p) => {
            m.insert("port".into(), json!(p));
        }
        WaitCheck::Log { pattern, times } => {
            m.insert("log".into(), json!(pattern));
            m.insert("times".into(), json!(times));
        }
        WaitCheck::Http(h) => {
            let scheme = if h.https { "https" } else { "http" };
            let url = format!("{scheme}://{}:{}{}", h.host, h.port, h.path);
            m.insert("http".into(), json!(url));
            m.insert("status".into(), json!(h.status));
        }
        WaitCheck::Command(HealthTest::Cmd(argv)) => {
            m.insert("command".into(), json!(argv));
        }
        WaitCheck::Command(HealthTest::Shell(s)) => {
            m.insert("command".into(), json!(s));
        }
    }
    insert_opt(&mut m, "timeout", w.timeout.map(format_duration));
    m.insert("interval".into(), json!(format_duration(w.interval)));
    Value::Object(m)
}

fn port_value(p: &Port) -> Value {
    let mut m = Map::new();
    m.insert("target".into(), json!(p.target));
    insert_opt(&mut m, "published", p.published.map(|r| r.to_string()));
    insert_opt(&mut m, "host_ip", p.host_ip.as_ref());
    m.insert("protocol".into(), json!(p.protocol.as_str()));
    Value::Object(m)
}

fn mount_value(v: &Mount) -> Value {
    let mut m = Map::new();
    let kind = match v.kind {
        MountKind::Bind => "bind",
        MountKind::Volume => "volume",
        MountKind::Tmpfs => "tmpfs",
        MountKind::Image => "image",
    };
    m.insert("type".into(), json!(kind));
    insert_opt(&mut m, "source", v.source.as_ref());
    m.insert("target".into(), json!(v.target));
    insert_flag(&mut m, "read_only", v.read_only);
    match v.kind {
        MountKind::Bind => {
            let mut b = Map::new();
            if let Some(p) = v
                .options
                .iter()
                .find(|o| o.contains("private") || o.contains("shared") || o.contains("slave"))
            {
                b.insert("propagation".into(), json!(p));
            }
            if let Some(z) = v.options.iter().find(|o| *o == "z" || *o == "Z") {
                b.insert("selinux".into(), json!(z));
            }
            b.insert("create_host_path".into(), json!(v.create_host_path));
            m.insert("bind".into(), Value::Object(b));
        }
        MountKind::Volume => {
            let mut o = Map::new();
            if v.options.iter().any(|o| o == "nocopy") {
                o.insert("nocopy".into(), json!(true));
            }
            if let Some(sub) = v.options.iter().find_map(|o| o.strip_prefix("subpath=")) {
                o.insert("subpath".into(), json!(sub));
            }
            if !o.is_empty() {
                m.insert("volume".into(), Value::Object(o));
            }
        }
        MountKind::Tmpfs if v.tmpfs_size.is_some() => {
            m.insert("tmpfs".into(), json!({ "size": v.tmpfs_size }));
        }
        MountKind::Image => {
            if let Some(sub) = v.options.iter().find_map(|o| o.strip_prefix("subpath=")) {
                m.insert("image".into(), json!({ "subpath": sub }));
            }
        }
        _ => {}
    }
    Value::Object(m)
}
