//! Order and readiness in one pod, as Kubernetes has them: a service others depend on
//! becomes a native sidecar (an init container with `restartPolicy: Always`), started
//! before its dependents and with a `startupProbe` that holds them back until it is
//! ready; one that others wait to complete becomes a plain init container. Kubernetes
//! starts init containers one after the other, in the order given, which is sidepod's
//! start order.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use super::Dropped;
use crate::model::{Condition, HealthTest, Healthcheck, Protocol, Service, WaitCheck};

/// Where a service's containers go in the pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A plain init container: it runs to its end, and the pod goes on only if it passed.
    Init,
    /// A native sidecar, ready by its probe before the containers after it start.
    Sidecar,
    /// One of the pod's containers.
    Main,
}

/// How a sidecar is known to be ready, as in sidepod itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// A Compose service: its healthcheck, when a dependent waits for it to be healthy;
    /// started is enough for `service_started`.
    Compose,
    /// A job's sidecar: its wait strategies, else its healthcheck, else its declared TCP
    /// ports, within the job's readiness timeout.
    Job(Duration),
}

/// Each service's role, by how the others depend on it. In a job (`Readiness::Job`) every
/// service but `main` is a sidecar; `main` is the pod's one container.
pub fn roles(services: &[&Service], readiness: Readiness) -> BTreeMap<String, Role> {
    let mut conditions: BTreeMap<&str, Vec<Condition>> = BTreeMap::new();
    for s in services {
        for (dependency, d) in &s.depends_on {
            conditions
                .entry(dependency.as_str())
                .or_default()
                .push(d.condition);
        }
    }
    services
        .iter()
        .map(|s| {
            let wanted = conditions.get(s.name.as_str());
            let role = if wanted.is_some_and(|c| c.contains(&Condition::CompletedSuccessfully)) {
                Role::Init
            } else if wanted.is_some()
                || matches!(readiness, Readiness::Job(_)) && s.name != crate::model::MAIN
            {
                Role::Sidecar
            } else {
                Role::Main
            };
            (s.name.clone(), role)
        })
        .collect()
}

/// Whether a dependent waits for `service` to be healthy (not only started).
fn awaited_healthy(service: &Service, services: &[&Service]) -> bool {
    services.iter().any(|s| {
        s.depends_on
            .get(&service.name)
            .is_some_and(|d| d.condition == Condition::Healthy)
    })
}

/// The probe that holds a sidecar's dependents back until it is ready, if anything
/// does; what has no Kubernetes form is named in `dropped`.
pub fn startup_probe(
    service: &Service,
    services: &[&Service],
    readiness: Readiness,
    dropped: &mut Dropped,
) -> Option<Value> {
    let name = &service.name;
    match readiness {
        Readiness::Compose => {
            if !awaited_healthy(service, services) {
                return None;
            }
            if !service.wait.is_empty() {
                return wait_probe(service, Duration::from_secs(120), dropped);
            }
            match &service.healthcheck {
                Some(h) => Some(health_probe(h)),
                None => {
                    dropped.add(
                        "readiness by the image's own healthcheck (give the healthcheck in \
                         the file: dependents start once it has started)",
                        name,
                    );
                    None
                }
            }
        }
        Readiness::Job(limit) => {
            if !service.wait.is_empty() {
                return wait_probe(service, limit, dropped);
            }
            if let Some(h) = &service.healthcheck {
                let mut probe = health_probe(h);
                probe["failureThreshold"] = threshold(limit, h.interval).into();
                return Some(probe);
            }
            let port = service
                .ports
                .iter()
                .filter(|p| p.protocol == Protocol::Tcp)
                .map(|p| p.target)
                .chain(
                    service
                        .expose
                        .iter()
                        .filter(|e| e.protocol == Protocol::Tcp)
                        .map(|e| e.port),
                )
                .min();
            match port {
                Some(port) => Some(polled(json!({"tcpSocket": {"port": port}}), limit, None)),
                None => {
                    dropped.add(
                        "readiness by the image's exposed ports (declare them with `ports:` \
                         or `expose:`: without, the steps start once it has started)",
                        name,
                    );
                    None
                }
            }
        }
    }
}

/// How many failed probes, one each `period`, fill `limit`.
fn threshold(limit: Duration, period: Duration) -> u64 {
    let period = period.as_secs().max(1);
    limit.as_secs().div_ceil(period).max(1)
}

/// A probe tried every `interval` (rounded up to Kubernetes' whole seconds) until `limit`.
fn polled(mut handler: Value, limit: Duration, interval: Option<Duration>) -> Value {
    let period = interval.map_or(1, |i| i.as_secs().max(1));
    handler["periodSeconds"] = period.into();
    handler["failureThreshold"] = threshold(limit, Duration::from_secs(period)).into();
    handler
}

/// The healthcheck as a probe: tried every interval, and failing only after its start
/// period and its retries, as sidepod counts them.
pub fn health_probe(h: &Healthcheck) -> Value {
    let interval = h.interval.as_secs().max(1);
    json!({
        "exec": {"command": argv(&h.test)},
        "periodSeconds": interval,
        "timeoutSeconds": h.timeout.as_secs().max(1),
        "failureThreshold": h.start_period.as_secs().div_ceil(interval) + u64::from(h.retries.max(1)),
    })
}

