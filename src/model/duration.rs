//! Go-style durations (`1m30s`, `500ms`), as Compose writes them.
//! Kept by hand: Compose durations are Go's time.ParseDuration syntax (`1.5s`, `1h30m`,
//! `µs`, no spaces); humantime reads another one (spaces, no fractions).

use std::time::Duration;

/// Parses a Go duration string: a sequence of decimal numbers, each with a unit
/// (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`). `0` alone is allowed, as in Go.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.starts_with('-') {
        return Err(format!("invalid duration {text:?}: must not be negative"));
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let mut total_nanos: f64 = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        if number.is_empty() || number == "." {
            return Err(format!(
                "invalid duration {text:?}: expected a number, as in \"1m30s\""
            ));
        }
        let value: f64 = number
            .parse()
            .map_err(|_| format!("invalid duration {text:?}: bad number {number:?}"))?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let nanos_per_unit = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(format!(
                    "invalid duration {text:?}: missing unit (write it as {number}s, {number}ms, {number}m ...)"
                ))
            }
            other => {
                return Err(format!(
                    "invalid duration {text:?}: unknown unit {other:?} (use ns, us, ms, s, m or h)"
                ))
            }
        };
        total_nanos += value * nanos_per_unit;
        rest = next;
    }
    if !total_nanos.is_finite() || total_nanos > u64::MAX as f64 {
        return Err(format!("invalid duration {text:?}: too large"));
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

/// Formats a duration the way Go prints it (`1m30s`, `500ms`, `2h0m0s` is written `2h`).
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos % 1_000_000_000 != 0 {
        if nanos % 1_000_000 == 0 {
            if nanos < 1_000_000_000 {
                return format!("{}ms", nanos / 1_000_000);
            }
        } else if nanos % 1_000 == 0 && nanos < 1_000_000 {
            return format!("{}us", nanos / 1_000);
        } else if nanos < 1_000 {
            return format!("{nanos}ns");
        }
        if nanos < 60_000_000_000 {
            // Fractional seconds: 1.5s
            let secs = nanos as f64 / 1e9;
            return format!("{}s", trim_float(secs));
        }
    }
    let total_secs = d.as_secs();
    let (h, m, s) = (total_secs / 3600, (total_secs % 3600) / 60, total_secs % 60);
    let frac = nanos % 1_000_000_000;
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || frac > 0 {
        if frac > 0 {
            out.push_str(&format!("{}s", trim_float(s as f64 + frac as f64 / 1e9)));
        } else {
            out.push_str(&format!("{s}s"));
        }
    }
    out
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.9}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        let cases = [
            ("1s", Duration::from_secs(1)),
            ("1m30s", Duration::from_secs(90)),
            ("500ms", Duration::from_millis(500)),
            ("1.5s", Duration::from_millis(1500)),
            ("2h", Duration::from_secs(7200)),
            ("1h2m3s", Duration::from_secs(3723)),
            ("10us", Duration::from_micros(10)),
            ("0", Duration::ZERO),
            ("0s", Duration::ZERO),
        ];
        for (text, want) in cases {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn rejects_bad_durations_with_reasons() {
        let cases = [
            ("10", "missing unit"),
            ("5x", "unknown unit"),
            ("", "empty"),
            ("-1s", "negative"),
            ("s", "expected a number"),
            ("1..2s", "bad number"),
        ];
        for (text, phrase) in cases {
            let err = parse_duration(text).unwrap_err();
            assert!(err.contains(phrase), "{text}: {err}");
        }
    }

    #[test]
    fn formats_like_go_and_round_trips() {
        let cases = [
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_millis(500), "500ms"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_secs(7200), "2h"),
            (Duration::from_secs(3723), "1h2m3s"),
            (Duration::ZERO, "0s"),
        ];
        for (d, want) in cases {
            assert_eq!(format_duration(d), want);
            assert_eq!(parse_duration(want), Ok(d));
        }
    }
}
