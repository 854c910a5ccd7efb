#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The interrupt mode each device fell back to (EXPECT_IRQ: intx, shared
# or per-vq), seen in /proc/interrupts under the names the transport
# requests them with.

. "$(dirname "$0")/lib.sh"

vpd_setup
[ -n "${EXPECT_IRQ:-}" ] || vpd_skip "EXPECT_IRQ names no interrupt mode"
for bdf in $(vpd_virtio_pci_devices); do
	[ "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER" ] || continue
	vdev=$(basename "$(vpd_vdev_of "$bdf")")
	[ -e "/sys/bus/virtio/devices/$vdev/driver" ] || continue
	case $EXPECT_IRQ in
	# A shared line lists its handlers with commas.
	intx) pattern="[ ,]$vdev(,|$)" ;;
	shared) pattern=" $vdev-virtqueues\$" ;;
	per-vq) pattern=" $vdev-[a-z]" ;;
	esac
	line=$(grep -E "$pattern" /proc/interrupts | grep -v -- "-config" | head -n 1)
	vpd_check "$bdf ($vdev): $EXPECT_IRQ interrupts: $(echo "$line" | awk '{print $1, $NF}')" test -n "$line"
done
exit $KSFT_PASS
