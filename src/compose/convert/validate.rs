//! Checks across services once all are converted: references, file objects, isolation.

use super::*;

/// Checks that every secret and config a service uses is declared at the top level.
pub fn check_file_refs(
    services: &BTreeMap<String, Service>,
    secrets: &BTreeMap<String, FileSource>,
    configs: &BTreeMap<String, FileSource>,
    ctx: &Context,
) -> Result<(), LoadError> {
    for s in services.values() {
        for (kind, refs, declared) in [
            ("secrets", &s.secrets, secrets),
            ("configs", &s.configs, configs),
        ] {
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
    Ok(())
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

/// A warning when services sit on disjoint networks: a pod cannot keep them apart.
pub fn isolation_warning(services: &BTreeMap<String, Service>) -> Option<String> {
    let nets = |s: &Service| -> BTreeSet<String> {
        if s.networks.is_empty() {
            ["default".to_string()].into()
        } else {
            s.networks.keys().cloned().collect()
        }
    };
    // A service with a network_mode joins another namespace; networks do not apply to it.
    let list: Vec<(&String, BTreeSet<String>)> = services
        .iter()
        .filter(|(_, s)| s.network_mode.is_none())
        .map(|(n, s)| (n, nets(s)))
        .collect();
    for (i, (a, na)) in list.iter().enumerate() {
        for (b, nb) in &list[i + 1..] {
            if na.is_disjoint(nb) {
                return Some(format!(
                    "services {a:?} and {b:?} are on separate networks, but all services of a \
                     project share one pod and one network namespace: isolation between them \
                     is not enforced"
                ));
            }
        }
    }
    None
}
