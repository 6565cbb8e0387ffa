//! Drone's documented services example, and what cannot run, loaded into the job model.

use super::super::{load_job, JobChoice};
use crate::compose::{LoadError, LoadOptions};
use crate::model::{Job, StepWhen};

fn load(pipeline: &str, choice: &JobChoice, env: &[(&str, &str)]) -> Result<Job, LoadError> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/feature-x\n").unwrap();
    let file = root.join(".drone.yml");
    std::fs::write(&file, pipeline).unwrap();
    let opts = LoadOptions {
        files: vec![file],
        working_dir: root,
        environ: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    };
    load_job(&opts, choice)
}

/// The shape of Drone's "Services" page, with a second pipeline after it.
const PIPELINE: &str = "kind: pipeline
type: docker
name: default

steps:
- name: test
  image: golang:1.22
  environment:
    DB_HOST: database
    TOKEN:
      from_secret: api_token
  commands:
  - go build
  - go test ./...
- name: lint
  image: golangci/golangci-lint
  failure: ignore
  commands: [golangci-lint run]
- name: notify
  image: alpine
  commands: [echo failed]
  when:
    status: [failure]
- name: publish
  image: plugins/docker
  settings: {repo: example/app}
- name: release
  image: alpine
  commands: [echo release]
  when:
    branch: [main]

services:
- name: database
  image: mysql:8
  environment:
    MYSQL_ALLOW_EMPTY_PASSWORD: 'yes'
    MYSQL_DATABASE: test
- name: cache
  image: redis:7
  commands: [redis-server --save '']
  pull: if-not-exists
---
kind: pipeline
type: exec
name: deploy
steps:
- name: ship
  commands: [make ship]
";

#[test]
fn each_step_runs_in_its_own_image_beside_the_services() {
    let pick = JobChoice {
        job: Some("default".into()),
        ..JobChoice::default()
    };
    let job = load(PIPELINE, &pick, &[("api_token", "s3cret-token")]).unwrap();
    assert_eq!(job.container.image.as_deref(), Some("golang:1.22"));
    assert_eq!(job.container.working_dir.as_deref(), Some("/drone/src"));
    let db = &job.project.services["database"];
    assert_eq!(db.image.as_deref(), Some("mysql:8"));
    assert_eq!(db.environment["MYSQL_DATABASE"].as_deref(), Some("test"));
    let cache = &job.project.services["cache"];
    assert_eq!(
        cache.entrypoint.as_deref(),
        Some(&["/bin/sh".to_string(), "-c".into()][..])
    );
    assert!(cache.command.as_ref().unwrap()[0].contains("redis-server --save ''"));
    let by: Vec<(&str, Option<&str>, StepWhen)> = job
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.image.as_deref(), s.when))
        .collect();
    assert_eq!(
        by,
        [
            ("test", Some("golang:1.22"), StepWhen::OnSuccess),
            ("lint", Some("golangci/golangci-lint"), StepWhen::OnSuccess),
            ("notify", Some("alpine"), StepWhen::OnFailure),
            ("publish", None, StepWhen::Never),
            // The checkout is on feature-x.
            ("release", Some("alpine"), StepWhen::Never),
        ]
    );
    let test = &job.steps[0];
    assert_eq!(test.env["TOKEN"], "s3cret-token");
    assert!(job.secrets.contains(&"s3cret-token".to_string()));
    assert!(
        test.run.contains("echo + 'go test ./...'\ngo test ./...\n"),
        "{}",
        test.run
    );
    assert!(job.steps[1].continue_on_error);
    assert!(job
        .project
        .warnings
        .iter()
        .any(|w| w.contains("plugin step")));
}

#[test]
fn pipelines_are_chosen_by_name_and_only_docker_ones_run() {
    let err = load(PIPELINE, &JobChoice::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2 jobs (default, deploy); choose one with --job"),
        "{err}"
    );
    let deploy = JobChoice {
        job: Some("deploy".into()),
        ..JobChoice::default()
    };
    let err = load(PIPELINE, &deploy, &[]).unwrap_err().to_string();
    assert!(
        err.contains("pipeline \"deploy\", type: \"exec\" pipelines cannot run here"),
        "{err}"
    );
    let bad_when = "kind: pipeline\nsteps:\n- name: t\n  image: a\n  commands: [x]\n  when: {cron: [nightly]}\n";
    let err = load(bad_when, &JobChoice::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("pipeline \"default\", steps[0].when.cron"),
        "{err}"
    );
    let no_image = "kind: pipeline\nsteps:\n- name: t\n  commands: [x]\n";
    let err = load(no_image, &JobChoice::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("steps[0]") && err.contains("needs an `image`"),
        "{err}"
    );
}

