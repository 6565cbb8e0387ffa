//! The podman commands that take the terminal (`attach`, `stats`, `export`, `push`),
//! and the project's event stream, read from `podman events --format json`.

use std::collections::BTreeMap;

use serde_json::Value;
use tokio::sync::mpsc;

use super::process::Process;
use crate::backend::{BackendError, ContainerEvent, LogLine, LogOptions, Passthrough};

/// The argv of a passthrough command, with flags both podman 4.3 and 5 have.
pub fn passthrough_args(what: &Passthrough) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    match what {
        Passthrough::Attach {
            container,
            no_stdin,
            sig_proxy,
            detach_keys,
        } => {
            args.push("attach".into());
            if *no_stdin {
                args.push("--no-stdin".into());
            }
            args.push(format!("--sig-proxy={sig_proxy}"));
            if let Some(keys) = detach_keys {
                args.push(format!("--detach-keys={keys}"));
            }
            args.push(container.clone());
        }
        Passthrough::Stats {
            containers,
            no_stream,
            json,
        } => {
            args.push("stats".into());
            if *no_stream {
                args.push("--no-stream".into());
            }
            if *json {
                args.extend(["--format".into(), "json".into()]);
            }
            args.extend(containers.iter().cloned());
        }
        Passthrough::Export { container, output } => {
            args.push("export".into());
            if let Some(path) = output {
                args.extend(["--output".into(), path.display().to_string()]);
            }
            args.push(container.clone());
        }
        Passthrough::Push { image, quiet } => {
            args.push("push".into());
            if *quiet {
                args.push("--quiet".into());
            }
            args.push(image.clone());
        }
    }
    args
}

pub fn events_args(label: &str, value: &str) -> Vec<String> {
    [
        "events",
        "--format",
        "json",
        "--filter",
        "type=container",
        "--filter",
        &format!("label={label}={value}"),
    ]
    .map(String::from)
    .to_vec()
}

/// Follows the events, parsed, into `sink`, until podman ends or `sink` is closed.
pub async fn events(
    process: &Process,
    label: &str,
    value: &str,
    sink: mpsc::Sender<ContainerEvent>,
) -> Result<(), BackendError> {
    let (tx, mut rx) = mpsc::channel::<LogLine>(64);
    let args = events_args(label, value);
    let follow = process.stream(&args, "events", tx);
    let forward = async {
        while let Some(line) = rx.recv().await {
            if let Some(event) = parse_event(&line.text) {
                if sink.send(event).await.is_err() {
                    return;
                }
            }
        }
    };
    let (status, ()) = tokio::join!(follow, forward);
    ended(&args, status?)
}

/// `podman logs --names` of several containers: each line comes as `NAME TEXT` (stdout's
/// on stdout, stderr's on stderr) and is sent as `TEXT` from `NAME`. Lines that start
/// with no name asked for are podman's own (warnings), not a container's, and are left
/// out.
pub async fn logs_many(
    process: &Process,
    names: &[String],
    opts: &LogOptions,
    sink: mpsc::Sender<LogLine>,
) -> Result<(), BackendError> {
    let (tx, mut rx) = mpsc::channel::<LogLine>(256);
    let args = super::args::logs_args(names, opts);
    let follow = process.stream(&args, "logs", tx);
    let forward = async {
        while let Some(mut line) = rx.recv().await {
            let Some((name, text)) = named_line(&line.text, names) else {
                continue;
            };
            (line.container, line.text) = (name.to_string(), text.to_string());
            if sink.send(line).await.is_err() {
                return;
            }
        }
    };
    let (status, ()) = tokio::join!(follow, forward);
    ended(&args, status?)
}

/// A streamed podman call's exit code as a result (its stderr went to the sink).
fn ended(args: &[String], code: i64) -> Result<(), BackendError> {
    match code {
        0 => Ok(()),
        code => Err(BackendError::Command {
            argv: super::process::argv(args),
            status: i32::try_from(code).ok(),
            stderr: String::new(),
        }),
    }
}

/// `NAME TEXT` of one of `names`: the name and the text.
fn named_line<'a>(line: &'a str, names: &[String]) -> Option<(&'a str, &'a str)> {
    let (name, text) = line.split_once(' ')?;
    names.iter().any(|n| n == name).then_some((name, text))
}

