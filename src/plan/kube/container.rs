//! One container of the pod: its image, command, environment, ports, mounts, resources,
//! security settings and probes; and the pod's volumes that the mounts need.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::names::{dns_name, Names};
use super::secrets::Secrets;
use super::{container_name, Dropped};
use crate::model::{FileSource, MountKind, Project, Service};
use crate::plan::image_name;

pub(super) fn container(
    project: &Project,
    service: &Service,
    number: u32,
    names: &mut Names,
    volumes: &mut Volumes,
    secrets: &mut Secrets,
    dropped: &mut Dropped,
) -> Map<String, Value> {
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
    let mounts = volumes.mounts(project, service, &name, names, secrets, dropped);
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
        c.insert("livenessProbe".into(), super::sidecars::health_probe(h));
    }
    if service.tty {
        c.insert("tty".into(), true.into());
    }
    if service.stdin_open {
        c.insert("stdin".into(), true.into());
    }
    drop_unexpressed(service, dropped);
    c
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

/// The service settings a Kubernetes container has no place for.
fn drop_unexpressed(service: &Service, dropped: &mut Dropped) {
    for (set, what) in [
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

/// The pod's volumes, each once, and the claims to create for named volumes.
#[derive(Default)]
pub(super) struct Volumes {
    pub pod: Vec<Value>,
    pub names: Vec<String>,
    /// Each named volume's key and its volume name, each once.
    pub claims: Vec<(String, String)>,
    /// A job's workspace: the host directory its bind mounts name, and the volume that
    /// stands for it in the pod.
    pub workspace: Option<(String, Value)>,
    /// For Kubernetes: secrets and configs come from a Secret and a ConfigMap.
    pub kubernetes: bool,
    /// The ConfigMap's name, and its keys and values (configs written in the file).
    pub config_map: String,
    pub configs: Vec<(String, String)>,
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

    /// A secret or config file's mount. For Kubernetes a secret is a key of the pod's
    /// Secret and a config written in the file a key of its ConfigMap; a config from a
    /// host file (and for podman, anything from a host file) is that file. `None`: podman
    /// has no way to mount it.
    fn file_mount(
        &mut self,
        kind: &str,
        key: &str,
        target: &str,
        source: &FileSource,
        secrets: &mut Secrets,
    ) -> Option<Value> {
        let (name, key) = match (kind, source, self.kubernetes) {
            ("secret", _, true) => {
                let key = secrets.file(key, source);
                let volume = json!({"secret": {"secretName": secrets.name()}});
                (self.add("secrets".into(), volume), key)
            }
            (_, FileSource::File(file), _) => {
                let name = self.add(
                    dns_name(&format!("{kind}-{key}")),
                    json!({"hostPath": {"path": file, "type": "File"}}),
                );
                return Some(json!({"name": name, "mountPath": target, "readOnly": true}));
            }
            ("config", FileSource::Content(text), true)
            | (
                "config",
                FileSource::Environment {
                    value: Some(text), ..
                },
                true,
            ) => {
                let key = format!("config.{key}");
                self.configs.push((key.clone(), text.clone()));
                let volume = json!({"configMap": {"name": self.config_map}});
                (self.add("configs".into(), volume), key)
            }
            _ => return None,
        };
        Some(json!({"name": name, "mountPath": target, "subPath": key, "readOnly": true}))
    }

    fn mounts(
        &mut self,
        project: &Project,
        service: &Service,
        container: &str,
        names: &mut Names,
        secrets: &mut Secrets,
        dropped: &mut Dropped,
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
                (MountKind::Bind, Some(dir))
                    if self.workspace.as_ref().is_some_and(|(w, _)| w == dir) =>
                {
                    let source = self.workspace.as_ref().map(|(_, v)| v.clone());
                    self.add("workspace".into(), source.unwrap_or_default())
                }
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
        let secret_refs = service
            .secrets
            .iter()
            .map(|r| ("secret", r, &project.secrets));
        let configs = service
            .configs
            .iter()
            .map(|r| ("config", r, &project.configs));
        for (kind, r, files) in secret_refs.chain(configs) {
            let Some(source) = files.get(&r.source) else {
                continue;
            };
            if let Some(mount) = self.file_mount(kind, &r.source, &r.target, source, secrets) {
                mounts.push(mount);
            } else {
                dropped.add(
                    &format!(
                        "a {kind} with no file to mount (an external one; for podman kube \
                         play, one given by content or environment)"
                    ),
                    &service.name,
                );
            }
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
