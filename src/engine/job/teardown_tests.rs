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
    let all = ["j-cache-1", "j-db-1", "j-main-1"]
        .map(String::from)
        .to_vec();
    let mut calls = fake.calls_where(teardown);
    if let Some(Call::RemoveNow { names, .. }) = calls.first_mut() {
        names.sort();
    }
    assert_eq!(
        calls,
        [
            Call::RemoveNow {
                names: all.clone(),
                volumes: true
            },
            Call::PodRemove("j".into())
        ]
    );
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
    assert!(
        calls.iter().any(|c| matches!(c, Call::Remove { .. })),
        "{calls:?}"
    );
    assert!(!calls.iter().any(|c| matches!(c, Call::RemoveNow { .. })));
    assert!(fake.pod_names().is_empty() && fake.container_names().is_empty());
}
