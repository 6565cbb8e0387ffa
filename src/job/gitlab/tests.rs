//! GitLab's documented service examples, templates and what cannot run, loaded into the
//! job model.

use std::time::Duration;

use super::super::{load_job, JobChoice};
use super::duration;
use crate::compose::{LoadError, LoadOptions};
use crate::model::{Job, StepWhen};

fn load_files(files: &[(&str, &str)], choice: &JobChoice) -> Result<Job, LoadError> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let opts = LoadOptions {
        files: vec![root.join(".gitlab-ci.yml")],
        working_dir: root.clone(),
        ..LoadOptions::default()
    };
    load_job(&opts, choice)
}

fn load(pipeline: &str, choice: &JobChoice) -> Result<Job, LoadError> {
    load_files(&[(".gitlab-ci.yml", pipeline)], choice)
}

/// The shape of GitLab's "Using PostgreSQL" and services pages: a default image,
/// services with aliases, variables and a command, and scripts.
const PIPELINE: &str = "default:
  image: ruby:3.3
  before_script:
    - bundle install
variables:
  POSTGRES_DB: custom_db
  POSTGRES_USER: custom_user
  POSTGRES_PASSWORD:
    value: custom_pass
    description: the database password
stages: [test]
.db: &db
  services:
    - name: postgres:16
      alias: db,postgres-db
    - name: registry.example.com/tools/redis-custom:7.2
      command: [redis-server, --appendonly, 'yes']
      variables:
        REDIS_ARGS: --save 60 1
    - mysql:8
test:
  <<: *db
  stage: test
  script:
    - bundle exec rake spec
  after_script:
    - echo done
  timeout: 1h 30m
";

#[test]
fn the_services_page_maps_onto_sidecars_with_gitlabs_names() {
    let job = load(PIPELINE, &JobChoice::default()).unwrap();
    assert_eq!(job.container.image.as_deref(), Some("ruby:3.3"));
    assert_eq!(
        job.container.environment["POSTGRES_PASSWORD"].as_deref(),
        Some("custom_pass")
    );
    assert_eq!(
        job.container.environment["GITLAB_CI"].as_deref(),
        Some("true")
    );
    let services: Vec<&str> = job.project.services.keys().map(String::as_str).collect();
    assert_eq!(
        services,
        ["db", "mysql", "registry.example.com__tools__redis-custom"]
    );
    let db = &job.project.services["db"];
    assert_eq!(db.image.as_deref(), Some("postgres:16"));
    // The aliases name it, and the image's name still reaches it.
    assert_eq!(db.networks["default"].aliases, ["postgres-db", "postgres"]);
    // The file's variables reach every service, as the runner passes them.
    assert_eq!(db.environment["POSTGRES_DB"].as_deref(), Some("custom_db"));
    assert_eq!(
        db.environment["POSTGRES_PASSWORD"].as_deref(),
        Some("custom_pass")
    );
    let redis = &job.project.services["registry.example.com__tools__redis-custom"];
    assert_eq!(
        redis.command.as_deref(),
        Some(
            &[
                "redis-server".to_string(),
                "--appendonly".into(),
                "yes".into()
            ][..]
        )
    );
    assert_eq!(
        redis.environment["REDIS_ARGS"].as_deref(),
        Some("--save 60 1")
    );
    assert_eq!(
        redis.networks["default"].aliases,
        ["registry.example.com-tools-redis-custom"]
    );
    assert_eq!(job.steps.len(), 2);
    let script = &job.steps[0];
    assert_eq!(script.name, "test");
    let install = script.run.find("bundle install").unwrap();
    let spec = script.run.find("bundle exec rake spec").unwrap();
    assert!(
        script.run.starts_with("set -e\n") && install < spec,
        "{}",
        script.run
    );
    assert_eq!(job.steps[1].name, "after_script");
    assert_eq!(job.steps[1].when, StepWhen::Always);
    assert_eq!(job.timeout, Some(Duration::from_secs(90 * 60)));
}

