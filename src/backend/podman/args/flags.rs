//! Every flag sidepod passes to podman is one that both podman 4.3 and podman 5 have.
//!
//! The flag lists are tests/fixtures/podman/flags-4.3.txt (podman 4.3.1's own `--help`)
//! and flags-5.txt (podman's man pages at v5.0.0 and v5.8.2, the flags both have), both
//! written by contrib/podman-flags.py. Each builder is run with every setting it knows,
//! and the source files that build argv are scanned, so a flag added without a case here
//! fails the test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use super::*;
use crate::backend::podman::tools::{events_args, passthrough_args};
use crate::backend::Passthrough;
use crate::model::{AddressPool, PortRange, Protocol, Ulimit};

/// Command (`pod rm`) to its flags; a trailing `=` marks one that takes a value.
type Table = BTreeMap<String, BTreeSet<String>>;

fn table(text: &str) -> Table {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(cmd, flags)| {
            let flags = flags.split_whitespace().map(str::to_string).collect();
            (cmd.to_string(), flags)
        })
        .collect()
}

struct Podmans {
    four: Table,
    five: Table,
}

impl Podmans {
    fn load() -> Podmans {
        Podmans {
            four: table(include_str!(
                "../../../../tests/fixtures/podman/flags-4.3.txt"
            )),
            five: table(include_str!(
                "../../../../tests/fixtures/podman/flags-5.txt"
            )),
        }
    }

    /// The flags of `argv` that either podman lacks, as `command: flag (podman N)`; the
    /// flags it passes go into `seen`. Flags end where the first operand (a name, an
    /// image, a command) starts.
    fn problems(&self, argv: &[String], seen: &mut BTreeSet<String>) -> Vec<String> {
        let two = argv.iter().take(2).cloned().collect::<Vec<_>>().join(" ");
        let (command, rest) = if self.four.contains_key(&two) {
            (two, &argv[2.min(argv.len())..])
        } else {
            (argv[0].clone(), &argv[1..])
        };
        if !(self.four.contains_key(&command) && self.five.contains_key(&command)) {
            return vec![format!("{command}: not a command in the flag lists")];
        }
        let mut problems = Vec::new();
        let mut words = rest.iter();
        while let Some(word) = words.next() {
            if !word.starts_with('-') || word.len() < 2 {
                break;
            }
            let (name, inline) = match word.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (word.as_str(), None),
            };
            seen.insert(name.to_string());
            // A global flag (`--runtime`) goes after the command as well.
            let has = |table: &Table, flag: &str| {
                [command.as_str(), "podman"]
                    .iter()
                    .any(|c| table.get(*c).is_some_and(|f| f.contains(flag)))
            };
            let takes_value = has(&self.four, &format!("{name}="));
            if !takes_value && !has(&self.four, name) {
                problems.push(format!("{command}: {name} (podman 4.3)"));
            }
            if !has(&self.five, name) {
                problems.push(format!("{command}: {name} (podman 5)"));
            }
            match inline {
                // A switch takes `=true` or `=false`, and nothing else.
                Some(v) if !takes_value && v != "true" && v != "false" => {
                    problems.push(format!("{command}: {name} is a switch (podman 4.3)"))
                }
                None if takes_value => drop(words.next()),
                _ => {}
            }
        }
        problems
    }
}

fn port(target: u16, published: Option<u16>, host_ip: Option<&str>, proto: Protocol) -> Port {
    Port {
        target,
        published: published.map(PortRange::single),
        host_ip: host_ip.map(str::to_string),
        protocol: proto,
    }
}

fn dns() -> Dns {
    Dns {
        servers: vec!["10.0.0.53".into()],
        search: vec!["corp.example".into()],
        options: vec!["ndots:2".into()],
    }
}

fn labels() -> BTreeMap<String, String> {
    [("io.sidepod.project".to_string(), "shop".to_string())].into()
}

fn hosts() -> Vec<HostEntry> {
    vec![HostEntry {
        host: "db".into(),
        ip: "127.0.0.1".into(),
    }]
}

