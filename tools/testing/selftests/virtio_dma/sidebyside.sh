#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The in-tree virtio_pci and virtio-pci-dma drive one disk each, at the
# same time, and both disks keep their data.

. "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2086
vpd_loaded || vpd_load ${VPD_MODPARAMS:-}
modprobe virtio_pci 2>/dev/null
[ -d /sys/bus/pci/drivers/virtio-pci ] || vpd_skip "no in-tree virtio_pci"
disks=
for bdf in $(vpd_virtio_pci_devices); do
	case $(cat "/sys/bus/pci/devices/$bdf/device") in
	0x1042 | 0x1001) disks="$disks $bdf" ;;
	esac
done
set -- $disks
[ $# -ge 2 ] || vpd_absent "needs two virtio-blk devices"
vpd_check "$1 on $VPD_DRIVER" vpd_bind "$1"
vpd_check "$2 on virtio-pci" vpd_bind "$2" virtio-pci
vpd_check "$1 mode $(vpd_mode "$1")" test -n "$(vpd_mode "$1")"
vpd_check "$2 has no virtio_dma files" test ! -e "/sys/bus/pci/devices/$2/virtio_dma"

vpd_data_check "$1" 16 >/tmp/ours.out 2>&1 &
ours=$!
vpd_data_check "$2" 16 >/tmp/intree.out 2>&1
intree=$?
wait $ours
ours=$?
cat /tmp/ours.out /tmp/intree.out
vpd_check "data on $1 ($VPD_DRIVER)" test $ours -eq 0
vpd_check "data on $2 (virtio-pci)" test $intree -eq 0
vpd_check "$2 back to $VPD_DRIVER" vpd_bind "$2"
exit $KSFT_PASS
