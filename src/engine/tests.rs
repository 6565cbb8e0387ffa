//! Engine behaviour over the recording fake backend, on tokio's paused clock.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::backend::{Call, ContainerState, FakeBackend, HealthRun};
use crate::model::*;
use crate::plan::Plan;

mod attached;
mod signals;

fn service(name: &str) -> Service {
    Service {
        name: name.into(),
        image: Some("img".into()),
        replicas: 1,
        ..Service::default()
    }
}

fn depends(mut s: Service, on: &str, condition: Condition) -> Service {
    s.depends_on.insert(
        on.into(),
        Dependency {
            condition,
            required: true,
            restart: false,
        },
    );
    s
}

/// A check of `true` every second, three tries.
pub(super) fn check() -> Healthcheck {
    Healthcheck {
        test: HealthTest::Cmd(vec!["true".into()]),
        interval: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        retries: 3,
        start_period: Duration::ZERO,
        start_interval: Duration::from_secs(1),
    }
}

fn healthy(mut s: Service) -> Service {
    s.healthcheck = Some(check());
    s
}

fn stack(fake: &Arc<FakeBackend>, services: Vec<Service>) -> Stack {
    let mut project = Project {
        name: "p".into(),
        ..Project::default()
    };
    for s in services {
        project.services.insert(s.name.clone(), s);
    }
    let plan = Plan::new(&project).unwrap();
    Stack::for_tests(fake.clone(), project, plan)
}

/// `web` waits for `db` to be healthy, which it never is (not for a long while).
fn web_waiting_on_a_db_that_never_gets_healthy(fake: &Arc<FakeBackend>) -> Stack {
    fake.script_health("p-db-1", vec![HealthRun::Unhealthy]);
    let mut db = healthy(service("db"));
    if let Some(h) = db.healthcheck.as_mut() {
        h.retries = 1000;
    }
    stack(
        fake,
        vec![db, depends(service("web"), "db", Condition::Healthy)],
    )
}

fn quiet() -> Shutdown {
    Shutdown::never()
}

fn runs_of(fake: &FakeBackend, prefix: &str) -> usize {
    fake.calls_where(|c| matches!(c, Call::Run(n) if n.starts_with(prefix)))
        .len()
}

#[tokio::test(start_paused = true)]
async fn a_service_starts_after_its_dependency_is_healthy() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_health(
        "p-db-1",
        vec![
            HealthRun::Unhealthy,
            HealthRun::Unhealthy,
            HealthRun::Healthy,
        ],
    );
    let s = stack(
        &fake,
        vec![
            healthy(service("db")),
            depends(service("web"), "db", Condition::Healthy),
        ],
    );
    let started = up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    let names: Vec<&str> = started.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["p-db-1", "p-web-1"]);
    let last_probe = fake.last_position(&Call::Healthcheck("p-db-1".into()));
    assert!(fake.position(&Call::run("p-db-1")) < last_probe);
    assert!(last_probe < fake.position(&Call::run("p-web-1")));
    let probes = fake.calls_where(|c| matches!(c, Call::Healthcheck(_)));
    assert_eq!(probes.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn independent_services_start_concurrently() {
    let fake = Arc::new(FakeBackend::new());
    for name in ["p-a-1", "p-b-1", "p-c-1"] {
        let call = Call::run(name);
        fake.script_delay(move |c| *c == call, Duration::from_secs(2));
    }
    let s = stack(
        &fake,
        vec![
            service("a"),
            service("b"),
            depends(service("c"), "a", Condition::Started),
        ],
    );
    let start = Instant::now();
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    // a alone, as it starts the pod (2 s), then b and c together (2 s): 4 s, not 6 s.
    assert_eq!(start.elapsed(), Duration::from_secs(4));
    // The pod's infra container is started by the first run, with no call of its own
    // (the fake fails a second run into a pod that one is starting).
    assert!(fake
        .calls_where(|c| matches!(c, Call::PodStart(_)))
        .is_empty());
    assert!(fake.position(&Call::PodCreate("p".into())) < fake.position(&Call::run("p-a-1")));
}

#[tokio::test(start_paused = true)]
async fn a_failed_migration_stops_up_and_its_dependent_never_starts() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_exit("p-migrate-1", 1);
    fake.script_logs("p-migrate-1", &["applying 0001", "error: relation exists"]);
    let s = stack(
        &fake,
        vec![
            service("migrate"),
            depends(service("web"), "migrate", Condition::CompletedSuccessfully),
        ],
    );
    let err = up(&s, &UpOptions::default(), &mut quiet())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("\"migrate\" did not complete successfully: exit code 1"),
        "{text}"
    );
    assert!(text.contains("error: relation exists"), "{text}");
    assert_eq!(runs_of(&fake, "p-web"), 0, "{:#?}", fake.calls());
}

