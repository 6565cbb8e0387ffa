//! Examples of each command, for its man page (`sidepod-up(1)`, ...): a command line,
//! and what it does.

/// Per command (`cache ls` for a nested one): its examples.
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    ("up", &[
        ("sidepod up -d", "Start every service in the background, in one pod."),
        ("sidepod up --wait -d web", "Start web and what it depends on; return once they are healthy."),
        ("sidepod up --exit-code-from test", "Run the stack until test exits, and exit with its code."),
        ("sidepod up -d --scale worker=3", "Run three replicas of worker."),
    ]),
    ("watch", &[("sidepod watch", "Start the services, then sync, restart or rebuild them as their develop.watch files change.")]),
    ("down", &[
        ("sidepod down", "Stop and remove the containers and the pod; keep the volumes."),
        ("sidepod down -v --rmi local", "Also remove the volumes and the images sidepod built."),
    ]),
    ("ps", &[
        ("sidepod ps -a", "List the project's containers, stopped ones too."),
        ("sidepod ps --format json", "One JSON object per container, as docker compose prints them."),
        ("sidepod ps -q --status running", "The IDs of the running containers."),
    ]),
    ("logs", &[
        ("sidepod logs -f web", "Follow web's output."),
        ("sidepod logs -n 50 --no-log-prefix db", "The last 50 lines of db, without prefixes."),
    ]),
    ("job", &[
        ("sidepod job", "Run sidepod.yaml: sidecars until ready, then the steps; always clean up."),
        ("sidepod job -f .github/workflows/ci.yml --job test", "Run one job of a GitHub Actions workflow here."),
        ("sidepod job --junit report.xml --logs-dir logs", "Also write a JUnit report and every container's log."),
    ]),
    ("exec", &[
        ("sidepod exec db psql -U postgres", "Run psql in the running db container."),
        ("sidepod exec -u root -w /tmp web ls", "As root, in /tmp."),
    ]),
    ("run", &[
        ("sidepod run --rm web ./manage.py migrate", "A one-off container of web, removed when it exits."),
        ("sidepod run -d --service-ports web", "In the background, with web's own ports published."),
    ]),
    ("build", &[("sidepod build --no-cache --build-arg VERSION=2 api", "Rebuild api's image without the cache.")]),
    ("pull", &[("sidepod pull -q --ignore-pull-failures", "Pull every service's image; warn about those that fail.")]),
    ("start", &[("sidepod start --wait db", "Start db's existing container, and wait until it is healthy.")]),
    ("stop", &[("sidepod stop -t 30 web", "Stop web, giving it 30 seconds.")]),
    ("restart", &[("sidepod restart --no-deps web", "Restart web alone.")]),
    ("kill", &[("sidepod kill -s SIGHUP web", "Send SIGHUP to web.")]),
    ("wait", &[("sidepod wait --down-project migrate", "Wait for migrate to exit; then take the project down.")]),
    ("pause", &[("sidepod pause worker", "Freeze worker's containers.")]),
    ("unpause", &[("sidepod unpause worker", "Thaw them.")]),
    ("rm", &[("sidepod rm -s -v worker", "Stop and remove worker's containers and their anonymous volumes.")]),
    ("port", &[("sidepod port web 80", "Where web's port 80 is published on the host.")]),
    ("top", &[("sidepod top", "The processes of every container.")]),
    ("ls", &[("sidepod ls -a --format json", "Every project here, stopped ones too, as JSON.")]),
    ("config", &[
        ("sidepod config", "The resolved project, as docker compose config prints it."),
        ("sidepod config --services", "The service names."),
        ("sidepod config --no-interpolate", "The merged files, with their ${VARIABLES} as written."),
    ]),
    ("doctor", &[("sidepod doctor", "Check podman, rootless setup, networking and storage; say how to fix what fails.")]),
    ("cp", &[
        ("sidepod cp db:/var/log/app.log .", "Copy a file out of db."),
        ("sidepod cp ./seed.sql db:/tmp/", "Copy a file into db."),
    ]),
    ("images", &[("sidepod images -q", "The IDs of the images the containers use.")]),
    ("volumes", &[("sidepod volumes db", "The volumes db mounts.")]),
    ("scale", &[("sidepod scale worker=4", "Run four replicas of worker, starting or removing containers.")]),
    ("create", &[("sidepod create", "Create the pod and containers, and start none.")]),
    ("events", &[("sidepod events --json", "Follow the containers' events, one JSON object a line.")]),
    ("stats", &[("sidepod stats --no-stream", "CPU, memory and I/O of each container, once.")]),
    ("push", &[("sidepod push api", "Push api's built image to its registry.")]),
    ("attach", &[("sidepod attach web", "Attach to web's output and input.")]),
    ("export", &[("sidepod export -o db.tar db", "Write db's file system as a tar archive.")]),
    ("generate kube", &[("sidepod generate kube > stack.yaml", "Kubernetes YAML for podman kube play.")]),
    ("cache ls", &[("sidepod cache ls", "The jobs' cache volumes: key, path, age.")]),
    ("cache prune", &[("sidepod cache prune --older-than 168h", "Remove caches older than a week.")]),
    ("completions", &[("source <(sidepod completions bash)", "Complete commands, services, profiles and jobs in bash.")]),
    ("version", &[("sidepod version --short", "The version number alone.")]),
];

/// The files every command reads, for the FILES section of the man pages.
pub const FILES: &[(&str, &str)] = &[
    ("compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml", "The Compose file found in the current directory or a parent, with compose.override.yaml (or docker-compose.override.yml) beside it. -f and COMPOSE_FILE name others."),
    (".env", "Variables for interpolation, beside the first Compose file (--env-file names others)."),
    ("sidepod.yaml, .sidepod.yaml", "The job file that sidepod job runs; see sidepod-job(5)."),
    ("/etc/sidepod/host.yaml", "The host's settings: restrict: true makes every job run as with --restrict."),
];
