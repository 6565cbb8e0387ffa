//! CircleCI's documented database example, and what cannot run, loaded into the job
//! model.

use super::super::{load_job, JobChoice};
use crate::compose::{LoadError, LoadOptions};
use crate::model::{Job, StepWhen};

fn load(config: &str, choice: &JobChoice) -> Result<Job, LoadError> {
    load_env(config, choice, &[])
}

fn load_env(config: &str, choice: &JobChoice, env: &[(&str, &str)]) -> Result<Job, LoadError> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app/.circleci");
    std::fs::create_dir_all(&root).unwrap();
    let file = root.join("config.yml");
    std::fs::write(&file, config).unwrap();
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

/// The shape of CircleCI's "Database configuration examples" (PostgreSQL with Ruby).
const CONFIG: &str = "version: 2.1
jobs:
  build:
    working_directory: ~/project
    docker:
      - image: cimg/ruby:3.2-node
        environment:
          PGHOST: 127.0.0.1
          PGUSER: circleci-demo-ruby
          RAILS_ENV: test
      - image: cimg/postgres:14.0
        environment:
          POSTGRES_USER: circleci-demo-ruby
          POSTGRES_DB: rails_blog_test
      - image: cimg/redis:7.0
        name: cache
        command: [redis-server, --appendonly, 'yes']
    environment:
      BUNDLE_PATH: vendor/bundle
    steps:
      - checkout
      - restore_cache:
          keys: [gem-cache-v1]
      - run: bundle install
      - run:
          name: Wait for DB
          command: dockerize -wait tcp://localhost:5432 -timeout 1m
      - run:
          name: Run tests
          command: bundle exec rspec
          environment:
            SPEC_OPTS: --format progress
      - run:
          name: Collect logs
          command: cat log/test.log
          when: on_fail
      - store_test_results:
          path: test_results
workflows:
  main:
    jobs: [build]
";

#[test]
fn the_first_image_is_the_primary_and_the_rest_are_sidecars() {
    let job = load(CONFIG, &JobChoice::default()).unwrap();
    assert_eq!(job.container.image.as_deref(), Some("cimg/ruby:3.2-node"));
    let env = &job.container.environment;
    assert_eq!(env["RAILS_ENV"].as_deref(), Some("test"));
    assert_eq!(env["BUNDLE_PATH"].as_deref(), Some("vendor/bundle"));
    assert_eq!(env["CIRCLECI"].as_deref(), Some("true"));
    let names: Vec<&str> = job.project.services.keys().map(String::as_str).collect();
    assert_eq!(names, ["cache", "postgres"]);
    assert_eq!(
        job.project.services["postgres"].environment["POSTGRES_DB"].as_deref(),
        Some("rails_blog_test")
    );
    let steps: Vec<&str> = job.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        steps,
        ["bundle install", "Wait for DB", "Run tests", "Collect logs"]
    );
    assert!(
        job.steps[2].run.contains("\nbundle exec rspec\n"),
        "{}",
        job.steps[2].run
    );
    assert!(
        job.steps[2].run.contains("bash -eo pipefail"),
        "{}",
        job.steps[2].run
    );
    assert_eq!(job.steps[2].env["SPEC_OPTS"], "--format progress");
    assert_eq!(job.steps[3].when, StepWhen::OnFailure);
    assert_eq!(job.steps[0].working_dir.as_deref(), Some("/workspace"));
    let warned = |w: &str| job.project.warnings.iter().any(|x| x.contains(w));
    assert!(
        warned("`restore_cache` is skipped"),
        "{:?}",
        job.project.warnings
    );
    assert!(warned("`store_test_results` is skipped"));
}

#[test]
fn what_cannot_run_in_a_pod_is_named() {
    for (config, at, phrase) in [
        (
            "version: 2.1\njobs:\n  t:\n    docker: [{image: a}]\n    parallelism: 4\n    steps: [checkout]\n",
            "jobs.t.parallelism",
            "splits the job across machines",
        ),
        (
            "version: 2.1\njobs:\n  t:\n    machine: {image: ubuntu-2204:current}\n    steps: [checkout]\n",
            "jobs.t.docker",
            "machine or macOS executor",
        ),
        (
            "version: 2.1\njobs:\n  t:\n    docker: [{image: a, ports: [80]}]\n    steps: [checkout]\n",
            "jobs.t.docker[0].ports",
            "unknown key",
        ),
        (
            "version: 2.1\njobs:\n  t:\n    docker: [{image: a}]\n    steps: [{run: {command: serve, background: true}}]\n",
            "background",
            "background steps are not supported",
        ),
    ] {
        let err = load(config, &JobChoice::default()).unwrap_err().to_string();
        assert!(err.contains("config.yml") && err.contains(at) && err.contains(phrase), "{at}: {err}");
    }
}

#[test]
fn authenticated_pulls_take_the_password_from_the_projects_variables() {
    // The shape of CircleCI's "Using Docker authenticated pulls".
    let config = "version: 2.1
jobs:
  build:
    docker:
      - image: acme-private/private-image:321
        auth:
          username: mydockerhub-user
          password: $DOCKERHUB_PASSWORD  # context / project UI env-var reference
      - image: registry.example.com/acme/db:16
        auth:
          username: db-reader
          password: ${DB_REGISTRY_PASSWORD}
    steps:
      - run: make
";
    let env = [
        ("DOCKERHUB_PASSWORD", "hub-s3cret"),
        ("DB_REGISTRY_PASSWORD", "db-s3cret"),
    ];
    let job = load_env(config, &JobChoice::default(), &env).unwrap();
    let main = job.container.registry_auth.as_ref().unwrap();
    assert_eq!(
        (main.username.as_str(), main.password.as_str()),
        ("mydockerhub-user", "hub-s3cret")
    );
    let db = job.project.services["db"].registry_auth.as_ref().unwrap();
    assert_eq!(db.password, "db-s3cret");
    for secret in ["hub-s3cret", "db-s3cret"] {
        assert!(
            job.secrets.contains(&secret.to_string()),
            "{secret} is masked"
        );
    }
    let err = load_env(
        &config.replace("      - image: registry.example.com/acme/db:16\n        auth:\n          username: db-reader\n", "      - image: registry.example.com/acme/db:16\n        auth:\n"),
        &JobChoice::default(),
        &env,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("jobs.build.docker[1].auth")
            && err.contains("needs `username` and `password`"),
        "{err}"
    );
}