fn runtime() -> RuntimeOptions {
    let one = |k: &str, v: &str| [(k.to_string(), v.to_string())].into();
    RuntimeOptions {
        memory: Some(1 << 29),
        memory_reservation: Some(1 << 20),
        memory_swap: Some(-1),
        cpus: Some("0.5".into()),
        cpu_shares: Some(512),
        cpuset: Some("0".into()),
        pids_limit: Some(100),
        security_opt: vec!["label=disable".into()],
        group_add: vec!["audio".into()],
        sysctls: one("net.core.somaxconn", "1024"),
        log_driver: Some("k8s-file".into()),
        log_options: one("max-size", "1m"),
        annotations: one("a", "b"),
        oom_score_adj: Some(-100),
        oom_kill_disable: true,
        platform: Some("linux/amd64".into()),
        ipc: Some("host".into()),
        pid: Some("host".into()),
        userns: Some("keep-id".into()),
        oci_runtime: Some("crun".into()),
        mac_address: Some("92:d0:c6:0a:29:33".into()),
    }
}

/// A container of a pod with every setting a container can have.
fn full_container() -> ContainerSpec {
    let mount = |source: &str, target: &str, options: &[&str]| MountSpec::Volume {
        source: source.into(),
        target: target.into(),
        options: options.iter().map(|o| o.to_string()).collect(),
    };
    ContainerSpec {
        name: "shop-db-1".into(),
        pod: "shop".into(),
        network: None,
        image: "postgres:16".into(),
        command: Some(vec!["postgres".into(), "-c".into(), "fsync=off".into()]),
        entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
        env: [("A".to_string(), "1".to_string())].into(),
        labels: labels(),
        mounts: vec![
            mount("shop_pg", "/var/lib/pg", &[]),
            mount("/src", "/src", &["ro", "z"]),
            MountSpec::Anonymous {
                target: "/cache".into(),
            },
            MountSpec::Content {
                text: "x".into(),
                target: "/etc/x".into(),
                mode: None,
            },
            MountSpec::Secret {
                name: "shop_key".into(),
                target: "/run/secrets/key".into(),
            },
            MountSpec::Image {
                image: "alpine".into(),
                subpath: None,
                target: "/alp".into(),
            },
            MountSpec::Tmpfs {
                target: "/run".into(),
                size: Some(1024),
                read_only: true,
            },
        ],
        tmpfs: vec!["/tmp".into()],
        working_dir: Some("/src".into()),
        user: Some("1000".into()),
        health: Some(HealthSpec {
            test: HealthTest::Cmd(vec!["pg_isready".into()]),
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
            retries: 5,
            start_period: Duration::ZERO,
        }),
        no_healthcheck: false,
        init: true,
        stop_signal: Some("SIGINT".into()),
        stop_timeout: Some(Duration::from_secs(3)),
        restart: RestartPolicy::OnFailure(Some(3)),
        cap_add: vec!["NET_ADMIN".into()],
        cap_drop: vec!["MKNOD".into()],
        privileged: true,
        devices: vec!["/dev/fuse".into()],
        read_only: true,
        shm_size: Some(1 << 26),
        ulimits: [(
            "nofile".to_string(),
            Ulimit {
                soft: 1024,
                hard: 2048,
            },
        )]
        .into(),
        tty: true,
        interactive: true,
        runtime: runtime(),
        volumes_from: vec!["shop-data-1:ro".into()],
    }
}

/// Containers of bridge mode: on networks with aliases, and in a network mode.
fn bridge_containers() -> Vec<ContainerSpec> {
    let attach = NetworkAttach {
        networks: vec!["shop_back".into(), "shop_front".into()],
        interfaces: [("shop_back".to_string(), vec!["ip=10.5.0.9".to_string()])].into(),
        aliases: vec!["web".into()],
        mode: None,
        ports: vec![port(80, Some(8080), None, Protocol::Tcp)],
        hostname: Some("web".into()),
        hosts: hosts(),
        dns: dns(),
    };
    let moded = NetworkAttach {
        mode: Some("host".into()),
        ..attach.clone()
    };
    [attach, moded]
        .into_iter()
        .map(|n| ContainerSpec {
            name: "shop-web-1".into(),
            image: "nginx".into(),
            network: Some(n),
            no_healthcheck: true,
            ..ContainerSpec::default()
        })
        .collect()
}

fn pods() -> Vec<PodSpec> {
    let pod = PodSpec {
        name: "shop".into(),
        hosts: hosts(),
        ports: vec![
            port(80, Some(8080), None, Protocol::Tcp),
            port(53, None, Some("127.0.0.1"), Protocol::Udp),
        ],
        network_mode: None,
        dns: dns(),
        labels: labels(),
        userns: Some("keep-id".into()),
    };
    let modes = [NetworkMode::Host, NetworkMode::None];
    let moded = modes.map(|m| PodSpec {
        network_mode: Some(m),
        ..pod.clone()
    });
    [pod].into_iter().chain(moded).collect()
}

