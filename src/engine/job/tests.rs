//! The job runner over the recording fake backend: the order of work, and teardown on
//! every path.

use std::sync::Arc;
use std::time::Duration;

use super::{owner, run_job, JobOptions};
use crate::backend::{Backend, Call, ContainerState, FakeBackend, HealthRun};
use crate::engine::{Shutdown, Stack};
use crate::model::*;
use crate::plan::LABEL_OWNER;

fn sidecar(name: &str, healthcheck: bool) -> Service {
    Service {
        name: name.into(),
        image: Some("img".into()),
        replicas: 1,
        healthcheck: healthcheck.then(crate::engine::tests::check),
        ..Service::default()
    }
}

pub(super) fn step(name: &str, run: &str) -> Step {
    Step {
        name: name.into(),
        run: run.into(),
        env: Default::default(),
        timeout: None,
        working_dir: None,
        ..Step::default()
    }
}

pub(super) fn job(steps: Vec<Step>) -> Job {
    let mut project = Project {
        name: "j".into(),
        directory: "/src/shop".into(),
        ..Project::default()
    };
    project.services.insert("db".into(), sidecar("db", true));
    project
        .services
        .insert("cache".into(), sidecar("cache", false));
    Job {
        file: "/src/shop/sidepod.yaml".into(),
        project,
        container: Service {
            name: MAIN.into(),
            image: Some("app".into()),
            replicas: 1,
            working_dir: Some("/workspace".into()),
            ..Service::default()
        },
        steps,
        timeout: None,
        ready_timeout: None,
        graceful_stop: false,
        secrets: Vec::new(),
        caches: Vec::new(),
    }
}

pub(super) fn stack(fake: &Arc<FakeBackend>, job: &Job) -> Stack {
    let project = job.project();
    let plan = crate::plan::Plan::new(&project).unwrap();
    Stack::for_tests(fake.clone(), project, plan)
}

/// What ran in the main container: the steps.
fn steps_run(fake: &FakeBackend) -> Vec<Call> {
    fake.calls_where(|c| matches!(c, Call::Exec { container, .. } if container == "j-main-1"))
}

pub(super) fn quiet() -> Shutdown {
    Shutdown::never()
}

fn sh(run: &str) -> String {
    format!("sh -c {run}")
}

