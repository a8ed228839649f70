# Front door of the series' tooling.  'make help' lists the targets.
#
#   make         fetch, apply, build the patched debug kernel, run the selftests
#   make check   the whole suite: harness self-test, series checks, patched
#                and baseline debug kernels; ends 'N passed, N failed, N skipped'

VARIANT ?= patched
FLAVOUR ?= debug
ifneq ($(BASELINE),)
VARIANT := baseline
endif
# Selftest selection, as globs on DIR/NAME: make run T='series.net/*'
T ?=
# Profiling: make profile P='ctlv_work add-loop 1024 20' [OUT=dir], then
# make profile-compare DIRS='results/profile-baseline-... results/profile-patched-...'
P ?=
OUT ?=
DIRS ?=
export KSRC EXTRA

S := scripts
RUNOPTS := --variant $(VARIANT) --flavour $(FLAVOUR)

all: run

help:
	@echo 'Targets:'
	@echo '  all (default)  fetch, apply, build, initramfs, run the selftests'
	@echo '  check          harness self-test, series checks (apply, git am,'
	@echo '                 checkpatch), selftests on the patched and baseline'
	@echo '                 debug kernels; last line: N passed, N failed, N skipped'
	@echo '  deps           install the Debian packages the tooling needs'
	@echo '  fetch          download and unpack the pinned tree into ~/.cache'
	@echo '  apply          lay out build/baseline/src and build/patched/src'
	@echo '                 (KSRC=/path: apply the series to your tree instead)'
	@echo '  build          configure and build one kernel'
	@echo '  initramfs      build the selftests and pack the guest initramfs'
	@echo '  run            boot one kernel and run the selftests (T=globs)'
	@echo '  boot           interactive shell on one kernel (BASELINE=1 for baseline)'
	@echo '  bench          every benchmark on the bench kernels (baseline and'
	@echo '                 patched), then results/RUN/report.md (ONLY=NAME: one)'
	@echo '  series-check   apply checks and checkpatch.pl --strict on every patch'
	@echo '  compile-check  compile every .c file the series touches, x86_64 and'
	@echo '                 i386, W=1 and sparse: no warning the baseline lacks'
	@echo '  bisect-check   build every prefix of the series (FLAVOUR=debug)'
	@echo '  harness-test   the verdict parser against canned console logs'
	@echo '  profile        guest-kernel instructions per function while the guest'
	@echo "                 runs P='COMMAND' on a bench kernel (VARIANT=, OUT=dir;"
	@echo '                 default results/profile-VARIANT-COMMAND)'
	@echo '  profile-compare'
	@echo '                 two profiles side by side, per op (DIRS="DIR_A DIR_B")'
	@echo '  lint           shellcheck the scripts'
	@echo '  model          native user-space models of kernel structures (bench/model/,'
	@echo '                 e.g. the fd-table layouts): cache costs TCG cannot show'
	@echo '  export         the series as postings for git send-email in out/vV/'
	@echo '                 (V=2 default): cover letters, your git identity,'
	@echo '                 To:/Cc: from get_maintainer.pl (see export/postings)'
	@echo '  export-check   export under a test identity and check it: git am'
	@echo '                 gives the applied tree, checkpatch, To:, no project'
	@echo '                 names above ---, no identity -> refused (in check)'
	@echo '  clean          remove build/ and results/ (keeps the ~/.cache tree)'
	@echo 'Variables: VARIANT=patched|baseline (or BASELINE=1), FLAVOUR=debug|bench,'
	@echo '  KSRC=/path/to/linux, T=DIR/NAME globs, ONLY=NAME or B="NAME[:ARGS] ..."'
	@echo '  benchmarks,'
	@echo '  EXTRA="pkg:binary ...",'
	@echo '  P="GUEST COMMAND", OUT=DIR, DIRS="DIR_A DIR_B" for the profiles,'
	@echo '  V=N the version that make export writes (default 2)'

fetch:
ifeq ($(KSRC),)
	@$(S)/fetch.sh
endif

apply: fetch
	@$(S)/apply.sh

build: apply
	@$(S)/build.sh $(VARIANT) $(FLAVOUR)

initramfs:
	@$(S)/initramfs.sh

run: build initramfs
	@$(S)/run.sh $(RUNOPTS) $(T)

boot: build initramfs
	@$(S)/boot.sh $(RUNOPTS)

check:
	@$(S)/check.sh

bench:
	@$(S)/bench.sh $(or $(ONLY),$(B))

deps:
	@$(S)/deps.sh

series-check: fetch
	@$(S)/check-series.sh

compile-check: apply
	@$(S)/compile-check.sh

bisect-check: fetch
	@$(S)/bisect-check.sh $(FLAVOUR)

harness-test:
	@selftests/harness/run.sh

# No kernel build here: profile.sh names the 'make build' to run.
profile:
	$(if $(P),,$(error P='GUEST COMMAND' is required, e.g. make profile P='ctlv_work add-loop 1024 20'))
	@$(S)/profile.sh $(VARIANT) '$(subst ','\'',$(P))' "$(OUT)"

profile-compare:
	@$(S)/profile-compare.sh $(DIRS)

lint:
	@$(S)/deps.sh shellcheck >/dev/null
	@shellcheck -x $(S)/*.sh $(S)/guest/init $(S)/guest/run-tests \
		selftests/harness/run.sh selftests/vsock/vsock_test.sh .ci/run

model:
	@$(MAKE) -s -C bench/model run

# V is the posting's version: make export V=3 (default 2).
export:
	@$(S)/export.sh $(or $(V),2)

export-check: apply
	@$(S)/export-check.sh

clean:
	rm -rf build results

.PHONY: all help deps fetch apply build initramfs run boot check bench \
	series-check compile-check bisect-check harness-test profile profile-compare lint \
	model export export-check clean
