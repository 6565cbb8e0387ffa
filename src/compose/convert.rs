//! Raw → model: parses every short syntax, resolves paths and env files, and checks
//! each value, so that the model holds only valid, long-form data.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use indexmap::IndexMap;

use super::dotenv::parse_env_file;
use super::error::describe_path;
use super::raw::*;
use super::LoadError;
use crate::model::*;

/// What conversion needs besides the raw data.
pub struct Context<'a> {
    /// How errors name the file(s): `compose.yaml`, or `compose.yaml + compose.override.yaml`.
    pub file: &'a str,
    pub project_dir: &'a Path,
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Context<'_> {
    fn err(&self, path: &str, message: impl Into<String>) -> LoadError {
        LoadError::Invalid {
            file: self.file.to_string(),
            at: describe_path(path),
            message: message.into(),
        }
    }

    /// Resolves a host path against the project directory (and `~` against HOME).
    pub fn host_path(&self, p: &str) -> PathBuf {
        let expanded = if p == "~" || p.starts_with("~/") {
            let home = (self.lookup)("HOME").unwrap_or_else(|| "/".into());
            PathBuf::from(home).join(p.trim_start_matches('~').trim_start_matches('/'))
        } else {
            PathBuf::from(p)
        };
        clean_path(&self.project_dir.join(expanded))
    }
}

/// Removes `.` and resolves `..` lexically, without touching the file system.
pub fn clean_path(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

pub fn convert_volumes(
    raw: IndexMap<String, Option<RawVolume>>,
    ctx: &Context,
) -> Result<BTreeMap<String, Volume>, LoadError> {
    let mut out = BTreeMap::new();
    for (key, v) in raw {
        let v = v.unwrap_or_default();
        let external = v.external.is_some_and(|f| f.0);
        if external && (v.driver.is_some() || v.driver_opts.is_some()) {
            return Err(ctx.err(
                &format!("volumes.{key}"),
                "an external volume cannot also set driver or driver_opts",
            ));
        }
        out.insert(
            key,
            Volume {
                name: v.name,
                external,
                driver: v.driver,
                driver_opts: scalar_map(v.driver_opts),
                labels: labels(v.labels),
            },
        );
    }
    Ok(out)
}

pub fn convert_networks(raw: IndexMap<String, Option<RawNetwork>>) -> BTreeMap<String, Network> {
    raw.into_iter()
        .map(|(key, n)| {
            let n = n.unwrap_or_default();
            let network = Network {
                name: n.name,
                external: n.external.is_some_and(|f| f.0),
                internal: n.internal.is_some_and(|f| f.0),
                driver: n.driver,
                labels: labels(n.labels),
            };
            (key, network)
        })
        .collect()
}

/// Top-level `secrets` or `configs` (`kind`): the file each one is read from. Only
/// files are supported: each is bind-mounted read-only where services ask for it.
pub fn convert_file_objects(
    raw: IndexMap<String, RawFileObject>,
    kind: &str,
    ctx: &Context,
) -> Result<BTreeMap<String, PathBuf>, LoadError> {
    let mut out = BTreeMap::new();
    for (name, o) in raw {
        let at = format!("{kind}.{name}");
        let unsupported = [
            (o.external.is_some_and(|f| f.0), "external"),
            (o.environment.is_some(), "environment"),
            (o.content.is_some(), "content"),
            (o.driver.is_some() || o.driver_opts.is_some(), "driver"),
            (o.template_driver.is_some(), "template_driver"),
        ];
        if let Some((_, key)) = unsupported.iter().find(|(set, _)| *set) {
            return Err(ctx.err(
                &at,
                format!(
                    "`{key}` is not supported yet: sidepod mounts {kind} from files; write \
                     the value to a file and give it as `file:`"
                ),
            ));
        }
        let Some(file) = o.file else {
            return Err(ctx.err(&at, "needs a `file:` to read it from"));
        };
        let path = clean_path(&ctx.project_dir.join(&file));
        if !path.is_file() {
            return Err(ctx.err(&at, format!("file {} does not exist", path.display())));
        }
        out.insert(name, path);
    }
    Ok(out)
}

/// A service's `secrets` or `configs` entries, with their mount points: a secret at
/// /run/secrets/NAME, a config at /NAME, unless a target says otherwise.
fn file_refs(
    raw: Option<Vec<RawFileRef>>,
    kind: &str,
    path: &str,
    ctx: &Context,
) -> Result<Vec<FileRef>, LoadError> {
    let base = if kind == "secrets" {
        "/run/secrets"
    } else {
        ""
    };
    let mut out = Vec::new();
    for (i, r) in raw.unwrap_or_default().into_iter().enumerate() {
        let at = format!("{path}[{i}]");
        let (source, target) = match r {
            RawFileRef::Name(n) => (n, None),
            RawFileRef::Full(l) => {
                if l.uid.is_some() || l.gid.is_some() || l.mode.is_some() {
                    return Err(ctx.err(
                        &at,
                        "uid, gid and mode cannot be set on a file mounted from the host; \
                         remove them (set them on the file itself)",
                    ));
                }
                (l.source, l.target)
            }
        };
        let target = match target {
            Some(t) if t.starts_with('/') => t,
            Some(t) => format!("{base}/{t}"),
            None => format!("{base}/{source}"),
        };
        out.push(FileRef { source, target });
    }
    Ok(out)
}

fn scalar_map(m: Option<IndexMap<String, Scalar>>) -> BTreeMap<String, String> {
    m.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect()
}

fn labels(l: Option<ListOrMap>) -> BTreeMap<String, String> {
    list_or_map(l)
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect()
}

fn list_or_map(l: Option<ListOrMap>) -> BTreeMap<String, Option<String>> {
    match l {
        None => BTreeMap::new(),
        Some(ListOrMap::Map(m)) => m.into_iter().collect(),
        Some(ListOrMap::List(items)) => items
            .into_iter()
            .map(|item| match item.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (item, None),
            })
            .collect(),
    }
}

