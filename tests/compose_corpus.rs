//! The corpus of realistic stacks under `tests/fixtures/corpus/`, in the style of
//! docker/awesome-compose: each must load with `sidepod config`, with the services a
//! docker compose user would see, and with no key silently lost.

mod common;

use std::path::Path;

use serde_json::Value;

/// Each stack with the services `config` must show.
const STACKS: &[(&str, &[&str])] = &[
    ("django-redis", &["redis", "web"]),
    ("dev-watch", &["app"]),
    ("elastic", &["elasticsearch", "kibana"]),
    ("gitea", &["db", "server"]),
    ("go-nginx", &["backend", "proxy"]),
    ("gpu-notebook", &["jupyter"]),
    ("minio", &["createbuckets", "minio"]),
    ("monitoring", &["grafana", "prometheus"]),
    ("pgadmin", &["pgadmin", "postgres"]),
    ("react-express-mongo", &["backend", "frontend", "mongo"]),
    ("traefik", &["reverse-proxy", "whoami"]),
    ("wordpress-mysql", &["db", "wordpress"]),
];

fn config(stack: &str) -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corpus")
        .join(stack);
    let out = common::run_in(
        &dir,
        &["config".into(), "--format".into(), "json".into()],
        &[],
        None,
    );
    assert_eq!(out.code, 0, "{stack} does not load:\n{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{stack}: {}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn every_stack_loads_with_its_services() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let on_disk = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(on_disk, STACKS.len(), "every stack on disk is listed here");
    for (stack, services) in STACKS {
        let json = config(stack);
        let names: Vec<&str> = json["services"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(names, *services, "{stack}");
    }
}

#[test]
fn the_stacks_keep_what_they_say() {
    let django = config("django-redis");
    assert_eq!(django["services"]["redis"]["image"], "redis:7-alpine");
    assert_eq!(
        django["services"]["redis"]["command"],
        serde_json::json!(["redis-server", "--appendonly", "yes"])
    );
    assert!(django["services"]["web"]["environment"]["DJANGO_DEBUG"].is_null());
    assert_eq!(django["services"]["web"]["ports"][0]["published"], "8001");

    let mongo = config("react-express-mongo");
    let backend = &mongo["services"]["backend"];
    assert!(backend["build"]["dockerfile_inline"]
        .as_str()
        .unwrap()
        .starts_with("FROM node:20-alpine"));
    assert_eq!(
        mongo["secrets"]["db_password"]["environment"],
        "MONGO_PASSWORD"
    );

    let wordpress = config("wordpress-mysql");
    assert_eq!(wordpress["services"]["db"]["restart"], "on-failure:5");

    let nginx = config("go-nginx");
    assert_eq!(
        nginx["services"]["proxy"]["build"]["context"],
        "https://github.com/example/nginx-proxy.git#main"
    );
    assert_eq!(
        nginx["services"]["backend"]["environment"]["GREETING"],
        "Hello $$USER, it costs 5$$"
    );

    let pg = config("pgadmin");
    assert_eq!(pg["volumes"]["postgres"]["name"], "shared_postgres");
    assert_eq!(pg["services"]["postgres"]["ulimits"]["nofile"], 65536);

    let elastic = config("elastic");
    assert_eq!(
        elastic["services"]["elasticsearch"]["sysctls"]["net.core.somaxconn"],
        "1024"
    );

    let gitea = config("gitea");
    assert_eq!(gitea["services"]["server"]["image"], "gitea/gitea:1.21");
    assert_eq!(
        gitea["services"]["server"]["environment"]["USER_UID"],
        "1000"
    );

    let traefik = config("traefik");
    assert_eq!(
        traefik["services"]["reverse-proxy"]["extra_hosts"],
        serde_json::json!([
            "host.docker.internal=host-gateway",
            "mirror=10.0.0.10",
            "mirror=10.0.0.11"
        ])
    );
    assert_eq!(
        traefik["services"]["whoami"]["labels"]["traefik.enable"],
        "true"
    );

    let monitoring = config("monitoring");
    assert!(monitoring["configs"]["prometheus"]["content"]
        .as_str()
        .unwrap()
        .contains("scrape_interval"));
    assert_eq!(
        monitoring["services"]["grafana"]["secrets"][0]["mode"],
        "0400"
    );

    let gpu = config("gpu-notebook");
    assert_eq!(
        gpu["services"]["jupyter"]["devices"],
        serde_json::json!(["nvidia.com/gpu=all"])
    );

    let minio = config("minio");
    assert_eq!(minio["services"]["minio"]["pull_policy"], "daily");

    let dev = config("dev-watch");
    let app = &dev["services"]["app"];
    assert_eq!(app["develop"]["watch"][0]["action"], "sync");
    assert_eq!(app["pre_stop"][0]["user"], "root");
}
