//! `sidepod doctor` on broken hosts, made with a podman wrapper that reports another
//! podman (old, cgroups v2 without delegation, vfs storage) and runs the real one for
//! everything else, and with a broken login session. Rootful and rootless.

#[macro_use]
mod common;

use common::podman::Project;

/// A `podman` that answers `info` as a podman 4.2 on cgroups v2 with only cpu and pids
/// delegated, vfs storage and pasta (not installed here) for rootless networking would,
/// and passes every other call to the real podman.
const WRAPPER: &str = r#"#!/bin/sh
if [ "$1" = info ]; then
    /usr/bin/podman "$@" | python3 -c '
import json, sys
info = json.load(sys.stdin)
info["version"]["Version"] = "4.2.0"
info["host"]["cgroupVersion"] = "v2"
info["host"]["cgroupControllers"] = ["cpu", "pids"]
info["store"]["graphDriverName"] = "vfs"
info["host"]["rootlessNetworkCmd"] = "pasta"
json.dump(info, sys.stdout)
'
    exit
fi
exec /usr/bin/podman "$@"
"#;

fn finding<'a>(doc: &'a serde_json::Value, topic: &str) -> Vec<&'a serde_json::Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["topic"] == topic)
        .collect()
}

/// Whether the first finding of TOPIC holds TEXT in its KEY (detail or fix).
fn says(doc: &serde_json::Value, topic: &str, key: &str, text: &str) -> bool {
    finding(doc, topic)
        .first()
        .and_then(|f| f[key].as_str())
        .is_some_and(|s| s.contains(text))
}

#[test]
fn doctor_names_an_old_podman_undelegated_cgroups_vfs_and_a_broken_session() {
    let host = host!();
    let p = Project::with_files(&host, "doctor", &[("podman", WRAPPER)]);
    let wrapper = p.dir.join("podman");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let wrapper = wrapper.to_str().unwrap();
    let rootless = host.rootless();
    let env = [("XDG_RUNTIME_DIR", "/nonexistent/run")];
    let out = p.sidepod_env(&["--podman", wrapper, "doctor", "--format", "json"], &env);
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect(&out.stdout);
    assert_eq!(doc["ready"], false, "{doc:#}");
    assert_eq!(doc["exit_code"], 4);

    let podman = finding(&doc, "podman");
    assert_eq!(podman[0]["level"], "problem", "{doc:#}");
    let detail = podman[0]["detail"].as_str().unwrap();
    assert!(
        detail.ends_with("version 4.2.0: sidepod needs podman 4.3 or newer"),
        "{detail}"
    );
    let fix = podman[0]["fix"].as_str().unwrap();
    assert!(
        fix.contains("apt-get install podman uidmap slirp4netns catatonit")
            && fix.contains("Fedora/RHEL: `dnf install podman`"),
        "{fix}"
    );

    let storage = finding(&doc, "storage");
    assert_eq!(storage[0]["level"], "note");
    assert!(
        storage[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("vfs: every container copies its whole image"),
        "{doc:#}"
    );

    let cgroups = finding(&doc, "cgroups");
    let session = finding(&doc, "session");
    if rootless {
        assert!(
            says(
                &doc,
                "cgroups",
                "detail",
                "the memory controller is not delegated"
            ),
            "{doc:#}"
        );
        assert_eq!(session[0]["level"], "problem", "{doc:#}");
        assert_eq!(
            session[0]["detail"],
            "XDG_RUNTIME_DIR=/nonexistent/run does not exist"
        );
        assert!(
            says(
                &doc,
                "session",
                "fix",
                "loginctl enable-linger sidepod-test"
            ),
            "{doc:#}"
        );
        // Podman itself cannot start containers then: the probes say why.
        assert!(
            says(
                &doc,
                "containers",
                "detail",
                "XDG_RUNTIME_DIR names a directory this user cannot write"
            ),
            "{doc:#}"
        );
        // The helper podman names is the one that must be there.
        assert_eq!(
            finding(&doc, "network")[0]["detail"],
            "podman networks rootless pods with pasta, which was not found"
        );
        assert!(
            says(&doc, "network", "fix", "apt-get install passt"),
            "{doc:#}"
        );
        assert_eq!(doc["problems"], 5, "{doc:#}");
    } else {
        // Root's podman is bound by neither a user's cgroups nor a login session.
        assert!(cgroups.is_empty() && session.is_empty(), "{doc:#}");
        assert_eq!(doc["problems"], 1, "{doc:#}");
    }

    // The table says the same, with the fix under its problem.
    let table = p.sidepod_env(&["--podman", wrapper, "doctor"], &env);
    assert_eq!(table.code, 4);
    assert!(
        table.stdout.contains("PROBLEM  podman      ")
            && table.stdout.contains("fix: upgrade podman (Debian/Ubuntu"),
        "{}",
        table.stdout
    );
    p.assert_nothing_left();
}
