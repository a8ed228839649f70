#!/bin/bash
# sparse: build the sparse that make compile-check runs (C=1) into the
# cache, once.  7.3 needs a sparse that knows __typeof_unqual__
# (scripts/checker-valid.sh); Debian 12's 0.6.4 does not, so the source
# of Debian's newer package is fetched through a one-off deb-src list
# and built here.  Prints the path of the binary.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SPARSE_SUITE=sid
SPARSE_VERSION=0.6.5~rc1-2
SPARSE_ORIG=sparse_0.6.5~rc1.orig.tar.gz
SPARSE_SHA256=3ac8855ec7f3ab92f325be0f64347ccc2b10f8b4d7c2906783ee8e2bdab3f0de

dest=$CACHE/tools/sparse-${SPARSE_VERSION//\~/_}
if [ -x "$dest/sparse" ]; then
	echo "$dest/sparse"
	exit 0
fi
need_pkgs dpkg-dev debian-archive-keyring make gcc >&2
log=$LOGS/sparse.log
mkdir -p "$LOGS" "$CACHE/tools"
apt_suite deb-src "$SPARSE_SUITE" "$CACHE/apt-$SPARSE_SUITE-src"
tmp=$(mktemp -d "$CACHE/tools/sparse.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "building sparse $SPARSE_VERSION (source from Debian $SPARSE_SUITE); log: $log" >&2
run_logged "$log" apt-get "${APT_OPTS[@]}" update ||
	die "could not read Debian $SPARSE_SUITE's source lists; log: $log"
(cd "$tmp" && run_logged "$log" apt-get "${APT_OPTS[@]}" source --download-only \
	"sparse=$SPARSE_VERSION") || die "could not download sparse $SPARSE_VERSION; log: $log"
sum=$(sha256sum "$tmp/$SPARSE_ORIG" | cut -d' ' -f1)
[ "$sum" = "$SPARSE_SHA256" ] || die "$SPARSE_ORIG has sha256 $sum, expected $SPARSE_SHA256"
tar -xzf "$tmp/$SPARSE_ORIG" -C "$tmp"
run_logged "$log" make -C "$tmp"/sparse-*/ -j"$(nproc)" sparse || die "sparse did not build; log: $log"
mkdir -p "$dest"
cp "$tmp"/sparse-*/sparse "$dest/sparse"
echo "$dest/sparse"
