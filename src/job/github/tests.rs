//! GitHub's own service-container examples, and what cannot run, loaded into the job
//! model.

use std::collections::BTreeMap;
use std::time::Duration;

use super::super::{load_job, JobChoice};
use crate::compose::{LoadError, LoadOptions};
use crate::model::{HealthTest, Job, StepWhen};

fn load(workflow: &str, choice: &JobChoice, env: &[(&str, &str)]) -> Result<Job, LoadError> {
    let dir = tempfile::tempdir().unwrap();
    let flows = dir.path().join("app/.github/workflows");
    std::fs::create_dir_all(&flows).unwrap();
    let file = flows.join("ci.yml");
    std::fs::write(&file, workflow).unwrap();
    let opts = LoadOptions {
        files: vec![file],
        working_dir: dir.path().join("app"),
        environ: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    };
    load_job(&opts, choice)
}

/// GitHub's "Creating PostgreSQL service containers" example, running in a container.
const POSTGRES: &str = "name: PostgreSQL service example
on: push
jobs:
  container-job:
    runs-on: ubuntu-latest
    container: node:20-bookworm-slim
    services:
      postgres:
        image: postgres
        env:
          POSTGRES_PASSWORD: postgres
        options: >-
          --health-cmd pg_isready
          --health-interval 10s
          --health-timeout 5s
          --health-retries 5
    steps:
      - name: Check out repository code
        uses: actions/checkout@v4
      - name: Install dependencies
        run: npm ci
      - name: Connect to PostgreSQL
        run: node client.js
        env:
          POSTGRES_HOST: postgres
          POSTGRES_PORT: 5432
";

/// GitHub's "Creating Redis service containers" example, running on the runner.
const REDIS: &str = "name: Redis runner example
on: push
jobs:
  runner-job:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis
        options: >-
          --health-cmd \"redis-cli ping\"
          --health-interval 10s
          --health-timeout 5s
          --health-retries 5
        ports:
          - 6379:6379
    steps:
      - name: Check out repository code
        uses: actions/checkout@v4
      - name: Install dependencies
        run: npm ci
      - name: Connect to Redis
        run: node client.js
        env:
          REDIS_HOST: localhost
          REDIS_PORT: 6379
";

#[test]
fn the_postgres_example_is_a_container_a_healthy_sidecar_and_two_steps() {
    let job = load(POSTGRES, &JobChoice::default(), &[]).unwrap();
    assert_eq!(
        job.container.image.as_deref(),
        Some("node:20-bookworm-slim")
    );
    assert_eq!(
        job.container.environment["GITHUB_ACTIONS"].as_deref(),
        Some("true")
    );
    assert_eq!(job.project.name, "container-job");
    let pg = &job.project.services["postgres"];
    assert_eq!(pg.image.as_deref(), Some("postgres"));
    assert_eq!(
        pg.environment["POSTGRES_PASSWORD"].as_deref(),
        Some("postgres")
    );
    let hc = pg.healthcheck.as_ref().unwrap();
    assert_eq!(hc.test, HealthTest::Shell("pg_isready".into()));
    assert_eq!(hc.interval, Duration::from_secs(10));
    assert_eq!(hc.retries, 5);
    // The checkout is the mounted workspace: no step.
    let names: Vec<&str> = job.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Install dependencies", "Connect to PostgreSQL"]);
    let connect = &job.steps[1];
    assert!(
        connect.run.contains("\nnode client.js\n"),
        "{}",
        connect.run
    );
    assert!(connect.run.contains("sh -e \"$f\""), "{}", connect.run);
    assert_eq!(connect.env["POSTGRES_HOST"], "postgres");
    assert_eq!(connect.env["POSTGRES_PORT"], "5432");
}

#[test]
fn the_redis_runner_example_runs_in_the_given_image_with_its_port_on_the_pod() {
    let err = load(REDIS, &JobChoice::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("jobs.runner-job.runs-on"), "{err}");
    assert!(err.contains("--image"), "{err}");
    let choice = JobChoice {
        image: Some("node:20".into()),
        ..JobChoice::default()
    };
    let job = load(REDIS, &choice, &[]).unwrap();
    assert_eq!(job.container.image.as_deref(), Some("node:20"));
    let redis = &job.project.services["redis"];
    // Reached at localhost:6379 in the pod, not published on the host.
    assert!(redis.ports.is_empty());
    assert_eq!(redis.expose[0].port, 6379);
    assert!(matches!(
        redis.healthcheck.as_ref().unwrap().test,
        HealthTest::Shell(ref s) if s == "redis-cli ping"
    ));
}

