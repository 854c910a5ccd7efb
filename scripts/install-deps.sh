#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Installs, from Debian's packages only, what building and testing need:
# both Debian 12 kernel series with their headers, the 6.1 source
# (checkpatch, kselftest), QEMU, busybox-static, the build tools and the
# benchmark tools (fio, iperf3, gnuplot); on x86, the trixie build root
# with Debian 13's kernels (scripts/build-root.sh). Does nothing when all
# of it is there.
#
#   install-deps.sh [--arch ARCH] [--debug]
#
# --debug adds what building the debug guest kernel needs.

set -eu

arch=$(uname -m)
debug=
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift 2 ;;
	--debug) debug=1; shift ;;
	*) echo "install-deps: unknown option $1" >&2; exit 2 ;;
	esac
done

missing() { # prints the packages in $* that are not installed
	for p in "$@"; do
		dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed' || echo "$p"
	done
}

# A mirror can be caught mid-sync, a foreign architecture's index most
# often: retry, then go on with the indexes that did come (the main
# suite's, usually) rather than stop.
updated=
apt_update() {
	[ -n "$updated" ] && return
	echo "install-deps: apt-get update" >&2
	updated=1
	for i in 1 2 3; do
		apt-get update -qq && return 0
		echo "install-deps: apt-get update failed ($i of 3): an index out of step with its mirror?" >&2
		sleep $((i * 5))
	done
	echo "install-deps: going on with the package indexes that did download" >&2
}

apt_install() {
	[ $# -gt 0 ] || return 0
	apt_update
	echo "install-deps: installing $*" >&2
	# INITRD=No: the guests boot our own initramfs, not Debian's.
	DEBIAN_FRONTEND=noninteractive INITRD=No \
		apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ "$(id -u)" != 0 ]; then
	sudo=$(command -v sudo || true)
	[ -n "$sudo" ] || { echo "install-deps: must run as root" >&2; exit 1; }
	exec $sudo "$0" ${debug:+--debug} --arch "$arch"
fi

tools="make gcc libc6-dev perl kmod cpio xz-utils zstd busybox-static
	sparse linux-source-6.1 qemu-system-x86 qemu-utils procps coreutils
	rsync socat iproute2 fio iperf3 gnuplot-nox debootstrap util-linux
	debhelper dh-dkms dkms e2fsprogs python3 python3-docutils"

case $arch in
x86_64 | x86 | amd64)
	garch=x86_64 flavour=amd64
	;;
ppc64le | powerpc | ppc64el)
	garch=ppc64le flavour=powerpc64le darch=ppc64el
	cross="gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross qemu-system-ppc"
	;;
aarch64 | arm64)
	garch=aarch64 flavour=arm64 darch=arm64
	cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm"
	;;
*)
	echo "install-deps: architecture '$arch' is not supported yet" >&2
	exit 2
	;;
esac

# Guests of another architecture: a cross compiler, QEMU for it, this
# host's kbuild tools, and that architecture's Debian kernel, headers and
# busybox unpacked outside the system (scripts/foreign-root.sh); for
# arm64 also trixie's newest kernel, cross-built in the trixie build root.
if [ "$garch" != "$(uname -m)" ]; then
	# shellcheck disable=SC2086
	apt_install $(missing $tools $cross linux-kbuild-6.1)
	"$(dirname "$0")/foreign-root.sh" "$darch" >/dev/null
	[ "$garch" != aarch64 ] || "$(dirname "$0")/build-root.sh" --arch "$darch" >/dev/null
	exit 0
fi

[ -n "$debug" ] && tools="$tools flex bison bc libelf-dev libssl-dev patch"

# shellcheck disable=SC2086
apt_install $(missing $tools linux-image-$flavour linux-headers-$flavour)

# The 6.12 series has no meta-package in bookworm: take the newest
# linux-image-6.12.*+deb12-<flavour>-unsigned unless one is installed.
if [ -z "$(ls -d /usr/src/linux-headers-6.12.*+deb12-$flavour 2>/dev/null)" ] ||
	[ -z "$(ls /boot/vmlinuz-6.12.*+deb12-$flavour 2>/dev/null)" ]; then
	apt_update
	kver=$(apt-cache search --names-only "^linux-image-6\.12\.[0-9]+\+deb12-$flavour-unsigned\$" |
		sed -E "s/^linux-image-(\S+)-unsigned .*/\1/" | sort -V | tail -n 1)
	if [ -z "$kver" ]; then
		echo "install-deps: no linux-image-6.12.*+deb12-$flavour-unsigned in the archive" >&2
		exit 1
	fi
	apt_install "linux-image-$kver-unsigned" "linux-headers-$kver"
fi

# Debian 13's kernels, built with gcc-14 in a trixie root of their own.
[ -n "$debug" ] || "$(dirname "$0")/build-root.sh" --arch "$flavour" >/dev/null
exit 0
