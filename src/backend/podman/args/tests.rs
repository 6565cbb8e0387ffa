use super::*;
use crate::backend::shell_join;
use crate::model::HostEntry;
use crate::model::{PortRange, Protocol};

#[test]
fn pod_create_publishes_ports_and_hosts() {
    let spec = PodSpec {
        name: "shop".into(),
        hosts: vec![HostEntry {
            host: "db".into(),
            ip: "127.0.0.1".into(),
        }],
        ports: vec![
            Port {
                target: 80,
                published: Some(PortRange::single(8080)),
                host_ip: None,
                protocol: Protocol::Tcp,
            },
            Port {
                target: 53,
                published: None,
                host_ip: Some("127.0.0.1".into()),
                protocol: Protocol::Udp,
            },
        ],
        network_mode: None,
        dns: crate::model::Dns {
            servers: vec!["10.0.0.53".into()],
            search: vec!["corp.example".into()],
            options: vec!["ndots:2".into()],
        },
        labels: [("io.sidepod.project".to_string(), "shop".to_string())].into(),
        userns: None,
    };
    assert_eq!(
        shell_join(&pod_create_args(&spec)),
        "pod create --name shop --label io.sidepod.project=shop --add-host db:127.0.0.1 \
             -p 8080:80/tcp -p 127.0.0.1::53/udp --dns 10.0.0.53 --dns-search corp.example \
             --dns-option ndots:2"
    );
}

#[test]
fn host_network_pods_publish_nothing() {
    let spec = PodSpec {
        name: "p".into(),
        hosts: vec![HostEntry {
            host: "db".into(),
            ip: "127.0.0.1".into(),
        }],
        ports: vec![],
        network_mode: Some(NetworkMode::Host),
        dns: Default::default(),
        labels: BTreeMap::new(),
        userns: Some("keep-id".into()),
    };
    assert_eq!(
        shell_join(&pod_create_args(&spec)),
        "pod create --name p --userns keep-id --network host"
    );
}

#[test]
fn run_args_carry_every_setting() {
    let spec = ContainerSpec {
        name: "shop-db-1".into(),
        pod: "shop".into(),
        image: "postgres:16".into(),
        command: Some(vec!["postgres".into(), "-c".into(), "fsync=off".into()]),
        env: [("A".to_string(), "1 2".to_string())].into(),
        mounts: vec![
            MountSpec::Volume {
                source: "shop_pg".into(),
                target: "/var/lib/pg".into(),
                options: vec![],
            },
            MountSpec::Volume {
                source: "/src".into(),
                target: "/src".into(),
                options: vec!["ro".into(), "z".into()],
            },
            MountSpec::Anonymous {
                target: "/cache".into(),
            },
            MountSpec::Tmpfs {
                target: "/run".into(),
                size: Some(1024),
                read_only: false,
            },
        ],
        health: Some(HealthSpec {
            test: HealthTest::Cmd(vec!["pg_isready".into(), "-U".into(), "postgres".into()]),
            interval: Duration::from_millis(500),
            timeout: Duration::from_secs(2),
            retries: 5,
            start_period: Duration::ZERO,
        }),
        init: true,
        stop_signal: Some("SIGINT".into()),
        stop_timeout: Some(Duration::from_millis(2500)),
        restart: RestartPolicy::OnFailure(Some(3)),
        entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
        ..ContainerSpec::default()
    };
    assert_eq!(
            shell_join(&run_args(&spec)),
            "run -d --pod shop --name shop-db-1 --env 'A=1 2' --volume shop_pg:/var/lib/pg \
             --volume /src:/src:ro,z --volume /cache --mount type=tmpfs,destination=/run,tmpfs-size=1024 \
             --health-cmd '[\"pg_isready\",\"-U\",\"postgres\"]' --health-interval 1s --health-timeout 2s \
             --health-retries 5 --health-start-period 0s --init --stop-signal SIGINT --stop-timeout 3 \
             --restart on-failure:3 --entrypoint '[\"/bin/sh\",\"-c\"]' postgres:16 postgres -c fsync=off"
        );
}

