#!/bin/bash
# verdict: judge one guest run from its job output (TAP) and its kernel
# console log.
#
#   verdict.sh [--expect FILE] [--known FILE] RUNDIR
#
# RUNDIR holds job.log (TAP 13 from scripts/guest/run-tests) and
# console.log (the kernel console, with "lsp-run:" markers).  Prints one
# line per test, then 'N passed, N failed, N skipped', writes the counts
# to RUNDIR/summary and exits 1 if anything failed.
#
# A test fails when it reports 'not ok', when its binary crashed or
# timed out, or when the kernel logged a report (BUG, WARNING, KASAN,
# lockdep, RCU, UBSAN, hung task, stall, panic) while it ran.  A guest
# that never reached the end of its job fails the run.
#
# --expect FILE switches to the baseline check: FILE has lines
# 'GLOB OUTCOME' (GLOB on DIR/NAME:TEST, OUTCOME pass, fail, skip or
# fail-or-skip; unlisted tests must pass), and a test passes when its
# outcome on this kernel is the expected one.
#
# --known FILE, in the same format, lists outcomes that both kernels
# share (upstream selftests that cannot pass in this guest, with the
# reason in a comment; OUTCOME may also be 'any' for a timing test that
# fails now and then on both).  It applies on either kernel and does
# not switch to the baseline check.
set -euo pipefail

expect=/dev/null known=/dev/null
while [ $# -gt 0 ]; do
	case $1 in
	--expect) expect=$2; shift 2 ;;
	--known) known=$2; shift 2 ;;
	*) break ;;
	esac
done
run=${1:?usage: verdict.sh [--expect FILE] [--known FILE] RUNDIR}
[ -f "$run/job.log" ] || { echo "verdict: no $run/job.log" >&2; exit 2; }
[ -f "$run/console.log" ] || { echo "verdict: no $run/console.log" >&2; exit 2; }

mode=patched
[ "$expect" = /dev/null ] || mode=baseline

# Kernel reports, as extended regular expressions on one console line.
reports='BUG:|WARNING:|Oops|KASAN:|KFENCE:|UBSAN:|possible circular locking'
reports="$reports|possible recursive locking|suspicious RCU usage|hung task"
reports="$reports|blocked for more than [0-9]+ seconds|self-detected stall"
reports="$reports|detected stalls? on CPU|Kernel panic"

