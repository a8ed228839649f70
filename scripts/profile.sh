#!/bin/bash
# profile: count the guest kernel's instructions per function while a
# guest command runs, with the insnprof QEMU plugin (tools/qprof/).
#
#   profile.sh [--top N] [--div N] [--start SYM --stop SYM | --no-gate]
#              [--mem SIZE] [--timeout SECONDS] VARIANT 'COMMAND' [OUTDIR]
#
# The bench kernel of VARIANT (patched or baseline) boots with boot.sh
# --icount (TCG, -cpu max, one vCPU, -icount shift=0), nokaslr and the
# plugin; COMMAND runs in the guest with ctlv_work, poll_work and
# qprof_gate on its PATH.  Only windows are counted: one opens when the kernel enters
# __x64_sys_personality (personality(0xffffffff): ctlv_work around its
# measured phase, or 'qprof_gate on') and closes when it enters
# __x64_sys_getpgid (getpgid(0), 'qprof_gate off'); --start/--stop name
# other functions, --no-gate counts from power-on.
#
# OUTDIR (default results/profile-VARIANT-COMMAND) gets insnprof.txt (the
# plugin's dump: "# key value" lines, then "vaddr count"), functions.txt
# (every kernel function, "count name", most first), profile.txt (the top
# N, default 40, with per-op figures: divided by --div N or by the last
# "ops_measured=N" the job printed, as ctlv_work does), job.log,
# console.log, qemu.cmd and meta (kernel, build id, divisor).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '5,6s/^# \{0,1\}//p' "$0" >&2; exit 2; }
top=40 div='' start=__x64_sys_personality stop=__x64_sys_getpgid gate=1
mem=${LSP_PROFILE_MEM:-2G} timeout=${LSP_TIMEOUT:-1800}
while [ $# -gt 0 ]; do
	case $1 in
	--top) top=$2; shift ;;
	--div) div=$2; shift ;;
	--start) start=$2; shift ;;
	--stop) stop=$2; shift ;;
	--no-gate) gate=0 ;;
	--mem) mem=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
variant=$1 cmd=$2
case $variant in patched | baseline) ;; *) die "VARIANT is patched or baseline, not '$variant'" ;; esac
slug=$(printf '%s' "$cmd" | tr -s ' /' '--' | tr -cd 'A-Za-z0-9._-' | cut -c 1-60)
out=${3:-$RESULTS/profile-$variant-$slug}

obj=$(objdir "$variant" bench)
vmlinux=$obj/vmlinux
for f in "$vmlinux" "$obj/arch/x86/boot/bzImage"; do
	[ -f "$f" ] || die "no $f; run make build VARIANT=$variant FLAVOUR=bench"
done
need_pkgs qemu-system-x86 gcc libc6-dev binutils

mkdir -p "$out"
out=$(cd "$out" && pwd)
case $out$BUILD in *,*) die "QEMU's -plugin option cannot take a path with a comma: $out" ;; esac
phase profile "$out/console.log" "$variant/bench: $cmd"

# The guest programs see the patched UAPI, as the selftests and
# benchmarks do; a bench build installs its headers (scripts/build.sh).
khdr=$(objdir patched bench)/usr/include
[ -d "$khdr" ] || khdr=$obj/usr/include
run_logged "$LOGS/qprof.log" make -C "$TOP/tools/qprof" KHDR="$khdr" OUT="$BUILD/qprof" ||
	die "tools/qprof did not build; log: $LOGS/qprof.log"

# "addr name" of the kernel's text symbols, by address; __pfx_ padding
# (CONFIG_CALL_PADDING) is not a function.
syms=$BUILD/qprof/$variant.syms
nm -n "$vmlinux" | awk '$2 ~ /^[tTwW]$/ && $3 !~ /^__pfx_/ { print $1, $3 }' >"$syms"
sym() {
	awk -v s="$1" '$2 == s { print $1; exit }' "$syms" | grep . ||
		die "no text symbol $1 in $vmlinux"
}
plugin=$BUILD/qprof/libinsnprof.so,out=$out/insnprof.txt
gated='none (from power-on)'
if [ "$gate" -eq 1 ]; then
	a=$(sym "$start")
	b=$(sym "$stop")
	plugin+=,start=$a,stop=$b
	gated="$start $stop"
