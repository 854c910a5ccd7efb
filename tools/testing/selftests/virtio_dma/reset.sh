#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A function reset of a busy disk: the transport parks its driver before
# and brings it back after; the reads in flight complete, and the data
# is right afterwards.

. "$(dirname "$0")/lib.sh"

vpd_setup
bdf=$(vpd_blk_bdf) || vpd_absent "no virtio-blk device on $VPD_DRIVER"
[ -w "/sys/bus/pci/devices/$bdf/reset" ] || vpd_absent "$bdf has no reset method"
disk=$(vpd_disk_of "$bdf")
vpd_dmesg_mark
reader=$(vpd_reader "$disk")
sleep 0.3
vpd_check "$bdf reset while busy" sh -c "echo 1 >/sys/bus/pci/devices/$bdf/reset"
kill "$reader" 2>/dev/null
vpd_check "the reader stops" vpd_ended "$reader"
said=$(vpd_dmesg_new | grep -E "$bdf: function reset: ")
vpd_check "dmesg: $said" sh -c "echo '$said' | grep -q 'device restored'"
vpd_check "still bound" test "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER"
vpd_check "data on $bdf after the reset" vpd_data_check "$bdf" 8
exit $KSFT_PASS