fn build() -> BuildSpec {
    BuildSpec {
        context: "/src/app".into(),
        dockerfile: Some("Containerfile".into()),
        dockerfile_inline: None,
        tag: "localhost/shop-app".into(),
        tags: vec!["localhost/shop-app:1".into()],
        args: [("V".to_string(), "1".to_string())].into(),
        target: Some("test".into()),
        labels: labels(),
        no_cache: true,
        pull: true,
        platforms: vec!["linux/amd64".into()],
        secrets: vec![
            BuildSecret::File {
                id: "npm".into(),
                path: "/run/npmrc".into(),
            },
            BuildSecret::Env {
                id: "tok".into(),
                var: "TOKEN".into(),
            },
        ],
        ssh: vec!["default".into()],
        build_contexts: vec!["base=/src/base".into()],
        cache_from: vec!["localhost/cache".into()],
        cache_to: vec!["localhost/cache".into()],
        network: Some("host".into()),
        add_hosts: vec!["db:127.0.0.1".into()],
        shm_size: Some(1 << 26),
        ulimits: vec!["nofile=1024:2048".into()],
    }
}

fn network() -> NetworkSpec {
    NetworkSpec {
        name: "shop_back".into(),
        labels: labels(),
        internal: true,
        driver: Some("bridge".into()),
        options: [("mtu".to_string(), "1400".to_string())].into(),
        ipv6: true,
        ipam_driver: Some("host-local".into()),
        pools: vec![AddressPool {
            subnet: Some("10.5.0.0/24".into()),
            ip_range: Some("10.5.0.128/25".into()),
            gateway: Some("10.5.0.1".into()),
        }],
    }
}

fn passthroughs() -> Vec<Passthrough> {
    vec![
        Passthrough::Attach {
            container: "a".into(),
            no_stdin: true,
            sig_proxy: false,
            detach_keys: Some("ctrl-x".into()),
        },
        Passthrough::Stats {
            containers: vec!["a".into()],
            no_stream: true,
            json: true,
        },
        Passthrough::Export {
            container: "a".into(),
            output: Some("a.tar".into()),
        },
        Passthrough::Push {
            image: "localhost/a".into(),
            quiet: true,
        },
    ]
}

/// The argv of every builder, each with every setting it has.
fn every_argv() -> Vec<Vec<String>> {
    let names = vec!["shop-db-1".to_string()];
    let one_second = Some(Duration::from_secs(1));
    let mut all = Vec::new();
    for c in [full_container()].into_iter().chain(bridge_containers()) {
        all.extend([run_args(&c), create_args(&c), run_foreground_args(&c, true)]);
    }
    all.extend(pods().iter().map(pod_create_args));
    all.extend(passthroughs().iter().map(passthrough_args));
    let exec = ExecSpec {
        container: "shop-db-1".into(),
        command: vec!["psql".into(), "-c".into(), "select 1".into()],
        env: [("A".to_string(), "1".to_string())].into(),
        workdir: Some("/".into()),
        user: Some("postgres".into()),
        tty: true,
        interactive: true,
        privileged: true,
        detach: false,
    };
    let detached = ExecSpec {
        detach: true,
        ..exec.clone()
    };
    let volume = VolumeSpec {
        name: "shop_pg".into(),
        driver: Some("local".into()),
        driver_opts: [("type".to_string(), "tmpfs".to_string())].into(),
        labels: labels(),
    };
    let logs = LogOptions {
        follow: true,
        tail: Some(10),
        timestamps: true,
        since: Some("10m".into()),
        until: Some("1m".into()),
    };
    all.extend([
        exec_args(&exec),
        exec_args(&detached),
        build_args(&build()),
        network_create_args(&network()),
        network_remove_args(&names),
        volume_create_args(&volume),
        volume_remove_args(&names),
        logs_args(&names, &logs),
        logs_args(&["shop-db-1".into(), "shop-web-1".into()], &logs),
        stop_args(&names, one_second),
        stop_args(&names, None),
        start_args(&names),
        restart_args(&names, one_second),
        restart_args(&names, None),
        kill_args(&names, "SIGTERM"),
        pause_args(&names),
        unpause_args(&names),
        port_args("shop-db-1", 5432, "tcp"),
        top_args("shop-db-1"),
        pull_args("alpine"),
        pull_with_auth_args("alpine", Path::new("/run/auth.json")),
        healthcheck_args("shop-db-1"),
        remove_args(&names, true, None),
        remove_args(&names, true, Some(Duration::ZERO)),
        pod_start_args("shop"),
        pod_stop_args("shop", Duration::from_secs(1)),
        pod_remove_args("shop", Duration::from_secs(1)),
        inspect_args(&names),
        wait_args("shop-db-1"),
        image_id_args("alpine"),
        image_exposed_args("alpine"),
        image_remove_args(&names),
        copy_into_args("shop-db-1", Path::new("/src"), "/app"),
        exists_args("image", "alpine"),
        exists_args("volume", "shop_pg"),
        events_args("io.sidepod.project", "shop"),
        version_args(),
        external_ps_args(),
        info_args(),
        reclaim_args(Path::new("/src")),
        probe_run_args(Path::new("/tmp/root"), "/probe"),
    ]);
    for what in [
        &["ps", "--all"][..],
        &["pod", "ps"],
        &["volume", "ls"],
        &["network", "ls"],
    ] {
        all.push(list_args(what, "io.sidepod.project", "shop"));
    }
    all.extend(probe_pod_args("sidepod-doctor", 8080));
    all
}

