//! Pure planning of the pod and the start order: model → pod settings and a start order;
//! finds port conflicts, network-mode disagreements and dependency cycles.

use std::collections::{BTreeMap, BTreeSet};

use crate::backend::PodSpec;
use crate::model::{Dns, HostEntry, NetworkMode, Port, Project, Protocol, Service};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("dependency cycle: {}; remove one of these depends_on entries", .0.join(" -> "))]
    Cycle(Vec<String>),
    #[error(
        "services {first:?} and {second:?} both publish host port {port}/{protocol}; \
         only one of them can have it, so change one of them"
    )]
    HostPortConflict {
        first: String,
        second: String,
        port: String,
        protocol: &'static str,
    },
    #[error(
        "services {first:?} and {second:?} both declare container port {port}/{protocol}; \
         they share one network namespace in the pod, so only one can listen on it: \
         change one of the ports"
    )]
    ContainerPortConflict {
        first: String,
        second: String,
        port: u16,
        protocol: &'static str,
    },
    #[error(
        "service {service:?} has {replicas} replicas that would all listen on container \
         port {port} in one pod; use one replica, or no fixed port"
    )]
    ReplicaPorts {
        service: String,
        replicas: u32,
        port: u16,
    },
    #[error(
        "services {first:?} (network_mode: {first_mode}) and {second:?} (network_mode: \
         {second_mode}) disagree; a pod has one network mode for all its services"
    )]
    NetworkModeConflict {
        first: String,
        first_mode: String,
        second: String,
        second_mode: String,
    },
    #[error(
        "service {service:?} has {replicas} replicas that would all publish host port \
         {port}; publish a range with a port for each replica, or only the container port"
    )]
    ReplicaHostPort {
        service: String,
        replicas: u32,
        port: String,
    },
    #[error(
        "one pod was asked for (x-sidepod: {{network: pod}}, or --network pod), but {why}; \
         ask for bridge mode, or leave the choice to sidepod"
    )]
    PodCannotHold { why: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The pod, with the project's labels: every service's published ports, host
    /// entries (service names, container names, hostnames and aliases at 127.0.0.1,
    /// plus `extra_hosts`), network mode and DNS settings. Not created in bridge mode.
    pub pod: PodSpec,
    /// One pod, or the project's networks.
    pub layout: super::Layout,
    /// A start order that respects every dependency (ties broken by name).
    pub start_order: Vec<String>,
}

impl PlanError {
    /// True for what `docker compose config` accepts and only running refuses: ports
    /// that clash, and network modes that disagree in one pod.
    pub fn pod_model(&self) -> bool {
        matches!(
            self,
            PlanError::HostPortConflict { .. }
                | PlanError::ContainerPortConflict { .. }
                | PlanError::ReplicaPorts { .. }
                | PlanError::NetworkModeConflict { .. }
                | PlanError::ReplicaHostPort { .. }
                | PlanError::PodCannotHold { .. }
        )
    }

    /// What one pod cannot hold and bridge mode can, said as the reason for bridge mode:
    /// container ports that clash in one namespace, and network modes that differ.
    pub fn why_bridge(&self) -> Option<String> {
        match self {
            PlanError::ContainerPortConflict {
                first,
                second,
                port,
                protocol,
            } => Some(format!(
                "services {first:?} and {second:?} both declare container port {port}/{protocol}"
            )),
            PlanError::ReplicaPorts {
                service,
                replicas,
                port,
            } => Some(format!(
                "service {service:?} has {replicas} replicas of container port {port}"
            )),
            PlanError::NetworkModeConflict {
                first,
                first_mode,
                second,
                second_mode,
            } => Some(format!(
                "services {first:?} (network_mode: {first_mode}) and {second:?} \
                 (network_mode: {second_mode}) need namespaces of their own"
            )),
            _ => None,
        }
    }
}

impl Plan {
    /// The checks of `new` that hold for any Compose project, pod or not: the start
    /// order (no dependency cycle).
    pub fn check_order(project: &Project) -> Result<(), PlanError> {
        start_order(&project.services).map(drop)
    }