/// Converts one service. `volumes` and `networks` are the project's declared ones.
pub fn convert_service(
    name: &str,
    raw: RawService,
    volumes: &BTreeMap<String, Volume>,
    networks: &BTreeMap<String, Network>,
    ctx: &Context,
) -> Result<Service, LoadError> {
    let at = |key: &str| format!("services.{name}.{key}");
    let mut s = Service {
        name: name.to_string(),
        image: raw.image.clone(),
        working_dir: raw.working_dir.clone(),
        user: raw.user.clone().map(|u| u.0),
        container_name: raw.container_name.clone(),
        hostname: raw.hostname.clone(),
        init: flag(raw.init),
        stop_signal: raw.stop_signal.clone(),
        cap_add: raw.cap_add.clone().unwrap_or_default(),
        cap_drop: raw.cap_drop.clone().unwrap_or_default(),
        privileged: flag(raw.privileged),
        devices: raw.devices.clone().unwrap_or_default(),
        read_only: flag(raw.read_only),
        profiles: raw.profiles.clone().unwrap_or_default(),
        tty: flag(raw.tty),
        stdin_open: flag(raw.stdin_open),
        tmpfs: raw
            .tmpfs
            .as_ref()
            .map(OneOrMany::to_vec)
            .unwrap_or_default(),
        labels: labels(raw.labels.clone()),
        ..Service::default()
    };
    if matches!(s.image.as_deref(), Some("")) {
        return Err(ctx.err(&at("image"), "image is empty"));
    }
    s.build = raw
        .build
        .clone()
        .map(|b| convert_build(b, ctx))
        .transpose()?;
    if s.image.is_none() && s.build.is_none() {
        return Err(ctx.err(
            &format!("services.{name}"),
            "needs an `image` or a `build` section",
        ));
    }
    s.command = raw
        .command
        .clone()
        .map(|c| command(c, &at("command"), ctx))
        .transpose()?;
    s.entrypoint = raw
        .entrypoint
        .clone()
        .map(|c| command(c, &at("entrypoint"), ctx))
        .transpose()?;
    s.environment = environment(name, &raw, ctx)?;
    for (i, p) in raw
        .ports
        .clone()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        s.ports
            .extend(port(p).map_err(|m| ctx.err(&at(&format!("ports[{i}]")), m))?);
    }
    for (i, e) in raw.expose.clone().unwrap_or_default().iter().enumerate() {
        s.expose
            .extend(expose(&e.0).map_err(|m| ctx.err(&at(&format!("expose[{i}]")), m))?);
    }
    for (i, v) in raw
        .volumes
        .clone()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let path = at(&format!("volumes[{i}]"));
        let mount = mount(v, ctx).map_err(|m| ctx.err(&path, m))?;
        if mount.kind == MountKind::Volume {
            if let Some(source) = &mount.source {
                if !volumes.contains_key(source) {
                    return Err(ctx.err(
                        &path,
                        format!(
                            "volume {source:?} is not declared in the top-level `volumes` section; \
                             add it there, or write a path (./{source}) for a bind mount"
                        ),
                    ));
                }
            }
        }
        if s.volumes.iter().any(|m| m.target == mount.target) {
            return Err(ctx.err(
                &path,
                format!("two volumes are mounted at {:?}", mount.target),
            ));
        }
        s.volumes.push(mount);
    }
    s.depends_on = depends_on(raw.depends_on.clone(), &at("depends_on"), ctx)?;
    for (i, link) in raw
        .links
        .clone()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let (service, alias) = match link.split_once(':') {
            Some((s, a)) => (s.to_string(), a.to_string()),
            None => (link.clone(), link.clone()),
        };
        if service.is_empty() || alias.is_empty() {
            return Err(ctx.err(
                &at(&format!("links[{i}]")),
                format!("invalid link {link:?}; write SERVICE or SERVICE:ALIAS"),
            ));
        }
        s.depends_on.entry(service.clone()).or_insert(Dependency {
            condition: Condition::Started,
            required: true,
            restart: false,
        });
        s.links.push(Link { service, alias });
    }
    for (i, entry) in raw
        .volumes_from
        .clone()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let from =
            volumes_from(&entry).map_err(|m| ctx.err(&at(&format!("volumes_from[{i}]")), m))?;
        if let VolumesSource::Service(service) = &from.source {
            // Its container must exist first.
            s.depends_on.entry(service.clone()).or_insert(Dependency {
                condition: Condition::Started,
                required: true,
                restart: false,
            });
        }
        s.volumes_from.push(from);
    }
    s.healthcheck = raw
        .healthcheck
        .clone()
        .map(|h| healthcheck(h, &at("healthcheck"), ctx))
        .transpose()?
        .flatten();
    if let Some(r) = &raw.restart {
        s.restart = restart_policy(r).map_err(|m| ctx.err(&at("restart"), m))?;
    }
    if let Some(sig) = &s.stop_signal {
        check_signal(sig).map_err(|m| ctx.err(&at("stop_signal"), m))?;
    }
    if let Some(d) = &raw.stop_grace_period {
        s.stop_grace_period =
            Some(parse_duration(d).map_err(|m| ctx.err(&at("stop_grace_period"), m))?);
    }
    s.extra_hosts = extra_hosts(raw.extra_hosts.clone(), &at("extra_hosts"), ctx)?;
    s.networks = service_networks(raw.networks.clone(), networks, &at("networks"), ctx)?;
    if let Some(mode) = &raw.network_mode {
        s.network_mode = Some(network_mode(mode).map_err(|m| ctx.err(&at("network_mode"), m))?);
        if !s.networks.is_empty() {
            return Err(ctx.err(
                &at("network_mode"),
                "network_mode and networks cannot both be set",
            ));
        }
    }
    if let Some(size) = &raw.shm_size {
        s.shm_size = Some(parse_bytes(&size.0).map_err(|m| ctx.err(&at("shm_size"), m))?);
    }
    for (limit, value) in raw.ulimits.clone().unwrap_or_default() {
        let path = at(&format!("ulimits.{limit}"));
        let (soft, hard) = match value {
            RawUlimit::Single(n) => (n, n),
            RawUlimit::Pair { soft, hard } => (soft, hard),
        };
        let (soft, hard) = (
            whole::<i64>(soft).map_err(|m| ctx.err(&path, m))?,
            whole::<i64>(hard).map_err(|m| ctx.err(&path, m))?,
        );
        if soft > hard && hard >= 0 {
            return Err(ctx.err(
                &path,
                format!("soft limit {soft} is above hard limit {hard}"),
            ));
        }
        s.ulimits.insert(limit, Ulimit { soft, hard });
    }
    if let Some(p) = &raw.pull_policy {
        s.pull_policy = Some(pull_policy(p).map_err(|m| ctx.err(&at("pull_policy"), m))?);
    }
    s.replicas = replicas(&raw, name, ctx)?;
    s.runtime = runtime_options(name, &raw, ctx)?;
    s.dns = Dns {
        servers: raw.dns.as_ref().map(OneOrMany::to_vec).unwrap_or_default(),
        search: raw
            .dns_search
            .as_ref()
            .map(OneOrMany::to_vec)
            .unwrap_or_default(),
        options: raw.dns_opt.clone().unwrap_or_default(),
    };
    if let Some(bad) = s
        .dns
        .servers
        .iter()
        .find(|d| d.parse::<std::net::IpAddr>().is_err())
    {
        return Err(ctx.err(
            &at("dns"),
            format!("{bad:?} is not an IP address; name servers are given by address"),
        ));
    }
    s.secrets = file_refs(raw.secrets.clone(), "secrets", &at("secrets"), ctx)?;
    s.configs = file_refs(raw.configs.clone(), "configs", &at("configs"), ctx)?;
    if s.replicas > 1 && s.container_name.is_some() {
        return Err(ctx.err(
            &at("container_name"),
            format!(
                "{} replicas cannot share one container_name; remove container_name or the replicas",
                s.replicas
            ),
        ));
    }
    Ok(s)
}

