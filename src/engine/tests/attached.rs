//! Attached `up` over the fake: one events stream and one log follower for every
//! container, the run's end and exit code, and what happens when podman's streams fail.

use super::*;
use crate::engine::follow::{settle, Seen, Settled};
use crate::engine::watch::Replacing;

#[tokio::test(start_paused = true)]
async fn attached_up_ends_when_every_container_has_exited() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(&fake, vec![service("a"), service("b")]);
    let events = Events::start(&s);
    let started = up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    fake.script_logs("p-a-1", &["hello"]);
    fake.script_exit("p-a-1", 0);
    fake.script_exit("p-b-1", 0);
    let code = tokio::time::timeout(
        Duration::from_secs(60),
        attach(
            &s,
            &started,
            &AttachOptions::default(),
            events,
            &mut quiet(),
        ),
    )
    .await
    .expect("attach returns once all containers have exited")
    .unwrap();
    assert_eq!(code, 0);
    // One events stream and one log follower for both; each exit's last lines are
    // read once more, so that they come before the exit.
    assert_eq!(fake.calls_where(|c| *c == Call::Events).len(), 1);
    assert_eq!(
        fake.calls_where(|c| matches!(c, Call::LogsMany(_))),
        [Call::LogsMany(vec!["p-a-1".into(), "p-b-1".into()])]
    );
    assert_eq!(
        fake.calls_where(|c| matches!(c, Call::Logs(_))),
        [Call::Logs("p-a-1".into()), Call::Logs("p-b-1".into())]
    );
    assert!(fake.calls_where(|c| matches!(c, Call::Wait(_))).is_empty());
}

#[tokio::test(start_paused = true)]
async fn exit_code_from_stops_the_others_when_its_service_exits_and_returns_its_code() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(&fake, vec![service("worker"), service("web")]);
    fake.script_exit("p-worker-1", 3);
    let attach_opts = AttachOptions {
        exit_code_from: Some("worker".into()),
        ..AttachOptions::default()
    };
    let (mut shutdown, up_opts) = (quiet(), UpOptions::default());
    let up = up_attached(&s, &up_opts, &attach_opts, false, &mut shutdown);
    let code = tokio::time::timeout(Duration::from_secs(60), up)
        .await
        .expect("the run ends when worker exits")
        .unwrap();
    assert_eq!(code, 3);
    // web never exits by itself: the abort stopped it.
    assert_eq!(fake.state_of("p-web-1"), Some(ContainerState::Exited));
    assert!(fake.position(&Call::Events) < fake.position(&Call::run("p-worker-1")));
    assert_eq!(
        fake.calls_where(|c| matches!(c, Call::LogsMany(_))),
        [Call::LogsMany(vec!["p-web-1".into(), "p-worker-1".into()])]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_events_stream_is_followed_again_three_times_then_the_run_fails() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(&fake, vec![service("a")]);
    fake.fail(
        |c| *c == Call::Events,
        "Error: reading the events file: EOF",
    );
    let (mut shutdown, up_opts) = (quiet(), UpOptions::default());
    let attach_opts = AttachOptions::default();
    let up = up_attached(&s, &up_opts, &attach_opts, false, &mut shutdown);
    let result = tokio::time::timeout(Duration::from_secs(60), up)
        .await
        .expect("the run ends when podman events keeps failing");
    let err = result.expect_err("a run that cannot see its containers exit fails");
    assert!(err.to_string().contains("reading the events file"), "{err}");
    // The first stream and three more; after each, a look at what it missed.
    assert_eq!(fake.calls_where(|c| *c == Call::Events).len(), 4);
    assert!(fake.calls_where(|c| matches!(c, Call::Inspect(_))).len() >= 4);
    // The run's end stopped the container, and kept it, as an interrupted run does.
    assert_eq!(fake.state_of("p-a-1"), Some(ContainerState::Exited));
}

