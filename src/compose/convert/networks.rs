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
        Some(ServiceNetworks::Map(m)) => {
            let mut out = Vec::new();
            for (n, s) in m {
                let s = s.unwrap_or_default();
                let at = format!("{path}.{n}");
                let net = ServiceNetwork {
                    aliases: s.aliases.unwrap_or_default(),
                    ipv4_address: checked(s.ipv4_address, &at, "ipv4_address", ipv4, ctx)?,
                    ipv6_address: checked(s.ipv6_address, &at, "ipv6_address", ipv6, ctx)?,
                    mac_address: checked(s.mac_address, &at, "mac_address", mac, ctx)?,
                    interface_name: checked(s.interface_name, &at, "interface_name", ifname, ctx)?,
                };
                out.push((n, net));
            }
            out
        }
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

/// `value` of `key` under `at`, when `check` finds nothing wrong with it.
fn checked(
    value: Option<String>,
    at: &str,
    key: &str,
    check: fn(&str) -> Result<(), String>,
    ctx: &Context,
) -> Result<Option<String>, LoadError> {
    match value {
        Some(v) => match check(&v) {
            Ok(()) => Ok(Some(v)),
            Err(why) => Err(ctx.err(&format!("{at}.{key}"), format!("{v:?} {why}"))),
        },
        None => Ok(None),
    }
}

fn ipv4(v: &str) -> Result<(), String> {
    v.parse::<std::net::Ipv4Addr>()
        .map(drop)
        .map_err(|_| "is not an IPv4 address, as 172.20.0.5".into())
}

fn ipv6(v: &str) -> Result<(), String> {
    v.parse::<std::net::Ipv6Addr>()
        .map(drop)
        .map_err(|_| "is not an IPv6 address, as fd00::5".into())
}

fn ip(v: &str) -> Result<(), String> {
    v.parse::<std::net::IpAddr>()
        .map(drop)
        .map_err(|_| "is not an IP address, as 172.20.0.1".into())
}

/// A subnet or range in CIDR form: `172.20.0.0/16`, `fd00::/64`.
fn cidr(v: &str) -> Result<(), String> {
    let bad = || "is not a subnet in CIDR form, as 172.20.0.0/16".to_string();
    let (addr, bits) = v.split_once('/').ok_or_else(bad)?;
    let addr: std::net::IpAddr = addr.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    match bits.parse::<u8>() {
        Ok(b) if b <= max => Ok(()),
        _ => Err(bad()),
    }
}

pub(super) fn mac(v: &str) -> Result<(), String> {
    let parts: Vec<&str> = v.split(':').collect();
    let ok = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err("is not a MAC address, as 02:42:ac:11:00:02".into())
    }
}

/// A network interface name as Linux takes it: 1 to 15 characters, no `/`, `:`, `,`,
/// `=` or space (podman's option syntax uses the last three).
fn ifname(v: &str) -> Result<(), String> {
    let bad = |c: char| c.is_whitespace() || "/:,=".contains(c);
    if v.is_empty() || v.len() > 15 || v.chars().any(bad) {
        Err("is not an interface name: 1 to 15 characters, without / : , = or spaces".into())
    } else {
        Ok(())
    }
}

/// A network's `ipam`: its `driver`, and `config` entries of `subnet`, `ip_range` and
/// `gateway`. `aux_addresses` and `options` have no podman equivalent and are warned
/// about.
pub(super) fn ipam(
    network: &mut Network,
    ipam: serde_norway::Value,
    at: &str,
    ctx: &Context,
) -> Result<(), LoadError> {
    use serde_norway::Value;
    let Value::Mapping(m) = ipam else {
        return Err(ctx.err(at, "expected a mapping with `driver` and `config`"));
    };
    let text = |v: &Value, key: &str| -> Result<String, LoadError> {
        super::super::raw::scalar_text(v)
            .ok_or_else(|| ctx.err(&format!("{at}.{key}"), "expected a string"))
    };
    for (k, v) in &m {
        match k.as_str().unwrap_or_default() {
            "driver" => network.ipam_driver = Some(text(v, "driver")?),
            "options" => {
                let v = serde_json::to_value(v).unwrap_or_default();
                network.unapplied.insert("ipam.options".into(), v);
            }
            "config" => {
                let Value::Sequence(list) = v else {
                    return Err(ctx.err(&format!("{at}.config"), "expected a list of pools"));
                };
                for (i, pool) in list.iter().enumerate() {
                    let at = format!("{at}.config[{i}]");
                    let pool = address_pool(pool, &at, network, ctx)?;
                    network.pools.push(pool);
                }
            }
            k if k.starts_with("x-") => {}
            other => {
                return Err(ctx.err(
                    &format!("{at}.{other}"),
                    "is not an ipam key; use `driver`, `config` or `options`",
                ))
            }
        }
    }
    Ok(())
}

fn address_pool(
    pool: &serde_norway::Value,
    at: &str,
    network: &mut Network,
    ctx: &Context,
) -> Result<AddressPool, LoadError> {
    let serde_norway::Value::Mapping(m) = pool else {
        return Err(ctx.err(at, "expected a mapping with `subnet`"));
    };
    let mut out = AddressPool::default();
    for (k, v) in m {
        let key = k.as_str().unwrap_or_default();
        let value = || {
            super::super::raw::scalar_text(v)
                .ok_or_else(|| ctx.err(&format!("{at}.{key}"), "expected a string"))
        };
        match key {
            "subnet" => out.subnet = checked(Some(value()?), at, key, cidr, ctx)?,
            "ip_range" => out.ip_range = checked(Some(value()?), at, key, cidr, ctx)?,
            "gateway" => out.gateway = checked(Some(value()?), at, key, ip, ctx)?,
            "aux_addresses" => {
                let v = serde_json::to_value(v).unwrap_or_default();
                network
                    .unapplied
                    .insert("ipam.config.aux_addresses".into(), v);
            }
            k if k.starts_with("x-") => {}
            other => {
                return Err(ctx.err(
                    &format!("{at}.{other}"),
                    "is not an ipam pool key; use `subnet`, `ip_range`, `gateway` or \
                     `aux_addresses`",
                ))
            }
        }
    }
    if out.subnet.is_none() && (out.ip_range.is_some() || out.gateway.is_some()) {
        return Err(ctx.err(
            at,
            "an ip_range or gateway belongs to a subnet: give the pool its `subnet`",
        ));
    }
    Ok(out)
}

/// One warning per network key with no podman equivalent.
pub fn network_warnings(networks: &BTreeMap<String, Network>) -> Vec<String> {
    let mut by_key: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, n) in networks {
        for key in n.unapplied.keys() {
            by_key.entry(key).or_default().push(name);
        }
    }
    by_key
        .into_iter()
        .map(|(key, names)| {
            format!(
                "`{key}` (networks {}) has no `podman network create` equivalent and is ignored",
                names.join(", ")
            )
        })
        .collect()
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
