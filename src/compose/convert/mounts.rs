//! Volumes of a service: short and long mount syntax, and `volumes_from`.

use super::*;

/// `SERVICE`, `SERVICE:ro`, `container:NAME` or `container:NAME:rw`.
pub(super) fn volumes_from(entry: &str) -> Result<VolumesFrom, String> {
    let (source, rest) = match entry.strip_prefix("container:") {
        Some(rest) => {
            let (name, mode) = rest
                .split_once(':')
                .map_or((rest, None), |(n, m)| (n, Some(m)));
            (VolumesSource::Container(name.to_string()), mode)
        }
        None => {
            let (name, mode) = entry
                .split_once(':')
                .map_or((entry, None), |(n, m)| (n, Some(m)));
            (VolumesSource::Service(name.to_string()), mode)
        }
    };
    let read_only = match rest {
        None | Some("rw") => false,
        Some("ro") => true,
        Some(other) => {
            return Err(format!(
            "invalid mode {other:?} in {entry:?}: write SERVICE, SERVICE:ro or container:NAME[:ro]"
        ))
        }
    };
    if matches!(&source, VolumesSource::Service(n) | VolumesSource::Container(n) if n.is_empty()) {
        return Err(format!("{entry:?} names no service or container"));
    }
    Ok(VolumesFrom { source, read_only })
}

pub(super) fn is_host_path(source: &str) -> bool {
    source.starts_with('/') || source.starts_with('.') || source.starts_with('~')
}

/// Parses a volume in short (`SOURCE:TARGET[:MODE]`) or long form.
pub fn mount(entry: VolumeEntry, ctx: &Context) -> Result<Mount, String> {
    match entry {
        VolumeEntry::Short(spec) => short_mount(&spec, ctx),
        VolumeEntry::Long(l) => long_mount(*l, ctx),
    }
}

pub(super) fn short_mount(spec: &str, ctx: &Context) -> Result<Mount, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, m] => (Some(*s), *t, Some(*m)),
        _ => {
            return Err(format!(
                "invalid volume {spec:?}: write SOURCE:TARGET[:MODE]"
            ))
        }
    };
    check_target(target, spec)?;
    let mut read_only = false;
    let mut options = Vec::new();
    for opt in mode
        .unwrap_or_default()
        .split(',')
        .filter(|o| !o.is_empty())
    {
        match opt {
            "ro" => read_only = true,
            "rw" => read_only = false,
            "z" | "Z" | "nocopy" | "rprivate" | "private" | "rshared" | "shared" | "rslave"
            | "slave" => options.push(opt.to_string()),
            // Docker Desktop's consistency hints mean nothing on Linux.
            "cached" | "delegated" | "consistent" => {}
            other => {
                return Err(format!(
                    "invalid volume {spec:?}: unknown mode {other:?} (use ro, rw, z, Z or a propagation mode)"
                ))
            }
        }
    }
    let (kind, source) = match source {
        None => (MountKind::Volume, None),
        Some("") => return Err(format!("invalid volume {spec:?}: empty source")),
        Some(s) if is_host_path(s) => (
            MountKind::Bind,
            Some(ctx.host_path(s).to_string_lossy().to_string()),
        ),
        Some(s) => (MountKind::Volume, Some(s.to_string())),
    };
    Ok(Mount {
        create_host_path: kind == MountKind::Bind,
        kind,
        source,
        target: target.to_string(),
        read_only,
        options,
        tmpfs_size: None,
    })
}

pub(super) fn check_target(target: &str, spec: &str) -> Result<(), String> {
    if !target.starts_with('/') {
        return Err(format!(
            "invalid volume {spec:?}: the container path {target:?} must be absolute"
        ));
    }
    Ok(())
}

pub(super) fn long_mount(l: RawVolumeLong, ctx: &Context) -> Result<Mount, String> {
    let kind = match l.kind.as_deref() {
        Some("bind") => MountKind::Bind,
        Some("volume") => MountKind::Volume,
        Some("tmpfs") => MountKind::Tmpfs,
        Some("image") => MountKind::Image,
        Some(other) => {
            return Err(format!(
                "volume type {other:?} is not supported; use bind, volume, tmpfs or image"
            ))
        }
        None => {
            return Err("a long-form volume needs `type` (bind, volume, tmpfs or image)".into())
        }
    };
    let target = l.target.ok_or("a long-form volume needs `target`")?;
    check_target(&target, &target)?;
    let mut options = Vec::new();
    // compose-go creates a missing bind source unless told not to.
    let mut create_host_path = kind == MountKind::Bind;
    if let Some(b) = &l.bind {
        if kind != MountKind::Bind {
            return Err("`bind` options are only for type: bind".into());
        }
        options.extend(b.propagation.clone());
        if let Some(selinux) = &b.selinux {
            match selinux.as_str() {
                "z" | "Z" => options.push(selinux.clone()),
                other => return Err(format!("bind.selinux must be z or Z, not {other:?}")),
            }
        }
        create_host_path = b.create_host_path.is_none_or(|f| f.0);
    }
    if let Some(v) = &l.volume {
        if kind != MountKind::Volume {
            return Err("`volume` options are only for type: volume".into());
        }
        if flag(v.nocopy) {
            options.push("nocopy".into());
        }
        options.extend(v.subpath.as_ref().map(|s| format!("subpath={s}")));
    }
    if let Some(i) = &l.image {
        if kind != MountKind::Image {
            return Err("`image` options are only for type: image".into());
        }
        options.extend(i.subpath.as_ref().map(|s| format!("subpath={s}")));
    }
    let tmpfs_size = match &l.tmpfs {
        Some(_) if kind != MountKind::Tmpfs => {
            return Err("`tmpfs` options are only for type: tmpfs".into());
        }
        Some(t) => t.size.as_ref().map(|s| parse_bytes(&s.0)).transpose()?,
        None => None,
    };
    let source = match (&kind, l.source.filter(|s| !s.is_empty())) {
        (MountKind::Bind, None) => return Err("a bind mount needs `source`".into()),
        (MountKind::Bind, Some(s)) => Some(ctx.host_path(&s).to_string_lossy().to_string()),
        (MountKind::Tmpfs, Some(_)) => return Err("a tmpfs mount takes no `source`".into()),
        (MountKind::Image, None) => return Err("an image mount needs `source`: the image".into()),
        (_, s) => s,
    };
    Ok(Mount {
        kind,
        source,
        target,
        read_only: flag(l.read_only),
        options,
        create_host_path,
        tmpfs_size,
    })
}
