#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio-balloon over the transport: the driver binds and its device
# reaches DRIVER_OK. A balloon device that insists on ACCESS_PLATFORM
# (QEMU: iommu_platform=on) cannot work with virtio_balloon, which
# declines the feature because it hands the device guest-physical page
# numbers; that case (EXPECT_BALLOON=refused) must fail cleanly, with the
# reason in dmesg.

. "$(dirname "$0")/lib.sh"

vpd_setup
found=
for v in /sys/bus/virtio/devices/*; do
	[ "$(cat "$v/device")" = 0x0005 ] || continue
	[ "$(vpd_driver_of "$(vpd_bdf_of "$v")")" = "$VPD_DRIVER" ] || continue
	found=$v
done
[ -n "$found" ] || vpd_absent "no virtio-balloon on $VPD_DRIVER"
bdf=$(vpd_bdf_of "$found")
if [ "${EXPECT_BALLOON:-}" = refused ]; then
	vpd_check "virtio_balloon not bound" test ! -e "$found/driver"
	said=$(dmesg | grep -E "${found##*/}: virtio: device refuses features|$bdf: the driver declined VIRTIO_F_ACCESS_PLATFORM")
	vpd_check "dmesg says why: $said" test -n "$said"
	exit $KSFT_PASS
fi
vpd_check "virtio_balloon bound" test "$(basename "$(readlink "$found/driver")")" = virtio_balloon
# DRIVER_OK is status bit 2 (0x4).
status=$(cat "$found/status")
vpd_check "status $status has DRIVER_OK" test $((status & 4)) -ne 0
exit $KSFT_PASS
