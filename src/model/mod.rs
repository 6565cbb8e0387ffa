//! The validated project model, shared by Compose projects and jobs.

mod develop;
mod duration;
mod job;
mod project;
mod service;
mod wait;

pub use develop::{WatchAction, WatchRule};
pub use duration::{format_duration, parse_duration};
pub use job::{fingerprint, Cache};
pub use job::{Job, Step, StepWhen, DEFAULT_READY_TIMEOUT, DEFAULT_WORKDIR, MAIN};
pub use project::{AddressPool, FileSource, Network, Project, StackNetwork, Volume};
pub use service::{
    is_remote_context, podman_cache_ref, Build, Condition, Dependency, Dns, ExposedPort, FileRef,
    HealthTest, Healthcheck, Hook, HostEntry, Link, Mount, MountKind, NetworkMode, Port, PortRange,
    Protocol, PullPolicy, RegistryAuth, RestartPolicy, RuntimeOptions, Service, ServiceNetwork,
    Ulimit, VolumesFrom, VolumesSource,
};
pub use wait::{HttpCheck, WaitCheck, WaitStrategy};
