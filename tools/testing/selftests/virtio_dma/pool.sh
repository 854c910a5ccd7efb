#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Pool mode, after the data tests of a scenario: every device bounced
# through its own region, which the platform mapped exactly
# EXPECT_PLATFORM_MAPS times (1: through the platform, at probe; 0: a
# guest-physical region), however much I/O went through it.

. "$(dirname "$0")/lib.sh"

vpd_setup
for bdf in $(vpd_virtio_pci_devices); do
	[ "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER" ] || continue
	vpd_check "$bdf mode $(vpd_mode "$bdf") = pool" test "$(vpd_mode "$bdf")" = pool
	maps=$(vpd_stat "$bdf" platform_maps)
	vpd_check "$bdf: $maps platform mappings, $EXPECT_PLATFORM_MAPS expected" \
		test "$maps" = "$EXPECT_PLATFORM_MAPS"
	echo "$bdf: pool $(vpd_stat "$bdf" pool_size) bytes, most used $(vpd_stat "$bdf" pool_used_max)," \
		"bounced $(vpd_stat "$bdf" bounce_to_device) to and $(vpd_stat "$bdf" bounce_from_device) from the device," \
		"exhausted $(vpd_stat "$bdf" pool_exhausted) times"
done
for disk in $(vpd_ours /sys/block/vd* /sys/block/sd*); do
	bdf=$(vpd_bdf_of "$disk/device")
	vpd_check "${disk##*/}: bounced to the device" test "$(vpd_stat "$bdf" bounce_to_device)" -gt 0
	vpd_check "${disk##*/}: bounced from the device" test "$(vpd_stat "$bdf" bounce_from_device)" -gt 0
done
exit $KSFT_PASS
