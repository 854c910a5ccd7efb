#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packs Debian's fio and iperf3, with every library they load, into a cpio
# archive that vm/run.sh appends to a guest's initramfs. Debian's fio links
# large libraries (ceph, rdma, ...): the archive is about 80 MiB, so it is
# built once per package version and cached outside the repository.
#
#   bench-tools.sh [--cache DIR]      prints the archive's path

set -euo pipefail

cache=/var/cache/virtio-dma
[ "${1:-}" = --cache ] && cache=$2
tools="/usr/bin/fio /usr/bin/iperf3"

key=$(dpkg-query -W -f '${Package}-${Version}-${Architecture} ' fio iperf3 libc6 | md5sum | cut -c1-12)
out=$cache/bench-tools-$key.cpio
if [ ! -s "$out" ]; then
	mkdir -p "$cache"
	root=$(mktemp -d)
	trap 'rm -rf "$root"' EXIT
	# shellcheck disable=SC2086
	for f in $tools $(ldd $tools | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && NF == 2 { print $1 }' | sort -u); do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
	# Where the loader looks, as the guest has no ld.so.cache otherwise.
	mkdir -p "$root/etc"
	find "$root" -type f -name '*.so*' ! -path "$root/etc/*" -printf '%h\n' | sed "s|^$root||" | sort -u >"$root/etc/ld.so.conf"
	ldconfig -r "$root"
	(cd "$root" && find . -mindepth 1 | cpio -o -H newc --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
fi
echo "$out"
