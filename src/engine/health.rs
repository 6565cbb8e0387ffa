//! Health driven by sidepod: runs `podman healthcheck run` itself while something waits,
//! because without a systemd user session podman's own timers never fire.
//!
//! Until the first pass, the check runs inside the container, every 400 ms (or every
//! `start_interval`, when shorter), from one `podman exec` of a small shell loop that
//! prints a line for each probe: no podman child per probe, so a service is seen healthy
//! within about a fifth of a second of it, for far less work than one `podman
//! healthcheck run` a second. Once it passes, one `podman healthcheck run` records the
//! state in podman, beside the services that start next. A container without a shell
//! (or whose check hangs) is probed with `podman healthcheck run` instead, at a short
//! interval that doubles up to `start_interval` (100, 200, 400, 800 ms, then every
//! `start_interval`). Either way, a failing probe counts towards `retries` only once per
//! `interval` and only after `start_period`, so a service is declared unhealthy no sooner
//! than Docker would declare it, and that verdict is podman's own probe's.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{sleep, Instant};

use super::{EngineError, Shutdown};
use crate::backend::{Backend, ContainerInfo, ContainerState, ExecSpec, HealthRun};
use crate::model::{HealthTest, Healthcheck};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthOutcome {
    /// Healthy by podman's own probe, which recorded it.
    Healthy,
    /// Seen healthy by the check loop inside the container: podman has not recorded it
    /// yet (`record_health` does).
    HealthyInside,
    /// `retries` counted failures in a row; the last probe's output.
    Unhealthy(String),
    /// The container stopped before it was healthy.
    Exited(i64),
    /// The deadline passed first.
    TimedOut,
}

/// Counts failed probes as Docker does: once per `interval`, after `start_period`.
struct Failures {
    interval: Duration,
    retries: u32,
    next_counted: Instant,
    streak: u32,
}

impl Failures {
    fn new(check: &Healthcheck, started: Instant) -> Self {
        Failures {
            interval: check.interval,
            retries: check.retries.max(1),
            next_counted: started + check.start_period.max(check.interval),
            streak: 0,
        }
    }

    /// A probe failed now; true when that makes `retries` counted failures in a row.
    fn failed(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.next_counted {
            self.streak += 1;
            self.next_counted = now + self.interval;
        }
        self.streak >= self.retries
    }
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
    let mut failures = Failures::new(check, Instant::now());
    let probed = Probed {
        backend,
        container,
        check,
        deadline,
    };
    if !backend.prints_only() {
        if let Some(outcome) = watch_inside(probed, shutdown, &mut failures).await? {
            return Ok(outcome);
        }
    }
    probe_with_podman(probed, shutdown, &mut failures).await
}

/// The container a wait probes, with its check, and until when.
#[derive(Clone, Copy)]
struct Probed<'a> {
    backend: &'a dyn Backend,
    container: &'a str,
    check: &'a Healthcheck,
    deadline: Option<Instant>,
}

/// podman's own record of passes that the in-container loop saw, so that `podman ps` and
/// `inspect` say healthy too. It runs once dependents have been told, beside what starts
/// next; a probe that fails now changes nothing of what was decided.
pub async fn record_health(backend: &dyn Backend, containers: &[String]) {
    for container in containers {
        if let Err(e) = backend.healthcheck_run(container).await {
            tracing::debug!("recording {container}'s health: {e}");
        }
    }
}

/// How often the check runs inside the container until it first passes.
const LOOP_GAP: Duration = Duration::from_millis(400);
/// How long one in-container loop probes before the next `podman exec` takes over: a
/// loop whose reader has gone (a deadline, a stop) ends by itself within this.
const LOOP_SPAN: Duration = Duration::from_secs(30);
const PASSED: &str = "sidepod-probe: passed";
const FAILED: &str = "sidepod-probe: failed";