#[tokio::test(start_paused = true)]
async fn a_successful_migration_lets_the_dependent_start() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_exit("p-migrate-1", 0);
    let s = stack(
        &fake,
        vec![
            service("migrate"),
            depends(service("web"), "migrate", Condition::CompletedSuccessfully),
        ],
    );
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    assert!(
        fake.position(&Call::Wait("p-migrate-1".into())) < fake.position(&Call::run("p-web-1"))
    );
}

#[tokio::test(start_paused = true)]
async fn an_optional_dependency_that_fails_does_not_stop_its_dependent() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_exit("p-seed-1", 1);
    let mut web = depends(service("web"), "seed", Condition::CompletedSuccessfully);
    if let Some(d) = web.depends_on.get_mut("seed") {
        d.required = false;
    }
    let s = stack(&fake, vec![service("seed"), web]);
    let started = up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    assert!(started.iter().any(|c| c.name == "p-web-1"));
    assert!(fake.position(&Call::Wait("p-seed-1".into())) < fake.position(&Call::run("p-web-1")));
}

#[tokio::test(start_paused = true)]
async fn wait_timeout_names_the_service_and_its_health_output() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_health("p-db-1", vec![HealthRun::Unhealthy]);
    let mut db = healthy(service("db"));
    if let Some(h) = db.healthcheck.as_mut() {
        h.retries = 100;
    }
    let s = stack(&fake, vec![db]);
    let opts = UpOptions {
        wait: true,
        wait_timeout: Some(Duration::from_secs(5)),
        ..UpOptions::default()
    };
    let start = Instant::now();
    let err = up(&s, &opts, &mut quiet()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    let text = err.to_string();
    assert!(text.contains("\"db\" was not healthy within 5s"), "{text}");
    assert!(text.contains("unhealthy output"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn up_of_n_plain_services_makes_few_podman_calls() {
    let fake = Arc::new(FakeBackend::new());
    let services: Vec<Service> = (0..6).map(|i| service(&format!("s{i}"))).collect();
    let s = stack(&fake, services);
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    let calls = fake.calls();
    assert!(calls.len() <= 6 + 5, "{} calls: {calls:#?}", calls.len());
}

#[tokio::test(start_paused = true)]
async fn storage_leftovers_with_the_projects_names_are_removed_by_up_and_down() {
    let fake = Arc::new(FakeBackend::new());
    fake.add_leftover("p-a-1");
    fake.add_leftover("other-a-1");
    let s = stack(&fake, vec![service("a")]);
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    let removed = Call::Remove {
        names: vec!["p-a-1".into()],
        volumes: false,
    };
    assert!(fake.position(&removed) < fake.position(&Call::run("p-a-1")));
    assert_eq!(fake.container_names(), ["p-a-1"]);
    // down, after another half-failed run of a second replica.
    fake.add_leftover("p-a-2");
    let how = Teardown::Remove {
        volumes: false,
        timeout: None,
        all_in_pod: false,
    };
    teardown(&s, &how, &mut quiet()).await.unwrap();
    let removed = Call::Remove {
        names: vec!["p-a-2".into()],
        volumes: false,
    };
    assert_eq!(fake.calls_where(|c| *c == removed).len(), 1);
    assert!(fake.container_names().is_empty());
    // Another project's is left alone.
    let others = fake.calls_where(
        |c| matches!(c, Call::Remove { names, .. } if names.contains(&"other-a-1".to_string())),
    );
    assert!(others.is_empty());
}

#[tokio::test(start_paused = true)]
async fn rerunning_up_keeps_running_containers() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(&fake, vec![service("a")]);
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    assert_eq!(runs_of(&fake, ""), 1);
    let pods = fake.calls_where(|c| matches!(c, Call::PodCreate(_)));
    assert_eq!(pods.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn down_stops_dependents_first_then_removes_the_pod() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(
        &fake,
        vec![
            service("db"),
            depends(service("api"), "db", Condition::Started),
            depends(service("web"), "api", Condition::Started),
        ],
    );
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    let before = fake.calls().len();
    let how = Teardown::Remove {
        volumes: false,
        timeout: None,
        all_in_pod: false,
    };
    teardown(&s, &how, &mut quiet()).await.unwrap();
    let calls = fake.calls()[before..].to_vec();
    assert_eq!(
        calls,
        [
            Call::Ps,
            Call::PodPs,
            Call::stop(&["p-web-1"]),
            Call::stop(&["p-api-1"]),
            Call::stop(&["p-db-1"]),
            Call::PodRemove("p".into()),
        ]
    );
    assert!(fake.container_names().is_empty());
    assert!(fake.pod_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn down_after_a_failed_up_leaves_nothing_and_v_removes_volumes() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_health("p-db-1", vec![HealthRun::Unhealthy]);
    let mut db = healthy(service("db"));
    db.volumes.push(Mount {
        kind: MountKind::Volume,
        source: Some("data".into()),
        target: "/data".into(),
        read_only: false,
        options: vec![],
        create_host_path: false,
        tmpfs_size: None,
    });
    let mut s = stack(
        &fake,
        vec![db, depends(service("web"), "db", Condition::Healthy)],
    );
    Arc::get_mut(&mut s.project)
        .unwrap()
        .volumes
        .insert("data".into(), Volume::default());
    let err = up(&s, &UpOptions::default(), &mut quiet())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("\"db\" is unhealthy"), "{err}");
    assert_eq!(runs_of(&fake, "p-web"), 0);
    assert_eq!(fake.volume_names(), ["p_data"]);
    let how = Teardown::Remove {
        volumes: true,
        timeout: None,
        all_in_pod: false,
    };
    teardown(&s, &how, &mut quiet()).await.unwrap();
    assert!(fake.container_names().is_empty());
    assert!(fake.pod_names().is_empty());
    assert!(fake.volume_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_signal_during_up_interrupts_it() {
    let fake = Arc::new(FakeBackend::new());
    let s = web_waiting_on_a_db_that_never_gets_healthy(&fake);
    let (trigger, mut shutdown) = Shutdown::new();
    let fire = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        trigger.fire(2);
    };
    let opts = UpOptions::default();
    let (result, ()) = tokio::join!(up(&s, &opts, &mut shutdown), fire);
    assert!(matches!(result, Err(EngineError::Interrupted(2))));
    assert_eq!(runs_of(&fake, "p-web"), 0);
}

#[tokio::test(start_paused = true)]
async fn a_second_signal_kills_instead_of_waiting() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_delay(|c| matches!(c, Call::Stop(_)), Duration::from_secs(60));
    let s = stack(&fake, vec![service("a")]);
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    let (trigger, mut shutdown) = Shutdown::new();
    trigger.fire(2);
    let second = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        trigger.fire(2);
    };
    let start = Instant::now();
    let (result, ()) = tokio::join!(stop_stack(&s, None, &mut shutdown), second);
    result.unwrap();
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(1),
        "did not wait for the slow stop"
    );
    assert_eq!(
        fake.calls_where(|c| matches!(c, Call::Kill { .. })),
        [Call::Kill {
            names: vec!["p-a-1".into()],
            signal: "SIGKILL".into()
        }]
    );
}

#[tokio::test(start_paused = true)]
async fn wait_reports_containers_in_the_order_they_stop() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(
        &fake,
        vec![service("slow"), service("fast"), service("other")],
    );
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    fake.script_exit("p-slow-1", 0);
    fake.script_delay(
        |c| *c == Call::Wait("p-slow-1".into()),
        Duration::from_secs(5),
    );
    fake.script_exit("p-fast-1", 4);
    let services = ["slow".to_string(), "fast".to_string()];

    let all = wait_stopped(&s, &services, false, &mut quiet())
        .await
        .unwrap();
    let seen: Vec<(&str, i64)> = all.iter().map(|e| (e.container.as_str(), e.code)).collect();
    assert_eq!(seen, [("p-fast-1", 4), ("p-slow-1", 0)]);

    let started = Instant::now();
    let first = wait_stopped(&s, &services, true, &mut quiet())
        .await
        .unwrap();
    assert_eq!(
        first,
        [Exited {
            container: "p-fast-1".into(),
            code: 4
        }]
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn wait_without_containers_or_with_an_unknown_service_is_an_error() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(&fake, vec![service("a")]);
    let none = wait_stopped(&s, &[], false, &mut quiet()).await;
    assert!(
        matches!(none, Err(EngineError::NothingToWaitFor(ref w)) if w == "project \"p\""),
        "{none:?}"
    );
    let unknown = wait_stopped(&s, &["b".into()], false, &mut quiet()).await;
    assert!(
        matches!(unknown, Err(EngineError::NoSuchService(..))),
        "{unknown:?}"
    );
}

fn restarts_with(mut s: Service, on: &str) -> Service {
    s.depends_on.insert(
        on.into(),
        Dependency {
            condition: Condition::Started,
            required: true,
            restart: true,
        },
    );
    s
}

#[tokio::test(start_paused = true)]
async fn a_dependent_with_restart_true_restarts_when_up_recreates_its_dependency() {
    let fake = Arc::new(FakeBackend::new());
    let plain = || {
        vec![
            service("db"),
            restarts_with(service("app"), "db"),
            depends(service("other"), "db", Condition::Started),
        ]
    };
    let s = stack(&fake, plain());
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    // Unchanged: nothing restarts.
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    let restarts = |fake: &FakeBackend| fake.calls_where(|c| matches!(c, Call::Restart(_)));
    assert_eq!(restarts(&fake), []);

    let mut changed = plain();
    changed[0]
        .environment
        .insert("LEVEL".into(), Some("2".into()));
    let s = stack(&fake, changed);
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    let app = Call::Restart(vec!["p-app-1".into()]);
    assert_eq!(restarts(&fake), std::slice::from_ref(&app));
    assert!(fake.last_position(&Call::run("p-db-1")) < fake.position(&app));
    assert_eq!(runs_of(&fake, ""), 4, "only db is recreated");
}

#[tokio::test(start_paused = true)]
async fn restarting_a_service_restarts_those_that_declare_restart_true_on_it() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(
        &fake,
        vec![
            service("db"),
            restarts_with(service("app"), "db"),
            restarts_with(service("worker"), "app"),
            depends(service("other"), "db", Condition::Started),
        ],
    );
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    restart(&s, &["db".into()], None, true).await.unwrap();
    assert_eq!(
        fake.calls_where(|c| matches!(c, Call::Restart(_))),
        [
            Call::Restart(vec!["p-db-1".into()]),
            Call::Restart(vec!["p-app-1".into(), "p-worker-1".into()])
        ]
    );
    // `restart --no-deps`: db alone.
    restart(&s, &["db".into()], None, false).await.unwrap();
    let restarts = fake.calls_where(|c| matches!(c, Call::Restart(_)));
    assert_eq!(restarts.len(), 3, "{restarts:?}");
    assert_eq!(restarts[2], Call::Restart(vec!["p-db-1".into()]));
}

