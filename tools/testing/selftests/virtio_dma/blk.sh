#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio-blk over the transport: checksummed data through O_DIRECT and the
# page cache; where the module observes DMA, the counters follow the
# traffic and no mapping stays outstanding once the disk is idle, when
# every descriptor is free and the device has used every buffer.

. "$(dirname "$0")/lib.sh"

vpd_setup
disks=$(vpd_ours /sys/block/vd*)
[ -n "$disks" ] || vpd_absent "no virtio-blk disk on $VPD_DRIVER"
for disk in $disks; do
	bdf=$(vpd_bdf_of "$disk/device")
	observed=$(vpd_stat "$bdf" observed)
	[ "$observed" = Y ] && before=$(vpd_stat "$bdf" bytes_mapped)
	VPD_DEV=/dev/${disk##*/} "$(dirname "$0")/vpd_blk" || vpd_fail "data check on /dev/${disk##*/}"
	if [ "$observed" = Y ]; then
		after=$(vpd_stat "$bdf" bytes_mapped)
		mib=${VPD_SIZE_MB:-32}
		# Two tests, each writing once and reading at least once.
		vpd_check "$bdf mapped $(((after - before) >> 20)) MiB >= $((4 * mib)) MiB" \
			test $((after - before)) -ge $((4 * mib * 1048576))
		vpd_check "$bdf idle: no mapping outstanding" vpd_wait_idle "$bdf"
	fi
	# Not there under another transport (VPD_DRIVER=virtio-pci).
	[ -e "/sys/kernel/debug/virtio_dma/$bdf/queues" ] &&
		vpd_check "$bdf idle: every descriptor back, every buffer used" \
			vpd_queues_at_rest "$bdf"
done
exit $KSFT_PASS
