//! How a stack's containers share the network. A pod gives them one network namespace,
//! with every name at 127.0.0.1. When one namespace cannot hold the stack (two services
//! on one container port, replicas of a port, network modes that differ, networks that
//! must isolate), or the file or `--network` asks, the stack runs in bridge mode: on the
//! project's podman networks, each container in its own namespace, names resolved by
//! podman's network DNS, ports published per container.

use std::collections::{BTreeMap, BTreeSet};

use super::PlanError;
use crate::backend::{NetworkAttach, NetworkSpec};
use crate::model::{NetworkMode, Project, Service, StackNetwork};

/// The layout the plan chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    Pod,
    /// The project's networks; `why` is the one-line notice that says why.
    Bridge {
        why: String,
    },
}

impl Layout {
    pub fn is_bridge(&self) -> bool {
        matches!(self, Layout::Bridge { .. })
    }
}

/// The layout for `project`, given what a pod would make of it (`pod`: the pod-wide
/// network mode, or why one namespace cannot hold the stack).
pub fn choose(
    project: &Project,
    pod: Result<Option<NetworkMode>, PlanError>,
) -> Result<(Layout, Option<NetworkMode>), PlanError> {
    let bridge = |why: String| -> Result<(Layout, Option<NetworkMode>), PlanError> {
        check_bridge(&project.services)?;
        Ok((Layout::Bridge { why }, None))
    };
    match (project.network, pod) {
        (Some(StackNetwork::Pod), pod) => match own_namespace(project) {
            Some(why) => Err(PlanError::PodCannotHold { why }),
            None => pod.map(|m| (Layout::Pod, m)),
        },
        (Some(StackNetwork::Bridge), _) => {
            bridge("the file or --network asks for bridge mode".into())
        }
        (None, Err(e)) => match e.why_bridge() {
            Some(why) => bridge(why),
            None => Err(e),
        },
        (None, Ok(mode)) => match isolation(&project.services).or_else(|| own_namespace(project)) {
            Some(why) => bridge(why),
            None => Ok((Layout::Pod, mode)),
        },
    }
}

/// Why services must be kept apart, when they sit on networks that share nothing: a
/// pod cannot keep them apart, podman networks can.
pub fn isolation(services: &BTreeMap<String, Service>) -> Option<String> {
    let list: Vec<(&String, BTreeSet<&str>)> = services
        .iter()
        .filter(|(_, s)| {
            s.replicas > 0 && s.network_mode.is_none() && !s.unapplied.contains_key("provider")
        })
        .map(|(n, s)| (n, network_keys(s)))
        .collect();
    for (i, (a, na)) in list.iter().enumerate() {
        for (b, nb) in &list[i + 1..] {
            if na.is_disjoint(nb) {
                return Some(format!(
                    "services {a:?} and {b:?} are on separate networks, which must not reach \
                     each other"
                ));
            }
        }
    }
    None
}

/// What only a container with a namespace of its own can have: a `mac_address`, an
/// address or interface of its own on a network, a network made with its own settings
/// (`ipam`, `enable_ipv6`, `driver_opts`), or a
/// `userns_mode` that not every service shares (a pod has one user namespace).
fn own_namespace(project: &Project) -> Option<String> {
    let live: Vec<&Service> = project
        .services
        .values()
        .filter(|s| s.replicas > 0)
        .collect();
    if let Some(s) = live.iter().find(|s| s.runtime.mac_address.is_some()) {
        return Some(format!(
            "service {:?} sets mac_address, which needs a network interface of its own",
            s.name
        ));
    }
    let joining: Vec<&&Service> = live.iter().filter(|s| s.network_mode.is_none()).collect();
    for s in &joining {
        for (net, n) in &s.networks {
            if let Some((key, _)) = n.interface().first() {
                return Some(format!(
                    "service {:?} sets networks.{net}.{key}, which needs a network interface \
                     of its own",
                    s.name
                ));
            }
        }
    }
    for s in &joining {
        for net in network_keys(s) {
            let own = project.networks.get(net).map(|n| n.own_settings());
            if let Some(key) = own.and_then(|k| k.first().copied()) {
                return Some(format!(
                    "network {net:?} sets {key}, which only a podman network of the \
                     project's own gives"
                ));
            }
        }
    }
    let first = live.first().map(|s| &s.runtime.userns);
    if let Some(s) = live.iter().find(|s| Some(&s.runtime.userns) != first) {
        let a = live[0];
        let mode = |s: &Service| s.runtime.userns.clone().unwrap_or_else(|| "default".into());
        return Some(format!(
            "services {:?} (userns_mode: {}) and {:?} (userns_mode: {}) need user namespaces \
             of their own",
            a.name,
            mode(a),
            s.name,
            mode(s)
        ));
    }
    None
}

