#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Lists the Debian kernels this tree targets that are installed here: a
# header tree under /usr/src plus a bootable image under /boot. Nothing is
# hard-coded about versions: Debian bumps the ABI with security updates.
# Kernels of another architecture than the host's live in the root that
# scripts/foreign-root.sh unpacks them into.
#
#   kernels.sh [--arch ARCH] list        every installed target, one kver a line
#   kernels.sh [--arch ARCH] newest      the newest of each series (6.1, 6.12)
#   kernels.sh [--arch ARCH] default     the newest of all
#   kernels.sh kver KDIR                 the release a header tree builds for
#   kernels.sh [--arch ARCH] kdir KVER   the header tree of KVER
#   kernels.sh [--arch ARCH] image KVER  the bootable image of KVER
#   kernels.sh [--arch ARCH] root        where its kernels' files live

set -eu

arch=$(uname -m)
if [ "${1:-}" = "--arch" ]; then
	arch=$2
	shift 2
fi

root=
case $arch in
x86_64 | x86 | amd64)
	flavour=amd64
	images=/boot/vmlinuz-
	[ "$(uname -m)" = x86_64 ] || root=${VPD_CACHE:-/var/cache/virtio-dma}/root-amd64
	;;
ppc64le | powerpc | ppc64el)
	flavour=powerpc64le
	images=/boot/vmlinux-
	[ "$(uname -m)" = ppc64le ] || root=${VPD_CACHE:-/var/cache/virtio-dma}/root-ppc64el
	;;
*)
	echo "kernels.sh: no Debian target flavour for architecture '$arch'" >&2
	exit 2
	;;
esac

# Only the generic flavour: the cloud and rt flavours lack the drivers the
# guests need.
installed() {
	for d in "$root"/usr/src/linux-headers-*-"$flavour"; do
		[ -d "$d" ] || continue
		kver=${d#"$root"/usr/src/linux-headers-}
		case $kver in
		*cloud* | *-rt-*) continue ;;
		esac
		[ -e "$root$images$kver" ] && echo "$kver"
	done | sort -V
}

# 6.1.0-56-amd64 and 6.12.117+deb12-amd64 both start with their series.
series() {
	echo "$1" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/'
}

case ${1:-list} in
list)
	installed
	;;
newest)
	installed | while read -r k; do
		echo "$(series "$k") $k"
	done | awk '{ last[$1] = $2 } END { for (s in last) print last[s] }' | sort -V
	;;
default)
	installed | tail -n 1
	;;
kver)
	# Debian's header trees are named after the release they build for
	# (their kernel.release may say otherwise); other trees say it.
	d=$(readlink -f "$2")
	case $(basename "$d") in
	linux-headers-*) basename "$d" | sed 's/^linux-headers-//' ;;
	*) cat "$d/include/config/kernel.release" ;;
	esac
	;;
kdir)
	echo "$root/usr/src/linux-headers-$2"
	;;
image)
	echo "$root$images$2"
	;;
root)
	echo "${root:-/}"
	;;
*)
	echo "kernels.sh: unknown command '$1'" >&2
	exit 2
	;;
esac
