//! One raw service into a model service: every key, checked, in long form.

use super::*;

/// Converts one service. `volumes` and `networks` are the project's declared ones.
pub fn convert_service(
    name: &str,
    raw: RawService,
    volumes: &BTreeMap<String, Volume>,
    networks: &BTreeMap<String, Network>,
    ctx: &Context,
) -> Result<Service, LoadError> {
    let at = |key: &str| format!("services.{name}.{key}");
    let mut s = plain_settings(name, &raw);
    image_and_build(&mut s, &raw, ctx)?;
    process(&mut s, &raw, ctx)?;
    ports_and_expose(&mut s, &raw, ctx)?;
    mounts(&mut s, &raw, volumes, ctx)?;
    dependencies(&mut s, &raw, ctx)?;
    lifecycle(&mut s, &raw, ctx)?;
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
    s.dns = dns(&raw, &at("dns"), ctx)?;
    limits(&mut s, &raw, ctx)?;
    s.secrets = file_refs(raw.secrets.clone(), "secrets", &at("secrets"), ctx)?;
    s.configs = file_refs(raw.configs.clone(), "configs", &at("configs"), ctx)?;
    if s.init && s.runtime.pid.as_deref().is_some_and(|p| p != "private") {
        return Err(ctx.err(
            &at("init"),
            "an init process must be PID 1 of a PID namespace of its own, and `pid:` \
             joins another one: remove init, or pid",
        ));
    }
    s.unapplied = unapplied(&raw, &at, ctx)?;
    s.pre_start = hooks(raw.pre_start.as_deref(), &at("pre_start"), true, ctx)?;
    s.post_start = hooks(raw.post_start.as_deref(), &at("post_start"), false, ctx)?;
    s.pre_stop = hooks(raw.pre_stop.as_deref(), &at("pre_stop"), false, ctx)?;
    s.watch = watch_rules(raw.develop.as_ref(), &at("develop.watch"), ctx)?;
    Ok(s)
}

/// `pre_start`, `post_start` or `pre_stop`: each hook's command and how it runs; only a
/// `pre_start` hook, which has a container of its own, may name an `image`.
fn hooks(
    list: Option<&[RawHook]>,
    at: &str,
    own_container: bool,
    ctx: &Context,
) -> Result<Vec<Hook>, LoadError> {
    let list = list.unwrap_or_default().iter().enumerate();
    list.map(|(i, h)| hook(h, &format!("{at}[{i}]"), own_container, ctx))
        .collect()
}

/// One hook (also `develop.watch[].exec`), at key path `path`.
pub(super) fn hook(
    h: &RawHook,
    path: &str,
    own_container: bool,
    ctx: &Context,
) -> Result<Hook, LoadError> {
    let Some(c) = h.command.clone() else {
        return Err(ctx.err(path, "a hook needs a `command`"));
    };
    if h.image.is_some() && !own_container {
        return Err(ctx.err(
            &format!("{path}.image"),
            "only a pre_start hook runs in a container of its own; this one runs in \
             the service's container: remove `image`",
        ));
    }
    Ok(Hook {
        command: command(c, path, ctx)?,
        user: h.user.as_ref().map(|u| u.0.clone()),
        privileged: flag(h.privileged),
        working_dir: h.working_dir.clone(),
        environment: list_or_map(h.environment.clone())
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect(),
        image: h.image.clone(),
        // post_start and pre_stop run in every container anyway.
        per_replica: flag(h.per_replica) && own_container,
    })
}

/// The keys sidepod reads, checks and shows, but does not apply (yet).
fn unapplied(
    raw: &RawService,
    at: &dyn Fn(&str) -> String,
    ctx: &Context,
) -> Result<BTreeMap<String, serde_json::Value>, LoadError> {
    use serde_json::json;
    let mut out = BTreeMap::new();
    let text = [("pull_refresh_after", &raw.pull_refresh_after)];
    for (k, v) in text {
        if let Some(v) = v {
            out.insert(k.to_string(), json!(v));
        }
    }
    let values = [("provider", &raw.provider), ("models", &raw.models)];
    for (k, v) in values {
        if let Some(v) = v {
            let v = serde_json::to_value(v).map_err(|e| ctx.err(&at(k), e.to_string()))?;
            out.insert(k.to_string(), v);
        }
    }
    if let Some(ServiceNetworks::Map(nets)) = &raw.networks {
        for (net, n) in nets {
            let Some(n) = n else { continue };
            // podman orders no interfaces and has no per-attachment driver options.
            let values = [
                (
                    "link_local_ips",
                    n.link_local_ips.as_ref().map(|v| json!(v)),
                ),
                ("priority", n.priority.as_ref().map(|v| json!(v.0))),
                ("gw_priority", n.gw_priority.as_ref().map(|v| json!(v.0))),
                (
                    "driver_opts",
                    n.driver_opts
                        .as_ref()
                        .map(|v| json!(scalar_map(Some(v.clone())))),
                ),
            ];
            for (k, v) in values {
                if let Some(v) = v {
                    out.insert(format!("networks.{net}.{k}"), v);
                }
            }
        }
    }
    if let Some(p) = raw.deploy.as_ref().and_then(|d| d.restart_policy.as_ref()) {
        for (k, v) in [("delay", &p.delay), ("window", &p.window)] {
            if let Some(v) = v {
                out.insert(format!("deploy.restart_policy.{k}"), json!(v));
            }
        }
    }
    Ok(out)
}