/// One event of `podman events --format json`: podman 4 writes `Time` as RFC 3339,
/// podman 5 `time` and `timeNano` as integers (read as RFC 3339 too); unknown fields are
/// ignored, and a line that is not an event (a warning) is none.
pub fn parse_event(line: &str) -> Option<ContainerEvent> {
    let v: Value = serde_json::from_str(line.trim()).ok()?;
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let action = text("Status");
    if action.is_empty() {
        return None;
    }
    let attributes: BTreeMap<String, String> = v
        .get("Attributes")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), String::from),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let time = match (text("Time"), v.get("timeNano").and_then(Value::as_i64)) {
        (stamp, _) if !stamp.is_empty() => stamp,
        (_, Some(nanos)) => super::json::rfc3339(nanos),
        _ => v
            .get("time")
            .and_then(Value::as_i64)
            .map(|secs| super::json::rfc3339(secs.saturating_mul(1_000_000_000)))
            .unwrap_or_default(),
    };
    Some(ContainerEvent {
        time,
        action,
        id: text("ID"),
        name: text("Name"),
        image: text("Image"),
        attributes,
        exit_code: v.get("ContainerExitCode").and_then(Value::as_i64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of a fixture, each of which must be an event.
    fn events(lines: &str) -> Vec<ContainerEvent> {
        lines.lines().map(|l| parse_event(l).expect(l)).collect()
    }

    #[test]
    fn events_of_podman_4_and_5_parse_and_other_lines_do_not() {
        let four = events(include_str!(
            "../../../tests/fixtures/podman/4.3-events.jsonl"
        ));
        assert_eq!(four[0].action, "start");
        assert_eq!(four[0].name, "sp-attachflags-2973-0-quiet-1");
        assert_eq!(four[0].time, "2026-12-03T13:06:48.808298084Z");
        assert_eq!(four[0].attributes["com.docker.compose.service"], "quiet");
        assert_eq!(four[1].action, "died");
        // A 0 is left out; another code is there.
        assert_eq!(four[1].exit_code, None);
        assert_eq!(
            (four[2].action.as_str(), four[2].exit_code),
            ("died", Some(3))
        );
        let five = events(include_str!(
            "../../../tests/fixtures/podman/5-events.jsonl"
        ));
        assert_eq!(five[0].action, "start");
        assert_eq!(five[0].time, "2026-12-03T07:00:00.812373951Z");
        assert_eq!(five[0].attributes["com.docker.compose.service"], "cache");
        assert_eq!(five[1].action, "health_status");
        assert_eq!(
            (five[2].action.as_str(), five[2].name.as_str()),
            ("died", "shop-seed-1")
        );
        assert_eq!(five[2].exit_code, Some(3));
        assert_eq!(five[2].time, "2026-12-03T07:01:00.250000000Z");
        // Only `time`, in seconds: still a time.
        let secs = parse_event(r#"{"Status":"start","time":1796281200,"Type":"container"}"#);
        assert_eq!(secs.unwrap().time, "2026-12-03T07:00:00Z");
        assert_eq!(parse_event("time=... level=warning msg=\"x\""), None);
        assert_eq!(parse_event("{}"), None);
    }

    #[test]
    fn a_named_log_line_splits_at_the_first_space_and_a_warning_is_not_one() {
        let names = ["shop-db-1".to_string(), "shop-web-1".to_string()];
        assert_eq!(
            named_line("shop-web-1 GET / 200 ", &names),
            Some(("shop-web-1", "GET / 200 "))
        );
        assert_eq!(named_line("shop-db-1 ", &names), Some(("shop-db-1", "")));
        assert_eq!(
            named_line("shop-db-1 2026-12-04T03:21:08.26Z ready", &names),
            Some(("shop-db-1", "2026-12-04T03:21:08.26Z ready"))
        );
        let warning = r#"time="2026-12-04T03:20:57Z" level=warning msg="not a shared mount""#;
        assert_eq!(named_line(warning, &names), None);
        assert_eq!(named_line("shop-db-1", &names), None);
    }

    #[test]
    fn passthrough_argv_uses_flags_of_podman_4_and_5() {
        let stats = Passthrough::Stats {
            containers: vec!["a".into()],
            no_stream: true,
            json: true,
        };
        assert_eq!(
            passthrough_args(&stats).join(" "),
            "stats --no-stream --format json a"
        );
        let attach = Passthrough::Attach {
            container: "a".into(),
            no_stdin: true,
            sig_proxy: false,
            detach_keys: None,
        };
        assert_eq!(
            passthrough_args(&attach).join(" "),
            "attach --no-stdin --sig-proxy=false a"
        );
        let export = Passthrough::Export {
            container: "a".into(),
            output: Some("x.tar".into()),
        };
        assert_eq!(
            passthrough_args(&export).join(" "),
            "export --output x.tar a"
        );
    }
}
