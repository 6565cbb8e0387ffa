//! The fake's in-memory state (containers, pods, volumes, networks and the calls made)
//! and the scripting a test does before it runs the engine: health results, exit codes,
//! delays, failures, logs and what images bring.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use super::call::Call;
use crate::backend::*;

/// Which calls a script applies to.
type Matcher = Box<dyn Fn(&Call) -> bool + Send>;

#[derive(Default)]
pub(super) struct State {
    pub(super) calls: Vec<Call>,
    pub(super) containers: BTreeMap<String, ContainerInfo>,
    pub(super) pods: BTreeMap<String, PodInfo>,
    pub(super) volumes: BTreeMap<String, VolumeInfo>,
    /// Networks by name, with their labels.
    pub(super) networks: BTreeMap<String, BTreeMap<String, String>>,
    pub(super) missing_images: Vec<String>,
    /// What `events` reports, in order.
    pub(super) events: Vec<ContainerEvent>,
    /// How often each tag was built: its ID changes with each build.
    pub(super) image_builds: BTreeMap<String, u32>,
    pub(super) health: BTreeMap<String, VecDeque<HealthRun>>,
    pub(super) exit_codes: BTreeMap<String, i64>,
    pub(super) delays: Vec<(Matcher, Duration)>,
    pub(super) failures: Vec<(Matcher, String)>,
    pub(super) logs: BTreeMap<String, Vec<String>>,
    pub(super) next_id: u64,
    /// The healthchecks images bring (their HEALTHCHECK), by image.
    pub(super) image_checks: BTreeMap<String, Healthcheck>,
    /// The ports images EXPOSE, by image.
    pub(super) image_ports: BTreeMap<String, Vec<u16>>,
    /// What successive looks at a container's listening ports find; the last repeats.
    pub(super) listening: BTreeMap<String, VecDeque<Vec<u16>>>,
    /// What successive HTTP checks of a container get; the last repeats.
    pub(super) http: BTreeMap<String, VecDeque<Option<u16>>>,
    /// Names held by containers in storage that podman does not know.
    pub(super) leftovers: Vec<String>,
    /// Containers whose main process ignores its stop signal.
    pub(super) deaf: BTreeSet<String>,
    /// Each `stop` and `restart`, in order, with the grace period it gave.
    pub(super) grace_periods: Vec<(Call, Option<Duration>)>,
    /// Pods made and never started (by `pod start`, or a container run into them).
    pub(super) unstarted_pods: BTreeSet<String>,
    /// Pods whose infra container a `run` is starting right now.
    pub(super) starting_pods: BTreeSet<String>,
}

impl State {
    /// The running containers with a scripted exit code exit now: their `died` events.
    pub(super) fn deaths(&mut self) -> Vec<ContainerEvent> {
        let mut died = Vec::new();
        for (name, c) in &mut self.containers {
            let Some(&code) = self.exit_codes.get(name) else {
                continue;
            };
            if c.state != ContainerState::Running {
                continue;
            }
            c.state = ContainerState::Exited;
            c.exit_code = code;
            died.push(ContainerEvent {
                time: String::new(),
                action: "died".into(),
                id: c.id.clone(),
                name: name.clone(),
                image: c.image.clone(),
                attributes: c.labels.clone(),
                // As podman writes it: a 0 is left out.
                exit_code: (code != 0).then_some(code),
            });
        }
        died
    }
}

#[derive(Default)]
pub struct FakeBackend {
    pub(super) state: Mutex<State>,
}