/// The command of one in-container loop: a shell runs the check (its argv given as the
/// script's arguments, so nothing is quoted) every gap, says after each run whether it
/// passed, and stops at the first pass or after `LOOP_SPAN`. A `sleep` that cannot
/// sleep a fraction of a second sleeps one.
pub fn probe_loop(check: &Healthcheck) -> Vec<String> {
    let gap = LOOP_GAP
        .min(check.start_interval)
        .max(Duration::from_millis(10));
    let runs = (LOOP_SPAN.as_millis() / gap.as_millis()).max(1);
    let script = format!(
        "i=0; while [ $i -lt {runs} ]; do \
         if \"$@\" >/dev/null 2>&1 </dev/null; then echo '{PASSED}'; exit 0; fi; \
         echo '{FAILED}'; i=$((i+1)); sleep {:.3} 2>/dev/null || sleep 1; done",
        gap.as_secs_f64()
    );
    let mut argv: Vec<String> = ["sh", "-c", &script, "sidepod-probe"]
        .into_iter()
        .map(String::from)
        .collect();
    match &check.test {
        HealthTest::Cmd(args) => argv.extend(args.iter().cloned()),
        HealthTest::Shell(line) => argv.extend(["/bin/sh".into(), "-c".into(), line.clone()]),
    }
    argv
}

/// Runs the check inside the container until its first pass; `None` when that cannot be
/// done (no shell there, or a check that hangs), and podman's probes take over.
async fn watch_inside(
    probed: Probed<'_>,
    shutdown: &mut Shutdown,
    failures: &mut Failures,
) -> Result<Option<HealthOutcome>, EngineError> {
    let Probed {
        backend,
        container,
        check,
        deadline,
    } = probed;
    // A probe's line comes within a gap and the check's own timeout, or it hangs.
    let silence = LOOP_GAP + check.timeout + Duration::from_secs(1);
    let spec = ExecSpec {
        container: container.to_string(),
        command: probe_loop(check),
        ..ExecSpec::default()
    };
    loop {
        let began = Instant::now();
        let (tx, mut rx) = mpsc::channel(16);
        let exec = backend.exec_stream(&spec, tx);
        tokio::pin!(exec);
        let mut probes = 0;
        let mut quiet_until = began + silence;
        let ended = loop {
            tokio::select! {
                biased;
                Some(line) = rx.recv() => {
                    quiet_until = Instant::now() + silence;
                    match heard(&line.text, &mut probes, failures) {
                        Heard::Passed => return Ok(Some(HealthOutcome::HealthyInside)),
                        Heard::Failing => return confirm_unhealthy(backend, container).await.map(Some),
                        Heard::Nothing => {}
                    }
                }
                r = &mut exec => break r,
                _ = tokio::time::sleep_until(quiet_until) => return Ok(None),
                _ = sleep_until_opt(deadline) => {
                    return Ok(Some(last_chance(backend, container).await));
                }
                _ = shutdown.requested() => return Err(interrupted(shutdown)),
            }
        };
        while let Ok(line) = rx.try_recv() {
            match heard(&line.text, &mut probes, failures) {
                Heard::Passed => return Ok(Some(HealthOutcome::HealthyInside)),
                Heard::Failing => return confirm_unhealthy(backend, container).await.map(Some),
                Heard::Nothing => {}
            }
        }
        if let Some(code) = exited(backend, container).await? {
            return Ok(Some(HealthOutcome::Exited(code)));
        }
        // No probe at all (no shell, an exec podman refused), or a loop that ended far
        // sooner than it should have (a sleep that does not sleep): podman probes.
        if ended.is_err() || probes == 0 || began.elapsed() < LOOP_SPAN / 2 {
            tracing::debug!("in-container probes of {container} ended: {ended:?}");
            return Ok(None);
        }
    }
}

/// What one line of the in-container loop says.
enum Heard {
    Passed,
    /// A failure that makes `retries` counted ones.
    Failing,
    Nothing,
}

fn heard(line: &str, probes: &mut u32, failures: &mut Failures) -> Heard {
    match line.trim() {
        PASSED => Heard::Passed,
        FAILED => {
            *probes += 1;
            if failures.failed() {
                Heard::Failing
            } else {
                Heard::Nothing
            }
        }
        _ => Heard::Nothing,
    }
}

/// The deadline passed while the loop probed: one probe of podman's own, so that the
/// error can show the check's output (and a pass at the last moment still counts).
async fn last_chance(backend: &dyn Backend, container: &str) -> HealthOutcome {
    match backend.healthcheck_run(container).await {
        Ok(HealthRun::Healthy) => HealthOutcome::Healthy,
        _ => HealthOutcome::TimedOut,
    }
}