/// The user namespace every service of a pod shares, when they ask for one.
pub fn pod_userns(project: &Project) -> Option<String> {
    project
        .services
        .values()
        .find(|s| s.replicas > 0)
        .and_then(|s| s.runtime.userns.clone())
}

/// The networks a service joins, by key: those it names, else `default`.
fn network_keys(s: &Service) -> BTreeSet<&str> {
    if s.networks.is_empty() {
        ["default"].into()
    } else {
        s.networks.keys().map(String::as_str).collect()
    }
}

/// What bridge mode cannot run either: two services, or the replicas of one, that
/// publish the same host port (docker compose fails on them too).
fn check_bridge(services: &BTreeMap<String, Service>) -> Result<(), PlanError> {
    for s in services.values().filter(|s| s.replicas > 1) {
        for p in &s.ports {
            if let Some(range) = p.published {
                if range.count() < s.replicas {
                    return Err(PlanError::ReplicaHostPort {
                        service: s.name.clone(),
                        replicas: s.replicas,
                        port: range.to_string(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// The podman name of network `key` of the project: its `name:`, else the key itself
/// when external, else `<project>_<key>`.
pub fn network_name(project: &Project, key: &str) -> String {
    match project.networks.get(key) {
        Some(n) if n.name.is_some() => n.name.clone().unwrap_or_default(),
        Some(n) if n.external => key.to_string(),
        _ => format!("{}_{key}", project.name),
    }
}

/// The networks bridge mode creates: every one a running service joins, except external
/// ones, which must exist already.
pub fn network_specs(project: &Project) -> Vec<NetworkSpec> {
    let used: BTreeSet<&str> = project
        .services
        .values()
        .filter(|s| s.replicas > 0 && s.network_mode.is_none())
        .flat_map(network_keys)
        .collect();
    used.into_iter()
        .filter(|key| !project.networks.get(*key).is_some_and(|n| n.external))
        .map(|key| {
            let mut labels = super::project_labels(&project.name);
            labels.insert(super::COMPOSE_NETWORK.into(), key.to_string());
            let declared = project.networks.get(key);
            if let Some(n) = declared {
                labels.extend(n.labels.clone());
            }
            let n = declared.cloned().unwrap_or_default();
            NetworkSpec {
                name: network_name(project, key),
                labels,
                internal: n.internal,
                driver: n.driver,
                options: n.driver_opts,
                ipv6: n.enable_ipv6,
                ipam_driver: n.ipam_driver,
                pools: n.pools,
            }
        })
        .collect()
}

/// How replica `number` of `service` joins in bridge mode: its networks with its names
/// on them, its own published ports (a replica takes its own port of a published range),
/// hostname, host entries and DNS.
pub fn attach(project: &Project, service: &Service, number: u32) -> NetworkAttach {
    let mode = match &service.network_mode {
        Some(NetworkMode::Host) => Some("host".to_string()),
        Some(NetworkMode::None) => Some("none".to_string()),
        Some(NetworkMode::Bridge) => Some("bridge".to_string()),
        Some(NetworkMode::Service(other)) => project
            .services
            .get(other)
            .map(|o| format!("container:{}", super::container_name(&project.name, o, 1))),
        None => None,
    };
    let joins_networks = mode.is_none();
    let mut aliases = vec![service.name.clone()];
    for net in service.networks.values() {
        aliases.extend(net.aliases.iter().cloned());
    }
    aliases.extend(service.links.iter().map(|l| l.alias.clone()));
    let mut seen = BTreeSet::new();
    aliases.retain(|a| seen.insert(a.clone()));
    let ports = service
        .ports
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if let Some(range) = p
                .published
                .filter(|r| r.count() > 1 && service.replicas > 1)
            {
                p.published = Some(range.nth(number - 1));
            }
            p
        })
        .collect();
    let keys = if joins_networks {
        network_keys(service)
    } else {
        BTreeSet::new()
    };
    let interfaces = keys
        .iter()
        .filter_map(|k| {
            let net = service.networks.get(*k)?;
            let options = net.interface().into_iter().map(|(_, o)| o).collect();
            Some((network_name(project, k), options))
        })
        .collect();
    NetworkAttach {
        networks: keys.iter().map(|k| network_name(project, k)).collect(),
        interfaces,
        aliases: if joins_networks { aliases } else { Vec::new() },
        mode,
        ports: if joins_networks || service.network_mode == Some(NetworkMode::Bridge) {
            ports
        } else {
            Vec::new()
        },
        hostname: service.hostname.clone(),
        hosts: service.extra_hosts.clone(),
        dns: service.dns.clone(),
    }
}

#[cfg(test)]
mod tests;