#[tokio::test(start_paused = true)]
async fn main_starts_after_the_sidecars_runs_and_steps_run_in_order_once_they_are_ready() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_health("j-db-1", vec![HealthRun::Unhealthy, HealthRun::Healthy]);
    let db_run = Call::run("j-db-1");
    fake.script_delay(move |c| *c == db_run, Duration::from_secs(1));
    let j = job(vec![step("one", "echo 1"), step("two", "echo 2")]);
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 0);
    let at = |c: &Call| fake.position(c);
    // The second probe passed; nothing records it in podman, as the job removes it.
    let probe = Call::Healthcheck("j-db-1".into());
    assert_eq!(fake.calls_where(|c| *c == probe).len(), 2);
    let healthy = fake
        .calls()
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == probe)
        .map(|(i, _)| i)
        .nth(1)
        .unwrap();
    let main = at(&Call::run("j-main-1"));
    let (one, two) = (
        at(&Call::sh("j-main-1", "echo 1")),
        at(&Call::sh("j-main-1", "echo 2")),
    );
    assert!(at(&Call::run("j-db-1")) < healthy && at(&Call::run("j-cache-1")) < one);
    // The sidecars' podman runs go first, as their readiness is what the job waits on
    // (a fake call is recorded as it ends: db's took a second); the main container does
    // not wait for that readiness; the steps do.
    assert!(at(&Call::run("j-db-1")) < main && at(&Call::run("j-cache-1")) < main);
    assert!(main < healthy, "main waited for db to be healthy");
    assert!(healthy < one, "a step ran before db was healthy");
    assert!(main < one && one < two);
    // The claimed pod is started by the first sidecar's run, alone (the fake fails a
    // second run into a pod that one is starting), with no call of its own.
    assert!(fake
        .calls_where(|c| matches!(c, Call::PodStart(_)))
        .is_empty());
    assert!(
        two < at(&Call::PodRemove("j".into())),
        "teardown before the last step"
    );
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_first_failing_step_ends_the_job_with_its_code_and_tears_down() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_command(&sh("make test"), 3, &["1 failed"]);
    let j = job(vec![
        step("build", "make"),
        step("test", "make test"),
        step("deploy", "make deploy"),
    ]);
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 3);
    let deploy = Call::sh("j-main-1", "make deploy");
    assert_eq!(
        fake.calls_where(|c| *c == deploy),
        [],
        "a step after the failure ran"
    );
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn after_a_failure_only_always_and_failure_steps_run_and_continue_on_error_does_not_fail() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_command(&sh("lint"), 1, &["style"]);
    fake.script_command(&sh("make test"), 4, &["1 failed"]);
    let with = |name: &str, run: &str, when: StepWhen, continue_on_error: bool| Step {
        when,
        continue_on_error,
        ..step(name, run)
    };
    let j = job(vec![
        with("lint", "lint", StepWhen::OnSuccess, true),
        step("test", "make test"),
        step("deploy", "make deploy"),
        with("report", "make report", StepWhen::OnFailure, false),
        with("cleanup", "make clean", StepWhen::Always, false),
        with("never", "make never", StepWhen::Never, false),
    ]);
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    // The first failure that counts: lint's does not.
    assert_eq!(code, 4);
    let ran = |run: &str| {
        !fake
            .calls_where(|c| *c == Call::sh("j-main-1", run))
            .is_empty()
    };
    assert!(
        ran("make test"),
        "a failure marked continue-on-error stopped the job"
    );
    assert!(!ran("make deploy"), "a step after the failure ran");
    assert!(ran("make report") && ran("make clean"));
    assert!(!ran("make never"));
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_step_with_its_own_image_runs_in_its_own_container_which_is_removed() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_exit("j-step-2-1", 7);
    fake.script_logs("j-step-2-1", &["built in its own image"]);
    let own = Step {
        image: Some("golang:1.22".into()),
        ..step("build", "go build")
    };
    let j = job(vec![
        step("one", "echo 1"),
        own,
        step("after", "echo after"),
    ]);
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 7, "the step's container's exit code is the step's");
    assert!(!fake
        .calls_where(|c| *c == Call::run("j-step-2-1"))
        .is_empty());
    assert!(!fake
        .calls_where(|c| *c == Call::Wait("j-step-2-1".into()))
        .is_empty());
    assert_eq!(
        fake.calls_where(|c| *c == Call::sh("j-main-1", "go build")),
        [],
        "it ran in the main container"
    );
    assert_eq!(
        fake.calls_where(|c| *c == Call::sh("j-main-1", "echo after")),
        []
    );
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_image_with_a_login_is_pulled_with_it_when_missing() {
    let fake = Arc::new(FakeBackend::new());
    let mut j = job(vec![step("one", "true")]);
    j.container.image = Some("ghcr.io/org/app:1".into());
    j.container.registry_auth = Some(RegistryAuth {
        username: "bot".into(),
        password: "s3cret".into(),
    });
    fake.missing_image("ghcr.io/org/app:1");
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 0);
    let pulls = fake.calls_where(|c| matches!(c, Call::PullAuth(..)));
    assert_eq!(
        pulls,
        [Call::PullAuth("ghcr.io/org/app:1".into(), "bot".into())]
    );
}

