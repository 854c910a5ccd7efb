#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpacks what a guest of another architecture needs from Debian's own
# packages of that architecture into a root outside the repository: the
# newest 6.1 kernel image and modules, its headers (used with this host's
# kbuild tools and a cross compiler) and busybox-static. The packages are
# unpacked, never installed: their dependencies (the foreign kbuild, gcc)
# cannot run here.
#
#   foreign-root.sh DEBIAN-ARCH     ppc64el or arm64; prints the root
#
# The foreign package index can lag the host's for a while after an
# update: a download that fails is retried after a fresh index, then the
# next older kernel is taken.

set -euo pipefail

darch=$1
case $darch in
ppc64el) flavour=powerpc64le ;;
arm64) flavour=arm64 ;;
*) echo "foreign-root: no guest support for Debian architecture '$darch'" >&2; exit 2 ;;
esac
cache=${VPD_CACHE:-/var/cache/virtio-dma}
root=$cache/root-$darch
debs=$cache/debs-$darch

# An index caught mid-sync fails apt-get update; what did download is used.
update() {
	apt-get update -qq ||
		echo "foreign-root: apt-get update failed: going on with the indexes there are" >&2
}

if ! dpkg --print-foreign-architectures | grep -qx "$darch"; then
	dpkg --add-architecture "$darch"
	update
fi

# The 6.1 kernels the index has for the flavour, newest first.
candidates() {
	apt-cache search --names-only "^linux-image-6\.1\.[0-9]+-[0-9]+-$flavour\$" |
		sed -E "s/^linux-image-(\S+) .*/\1/" | sort -rV
}

# fetch KVER: the packages of KVER into $debs, or fails.
fetch() {
	local kver=$1 common
	common=$(apt-cache show "linux-headers-$kver:$darch" 2>/dev/null |
		sed -n 's/^Depends: .*\(linux-headers-[^ ,]*-common\).*/\1/p' | head -n 1)
	[ -n "$common" ] || return 1
	rm -rf "$debs" && mkdir -p "$debs"
	# apt downloads as _apt where it can.
	chown _apt "$debs" 2>/dev/null || true
	(cd "$debs" && apt-get download -qq "linux-image-$kver:$darch" \
		"linux-headers-$kver:$darch" "$common" "busybox-static:$darch")
}

if [ ! -e "$root/.complete" ]; then
	got=
	for attempt in 1 2; do
		for k in $(candidates | head -n 2); do
			fetch "$k" && { got=$k; break 2; }
			echo "foreign-root: could not fetch $k for $darch" >&2
		done
		# Perhaps an index out of step with the archive: refresh it.
		sleep 5
		update
	done
	[ -n "$got" ] || { echo "foreign-root: no $flavour 6.1 kernel could be fetched" >&2; exit 1; }
	rm -rf "$root" && mkdir -p "$root"
	for d in "$debs"/*.deb; do
		dpkg-deb -x "$d" "$root"
	done
	# The headers include their -common part by absolute path, and reach
	# kbuild through /usr/lib/linux-kbuild-6.1: point both at this root
	# and at the host's own kbuild.
	hdr=$root/usr/src/linux-headers-$got
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$hdr/Makefile"
	# modules.dep is made at install, which an unpacked package skips.
	depmod -b "$root" "$got"
	mkdir -p "$root/usr/lib"
	ln -sfn /usr/lib/linux-kbuild-6.1 "$root/usr/lib/linux-kbuild-6.1"
	touch "$root/.complete"
fi
echo "$root"
