#!/usr/bin/env bash
# cluster.sh start|stop|reset|url: a Citus coordinator and two workers on local
# ports ($COALITION_CITUS_PORT, +1, +2), from the private tree build.sh made.
set -euo pipefail
# shellcheck source=env.sh
source "$(dirname "$0")/env.sh"

as_owner() {
    if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

sql() {  # sql PORT STATEMENT
    PGOPTIONS="-c client_min_messages=warning" as_owner "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d postgres -tAc "$2"
}

start() {
    if [[ ! -x "$PGBIN/postgres" ]]; then
        echo "citus: not built; run deploy/citus/build.sh first" >&2
        exit 1
    fi
    mkdir -p "$DATA"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$DATA"
    for i in 0 1 2; do
        local port=$((PORT + i)) dir="$DATA/n$i"
        if [[ ! -f "$dir/PG_VERSION" ]]; then
            as_owner "$PGBIN/initdb" -D "$dir" -A trust -U postgres >/dev/null
            cat >> "$dir/postgresql.conf" <<CONF
shared_preload_libraries = 'citus'
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DATA'
max_prepared_transactions = 100
max_connections = 200
shared_buffers = 64MB
# asyncpg looks up the row types a new connection meets (the posting
# functions return one) with a catalog query that took 2 to 10 seconds on the
# coordinator, and the till's first requests timed out: Citus hides shards
# from pg_class with a function called for every row, and the plan went over
# the JIT threshold. The coordinator's own shards (of reference and local
# tables) showing in the catalog harms nothing; the query takes milliseconds.
citus.override_table_visibility = off
jit = off
CONF
        fi
        if ! as_owner "$PGBIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
            as_owner "$PGBIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w start >/dev/null
        fi
        sql "$port" "CREATE EXTENSION IF NOT EXISTS citus"
    done
    sql "$PORT" "SELECT citus_set_coordinator_host('127.0.0.1', $PORT)" >/dev/null
    for i in 1 2; do
        sql "$PORT" "SELECT citus_add_node('127.0.0.1', $((PORT + i))) WHERE NOT EXISTS (
            SELECT 1 FROM pg_dist_node WHERE nodeport = $((PORT + i)))" >/dev/null
    done
    echo "citus: coordinator on $PORT, workers: $(sql "$PORT" "SELECT count(*) FROM citus_get_active_worker_nodes()")"
    echo "COALITION_CITUS_URL=$(url)"
}

stop() {
    for i in 2 1 0; do
        local dir="$DATA/n$i"
        if [[ -f "$dir/postmaster.pid" ]]; then
            as_owner "$PGBIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
        fi
    done
    echo "citus: stopped"
}

reset() {  # a fresh, empty cluster
    stop
    rm -rf "$DATA"
    start
}

url() {
    echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    reset) reset ;;
    url) url ;;
    *) echo "usage: $0 start|stop|reset|url" >&2; exit 2 ;;
esac