#[tokio::test(start_paused = true)]
async fn step_images_are_pulled_first_as_their_policy_and_login_ask_each_once() {
    let fake = Arc::new(FakeBackend::new());
    let login = RegistryAuth {
        username: "bot".into(),
        password: "s3cret".into(),
    };
    let with = |name: &str, image: &str, pull, auth: Option<RegistryAuth>| Step {
        image: Some(image.into()),
        pull,
        registry_auth: auth,
        ..step(name, "true")
    };
    fake.missing_image("ghcr.io/org/private:1");
    for n in 1..=4 {
        fake.script_exit(&format!("j-step-{n}-1"), 0);
    }
    let j = job(vec![
        with("fresh", "golang:1.22", Some(PullPolicy::Always), None),
        with("again", "golang:1.22", Some(PullPolicy::Always), None),
        with(
            "private",
            "ghcr.io/org/private:1",
            None,
            Some(login.clone()),
        ),
        with("plain", "alpine:3", None, None),
    ]);
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 0);
    let pulls = fake.calls_where(|c| matches!(c, Call::Pull(..) | Call::PullAuth(..)));
    assert_eq!(
        pulls,
        [
            Call::Pull("golang:1.22".into()),
            Call::PullAuth("ghcr.io/org/private:1".into(), "bot".into()),
        ],
        "alpine:3 is left to podman run"
    );
    let first_pull = fake
        .calls()
        .iter()
        .position(|c| matches!(c, Call::Pull(..)));
    let first_run = fake.calls().iter().position(|c| matches!(c, Call::Run(..)));
    assert!(first_pull < first_run, "pulled before anything starts");

    // An image that must not be pulled and is not here fails the job before any step,
    // naming the step, and leaves nothing.
    let fake = Arc::new(FakeBackend::new());
    fake.missing_image("ghcr.io/org/private:1");
    let j = job(vec![with(
        "offline",
        "ghcr.io/org/private:1",
        Some(PullPolicy::Never),
        None,
    )]);
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_ne!(code, 0);
    assert_eq!(fake.calls_where(|c| matches!(c, Call::Run(..))), []);
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_unhealthy_sidecar_is_exit_5_before_any_step() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_health("j-db-1", vec![HealthRun::Unhealthy]);
    let j = job(vec![step("one", "true")]);
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 5);
    assert_eq!(steps_run(&fake), Vec::<Call>::new());
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_step_timeout_is_124_and_tears_down() {
    let fake = Arc::new(FakeBackend::new());
    let sleep = Call::sh("j-main-1", "sleep");
    fake.script_delay(move |c| *c == sleep, Duration::from_secs(3600));
    let mut slow = step("slow", "sleep");
    slow.timeout = Some(Duration::from_secs(5));
    let j = job(vec![slow]);
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 124);
    assert!(fake.pod_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_signal_during_a_step_is_128_plus_n_and_tears_down() {
    let fake = Arc::new(FakeBackend::new());
    let sleep = Call::sh("j-main-1", "sleep");
    fake.script_delay(move |c| *c == sleep, Duration::from_secs(3600));
    let j = job(vec![step("slow", "sleep")]);
    let (trigger, mut shutdown) = Shutdown::new();
    let s = stack(&fake, &j);
    let opts = JobOptions::default();
    let fire = async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        trigger.fire(15);
    };
    let (code, ()) = tokio::join!(run_job(&s, &j, &opts, &mut shutdown), fire);
    assert_eq!(code.unwrap(), 143);
    // The step's processes in the main container were stopped, then everything removed.
    let mark = format!("j-{}-1", std::process::id());
    let stop_step = Call::sh("j-main-1", &super::steps::stop_step_script(&mark));
    assert!(
        fake.position(&stop_step) < fake.position(&Call::PodRemove("j".into())),
        "{:#?}",
        fake.calls()
    );
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_signal_while_sidecars_get_ready_removes_them_and_runs_no_step() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_health("j-db-1", vec![HealthRun::Unhealthy]);
    let j = job(vec![step("one", "true")]);
    let (trigger, mut shutdown) = Shutdown::new();
    let s = stack(&fake, &j);
    let opts = JobOptions::default();
    let fire = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        trigger.fire(2);
    };
    let (code, ()) = tokio::join!(run_job(&s, &j, &opts, &mut shutdown), fire);
    assert_eq!(code.unwrap(), 130);
    assert_eq!(steps_run(&fake), Vec::<Call>::new());
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_signal_during_pod_creation_of_a_job_leaves_nothing() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_delay(|c| matches!(c, Call::PodCreate(_)), Duration::from_secs(30));
    let j = job(vec![step("one", "true")]);
    let (trigger, mut shutdown) = Shutdown::new();
    let s = stack(&fake, &j);
    let opts = JobOptions::default();
    let fire = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        trigger.fire(2);
    };
    let (code, ()) = tokio::join!(run_job(&s, &j, &opts, &mut shutdown), fire);
    assert_eq!(code.unwrap(), 130);
    assert_eq!(fake.calls_where(|c| matches!(c, Call::Run(_))), []);
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn keep_leaves_everything_and_owner_labels_mark_it_kept() {
    let fake = Arc::new(FakeBackend::new());
    let j = job(vec![step("one", "true")]);
    let opts = JobOptions {
        keep: true,
        ..JobOptions::default()
    };
    assert_eq!(
        run_job(&stack(&fake, &j), &j, &opts, &mut quiet())
            .await
            .unwrap(),
        0
    );
    assert_eq!(fake.pod_names(), ["j"]);
    assert_eq!(fake.calls_where(|c| matches!(c, Call::PodRemove(_))), []);
    assert_eq!(fake.state_of("j-main-1"), Some(ContainerState::Running));
    let pods = fake.pods(LABEL_OWNER, "").await.unwrap();
    assert!(pods[0].labels[LABEL_OWNER].starts_with("kept:"));
}

