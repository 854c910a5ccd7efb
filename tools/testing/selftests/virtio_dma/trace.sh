#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The tracepoints, read from tracefs as a user would: a disk rebound
# traces the mode it got (vpd_mode), a function reset of it traces its
# driver parked and restored (vpd_reset), and in pool mode 4 MiB direct
# reads the region cannot hold trace what served them
# (vpd_pool_exhausted), one event per exhaustion counted in debugfs.

. "$(dirname "$0")/lib.sh"

vpd_setup
t=/sys/kernel/tracing
[ -d "$t/events" ] || mount -t tracefs nodev "$t" 2>/dev/null ||
	vpd_skip "no tracefs"
[ -d "$t/events/virtio_pci_dma" ] || vpd_skip "the module has no tracepoints here"
bdf=$(vpd_blk_bdf) || vpd_absent "no virtio-blk device on $VPD_DRIVER"

echo 0 >"$t/tracing_on"
echo >"$t/trace"
echo 4096 >"$t/buffer_size_kb"
echo 1 >"$t/events/virtio_pci_dma/enable"
echo 1 >"$t/tracing_on"
traced() { grep -c "$1" "$t/trace"; }

vpd_check "$bdf rebinds" sh -c "echo $bdf >$VPD_DRIVER_DIR/unbind && echo $bdf >/sys/bus/pci/drivers_probe"
mode=$(vpd_mode "$bdf")
vpd_check "vpd_mode: $bdf $mode" test "$(traced "vpd_mode: $bdf virtio id 2: $mode ops")" -eq 1

if [ -w "/sys/bus/pci/devices/$bdf/reset" ]; then
	vpd_check "$bdf reset" sh -c "echo 1 >/sys/bus/pci/devices/$bdf/reset"
	vpd_check "vpd_reset: parked" test "$(traced "vpd_reset: $bdf parked")" -eq 1
	vpd_check "vpd_reset: restored" test "$(traced "vpd_reset: $bdf restored")" -eq 1
fi

if [ "$mode" = pool ]; then
	disk=$(vpd_wait_disk "$bdf")
	before=$(vpd_stat "$bdf" pool_exhausted)
	vpd_check "4 MiB reads" dd if="/dev/$disk" of=/dev/null bs=4M count=8 iflag=direct
	n=$(($(vpd_stat "$bdf" pool_exhausted) - before))
	got=$(traced "vpd_pool_exhausted: $bdf mapping")
	vpd_check "vpd_pool_exhausted: $got events for $n exhaustions" test "$got" -eq "$n"
	vpd_check "the region ran out" test "$n" -gt 0
fi
echo 0 >"$t/events/virtio_pci_dma/enable"
vpd_check "the trace lost nothing" test "$(sed -n 's/^# entries-in-buffer\/entries-written: \([0-9]*\)\/\([0-9]*\).*/\1 \2/p' "$t/trace" | awk '{ print ($1 == $2) }')" = 1
echo >"$t/trace"
exit $KSFT_PASS