#[tokio::test(start_paused = true)]
async fn independent_services_stop_at_once_and_each_after_its_dependents() {
    let fake = Arc::new(FakeBackend::new());
    // Each stop takes its whole grace period, as for services that ignore SIGTERM.
    fake.script_delay(|c| matches!(c, Call::Stop(_)), Duration::from_secs(10));
    let mut services: Vec<Service> = (0..10).map(|i| service(&format!("s{i}"))).collect();
    services.push(service("db"));
    services.push(depends(service("api"), "db", Condition::Started));
    services.push(depends(service("web"), "api", Condition::Started));
    let s = stack(&fake, services);
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    let start = Instant::now();
    stop_stack(&s, None, &mut quiet()).await.unwrap();
    // web, then api, then db: three grace periods; the ten others stop alongside web,
    // in one call, since nothing waits for them; web, which api waits for, in its own.
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    let stops = fake.calls_where(|c| matches!(c, Call::Stop(_)));
    let others: Vec<String> = (0..10).map(|i| format!("p-s{i}-1")).collect();
    let mut first: Vec<Call> = stops[..2].to_vec();
    first.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(first, [Call::Stop(others), Call::stop(&["p-web-1"])]);
    assert_eq!(
        stops[2..],
        [Call::stop(&["p-api-1"]), Call::stop(&["p-db-1"])]
    );
    assert!(fake
        .container_names()
        .iter()
        .all(|n| fake.state_of(n) == Some(ContainerState::Exited)));
}

