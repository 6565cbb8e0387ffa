//! `generate kube`: the project as Kubernetes YAML — one Pod, as sidepod runs it, plus a
//! PersistentVolumeClaim for each named volume — that `podman kube play` runs as it is.
//! Pure: same project, same YAML.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::{image_name, stop_grace, Plan, LABEL_PROJECT};
use names::{dns_name, recommended_labels, Names};
use secrets::Secrets;

mod names;
mod secrets;
mod yaml;
use crate::model::{
    FileSource, HealthTest, MountKind, NetworkMode, Project, RestartPolicy, Service,
};
use crate::plan::{COMPOSE_PROJECT, COMPOSE_VOLUME};

/// The YAML, and the settings it could not carry (for warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kube {
    pub yaml: String,
    pub dropped: Vec<String>,
}

/// `secrets` are the values never to write out (a job's secrets): the variables that
/// carry one read it from a `Secret`.
pub fn kube(project: &Project, plan: &Plan, secrets: &[String]) -> Kube {
    let mut dropped = Dropped::default();
    let services: Vec<&Service> = plan
        .start_order
        .iter()
        .filter_map(|name| project.services.get(name))
        .filter(|s| s.replicas > 0)
        .collect();
    // The names that are valid as they are keep them; then the pod's comes first.
    let mut names = Names::default();
    names.reserve(&project.name);
    for service in &services {
        for number in 1..=service.replicas {
            names.reserve(&container_name(service, number));
        }
    }
    for key in project.volumes.keys() {
        names.reserve(&project.volume_name(key));
    }
    let pod_name = names.get(&project.name);
    let mut secrets = Secrets::new(secrets, dns_name(&format!("{pod_name}-secrets")));
    let mut volumes = Volumes::default();
    let mut containers = Vec::new();
    for service in &services {
        for number in 1..=service.replicas {
            containers.push(container(
                project,
                service,
                number,
                &mut names,
                &mut volumes,
                &mut secrets,
                &mut dropped,
            ));
        }
    }

    let mut spec = Map::new();
    spec.insert(
        "restartPolicy".into(),
        restart_policy(&services, &mut dropped).into(),
    );
    if let Some(grace) = services
        .iter()
        .filter(|s| s.stop_grace_period.is_some())
        .map(|s| stop_grace(s))
        .max()
    {
        spec.insert(
            "terminationGracePeriodSeconds".into(),
            grace.as_secs().into(),
        );
    }
    match &plan.pod.network_mode {
        Some(NetworkMode::Host) => {
            spec.insert("hostNetwork".into(), true.into());
        }
        Some(NetworkMode::None) => dropped.add("network_mode: none", "the pod"),
        _ => {}
    }
    let dns = &plan.pod.dns;
    if !dns.is_empty() {
        let mut config = Map::new();
        if !dns.servers.is_empty() {
            config.insert("nameservers".into(), json!(dns.servers));
        }
        if !dns.search.is_empty() {
            config.insert("searches".into(), json!(dns.search));
        }
        if !dns.options.is_empty() {
            let options: Vec<Value> = dns
                .options
                .iter()
                .map(|o| match o.split_once(':') {
                    Some((name, value)) => json!({"name": name, "value": value}),
                    None => json!({ "name": o }),
                })
                .collect();
            config.insert("options".into(), options.into());
        }
        spec.insert("dnsConfig".into(), config.into());
    }
    let mut by_ip: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for h in &plan.pod.hosts {
        by_ip
            .entry(h.ip.as_str())
            .or_default()
            .push(h.host.as_str());
    }
    if !by_ip.is_empty() {
        let aliases: Vec<Value> = by_ip
            .into_iter()
            .map(|(ip, hostnames)| json!({"ip": ip, "hostnames": hostnames}))
            .collect();
        spec.insert("hostAliases".into(), aliases.into());
    }
    spec.insert("containers".into(), containers.into());
    if !volumes.pod.is_empty() {
        spec.insert("volumes".into(), volumes.pod.clone().into());
    }

    let mut documents: Vec<Value> = volumes
        .claims
        .iter()
        .map(|(key, name)| {
            json!({
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                // Marked as the project's own volume, which `down -v` removes.
                "metadata": {"name": names.get(name), "labels": claim_labels(project, key)},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            })
        })
        .collect();
    documents.push(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": pod_name, "labels": labels(project, None)},
        "spec": spec,
    }));
    let yaml = names.comment()
        + &secrets.comment()
        + &documents
            .iter()
            // A JSON value always renders as YAML (string keys, no tags).
            .map(|d| yaml::for_yaml_11(&serde_norway::to_string(d).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("---\n");
    Kube {
        yaml,
        dropped: dropped.messages(),
    }
}

/// The project's own labels, which `down` finds it by, and Kubernetes' recommended ones.
fn labels(project: &Project, component: Option<&str>) -> Value {
    let mut labels = recommended_labels(&project.name, component);
    labels[LABEL_PROJECT] = json!(project.name);
    labels[COMPOSE_PROJECT] = json!(project.name);
    labels
}

/// A claim's labels: the volume's key as `up` labels it, for `down -v`.
fn claim_labels(project: &Project, key: &str) -> Value {
    let mut labels = labels(project, Some(key));
    labels[COMPOSE_VOLUME] = json!(names::label_value(key));
    labels
}

/// A replica's container: the service's name, numbered when there are several.
fn container_name(service: &Service, number: u32) -> String {
    if service.replicas > 1 {
        format!("{}-{number}", service.name)
    } else {
        service.name.clone()
    }
}

fn container(
    project: &Project,
    service: &Service,
    number: u32,
    names: &mut Names,
    volumes: &mut Volumes,
    secrets: &mut Secrets,
    dropped: &mut Dropped,
) -> Value {
    let name = names.get(&container_name(service, number));
    let mut c = Map::new();
    c.insert("name".into(), name.clone().into());
    c.insert("image".into(), image_name(&project.name, service).into());
    if let Some(entrypoint) = &service.entrypoint {
        c.insert("command".into(), json!(entrypoint));
    }
    if let Some(command) = &service.command {
        c.insert("args".into(), json!(command));
    }
    if let Some(dir) = &service.working_dir {
        c.insert("workingDir".into(), dir.clone().into());
    }
    let env: Vec<Value> = service
        .environment
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| secrets.env(&name, k, v)))
        .collect();
    if !env.is_empty() {
        c.insert("env".into(), env.into());
    }
    let ports = container_ports(service, dropped);
    if !ports.is_empty() {
        c.insert("ports".into(), ports.into());
    }
    let mounts = volumes.mounts(project, service, &name, names);
    if !mounts.is_empty() {
        c.insert("volumeMounts".into(), mounts.into());
    }
    if let Some(resources) = resources(service, dropped) {
        c.insert("resources".into(), resources);
    }
    if let Some(security) = security_context(service, dropped) {
        c.insert("securityContext".into(), security);
    }
    if let Some(h) = &service.healthcheck {
        c.insert("livenessProbe".into(), liveness_probe(h));
    }
    if service.tty {
        c.insert("tty".into(), true.into());
    }
    if service.stdin_open {
        c.insert("stdin".into(), true.into());
    }
    drop_unexpressed(service, dropped);
    Value::Object(c)
}

