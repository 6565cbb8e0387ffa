//! Azure Pipelines' container jobs and service containers, in the proposal's syntax,
//! loaded into the job model.

use std::time::Duration;

use super::super::{load_job, JobChoice};
use crate::compose::{LoadError, LoadOptions};
use crate::model::{HealthTest, Job, StepWhen};

fn load(pipeline: &str, choice: &JobChoice) -> Result<Job, LoadError> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    std::fs::create_dir_all(&root).unwrap();
    let file = root.join("azure-pipelines.yml");
    std::fs::write(&file, pipeline).unwrap();
    let opts = LoadOptions {
        files: vec![file],
        working_dir: root,
        ..LoadOptions::default()
    };
    load_job(&opts, choice)
}

const PIPELINE: &str = "trigger: [main]
resources:
  containers:
    - container: pg
      image: postgres:16
      env:
        POSTGRES_PASSWORD: example
      ports: ['5432:5432']
      options: --health-cmd pg_isready --health-interval 2s
variables:
  - name: Mode
    value: ci
jobs:
  - job: unit
    displayName: Unit tests
    pool: {vmImage: ubuntu-latest}
    container:
      image: node:20
      name: build
      env: {NODE_ENV: test}
    services:
      postgres: pg
      redis:
        image: redis:7
    timeoutInMinutes: 20
    steps:
      - checkout: self
      - task: NodeTool@0
        inputs: {versionSpec: '20.x'}
      - script: npm ci && npm test -- --mode $(Mode) in $(Build.SourcesDirectory)
        displayName: Test
        env: {PGHOST: postgres}
        continueOnError: true
      - bash: cat report.txt
        displayName: Report
        condition: failed()
  - job: lint
    steps:
      - script: npm run lint
";

#[test]
fn a_container_job_with_aliased_and_inline_services_maps_onto_the_job_model() {
    let pick = JobChoice {
        job: Some("unit".into()),
        ..JobChoice::default()
    };
    let job = load(PIPELINE, &pick).unwrap();
    assert_eq!(job.container.image.as_deref(), Some("node:20"));
    assert_eq!(
        job.container.environment["NODE_ENV"].as_deref(),
        Some("test")
    );
    assert_eq!(job.container.environment["MODE"].as_deref(), Some("ci"));
    assert_eq!(
        job.container.environment["TF_BUILD"].as_deref(),
        Some("True")
    );
    let pg = &job.project.services["postgres"];
    assert_eq!(pg.image.as_deref(), Some("postgres:16"));
    assert_eq!(pg.expose[0].port, 5432);
    assert_eq!(
        pg.healthcheck.as_ref().unwrap().test,
        HealthTest::Shell("pg_isready".into())
    );
    assert_eq!(
        job.project.services["redis"].image.as_deref(),
        Some("redis:7")
    );
    assert_eq!(job.timeout, Some(Duration::from_secs(20 * 60)));
    let names: Vec<&str> = job.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["NodeTool@0", "Test", "Report"]);
    assert_eq!(job.steps[0].when, StepWhen::Never);
    let test = &job.steps[1];
    assert!(test.run.contains("--mode ci in /workspace"), "{}", test.run);
    assert!(test.continue_on_error);
    assert_eq!(test.env["PGHOST"], "postgres");
    assert_eq!(job.steps[2].when, StepWhen::OnFailure);
    assert!(job
        .project
        .warnings
        .iter()
        .any(|w| w.contains("task NodeTool@0 is skipped")));
}

#[test]
fn the_pipeline_lists_its_jobs_and_says_what_it_cannot_run() {
    let err = load(PIPELINE, &JobChoice::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2 jobs (unit, lint); choose one with --job"),
        "{err}"
    );
    let lint = JobChoice {
        job: Some("lint".into()),
        ..JobChoice::default()
    };
    let err = load(PIPELINE, &lint).unwrap_err().to_string();
    assert!(
        err.contains("jobs.lint.pool") && err.contains("--image"),
        "{err}"
    );
    let single = "pool: {vmImage: ubuntu-latest}\ncontainer: alpine:3\nsteps:\n  - script: echo hi\n    condition: and(succeeded(), eq(variables.x, 'y'))\n";
    let err = load(single, &JobChoice::default()).unwrap_err().to_string();
    assert!(
        err.contains("jobs.job.steps[0].condition") && err.contains("sidepod understands"),
        "{err}"
    );
    let bad = "container: {image: alpine, network: host}\nsteps: [{script: 'true'}]\n";
    let err = load(bad, &JobChoice::default()).unwrap_err().to_string();
    assert!(
        err.contains("jobs.job.container.network") && err.contains("unknown key"),
        "{err}"
    );
}
