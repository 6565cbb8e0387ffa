#!/usr/bin/env bash
# Builds the images sidepod's tests and demo use, offline and idempotently:
#   localhost/sidepod-test/busybox:latest    a busybox-static root (sh, httpd, nc, wget, ...)
#   localhost/sidepod-test/services:latest   a minimal Debian root with redis-server,
#                                            redis-cli, PostgreSQL 15, pg_isready, psql
#   docker.io/library/postgres:16            the services root, started as the official
#   docker.io/library/redis:7                images start (contrib/test-images/), so CI
#                                            files can be tested as their docs write them
# Root filesystems are built once into a cache (busybox from the host's busybox-static,
# the Debian root with debootstrap from the host's apt mirror) and imported into the
# podman storage of the current user and, with --for-user NAME, of that user too.
# Usage: contrib/build-test-images.sh [--for-user NAME]...   (needs contrib/setup-host.sh)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUSYBOX_IMAGE=localhost/sidepod-test/busybox:latest
SERVICES_IMAGE=localhost/sidepod-test/services:latest
# Raise VERSION when the roots change (cached roots and images are then rebuilt), and
# IMAGE_VERSION when only the image configuration changes (images are re-imported).
VERSION=2
IMAGE_VERSION=3
# Images from registries set PATH; so do these (podman kube play needs it).
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ "$(id -u)" -eq 0 ]; then
    CACHE=${SIDEPOD_IMAGE_CACHE:-/var/cache/sidepod-test}
else
    CACHE=${SIDEPOD_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sidepod-test}
fi
users=("$(id -un)")
while [ $# -gt 0 ]; do
    case "$1" in
        --for-user) users+=("$2"); shift 2 ;;
        *) echo "usage: $0 [--for-user NAME]..." >&2; exit 2 ;;
    esac
done
mkdir -p "$CACHE"
chmod 0755 "$CACHE"

busybox_tar() {
    local tar=$CACHE/busybox-v$VERSION.tar
    [ -s "$tar" ] && return
    echo "==> building the busybox root"
    local root
    root=$(mktemp -d)
    chmod 0755 "$root"  # the image's /, which non-root users in containers must traverse
    mkdir -p "$root"/{bin,etc,tmp,root,var/tmp,data}
    chmod 1777 "$root/tmp" "$root/var/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
        [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
    done
    ln -s bin "$root/sbin"
    mkdir -p "$root/usr"
    ln -s ../bin "$root/usr/bin"
    ln -s ../bin "$root/usr/sbin"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\n' > "$root/etc/group"
    tar --numeric-owner -C "$root" -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    chmod 0644 "$tar"
    rm -rf "$root"
}

debian_mirror() {
    local uri
    uri=$(grep -h -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | grep -v security | head -1 | awk '{ print ($1 == "deb") ? $2 : $2 }')
    echo "${uri:-http://deb.debian.org/debian}"
}

services_tar() {
    local tar=$CACHE/services-v$VERSION.tar
    [ -s "$tar" ] && return
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: the services root is built with debootstrap, as root; run this once as root" >&2
        exit 1
    fi
    echo "==> building the Debian services root with debootstrap (about a minute)"
    local root
    root=$(mktemp -d)
    chmod 0755 "$root"  # the image's /, which non-root users in containers must traverse
    debootstrap --variant=minbase --include=redis-server,postgresql-15 bookworm "$root" "$(debian_mirror)" >/dev/null
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar --numeric-owner -C "$root" -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    chmod 0644 "$tar"
    rm -rf "$root"
}

as_user() {
    local user=$1
    shift
    if [ "$user" = "$(id -un)" ]; then
        "$@"
    else
        (cd / && runuser -u "$user" -- "$@")
    fi
}

# Rootless podman refuses every command when its pause process is gone while its
# containers' state says they still run (their processes were killed and /tmp kept):
# "invalid internal status, try resetting the pause process". migrate resets it.
podman_usable() {
    local user=$1 err
    if err=$(as_user "$user" podman info --format '{{.Host.OCIRuntime.Name}}' 2>&1 >/dev/null); then
        return
    fi
    if grep -q "resetting the pause process" <<<"$err"; then
        echo "==> podman system migrate for $user (its pause process is gone)"
        as_user "$user" podman system migrate >/dev/null
        return
    fi
    echo "error: podman does not work for $user: $err" >&2
    exit 1
}

import() {
    local user=$1 image=$2 tar=$3 have
    have=$(as_user "$user" podman image inspect --format '{{index .Labels "io.sidepod.test-image"}}' "$image" 2>/dev/null || true)
    if [ "$have" = "$VERSION.$IMAGE_VERSION" ]; then
        return
    fi
    echo "==> importing $image for $user"
    as_user "$user" podman import --quiet --change 'CMD ["/bin/sh"]' \
        --change "ENV PATH=$IMAGE_PATH" \
        --change "LABEL io.sidepod.test-image=$VERSION.$IMAGE_VERSION" "$tar" "$image" >/dev/null
}

# An image made from contrib/test-images/NAME over the services image; rebuilt when its
# files or the services image change.
derive() {
    local user=$1 image=$2 name=$3 have stamp context
    stamp=$(cd "$HERE/test-images/$name" && cat Containerfile docker-entrypoint.sh | sha256sum | cut -c1-16)
    stamp=$VERSION.$IMAGE_VERSION.$stamp
    have=$(as_user "$user" podman image inspect --format '{{index .Labels "io.sidepod.test-image"}}' "$image" 2>/dev/null || true)
    if [ "$have" = "$stamp" ]; then
        return
    fi
    echo "==> building $image for $user"
    # A copy the user can read, wherever the checkout is.
    context=$(mktemp -d)
    cp "$HERE/test-images/$name"/* "$context/"
    chmod -R a+rX "$context"
    as_user "$user" podman build --quiet --label "io.sidepod.test-image=$stamp" \
        --tag "$image" "$context" >/dev/null
    rm -rf "$context"
}

busybox_tar
services_tar
for user in "${users[@]}"; do
    podman_usable "$user"
    import "$user" "$BUSYBOX_IMAGE" "$CACHE/busybox-v$VERSION.tar"
    import "$user" "$SERVICES_IMAGE" "$CACHE/services-v$VERSION.tar"
    derive "$user" docker.io/library/postgres:16 postgres
    derive "$user" docker.io/library/redis:7 redis
done
echo "==> test images ready for: ${users[*]}"