/// A container's ports; a published range has no Kubernetes form and is dropped.
fn container_ports(service: &Service, dropped: &mut Dropped) -> Vec<Value> {
    service
        .ports
        .iter()
        .filter_map(|p| {
            let mut port = Map::new();
            port.insert("containerPort".into(), p.target.into());
            match p.published {
                Some(range) if range.start != range.end => {
                    dropped.add("a published port range", &service.name);
                    return None;
                }
                Some(range) => {
                    port.insert("hostPort".into(), range.start.into());
                }
                None => {}
            }
            if let Some(ip) = &p.host_ip {
                port.insert("hostIP".into(), ip.clone().into());
            }
            port.insert("protocol".into(), p.protocol.as_str().to_uppercase().into());
            Some(Value::Object(port))
        })
        .collect()
}

/// Memory and CPU limits and requests; the runtime settings a pod cannot hold are
/// named as dropped.
fn resources(service: &Service, dropped: &mut Dropped) -> Option<Value> {
    let r = &service.runtime;
    let mut limits = Map::new();
    if let Some(m) = r.memory {
        limits.insert("memory".into(), m.to_string().into());
    }
    if let Some(c) = &r.cpus {
        limits.insert("cpu".into(), c.clone().into());
    }
    let mut resources = Map::new();
    if !limits.is_empty() {
        resources.insert("limits".into(), limits.into());
    }
    if let Some(m) = r.memory_reservation {
        resources.insert("requests".into(), json!({"memory": m.to_string()}));
    }
    for (set, what) in [
        (r.memory_swap.is_some(), "memswap_limit"),
        (r.cpu_shares.is_some(), "cpu_shares"),
        (r.cpuset.is_some(), "cpuset"),
        (r.pids_limit.is_some(), "pids_limit"),
        (!r.security_opt.is_empty(), "security_opt"),
        (!r.group_add.is_empty(), "group_add"),
        (!r.sysctls.is_empty(), "sysctls"),
        (
            r.log_driver.is_some() || !r.log_options.is_empty(),
            "logging",
        ),
        (!r.annotations.is_empty(), "annotations"),
        (
            r.oom_score_adj.is_some() || r.oom_kill_disable,
            "oom settings",
        ),
        (r.platform.is_some(), "platform"),
    ] {
        if set {
            dropped.add(what, &service.name);
        }
    }
    (!resources.is_empty()).then(|| resources.into())
}

