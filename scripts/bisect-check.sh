#!/bin/bash
# bisect-check: build every prefix of the series (patch 1, patches 1-2,
# ...), so that any commit a bisection lands on builds.  Uses its own
# tree and O= dir (build/bisect/) laid out like the others, so ccache
# makes each step an incremental build.  A compiler warning in a step
# fails it.
#
#   bisect-check.sh [FLAVOUR]       (default: debug)
# Writes 'P F S' to $LSP_SUMMARY when set.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
phase bisect "$LOGS/bisect-check.log" "every prefix of the series, $flavour config"
need_pkgs quilt rsync
[ -f "$PRISTINE/.lsp-pristine" ] || die "no pinned tree; run make fetch"
mapfile -t patches < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$TOP/series")
src=$(srcdir bisect)
obj=$(objdir bisect "$flavour")
mkdir -p "$obj" "$LOGS"
log=$LOGS/bisect-check.log
: >"$log"

pass=0 fail=0
for k in $(seq 1 ${#patches[@]}); do
	p=${patches[$((k - 1))]}
	stage=$BUILD/.bisect-stage
	rm -rf "$stage"
	cp -al "$PRISTINE" "$stage"
	printf '%s\n' "${patches[@]:0:k}" >"$BUILD/.bisect-series"
	(cd "$stage" && QUILT_PATCHES=$TOP/patches QUILT_SERIES=$BUILD/.bisect-series \
		quilt push -a --fuzz=0) >>"$log" 2>&1 || { echo "FAIL bisect:$p (does not apply)"; fail=$((fail + 1)); continue; }
	build_lock
	mkdir -p "$src"
	rsync -rlc --delete --exclude=/.pc --exclude=/.lsp-pristine "$stage/" "$src/"
	rm -rf "$stage"
	[ -f "$obj/.config" ] || cp "$(objdir patched "$flavour")/.config" "$obj/.config"
	echo "== prefix $k: $p" >>"$log"
	if kmake "$src" "$obj" olddefconfig bzImage >"$log.step" 2>&1 &&
		! grep -q 'warning:' "$log.step"; then
		pass=$((pass + 1))
		echo "PASS bisect:$p (prefix 1-$k builds, no warnings)"
	else
		grep -E 'warning:|error:' "$log.step" | head -n 10 >&2 || true
		fail=$((fail + 1))
		echo "FAIL bisect:$p (prefix 1-$k does not build; log: $log)"
	fi
	cat "$log.step" >>"$log"
	flock -u 9
done
[ -z "${LSP_SUMMARY:-}" ] || echo "$pass $fail 0" >"$LSP_SUMMARY"
echo "${#patches[@]} prefixes: $pass built, $fail failed"
[ "$fail" -eq 0 ]