    pub fn new(project: &Project) -> Result<Plan, PlanError> {
        let start_order = start_order(&project.services)?;
        // Two services on one host port fail in any layout.
        host_ports(&project.services)?;
        let in_one_pod =
            check_ports(&project.services).and_then(|()| network_mode(&project.services));
        let (layout, network_mode) = super::layout::choose(project, in_one_pod)?;
        Ok(Plan {
            pod: PodSpec {
                name: project.name.clone(),
                hosts: hosts(&project.services),
                ports: project
                    .services
                    .values()
                    .filter(|s| s.replicas > 0)
                    .flat_map(|s| s.ports.iter().cloned())
                    .collect(),
                network_mode,
                dns: dns(&project.services),
                labels: super::project_labels(&project.name),
                userns: super::layout::pod_userns(project),
            },
            layout,
            start_order,
        })
    }
}

/// The services' DNS settings, in service order, each value once.
fn dns(services: &BTreeMap<String, Service>) -> Dns {
    let mut dns = Dns::default();
    let live = services.values().filter(|s| s.replicas > 0);
    for s in live {
        for (all, own) in [
            (&mut dns.servers, &s.dns.servers),
            (&mut dns.search, &s.dns.search),
            (&mut dns.options, &s.dns.options),
        ] {
            for v in own {
                if !all.contains(v) {
                    all.push(v.clone());
                }
            }
        }
    }
    dns
}

fn hosts(services: &BTreeMap<String, Service>) -> Vec<HostEntry> {
    let mut set = BTreeSet::new();
    let local = |host: &str| HostEntry {
        host: host.to_string(),
        ip: "127.0.0.1".to_string(),
    };
    for s in services.values() {
        set.insert(local(&s.name));
        for name in s.container_name.iter().chain(s.hostname.iter()) {
            set.insert(local(name));
        }
        for net in s.networks.values() {
            set.extend(net.aliases.iter().map(|a| local(a)));
        }
        set.extend(s.links.iter().map(|l| local(&l.alias)));
        set.extend(s.extra_hosts.iter().cloned());
    }
    set.into_iter().collect()
}

/// Container ports that clash in one network namespace.
fn check_ports(services: &BTreeMap<String, Service>) -> Result<(), PlanError> {
    let mut listening: BTreeMap<(u16, Protocol), &str> = BTreeMap::new();
    for s in services.values() {
        let container_ports = s.container_ports();
        if s.replicas > 1 {
            if let Some((port, _)) = container_ports.first() {
                return Err(PlanError::ReplicaPorts {
                    service: s.name.clone(),
                    replicas: s.replicas,
                    port: *port,
                });
            }
        }
        for (port, protocol) in container_ports {
            if let Some(first) = listening.insert((port, protocol), &s.name) {
                return Err(PlanError::ContainerPortConflict {
                    first: first.to_string(),
                    second: s.name.clone(),
                    port,
                    protocol: protocol.as_str(),
                });
            }
        }
    }
    Ok(())
}

/// Host ports that two services publish: they clash in any layout.
fn host_ports(services: &BTreeMap<String, Service>) -> Result<(), PlanError> {
    let mut published: Vec<(&str, &Port)> = Vec::new();
    for s in services.values() {
        for p in &s.ports {
            let Some(range) = p.published else { continue };
            let clash = published.iter().find(|(_, q)| {
                q.protocol == p.protocol
                    && q.published.is_some_and(|r| r.overlaps(&range))
                    && (q.host_ip.is_none() || p.host_ip.is_none() || q.host_ip == p.host_ip)
            });
            if let Some((first, _)) = clash {
                return Err(PlanError::HostPortConflict {
                    first: first.to_string(),
                    second: s.name.clone(),
                    port: range.to_string(),
                    protocol: p.protocol.as_str(),
                });
            }
            published.push((&s.name, p));
        }
    }
    Ok(())
}

fn network_mode(services: &BTreeMap<String, Service>) -> Result<Option<NetworkMode>, PlanError> {
    let pod_wide = |m: &NetworkMode| matches!(m, NetworkMode::Host | NetworkMode::None);
    let mut chosen: Option<(&str, &NetworkMode)> = None;
    for s in services.values() {
        let mode = s.network_mode.as_ref().filter(|m| pod_wide(m));
        match (chosen, mode) {
            (None, Some(m)) => chosen = Some((&s.name, m)),
            (Some((first, fm)), Some(m)) if fm != m => {
                return Err(PlanError::NetworkModeConflict {
                    first: first.to_string(),
                    first_mode: fm.to_string(),
                    second: s.name.clone(),
                    second_mode: m.to_string(),
                })
            }
            _ => {}
        }
    }
    if let Some((first, fm)) = chosen {
        if let Some(other) = services
            .values()
            .find(|s| s.network_mode.as_ref().is_none_or(|m| !pod_wide(m)))
        {
            return Err(PlanError::NetworkModeConflict {
                first: first.to_string(),
                first_mode: fm.to_string(),
                second: other.name.clone(),
                second_mode: other
                    .network_mode
                    .as_ref()
                    .map_or("default".to_string(), |m| m.to_string()),
            });
        }
    }
    Ok(chosen.map(|(_, m)| m.clone()))
}