#[test]
fn expressions_conditions_and_shells_map_onto_steps() {
    let workflow = "on: push
env:
  MODE: ci
jobs:
  test:
    runs-on: ubuntu-latest
    container:
      image: node:${{ matrix.node }}
      env:
        TOKEN: ${{ secrets.NPM_TOKEN }}
    timeout-minutes: 30
    defaults:
      run:
        shell: bash
    steps:
      - uses: actions/setup-node@v4
      - run: npm test -- --mode ${{ env.MODE }}
        continue-on-error: true
        timeout-minutes: 5
        working-directory: web
      - name: Report
        if: failure()
        run: cat report.txt
      - name: Clean
        if: ${{ always() }}
        shell: sh
        run: rm -rf out
      - name: Only on tags
        if: github.event_name == 'release'
        run: echo never
";
    let env = [("MATRIX_NODE", "20"), ("NPM_TOKEN", "s3cret-token")];
    let job = load(workflow, &JobChoice::default(), &env).unwrap();
    assert_eq!(job.container.image.as_deref(), Some("node:20"));
    assert_eq!(
        job.container.environment["TOKEN"].as_deref(),
        Some("s3cret-token")
    );
    assert!(
        job.secrets.contains(&"s3cret-token".to_string()),
        "a secret is masked"
    );
    assert_eq!(job.timeout, Some(Duration::from_secs(30 * 60)));
    let by_name: BTreeMap<&str, &crate::model::Step> =
        job.steps.iter().map(|s| (s.name.as_str(), s)).collect();
    let skipped = by_name["actions/setup-node@v4"];
    assert_eq!(skipped.when, StepWhen::Never);
    assert!(job
        .project
        .warnings
        .iter()
        .any(|w| w.contains("`uses: actions/setup-node@v4` is skipped")));
    let test = &job.steps[1];
    assert!(test.run.contains("npm test -- --mode ci"), "{}", test.run);
    assert!(
        test.run.contains("bash --noprofile --norc -eo pipefail"),
        "{}",
        test.run
    );
    assert!(test.continue_on_error);
    assert_eq!(test.timeout, Some(Duration::from_secs(300)));
    assert_eq!(test.working_dir.as_deref(), Some("web"));
    assert_eq!(by_name["Report"].when, StepWhen::OnFailure);
    assert_eq!(by_name["Clean"].when, StepWhen::Always);
    assert!(by_name["Clean"].run.contains("sh -e \"$f\""));
    assert_eq!(by_name["Only on tags"].when, StepWhen::Never);
}

#[test]
fn what_cannot_run_here_is_named_with_the_file_job_and_key() {
    let two = "on: push\njobs:\n  a: {runs-on: x, container: busybox, steps: [{run: 'true'}]}\n  b: {runs-on: x, container: busybox, steps: [{run: 'true'}]}\n";
    let err = load(two, &JobChoice::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2 jobs (a, b); choose one with --job"),
        "{err}"
    );
    let pick = |job: &str| JobChoice {
        job: Some(job.into()),
        ..JobChoice::default()
    };
    assert_eq!(load(two, &pick("b"), &[]).unwrap().project.name, "b");
    let err = load(two, &pick("c"), &[]).unwrap_err().to_string();
    assert!(
        err.contains("no job \"c\"; the workflow has: a, b"),
        "{err}"
    );

    let cases = [
        (
            "on: push\njobs:\n  call:\n    uses: ./.github/workflows/other.yml\n",
            "jobs.call.uses",
            "reusable workflow",
        ),
        (
            "on: push\njobs:\n  t:\n    runs-on: x\n    container: {image: busybox, options: --gpus all}\n    steps: [{run: 'true'}]\n",
            "jobs.t.container.options",
            "--gpus has no meaning",
        ),
        (
            "on: push\njobs:\n  t:\n    runs-on: x\n    container: busybox\n    steps: [{run: 'echo ${{ steps.a.outputs.b }}'}]\n",
            "jobs.t.steps[0].run",
            "`steps` context does not exist in a local run",
        ),
        (
            "on: push\njobs:\n  t:\n    runs-on: x\n    container: busybox\n    steps: [{run: dir, shell: pwsh}]\n",
            "jobs.t.steps[0].shell",
            "Windows shells",
        ),
        (
            "on: push\njobs:\n  t:\n    runs-on: x\n    container: {image: busybox, network: host}\n    steps: [{run: 'true'}]\n",
            "jobs.t.container.network",
            "unknown key \"network\"",
        ),
        (
            "on: push\njobs:\n  t:\n    runs-on: x\n    container: busybox\n    steps: [{name: nothing}]\n",
            "jobs.t.steps[0]",
            "needs `run:` or `uses:`",
        ),
    ];
    for (workflow, at, phrase) in cases {
        let err = load(workflow, &JobChoice::default(), &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ci.yml") && err.contains(at) && err.contains(phrase),
            "{at}: {err}"
        );
    }
    let strict = JobChoice {
        strict_actions: true,
        ..JobChoice::default()
    };
    let uses = "on: push\njobs:\n  t:\n    runs-on: x\n    container: busybox\n    steps: [{uses: actions/cache@v4}, {run: 'true'}]\n";
    let err = load(uses, &strict, &[]).unwrap_err().to_string();
    assert!(err.contains("actions/cache@v4 is an action"), "{err}");
}

#[test]
fn credentials_become_a_login_whose_password_is_masked() {
    let workflow = "on: push
jobs:
  t:
    runs-on: x
    container:
      image: ghcr.io/org/builder:1
      credentials:
        username: ${{ github.job }}-bot
        password: ${{ secrets.GHCR_TOKEN }}
    services:
      db:
        image: ghcr.io/org/db:1
        credentials: {username: bot, password: plain-pass}
    steps: [{run: 'true'}]
";
    let job = load(
        workflow,
        &JobChoice::default(),
        &[("GHCR_TOKEN", "ghcr-s3cret")],
    )
    .unwrap();
    let auth = job.container.registry_auth.as_ref().unwrap();
    assert_eq!(auth.username, "t-bot");
    assert_eq!(auth.password, "ghcr-s3cret");
    assert_eq!(
        job.project.services["db"]
            .registry_auth
            .as_ref()
            .unwrap()
            .password,
        "plain-pass"
    );
    assert!(job.secrets.contains(&"ghcr-s3cret".to_string()));
    assert!(job.secrets.contains(&"plain-pass".to_string()));
    let bad = workflow.replace(
        "        credentials: {username: bot, password: plain-pass}\n",
        "        credentials: {username: bot}\n",
    );
    let err = load(&bad, &JobChoice::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("jobs.t.services.db.credentials")
            && err.contains("needs `username` and `password`"),
        "{err}"
    );
}
