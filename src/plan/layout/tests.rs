//! Which layout a stack gets, and how its containers join in bridge mode.

use super::*;
use crate::model::{Network, Port, PortRange, Protocol, ServiceNetwork};
use crate::plan::{container_spec, Plan};

fn svc(name: &str, ports: &[u16]) -> Service {
    Service {
        name: name.into(),
        image: Some("img".into()),
        replicas: 1,
        ports: ports
            .iter()
            .map(|p| Port {
                target: *p,
                published: None,
                host_ip: None,
                protocol: Protocol::Tcp,
            })
            .collect(),
        ..Service::default()
    }
}

fn project(services: Vec<Service>) -> Project {
    Project {
        name: "shop".into(),
        services: services.into_iter().map(|s| (s.name.clone(), s)).collect(),
        ..Project::default()
    }
}

fn on(mut s: Service, nets: &[&str]) -> Service {
    for n in nets {
        s.networks.insert(n.to_string(), ServiceNetwork::default());
    }
    s
}

#[test]
fn a_stack_one_pod_holds_runs_in_the_pod() {
    let plan = Plan::new(&project(vec![svc("web", &[80]), svc("db", &[5432])])).unwrap();
    assert_eq!(plan.layout, Layout::Pod);
    let spec = container_spec(
        &project(vec![svc("web", &[80])]),
        &plan,
        &svc("web", &[80]),
        1,
        &Default::default(),
    );
    assert_eq!((spec.pod.as_str(), spec.network.is_some()), ("shop", false));
}

