#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fault-injection sweep (a kernel with FAILSLAB and FAIL_PAGE_ALLOC): bind
# a virtio-rng with its Nth allocation failing, for N = 1, 2, ... until a
# bind meets no failure. The probe runs in this shell's task, so fail-nth
# hits it and what it calls (registration, the rng driver's probe,
# find_vqs). After each: the device is either bound or left with nothing
# behind (no sysfs, no debugfs), and a bind without failures works.

. "$(dirname "$0")/lib.sh"

[ -w /proc/thread-self/fail-nth ] || vpd_skip "no fail-nth (CONFIG_FAULT_INJECTION)"
# The failures would reach ACPICA's _PRT evaluation (INTx routing, at
# pci_enable_device), where a failed reference count increment frees a
# namespace object still in use (reliability.rst): not without
# acpi=noirq where ACPI routes interrupts.
if [ -d /sys/firmware/acpi ] && ! grep -qw 'acpi=noirq' /proc/cmdline; then
	vpd_skip "ACPI routes INTx here: boot with acpi=noirq (an ACPICA bug, see reliability.rst)"
fi
vpd_setup
bdf=
for d in $(vpd_virtio_pci_devices); do
	case $(cat "/sys/bus/pci/devices/$d/device") in
	0x1044 | 0x1005) bdf=$d ;;
	esac
done
[ -n "$bdf" ] || vpd_absent "no virtio-rng device"
# By default sleeping allocations, almost all a probe makes, are skipped.
for f in failslab fail_page_alloc; do
	echo 0 >/sys/kernel/debug/$f/verbose 2>/dev/null
	echo N >/sys/kernel/debug/$f/task-filter 2>/dev/null
	echo N >/sys/kernel/debug/$f/ignore-gfp-wait 2>/dev/null
done
vpd_dmesg_mark

n=0
failed=0
while [ $n -lt "${VPD_SWEEP_MAX:-2000}" ]; do
	n=$((n + 1))
	vpd_unbind "$bdf"
	# One task from here to the read: fail-nth counts this task's calls.
	echo $n >/proc/thread-self/fail-nth
	echo "$bdf" >/sys/bus/pci/drivers_probe 2>/dev/null
	read -r left </proc/thread-self/fail-nth
	echo 0 >/proc/thread-self/fail-nth
	if [ "$(vpd_driver_of "$bdf")" != "$VPD_DRIVER" ]; then
		failed=$((failed + 1))
		[ -e "/sys/bus/pci/devices/$bdf/virtio_dma" ] && vpd_fail "N=$n: probe failed but virtio_dma/ stayed"
		[ -e "/sys/kernel/debug/virtio_dma/$bdf" ] && vpd_fail "N=$n: probe failed but debugfs stayed"
	fi
	[ "$left" != 0 ] && break
done
echo "the bind met a failure at each of the first $((n - 1)) allocations; $failed probes failed and unwound"
vpd_check "a bind with no failure reached (N=$n)" test "$left" != 0
vpd_check "it binds" vpd_bind "$bdf"
vpd_check "rng reads" dd if=/dev/hwrng of=/dev/null bs=1024 count=4 2>/dev/null
leftover=$(vpd_dmesg_new | grep 'already present'; vpd_leftovers)
vpd_check "nothing left behind by the failed probes" test -z "$leftover"
exit $KSFT_PASS
