#!/bin/bash
# fetch: download the pinned linux-source .deb, check its sha256 and
# unpack it once into the cache.  A second run does nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

phase fetch "$LOGS/fetch.log" "$PIN_PACKAGE $PIN_VERSION"

if [ -f "$PRISTINE/.lsp-pristine" ]; then
	info "cached: $PRISTINE"
	exit 0
fi

need_pkgs dpkg-dev xz-utils debian-archive-keyring
deb=$CACHE/dl/${PIN_PACKAGE}_${PIN_VERSION}_all.deb
mkdir -p "$CACHE/dl" "$LOGS"
if [ ! -f "$deb" ]; then
	info "downloading $PIN_PACKAGE=$PIN_VERSION from $PIN_SUITE"
	apt_suite deb "$PIN_SUITE" "$CACHE/apt"
	download() {
		(cd "$CACHE/dl" && apt-get "${APT_OPTS[@]}" download "$PIN_PACKAGE=$PIN_VERSION") \
			>>"$LOGS/fetch.log" 2>&1
	}
	: >"$LOGS/fetch.log"
	if ! download; then
		info "reading the $PIN_SUITE package list and trying again"
		apt-get "${APT_OPTS[@]}" update >>"$LOGS/fetch.log" 2>&1 || true
	fi
	if [ ! -f "$deb" ] && ! download; then
		cat >&2 <<-MSG
		$(cat "$LOGS/fetch.log")

		The pinned tree $PIN_PACKAGE=$PIN_VERSION could not be downloaded.
		If it has left the Debian archive, supply it in one of two ways:
		  - put ${deb##*/} (sha256 $PIN_SHA256)
		    into $CACHE/dl/ and run make again, or
		  - apply the series to your own 7.3 tree: make KSRC=/path/to/linux
		MSG
		exit 1
	fi
	[ -f "$deb" ] || die "apt-get download did not leave $deb"
fi

sum=$(sha256sum "$deb" | cut -d' ' -f1)
if [ "$sum" != "$PIN_SHA256" ]; then
	die "$deb has sha256 $sum, expected $PIN_SHA256 (scripts/pinned-tree); delete it to download again"
fi
info "sha256 ok: $sum"

tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
phase_cleanup rm -rf "$tmp"
info "unpacking"
dpkg-deb -x "$deb" "$tmp/deb"
mkdir "$tmp/tree"
tar -xJf "$tmp/deb/$PIN_TARBALL" -C "$tmp/tree" --strip-components=1
echo "$PIN_PACKAGE $PIN_VERSION $PIN_SHA256" >"$tmp/tree/.lsp-pristine"
rm -rf "$PRISTINE"
mv "$tmp/tree" "$PRISTINE"
info "unpacked: $PRISTINE"
