//! Names, labels and the podman-level specs of a project's pod, containers and volumes.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Plan;
use crate::backend::{
    BuildSecret, BuildSpec, ContainerSpec, HealthSpec, MountSpec, PodSpec, VolumeSpec,
};
use crate::model::{
    podman_cache_ref, FileSource, MountKind, Project, RuntimeOptions, Service, VolumesSource,
};

pub const LABEL_PROJECT: &str = "io.sidepod.project";
pub const LABEL_SERVICE: &str = "io.sidepod.service";
pub const LABEL_CONFIG_HASH: &str = "io.sidepod.config-hash";
pub const LABEL_OWNER: &str = "io.sidepod.owner";
/// A job's cache volume, by its key; kept across teardown.
pub const LABEL_CACHE: &str = "io.sidepod.cache";
/// The path a cache volume holds.
pub const LABEL_CACHE_PATH: &str = "io.sidepod.cache.path";
/// On the pod: its host entries, `name=ip,...`, to tell when new ones are needed.
pub const LABEL_HOSTS: &str = "io.sidepod.hosts";
pub const COMPOSE_PROJECT: &str = "com.docker.compose.project";
pub const COMPOSE_SERVICE: &str = "com.docker.compose.service";
pub const COMPOSE_NUMBER: &str = "com.docker.compose.container-number";
pub const COMPOSE_ONEOFF: &str = "com.docker.compose.oneoff";
/// On a named volume the project created: its key in the files. `down -v` removes only
/// volumes that carry it.
pub const COMPOSE_VOLUME: &str = "com.docker.compose.volume";
pub const COMPOSE_NETWORK: &str = "com.docker.compose.network";
/// The files a container's project was read from, comma-separated (`ls` shows them).
pub const COMPOSE_CONFIG_FILES: &str = "com.docker.compose.project.config_files";

/// `<project>-<service>-<n>`, unless the service sets `container_name`.
pub fn container_name(project: &str, service: &Service, number: u32) -> String {
    match &service.container_name {
        Some(name) => name.clone(),
        None => format!("{project}-{}-{number}", service.name),
    }
}

/// How logs prefix a container's lines: `db-1`, or its container_name.
pub fn log_prefix(service: &str, number: u32, container_name: Option<&str>) -> String {
    container_name.map_or_else(|| format!("{service}-{number}"), str::to_string)
}

/// The image a service runs: its `image`, or the one built for it.
pub fn image_name(project: &str, service: &Service) -> String {
    service
        .image
        .clone()
        .unwrap_or_else(|| format!("localhost/{project}-{}:latest", service.name))
}

/// The labels every resource of the project carries.
pub fn project_labels(project: &str) -> BTreeMap<String, String> {
    [
        (LABEL_PROJECT.to_string(), project.to_string()),
        (COMPOSE_PROJECT.to_string(), project.to_string()),
    ]
    .into()
}

/// A stable fingerprint of a service's resolved configuration: a change recreates it.
pub fn config_hash(service: &Service) -> String {
    // How many replicas run, and when the image is pulled, change no container.
    let service = Service {
        replicas: 0,
        pull_policy: None,
        ..service.clone()
    };
    fingerprint(&format!("{service:?}"))
}

/// A fingerprint of the pod's published ports and network mode: a change recreates the
/// pod. (Host entries are compared apart: only new ones need a new pod.)
pub fn pod_hash(plan: &Plan) -> String {
    let pod = &plan.pod;
    fingerprint(&format!(
        "{:?}{:?}{:?}{:?}",
        pod.ports, pod.network_mode, pod.dns, pod.userns
    ))
}