/// The keys taken as they are.
fn plain_settings(name: &str, raw: &RawService) -> Service {
    Service {
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
    }
}

/// The key path of one of `s`'s keys, for messages.
fn key(s: &Service, key: &str) -> String {
    format!("services.{}.{key}", s.name)
}

fn image_and_build(s: &mut Service, raw: &RawService, ctx: &Context) -> Result<(), LoadError> {
    // An empty image (`image: ${UNSET}`) is none, as compose-go has it.
    if s.image.as_deref().is_some_and(|i| i.trim().is_empty()) {
        s.image = None;
    }
    s.build = raw
        .build
        .clone()
        .map(|b| convert_build(b, &key(s, "build"), ctx))
        .transpose()?;
    // A provider service is another program's: it has no image (`up` refuses it).
    if s.image.is_none() && s.build.is_none() && raw.provider.is_none() {
        return Err(ctx.err(
            &format!("services.{}", s.name),
            "needs an `image` or a `build` section",
        ));
    }
    if let Some(p) = &raw.pull_policy {
        s.pull_policy = Some(pull_policy(p).map_err(|m| ctx.err(&key(s, "pull_policy"), m))?);
    }
    Ok(())
}

/// What the container runs: command, entrypoint and environment.
fn process(s: &mut Service, raw: &RawService, ctx: &Context) -> Result<(), LoadError> {
    s.command = raw
        .command
        .clone()
        .map(|c| command(c, &key(s, "command"), ctx))
        .transpose()?;
    s.entrypoint = raw
        .entrypoint
        .clone()
        .map(|c| command(c, &key(s, "entrypoint"), ctx))
        .transpose()?;
    s.environment = environment(&s.name, raw, ctx)?;
    Ok(())
}

fn ports_and_expose(s: &mut Service, raw: &RawService, ctx: &Context) -> Result<(), LoadError> {
    for (i, p) in raw
        .ports
        .clone()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let found = port(p).map_err(|m| ctx.err(&key(s, &format!("ports[{i}]")), m))?;
        s.ports.extend(found);
    }
    for (i, e) in raw.expose.clone().unwrap_or_default().iter().enumerate() {
        let found = expose(&e.0).map_err(|m| ctx.err(&key(s, &format!("expose[{i}]")), m))?;
        s.expose.extend(found);
    }
    Ok(())
}

fn mounts(
    s: &mut Service,
    raw: &RawService,
    volumes: &BTreeMap<String, Volume>,
    ctx: &Context,
) -> Result<(), LoadError> {
    for (i, v) in raw
        .volumes
        .clone()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let path = key(s, &format!("volumes[{i}]"));
        let mount = mount(v, ctx).map_err(|m| ctx.err(&path, m))?;
        if let (MountKind::Volume, Some(source)) = (&mount.kind, &mount.source) {
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
        if s.volumes.iter().any(|m| m.target == mount.target) {
            return Err(ctx.err(
                &path,
                format!("two volumes are mounted at {:?}", mount.target),
            ));
        }
        s.volumes.push(mount);
    }
    Ok(())
}

/// `depends_on`, and what `links` and `volumes_from` make the service depend on.
fn dependencies(s: &mut Service, raw: &RawService, ctx: &Context) -> Result<(), LoadError> {
    s.depends_on = depends_on(raw.depends_on.clone(), &key(s, "depends_on"), ctx)?;
    let started = Dependency {
        condition: Condition::Started,
        required: true,
        restart: false,
    };
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
                &key(s, &format!("links[{i}]")),
                format!("invalid link {link:?}; write SERVICE or SERVICE:ALIAS"),
            ));
        }
        s.depends_on
            .entry(service.clone())
            .or_insert(started.clone());
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
            volumes_from(&entry).map_err(|m| ctx.err(&key(s, &format!("volumes_from[{i}]")), m))?;
        if let VolumesSource::Service(service) = &from.source {
            // Its container must exist first.
            s.depends_on
                .entry(service.clone())
                .or_insert(started.clone());
        }
        s.volumes_from.push(from);
    }
    Ok(())
}