/// Drone's private-registry spellings: `auth_config` on a service or step (plain or
/// `from_secret`), `image_pull_secrets` holding a Docker config, and `pull`.
const PRIVATE: &str = "kind: pipeline
type: docker
name: private
image_pull_secrets: [dockerconfig]
steps:
- name: build
  image: registry.example.com/team/builder:2
  pull: true
  commands: [make]
- name: test
  image: ghcr.io/org/tester:1
  pull: never
  auth_config:
    username: ci-bot
    password:
      from_secret: ghcr_password
  commands: [make test]
services:
- name: db
  image: registry.example.com/team/postgres:16
  pull: always
- name: cache
  image: redis:7
  pull: false
";

#[test]
fn registry_logins_come_from_auth_config_and_pull_secrets_and_pull_maps_to_the_policy() {
    use crate::model::{PullPolicy, RegistryAuth};
    let config =
        r#"{"auths": {"https://registry.example.com/v2/": {"auth": "dXNlcjpwdWxsLXMzY3JldA=="}}}"#;
    let env = [("dockerconfig", config), ("ghcr_password", "ghcr-s3cret")];
    let job = load(PRIVATE, &JobChoice::default(), &env).unwrap();
    let puller = RegistryAuth {
        username: "user".into(),
        password: "pull-s3cret".into(),
    };
    assert_eq!(job.steps[0].registry_auth, Some(puller.clone()));
    assert_eq!(job.steps[0].pull, Some(PullPolicy::Always));
    assert_eq!(
        job.steps[1].registry_auth,
        Some(RegistryAuth {
            username: "ci-bot".into(),
            password: "ghcr-s3cret".into(),
        })
    );
    assert_eq!(job.steps[1].pull, Some(PullPolicy::Never));
    // The main container idles in the first step's image, pulled with its login.
    assert_eq!(job.container.registry_auth, Some(puller.clone()));
    let db = &job.project.services["db"];
    assert_eq!(db.registry_auth, Some(puller));
    assert_eq!(db.pull_policy, Some(PullPolicy::Always));
    let cache = &job.project.services["cache"];
    assert_eq!(cache.registry_auth, None, "Docker Hub has no login here");
    assert_eq!(cache.pull_policy, Some(PullPolicy::Missing));
    for password in ["pull-s3cret", "ghcr-s3cret"] {
        assert!(job.secrets.contains(&password.to_string()), "{password}");
    }
    // `config` names who pulls, never the password.
    let shown = crate::job::render_job(&job, crate::compose::Format::Yaml);
    assert!(shown.contains("registry_login: ci-bot"), "{shown}");
    assert!(shown.contains("pull_policy: never"), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[test]
fn a_pull_secret_that_is_unset_warns_and_one_that_is_no_docker_config_is_refused() {
    let job = load(PRIVATE, &JobChoice::default(), &[]).unwrap();
    assert!(
        job.project
            .warnings
            .iter()
            .any(|w| w.contains("image_pull_secrets[0]: the secret \"dockerconfig\" is not set")),
        "{:?}",
        job.project.warnings
    );
    assert_eq!(job.steps[0].registry_auth, None);
    for bad in [
        "not json",
        r#"{"auths": {"r.example.com": {"auth": "!!"}}}"#,
        "{}",
    ] {
        let err = load(PRIVATE, &JobChoice::default(), &[("dockerconfig", bad)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(".drone.yml")
                && err.contains("image_pull_secrets[0]")
                && err.contains("not a Docker config"),
            "{bad}: {err}"
        );
        assert!(
            !err.contains("!!"),
            "the secret's value is never shown: {err}"
        );
    }
    let tail = "  pull: false\n";
    for (bad, at) in [
        ("  pull: sometimes\n", "services[1].pull"),
        ("  auth_config: {username: u}\n", "services[1].auth_config"),
    ] {
        let text = PRIVATE.replace(tail, bad);
        let err = load(&text, &JobChoice::default(), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains(at), "{bad}: {err}");
    }
}
