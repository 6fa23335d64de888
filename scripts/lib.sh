# shellcheck shell=bash
# Helpers shared by the scripts in scripts/ (sourced, not run). Sets
# STALE_ROOT to the repository root and cds there, so every script works
# from any directory and every path below is relative to the root.

set -euo pipefail

STALE_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$STALE_ROOT"

# say MSG...: progress line, prefixed with the script's name.
say() { printf '%s: %s\n' "$(basename -- "$0")" "$*"; }

# die MSG...: error line on stderr, exit 1.
die() { printf '%s: error: %s\n' "$(basename -- "$0")" "$*" >&2; exit 1; }

# jobs_count: parallel build jobs (nproc, or 2 if nproc is missing).
jobs_count() { nproc 2>/dev/null || echo 2; }

# give_back_dirs DIR...: when we run as root (e.g. via sudo) in a checkout
# owned by someone else, hand the directories we created back to the
# checkout's owner, so a later build without sudo can still write them.
give_back_dirs() {
    [[ $(id -u) -eq 0 ]] || return 0
    local owner dir
    owner=$(stat -c '%u:%g' -- "$STALE_ROOT")
    [[ $owner != 0:* ]] || return 0
    for dir in "$@"; do
        [[ -e $dir ]] && chown -R -- "$owner" "$dir"
    done
    return 0
}
