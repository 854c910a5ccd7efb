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
leaks=$(vpd_leftovers)
vpd_check "no mapping outstanding at unbind, nothing audited" test -z "$leaks"
errors=$(vpd_dmesg_errors)
vpd_check "no error in dmesg" test -z "$errors"
exit $KSFT_PASS