/// Resources (`mem_limit`, `cpus`, ... and their `deploy.resources` forms), security,
/// logging and kernel settings.
fn runtime_options(
    name: &str,
    raw: &RawService,
    ctx: &Context,
) -> Result<RuntimeOptions, LoadError> {
    let at = |key: &str| format!("services.{name}.{key}");
    let bytes = |v: &Option<Scalar>, key: &str| -> Result<Option<u64>, LoadError> {
        v.as_ref()
            .map(|v| parse_bytes(&v.0).map_err(|m| ctx.err(&at(key), m)))
            .transpose()
    };
    let resources = raw
        .deploy
        .as_ref()
        .and_then(|d| d.resources.clone())
        .unwrap_or_default();
    let limits = resources.limits.unwrap_or_default();
    let reservations = resources.reservations.unwrap_or_default();
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
            reservations.devices.is_some(),
            "deploy.resources.reservations.devices",
            "use `devices:` to pass a device",
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
            return Err(ctx.err(
                &at(key),
                format!("sidepod does not support this setting; {why}"),
            ));
        }
    }
    // One setting written two ways must agree.
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
    let memory = one(
        bytes(&raw.mem_limit, "mem_limit")?,
        bytes(&limits.memory, "deploy.resources.limits.memory")?,
        "mem_limit",
        "deploy.resources.limits.memory",
    )
    .map_err(|m| ctx.err(&at("mem_limit"), m))?;
    let memory_reservation = one(
        bytes(&raw.mem_reservation, "mem_reservation")?,
        bytes(&reservations.memory, "deploy.resources.reservations.memory")?,
        "mem_reservation",
        "deploy.resources.reservations.memory",
    )
    .map_err(|m| ctx.err(&at("mem_reservation"), m))?;
    let memory_swap = match &raw.memswap_limit {
        Some(v) if v.0.trim() == "-1" => Some(-1),
        Some(v) => Some(
            i64::try_from(parse_bytes(&v.0).map_err(|m| ctx.err(&at("memswap_limit"), m))?)
                .map_err(|_| ctx.err(&at("memswap_limit"), "too large"))?,
        ),
        None => None,
    };
    let cpus = |v: &Option<Scalar>, key: &str| -> Result<Option<String>, LoadError> {
        v.as_ref()
            .map(|v| {
                let text = v.0.trim();
                match text.parse::<f64>() {
                    Ok(n) if n > 0.0 && n.is_finite() => Ok(text.to_string()),
                    _ => Err(ctx.err(
                        &at(key),
                        format!("invalid CPU count {text:?}: write a positive number, as in 0.5"),
                    )),
                }
            })
            .transpose()
    };
    let cpus = one(
        cpus(&raw.cpus, "cpus")?,
        cpus(&limits.cpus, "deploy.resources.limits.cpus")?,
        "cpus",
        "deploy.resources.limits.cpus",
    )
    .map_err(|m| ctx.err(&at("cpus"), m))?;
    let whole_at = |n: Option<Number>, key: &str| -> Result<Option<i64>, LoadError> {
        n.map(|n| whole::<i64>(n).map_err(|m| ctx.err(&at(key), m)))
            .transpose()
    };
    let pids_limit = one(
        whole_at(raw.pids_limit, "pids_limit")?,
        whole_at(limits.pids, "deploy.resources.limits.pids")?,
        "pids_limit",
        "deploy.resources.limits.pids",
    )
    .map_err(|m| ctx.err(&at("pids_limit"), m))?;
    let cpu_shares = raw
        .cpu_shares
        .map(|n| whole::<u64>(n).map_err(|m| ctx.err(&at("cpu_shares"), m)))
        .transpose()?;
    let cpuset = raw.cpuset.as_ref().map(|c| c.0.trim().to_string());
    if let Some(c) = &cpuset {
        if c.is_empty()
            || !c
                .chars()
                .all(|ch| ch.is_ascii_digit() || ch == ',' || ch == '-')
        {
            return Err(ctx.err(
                &at("cpuset"),
                format!("invalid CPU set {c:?}: write CPU numbers and ranges, as in 0-3 or 0,2"),
            ));
        }
    }
    let mut sysctls = BTreeMap::new();
    for (key, value) in list_or_map(raw.sysctls.clone()) {
        match value {
            Some(v) => {
                sysctls.insert(key, v);
            }
            None => {
                return Err(ctx.err(
                    &at("sysctls"),
                    format!("sysctl {key:?} has no value; write {key}=VALUE"),
                ))
            }
        }
    }
    let logging = raw.logging.clone().unwrap_or_default();
    Ok(RuntimeOptions {
        memory,
        memory_reservation,
        memory_swap,
        cpus,
        cpu_shares,
        cpuset,
        pids_limit,
        security_opt: raw.security_opt.clone().unwrap_or_default(),
        group_add: raw
            .group_add
            .iter()
            .flatten()
            .map(|g| g.0.clone())
            .collect(),
        sysctls,
        log_driver: logging.driver,
        log_options: scalar_map(logging.options),
        annotations: labels(raw.annotations.clone()),
        oom_score_adj: whole_at(raw.oom_score_adj, "oom_score_adj")?,
        oom_kill_disable: flag(raw.oom_kill_disable),
        platform: raw.platform.clone(),
    })
}

