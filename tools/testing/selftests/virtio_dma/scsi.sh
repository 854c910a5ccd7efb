#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A virtio-scsi disk over the transport: checksummed data through O_DIRECT
# and the page cache.

. "$(dirname "$0")/lib.sh"

vpd_setup
# The disk appears once the SCSI scan of the new host is done.
i=0
while [ -z "$(vpd_ours /sys/block/sd*)" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
disks=$(vpd_ours /sys/block/sd*)
[ -n "$disks" ] || vpd_absent "no virtio-scsi disk on $VPD_DRIVER"
for disk in $disks; do
	VPD_DEV=/dev/${disk##*/} "$(dirname "$0")/vpd_blk" || vpd_fail "data check on /dev/${disk##*/}"
done
exit $KSFT_PASS
