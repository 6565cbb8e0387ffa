//! A service's networks, network mode and extra host entries.

use super::*;

/// The address of a host entry: an IP address (v6 may be bracketed), or podman's
/// `host-gateway`.
fn host_address(ip: &str, path: &str, ctx: &Context) -> Result<String, LoadError> {
    let ip = ip.trim_matches(|c| c == '[' || c == ']');
    if ip == "host-gateway" || ip.parse::<std::net::IpAddr>().is_ok() {
        return Ok(ip.to_string());
    }
    Err(ctx.err(
        path,
        format!("{ip:?} is not an IP address; write HOST:IP, as in db:10.0.0.5"),
    ))
}

pub(super) fn extra_hosts(
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
                    // `host=ip1,ip2`: one entry per address, as compose-go reads it.
                    Some((h, ips)) if !h.is_empty() && !ips.is_empty() => {
                        for ip in ips.split(',') {
                            out.push(HostEntry {
                                host: h.to_string(),
                                ip: host_address(ip.trim(), &format!("{path}[{i}]"), ctx)?,
                            });
                        }
                    }
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
                        ip: host_address(&ip, &format!("{path}.{h}"), ctx)?,
                    });
                }
            }
        }
    }
    Ok(out)
}

pub(super) fn service_networks(
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

pub(super) fn network_mode(mode: &str) -> Result<NetworkMode, String> {
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

/// The service's name servers (by address), search domains and resolver options.
pub(super) fn dns(raw: &RawService, path: &str, ctx: &Context) -> Result<Dns, LoadError> {
    // An empty entry (`dns: ${UNSET}`) means none, as in compose-go.
    let given = |v: &Option<OneOrMany<String>>| -> Vec<String> {
        let all = v.as_ref().map(OneOrMany::to_vec).unwrap_or_default();
        all.into_iter().filter(|s| !s.trim().is_empty()).collect()
    };
    let dns = Dns {
        servers: given(&raw.dns),
        search: given(&raw.dns_search),
        options: raw.dns_opt.clone().unwrap_or_default(),
    };
    if let Some(bad) = dns
        .servers
        .iter()
        .find(|d| d.parse::<std::net::IpAddr>().is_err())
    {
        return Err(ctx.err(
            path,
            format!("{bad:?} is not an IP address; name servers are given by address"),
        ));
    }
    Ok(dns)
}
