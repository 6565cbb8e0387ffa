//! The watch loop over the fake backend, with real files and real inotify events: what
//! a change makes sidepod do, and a stop request that ends it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::backend::{Call, FakeBackend};
use crate::engine::{up, UpOptions};
use crate::model::{Build, Project, Service, WatchAction, WatchRule};
use crate::plan::Plan;
use crate::signal::Shutdown;

fn rule(path: &Path, action: WatchAction, target: Option<&str>) -> WatchRule {
    WatchRule::new(path.to_path_buf(), action, target)
}

fn stack(fake: &Arc<FakeBackend>, dir: &Path, watch: Vec<WatchRule>) -> Stack {
    let web = Service {
        name: "web".into(),
        replicas: 1,
        build: Some(Build {
            context: dir.to_path_buf(),
            ..Build::default()
        }),
        watch,
        ..Service::default()
    };
    let mut project = Project {
        name: "p".into(),
        ..Project::default()
    };
    project.services.insert("web".into(), web);
    let plan = Plan::new(&project).unwrap();
    Stack::for_tests(fake.clone(), project, plan)
}

/// Waits (a real few seconds at most) until the fake has seen a call that `wanted`.
async fn until(fake: &FakeBackend, wanted: impl Fn(&Call) -> bool) -> Vec<Call> {
    for _ in 0..100 {
        let found = fake.calls_where(&wanted);
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no such call in {:#?}", fake.calls());
}

/// Runs `watch` beside `act`, then asks it to stop; returns what it ended with.
async fn watching(stack: &Stack, act: impl std::future::Future<Output = ()>) -> EngineError {
    let (trigger, shutdown) = Shutdown::new();
    up(stack, &UpOptions::default(), &mut shutdown.clone())
        .await
        .unwrap();
    let replacing = Replacing::default();
    let opts = WatchOptions {
        services: vec![],
        prune: true,
    };
    let mut inner = shutdown.clone();
    let run = watch(stack, &opts, &replacing, &mut inner);
    let drive = async {
        // Let the watcher settle on its directories before anything changes.
        tokio::time::sleep(Duration::from_millis(300)).await;
        act.await;
        trigger.fire(crate::signal::SIGINT);
    };
    let (result, ()) = tokio::join!(run, drive);
    result.unwrap_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_file_is_copied_into_the_running_container() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("lib")).unwrap();
    let fake = Arc::new(FakeBackend::new());
    let stack = stack(
        &fake,
        dir.path(),
        vec![rule(&src, WatchAction::SyncRestart, Some("/app"))],
    );
    let ended = watching(&stack, async {
        std::fs::write(src.join("lib/a.js"), "one").unwrap();
        std::fs::write(src.join("b.js"), "two").unwrap();
        let copies = until(&fake, |c| matches!(c, Call::Copy { .. })).await;
        assert_eq!(
            copies,
            [Call::Copy {
                container: "p-web-1".into(),
                dest: "/app".into(),
                files: vec!["b.js".into(), "lib/a.js".into()],
            }],
            "one copy for the batch"
        );
        until(&fake, |c| matches!(c, Call::Restart(_))).await;
    })
    .await;
    assert!(matches!(ended, EngineError::Interrupted(2)), "{ended:?}");
    assert_eq!(
        fake.calls_where(|c| matches!(c, Call::Restart(_))),
        [Call::Restart(vec!["p-web-1".into()])]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_file_is_removed_in_the_container() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("old.txt"), "x").unwrap();
    let fake = Arc::new(FakeBackend::new());
    let stack = stack(
        &fake,
        dir.path(),
        vec![rule(&src, WatchAction::Sync, Some("/srv"))],
    );
    watching(&stack, async {
        std::fs::remove_file(src.join("old.txt")).unwrap();
        let rm = until(&fake, |c| matches!(c, Call::Exec { .. })).await;
        assert_eq!(
            rm,
            [Call::Exec {
                container: "p-web-1".into(),
                command: ["rm", "-rf", "--", "/srv/old.txt"]
                    .map(String::from)
                    .to_vec(),
            }]
        );
    })
    .await;
    assert!(fake
        .calls_where(|c| matches!(c, Call::Copy { .. }))
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_builds_recreates_and_prunes_the_replaced_image() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("package.json");
    std::fs::write(&manifest, "{}").unwrap();
    let fake = Arc::new(FakeBackend::new());
    fake.missing_image("localhost/p-web:latest");
    let stack = stack(
        &fake,
        dir.path(),
        vec![rule(&manifest, WatchAction::Rebuild, None)],
    );
    watching(&stack, async {
        std::fs::write(&manifest, "{\"v\": 2}").unwrap();
        until(&fake, |c| matches!(c, Call::ImageRemove(_))).await;
    })
    .await;
    let builds = fake.calls_where(|c| matches!(c, Call::Build(_)));
    assert_eq!(builds.len(), 2, "the first up, then the rebuild");
    let runs = fake.calls_where(|c| matches!(c, Call::Run(_)));
    assert_eq!(runs, [Call::run("p-web-1"), Call::run("p-web-1")]);
    assert_eq!(
        fake.calls_where(|c| matches!(c, Call::ImageRemove(_))),
        [Call::ImageRemove(vec!["localhost/p-web:latest@1".into()])],
        "the image of the first build"
    );
}

#[tokio::test]
async fn a_follower_waits_for_a_replacement_and_learns_what_it_was() {
    let r = Replacing::default();
    let mut seen = 0;
    assert_eq!(r.settled("c", &mut seen).await, Replaced::No);
    r.begin(&["c".into()]);
    let waiter = {
        let r = r.clone();
        tokio::spawn(async move {
            let mut seen = 0;
            let first = r.settled("c", &mut seen).await;
            (first, r.settled("c", &mut seen).await)
        })
    };
    tokio::task::yield_now().await;
    r.end(&["c".into()], true);
    let (first, then) = waiter.await.unwrap();
    assert_eq!(first, Replaced::Recreated);
    assert_eq!(then, Replaced::No, "a later exit of its own is an exit");
    r.begin(&["c".into()]);
    r.end(&["c".into()], false);
    assert_eq!(r.settled("c", &mut seen).await, Replaced::Restarted);
}
