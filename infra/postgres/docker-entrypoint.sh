#!/bin/sh
# Initialise PGDATA on the first start from POSTGRES_PASSWORD / POSTGRES_USER / POSTGRES_DB (as the
# upstream postgres image does), then run the server in the foreground.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
if [ "${1:-postgres}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "POSTGRES_PASSWORD is not set: the database would have no password" >&2
        exit 1
    fi
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" > /dev/null
    rm -f "$pwfile"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start > /dev/null
    if [ "$db" != postgres ]; then
        psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -q -c "CREATE DATABASE \"$db\""
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sql) psql -v ON_ERROR_STOP=1 -U "$user" -d "$db" -q -f "$f" ;;
            *.sh) . "$f" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop > /dev/null
    echo "database $db initialised for $user"
fi
if [ "${1:-postgres}" = postgres ]; then
    shift || true
    exec postgres -D "$PGDATA" "$@"
fi
exec "$@"
