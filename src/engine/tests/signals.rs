//! Stop requests at each phase of an attached `up`, over the fake: what teardown stops,
//! keeps and removes.

use super::*;

/// A stop request at `after`, while `work` runs.
async fn interrupt_after<T>(
    after: Duration,
    signals: u32,
    work: impl std::future::Future<Output = T>,
    shutdown_trigger: &ShutdownTrigger,
) -> T {
    let fire = async {
        for _ in 0..signals {
            tokio::time::sleep(after).await;
            shutdown_trigger.fire(crate::signal::SIGINT);
        }
    };
    let (result, ()) = tokio::join!(work, fire);
    result
}

/// Runs an attached `up` over `s` with `signals` stop requests, `after` apart; it must
/// end interrupted by SIGINT, after its teardown.
async fn interrupted_up(s: &Stack, after: Duration, signals: u32) {
    let (trigger, mut shutdown) = Shutdown::new();
    let (opts, attach) = (UpOptions::default(), AttachOptions::default());
    let up = up_attached(s, &opts, &attach, false, &mut shutdown);
    let result = interrupt_after(after, signals, up, &trigger).await;
    assert!(
        matches!(result, Err(EngineError::Interrupted(2))),
        "{result:?}"
    );
}

fn stops(fake: &FakeBackend) -> Vec<Call> {
    fake.calls_where(|c| matches!(c, Call::Stop(_) | Call::Kill { .. }))
}

#[tokio::test(start_paused = true)]
async fn ctrl_c_during_pod_creation_lets_the_pod_be_made_then_starts_nothing_and_removes_it() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_delay(|c| matches!(c, Call::PodCreate(_)), Duration::from_secs(5));
    let s = stack(&fake, vec![service("a")]);
    interrupted_up(&s, Duration::from_secs(1), 1).await;
    assert_eq!(runs_of(&fake, ""), 0, "a container started after Ctrl-C");
    // The pod was made whole, its creation not cut short; then the teardown found
    // nothing running, and removed the pod, which held nothing.
    let (made, remove) = (Call::PodCreate("p".into()), Call::PodRemove("p".into()));
    assert!(fake.position(&made) < fake.position(&remove));
    assert!(stops(&fake).is_empty(), "{:#?}", fake.calls());
    assert!(fake.pod_names().is_empty());
}

/// With `hangs` calls that never end, three Ctrl-C end `up` within seconds; returns
/// the fake, to look at what ran.
async fn a_third_ctrl_c_gives_up(hangs: fn(&Call) -> bool) -> Arc<FakeBackend> {
    let fake = Arc::new(FakeBackend::new());
    fake.script_delay(hangs, Duration::from_secs(600));
    let s = stack(&fake, vec![service("a")]);
    let began = tokio::time::Instant::now();
    interrupted_up(&s, Duration::from_secs(1), 3).await;
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "{:?}",
        began.elapsed()
    );
    fake
}

#[tokio::test(start_paused = true)]
async fn a_third_ctrl_c_gives_up_on_a_pod_creation_that_hangs() {
    let fake = a_third_ctrl_c_gives_up(|c| matches!(c, Call::PodCreate(_))).await;
    assert_eq!(runs_of(&fake, ""), 0);
}

#[tokio::test(start_paused = true)]
async fn a_third_ctrl_c_gives_up_on_a_first_container_run_that_hangs() {
    a_third_ctrl_c_gives_up(|c| matches!(c, Call::Run(_))).await;
}

#[tokio::test(start_paused = true)]
async fn ctrl_c_during_the_health_wait_stops_what_started() {
    let fake = Arc::new(FakeBackend::new());
    let s = web_waiting_on_a_db_that_never_gets_healthy(&fake);
    interrupted_up(&s, Duration::from_secs(3), 1).await;
    assert_eq!(runs_of(&fake, "p-web"), 0);
    assert_eq!(stops(&fake), [Call::stop(&["p-db-1"])]);
    assert_eq!(fake.state_of("p-db-1"), Some(ContainerState::Exited));
}

#[tokio::test(start_paused = true)]
async fn ctrl_c_while_attached_stops_every_container_dependents_first() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(
        &fake,
        vec![
            service("db"),
            depends(service("web"), "db", Condition::Started),
        ],
    );
    interrupted_up(&s, Duration::from_secs(5), 1).await;
    assert_eq!(
        stops(&fake),
        [Call::stop(&["p-web-1"]), Call::stop(&["p-db-1"])]
    );
    // Compose keeps stopped containers; so does sidepod. The pod is stopped too, so its
    // infra container keeps no port bound.
    assert_eq!(fake.container_names(), ["p-db-1", "p-web-1"]);
    assert!(fake.position(&Call::stop(&["p-db-1"])) < fake.position(&Call::PodStop("p".into())));
    assert_eq!(fake.pod_names(), ["p"]);
}

#[tokio::test(start_paused = true)]
async fn ctrl_c_while_the_first_container_starts_the_pod_lets_it_run_then_stops_it() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_delay(|c| matches!(c, Call::Run(_)), Duration::from_secs(30));
    let s = stack(&fake, vec![service("a"), service("b")]);
    let began = tokio::time::Instant::now();
    interrupted_up(&s, Duration::from_secs(1), 1).await;
    // a's run starts the pod: it is not cut short, and b, which waited for it, never
    // runs. Then the teardown stops a, and the pod, as Compose keeps what it made.
    assert!(began.elapsed() >= Duration::from_secs(30));
    assert_eq!(runs_of(&fake, ""), 1, "{:#?}", fake.calls());
    assert_eq!(fake.container_names(), ["p-a-1"]);
    assert_eq!(stops(&fake), [Call::stop(&["p-a-1"])]);
    assert!(fake.position(&Call::stop(&["p-a-1"])) < fake.position(&Call::PodStop("p".into())));
}

#[tokio::test(start_paused = true)]
async fn a_third_ctrl_c_gives_up_on_a_teardown_that_hangs() {
    let fake = Arc::new(FakeBackend::new());
    fake.script_delay(
        |c| matches!(c, Call::Stop(_) | Call::Kill { .. }),
        Duration::from_secs(3600),
    );
    let s = stack(&fake, vec![service("a")]);
    let started = Instant::now();
    interrupted_up(&s, Duration::from_secs(2), 3).await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "teardown was not given up: {:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn detached_up_returns_and_leaves_the_stack_running() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(&fake, vec![service("a")]);
    let attach = AttachOptions::default();
    let code = up_attached(&s, &UpOptions::default(), &attach, true, &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 0);
    assert!(stops(&fake).is_empty());
    assert_eq!(fake.state_of("p-a-1"), Some(ContainerState::Running));
}
