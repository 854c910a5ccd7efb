#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Hot-unplug during I/O: the host unplugs (QMP device_del) the disk and
# the network device behind PCIe root ports while the guest streams to
# them, then plugs them in again. The guest goes on; the applications see
# errors, not a hang; nothing is left mapped; the devices plugged in again
# bind and pass their data checks. The runner's host agent carries out the
# requests this test writes to the console (VPD_HOTPLUG: the devices' ids).

. "$(dirname "$0")/lib.sh"

vpd_setup
[ -n "${VPD_HOTPLUG:-}" ] || vpd_skip "VPD_HOTPLUG names no device the host can unplug"

# vpd_until SECONDS COMMAND...: waits for COMMAND to succeed.
vpd_until() {
	t=$(($1 * 10))
	shift
	while ! "$@" && [ $t -gt 0 ]; do
		sleep 0.1
		t=$((t - 1))
	done
	"$@"
}
gone() { for b in "$@"; do [ ! -e "/sys/bus/pci/devices/$b" ] || return 1; done; }
here() { for b in "$@"; do [ -e "/sys/bus/pci/devices/$b" ] || return 1; done; }

blk=$(vpd_blk_bdf) || vpd_absent "no virtio-blk device on $VPD_DRIVER"
net=$(vpd_bdf_of "$(vpd_ours /sys/class/net/* | head -n 1)/device")
bdfs="$blk $net"
vpd_dmesg_mark

reader=$(vpd_reader "$(vpd_disk_of "$blk")")
# A stream whose NIC is gone has nothing to wait for: it gives up after
# 5 s of silence, not the 30 s a slow guest's live stream may need.
(vpd_lower; VPD_NET_MB=256 VPD_NET_STALL_S=5 "$(dirname "$0")/net.sh" >/dev/null 2>&1) &
stream=$!
sleep 1
# Unplugged busy, or the test says it was not.
for p in "$reader" "$stream"; do
	kill -0 "$p" 2>/dev/null && continue
	kill "$reader" "$stream" 2>/dev/null
	vpd_fail "the disk reader or the stream ended before the unplug"
done
for id in $VPD_HOTPLUG; do
	vpd_host del "$id"
done
# On q35 QEMU asks the guest through ACPI (acpiphp), which ejects the slot.
vpd_check "$bdfs unplugged" vpd_until 60 gone $bdfs
vpd_check "the disk reader ended by itself" vpd_ended "$reader"
vpd_check "the stream ended by itself" vpd_ended "$stream" 60
leaks=$(vpd_leftovers)
vpd_check "nothing left mapped" test -z "$leaks"

for id in $VPD_HOTPLUG; do
	vpd_host add "$id"
done
vpd_check "$bdfs plugged in again" vpd_until 60 here $bdfs
for b in $bdfs; do
	vpd_check "$b binds" vpd_bind "$b"
done
vpd_check "data on $blk" vpd_data_check "$blk" 8
vpd_check "network after replug" sh -c "VPD_NET_MB=4 $(dirname "$0")/net.sh >/dev/null 2>&1"
exit $KSFT_PASS
