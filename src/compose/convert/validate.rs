//! Checks across services once all are converted: references, file objects, keys not applied.

use super::*;

/// Checks that every secret and config a service uses is declared at the top level.
pub fn check_file_refs(
    services: &BTreeMap<String, Service>,
    secrets: &BTreeMap<String, FileSource>,
    configs: &BTreeMap<String, FileSource>,
    ctx: &Context,
) -> Result<Vec<String>, LoadError> {
    let mut warnings = Vec::new();
    for s in services.values() {
        for (kind, refs, declared) in [
            ("secrets", &s.secrets, secrets),
            ("configs", &s.configs, configs),
        ] {
            for r in refs {
                let host_file = matches!(declared.get(&r.source), Some(FileSource::File(_)));
                if host_file && (r.mode.is_some() || r.owner.is_some()) {
                    warnings.push(format!(
                        "service {:?}: {kind} {:?} is a host file, mounted as it is: its uid, \
                         gid and mode are ignored (set them on the file itself)",
                        s.name, r.source
                    ));
                }
            }
            if let Some(r) = refs.iter().find(|r| !declared.contains_key(&r.source)) {
                return Err(ctx.err(
                    &format!("services.{}.{kind}", s.name),
                    format!(
                        "{:?} is not declared in the top-level `{kind}` section; add it there with a `file:`",
                        r.source
                    ),
                ));
            }
        }
    }
    Ok(warnings)
}

/// Checks that every required dependency and `network_mode: service:X` names a service
/// of the project, and says which profile enables it when it is only disabled.
pub fn check_references(
    services: &BTreeMap<String, Service>,
    disabled: &BTreeMap<String, Vec<String>>,
    ctx: &Context,
) -> Result<(), LoadError> {
    for (name, svc) in services {
        for (dep, d) in &svc.depends_on {
            if let Some(target) = services.get(dep) {
                let no_check = target.healthcheck_disabled && target.wait.is_empty();
                if d.condition == Condition::Healthy && no_check {
                    return Err(ctx.err(
                        &format!("services.{name}.depends_on.{dep}"),
                        format!(
                            "waits for {dep:?} to be healthy, but {dep:?} disables its \
                             healthcheck; give it one (or an x-sidepod-wait strategy), or use \
                             condition: service_started"
                        ),
                    ));
                }
                continue;
            }
            // `required: false` lets a dependency be absent, as in Compose.
            if !svc.depends_on[dep].required {
                continue;
            }
            let message = match disabled.get(dep) {
                Some(profiles) => format!(
                    "depends on {dep:?}, which is only in profile(s) {}; enable one with --profile",
                    profiles.join(", ")
                ),
                None => format!("depends on {dep:?}, which is not a service in this project"),
            };
            return Err(ctx.err(&format!("services.{name}.depends_on.{dep}"), message));
        }
        if let Some(NetworkMode::Service(other)) = &svc.network_mode {
            if !services.contains_key(other) {
                return Err(ctx.err(
                    &format!("services.{name}.network_mode"),
                    format!(
                        "network_mode refers to {other:?}, which is not a service in this project"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// One warning per key that some services set and sidepod does not apply: what it is,
/// who sets it, and what happens instead.
pub fn unapplied_warnings(services: &BTreeMap<String, Service>) -> Vec<String> {
    let mut by_key: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (name, s) in services {
        let build = s.build.iter().flat_map(|b| {
            let caches = [("cache_from", &b.cache_from), ("cache_to", &b.cache_to)];
            let foreign = caches
                .into_iter()
                .filter(|(_, list)| list.iter().any(|c| podman_cache_ref(c).is_none()))
                .map(|(k, _)| k.to_string());
            b.unapplied.keys().cloned().chain(foreign)
        });
        let keys = s
            .unapplied
            .keys()
            .map(|k| generic_key(k))
            .chain(build.map(|k| format!("build.{k}")));
        for key in keys.collect::<BTreeSet<_>>() {
            by_key.entry(key).or_default().push(name);
        }
    }
    by_key
        .into_iter()
        .map(|(key, names)| {
            let who = names.join(", ");
            let what = match key.as_str() {
                "provider" | "models" => {
                    "is another program's to provide; `up` refuses the service".to_string()
                }
                "build.cache_from" | "build.cache_to" => "has entries of a BuildKit cache type \
                     (local, gha, s3, inline, ...) that `podman build` has no equivalent for; \
                     they are ignored, and `type=registry` entries are used"
                    .to_string(),
                k if k.starts_with("build.") => {
                    "has no `podman build` equivalent and is ignored".to_string()
                }
                k if k.starts_with("deploy.restart_policy.") => {
                    "is ignored: podman restarts a container at once".to_string()
                }
                _ => "is read and shown by `config`, but not applied yet".to_string(),
            };
            format!("`{key}` ({who}) {what}")
        })
        .collect()
}

/// A key path with its network name generalised: `networks.*.interface_name`.
fn generic_key(key: &str) -> String {
    match key.split('.').collect::<Vec<_>>().as_slice() {
        ["networks", _, rest] => format!("networks.*.{rest}"),
        _ => key.to_string(),
    }
}
