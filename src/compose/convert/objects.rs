//! Top-level objects: volumes, networks, secrets and configs, and services' references to secrets and configs.

use super::*;

pub fn convert_volumes(
    raw: IndexMap<String, Option<RawVolume>>,
    ctx: &Context,
) -> Result<BTreeMap<String, Volume>, LoadError> {
    let mut out = BTreeMap::new();
    for (key, v) in raw {
        let v = v.unwrap_or_default();
        let external = v.external.is_some_and(|f| f.0);
        if external && (v.driver.is_some() || v.driver_opts.is_some()) {
            return Err(ctx.err(
                &format!("volumes.{key}"),
                "an external volume cannot also set driver or driver_opts",
            ));
        }
        out.insert(
            key,
            Volume {
                name: v.name,
                external,
                driver: v.driver,
                driver_opts: scalar_map(v.driver_opts),
                labels: labels(v.labels),
            },
        );
    }
    Ok(out)
}

pub fn convert_networks(raw: IndexMap<String, Option<RawNetwork>>) -> BTreeMap<String, Network> {
    raw.into_iter()
        .map(|(key, n)| {
            let n = n.unwrap_or_default();
            let network = Network {
                name: n.name,
                external: n.external.is_some_and(|f| f.0),
                internal: n.internal.is_some_and(|f| f.0),
                driver: n.driver,
                labels: labels(n.labels),
            };
            (key, network)
        })
        .collect()
}

/// Top-level `secrets` or `configs` (`kind`): the file each one is read from. Only
/// files are supported: each is bind-mounted read-only where services ask for it.
pub fn convert_file_objects(
    raw: IndexMap<String, RawFileObject>,
    kind: &str,
    ctx: &Context,
) -> Result<BTreeMap<String, PathBuf>, LoadError> {
    let mut out = BTreeMap::new();
    for (name, o) in raw {
        let at = format!("{kind}.{name}");
        let unsupported = [
            (o.external.is_some_and(|f| f.0), "external"),
            (o.environment.is_some(), "environment"),
            (o.content.is_some(), "content"),
            (o.driver.is_some() || o.driver_opts.is_some(), "driver"),
            (o.template_driver.is_some(), "template_driver"),
        ];
        if let Some((_, key)) = unsupported.iter().find(|(set, _)| *set) {
            return Err(ctx.err(
                &at,
                format!(
                    "`{key}` is not supported yet: sidepod mounts {kind} from files; write \
                     the value to a file and give it as `file:`"
                ),
            ));
        }
        let Some(file) = o.file else {
            return Err(ctx.err(&at, "needs a `file:` to read it from"));
        };
        let path = clean_path(&ctx.project_dir.join(&file));
        if !path.is_file() {
            return Err(ctx.err(&at, format!("file {} does not exist", path.display())));
        }
        out.insert(name, path);
    }
    Ok(out)
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
        let (source, target) = match r {
            RawFileRef::Name(n) => (n, None),
            RawFileRef::Full(l) => {
                if l.uid.is_some() || l.gid.is_some() || l.mode.is_some() {
                    return Err(ctx.err(
                        &at,
                        "uid, gid and mode cannot be set on a file mounted from the host; \
                         remove them (set them on the file itself)",
                    ));
                }
                (l.source, l.target)
            }
        };
        let target = match target {
            Some(t) if t.starts_with('/') => t,
            Some(t) => format!("{base}/{t}"),
            None => format!("{base}/{source}"),
        };
        out.push(FileRef { source, target });
    }
    Ok(out)
}
