#!/usr/bin/env bash
# Installs the Debian packages stale needs to build, test, run experiments
# and measure coverage. Idempotent: asks dpkg first and calls apt-get only
# when something is missing (that part needs root, or sudo).
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

packages=(
    build-essential cmake pkg-config
    libsimgrid-dev libuv1-dev libopenblas-dev zlib1g-dev check
    dataset-fashion-mnist
    gnuplot-nox gcovr iproute2 time
    manpages manpages-dev groff-base
    clang
)

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    die "needs a Debian-based system (dpkg-query, apt-get); install by hand: ${packages[*]}"
fi

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ $status == installed ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    say "all ${#packages[@]} packages already installed, nothing to do"
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null; then
    as_root=(sudo)
else
    die "missing packages (${missing[*]}) and not root, and sudo is not installed: run as root"
fi

say "installing: ${missing[*]}"
# apt-get's chatter goes to a log that is shown only if something fails.
log=$(mktemp)
trap 'rm -f -- "$log"' EXIT
apt_get() {
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@" >>"$log" 2>&1 || {
        tail -n 40 -- "$log" >&2
        die "apt-get $1 failed (last lines above)"
    }
}
apt_get update -q
apt_get install -y -q --no-install-recommends "${missing[@]}"

for pkg in "${missing[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ $status == installed ]] || die "$pkg is still not installed after apt-get install"
done
say "installed ${#missing[@]} package(s)"