#[test]
fn run_args_carry_resources_and_runtime_settings() {
    let spec = ContainerSpec {
        name: "shop-app-1".into(),
        pod: "shop".into(),
        image: "app".into(),
        runtime: RuntimeOptions {
            memory: Some(536870912),
            memory_reservation: Some(1024),
            memory_swap: Some(-1),
            cpus: Some("0.5".into()),
            cpu_shares: Some(512),
            cpuset: Some("0-1".into()),
            pids_limit: Some(100),
            security_opt: vec!["label=disable".into()],
            group_add: vec!["audio".into()],
            sysctls: [("net.core.somaxconn".to_string(), "1024".to_string())].into(),
            log_driver: Some("k8s-file".into()),
            log_options: [("max-size".to_string(), "1m".to_string())].into(),
            annotations: [("a".to_string(), "b".to_string())].into(),
            oom_score_adj: Some(-100),
            oom_kill_disable: true,
            platform: Some("linux/amd64".into()),
            ipc: Some("host".into()),
            pid: Some("container:shop-db-1".into()),
            userns: None,
            oci_runtime: Some("crun".into()),
            mac_address: None,
        },
        volumes_from: vec!["shop-data-1:ro".into()],
        ..ContainerSpec::default()
    };
    assert_eq!(
            shell_join(&run_args(&spec)),
            "run -d --pod shop --name shop-app-1 --volumes-from shop-data-1:ro --memory 536870912 --memory-reservation 1024 \
             --memory-swap -1 --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0-1 --pids-limit 100 \
             --security-opt label=disable --group-add audio --sysctl net.core.somaxconn=1024 \
             --log-driver k8s-file --log-opt max-size=1m --annotation a=b --oom-score-adj -100 \
             --ipc host --pid container:shop-db-1 --runtime crun \
             --platform linux/amd64 --oom-kill-disable app"
        );
}

#[test]
fn shell_healthchecks_are_plain_strings() {
    assert_eq!(
        health_cmd(&HealthTest::Shell("curl -f localhost".into())),
        "curl -f localhost"
    );
}

#[test]
fn build_args_resolve_the_containerfile_in_the_context() {
    let spec = BuildSpec {
        context: "/src/app".into(),
        dockerfile: Some("Containerfile.test".into()),
        tag: "localhost/shop-app".into(),
        args: [("V".to_string(), "1".to_string())].into(),
        target: Some("test".into()),
        ..BuildSpec::default()
    };
    assert_eq!(
            shell_join(&build_args(&spec)),
            "build --format docker --tag localhost/shop-app --file /src/app/Containerfile.test --target test --build-arg V=1 /src/app"
        );
}

#[test]
fn a_network_is_created_with_its_pools_options_and_ipv6_and_joined_with_interface_options() {
    let spec = NetworkSpec {
        name: "shop_back".into(),
        labels: Default::default(),
        internal: false,
        driver: None,
        options: [("mtu".to_string(), "1400".to_string())].into(),
        ipv6: true,
        ipam_driver: Some("host-local".into()),
        pools: vec![
            crate::model::AddressPool {
                subnet: Some("10.5.0.0/24".into()),
                ip_range: Some("10.5.0.128/25".into()),
                gateway: Some("10.5.0.1".into()),
            },
            crate::model::AddressPool {
                subnet: Some("fd00:5::/64".into()),
                ..Default::default()
            },
        ],
    };
    assert_eq!(
        shell_join(&network_create_args(&spec)),
        "network create --ipv6 --ipam-driver host-local --subnet 10.5.0.0/24 --ip-range \
         10.5.0.128/25 --gateway 10.5.0.1 --subnet fd00:5::/64 --opt mtu=1400 shop_back"
    );
    let mut a = Vec::new();
    let attach = NetworkAttach {
        networks: vec!["shop_back".into(), "shop_front".into()],
        interfaces: [(
            "shop_back".to_string(),
            vec!["ip=10.5.0.9".to_string(), "interface_name=eth3".to_string()],
        )]
        .into(),
        aliases: vec!["web".into()],
        ..NetworkAttach::default()
    };
    network_args(&mut a, &attach);
    assert_eq!(
        shell_join(&a),
        "--network shop_back:ip=10.5.0.9,interface_name=eth3 --network shop_front \
         --network-alias web"
    );
}

#[test]
fn a_volume_with_a_subpath_is_a_mount_and_one_without_is_a_volume() {
    let spec = ContainerSpec {
        name: "p-a-1".into(),
        image: "busybox".into(),
        mounts: vec![
            MountSpec::Volume {
                source: "p_data".into(),
                target: "/d".into(),
                options: vec!["ro".into(), "subpath=sub/dir".into()],
            },
            MountSpec::Volume {
                source: "p_data".into(),
                target: "/all".into(),
                options: vec!["ro".into()],
            },
        ],
        ..ContainerSpec::default()
    };
    assert_eq!(
        shell_join(&create_args(&spec)),
        "create --name p-a-1 --mount type=volume,source=p_data,destination=/d,ro,subpath=sub/dir \
         --volume p_data:/all:ro busybox"
    );
}
