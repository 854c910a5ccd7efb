#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# With swiotlb=force the platform's ops bounce: while a virtio-blk disk
# is read, swiotlb slots are in use.

. "$(dirname "$0")/lib.sh"

vpd_setup
tlb=/sys/kernel/debug/swiotlb
[ -r $tlb/io_tlb_used ] || vpd_skip "no swiotlb statistics in debugfs"
disk=$(vpd_ours /sys/block/vd* | head -n 1)
[ -n "$disk" ] || vpd_absent "no virtio-blk disk on $VPD_DRIVER"

dd if=/dev/${disk##*/} of=/dev/null bs=1M count=64 iflag=direct 2>/dev/null &
reader=$!
most=0
while kill -0 $reader 2>/dev/null; do
	used=$(cat $tlb/io_tlb_used)
	[ "$used" -gt "$most" ] && most=$used
done
wait $reader
if [ -r $tlb/io_tlb_used_hiwater ]; then
	hi=$(cat $tlb/io_tlb_used_hiwater)
	[ "$hi" -gt "$most" ] && most=$hi
fi
vpd_check "swiotlb slots used while reading: at most $most" test "$most" -gt 0
exit $KSFT_PASS