#[tokio::test(start_paused = true)]
async fn logs_that_cannot_be_followed_are_tried_three_times_and_exits_still_end_the_run() {
    let fake = Arc::new(FakeBackend::new());
    let s = stack(&fake, vec![service("a"), service("b")]);
    fake.fail(
        |c| matches!(c, Call::LogsMany(_)),
        "Error: the log file is gone",
    );
    let events = Events::start(&s);
    let started = up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    let exits = async {
        // Long after the follows were given up, both exit.
        tokio::time::sleep(Duration::from_secs(10)).await;
        fake.script_exit("p-a-1", 0);
        fake.script_exit("p-b-1", 0);
    };
    let (opts, mut shutdown) = (AttachOptions::default(), quiet());
    let attached = attach(&s, &started, &opts, events, &mut shutdown);
    let (code, ()) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(60), attached),
        exits
    );
    assert_eq!(code.expect("the exits end the run").unwrap(), 0);
    // Three follows, half a second apart, then none: no spinning on a broken log.
    assert_eq!(
        fake.calls_where(|c| matches!(c, Call::LogsMany(_))).len(),
        3
    );
}

/// `app` brought up with `restart`, replaced by the watcher, and that replacement
/// followed: what a follower knows when podman's report of the old one's death comes late.
async fn replaced_and_followed(
    fake: &Arc<FakeBackend>,
    restart: RestartPolicy,
) -> (Stack, StartedContainer, Replacing, Seen) {
    let mut app = service("app");
    app.restart = restart;
    let s = stack(fake, vec![app]);
    let started = up(&s, &UpOptions::default(), &mut quiet()).await.unwrap();
    let app = started[0].clone();
    let replacing = Replacing::default();
    replacing.begin(std::slice::from_ref(&app.name));
    replacing.end(std::slice::from_ref(&app.name), true);
    let mut seen = Seen::default();
    let first = settle(&s, &app, Some(137), Some(&replacing), &mut seen).await;
    assert_eq!(first.unwrap(), Settled::Recreated);
    (s, app, replacing, seen)
}

#[tokio::test(start_paused = true)]
async fn a_late_death_report_of_a_replaced_container_does_not_end_its_successor() {
    let fake = Arc::new(FakeBackend::new());
    let (s, app, replacing, mut seen) = replaced_and_followed(&fake, RestartPolicy::No).await;
    let app = &app;
    // Then podman's report of the old container's death comes: its successor runs on.
    let late = settle(&s, app, Some(137), Some(&replacing), &mut seen).await;
    assert_eq!(late.unwrap(), Settled::Running);
    // When the one that has the name now exits, that is its end, with its own code.
    fake.script_exit(&app.name, 3);
    let died = Events::start(&s).next().await.unwrap();
    assert_eq!((died.action.as_str(), died.exit_code), ("died", Some(3)));
    let real = settle(&s, app, died.exit_code, Some(&replacing), &mut seen).await;
    assert_eq!(real.unwrap(), Settled::Over(3));
    // Without a watcher, nothing replaces containers: the report is taken as it is.
    let unwatched = settle(&s, app, Some(5), None, &mut seen).await;
    assert_eq!(unwatched.unwrap(), Settled::Over(5));
}

#[tokio::test(start_paused = true)]
async fn a_late_death_report_under_a_restart_policy_is_settled_at_the_first_look() {
    let fake = Arc::new(FakeBackend::new());
    let (s, app, replacing, mut seen) = replaced_and_followed(&fake, RestartPolicy::Always).await;
    // The successor runs, not restarted by its policy: one look settles it.
    let looks = || fake.calls_where(|c| matches!(c, Call::Inspect(_))).len();
    let before = looks();
    let late = settle(&s, &app, Some(137), Some(&replacing), &mut seen);
    let late = tokio::time::timeout(Duration::from_secs(10), late)
        .await
        .expect("still looking at a container that runs");
    assert_eq!(late.unwrap(), Settled::Running);
    assert_eq!(looks(), before + 1);
}
