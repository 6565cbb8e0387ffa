//! Published and exposed ports: short and long syntax, ranges and protocols.

use super::*;

pub(super) fn protocol(p: &str) -> Result<Protocol, String> {
    match p.to_ascii_lowercase().as_str() {
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "sctp" => Ok(Protocol::Sctp),
        other => Err(format!("unknown protocol {other:?}; use tcp, udp or sctp")),
    }
}

pub(super) fn port_number(s: &str, whole_spec: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(0) | Err(_) => Err(format!(
            "invalid port {s:?} in {whole_spec:?}: a port is a number from 1 to 65535"
        )),
        Ok(n) => Ok(n),
    }
}

pub(super) fn port_range(s: &str, whole_spec: &str) -> Result<PortRange, String> {
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
            let host_ip = l.host_ip.filter(|ip| !ip.is_empty());
            if let Some(ip) = &host_ip {
                check_host_ip(ip)?;
            }
            Ok(vec![Port {
                target,
                published,
                host_ip,
                protocol,
            }])
        }
    }
}

/// A host address to publish on must be an IP address, v4 or v6.
fn check_host_ip(ip: &str) -> Result<(), String> {
    ip.parse::<std::net::IpAddr>()
        .map(drop)
        .map_err(|_| format!("host address {ip:?} is not an IP address, as in 127.0.0.1 or ::1"))
}

pub(super) fn short_port(spec: &str) -> Result<Vec<Port>, String> {
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
    if let Some(ip) = &ip {
        check_host_ip(ip)?;
    }
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

pub(super) fn expose(spec: &str) -> Result<Vec<ExposedPort>, String> {
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
