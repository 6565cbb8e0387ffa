//! How a finished job ends, over the recording fake backend: removed, or kept with its
//! health recorded, and its workspace given back.

use std::sync::Arc;

use super::tests::{job, quiet, stack, step};
use super::{run_job, JobOptions};
use crate::backend::{Call, FakeBackend};

#[tokio::test(start_paused = true)]
async fn a_finished_job_is_removed_at_once_unless_it_asks_for_graceful_stops() {
    let teardown = |c: &Call| {
        matches!(
            c,
            Call::Stop(_) | Call::Remove { .. } | Call::RemoveNow { .. } | Call::PodRemove(_)
        )
    };
    let j = job(vec![step("one", "echo 1")]);
    let fake = Arc::new(FakeBackend::new());
    run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    // One pod removal by force takes the containers (and their anonymous volumes).
    assert_eq!(fake.calls_where(teardown), [Call::PodRemove("j".into())]);
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
    let fake = Arc::new(FakeBackend::new());
    let graceful = JobOptions {
        graceful_stop: true,
        ..JobOptions::default()
    };
    run_job(&stack(&fake, &j), &j, &graceful, &mut quiet())
        .await
        .unwrap();
    let calls = fake.calls_where(teardown);
    assert!(matches!(calls[0], Call::Stop(_)), "{calls:?}");
    assert_eq!(
        calls.last(),
        Some(&Call::PodRemove("j".into())),
        "{calls:?}"
    );
    assert!(!calls.iter().any(|c| matches!(c, Call::RemoveNow { .. })));
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}

