//! `sidepod config` for a job file: the resolved job as YAML or JSON.

use serde_json::{json, Map, Value};

use crate::compose::{
    escape_dollars, insert_file_objects, insert_volumes, service_value, services_value, to_text,
    Format,
};
use crate::model::{format_duration, Job, StepWhen};

pub fn render_job(job: &Job, format: Format) -> String {
    let p = &job.project;
    let mut top = Map::new();
    top.insert("name".into(), json!(p.name));
    top.insert("container".into(), service_value(&job.container));
    top.insert("services".into(), services_value(p));
    insert_volumes(&mut top, p);
    insert_file_objects(&mut top, p);
    let mut top = Value::Object(top);
    // Step commands are shell text, never interpolated, so they are not escaped either.
    escape_dollars(&mut top);
    let steps: Vec<Value> = job
        .steps
        .iter()
        .map(|s| {
            let mut m = Map::new();
            m.insert("name".into(), json!(s.name));
            m.insert("run".into(), json!(s.run));
            if !s.env.is_empty() {
                let mut env = json!(s.env);
                escape_dollars(&mut env);
                m.insert("env".into(), env);
            }
            if let Some(t) = s.timeout {
                m.insert("timeout".into(), json!(format_duration(t)));
            }
            if let Some(w) = &s.working_dir {
                m.insert("working_dir".into(), json!(w));
            }
            let when = match s.when {
                StepWhen::OnSuccess => None,
                StepWhen::OnFailure => Some("on_failure"),
                StepWhen::Always => Some("always"),
                StepWhen::Never => Some("never"),
            };
            if let Some(w) = when {
                m.insert("when".into(), json!(w));
            }
            if s.continue_on_error {
                m.insert("continue_on_error".into(), json!(true));
            }
            if let Some(image) = &s.image {
                m.insert("image".into(), json!(image));
            }
            if let Some(policy) = s.pull {
                m.insert("pull_policy".into(), json!(policy.name()));
            }
            // Who the image is pulled as; the password is never shown.
            if let Some(auth) = &s.registry_auth {
                m.insert("registry_login".into(), json!(auth.username));
            }
            Value::Object(m)
        })
        .collect();
    if let Value::Object(m) = &mut top {
        m.insert("steps".into(), Value::Array(steps));
        for (key, value) in [
            ("timeout", job.timeout),
            ("ready_timeout", job.ready_timeout),
        ] {
            if let Some(d) = value {
                m.insert(key.into(), json!(format_duration(d)));
            }
        }
        if job.graceful_stop {
            m.insert("graceful_stop".into(), json!(true));
        }
    }
    to_text(&top, format)
}
