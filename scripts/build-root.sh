#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian 13's kernels are built with gcc-14 and their kbuild wants glibc
# 2.38, which a Debian 12 host has not: their modules are built in a
# trixie root made with debootstrap from Debian's packages, cached outside
# the repository. It holds the toolchain (gcc-14, make, sparse) and, with
# their headers, images and modules:
#   - the newest 6.12.x+deb13, Debian 13's own kernel;
#   - the newest kernel trixie-backports has, whatever its version;
#   - the newest 6.18 (the LTS series) if the archive still has its headers.
# Kernel versions are discovered from the archive, never written here.
# QEMU stays on the host: it boots the images from this root.
#
# Kernels of another architecture (arm64) are cross-built in the same
# root: its cross gcc-14 and its own kbuild tools, with that
# architecture's headers, images and modules unpacked (never installed:
# their kbuild could not run here) under foreign/ARCH inside it.
#
#   build-root.sh [--arch ARCH]     prints the root (for arm64: where its
#                                   kernels are, inside the amd64 root)
#   build-root.sh --refresh         also installs newer kernels if any

set -euo pipefail

darch=amd64
refresh=
while [ $# -gt 0 ]; do
	case $1 in
	--arch) darch=$2; shift 2 ;;
	--refresh) refresh=1; shift ;;
	*) echo "build-root: unknown option $1" >&2; exit 2 ;;
	esac
done
foreign=
case $darch in
amd64 | x86_64) darch=amd64 flavour=amd64 ;;
arm64 | aarch64) foreign=arm64 ;;
*) echo "build-root: no trixie build root for architecture '$darch' yet" >&2; exit 2 ;;
esac

cache=${VPD_CACHE:-/var/cache/virtio-dma}
if [ -n "$foreign" ]; then
	# The host's root builds them: make sure it is there first.
	"$0" --arch amd64 ${refresh:+--refresh} >/dev/null
	darch=amd64 flavour=$foreign
