//! Real podman: `sidepod job` on ../shared/scenarios/ci-job, every point of its README,
//! and what CI users rely on: exit codes, reports, concurrency, cleanup after SIGKILL.

#[macro_use]
mod common;

use std::process::{Child, Command};
use std::time::Duration;

use common::podman::{Host, Project};

/// The ci-job scenario with its job file changed by `edit`.
fn ci_job<'h>(host: &'h Host, base: &str, edit: impl Fn(String) -> String) -> Project<'h> {
    let p = Project::scenario(host, "ci-job", base);
    let text = std::fs::read_to_string(p.dir.join("sidepod.yaml")).unwrap();
    p.write("sidepod.yaml", &edit(text));
    p
}

/// Makes the last step sleep first, so a test can act while it runs.
fn slow_last_step(text: String) -> String {
    text.replace(
        "  - name: Check\n    run: ",
        "  - name: Check\n    run: touch /tmp/step-running; sleep 15; ",
    )
}

fn signal(child: &Child, sig: &str) {
    assert!(Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success());
}

/// Waits until the job's slow last step runs; if the job ends first, fails with its output.
fn wait_for_step(p: &Project, job: &mut Child) {
    let main = p.container("main");
    p.wait_for(Duration::from_secs(120), "the last step to run", || {
        if let Ok(Some(status)) = job.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = job.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("the job ended ({status}) before its last step ran:\n{err}");
        }
        p.host
            .podman(&["exec", &main, "test", "-f", "/tmp/step-running"])
            .code
            == 0
    });
}

