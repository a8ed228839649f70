#!/bin/bash
# check: the whole test suite.
#
#   1. the harness tests itself (canned console logs);
#   2. every patch: git format-patch form, quilt with no fuzz/offset,
#      git am, checkpatch.pl --strict;
#   3. compile every file the series touches, x86_64 and i386, W=1 and
#      sparse: no new warning (scripts/compile-check.sh);
#   4. export the postings under a test identity and check them
#      (scripts/export-check.sh: git am, checkpatch, To:, no project names);
#   5. build the patched and the baseline debug kernels;
#   6. run the selftests on the patched kernel: all must pass;
#   7. run them on the baseline kernel: each must have the outcome its
#      feature declares in selftests/expect/*.expect (the series' tests)
#      or selftests/*/baseline.expect (the harness's own).
#
# Ends with 'N passed, N failed, N skipped' summed over all stages.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export LSP_RUN_ID=${LSP_RUN_ID:-check-$(date +%Y%m%d-%H%M%S)}
out=$RESULTS/$LSP_RUN_ID
mkdir -p "$out"
ln -sfn "$LSP_RUN_ID" "$RESULTS/latest"
T0=$SECONDS

pass=0 fail=0 skip=0
report=()
# count STAGE FILE: add the 'P F S' in FILE to the totals.
count() {
	local p f s
	read -r p f s <"$2"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	report+=("$(printf '%-26s %3d passed, %d failed, %d skipped' "$1" "$p" "$f" "$s")")
}
# broken STAGE WHY: a stage that could not produce results is one failure.
broken() {
	fail=$((fail + 1))
	report+=("$(printf '%-26s FAILED: %s' "$1" "$2")")
}
finish() {
	echo
	echo "== summary (results: $out, $(((SECONDS - T0) / 60)) min)"
	printf '%s\n' "${report[@]}"
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
	exit
}

s=$out/harness.summary
if "$TOP/selftests/harness/run.sh" "$s" >"$out/harness.txt" 2>&1; then :; fi
if [ -f "$s" ]; then count harness "$s"; else broken harness "$out/harness.txt"; fi
grep -v '^PASS' "$out/harness.txt" || true

if (cd "$TOP" && make -s lint) >"$out/lint.txt" 2>&1; then
	echo "1 0 0" >"$out/lint.summary"
else
	cat "$out/lint.txt"
	echo "0 1 0" >"$out/lint.summary"
fi
count "shellcheck" "$out/lint.summary"

"$TOP/scripts/fetch.sh" || { broken fetch "see above"; finish; }

s=$out/series.summary
"$TOP/scripts/check-series.sh" "$s" | tee "$out/series.txt" || true
if [ -f "$s" ]; then count series "$s"; else broken series "$LOGS/series-check.log"; fi

"$TOP/scripts/apply.sh" || { broken apply "$LOGS/apply.log"; finish; }

s=$out/compile.summary
"$TOP/scripts/compile-check.sh" "$s" | tee "$out/compile.txt" || true
if [ -f "$s" ]; then count compile-check "$s"; else broken compile-check "$LOGS/compile-check.log"; fi

s=$out/export.summary
"$TOP/scripts/export-check.sh" "$s" | tee "$out/export.txt" || true
if [ -f "$s" ]; then count export-check "$s"; else broken export-check "$LOGS/export-check.log"; fi

for v in patched baseline; do
	"$TOP/scripts/build.sh" "$v" debug || { broken "build $v/debug" "$LOGS/build-$v-debug.log"; finish; }
done
"$TOP/scripts/initramfs.sh" || { broken initramfs "$LOGS/initramfs.log"; finish; }

# T holds globs for the guest: keep the host shell from expanding them.
set -f
for v in patched baseline; do
	opt=()
	[ "$v" = patched ] || opt=(--baseline)
	# shellcheck disable=SC2086
	"$TOP/scripts/run.sh" "${opt[@]}" ${T:-} || true
	s=$out/$v-debug/summary
	if [ -f "$s" ]; then count "selftests $v/debug" "$s"; else broken "selftests $v/debug" "$out/$v-debug"; fi
done
finish
