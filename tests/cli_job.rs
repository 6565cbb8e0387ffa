//! `sidepod config` on job files: the resolved job, `env:` as an alias, sidecars taken
//! from a Compose file, step commands kept as shell text.

mod common;

use common::{run_in, shared, Test};
use serde_json::json;

#[test]
fn ci_job_scenario_resolves() {
    let dir = shared().join("scenarios/ci-job");
    let out = run_in(
        &dir,
        &["config".into(), "--format".into(), "json".into()],
        &[],
        None,
    );
    out.success();
    let v = out.json();
    assert_eq!(v["name"], "ci-job");
    assert_eq!(v["container"]["working_dir"], "/workspace");
    assert_eq!(
        v["container"]["environment"],
        json!({"PGHOST": "db", "REDIS_HOST": "cache"})
    );
    let steps: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["Schema", "Write", "Check"]);
    // `$(...)` in a step is for the container's shell, untouched.
    assert!(v["steps"][2]["run"]
        .as_str()
        .unwrap()
        .starts_with("test \"$(redis-cli -h cache get last)\""));
    assert_eq!(v["services"]["db"]["healthcheck"]["retries"], 30);
    let out = run_in(&dir, &["config".into(), "--services".into()], &[], None);
    assert_eq!(out.stdout, "cache\ndb\nmain\n");
}

#[test]
fn job_file_is_found_by_name_and_env_is_an_alias() {
    let out = Test::new()
        .file(
            ".sidepod.yaml",
            "container:\n  image: \"app:${TAG:-dev}\"\n  env: {A: \"1\"}\nservices:\n  redis:\n    image: redis\n    env: {B: \"2\"}\nsteps:\n  - run: echo $HOME\n    env: {STEP: yes}\n    timeout: 90s\n    working_dir: sub\n",
        )
        .env("TAG", "ci")
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    let v = out.json();
    assert_eq!(v["name"], "proj");
    assert_eq!(v["container"]["image"], "app:ci");
    assert_eq!(v["container"]["environment"]["A"], "1");
    assert_eq!(v["services"]["redis"]["environment"]["B"], "2");
    assert_eq!(
        v["steps"][0],
        json!({
            "name": "Run echo $HOME",
            "run": "echo $HOME",
            "env": {"STEP": "yes"},
            "timeout": "1m30s",
            "working_dir": "sub",
        })
    );
}

#[test]
fn job_takes_sidecars_from_a_compose_file_and_overrides_them() {
    let out = Test::new()
        .file(
            "compose.yaml",
            "name: ignored\nservices:\n  db:\n    image: postgres:15\n    environment: {POSTGRES_PASSWORD: a}\n  cache:\n    image: redis\nvolumes:\n  pg:\n",
        )
        .file(
            "ci.yaml",
            "name: shop-ci\ncompose: compose.yaml\ncontainer:\n  image: app\n  depends_on: [db]\nservices:\n  db:\n    image: postgres:16\nsteps:\n  - run: make test\n",
        )
        .args(&["-f", "ci.yaml", "config", "--format", "json"])
        .run();
    out.success();
    let v = out.json();
    assert_eq!(v["name"], "shop-ci");
    assert_eq!(v["services"]["db"]["image"], "postgres:16");
    assert_eq!(v["services"]["db"]["environment"]["POSTGRES_PASSWORD"], "a");
    assert_eq!(v["services"]["cache"]["image"], "redis");
    assert_eq!(v["volumes"]["pg"]["name"], "shop-ci_pg");
}

#[test]
fn job_project_name_flag_wins() {
    let out = Test::new()
        .file(
            "sidepod.yaml",
            "name: from-file\ncontainer: {image: app}\nsteps: [{run: \"true\"}]\n",
        )
        .args(&["-p", "run-42", "config", "--format", "json"])
        .run();
    out.success();
    assert_eq!(out.json()["name"], "run-42");
}

