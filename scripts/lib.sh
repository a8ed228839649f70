# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this
# Common paths and helpers for the scripts/ verbs.  Sourced, never run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${LSP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lsp-series}
BUILD=${LSP_BUILD:-$TOP/build}
RESULTS=${LSP_RESULTS:-$TOP/results}
LOGS=$BUILD/logs

# shellcheck source=scripts/pinned-tree
. "$TOP/scripts/pinned-tree"
PRISTINE=$CACHE/linux-${PIN_VERSION//\~/_}

# A variant is the source tree (baseline or patched); a flavour is the
# config (debug or bench).  Each variant/flavour pair has its own O= dir.
# KSRC, when set, is the user's own tree and stands in for the patched one.
srcdir() {
	if [ "$1" = patched ] && [ -n "${KSRC:-}" ]; then
		echo "$KSRC"
	else
		echo "$BUILD/$1/src"
	fi
}
objdir() { echo "$BUILD/$1/$2"; }

if [ -t 1 ]; then
	C_B=$'\e[1m' C_R=$'\e[31m' C_G=$'\e[32m' C_0=$'\e[0m'
else
	C_B='' C_R='' C_G='' C_0=''
fi

info() { printf '%s\n' "$*"; }
warn() { printf '%swarning:%s %s\n' "$C_R" "$C_0" "$*" >&2; }
die() {
	printf '%serror:%s %s\n' "$C_R" "$C_0" "$*" >&2
	exit 1
}

# phase NAME: announce a named phase and report its duration (or its
# failure and log) when the script exits.
PHASE=''
PHASE_LOG=''
PHASE_T0=0
phase() {
	PHASE=$1
	PHASE_LOG=${2:-}
	PHASE_T0=$SECONDS
	printf '%s==> [%s]%s %s\n' "$C_B" "$PHASE" "$C_0" "${3:-}"
	trap phase_end EXIT
}
# phase_cleanup CMD ARGS...: run CMD when the phase ends, after its exit
# status is taken (a trap of its own would report a failure as done).
PHASE_CLEANUP=()
phase_cleanup() { PHASE_CLEANUP=("$@"); }
phase_end() {
	local rc=$? dt=$((SECONDS - PHASE_T0))
	[ ${#PHASE_CLEANUP[@]} -eq 0 ] || "${PHASE_CLEANUP[@]}" || true
	if [ "$rc" -eq 0 ]; then
		printf '%s<== [%s]%s done in %dm%02ds\n' "$C_G" "$PHASE" "$C_0" $((dt / 60)) $((dt % 60))
	else
		printf '%s!!! [%s] FAILED%s after %dm%02ds%s\n' "$C_R" "$PHASE" "$C_0" \
			$((dt / 60)) $((dt % 60)) "${PHASE_LOG:+; log: $PHASE_LOG}" >&2
	fi
	return "$rc"
}

# run_logged LOG CMD...: run CMD with its output in LOG; on failure show
# the log's tail so the error is visible without opening the file.
run_logged() {
	local log=$1
	shift
	mkdir -p "$(dirname "$log")"
	if ! "$@" >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		return 1
	fi
}

# need_pkgs PKG...: install the Debian packages that are missing.
need_pkgs() {
	local missing=() p sudo=''
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	info "installing Debian packages: ${missing[*]}"
	mkdir -p "$LOGS"
	run_logged "$LOGS/apt.log" $sudo apt-get update ||
		die "apt-get update failed; log: $LOGS/apt.log"
	run_logged "$LOGS/apt.log" $sudo env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${missing[@]}" ||
		die "apt-get install ${missing[*]} failed; log: $LOGS/apt.log"
}

# Everything the tooling uses, for scripts/deps.sh and .ci/run.
ALL_PKGS=(make gcc libc6-dev binutils build-essential flex bison bc libelf-dev libssl-dev
	ccache cpio gzip kmod rsync quilt git perl dpkg-dev xz-utils
	qemu-system-x86 busybox-static e2fsprogs shellcheck httperf gnuplot-nox
	debian-archive-keyring python3-ply python3-git git-email libmailtools-perl)

# Serialise kernel builds, across every checkout on this machine: two
# cores are not enough for two builds.  build/.build.lock points to it.
build_lock() {
	mkdir -p "$BUILD" "$CACHE"
	[ -L "$BUILD/.build.lock" ] || ln -sfn "$CACHE/build.lock" "$BUILD/.build.lock"
	exec 9>"$CACHE/build.lock"
	if ! flock -n 9; then
		info "another kernel build holds $CACHE/build.lock; waiting"
		flock 9
	fi
}

# ccache shared by every variant: paths are made relative to $BUILD so
# the baseline and patched trees hit the same cache entries.
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ccache}
export CCACHE_BASEDIR=$BUILD
export CCACHE_NOHASHDIR=1
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 1970'
export KBUILD_BUILD_USER=lsp KBUILD_BUILD_HOST=lsp

kmake() {
	make -C "$1" O="$2" ARCH=x86_64 CC="ccache gcc" HOSTCC="ccache gcc" \
		-j"$(nproc)" "${@:3}"
}

# config_took_effect FRAGMENT CONFIG: warn about every option that
# FRAGMENT asks for and CONFIG does not have (as kunit.py checks);
# false if there is one.
config_took_effect() {
	# The last mention of an option in the fragment wins, as in Kconfig.
	local bad=0 opt want got
	while read -r opt want; do
		if [ "$want" = n ]; then
			if grep -q "^$opt=[ym]" "$2"; then
				warn "$opt: requested off, is $(grep "^$opt=" "$2")"
				bad=1
			fi
		elif ! grep -qxF "$opt=$want" "$2"; then
			got=$(grep -E "^(# )?${opt}[= ]" "$2" || echo "absent (dependency not met)")
			warn "$opt: requested $want, got: $got"
			bad=1
		fi
	done < <(sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p' \
		-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1 n/p' "$1" |
		awk '{ v[$1] = $2; if (!($1 in o)) { o[$1] = n++ } }
		     END { for (k in v) print o[k], k, v[k] }' | sort -n | cut -d' ' -f2-)
	[ "$bad" -eq 0 ]
}

# apt_suite TYPE SUITE DIR: set APT_OPTS to apt options that read only a
# one-off sources list (TYPE deb or deb-src, Debian's SUITE) with its
# package lists under DIR: the host's apt configuration stays as it is.
apt_suite() {
	mkdir -p "$3/lists/partial" "$3/archives/partial"
	echo "$1 [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $2 main" \
		>"$3/sources.list"
	APT_OPTS=(-o "Dir::Etc::SourceList=$3/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$3/lists"
		-o "Dir::Cache=$3"
		-o Debug::NoLocking=1
		-o APT::Sandbox::User=root)
}
