#!/bin/bash
# config VARIANT FLAVOUR: allnoconfig + configs/base.config +
# configs/FLAVOUR.config (+ configs/patched.config for the patched
# kernels), then olddefconfig, then check that every option the
# fragments ask for really took effect (as kunit.py does).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: config.sh baseline|patched debug|bench}
flavour=${2:?usage: config.sh baseline|patched debug|bench}
src=$(srcdir "$variant")
obj=$(objdir "$variant" "$flavour")
log=$LOGS/config-$variant-$flavour.log
phase config "$log" "$variant/$flavour"

[ -f "$TOP/configs/$flavour.config" ] || die "no configs/$flavour.config"
[ -f "$src/Makefile" ] || die "no source in $src; run make apply"
mkdir -p "$obj" "$LOGS"
frag=$obj/lsp-fragment.config
# configs/patched.config: options that only the series' patches add.
frags=("$TOP/configs/base.config" "$TOP/configs/$flavour.config")
[ "$variant" != patched ] || frags+=("$TOP/configs/patched.config")
cat "${frags[@]}" >"$frag.new"

if [ -f "$obj/.config" ] && cmp -s "$frag" "$frag.new"; then
	rm "$frag.new"
	info "unchanged: $obj/.config"
	exit 0
fi
mv "$frag.new" "$frag"
: >"$log"
run_logged "$log" kmake "$src" "$obj" KCONFIG_ALLCONFIG="$frag" allnoconfig ||
	die "allnoconfig failed"
run_logged "$log" kmake "$src" "$obj" olddefconfig || die "olddefconfig failed"

if ! config_took_effect "$frag" "$obj/.config"; then
	rm -f "$frag"
	die "options above did not take effect in $obj/.config; fix configs/*.config"
fi
info "all $(grep -c '^[#]* *CONFIG_' "$frag") requested options took effect"
