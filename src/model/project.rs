//! The validated project: its name, directory, services, volumes and networks.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::Service;

/// A fully resolved project: interpolated, merged, extended, profile-filtered and
/// validated. Nothing downstream sees raw input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Project {
    pub name: String,
    pub directory: PathBuf,
    /// The files it was read from, in merge order.
    pub files: Vec<PathBuf>,
    pub services: BTreeMap<String, Service>,
    pub volumes: BTreeMap<String, Volume>,
    pub networks: BTreeMap<String, Network>,
    /// Secrets and configs by name: where their data comes from.
    pub secrets: BTreeMap<String, FileSource>,
    pub configs: BTreeMap<String, FileSource>,
    /// Services left out because none of their profiles is active.
    pub disabled_services: Vec<String>,
    /// Every profile a service names, active or not.
    pub profiles: std::collections::BTreeSet<String>,
    /// Things a user should know that do not stop the load (unset variables, ...).
    pub warnings: Vec<String>,
    /// How its containers share the network, when the file says (`x-sidepod: {network:}`)
    /// or `--network` does; else the plan chooses.
    pub network: Option<StackNetwork>,
}

/// How a stack's containers share the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackNetwork {
    /// One pod: one network namespace, names in /etc/hosts at 127.0.0.1.
    Pod,
    /// Each container in its own namespace on the project's podman networks, names
    /// resolved by podman's network DNS.
    Bridge,
}

impl StackNetwork {
    pub fn parse(text: &str) -> Option<StackNetwork> {
        match text {
            "pod" => Some(StackNetwork::Pod),
            "bridge" => Some(StackNetwork::Bridge),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            StackNetwork::Pod => "pod",
            StackNetwork::Bridge => "bridge",
        }
    }
}

impl Project {
    /// The podman name of a named volume: its `name:` if set; else the key itself for an
    /// external volume, `<project>_<key>` for the project's own.
    pub fn volume_name(&self, key: &str) -> String {
        match self.volumes.get(key) {
            Some(v) => match &v.name {
                Some(name) => name.clone(),
                None if v.external => key.to_string(),
                None => format!("{}_{}", self.name, key),
            },
            None => format!("{}_{}", self.name, key),
        }
    }
}

/// Where a secret's or config's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// A host file (absolute). It need not exist until `up`.
    File(PathBuf),
    /// `content:`, written as it is.
    Content(String),
    /// `environment:`: the variable's value when the project was loaded (`None`: unset,
    /// which `up` refuses).
    Environment { var: String, value: Option<String> },
    /// `external: true`: a podman secret that already exists, by name.
    External(String),
}

impl FileSource {
    /// The host file, for a source that is one.
    pub fn file(&self) -> Option<&PathBuf> {
        match self {
            FileSource::File(p) => Some(p),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Volume {
    /// An explicit name from the file (used as it is).
    pub name: Option<String>,
    pub external: bool,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Network {
    pub name: Option<String>,
    pub external: bool,
    pub internal: bool,
    pub driver: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub driver_opts: BTreeMap<String, String>,
    pub enable_ipv6: bool,
    /// `ipam.driver`.
    pub ipam_driver: Option<String>,
    /// `ipam.config`: the address pools the network is made with.
    pub pools: Vec<AddressPool>,
    /// Keys read and shown, with no podman equivalent (`ipam.config[].aux_addresses`,
    /// `ipam.options`): each warned about once at load.
    pub unapplied: BTreeMap<String, serde_json::Value>,
}

impl Network {
    /// The settings only a podman network of the project's own gives.
    pub fn own_settings(&self) -> Vec<&'static str> {
        let set = [
            ("ipam", !self.pools.is_empty() || self.ipam_driver.is_some()),
            ("enable_ipv6", self.enable_ipv6),
            ("driver_opts", !self.driver_opts.is_empty()),
        ];
        set.into_iter()
            .filter(|(_, on)| *on)
            .map(|(k, _)| k)
            .collect()
    }
}

/// One `ipam.config` entry: a subnet, with the range containers take addresses from and
/// its gateway.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressPool {
    pub subnet: Option<String>,
    pub ip_range: Option<String>,
    pub gateway: Option<String>,
}
