#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A function reset of a busy device whose driver cannot be parked (virtio
# 9p has no freeze and restore): the transport marks the device broken
# before the reset, with the reason, instead of resetting live rings
# under the driver. Nothing hangs: the I/O ends in errors or when killed,
# and the device unmounts and unbinds.

. "$(dirname "$0")/lib.sh"

vpd_setup
bdf=
for b in $(vpd_virtio_pci_devices); do
	# 0x1009 transitional, 0x1049 modern: virtio 9p.
	case $(cat "/sys/bus/pci/devices/$b/device") in
	0x1009 | 0x1049) bdf=$b ;;
	esac
done
[ -n "$bdf" ] || vpd_absent "no virtio 9p device"
[ "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER" ] || vpd_absent "$bdf not on $VPD_DRIVER"
[ -w "/sys/bus/pci/devices/$bdf/reset" ] || vpd_absent "$bdf has no reset method"
tag=$(cat "$(vpd_vdev_of "$bdf")/mount_tag" 2>/dev/null | tr -d '\0')
[ -n "$tag" ] || vpd_absent "$bdf: no 9p mount tag (9pnet_virtio not loaded?)"
mkdir -p /mnt/9p
vpd_check "mount $tag" mount -t 9p -o trans=virtio,version=9p2000.L "$tag" /mnt/9p
vpd_check "write through 9p before the reset" \
	sh -c 'dd if=/dev/urandom of=/mnt/9p/before bs=64k count=16 2>/dev/null && sync'

vpd_dmesg_mark
(vpd_lower; while dd if=/dev/zero of=/mnt/9p/busy bs=64k count=64 2>/dev/null &&
	dd if=/mnt/9p/busy of=/dev/null bs=64k 2>/dev/null; do :; done) >/dev/null 2>&1 &
writer=$!
# Busy for sure: the writer's file exists and grows.
i=0
s0=$(stat -c %s /mnt/9p/busy 2>/dev/null || echo 0)
while [ "$(stat -c %s /mnt/9p/busy 2>/dev/null || echo 0)" = "$s0" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
vpd_check "I/O in flight on $bdf" test $i -lt 100
vpd_check "$bdf reset while busy" sh -c "echo 1 >/sys/bus/pci/devices/$bdf/reset"
said=$(vpd_dmesg_new | grep -E "$bdf: function reset: ")
echo "$said"
vpd_check "dmesg: the driver cannot be parked, device marked broken" \
	sh -c "echo '$said' | grep -q 'cannot be parked.*marked broken'"
# A 9p request in flight at the reset waits, killably, for an answer a
# broken device never gives (9p's own behaviour): it must end when killed.
pkill -9 -P "$writer" 2>/dev/null
kill -9 "$writer" 2>/dev/null
vpd_check "the I/O ends" vpd_ended "$writer" 20
vpd_check "unmounted" timeout 20 umount /mnt/9p
vpd_check "$bdf unbinds" timeout 20 sh -c "echo $bdf >$VPD_DRIVER_DIR/unbind"
exit $KSFT_PASS
