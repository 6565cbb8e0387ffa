//! Real podman: wait strategies (a job file's `wait:`, a Compose file's `x-sidepod-wait`)
//! against real servers in the pod: a TCP port, a log line, HTTP and HTTPS answers, a
//! command, all of several; each passing, and each past its own timeout.

#[macro_use]
mod common;

use std::time::Instant;

use common::podman::Project;

const BUSYBOX: &str = "localhost/sidepod-test/busybox:latest";
const SERVICES: &str = "localhost/sidepod-test/services:latest";

/// A busybox sidecar that starts `after` seconds late.
fn late(name: &str, after: u32, start: &str, wait: &str) -> String {
    format!(
        "  {name}:\n    image: {BUSYBOX}\n    command: [\"sh\", \"-c\", \"sleep {after}; {start}\"]\n    \
         wait: {wait}\n"
    )
}

fn job(sidecars: &str, steps: &str) -> String {
    format!("container:\n  image: {BUSYBOX}\nservices:\n{sidecars}steps:\n{steps}")
}

#[test]
fn each_wait_strategy_holds_the_steps_until_its_server_is_really_there() {
    let host = host!();
    let web = late(
        "web",
        2,
        "mkdir -p /www && echo ok > /www/health && echo serving && exec httpd -f -p 8080 -h /www",
        "[{http: /health, port: 8080}, {log: '^serving$$'}]",
    );
    let port = late("port", 2, "exec httpd -f -p 7000 -h /etc", "{port: 7000}");
    let cmd = late(
        "cmd",
        2,
        "touch /tmp/ready; exec sleep 1000",
        "{command: test -f /tmp/ready, interval: 200ms}",
    );
    let tls = format!(
        "  tls:\n    image: {SERVICES}\n    command: [\"sh\", \"-c\", \"sleep 2; exec openssl s_server \
         -quiet -www -accept 8443 -cert /etc/ssl/certs/ssl-cert-snakeoil.pem \
         -key /etc/ssl/private/ssl-cert-snakeoil.key\"]\n    wait: {{http: 'https://localhost:8443/'}}\n"
    );
    // Each step fails unless its server answers at the first try.
    let steps = "  - run: wget -q -O - http://localhost:8080/health\n  \
                 - run: wget -q -O /dev/null http://localhost:7000/passwd\n";
    let p = Project::with_files(
        &host,
        "waits",
        &[(
            "sidepod.yaml",
            &job(&format!("{web}{port}{cmd}{tls}"), steps),
        )],
    );
    let began = Instant::now();
    let out = p.sidepod(&["job"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(began.elapsed().as_secs_f64() > 2.0, "{:?}", began.elapsed());
    for service in ["web", "port", "cmd", "tls"] {
        let ready = format!("Sidecar {service} ready (wait passed)");
        let at = out
            .stderr
            .find(&ready)
            .unwrap_or_else(|| panic!("{ready}: {}", out.stderr));
        assert!(at < out.stderr.find("Step 1/2").unwrap(), "{}", out.stderr);
    }
    assert!(out.stdout.contains("ok"), "{}", out.stdout);
    p.assert_nothing_left();
}

#[test]
fn each_wait_strategy_past_its_own_timeout_fails_the_job_with_5_and_says_why() {
    let host = host!();
    let cases = [
        (
            "exec httpd -f -p 8080 -h /etc",
            "{http: /missing, port: 8080, timeout: 3s}",
            vec![
                "did not pass its wait for http://localhost:8080/missing answering 200 within 3s",
                "the last answer was HTTP 404",
            ],
        ),
        (
            "echo starting; exec sleep 1000",
            "{log: 'ready to accept', timeout: 3s}",
            vec!["wait for log \"ready to accept\" within 3s", "starting"],
        ),
        (
            "exec sleep 1000",
            "{port: 7000, timeout: 3s}",
            vec!["wait for port 7000 within 3s"],
        ),
        (
            "echo not yet >&2; exec sleep 1000",
            "{command: 'echo checked; exit 3', timeout: 3s}",
            vec![
                "wait for command \"echo checked; exit 3\" within 3s",
                "the last run exited with 3",
                "checked",
            ],
        ),
    ];
    for (start, wait, expected) in cases {
        let sidecar = late("db", 0, start, wait);
        let p = Project::with_files(
            &host,
            "waitfail",
            &[("sidepod.yaml", &job(&sidecar, "  - run: echo never\n"))],
        );
        let began = Instant::now();
        let out = p.sidepod(&["job"]);
        assert_eq!(out.code, 5, "{wait}\n{}\n{}", out.stdout, out.stderr);
        for phrase in expected {
            assert!(
                out.stderr.contains(phrase),
                "{wait}: no {phrase:?} in\n{}",
                out.stderr
            );
        }
        assert!(!out.stdout.contains("never"), "{}", out.stdout);
        // Its own 3 s, well before the job's 2-minute readiness deadline.
        assert!(
            began.elapsed().as_secs() < 60,
            "{wait}: {:?}",
            began.elapsed()
        );
        p.assert_nothing_left();
    }
}

#[test]
fn compose_up_wait_honours_x_sidepod_wait_and_dependents_start_after_it() {
    let host = host!();
    let compose = format!(
        "services:\n  db:\n    image: {BUSYBOX}\n    command: [\"sh\", \"-c\", \"sleep 2; echo db is up; \
         exec sleep 1000\"]\n    x-sidepod-wait:\n      log: db is up\n  app:\n    image: {BUSYBOX}\n    \
         command: [\"sleep\", \"1000\"]\n    depends_on:\n      \
         db: {{condition: service_healthy}}\n"
    );
    let p = Project::with_files(&host, "upwait", &[("compose.yaml", &compose)]);
    let out = p.sidepod(&["up", "-d", "--wait"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let logs = p.host.podman(&["logs", &p.container("db")]);
    assert!(logs.stdout.contains("db is up"), "{}", logs.stdout);
    // app was started only after db's line, which db writes 2 s after its start.
    let started = |s: &str| -> i64 {
        p.inspect(&p.container(s), "{{.State.StartedAt.Unix}}")
            .parse()
            .unwrap()
    };
    let (db, app) = (started("db"), started("app"));
    assert!(app - db >= 1, "db started at {db}, app at {app}");
    let config = p.sidepod(&["config"]);
    assert!(
        config.stdout.contains("x-sidepod-wait"),
        "{}",
        config.stdout
    );
    assert_eq!(p.sidepod(&["down"]).code, 0);
    p.assert_nothing_left();
}