/// The pod's host entries as its label holds them.
pub fn hosts_label(plan: &Plan) -> String {
    plan.pod
        .hosts
        .iter()
        .map(|h| format!("{}={}", h.host, h.ip))
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether a pod with these labels can serve `plan`: same ports and network mode, and
/// every host entry the plan needs.
pub fn pod_fits(plan: &Plan, existing: &BTreeMap<String, String>) -> bool {
    let have: Vec<&str> = existing
        .get(LABEL_HOSTS)
        .map(|h| h.split(',').collect())
        .unwrap_or_default();
    existing.get(LABEL_CONFIG_HASH) == Some(&pod_hash(plan))
        && hosts_label(plan)
            .split(',')
            .filter(|h| !h.is_empty())
            .all(|h| have.contains(&h))
}

/// Over a Debug form, which is deterministic (BTreeMaps, Vecs).
fn fingerprint(text: &str) -> String {
    crate::model::fingerprint(text.as_bytes())
}

pub fn pod_spec(plan: &Plan, extra_labels: &BTreeMap<String, String>) -> PodSpec {
    let mut spec = plan.pod.clone();
    spec.labels.insert(LABEL_CONFIG_HASH.into(), pod_hash(plan));
    spec.labels.insert(LABEL_HOSTS.into(), hosts_label(plan));
    spec.labels.extend(extra_labels.clone());
    spec
}

/// A service's runtime settings as its container takes them: `service:NAME` namespaces
/// as that service's first container; `userns_mode` and `mac_address` are the pod's in
/// pod mode (`Plan::new` sees to it that they can be), the container's in bridge mode.
fn runtime_options(project: &Project, service: &Service, bridge: bool) -> RuntimeOptions {
    let mut r = service.runtime.clone();
    for ns in [&mut r.ipc, &mut r.pid] {
        let other = ns.as_deref().and_then(|v| v.strip_prefix("service:"));
        if let Some(other) = other.map(str::to_string) {
            *ns = project
                .services
                .get(&other)
                .map(|o| format!("container:{}", container_name(&project.name, o, 1)));
        }
    }
    if !bridge {
        r.userns = None;
        r.mac_address = None;
    }
    r
}

/// The container for replica `number` of a service, in the pod or, in bridge mode, on
/// the project's networks.
pub fn container_spec(
    project: &Project,
    plan: &Plan,
    service: &Service,
    number: u32,
    extra_labels: &BTreeMap<String, String>,
) -> ContainerSpec {
    let bridge = plan.layout.is_bridge();
    let mut labels = project_labels(&project.name);
    labels.extend(service.labels.clone());
    labels.insert(LABEL_SERVICE.into(), service.name.clone());
    // A change of layout recreates the container.
    let hash = match bridge {
        false => config_hash(service),
        true => fingerprint(&format!("{service:?} in bridge mode")),
    };
    labels.insert(LABEL_CONFIG_HASH.into(), hash);
    labels.insert(COMPOSE_SERVICE.into(), service.name.clone());
    labels.insert(COMPOSE_NUMBER.into(), number.to_string());
    labels.insert(COMPOSE_ONEOFF.into(), "False".into());
    if !project.files.is_empty() {
        let files: Vec<String> = project
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        labels.insert(COMPOSE_CONFIG_FILES.into(), files.join(","));
    }
    labels.extend(extra_labels.clone());
    ContainerSpec {
        name: container_name(&project.name, service, number),
        pod: match bridge {
            false => project.name.clone(),
            true => String::new(),
        },
        network: bridge.then(|| super::layout::attach(project, service, number)),
        image: image_name(&project.name, service),
        command: service.command.clone(),
        entrypoint: service.entrypoint.clone(),
        env: service
            .environment
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
            .collect(),
        labels,
        mounts: service
            .volumes
            .iter()
            .map(|m| mount_spec(project, m))
            .chain(file_mounts(project, service))
            .collect(),
        tmpfs: service.tmpfs.clone(),
        working_dir: service.working_dir.clone(),
        user: service.user.clone(),
        health: service.healthcheck.as_ref().map(|h| HealthSpec {
            test: h.test.clone(),
            interval: h.interval,
            timeout: h.timeout,
            retries: h.retries,
            start_period: h.start_period,
        }),
        no_healthcheck: service.healthcheck_disabled,
        init: service.init,
        stop_signal: service.stop_signal.clone(),
        stop_timeout: service.stop_grace_period,
        restart: service.restart,
        cap_add: service.cap_add.clone(),
        cap_drop: service.cap_drop.clone(),
        privileged: service.privileged,
        devices: service.devices.clone(),
        read_only: service.read_only,
        shm_size: service.shm_size,
        ulimits: service.ulimits.clone(),
        tty: service.tty,
        interactive: service.stdin_open,
        runtime: runtime_options(project, service, bridge),
        volumes_from: service
            .volumes_from
            .iter()
            .map(|v| {
                let name = match &v.source {
                    VolumesSource::Service(s) => match project.services.get(s) {
                        Some(svc) => container_name(&project.name, svc, 1),
                        None => format!("{}-{s}-1", project.name),
                    },
                    VolumesSource::Container(c) => c.clone(),
                };
                if v.read_only {
                    format!("{name}:ro")
                } else {
                    name
                }
            })
            .collect(),
    }
}

/// The service's secrets and configs: their files, read-only at their targets.
fn file_mounts<'a>(
    project: &'a Project,
    service: &'a Service,
) -> impl Iterator<Item = MountSpec> + 'a {
    let secrets = service.secrets.iter().map(|r| (r, &project.secrets));
    let configs = service.configs.iter().map(|r| (r, &project.configs));
    secrets.chain(configs).filter_map(|(r, files)| {
        // The loader checked that each is declared, and `up` that each has its data.
        let target = r.target.clone();
        Some(match files.get(&r.source)? {
            FileSource::File(file) => MountSpec::Volume {
                source: file.display().to_string(),
                target,
                options: vec!["ro".into()],
            },
            FileSource::Content(text) => MountSpec::Content {
                text: text.clone(),
                target,
                mode: r.mode,
            },
            FileSource::Environment { value, .. } => MountSpec::Content {
                text: value.clone()?,
                target,
                mode: r.mode,
            },
            FileSource::External(name) => MountSpec::Secret {
                name: name.clone(),
                target,
            },
        })
    })
}

