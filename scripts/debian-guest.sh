#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A real Debian 12 guest, as a user has one: systemd, Debian's 6.1 and
# 6.12 kernels with their headers, a DHCP network, root on an ext4
# virtio disk. The base root is made once with debootstrap from Debian's
# packages and cached, with 6.1 installed and 6.12 waiting in apt's
# cache; each image is a copy of it with the package of this tree (make
# deb) installed as a user installs it, so DKMS builds the module inside
# it for 6.1, then, the boot switch on, 6.12 installed as a new kernel,
# for which the kernel's own hooks build the module and the initramfs.
#
#   debian-guest.sh base             prints the cached base root
#   debian-guest.sh images DEB DIR   makes DIR/installed (the package
#                                    installed, its boot switch on) and
#                                    DIR/removed (then removed): each a
#                                    disk.img and, for each kernel,
#                                    vmlinuz-KVER and initrd.img-KVER
#
# The image boots with root=/dev/vda. At multi-user.target a oneshot
# unit (vpd-guest-check) reports on the console, each line starting
# "vpd-guest: ": every virtio PCI device's driver and mode, the network
# brought up by DHCP and a file fetched from the host
# (http://10.0.2.2:$port/$file, port and file from the kernel command
# line: vpd.port=, vpd.file=, vpd.sum= its sha256), a file written on the
# root file system (/var/lib/vpd-guest/written, with its sha256 on the
# console), systemd-analyze's boot time; then it powers off.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VPD_CACHE:-/var/cache/virtio-dma}
mirror=${VPD_MIRROR:-http://deb.debian.org/debian}
security=${VPD_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# Everything run in a root: its own mount namespace, /proc and /sys for
# the maintainer scripts (DKMS, update-initramfs), gone when it ends.
in_root() {
	local root=$1
	shift
	unshare --mount --propagation private sh -euc '
		root=$1; shift
		mount -t proc proc "$root/proc"
		mount -t sysfs sys "$root/sys"
		mount --rbind /dev "$root/dev"
		exec "$@"' sh "$root" chroot "$root" env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# The newest bookworm 6.12 kernel, as install-deps.sh takes for the host.
kernel_612() {
	in_root "$base.new" apt-cache search --names-only \
		'^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' |
		awk '{ print $1 }' | sort -V | tail -n 1 |
		sed 's/^linux-image-//; s/-unsigned$//'
}

make_base() {
	local tmp=$base.new k
	echo "debian-guest: debootstrap bookworm into $base (once)" >&2
	rm -rf "$tmp"
	debootstrap --variant=minbase --arch=amd64 \
		--include=systemd,systemd-sysv,udev,kmod,initramfs-tools,e2fsprogs,iproute2,wget,procps \
		bookworm "$tmp" "$mirror" >/dev/null
	cat >"$tmp/etc/apt/sources.list" <<-EOF
	deb $mirror bookworm main
	deb $mirror bookworm-updates main
	deb $security bookworm-security main
	EOF
	in_root "$tmp" apt-get update -qq
	k=$(kernel_612)
	[ -n "$k" ] || { echo "debian-guest: no 6.12 kernel in bookworm" >&2; return 1; }
	in_root "$tmp" apt-get install -y -qq --no-install-recommends \
		linux-image-amd64 linux-headers-amd64 \
		dkms gcc make libc6-dev >/dev/null
	in_root "$tmp" apt-get clean
	# The 6.12 kernel is installed only after the package, as a user
	# installs a new kernel: DKMS must build for it then. Its packages
	# wait in apt's cache, so that no image needs the network.
	in_root "$tmp" apt-get install -y -qq --no-install-recommends --download-only \
		"linux-image-$k-unsigned" "linux-headers-$k" >/dev/null
	echo "$k" >"$tmp/.kernel-later"
	echo vpd-guest >"$tmp/etc/hostname"
	echo "/dev/vda / ext4 defaults 0 1" >"$tmp/etc/fstab"
	cat >"$tmp/etc/systemd/network/50-dhcp.network" <<-EOF
	[Match]
	Type=ether

	[Network]
	DHCP=yes
	EOF
	in_root "$tmp" systemctl enable systemd-networkd >/dev/null 2>&1
	in_root "$tmp" systemctl set-default multi-user.target >/dev/null 2>&1
	cat >"$tmp/etc/systemd/system/vpd-guest-check.service" <<-EOF
	[Unit]
	Description=virtio-dma: report what the guest got, then power off
	Wants=network-online.target
	After=multi-user.target network-online.target

	[Service]
	Type=oneshot
	StandardOutput=journal+console
	ExecStart=/usr/local/sbin/vpd-guest-check

	[Install]
	WantedBy=multi-user.target
	EOF
	in_root "$tmp" systemctl enable vpd-guest-check systemd-networkd-wait-online >/dev/null 2>&1
	touch "$tmp/.complete"
	rm -rf "$base"
	mv "$tmp" "$base"
}

# image ROOT DIR: DIR/disk.img (ext4, root=/dev/vda) of ROOT, and each of
# its kernels with its initramfs beside it.
image() {
	local root=$1 dir=$2 k
	mkdir -p "$dir"
	for k in "$root"/boot/vmlinuz-*; do
		k=${k##*/vmlinuz-}
		cp "$root/boot/vmlinuz-$k" "$root/boot/initrd.img-$k" "$dir/"
	done
	mkfs.ext4 -q -F -L vpd-root -d "$root" "$dir/disk.img" 4G
}

# The cached base is named after the recipe that made it. It is not
# updated: a new point release of a kernel shows in the next recipe.
base=$cache/guest-bookworm-amd64-$({ declare -f make_base in_root kernel_612; echo "$mirror $security"; } |
	sha256sum | cut -c1-12)
# One maker at a time.
mkdir -p "$cache"
exec 9>"$cache/guest-bookworm.lock"
flock 9

case ${1:-} in
base)
	[ -e "$base/.complete" ] || make_base
	echo "$base"
	;;
images)
	[ $# -eq 3 ] || { echo "usage: debian-guest.sh images DEB DIR" >&2; exit 2; }
	deb=$(realpath "$2") dir=$3
	[ -e "$base/.complete" ] || make_base
	root=$dir/root
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -a --reflink=auto "$base" "$root"
	rm -f "$root/.complete"
	cp "$deb" "$root/tmp/"
	# The package as a user installs it: DKMS builds for the kernel
	# there (6.1). Then the switch the admin page documents, and the
	# initramfs again.
	in_root "$root" apt-get install -y -q --no-install-recommends "/tmp/${deb##*/}" \
		>"$dir/install.log" 2>&1
	rm -f "$root/tmp/${deb##*/}"
	sed -i 's/^VIRTIO_PCI_DMA_BOOT=.*/VIRTIO_PCI_DMA_BOOT=yes/' "$root/etc/default/virtio-pci-dma"
	in_root "$root" update-initramfs -u -k all >>"$dir/install.log" 2>&1
	# Then a new kernel, from apt's cache, the switch on: nothing but
	# the kernel's own hooks makes its module (DKMS) and its initramfs.
	k=$(cat "$root/.kernel-later")
	in_root "$root" apt-get install -y -q --no-install-recommends --no-download \
		"linux-image-$k-unsigned" "linux-headers-$k" >>"$dir/install.log" 2>&1
	in_root "$root" apt-get clean
	rm -f "$root/.kernel-later"
	install -m 755 "$top/scripts/vpd-guest-check" "$root/usr/local/sbin/vpd-guest-check"
	image "$root" "$dir/installed"
	# Then removed, as a user removes it, the switch still on.
	in_root "$root" apt-get remove -y -q virtio-pci-dma-dkms >"$dir/remove.log" 2>&1
	image "$root" "$dir/removed"
	rm -rf "$root"
	;;
*)
	echo "usage: debian-guest.sh base | images DEB DIR" >&2
	exit 2
	;;
esac
