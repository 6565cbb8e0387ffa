//! The docker compose commands and flags sidepod does not take, each with the reason a
//! user is told instead of clap's "unexpected argument" (`tests/compose_cli.rs` checks
//! this list against docker compose's and sidepod's own).

/// (command, flag, reason): an empty flag refuses the whole command; the command
/// `""` holds the global options.
pub const REFUSED: &[(&str, &str, &str)] = &[
    ("", "--all-resources", "sidepod creates only the networks and volumes that services use"),
    ("", "--compatibility", "sidepod names containers as docker compose v2 does (project-service-1), never in v1's form"),
    ("build", "--builder", "podman builds with its own builder (buildah); there is none to choose"),
    ("build", "--check", "podman build has no build checks"),
    ("build", "--memory", "podman build has no memory limit for BuildKit"),
    ("build", "--print", "there is no bake definition to print: sidepod builds with podman build"),
    ("build", "--provenance", "podman build writes no provenance attestations"),
    ("build", "--push", "build and push are separate: run `sidepod push` after `sidepod build`"),
    ("build", "--sbom", "podman build writes no SBOM attestations"),
    ("build", "--ssh", "give the service's `build.ssh` in the file instead"),
    ("build", "--with-dependencies", "name the services to build, dependencies included"),
    ("commit", "", "use `podman commit` on the container `sidepod ps` names"),
    ("config", "--lock-image-digests", "sidepod does not resolve images to digests"),
    ("config", "--models", "models are run by a provider, which sidepod does not run"),
    ("config", "--networks", "in a pod there are no networks; `config` shows them in bridge mode"),
    ("config", "--no-consistency", "sidepod always checks the project"),
    ("config", "--no-env-resolution", "sidepod always reads env_file into environment"),
    ("config", "--no-normalize", "sidepod prints the project in its one normal form"),
    ("config", "--no-path-resolution", "sidepod always makes paths absolute"),
    ("config", "--output", "redirect standard output to a file instead"),
    ("config", "--resolve-image-digests", "sidepod does not resolve images to digests"),
    ("config", "--variables", "use `config --environment` for the variables and their values"),
    ("convert", "", "it is the old name of `config`: use `sidepod config`"),
    ("cp", "--all", "copy to each replica with --index"),
    ("events", "--since", "podman shows events from now on; `sidepod logs --since` shows past output"),
    ("events", "--until", "podman shows events from now on, until Ctrl-C"),
    ("kill", "--remove-orphans", "use `sidepod up --remove-orphans` or `down`"),
    ("ps", "--orphans", "orphans are listed by `ps` with the others, and named by `up`"),
    ("publish", "", "sidepod publishes no Compose applications to registries as OCI artifacts"),
    ("run", "--env-from-file", "put the variables in the service's env_file, or give them with -e"),
    ("up", "--attach-dependencies", "sidepod shows every started service's output unless --attach names some"),
    ("up", "--menu", "the interactive navigation menu is Docker Desktop's"),
];

/// The reason sidepod refuses `flag` of `command` (or the command, when `flag` is
/// empty), if it does.
pub fn refused(command: &str, flag: &str) -> Option<&'static str> {
    REFUSED
        .iter()
        .find(|(c, f, _)| *c == command && *f == flag)
        .map(|(_, _, why)| *why)
}
