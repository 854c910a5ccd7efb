#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio-balloon over the transport: the driver binds and its device
# reaches DRIVER_OK.

. "$(dirname "$0")/lib.sh"

vpd_setup
found=
for v in /sys/bus/virtio/devices/*; do
	[ "$(cat "$v/device")" = 0x0005 ] || continue
	[ "$(vpd_driver_of "$(vpd_bdf_of "$v")")" = "$VPD_DRIVER" ] || continue
	found=$v
done
[ -n "$found" ] || vpd_skip "no virtio-balloon on $VPD_DRIVER"
vpd_check "virtio_balloon bound" test "$(basename "$(readlink "$found/driver")")" = virtio_balloon
# DRIVER_OK is status bit 2 (0x4).
status=$(cat "$found/status")
vpd_check "status $status has DRIVER_OK" test $((status & 4)) -ne 0
exit $KSFT_PASS