#[tokio::test(start_paused = true)]
async fn a_container_that_would_sleep_through_its_stop_signal_is_killed_at_once() {
    let fake = Arc::new(FakeBackend::new());
    let mut db = service("db");
    db.stop_signal = Some("SIGINT".into());
    let s = stack(&fake, vec![db, service("idle"), service("web")]);
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    fake.script_ignores_stop("p-idle-1");
    let grace = Some(Duration::from_secs(7));
    stop_stack(&s, grace, &mut quiet()).await.unwrap();
    let sorted = |mut calls: Vec<(Call, Option<Duration>)>| {
        calls.sort_by_key(|(c, _)| format!("{c:?}"));
        calls
    };
    let zero = Some(Duration::ZERO);
    assert_eq!(
        sorted(fake.grace_periods()),
        [
            (Call::stop(&["p-db-1", "p-web-1"]), grace),
            (Call::stop(&["p-idle-1"]), zero),
        ]
    );
    // A restart does not wait for it either.
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    restart(&s, &[], grace, false).await.unwrap();
    assert_eq!(
        sorted(fake.grace_periods()[2..].to_vec()),
        [
            (
                Call::Restart(vec!["p-db-1".into(), "p-web-1".into()]),
                grace
            ),
            (Call::Restart(vec!["p-idle-1".into()]), zero),
        ]
    );
    // Asked for no grace period at all, everything goes the same way, in one call.
    stop_stack(&s, zero, &mut quiet()).await.unwrap();
    assert_eq!(
        fake.grace_periods()[4..],
        [(Call::stop(&["p-db-1", "p-idle-1", "p-web-1"]), zero)]
    );
}

