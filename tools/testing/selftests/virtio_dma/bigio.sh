#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Large requests, as a user makes them: 4 MiB reads and writes at the
# disk's default max_sectors_kb, then 16 MiB ones with max_sectors_kb
# raised as far as the block layer lets a user (max_hw_sectors_kb), with
# O_DIRECT and through the page cache. Every read must return what
# was written, whatever the DMA mode can hold at once: a request larger
# than a bounce pool must still complete.

. "$(dirname "$0")/lib.sh"

# bigio_pass DISK KB: vpd_blk's checksummed check over VPD_BIGIO_MB
# (32), every read and write KB KiB long: with O_DIRECT one request
# each, up to max_sectors_kb (busybox's dd would not do: it falls back
# to the page cache).
bigio_pass() {
	VPD_DEV=/dev/$1 VPD_SIZE_MB=${VPD_BIGIO_MB:-32} VPD_CHUNK_KB=$2 "$(dirname "$0")/vpd_blk" \
		>/tmp/bigio.out 2>&1
	rc=$?
	grep -E 'wrote|not ok' /tmp/bigio.out
	return $rc
}

vpd_setup
disks=$(vpd_ours /sys/block/vd* /sys/block/sd*)
[ -n "$disks" ] || vpd_absent "no virtio disk on $VPD_DRIVER"
for disk in $disks; do
	d=${disk##*/}
	q=$disk/queue
	def=$(cat "$q/max_sectors_kb")
	hw=$(cat "$q/max_hw_sectors_kb")
	# A machine's disk gets its limit back, whatever fails.
	trap 'echo "$def" >"$q/max_sectors_kb"' EXIT
	vpd_check "$d: 4M requests at max_sectors_kb=$def" bigio_pass "$d" 4096
	echo "$hw" >"$q/max_sectors_kb" || vpd_fail "$d: max_sectors_kb=$hw refused"
	vpd_check "$d: 16M reads and writes at max_sectors_kb=$(cat "$q/max_sectors_kb") (max_hw_sectors_kb $hw)" \
		bigio_pass "$d" 16384
	echo "$def" >"$q/max_sectors_kb"
	trap - EXIT
	bdf=$(vpd_bdf_of "$disk/device")
	[ "${EXPECT_OVERFLOW:-0}" = 1 ] && [ ! -e "/sys/kernel/debug/virtio_dma/$bdf/overflow_maps" ] &&
		vpd_fail "$d: the overflow is expected, but $bdf has no overflow counters"
	if [ -e "/sys/kernel/debug/virtio_dma/$bdf/overflow_maps" ]; then
		over=$(vpd_stat "$bdf" overflow_maps)
		echo "$d: pool exhausted $(vpd_stat "$bdf" pool_exhausted) times," \
			"overflow $over mappings ($(vpd_stat "$bdf" overflow_bytes) bytes)," \
			"$(vpd_stat "$bdf" overflow_failed) retried"
		[ "${EXPECT_OVERFLOW:-0}" = 1 ] &&
			vpd_check "$d: requests larger than the pool went through the overflow ($over)" \
				test "$over" -gt 0
	fi
done
exit $KSFT_PASS