fn argv(test: &HealthTest) -> Vec<String> {
    match test {
        HealthTest::Cmd(argv) => argv.clone(),
        HealthTest::Shell(script) => vec!["/bin/sh".into(), "-c".into(), script.clone()],
    }
}

/// The first wait strategy as a probe (a probe has one check); a log line has no probe.
fn wait_probe(service: &Service, limit: Duration, dropped: &mut Dropped) -> Option<Value> {
    let mut probe = None;
    for w in &service.wait {
        let limit = w.timeout.unwrap_or(limit);
        let handler = match &w.check {
            WaitCheck::Port(port) => json!({"tcpSocket": {"port": port}}),
            WaitCheck::Http(h) => {
                let mut get = json!({
                    "path": h.path,
                    "port": h.port,
                    "scheme": if h.https { "HTTPS" } else { "HTTP" },
                });
                if !h.host.is_empty() && h.host != "localhost" && h.host != "127.0.0.1" {
                    get["httpHeaders"] = json!([{"name": "Host", "value": h.host}]);
                }
                if h.status != 200 {
                    dropped.add(
                        "a wait for an HTTP status other than 200 (Kubernetes takes any 2xx \
                         or 3xx)",
                        &service.name,
                    );
                }
                json!({ "httpGet": get })
            }
            WaitCheck::Command(test) => json!({"exec": {"command": argv(test)}}),
            WaitCheck::Log { .. } => {
                dropped.add("a wait for a log line (no probe reads logs)", &service.name);
                continue;
            }
        };
        if probe.is_some() {
            dropped.add(
                "every wait strategy after the first (a probe has one check)",
                &service.name,
            );
            break;
        }
        probe = Some(polled(handler, limit, Some(w.interval)));
    }
    probe
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dependency, Port, PortRange, WaitStrategy};

    fn service(name: &str, deps: &[(&str, Condition)]) -> Service {
        Service {
            name: name.into(),
            depends_on: deps
                .iter()
                .map(|(d, condition)| {
                    (
                        d.to_string(),
                        Dependency {
                            condition: *condition,
                            required: true,
                            restart: false,
                        },
                    )
                })
                .collect(),
            ..Service::default()
        }
    }

    #[test]
    fn depended_on_services_are_sidecars_and_awaited_completions_init_containers() {
        let db = service("db", &[]);
        let migrate = service("migrate", &[("db", Condition::Healthy)]);
        let web = service(
            "web",
            &[
                ("db", Condition::Started),
                ("migrate", Condition::CompletedSuccessfully),
            ],
        );
        let all = [&db, &migrate, &web];
        let r = roles(&all, Readiness::Compose);
        assert_eq!(r["db"], Role::Sidecar);
        assert_eq!(r["migrate"], Role::Init);
        assert_eq!(r["web"], Role::Main);
        // In a job, every service but the main container is a sidecar.
        let main = service(crate::model::MAIN, &[]);
        let side = service("side", &[]);
        let r = roles(&[&side, &main], Readiness::Job(Duration::from_secs(60)));
        assert_eq!(
            (r["side"], r[crate::model::MAIN]),
            (Role::Sidecar, Role::Main)
        );
    }

    #[test]
    fn a_sidecar_is_ready_by_its_wait_else_healthcheck_else_port_as_in_sidepod() {
        let limit = Readiness::Job(Duration::from_secs(60));
        let mut dropped = Dropped::default();
        let mut db = service("db", &[]);
        db.ports.push(Port {
            target: 5432,
            published: Some(PortRange {
                start: 15432,
                end: 15432,
            }),
            host_ip: None,
            protocol: Protocol::Tcp,
        });
        let probe = startup_probe(&db, &[], limit, &mut dropped).unwrap();
        assert_eq!(probe["tcpSocket"]["port"], 5432);
        assert_eq!(probe["failureThreshold"], 60);
        db.healthcheck = Some(Healthcheck {
            test: HealthTest::Cmd(vec!["pg_isready".into()]),
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            retries: 3,
            start_period: Duration::ZERO,
            start_interval: Duration::from_secs(1),
        });
        let probe = startup_probe(&db, &[], limit, &mut dropped).unwrap();
        assert_eq!(probe["exec"]["command"], json!(["pg_isready"]));
        assert_eq!(probe["failureThreshold"], 30);
        db.wait = vec![
            WaitStrategy {
                check: WaitCheck::Log {
                    pattern: "ready".into(),
                    times: 1,
                },
                timeout: None,
                interval: WaitStrategy::DEFAULT_INTERVAL,
            },
            WaitStrategy {
                check: WaitCheck::Port(5433),
                timeout: Some(Duration::from_secs(10)),
                interval: Duration::from_secs(2),
            },
        ];
        let probe = startup_probe(&db, &[], limit, &mut dropped).unwrap();
        assert_eq!(probe["tcpSocket"]["port"], 5433);
        assert_eq!(
            (&probe["periodSeconds"], &probe["failureThreshold"]),
            (&json!(2), &json!(5))
        );
        assert_eq!(
            dropped.messages(),
            ["not kept: a wait for a log line (no probe reads logs), of db"]
        );
        // A Compose service awaited only as started needs no probe.
        let web = service("web", &[("db", Condition::Started)]);
        assert_eq!(
            startup_probe(&db, &[&web], Readiness::Compose, &mut dropped),
            None
        );
    }
}