#[test]
fn two_services_on_one_port_and_replicas_of_a_port_fall_back_to_bridge_mode_saying_why() {
    for (services, said) in [
        (
            vec![svc("api", &[5000]), svc("admin", &[5000])],
            "both declare container port 5000",
        ),
        (
            vec![
                Service {
                    replicas: 2,
                    ..svc("web", &[5000])
                },
                svc("proxy", &[80]),
            ],
            "2 replicas",
        ),
    ] {
        let plan = Plan::new(&project(services)).unwrap();
        match &plan.layout {
            Layout::Bridge { why } => assert!(why.contains(said), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn networks_that_share_nothing_are_isolated_in_bridge_mode() {
    let p = project(vec![
        on(svc("web", &[]), &["front"]),
        on(svc("db", &[]), &["back"]),
        on(svc("api", &[]), &["front", "back"]),
    ]);
    let plan = Plan::new(&p).unwrap();
    assert!(
        matches!(&plan.layout, Layout::Bridge { why } if why.contains("separate networks")),
        "{:?}",
        plan.layout
    );
    let names: Vec<String> = network_specs(&p).into_iter().map(|n| n.name).collect();
    assert_eq!(names, ["shop_back", "shop_front"]);
    let api = container_spec(&p, &plan, &p.services["api"], 1, &Default::default());
    assert_eq!(api.pod, "");
    let attach = api.network.unwrap();
    assert_eq!(attach.networks, ["shop_back", "shop_front"]);
    assert_eq!(attach.aliases, ["api"]);
    // Services that share a network stay in one pod.
    let together = project(vec![
        on(svc("web", &[]), &["front"]),
        on(svc("api", &[]), &["front", "back"]),
    ]);
    assert_eq!(Plan::new(&together).unwrap().layout, Layout::Pod);
}

#[test]
fn the_file_or_the_flag_chooses_and_pod_mode_keeps_its_refusals() {
    let clash = || vec![svc("api", &[5000]), svc("admin", &[5000])];
    let mut p = project(clash());
    p.network = Some(StackNetwork::Pod);
    let err = Plan::new(&p).unwrap_err();
    assert!(
        matches!(err, PlanError::ContainerPortConflict { .. }),
        "{err}"
    );
    let mut p = project(vec![svc("web", &[80])]);
    p.network = Some(StackNetwork::Bridge);
    let plan = Plan::new(&p).unwrap();
    assert!(plan.layout.is_bridge());
    let web = container_spec(&p, &plan, &p.services["web"], 1, &Default::default());
    let attach = web.network.unwrap();
    assert_eq!(attach.networks, ["shop_default"]);
    assert_eq!(attach.ports.len(), 1);
}

#[test]
fn published_ports_are_per_replica_and_one_host_port_for_many_replicas_is_refused() {
    let mut web = svc("web", &[]);
    web.replicas = 2;
    web.ports.push(Port {
        target: 80,
        published: Some(PortRange {
            start: 8080,
            end: 8081,
        }),
        host_ip: None,
        protocol: Protocol::Tcp,
    });
    let p = project(vec![web.clone()]);
    let plan = Plan::new(&p).unwrap();
    for (n, port) in [(1, 8080), (2, 8081)] {
        let spec = container_spec(&p, &plan, &p.services["web"], n, &Default::default());
        assert_eq!(
            spec.network.unwrap().ports[0].published,
            Some(PortRange::single(port))
        );
    }
    web.ports[0].published = Some(PortRange::single(8080));
    let err = Plan::new(&project(vec![web])).unwrap_err();
    assert!(
        err.to_string()
            .contains("2 replicas that would all publish host port 8080"),
        "{err}"
    );
    // Two services on one host port fail in either layout.
    let mut a = svc("a", &[]);
    let mut b = svc("b", &[]);
    for s in [&mut a, &mut b] {
        s.ports.push(Port {
            target: 80,
            published: Some(PortRange::single(9000)),
            host_ip: None,
            protocol: Protocol::Tcp,
        });
    }
    assert!(matches!(
        Plan::new(&project(vec![a, b])),
        Err(PlanError::HostPortConflict { .. })
    ));
}

#[test]
fn external_networks_are_joined_not_created_and_named_ones_keep_their_name() {
    let mut p = project(vec![
        on(svc("web", &[]), &["shared", "own"]),
        on(svc("db", &[]), &["own"]),
    ]);
    p.network = Some(StackNetwork::Bridge);
    p.networks.insert(
        "shared".into(),
        Network {
            external: true,
            ..Network::default()
        },
    );
    p.networks.insert(
        "own".into(),
        Network {
            name: Some("shop-internal".into()),
            internal: true,
            ..Network::default()
        },
    );
    let specs = network_specs(&p);
    assert_eq!(specs.len(), 1);
    assert_eq!(
        (specs[0].name.as_str(), specs[0].internal),
        ("shop-internal", true)
    );
    assert_eq!(specs[0].labels["com.docker.compose.network"], "own");
    let plan = Plan::new(&p).unwrap();
    let web = container_spec(&p, &plan, &p.services["web"], 1, &Default::default());
    assert_eq!(web.network.unwrap().networks, ["shop-internal", "shared"]);
}

#[test]
fn namespaces_join_other_services_and_the_pod_holds_one_user_namespace() {
    let mut a = svc("a", &[]);
    a.runtime.pid = Some("service:b".into());
    a.runtime.ipc = Some("host".into());
    let b = svc("b", &[]);
    let p = project(vec![a, b]);
    let plan = Plan::new(&p).unwrap();
    assert_eq!(plan.layout, Layout::Pod);
    assert_eq!(plan.start_order, ["b", "a"], "b's container comes first");
    let spec = container_spec(&p, &plan, &p.services["a"], 1, &Default::default());
    assert_eq!(spec.runtime.pid.as_deref(), Some("container:shop-b-1"));
    assert_eq!(spec.runtime.ipc.as_deref(), Some("host"));
    // The same userns_mode everywhere: the pod's.
    let mut a = svc("a", &[]);
    let mut b = svc("b", &[]);
    a.runtime.userns = Some("keep-id".into());
    b.runtime.userns = Some("keep-id".into());
    let p = project(vec![a.clone(), b]);
    let plan = Plan::new(&p).unwrap();
    assert_eq!(plan.layout, Layout::Pod);
    assert_eq!(plan.pod.userns.as_deref(), Some("keep-id"));
    let spec = container_spec(&p, &plan, &p.services["a"], 1, &Default::default());
    assert_eq!(
        spec.runtime.userns, None,
        "a pod's container takes the pod's"
    );
    // Only one asks: each its own, in bridge mode; so does a mac_address.
    let p = project(vec![a, svc("b", &[])]);
    let plan = Plan::new(&p).unwrap();
    assert!(
        matches!(&plan.layout, Layout::Bridge { why } if why.contains("userns_mode: keep-id")),
        "{:?}",
        plan.layout
    );
    let spec = container_spec(&p, &plan, &p.services["a"], 1, &Default::default());
    assert_eq!(spec.runtime.userns.as_deref(), Some("keep-id"));
    let mut m = svc("m", &[]);
    m.runtime.mac_address = Some("02:42:ac:11:65:43".into());
    let plan = Plan::new(&project(vec![m])).unwrap();
    assert!(
        matches!(&plan.layout, Layout::Bridge { why } if why.contains("mac_address")),
        "{:?}",
        plan.layout
    );
}

#[test]
fn a_static_address_or_interface_on_a_network_runs_in_bridge_mode_with_its_options() {
    let mut web = svc("web", &[]);
    web.networks.insert(
        "back".into(),
        ServiceNetwork {
            ipv4_address: Some("10.5.0.9".into()),
            mac_address: Some("02:42:ac:11:65:44".into()),
            interface_name: Some("eth3".into()),
            ..ServiceNetwork::default()
        },
    );
    let mut p = project(vec![web, on(svc("db", &[]), &["back"])]);
    p.networks.insert(
        "back".into(),
        Network {
            pools: vec![crate::model::AddressPool {
                subnet: Some("10.5.0.0/24".into()),
                gateway: Some("10.5.0.1".into()),
                ip_range: None,
            }],
            ..Network::default()
        },
    );
    let plan = Plan::new(&p).unwrap();
    let Layout::Bridge { why } = &plan.layout else {
        panic!("{:?}", plan.layout)
    };
    assert!(why.contains("networks.back.ipv4_address"), "{why}");
    let spec = container_spec(&p, &plan, &p.services["web"], 1, &Default::default());
    let net = spec.network.unwrap();
    assert_eq!(
        net.interfaces["shop_back"],
        [
            "ip=10.5.0.9",
            "mac=02:42:ac:11:65:44",
            "interface_name=eth3"
        ]
    );
    let db = container_spec(&p, &plan, &p.services["db"], 1, &Default::default());
    assert_eq!(
        db.network.unwrap().interfaces["shop_back"],
        Vec::<String>::new()
    );
    let specs = network_specs(&p);
    assert_eq!(specs[0].pools[0].subnet.as_deref(), Some("10.5.0.0/24"));
}

#[test]
fn a_network_with_its_own_subnet_runs_in_bridge_mode_and_a_forced_pod_refuses_it() {
    let mut p = project(vec![on(svc("web", &[]), &["back"])]);
    p.networks.insert(
        "back".into(),
        Network {
            enable_ipv6: true,
            ..Network::default()
        },
    );
    let plan = Plan::new(&p).unwrap();
    let Layout::Bridge { why } = &plan.layout else {
        panic!("{:?}", plan.layout)
    };
    assert!(why.contains("network \"back\" sets enable_ipv6"), "{why}");
    p.network = Some(StackNetwork::Pod);
    let err = Plan::new(&p).unwrap_err();
    assert!(matches!(err, PlanError::PodCannotHold { .. }), "{err}");
    assert!(err.to_string().contains("enable_ipv6"), "{err}");
}
