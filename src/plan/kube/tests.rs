use super::*;
use crate::compose::{load_project, LoadOptions};
use crate::model::Job;

/// `compose` loaded as the project `name`, with a `motd` file beside it in the
/// directory returned, which lives as long as the caller keeps it.
fn load(compose: &str, name: &str) -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), compose).unwrap();
    std::fs::write(dir.path().join("motd"), "hello\n").unwrap();
    let project = load_project(&LoadOptions {
        working_dir: dir.path().to_path_buf(),
        project_name: Some(name.into()),
        ..LoadOptions::default()
    })
    .unwrap();
    (dir, project)
}

/// A job file (and the files beside it) loaded as the job `name`, with its whole project
/// and plan.
fn load_job(files: &[(&str, &str)], name: &str) -> (tempfile::TempDir, Job, Project, Plan) {
    let dir = tempfile::tempdir().unwrap();
    for (file, text) in files {
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    let job = crate::job::load_job(
        &LoadOptions {
            working_dir: dir.path().to_path_buf(),
            files: vec![dir.path().join("sidepod.yaml")],
            project_name: Some(name.into()),
            // The one secret of these tests.
            environ: [("DB_PASSWORD".into(), "s3cret-value".into())].into(),
            ..LoadOptions::default()
        },
        &crate::job::JobChoice::default(),
    )
    .unwrap();
    let project = job.project();
    let plan = Plan::new(&project).unwrap();
    (dir, job, project, plan)
}

fn generate_job(files: &[(&str, &str)], target: Target, workspace: &Workspace) -> Kube {
    let (_dir, job, project, plan) = load_job(files, "ci");
    let variant = JobVariant {
        job: &job,
        project: &project,
        plan: &plan,
        combination: None,
    };
    kube_job(&[variant], target, workspace)
}

/// The documents of a YAML stream.
fn documents(yaml: &str) -> Vec<serde_json::Value> {
    serde_norway::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

fn generate(compose: &str) -> (Vec<serde_json::Value>, Vec<String>) {
    let (_dir, project) = load(compose, "shop");
    let plan = Plan::new(&project).unwrap();
    let out = kube(&project, &plan, Target::Kubernetes);
    assert_eq!(
        out,
        kube(&project, &plan, Target::Kubernetes),
        "the same project gives the same YAML"
    );
    (documents(&out.yaml), out.dropped)
}

#[test]
fn the_pod_carries_containers_hosts_ports_volumes_and_probes() {
    let (docs, dropped) = generate(
        "services:
  db:
    image: postgres:16
    environment: {POSTGRES_PASSWORD: test, FROM_SHELL: null}
    volumes: [pg:/var/lib/postgresql/data, ./motd:/etc/motd:ro, /scratch]
    healthcheck: {test: pg_isready, interval: 2s, retries: 5, start_period: 3s}
    user: '999:999'
    stop_grace_period: 20s
    mem_limit: 1g
    mem_reservation: 512m
    cpus: 1.5
  web:
    image: web:1
    entrypoint: [/entry]
    command: [serve, --port, '80']
    ports: ['127.0.0.1:8080:80', '9000/udp']
    depends_on: [db]
    restart: always
    cap_add: [NET_ADMIN]
    read_only: true
    tmpfs: [/run]
    networks: {default: {aliases: [frontend]}}
    extra_hosts: ['gateway:10.0.0.1']
volumes:
  pg: {}
  shared: {external: true}
",
    );
    assert_eq!(docs.len(), 2, "{docs:#?}");
    let claim = &docs[0];
    assert_eq!(claim["kind"], "PersistentVolumeClaim");
    assert_eq!(claim["metadata"]["name"], "shop-pg");
    assert_eq!(
        claim["metadata"]["labels"]["com.docker.compose.volume"],
        "pg"
    );
    let pod = &docs[1];
    assert_eq!(pod["kind"], "Pod");
    assert_eq!(pod["metadata"]["name"], "shop");
    assert_eq!(pod["metadata"]["labels"]["io.sidepod.project"], "shop");
    let spec = &pod["spec"];
    assert_eq!(spec["restartPolicy"], "Always");
    assert_eq!(spec["terminationGracePeriodSeconds"], 20);
    assert_eq!(
        spec["hostAliases"],
        json!([
            {"ip": "10.0.0.1", "hostnames": ["gateway"]},
            {"ip": "127.0.0.1", "hostnames": ["db", "frontend", "web"]},
        ])
    );
    // web depends on db: db is a native sidecar, started first; it is awaited only as
    // started, so it needs no startup probe.
    let db = &spec["initContainers"][0];
    let web = &spec["containers"][0];
    assert_eq!(db["name"], "db");
    assert_eq!(db["restartPolicy"], "Always");
    assert_eq!(db.get("startupProbe"), None);
    assert_eq!(spec["containers"].as_array().unwrap().len(), 1);
    assert_eq!(
        db["env"],
        json!([{"name": "POSTGRES_PASSWORD", "value": "test"}])
    );
    assert_eq!(
        db["securityContext"],
        json!({"runAsUser": 999, "runAsGroup": 999})
    );
    assert_eq!(
        db["resources"],
        json!({"limits": {"memory": "1073741824", "cpu": "1.5"}, "requests": {"memory": "536870912"}})
    );
    assert_eq!(
        db["livenessProbe"],
        json!({
            "exec": {"command": ["/bin/sh", "-c", "pg_isready"]},
            "periodSeconds": 2, "timeoutSeconds": 30,
            // The start period's two tries, then the five retries.
            "failureThreshold": 7,
        })
    );
    let mounts = db["volumeMounts"].as_array().unwrap();
    assert_eq!(
        mounts[0],
        json!({"name": "volume-pg", "mountPath": "/var/lib/postgresql/data"})
    );
    assert_eq!(mounts[1]["readOnly"], true);
    assert_eq!(web["name"], "web");
    assert_eq!(web["command"], json!(["/entry"]));
    assert_eq!(web["args"], json!(["serve", "--port", "80"]));
    assert_eq!(
        web["ports"],
        json!([
            {"containerPort": 80, "hostPort": 8080, "hostIP": "127.0.0.1", "protocol": "TCP"},
            {"containerPort": 9000, "protocol": "UDP"},
        ])
    );
    assert_eq!(
        web["securityContext"],
        json!({"readOnlyRootFilesystem": true, "capabilities": {"add": ["NET_ADMIN"]}})
    );
    let volumes = spec["volumes"].as_array().unwrap();
    assert_eq!(
        volumes[0],
        json!({"name": "volume-pg", "persistentVolumeClaim": {"claimName": "shop-pg"}})
    );
    assert_eq!(volumes[1]["hostPath"]["type"], "File");
    assert!(volumes[1]["hostPath"]["path"]
        .as_str()
        .unwrap()
        .ends_with("/motd"));
    assert_eq!(
        volumes[2],
        json!({"name": "db-anonymous-2", "emptyDir": {}})
    );
    assert_eq!(
        volumes[3],
        json!({"name": "web-tmpfs-option-0", "emptyDir": {"medium": "Memory"}})
    );
    assert_eq!(
        dropped,
        ["not kept: its own restart policy (a pod has one for all), of db",]
    );
}

#[test]
fn replicas_get_numbered_containers_and_external_volumes_no_claim() {
    let (docs, dropped) = generate(
        "services:
  worker:
    image: w
    deploy: {replicas: 2}
    volumes: [shared:/shared]
    user: app
volumes:
  shared: {external: true, name: team-cache}
",
    );
    assert_eq!(docs.len(), 1, "no claim for an external volume: {docs:#?}");
    let spec = &docs[0]["spec"];
    assert_eq!(spec["restartPolicy"], "Never");
    let names: Vec<&str> = spec["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["worker-1", "worker-2"]);
    assert_eq!(
        spec["volumes"],
        json!([{"name": "volume-shared", "persistentVolumeClaim": {"claimName": "team-cache"}}])
    );
    assert_eq!(
        dropped,
        ["not kept: a user given by name (Kubernetes takes numeric IDs), of worker"]
    );
}

#[test]
fn names_are_made_valid_for_kubernetes() {
    assert_eq!(dns_name("Volume_My.Data"), "volume-my-data");
    assert_eq!(dns_name("__a..b__"), "a-b");
    assert_eq!(dns_name(&"x".repeat(70)).len(), 63);
    assert_eq!(dns_name(&format!("{}_y", "x".repeat(62))), "x".repeat(62));
    assert_eq!(names::label_value("-my app_"), "my-app");
    assert_eq!(names::label_value(&"v".repeat(70)).len(), 63);
}

/// A DNS-1123 label as the API server checks it.
fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !name.is_empty()
        && name.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
}

#[test]
fn every_name_is_a_dns_label_and_the_changed_ones_are_shown_in_a_comment() {
    let (_dir, project) = load(
        "services:
  api_v2:
    image: api:2
    volumes: [sightings:/data, Shared_Cache:/cache]
  api-v2:
    image: api:1
  Worker.One:
    image: worker:1
    depends_on: [api_v2]
volumes:
  sightings: {}
  Shared_Cache: {external: true}
",
        "eco_kube",
    );
    let out = kube(&project, &Plan::new(&project).unwrap(), Target::Kubernetes);
    let docs = documents(&out.yaml);
    let pod = docs.iter().find(|d| d["kind"] == "Pod").unwrap();
    let claim = docs
        .iter()
        .find(|d| d["kind"] == "PersistentVolumeClaim")
        .unwrap();
    let containers: Vec<&str> = pod["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let claims: Vec<&str> = pod["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["persistentVolumeClaim"]["claimName"].as_str())
        .collect();
    let mut all = vec![
        pod["metadata"]["name"].as_str().unwrap(),
        claim["metadata"]["name"].as_str().unwrap(),
    ];
    all.extend(&containers);
    all.extend(&claims);
    for name in &all {
        assert!(is_dns_label(name), "{name:?} in {}", out.yaml);
    }
    assert_eq!(pod["metadata"]["name"], "eco-kube");
    assert_eq!(claim["metadata"]["name"], "eco-kube-sightings");
    assert!(claims.contains(&"shared-cache"), "{claims:?}");
    // `api_v2` and `api-v2` stay two containers: the changed one keeps apart by a hash.
    let mut unique = containers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), containers.len(), "{containers:?}");
    assert!(containers.contains(&"api-v2"), "{containers:?}");
    assert!(containers.contains(&"worker-one"), "{containers:?}");
    // The comment maps each changed name, and the same project gives the same names.
    for original in [
        "eco_kube",
        "eco_kube_sightings",
        "Shared_Cache",
        "Worker.One",
    ] {
        assert!(
            out.yaml.contains(&format!("#   {original} -> ")),
            "{original} in {}",
            out.yaml
        );
    }
    assert!(!out.yaml.contains("#   api-v2 ->"), "{}", out.yaml);
    assert_eq!(
        out,
        kube(&project, &Plan::new(&project).unwrap(), Target::Kubernetes)
    );
    // The recommended labels, beside the project's own that `down` finds it by.
    let labels = &pod["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/part-of"], "eco_kube");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "sidepod");
    assert_eq!(labels["io.sidepod.project"], "eco_kube");
    assert_eq!(
        claim["metadata"]["labels"]["app.kubernetes.io/component"],
        "sightings"
    );
}