tr -d '\r' <"$run/job.log" >"$run/.job"
tr -d '\r' <"$run/console.log" >"$run/.console"
# Known outcomes first: a baseline expectation on the same test wins.
cat "$known" "$expect" >"$run/.expect"
awk -v mode="$mode" -v reports="$reports" -v summary="$run/summary" '
function glob2re(g) {
	gsub(/[.+^$(){}|\[\]\\]/, "\\\\&", g)
	gsub(/\*/, ".*", g)
	gsub(/\?/, ".", g)
	return "^" g "$"
}
function add(name, result, why, diag) {
	n++
	tdiag[n] = diag
	tname[n] = name
	tres[n] = result
	twhy[n] = why
}
# The expected outcome of a test on this kernel: listed in --known
# (either mode) or in --expect (baseline mode); "" when unlisted.
function expected(name,   i, e) {
	e = ""
	for (i = 1; i <= nexp; i++)
		if (name ~ exre[i])
			e = exout[i]
	return e
}
FILENAME == ARGV[1] {		# expectations
	sub(/#.*/, "")
	if (NF >= 2) {
		nexp++
		exre[nexp] = glob2re($1)
		exout[nexp] = $2
	}
	next
}
FILENAME == ARGV[2] {		# job output: TAP
	if (match($0, /^# selftests: [^:]+: /)) {
		cur = substr($0, 14)
		sub(/: /, "/", cur)
		began[cur] = 1
		order[++nbin] = cur
		nsub[cur] = 0
		next
	}
	if ($0 ~ /^(not )?ok [0-9]+ selftests: /) {
		bin = $0
		sub(/^(not )?ok [0-9]+ selftests: /, "", bin)
		why = ""
		if (index(bin, " # ")) {
			why = substr(bin, index(bin, " # ") + 3)
			bin = substr(bin, 1, index(bin, " # ") - 1)
		}
		sub(/: /, "/", bin)
		top[bin] = ($0 ~ /^not ok/) ? "fail" : (why ~ /^SKIP/ ? "skip" : "pass")
		topwhy[bin] = why
		cur = ""
		next
	}
	# kselftest_harness diagnostics of the running test: "# # ..."
	if (cur != "" && $0 ~ /^# # /) {
		if ($0 ~ /^# #  RUN /)
			diag = ""
		else if ($0 !~ /^# # +(OK|FAIL|SKIP) /)
			diag = diag "\n       " substr($0, 5)
		next
	}
	if (cur != "" && $0 ~ /^# (not )?ok [0-9]+ /) {
		line = substr($0, 3)
		res = (line ~ /^not ok/) ? "fail" : "pass"
		sub(/^(not )?ok [0-9]+ /, "", line)
		why = ""
		if (index(line, " # ")) {
			why = substr(line, index(line, " # ") + 3)
			line = substr(line, 1, index(line, " # ") - 1)
		}
		if (why ~ /^SKIP/)
			res = "skip"
		else if (why ~ /^XFAIL/)
			res = "pass"
		key = cur ":" line
		subres[key] = res
		subwhy[key] = why
		sublist[cur, ++nsub[cur]] = key
		if (res == "fail")
			subfail[cur] = 1
		subdiag[key] = diag
		diag = ""
	}
	next
}
{				# console log
	if (match($0, /lsp-run: begin [^ ]+/)) {
		running = substr($0, RSTART + 15, RLENGTH - 15)
		next
	}
	if ($0 ~ /lsp-run: end /) {
		running = ""
		next
	}
	if ($0 ~ /lsp-run: job done/) {
		done = 1
		next
	}
	if ($0 ~ reports) {
		who = (running == "") ? "(outside any test)" : running
		line = $0
		sub(/^\[ *[0-9.]+\] /, "", line)
		kreport[who] = kreport[who] (kreport[who] == "" ? "" : "; ") line
		nkrep[who]++
		if (!(who in krepseen)) {
			krepseen[who] = 1
			krorder[++nkr] = who
		}
	}
}
END {
	for (b = 1; b <= nbin; b++) {
		bin = order[b]
		for (i = 1; i <= nsub[bin]; i++) {
			key = sublist[bin, i]
			add(key, subres[key], subwhy[key], subdiag[key])
		}
		if (!(bin in top))
			add(bin, "fail", "did not finish: the guest stopped while it ran")
		else if (top[bin] == "fail" && !subfail[bin])
			add(bin, "fail", topwhy[bin] == "" ? "exited non-zero" : topwhy[bin])
		else if (nsub[bin] == 0)
			add(bin, top[bin], topwhy[bin])
	}
	# Kernel reports fail the test that was running, on either kernel.
	for (k = 1; k <= nkr; k++) {
		who = krorder[k]
		kfail[++nkf] = sprintf("kernel report during %s (%d lines): %s",
				       who, nkrep[who], substr(kreport[who], 1, 300))
	}
	if (!done)
		kfail[++nkf] = sprintf("guest did not finish its job%s",
				       running == "" ? "" : " (running " running ")")
	if (nbin == 0)
		kfail[++nkf] = "no test ran"

	pass = fail = skip = 0
	for (i = 1; i <= n; i++) {
		r = tres[i]
		e = expected(tname[i])
		if (mode == "baseline" || e != "") {
			if (e == "")
				e = "pass"
			ok = (r == e) || (e == "fail-or-skip" && r != "pass") || e == "any"
			if (ok && r != "skip") {
				v = "PASS"
			} else if (ok) {
				v = "PASS"
			} else if (r == "skip" && e == "pass") {
				v = "SKIP"
			} else {
				v = "FAIL"
			}
			detail = sprintf("%s: %s, expected %s", mode, r, e)
			if (v == "FAIL" && e != "pass")
				detail = detail "; the test does not detect the feature is missing"
			if (twhy[i] != "")
				detail = detail "; " twhy[i]
		} else {
			v = (r == "pass") ? "PASS" : (r == "skip") ? "SKIP" : "FAIL"
			detail = twhy[i]
		}
		if (v == "PASS") pass++
		else if (v == "FAIL") fail++
		else skip++
		printf "%-4s %s%s\n", v, tname[i], detail == "" ? "" : "  (" detail ")"
		# Why it failed, as the test logged it (the tail, at most 12 lines).
		if (v == "FAIL" && tdiag[i] != "") {
			nd = split(substr(tdiag[i], 2), dl, "\n")
			for (j = (nd > 12 ? nd - 11 : 1); j <= nd; j++)
				print dl[j]
		}
	}
	for (i = 1; i <= nkf; i++) {
		fail++
		printf "FAIL %s\n", kfail[i]
	}
	printf "%d %d %d\n", pass, fail, skip > summary
	printf "%d passed, %d failed, %d skipped\n", pass, fail, skip
	exit (fail > 0)
}
' "$run/.expect" "$run/.job" "$run/.console"