impl FakeBackend {
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A poisoned lock means a test already panicked; carrying on shows that panic.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state)
    }

    /// A container in storage only, as a `podman run` that failed half-way leaves.
    pub fn add_leftover(&self, name: &str) {
        self.with(|s| s.leftovers.push(name.to_string()));
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.with(|s| s.calls.clone())
    }

    /// The calls `wanted` picks, in order.
    pub fn calls_where(&self, wanted: impl Fn(&Call) -> bool) -> Vec<Call> {
        self.calls().into_iter().filter(|c| wanted(c)).collect()
    }

    /// Where `call` was first made; panics, listing every call, when it never was.
    pub fn position(&self, call: &Call) -> usize {
        let calls = self.calls();
        calls
            .iter()
            .position(|c| c == call)
            .unwrap_or_else(|| panic!("no call {call:?} in {calls:#?}"))
    }

    /// Where `call` was last made.
    pub fn last_position(&self, call: &Call) -> usize {
        let calls = self.calls();
        calls
            .iter()
            .rposition(|c| c == call)
            .unwrap_or_else(|| panic!("no call {call:?} in {calls:#?}"))
    }

    /// The results of successive `healthcheck run`s of a container; after the last one,
    /// the last result repeats. Without a script, every check is healthy.
    pub fn script_health(&self, container: &str, runs: Vec<HealthRun>) {
        self.with(|s| s.health.insert(container.into(), runs.into()));
    }

    /// The exit code and output of an exec'd command, keyed `exec:COMMAND` (the command's
    /// words joined by spaces).
    pub fn script_command(&self, command: &str, code: i64, output: &[&str]) {
        self.with(|s| {
            let key = format!("exec:{command}");
            s.exit_codes.insert(key.clone(), code);
            s.logs
                .insert(key, output.iter().map(|l| l.to_string()).collect());
        });
    }

    /// Container `name`'s main process ignores its stop signal (a shell as PID 1).
    pub fn script_ignores_stop(&self, name: &str) {
        self.with(|s| s.deaf.insert(name.into()));
    }

    /// Each `stop` and `restart` so far, with the grace period it gave.
    pub fn grace_periods(&self) -> Vec<(Call, Option<Duration>)> {
        self.with(|s| s.grace_periods.clone())
    }

    /// The exit code `wait` returns for a container (it also marks it exited).
    pub fn script_exit(&self, container: &str, code: i64) {
        self.with(|s| s.exit_codes.insert(container.into(), code));
    }

    /// How long the calls that `when` picks take.
    pub fn script_delay(&self, when: impl Fn(&Call) -> bool + Send + 'static, delay: Duration) {
        self.with(|s| s.delays.push((Box::new(when), delay)));
    }

    pub(super) async fn pause(&self, call: &Call) {
        let delay = self.with(|s| s.delays.iter().find(|(m, _)| m(call)).map(|(_, d)| *d));
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
    }

    /// Makes the calls that `when` picks fail with `stderr`.
    pub fn fail(&self, when: impl Fn(&Call) -> bool + Send + 'static, stderr: &str) {
        self.with(|s| s.failures.push((Box::new(when), stderr.into())));
    }

    /// Gives `image` a HEALTHCHECK of its own, which containers of it get unless their
    /// spec has one or disables it.
    pub fn script_image_healthcheck(&self, image: &str, check: Healthcheck) {
        self.with(|s| s.image_checks.insert(image.into(), check));
    }

    /// Gives `image` EXPOSEd ports.
    pub fn script_image_ports(&self, image: &str, ports: &[u16]) {
        self.with(|s| s.image_ports.insert(image.into(), ports.to_vec()));
    }

    /// What successive looks at a container's listening ports find.
    pub fn script_listening(&self, container: &str, looks: Vec<Vec<u16>>) {
        self.with(|s| s.listening.insert(container.into(), looks.into()));
    }

    /// What successive HTTP checks of a container get (`None`: refused).
    pub fn script_http(&self, container: &str, answers: Vec<Option<u16>>) {
        self.with(|s| s.http.insert(container.into(), answers.into()));
    }

    pub fn missing_image(&self, image: &str) {
        self.with(|s| s.missing_images.push(image.into()));
    }

    pub fn script_logs(&self, container: &str, lines: &[&str]) {
        self.with(|s| {
            s.logs.insert(
                container.into(),
                lines.iter().map(|l| l.to_string()).collect(),
            )
        });
    }

    /// Sends a container's scripted lines; false when the receiver is gone.
    pub(super) async fn send_logs(
        &self,
        name: &str,
        sink: &tokio::sync::mpsc::Sender<LogLine>,
    ) -> bool {
        for text in self.with(|s| s.logs.get(name).cloned().unwrap_or_default()) {
            let line = LogLine {
                container: name.into(),
                stream: Stream::Stdout,
                text,
            };
            if sink.send(line).await.is_err() {
                return false;
            }
        }
        true
    }

    /// Adds a container as if an earlier run had left it.
    pub fn add_container(&self, name: &str, labels: &[(&str, &str)], state: ContainerState) {
        self.with(|s| {
            s.containers.insert(
                name.into(),
                ContainerInfo {
                    id: format!("id-{name}"),
                    name: name.into(),
                    labels: labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    state,
                    status: state.as_str().into(),
                    exit_code: 0,
                    health: None,
                    image: "img".into(),
                    ports: vec![],
                    restart_count: 0,
                    healthcheck: None,
                    exposed: Vec::new(),
                    pid: None,
                },
            )
        });
    }

    pub fn container_names(&self) -> Vec<String> {
        self.with(|s| s.containers.keys().cloned().collect())
    }

    pub fn pod_names(&self) -> Vec<String> {
        self.with(|s| s.pods.keys().cloned().collect())
    }

    pub fn network_names(&self) -> Vec<String> {
        self.with(|s| s.networks.keys().cloned().collect())
    }

    pub fn volume_names(&self) -> Vec<String> {
        self.with(|s| s.volumes.keys().cloned().collect())
    }

    pub fn state_of(&self, name: &str) -> Option<ContainerState> {
        self.with(|s| s.containers.get(name).map(|c| c.state))
    }

    /// Records a call; fails it when scripted to.
    pub(super) fn record(&self, call: Call) -> Result<(), BackendError> {
        self.with(|s| {
            let failure = s
                .failures
                .iter()
                .find(|(m, _)| m(&call))
                .map(|(_, e)| e.clone());
            let argv = vec!["podman".to_string(), format!("{call:?}")];
            s.calls.push(call);
            match failure {
                Some(stderr) => Err(BackendError::Command {
                    argv,
                    status: Some(125),
                    stderr,
                }),
                None => Ok(()),
            }
        })
    }

    pub(super) fn set_state(&self, names: &[String], state: ContainerState) {
        self.with(|s| {
            for n in names {
                if let Some(c) = s.containers.get_mut(n) {
                    c.state = state;
                }
            }
        })
    }
}

/// The next of a script's results; the last one repeats.
pub(super) fn next_scripted<T: Clone>(script: &mut VecDeque<T>, none: T) -> T {
    if script.len() > 1 {
        script.pop_front().unwrap_or(none)
    } else {
        script.front().cloned().unwrap_or(none)
    }
}

/// The healthcheck a container is created with: its spec's, or its image's.
pub(super) fn configured_check(
    spec: &ContainerSpec,
    image_checks: &BTreeMap<String, Healthcheck>,
) -> Option<Healthcheck> {
    match &spec.health {
        Some(h) => Some(Healthcheck {
            test: h.test.clone(),
            interval: h.interval,
            timeout: h.timeout,
            retries: h.retries,
            start_period: h.start_period,
            start_interval: Healthcheck::DEFAULT_START_INTERVAL,
        }),
        None if spec.no_healthcheck => None,
        None => image_checks.get(&spec.image).cloned(),
    }
}

pub(super) fn matches(labels: &BTreeMap<String, String>, label: &str, value: &str) -> bool {
    labels
        .get(label)
        .is_some_and(|v| value.is_empty() || v == value)
}
