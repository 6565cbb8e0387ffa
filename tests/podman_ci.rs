//! Real podman: the job features CI users rely on: masked secrets, matrices, caches, the
//! `--restrict` trust gate and workspace file ownership.

#[macro_use]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::podman::Project;

const BUSYBOX: &str = "localhost/sidepod-test/busybox:latest";

/// Every process command line on the host that holds `needle`.
fn cmdlines_holding(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let line = String::from_utf8_lossy(&raw).replace('\0', " ");
        if line.contains(needle) {
            found.push(line);
        }
    }
    found
}

/// Every file under `dir` whose contents hold `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if std::fs::read(&path)
            .map(|b| String::from_utf8_lossy(&b).contains(needle))
            .unwrap_or(false)
        {
            found.push(path.display().to_string());
        }
    }
    found
}

#[test]
fn a_secret_appears_in_no_output_no_file_and_no_command_line() {
    let host = host!();
    const TOKEN: &str = "hunter2-7f3a9c";
    const FROM_FILE: &str = "s3cr3t-from-dotenv";
    let job = format!(
        "mask: [DB_PASSWORD]\ncontainer:\n  image: {BUSYBOX}\n  environment:\n    \
         SECRET_TOKEN: ${{SECRET_TOKEN}}\n    URL: https://app:${{SECRET_TOKEN}}@example.test\n    \
         DB_PASSWORD: ${{DB_PASSWORD}}\nservices:\n  db:\n    image: {BUSYBOX}\n    environment:\n      \
         DB_PASSWORD: ${{DB_PASSWORD}}\n    command: [\"sh\", \"-c\", \"echo db got $$DB_PASSWORD; \
         exec sleep 1000\"]\nsteps:\n  - name: Show\n    run: |\n      echo \"token is $SECRET_TOKEN\"\n      \
         echo \"url is $URL and $DB_PASSWORD\"\n      echo \"$SECRET_TOKEN\" >&2\n      sleep 4\n      \
         exit 1\n"
    );
    let p = Project::with_files(
        &host,
        "secret",
        &[
            ("sidepod.yaml", &job),
            (".env", &format!("DB_PASSWORD={FROM_FILE}\n")),
        ],
    );
    let reports = p.dir.join("reports");
    std::fs::create_dir(&reports).unwrap();
    let _ = std::process::Command::new("chmod")
        .args(["a+rwx"])
        .arg(&reports)
        .status();
    let env = [("SECRET_TOKEN", TOKEN)];
    let mut job = p.spawn(
        &[
            "job",
            "--secret",
            "SECRET_TOKEN",
            "--junit",
            "reports/junit.xml",
            "--logs-dir",
            "reports/logs",
        ],
        &env,
    );
    // While the step runs, no process anywhere has either value on its command line.
    let began = Instant::now();
    let mut looked = 0;
    while job.try_wait().unwrap().is_none() && began.elapsed() < Duration::from_secs(120) {
        for secret in [TOKEN, FROM_FILE] {
            let holding = cmdlines_holding(secret);
            assert!(
                holding.is_empty(),
                "{secret} on a command line: {holding:?}"
            );
        }
        looked += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = job.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        looked > 10,
        "the job ended before it could be watched: {stderr}"
    );
    // The values reached the container: the step printed them, masked.
    assert!(stdout.contains("token is ***"), "{stdout}");
    assert!(
        stdout.contains("url is https://app:***@example.test and ***"),
        "{stdout}"
    );
    assert!(
        stderr.contains("db got ***"),
        "the failure report shows the sidecar's log: {stderr}"
    );
    for secret in [TOKEN, FROM_FILE] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{stdout}\n{stderr}"
        );
        assert_eq!(files_holding(&reports, secret), Vec::<String>::new());
    }
    assert!(std::fs::read_to_string(reports.join("junit.xml"))
        .unwrap()
        .contains("token is ***"));
    // config masks what the file marks; a dry run, what --secret marks too.
    // The dry run shows the command lines as they are: the variables by name only.
    for (args, secrets, shows) in [
        (vec!["config"], vec![FROM_FILE], "DB_PASSWORD: '***'"),
        (
            vec!["--dry-run", "job", "--secret", "SECRET_TOKEN"],
            vec![TOKEN, FROM_FILE],
            "--env DB_PASSWORD --env SECRET_TOKEN --env URL --volume",
        ),
    ] {
        let shown = p.sidepod_env(&args, &env);
        assert_eq!(shown.code, 0, "{args:?}: {}", shown.stderr);
        assert!(shown.stdout.contains(shows), "{args:?}: {}", shown.stdout);
        for secret in secrets {
            assert!(
                !shown.stdout.contains(secret) && !shown.stderr.contains(secret),
                "{args:?}:\n{}\n{}",
                shown.stdout,
                shown.stderr
            );
        }
    }
    p.assert_nothing_left();
}

