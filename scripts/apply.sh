#!/bin/bash
# apply: lay out the baseline and patched source trees from the pinned
# tree, or apply the series to the tree named by KSRC.
#
#   scripts/apply.sh            build/baseline/src and build/patched/src
#   KSRC=/path scripts/apply.sh the series on /path (git am or quilt)
#
# Any hunk applied with fuzz or at an offset is an error: the series
# must match the pinned tree exactly.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

phase apply "$LOGS/apply.log"
mkdir -p "$LOGS"
: >"$LOGS/apply.log"

series_patches() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$TOP/series"
}

# quilt_push DIR: push the whole series onto DIR, refusing fuzz/offset.
quilt_push() {
	local out rc=0
	[ -n "$(series_patches)" ] || return 0
	out=$(cd "$1" && QUILT_PATCHES=$TOP/patches QUILT_SERIES=$TOP/series \
		quilt push -a --fuzz=0 2>&1) || rc=$?
	printf '%s\n' "$out" >>"$LOGS/apply.log"
	if [ "$rc" -ne 0 ]; then
		printf '%s\n' "$out" | tail -n 20 >&2
		die "quilt push failed in $1"
	fi
	if printf '%s\n' "$out" | grep -E 'offset|fuzz' >&2; then
		die "a patch applied with offset or fuzz (above); refresh it against $PIN_PACKAGE $PIN_VERSION"
	fi
	info "$(series_patches | wc -l) patches applied with quilt, no fuzz, no offset"
}

# sync_tree FROM TO: make TO a copy of FROM, rewriting only the files
# whose content differs so that make rebuilds exactly what changed,
# including files a dropped patch returns to their pristine content.
sync_tree() {
	mkdir -p "$2"
	rsync -rlc --delete --exclude=/.pc --exclude=/.lsp-pristine "$1/" "$2/"
}

if [ -n "${KSRC:-}" ]; then
	[ -f "$KSRC/Makefile" ] || die "KSRC=$KSRC is not a kernel tree"
	need_pkgs quilt git
	n=$(series_patches | wc -l)
	[ "$n" -gt 0 ] || { info "series is empty"; exit 0; }
	if git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1; then
		last=$(series_patches | tail -n 1)
		subj=$(sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\?//p' "$TOP/patches/$last" | head -n 1)
		if git -C "$KSRC" log -n "$n" --format=%s | grep -qxF "$subj"; then
			info "series already applied to $KSRC"
			exit 0
		fi
		series_patches | sed "s|^|$TOP/patches/|" |
			xargs git -C "$KSRC" am --whitespace=error-all >>"$LOGS/apply.log" 2>&1 ||
			die "git am failed in $KSRC (run 'git -C $KSRC am --abort' to undo)"
		info "$n patches applied to $KSRC with git am"
	else
		if [ -f "$KSRC/.pc/applied-patches" ] &&
			[ "$(wc -l <"$KSRC/.pc/applied-patches")" -eq "$n" ]; then
			info "series already applied to $KSRC"
			exit 0
		fi
		quilt_push "$KSRC"
	fi
	exit 0
fi

[ -f "$PRISTINE/.lsp-pristine" ] || die "no pinned tree in $PRISTINE; run make fetch"
need_pkgs quilt rsync
# Never rewrite a tree that a kernel build is reading.
build_lock

info "baseline: $(srcdir baseline)"
sync_tree "$PRISTINE" "$(srcdir baseline)"

stage=$BUILD/.stage
rm -rf "$stage"
# Hard links are safe: patch(1) writes a new file and renames it, so
# the pristine copy is never modified.
cp -al "$PRISTINE" "$stage"
quilt_push "$stage"
info "patched: $(srcdir patched)"
sync_tree "$stage" "$(srcdir patched)"
rm -rf "$stage"
