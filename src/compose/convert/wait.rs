//! Wait strategies (`x-sidepod-wait`, or `wait:` in a job file): one strategy as a
//! mapping, or a list of them that must all pass.

use std::time::Duration;

use serde_norway::Value;

use super::*;

const KINDS: [&str; 4] = ["port", "log", "http", "command"];

pub(super) fn wait_strategies(
    value: &Value,
    path: &str,
    ctx: &Context,
) -> Result<Vec<WaitStrategy>, LoadError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Mapping(_) => Ok(vec![strategy(value, path, ctx)?]),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| strategy(item, &format!("{path}[{i}]"), ctx))
            .collect(),
        _ => Err(ctx.err(
            path,
            "give a wait strategy (a mapping with one of port, log, http or command) or a \
             list of them, all of which must pass",
        )),
    }
}

/// A scalar as text: YAML reads `5432` as a number and `"5432"` (after interpolation) as
/// a string; both are meant.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number<T: std::str::FromStr>(
    v: &Value,
    path: &str,
    what: &str,
    ctx: &Context,
) -> Result<T, LoadError> {
    text(v)
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| ctx.err(path, format!("expected {what}, got {}", shown(v))))
}

fn shown(v: &Value) -> String {
    serde_norway::to_string(v)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn strategy(item: &Value, path: &str, ctx: &Context) -> Result<WaitStrategy, LoadError> {
    let Value::Mapping(m) = item else {
        return Err(ctx.err(
            path,
            "a wait strategy is a mapping with one of port, log, http or command",
        ));
    };
    let mut kinds = Vec::new();
    for key in m.keys() {
        let key = key.as_str().unwrap_or_default();
        let allowed =
            KINDS.contains(&key) || matches!(key, "timeout" | "interval" | "times" | "status");
        if !allowed {
            return Err(ctx.err(
                &format!("{path}.{key}"),
                "unknown key; a wait strategy has one of port, log, http or command, and \
                 may have timeout, interval, times (log) and status (http)",
            ));
        }
        if KINDS.contains(&key) {
            kinds.push(key);
        }
    }
    // `port` goes with `http:` when that is only a path.
    let http_path = m
        .get("http")
        .and_then(Value::as_str)
        .is_some_and(|h| h.starts_with('/'));
    if http_path {
        kinds.retain(|k| *k != "port");
    }
    let kind = match kinds.as_slice() {
        [one] => *one,
        [] => return Err(ctx.err(path, "give one of port, log, http or command")),
        many => {
            return Err(ctx.err(
                path,
                format!(
                    "one strategy per entry, and this one has {}; list them as separate \
                     entries, which must all pass",
                    many.join(" and ")
                ),
            ))
        }
    };
    let at = |k: &str| format!("{path}.{k}");
    let only_for = |key: &str, kind_of: &str| -> Result<(), LoadError> {
        if m.contains_key(key) && kind != kind_of {
            return Err(ctx.err(&at(key), format!("`{key}` goes only with `{kind_of}:`")));
        }
        Ok(())
    };
    only_for("times", "log")?;
    only_for("status", "http")?;
    let check = match kind {
        "port" => WaitCheck::Port(port(&m["port"], &at("port"), ctx)?),
        "log" => log(m, path, ctx)?,
        "http" => WaitCheck::Http(http(m, path, ctx)?),
        _ => WaitCheck::Command(wait_command(&m["command"], &at("command"), ctx)?),
    };
    let duration = |key: &str| -> Result<Option<Duration>, LoadError> {
        let Some(v) = m.get(key) else {
            return Ok(None);
        };
        let d = text(v)
            .ok_or_else(|| format!("expected a duration like 30s, got {}", shown(v)))
            .and_then(|t| parse_duration(&t))
            .map_err(|e| ctx.err(&at(key), e))?;
        if d.is_zero() {
            return Err(ctx.err(&at(key), "must be more than zero"));
        }
        Ok(Some(d))
    };
    Ok(WaitStrategy {
        check,
        timeout: duration("timeout")?,
        interval: duration("interval")?.unwrap_or(WaitStrategy::DEFAULT_INTERVAL),
    })
}

fn port(v: &Value, path: &str, ctx: &Context) -> Result<u16, LoadError> {
    let p: u16 = number(v, path, "a TCP port number (1-65535)", ctx)?;
    if p == 0 {
        return Err(ctx.err(path, "expected a TCP port number (1-65535), got 0"));
    }
    Ok(p)
}

fn log(m: &serde_norway::Mapping, path: &str, ctx: &Context) -> Result<WaitCheck, LoadError> {
    let at = |k: &str| format!("{path}.{k}");
    let pattern = m["log"].as_str().filter(|p| !p.is_empty()).ok_or_else(|| {
        ctx.err(
            &at("log"),
            "give the regular expression a log line must match",
        )
    })?;
    if let Err(e) = regex::Regex::new(pattern) {
        return Err(ctx.err(
            &at("log"),
            format!("not a regular expression: {}", one_line(&e.to_string())),
        ));
    }
    let times = match m.get("times") {
        None => 1,
        Some(v) => number::<u32>(v, &at("times"), "a whole number of at least 1", ctx)?,
    };
    if times == 0 {
        return Err(ctx.err(&at("times"), "expected a whole number of at least 1, got 0"));
    }
    Ok(WaitCheck::Log {
        pattern: pattern.to_string(),
        times,
    })
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `http: /health` with `port:`, or a URL (`http://localhost:8080/health`, `https://…`),
/// requested inside the pod: the host is only sent as the Host header.
fn http(m: &serde_norway::Mapping, path: &str, ctx: &Context) -> Result<HttpCheck, LoadError> {
    let at = |k: &str| format!("{path}.{k}");
    let spec = m["http"].as_str().unwrap_or_default();
    let status = match m.get("status") {
        None => 200,
        Some(v) => number::<u16>(v, &at("status"), "an HTTP status code like 200", ctx)?,
    };
    if !(100..=599).contains(&status) {
        return Err(ctx.err(
            &at("status"),
            format!("{status} is not an HTTP status code"),
        ));
    }
    if spec.starts_with('/') {
        let port = match m.get("port") {
            Some(v) => port(v, &at("port"), ctx)?,
            None => {
                return Err(ctx.err(
                    &at("port"),
                    "`http:` with only a path needs `port:` (or give a URL like \
                     http://localhost:8080/health)",
                ))
            }
        };
        return Ok(HttpCheck {
            https: false,
            port,
            path: spec.to_string(),
            host: "localhost".into(),
            status,
        });
    }
    let bad = || {
        ctx.err(
            &at("http"),
            format!(
                "expected a URL like http://localhost:8080/health (or a path with port:), \
                 got {spec:?}"
            ),
        )
    };
    let (https, rest) = if let Some(r) = spec.strip_prefix("http://") {
        (false, r)
    } else if let Some(r) = spec.strip_prefix("https://") {
        (true, r)
    } else {
        return Err(bad());
    };
    let (authority, path_part) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port_text) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, Some(p)),
        _ => (authority, None),
    };
    if host.is_empty() || authority.contains('@') {
        return Err(bad());
    }
    let port = match port_text {
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(bad()),
        },
        None if https => 443,
        None => 80,
    };
    Ok(HttpCheck {
        https,
        port,
        path: path_part.to_string(),
        host: host.to_string(),
        status,
    })
}

