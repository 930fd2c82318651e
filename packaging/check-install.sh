#!/usr/bin/env bash
# The install paths as a user takes them, tried on this machine (CI runs
# it as root, from a clean clone): `cargo install`, then the Debian
# package, installed with apt, used, and removed. Leaves no netscript
# installed (the tools it needed, cargo-deb, dpkg-dev and man-db, stay).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export DEBIAN_FRONTEND=noninteractive

echo "== cargo install --locked --path ."
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cargo install --locked --quiet --path . --root "$root"
# Run from elsewhere: the standard library is inside the binary.
(cd / && "$root/bin/netscript" --version &&
    "$root/bin/netscript" --sandbox "$repo/scripts/bridge-lab.rhai" | grep "reachable")

echo "== the Debian package"
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked --quiet
need=()
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
command -v man >/dev/null || need+=(man-db)
if ((${#need[@]})); then
    apt-get update -qq
    apt-get install -y -qq "${need[@]}"
fi
if dpkg -s netscript >/dev/null 2>&1; then
    echo "check-install.sh: a netscript package is installed already; not touching it" >&2
    exit 1
fi
packaging/deb.sh --quiet
deb=$(ls target/debian/netscript_*.deb)
# From here on the package goes again however this ends.
trap 'rm -rf "$root"; apt-get remove -y -qq netscript > /dev/null 2>&1 || true' EXIT
apt-get install -y -qq "./$deb" > /dev/null
(
    cd /
    /usr/bin/netscript --sandbox /usr/share/doc/netscript/examples/bridge-lab.rhai | grep "reachable"
    man -w netscript netscript-down
    # bash loads the completion and it answers from the installed binary
    PATH=/usr/bin:$PATH bash -c '
        source /usr/share/bash-completion/completions/netscript
        complete -p netscript
        COMP_WORDS=(netscript com); COMP_CWORD=1
        _clap_complete_netscript netscript com
        [[ ${COMPREPLY[*]} == completions ]] || { echo "completion offered: ${COMPREPLY[*]}"; exit 1; }'
    test -s /usr/share/zsh/vendor-completions/_netscript
    test -s /usr/share/fish/vendor_completions.d/netscript.fish
)
apt-get remove -y -qq netscript > /dev/null
trap 'rm -rf "$root"' EXIT
for f in /usr/bin/netscript /usr/share/man/man1/netscript.1.gz \
    /usr/share/bash-completion/completions/netscript /usr/share/doc/netscript; do
    if [[ -e $f ]]; then
        echo "check-install.sh: $f is left after apt-get remove" >&2
        exit 1
    fi
done
echo "== install paths: ok"
