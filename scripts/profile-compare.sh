#!/bin/bash
# profile-compare: two kernel profiles of scripts/profile.sh side by side,
# in instructions per op.
#
#   profile-compare.sh [--top N] DIR_A DIR_B
#
# Each DIR's functions.txt is divided by its number of ops (the divisor
# in DIR/meta: profile.sh --div, or the job's ops_measured=N).  Prints
# the TOP (default 40) functions by the larger of the two figures, then
# all the others together, the kernel totals and the user instructions
# of the windows, each with the difference B-A.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

top=40
if [ "${1:-}" = --top ]; then
	top=$2
	shift 2
fi
[ $# -eq 2 ] || die "usage: profile-compare.sh [--top N] DIR_A DIR_B"
for d in "$@"; do
	for f in functions.txt meta insnprof.txt; do
		[ -f "$d/$f" ] || die "no $d/$f; DIR_A and DIR_B are scripts/profile.sh outputs"
	done
done
ops() {
	local n
	n=$(awk '$1 == "ops" { print $2 }' "$1/meta")
	[ -n "$n" ] || die "$1: no divisor in meta; profile with --div N"
	echo "$n"
}
user() { awk '$1 == "#" && $2 == "user" { print $3 }' "$1/insnprof.txt"; }
na=$(ops "$1") nb=$(ops "$2")

info "A: $1 ($na ops)"
info "B: $2 ($nb ops)"
printf '%10s %10s %9s  %s\n' A B B-A 'function (instructions per op)'
awk -v na="$na" -v nb="$nb" -v ua="$(user "$1")" -v ub="$(user "$2")" '
	FNR == 1 { f++ }
	f == 1 { a[$2] = $1 / na; ta += $1 / na; seen[$2] = 1 }
	f == 2 { b[$2] = $1 / nb; tb += $1 / nb; seen[$2] = 1 }
	END {
		for (n in seen)
			printf "%.6f\t%s\t%.6f\t%.6f\n", (a[n] > b[n] ? a[n] : b[n]), n, a[n], b[n]
		printf "TOTAL\t\t%.6f\t%.6f\n", ta, tb
		printf "USER\t\t%.6f\t%.6f\n", ua / na, ub / nb
	}' "$1/functions.txt" "$2/functions.txt" |
	LC_ALL=C sort -t "$(printf '\t')" -k1,1gr -k2,2 |
	awk -F '\t' -v top="$top" '
		function row(a, b, name) { printf "%10.2f %10.2f %+9.2f  %s\n", a, b, b - a, name }
		$1 == "TOTAL" { ta = $3; tb = $4; next }
		$1 == "USER" { ua = $3; ub = $4; next }
		++i <= top { row($3, $4, $2); next }
		{ ra += $3; rb += $4 }
		END {
			row(ra, rb, "(all other functions)")
			row(ta, tb, "TOTAL kernel")
			row(ua, ub, "user (in the windows)")
		}'
