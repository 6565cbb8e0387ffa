//! `generate kube`: the project as Kubernetes YAML — one Pod, as sidepod runs it, plus a
//! PersistentVolumeClaim for each named volume — and a job as a `batch/v1` Job. The
//! Kubernetes form starts services in order with native sidecars (`sidecars.rs`); the
//! podman form (`Target::Podman`) is what podman 4's `kube play` runs, which has no
//! native sidecars. Pure: same project, same YAML.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{stop_grace, Plan, LABEL_PROJECT};
use container::{container, Volumes};
use names::{dns_name, recommended_labels, Names};
use secrets::Secrets;
use sidecars::{Readiness, Role};

mod container;
mod job;
mod names;
mod secrets;
mod sidecars;
mod yaml;
pub use job::{kube_job, JobVariant, Workspace};

use crate::model::{NetworkMode, Project, RestartPolicy, Service};
use crate::plan::{COMPOSE_PROJECT, COMPOSE_VOLUME};

/// The YAML, and the settings it could not carry (for warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kube {
    pub yaml: String,
    pub dropped: Vec<String>,
}

/// Who runs the YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// A cluster: services others depend on are native sidecars (Kubernetes 1.29 and
    /// later), a job is a `batch/v1` Job.
    #[default]
    Kubernetes,
    /// `podman kube play`, which (in podman 4) refuses probes on init containers and has
    /// no Job: every service is one of the pod's containers, a job is a Pod.
    Podman,
}

/// What is built into one Pod or Job.
struct Build<'a> {
    project: &'a Project,
    plan: &'a Plan,
    target: Target,
    readiness: Readiness,
    names: Names,
    secrets: Secrets<'a>,
    volumes: Volumes,
    dropped: &'a mut Dropped,
}

impl<'a> Build<'a> {
    /// `secrets` are the values never to write out (a job's secrets).
    fn new(
        project: &'a Project,
        plan: &'a Plan,
        target: Target,
        readiness: Readiness,
        secrets: &'a [String],
        dropped: &'a mut Dropped,
    ) -> Self {
        // The names that are valid as they are keep them; then the pod's comes first.
        let mut names = Names::default();
        names.reserve(&project.name);
        for service in services(project, plan) {
            for number in 1..=service.replicas {
                names.reserve(&container_name(service, number));
            }
        }
        for key in project.volumes.keys() {
            names.reserve(&project.volume_name(key));
        }
        let pod = names.get(&project.name);
        let volumes = Volumes {
            kubernetes: target == Target::Kubernetes,
            config_map: dns_name(&format!("{pod}-configs")),
            ..Volumes::default()
        };
        Build {
            project,
            plan,
            target,
            readiness,
            secrets: Secrets::new(secrets, dns_name(&format!("{pod}-secrets"))),
            names,
            volumes,
            dropped,
        }
    }

    fn pod_name(&mut self) -> String {
        self.names.get(&self.project.name)
    }

