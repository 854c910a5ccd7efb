#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A bounce slot hands back no earlier data: vpd_audit_test's stale=1 maps
# FROM_DEVICE with DMA_ATTR_SKIP_CPU_SYNC into a slot that held other
# bytes and syncs for the CPU before the device wrote anything; the
# buffer must keep its own bytes (the pool copies at map whatever the
# attributes say, as swiotlb does).

. "$(dirname "$0")/lib.sh"

vpd_setup
modinfo vpd_audit_test >/dev/null 2>&1 || vpd_skip "vpd_audit_test module not installed"
disk=$(vpd_ours /sys/block/vd* | head -n 1)
[ -n "$disk" ] || vpd_absent "no virtio-blk disk on $VPD_DRIVER"
bdf=$(vpd_bdf_of "$disk/device")
# Only the pool hands out the same bounce slot again (the module says
# 'not checked' where it did not).
mode=$(vpd_mode "$bdf")
[ "$mode" = pool ] || vpd_skip "$bdf is in $mode mode: no bounce slot to check"
vpd_check "vpd_audit_test stale=1 loads" modprobe vpd_audit_test device="$bdf" stale=1
# The module says it once a load; the last line is this load's (a mark
# by line count fails once the ring buffer is full).
said=$(dmesg | grep 'stale bounce data' | tail -n 1)
echo "$said"
rmmod vpd_audit_test
vpd_check "no stale bounce data" sh -c "echo '$said' | grep -q 'stale bounce data: none'"
exit $KSFT_PASS