#[test]
fn a_passing_job_runs_its_steps_after_healthy_sidecars_and_leaves_nothing() {
    let host = host!();
    let p = Project::scenario(&host, "ci-job", "pass");
    let out = p.sidepod(&["job"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let err = &out.stderr;
    for service in ["db", "cache"] {
        let ready = err
            .find(&format!("Sidecar {service} ready (healthy)"))
            .expect(err);
        assert!(ready < err.find("Step 1/3: Schema").unwrap(), "{err}");
    }
    let order: Vec<usize> = ["Step 1/3: Schema", "Step 2/3: Write", "Step 3/3: Check"]
        .iter()
        .map(|h| {
            err.find(h)
                .unwrap_or_else(|| panic!("no header {h}: {err}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{err}");
    assert!(err.contains("\u{2714} Check passed in "), "{err}");
    assert!(
        out.stdout.contains("CREATE TABLE") && out.stdout.contains("INSERT 0 1"),
        "{}",
        out.stdout
    );
    assert!(
        err.contains("passed in") && err.contains("SIDECAR"),
        "summary: {err}"
    );
    p.assert_nothing_left();
}

#[test]
fn a_failing_step_exits_with_its_code_and_shows_sidecar_logs() {
    let host = host!();
    let p = ci_job(&host, "fail", |t| {
        t.replace(
            "select count(*) from sightings')\" = 1",
            "select count(*) from sightings')\" = 1 && exit 7",
        )
    });
    let junit = p.dir.join("report.xml");
    let logs = p.dir.join("logs");
    let out = p.sidepod(&[
        "job",
        "--junit",
        junit.to_str().unwrap(),
        "--logs-dir",
        logs.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("\u{2718} Check failed with exit code 7"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Redis version="),
        "the cache's log tail: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("database system is ready"),
        "the db's log tail: {}",
        out.stderr
    );
    p.assert_nothing_left();
    // The JUnit report, as a CI system reads it.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("valid XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(names, ["Schema", "Write", "Check"]);
    let failed: Vec<&str> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .map(|c| c.attribute("name").unwrap())
        .collect();
    assert_eq!(failed, ["Check"]);
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("failures"), Some("1"));
    // One log file per service.
    for service in ["db-1", "cache-1", "main-1"] {
        let text = std::fs::read_to_string(logs.join(format!("{service}.log"))).unwrap_or_default();
        assert!(
            service == "main-1" || !text.is_empty(),
            "{service}.log is empty"
        );
    }
}

#[test]
fn logs_dir_is_written_on_success_too() {
    let host = host!();
    let p = Project::scenario(&host, "ci-job", "logsok");
    let logs = p.dir.join("logs");
    let out = p.sidepod(&["job", "--logs-dir", logs.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let db = std::fs::read_to_string(logs.join("db-1.log")).unwrap();
    assert!(db.contains("database system is ready"), "{db}");
    p.assert_nothing_left();
}

#[test]
fn ctrl_c_and_sigterm_during_a_step_stop_the_job_and_remove_everything() {
    let host = host!();
    for (sig, code) in [("-INT", 130), ("-TERM", 143)] {
        let p = ci_job(&host, "signal", slow_last_step);
        let mut child = p.spawn(&["job"], &[]);
        wait_for_step(&p, &mut child);
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        p.assert_nothing_left();
    }
}

#[test]
fn a_sidecar_that_never_becomes_healthy_fails_before_any_step() {
    let host = host!();
    let p = ci_job(&host, "unhealthy", |t| {
        t.replace("test: [\"CMD\", \"redis-cli\", \"ping\"]\n      interval: 1s\n      retries: 30", "test: [\"CMD\", \"redis-cli\", \"-p\", \"1\", \"ping\"]\n      interval: 1s\n      retries: 2")
    });
    let out = p.sidepod(&["job"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        !out.stderr.contains("Step 1/"),
        "a step ran: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("sidecar \"cache\" is unhealthy"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Connection refused"),
        "the health log: {}",
        out.stderr
    );
    p.assert_nothing_left();
}

#[test]
fn a_sidecar_killed_during_a_step_fails_the_job_at_once() {
    let host = host!();
    let p = ci_job(&host, "sidekill", slow_last_step);
    let mut child = p.spawn(&["job"], &[]);
    wait_for_step(&p, &mut child);
    assert_eq!(host.podman(&["kill", &p.container("cache")]).code, 0);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("sidecar \"cache\" died"), "{stderr}");
    p.assert_nothing_left();
}

#[test]
fn a_step_timeout_and_a_job_timeout_exit_124() {
    let host = host!();
    let p = ci_job(&host, "steptimeout", |t| {
        t.replace("  - name: Check\n", "  - name: Check\n    timeout: 2s\n")
            .replace(
                "    run: test \"$(redis",
                "    run: sleep 30; test \"$(redis",
            )
    });
    let out = p.sidepod(&["job"]);
    assert_eq!(out.code, 124, "{}", out.stderr);
    assert!(out.stderr.contains("timed out after 2s"), "{}", out.stderr);
    p.assert_nothing_left();
    let q = ci_job(&host, "jobtimeout", slow_last_step);
    let out = q.sidepod(&["job", "--timeout", "12s"]);
    assert_eq!(out.code, 124, "{}", out.stderr);
    assert!(
        out.stderr.contains("the job timed out after 12s"),
        "{}",
        out.stderr
    );
    q.assert_nothing_left();
}

#[test]
fn two_jobs_with_different_names_run_side_by_side_and_the_same_name_is_refused() {
    let host = host!();
    // a's last step runs until the test drops a file into the workspace.
    let a = ci_job(&host, "twin", |t| {
        t.replace(
            "  - name: Check\n    run: ",
            "  - name: Check\n    run: touch /tmp/step-running; while [ ! -f release ]; do sleep 0.2; done; ",
        )
    });
    let b = Project::scenario(&host, "ci-job", "twin");
    let mut first = a.spawn(&["job"], &[]);
    // b has its own name: it runs (and passes) while a is in its slow step.
    wait_for_step(&a, &mut first);
    let second = b.sidepod(&["job"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    // The same name as a running job is refused, and does not disturb it.
    let clash = b.host.run(
        env!("CARGO_BIN_EXE_sidepod"),
        &["job", "-p", &a.name],
        &b.dir,
        &[],
    );
    assert_eq!(clash.code, 1, "{}", clash.stderr);
    assert!(
        clash.stderr.contains("is already running"),
        "{}",
        clash.stderr
    );
    assert_eq!(
        a.inspect(&a.container("main"), "{{.State.Status}}"),
        "running"
    );
    a.write("release", "");
    let out = first.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    a.assert_nothing_left();
    b.assert_nothing_left();
}

#[test]
fn leftovers_of_a_killed_job_are_reaped_by_the_next_job_or_down() {
    let host = host!();
    for reaper in ["job", "down"] {
        // Every `sidepod job` and `down` reaps stale jobs, so one of the other tests
        // running at the same time may reap these first: then the scenario is run again.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let p = ci_job(&host, "reap", slow_last_step);
            let mut child = p.spawn(&["job"], &[]);
            wait_for_step(&p, &mut child);
            child.kill().unwrap(); // SIGKILL: sidepod cannot clean up
            child.wait().unwrap();
            assert!(!p.leftovers().0.is_empty(), "nothing to reap");
            let other = Project::with_files(&host, "reaper", &[("sidepod.yaml", "container: {image: localhost/sidepod-test/busybox:latest}\nsteps: [{run: \"true\"}]\n")]);
            let out = match reaper {
                "job" => other.sidepod(&["job"]),
                _ => other.sidepod(&["down"]),
            };
            assert_eq!(out.code, 0, "{}", out.stderr);
            let reaped = out
                .stderr
                .contains(&format!("Removing the leftovers of job {}", p.name));
            p.assert_nothing_left();
            other.assert_nothing_left();
            if reaped {
                break;
            }
            assert!(
                attempts < 3,
                "{reaper} never reaped the killed job: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn keep_leaves_the_job_and_says_how_to_enter_and_remove_it() {
    let host = host!();
    let p = Project::scenario(&host, "ci-job", "keep");
    let out = p.sidepod(&["job", "--keep", "--step", "Schema"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("podman exec -it {} sh", p.container("main"))),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("sidepod -p {} down -v", p.name)),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Write    skipped"),
        "only the chosen step ran: {}",
        out.stderr
    );
    assert_eq!(
        p.inspect(&p.container("db"), "{{.State.Status}}"),
        "running"
    );
    // The workspace: read-write in the main container, read-only in the sidecars.
    let main = p.container("main");
    let db = p.container("db");
    let write = "test -f /workspace/sidepod.yaml && touch /workspace/written";
    assert_eq!(host.podman(&["exec", &main, "sh", "-c", write]).code, 0);
    assert!(p.dir.join("written").exists());
    assert_eq!(
        host.podman(&["exec", &db, "test", "-f", "/workspace/sidepod.yaml"])
            .code,
        0
    );
    let sidecar_write = host.podman(&["exec", &db, "touch", "/workspace/nope"]);
    assert_ne!(sidecar_write.code, 0, "a sidecar could write the workspace");
    // A kept job is not a leftover: another job does not reap it.
    let other = Project::with_files(
        &host,
        "notreaped",
        &[(
            "sidepod.yaml",
            "container: {image: localhost/sidepod-test/busybox:latest}\nsteps: [{run: \"true\"}]\n",
        )],
    );
    assert_eq!(other.sidepod(&["job"]).code, 0);
    assert_eq!(
        p.inspect(&p.container("db"), "{{.State.Status}}"),
        "running"
    );
    p.sidepod(&["down", "-v", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn a_job_config_error_is_exit_3_and_creates_nothing() {
    let host = host!();
    let p = ci_job(&host, "badjob", |t| t.replace("container:", "containr:"));
    let out = p.sidepod(&["job"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("unknown key \"containr\" (did you mean \"container\"?)"),
        "{}",
        out.stderr
    );
    p.assert_nothing_left();
}

#[test]
fn job_events_in_json_carry_steps_sidecars_and_the_summary_as_fields() {
    let host = host!();
    let p = ci_job(&host, "jsonjob", |t| {
        t.replace(
            "  - name: Check\n    run: ",
            "  - name: Check\n    run: exit 7; ",
        )
    });
    let out = p.sidepod(&["--progress", "json", "job"]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    let events = common::json_events(&out.stderr);
    let ready: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "sidecar" && e["status"] == "ready")
        .map(|e| e["service"].as_str().unwrap())
        .collect();
    assert_eq!(ready.len(), 2, "both sidecars ready: {events:?}");
    let failed = events
        .iter()
        .find(|e| e["type"] == "step" && e["status"] == "failed")
        .expect("a failed step event");
    assert_eq!(
        (failed["name"].as_str(), failed["exit_code"].as_i64()),
        (Some("Check"), Some(7))
    );
    let job = events
        .iter()
        .find(|e| e["type"] == "job")
        .expect("the summary");
    assert_eq!(job["result"], "step_failed");
    assert_eq!(job["exit_code"], 7);
    let steps: Vec<(&str, &str)> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("Schema", "passed"),
            ("Write", "passed"),
            ("Check", "failed")
        ]
    );
    assert!(
        events.iter().any(|e| e["type"] == "sidecar_report"),
        "the sidecars' logs after the failure: {events:?}"
    );
    p.assert_nothing_left();
}

#[test]
fn a_step_that_times_out_leaves_none_of_its_processes_running() {
    let host = host!();
    // The step starts a background child and a foreground one; neither may outlive it.
    let p = ci_job(&host, "stepkill", |t| {
        t.replace(
            "  - name: Check\n    run: ",
            "  - name: Check\n    timeout: 2s\n    run: sleep 301 & sleep 302; ",
        )
    });
    let out = p.sidepod(&["job", "--keep"]);
    assert_eq!(out.code, 124, "{}", out.stderr);
    let top = host.podman(&["top", &p.container("main"), "args"]);
    assert_eq!(top.code, 0, "{}", top.stderr);
    assert!(
        !top.stdout.contains("sleep 30"),
        "the timed-out step's processes still run:\n{}",
        top.stdout
    );
    // The main container itself is kept, as --keep asks.
    assert_eq!(
        p.inspect(&p.container("main"), "{{.State.Status}}"),
        "running"
    );
    p.sidepod(&["down", "-v", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn a_postgres_sidecar_that_declares_only_its_port_takes_connections_from_the_first_step() {
    let host = host!();
    // No healthcheck: ready means its port accepts connections, which the very first
    // step relies on.
    let p = ci_job(&host, "pgport", |t| {
        let start = t
            .find("    healthcheck:\n      test: [\"CMD\", \"pg_isready\"")
            .unwrap();
        let end = t[start..].find("  cache:").unwrap() + start;
        let mut t = format!("{}    ports: [\"5432\"]\n{}", &t[..start], &t[end..]);
        t = t.replace(
            "  - name: Schema\n    run: psql",
            "  - name: Schema\n    run: psql -v ON_ERROR_STOP=1",
        );
        t
    });
    for round in 0..5 {
        let out = p.sidepod(&["job"]);
        assert_eq!(out.code, 0, "round {round}:\n{}", out.stderr);
        assert!(
            out.stderr.contains("Sidecar db ready (ports open)"),
            "{}",
            out.stderr
        );
    }
    p.assert_nothing_left();
}

#[test]
fn a_finished_job_is_removed_at_once_unless_it_asks_for_graceful_stops() {
    let host = host!();
    // A sidecar that writes a file when it is asked to stop (SIGTERM), and not when killed.
    let job = format!(
        "name: flush\ncontainer: {{image: {b}}}\nservices:\n  cov:\n    image: {b}\n    \
         command: [\"sh\", \"-c\", \"trap 'echo flushed > /out/flushed; exit 0' TERM; \
         while true; do sleep 0.1; done\"]\n    volumes: [\"./out:/out\"]\n    \
         stop_grace_period: 20s\nsteps:\n  - run: \"true\"\n",
        b = common::podman::BUSYBOX
    );
    let p = Project::with_files(&host, "flush", &[("sidepod.yaml", &job)]);
    let out_dir = p.writable_dir("out");
    let flushed = out_dir.join("flushed");
    let run = p.sidepod(&["job"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !flushed.exists(),
        "the sidecar was stopped, not removed at once"
    );
    p.assert_nothing_left();
    let graceful = p.sidepod(&["job", "--graceful-stop"]);
    assert_eq!(graceful.code, 0, "{}", graceful.stderr);
    assert!(flushed.exists(), "the sidecar was not asked to stop");
    p.assert_nothing_left();
    std::fs::remove_file(&flushed).unwrap();
    p.write("sidepod.yaml", &format!("graceful_stop: true\n{job}"));
    assert_eq!(p.sidepod(&["job"]).code, 0);
    assert!(
        flushed.exists(),
        "graceful_stop: true in the file did not stop it"
    );
    p.assert_nothing_left();
}

#[test]
fn health_is_seen_inside_the_container_recorded_in_podman_and_probed_by_podman_without_a_shell() {
    let host = host!();
    let b = common::podman::BUSYBOX;
    // An image with busybox and no shell: the check loop cannot run in it.
    let p = Project::with_files(&host, "noshell", &[]);
    let context = p.writable_dir("bare");
    p.write(
        "bare/Containerfile",
        &format!("FROM {b} AS b\nFROM scratch\nCOPY --from=b /usr/sbin/busybox /busybox\n"),
    );
    let image = format!("localhost/sidepod-test/noshell-{}:latest", p.name);
    let built = host.podman(&["build", "-q", "-t", &image, &context.to_string_lossy()]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let job = format!(
        "container: {{image: {b}}}\nservices:\n  bare:\n    image: {image}\n    \
         command: [\"/busybox\", \"sh\", \"-c\", \"/busybox sleep 1; /busybox touch /ready; exec /busybox sleep 600\"]\n    \
         healthcheck: {{test: [\"CMD\", \"/busybox\", \"test\", \"-e\", \"/ready\"], interval: 1s, retries: 30}}\n  \
         shelled:\n    image: {b}\n    command: [\"sh\", \"-c\", \"sleep 1; touch /tmp/ready; exec sleep 600\"]\n    \
         healthcheck: {{test: [\"CMD-SHELL\", \"test -e /tmp/ready\"], interval: 1s, retries: 30}}\n\
         steps:\n  - run: \"true\"\n"
    );
    p.write("sidepod.yaml", &job);
    let out = p.sidepod(&["job", "--keep"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for service in ["bare", "shelled"] {
        assert_eq!(
            p.inspect(&p.container(service), "{{.State.Health.Status}}"),
            "healthy",
            "{service}: podman does not know it is healthy\n{}",
            out.stderr
        );
    }
    assert_eq!(p.sidepod(&["down", "-v"]).code, 0);
    p.assert_nothing_left();
    host.podman(&["rmi", "-f", &image]);
}
