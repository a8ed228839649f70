#!/bin/bash
# export-check: 'make export' under a test identity, into a temporary
# directory, and what must hold of the postings it writes:
#
#   identity    with no git identity, export fails, says what to set,
#               and writes nothing
#   export      export succeeds with the identity given (GIT_CONFIG_COUNT)
#   git-am      git am of every posting, in order, on the pinned tree gives
#               the tree of scripts/apply.sh (build/patched/src), but for
#               the identity where patches/ carry the project's
#   checkpatch  scripts/checkpatch.pl --strict: no errors in any patch
#   to          every file has a To: line
#   example.org no example.org anywhere
#   project     no commit message or cover letter names what only this
#               repository has: a make target the kernel lacks, its
#               Documentation/, scripts/, selftests/ and tools/ files, its
#               other directories, a run name, LSP_* variables, "issue N"
#   send-email  git send-email --dry-run takes every file (skipped when
#               git-email is not installed)
#
# One verdict line per check; writes 'P F S' to $1 when given.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

phase export-check "$LOGS/export-check.log"
need_pkgs git perl
log=$LOGS/export-check.log
mkdir -p "$LOGS"
: >"$log"
[ -f "$PRISTINE/.lsp-pristine" ] || die "no pinned tree; run make fetch"
# scripts/apply.sh's tree, also when KSRC names another.
patched=$(KSRC='' srcdir patched)
[ -f "$patched/Makefile" ] || die "no $patched; run make apply"

PROJECT_IDENTITY='Lsp Developers <lsp-dev@example.org>'
TEST_NAME='Export Check'
TEST_EMAIL='export-check@lsp.invalid'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lsp-export-check.XXXXXX")
phase_cleanup rm -rf "$tmp"

