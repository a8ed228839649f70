#!/bin/bash
# run: boot a kernel, run the selftests in the guest, judge the run.
#
#   run.sh [--baseline] [--flavour debug|bench] [GLOB...]
#
# GLOBs select tests by DIR/NAME (default: all).  On the baseline kernel
# the outcomes are checked against selftests/expect/*.expect (the series'
# tests) and selftests/*/baseline.expect (the harness's own, keyed
# without their DIR/); on both, upstream selftests may have the outcomes
# in selftests/upstream.known.  The run
# goes to results/RUN_ID/VARIANT-FLAVOUR/: console.log (kernel), job.log
# (TAP), verdict.txt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=patched flavour=debug
while [ $# -gt 0 ]; do
	case $1 in
	--baseline) variant=baseline ;;
	--variant) variant=$2; shift ;;
	--flavour) flavour=$2; shift ;;
	-*) die "run.sh: unknown option $1" ;;
	*) break ;;
	esac
	shift
done

run_id=${LSP_RUN_ID:-$(date +%Y%m%d-%H%M%S)}
out=$RESULTS/$run_id/$variant-$flavour
mkdir -p "$out"
ln -sfn "$run_id" "$RESULTS/latest"
rc=0
"$TOP/scripts/boot.sh" --variant "$variant" --flavour "$flavour" --out "$out" \
	--timeout "${LSP_TIMEOUT:-2400}" --job "run-tests $*" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 124 ] || exit "$rc"
phase "test" "$out/verdict.txt" "verdict on $variant/$flavour; results in $out"

# Upstream's selftests give the same results on both kernels; those that
# cannot pass in this guest are listed, with the reason, in upstream.known.
expect=(--known "$TOP/selftests/upstream.known")
if [ "$variant" = baseline ]; then
	for f in "$TOP"/selftests/*/baseline.expect; do
		[ -f "$f" ] || continue
		d=$(basename "$(dirname "$f")")
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e "s|^|$d/|" "$f"
	done >"$out/baseline.expect"
	for f in "$TOP"/selftests/expect/*.expect; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$f"
	done >>"$out/baseline.expect"
	expect+=(--expect "$out/baseline.expect")
fi
if ! "$TOP/scripts/verdict.sh" "${expect[@]}" "$out" >"$out/verdict.txt"; then
	grep -v '^PASS' "$out/verdict.txt" >&2
	echo "console: $out/console.log  TAP: $out/job.log" >&2
	exit 1
fi
grep -v '^PASS' "$out/verdict.txt" || true
