#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A device whose only usable addresses the chosen ops cannot give is
# refused at probe with one clear message, the module stays usable, and
# the in-tree virtio_pci can still drive the device.

. "$(dirname "$0")/lib.sh"

[ -n "${EXPECT_REFUSED_MSG:-}" ] ||
	vpd_skip "needs devices the transport refuses, and the reason it gives (EXPECT_REFUSED_MSG)"
vpd_dmesg_mark
vpd_setup
devices=$(vpd_virtio_pci_devices)
[ -n "$devices" ] || vpd_absent "no virtio PCI device"
for bdf in $devices; do
	vpd_check "$bdf refused" test "$(vpd_driver_of "$bdf")" != "$VPD_DRIVER"
	n=$(vpd_dmesg_new | grep -c "$bdf: .*${EXPECT_REFUSED_MSG}")
	vpd_check "$bdf: the reason said once ($n)" test "$n" -eq 1
	vpd_check "$bdf: no sysfs left" test ! -e "/sys/bus/pci/devices/$bdf/virtio_dma"
done
vpd_check "module unloads" vpd_unload

# The refused device still works with the in-tree driver.
modprobe virtio_pci 2>/dev/null
bdf=$(echo "$devices" | head -n 1)
echo >"/sys/bus/pci/devices/$bdf/driver_override"
echo "$bdf" >/sys/bus/pci/drivers_probe
vpd_check "$bdf taken by virtio_pci" test "$(vpd_driver_of "$bdf")" = virtio-pci
vpd_check "virtio_pci keeps the data on $bdf" vpd_data_check "$bdf" 8
exit $KSFT_PASS
