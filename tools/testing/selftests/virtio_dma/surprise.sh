#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Removal from the guest side while a disk is busy (sysfs remove), then a
# rescan: the reader ends with errors, nothing is left mapped, and the
# device found again binds and keeps its data.

. "$(dirname "$0")/lib.sh"

vpd_setup
bdf=$(vpd_blk_bdf) || vpd_absent "no virtio-blk device on $VPD_DRIVER"
disk=$(vpd_disk_of "$bdf")
vpd_dmesg_mark
reader=$(vpd_reader "$disk")
sleep 0.3
vpd_check "$bdf removed while busy" sh -c "echo 1 >/sys/bus/pci/devices/$bdf/remove"
vpd_check "the reader ends by itself" vpd_ended "$reader"
vpd_check "$bdf gone" test ! -e "/sys/bus/pci/devices/$bdf"
echo 1 >/sys/bus/pci/rescan
vpd_check "$bdf found again" test -e "/sys/bus/pci/devices/$bdf"
vpd_check "$bdf binds again" vpd_bind "$bdf"
vpd_check "data on $bdf" vpd_data_check "$bdf" 8
leaks=$(vpd_leftovers)
vpd_check "nothing left mapped" test -z "$leaks"
exit $KSFT_PASS