#[test]
fn compose_file_is_preferred_over_a_job_file_without_flags() {
    let out = Test::new()
        .file("compose.yaml", "services:\n  web:\n    image: web\n")
        .file(
            "sidepod.yaml",
            "container: {image: app}\nsteps: [{run: \"true\"}]\n",
        )
        .args(&["config", "--services"])
        .run();
    out.success();
    assert_eq!(out.stdout, "web\n");
}

#[test]
fn a_jobs_timeout_and_ready_timeout_are_durations_of_the_file() {
    let job = "container: {image: app}\nsteps: [{run: \"true\"}]\n";
    let out = Test::new()
        .file(
            "sidepod.yaml",
            &format!("timeout: 10m\nready_timeout: 90s\ngraceful_stop: true\n{job}"),
        )
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    let v = out.json();
    assert_eq!(
        (v["timeout"].as_str(), v["ready_timeout"].as_str()),
        (Some("10m"), Some("1m30s"))
    );
    assert_eq!(v["graceful_stop"], true);
    Test::new()
        .file("sidepod.yaml", &format!("graceful_stop: later\n{job}"))
        .args(&["config"])
        .run()
        .config_error(&["sidepod.yaml", "graceful_stop"]);
    Test::new()
        .file("sidepod.yaml", &format!("ready_timeout: soon\n{job}"))
        .args(&["config"])
        .run()
        .config_error(&["sidepod.yaml", "ready_timeout"]);
}