/// `SERVICE`, `SERVICE:ro`, `container:NAME` or `container:NAME:rw`.
fn volumes_from(entry: &str) -> Result<VolumesFrom, String> {
    let (source, rest) = match entry.strip_prefix("container:") {
        Some(rest) => {
            let (name, mode) = rest
                .split_once(':')
                .map_or((rest, None), |(n, m)| (n, Some(m)));
            (VolumesSource::Container(name.to_string()), mode)
        }
        None => {
            let (name, mode) = entry
                .split_once(':')
                .map_or((entry, None), |(n, m)| (n, Some(m)));
            (VolumesSource::Service(name.to_string()), mode)
        }
    };
    let read_only = match rest {
        None | Some("rw") => false,
        Some("ro") => true,
        Some(other) => {
            return Err(format!(
            "invalid mode {other:?} in {entry:?}: write SERVICE, SERVICE:ro or container:NAME[:ro]"
        ))
        }
    };
    if matches!(&source, VolumesSource::Service(n) | VolumesSource::Container(n) if n.is_empty()) {
        return Err(format!("{entry:?} names no service or container"));
    }
    Ok(VolumesFrom { source, read_only })
}

fn flag(f: Option<Flag>) -> bool {
    f.is_some_and(|f| f.0)
}

fn whole<T: TryFrom<i64>>(n: Number) -> Result<T, String> {
    if n.0.fract() != 0.0 || !n.0.is_finite() {
        return Err(format!("expected a whole number, found {}", n.0));
    }
    T::try_from(n.0 as i64).map_err(|_| format!("{} is out of range", n.0))
}

fn replicas(raw: &RawService, name: &str, ctx: &Context) -> Result<u32, LoadError> {
    let deploy = raw
        .deploy
        .as_ref()
        .and_then(|d| d.replicas)
        .map(whole::<u32>)
        .transpose()
        .map_err(|m| ctx.err(&format!("services.{name}.deploy.replicas"), m))?;
    let scale = raw
        .scale
        .map(whole::<u32>)
        .transpose()
        .map_err(|m| ctx.err(&format!("services.{name}.scale"), m))?;
    match (deploy, scale) {
        (Some(d), Some(s)) if d != s => Err(ctx.err(
            &format!("services.{name}.scale"),
            format!("scale ({s}) and deploy.replicas ({d}) disagree; keep one"),
        )),
        (d, s) => Ok(d.or(s).unwrap_or(1)),
    }
}