pass=0 fail=0 skip=0
verdict() { # verdict PASS|FAIL|SKIP CHECK TEXT
	case $1 in
	PASS) pass=$((pass + 1)) ;;
	FAIL) fail=$((fail + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	esac
	echo "$1 export:$2 ($3)"
}
finish() {
	[ -z "${summary:-}" ] || echo "$pass $fail $skip" >"$summary"
	echo "export-check: $pass passed, $fail failed, $skip skipped; log: $log"
	[ "$fail" -eq 0 ]
	exit
}
summary=${1:-}

# git with no configuration but what the caller passes.
bare_git_env=(env -u GIT_CONFIG_PARAMETERS -u GIT_CONFIG_COUNT -u GIT_CONFIG_GLOBAL
	-u GIT_CONFIG_SYSTEM -u GIT_DIR -u GIT_WORK_TREE
	HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" GIT_CONFIG_NOSYSTEM=1
	LSP_CACHE="$CACHE")
mkdir -p "$tmp/home"

# identity: no user.name/user.email anywhere.
rc=0
"${bare_git_env[@]}" "$TOP/scripts/export.sh" --out "$tmp/noid" >"$tmp/noid.txt" 2>&1 || rc=$?
cat "$tmp/noid.txt" >>"$log"
if [ "$rc" -ne 0 ] && grep -q 'user.name and user.email must be set' "$tmp/noid.txt" &&
	grep -q 'git config --global user.email' "$tmp/noid.txt" && [ ! -e "$tmp/noid" ]; then
	verdict PASS identity "no identity: fails, says what to set, writes nothing"
else
	wrote='wrote nothing'
	[ ! -e "$tmp/noid" ] || wrote="wrote $tmp/noid"
	verdict FAIL identity "exit $rc, $wrote: $(tail -n 1 "$tmp/noid.txt")"
fi

# export, under the test identity.
id_env=("${bare_git_env[@]}" GIT_CONFIG_COUNT=2
	GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="$TEST_NAME"
	GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1="$TEST_EMAIL")
out=$tmp/out
if "${id_env[@]}" "$TOP/scripts/export.sh" --out "$out" >>"$log" 2>&1; then
	verdict PASS export "$(find "$out" -name '*.patch' | wc -l) files in $(find "$out" -mindepth 1 -maxdepth 1 -type d | wc -l) postings"
else
	verdict FAIL export "scripts/export.sh failed; log: $log"
	finish
fi
# sort -V: posting 10-x comes after 2-x.
mapfile -t covers < <(find "$out" -name '*-0000-cover-letter.patch' | sort -V)
mapfile -t patches < <(find "$out" -name '*.patch' ! -name '*-0000-cover-letter.patch' | sort -V)

# git-am: a repository holding the pinned tree's copies of the files the
# postings touch; every posting's patches applied in order.
repo=$tmp/repo
mkdir -p "$repo"
sed -n 's|^diff --git a/\(.*\) b/\(.*\)$|\1\n\2|p' "${patches[@]}" | sort -u >"$tmp/touched"
while read -r f; do
	[ -f "$PRISTINE/$f" ] || continue
	mkdir -p "$repo/$(dirname "$f")"
	cp "$PRISTINE/$f" "$repo/$f"
done <"$tmp/touched"
g() {
	git -C "$repo" -c commit.gpgSign=false -c core.hooksPath=/dev/null -c am.threeWay=false \
		-c user.name=lsp -c user.email=lsp@localhost "$@"
}
g init -q && g add -A && g commit -q --allow-empty -m "$PIN_PACKAGE $PIN_VERSION"
why=''
for f in "${patches[@]}"; do
	if ! g am -q "$f" >>"$log" 2>&1; then
		why="git am failed at ${f#"$out"/}"
		break
	fi
done
if [ -z "$why" ]; then
	# Where build/patched/src differs from the pinned tree, file by file.
	diff -rq --no-dereference -x .lsp-pristine -x .pc "$PRISTINE" "$patched" 2>&1 |
		sed -n -e "s|^Files $PRISTINE/\(.*\) and .* differ$|\1|p" \
			-e "s|^Only in $PRISTINE/*\(.*\): \(.*\)$|\1/\2|p" \
			-e "s|^Only in $patched/*\(.*\): \(.*\)$|\1/\2|p" | sed 's|^/||' >"$tmp/changed" || true
	bad=()
	while read -r f; do
		if [ -d "$patched/$f" ] || [ -d "$PRISTINE/$f" ]; then
			(cd "$patched" 2>/dev/null && find "$f" -type f) || true
		else
			echo "$f"
		fi
	done <"$tmp/changed" | sort -u >"$tmp/changed-files"
	while read -r f; do
		grep -qxF "$f" "$tmp/touched" || bad+=("$f: differs from the pinned tree in $patched, touched by no patch")
	done <"$tmp/changed-files"
	while read -r f; do
		a=$repo/$f b=$patched/$f
		if [ ! -e "$a" ] && [ ! -e "$b" ]; then continue; fi
		if [ ! -e "$a" ] || [ ! -e "$b" ]; then
			bad+=("$f: in only one of git am's tree and $patched")
		elif ! cmp -s "$a" "$b"; then
			FROM="$TEST_NAME <$TEST_EMAIL>" TO=$PROJECT_IDENTITY \
				perl -pe 's/\Q$ENV{FROM}\E/$ENV{TO}/g' "$a" >"$tmp/f"
			cmp -s "$tmp/f" "$b" || bad+=("$f: differs")
		fi
	done <"$tmp/touched"
	if [ ${#bad[@]} -gt 0 ]; then
		printf 'git-am: %s\n' "${bad[@]}" >>"$log"
		why="${#bad[@]} files differ from $patched (run make apply if the series changed), e.g. ${bad[0]}"
	fi
fi
if [ -z "$why" ]; then
	verdict PASS git-am "${#patches[@]} patches; the tree of scripts/apply.sh, $(wc -l <"$tmp/touched") files compared"
else
	verdict FAIL git-am "$why"
fi

# checkpatch, in parallel.
# shellcheck disable=SC2016 # $1 is the inner shell's
printf '%s\0' "${patches[@]}" | (cd "$PRISTINE" && xargs -0 -P "$(nproc)" -I{} sh -c \
	'perl scripts/checkpatch.pl --strict --summary-file --no-color "$1" >"$1.cp" 2>&1 || true' sh {})
bad=()
for f in "${patches[@]}"; do
	cat "$f.cp" >>"$log"
	total=$(grep -oE 'total: [0-9]+ errors.*' "$f.cp" | tail -n 1 || true)
	case $total in
	"total: 0 errors"*) ;;
	*) bad+=("${f##*/}: ${total:-no result}") ;;
	esac
	rm -f "$f.cp"
done
if [ ${#bad[@]} -eq 0 ]; then
	verdict PASS checkpatch "--strict, ${#patches[@]} patches, no errors"
else
	verdict FAIL checkpatch "$(IFS=';'; echo "${bad[*]}")"
fi

# to: every file, the cover letters too.
bad=()
for f in "${covers[@]}" "${patches[@]}"; do
	sed '/^$/q' "$f" | grep -q '^To: ' || bad+=("${f#"$out"/}")
done
if [ ${#bad[@]} -eq 0 ]; then
	verdict PASS to "$((${#covers[@]} + ${#patches[@]})) files, each with To:"
else
	verdict FAIL to "no To: in ${bad[*]}"
fi

if grep -rln 'example\.org' "$out" >"$tmp/bad"; then
	verdict FAIL example.org "in $(sed "s|^$out/||" "$tmp/bad" | tr '\n' ' ')"
else
	verdict PASS example.org "none"
fi

# project: the patterns are built from this repository and the pinned
# tree, so they follow both.
alt() { paste -sd'|' | sed 's/\./\\./g'; }
# entries DIR KDIR: the entries of this repository's DIR that the pinned
# tree's KDIR lacks, as DIR/NAME.
entries() {
	local e
	for e in "$TOP/$1"/*; do
		[ -e "$PRISTINE/$2/${e##*/}" ] || echo "$1/${e##*/}"
	done
}
targets=$(sed -n 's/^\([a-z][a-z-]*\):.*/\1/p' "$TOP/Makefile" | sort -u |
	while read -r t; do grep -qE "^$t:" "$PRISTINE/Makefile" || echo "$t"; done | alt)
paths=$({
	entries Documentation Documentation
	entries scripts scripts
	entries selftests tools/testing/selftests
	entries tools tools
	for d in "$TOP"/*/; do
		d=${d%/}
		[ -e "$PRISTINE/${d##*/}" ] || echo "${d##*/}/"
	done
} | grep -vxE 'selftests/|tools/' | sort -u | alt)
patterns=(
	"\\bmake +([A-Za-z_]+=[^ ]* +)*($targets)([^[:alnum:]_-]|$)"
	"(^|[^[:alnum:]_/.-])($paths)"
	"\\brun [[:alnum:]_]+(-[[:alnum:]_]+)+"
	"\\bLSP_[A-Z_]+"
	"\\b[Ii]ssue [0-9]+"
)
printf 'project patterns:\n' >>"$log"
printf '  %s\n' "${patterns[@]}" >>"$log"
bad=()
for f in "${covers[@]}" "${patches[@]}"; do
	# The mail body down to the first '---': the commit message, or the
	# whole text of a cover letter.
	sed -e '1,/^$/d' -e '/^---$/,$d' "$f" >"$tmp/msg"
	for re in "${patterns[@]}"; do
		if grep -nE "$re" "$tmp/msg" >"$tmp/hits"; then
			sed "s|^|${f#"$out"/}: |" "$tmp/hits" >>"$log"
			bad+=("${f##*/}: $(head -n 1 "$tmp/hits" | grep -oE "$re" | head -n 1)")
		fi
	done
done
if [ ${#bad[@]} -eq 0 ]; then
	verdict PASS project "no make target, file or run of this repository above '---'"
else
	verdict FAIL project "$(IFS=';'; echo "${bad[*]}"); all hits in $log"
fi

# send-email: a dry run per posting, when git send-email is there.
if [ -x "$(git --exec-path)/git-send-email" ] && perl -MMail::Address -e 1 2>/dev/null; then
	why=''
	for d in "$out"/*/; do
		n=$(find "$d" -name '*.patch' | wc -l)
		if ! "${id_env[@]}" git -c sendemail.annotate=false -c core.hooksPath=/dev/null \
			send-email --dry-run --confirm=never --no-format-patch "$d"/*.patch \
			</dev/null >"$tmp/se.txt" 2>&1; then
			why="git send-email --dry-run failed on ${d#"$out"/}"
		elif [ "$(grep -c '^Dry-OK' "$tmp/se.txt")" -ne "$n" ]; then
			why="git send-email --dry-run sent $(grep -c '^Dry-OK' "$tmp/se.txt") of $n in ${d#"$out"/}"
		fi
		cat "$tmp/se.txt" >>"$log"
		[ -z "$why" ] || break
	done
	if [ -z "$why" ]; then
		verdict PASS send-email "--dry-run took all $((${#covers[@]} + ${#patches[@]})) files"
	else
		verdict FAIL send-email "$why; log: $log"
	fi
else
	verdict SKIP send-email "git send-email cannot run (Debian packages git-email and libmailtools-perl)"
fi
finish
