#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# System sleep: every device goes through the transport's freeze and
# restore (pm_test=devices runs the device callbacks without sleeping)
# and works afterwards.

. "$(dirname "$0")/lib.sh"

vpd_setup
[ -w /sys/power/pm_test ] || vpd_skip "no /sys/power/pm_test (CONFIG_PM_DEBUG)"
vpd_dmesg_mark
echo 1 >/sys/module/suspend/parameters/pm_test_delay 2>/dev/null
echo devices >/sys/power/pm_test
vpd_check "suspend and resume" sh -c "echo freeze >/sys/power/state"
echo none >/sys/power/pm_test
errors=$(vpd_dmesg_new | grep -Ei 'virtio.*(fail|error)|PM: .*(fail|error)')
vpd_check "no PM error in dmesg" test -z "$errors"
for bdf in $(vpd_virtio_pci_devices); do
	vpd_check "$bdf still bound" test "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER"
	case $(cat "/sys/bus/pci/devices/$bdf/device") in
	0x1042 | 0x1001) vpd_check "data on $bdf" vpd_data_check "$bdf" 8 ;;
	esac
done
vpd_check "rng reads" dd if=/dev/hwrng of=/dev/null bs=1024 count=4 2>/dev/null
exit $KSFT_PASS
