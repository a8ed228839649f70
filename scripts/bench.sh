#!/bin/bash
# bench: run guest benchmarks on the baseline and the patched bench
# kernels, in one run on this machine, and write the report.
#
#   bench.sh [--wall|--icount] [--repeat N] [--variants "baseline patched"] [NAME[:ARGS]...]
#
# NAME is a program in bench/ (default: all), ARGS its arguments with
# commas for spaces.  Each benchmark declares the clock it runs under in
# its source, in a "bench-clock:" comment (default icount):
#   icount  TCG, one vCPU, -icount shift=0 (boot.sh --icount): guest time
#           is a count of instructions, so CPU-cost figures repeat exactly;
#   wall    two vCPUs (MTTCG, or KVM when usable) and real time.
# A benchmark may declare both.  --wall or --icount runs every benchmark
# under that clock instead.  Output lines are prefixed with the kernel,
# the repetition and the clock, and kept in results/RUN_ID/bench-*/job.log
# and results/RUN_ID/bench.txt; scripts/report.sh then writes
# results/RUN_ID/report.md with its plots.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

force='' repeat=1 variants="baseline patched"
while [ $# -gt 0 ]; do
	case $1 in
	--wall) force=wall ;;
	--icount) force=icount ;;
	--repeat) repeat=$2; shift ;;
	--variants) variants=$2; shift ;;
	-*) die "bench.sh: unknown option $1" ;;
	*) break ;;
	esac
	shift
done
if [ $# -eq 0 ]; then
	set --
	for f in "$TOP"/bench/*.c; do
		f=${f##*/}
		set -- "$@" "${f%.c}"
	done
fi

# The job of each clock: NAME:ARGS -> /lsp/bench/NAME ARGS (commas
# become spaces).
declare -A job=([icount]='' [wall]='')
for b in "$@"; do
	name=${b%%:*} args=''
	[ "$name" = "$b" ] || args=${b#*:}
	[ -f "$TOP/bench/$name.c" ] || die "no benchmark bench/$name.c (make bench ONLY=NAME; see bench/)"
	clocks=$force
	if [ -z "$clocks" ]; then
		clocks=$(sed -n 's/.*bench-clock: *\([a-z ]*\).*/\1/p' "$TOP/bench/$name.c" | head -n 1)
		clocks=${clocks:-icount}
	fi
	for c in $clocks; do
		job[$c]="${job[$c]}/lsp/bench/$name ${args//,/ } || echo \"$name: exit \$?\"; "
	done
done

run_id=${LSP_RUN_ID:-bench-$(date +%Y%m%d-%H%M%S)}
out=$RESULTS/$run_id
mkdir -p "$out"
ln -sfn "$run_id" "$RESULTS/latest"

"$TOP/scripts/fetch.sh"
"$TOP/scripts/apply.sh"
for v in $variants; do
	"$TOP/scripts/build.sh" "$v" bench
done
"$TOP/scripts/initramfs.sh"

# 6 GiB: ra_bench keeps a 1 GiB file and its copy on a memory-backed
# disk.  Every line the guest prints is shown as it comes.
boot=(--flavour bench --mem "${LSP_BENCH_MEM:-6G}" --timeout "${LSP_TIMEOUT:-7200}")
phase bench "$out/bench.txt" "$* on: $variants (x$repeat)"
: >"$out/bench.txt"
{
	echo "make bench (scripts/bench.sh${force:+ --$force} --repeat $repeat $*), $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)"
	for clock in icount wall; do
		[ -z "${job[$clock]}" ] || echo "guest job, $clock clock: ${job[$clock]}"
	done
} >"$out/command"
for clock in icount wall; do
	[ -n "${job[$clock]}" ] || continue
	clock_opt=(--icount)
	[ "$clock" = icount ] || clock_opt=(--smp 2)
	for r in $(seq 1 "$repeat"); do
		for v in $variants; do
			dir=$out/bench-$v-$clock-$r
			info "  [bench] $v kernel, $clock clock, run $r/$repeat"
			LSP_FOLLOW=. "$TOP/scripts/boot.sh" --variant "$v" "${boot[@]}" \
				"${clock_opt[@]}" --out "$dir" --job "${job[$clock]}"
			grep -q 'lsp-run: job done' "$dir/console.log" ||
				die "the guest did not finish; console: $dir/console.log"
			tr -d '\r' <"$dir/job.log" | sed "s/^/$v run=$r $clock: /" >>"$out/bench.txt"
		done
	done
done
"$TOP/scripts/report.sh" "$out"
info "results: $out/bench.txt, report: $out/report.md"
