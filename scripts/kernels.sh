#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Lists the Debian kernels this tree targets that are installed here: a
# header tree under /usr/src plus a bootable image (/boot/vmlinuz-KVER,
# or from 7.2 /usr/lib/modules/KVER/vmlinuz). Nothing is hard-coded about
# versions: Debian bumps the ABI with security updates. Kernels of
# another architecture than the host's live in the root that
# scripts/foreign-root.sh unpacks them into; Debian 13's in the trixie
# build root of scripts/build-root.sh, whose toolchain builds for them
# (arm64's under foreign/arm64 in it, cross-built by its gcc-14).
#
#   kernels.sh [--arch ARCH] list        every installed target, one kver a line
#   kernels.sh [--arch ARCH] newest      the newest of each series (6.1,
#                                        6.12+deb12, 6.12+deb13, 7.3+deb13)
#   kernels.sh [--arch ARCH] default     the newest the host's gcc builds for
#   kernels.sh kver KDIR                 the release a header tree builds for
#   kernels.sh [--arch ARCH] kdir KVER   the header tree of KVER
#   kernels.sh [--arch ARCH] image KVER  the bootable image of KVER
#   kernels.sh [--arch ARCH] root [KVER] where its (KVER's) files live
#   kernels.sh builder KDIR              the build root KDIR must be built
#                                        in, or nothing

set -eu

arch=$(uname -m)
if [ "${1:-}" = "--arch" ]; then
	arch=$2
	shift 2
fi

cache=${VPD_CACHE:-/var/cache/virtio-dma}
root= broots=
case $arch in
x86_64 | x86 | amd64)
	flavour=amd64
	images=/boot/vmlinuz-
	[ "$(uname -m)" = x86_64 ] || root=$cache/root-amd64
	broots=$cache/root-trixie-amd64
	;;
ppc64le | powerpc | ppc64el)
	flavour=powerpc64le
	images=/boot/vmlinux-
	[ "$(uname -m)" = ppc64le ] || root=$cache/root-ppc64el
	;;
aarch64 | arm64)
	flavour=arm64
	images=/boot/vmlinuz-
	[ "$(uname -m)" = aarch64 ] || root=$cache/root-arm64
	broots=$cache/root-trixie-amd64/foreign/arm64
	;;
*)
	echo "kernels.sh: no Debian target flavour for architecture '$arch'" >&2
	exit 2
	;;
esac

# The roots with kernels in them: the host's (or the foreign one), then
# the build roots that are complete.
roots() {
	echo "$root"
	for r in $broots; do
		[ -e "$r/.complete" ] && echo "$r"
	done
	return 0
}

# image_in ROOT KVER: KVER's image in ROOT, if there is one.
image_in() {
	for i in "$1$images$2" "$1/usr/lib/modules/$2/vmlinuz"; do
		[ -e "$i" ] && { echo "$i"; return 0; }
	done
	return 1
}

# ROOT KVER pairs. Only the generic flavour: the cloud and rt flavours
# lack the drivers the guests need.
pairs() {
	local r d kver
	roots | while read -r r; do
		for d in "$r"/usr/src/linux-headers-*-"$flavour"; do
			[ -d "$d" ] || continue
			kver=${d#"$r"/usr/src/linux-headers-}
			case $kver in
			*cloud* | *-rt-*) continue ;;
			esac
			image_in "$r" "$kver" >/dev/null && echo "${r:-/} $kver"
		done
	done
}

installed() {
	pairs | awk '{ print $2 }' | sort -V
}

# root_of KVER: the root KVER's files are in ("" for the host's own).
root_of() {
	local r
	r=$(pairs | awk -v k="$1" '$2 == k { print $1; exit }')
	[ "$r" = / ] && r=
	echo "${r:-$root}"
}

# The series a kernel belongs to: 6.1.0-56-amd64 is 6.1; 6.12.117+deb12
# and 6.12.118+deb13 are two (the same upstream series, other compilers
# and configurations), 7.3.4+deb13 is 7.3+deb13.
series() {
	echo "$1" | sed -E 's/^([0-9]+\.[0-9]+)[^+]*(\+deb[0-9]+)?.*/\1\2/'
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
	pairs | while read -r r k; do
		case " $broots " in *" $r "*) ;; *) echo "$k" ;; esac
	done | sort -V | tail -n 1
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
	echo "$(root_of "$2")/usr/src/linux-headers-$2"
	;;
image)
	r=$(root_of "$2")
	image_in "$r" "$2" || echo "$r$images$2"
	;;
root)
	if [ $# -gt 1 ]; then
		r=$(root_of "$2")
	else
		r=$root
	fi
	echo "${r:-/}"
	;;
builder)
	# Another architecture's kernels are cross-built in the root they
	# are unpacked in.
	d=$(readlink -f "$2")
	for r in $broots; do
		case $d in "$r"/*) echo "${r%/foreign/*}"; exit 0 ;; esac
	done
	;;
*)
	echo "kernels.sh: unknown command '$1'" >&2
	exit 2
	;;
esac
