#!/bin/bash
# compile-check: compile every .c file that a patch of the series touches,
# on the baseline and the patched tree, for x86_64 and i386, with W=1 and
# sparse (C=1).  A file fails if it produced no object, or if its patched
# build gave a warning that its baseline build did not (compared without
# line numbers).  One verdict line per file and architecture; writes
# 'P F S' to $1 when given.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
phase compile-check "$LOGS/compile-check.log"
need_pkgs build-essential flex bison bc libelf-dev libssl-dev ccache
[ -d "$(srcdir patched)" ] || die "no patched tree; run make apply"
sparse=$("$TOP/scripts/sparse.sh")
mapfile -t patches < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$TOP/series")

# The objects to build: every .c file a patch touches (tools/ is not part
# of the kernel build), and the syscall tables' objects when a table
# changed.
touched=$(for p in "${patches[@]}"; do
	sed -n 's|^+++ b/||p' "$TOP/patches/$p"
done | sort -u)
objs=$(printf '%s\n' "$touched" | grep -v '^tools/' | sed -n 's/\.c$/.o/p')
if printf '%s\n' "$touched" | grep -q '^arch/x86/entry/syscalls/'; then
	objs+=$'\n'arch/x86/entry/syscall_64.o$'\n'arch/x86/entry/syscall_32.o
fi
objs=$(printf '%s\n' "$objs" | sed '/^$/d' | sort -u)
[ -n "$objs" ] || die "the series touches no .c file"
info "$(printf '%s\n' "$objs" | wc -l) objects: $(printf '%s\n' "$objs" | tr '\n' ' ')"

build_lock
# warnings LOG SRC: the warnings and sparse reports in LOG, one per line,
# as 'file: message' with the tree's path and the line numbers removed.
warnings() {
	sed -n -E 's/^(.*):[0-9]+:[0-9]+: (warning|error): /\1: \2: /p' "$1" |
		sed -e "s|^$2/||" -e 's|^\(\.\./\)*\([a-z]*/\)\{0,1\}src/||' | sort
}

# new_warnings ARCH PATH [set]: the warnings that name PATH in the
# patched build of ARCH, less those of its baseline build; with 'set',
# each distinct warning counts once (a header is read by many objects).
new_warnings() {
	local once=cat
	[ "${3:-}" != set ] || once='sort -u'
	comm -13 <({ grep -F "$2: " "$BUILD/compile/baseline-$1/warnings" || true; } | $once) \
		<({ grep -F "$2: " "$BUILD/compile/patched-$1/warnings" || true; } | $once)
}

pass=0 fail=0
for arch in x86_64 i386; do
	# i386 has no 64-bit syscall table.
	arch_objs=$objs
	[ "$arch" = x86_64 ] || arch_objs=$(printf '%s\n' "$objs" | grep -vx 'arch/x86/entry/syscall_64.o' || true)
	for variant in baseline patched; do
		src=$(srcdir "$variant")
		obj=$BUILD/compile/$variant-$arch
		log=$LOGS/compile-$variant-$arch.log
		mkdir -p "$obj"
		frags=("$TOP/configs/compile.config")
		[ "$variant" != patched ] || frags+=("$TOP/configs/patched.config")
		cat "${frags[@]}" >"$obj/lsp-fragment.config"
		info "  [$arch] configuring and preparing the $variant tree"
		: >"$log"
		run_logged "$log" make -C "$src" O="$obj" ARCH="$arch" "${arch}_defconfig" ||
			die "${arch}_defconfig failed; log: $log"
		run_logged "$log" "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
			"$obj/.config" "$obj/lsp-fragment.config" ||
			die "merge_config failed; log: $log"
		run_logged "$log" make -C "$src" O="$obj" ARCH="$arch" olddefconfig ||
			die "olddefconfig failed; log: $log"
		config_took_effect "$obj/lsp-fragment.config" "$obj/.config" ||
			die "options above did not take effect in $obj/.config; fix configs/compile.config"
		# Only files that exist in this tree (a patch may add one).
		mine=()
		for o in $arch_objs; do
			[ ! -f "$src/${o%.o}.c" ] || mine+=("$o")
		done
		# Remove the objects so that each is compiled and checked again.
		(cd "$obj" && rm -f "${mine[@]}")
		info "  [$arch] compiling ${#mine[@]} objects of the $variant tree (W=1 C=1)"
		make -C "$src" O="$obj" ARCH="$arch" CC="ccache gcc" HOSTCC="ccache gcc" \
			-j"$(nproc)" -k W=1 C=1 CHECK="$sparse" "${mine[@]}" >>"$log" 2>&1 || true
		warnings "$log" "$src" >"$obj/warnings"
	done
	for o in $arch_objs; do
		c=${o%.o}.c
		why=()
		[ -f "$BUILD/compile/patched-$arch/$o" ] || why+=("no object: see $LOGS/compile-patched-$arch.log")
		new=$(new_warnings "$arch" "$c")
		[ -z "$new" ] || why+=("new warnings:"$'\n'"$new")
		if [ ${#why[@]} -eq 0 ]; then
			pass=$((pass + 1))
			echo "PASS compile:$arch:$c"
		else
			fail=$((fail + 1))
			printf 'FAIL compile:%s:%s (%s)\n' "$arch" "$c" "$(printf '%s\n' "${why[@]}")"
		fi
	done
	# Warnings in headers the series touches, from any of the objects.
	for h in $(printf '%s\n' "$touched" | grep '\.h$' | grep -v '^tools/' || true); do
		new=$(new_warnings "$arch" "$h" set)
		if [ -z "$new" ]; then
			pass=$((pass + 1))
			echo "PASS compile:$arch:$h"
		else
			fail=$((fail + 1))
			printf 'FAIL compile:%s:%s (new warnings:\n%s)\n' "$arch" "$h" "$new"
		fi
	done
done
[ -z "${1:-}" ] || echo "$pass $fail 0" >"$1"
echo "compile-check: $pass passed, $fail failed; logs: $LOGS/compile-*.log"
[ "$fail" -eq 0 ]