/// The flags written as string literals in the files that build podman's argv.
fn flags_in_sources() -> BTreeSet<String> {
    let sources = [
        include_str!("mod.rs"),
        include_str!("queries.rs"),
        include_str!("../env.rs"),
        include_str!("../tools.rs"),
        include_str!("../probes.rs"),
        include_str!("../mod.rs"),
    ];
    let mut found = BTreeSet::new();
    for text in sources {
        for (at, _) in text.match_indices("\"-") {
            let rest = &text[at + 1..];
            let end = rest[1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .map_or(rest.len(), |i| i + 1);
            let name = &rest[..end];
            if name.len() > 1 && (name.starts_with("--") || name.len() == 2) {
                found.insert(name.to_string());
            }
        }
    }
    found
}

/// Not podman's: the flags of sidepod's own `__probe-http` helper, and of the `find` and
/// `chown` that `reclaim_args` runs, both under `podman unshare`.
const OTHERS_FLAGS: [&str; 7] = ["--pid", "--port", "--host", "--path", "--https", "-o", "-h"];

#[test]
fn every_flag_sidepod_passes_is_in_podman_4_3_and_podman_5() {
    let podmans = Podmans::load();
    let mut seen = BTreeSet::new();
    let problems: Vec<String> = every_argv()
        .iter()
        .flat_map(|argv| podmans.problems(argv, &mut seen))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let untested: Vec<String> = flags_in_sources()
        .into_iter()
        .filter(|f| !seen.contains(f) && !OTHERS_FLAGS.contains(&f.as_str()))
        .collect();
    assert!(
        untested.is_empty(),
        "flags without a case here: {untested:?}"
    );
}

#[test]
fn a_flag_missing_from_either_podman_or_misused_is_named() {
    let podmans = Podmans {
        four: table("podman: --runtime=\nrun: --detach -d --name= --rm\nrm: --force"),
        five: table("podman: --runtime\nrun: --detach -d --name --health-start-interval --rm"),
    };
    let argv = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    let mut seen = BTreeSet::new();
    assert_eq!(
        podmans.problems(
            &argv("run -d --name x --rm=false --runtime crun --health-start-interval=1s img"),
            &mut seen
        ),
        [
            "run: --health-start-interval (podman 4.3)",
            "run: --health-start-interval is a switch (podman 4.3)",
        ]
    );
    assert_eq!(
        podmans.problems(&argv("run --rm=yes -d img"), &mut seen),
        ["run: --rm is a switch (podman 4.3)"]
    );
    assert_eq!(
        podmans.problems(&argv("rm --force x"), &mut seen),
        ["rm: not a command in the flag lists"]
    );
    // Operands end the flags: the image's own `--rm` is not podman's.
    assert!(podmans
        .problems(&argv("run --name --x img --rm"), &mut seen)
        .is_empty());
    assert_eq!(
        podmans.problems(&argv("kube play x.yaml"), &mut seen),
        ["kube: not a command in the flag lists"]
    );
    let five_only = Podmans {
        four: table("podman:\nrun: --name="),
        five: table("podman:\nrun: --name --rm"),
    };
    assert_eq!(
        five_only.problems(&argv("run --rm img"), &mut seen),
        ["run: --rm (podman 4.3)"]
    );
}
