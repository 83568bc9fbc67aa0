#!/bin/sh
# Makes the base image localhost/debian-python:bookworm for machines that reach
# Debian's mirrors but no container registry: Debian's own python3 (3.11) in a
# minimal root file system. The tarball is cached outside the clone and built
# only when missing (about 30 s); the image is imported only when podman lacks it.
#   deploy/scripts/debian-python-base.sh        prints the image's name
# Then: podman build --build-arg BASE=localhost/debian-python:bookworm ...
# Needs: podman, mmdebstrap (apt-get install -y podman runc mmdebstrap uidmap).
set -eu

IMAGE=localhost/debian-python:bookworm
CACHE=${COALITION_CI_CACHE:-/var/cache/coalition-ci}
TARBALL=$CACHE/debian-python-bookworm.tar

if ! podman image exists "$IMAGE"; then
    if [ ! -s "$TARBALL" ]; then
        mkdir -p "$CACHE"
        # Written under another name first: an interrupted build leaves no tarball that looks complete.
        mmdebstrap --quiet --variant=minbase --format=tar \
            --include=python3,python3-venv,ca-certificates \
            bookworm "$TARBALL.partial"
        mv "$TARBALL.partial" "$TARBALL"
    fi
    podman import --quiet "$TARBALL" "$IMAGE" >/dev/null
fi
echo "$IMAGE"