/// `retries` failures counted inside the container: podman's own probe gives the
/// verdict, and the output it records.
async fn confirm_unhealthy(
    backend: &dyn Backend,
    container: &str,
) -> Result<HealthOutcome, EngineError> {
    match backend.healthcheck_run(container).await? {
        HealthRun::Healthy => Ok(HealthOutcome::Healthy),
        HealthRun::Unhealthy => Ok(HealthOutcome::Unhealthy(
            last_output(backend, container).await,
        )),
        HealthRun::Error(_) => Ok(match exited(backend, container).await? {
            Some(code) => HealthOutcome::Exited(code),
            None => HealthOutcome::Unhealthy(last_output(backend, container).await),
        }),
    }
}

/// The exit code of a container that has stopped (-1 when it is gone); `None` while it
/// runs.
async fn exited(backend: &dyn Backend, container: &str) -> Result<Option<i64>, EngineError> {
    let info = backend.inspect(&[container.to_string()]).await?;
    Ok(match info.first() {
        Some(i) if i.state == ContainerState::Exited => Some(i.exit_code),
        None => Some(-1),
        _ => None,
    })
}

/// Probes with `podman healthcheck run`, at a short interval that doubles up to
/// `start_interval`.
async fn probe_with_podman(
    probed: Probed<'_>,
    shutdown: &mut Shutdown,
    failures: &mut Failures,
) -> Result<HealthOutcome, EngineError> {
    let mut gap = FIRST_GAP.min(probed.check.start_interval);
    loop {
        let probe = tokio::select! {
            r = probed.backend.healthcheck_run(probed.container) => r?,
            _ = shutdown.requested() => return Err(interrupted(shutdown)),
        };
        match probe {
            HealthRun::Healthy => return Ok(HealthOutcome::Healthy),
            HealthRun::Unhealthy => {
                if failures.failed() {
                    return Ok(HealthOutcome::Unhealthy(
                        last_output(probed.backend, probed.container).await,
                    ));
                }
            }
            HealthRun::Error(_) => {
                // The check could not run: usually the container has stopped.
                if let Some(code) = exited(probed.backend, probed.container).await? {
                    return Ok(HealthOutcome::Exited(code));
                }
            }
        }
        let pause = gap;
        gap = (gap * 2).min(probed.check.start_interval);
        let wake = Instant::now() + pause;
        if probed.deadline.is_some_and(|d| wake > d) {
            if let Some(d) = probed.deadline {
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

/// Sleeps until `deadline`; without one, forever.
pub(super) async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

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
        let fake = Arc::new(FakeBackend::new());
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
        let outcome = wait_healthy(&*fake, "db", &check(30, 3, 0), None, &mut never())
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
        let fake = Arc::new(FakeBackend::new());
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let start = Instant::now();
        let deadline = Some(start + Duration::from_millis(4600));
        let outcome = wait_healthy(&*fake, "db", &check(30, 3, 0), deadline, &mut never())
            .await
            .unwrap();
        assert_eq!(outcome, HealthOutcome::TimedOut);
        // 0, 0.1, 0.3, 0.7, 1.5, 2.5, 3.5, 4.5 s: in 4.6 s, 8 probes (a probe every
        // start_interval would make 5); from 1.5 s on, one a second.
        let probes = fake.calls_where(|c| matches!(c, crate::backend::Call::Healthcheck(_)));
        assert_eq!(probes.len(), 8);
        // A start_interval under the first gap is kept.
        let fake = Arc::new(FakeBackend::new());
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let fast = Healthcheck {
            start_interval: Duration::from_millis(50),
            ..check(30, 3, 0)
        };
        let deadline = Some(Instant::now() + Duration::from_millis(420));
        wait_healthy(&*fake, "db", &fast, deadline, &mut never())
            .await
            .unwrap();
        let probes = fake.calls_where(|c| matches!(c, crate::backend::Call::Healthcheck(_)));
        assert_eq!(probes.len(), 9);
    }

    #[tokio::test(start_paused = true)]
    async fn unhealthy_after_retries_counted_per_interval() {
        let fake = Arc::new(FakeBackend::new());
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let start = Instant::now();
        let outcome = wait_healthy(&*fake, "db", &check(2, 3, 0), None, &mut never())
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
        let fake = Arc::new(FakeBackend::new());
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let start = Instant::now();
        wait_healthy(&*fake, "db", &check(1, 2, 10), None, &mut never())
            .await
            .unwrap();
        // Probes at 1.5, 2.5, ... s: the first two after 10 s count.
        assert_eq!(start.elapsed(), Duration::from_millis(11500));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_passes_first() {
        let fake = Arc::new(FakeBackend::new());
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let start = Instant::now();
        let deadline = Some(start + Duration::from_secs(5));
        let outcome = wait_healthy(&*fake, "db", &check(30, 3, 0), deadline, &mut never())
            .await
            .unwrap();
        assert_eq!(outcome, HealthOutcome::TimedOut);
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stopped_container_is_reported_with_its_exit_code() {
        let fake = Arc::new(FakeBackend::new());
        running(&fake, "db").await;
        fake.script_exit("db", 3);
        fake.wait("db").await.unwrap();
        let outcome = wait_healthy(&*fake, "db", &check(1, 3, 0), None, &mut never())
            .await
            .unwrap();
        assert_eq!(outcome, HealthOutcome::Exited(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_signal_interrupts_the_wait() {
        let fake = Arc::new(FakeBackend::new());
        running(&fake, "db").await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let (trigger, mut shutdown) = Shutdown::new();
        let waiter =
            async { wait_healthy(&*fake, "db", &check(30, 3, 0), None, &mut shutdown).await };
        let fire = async {
            sleep(Duration::from_secs(3)).await;
            trigger.fire(15);
        };
        let (result, ()) = tokio::join!(waiter, fire);
        assert!(matches!(result, Err(EngineError::Interrupted(15))));
    }

    /// Scripts what the in-container loop of `check` prints in `container`'s fake.
    fn script_loop(fake: &FakeBackend, check: &Healthcheck, code: i64, lines: &[&str]) {
        fake.script_command(&probe_loop(check).join(" "), code, lines);
    }

    /// A running `db` whose in-container loop of `c` prints `lines` and ends with `code`.
    async fn db_with_loop(c: &Healthcheck, code: i64, lines: &[&str]) -> Arc<FakeBackend> {
        let fake = Arc::new(FakeBackend::new());
        running(&fake, "db").await;
        script_loop(&fake, c, code, lines);
        fake
    }

    async fn wait_db(fake: &FakeBackend, c: &Healthcheck) -> HealthOutcome {
        wait_healthy(fake, "db", c, None, &mut never())
            .await
            .unwrap()
    }

    fn probes(fake: &FakeBackend) -> usize {
        fake.calls_where(|c| matches!(c, crate::backend::Call::Healthcheck(_)))
            .len()
    }

    #[tokio::test(start_paused = true)]
    async fn inside_the_container_the_first_pass_is_seen_without_a_podman_probe() {
        let c = check(30, 3, 0);
        let fake = db_with_loop(&c, 0, &[FAILED, FAILED, PASSED]).await;
        fake.script_health("db", vec![HealthRun::Healthy]);
        let outcome = wait_db(&fake, &c).await;
        assert_eq!(outcome, HealthOutcome::HealthyInside);
        let loops = fake.calls_where(|call| matches!(call, crate::backend::Call::Exec { .. }));
        assert_eq!(loops.len(), 1, "one podman exec for every probe");
        assert_eq!(probes(&fake), 0);
        // podman's record of it is one probe, asked for afterwards.
        record_health(&*fake, &["db".to_string()]).await;
        assert_eq!(probes(&fake), 1);
    }

    #[test]
    fn the_loop_runs_the_check_as_its_arguments_every_400_ms_at_most() {
        let mut c = check(30, 3, 0);
        c.test = HealthTest::Shell("pg_isready -U 'my user'".into());
        let argv = probe_loop(&c);
        assert_eq!(argv[..2], ["sh", "-c"]);
        assert!(argv[2].contains("sleep 0.400"), "{}", argv[2]);
        assert!(argv[2].contains("-lt 75"), "30 s of probes: {}", argv[2]);
        // Passed as arguments, never pasted into the script: nothing to quote.
        assert_eq!(
            argv[3..],
            ["sidepod-probe", "/bin/sh", "-c", "pg_isready -U 'my user'"]
        );
        c.test = HealthTest::Cmd(vec!["redis-cli".into(), "ping".into()]);
        c.start_interval = Duration::from_millis(100);
        let argv = probe_loop(&c);
        assert!(argv[2].contains("sleep 0.100"), "{}", argv[2]);
        assert_eq!(argv[3..], ["sidepod-probe", "redis-cli", "ping"]);
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_shell_in_the_container_podman_probes_instead() {
        let c = check(30, 3, 0);
        let fake = db_with_loop(&c, 127, &[]).await;
        fake.script_health("db", vec![HealthRun::Unhealthy, HealthRun::Healthy]);
        let start = Instant::now();
        let outcome = wait_db(&fake, &c).await;
        assert_eq!(outcome, HealthOutcome::Healthy);
        assert_eq!(probes(&fake), 2);
        assert_eq!(start.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn failures_counted_inside_are_confirmed_by_podmans_own_probe() {
        // Every failure counts at once: no start period, no interval between counts.
        let c = check(0, 3, 0);
        let fake = db_with_loop(&c, 0, &[FAILED, FAILED, FAILED, FAILED]).await;
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let outcome = wait_db(&fake, &c).await;
        assert!(
            matches!(outcome, HealthOutcome::Unhealthy(ref o) if o.contains("unhealthy output")),
            "{outcome:?}"
        );
        assert_eq!(probes(&fake), 1, "the verdict is podman's probe's");
        // The same, but podman's probe passes: healthy after all.
        let fake = Arc::new(FakeBackend::new());
        running(&fake, "db").await;
        script_loop(&fake, &c, 0, &[FAILED, FAILED, FAILED]);
        fake.script_health("db", vec![HealthRun::Healthy]);
        let outcome = wait_db(&fake, &c).await;
        assert_eq!(outcome, HealthOutcome::Healthy);
    }

    #[tokio::test(start_paused = true)]
    async fn a_container_that_stops_under_the_loop_is_reported_with_its_exit_code() {
        let c = check(30, 3, 0);
        let fake = db_with_loop(&c, 137, &[FAILED]).await;
        fake.script_exit("db", 2);
        fake.wait("db").await.unwrap();
        let outcome = wait_db(&fake, &c).await;
        assert_eq!(outcome, HealthOutcome::Exited(2));
        assert_eq!(probes(&fake), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_loop_that_ends_at_once_is_not_restarted_forever() {
        let c = check(30, 3, 0);
        // A sleep that does not sleep: the loop's probes end at once.
        let fake = db_with_loop(&c, 0, &[FAILED, FAILED]).await;
        fake.script_health("db", vec![HealthRun::Healthy]);
        let outcome = wait_db(&fake, &c).await;
        assert_eq!(outcome, HealthOutcome::Healthy, "podman's probe");
        let loops = fake.calls_where(|call| matches!(call, crate::backend::Call::Exec { .. }));
        assert_eq!(loops.len(), 1);
        assert_eq!(probes(&fake), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_under_the_loop_leaves_podmans_probe_output_to_show() {
        let fake = Arc::new(FakeBackend::new());
        running(&fake, "db").await;
        let c = check(30, 3, 0);
        // The loop probes, and says nothing more before the deadline.
        fake.script_delay(
            |call| matches!(call, crate::backend::Call::Exec { .. }),
            Duration::from_secs(60),
        );
        fake.script_health("db", vec![HealthRun::Unhealthy]);
        let deadline = Some(Instant::now() + Duration::from_secs(2));
        let outcome = wait_healthy(&*fake, "db", &c, deadline, &mut never())
            .await
            .unwrap();
        assert_eq!(outcome, HealthOutcome::TimedOut);
        assert_eq!(
            probes(&fake),
            1,
            "podman's probe recorded what the check says"
        );
        assert!(last_output(&*fake, "db").await.contains("unhealthy output"));
    }
}