pub fn mount_spec(project: &Project, m: &crate::model::Mount) -> MountSpec {
    let mut options = Vec::new();
    if m.read_only {
        options.push("ro".to_string());
    }
    options.extend(m.options.iter().cloned());
    match (&m.kind, &m.source) {
        (MountKind::Tmpfs, _) => MountSpec::Tmpfs {
            target: m.target.clone(),
            size: m.tmpfs_size,
            read_only: m.read_only,
        },
        (MountKind::Volume, None) => MountSpec::Anonymous {
            target: m.target.clone(),
        },
        (MountKind::Volume, Some(key)) => MountSpec::Volume {
            source: project.volume_name(key),
            target: m.target.clone(),
            options,
        },
        (MountKind::Bind, source) => MountSpec::Volume {
            source: source.clone().unwrap_or_default(),
            target: m.target.clone(),
            options,
        },
        (MountKind::Image, source) => MountSpec::Image {
            image: source.clone().unwrap_or_default(),
            subpath: options
                .iter()
                .find_map(|o| o.strip_prefix("subpath="))
                .map(str::to_string),
            target: m.target.clone(),
        },
    }
}

/// The project's own named volumes that `services` use (external ones are not created).
pub fn volume_specs<'a>(
    project: &Project,
    services: impl IntoIterator<Item = &'a Service>,
) -> Vec<VolumeSpec> {
    let mut used: Vec<&str> = services
        .into_iter()
        .flat_map(|s| s.volumes.iter())
        .filter(|m| m.kind == MountKind::Volume)
        .filter_map(|m| m.source.as_deref())
        .collect();
    used.sort_unstable();
    used.dedup();
    used.into_iter()
        .filter_map(|key| {
            let v = project.volumes.get(key)?;
            if v.external {
                return None;
            }
            let mut labels = project_labels(&project.name);
            labels.extend(v.labels.clone());
            labels.insert(COMPOSE_VOLUME.into(), key.to_string());
            Some(VolumeSpec {
                name: project.volume_name(key),
                driver: v.driver.clone(),
                driver_opts: v.driver_opts.clone(),
                labels,
            })
        })
        .collect()
}

