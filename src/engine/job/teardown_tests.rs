//! How a finished job is torn down, over the recording fake backend.

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
