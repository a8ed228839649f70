#!/bin/bash
# The harness tests itself: feed each canned run in cases/ to
# scripts/verdict.sh and compare with cases/NAME/verdict, which holds
#   exit N        the expected exit status
#   last TEXT     the expected summary line
#   line TEXT     a line that must start with TEXT (any number)
# and cases/NAME/expect and cases/NAME/known, when present, are given to
# verdict.sh as --expect and --known.
# Writes 'P F S' to $1 when given.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
verdict=$here/../../scripts/verdict.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass=0 fail=0
for dir in "$here"/cases/*/; do
	name=$(basename "$dir")
	cp -r "$dir" "$tmp/$name"
	args=()
	[ ! -f "$dir/expect" ] || args+=(--expect "$dir/expect")
	[ ! -f "$dir/known" ] || args+=(--known "$dir/known")
	rc=0
	"$verdict" "${args[@]}" "$tmp/$name" >"$tmp/$name.out" 2>&1 || rc=$?
	why=''
	while read -r key text; do
		case $key in
		exit) [ "$rc" = "$text" ] || why="exit status $rc, expected $text" ;;
		last) [ "$(tail -n 1 "$tmp/$name.out")" = "$text" ] ||
			why="summary '$(tail -n 1 "$tmp/$name.out")', expected '$text'" ;;
		line) grep -qF -- "$text" "$tmp/$name.out" || why="no line '$text'" ;;
		esac
		[ -z "$why" ] || break
	done <"$dir/verdict"
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "PASS harness:$name"
	else
		fail=$((fail + 1))
		echo "FAIL harness:$name ($why)"
		sed 's/^/    /' "$tmp/$name.out"
	fi
done
[ -z "${1:-}" ] || echo "$pass $fail 0" >"$1"
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
