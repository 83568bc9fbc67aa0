# Shared by build.sh and cluster.sh (sourced, not run).
# As root the servers run as the unprivileged `postgres` user, which cannot
# read $HOME (/root), so root's default cache lives under /var/cache.
if [[ "$(id -u)" == 0 ]]; then
    CACHE="${COALITION_CITUS_CACHE:-/var/cache/coalition-citus}"
else
    CACHE="${COALITION_CITUS_CACHE:-$HOME/.cache/coalition-citus}"
fi
ROOT="$CACHE/root"
PGBIN="$ROOT/usr/lib/postgresql/15/bin"
PORT="${COALITION_CITUS_PORT:-9700}"
DATA="${COALITION_CITUS_DATA:-/tmp/coalition-citus-$PORT}"