/// The healthcheck as a liveness probe.
fn liveness_probe(h: &crate::model::Healthcheck) -> Value {
    let command = match &h.test {
        HealthTest::Cmd(argv) => argv.clone(),
        HealthTest::Shell(script) => vec!["/bin/sh".into(), "-c".into(), script.clone()],
    };
    json!({
        "exec": {"command": command},
        "initialDelaySeconds": h.start_period.as_secs(),
        "periodSeconds": h.interval.as_secs().max(1),
        "timeoutSeconds": h.timeout.as_secs().max(1),
        "failureThreshold": h.retries.max(1),
    })
}

/// The service settings a Kubernetes container has no place for.
fn drop_unexpressed(service: &Service, dropped: &mut Dropped) {
    for (set, what) in [
        (
            !service.depends_on.is_empty(),
            "depends_on (a pod starts its containers together)",
        ),
        (
            service.build.is_some(),
            "build (run `sidepod build` first: the pod uses the image it builds)",
        ),
        (service.init, "init"),
        (service.stop_signal.is_some(), "stop_signal"),
        (!service.devices.is_empty(), "devices"),
        (service.shm_size.is_some(), "shm_size"),
        (!service.ulimits.is_empty(), "ulimits"),
        (!service.labels.is_empty(), "labels"),
        (!service.volumes_from.is_empty(), "volumes_from"),
    ] {
        if set {
            dropped.add(what, &service.name);
        }
    }
}

fn security_context(service: &Service, dropped: &mut Dropped) -> Option<Value> {
    let mut s = Map::new();
    if service.privileged {
        s.insert("privileged".into(), true.into());
    }
    if service.read_only {
        s.insert("readOnlyRootFilesystem".into(), true.into());
    }
    if !service.cap_add.is_empty() || !service.cap_drop.is_empty() {
        let mut caps = Map::new();
        if !service.cap_add.is_empty() {
            caps.insert("add".into(), json!(service.cap_add));
        }
        if !service.cap_drop.is_empty() {
            caps.insert("drop".into(), json!(service.cap_drop));
        }
        s.insert("capabilities".into(), caps.into());
    }
    if let Some(user) = &service.user {
        let (uid, gid) = user.split_once(':').unwrap_or((user, ""));
        match (uid.parse::<u32>(), gid) {
            (Ok(uid), "") => {
                s.insert("runAsUser".into(), uid.into());
            }
            (Ok(uid), gid) => match gid.parse::<u32>() {
                Ok(gid) => {
                    s.insert("runAsUser".into(), uid.into());
                    s.insert("runAsGroup".into(), gid.into());
                }
                Err(_) => dropped.add(
                    "a user given by name (Kubernetes takes numeric IDs)",
                    &service.name,
                ),
            },
            (Err(_), _) => dropped.add(
                "a user given by name (Kubernetes takes numeric IDs)",
                &service.name,
            ),
        }
    }
    (!s.is_empty()).then_some(Value::Object(s))
}

/// A pod's restart policy is one for all containers: the strongest any service asks for.
fn restart_policy(services: &[&Service], dropped: &mut Dropped) -> &'static str {
    let rank = |p: RestartPolicy| match p {
        RestartPolicy::No => 0,
        RestartPolicy::OnFailure(_) => 1,
        RestartPolicy::Always | RestartPolicy::UnlessStopped => 2,
    };
    let strongest = services.iter().map(|s| rank(s.restart)).max().unwrap_or(0);
    for s in services {
        if rank(s.restart) != strongest {
            dropped.add("its own restart policy (a pod has one for all)", &s.name);
        }
        if matches!(s.restart, RestartPolicy::OnFailure(Some(_))) {
            dropped.add("a restart limit (on-failure:N)", &s.name);
        }
    }
    ["Never", "OnFailure", "Always"][strongest]
}