fi

rm -f "$out"/{insnprof,functions,profile}.txt "$out/meta"
LSP_FOLLOW=. "$TOP/scripts/boot.sh" --variant "$variant" --flavour bench --icount \
	--mem "$mem" --timeout "$timeout" --append nokaslr \
	--qemu-arg -plugin --qemu-arg "$plugin" --files "$BUILD/qprof/guest" \
	--out "$out" --job "$cmd"
[ -s "$out/insnprof.txt" ] || die "the plugin wrote no $out/insnprof.txt; see $out/qemu.log"
grep -q 'lsp-run: job done rc=0' "$out/console.log" ||
	warn "the job did not end with status 0; see $out/job.log"
[ "$gate" -eq 0 ] || ! grep -q '^# windows 0$' "$out/insnprof.txt" ||
	warn "no window opened: the job never called $start (qprof_gate on)"

[ -n "$div" ] || div=$(sed -n 's/.*ops_measured=\([0-9][0-9]*\).*/\1/p' "$out/job.log" | tail -n 1)
[ "$div" != 0 ] || div=''
{
	echo "variant $variant"
	echo "command $cmd"
	echo "vmlinux $vmlinux"
	echo "build-id $(readelf -n "$vmlinux" | sed -n 's/.*Build ID: *//p')"
	echo "ops $div"
	echo "gate $gated"
} >"$out/meta"

# Each "vaddr count" goes to the symbol at or below vaddr.  Symbols sort
# before the samples at their address; of aliases the first listed is
# kept, unless it is a section marker such as _stext.
{
	awk '{ print $1, 0, $2 }' "$syms"
	grep -v '^#' "$out/insnprof.txt" | awk '{ print $1, 1, $2 }'
} | LC_ALL=C sort -k1,1 -k2,2n -s | awk '
	function marker(n) { return n ~ /^_[se]?text$|^_[se]inittext$|^__[a-z_]*_(start|end)$/ }
	$2 == 0 {
		if ($1 != last || (marker(sym) && !marker($3))) sym = $3
		last = $1
		next
	}
	{ c[sym == "" ? "[unknown]" : sym] += $3 }
	END { for (f in c) printf "%.0f %s\n", c[f], f }
' | LC_ALL=C sort -k1,1nr -k2,2 >"$out/functions.txt"

meta() { awk -v k="$1" '$1 == "#" && $2 == k { print $3 }' "$out/insnprof.txt"; }
{
	echo "# scripts/profile.sh $variant '$cmd': $(wc -l <"$out/functions.txt") kernel functions, windows=$(meta windows)"
	# The spread of the windows (kernel + user), per op when each window
	# holds div/windows ops, as ctlv_work's do.
	awk '$1 == "#" && $2 == "window" { print $5 + $7 }' "$out/insnprof.txt" | sort -n |
		awk -v d="$div" -v w="$(meta windows)" '{ v[NR] = $1 } END {
			if (NR < 2) exit
			s = (d != "" && w > 0) ? w / d : 1
			printf "# per window (kernel+user%s): min %.1f median %.1f max %.1f\n",
				(d != "" ? ", per op" : ""), v[1] * s,
				(NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) * s, v[NR] * s
		}'
	awk -v top="$top" -v d="$div" -v u="$(meta user)" '
		function row(n, pct, name) {
			if (d != "") printf "%14.0f %7s %10.2f  %s\n", n, pct, n / d, name
			else printf "%14.0f %7s  %s\n", n, pct, name
		}
		{ n[NR] = $1; f[NR] = $2; t += $1 }
		END {
			if (d != "") printf "%14s %7s %10s  %s\n", "instructions", "%", "per/" d, "function"
			else printf "%14s %7s  %s\n", "instructions", "%", "function"
			for (i = 1; i <= NR && i <= top; i++)
				row(n[i], sprintf("%.2f%%", 100 * n[i] / (t ? t : 1)), f[i])
			row(t, "100.00%", "TOTAL kernel")
			row(u, "", "user (not in %)")
		}' "$out/functions.txt"
} | tee "$out/profile.txt"
info "profile: $out/profile.txt, every function: $out/functions.txt"