fn convert_build(b: RawBuildSpec, ctx: &Context) -> Result<Build, LoadError> {
    let b = match b {
        RawBuildSpec::Context(c) => RawBuild {
            context: Some(c),
            ..RawBuild::default()
        },
        RawBuildSpec::Full(b) => b,
    };
    let context = b.context.unwrap_or_else(|| ".".to_string());
    Ok(Build {
        context: ctx.host_path(&context),
        dockerfile: b.dockerfile,
        args: list_or_map(b.args),
        target: b.target,
        labels: labels(b.labels),
    })
}

fn command(c: Command, path: &str, ctx: &Context) -> Result<Vec<String>, LoadError> {
    match c {
        Command::Exec(v) => Ok(v),
        Command::Shell(s) => shell_words::split(&s)
            .map_err(|e| ctx.err(path, format!("cannot split {s:?} into words: {e}"))),
    }
}

fn environment(
    name: &str,
    raw: &RawService,
    ctx: &Context,
) -> Result<BTreeMap<String, Option<String>>, LoadError> {
    let mut env = BTreeMap::new();
    let entries = raw
        .env_file
        .as_ref()
        .map(OneOrMany::to_vec)
        .unwrap_or_default();
    for (i, entry) in entries.into_iter().enumerate() {
        let (path, required) = match entry {
            EnvFileEntry::Path(p) => (p, true),
            EnvFileEntry::Full(f) => (f.path, f.required.is_none_or(|r| r.0)),
        };
        let full = ctx.host_path(&path);
        let text = match std::fs::read_to_string(&full) {
            Ok(t) => t,
            Err(_) if !required && !full.exists() => continue,
            Err(e) => {
                return Err(ctx.err(
                    &format!("services.{name}.env_file[{i}]"),
                    format!("cannot read env file {}: {e}", full.display()),
                ))
            }
        };
        let vars =
            parse_env_file(&text, ctx.lookup).map_err(|(line, message)| LoadError::EnvFile {
                path: full.clone(),
                line,
                message,
            })?;
        env.extend(vars);
    }
    for (k, v) in list_or_map(raw.environment.clone()) {
        if k.is_empty() {
            return Err(ctx.err(
                &format!("services.{name}.environment"),
                "a variable has an empty name",
            ));
        }
        env.insert(k, v);
    }
    // A name without a value takes its value from the environment, if it has one.
    for (k, v) in env.iter_mut() {
        if v.is_none() {
            *v = (ctx.lookup)(k);
        }
    }
    Ok(env)
}

fn protocol(p: &str) -> Result<Protocol, String> {
    match p.to_ascii_lowercase().as_str() {
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "sctp" => Ok(Protocol::Sctp),
        other => Err(format!("unknown protocol {other:?}; use tcp, udp or sctp")),
    }
}

fn port_number(s: &str, whole_spec: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(0) | Err(_) => Err(format!(
            "invalid port {s:?} in {whole_spec:?}: a port is a number from 1 to 65535"
        )),
        Ok(n) => Ok(n),
    }
}

fn port_range(s: &str, whole_spec: &str) -> Result<PortRange, String> {
    match s.split_once('-') {
        Some((a, b)) => {
            let (start, end) = (port_number(a, whole_spec)?, port_number(b, whole_spec)?);
            if start > end {
                return Err(format!(
                    "invalid port range {s:?} in {whole_spec:?}: it runs backwards"
                ));
            }
            Ok(PortRange { start, end })
        }
        None => port_number(s, whole_spec).map(PortRange::single),
    }
}

/// Parses a port in short (`[IP:][HOST:]CONTAINER[/PROTO]`) or long form. A container
/// range yields one port per container port.
pub fn port(entry: PortEntry) -> Result<Vec<Port>, String> {
    match entry {
        PortEntry::Short(spec) => short_port(&spec),
        PortEntry::Long(l) => {
            let target = l.target.ok_or("a long-form port needs `target`")?;
            let target = port_number(&target.0, &target.0)?;
            let published = l.published.map(|p| port_range(&p.0, &p.0)).transpose()?;
            let protocol = l
                .protocol
                .as_deref()
                .map(protocol)
                .transpose()?
                .unwrap_or_default();
            if let Some(mode) = &l.mode {
                if mode != "host" && mode != "ingress" {
                    return Err(format!("unknown port mode {mode:?}; use host or ingress"));
                }
            }
            Ok(vec![Port {
                target,
                published,
                host_ip: l.host_ip.filter(|ip| !ip.is_empty()),
                protocol,
            }])
        }
    }
}

