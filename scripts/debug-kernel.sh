#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Builds the debug guest kernel of 'make check-debug' from Debian's
# linux-source-6.1 with tools/testing/selftests/virtio_dma/debug.config,
# once per source version, config and patch set (debug-patches/: fixes to
# the kernel's own debug checks, each written up for upstream): the
# result is cached outside the tree, in $VPD_CACHE (default
# /var/cache/virtio-dma); a new config or patch set reuses the tree of
# the last one and builds what changed. Prints the kernel's
# directory: bzImage, a header tree to build modules against (build/) and
# its modules (lib/modules/<release>/).
#
#   debug-kernel.sh

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VPD_CACHE:-/var/cache/virtio-dma}
config=$top/tools/testing/selftests/virtio_dma/debug.config
patches=$(ls "$top"/tools/testing/selftests/virtio_dma/debug-patches/*.patch 2>/dev/null || true)
tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n 1)
prefix=$(basename "$tarball" | sed 's/\.tar\..*$//')
version=$(dpkg-query -W -f '${Version}' linux-source-6.1)
# Patches change files of the tarball, never create or delete one.
# shellcheck disable=SC2086
if grep -qE '^(---|\+\+\+) /dev/null' /dev/null $patches; then
	echo "debug-kernel: a patch in debug-patches/ creates or deletes a file" >&2
	exit 1
fi
# The key: the config and what the patches change, not their changelogs.
key=$({
	cat "$config"
	for p in $patches; do sed -n '/^--- a\//,$p' "$p"; done
} | md5sum | cut -c1-12)
dir=$cache/debug-$version-$key
fresh=

if [ -f "$dir/done" ]; then
	echo "$dir"
	exit 0
fi
echo "debug-kernel: building into $dir (the first time takes a while)" >&2
rm -rf "$dir"
# A tree of the same source for another config is rebuilt incrementally.
old=$(ls -d "$cache/debug-$version-"*/src 2>/dev/null | head -n 1)
if [ -n "$old" ]; then
	old=$(dirname "$old")
	mv "$old" "$dir"
	rm -f "$dir/done" "$dir/bzImage"
	rm -rf "$dir/lib"
else
	mkdir -p "$dir/src" "$dir/build"
	tar -xf "$tarball" -C "$dir/src" --strip-components=1
	fresh=1
fi
# Every file a patch touched, in the last tree or now, comes fresh from
# the tarball (-m: newer than its object, so that it is rebuilt).
# shellcheck disable=SC2086
touched=$(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' /dev/null $patches | sort -u)
# shellcheck disable=SC2046,SC2086
restore=$(printf '%s\n' $(cat "$dir/patched" 2>/dev/null) $touched | sort -u | sed '/^$/d')
if [ -z "$fresh" ] && [ -n "$restore" ]; then
	# shellcheck disable=SC2046
	tar -xmf "$tarball" -C "$dir/src" --strip-components=1 \
		$(echo "$restore" | sed "s|^|$prefix/|")
fi
echo "$touched" >"$dir/patched"
for p in $patches; do
	patch -s --batch --forward --fuzz=0 -p1 -d "$dir/src" <"$p" >&2
done
make -s -C "$dir/src" O="$dir/build" x86_64_defconfig >&2
"$dir/src/scripts/kconfig/merge_config.sh" -m -O "$dir/build" \
	"$dir/build/.config" "$config" >&2
make -s -C "$dir/src" O="$dir/build" olddefconfig >&2
# Every line of the fragment must have survived olddefconfig.
missing=$(grep -E '^CONFIG_|^# CONFIG_.* is not set' "$config" | while read -r line; do
	grep -qxF "$line" "$dir/build/.config" || echo "$line"
done)
if [ -n "$missing" ]; then
	echo "debug-kernel: not in the resulting config:" >&2
	echo "$missing" >&2
	exit 1
fi
make -s -C "$dir/src" O="$dir/build" -j"$(nproc)" bzImage modules >&2
make -s -C "$dir/src" O="$dir/build" INSTALL_MOD_PATH="$dir" modules_install >&2
cp "$dir/build/arch/x86/boot/bzImage" "$dir/bzImage"
touch "$dir/done"
echo "$dir"