    /// What the pod needs made first: a claim for each named volume it mounts, and the
    /// ConfigMap of the configs written in the file.
    fn claims(&mut self) -> Vec<Value> {
        let project = self.project;
        let mut documents = Vec::new();
        if !self.volumes.configs.is_empty() {
            let data: Map<String, Value> = self
                .volumes
                .configs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            documents.push(json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": self.volumes.config_map, "labels": labels(project, None)},
                "data": data,
            }));
        }
        let claims: Vec<Value> = self
            .volumes
            .claims
            .clone()
            .iter()
            .map(|(key, name)| {
                json!({
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    // Marked as the project's own volume, which `down -v` removes.
                    "metadata": {"name": self.names.get(name), "labels": claim_labels(project, key)},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                })
            })
            .collect();
        documents.extend(claims);
        documents
    }

    /// The header comments (names changed, the Secret to create), then the documents.
    fn yaml(&self, documents: &[Value]) -> String {
        self.names.comment() + &self.secrets.comment() + &render(documents)
    }

    /// The pod's spec: its containers, in start order, and what the pod shares.
    fn pod_spec(&mut self, restart_policy: &'static str) -> Map<String, Value> {
        let services = services(self.project, self.plan);
        let roles = match self.target {
            Target::Kubernetes => sidecars::roles(&services, self.readiness),
            Target::Podman => services
                .iter()
                .map(|s| (s.name.clone(), Role::Main))
                .collect(),
        };
        let (mut init, mut containers) = (Vec::new(), Vec::new());
        for service in &services {
            self.dependencies(service);
            let role = roles[&service.name];
            for number in 1..=service.replicas {
                let mut c = container(
                    self.project,
                    service,
                    number,
                    &mut self.names,
                    &mut self.volumes,
                    &mut self.secrets,
                    self.dropped,
                );
                match role {
                    Role::Main => containers.push(c),
                    Role::Init => {
                        if c.remove("livenessProbe").is_some() {
                            self.dropped.add(
                                "healthcheck (an init container has no probes)",
                                &service.name,
                            );
                        }
                        init.push(Value::Object(c));
                    }
                    Role::Sidecar => {
                        c.insert("restartPolicy".into(), "Always".into());
                        if let Some(probe) = sidecars::startup_probe(
                            service,
                            &services,
                            self.readiness,
                            self.dropped,
                        ) {
                            c.insert("startupProbe".into(), probe);
                        }
                        init.push(Value::Object(c));
                    }
                }
            }
        }
        let mut spec = Map::new();
        spec.insert("restartPolicy".into(), restart_policy.into());
        self.pod_settings(&services, &mut spec);
        if !init.is_empty() {
            spec.insert("initContainers".into(), init.into());
        }
        spec.insert(
            "containers".into(),
            containers.into_iter().map(Value::Object).collect(),
        );
        if !self.volumes.pod.is_empty() {
            spec.insert("volumes".into(), self.volumes.pod.clone().into());
        }
        spec
    }

    /// What of a service's `depends_on` the pod cannot keep.
    fn dependencies(&mut self, service: &Service) {
        if service.depends_on.is_empty() {
            return;
        }
        match self.target {
            Target::Podman => self.dropped.add(
                "depends_on (podman kube play starts a pod's containers together; the \
                 Kubernetes form, without --for podman, starts them in order)",
                &service.name,
            ),
            Target::Kubernetes => {
                if service.depends_on.values().any(|d| d.restart) {
                    self.dropped.add(
                        "depends_on restart: true (a pod does not restart dependents)",
                        &service.name,
                    );
                }
            }
        }
    }

    /// Grace period, network, DNS and host names: one for the whole pod.
    fn pod_settings(&mut self, services: &[&Service], spec: &mut Map<String, Value>) {
        let plan = self.plan;
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
            Some(NetworkMode::None) => self.dropped.add("network_mode: none", "the pod"),
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
    }
}

/// The services that run, in start order.
fn services<'a>(project: &'a Project, plan: &Plan) -> Vec<&'a Service> {
    plan.start_order
        .iter()
        .filter_map(|name| project.services.get(name))
        .filter(|s| s.replicas > 0)
        .collect()
}

/// A Compose project as one Pod, and a claim for each named volume it mounts.
pub fn kube(project: &Project, plan: &Plan, target: Target) -> Kube {
    let mut dropped = Dropped::default();
    let mut b = Build::new(project, plan, target, Readiness::Compose, &[], &mut dropped);
    let restart = restart_policy(&services(project, plan), b.dropped);
    let spec = b.pod_spec(restart);
    let mut documents = b.claims();
    documents.push(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": b.pod_name(), "labels": labels(project, None)},
        "spec": spec,
    }));
    let yaml = b.yaml(&documents);
    Kube {
        yaml,
        dropped: dropped.messages(),
    }
}

/// The documents as one YAML stream.
fn render(documents: &[Value]) -> String {
    documents
        .iter()
        // A JSON value always renders as YAML (string keys, no tags).
        .map(|d| yaml::for_yaml_11(&serde_norway::to_string(d).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("---\n")
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

/// Settings with no Kubernetes form, grouped by setting: "depends_on (a, b)".
#[derive(Default)]
pub(super) struct Dropped(BTreeMap<String, Vec<String>>);

impl Dropped {
    pub(super) fn add(&mut self, what: &str, service: &str) {
        let services = self.0.entry(what.to_string()).or_default();
        if !services.iter().any(|s| s == service) {
            services.push(service.to_string());
        }
    }

    pub(super) fn messages(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(what, services)| format!("not kept: {what}, of {}", services.join(", ")))
            .collect()
    }
}

#[cfg(test)]
mod tests;