fn wait_command(v: &Value, path: &str, ctx: &Context) -> Result<HealthTest, LoadError> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Ok(HealthTest::Shell(s.clone())),
        Value::Sequence(items) if !items.is_empty() => items
            .iter()
            .map(|i| text(i).ok_or_else(|| ctx.err(path, "each argument is a string")))
            .collect::<Result<Vec<_>, _>>()
            .map(HealthTest::Cmd),
        _ => Err(ctx.err(
            path,
            "give the command as a string (run by sh -c) or a list (run as it is)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Vec<WaitStrategy>, LoadError> {
        let lookup = |_: &str| None;
        let ctx = Context {
            file: "compose.yaml",
            project_dir: Path::new("/p"),
            lookup: &lookup,
        };
        let value: Value = serde_norway::from_str(yaml).unwrap();
        wait_strategies(&value, "services.db.x-sidepod-wait", &ctx)
    }

    #[test]
    fn each_strategy_in_its_forms() {
        let all = parse(
            r#"
            - port: "5432"
              timeout: 30s
            - log: 'ready to accept connections'
              times: 2
            - http: /health
              port: 8080
            - http: https://db.local/status?x=1
              status: 204
              interval: 2s
            - command: pg_isready
            - command: [pg_isready, -U, app]
            "#,
        )
        .unwrap();
        assert_eq!(all[0].check, WaitCheck::Port(5432));
        assert_eq!(all[0].timeout, Some(Duration::from_secs(30)));
        assert_eq!(all[0].interval, WaitStrategy::DEFAULT_INTERVAL);
        assert_eq!(
            all[1].check,
            WaitCheck::Log {
                pattern: "ready to accept connections".into(),
                times: 2
            }
        );
        let http = |i: usize| match &all[i].check {
            WaitCheck::Http(h) => h.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            (
                http(2).https,
                http(2).port,
                http(2).path.as_str(),
                http(2).status
            ),
            (false, 8080, "/health", 200)
        );
        assert_eq!(
            (
                http(3).https,
                http(3).port,
                http(3).host.as_str(),
                http(3).path.as_str()
            ),
            (true, 443, "db.local", "/status?x=1")
        );
        assert_eq!(http(3).status, 204);
        assert_eq!(all[3].interval, Duration::from_secs(2));
        assert_eq!(
            all[4].check,
            WaitCheck::Command(HealthTest::Shell("pg_isready".into()))
        );
        assert_eq!(
            all[5].check,
            WaitCheck::Command(HealthTest::Cmd(vec![
                "pg_isready".into(),
                "-U".into(),
                "app".into()
            ]))
        );
        // One mapping is one strategy.
        assert_eq!(parse("port: 80").unwrap().len(), 1);
        let url = parse("http: 'http://localhost:9000'").unwrap();
        assert!(matches!(&url[0].check, WaitCheck::Http(h) if h.port == 9000 && h.path == "/"));
    }
}
