#!/bin/bash
# series-check: every patch in series must be in git format-patch form,
# apply with quilt with no fuzz and no offset, apply with git am, and
# pass scripts/checkpatch.pl --strict with no errors.  One verdict line
# per patch; writes 'P F S' to $1 when given.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

phase series "$LOGS/series-check.log"
need_pkgs quilt git perl
[ -f "$PRISTINE/.lsp-pristine" ] || die "no pinned tree; run make fetch"
mapfile -t patches < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$TOP/series")
log=$LOGS/series-check.log
mkdir -p "$LOGS"
: >"$log"

# A throwaway tree holding only the files the series touches, twice:
# one for quilt, one as a git repository for git am.
tmp=$(mktemp -d "$BUILD/series-check.XXXXXX")
phase_cleanup rm -rf "$tmp"
mkdir -p "$tmp/quilt" "$tmp/git"
for p in "${patches[@]}"; do
	[ -f "$TOP/patches/$p" ] || die "series lists $p, which is not in patches/"
	grep -E '^(\+\+\+|---) [ab]/' "$TOP/patches/$p" | sed -E 's/^(\+\+\+|---) [ab]\///'
done | sort -u | while read -r f; do
	[ -f "$PRISTINE/$f" ] || continue
	mkdir -p "$tmp/quilt/$(dirname "$f")" "$tmp/git/$(dirname "$f")"
	cp "$PRISTINE/$f" "$tmp/quilt/$f"
	cp "$PRISTINE/$f" "$tmp/git/$f"
done
git -C "$tmp/git" init -q
git -C "$tmp/git" -c user.name=lsp -c user.email=lsp@localhost add -A
git -C "$tmp/git" -c user.name=lsp -c user.email=lsp@localhost \
	commit -q --allow-empty -m "$PIN_PACKAGE $PIN_VERSION"

pass=0 fail=0
for p in "${patches[@]}"; do
	file=$TOP/patches/$p
	why=()
	for h in '^From: ' '^Subject: ' '^Signed-off-by: '; do
		grep -qE "$h" "$file" || why+=("no ${h#^} line")
	done

	out=$(cd "$tmp/quilt" && QUILT_PATCHES=$TOP/patches QUILT_SERIES=$TOP/series \
		quilt push --fuzz=0 2>&1) || why+=("quilt push failed")
	printf '== quilt %s\n%s\n' "$p" "$out" >>"$log"
	if printf '%s\n' "$out" | grep -qE 'offset|fuzz'; then
		why+=("applies with offset or fuzz")
	fi

	if ! git -C "$tmp/git" -c user.name=lsp -c user.email=lsp@localhost \
		am -q "$file" >>"$log" 2>&1; then
		why+=("git am failed")
		git -C "$tmp/git" am --abort >/dev/null 2>&1 || true
	fi

	cp=$(cd "$PRISTINE" && perl scripts/checkpatch.pl --strict --no-signoff \
		--summary-file --no-color "$file" 2>&1) || true
	printf '== checkpatch %s\n%s\n' "$p" "$cp" >>"$log"
	# --summary-file prefixes the line with the patch's path.
	total=$(printf '%s\n' "$cp" | grep -oE 'total: [0-9]+ errors.*' | tail -n 1 || true)
	errors=$(printf '%s\n' "$total" | sed -n 's/^total: \([0-9]*\) errors.*/\1/p')
	[ -n "$errors" ] || errors=unknown
	[ "$errors" = 0 ] || why+=("checkpatch: ${total:-no result}")

	if [ ${#why[@]} -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS series:$p (quilt, git am, checkpatch --strict ${total#total: })"
	else
		fail=$((fail + 1))
		echo "FAIL series:$p ($(IFS=';'; echo "${why[*]}"))"
	fi
done
[ -z "${1:-}" ] || echo "$pass $fail 0" >"$1"
echo "${#patches[@]} patches: $pass passed, $fail failed; log: $log"
[ "$fail" -eq 0 ]
