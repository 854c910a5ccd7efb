#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every device unbinds cleanly: no mapping left outstanding (the module
# reports any in dmesg), and the DMA ops it changed are given back.

. "$(dirname "$0")/lib.sh"

vpd_dmesg_mark
for bdf in $(vpd_virtio_pci_devices); do
	[ "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER" ] || continue
	vpd_check "$bdf unbound" vpd_unbind "$bdf"
	vpd_check "$bdf sysfs gone" test ! -e "/sys/bus/pci/devices/$bdf/virtio_dma"
done
# A virtio-iommu stays: unbinding it oopses the kernel (design.rst).
# While the module drives one it holds itself (a reference of its own
# for each, no other left now), and rmmod is refused.
n=$(vpd_our_iommus | wc -l)
if [ $n -gt 0 ] && [ "$VPD_DRIVER" = virtio-pci-dma ]; then
	refs=$(cat "/sys/module/$VPD_MODULE/refcnt")
	vpd_check "the module holds itself for its $n virtio-iommu(s) ($refs)" \
		test "$refs" -eq $n
	# Without the hold, rmmod would unbind the virtio-iommu: not tried.
	refused() { ! rmmod "$VPD_MODULE" 2>/dev/null && vpd_loaded; }
	[ "$refs" -ne $n ] || vpd_check "rmmod refused" refused
fi
leaks=$(vpd_leftovers)
vpd_check "no mapping outstanding at unbind, nothing audited" test -z "$leaks"
errors=$(vpd_dmesg_errors)
vpd_check "no error in dmesg" test -z "$errors"
exit $KSFT_PASS
