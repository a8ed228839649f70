#!/bin/bash
# export: write the series as the postings of export/postings, ready for
# git send-email: out/vV/N-NAME/ for the Nth posting, each with a cover
# letter and its patches numbered 1/m..m/m, From: and Signed-off-by: of
# the user running it (git config user.name, user.email), To: and Cc:
# from the pinned tree's scripts/get_maintainer.pl.
#
#   scripts/export.sh [--out DIR] [V]    V: the version, default 2;
#                                        DIR: default out/vV
#
# The patches are applied with git am, posting by posting, to a
# throwaway git repository that holds the pinned tree's copies of the
# files the series touches, and written back with git format-patch.
# Cover letters: export/cover/NAME (title, then text), export/changes-vV
# (changes since the last version), with the base, the order of the
# postings and get_maintainer's union of addresses added here.
# Nothing is written unless the whole export succeeds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The identity that patches/ carry; never posted.
PROJECT_IDENTITY='Lsp Developers <lsp-dev@example.org>'

out='' version=2
while [ $# -gt 0 ]; do
	case $1 in
	--out)
		out=$2
		shift 2
		;;
	-*) die "usage: scripts/export.sh [--out DIR] [V]" ;;
	*)
		version=$1
		shift
		;;
	esac
done
[[ $version =~ ^([2-9]|[1-9][0-9]+)$ ]] || die "V=$version: the version is a number from 2 (make export V=2)"
out=${out:-$TOP/out/v$version}

# The sender: git's user identity, read outside any repository.
name=$(git -C / config user.name) || true
email=$(git -C / config user.email) || true
if [ -z "$name" ] || [ -z "$email" ]; then
	die "$(printf '%s\n' \
		"git user.name and user.email must be set: they become From: and" \
		"Signed-off-by: of every patch.  Set them with" \
		"    git config --global user.name 'Your Name'" \
		"    git config --global user.email you@your.domain" \
		"and run make export again.  Nothing was written.")"
fi
case $email in
*@example.org | *@*.example.org) die "user.email $email is an example.org address; set your own (git config --global user.email)" ;;
esac
SENDER="$name <$email>"

"$TOP/scripts/fetch.sh" >/dev/null
phase export "$LOGS/export.log" "v$version -> $out"
need_pkgs git perl
mkdir -p "$LOGS"
log=$LOGS/export.log
: >"$log"

series_patches() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$TOP/series"
}

