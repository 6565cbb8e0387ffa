//! Real podman, bridge mode: stacks one pod cannot hold run on the project's podman
//! networks, each service in its own network namespace, names resolved by podman's
//! network DNS. Rootful, or rootless with SIDEPOD_TEST_MODE=rootless.

#[macro_use]
mod common;

use common::podman::{free_port, http_get, Project, BUSYBOX};

/// A busybox web server on `port` that answers with its own hostname.
/// A script that fetches `url`, tried a few times: on a loaded host, podman's DNS server
/// for a new network can take its time to answer the first lookups.
fn fetch_retried(url: &str) -> String {
    format!("for i in 1 2 3 4; do timeout 5 wget -qO- {url} && exit 0; sleep 1; done; exit 1")
}

fn server(port: u16) -> String {
    format!(
        "[\"sh\", \"-c\", \"mkdir -p /www && hostname > /www/index.html && exec httpd -f -p {port} -h /www\"]"
    )
}

#[test]
fn two_replicas_of_one_port_run_behind_a_proxy_that_reaches_each_by_name() {
    let host = host!();
    let port = free_port();
    // The proxy passes each request on to the service `web` (a CGI script of busybox
    // httpd), as nginx does in front of replicas.
    let compose = format!(
        "services:
  web:
    image: {BUSYBOX}
    command: {web}
    expose: [\"5000\"]
    deploy:
      replicas: 2
  proxy:
    image: {BUSYBOX}
    command: [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]
    volumes: [\"./pass:/www/cgi-bin/pass:ro\"]
    ports: [\"127.0.0.1:{port}:80\"]
    depends_on: [web]
",
        web = server(5000)
    );
    let p = Project::with_files(&host, "replicas", &[("compose.yaml", &compose)]);
    p.write(
        "pass",
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nwget -qO- http://web:5000/\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p.dir.join("pass"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let up = p.sidepod(&["up", "-d"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert!(
        up.stderr
            .contains("Bridge mode: service \"web\" has 2 replicas of container port 5000"),
        "the notice says why: {}",
        up.stderr
    );
    assert!(
        up.stderr
            .contains(&format!("Network {}_default  Created", p.name)),
        "{}",
        up.stderr
    );
    // Through the proxy on the host, a replica answers with its hostname.
    let answer = http_get(port, "/cgi-bin/pass");
    assert!(!answer.trim().is_empty(), "{answer:?}");
    // Each replica has a namespace of its own, both on port 5000, both under `web`.
    let mut hostnames = Vec::new();
    for n in 1..=2 {
        let out = p.sidepod(&[
            "exec",
            "proxy",
            "wget",
            "-qO-",
            &format!("http://{}-web-{n}:5000/", p.name),
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        hostnames.push(out.stdout.trim().to_string());
    }
    assert_ne!(hostnames[0], hostnames[1], "two replicas answer");
    assert!(
        hostnames.contains(&answer.trim().to_string()),
        "{answer:?} is one of {hostnames:?}"
    );
    let lookup = p.sidepod(&["exec", "proxy", "nslookup", "web"]);
    assert_eq!(lookup.code, 0, "{}", lookup.stderr);
    assert!(
        lookup.stdout.matches("Address").count() >= 3,
        "web names both replicas: {}",
        lookup.stdout
    );
    let ps = p.sidepod(&["ps"]);
    assert_eq!(ps.code, 0, "{}", ps.stderr);
    assert_eq!(ps.stdout.matches("running").count(), 3, "{}", ps.stdout);
    // Again: nothing changes.
    let again = p.sidepod(&["up", "-d"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(!again.stderr.contains("Created"), "{}", again.stderr);
    let down = p.sidepod(&["down"]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert!(
        down.stderr
            .contains(&format!("Network {}_default  Removed", p.name)),
        "{}",
        down.stderr
    );
    p.assert_nothing_left();
}

#[test]
fn services_on_networks_that_share_nothing_cannot_reach_each_other() {
    let host = host!();
    let compose = format!(
        "services:
  front:
    image: {BUSYBOX}
    command: {s}
    networks: [public]
  back:
    image: {BUSYBOX}
    command: {s}
    networks: [private]
  api:
    image: {BUSYBOX}
    command: {s}
    networks: [public, private]
networks:
  public: {{}}
  private:
    internal: true
",
        s = server(8080)
    );
    let p = Project::with_files(&host, "isolated", &[("compose.yaml", &compose)]);
    let up = p.sidepod(&["up", "-d"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert!(
        up.stderr.contains("are on separate networks"),
        "{}",
        up.stderr
    );
    let get = |from: &str, to: &str| {
        p.sidepod(&[
            "exec",
            from,
            "timeout",
            "5",
            "wget",
            "-qO-",
            &format!("http://{to}:8080/"),
        ])
    };
    // api is on both networks and reaches both; front and back cannot reach each other.
    for (from, to) in [
        ("api", "front"),
        ("api", "back"),
        ("front", "api"),
        ("back", "api"),
    ] {
        let fetch = fetch_retried(&format!("http://{to}:8080/"));
        let out = p.sidepod(&["exec", from, "sh", "-c", &fetch]);
        assert_eq!(out.code, 0, "{from} -> {to}: {}", out.stderr);
    }
    for (from, to) in [("front", "back"), ("back", "front")] {
        let out = get(from, to);
        assert_ne!(out.code, 0, "{from} reached {to}: {}", out.stdout);
    }
    let mut networks = p.networks();
    networks.sort();
    assert_eq!(
        networks,
        [format!("{}_private", p.name), format!("{}_public", p.name)]
    );
    // A one-off container joins its service's networks.
    let fetch = fetch_retried("http://api:8080/");
    let run = p.sidepod(&["run", "--rm", "front", "sh", "-c", &fetch]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.trim().is_empty(), "{}", run.stdout);
    let logs = p.sidepod(&["logs", "api"]);
    assert_eq!(logs.code, 0, "{}", logs.stderr);
    // `down -p NAME` without the files finds the networks by their labels, as after a
    // crash.
    let elsewhere = tempfile::tempdir().unwrap();
    let down = p.host.run(
        env!("CARGO_BIN_EXE_sidepod"),
        &["-p", &p.name, "down"],
        elsewhere.path(),
        &[],
    );
    assert_eq!(down.code, 0, "{}", down.stderr);
    p.assert_nothing_left();
}

#[test]
fn a_job_whose_sidecars_share_a_port_runs_in_bridge_mode_and_leaves_nothing() {
    let host = host!();
    let job = format!(
        "container:
  image: {BUSYBOX}
services:
  primary:
    image: {BUSYBOX}
    command: {s}
    expose: [\"6000\"]
  replica:
    image: {BUSYBOX}
    command: {s}
    expose: [\"6000\"]
steps:
  - name: both
    run: test \"$(wget -qO- http://primary:6000/)\" != \"$(wget -qO- http://replica:6000/)\"
",
        s = server(6000)
    );
    let p = Project::with_files(&host, "bridgejob", &[("sidepod.yaml", &job)]);
    let out = p.sidepod(&["job"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("Bridge mode:"), "{}", out.stderr);
    assert!(out.stderr.contains("✔ both passed"), "{}", out.stderr);
    p.assert_nothing_left();
    // The file chooses the pod: then the clash is refused, and nothing is created.
    p.write(
        "sidepod.yaml",
        &format!("x-sidepod: {{network: pod}}\n{job}"),
    );
    let out = p.sidepod(&["job"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("both declare container port 6000"),
        "{}",
        out.stderr
    );
    p.assert_nothing_left();
}

#[test]
fn a_network_with_its_own_subnet_gives_a_service_its_address_mac_and_interface() {
    let host = host!();
    let third = std::process::id() % 250 + 1;
    let compose = format!(
        "services:
  web:
    image: {BUSYBOX}
    command: {s}
    networks:
      back:
        ipv4_address: 10.213.{third}.9
        mac_address: 02:42:ac:11:65:44
        interface_name: eth3
  db:
    image: {BUSYBOX}
    command: [sleep, '300']
    networks: [back]
networks:
  back:
    driver_opts: {{mtu: '1400'}}
    ipam:
      config:
        - subnet: 10.213.{third}.0/24
          gateway: 10.213.{third}.1
",
        s = server(8080)
    );
    let p = Project::with_files(&host, "static", &[("compose.yaml", &compose)]);
    let up = p.sidepod(&["up", "-d"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert!(
        up.stderr.contains("networks.back.ipv4_address"),
        "the notice says why: {}",
        up.stderr
    );
    let addr = p.sidepod(&["exec", "web", "ip", "addr", "show", "eth3"]);
    assert_eq!(addr.code, 0, "{}", addr.stderr);
    assert!(
        addr.stdout.contains(&format!("inet 10.213.{third}.9/24"))
            && addr.stdout.contains("link/ether 02:42:ac:11:65:44")
            && addr.stdout.contains("mtu 1400"),
        "{}",
        addr.stdout
    );
    let route = p.sidepod(&["exec", "db", "ip", "route"]);
    assert!(
        route
            .stdout
            .contains(&format!("default via 10.213.{third}.1")),
        "{}",
        route.stdout
    );
    let fetch = fetch_retried("http://web:8080/");
    let get = p.sidepod(&["exec", "db", "sh", "-c", &fetch]);
    assert_eq!(get.code, 0, "db reaches web by name: {}", get.stderr);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}
