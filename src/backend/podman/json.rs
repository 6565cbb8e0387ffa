//! podman's JSON, read defensively: podman 4.x and 5.x differ, so every field is
//! optional, and what sidepod needs is taken into backend types here.

use std::collections::BTreeMap;

use serde::Deserialize;

use std::time::Duration;

use crate::backend::{ContainerInfo, ContainerState, HealthLogEntry, HealthState};
use crate::model::{HealthTest, Healthcheck};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PsEntry {
    #[serde(rename = "Id")]
    pub(super) id: String,
    #[serde(rename = "Names")]
    pub(super) names: Vec<String>,
    #[serde(rename = "Labels")]
    pub(super) labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "State")]
    pub(super) state: String,
    #[serde(rename = "Status")]
    pub(super) status: String,
    #[serde(rename = "ExitCode")]
    pub(super) exit_code: i64,
    #[serde(rename = "IsInfra")]
    pub(super) is_infra: bool,
    #[serde(rename = "Image")]
    pub(super) image: String,
    #[serde(rename = "Ports")]
    pub(super) ports: Option<Vec<PsPort>>,
    /// Restarts by the restart policy: podman 5 only.
    #[serde(rename = "Restarts")]
    pub(super) restarts: u32,
    /// Its main process on the host, while it runs (0 when not).
    #[serde(rename = "Pid")]
    pub(super) pid: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PsPort {
    host_ip: String,
    container_port: u32,
    host_port: u32,
    range: u32,
    protocol: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct InspectEntry {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "ImageName")]
    image_name: String,
    #[serde(rename = "RestartCount")]
    restart_count: u32,
    #[serde(rename = "State")]
    state: InspectState,
    #[serde(rename = "Config")]
    config: InspectConfig,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InspectState {
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "ExitCode")]
    exit_code: i64,
    // podman 4.x wrote `Healthcheck`, later versions `Health`: accept both.
    #[serde(rename = "Health")]
    health: Option<InspectHealth>,
    #[serde(rename = "Healthcheck")]
    healthcheck: Option<InspectHealth>,
    #[serde(rename = "Pid")]
    pid: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InspectHealth {
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "FailingStreak")]
    failing_streak: u32,
    #[serde(rename = "Log")]
    log: Option<Vec<InspectHealthLog>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InspectHealthLog {
    #[serde(rename = "ExitCode")]
    exit_code: i64,
    #[serde(rename = "Output")]
    output: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InspectConfig {
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Healthcheck")]
    healthcheck: Option<InspectHealthConfig>,
    /// `{"5432/tcp": {}}`: the ports its image EXPOSEs, and its own `--expose`s.
    #[serde(rename = "ExposedPorts")]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
}

/// A container's configured healthcheck, as Docker's image format writes it: the test
/// with its `CMD`/`CMD-SHELL`/`NONE` word, durations in nanoseconds, 0 for the default.
#[derive(Deserialize, Default)]
#[serde(default)]
struct InspectHealthConfig {
    #[serde(rename = "Test")]
    test: Option<Vec<String>>,
    #[serde(rename = "Interval")]
    interval: u64,
    #[serde(rename = "Timeout")]
    timeout: u64,
    #[serde(rename = "StartPeriod")]
    start_period: u64,
    #[serde(rename = "StartInterval")]
    start_interval: u64,
    #[serde(rename = "Retries")]
    retries: u32,
}

impl InspectHealthConfig {
    fn check(self) -> Option<Healthcheck> {
        let test = self.test?;
        let test = match test.split_first()? {
            (word, rest) if word == "CMD" && !rest.is_empty() => HealthTest::Cmd(rest.to_vec()),
            (word, rest) if word == "CMD-SHELL" && !rest.is_empty() => {
                HealthTest::Shell(rest.join(" "))
            }
            _ => return None,
        };
        let or = |nanos: u64, default: Duration| {
            if nanos == 0 {
                default
            } else {
                Duration::from_nanos(nanos)
            }
        };
        Some(Healthcheck {
            test,
            interval: or(self.interval, Healthcheck::DEFAULT_INTERVAL),
            timeout: or(self.timeout, Healthcheck::DEFAULT_TIMEOUT),
            retries: if self.retries == 0 {
                Healthcheck::DEFAULT_RETRIES
            } else {
                self.retries
            },
            start_period: Duration::from_nanos(self.start_period),
            start_interval: or(self.start_interval, Healthcheck::DEFAULT_START_INTERVAL),
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PodEntry {
    #[serde(rename = "Id")]
    pub(super) id: String,
    #[serde(rename = "Name")]
    pub(super) name: String,
    #[serde(rename = "Labels")]
    pub(super) labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct VolumeEntry {
    #[serde(rename = "Name")]
    pub(super) name: String,
    #[serde(rename = "CreatedAt")]
    pub(super) created_at: Option<String>,
    #[serde(rename = "Labels")]
    pub(super) labels: Option<BTreeMap<String, String>>,
}

/// A `network ls` entry (podman 4 writes its keys in lower case; 5 may not).
#[derive(Deserialize)]
pub(super) struct NetworkEntry {
    #[serde(rename = "name", alias = "Name")]
    pub(super) name: String,
    #[serde(default, rename = "labels", alias = "Labels")]
    pub(super) labels: Option<BTreeMap<String, String>>,
}

/// `ps --all --external`, split into the containers carrying `label=value` (infra
/// containers excluded) and the names of storage-only ones, which carry no labels.
pub(super) fn split_leftovers(
    entries: Vec<PsEntry>,
    label: &str,
    value: &str,
) -> (Vec<ContainerInfo>, Vec<String>) {
    let mut leftovers = Vec::new();
    let mut containers = Vec::new();
    for e in entries {
        if e.state.eq_ignore_ascii_case("storage") {
            leftovers.extend(e.names.first().cloned());
        } else if !e.is_infra
            && e.labels
                .as_ref()
                .and_then(|l| l.get(label))
                .map(String::as_str)
                == Some(value)
        {
            containers.push(ps_info(e));
        }
    }
    (containers, leftovers)
}

pub(super) fn ps_info(e: PsEntry) -> ContainerInfo {
    let ports = e
        .ports
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let ip = if p.host_ip.is_empty() {
                "0.0.0.0"
            } else {
                &p.host_ip
            };
            let range = p.range.max(1);
            if range > 1 {
                format!(
                    "{ip}:{}-{}->{}-{}/{}",
                    p.host_port,
                    p.host_port + range - 1,
                    p.container_port,
                    p.container_port + range - 1,
                    p.protocol
                )
            } else {
                format!("{ip}:{}->{}/{}", p.host_port, p.container_port, p.protocol)
            }
        })
        .collect();
    ContainerInfo {
        id: e.id,
        name: e.names.into_iter().next().unwrap_or_default(),
        labels: e.labels.unwrap_or_default(),
        state: ContainerState::parse(&e.state),
        status: e.status,
        exit_code: e.exit_code,
        health: None,
        image: e.image,
        ports,
        restart_count: e.restarts,
        healthcheck: None,
        exposed: Vec::new(),
        pid: u32::try_from(e.pid).ok().filter(|p| *p > 0),
    }
}

pub(super) fn inspect_info(e: InspectEntry) -> ContainerInfo {
    let health = e
        .state
        .health
        .or(e.state.healthcheck)
        .filter(|h| !h.status.is_empty())
        .map(|h| HealthState {
            status: h.status,
            failing_streak: h.failing_streak,
            log: h
                .log
                .unwrap_or_default()
                .into_iter()
                .map(|l| HealthLogEntry {
                    exit_code: l.exit_code,
                    output: l.output,
                })
                .collect(),
        });
    ContainerInfo {
        id: e.id,
        name: e.name,
        labels: e.config.labels.unwrap_or_default(),
        state: ContainerState::parse(&e.state.status),
        status: e.state.status,
        exit_code: e.state.exit_code,
        health,
        image: e.image_name,
        ports: Vec::new(),
        restart_count: e.restart_count,
        healthcheck: e.config.healthcheck.and_then(InspectHealthConfig::check),
        exposed: tcp_ports(e.config.exposed_ports.unwrap_or_default().keys()),
        pid: u32::try_from(e.state.pid).ok().filter(|p| *p > 0),
    }
}

/// The TCP ports of `{"5432/tcp": {}, "53/udp": {}}` keys: `[5432]`.
fn tcp_ports<'a>(keys: impl Iterator<Item = &'a String>) -> Vec<u16> {
    keys.filter_map(|k| match k.split_once('/') {
        None => k.parse().ok(),
        Some((port, "tcp")) => port.parse().ok(),
        Some(_) => None,
    })
    .collect()
}

/// An image's `{{json .Config.ExposedPorts}}` (`null` when it exposes none), as TCP
/// ports.
pub fn exposed_ports(text: &str) -> Vec<u16> {
    serde_json::from_str::<Option<BTreeMap<String, serde_json::Value>>>(text.trim())
        .ok()
        .flatten()
        .map(|m| tcp_ports(m.keys()))
        .unwrap_or_default()
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostInfo {
    pub version: String,
    pub rootless: bool,
    pub runtime: String,
    pub cgroup_version: String,
    pub cgroup_manager: String,
    pub storage_driver: String,
    pub network_backend: String,
    /// The cgroup controllers podman may use (`host.cgroupControllers`): rootless on
    /// cgroups v2, those delegated to the user.
    pub cgroup_controllers: Vec<String>,
    /// What rootless podman networks with (`slirp4netns` or `pasta`): podman 5 says,
    /// podman 4 does not (it uses slirp4netns).
    pub rootless_network_cmd: String,
}

impl HostInfo {
    /// Reads `podman info --format json`; fields that a podman version lacks stay empty.
    pub fn parse(json: &str) -> Result<HostInfo, serde_json::Error> {
        let v: serde_json::Value = serde_json::from_str(json)?;
        let text = |path: &[&str]| {
            path.iter()
                .try_fold(&v, |v, key| v.get(key))
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        Ok(HostInfo {
            version: text(&["version", "Version"]),
            rootless: v
                .pointer("/host/security/rootless")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            runtime: text(&["host", "ociRuntime", "name"]),
            cgroup_version: text(&["host", "cgroupVersion"]),
            cgroup_manager: text(&["host", "cgroupManager"]),
            storage_driver: text(&["store", "graphDriverName"]),
            network_backend: text(&["host", "networkBackend"]),
            rootless_network_cmd: text(&["host", "rootlessNetworkCmd"]),
            cgroup_controllers: v
                .pointer("/host/cgroupControllers")
                .and_then(serde_json::Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

/// The TCP ports listening in a network namespace, from `/proc/PID/net/tcp` (and
/// `tcp6`): `local_address` is `HEXIP:HEXPORT`, and state `0A` is LISTEN.
pub fn listening_ports(table: &str) -> Vec<u16> {
    let mut ports: Vec<u16> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, state) = (fields.get(1)?, fields.get(3)?);
            if *state != "0A" {
                return None;
            }
            u16::from_str_radix(local.rsplit(':').next()?, 16).ok()
        })
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The containers of `podman ps --format json`, without the pod's infra container.
    fn listed(json: &str) -> Vec<ContainerInfo> {
        let entries: Vec<PsEntry> = serde_json::from_str(json).unwrap();
        entries
            .into_iter()
            .filter(|e| !e.is_infra)
            .map(ps_info)
            .collect()
    }

    #[test]
    fn ps_json_is_read_defensively() {
        let json = r#"[{"Id":"abc","Names":["shop-db-1"],"Labels":{"io.sidepod.service":"db"},
            "State":"running","Status":"Up 2 seconds","ExitCode":0,"IsInfra":false,"Pid":4121,
            "Ports":[{"host_ip":"","container_port":5432,"host_port":15432,"range":1,"protocol":"tcp"}]},
            {"Id":"def","Names":["x-infra"],"IsInfra":true,"Labels":null}]"#;
        let infos = listed(json);
        assert_eq!(infos.len(), 1);
        assert_eq!(infos[0].name, "shop-db-1");
        assert_eq!(infos[0].state, ContainerState::Running);
        assert_eq!(infos[0].ports, ["0.0.0.0:15432->5432/tcp"]);
        assert_eq!(infos[0].label("io.sidepod.service"), Some("db"));
        assert_eq!(infos[0].pid, Some(4121));
    }

    #[test]
    fn podman_5_ps_json_parses_with_its_new_fields() {
        let json = include_str!("../../../tests/fixtures/podman/5-ps.json");
        let infos = listed(json);
        assert_eq!(infos.len(), 2);
        let cache = &infos[0];
        assert_eq!(cache.name, "shop-cache-1");
        assert_eq!(cache.state, ContainerState::Running);
        assert_eq!(cache.ports, ["127.0.0.1:16379->6379/tcp"]);
        assert_eq!(cache.restart_count, 2);
        assert_eq!(cache.label("io.sidepod.service"), Some("cache"));
        assert_eq!(cache.pid, Some(4121));
        let seed = &infos[1];
        assert_eq!((seed.state, seed.exit_code), (ContainerState::Exited, 3));
        assert_eq!(seed.pid, None);
        assert!(seed.ports.is_empty());
    }

    /// The containers of `podman container inspect`.
    fn inspected(json: &str) -> Vec<ContainerInfo> {
        let entries: Vec<InspectEntry> = serde_json::from_str(json).unwrap();
        entries.into_iter().map(inspect_info).collect()
    }

    #[test]
    fn podman_4_and_5_inspect_give_state_health_and_healthcheck() {
        let four = inspected(include_str!(
            "../../../tests/fixtures/podman/4.3-inspect.json"
        ));
        let c = &four[0];
        assert_eq!(
            (c.name.as_str(), c.state),
            ("fixture-web", ContainerState::Running)
        );
        assert_eq!(c.pid, Some(5631));
        assert_eq!(c.label("com.docker.compose.service"), Some("web"));
        let health = c.health.as_ref().unwrap();
        assert_eq!(
            (health.status.as_str(), health.failing_streak),
            ("starting", 1)
        );
        assert_eq!(health.log[0].exit_code, 1);
        let check = c.healthcheck.as_ref().unwrap();
        assert_eq!(
            check.test,
            HealthTest::Shell("wget -q -O- localhost || exit 1".into())
        );
        assert_eq!(
            (check.interval, check.retries),
            (Duration::from_secs(30), 3)
        );
        let five = inspected(include_str!(
            "../../../tests/fixtures/podman/5-inspect.json"
        ));
        let c = &five[0];
        assert_eq!((c.name.as_str(), c.restart_count), ("shop-web-1", 1));
        assert_eq!(c.image, "docker.io/library/nginx:1.27");
        assert_eq!(c.health.as_ref().unwrap().status, "healthy");
        let check = c.healthcheck.as_ref().unwrap();
        let curl = ["curl", "-fsS", "http://localhost/"]
            .map(String::from)
            .to_vec();
        assert_eq!(check.test, HealthTest::Cmd(curl));
        assert_eq!(check.start_interval, Duration::from_millis(250));
        assert_eq!(check.start_period, Duration::from_secs(5));
        // The TCP ones only.
        let mut exposed = c.exposed.clone();
        exposed.sort_unstable();
        assert_eq!(exposed, [80, 443]);
    }

    /// What sidepod takes from `podman info`, in one tuple.
    fn facts(json: &str) -> (String, bool, String, String, String, String, Vec<String>) {
        let i = HostInfo::parse(json).unwrap();
        (
            i.version,
            i.rootless,
            i.runtime,
            i.cgroup_version,
            i.storage_driver,
            i.rootless_network_cmd,
            i.cgroup_controllers,
        )
    }

    #[test]
    fn podman_4_and_5_info_give_the_same_facts() {
        let owned = |s: &[&str]| s.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(
            facts(include_str!(
                "../../../tests/fixtures/podman/4.3-info-rootless.json"
            )),
            (
                "4.3.1".into(),
                true,
                "runc".into(),
                "v1".into(),
                "overlay".into(),
                String::new(),
                vec![]
            )
        );
        assert_eq!(
            facts(include_str!(
                "../../../tests/fixtures/podman/5-info-rootless.json"
            )),
            (
                "5.2.5".into(),
                true,
                "crun".into(),
                "v2".into(),
                "overlay".into(),
                "pasta".into(),
                owned(&["cpu", "io", "memory", "pids"])
            )
        );
    }

    #[test]
    fn an_images_exposed_ports_are_its_tcp_ones() {
        assert_eq!(exposed_ports(r#"{"5432/tcp":{}}"#), [5432]);
        assert_eq!(
            exposed_ports("{\"53/udp\":{},\"8080\":{},\"6379/tcp\":{}}\n"),
            [6379, 8080]
        );
        for none in ["null", "", "{}", "not json"] {
            assert_eq!(exposed_ports(none), Vec::<u16>::new(), "{none:?}");
        }
    }

    #[test]
    fn inspect_json_accepts_health_and_healthcheck() {
        for key in ["Health", "Healthcheck"] {
            let json = format!(
                r#"[{{"Id":"a","Name":"c","State":{{"Status":"running","ExitCode":0,
                "{key}":{{"Status":"unhealthy","FailingStreak":3,"Log":[{{"ExitCode":1,"Output":"no"}}]}}}},
                "Config":{{"Labels":null}}}}]"#
            );
            let entries: Vec<InspectEntry> = serde_json::from_str(&json).unwrap();
            let info = inspect_info(entries.into_iter().next().unwrap());
            let health = info.health.unwrap();
            assert_eq!(
                (health.status.as_str(), health.failing_streak),
                ("unhealthy", 3)
            );
            assert_eq!(health.log[0].output, "no");
        }
    }

    #[test]
    fn listening_ports_are_read_from_the_kernels_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 1 1 0 100 0 0 10 0
   1: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 2 1 0 100 0 0 10 0
   2: 0100007F:1538 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000   999        0 3 1 0 20 4 30 10 -1
";
        assert_eq!(listening_ports(table), [5432, 6379]);
        assert_eq!(listening_ports(""), Vec::<u16>::new());
    }
}

/// `2026-12-01T23:44:06.076890681Z` or `...+01:00` (podman's CreatedAt) as seconds since
/// the epoch; `None` for anything else.
pub(super) fn unix_time(text: &str) -> Option<i64> {
    let (date, time) = text.trim().split_once(['T', ' '])?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let clock_end = time.find(['Z', '+', '-', ' ']).unwrap_or(time.len());
    let (clock, zone) = time.split_at(clock_end);
    let mut c = clock
        .split('.')
        .next()?
        .splitn(3, ':')
        .map(|p| p.parse::<i64>().ok());
    let (h, min, sec) = (c.next()??, c.next()??, c.next()??);
    let zone = zone.trim();
    let offset = match zone.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let digits: String = zone[1..]
                .chars()
                .filter(char::is_ascii_digit)
                .take(4)
                .collect();
            let (zh, zm) = (
                digits.get(..2)?.parse::<i64>().ok()?,
                digits.get(2..4).unwrap_or("0").parse::<i64>().ok()?,
            );
            let o = zh * 3600 + zm * 60;
            if sign == '+' {
                o
            } else {
                -o
            }
        }
        _ => 0,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + min * 60 + sec - offset)
}

