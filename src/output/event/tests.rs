//! Every event's plain and JSON forms, and the JSON against the documented schema.

use super::*;

/// Every kind of event, as the engine makes them.
fn one_of_each() -> Vec<Event> {
    let report = JobReport {
        project: "ci".into(),
        result: "step_failed",
        description: "failed".into(),
        exit_code: 3,
        seconds: 2.0,
        steps: vec![
            StepRow {
                name: "a".into(),
                status: StepStatus::Failed(3),
                seconds: 1.0,
            },
            StepRow {
                name: "b".into(),
                status: StepStatus::NotRun,
                seconds: 0.0,
            },
        ],
        sidecars: vec![SidecarRow {
            service: "db".into(),
            ready: Readiness::Healthy,
            seconds: 0.5,
        }],
    };
    let step = |status| Event::Step {
        index: 1,
        total: 2,
        name: "a".into(),
        status,
        seconds: 0.25,
    };
    let mut events: Vec<Event> = [
        Resource::Created,
        Resource::Recreating("why".into()),
        Resource::Exited(1),
        Resource::Killed("SIGKILL".into()),
        Resource::Restarted(None),
        Resource::Restarted(Some("db was recreated".into())),
        Resource::RemovedOrphan,
    ]
    .into_iter()
    .map(|state| Event::container("p-a-1", state))
    .collect();
    events.extend([
        Event::resource(ResourceKind::Pod, "p", Resource::Removed),
        Event::resource(ResourceKind::Volume, "p_data", Resource::Created),
        Event::resource(ResourceKind::Image, "img", Resource::Pulling),
        Event::Exited {
            container: "a-1".into(),
            code: 0,
        },
        Event::RestartedByPolicy {
            container: "a-1".into(),
            policy: "always".into(),
            restart: 2,
        },
        step(StepStatus::Started),
        step(StepStatus::Passed),
        step(StepStatus::Failed(2)),
        step(StepStatus::TimedOut),
        step(StepStatus::Stopped),
        Event::SidecarReady {
            service: "db".into(),
            ready: Readiness::PortsOpen,
            seconds: 1.0,
        },
        Event::SidecarFinished {
            service: "db".into(),
            code: 0,
        },
        Event::SidecarReport {
            container: "p-db-1".into(),
            log: vec!["ready".into()],
            health: Some(HealthReport {
                status: "unhealthy".into(),
                failing_streak: 3,
                log: vec![(1, "no".into())],
            }),
        },
        Event::Job(report),
        Event::Kept {
            project: "p".into(),
            main: "p-main-1".into(),
        },
        Event::Watch {
            service: "web".into(),
            action: "sync".into(),
            files: 2,
        },
        Event::Notice("n".into()),
        Event::Warning("w".into()),
        Event::Error("error: e".into()),
    ]);
    events
}

#[test]
fn a_watch_event_says_what_and_how_many_files() {
    let sync = Event::Watch {
        service: "web".into(),
        action: "sync".into(),
        files: 2,
    };
    assert_eq!(sync.plain(), "Syncing service web after 2 changed files");
    let rebuild = Event::Watch {
        service: "api".into(),
        action: "rebuild".into(),
        files: 1,
    };
    assert_eq!(
        rebuild.plain(),
        "Rebuilding service api after 1 changed file"
    );
    assert_eq!(
        rebuild.json(),
        json!({"type": "watch", "service": "api", "action": "rebuild", "files": 1})
    );
}

#[test]
fn every_event_matches_the_documented_schema() {
    let schema: Value =
        serde_json::from_str(include_str!("../../../docs/events.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for event in one_of_each() {
        let json = event.json();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{json} does not match: {errors:?}");
    }
    // And the schema can fail: a resource event without its status.
    assert!(!validator.is_valid(&json!({"type": "container", "id": "Container x", "name": "x"})));
}

#[test]
fn resource_events_read_as_compose_writes_them() {
    let cases = [
        (
            Event::container("shop-db-1", Resource::Started),
            "Container shop-db-1  Started",
            json!({"type": "container", "id": "Container shop-db-1", "name": "shop-db-1",
                   "status": "Started"}),
        ),
        (
            Event::container("shop-db-1", Resource::Killed("SIGTERM".into())),
            "Container shop-db-1  Killed (SIGTERM)",
            json!({"type": "container", "id": "Container shop-db-1", "name": "shop-db-1",
                   "status": "Killed", "detail": "SIGTERM"}),
        ),
        (
            Event::container("shop-db-1", Resource::Exited(3)),
            "Container shop-db-1  Exited (3)",
            json!({"type": "container", "id": "Container shop-db-1", "name": "shop-db-1",
                   "status": "Exited", "exit_code": 3}),
        ),
        (
            Event::resource(ResourceKind::Pod, "shop", Resource::Removed),
            "Pod shop  Removed",
            json!({"type": "pod", "id": "Pod shop", "name": "shop", "status": "Removed"}),
        ),
    ];
    for (event, plain, json) in cases {
        assert_eq!(event.plain(), plain);
        assert_eq!(event.json(), json);
    }
}

#[test]
fn steps_and_the_summary_are_fields_not_text() {
    let failed = Event::Step {
        index: 2,
        total: 3,
        name: "Test".into(),
        status: StepStatus::Failed(3),
        seconds: 1.25,
    };
    assert_eq!(
        failed.plain(),
        "\u{2718} Test failed with exit code 3 in 1.2s"
    );
    assert_eq!(failed.json()["exit_code"], 3);
    let report = JobReport {
        project: "ci".into(),
        result: "step_failed",
        description: "failed: step \"Test\" exited with code 3".into(),
        exit_code: 3,
        seconds: 2.0,
        steps: vec![StepRow {
            name: "Test".into(),
            status: StepStatus::Failed(3),
            seconds: 1.0,
        }],
        sidecars: vec![SidecarRow {
            service: "db".into(),
            ready: Readiness::Healthy,
            seconds: 0.5,
        }],
    };
    assert_eq!(
        Event::Job(report.clone()).plain(),
        "Job ci: failed: step \"Test\" exited with code 3 in 2.0s\n\
         \x20 STEP     RESULT           TIME\n\
         \x20 Test     failed (exit 3)  1.0s\n\
         \x20 SIDECAR  READY            AFTER\n\
         \x20 db       healthy          0.5s"
    );
    let json = Event::Job(report).json();
    assert_eq!(json["steps"][0]["status"], "failed");
    assert_eq!(json["sidecars"][0]["service"], "db");
}
