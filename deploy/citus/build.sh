#!/usr/bin/env bash
# Builds Citus 13.2.2 once into a private PostgreSQL 15 tree under the cache
# folder, so the machine's own PostgreSQL installation is never touched.
# PostgreSQL finds its share and lib directories relative to its binary, so a
# copy of Debian's tree plus the Citus files is a complete, relocatable server.
set -euo pipefail

# shellcheck source=env.sh
source "$(dirname "$0")/env.sh"
SOURCE="${COALITION_CITUS_SOURCE:-/work/shared/citus/citus-13.2.2.tar.gz}"
PATCH="${COALITION_CITUS_PATCH:-$(dirname "$SOURCE")/pg15-exported-createdb-privilege.patch}"

if [[ -f "$ROOT/usr/lib/postgresql/15/lib/citus.so" && -x "$PGBIN/postgres" ]]; then
    echo "citus: already built in $ROOT"
    exit 0
fi

# The server headers alone are not enough: Citus's configure and compile also
# need the lz4, zstd and GSSAPI headers, which a machine with only
# postgresql-server-dev-15 lacks.
if ! command -v pg_config >/dev/null || [[ ! -d /usr/include/postgresql/15/server ]] \
    || [[ ! -f /usr/include/lz4.h || ! -f /usr/include/zstd.h || ! -f /usr/include/gssapi/gssapi.h ]]; then
    if [[ "$(id -u)" != 0 ]]; then
        echo "citus: postgresql-server-dev-15 is missing and only root can install it" >&2
        exit 1
    fi
    apt-get install -y --no-install-recommends postgresql-server-dev-15 liblz4-dev \
        libzstd-dev libkrb5-dev libssl-dev libselinux1-dev libxslt1-dev \
        libpam0g-dev libreadline-dev make gcc patch
fi

mkdir -p "$CACHE"
BUILD="$CACHE/build"
rm -rf "$BUILD" "$ROOT"
mkdir -p "$BUILD"
tar xzf "$SOURCE" -C "$BUILD"
cd "$BUILD"/citus-*
# PostgreSQL 15.19 exports have_createdb_privilege; Citus 13.2.2 carries its
# own static copy for PostgreSQL 15 and the build stops on the clash.
if grep -q "have_createdb_privilege" <(nm -D /usr/lib/postgresql/15/bin/postgres 2>/dev/null) \
    && patch -p1 --forward --dry-run < "$PATCH" >/dev/null; then
    patch -p1 --forward < "$PATCH"
fi
./configure --without-libcurl PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config >/dev/null
make -j"$(nproc)" >/dev/null
make install DESTDIR="$ROOT" >/dev/null

# The private tree: Debian's server binaries, libraries and share files.
mkdir -p "$ROOT/usr/lib/postgresql" "$ROOT/usr/share/postgresql"
cp -an /usr/lib/postgresql/15 "$ROOT/usr/lib/postgresql/"
cp -an /usr/share/postgresql/15 "$ROOT/usr/share/postgresql/"
rm -rf "$BUILD"
echo "citus: built into $ROOT"
