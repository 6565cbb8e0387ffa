#!/usr/bin/env bash
# Prepares a Debian host for sidepod's podman tests, idempotently (run as root):
#  - installs podman and its helpers (only what is missing);
#  - writes the containers.conf these hosts need: runc (crun fails on a hybrid cgroup
#    setup), explicit rlimits (podman's defaults fail with "setrlimit RLIMIT_NOFILE"), and
#    the netavark network backend with aardvark-dns, whose network DNS bridge mode needs
#    (Debian's default, CNI without dnsname, resolves no names; Fedora has netavark);
#  - makes /dev/net/tun usable for slirp4netns;
#  - creates the non-root user that runs the rootless tests, with subuid/subgid ranges.
# On Fedora and RHEL: `sudo dnf install podman`; nothing else is needed there.
set -euo pipefail

TEST_USER=${SIDEPOD_TEST_USER:-sidepod-test}

if [ "$(id -u)" -ne 0 ]; then
    echo "error: run this as root (it installs packages and adds a user)" >&2
    exit 1
fi

# python3-venv: contrib/bench.sh installs podman-compose into a venv for the comparison,
# and contrib/validate-kube.sh kubernetes-validate.
# docker-registry and apache2-utils (htpasswd): the registry the login tests pull from.
# netavark, aardvark-dns, iptables: podman networks with DNS, for bridge mode.
# git (its daemon) and openssh-client (ssh-agent): builds from a git URL and with an agent.
# zsh, fish: the completion tests run each shell's completion function (bash is here).
# rpm, dpkg-dev, debhelper: the package builds; python3-yaml: the CI recipes' test.
# buildah: a container in podman's storage that podman does not know, as a failed run leaves.
packages=(podman runc catatonit uidmap slirp4netns fuse-overlayfs busybox-static debootstrap python3-venv
    docker-registry apache2-utils netavark aardvark-dns iptables git openssh-client zsh fish
    rpm dpkg-dev debhelper python3-yaml buildah)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

conf=/etc/containers/containers.conf
if ! grep -qs 'runtime = "runc"' "$conf" || ! grep -qs 'default_ulimits' "$conf" \
    || ! grep -qs 'network_backend = "netavark"' "$conf"; then
    echo "==> writing $conf (runc, explicit ulimits, netavark)"
    mkdir -p /etc/containers
    if [ -s "$conf" ]; then cp "$conf" "$conf.before-sidepod"; fi
    cat > "$conf" <<'CONF'
# Written by sidepod's contrib/setup-host.sh for this host:
# crun fails here with "cgroups in hybrid mode not supported", and podman's default
# rlimits fail with "setrlimit RLIMIT_NOFILE: Operation not permitted".
# Podman networks need netavark and aardvark-dns for their names to resolve.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"

[network]
network_backend = "netavark"
CONF
fi

# Bridges that podman made with CNI before netavark took over hold the same subnets as
# netavark's (10.88.0.0/16 for the default network): their routes break published
# ports ("No route to host"). Nothing uses them any more.
if command -v ip >/dev/null; then
    for link in $(ip -o link show | awk -F': ' '$2 ~ /^cni-podman[0-9]+$/ { print $2 }'); do
        echo "==> removing $link, a bridge of podman's former CNI network backend"
        ip link delete "$link"
    done
fi

# The test registry (tests/podman_registry.rs starts it) speaks plain HTTP on this port.
registry_conf=/etc/containers/registries.conf.d/sidepod-test-registry.conf
if [ ! -s "$registry_conf" ]; then
    echo "==> writing $registry_conf (the test registry at 127.0.0.1:5099, plain HTTP)"
    mkdir -p /etc/containers/registries.conf.d
    printf '[[registry]]\nlocation = "127.0.0.1:5099"\ninsecure = true\n' > "$registry_conf"
fi

if [ ! -c /dev/net/tun ]; then
    mkdir -p /dev/net
    mknod /dev/net/tun c 10 200
fi
chmod 0666 /dev/net/tun

if ! id "$TEST_USER" >/dev/null 2>&1; then
    echo "==> adding user $TEST_USER for rootless tests"
    useradd --create-home --shell /bin/bash "$TEST_USER"
fi
for f in /etc/subuid /etc/subgid; do
    if ! grep -q "^$TEST_USER:" "$f" 2>/dev/null; then
        # Pick a range above every existing one.
        start=$(awk -F: '{ end = $2 + $3; if (end > max) max = end } END { print (max > 100000 ? max : 100000) }' "$f" 2>/dev/null || echo 100000)
        echo "$TEST_USER:$start:65536" >> "$f"
    fi
done
# Rootless storage: without a usable /dev/fuse, podman falls back to vfs, which copies a
# whole image for every container (seconds each for the services image). Kernels from
# 5.13 mount overlay in a user namespace themselves: use that when it works here.
home=$(getent passwd "$TEST_USER" | cut -d: -f6)
storage_conf=$home/.config/containers/storage.conf
if [ ! -s "$storage_conf" ]; then
    probe=$(mktemp -d)
    chown "$TEST_USER" "$probe"
    if (cd / && runuser -u "$TEST_USER" -- podman --storage-driver overlay --root "$probe/root" \
            --runroot "$probe/run" info --format '{{.Store.GraphDriverName}}' 2>/dev/null) | grep -q overlay; then
        echo "==> rootless storage for $TEST_USER: native overlay"
        runuser -u "$TEST_USER" -- mkdir -p "$home/.config/containers"
        printf '[storage]\ndriver = "overlay"\n' | runuser -u "$TEST_USER" -- tee "$storage_conf" >/dev/null
        # Storage made with another driver cannot be read with this one: start afresh
        # (the test images are imported again).
        if [ -d "$home/.local/share/containers/storage/vfs" ]; then
            (cd / && runuser -u "$TEST_USER" -- podman system reset --force >/dev/null 2>&1) || true
        fi
    fi
    (cd / && runuser -u "$TEST_USER" -- podman --root "$probe/root" --runroot "$probe/run" \
        system reset --force >/dev/null 2>&1) || true
    rm -rf "$probe"
fi

echo "==> host ready: podman $(podman version --format '{{.Client.Version}}' 2>/dev/null || echo '?'), rootless user $TEST_USER"
