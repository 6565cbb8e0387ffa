//! Health driven by sidepod: runs `podman healthcheck run` itself while something waits,
//! because without a systemd user session podman's own timers never fire.
//!
//! Until the first pass, probes run at a short interval that doubles up to
//! `start_interval` (100, 200, 400, 800 ms, then every `start_interval`), so a service
//! that is quick to start is seen healthy within about a tenth of a second of it. A failing probe counts towards `retries` only once per `interval`
//! and only after `start_period`, so a service is declared unhealthy no sooner than
//! Docker would declare it.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::{sleep, Instant};

use super::{EngineError, Shutdown};
use crate::backend::{Backend, ContainerInfo, ContainerState, HealthRun};
use crate::model::Healthcheck;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthOutcome {
    Healthy,
    /// `retries` counted failures in a row; the last probe's output.
    Unhealthy(String),
    /// The container stopped before it was healthy.
    Exited(i64),
    /// The deadline passed first.
    TimedOut,
}

/// Probes `container` until it is healthy, unhealthy, gone, past `deadline`, or a
/// shutdown is requested.
pub async fn wait_healthy(
    backend: &dyn Backend,
    container: &str,
    check: &Healthcheck,
    deadline: Option<Instant>,
    shutdown: &mut Shutdown,
) -> Result<HealthOutcome, EngineError> {
    let started = Instant::now();
    let mut gap = FIRST_GAP.min(check.start_interval);
    let mut next_counted = started + check.start_period.max(check.interval);
    let mut streak = 0;
    loop {
        let probe = tokio::select! {
            r = backend.healthcheck_run(container) => r?,
            _ = shutdown.requested() => return Err(interrupted(shutdown)),
        };
        match probe {
            HealthRun::Healthy => return Ok(HealthOutcome::Healthy),
            HealthRun::Unhealthy => {
                let now = Instant::now();
                if now >= next_counted {
                    streak += 1;
                    next_counted = now + check.interval;
                    if streak >= check.retries.max(1) {
                        return Ok(HealthOutcome::Unhealthy(
                            last_output(backend, container).await,
                        ));
                    }
                }
            }
            HealthRun::Error(_) => {
                // The check could not run: usually the container has stopped.
                let info = backend.inspect(&[container.to_string()]).await?;
                match info.first() {
                    Some(i) if i.state == ContainerState::Exited => {
                        return Ok(HealthOutcome::Exited(i.exit_code))
                    }
                    None => return Ok(HealthOutcome::Exited(-1)),
                    _ => {}
                }
            }
        }
        let pause = gap;
        gap = (gap * 2).min(check.start_interval);
        let wake = Instant::now() + pause;
        if deadline.is_some_and(|d| wake > d) {
            if let Some(d) = deadline {
                tokio::select! {
                    _ = tokio::time::sleep_until(d) => {},
                    _ = shutdown.requested() => return Err(interrupted(shutdown)),
                }
            }
            return Ok(HealthOutcome::TimedOut);
        }
        tokio::select! {
            _ = sleep(pause) => {},
            _ = shutdown.requested() => return Err(interrupted(shutdown)),
        }
    }
}

/// The pause after a service's first probe; each next one is twice as long, up to its
/// `start_interval`.
const FIRST_GAP: Duration = Duration::from_millis(100);

fn interrupted(shutdown: &Shutdown) -> EngineError {
    EngineError::Interrupted(shutdown.signal().unwrap_or(2))
}

/// The output of the container's last health probe, as podman recorded it.
/// Runs, once, the healthcheck of each of `names` that runs and has one: with no
/// systemd timers, nothing else runs them after `up -d`, and what `ps` shows would stay
/// `starting` forever. Returns the containers as they are then.
pub async fn refresh_health(
    backend: &Arc<dyn Backend>,
    names: &[String],
) -> Result<Vec<ContainerInfo>, EngineError> {
    let due: Vec<String> = backend
        .inspect(names)
        .await?
        .into_iter()
        .filter(|i| i.state == ContainerState::Running && i.healthcheck.is_some())
        .map(|i| i.name)
        .collect();
    let mut checks = JoinSet::new();
    for name in due {
        let backend = backend.clone();
        checks.spawn(async move { backend.healthcheck_run(&name).await });
    }
    while let Some(done) = checks.join_next().await {
        // A check that cannot run leaves the status as podman has it.
        if let Ok(Err(e)) = done {
            tracing::debug!("healthcheck: {e}");
        }
    }
    Ok(backend.inspect(names).await?)
}