fn restricted_job(sidecar_keys: &str, container_keys: &str, top: &str) -> String {
    format!(
        "container:\n  image: {BUSYBOX}\n{container_keys}services:\n  db:\n    image: {BUSYBOX}\n    \
         command: [\"sleep\", \"1000\"]\n{sidecar_keys}{top}steps:\n  - run: ls /data /cache\n"
    )
}

#[test]
fn restrict_refuses_each_key_that_reaches_past_the_pod_and_creates_nothing() {
    let host = host!();
    let cases = [
        (
            "    privileged: true\n",
            "",
            "",
            "service \"db\": privileged",
        ),
        (
            "    devices: [\"/dev/fuse\"]\n",
            "",
            "",
            "service \"db\": devices",
        ),
        (
            "    cap_add: [SYS_ADMIN]\n",
            "",
            "",
            "service \"db\": cap_add",
        ),
        (
            "    network_mode: host\n",
            "",
            "",
            "service \"db\": network_mode",
        ),
        (
            "    security_opt: [\"label=disable\"]\n",
            "",
            "",
            "service \"db\": security_opt",
        ),
        (
            "    security_opt: [\"seccomp=unconfined\"]\n",
            "",
            "",
            "turns confinement off",
        ),
        (
            "    volumes: [\"/etc/shadow:/shadow:ro\"]\n",
            "",
            "",
            "/etc/shadow from outside the workspace",
        ),
        (
            "    volumes: [\"/run/podman/podman.sock:/run/podman.sock\"]\n",
            "",
            "",
            "the container engine's socket",
        ),
        (
            "    volumes: [\"./etc-link:/host-etc\"]\n",
            "",
            "",
            "a bind mount of /etc from outside",
        ),
        ("", "  privileged: true\n", "", "container: privileged"),
        ("", "  volumes: [\"/:/host\"]\n", "", "container: volumes"),
        (
            "    volumes: [\"data:/data\"]\n",
            "",
            "volumes:\n  data:\n    driver_opts: {type: none, o: bind, device: /etc}\n",
            "volume \"data\": driver_opts.device",
        ),
        (
            "    pid: host\n",
            "",
            "",
            "service \"db\": pid: the host's process namespace",
        ),
        ("    ipc: container:other\n", "", "", "service \"db\": ipc"),
        (
            "    build: {context: ., ssh: [default]}\n",
            "",
            "",
            "the host's SSH agent or keys",
        ),
        (
            "    build: {context: ., network: host}\n",
            "",
            "",
            "a build on the host's network",
        ),
        (
            "    build: {context: ., additional_contexts: {etc: /etc}}\n",
            "",
            "",
            "build context etc from outside the workspace",
        ),
        (
            "    secrets: [key]\n",
            "",
            "secrets:\n  key: {file: /etc/hostname}\n",
            "secret \"key\": reads /etc/hostname from outside the workspace",
        ),
        (
            "    secrets: [key]\n",
            "",
            "secrets:\n  key: {external: true}\n",
            "reads the host's podman secret \"key\"",
        ),
    ];
    for (sidecar, container, top, phrase) in cases {
        let p = Project::with_files(
            &host,
            "restrict",
            &[("sidepod.yaml", &restricted_job(sidecar, container, top))],
        );
        std::os::unix::fs::symlink("/etc", p.dir.join("etc-link")).unwrap();
        let out = p.sidepod(&["job", "--restrict"]);
        assert_eq!(out.code, 3, "{phrase}: {}\n{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("sidepod.yaml") && out.stderr.contains(phrase),
            "{phrase}: {}",
            out.stderr
        );
        p.assert_nothing_left();
        // The environment and the host's config file close the gate as the flag does.
        if phrase == "service \"db\": privileged" {
            let env = p.sidepod_env(&["job"], &[("SIDEPOD_RESTRICT", "1")]);
            assert_eq!(env.code, 3, "{}", env.stderr);
            let conf = p.dir.join("host.yaml");
            std::fs::write(&conf, "restrict: true\n").unwrap();
            let conf = conf.display().to_string();
            let file = p.sidepod_env(&["job"], &[("SIDEPOD_HOST_CONFIG", &conf)]);
            assert_eq!(file.code, 3, "{}", file.stderr);
            assert!(
                file.stderr.contains("--restrict refuses"),
                "{}",
                file.stderr
            );
            p.assert_nothing_left();
        }
    }
}

