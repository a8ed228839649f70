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

# The last mention of an option in the fragment wins, as in Kconfig.
bad=0
while read -r opt want; do
	if [ "$want" = n ]; then
		if grep -q "^$opt=[ym]" "$obj/.config"; then
			warn "$opt: requested off, is $(grep "^$opt=" "$obj/.config")"
			bad=1
		fi
	elif ! grep -qxF "$opt=$want" "$obj/.config"; then
		got=$(grep -E "^(# )?${opt}[= ]" "$obj/.config" || echo "absent (dependency not met)")
		warn "$opt: requested $want, got: $got"
		bad=1
	fi
done < <(sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p' \
	-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1 n/p' "$frag" |
	awk '{ v[$1] = $2; if (!($1 in o)) { o[$1] = n++ } }
	     END { for (k in v) print o[k], k, v[k] }' | sort -n | cut -d' ' -f2-)
if [ "$bad" -ne 0 ]; then
	rm -f "$frag"
	die "options above did not take effect in $obj/.config; fix configs/*.config"
fi
info "all $(grep -c '^[#]* *CONFIG_' "$frag") requested options took effect"