pub async fn last_output(backend: &dyn Backend, container: &str) -> String {
    let Ok(info) = backend.inspect(&[container.to_string()]).await else {
        return String::new();
    };
    info.first()
        .and_then(|i| i.health.as_ref())
        .and_then(|h| h.log.last())
        .map(|l| {
            format!(
                "last health check (exit {}): {}",
                l.exit_code,
                l.output.trim()
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{ContainerSpec, FakeBackend};
    use crate::model::HealthTest;
    use std::time::Duration;

    fn check(interval: u64, retries: u32, start_period: u64) -> Healthcheck {
        Healthcheck {
            test: HealthTest::Cmd(vec!["true".into()]),
            interval: Duration::from_secs(interval),
            timeout: Duration::from_secs(1),
            retries,
            start_period: Duration::from_secs(start_period),
            start_interval: Duration::from_secs(1),
        }
    }

    async fn running(fake: &FakeBackend, name: &str) {
        let spec = ContainerSpec {
            name: name.into(),
            ..ContainerSpec::default()
        };
        fake.run(&spec).await.unwrap();
    }

    fn never() -> Shutdown {
        Shutdown::never()
    }

    #[tokio::test(start_paused = true)]
    async fn healthy_as_soon_as_a_probe_passes() {
        let fake = FakeBackend::new();
        running(&fake, "db").await;
        fake.script_health(
            "db",
            vec![
                HealthRun::Unhealthy,
                HealthRun::Unhealthy,
                HealthRun::Healthy,
            ],
        );
        let start = Instant::now();
        let outcome = wait_healthy(&fake, "db", &check(30, 3, 0), None, &mut never())
            .await
            .unwrap();
        assert_eq!(outcome, HealthOutcome::Healthy);
        // Probed at once, then 100 and 200 ms later: not every interval (30 s).
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        let probes = fake.calls_where(|c| matches!(c, crate::backend::Call::Healthcheck(_)));
        assert_eq!(probes.len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn probes_come_quickly_at_first_then_every_start_interval() {
        let fake = FakeBackend::new();
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let start = Instant::now();
        let deadline = Some(start + Duration::from_millis(4600));
        let outcome = wait_healthy(&fake, "db", &check(30, 3, 0), deadline, &mut never())
            .await
            .unwrap();
        assert_eq!(outcome, HealthOutcome::TimedOut);
        // 0, 0.1, 0.3, 0.7, 1.5, 2.5, 3.5, 4.5 s: in 4.6 s, 8 probes (a probe every
        // start_interval would make 5); from 1.5 s on, one a second.
        let probes = fake.calls_where(|c| matches!(c, crate::backend::Call::Healthcheck(_)));
        assert_eq!(probes.len(), 8);
        // A start_interval under the first gap is kept.
        let fake = FakeBackend::new();
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let fast = Healthcheck {
            start_interval: Duration::from_millis(50),
            ..check(30, 3, 0)
        };
        let deadline = Some(Instant::now() + Duration::from_millis(420));
        wait_healthy(&fake, "db", &fast, deadline, &mut never())
            .await
            .unwrap();
        let probes = fake.calls_where(|c| matches!(c, crate::backend::Call::Healthcheck(_)));
        assert_eq!(probes.len(), 9);
    }

    #[tokio::test(start_paused = true)]
    async fn unhealthy_after_retries_counted_per_interval() {
        let fake = FakeBackend::new();
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let start = Instant::now();
        let outcome = wait_healthy(&fake, "db", &check(2, 3, 0), None, &mut never())
            .await
            .unwrap();
        assert!(
            matches!(outcome, HealthOutcome::Unhealthy(ref o) if o.contains("unhealthy output"))
        );
        // Probes at 0, 0.1, 0.3, 0.7, 1.5 s, then every second: the first counted failure
        // is the first probe after 2 s (2.5 s), then at 4.5 s and 6.5 s.
        assert_eq!(start.elapsed(), Duration::from_millis(6500));
    }

    #[tokio::test(start_paused = true)]
    async fn start_period_failures_do_not_count() {
        let fake = FakeBackend::new();
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let start = Instant::now();
        wait_healthy(&fake, "db", &check(1, 2, 10), None, &mut never())
            .await
            .unwrap();
        // Probes at 1.5, 2.5, ... s: the first two after 10 s count.
        assert_eq!(start.elapsed(), Duration::from_millis(11500));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_passes_first() {
        let fake = FakeBackend::new();
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let start = Instant::now();
        let deadline = Some(start + Duration::from_secs(5));
        let outcome = wait_healthy(&fake, "db", &check(30, 3, 0), deadline, &mut never())
            .await
            .unwrap();
        assert_eq!(outcome, HealthOutcome::TimedOut);
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stopped_container_is_reported_with_its_exit_code() {
        let fake = FakeBackend::new();
        running(&fake, "db").await;
        fake.script_exit("db", 3);
        fake.wait("db").await.unwrap();
        let outcome = wait_healthy(&fake, "db", &check(1, 3, 0), None, &mut never())
            .await
            .unwrap();
        assert_eq!(outcome, HealthOutcome::Exited(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_signal_interrupts_the_wait() {
        let fake = FakeBackend::new();
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let (trigger, mut shutdown) = Shutdown::new();
        let waiter =
            async { wait_healthy(&fake, "db", &check(30, 3, 0), None, &mut shutdown).await };
        let fire = async {
            sleep(Duration::from_secs(3)).await;
            trigger.fire(15);
        };
        let (result, ()) = tokio::join!(waiter, fire);
        assert!(matches!(result, Err(EngineError::Interrupted(15))));
    }
}
