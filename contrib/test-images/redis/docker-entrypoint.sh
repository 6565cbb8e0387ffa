#!/bin/sh
# The test image tagged redis:7: it starts redis-server as the official image does, as
# the redis user in /data, reachable from other containers (protected mode off).
set -e
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ]; then
    case "$*" in *protected-mode*) ;; *) set -- "$@" --protected-mode no ;; esac
    chown redis /data 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