# export/postings: NAME TREE LIST GLOBS...
P_NAME=() P_TREE=() P_LIST=() P_GLOBS=() P_PATCHES=() P_FROM=() P_ALONE=()
while read -r pname ptree plist pglobs; do
	[ -n "$pglobs" ] || die "export/postings: '$pname' needs NAME TREE LIST GLOBS..."
	[ -f "$TOP/export/cover/$pname" ] || die "no cover letter export/cover/$pname"
	P_NAME+=("$pname") P_TREE+=("$ptree") P_LIST+=("$plist") P_GLOBS+=("$pglobs") P_PATCHES+=("")
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TOP/export/postings")
[ ${#P_NAME[@]} -gt 0 ] || die "export/postings lists no posting"
changes=$TOP/export/changes-v$version
[ -f "$changes" ] || die "no $changes: write the changes since v$((version - 1)) there"

# Each patch of the series goes to the first posting that takes it.
mapfile -t patches < <(series_patches)
[ ${#patches[@]} -gt 0 ] || die "series is empty"
for p in "${patches[@]}"; do
	[ -f "$TOP/patches/$p" ] || die "series lists $p, which is not in patches/"
	taken=''
	for i in "${!P_NAME[@]}"; do
		for g in ${P_GLOBS[i]}; do
			# shellcheck disable=SC2053 # $g is a glob
			if [[ $p == $g ]]; then
				P_PATCHES[i]+="$p "
				taken=$i
				break 2
			fi
		done
	done
	[ -n "$taken" ] || die "no posting of export/postings takes $p"
done
for i in "${!P_NAME[@]}"; do
	[ -n "${P_PATCHES[i]}" ] || die "posting ${P_NAME[i]} takes no patch of the series"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lsp-export.XXXXXX")
phase_cleanup rm -rf "$tmp"
repo=$tmp/repo stage=$tmp/stage
mkdir -p "$repo" "$stage" "$tmp/in" "$tmp/notes"

# git under no configuration of the user's but the identity: settings
# such as format.attach or diff.context would change what is posted.
g() {
	env -u GIT_CONFIG_PARAMETERS -u GIT_CONFIG_COUNT GIT_CONFIG_GLOBAL=/dev/null \
		GIT_CONFIG_NOSYSTEM=1 \
		git -C "$repo" -c commit.gpgSign=false -c core.hooksPath=/dev/null \
		-c am.threeWay=false -c diff.noprefix=false -c diff.mnemonicPrefix=false \
		-c user.name="$name" -c user.email="$email" "$@"
}

# The base: the pinned tree's copies of every file a patch touches.
for p in "${patches[@]}"; do
	sed -n 's|^diff --git a/\(.*\) b/\(.*\)$|\1\n\2|p' "$TOP/patches/$p"
done | sort -u | while read -r f; do
	[ -f "$PRISTINE/$f" ] || continue
	mkdir -p "$repo/$(dirname "$f")"
	cp "$PRISTINE/$f" "$repo/$f"
done
base_desc="Linux ${PIN_VERSION%%-*} (Debian $PIN_PACKAGE $PIN_VERSION)"
g init -q
g add -A
g commit -q --allow-empty -m "$base_desc"
g tag base

# The sender's identity instead of the project's; the notes below '---'
# (git am drops them) kept aside, to go back below '---'.
for p in "${patches[@]}"; do
	FROM=$PROJECT_IDENTITY TO=$SENDER perl -pe 's/\Q$ENV{FROM}\E/$ENV{TO}/g' \
		"$TOP/patches/$p" >"$tmp/in/$p"
	awk '/^diff --git /{exit} /^---$/{pos[++n]=NR} {line[NR]=$0}
	     END { for (i = pos[1] + 1; i < pos[n]; i++) if (line[i] != "---") print line[i] }' \
		"$tmp/in/$p" | sed -e '/./,$!d' >"$tmp/notes/$p"
done

# git am, posting by posting, in order; then whether each posting also
# applies to the base alone.
info "git am of ${#patches[@]} patches in ${#P_NAME[@]} postings"
prev=base
for i in "${!P_NAME[@]}"; do
	for p in ${P_PATCHES[i]}; do
		g am -q "$tmp/in/$p" >>"$log" 2>&1 ||
			die "git am of $p (posting ${P_NAME[i]}) failed on $base_desc with the postings before it; log: $log"
	done
	g tag "end-$i"
	P_FROM[i]=$prev
	prev=end-$i
done
for i in "${!P_NAME[@]}"; do
	P_ALONE[i]=yes
	[ "$i" -gt 0 ] || continue
	g checkout -q --detach base
	for p in ${P_PATCHES[i]}; do
		if ! g am -q "$tmp/in/$p" >>"$log" 2>&1; then
			g am --abort >/dev/null 2>&1 || true
			P_ALONE[i]=no
			break
		fi
	done
done

subject_prefix() {
	if [ "${P_TREE[$1]}" = - ]; then echo PATCH; else echo "PATCH ${P_TREE[$1]}"; fi
}
dir_of() { echo "$stage/$(($1 + 1))-${P_NAME[$1]}"; }

info "git format-patch"
for i in "${!P_NAME[@]}"; do
	g format-patch -q --zero-commit --cover-letter --numbered --no-thread \
		--no-to --no-cc --no-base --suffix=.patch --abbrev=12 \
		--subject-prefix="$(subject_prefix "$i")" -v "$version" \
		-o "$(dir_of "$i")" "${P_FROM[i]}..end-$i" >>"$log" 2>&1 ||
		die "git format-patch failed for ${P_NAME[i]}; log: $log"
done

# The notes go back below '---' of each patch, in the series' order.
for i in "${!P_NAME[@]}"; do
	mapfile -t files < <(find "$(dir_of "$i")" -name '*.patch' ! -name '*-0000-cover-letter.patch' | sort)
	read -ra names <<<"${P_PATCHES[i]}"
	[ ${#files[@]} -eq ${#names[@]} ] ||
		die "posting ${P_NAME[i]}: ${#names[@]} patches in, ${#files[@]} out of git format-patch"
	for k in "${!files[@]}"; do
		notes=$tmp/notes/${names[k]}
		[ -s "$notes" ] || continue
		awk -v notes="$notes" '
			!done && /^---$/ { print; while ((getline l < notes) > 0) print l; print ""; done = 1; next }
			{ print }' "${files[k]}" >"$tmp/f" && mv "$tmp/f" "${files[k]}"
	done
done

# To: maintainers and reviewers, Cc: lists, per patch, from the pinned
# tree's get_maintainer.pl (no git history there: --no-git).  A patch
# with no maintainer gets its lists as To:.
info "scripts/get_maintainer.pl"
# shellcheck disable=SC2016 # $1 is the inner shell's
find "$stage" -name '*.patch' ! -name '*-0000-cover-letter.patch' -print0 |
	(cd "$PRISTINE" && xargs -0 -P "$(nproc)" -I{} sh -c \
		'perl scripts/get_maintainer.pl --no-git --no-git-fallback --no-fixes \
			--no-rolestats --roles "$1" >"$1.gm" 2>>"$1.gm.err"' sh {}) ||
	die "scripts/get_maintainer.pl failed: $(cat "$stage"/*/*.gm.err)"

# addresses FILE.gm: write FILE.to and FILE.cc, one address a line.
addresses() {
	awk -v to="${1%.gm}.to" -v cc="${1%.gm}.cc" '
		{
			if (match($0, /^[^<]*<[^>]*>/)) addr = substr($0, 1, RLENGTH)
			else addr = $1
			role = substr($0, length(addr) + 1)
			if (role ~ /^ \((open |moderated |subscriber )?list/) print addr > cc
			else print addr > to
		}' "$1"
	touch "${1%.gm}.to" "${1%.gm}.cc"
}
# header KEY FILE: a header line with FILE's addresses, one per line.
header() {
	awk -v key="$1" 'NR == 1 { printf "%s: %s", key, $0; next } { printf ",\n    %s", $0 }
		END { if (NR) print "" }' "$2"
}
# add_headers PATCH TOFILE CCFILE: put To: and Cc: at the end of the
# patch's mail header.
add_headers() {
	{ header To "$2"; header Cc "$3"; } >"$tmp/h"
	awk -v h="$tmp/h" '!done && /^$/ { while ((getline l < h) > 0) print l; done = 1 } { print }' \
		"$1" >"$tmp/f" && mv "$tmp/f" "$1"
}
# uniq_addr: drop repeated addresses (compared by the part in <>), keep order.
uniq_addr() {
	awk '{ k = tolower($0); if (match(k, /<[^>]*>/)) k = substr(k, RSTART, RLENGTH) } !seen[k]++'
}

for i in "${!P_NAME[@]}"; do
	d=$(dir_of "$i")
	: >"$tmp/all.to"
	: >"$tmp/all.cc"
	for gm in "$d"/*.gm; do
		f=${gm%.gm}
		addresses "$gm"
		echo "${P_LIST[i]}" >>"$f.cc"
		if [ ! -s "$f.to" ]; then mv "$f.cc" "$f.to" && : >"$f.cc"; fi
		cat "$f.to" >>"$tmp/all.to"
		cat "$f.cc" >>"$tmp/all.cc"
		uniq_addr <"$f.to" >"$tmp/to"
		grep -vxFf "$tmp/to" "$f.cc" | uniq_addr >"$tmp/cc" || true
		add_headers "$f" "$tmp/to" "$tmp/cc"
		rm -f "$gm" "$gm.err" "$f.to" "$f.cc"
	done
	uniq_addr <"$tmp/all.to" >"$tmp/to"
	grep -vxFf "$tmp/to" "$tmp/all.cc" | uniq_addr >"$tmp/cc" || true
	cp "$tmp/to" "$tmp/cover-$i.to"
	cp "$tmp/cc" "$tmp/cover-$i.cc"
done

# The cover letters.
# changes_for FILE NAME: the lines of FILE for every posting and for NAME,
# without blank lines.
changes_for() {
	awk -v want="$2" '/^#/ { next } /^\[[^]]*\]$/ { sect = substr($0, 2, length($0) - 2); next }
		NF && (sect == "" || sect == want)' "$1"
}
for i in "${!P_NAME[@]}"; do
	d=$(dir_of "$i")
	cover=$(find "$d" -name '*-0000-cover-letter.patch')
	n=$(find "$d" -name '*.patch' ! -name '*-0000-cover-letter.patch' | wc -l)
	title=$(head -n 1 "$TOP/export/cover/${P_NAME[i]}")
	{
		tail -n +2 "$TOP/export/cover/${P_NAME[i]}" | sed -e '/./,$!d'
		echo
		{
			echo "Based on $base_desc.  That tree comes from Debian's source"
			echo "tarball and has no upstream commit id, hence no base-commit: line."
			if [ "$i" -eq 0 ]; then
				echo "This posting applies to it on its own."
			elif [ "${P_ALONE[i]}" = yes ]; then
				echo "This posting applies to it on its own, and on top of the"
				echo "postings listed before it below."
			else
				echo "This posting applies to it on top of the postings listed"
				echo "before it below, not on its own."
			fi
		} | fmt -w 72
		echo
		echo "The series is posted in ${#P_NAME[@]} parts, to be applied in this order:"
		echo
		for j in "${!P_NAME[@]}"; do
			prefix=$(sed -n 's/^Subject: \(\[[^]]*\]\).*/\1/p' \
				"$(find "$(dir_of "$j")" -name '*-0000-cover-letter.patch')")
			this=''
			[ "$j" -ne "$i" ] || this=', this posting'
			echo "  $((j + 1)). $prefix $(head -n 1 "$TOP/export/cover/${P_NAME[j]}")"
			echo "     (${P_LIST[j]}$this)"
		done
		echo
		echo "Changes since v$((version - 1)):"
		changes_for "$changes" "${P_NAME[i]}"
	} >"$tmp/blurb"
	TITLE=$title perl -pi -e 's/\*\*\* SUBJECT HERE \*\*\*/$ENV{TITLE}/' "$cover"
	awk -v b="$tmp/blurb" '/^\*\*\* BLURB HERE \*\*\*$/ { while ((getline l < b) > 0) print l; next } { print }' \
		"$cover" >"$tmp/f" && mv "$tmp/f" "$cover"
	add_headers "$cover" "$tmp/cover-$i.to" "$tmp/cover-$i.cc"
	info "  $(basename "$d"): cover letter and $n patches, [$(subject_prefix "$i") v$version n/$n]"
done

# What must hold before anything is written.
if grep -rn 'example\.org' "$stage" >"$tmp/bad"; then
	cat "$tmp/bad" >&2
	die "example.org is left in the export (above); patches/ carry $PROJECT_IDENTITY"
fi
if grep -rn '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$stage" >&2; then
	die "a cover letter placeholder is left (above)"
fi
for f in "$stage"/*/*.patch; do
	grep -q '^To: ' "$f" || die "no To: in ${f#"$stage"/}"
done

mkdir -p "$(dirname "$out")"
cp -r "$stage" "$out.new.$$"
rm -rf "$out"
mv "$out.new.$$" "$out"
info "written: $out ($(find "$out" -name '*.patch' | wc -l) files, from $SENDER)"
info "send the postings in this order, from $out:"
for i in "${!P_NAME[@]}"; do
	info "  git send-email $(basename "$(dir_of "$i")")/*.patch"
done
