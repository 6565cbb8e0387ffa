//! Conversion of the short syntaxes and values.

use super::*;

fn ports(spec: &str) -> Result<Vec<Port>, String> {
    port(PortEntry::Short(spec.to_string()))
}

#[test]
fn short_port_syntax() {
    let p = ports("8080:80").unwrap();
    assert_eq!(p[0].target, 80);
    assert_eq!(p[0].published, Some(PortRange::single(8080)));
    let p = ports("127.0.0.1::5000/udp").unwrap();
    assert_eq!(
        (p[0].host_ip.as_deref(), p[0].published, p[0].protocol),
        (Some("127.0.0.1"), None, Protocol::Udp)
    );
    let p = ports("[::1]:8080:80").unwrap();
    assert_eq!(p[0].host_ip.as_deref(), Some("::1"));
    let p = ports("9090-9091:8080-8081").unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(
        (p[1].target, p[1].published),
        (8081, Some(PortRange::single(9091)))
    );
    let p = ports("3000").unwrap();
    assert_eq!((p[0].target, p[0].published), (3000, None));
    let p = ports("8000-8010:80").unwrap();
    assert_eq!(
        p[0].published,
        Some(PortRange {
            start: 8000,
            end: 8010
        })
    );
}

#[test]
fn bad_ports() {
    for (spec, phrase) in [
        ("80:abc", "invalid port"),
        ("0", "from 1 to 65535"),
        ("70000", "from 1 to 65535"),
        ("1:2:3:4", "write [HOST_IP:]"),
        ("80/xyz", "unknown protocol"),
        ("90-80", "backwards"),
        ("9000-9002:80-81", "differ in length"),
    ] {
        let e = ports(spec).unwrap_err();
        assert!(e.contains(phrase), "{spec}: {e}");
    }
}

#[test]
fn byte_sizes() {
    assert_eq!(parse_bytes("64m"), Ok(64 << 20));
    assert_eq!(parse_bytes("1g"), Ok(1 << 30));
    assert_eq!(parse_bytes("512"), Ok(512));
    assert_eq!(parse_bytes("2kb"), Ok(2048));
    assert!(parse_bytes("lots").is_err());
    assert!(parse_bytes("5q").is_err());
}

#[test]
fn restart_policies() {
    assert_eq!(
        restart_policy("on-failure:3"),
        Ok(RestartPolicy::OnFailure(Some(3)))
    );
    assert_eq!(restart_policy("always"), Ok(RestartPolicy::Always));
    assert!(restart_policy("sometimes").is_err());
    assert!(restart_policy("on-failure:x").is_err());
}

#[test]
fn signals() {
    for ok in ["SIGTERM", "TERM", "sigint", "9", "SIGRTMIN+3"] {
        assert!(check_signal(ok).is_ok(), "{ok}");
    }
    assert!(check_signal("SIGNOPE").is_err());
}

#[test]
fn paths_are_cleaned() {
    assert_eq!(clean_path(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
}
