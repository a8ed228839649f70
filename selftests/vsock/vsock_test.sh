#!/bin/sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# vsock_test.sh [NAME...]: run test cases of tools/testing/vsock/vsock_test
# in this guest, server and client both here, over the loopback transport
# (CID 1), and print nested TAP.
#
# Run it in the directory that holds the vsock_test binary.  NAME is a
# test name as `./vsock_test --list` prints it, with its spaces written as
# underscores (the names in the TAP output are so written); it may be a
# shell pattern.  Without NAME it runs every case: upstream's, which must
# give the same result on both kernels, and the accept() cases that the
# series adds (all 45 took 41 s in a TCG debug guest, 2026-12-08).
# vsock_test stops at the first failure, so each test runs in a
# server and client pair of its own.  A test that prints "Test skipped,
# REASON" and passes is reported as skipped.  Exits 0 if every test passed
# or skipped, 1 otherwise.
#
# Environment: VSOCK_TEST_PORT, the first TCP control port (one more for
# each test; default 51000); VSOCK_TEST_TIMEOUT, the seconds a test may
# run (default 120).
set -eu

port=${VSOCK_TEST_PORT:-51000}
limit=${VSOCK_TEST_TIMEOUT:-120}
cid=1

[ $# -gt 0 ] || set -- '*'

if [ ! -x ./vsock_test ]; then
	echo "vsock_test.sh: no ./vsock_test in $(pwd)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tab=$(printf '\t')

# "ID NAME" per test case, NAME with underscores for spaces.  --list
# exits with status 1.
./vsock_test --list >"$tmp/list" 2>&1 || true
sed -e '1d' -e "s/$tab/ /" -e 's/ /_/g' -e 's/_/ /' "$tmp/list" >"$tmp/ids"
if [ ! -s "$tmp/ids" ]; then
	echo "vsock_test.sh: ./vsock_test --list listed no test" >&2
	cat "$tmp/list" >&2
	exit 1
fi

# The plan: "ID NAME" per test to run, in the order of the arguments; ID
# is - for an argument that names no test.
: >"$tmp/plan"
for pattern in "$@"; do
	pattern=$(printf '%s' "$pattern" | tr ' ' '_')
	found=0
	while read -r id name; do
		# shellcheck disable=SC2254 # NAME may be a pattern
		case $name in
		$pattern)
			echo "$id $name" >>"$tmp/plan"
			found=1
			;;
		esac
	done <"$tmp/ids"
	[ "$found" -eq 1 ] || echo "- $pattern" >>"$tmp/plan"
done

# Print a program's output as TAP diagnostics, without the lines of the
# test cases it did not run and of the control socket.
diag() {
	grep -v -e '^[0-9]* - .*\.\.\.skipped$' \
		-e '^Control socket listening' -e '^Control socket connect' \
		-e '^All tests have been executed' "$2" |
		sed "s/^/# $1: /" || true
}

# Sleep a little: busybox may have no fractional sleep.
nap() {
	sleep 0.1 2>/dev/null || sleep 1
}

# Wait until the server listens on its control port, or is gone.
wait_listening() {
	i=0
	while ! grep -q '^Control socket listening' "$tmp/server"; do
		kill -0 "$1" 2>/dev/null || return 0
		i=$((i + 1))
		[ "$i" -lt 100 ] || return 0
		nap
	done
}

# Wait for the server; end it if it outlives its client by 10 seconds
# (it never got the control connection).
wait_server() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ "$i" -lt 100 ]; do
		i=$((i + 1))
		nap
	done
	kill "$1" 2>/dev/null || true
	wait "$1"
}

echo "TAP version 13"
count=$(wc -l <"$tmp/plan")
echo "1..$((count))"
n=0 failed=0
while read -r id name; do
	n=$((n + 1))
	echo "#  RUN $name"
	if [ "$id" = - ]; then
		echo "# no test case of ./vsock_test is named $name"
		echo "not ok $n $name"
		failed=1
		continue
	fi

	p=$((port + n))
	: >"$tmp/server"
	timeout "$limit" ./vsock_test --mode=server --control-port="$p" \
		--peer-cid="$cid" --pick="$id" >"$tmp/server" 2>&1 </dev/null &
	pid=$!
	wait_listening "$pid"
	crc=0
	timeout "$limit" ./vsock_test --mode=client \
		--control-host=127.0.0.1 --control-port="$p" \
		--peer-cid="$cid" --pick="$id" >"$tmp/client" 2>&1 </dev/null ||
		crc=$?
	src=0
	wait_server "$pid" || src=$?

	diag server "$tmp/server"
	diag client "$tmp/client"
	if [ "$src" -ne 0 ] || [ "$crc" -ne 0 ]; then
		echo "# exit status: server $src, client $crc"
		echo "not ok $n $name"
		failed=1
		continue
	fi

	grep -h -o 'Test skipped.*' "$tmp/server" "$tmp/client" \
		>"$tmp/skip" || true
	if [ -s "$tmp/skip" ]; then
		why=$(head -n 1 "$tmp/skip" | sed -e 's/^Test skipped[,:]* *//' \
			-e 's/\.$//')
		echo "ok $n $name # SKIP $why"
	else
		echo "ok $n $name"
	fi
done <"$tmp/plan"

exit "$failed"