#[test]
fn a_secret_value_is_never_written_and_its_variables_read_it_from_a_secret() {
    let job = "container:
  image: alpine:3
  environment: {DATABASE_URL: 'postgres://app:${DB_PASSWORD}@db/app'}
services:
  db:
    image: postgres:16
    environment: {POSTGRES_PASSWORD: '${DB_PASSWORD}', POSTGRES_DB: app}
mask: [DB_PASSWORD]
steps:
  - name: Test
    run: psql \"$URL\" -c 'select 1'
    env: {URL: 'postgres://app:${DB_PASSWORD}@db/app', MODE: plain}
";
    let out = generate_job(
        &[("sidepod.yaml", job)],
        Target::Kubernetes,
        &Workspace::Empty,
    );
    assert!(!out.yaml.contains("s3cret-value"), "{}", out.yaml);
    let docs = documents(&out.yaml);
    let spec = &docs[0]["spec"]["template"]["spec"];
    let env_of = |c: &serde_json::Value, n: &str| {
        c["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == n)
            .unwrap()
            .clone()
    };
    let db = &spec["initContainers"][0];
    assert_eq!(
        env_of(db, "POSTGRES_PASSWORD")["valueFrom"],
        json!({"secretKeyRef": {"name": "ci-secrets", "key": "db.POSTGRES_PASSWORD"}})
    );
    // An ordinary value stays as it is.
    assert_eq!(env_of(db, "POSTGRES_DB")["value"], "app");
    let main = &spec["containers"][0];
    assert_eq!(
        env_of(main, "DATABASE_URL")["valueFrom"]["secretKeyRef"]["key"],
        "main.DATABASE_URL"
    );
    // A step's secret variable comes from the container's environment, by another name.
    assert_eq!(
        env_of(main, "SIDEPOD_STEP_1_URL")["valueFrom"]["secretKeyRef"]["key"],
        "main.URL"
    );
    let script = main["args"][0].as_str().unwrap();
    assert!(
        script.contains("export URL=\"$SIDEPOD_STEP_1_URL\""),
        "{script}"
    );
    assert!(script.contains("export MODE=plain"), "{script}");
    assert!(
        out.yaml
            .contains("#   kubectl create secret generic ci-secrets \\\n"),
        "{}",
        out.yaml
    );
}

#[test]
fn secrets_come_from_a_secret_and_written_configs_from_a_config_map() {
    let compose = "services:
  app:
    image: app:1
    secrets: [token, {source: key, target: /etc/app/key}]
    configs: [{source: motd, target: /etc/motd}, {source: settings, target: /etc/app.ini}]
secrets:
  token: {file: ./motd}
  key: {environment: APP_KEY}
configs:
  motd: {file: ./motd}
  settings: {content: \"debug = false\"}
";
    let (dir, project) = load(compose, "shop");
    let plan = Plan::new(&project).unwrap();
    let out = kube(&project, &plan, Target::Kubernetes);
    let docs = documents(&out.yaml);
    assert_eq!(docs[0]["kind"], "ConfigMap");
    assert_eq!(docs[0]["metadata"]["name"], "shop-configs");
    assert_eq!(docs[0]["data"], json!({"config.settings": "debug = false"}));
    let pod = &docs[1]["spec"];
    let mounts = &pod["containers"][0]["volumeMounts"];
    assert_eq!(
        mounts,
        &json!([
            {"name": "secrets", "mountPath": "/run/secrets/token", "subPath": "secret.token", "readOnly": true},
            {"name": "secrets", "mountPath": "/etc/app/key", "subPath": "secret.key", "readOnly": true},
            {"name": "config-motd", "mountPath": "/etc/motd", "readOnly": true},
            {"name": "configs", "mountPath": "/etc/app.ini", "subPath": "config.settings", "readOnly": true},
        ])
    );
    assert_eq!(
        pod["volumes"][0],
        json!({"name": "secrets", "secret": {"secretName": "shop-secrets"}})
    );
    let motd = dir.path().join("motd");
    let from_file = format!("#     --from-file=secret.token={} \\\n", motd.display());
    assert!(out.yaml.contains(&from_file), "{}", out.yaml);
    assert!(
        out.yaml.contains("#     --from-literal=secret.key=...\n"),
        "{}",
        out.yaml
    );
    assert_eq!(out.dropped, Vec::<String>::new());

    // podman kube play mounts host files only: the others are named, not silently lost.
    let podman = kube(&project, &plan, Target::Podman);
    let docs = documents(&podman.yaml);
    assert_eq!(docs[0]["kind"], "Pod");
    let mounts = docs[0]["spec"]["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap();
    assert_eq!(mounts.len(), 2, "{mounts:?}");
    assert_eq!(
        podman.dropped,
        [
            "not kept: a config with no file to mount (an external one; for podman kube play, one given by content or environment), of app",
            "not kept: a secret with no file to mount (an external one; for podman kube play, one given by content or environment), of app",
        ]
    );
}
