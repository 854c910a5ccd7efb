#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Pool mode, after the data tests of a scenario: every device bounced
# through its own region, which the platform mapped exactly
# EXPECT_PLATFORM_MAPS times (1: through the platform, at probe; 0: a
# guest-physical region), however much I/O went through it; with
# EXPECT_OVERFLOW=1, every disk's larger requests went through the
# overflow.

. "$(dirname "$0")/lib.sh"

vpd_setup
vpd_require_param dma_mode pool
for bdf in $(vpd_virtio_pci_devices); do
	[ "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER" ] || continue
	vpd_check "$bdf mode $(vpd_mode "$bdf") = pool" test "$(vpd_mode "$bdf")" = pool
	maps=$(vpd_stat "$bdf" platform_maps)
	# Outside the runner's scenarios: one at most, whatever the region.
	vpd_check "$bdf: $maps platform mappings, ${EXPECT_PLATFORM_MAPS:-0 or 1} expected" \
		test "$maps" = "${EXPECT_PLATFORM_MAPS:-$maps}" -a "$maps" -le 1
	echo "$bdf: pool $(vpd_stat "$bdf" pool_size) bytes, most used $(vpd_stat "$bdf" pool_used_max)," \
		"bounced $(vpd_stat "$bdf" bounce_to_device) to and $(vpd_stat "$bdf" bounce_from_device) from the device," \
		"exhausted $(vpd_stat "$bdf" pool_exhausted) times, overflow $(vpd_stat "$bdf" overflow_maps)" \
		"($(vpd_stat "$bdf" overflow_failed) retried)"
done
# A pool can refuse a mapping: its devices stay on split rings, and say
# why when the device offered a packed one (EXPECT_SPLIT=1).
packed=$(vpd_packed_devices)
vpd_check "no packed ring in pool mode (negotiated by:$packed)" test -z "$packed"
if [ "${EXPECT_SPLIT:-0}" = 1 ]; then
	n=$(dmesg | grep -c 'packed ring declined: in pool mode')
	vpd_check "packed ring declined, with the reason ($n devices)" test "$n" -gt 0
fi
for disk in $(vpd_ours /sys/block/vd* /sys/block/sd*); do
	bdf=$(vpd_bdf_of "$disk/device")
	vpd_check "${disk##*/}: bounced to the device" test "$(vpd_stat "$bdf" bounce_to_device)" -gt 0
	vpd_check "${disk##*/}: bounced from the device" test "$(vpd_stat "$bdf" bounce_from_device)" -gt 0
	[ "${EXPECT_OVERFLOW:-0}" = 1 ] &&
		vpd_check "${disk##*/}: requests larger than the region overflowed" \
			test "$(vpd_stat "$bdf" overflow_maps)" -gt 0
done
exit $KSFT_PASS