/// External volumes that `services` use: they must exist already.
pub fn external_volumes<'a>(
    project: &Project,
    services: impl IntoIterator<Item = &'a Service>,
) -> Vec<String> {
    let mut names: Vec<String> = services
        .into_iter()
        .flat_map(|s| s.volumes.iter())
        .filter_map(|m| m.source.as_deref().filter(|_| m.kind == MountKind::Volume))
        .filter(|key| project.volumes.get(*key).is_some_and(|v| v.external))
        .map(|key| project.volume_name(key))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// How to build a service's image, when it has `build:`.
/// The builds of `services`, each once: services whose build sections are the same build
/// one image, tagged with every one of their image names. Each comes with the services
/// it is for.
pub fn build_groups<'a>(
    project: &Project,
    services: impl IntoIterator<Item = &'a Service>,
) -> Vec<(Vec<String>, BuildSpec)> {
    let untagged = |s: &BuildSpec| BuildSpec {
        tag: String::new(),
        tags: Vec::new(),
        ..s.clone()
    };
    let mut groups: Vec<(Vec<String>, BuildSpec)> = Vec::new();
    for s in services {
        let Some(spec) = build_spec(project, s) else {
            continue;
        };
        match groups
            .iter_mut()
            .find(|(_, g)| untagged(g) == untagged(&spec))
        {
            Some((names, g)) => {
                names.push(s.name.clone());
                for t in std::iter::once(spec.tag).chain(spec.tags) {
                    if t != g.tag && !g.tags.contains(&t) {
                        g.tags.push(t);
                    }
                }
            }
            None => groups.push((vec![s.name.clone()], spec)),
        }
    }
    groups
}

pub fn build_spec(project: &Project, service: &Service) -> Option<BuildSpec> {
    let b = service.build.as_ref()?;
    let secrets = b
        .secrets
        .iter()
        .filter_map(|r| {
            let id = r.target.clone();
            match project.secrets.get(&r.source)? {
                FileSource::File(path) => Some(BuildSecret::File {
                    id,
                    path: path.display().to_string(),
                }),
                FileSource::Environment { var, .. } => Some(BuildSecret::Env {
                    id,
                    var: var.clone(),
                }),
                // podman build reads secrets from files or the environment only.
                FileSource::Content(_) | FileSource::External(_) => None,
            }
        })
        .collect();
    Some(BuildSpec {
        context: b.context.clone(),
        dockerfile: b.dockerfile.clone(),
        dockerfile_inline: b.dockerfile_inline.clone(),
        tag: image_name(&project.name, service),
        tags: b.tags.clone(),
        args: b
            .args
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
            .collect(),
        target: b.target.clone(),
        labels: b.labels.clone(),
        no_cache: b.no_cache,
        pull: b.pull,
        platforms: b.platforms.clone(),
        secrets,
        ssh: b
            .ssh
            .iter()
            .map(|(id, path)| match path {
                Some(p) => format!("{id}={p}"),
                None => id.clone(),
            })
            .collect(),
        build_contexts: b
            .additional_contexts
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        cache_from: b
            .cache_from
            .iter()
            .filter_map(|c| podman_cache_ref(c))
            .collect(),
        cache_to: b
            .cache_to
            .iter()
            .filter_map(|c| podman_cache_ref(c))
            .collect(),
        network: b.network.clone(),
        add_hosts: b
            .extra_hosts
            .iter()
            .map(|h| format!("{}:{}", h.host, h.ip))
            .collect(),
        shm_size: b.shm_size,
        ulimits: b
            .ulimits
            .iter()
            .map(|(k, u)| format!("{k}={}:{}", u.soft, u.hard))
            .collect(),
    })
}