/// Nanoseconds since the epoch as RFC 3339 in UTC, with the nanoseconds podman 4
/// prints (`2026-12-03T07:00:00.812373951Z`): podman 5's events carry integers.
pub(super) fn rfc3339(nanos: i64) -> String {
    let (secs, frac) = (
        nanos.div_euclid(1_000_000_000),
        nanos.rem_euclid(1_000_000_000),
    );
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // The civil date of a day number (Howard Hinnant's algorithm, as in unix_time).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let clock = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    let frac = if frac == 0 {
        String::new()
    } else {
        format!(".{frac:09}")
    };
    format!("{year:04}-{month:02}-{day:02}T{clock}{frac}Z")
}

#[cfg(test)]
mod time_tests {
    use super::{rfc3339, unix_time};

    #[test]
    fn epoch_nanoseconds_are_written_as_podman_4_writes_times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(1_796_281_200_812_373_951),
            "2026-12-03T07:00:00.812373951Z"
        );
        assert_eq!(rfc3339(951_782_400_000_000_000), "2000-02-29T00:00:00Z");
        for secs in [0, 951_782_400, 1_796_168_646, 4_102_444_799] {
            assert_eq!(unix_time(&rfc3339(secs * 1_000_000_000)), Some(secs));
        }
    }

    #[test]
    fn podman_timestamps_are_read() {
        assert_eq!(unix_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            unix_time("2026-12-01T23:44:06.076890681Z"),
            Some(1_796_168_646)
        );
        assert_eq!(unix_time("2026-12-02T00:44:06+01:00"), Some(1_796_168_646));
        assert_eq!(unix_time("yesterday"), None);
    }
}
