#!/usr/bin/env bash
# Build the Debian package: target/debian/netscript_VERSION-1_ARCH.deb.
# The manual pages and shell completions come from the binary itself, so
# they always match it. Needs cargo-deb (`cargo install cargo-deb`).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null || {
    echo "deb.sh: needs cargo-deb: cargo install cargo-deb --locked" >&2
    exit 2
}
cargo build --release --locked --quiet
bin=target/release/netscript
rm -rf target/assets
mkdir -p target/assets/man target/assets/completions
"$bin" man --dir target/assets/man
"$bin" completions bash > target/assets/completions/netscript
"$bin" completions zsh > target/assets/completions/_netscript
"$bin" completions fish > target/assets/completions/netscript.fish
cargo deb --no-build --locked "$@"
