#!/bin/bash
# bench: run guest benchmarks on the baseline and the patched bench
# kernels, in one run on this machine.
#
#   bench.sh [--wall] [--repeat N] [--variants "baseline patched"] [NAME[:ARGS]...]
#
# By default each kernel boots under the instruction-count clock
# (boot.sh --icount: TCG, one vCPU, -icount shift=0), where CPU-cost
# figures repeat exactly; --wall boots with 2 vCPUs and real time (MTTCG,
# or KVM when usable) instead.  NAME is a program in bench/ (default:
# all), ARGS its arguments with commas for spaces.  Output lines are
# prefixed with the kernel and the repetition and kept in
# results/RUN_ID/bench-*/job.log and results/RUN_ID/bench.txt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=icount repeat=1 variants="baseline patched"
while [ $# -gt 0 ]; do
	case $1 in
	--wall) mode=wall ;;
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

# NAME:ARGS -> /lsp/bench/NAME ARGS (commas become spaces)
job=''
for b in "$@"; do
	name=${b%%:*} args=''
	[ "$name" = "$b" ] || args=${b#*:}
	job="$job/lsp/bench/$name ${args//,/ } || echo \"$name: exit \$?\"; "
done

# 6 GiB: ra_bench keeps a 1 GiB file and its copy on a memory-backed disk.
boot=(--flavour bench --mem "${LSP_BENCH_MEM:-6G}" --timeout "${LSP_TIMEOUT:-3600}")
[ "$mode" = wall ] || boot+=(--icount)
phase bench "$out/bench.txt" "$* on: $variants ($mode clock, x$repeat)"
: >"$out/bench.txt"
for r in $(seq 1 "$repeat"); do
	for v in $variants; do
		dir=$out/bench-$v-$mode-$r
		info "  [bench] $v kernel, run $r/$repeat"
		LSP_QUIET=1 "$TOP/scripts/boot.sh" --variant "$v" "${boot[@]}" \
			--out "$dir" --job "$job"
		grep -q 'lsp-run: job done' "$dir/console.log" ||
			die "the guest did not finish; console: $dir/console.log"
		tr -d '\r' <"$dir/job.log" | sed "s/^/$v run=$r $mode: /" | tee -a "$out/bench.txt"
	done
done
info "results: $out/bench.txt"