fn short_port(spec: &str) -> Result<Vec<Port>, String> {
    let (body, proto) = match spec.rsplit_once('/') {
        Some((b, p)) => (b, protocol(p)?),
        None => (spec, Protocol::Tcp),
    };
    // An IPv6 host address is written in brackets: [::1]:8080:80
    let (host_ip, rest) = if let Some(after) = body.strip_prefix('[') {
        let (ip, rest) = after
            .split_once("]:")
            .ok_or_else(|| format!("invalid port {spec:?}: unclosed [ in the host address"))?;
        (Some(ip.to_string()), rest)
    } else {
        (None, body)
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (ip, host, container) = match (host_ip, parts.as_slice()) {
        (None, [c]) => (None, None, *c),
        (None, [h, c]) => (None, Some(*h), *c),
        (None, [ip, h, c]) => (Some(ip.to_string()), Some(*h), *c),
        (Some(ip), [h, c]) => (Some(ip), Some(*h), *c),
        _ => {
            return Err(format!(
                "invalid port {spec:?}: write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]"
            ))
        }
    };
    let ip = ip.filter(|i| !i.is_empty());
    let container = port_range(container, spec)?;
    let host = host
        .filter(|h| !h.is_empty())
        .map(|h| port_range(h, spec))
        .transpose()?;
    let count = container.end - container.start;
    match host {
        Some(h) if count > 0 && h.end - h.start != count => Err(format!(
            "invalid port {spec:?}: the host range and the container range differ in length"
        )),
        _ => Ok((0..=count)
            .map(|i| Port {
                target: container.start + i,
                published: host.map(|h| {
                    if count > 0 {
                        PortRange::single(h.start + i)
                    } else {
                        h
                    }
                }),
                host_ip: ip.clone(),
                protocol: proto,
            })
            .collect()),
    }
}

fn expose(spec: &str) -> Result<Vec<ExposedPort>, String> {
    let (body, proto) = match spec.rsplit_once('/') {
        Some((b, p)) => (b, protocol(p)?),
        None => (spec, Protocol::Tcp),
    };
    let range = port_range(body, spec)?;
    Ok((range.start..=range.end)
        .map(|port| ExposedPort {
            port,
            protocol: proto,
        })
        .collect())
}

fn is_host_path(source: &str) -> bool {
    source.starts_with('/') || source.starts_with('.') || source.starts_with('~')
}

/// Parses a volume in short (`SOURCE:TARGET[:MODE]`) or long form.
pub fn mount(entry: VolumeEntry, ctx: &Context) -> Result<Mount, String> {
    match entry {
        VolumeEntry::Short(spec) => short_mount(&spec, ctx),
        VolumeEntry::Long(l) => long_mount(*l, ctx),
    }
}

fn short_mount(spec: &str, ctx: &Context) -> Result<Mount, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, m] => (Some(*s), *t, Some(*m)),
        _ => {
            return Err(format!(
                "invalid volume {spec:?}: write SOURCE:TARGET[:MODE]"
            ))
        }
    };
    check_target(target, spec)?;
    let mut read_only = false;
    let mut options = Vec::new();
    for opt in mode
        .unwrap_or_default()
        .split(',')
        .filter(|o| !o.is_empty())
    {
        match opt {
            "ro" => read_only = true,
            "rw" => read_only = false,
            "z" | "Z" | "nocopy" | "rprivate" | "private" | "rshared" | "shared" | "rslave"
            | "slave" => options.push(opt.to_string()),
            // Docker Desktop's consistency hints mean nothing on Linux.
            "cached" | "delegated" | "consistent" => {}
            other => {
                return Err(format!(
                    "invalid volume {spec:?}: unknown mode {other:?} (use ro, rw, z, Z or a propagation mode)"
                ))
            }
        }
    }
    let (kind, source) = match source {
        None => (MountKind::Volume, None),
        Some("") => return Err(format!("invalid volume {spec:?}: empty source")),
        Some(s) if is_host_path(s) => (
            MountKind::Bind,
            Some(ctx.host_path(s).to_string_lossy().to_string()),
        ),
        Some(s) => (MountKind::Volume, Some(s.to_string())),
    };
    Ok(Mount {
        create_host_path: kind == MountKind::Bind,
        kind,
        source,
        target: target.to_string(),
        read_only,
        options,
        tmpfs_size: None,
    })
}

fn check_target(target: &str, spec: &str) -> Result<(), String> {
    if !target.starts_with('/') {
        return Err(format!(
            "invalid volume {spec:?}: the container path {target:?} must be absolute"
        ));
    }
    Ok(())
}

fn long_mount(l: RawVolumeLong, ctx: &Context) -> Result<Mount, String> {
    let kind = match l.kind.as_deref() {
        Some("bind") => MountKind::Bind,
        Some("volume") => MountKind::Volume,
        Some("tmpfs") => MountKind::Tmpfs,
        Some(other) => {
            return Err(format!(
                "volume type {other:?} is not supported; use bind, volume or tmpfs"
            ))
        }
        None => return Err("a long-form volume needs `type` (bind, volume or tmpfs)".into()),
    };
    let target = l.target.ok_or("a long-form volume needs `target`")?;
    check_target(&target, &target)?;
    let mut options = Vec::new();
    let mut create_host_path = false;
    if let Some(b) = &l.bind {
        if kind != MountKind::Bind {
            return Err("`bind` options are only for type: bind".into());
        }
        options.extend(b.propagation.clone());
        if let Some(selinux) = &b.selinux {
            match selinux.as_str() {
                "z" | "Z" => options.push(selinux.clone()),
                other => return Err(format!("bind.selinux must be z or Z, not {other:?}")),
            }
        }
        create_host_path = flag(b.create_host_path);
    }
    if let Some(v) = &l.volume {
        if kind != MountKind::Volume {
            return Err("`volume` options are only for type: volume".into());
        }
        if flag(v.nocopy) {
            options.push("nocopy".into());
        }
    }
    let tmpfs_size = match &l.tmpfs {
        Some(_) if kind != MountKind::Tmpfs => {
            return Err("`tmpfs` options are only for type: tmpfs".into());
        }
        Some(t) => t.size.as_ref().map(|s| parse_bytes(&s.0)).transpose()?,
        None => None,
    };
    let source = match (&kind, l.source.filter(|s| !s.is_empty())) {
        (MountKind::Bind, None) => return Err("a bind mount needs `source`".into()),
        (MountKind::Bind, Some(s)) => Some(ctx.host_path(&s).to_string_lossy().to_string()),
        (MountKind::Tmpfs, Some(_)) => return Err("a tmpfs mount takes no `source`".into()),
        (_, s) => s,
    };
    Ok(Mount {
        kind,
        source,
        target,
        read_only: flag(l.read_only),
        options,
        create_host_path,
        tmpfs_size,
    })
}