#[test]
fn secrets_that_cannot_be_masked_are_said_and_masked_ones_never_shown() {
    let job = "mask: [SHORT, LONG]\ncontainer:\n  image: app\n  environment: {A: \"${SHORT}\", B: \"x${LONG}y\", C: \"${FLAG}\"}\nsteps:\n  - run: \"true\"\n";
    let out = Test::new()
        .file("sidepod.yaml", job)
        .env("SHORT", "ab")
        .env("LONG", "long-secret-value")
        .env("FLAG", "flag-secret-value")
        .args(&[
            "--dry-run",
            "job",
            "--secret",
            "UNSET_VAR",
            "--secret",
            "FLAG",
        ])
        .run();
    out.success();
    assert!(
        out.stderr
            .contains("--secret UNSET_VAR: UNSET_VAR is not set in the environment"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("too short to mask"), "{}", out.stderr);
    // Secret values go to podman by name only; the short one is shown as it is.
    assert!(
        out.stdout.contains("--env A=ab --env B --env C "),
        "{}",
        out.stdout
    );
    for secret in ["long-secret-value", "flag-secret-value"] {
        assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    }
    let config = Test::new()
        .file("sidepod.yaml", job)
        .env("LONG", "long-secret-value")
        .args(&["config", "--format", "json"])
        .run();
    config.success();
    assert_eq!(config.json()["container"]["environment"]["B"], "x***y");
}

#[test]
fn a_broken_host_config_keeps_the_gate_shut_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("host.yaml");
    std::fs::write(&conf, "restrict: maybe\n").unwrap();
    let out = Test::new()
        .file(
            "sidepod.yaml",
            "container:\n  image: app\nsteps:\n  - run: \"true\"\n",
        )
        .env("SIDEPOD_HOST_CONFIG", conf.to_str().unwrap())
        .args(&["--dry-run", "job"])
        .run();
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("host.yaml"), "{}", out.stderr);
    assert!(
        out.stderr.contains("restrict: true|false"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn matrix_selection_errors_say_what_to_give() {
    let job = "matrix:\n  db: [pg15, pg16]\ncontainer:\n  image: \"app:${MATRIX_DB}\"\nsteps:\n  - run: \"true\"\n";
    let run = |args: &[&str]| Test::new().file("sidepod.yaml", job).args(args).run();
    let usage = run(&["--dry-run", "job", "--matrix", "pg16"]);
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    assert!(usage.stderr.contains("give KEY=VALUE"), "{}", usage.stderr);
    let none = run(&["--dry-run", "job", "--matrix", "db=pg17"]);
    assert_eq!(none.code, 3, "{}", none.stderr);
    assert!(
        none.stderr
            .contains("no combination has db=pg17; the combinations are: db=pg15; db=pg16"),
        "{}",
        none.stderr
    );
    // Each combination's values reach interpolation: its own image.
    let one = run(&["--dry-run", "job", "--matrix", "db=pg16"]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(
        one.stdout.contains("app:pg16") && !one.stdout.contains("app:pg15"),
        "{}",
        one.stdout
    );
    assert!(
        one.stdout.contains("--env MATRIX_DB=pg16"),
        "{}",
        one.stdout
    );
}

const WORKFLOW: &str = "on: push
jobs:
  test:
    runs-on: ubuntu-latest
    container: node:20
    services:
      redis:
        image: redis:7
        options: --health-cmd \"redis-cli ping\" --health-interval 2s
    steps:
      - uses: actions/checkout@v4
      - run: npm test
        continue-on-error: true
      - name: Logs
        if: failure()
        run: cat npm-debug.log
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: npm run lint
  call:
    uses: ./.github/workflows/release.yml
";

#[test]
fn a_github_workflow_is_listed_and_its_job_shown_as_sidepod_runs_it() {
    let t = Test::new().file(".github/workflows/ci.yml", WORKFLOW);
    let list = t
        .args(&["job", "-f", ".github/workflows/ci.yml", "--list"])
        .run();
    list.success();
    assert_eq!(
        list.stdout,
        "test  runs in node:20\n\
         lint  runs on the runner: give the image its steps run in with --image\n\
         call  calls a reusable workflow: cannot run here\n"
    );
    let t = Test::new().file(".github/workflows/ci.yml", WORKFLOW);
    let shown = t
        .args(&[
            "-f",
            ".github/workflows/ci.yml",
            "config",
            "--format",
            "json",
        ])
        .run();
    // Three jobs: `config` cannot guess which one.
    shown.config_error(&["ci.yml", "choose one with --job"]);
    let single = WORKFLOW.split("  lint:").next().unwrap();
    let t = Test::new().file("ci.yml", single);
    let out = t
        .args(&["-f", "ci.yml", "config", "--format", "json"])
        .run();
    out.success();
    let job = out.json();
    assert_eq!(job["container"]["image"], "node:20");
    assert_eq!(job["services"]["redis"]["healthcheck"]["interval"], "2s");
    let steps = job["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{job}");
    assert_eq!(steps[0]["continue_on_error"], true);
    assert_eq!(steps[1]["name"], "Logs");
    assert_eq!(steps[1]["when"], "on_failure");
}

#[test]
fn a_job_file_step_may_run_on_failure_or_always() {
    let out = Test::new()
        .file(
            "sidepod.yaml",
            "container: {image: busybox}\nsteps:\n  - run: make test\n    continue_on_error: true\n  - run: make report\n    when: on_failure\n  - run: make clean\n    when: always\n",
        )
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    let steps = out.json()["steps"].clone();
    assert_eq!(steps[0]["continue_on_error"], true);
    assert_eq!(steps[1]["when"], "on_failure");
    assert_eq!(steps[2]["when"], "always");
}

#[test]
fn a_gitlab_parallel_matrix_runs_each_combination_with_its_variables() {
    let out = Test::new()
        .file(
            ".gitlab-ci.yml",
            "variables:\n  PROVIDER: none\ndeploy:\n  image: alpine\n  script: [echo $PROVIDER]\n  parallel:\n    matrix:\n      - PROVIDER: [aws, gcp]\n",
        )
        .args(&["--dry-run", "job", "-f", ".gitlab-ci.yml"])
        .run();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let runs: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("--entrypoint sleep alpine"))
        .collect();
    assert_eq!(runs.len(), 2, "{}", out.stdout);
    assert!(runs[0].contains("--pod deploy-1") && runs[0].contains("--env PROVIDER=aws"));
    assert!(runs[1].contains("--pod deploy-2") && runs[1].contains("--env PROVIDER=gcp"));
}