#[tokio::test(start_paused = true)]
async fn the_images_own_healthcheck_counts_when_the_file_has_none() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_image_healthcheck("pg", check());
    fake.script_health(
        "p-db-1",
        vec![
            HealthRun::Unhealthy,
            HealthRun::Unhealthy,
            HealthRun::Healthy,
        ],
    );
    let mut db = service("db");
    db.image = Some("pg".into());
    let s = stack(
        &fake,
        vec![db, depends(service("web"), "db", Condition::Healthy)],
    );
    let started = up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    let probes = fake.calls_where(|c| matches!(c, Call::Healthcheck(_)));
    assert_eq!(probes.len(), 3);
    assert!(
        fake.last_position(&Call::Healthcheck("p-db-1".into()))
            < fake.position(&Call::run("p-web-1"))
    );
    assert!(started
        .iter()
        .any(|c| c.service == "db" && c.ready == crate::output::Readiness::Healthy));
}

#[tokio::test(start_paused = true)]
async fn waiting_for_health_that_no_check_can_give_is_a_clear_failure() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(
        &fake,
        vec![
            service("db"),
            depends(service("web"), "db", Condition::Healthy),
        ],
    );
    let err = up(&s, &UpOptions::default(), &mut quiet())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("\"db\" has no healthcheck, neither in the file nor in its image")
            && text.contains("\"web\" cannot wait"),
        "{text}"
    );
    assert_eq!(runs_of(&fake, "p-web"), 0);
}

#[tokio::test(start_paused = true)]
async fn a_disabled_healthcheck_turns_off_the_images_own() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_image_healthcheck("pg", check());
    fake.script_health("p-db-1", vec![HealthRun::Unhealthy]);
    let mut db = service("db");
    db.image = Some("pg".into());
    db.healthcheck_disabled = true;
    let s = stack(&fake, vec![db]);
    let opts = UpOptions {
        wait: true,
        ..UpOptions::default()
    };
    up(&s, &opts, &mut quiet()).await.unwrap();
    assert_eq!(fake.calls_where(|c| matches!(c, Call::Healthcheck(_))), []);
}

#[tokio::test(start_paused = true)]
async fn containers_are_listed_while_the_pod_is_made_and_again_when_it_was_recreated() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_delay(
        |c| *c == Call::PodCreate("p".into()),
        Duration::from_secs(1),
    );
    up(
        &stack(&fake, vec![service("a")]),
        &UpOptions::default(),
        &mut quiet(),
    )
    .await
    .unwrap();
    // The listing did not wait for the pod to be made.
    assert!(fake.position(&Call::Ps) < fake.position(&Call::PodCreate("p".into())));
    // A new service needs a host entry the pod lacks: the pod is made anew, and a's
    // container, removed with it, is not taken for one that still runs (the listing
    // beside it saw it before the removal).
    fake.script_delay(|c| matches!(c, Call::PodRemove(_)), Duration::from_secs(1));
    let s = stack(&fake, vec![service("a"), service("b")]);
    up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    assert_eq!(
        fake.calls_where(|c| matches!(c, Call::PodRemove(_))),
        [Call::PodRemove("p".into())]
    );
    assert_eq!(fake.calls_where(|c| *c == Call::run("p-a-1")).len(), 2);
    assert_eq!(fake.state_of("p-a-1"), Some(ContainerState::Running));
    assert_eq!(fake.state_of("p-b-1"), Some(ContainerState::Running));
}
