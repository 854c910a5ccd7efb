#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# With I/O in flight on every device (disk reads, a network stream, rng
# reads), first unbind every device, then, bound again and busy again,
# rmmod the module: both complete, the I/O ends in errors rather than
# hanging, nothing is leaked, and a reload works.

. "$(dirname "$0")/lib.sh"

vpd_setup
bdf=$(vpd_blk_bdf) || vpd_absent "no virtio-blk device on $VPD_DRIVER"

busy() {
	disk=$(vpd_disk_of "$bdf")
	r1=$(vpd_reader "$disk")
	(vpd_lower; VPD_NET_MB=256 "$(dirname "$0")/net.sh" >/dev/null 2>&1) &
	r2=$!
	(vpd_lower; while dd if=/dev/hwrng of=/dev/null bs=512 count=8 2>/dev/null; do :; done) &
	r3=$!
	sleep 1
}

settle() {
	for p in $r1 $r3; do
		vpd_check "$1: the reader $p ends by itself" vpd_ended "$p"
	done
	# The stream's socket outlives its interface; ending it is the test's.
	kill $r2 2>/dev/null
	wait $r2 2>/dev/null
}

vpd_dmesg_mark
busy
for d in $(vpd_virtio_pci_devices); do
	vpd_check "unbind $d under load" vpd_unbind "$d"
done
settle unbind
vpd_setup
busy
vpd_check "rmmod under load" vpd_unload
settle rmmod
# shellcheck disable=SC2086
vpd_load ${VPD_MODPARAMS:-}
vpd_setup
vpd_check "data after reload" vpd_data_check "$bdf" 8
leaks=$(vpd_leftovers)
vpd_check "nothing leaked" test -z "$leaks"
exit $KSFT_PASS
