#!/bin/bash
# initramfs: build the guest selftests and benchmarks statically against
# the patched tree's UAPI headers, and pack them with busybox-static and
# scripts/guest/ into build/initramfs.cpio.gz.
#
# EXTRA="strace perf ..." adds host binaries (found in PATH) with the
# shared libraries they load; install their Debian packages first, or
# write PACKAGE:BINARY to have the package installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

log=$LOGS/initramfs.log
phase initramfs "$log"
need_pkgs busybox-static cpio gzip build-essential

# The tests see the patched UAPI (new syscall numbers, structures) and
# run unchanged on the baseline kernel, where they must fail or skip.
src=$(srcdir patched)
obj=$(objdir patched debug)
: >"$log"
"$TOP/scripts/config.sh" patched debug >>"$log"
build_lock
run_logged "$log" kmake "$src" "$obj" headers || die "make headers failed"
hdr=$obj/usr/include
run_logged "$log" make -C "$TOP/selftests" KHDR="$hdr" \
	KSFT="$src/tools/testing/selftests" OUT="$BUILD/selftests" ||
	die "selftests did not build"
if [ -f "$TOP/bench/Makefile" ]; then
	run_logged "$log" make -C "$TOP/bench" KHDR="$hdr" OUT="$BUILD/bench" ||
		die "benchmarks did not build"
fi

root=$BUILD/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,lsp/bin}
cp /bin/busybox "$root/bin/busybox"
cp "$TOP/scripts/guest/init" "$root/init"
cp "$TOP/scripts/guest/run-tests" "$root/lsp/bin/run-tests"
cp -r "$BUILD/selftests" "$root/lsp/tests"
[ ! -d "$BUILD/bench" ] || cp -r "$BUILD/bench" "$root/lsp/bench"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

# add_binary PATH: copy PATH and the libraries ldd says it loads.
add_binary() {
	local lib
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
# The read-ahead selftest and benchmark put ext4 on a null_blk disk; the
# selftest runs mkfs.ext4, as BusyBox's mke2fs in /bin cannot make ext4.
need_pkgs e2fsprogs
add_binary /sbin/mke2fs
ln -s mke2fs "$root/sbin/mkfs.ext4"
# The epoll study and the userver selftest load the server with httperf.
need_pkgs httperf
add_binary /usr/bin/httperf
add_binary /usr/bin/idleconn

for item in ${EXTRA:-}; do
	pkg=${item%%:*}
	bin=${item#*:}
	[ "$pkg" = "$item" ] || need_pkgs "$pkg"
	path=$(command -v "$bin") || die "EXTRA: $bin is not installed (write PACKAGE:$bin to install it)"
	add_binary "$path"
	info "added $path"
done

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) \
	>"$BUILD/initramfs.cpio.gz"
info "$(wc -l <"$BUILD/selftests/list") selftests; $BUILD/initramfs.cpio.gz ($(du -h "$BUILD/initramfs.cpio.gz" | cut -f1))"