/// The calls after the last run of `step` in the main container, but the workspace's
/// reclaim and health probes that go on beside the teardown.
fn teardown_calls(fake: &FakeBackend, step: &str) -> Vec<Call> {
    let calls = fake.calls();
    let at = calls
        .iter()
        .rposition(|c| {
            matches!(c, Call::Exec { container, command }
                if container == "j-main-1" && command.last().is_some_and(|s| s == step))
        })
        .map_or(0, |i| i + 1);
    calls[at..]
        .iter()
        .filter(|c| !matches!(c, Call::Reclaim(_) | Call::Healthcheck(_)))
        .cloned()
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_finished_jobs_pod_goes_first_and_alone_when_its_stack_came_up_whole() {
    let j = job(vec![step("one", "echo 1")]);
    let fake = Arc::new(FakeBackend::new());
    run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    // Every container was run in the pod, so its removal takes them all: no listing
    // before it, none after it.
    let after = teardown_calls(&fake, "echo 1");
    assert_eq!(after, [Call::PodRemove("j".into())]);
}

#[tokio::test(start_paused = true)]
async fn a_job_whose_stack_failed_to_come_up_looks_for_what_is_left_after_its_pod() {
    let j = job(vec![step("one", "echo 1")]);
    let fake = Arc::new(FakeBackend::new());
    // A podman run that fails can have left its container in podman's storage only.
    fake.fail(
        |c| *c == Call::run("j-main-1"),
        "Error: container state improper",
    );
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_ne!(code, 0);
    let after = teardown_calls(&fake, "echo 1");
    let pod_gone = after.iter().position(|c| *c == Call::PodRemove("j".into()));
    let listed = after.iter().rposition(|c| *c == Call::Ps);
    assert!(pod_gone.is_some() && pod_gone < listed, "{after:?}");
}

#[tokio::test(start_paused = true)]
async fn a_dead_runs_pod_of_the_same_name_is_reaped_and_the_name_claimed_again() {
    use crate::backend::Backend;
    use crate::plan::{pod_spec, LABEL_OWNER};
    let j = job(vec![step("one", "echo 1")]);
    let fake = Arc::new(FakeBackend::new());
    // A run killed with SIGKILL: its pid is gone on this host.
    let dead = super::owner(false).replacen(&std::process::id().to_string(), "999999999", 1);
    let s = stack(&fake, &j);
    let stale = pod_spec(&s.plan, &[(LABEL_OWNER.to_string(), dead)].into());
    fake.pod_create(&stale).await.unwrap();
    // Its removal takes a while, so the new run's claim comes first and is refused.
    fake.script_delay(
        |c| *c == Call::PodRemove("j".into()),
        std::time::Duration::from_secs(1),
    );
    let code = run_job(&s, &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 0, "{:#?}", fake.calls());
    // Refused while the dead run held the name, then claimed once it was reaped.
    let creates = fake.calls_where(|c| *c == Call::PodCreate("j".into()));
    assert_eq!(creates.len(), 3, "{:#?}", fake.calls());
    // The listing beside the refused claim saw the dead run's containers: the project's
    // are listed again once the name is claimed, before any container runs.
    let calls = fake.calls();
    let claimed = fake.last_position(&Call::PodCreate("j".into()));
    let first_run = fake
        .position(&Call::run("j-db-1"))
        .min(fake.position(&Call::run("j-cache-1")));
    assert!(calls[claimed..first_run].contains(&Call::Ps), "{calls:#?}");
    assert!(fake.calls().contains(&Call::sh("j-main-1", "echo 1")));
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_workspace_is_given_back_after_the_steps_while_the_stack_goes() {
    let fake = Arc::new(FakeBackend::new());
    let j = job(vec![step("one", "make")]);
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 0);
    let reclaim = fake.position(&Call::Reclaim("/src/shop".into()));
    let step = fake.last_position(&Call::Exec {
        container: "j-main-1".into(),
        command: vec!["sh".into(), "-c".into(), "make".into()],
    });
    assert!(step < reclaim, "{:#?}", fake.calls());
    assert_eq!(
        fake.calls_where(|c| matches!(c, Call::Reclaim(_))).len(),
        1,
        "{:#?}",
        fake.calls()
    );
}

#[tokio::test(start_paused = true)]
async fn with_keep_podman_records_the_sidecars_health_beside_the_steps() {
    let fake = Arc::new(FakeBackend::new());
    let j = job(vec![step("one", "echo 1")]);
    let c = j.project.services["db"].healthcheck.clone().unwrap();
    // Seen healthy by the loop inside the container: podman has not recorded it.
    fake.script_command(
        &crate::engine::health::probe_loop(&c).join(" "),
        0,
        &["sidepod-probe: passed"],
    );
    let keep = JobOptions {
        keep: true,
        ..JobOptions::default()
    };
    let code = run_job(&stack(&fake, &j), &j, &keep, &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 0);
    let probe = Call::Healthcheck("j-db-1".into());
    assert_eq!(
        fake.calls_where(|c| *c == probe).len(),
        1,
        "{:#?}",
        fake.calls()
    );
    assert!(fake.position(&Call::run("j-main-1")) < fake.position(&probe));
}

#[tokio::test(start_paused = true)]
async fn a_jobs_containers_are_listed_once_beside_the_claim_of_its_pod() {
    let j = job(vec![step("one", "echo 1")]);
    let fake = Arc::new(FakeBackend::new());
    fake.script_delay(
        |c| *c == Call::PodCreate("j".into()),
        std::time::Duration::from_secs(1),
    );
    let code = run_job(&stack(&fake, &j), &j, &JobOptions::default(), &mut quiet())
        .await
        .unwrap();
    assert_eq!(code, 0);
    // A fake call is recorded as it ends: the listing ended while the pod was made, and
    // the name was free, so `up` took it as its own and listed nothing more.
    let calls = fake.calls();
    let listings: Vec<usize> = (calls.iter().enumerate())
        .filter(|(_, c)| **c == Call::Ps)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(listings.len(), 1, "{calls:#?}");
    assert!(
        listings[0] < fake.position(&Call::PodCreate("j".into())),
        "{calls:#?}"
    );
}
