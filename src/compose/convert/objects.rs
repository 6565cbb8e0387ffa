//! Top-level objects: volumes, networks, secrets and configs, and services' references to secrets and configs.

use super::*;

pub fn convert_volumes(
    raw: IndexMap<String, Option<RawVolume>>,
    ctx: &Context,
) -> Result<BTreeMap<String, Volume>, LoadError> {
    let mut out = BTreeMap::new();
    for (key, v) in raw {
        let v = v.unwrap_or_default();
        let external = v.external.as_ref().is_some_and(|e| e.external);
        if external && (v.driver.is_some() || v.driver_opts.is_some()) {
            return Err(ctx.err(
                &format!("volumes.{key}"),
                "an external volume cannot also set driver or driver_opts",
            ));
        }
        out.insert(
            key,
            Volume {
                name: v.name.or(v.external.and_then(|e| e.name)),
                external,
                driver: v.driver,
                driver_opts: scalar_map(v.driver_opts),
                labels: labels(v.labels),
            },
        );
    }
    Ok(out)
}

pub fn convert_networks(
    raw: IndexMap<String, Option<RawNetwork>>,
    ctx: &Context,
) -> Result<BTreeMap<String, Network>, LoadError> {
    let mut out = BTreeMap::new();
    for (key, n) in raw {
        let n = n.unwrap_or_default();
        let external = n.external.clone().unwrap_or_default();
        let mut network = Network {
            name: n.name.or(external.name),
            external: external.external,
            internal: n.internal.is_some_and(|f| f.0),
            driver: n.driver,
            labels: labels(n.labels),
            driver_opts: scalar_map(n.driver_opts),
            enable_ipv6: n.enable_ipv6.is_some_and(|f| f.0),
            ..Network::default()
        };
        if let Some(ipam) = n.ipam {
            super::networks::ipam(&mut network, ipam, &format!("networks.{key}.ipam"), ctx)?;
        }
        if network.external && !network.own_settings().is_empty() {
            return Err(ctx.err(
                &format!("networks.{key}"),
                format!(
                    "an external network is made elsewhere: it cannot also set {}",
                    network.own_settings().join(", ")
                ),
            ));
        }
        out.insert(key, network);
    }
    Ok(out)
}

/// Top-level `secrets` or `configs` (`kind`): where each one's data comes from. A file
/// need not exist yet: as in compose-go, that is `up`'s error.
pub fn convert_file_objects(
    raw: IndexMap<String, RawFileObject>,
    kind: &str,
    ctx: &Context,
) -> Result<BTreeMap<String, FileSource>, LoadError> {
    let mut out = BTreeMap::new();
    for (name, o) in raw {
        let at = format!("{kind}.{name}");
        if o.driver.is_some() || o.driver_opts.is_some() || o.template_driver.is_some() {
            return Err(ctx.err(
                &at,
                format!(
                    "`driver` and `template_driver` are Swarm's: podman has no {kind} \
                     drivers; give the data as `file:`, `environment:` or `content:`"
                ),
            ));
        }
        let external = o.external.clone().unwrap_or_default();
        let sources = [
            o.file.is_some(),
            o.environment.is_some(),
            o.content.is_some(),
            external.external,
        ];
        if sources.iter().filter(|s| **s).count() > 1 {
            return Err(ctx.err(
                &at,
                "give one of `file`, `environment`, `content` and `external`",
            ));
        }
        let source = if external.external {
            if kind == "configs" {
                return Err(ctx.err(
                    &at,
                    "an external config needs a config store, which podman does not have; \
                     give the data as `file:` or `content:`",
                ));
            }
            FileSource::External(external.name.or(o.name).unwrap_or_else(|| name.clone()))
        } else if let Some(file) = o.file {
            FileSource::File(ctx.host_path(&file))
        } else if let Some(var) = o.environment {
            let value = (ctx.lookup)(&var);
            FileSource::Environment { var, value }
        } else if let Some(text) = o.content {
            FileSource::Content(text)
        } else {
            return Err(ctx.err(
                &at,
                "needs a `file:`, `environment:` or `content:` to read it from",
            ));
        };
        out.insert(name, source);
    }
    Ok(out)
}

/// A file mode as YAML gives it: `0440` (read as octal, as Compose reads it), or the
/// number YAML made of it (`288`).
fn file_mode(text: &str) -> Result<u32, String> {
    let parsed = if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(text.trim_start_matches("0o"), 8)
    } else {
        text.parse::<u32>()
    };
    parsed.ok().filter(|m| *m <= 0o7777).ok_or(format!(
        "{text:?} is not a file mode; write it in octal, as 0440"
    ))
}

/// A service's `secrets` or `configs` entries, with their mount points: a secret at
/// /run/secrets/NAME, a config at /NAME, unless a target says otherwise.
pub(super) fn file_refs(
    raw: Option<Vec<RawFileRef>>,
    kind: &str,
    path: &str,
    ctx: &Context,
) -> Result<Vec<FileRef>, LoadError> {
    let base = if kind == "secrets" {
        "/run/secrets"
    } else {
        ""
    };
    let mut out = Vec::new();
    for (i, r) in raw.unwrap_or_default().into_iter().enumerate() {
        let at = format!("{path}[{i}]");
        let (source, target, mode, owner) = match r {
            RawFileRef::Name(n) => (n, None, None, None),
            RawFileRef::Full(l) => {
                let mode = l
                    .mode
                    .as_ref()
                    .map(|m| file_mode(&m.0).map_err(|e| ctx.err(&format!("{at}.mode"), e)))
                    .transpose()?;
                let owner = match (&l.uid, &l.gid) {
                    (None, None) => None,
                    (u, g) => Some((
                        u.as_ref().map_or("0".into(), |u| u.0.clone()),
                        g.as_ref().map_or("0".into(), |g| g.0.clone()),
                    )),
                };
                (l.source, l.target, mode, owner)
            }
        };
        let target = match target {
            // A build secret's target is the id the Dockerfile names.
            Some(t) if kind == "build secrets" => t,
            None if kind == "build secrets" => source.clone(),
            Some(t) if t.starts_with('/') => t,
            Some(t) => format!("{base}/{t}"),
            None => format!("{base}/{source}"),
        };
        out.push(FileRef {
            source,
            target,
            mode,
            owner,
        });
    }
    Ok(out)
}
