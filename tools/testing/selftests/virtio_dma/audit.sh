#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# With audit=1, after a scenario's traffic: the kernel's own drivers made
# no call the audit objects to. A device whose platform DMA the audit
# cannot see (no ops table to wrap) must say so in dmesg.

. "$(dirname "$0")/lib.sh"

vpd_setup
vpd_require_param audit Y
for bdf in $(vpd_virtio_iommus) $(vpd_virtio_pci_devices); do
	[ "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER" ] || continue
	file=/sys/kernel/debug/virtio_dma/$bdf/audit
	if [ "$(cat "$file")" = off ]; then
		said=$(dmesg | grep "$bdf: audit: the platform's DMA calls cannot be observed")
		vpd_check "$bdf: not observable, and dmesg says so" test -n "$said"
		continue
	fi
	bad=$(awk '$1 !~ /^(live|live_bytes|live_max|live_bytes_max|untracked)$/ && $2 != 0' "$file")
	vpd_check "$bdf: no violation ($(awk '$1 == "live_max" {print $2}' "$file") mappings at most)" test -z "$bad"
	[ -z "$bad" ] || echo "$bad"
done
said=$(dmesg | grep -E 'virtio-pci-dma .*audit: [a-z]' | grep -v 'cannot be observed')
vpd_check "no audit report in dmesg" test -z "$said"
[ -z "$said" ] || echo "$said"
exit $KSFT_PASS
