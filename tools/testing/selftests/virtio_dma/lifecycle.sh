#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unbind and rebind every device three times (once with I/O in flight on
# the disk), then rmmod and insmod, then bind by new_id, checking the
# disk's data and the rng after each step.

. "$(dirname "$0")/lib.sh"

vpd_dmesg_mark
vpd_setup
devices=$(vpd_virtio_pci_devices)
blk=
for bdf in $devices; do
	case $(cat "/sys/bus/pci/devices/$bdf/device") in
	0x1042 | 0x1001) blk=$bdf ;;
	esac
done
[ -n "$blk" ] || vpd_absent "no virtio-blk device"

checks() {
	vpd_check "$1: data on $blk" vpd_data_check "$blk" 8
	vpd_check "$1: rng reads" dd if=/dev/hwrng of=/dev/null bs=1024 count=4 2>/dev/null
}

for round in 1 2 3; do
	if [ $round = 2 ]; then
		# Reads in flight when the disk goes away end in errors, not a hang.
		disk=$(vpd_disk_of "$blk")
		dd if=/dev/"$disk" of=/dev/null bs=64k iflag=direct 2>/dev/null &
		reader=$!
		sleep 0.3
	fi
	for bdf in $devices; do
		vpd_check "round $round: $bdf unbound" vpd_unbind "$bdf"
	done
	if [ $round = 2 ]; then
		i=0
		while kill -0 $reader 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		vpd_check "round 2: the reader ended" sh -c "! kill -0 $reader 2>/dev/null"
	fi
	for bdf in $devices; do
		vpd_check "round $round: $bdf bound again" vpd_bind "$bdf"
	done
	checks "round $round"
done

vpd_check "rmmod with devices bound" vpd_unload
vpd_check "no device left on the driver" test ! -d "$VPD_DRIVER_DIR"
# shellcheck disable=SC2086
vpd_load ${VPD_MODPARAMS:-}
# driver_override still names us: registering the driver binds them.
for bdf in $devices; do
	vpd_check "insmod: $bdf bound" test "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER"
done
checks "after insmod"

# new_id claims devices without driver_override.
vpd_check "$blk unbound" vpd_unbind "$blk"
echo >"/sys/bus/pci/devices/$blk/driver_override"
echo "1af4 ffffffff" >"$VPD_DRIVER_DIR/new_id"
vpd_check "new_id: $blk bound" test "$(vpd_driver_of "$blk")" = "$VPD_DRIVER"
checks "after new_id"
leaks=$(vpd_leftovers)
vpd_check "no mapping outstanding at any unbind" test -z "$leaks"
exit $KSFT_PASS
