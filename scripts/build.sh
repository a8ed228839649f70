#!/bin/bash
# build VARIANT FLAVOUR: configure and build bzImage and the UAPI headers
# out of tree (O=build/VARIANT/FLAVOUR), incrementally, through ccache.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: build.sh baseline|patched debug|bench}
flavour=${2:?usage: build.sh baseline|patched debug|bench}

need_pkgs build-essential flex bison bc libelf-dev libssl-dev ccache cpio kmod
"$TOP/scripts/config.sh" "$variant" "$flavour"

src=$(srcdir "$variant")
obj=$(objdir "$variant" "$flavour")
log=$LOGS/build-$variant-$flavour.log
phase build "$log" "$variant/$flavour in $obj"
build_lock

kmake "$src" "$obj" bzImage headers >"$log" 2>&1 &
pid=$!
# A progress line every 30s: kbuild prints one "CC" line per object.
while ! timeout 30 tail --pid="$pid" -f /dev/null; do
	info "  [build] $(grep -c '^  CC ' "$log" || true) objects compiled, $((SECONDS - PHASE_T0))s"
done
wait "$pid" || {
	grep -E 'error|Error' "$log" | head -n 20 >&2
	die "kernel build failed"
}
info "$(grep -c '^  CC ' "$log" || true) objects compiled; $obj/arch/x86/boot/bzImage"