fn depends_on(
    raw: Option<DependsOn>,
    path: &str,
    ctx: &Context,
) -> Result<BTreeMap<String, Dependency>, LoadError> {
    let mut out = BTreeMap::new();
    match raw {
        None => {}
        Some(DependsOn::List(names)) => {
            for n in names {
                out.insert(
                    n,
                    Dependency {
                        condition: Condition::Started,
                        required: true,
                        restart: false,
                    },
                );
            }
        }
        Some(DependsOn::Map(m)) => {
            for (n, d) in m {
                let condition = match d.condition.as_deref() {
                    None | Some("service_started") => Condition::Started,
                    Some("service_healthy") => Condition::Healthy,
                    Some("service_completed_successfully") => Condition::CompletedSuccessfully,
                    Some(other) => {
                        return Err(ctx.err(
                            &format!("{path}.{n}.condition"),
                            format!(
                                "unknown condition {other:?}; use service_started, \
                                 service_healthy or service_completed_successfully"
                            ),
                        ))
                    }
                };
                out.insert(
                    n,
                    Dependency {
                        condition,
                        required: d.required.is_none_or(|r| r.0),
                        restart: flag(d.restart),
                    },
                );
            }
        }
    }
    Ok(out)
}

fn healthcheck(
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

fn restart_policy(r: &str) -> Result<RestartPolicy, String> {
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

const SIGNALS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

fn check_signal(sig: &str) -> Result<(), String> {
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

fn extra_hosts(
    raw: Option<ExtraHosts>,
    path: &str,
    ctx: &Context,
) -> Result<Vec<HostEntry>, LoadError> {
    let mut out = Vec::new();
    match raw {
        None => {}
        Some(ExtraHosts::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                let split = item.split_once('=').or_else(|| item.split_once(':'));
                match split {
                    Some((h, ip)) if !h.is_empty() && !ip.is_empty() => out.push(HostEntry {
                        host: h.to_string(),
                        ip: ip.trim_matches(|c| c == '[' || c == ']').to_string(),
                    }),
                    _ => {
                        return Err(ctx.err(
                            &format!("{path}[{i}]"),
                            format!("invalid host entry {item:?}; write HOST:IP or HOST=IP"),
                        ))
                    }
                }
            }
        }
        Some(ExtraHosts::Map(m)) => {
            for (h, ips) in m {
                for ip in ips.to_vec() {
                    out.push(HostEntry {
                        host: h.clone(),
                        ip,
                    });
                }
            }
        }
    }
    Ok(out)
}

fn service_networks(
    raw: Option<ServiceNetworks>,
    declared: &BTreeMap<String, Network>,
    path: &str,
    ctx: &Context,
) -> Result<BTreeMap<String, ServiceNetwork>, LoadError> {
    let entries: Vec<(String, ServiceNetwork)> = match raw {
        None => Vec::new(),
        Some(ServiceNetworks::List(names)) => names
            .into_iter()
            .map(|n| (n, ServiceNetwork::default()))
            .collect(),
        Some(ServiceNetworks::Map(m)) => m
            .into_iter()
            .map(|(n, s)| {
                let aliases = s.and_then(|s| s.aliases).unwrap_or_default();
                (n, ServiceNetwork { aliases })
            })
            .collect(),
    };
    let mut out = BTreeMap::new();
    for (name, net) in entries {
        if name != "default" && !declared.contains_key(&name) {
            return Err(ctx.err(
                &format!("{path}.{name}"),
                format!("network {name:?} is not declared in the top-level `networks` section"),
            ));
        }
        out.insert(name, net);
    }
    Ok(out)
}

fn network_mode(mode: &str) -> Result<NetworkMode, String> {
    match mode {
        "host" => Ok(NetworkMode::Host),
        "none" => Ok(NetworkMode::None),
        "bridge" | "default" => Ok(NetworkMode::Bridge),
        other => match other.strip_prefix("service:") {
            Some(s) if !s.is_empty() => Ok(NetworkMode::Service(s.to_string())),
            _ => Err(format!(
                "network_mode {other:?} is not supported in a pod; use host, none, bridge or service:NAME"
            )),
        },
    }
}

fn pull_policy(p: &str) -> Result<PullPolicy, String> {
    match p {
        "always" => Ok(PullPolicy::Always),
        "missing" | "if_not_present" => Ok(PullPolicy::Missing),
        "never" => Ok(PullPolicy::Never),
        "build" => Ok(PullPolicy::Build),
        other => Err(format!(
            "unknown pull_policy {other:?}; use always, missing, never or build"
        )),
    }
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
    Ok((value * factor as f64) as u64)
}

/// Checks that every secret and config a service uses is declared at the top level.
pub fn check_file_refs(
    services: &BTreeMap<String, Service>,
    secrets: &BTreeMap<String, PathBuf>,
    configs: &BTreeMap<String, PathBuf>,
    ctx: &Context,
) -> Result<(), LoadError> {
    for s in services.values() {
        for (kind, refs, declared) in [
            ("secrets", &s.secrets, secrets),
            ("configs", &s.configs, configs),
        ] {
            if let Some(r) = refs.iter().find(|r| !declared.contains_key(&r.source)) {
                return Err(ctx.err(
                    &format!("services.{}.{kind}", s.name),
                    format!(
                        "{:?} is not declared in the top-level `{kind}` section; add it there with a `file:`",
                        r.source
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Checks that every required dependency and `network_mode: service:X` names a service
/// of the project, and says which profile enables it when it is only disabled.
pub fn check_references(
    services: &BTreeMap<String, Service>,
    disabled: &BTreeMap<String, Vec<String>>,
    ctx: &Context,
) -> Result<(), LoadError> {
    for (name, svc) in services {
        for dep in svc.depends_on.keys() {
            if services.contains_key(dep) {
                continue;
            }
            // `required: false` lets a dependency be absent, as in Compose.
            if !svc.depends_on[dep].required {
                continue;
            }
            let message = match disabled.get(dep) {
                Some(profiles) => format!(
                    "depends on {dep:?}, which is only in profile(s) {}; enable one with --profile",
                    profiles.join(", ")
                ),
                None => format!("depends on {dep:?}, which is not a service in this project"),
            };
            return Err(ctx.err(&format!("services.{name}.depends_on.{dep}"), message));
        }
        if let Some(NetworkMode::Service(other)) = &svc.network_mode {
            if !services.contains_key(other) {
                return Err(ctx.err(
                    &format!("services.{name}.network_mode"),
                    format!(
                        "network_mode refers to {other:?}, which is not a service in this project"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A warning when services sit on disjoint networks: a pod cannot keep them apart.
pub fn isolation_warning(services: &BTreeMap<String, Service>) -> Option<String> {
    let nets = |s: &Service| -> BTreeSet<String> {
        if s.networks.is_empty() {
            ["default".to_string()].into()
        } else {
            s.networks.keys().cloned().collect()
        }
    };
    // A service with a network_mode joins another namespace; networks do not apply to it.
    let list: Vec<(&String, BTreeSet<String>)> = services
        .iter()
        .filter(|(_, s)| s.network_mode.is_none())
        .map(|(n, s)| (n, nets(s)))
        .collect();
    for (i, (a, na)) in list.iter().enumerate() {
        for (b, nb) in &list[i + 1..] {
            if na.is_disjoint(nb) {
                return Some(format!(
                    "services {a:?} and {b:?} are on separate networks, but all services of a \
                     project share one pod and one network namespace: isolation between them \
                     is not enforced"
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(spec: &str) -> Result<Vec<Port>, String> {
        port(PortEntry::Short(spec.to_string()))
    }

    #[test]
    fn short_port_syntax() {
        let p = ports("8080:80").unwrap();
        assert_eq!(p[0].target, 80);
        assert_eq!(p[0].published, Some(PortRange::single(8080)));
        let p = ports("127.0.0.1::5000/udp").unwrap();
        assert_eq!(
            (p[0].host_ip.as_deref(), p[0].published, p[0].protocol),
            (Some("127.0.0.1"), None, Protocol::Udp)
        );
        let p = ports("[::1]:8080:80").unwrap();
        assert_eq!(p[0].host_ip.as_deref(), Some("::1"));
        let p = ports("9090-9091:8080-8081").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[1].target, p[1].published),
            (8081, Some(PortRange::single(9091)))
        );
        let p = ports("3000").unwrap();
        assert_eq!((p[0].target, p[0].published), (3000, None));
        let p = ports("8000-8010:80").unwrap();
        assert_eq!(
            p[0].published,
            Some(PortRange {
                start: 8000,
                end: 8010
            })
        );
    }

    #[test]
    fn bad_ports() {
        for (spec, phrase) in [
            ("80:abc", "invalid port"),
            ("0", "from 1 to 65535"),
            ("70000", "from 1 to 65535"),
            ("1:2:3:4", "write [HOST_IP:]"),
            ("80/xyz", "unknown protocol"),
            ("90-80", "backwards"),
            ("9000-9002:80-81", "differ in length"),
        ] {
            let e = ports(spec).unwrap_err();
            assert!(e.contains(phrase), "{spec}: {e}");
        }
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_bytes("64m"), Ok(64 << 20));
        assert_eq!(parse_bytes("1g"), Ok(1 << 30));
        assert_eq!(parse_bytes("512"), Ok(512));
        assert_eq!(parse_bytes("2kb"), Ok(2048));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5q").is_err());
    }

    #[test]
    fn restart_policies() {
        assert_eq!(
            restart_policy("on-failure:3"),
            Ok(RestartPolicy::OnFailure(Some(3)))
        );
        assert_eq!(restart_policy("always"), Ok(RestartPolicy::Always));
        assert!(restart_policy("sometimes").is_err());
        assert!(restart_policy("on-failure:x").is_err());
    }

    #[test]
    fn signals() {
        for ok in ["SIGTERM", "TERM", "sigint", "9", "SIGRTMIN+3"] {
            assert!(check_signal(ok).is_ok(), "{ok}");
        }
        assert!(check_signal("SIGNOPE").is_err());
    }

    #[test]
    fn paths_are_cleaned() {
        assert_eq!(clean_path(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