#[tokio::test(start_paused = true)]
async fn the_same_name_running_is_refused_and_nothing_is_touched() {
    let fake = Arc::new(FakeBackend::new());
    let j = job(vec![step("one", "true")]);
    let s = stack(&fake, &j);
    // A live job of the same name: owned by this very process.
    let mut labels = crate::plan::project_labels("j");
    labels.insert(LABEL_OWNER.into(), owner(false));
    fake.pod_create(&crate::backend::PodSpec {
        name: "j".into(),
        hosts: vec![],
        ports: vec![],
        network_mode: None,
        dns: Default::default(),
        labels,
        userns: None,
    })
    .await
    .unwrap();
    let before = fake.calls().len();
    let err = run_job(&s, &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is already running"), "{err}");
    // It tried to claim the name, and touched nothing when it could not: it only looked.
    assert!(
        fake.calls()[before..].iter().all(|c| matches!(
            c,
            Call::PodPs | Call::NetworkLs | Call::Ps | Call::PodCreate(_)
        )),
        "{:#?}",
        fake.calls()
    );
    assert_eq!(fake.pod_names(), ["j"]);
}

#[tokio::test(start_paused = true)]
async fn a_sidecar_without_healthcheck_is_ready_once_its_ports_accept_connections() {
    let fake = Arc::new(FakeBackend::new());
    let mut j = job(vec![step("one", "psql")]);
    let mut pg = sidecar("pg", false);
    pg.ports.push(Port {
        target: 5432,
        published: None,
        host_ip: None,
        protocol: Protocol::Tcp,
    });
    pg.image = Some("postgres".into());
    j.project.services.insert("pg".into(), pg);
    // It also EXPOSEs 8080 in its image: both must be open.
    fake.script_image_ports("postgres", &[8080]);
    fake.script_listening("j-pg-1", vec![vec![], vec![5432], vec![5432, 8080]]);
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 0);
    let looks = fake.calls_where(|c| *c == Call::Listening("j-pg-1".into()));
    assert_eq!(looks.len(), 3, "{:#?}", fake.calls());
    assert!(
        fake.last_position(&Call::Listening("j-pg-1".into()))
            < fake.position(&Call::sh("j-main-1", "psql"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_sidecar_that_exits_before_its_ports_open_fails_the_job_before_any_step() {
    let fake = Arc::new(FakeBackend::new());
    let mut j = job(vec![step("one", "true")]);
    let mut pg = sidecar("pg", false);
    pg.expose.push(ExposedPort {
        port: 5432,
        protocol: Protocol::Tcp,
    });
    j.project.services.insert("pg".into(), pg);
    let s = stack(&fake, &j);
    let pg_exits = {
        let fake = fake.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            fake.script_exit("j-pg-1", 1);
            // `wait` marks it exited.
            let _ = fake.wait("j-pg-1").await;
        }
    };
    let (opts, mut shutdown) = (JobOptions::default(), quiet());
    let (code, ()) = tokio::join!(run_job(&s, &j, &opts, &mut shutdown), pg_exits);
    assert_eq!(code.unwrap(), 5);
    assert_eq!(steps_run(&fake), Vec::<Call>::new());
    assert!(fake.pod_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn sidecars_get_a_readiness_deadline_and_exit_5_after_it() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_health("j-db-1", vec![HealthRun::Unhealthy]);
    let mut j = job(vec![step("one", "true")]);
    if let Some(h) = j
        .project
        .services
        .get_mut("db")
        .and_then(|s| s.healthcheck.as_mut())
    {
        h.retries = 100_000;
    }
    let opts = JobOptions {
        ready_timeout: Duration::from_secs(5),
        ..JobOptions::default()
    };
    fails_with_5_within(&fake, &j, &opts, Duration::from_secs(15)).await;
}

/// The job fails with 5 within `limit`, before any step, and leaves nothing.
async fn fails_with_5_within(fake: &Arc<FakeBackend>, j: &Job, opts: &JobOptions, limit: Duration) {
    let started = tokio::time::Instant::now();
    let code = run_job(&stack(fake, j), j, opts, &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 5);
    assert!(started.elapsed() < limit, "{:?}", started.elapsed());
    assert_eq!(steps_run(fake), Vec::<Call>::new());
    assert!(fake.pod_names().is_empty());
}

fn with_waits(j: &mut Job, wait: Vec<WaitStrategy>) {
    let mut pg = sidecar("pg", false);
    pg.wait = wait;
    j.project.services.insert("pg".into(), pg);
}

fn strategy(check: WaitCheck, timeout: Option<Duration>) -> WaitStrategy {
    WaitStrategy {
        check,
        timeout,
        interval: Duration::from_millis(500),
    }
}

fn http_check(status: u16) -> WaitCheck {
    WaitCheck::Http(HttpCheck {
        https: false,
        port: 8080,
        path: "/health".into(),
        host: "localhost".into(),
        status,
    })
}

#[tokio::test(start_paused = true)]
async fn every_wait_strategy_passes_before_the_first_step() {
    let fake = Arc::new(FakeBackend::new());
    let mut j = job(vec![step("one", "psql")]);
    with_waits(
        &mut j,
        vec![
            strategy(WaitCheck::Port(5432), None),
            strategy(http_check(200), None),
            strategy(
                WaitCheck::Log {
                    pattern: "ready to accept".into(),
                    times: 2,
                },
                None,
            ),
            strategy(
                WaitCheck::Command(HealthTest::Cmd(vec!["pg_isready".into()])),
                None,
            ),
        ],
    );
    fake.script_listening("j-pg-1", vec![vec![], vec![5432]]);
    fake.script_http("j-pg-1", vec![None, Some(503), Some(200)]);
    fake.script_logs(
        "j-pg-1",
        &[
            "init",
            "ready to accept connections",
            "restarting",
            "ready to accept connections",
        ],
    );
    fake.script_command("pg_isready", 0, &[]);
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 0);
    let first_step = fake.position(&Call::sh("j-main-1", "psql"));
    assert_eq!(
        fake.calls_where(|c| *c == Call::Http("j-pg-1".into()))
            .len(),
        3
    );
    for call in [
        Call::Listening("j-pg-1".into()),
        Call::Http("j-pg-1".into()),
        Call::Logs("j-pg-1".into()),
        Call::Exec {
            container: "j-pg-1".into(),
            command: vec!["pg_isready".into()],
        },
    ] {
        assert!(
            fake.last_position(&call) < first_step,
            "{call:?}: {:#?}",
            fake.calls()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_wait_strategy_past_its_own_timeout_fails_the_job_with_5() {
    let fake = Arc::new(FakeBackend::new());
    let mut j = job(vec![step("one", "true")]);
    with_waits(
        &mut j,
        vec![strategy(http_check(200), Some(Duration::from_secs(3)))],
    );
    fake.script_http("j-pg-1", vec![Some(503)]);
    // Its own 3 s, not the job's 2-minute readiness deadline.
    fails_with_5_within(&fake, &j, &JobOptions::default(), Duration::from_secs(10)).await;
}

#[tokio::test(start_paused = true)]
async fn a_log_wait_fails_at_once_when_the_container_exits_first() {
    let fake = Arc::new(FakeBackend::new());
    let mut j = job(vec![step("one", "true")]);
    with_waits(
        &mut j,
        vec![strategy(
            WaitCheck::Log {
                pattern: "ready".into(),
                times: 1,
            },
            None,
        )],
    );
    fake.script_logs("j-pg-1", &["FATAL: bad config"]);
    let pg_exits = {
        let fake = fake.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            fake.script_exit("j-pg-1", 1);
            let _ = fake.wait("j-pg-1").await;
        }
    };
    let started = tokio::time::Instant::now();
    let s = stack(&fake, &j);
    let (opts, mut shutdown) = (JobOptions::default(), quiet());
    let (code, ()) = tokio::join!(run_job(&s, &j, &opts, &mut shutdown), pg_exits);
    assert_eq!(code.unwrap(), 5);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