/// Health, restarts and stopping.
fn lifecycle(s: &mut Service, raw: &RawService, ctx: &Context) -> Result<(), LoadError> {
    let checked = raw
        .healthcheck
        .clone()
        .map(|h| healthcheck(h, &key(s, "healthcheck"), ctx))
        .transpose()?;
    // A healthcheck section without a check is one that disables it.
    s.healthcheck_disabled = matches!(checked, Some(None));
    s.healthcheck = checked.flatten();
    if let Some(w) = &raw.x_sidepod_wait {
        s.wait = wait_strategies(w, &key(s, crate::compose::WAIT_KEY), ctx)?;
    }
    if let Some(r) = &raw.restart {
        s.restart = restart_policy(r).map_err(|m| ctx.err(&key(s, "restart"), m))?;
    }
    // `deploy.restart_policy` wins over `restart:`, as docker compose has it.
    if let Some(p) = raw.deploy.as_ref().and_then(|d| d.restart_policy.as_ref()) {
        let at = key(s, "deploy.restart_policy");
        let attempts = p
            .max_attempts
            .map(|n| whole::<u32>(n).map_err(|m| ctx.err(&format!("{at}.max_attempts"), m)))
            .transpose()?;
        s.restart = match p.condition.as_deref() {
            Some("none") => RestartPolicy::No,
            Some("on-failure") => RestartPolicy::OnFailure(attempts),
            Some("any") | None => RestartPolicy::Always,
            Some(other) => {
                return Err(ctx.err(
                    &format!("{at}.condition"),
                    format!("unknown condition {other:?}; use none, on-failure or any"),
                ))
            }
        };
    }
    if let Some(sig) = &s.stop_signal {
        check_signal(sig).map_err(|m| ctx.err(&key(s, "stop_signal"), m))?;
    }
    if let Some(d) = &raw.stop_grace_period {
        let grace = parse_duration(d).map_err(|m| ctx.err(&key(s, "stop_grace_period"), m))?;
        s.stop_grace_period = Some(grace);
    }
    Ok(())
}

/// Sizes, ulimits, replicas and the runtime settings.
fn limits(s: &mut Service, raw: &RawService, ctx: &Context) -> Result<(), LoadError> {
    if let Some(size) = &raw.shm_size {
        s.shm_size = Some(parse_bytes(&size.0).map_err(|m| ctx.err(&key(s, "shm_size"), m))?);
    }
    s.ulimits = ulimits(raw.ulimits.clone(), &key(s, "ulimits"), ctx)?;
    s.replicas = replicas(raw, &s.name, ctx)?;
    s.runtime = runtime_options(&s.name, raw, ctx)?;
    let gpus = gpu_devices(&s.name, raw, ctx)?;
    s.devices.extend(gpus);
    if s.replicas > 1 && s.container_name.is_some() {
        return Err(ctx.err(
            &key(s, "container_name"),
            format!(
                "{} replicas cannot share one container_name; remove container_name or the replicas",
                s.replicas
            ),
        ));
    }
    Ok(())
}

pub(super) fn depends_on(
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

pub(super) fn replicas(raw: &RawService, name: &str, ctx: &Context) -> Result<u32, LoadError> {
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
        (d, s) => {
            let replicas = d.or(s).unwrap_or(1);
            if replicas > MAX_REPLICAS {
                let key = if d.is_some() {
                    "deploy.replicas"
                } else {
                    "scale"
                };
                return Err(ctx.err(
                    &format!("services.{name}.{key}"),
                    format!(
                        "{replicas} replicas are more than one host runs; sidepod runs at \
                         most {MAX_REPLICAS} of a service"
                    ),
                ));
            }
            Ok(replicas)
        }
    }
}

/// `ulimits`: a number for both limits, or `soft` and `hard` (a soft limit alone is
/// both).
pub(super) fn ulimits(
    raw: Option<IndexMap<String, RawUlimit>>,
    at: &str,
    ctx: &Context,
) -> Result<BTreeMap<String, Ulimit>, LoadError> {
    let mut out = BTreeMap::new();
    for (limit, value) in raw.unwrap_or_default() {
        let path = format!("{at}.{limit}");
        let (soft, hard) = match value {
            RawUlimit::Single(n) => (n, n),
            RawUlimit::Pair { soft, hard } => (soft, hard.unwrap_or(soft)),
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
        out.insert(limit, Ulimit { soft, hard });
    }
    Ok(out)
}