#[test]
fn extends_references_and_local_includes_are_resolved_first() {
    let files = [
        (
            "ci/templates.yml",
            ".setup:\n  script: [echo setup]\n.tests:\n  image: python:3.12\n  variables: {A: base, B: base}\n  script: [pytest]\n",
        ),
        (
            ".gitlab-ci.yml",
            "include:\n  - local: ci/templates.yml\nunit:\n  extends: .tests\n  variables: {B: unit}\n  script:\n    - !reference [.setup, script]\n    - pytest -q\n",
        ),
    ];
    let job = load_files(&files, &JobChoice::default()).unwrap();
    assert_eq!(job.container.image.as_deref(), Some("python:3.12"));
    let env = &job.container.environment;
    assert_eq!(env["A"].as_deref(), Some("base"));
    assert_eq!(env["B"].as_deref(), Some("unit"));
    let run = &job.steps[0].run;
    assert!(
        run.contains("echo setup\n") && run.contains("pytest -q\n"),
        "{run}"
    );
    assert!(
        !run.contains("\npytest\n"),
        "the extending job's script replaces the template's: {run}"
    );
}

#[test]
fn what_cannot_run_here_is_named() {
    let two = "image: alpine\na: {script: [true]}\nb: {script: [true]}\n";
    let err = load(two, &JobChoice::default()).unwrap_err().to_string();
    assert!(
        err.contains("2 jobs (a, b); choose one with --job"),
        "{err}"
    );
    let cases = [
        (
            "include: {remote: 'https://example.com/ci.yml'}\nj: {image: a, script: [x]}\n",
            "include[0]",
            "only local includes",
        ),
        (
            "deploy:\n  trigger: other/project\n",
            "deploy.trigger",
            "triggers another pipeline",
        ),
        ("j: {script: [x]}\n", "j.image", "--image"),
        (
            "j: {image: a, extends: .missing, script: [x]}\n",
            "j.extends",
            "\".missing\" is not a job",
        ),
        (
            "j: {image: a, script: [x], services: [{name: pg, ports: [5432]}]}\n",
            "j.services[0].ports",
            "unknown key \"ports\"",
        ),
        (
            "j: {image: a, script: [x], timeout: soon}\n",
            "j.timeout",
            "not a duration",
        ),
        (
            "j: {image: a, script: [!reference [.none, script]]}\n",
            "!reference",
            "points at nothing",
        ),
    ];
    for (pipeline, at, phrase) in cases {
        let err = load(pipeline, &JobChoice::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(".gitlab-ci.yml") && err.contains(at) && err.contains(phrase),
            "{at}: {err}"
        );
    }
    let with_image = JobChoice {
        image: Some("alpine:3".into()),
        ..JobChoice::default()
    };
    assert_eq!(
        load("j: {script: [x]}\n", &with_image)
            .unwrap()
            .container
            .image
            .as_deref(),
        Some("alpine:3")
    );
}

#[test]
fn gitlab_durations_read_as_gitlab_writes_them() {
    for (text, secs) in [
        ("1h 30m", 5400),
        ("90 minutes", 5400),
        ("2 hours", 7200),
        ("3600", 3600),
        ("1h30m", 5400),
        ("10m", 600),
    ] {
        assert_eq!(duration(text), Some(Duration::from_secs(secs)), "{text}");
    }
    for bad in ["soon", "", "1 fortnight"] {
        assert_eq!(duration(bad), None, "{bad}");
    }
}

#[test]
fn variables_expand_the_variables_they_name_and_services_keep_their_own() {
    let pipeline = "variables:
  DB_USER: runner
  DB_NAME: ${DB_USER}_test
  DATABASE_URL: postgres://$DB_USER@postgres/$DB_NAME
  PRICE: 5$$
  RAW:
    value: keep $DB_USER
    expand: false
test:
  image: ruby:3.3
  services:
    - name: postgres:16
      variables:
        DB_USER: service-own
  script: [rake]
";
    let job = load(pipeline, &JobChoice::default()).unwrap();
    let env = |k: &str| job.container.environment[k].clone().unwrap();
    assert_eq!(env("DB_NAME"), "runner_test");
    assert_eq!(
        env("DATABASE_URL"),
        "postgres://runner@postgres/runner_test"
    );
    assert_eq!(env("PRICE"), "5$");
    assert_eq!(env("RAW"), "keep $DB_USER");
    let db = &job.project.services["postgres"];
    assert_eq!(db.environment["DB_USER"].as_deref(), Some("service-own"));
    assert_eq!(db.environment["DB_NAME"].as_deref(), Some("runner_test"));
}