/// The pod's volumes, each once, and the claims to create for named volumes.
#[derive(Default)]
struct Volumes {
    pod: Vec<Value>,
    names: Vec<String>,
    /// Each named volume's key and its volume name, each once.
    claims: Vec<(String, String)>,
}

impl Volumes {
    fn add(&mut self, name: String, source: Value) -> String {
        if !self.names.contains(&name) {
            let mut v = Map::new();
            v.insert("name".into(), name.clone().into());
            if let Value::Object(source) = source {
                v.extend(source);
            }
            self.pod.push(Value::Object(v));
            self.names.push(name.clone());
        }
        name
    }

    fn mounts(
        &mut self,
        project: &Project,
        service: &Service,
        container: &str,
        names: &mut Names,
    ) -> Vec<Value> {
        let mut mounts = Vec::new();
        for (i, m) in service.volumes.iter().enumerate() {
            let name = match (&m.kind, &m.source) {
                (MountKind::Volume, Some(key)) => {
                    let claim = project.volume_name(key);
                    let external = project.volumes.get(key).is_some_and(|v| v.external);
                    let entry = (key.clone(), claim.clone());
                    if !external && !self.claims.contains(&entry) {
                        self.claims.push(entry);
                    }
                    self.add(
                        dns_name(&format!("volume-{key}")),
                        json!({"persistentVolumeClaim": {"claimName": names.get(&claim)}}),
                    )
                }
                (MountKind::Volume, None) => self.add(
                    dns_name(&format!("{container}-anonymous-{i}")),
                    json!({"emptyDir": {}}),
                ),
                (MountKind::Tmpfs, _) => {
                    let mut dir = json!({"medium": "Memory"});
                    if let Some(size) = m.tmpfs_size {
                        dir["sizeLimit"] = size.to_string().into();
                    }
                    self.add(
                        dns_name(&format!("{container}-tmpfs-{i}")),
                        json!({ "emptyDir": dir }),
                    )
                }
                (MountKind::Image, image) => self.add(
                    dns_name(&format!("{container}-image-{i}")),
                    json!({"image": {"reference": image}}),
                ),
                (MountKind::Bind, source) => {
                    let path = source.clone().unwrap_or_default();
                    let kind = if Path::new(&path).is_file() {
                        "File"
                    } else {
                        "DirectoryOrCreate"
                    };
                    self.add(
                        dns_name(&format!("{container}-bind-{i}")),
                        json!({"hostPath": {"path": path, "type": kind}}),
                    )
                }
            };
            let mut mount = json!({"name": name, "mountPath": m.target});
            if m.read_only {
                mount["readOnly"] = true.into();
            }
            mounts.push(mount);
        }
        let secrets = service
            .secrets
            .iter()
            .map(|r| ("secret", r, &project.secrets));
        let configs = service
            .configs
            .iter()
            .map(|r| ("config", r, &project.configs));
        for (kind, r, files) in secrets.chain(configs) {
            let Some(file) = files.get(&r.source).and_then(FileSource::file) else {
                continue;
            };
            let name = self.add(
                dns_name(&format!("{kind}-{}", r.source)),
                json!({"hostPath": {"path": file, "type": "File"}}),
            );
            mounts.push(json!({"name": name, "mountPath": r.target, "readOnly": true}));
        }
        for (i, spec) in service.tmpfs.iter().enumerate() {
            let target = spec.split(':').next().unwrap_or(spec);
            let name = self.add(
                dns_name(&format!("{container}-tmpfs-option-{i}")),
                json!({"emptyDir": {"medium": "Memory"}}),
            );
            mounts.push(json!({"name": name, "mountPath": target}));
        }
        mounts
    }
}

/// Settings with no Kubernetes form, grouped by setting: "depends_on (a, b)".
#[derive(Default)]
struct Dropped(BTreeMap<String, Vec<String>>);

impl Dropped {
    fn add(&mut self, what: &str, service: &str) {
        let services = self.0.entry(what.to_string()).or_default();
        if !services.iter().any(|s| s == service) {
            services.push(service.to_string());
        }
    }

    fn messages(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(what, services)| format!("not kept: {what}, of {}", services.join(", ")))
            .collect()
    }
}

#[cfg(test)]
mod tests;
