#!/bin/bash
# deps: install every Debian package the tooling needs (apt-get, through
# sudo when not root).  The other verbs install what they need on their
# own; this is for CI and for a machine that will run offline later.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

phase deps "$LOGS/apt.log"
need_pkgs "${ALL_PKGS[@]}" "$@"
info "all packages present"
