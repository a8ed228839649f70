#!/bin/bash
# boot: start a built kernel in QEMU with build/initramfs.cpio.gz.
#
#   boot.sh [--baseline] [--flavour debug|bench] [--icount] [--smp N]
#           [--mem SIZE] [--timeout SECONDS] [--out DIR] [--job COMMAND]
#           [--append WORDS] [--qemu-arg ARG]... [--files DIR]
#
# Without --job: an interactive shell on the serial console.  With
# --job: COMMAND runs in the guest with its output in DIR/job.log, the
# kernel console goes to DIR/console.log, and the guest powers off when
# COMMAND ends.  KVM is used when /dev/kvm is usable, TCG otherwise.
# --icount uses TCG's instruction-count clock (-icount shift=0) on one
# vCPU, so guest time is a count of instructions: CPU-cost benchmarks
# give the same figure on every run.  Exit status 124: wall-clock timeout.
# --append adds WORDS to the kernel command line, --qemu-arg one argument
# to QEMU's (repeat it for more), --files (with --job) puts the files of
# DIR in the guest's /lsp/bin, on the job's PATH.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=patched flavour=debug icount=0 smp=2 mem=2G timeout=1800 out='' job=''
append='' files='' qemu_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--baseline) variant=baseline ;;
	--variant) variant=$2; shift ;;
	--flavour) flavour=$2; shift ;;
	--icount) icount=1 smp=1 ;;
	--smp) smp=$2; shift ;;
	--mem) mem=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--out) out=$2; shift ;;
	--job) job=$2; shift ;;
	--append) append=$2; shift ;;
	--qemu-arg) qemu_args+=("$2"); shift ;;
	--files) files=$2; shift ;;
	*) die "boot.sh: unknown option $1" ;;
	esac
	shift
done

need_pkgs qemu-system-x86
kernel=$(objdir "$variant" "$flavour")/arch/x86/boot/bzImage
initrd=$BUILD/initramfs.cpio.gz
[ -f "$kernel" ] || die "no kernel at $kernel; run make build VARIANT=$variant FLAVOUR=$flavour"
[ -f "$initrd" ] || die "no $initrd; run make initramfs"

accel=(-accel tcg -cpu max)
if [ "$icount" -eq 1 ]; then
	accel=(-accel tcg -cpu max -icount shift=0)
elif [ "${LSP_ACCEL:-}" != tcg ] && [ -w /dev/kvm ] &&
	grep -qE '^flags.* (vmx|svm)( |$)' /proc/cpuinfo; then
	accel=(-accel kvm -cpu host)
fi

# panic=-1 with -no-reboot: a panic ends QEMU at once instead of hanging.
cmdline="console=ttyS0 panic=-1 kasan_multi_shot${append:+ $append}"
qemu=(qemu-system-x86_64 "${accel[@]}" -smp "$smp" -m "$mem" -nodefaults
	-no-reboot -kernel "$kernel" -append "$cmdline" "${qemu_args[@]}")

if [ -z "$job" ]; then
	[ -z "$files" ] || die "--files needs --job"
	info "booting $variant/$flavour (${accel[*]}); type 'exit' or Ctrl-A X to leave"
	exec "${qemu[@]}" -display none -serial mon:stdio -initrd "$initrd"
fi

[ -n "$out" ] || die "--job needs --out DIR"
mkdir -p "$out/jobroot/lsp"
printf '#!/bin/sh\n%s\n' "$job" >"$out/jobroot/lsp/job"
chmod +x "$out/jobroot/lsp/job"
if [ -n "$files" ]; then
	[ -d "$files" ] || die "--files: no directory $files"
	mkdir -p "$out/jobroot/lsp/bin"
	cp -r "$files/." "$out/jobroot/lsp/bin/"
fi
# The kernel unpacks concatenated archives in order: the job is added
# to the prebuilt initramfs without repacking it.
(cd "$out/jobroot" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/job.cpio.gz"
cat "$initrd" "$out/job.cpio.gz" >"$out/initrd.gz"
rm -rf "$out/jobroot" "$out/job.cpio.gz"
: >"$out/console.log"
: >"$out/job.log"
printf '%s\n' "${qemu[*]}" >"$out/qemu.cmd"

phase boot "$out/console.log" "$variant/$flavour, ${accel[*]}, $smp vCPU, $mem, timeout ${timeout}s"
# A guest that has not started its job LSP_BOOT_TIMEOUT seconds after
# QEMU did hung while it booted (the debug kernel boots in about 10 s
# under TCG, and TCG has hung there once, before the kernel's "vgaarb"
# line): it is booted once more before the run counts as failed.
boot_timeout=${LSP_BOOT_TIMEOUT:-300}
for attempt in 1 2; do
	: >"$out/console.log"
	: >"$out/job.log"
	rc=0 hung=0 waited=0
	timeout --kill-after=10 "$timeout" "${qemu[@]}" -display none -monitor none \
		-serial "file:$out/console.log" -serial "file:$out/job.log" \
		-initrd "$out/initrd.gz" >"$out/qemu.log" 2>&1 &
	qpid=$!
	# Show the job's lines matching LSP_FOLLOW (default: each test's
	# result line) as the guest prints them.
	if [ "${LSP_QUIET:-0}" != 1 ]; then
		tail -n +1 -F --pid="$qpid" "$out/job.log" 2>/dev/null |
			grep --line-buffered -E "${LSP_FOLLOW:-^(not )?ok |^# selftests:}" |
			sed -u 's/^/  | /' &
	fi
	while kill -0 "$qpid" 2>/dev/null &&
		! grep -q 'lsp-run: job start' "$out/console.log"; do
		if [ "$waited" -ge "$boot_timeout" ]; then
			hung=1
			kill "$qpid" 2>/dev/null || true
			break
		fi
		sleep 5
		waited=$((waited + 5))
	done
	wait "$qpid" || rc=$?
	wait || true
	if [ "$hung" -eq 0 ] || [ "$attempt" -eq 2 ]; then
		break
	fi
	mv "$out/console.log" "$out/console.boot-hang.log"
	warn "the guest did not start its job within ${boot_timeout}s; booting it again (console: $out/console.boot-hang.log)"
done
rm -f "$out/initrd.gz"
[ "$hung" -eq 0 ] || die "the guest did not start its job within ${boot_timeout}s, twice; see $out/console.log"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	warn "guest did not finish within ${timeout}s; console: $out/console.log"
	exit 124
fi
[ "$rc" -eq 0 ] || die "qemu exited with status $rc; see $out/qemu.log"
# As kunit.py checks its config: the guest must have the CPUs asked for.
cpus=$(sed -n 's/.*smp: Brought up [0-9]* nodes*, \([0-9]*\) CPUs*.*/\1/p' "$out/console.log" | head -n 1)
[ -z "$cpus" ] || [ "$cpus" -eq "$smp" ] ||
	die "the guest brought up $cpus of $smp CPUs; see $out/console.log"
