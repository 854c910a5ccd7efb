#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What the scenario set up, seen from the guest: transitional PCI IDs
# (EXPECT_TRANSITIONAL=1), a packed ring (EXPECT_PACKED=1; declined with
# audit=1) and a vector
# per virtqueue of a multiqueue virtio-net (EXPECT_NET_QUEUE_PAIRS=N).

. "$(dirname "$0")/lib.sh"

vpd_setup
if [ "${EXPECT_TRANSITIONAL:-0}" = 1 ]; then
	for bdf in $(vpd_virtio_pci_devices); do
		id=$(cat "/sys/bus/pci/devices/$bdf/device")
		vpd_check "$bdf id $id is transitional" test $((id)) -ge $((0x1000)) -a $((id)) -le $((0x103f))
		vpd_check "$bdf bound" test "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER"
	done
fi

if [ "${EXPECT_PACKED:-0}" = 1 ]; then
	packed=$(vpd_packed_devices)
	# The audit can refuse a mapping: no packed ring with it (design.rst).
	if [ "$(vpd_param audit)" = Y ]; then
		vpd_check "packed ring declined under the audit (negotiated by:$packed)" test -z "$packed"
	else
		vpd_check "packed ring negotiated by:$packed" test -n "$packed"
	fi
fi

if [ -n "${EXPECT_NET_QUEUE_PAIRS:-}" ]; then
	n=$EXPECT_NET_QUEUE_PAIRS
	iface=$(vpd_ours /sys/class/net/* | head -n 1)
	[ -n "$iface" ] || vpd_fail "no virtio-net interface on $VPD_DRIVER"
	vdev=$(basename "$(readlink -f "$iface/device")")
	rx=$(grep -c "$vdev-input\." /proc/interrupts)
	tx=$(grep -c "$vdev-output\." /proc/interrupts)
	vpd_check "$vdev: $rx receive and $tx transmit vectors, $n pairs" test "$rx" -eq "$n" -a "$tx" -eq "$n"
fi
exit $KSFT_PASS