#[test]
fn a_job_that_stays_in_its_pod_and_workspace_runs_under_restrict() {
    let host = host!();
    let p = Project::with_files(
        &host,
        "restrictok",
        &[(
            "sidepod.yaml",
            &restricted_job(
                "    volumes: [\"cache:/cache\", \"./data:/data:ro\"]\n    cap_drop: [ALL]\n",
                "  volumes: [\"./data:/data\", \"cache:/cache\"]\n",
                "volumes:\n  cache:\n",
            ),
        )],
    );
    std::fs::create_dir(p.dir.join("data")).unwrap();
    let out = p.sidepod_env(&["job"], &[("SIDEPOD_RESTRICT", "yes")]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    p.assert_nothing_left();
}

#[test]
fn a_cache_is_restored_on_the_next_run_with_the_same_key_and_kept_across_teardown() {
    let host = host!();
    let name = format!("cachejob{}", std::process::id());
    let job = format!(
        "name: {name}\ncontainer:\n  image: {BUSYBOX}\ncache:\n  - path: /deps\n    key: deps\n    \
         files: [deps.lock]\nsteps:\n  - run: if test -f /deps/fetched; then echo HIT; else echo MISS; \
         touch /deps/fetched; fi\n"
    );
    let p = Project::with_files(
        &host,
        "cache",
        &[("sidepod.yaml", &job), ("deps.lock", "a 1\n")],
    );
    let first = p.sidepod(&["job"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stdout.contains("MISS"), "{}", first.stdout);
    assert!(
        first.stderr.contains("cache miss for key deps-"),
        "{}",
        first.stderr
    );
    let second = p.sidepod(&["job"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stdout.contains("HIT"), "{}", second.stdout);
    assert!(second.stderr.contains("Restored"), "{}", second.stderr);
    // A changed lock file is a new key: a miss.
    p.write("deps.lock", "a 2\n");
    let third = p.sidepod(&["job"]);
    assert!(third.stdout.contains("MISS"), "{}", third.stdout);
    p.assert_nothing_left();
    let ls = p.sidepod(&["cache", "ls"]);
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    let ours: Vec<&str> = ls.stdout.lines().filter(|l| l.contains(&name)).collect();
    assert_eq!(ours.len(), 2, "{}", ls.stdout);
    assert!(ours.iter().all(|l| l.contains("/deps")), "{}", ls.stdout);
    // Younger than an hour: kept; then pruned.
    let kept = p.sidepod(&["cache", "prune", "--older-than", "1h"]);
    assert_eq!(
        (kept.code, kept.stdout.contains(&name)),
        (0, false),
        "{}",
        kept.stdout
    );
    let pruned = p.sidepod(&["cache", "prune"]);
    assert_eq!(pruned.code, 0, "{}", pruned.stderr);
    assert_eq!(
        pruned.stdout.lines().filter(|l| l.contains(&name)).count(),
        2
    );
    let after = p.sidepod(&["cache", "ls"]);
    assert!(!after.stdout.contains(&name), "{}", after.stdout);
}

#[test]
fn files_a_step_writes_as_another_user_belong_to_the_invoking_user() {
    use std::os::unix::fs::MetadataExt;
    let host = host!();
    let job = format!(
        "container:\n  image: {BUSYBOX}\n  user: \"1000:1000\"\nsteps:\n  - run: mkdir -p out/deep \
         && echo built > out/deep/file && ls -ln out/deep\n"
    );
    let p = Project::with_files(&host, "owner", &[("sidepod.yaml", &job)]);
    let out = p.sidepod(&["job"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // Inside, the step wrote as uid 1000.
    assert!(out.stdout.contains(" 1000 "), "{}", out.stdout);
    let id = |flag: &str| -> u32 {
        let out = std::process::Command::new("id").arg(flag).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    let me = match &host.mode {
        common::podman::Mode::Rootless { uid, gid, .. } => Some((*uid, *gid)),
        // Rootful, the container's users are the host's, and root removes anything.
        common::podman::Mode::Current => (id("-u") != 0).then(|| (id("-u"), id("-g"))),
    };
    let file = p.dir.join("out/deep/file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "built\n");
    if let Some(owner) = me {
        for path in [p.dir.join("out"), p.dir.join("out/deep"), file] {
            let meta = std::fs::symlink_metadata(&path).unwrap();
            assert_eq!((meta.uid(), meta.gid()), owner, "{}", path.display());
        }
    }
    // The invoking user can delete what the step left.
    let rm = p.host.run("rm", &["-r", "out"], &p.dir, &[]);
    assert_eq!(rm.code, 0, "{}", rm.stderr);
    assert!(!p.dir.join("out").exists());
    p.assert_nothing_left();
}

#[test]
fn a_two_by_two_matrix_runs_each_combination_in_its_own_pod_and_reports_the_failing_one() {
    let host = host!();
    let job = format!(
        "matrix:\n  db: [alpha, beta]\n  mode: [one, two]\ncontainer:\n  image: {BUSYBOX}\nservices:\n  db:\n    \
         image: {BUSYBOX}\n    command: [\"sh\", \"-c\", \"echo served-${{MATRIX_DB}} > /tmp/x; exec httpd -f -p 8080 -h /tmp\"]\n    \
         wait: {{port: 8080}}\nsteps:\n  - name: Check\n    run: test \"$MATRIX_DB-$MATRIX_MODE\" != alpha-two\n  \
         - name: Show\n    run: wget -q -O - http://localhost:8080/x\n"
    );
    let p = Project::with_files(&host, "matrix", &[("sidepod.yaml", &job)]);
    let out = p.sidepod(&["job", "--parallel", "2", "--junit", "junit.xml"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    // Each combination's sidecar got its own values: four pods, four answers.
    for db in ["alpha", "beta"] {
        for mode in ["one", "two"] {
            let label = format!("[db={db}, mode={mode}]");
            let served = format!("{label} served-{db}");
            assert_eq!(
                out.stdout.contains(&served),
                (db, mode) != ("alpha", "two"),
                "{}",
                out.stdout
            );
        }
    }
    let table = &out.stderr[out.stderr.find("Matrix summary").expect(&out.stderr)..];
    let row = |label: &str| {
        table
            .lines()
            .find(|l| l.contains(label))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        row("COMBINATION").contains("Check") && row("COMBINATION").contains("Show"),
        "{table}"
    );
    assert!(row("db=alpha, mode=two").contains("failed (1)"), "{table}");
    assert!(
        row("db=alpha, mode=two").contains("failed (exit 1)"),
        "{table}"
    );
    for label in [
        "db=alpha, mode=one",
        "db=beta, mode=one",
        "db=beta, mode=two",
    ] {
        assert!(row(label).ends_with("passed"), "{table}");
    }
    let xml = std::fs::read_to_string(p.dir.join("junit.xml")).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 4, "{xml}");
    assert!(
        xml.contains("<testsuite name=\"db=alpha, mode=two\" tests=\"2\" failures=\"1\""),
        "{xml}"
    );
    p.assert_nothing_left();

    // One value of one axis: its two combinations, both passing.
    let beta = p.sidepod(&["job", "--matrix", "db=beta"]);
    assert_eq!(beta.code, 0, "{}", beta.stderr);
    assert_eq!(
        beta.stdout.matches("served-beta").count(),
        2,
        "{}",
        beta.stdout
    );
    assert!(!beta.stdout.contains("alpha"), "{}", beta.stdout);
    let none = p.sidepod(&["job", "--matrix", "db=gamma"]);
    assert_eq!(none.code, 3, "{}", none.stderr);
    assert!(
        none.stderr.contains("no combination has db=gamma"),
        "{}",
        none.stderr
    );
    // Fail-fast, one at a time: after alpha-two fails, the beta ones never start.
    let ff = p.sidepod(&["job", "--fail-fast"]);
    assert_eq!(ff.code, 1, "{}", ff.stderr);
    assert!(!ff.stdout.contains("served-beta"), "{}", ff.stdout);
    let table = &ff.stderr[ff.stderr.find("Matrix summary").expect(&ff.stderr)..];
    assert_eq!(table.matches("cancelled (fail-fast)").count(), 2, "{table}");
    p.assert_nothing_left();
}

/// A web app's test suite against PostgreSQL and Redis, written as GitHub documents
/// service containers. `FAIL` is the check that fails in the second variant.
/// The suite as GitHub's "PostgreSQL service containers" and "Redis service containers"
/// pages write it: a container job, `postgres:16` with its password and a
/// `pg_isready` healthcheck in `options`, `redis:7` with `redis-cli ping`. The client
/// image is the test image with psql and redis-cli.
fn github_workflow(check: &str) -> String {
    let client = common::podman::SERVICES;
    format!(
        "name: PostgreSQL service example
on: push
env:
  PGHOST: postgres
  PGUSER: postgres
  PGPASSWORD: postgres
jobs:
  container-job:
    runs-on: ubuntu-latest
    container: {client}
    services:
      postgres:
        image: postgres:16
        env:
          POSTGRES_PASSWORD: postgres
        options: >-
          --health-cmd pg_isready
          --health-interval 10s
          --health-timeout 5s
          --health-retries 5
        ports:
          - 5432:5432
      redis:
        image: redis:7
        options: >-
          --health-cmd \"redis-cli ping\"
          --health-interval 10s
          --health-timeout 5s
          --health-retries 5
    steps:
      - name: Check out repository code
        uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: '3.12'
      - name: Schema
        run: psql -c 'create table sightings (id serial primary key, place text)'
      - name: Lint
        run: exit 3
        continue-on-error: true
      - name: Write
        shell: bash
        run: |
          psql -c \"insert into sightings (place) values ('moon')\"
          redis-cli -h $REDIS_HOST set last moon
        env:
          REDIS_HOST: redis
      - name: Check
        run: {check}
      - name: Report
        if: failure()
        run: echo the suite failed, reporting
      - name: Clean
        if: always()
        run: echo cleaning up in ${{{{ github.workspace }}}}
"
    )
}

#[test]
fn a_github_actions_workflow_runs_its_service_containers_and_steps_here() {
    let host = host!();
    let check = "test \"$(redis-cli -h redis get last)\" = moon && test \"$(psql -tAc 'select count(*) from sightings')\" = 1";
    let p = Project::with_files(&host, "github", &[]);
    std::fs::create_dir_all(p.dir.join(".github/workflows")).unwrap();
    p.write(".github/workflows/ci.yml", &github_workflow(check));
    let list = p.sidepod(&["job", "-f", ".github/workflows/ci.yml", "--list"]);
    list.success();
    assert!(
        list.stdout
            .contains("container-job  runs in localhost/sidepod-test/services"),
        "{}",
        list.stdout
    );

    let out = p.sidepod(&["job", "-f", ".github/workflows/ci.yml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let err = &out.stderr;
    assert!(
        err.contains("`uses: actions/setup-python@v5` is skipped"),
        "{err}"
    );
    assert!(err.contains("✔ Check"), "{err}");
    assert!(err.contains("✘ Lint failed with exit code 3"), "{err}");
    // Step output is the job's stdout.
    assert!(
        out.stdout.contains("cleaning up in /workspace"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("the suite failed, reporting"),
        "{}",
        out.stdout
    );
    p.assert_nothing_left();

    // The same suite with a check that fails: its code, the failure step, the cleanup.
    p.write(
        ".github/workflows/ci.yml",
        &github_workflow("test \"$(redis-cli -h redis get last)\" = sun"),
    );
    let out = p.sidepod(&["job", "-f", ".github/workflows/ci.yml"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let err = &out.stderr;
    assert!(err.contains("✘ Check failed with exit code 1"), "{err}");
    assert!(
        out.stdout.contains("the suite failed, reporting"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("cleaning up in /workspace"),
        "{}",
        out.stdout
    );
    p.assert_nothing_left();
}

/// The suite as GitLab's "Using PostgreSQL" and "Using Redis" pages write it:
/// `services: [postgres:16, redis:7]`, reached as `postgres` and `redis` (the names
/// GitLab derives from the images), the database's variables global, a default image,
/// before_script, script and after_script. GitLab waits for a service's exposed ports:
/// the script does not.
fn gitlab_pipeline(check: &str) -> String {
    let client = common::podman::SERVICES;
    format!(
        "default:
  image: {client}
  before_script:
    - psql --version
variables:
  POSTGRES_DB: shop
  POSTGRES_USER: runner
  POSTGRES_PASSWORD: \"runner-password\"
  POSTGRES_HOST_AUTH_METHOD: trust
  PGHOST: postgres
  PGUSER: $POSTGRES_USER
  PGDATABASE: $POSTGRES_DB
stages: [test]
.databases: &databases
  services:
    - postgres:16
    - name: redis:7
      alias: cache
      command: [redis-server, --save, '']
test:
  <<: *databases
  stage: test
  script:
    - psql -c 'create table sightings (id serial primary key, place text)'
    - psql -c \"insert into sightings (place) values ('moon')\"
    - redis-cli -h redis set last moon
    - {check}
  after_script:
    - echo after the script in $CI_PROJECT_DIR
"
    )
}

#[test]
fn a_gitlab_ci_job_runs_its_services_and_scripts_here() {
    let host = host!();
    let p = Project::with_files(&host, "gitlab", &[]);
    p.write(
        ".gitlab-ci.yml",
        &gitlab_pipeline("test \"$(redis-cli -h cache get last)\" = moon && test \"$(psql -tAc 'select current_database()')\" = shop"),
    );
    let out = p.sidepod(&["job", "-f", ".gitlab-ci.yml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("✔ test passed"), "{}", out.stderr);
    // GitLab waits for a service's exposed ports before the script starts.
    assert!(
        out.stderr.contains("Sidecar postgres ready (ports open)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("$ redis-cli -h redis set last moon"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("after the script in /workspace"),
        "{}",
        out.stdout
    );
    p.assert_nothing_left();

    p.write(
        ".gitlab-ci.yml",
        &gitlab_pipeline("test \"$(redis-cli -h cache get last)\" = sun"),
    );
    let out = p.sidepod(&["job", "-f", ".gitlab-ci.yml"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("✘ test failed with exit code 1"),
        "{}",
        out.stderr
    );
    // after_script runs whatever happened.
    assert!(
        out.stdout.contains("after the script in /workspace"),
        "{}",
        out.stdout
    );
    p.assert_nothing_left();
}

/// The suite as CircleCI's "Database configuration examples" write it: the primary
/// image with the database URL, then `postgres:16` and `redis:7` as secondary images
/// on the shared localhost, and a step that waits for them.
fn circleci_config(check: &str) -> String {
    let client = common::podman::SERVICES;
    format!(
        "version: 2.1
jobs:
  build:
    docker:
      - image: {client}
        environment:
          DATABASE_URL: postgresql://root@localhost/circle_test
      - image: postgres:16
        environment:
          POSTGRES_USER: root
          POSTGRES_DB: circle_test
          POSTGRES_HOST_AUTH_METHOD: trust
      - image: redis:7
    steps:
      - checkout
      - run:
          name: Waiting for Postgres to be ready
          command: |
            for i in $(seq 1 60); do pg_isready -h localhost -q && break; sleep 1; done
            until redis-cli ping; do sleep 0.2; done
      - run: psql \"$DATABASE_URL\" -c 'create table sightings (id serial primary key, place text)'
      - run: redis-cli set last moon
      - run:
          name: Check
          command: {check}
      - run:
          name: On failure
          command: echo collecting logs
          when: on_fail
      - store_test_results:
          path: results
workflows:
  main:
    jobs: [build]
"
    )
}

#[test]
fn a_circleci_job_runs_its_secondary_containers_and_steps_here() {
    let host = host!();
    let p = Project::with_files(&host, "circleci", &[]);
    std::fs::create_dir_all(p.dir.join(".circleci")).unwrap();
    p.write(
        ".circleci/config.yml",
        &circleci_config("test \"$(redis-cli get last)\" = moon"),
    );
    let out = p.sidepod(&["job", "-f", ".circleci/config.yml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("`store_test_results` is skipped"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("✔ Check passed"), "{}", out.stderr);
    assert!(!out.stdout.contains("collecting logs"), "{}", out.stdout);
    p.assert_nothing_left();

    p.write(
        ".circleci/config.yml",
        &circleci_config("test \"$(redis-cli get last)\" = sun"),
    );
    let out = p.sidepod(&["job", "-f", ".circleci/config.yml"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("collecting logs"), "{}", out.stdout);
    p.assert_nothing_left();
}

/// The suite as Azure Pipelines' "Service containers" page writes it, in the jobs form:
/// the containers declared under `resources`, the job's container and `services:` naming
/// them, `postgres:16` with its password and a healthcheck in `options`.
fn azure_pipeline(check: &str) -> String {
    let client = common::podman::SERVICES;
    format!(
        "trigger: [main]
resources:
  containers:
    - container: my_container
      image: {client}
    - container: postgres
      image: postgres:16
      env:
        POSTGRES_PASSWORD: azure-pg
      options: --health-cmd pg_isready --health-interval 10s --health-timeout 5s --health-retries 5
    - container: redis
      image: redis:7
variables:
  PGHOST: postgres
jobs:
  - job: test
    displayName: Test suite
    pool:
      vmImage: ubuntu-latest
    container: my_container
    services:
      postgres: postgres
      redis: redis
    steps:
      - checkout: self
      - script: psql -c 'create table sightings (id serial primary key, place text)'
        displayName: Schema
        env:
          PGUSER: postgres
      - script: |
          psql -c \"insert into sightings (place) values ('moon')\"
          redis-cli -h redis set last moon
        displayName: Write
        env:
          PGUSER: postgres
      - script: {check}
        displayName: Check
        env:
          PGUSER: postgres
      - bash: echo reporting the failure
        displayName: Report
        condition: failed()
"
    )
}

#[test]
fn an_azure_pipelines_container_job_runs_its_service_containers_here() {
    let host = host!();
    let p = Project::with_files(&host, "azure", &[]);
    p.write(
        "azure-pipelines.yml",
        &azure_pipeline(
            "test \"$(psql -tAc 'select count(*) from sightings')\" = 1 && test \"$(redis-cli -h redis get last)\" = moon",
        ),
    );
    let list = p.sidepod(&["job", "-f", "azure-pipelines.yml", "--list"]);
    list.success();
    assert!(
        list.stdout.contains("test  runs in its container"),
        "{}",
        list.stdout
    );
    let out = p.sidepod(&["job", "-f", "azure-pipelines.yml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("Sidecar postgres ready (healthy)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("✔ Check passed"), "{}", out.stderr);
    assert!(
        !out.stdout.contains("reporting the failure"),
        "{}",
        out.stdout
    );
    p.assert_nothing_left();

    p.write(
        "azure-pipelines.yml",
        &azure_pipeline("test \"$(psql -tAc 'select count(*) from sightings')\" = 2"),
    );
    let out = p.sidepod(&["job", "-f", "azure-pipelines.yml"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("✘ Check failed with exit code 1"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("reporting the failure"),
        "{}",
        out.stdout
    );
    p.assert_nothing_left();
}

/// The suite as Drone's "Services" page writes it: `postgres:16` and `redis:7` as
/// services, reached by their names, and steps each in their own image (the clients
/// in the database images, as the page does, and busybox), sharing the workspace.
fn drone_pipeline(check: &str) -> String {
    let busybox = common::podman::BUSYBOX;
    format!(
        "kind: pipeline
type: docker
name: test

steps:
- name: wait
  image: postgres:16
  commands:
  - until pg_isready -h database -q; do sleep 0.2; done
- name: write
  image: {busybox}
  commands: [echo moon > place.txt]
- name: store
  image: postgres:16
  environment:
    PGHOST: database
    PGUSER: postgres
    PGDATABASE: test
  commands:
  - psql -c 'create table sightings (id serial primary key, place text)'
  - psql -c \"insert into sightings (place) values ('$(cat place.txt)')\"
- name: remember
  image: redis:7
  commands:
  - until redis-cli -h cache ping; do sleep 0.2; done
  - redis-cli -h cache set last \"$(cat place.txt)\"
- name: check
  image: redis:7
  commands: [\"{check}\"]
- name: notify
  image: {busybox}
  commands: [echo the pipeline failed]
  when:
    status: [failure]

services:
- name: database
  image: postgres:16
  environment:
    POSTGRES_USER: postgres
    POSTGRES_DB: test
    POSTGRES_HOST_AUTH_METHOD: trust
- name: cache
  image: redis:7
  pull: if-not-exists
"
    )
}

#[test]
fn a_drone_pipeline_runs_each_step_in_its_own_image_sharing_the_workspace() {
    let host = host!();
    let p = Project::with_files(&host, "drone", &[]);
    p.write(
        ".drone.yml",
        &drone_pipeline("test $(redis-cli -h cache get last) = moon"),
    );
    let out = p.sidepod(&["job", "-f", ".drone.yml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("✔ check passed"), "{}", out.stderr);
    assert!(
        out.stdout.contains("+ echo moon > place.txt"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("the pipeline failed"),
        "{}",
        out.stdout
    );
    // The step wrote into the workspace on the host.
    assert_eq!(
        std::fs::read_to_string(p.dir.join("place.txt")).unwrap(),
        "moon\n"
    );
    p.assert_nothing_left();

    p.write(
        ".drone.yml",
        &drone_pipeline("test $(redis-cli -h cache get last) = sun"),
    );
    let out = p.sidepod(&["job", "-f", ".drone.yml"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("the pipeline failed"), "{}", out.stdout);
    p.assert_nothing_left();
}
