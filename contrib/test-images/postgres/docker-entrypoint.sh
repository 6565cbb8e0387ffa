#!/bin/sh
# The test image tagged postgres:16: it starts PostgreSQL as the official image does,
# from the variables its documentation gives (POSTGRES_PASSWORD, POSTGRES_USER,
# POSTGRES_DB, POSTGRES_HOST_AUTH_METHOD, POSTGRES_INITDB_ARGS, PGDATA) and the scripts
# in /docker-entrypoint-initdb.d. The server inside is Debian's PostgreSQL 15.
set -e
bin=/usr/lib/postgresql/15/bin
case "$1" in -*) set -- postgres "$@" ;; esac
if [ "$1" != postgres ]; then
    exec "$@"
fi
shift
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        cat >&2 <<'MSG'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".
MSG
        exit 1
    fi
    pwfile=
    if [ -n "$POSTGRES_PASSWORD" ]; then
        pwfile=$(mktemp)
        printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
        chown postgres "$pwfile"
    fi
    # shellcheck disable=SC2086
    as_postgres "$bin/initdb" --username="$POSTGRES_USER" ${pwfile:+--pwfile="$pwfile"} \
        $POSTGRES_INITDB_ARGS >/dev/null
    [ -z "$pwfile" ] || rm -f "$pwfile"
    printf 'host all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"
    # While it sets up, the server listens on a socket of its own only: pg_isready
    # answers once the real server is up.
    init_socket=$(mktemp -d)
    chown postgres "$init_socket"
    as_postgres "$bin/pg_ctl" -D "$PGDATA" -w -s \
        -o "-c listen_addresses='' -k $init_socket" start
    export PGUSER="$POSTGRES_USER" PGHOST="$init_socket"
    if [ "$POSTGRES_DB" != postgres ]; then
        as_postgres psql -q -v ON_ERROR_STOP=1 --dbname postgres \
            -c "CREATE DATABASE \"$POSTGRES_DB\""
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh) echo "running $f"; . "$f" ;;
            *.sql) echo "running $f"; as_postgres psql -q -v ON_ERROR_STOP=1 --dbname "$POSTGRES_DB" -f "$f" ;;
        esac
    done
    as_postgres "$bin/pg_ctl" -D "$PGDATA" -m fast -w -s stop
    unset PGUSER PGHOST
    rm -rf "$init_socket"
    echo "PostgreSQL init process complete; ready for start up."
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups \
    "$bin/postgres" -D "$PGDATA" -k /var/run/postgresql -c listen_addresses='*' "$@"
