#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What 'make run' shows: binds every virtio device to virtio-pci-dma,
# moves a little data through each, and prints what each device got.

. "$(dirname "$0")/lib.sh"

vpd_setup
for d in $(vpd_ours /sys/block/vd* /sys/block/sd*); do
	dd if="/dev/${d##*/}" of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null
done
dd if=/dev/hwrng of=/dev/null bs=1k count=4 2>/dev/null

printf '%-13s %-9s %-15s %-9s %-3s %-4s %9s %11s %5s\n' \
	device virtio driver mode AP arch maps bytes live
for bdf in $(vpd_virtio_pci_devices); do
	[ "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER" ] || continue
	vdev=$(vpd_vdev_of "$bdf")
	drv=-
	[ -e "$vdev/driver" ] && drv=$(basename "$(readlink "$vdev/driver")")
	dma=/sys/bus/pci/devices/$bdf/virtio_dma
	if [ "$(vpd_stat "$bdf" observed)" = Y ]; then
		maps=$(vpd_stat "$bdf" maps)
		bytes=$(vpd_stat "$bdf" bytes_mapped)
		live=$(vpd_stat "$bdf" outstanding)
	else
		maps=- bytes=- live=-
	fi
	printf '%-13s %-9s %-15s %-9s %-3s %-4s %9s %11s %5s\n' "$bdf" \
		"${vdev##*/}" "$drv" "$(cat "$dma/mode")" \
		"$(cat "$dma/access_platform")" "$(cat "$dma/arch_wants")" \
		"$maps" "$bytes" "$live"
done
exit $KSFT_PASS