fi
root=$cache/root-trixie-$darch
mirror=${VPD_MIRROR:-http://deb.debian.org/debian}
security=${VPD_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

in_root() {
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive INITRD=No "$@"
}

# apt in the root, with /proc for dpkg's maintainer scripts. The mount is
# private to this process and goes when it ends.
apt_in_root() {
	unshare --mount --propagation private sh -euc '
		root=$1; shift
		mount -t proc proc "$root/proc"
		exec "$@"' sh "$root" chroot "$root" env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive INITRD=No "$@"
}

bootstrap() {
	local tmp=$root.new
	echo "build-root: debootstrap trixie into $root (once)" >&2
	rm -rf "$tmp"
	debootstrap --variant=minbase --arch="$darch" trixie "$tmp" "$mirror" >/dev/null
	cat >"$tmp/etc/apt/sources.list" <<-EOF
	deb $mirror trixie main
	deb $mirror trixie-updates main
	deb $security trixie-security main
	deb $mirror trixie-backports main
	deb [check-valid-until=no] $mirror sid main
	EOF
	# sid only for what fetch_sparse() downloads: nothing is installed
	# from it, and an index past its Valid-Until date does no harm.
	cat >"$tmp/etc/apt/preferences.d/sid" <<-EOF
	Package: *
	Pin: release n=sid
	Pin-Priority: -1
	EOF
	rm -rf "$root"
	mv "$tmp" "$root"
}

# newest REGEX: the newest package whose name matches REGEX, by version.
newest() {
	in_root apt-cache search --names-only "$1" | awk '{ print $1 }' | sort -V | tail -n 1
}

# The packages of the kernel KVER: its headers (which bring gcc-14 and
# kbuild), its image and its modules. From 7.2 Debian splits the image
# into linux-binary-* (vmlinuz under /usr/lib/modules), linux-modules-*
# and linux-base-*.
# With ARCH, those of that architecture.
kernel_packages() {
	local kver=$1 a=${2:+:$2}
	echo "linux-headers-$kver"
	if in_root apt-cache show "linux-binary-$kver$a" >/dev/null 2>&1; then
		echo "linux-binary-$kver linux-modules-$kver"
		# modules.order, modules.builtin, config: the runner's guests
		# need them, and nothing installs it for an unpacked kernel.
		! in_root apt-cache show "linux-base-$kver$a" >/dev/null 2>&1 ||
			echo "linux-base-$kver"
	elif in_root apt-cache show "linux-image-$kver-unsigned$a" >/dev/null 2>&1; then
		echo "linux-image-$kver-unsigned"
	else
		echo "linux-image-$kver"
	fi
}

# The kernels to have, one per line: Debian 13's own 6.12, the newest of
# backports, the newest 6.18; each only where its headers are published.
kernels() {
	local k
	k=$(newest "^linux-headers-6\.12\.[0-9]+\+deb13[.0-9]*-$flavour\$")
	[ -n "$k" ] || { echo "build-root: no 6.12.x+deb13 headers in trixie" >&2; return 1; }
	echo "${k#linux-headers-}"
	k=$(newest "^linux-headers-[0-9]+\.[0-9]+\.[0-9]+\+deb13[.0-9]*-$flavour\$")
	echo "${k#linux-headers-}"
	k=$(newest "^linux-headers-6\.18\.[0-9]+\+deb13[.0-9]*-$flavour\$")
	[ -z "$k" ] || echo "${k#linux-headers-}"
}

# trixie's sparse (0.6.4) cannot parse the __typeof_unqual__ of 7.x
# headers; sid's (0.6.5~rc1) can. Its sparse binary needs only libc: it
# is unpacked into /usr/local/bin, ahead of nothing else, without the
# package's gcc-16 dependency.
fetch_sparse() {
	local tmp
	[ -x "$root/usr/local/bin/sparse" ] && return 0
	tmp=$(mktemp -d "$root/tmp/sparse.XXXXXX")
	chmod 777 "$tmp"
	if apt_in_root sh -c "cd ${tmp#"$root"} && apt-get download -qq sparse/sid" &&
		dpkg-deb -x "$tmp"/sparse_*.deb "$tmp/x" &&
		install -m 755 "$tmp/x/usr/bin/sparse" "$root/usr/local/bin/sparse"; then
		rm -rf "$tmp"
		return 0
	fi
	rm -rf "$tmp"
	echo "build-root: could not fetch sid's sparse" >&2
	return 1
}

# Debian's 7.x header packages leave out scripts/checker-valid.sh, by
# which kbuild decides whether C=2 can run sparse: without it, C=2 only
# prints that sparse is "not available" and checks nothing. This one
# answers as kbuild expects, 1 when the checker parses __typeof_unqual__,
# which 7.x headers use.
checker_valid() {
	local d f
	for d in "$root"/usr/src/linux-headers-*-common; do
		f=$d/scripts/checker-valid.sh
		# The kernel's own, where the package has it, stays.
		[ -e "$f" ] && ! grep -q 'virtio-dma' "$f" && continue
		cat >"$f" <<-'EOF'
		#!/bin/sh
		# SPDX-License-Identifier: GPL-2.0
		# Put here by virtio-dma's scripts/build-root.sh: prints 1 when
		# the checker given, with its flags, parses __typeof_unqual__
		# (sparse exits 0 on errors: its output tells).
		f=$(mktemp --suffix=.c) || exit 0
		echo 'static int *p; static __typeof_unqual__(*p) x;' >"$f"
		out=$("$@" "$f" 2>&1) && ! echo "$out" | grep -q error && echo 1
		rm -f "$f"
		EOF
		chmod +x "$f"
	done
}

# foreign_kernels: FOREIGN's kernels under $root/foreign/FOREIGN, with the
# cross compiler in the root; prints where they are.
foreign_kernels() {
	local froot=$root/foreign/$foreign tmp k found pkgs hdr
	if [ -e "$froot/.complete" ] && [ -z "$refresh" ]; then
		echo "$froot"
		return 0
	fi
	in_root dpkg --print-foreign-architectures | grep -qx "$foreign" ||
		in_root dpkg --add-architecture "$foreign"
	apt_in_root apt-get update -qq
	apt_in_root apt-get install -y -qq --no-install-recommends \
		"gcc-14-$(cross_triplet)" >/dev/null
	# The newest only: with the 6.1 of scripts/foreign-root.sh, the two
	# ends of what the kernel's APIs look like on this architecture.
	found=$(kernels | sort -uV | tail -n 1)
	# Its kbuild tools built for this host, whatever version the root's
	# own kernels are at (the index may have moved on since).
	for k in $found; do
		apt_in_root apt-get install -y -qq --no-install-recommends \
			"linux-kbuild-${k%-"$flavour"}" >/dev/null
	done
	pkgs=$(for k in $found; do
		echo "linux-headers-${k%-"$flavour"}-common"
		for p in $(kernel_packages "$k" "$foreign"); do
			echo "$p:$foreign"
		done
	done)
	tmp=$root/tmp/foreign-$foreign
	rm -rf "$tmp" && mkdir -p "$tmp" && chmod 777 "$tmp"
	echo "build-root: unpacking $(echo $pkgs)" >&2
	# shellcheck disable=SC2086
	apt_in_root sh -c "cd /tmp/foreign-$foreign && apt-get download -qq $(echo $pkgs)"
	rm -rf "$froot.new" && mkdir -p "$froot.new"
	for d in "$tmp"/*.deb; do
		dpkg-deb -x "$d" "$froot.new"
	done
	rm -rf "$tmp" "$froot" && mv "$froot.new" "$froot"
	# Merged /usr, as the root it sits in: depmod looks in lib/modules.
	ln -sfn usr/lib "$froot/lib"
	for k in $found; do
		# The headers name their -common part and their own place by
		# absolute path: say where they are in the root. Their
		# scripts reach the kbuild tools through /usr/lib: the
		# root's own, built for this host, serve.
		hdr=$froot/usr/src/linux-headers-$k
		sed -i "s|/usr/src/|/foreign/$foreign/usr/src/|" "$hdr/Makefile"
		ln -sfn "/usr/lib/linux-kbuild-${k%-"$flavour"}" \
			"$froot/usr/lib/linux-kbuild-${k%-"$flavour"}"
		depmod -b "$froot" "$k"
	done
	touch "$froot/.complete"
	echo "$froot"
}

# The triplet of FOREIGN's cross compiler.
cross_triplet() {
	case $foreign in
	arm64) echo aarch64-linux-gnu ;;
	esac
}

mkdir -p "$cache"
if [ -n "$foreign" ]; then
	fetch_sparse
	checker_valid
	foreign_kernels
	exit 0
fi
if [ -e "$root/.complete" ] && [ -z "$refresh" ]; then
	fetch_sparse
	checker_valid
	echo "$root"
	exit 0
fi
[ -e "$root/etc/apt/sources.list" ] || bootstrap

apt_in_root apt-get update -qq
found=$(kernels | sort -uV)
pkgs=$(for k in $found; do kernel_packages "$k"; done)
echo "build-root: installing $(echo $pkgs)" >&2
# perl: 6.12's scripts/kernel-doc, which W=1 runs, needs more of it than
# minbase's perl-base (Pod::Usage).
# shellcheck disable=SC2086
apt_in_root apt-get install -y -qq --no-install-recommends \
	make gcc-14 libc6-dev kmod xz-utils zstd perl $pkgs >/dev/null
apt_in_root apt-get clean
fetch_sparse

touch "$root/.complete"
echo "$root"
