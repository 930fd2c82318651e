#!/usr/bin/env bash
# Prepares a stock Debian kernel for the tests of link kinds and qdiscs
# that the test machines' own kernel lacks (dummy, 802.1Q VLAN, netem,
# VRF, bridge VLAN filtering): tests/common/vm.rs boots it under QEMU with
# the host's file system shared read-only, so the same netscript, ip and
# tc binaries run on a kernel that has these features.
#
#   tests/vm/kernel.sh DIR    -> DIR/vmlinuz and DIR/initrd.gz
#
# Idempotent, and safe to run from several tests at once (flock). Needs
# Debian's apt-get, dpkg-deb, depmod (kmod), cpio and busybox-static;
# `.ci/run` installs them with qemu-system-x86.
set -euo pipefail
dir=${1:?usage: kernel.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
# Ready when the stamp (written last) names this script and init as they
# are now; a change to either, or a build cut short, builds again.
stamp=$(cat "$here/kernel.sh" "$here/init" | sha256sum | cut -d' ' -f1)
[[ -s $dir/vmlinuz && -s $dir/initrd.gz && $(cat "$dir/stamp" 2>/dev/null) == "$stamp" ]] && exit 0
rm -f "$dir/stamp"

# Kernel modules the tests load: the 9p share of the host's files, then
# the link kinds and qdiscs, then nftables with what the firewall's rules
# use (NAT, masquerade, conntrack, fib, reject; crc32c for libcrc32c,
# which loads it by name, not as a dependency).
modules=(virtio_pci 9pnet_virtio 9p veth bridge dummy 8021q vrf vxlan
         macvlan sch_netem sch_tbf crc32c_generic nf_tables nft_chain_nat nft_nat nft_masq
         nft_ct nft_fib_inet nft_reject_inet)

work=$(mktemp -d "$dir/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# linux-image-amd64 is a metapackage: its one dependency is the kernel.
kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
pkg=$(kernel_package)
if [[ -z $pkg ]]; then
    apt-get update -qq >/dev/null 2>&1 || true
    pkg=$(kernel_package)
fi
if [[ -z $pkg ]]; then
    echo "kernel.sh: apt-cache knows no linux-image-amd64 (run apt-get update?)" >&2
    exit 1
fi
# A mirror that fails once is tried again.
for try in 1 2 3; do
    apt-get download -q "$pkg" >/dev/null 2>&1 && break
    [[ $try == 3 ]] && apt-get download "$pkg"
    sleep "$try"
done
dpkg-deb -x ./"$pkg"_*.deb pkg
version=${pkg#linux-image-}
moddir=lib/modules/$version

mkdir -p root/bin root/proc root/dev root/host root/etc/modprobe.d
# A dummy module that makes no dummy0 of its own.
echo "options dummy numdummies=0" > root/etc/modprobe.d/dummy.conf
cp "$(command -v busybox)" root/bin/busybox
mkdir -p "root/$moddir"
cp pkg/$moddir/modules.order pkg/$moddir/modules.builtin pkg/$moddir/modules.builtin.modinfo "root/$moddir/"
depmod -b pkg "$version"
for m in "${modules[@]}"; do
    modprobe -d pkg -S "$version" --show-depends "$m" | awk '/^insmod/ {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
    rel=${ko#"$work/pkg/"}
    mkdir -p "root/$(dirname "$rel")"
    cp "$ko" "root/$rel"
done
depmod -b root "$version"
sed "s/@MODULES@/${modules[*]}/" "$here/init" > root/init
chmod +x root/init
(cd root && find . | cpio -o -H newc --quiet | gzip -1) > initrd.gz
mv initrd.gz "$dir/initrd.gz"
cp pkg/boot/vmlinuz-"$version" "$dir/vmlinuz.new"
mv "$dir/vmlinuz.new" "$dir/vmlinuz"
echo "$version" > "$dir/version"
echo "$stamp" > "$dir/stamp"