/// The dependencies of a service that exist in the project (a missing optional one is
/// skipped), plus `network_mode: service:X`.
pub fn dependencies<'a>(
    service: &'a Service,
    services: &'a BTreeMap<String, Service>,
) -> impl Iterator<Item = &'a str> + 'a {
    let via_network = match &service.network_mode {
        Some(NetworkMode::Service(s)) => Some(s.as_str()),
        _ => None,
    };
    // `pid: service:X` and `ipc: service:X` join X's first container.
    let via_namespaces = [&service.runtime.pid, &service.runtime.ipc]
        .into_iter()
        .filter_map(|ns| ns.as_deref().and_then(|v| v.strip_prefix("service:")));
    service
        .depends_on
        .keys()
        .map(String::as_str)
        .chain(via_network)
        .chain(via_namespaces)
        .filter(move |d| services.contains_key(*d))
}

impl Plan {
    /// `names` and, unless `no_deps`, everything they depend on, in start order. Unknown
    /// names are returned as the error.
    pub fn select(
        &self,
        project: &Project,
        names: &[String],
        no_deps: bool,
    ) -> Result<Vec<String>, String> {
        if names.is_empty() {
            return Ok(self.start_order.clone());
        }
        if let Some(unknown) = names.iter().find(|n| !project.services.contains_key(*n)) {
            return Err(unknown.clone());
        }
        let mut wanted: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        if !no_deps {
            let mut stack: Vec<&str> = wanted.iter().copied().collect();
            while let Some(name) = stack.pop() {
                for dep in dependencies(&project.services[name], &project.services) {
                    if wanted.insert(dep) {
                        stack.push(dep);
                    }
                }
            }
        }
        Ok(self
            .start_order
            .iter()
            .filter(|n| wanted.contains(n.as_str()))
            .cloned()
            .collect())
    }
}