/// The grace period a service gets when stopped (Compose's default is 10 s).
pub fn stop_grace(service: &Service) -> Duration {
    service.stop_grace_period.unwrap_or(Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Mount, Volume};

    fn project() -> Project {
        let mut p = Project {
            name: "shop".into(),
            ..Project::default()
        };
        p.volumes.insert("pg".into(), Volume::default());
        p.volumes.insert(
            "shared".into(),
            Volume {
                external: true,
                ..Volume::default()
            },
        );
        p
    }

    fn mount(kind: MountKind, source: Option<&str>, target: &str) -> Mount {
        Mount {
            kind,
            source: source.map(str::to_string),
            target: target.into(),
            read_only: false,
            options: vec![],
            create_host_path: false,
            tmpfs_size: None,
        }
    }

    #[test]
    fn containers_are_named_and_labelled_like_compose() {
        let svc = Service {
            name: "db".into(),
            image: Some("pg".into()),
            replicas: 1,
            ..Service::default()
        };
        let spec = container_spec(
            &project(),
            &Plan::new(&project()).unwrap(),
            &svc,
            2,
            &BTreeMap::new(),
        );
        assert_eq!(spec.name, "shop-db-2");
        assert_eq!(spec.pod, "shop");
        for (k, v) in [
            (LABEL_PROJECT, "shop"),
            (LABEL_SERVICE, "db"),
            (COMPOSE_PROJECT, "shop"),
            (COMPOSE_SERVICE, "db"),
            (COMPOSE_NUMBER, "2"),
            (COMPOSE_ONEOFF, "False"),
        ] {
            assert_eq!(spec.labels.get(k).map(String::as_str), Some(v), "{k}");
        }
        assert_eq!(spec.labels[LABEL_CONFIG_HASH], config_hash(&svc));
        let named = Service {
            container_name: Some("pg-main".into()),
            ..svc
        };
        assert_eq!(
            container_spec(
                &project(),
                &Plan::new(&project()).unwrap(),
                &named,
                1,
                &BTreeMap::new()
            )
            .name,
            "pg-main"
        );
    }

    #[test]
    fn config_hash_changes_with_the_configuration() {
        let a = Service {
            name: "db".into(),
            ..Service::default()
        };
        let mut b = a.clone();
        assert_eq!(config_hash(&a), config_hash(&b));
        b.environment.insert("X".into(), Some("1".into()));
        assert_ne!(config_hash(&a), config_hash(&b));
    }

    #[test]
    fn mounts_use_project_volume_names() {
        let svc = Service {
            name: "db".into(),
            volumes: vec![
                mount(MountKind::Volume, Some("pg"), "/data"),
                mount(MountKind::Volume, Some("shared"), "/shared"),
                mount(MountKind::Volume, None, "/anon"),
                mount(MountKind::Bind, Some("/src"), "/src"),
            ],
            ..Service::default()
        };
        let p = project();
        let spec = container_spec(&p, &Plan::new(&p).unwrap(), &svc, 1, &BTreeMap::new());
        let sources: Vec<String> = spec
            .mounts
            .iter()
            .map(|m| match m {
                MountSpec::Volume { source, .. } => source.clone(),
                MountSpec::Anonymous { target } => format!("anon {target}"),
                MountSpec::Tmpfs { target, .. } => format!("tmpfs {target}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(sources, ["shop_pg", "shared", "anon /anon", "/src"]);
        let volumes = volume_specs(&p, [&svc]);
        assert_eq!(volumes.len(), 1, "external volumes are not created");
        assert_eq!(volumes[0].name, "shop_pg");
        assert_eq!(volumes[0].labels[LABEL_PROJECT], "shop");
        assert_eq!(external_volumes(&p, [&svc]), ["shared"]);
    }
}
