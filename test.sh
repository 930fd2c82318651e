#!/usr/bin/env bash
# The test command: `sudo ./test.sh` (extra arguments go to `cargo test`,
# e.g. `sudo ./test.sh pingall`; `--tools` only installs what the tests
# use).
#
# The tests build real labs against this machine's kernel, each in its own
# private network + mount namespace, so they run as root. They use tools
# besides netscript: iproute2's `ip -j` and `bridge` as an independent view
# of the kernel, util-linux's `unshare` and `setpriv` (sandboxes, runs as a
# plain user), iputils' `ping` (pings the way a user would by hand), tmux
# (the REPL through a real terminal), busybox (small servers and clients in
# test namespaces), Docker (one real container, under a private dockerd),
# graphviz (checks the DOT netscript writes), procps's `ps`, tcpdump
# (libpcap for capture filters, and the oracle for captures), iperf3 (the
# traffic module), FRR (the frr module; installed without starting its
# daemons), nftables (libnftables for firewall rules, `nft` as the oracle),
# man-db (the manual pages are checked with `man -w`), strace (injects
# the errors of kernels without pidfds), OpenSSH and Ansible
# (the Ansible playbook, run against simulated machines), and QEMU with kmod
# and cpio (a stock Debian kernel for what this kernel lacks:
# tests/vm/kernel.sh). On Debian and Ubuntu the missing ones are installed
# with apt-get; elsewhere this says which are missing and stops.
set -euo pipefail
cd "$(dirname "$0")"

if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: the tests build real labs and need root: sudo ./test.sh" >&2
    exit 2
fi

# command, then the Debian package that has it
tools=(
    "ip iproute2" "bridge iproute2" "unshare util-linux" "setpriv util-linux"
    "ping iputils-ping" "tmux tmux" "busybox busybox-static" "dockerd docker.io"
    "dot graphviz" "nft nftables" "ps procps" "tcpdump tcpdump" "iperf3 iperf3"
    "man man-db" "strace strace" "vtysh frr" "sshd openssh-server" "ssh openssh-client"
    "qemu-system-x86_64 qemu-system-x86" "depmod kmod" "cpio cpio"
)
missing=()
packages=()
for t in "${tools[@]}"; do
    read -r cmd pkg <<< "$t"
    if ! command -v "$cmd" >/dev/null; then
        missing+=("$cmd")
        [[ " ${packages[*]} " == *" $pkg "* ]] || packages+=("$pkg")
    fi
done

if ((${#packages[@]})); then
    if ! command -v apt-get >/dev/null; then
        echo "test.sh: the tests need these commands, which this machine lacks:" >&2
        echo "  ${missing[*]}" >&2
        echo "  (Debian's packages for them: ${packages[*]}; install your" >&2
        echo "  distribution's packages that provide them, then run this again)" >&2
        exit 2
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    plain=()
    vm=()
    for p in "${packages[@]}"; do
        case $p in
        frr) ;;
        qemu-system-x86 | kmod | cpio) vm+=("$p") ;;
        *) plain+=("$p") ;;
        esac
    done
    if ((${#plain[@]})); then
        apt-get install -y -qq "${plain[@]}"
    fi
    if ((${#vm[@]})); then
        # only what boots a kernel, not QEMU's graphical front ends
        apt-get install -y -qq --no-install-recommends "${vm[@]}"
    fi
    made_policy=0
    for daemon in frr:frr openssh-server:ssh; do
        pkg=${daemon%%:*}
        [[ " ${packages[*]} " == *" $pkg "* ]] || continue
        # These packages would start their daemons on this machine (FRR's
        # routing, an ssh server on port 22): policy-rc.d refuses every
        # service start during the install, and the service is left
        # disabled. The tests run their own daemons, in namespaces of
        # their own.
        if ((!made_policy)) && [[ ! -e /usr/sbin/policy-rc.d ]]; then
            # ours, and gone again however the install ends
            trap 'rm -f /usr/sbin/policy-rc.d' EXIT
            printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
            chmod +x /usr/sbin/policy-rc.d
            made_policy=1
        fi
        apt-get install -y -qq "$pkg"
        # (ssh is also started by a socket unit on newer systems)
        systemctl disable --now "${daemon##*:}" "${daemon##*:}.socket" >/dev/null 2>&1 || true
    done
    if ((made_policy)); then
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
fi

# Ansible (contrib/ansible, tested across simulated machines), from PyPI
# into a virtual environment of the tests' own: nothing of the machine's
# Python changes.
ansible=/opt/netscript-tests/ansible
if [[ ! -x $ansible/bin/ansible-playbook ]]; then
    if ! /usr/bin/python3 -m venv --help >/dev/null 2>&1; then
        if ! command -v apt-get >/dev/null; then
            echo "test.sh: the tests need Python's venv module (Debian: python3-venv)" >&2
            exit 2
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq python3-venv
    fi
    rm -rf "$ansible"
    /usr/bin/python3 -m venv "$ansible"
    "$ansible/bin/pip" install -q 'ansible-core>=2.15,<2.20'
fi
[[ ${1:-} == --tools ]] && exit 0

# sudo's PATH leaves out ~/.cargo/bin, where rustup puts cargo: use the
# toolchain of the user who ran sudo.
if ! command -v cargo >/dev/null && [[ -n ${SUDO_USER:-} ]]; then
    home=$(getent passwd "$SUDO_USER" | cut -d: -f6)
    if [[ -x $home/.cargo/bin/cargo ]]; then
        # The user's toolchain, but root's own CARGO_HOME: a registry cache
        # root wrote into the user's ~/.cargo would stop their next cargo.
        export PATH="$home/.cargo/bin:$PATH"
        export RUSTUP_HOME="${RUSTUP_HOME:-$home/.rustup}"
    fi
fi
if ! command -v cargo >/dev/null; then
    echo "test.sh: cargo is not on root's PATH (install Rust: https://rustup.rs)" >&2
    exit 2
fi

exec cargo test "$@"
