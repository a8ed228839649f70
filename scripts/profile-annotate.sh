#!/bin/bash
# profile-annotate: the disassembly of one kernel function with the
# instructions per op that a scripts/profile.sh run counted at each
# address (per window, or raw with no divisor in DIR/meta).
#
#   profile-annotate.sh DIR FUNCTION
#
# The vmlinux is the one DIR/meta names; its build id must still match.
# A name that several static functions share gives each of them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: profile-annotate.sh DIR FUNCTION"
dir=$1 fn=$2
for f in meta insnprof.txt; do
	[ -f "$dir/$f" ] || die "no $dir/$f; DIR is a scripts/profile.sh output"
done
field() { awk -v k="$1" '$1 == k { print $2 }' "$dir/meta"; }
vmlinux=$(field vmlinux) div=$(field ops)
[ -f "$vmlinux" ] || die "no $vmlinux (named in $dir/meta)"
[ "$(readelf -n "$vmlinux" | sed -n 's/.*Build ID: *//p')" = "$(field build-id)" ] ||
	die "$vmlinux was rebuilt since the profile in $dir; profile again"

# START END of each function of that name: up to the next symbol above it.
ranges=$(nm -n "$vmlinux" | awk -v f="$fn" '
	s != "" && $1 != s { print "0x" s, "0x" $1; s = "" }
	$2 ~ /^[tTwW]$/ && $3 == f { s = $1 }')
[ -n "$ranges" ] || die "no function $fn in $vmlinux"
info "# $fn in $vmlinux: per-instruction counts${div:+ / $div ops}"
while read -r start end; do
	objdump -d --no-show-raw-insn --start-address="$start" --stop-address="$end" "$vmlinux" |
		awk -v d="${div:-1}" '
			NR == FNR { if ($1 !~ /^#/) c[$1] = $2; next }
			/^ *ffffffff[0-9a-f]+:/ {
				a = $1; sub(/:$/, "", a)
				printf "%10.2f %s\n", (a in c ? c[a] / d : 0), $0
				next
			}
			/^[0-9a-f]+ </ { print }' "$dir/insnprof.txt" -
done <<<"$ranges"
