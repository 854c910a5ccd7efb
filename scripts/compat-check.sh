#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A host-side unit check of scripts/compat-probe.sh, run by make check:
#   1. over every target kernel's headers, the answers must be the forms
#      the upstream history says that version has (a Debian backport that
#      moves one shows up here first);
#   2. over copies of the newest headers with one form at a time taken
#      out, the probe must stop with a message naming the header, never
#      fall back to another form in silence.
#
#   compat-check.sh KDIR...

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
probe=$top/scripts/compat-probe.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() {
	echo "compat-check: $*" >&2
	fail=1
}

# ver KVER: the kernel's major.minor as one number, 6.12 -> 612.
ver() {
	echo "$1" | sed -E 's/^([0-9]+)\.([0-9]+).*/\1 \2/' |
		awk '{ printf "%d\n", $1 * 100 + $2 }'
}

# expect VERSION: the probe's answers upstream's history gives VERSION.
expect() {
	local v=$1
	[ "$v" -ge 611 ] && echo VPD_HAVE_VIRTQUEUE_INFO
	[ "$v" -ge 619 ] && echo VPD_HAVE_DMA_MAP_PHYS
	if [ "$v" -ge 702 ]; then
		echo VPD_HAVE_DEV_FLAG_DMA_IOMMU
		echo VPD_HAVE_DEV_FLAG_DMA_SKIP_SYNC
		echo VPD_HAVE_DEV_FLAG_DMA_OPS_BYPASS
	else
		[ "$v" -ge 610 ] && echo VPD_HAVE_DEV_DMA_IOMMU
		[ "$v" -ge 609 ] && echo VPD_HAVE_DEV_DMA_SKIP_SYNC
	fi
	echo VPD_HAVE_CC_PLATFORM
}

newest= newest_ver=0
for kdir in "$@"; do
	kver=$("$top/scripts/kernels.sh" kver "$kdir")
	if ! sh "$probe" "$kdir" "$tmp/out.h" 2>"$tmp/err"; then
		bad "$kver: the probe failed: $(cat "$tmp/err")"
		continue
	fi
	got=$(sed -n 's/^#define \(VPD_HAVE_[A-Z0-9_]*\) 1$/\1/p' "$tmp/out.h" | sort)
	want=$(expect "$(ver "$kver")" | sort)
	if [ "$got" = "$want" ]; then
		echo "ok $kver: $(echo $got)"
	else
		bad "$kver: found [$(echo $got)], expected [$(echo $want)]"
	fi
	if [ "$(ver "$kver")" -gt "$newest_ver" ]; then
		newest=$kdir newest_ver=$(ver "$kver")
	fi
done
[ -n "$newest" ] || { bad "no header tree given"; exit 1; }

# The files the probe reads, copied out of the newest tree (both parts).
fake=$tmp/fake
files="include/linux/virtio_config.h include/linux/dma-map-ops.h
	include/linux/device.h include/linux/dma-mapping.h
	include/linux/iommu-dma.h include/linux/cc_platform.h"
newest=$(cd "$newest" && pwd -P)
common=$(sed -n 's|^include \(.*\)/Makefile$|\1|p' "$newest/Makefile" | head -n 1)
[ -z "$common" ] || [ -d "$common" ] || common=$(dirname "$newest")/$(basename "$common")
reset_fake() {
	rm -rf "$fake"
	mkdir -p "$fake/include/linux"
	: >"$fake/Makefile"
	for f in $files; do
		for d in "$newest" $common; do
			[ -f "$d/$f" ] && cp "$d/$f" "$fake/$f"
		done
	done
	return 0
}

# without FILE SED-SCRIPT: with FILE's known forms edited away, the probe
# must fail and name FILE.
without() {
	local file=$1 script=$2
	reset_fake
	sed -i -E "$script" "$fake/$file"
	if sh "$probe" "$fake" "$tmp/fake.h" 2>"$tmp/err"; then
		bad "$file edited with '$script': the probe passed: $(grep -v '^/\*' "$tmp/fake.h" | tr '\n' ' ')"
	elif ! grep -q "$file" "$tmp/err" || [ -e "$tmp/fake.h" ]; then
		bad "$file edited with '$script': failed without naming it, or left an output"
	else
		echo "ok refused: $file without '$script'"
	fi
}

without include/linux/virtio_config.h 's/struct virtqueue_info \{/struct vq_info2 {/; s/callbacks\[\]/cbs[]/'
without include/linux/dma-map-ops.h 's/\(\*map_phys\)\(/(*map_addr)(/; s/\(\*map_page\)\(/(*map_pg)(/'
without include/linux/device.h 's/accessors\(dma_iommu,/accessors(dma_iommu_x,/; s/bool([[:space:]]+)dma_iommu/unsigned\1dma_iommu/'
without include/linux/device.h 's/accessors\(dma_skip_sync,/accessors(skip_sync,/; s/bool([[:space:]]+)dma_skip_sync/u8\1dma_skip_sync/'
without include/linux/device.h 's/accessors\(dma_ops_bypass,/accessors(ops_bypass,/; s/bool([[:space:]]+)dma_ops_bypass/u8\1dma_ops_bypass/'

# The flag moved to a header of its own (as 7.2 moved it into flags):
# the probe must not take the tree for one from before 6.10.
reset_fake
grep -E '__create_dev_flag_accessors\((dma_iommu|dma_skip_sync),' "$fake/include/linux/device.h" \
	>"$fake/include/linux/dev_dma_flags.h" || true
rm -f "$fake/include/linux/iommu-dma.h"
sed -i -E '/__create_dev_flag_accessors\((dma_iommu|dma_skip_sync),/d; /bool[[:space:]]+(dma_iommu|dma_skip_sync)/d' \
	"$fake/include/linux/device.h"
if sh "$probe" "$fake" "$tmp/fake.h" 2>"$tmp/err" || ! grep -q 'dma_iommu' "$tmp/err" ||
	! grep -q 'dma_skip_sync' "$tmp/err"; then
	bad "dma_iommu and dma_skip_sync moved out of device.h: the probe did not stop naming both"
else
	echo "ok refused: dma_iommu and dma_skip_sync moved to another header"
fi

reset_fake
rm "$fake/include/linux/cc_platform.h"
if sh "$probe" "$fake" "$tmp/fake.h" 2>"$tmp/err" || ! grep -q cc_platform.h "$tmp/err"; then
	bad "without include/linux/cc_platform.h the probe did not stop naming it"
else
	echo "ok refused: no include/linux/cc_platform.h"
fi

exit $fail