fn start_order(services: &BTreeMap<String, Service>) -> Result<Vec<String>, PlanError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit<'a>(
        name: &'a str,
        services: &'a BTreeMap<String, Service>,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
        order: &mut Vec<String>,
    ) -> Result<(), PlanError> {
        match marks.get(name).copied().unwrap_or(Mark::New) {
            Mark::Done => return Ok(()),
            Mark::Active => {
                let start = path.iter().position(|p| *p == name).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                cycle.push(name.to_string());
                return Err(PlanError::Cycle(cycle));
            }
            Mark::New => {}
        }
        marks.insert(name, Mark::Active);
        path.push(name);
        let mut deps: Vec<&str> = dependencies(&services[name], services).collect();
        deps.sort_unstable();
        deps.dedup();
        for dep in deps {
            visit(dep, services, marks, path, order)?;
        }
        path.pop();
        marks.insert(name, Mark::Done);
        order.push(name.to_string());
        Ok(())
    }
    let mut marks = BTreeMap::new();
    let mut order = Vec::new();
    for name in services.keys() {
        visit(name, services, &mut marks, &mut Vec::new(), &mut order)?;
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Condition, Dependency, ExposedPort, PortRange};

    fn svc(name: &str, deps: &[&str]) -> Service {
        Service {
            name: name.into(),
            image: Some("img".into()),
            replicas: 1,
            depends_on: deps
                .iter()
                .map(|d| {
                    (
                        d.to_string(),
                        Dependency {
                            condition: Condition::Started,
                            required: true,
                            restart: false,
                        },
                    )
                })
                .collect(),
            ..Service::default()
        }
    }

    fn project(services: Vec<Service>) -> Project {
        Project {
            name: "p".into(),
            services: services.into_iter().map(|s| (s.name.clone(), s)).collect(),
            ..Project::default()
        }
    }

    #[test]
    fn start_order_respects_dependencies() {
        let plan = Plan::new(&project(vec![
            svc("web", &["api"]),
            svc("api", &["db", "cache"]),
            svc("db", &[]),
            svc("cache", &[]),
        ]))
        .unwrap();
        assert_eq!(plan.start_order, ["cache", "db", "api", "web"]);
    }

    #[test]
    fn selection_pulls_in_dependencies_unless_no_deps() {
        let p = project(vec![
            svc("web", &["api"]),
            svc("api", &["db"]),
            svc("db", &[]),
            svc("docs", &[]),
        ]);
        let plan = Plan::new(&p).unwrap();
        assert_eq!(
            plan.select(&p, &["web".into()], false).unwrap(),
            ["db", "api", "web"]
        );
        assert_eq!(plan.select(&p, &["web".into()], true).unwrap(), ["web"]);
        assert_eq!(plan.select(&p, &[], false).unwrap().len(), 4);
        assert_eq!(
            plan.select(&p, &["nope".into()], false),
            Err("nope".to_string())
        );
    }

    #[test]
    fn cycles_are_named_whole() {
        let err = Plan::new(&project(vec![
            svc("a", &["b"]),
            svc("b", &["c"]),
            svc("c", &["a"]),
        ]))
        .unwrap_err();
        assert_eq!(
            err,
            PlanError::Cycle(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
        assert!(err.to_string().contains("a -> b -> c -> a"));
    }

    #[test]
    fn same_container_port_in_two_services_conflicts_in_one_pod() {
        let mut a = svc("a", &[]);
        a.expose.push(ExposedPort {
            port: 6380,
            protocol: Protocol::Tcp,
        });
        let mut b = svc("b", &[]);
        b.expose.push(ExposedPort {
            port: 6380,
            protocol: Protocol::Tcp,
        });
        let mut p = project(vec![a, b]);
        p.network = Some(crate::model::StackNetwork::Pod);
        let err = Plan::new(&p).unwrap_err();
        assert!(matches!(
            err,
            PlanError::ContainerPortConflict { port: 6380, .. }
        ));
    }

    #[test]
    fn same_host_port_in_two_services_conflicts() {
        let port = |target, host| Port {
            target,
            published: Some(PortRange::single(host)),
            host_ip: None,
            protocol: Protocol::Tcp,
        };
        let mut a = svc("a", &[]);
        a.ports.push(port(80, 8080));
        let mut b = svc("b", &[]);
        b.ports.push(port(81, 8080));
        let err = Plan::new(&project(vec![a, b])).unwrap_err().to_string();
        assert!(
            err.contains("\"a\" and \"b\" both publish host port 8080"),
            "{err}"
        );
    }

    #[test]
    fn hosts_cover_names_aliases_and_extra_hosts() {
        let mut a = svc("db", &[]);
        a.container_name = Some("pg".into());
        a.extra_hosts.push(HostEntry {
            host: "ext".into(),
            ip: "10.0.0.1".into(),
        });
        let plan = Plan::new(&project(vec![a])).unwrap();
        let names: Vec<_> = plan
            .pod
            .hosts
            .iter()
            .map(|h| (h.host.as_str(), h.ip.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("db", "127.0.0.1"),
                ("ext", "10.0.0.1"),
                ("pg", "127.0.0.1")
            ]
        );
    }

    #[test]
    fn network_modes_that_differ_run_in_bridge_mode_and_agreeing_ones_in_the_pod() {
        let mut a = svc("a", &[]);
        a.network_mode = Some(NetworkMode::Host);
        let b = svc("b", &[]);
        let plan = Plan::new(&project(vec![a.clone(), b])).unwrap();
        assert!(
            matches!(&plan.layout, crate::plan::Layout::Bridge { why } if why.contains("network_mode: host")),
            "{:?}",
            plan.layout
        );
        let mut b = svc("b", &[]);
        b.network_mode = Some(NetworkMode::Host);
        assert_eq!(
            Plan::new(&project(vec![a, b])).unwrap().pod.network_mode,
            Some(NetworkMode::Host)
        );
    }

    #[test]
    fn the_pod_gets_every_services_dns_settings_once() {
        let mut a = svc("a", &[]);
        a.dns = Dns {
            servers: vec!["10.0.0.53".into()],
            search: vec!["corp.example".into()],
            options: vec![],
        };
        let mut b = svc("b", &[]);
        b.dns = Dns {
            servers: vec!["10.0.0.53".into(), "10.0.0.54".into()],
            search: vec![],
            options: vec!["ndots:2".into()],
        };
        let plan = Plan::new(&project(vec![a, b])).unwrap();
        assert_eq!(
            plan.pod.dns,
            Dns {
                servers: vec!["10.0.0.53".into(), "10.0.0.54".into()],
                search: vec!["corp.example".into()],
                options: vec!["ndots:2".into()],
            }
        );
    }
}
