#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The virtio-dma tool (tools/virtio-dma) on a live guest: its table and
# JSON say what sysfs says of every virtio device, bind with a mode puts
# a device in that mode through a policy entry, unbind gives a device
# back, and bad input exits 2 and changes nothing. The policy is put
# back as it was.

. "$(dirname "$0")/lib.sh"

vpd_setup
command -v virtio-dma >/dev/null || vpd_skip "the virtio-dma tool is not installed"
devices=$(vpd_virtio_pci_devices)
[ -n "$devices" ] || vpd_absent "no virtio PCI device"

table=$(virtio-dma status)
echo "$table"
for bdf in $devices; do
	row=$(echo "$table" | grep "^$bdf ")
	drv=$(echo "$row" | awk '{ print $3 }')
	mode=$(echo "$row" | awk '{ print $5 }')
	vpd_check "$bdf: driver $drv" test "$drv" = "$(vpd_driver_of "$bdf")"
	vpd_check "$bdf: mode $mode" test "$mode" = "$(vpd_mode "$bdf")"
done
json=$(virtio-dma status -j)
n=$(echo "$json" | grep -o '"device":"[^"]*"' | wc -l)
vpd_check "status -j: $n devices" test "$n" -eq "$(echo "$devices" | wc -w)"
vpd_check "status -j: one array" sh -c "echo '$json' | grep -q '^\[{.*}\]$'"

code() { # code WANT ARGS...: the tool exits WANT
	virtio-dma "$@" >/dev/null 2>&1
	[ $? -eq "$want" ]
}
# What a refused command could have changed: drivers, modes, audit, pool
# and the policy; not the live counters (USED, MAPS, LIVE), which move
# with the devices' own traffic.
settings() {
	virtio-dma status | awk '{ print $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
	virtio-dma policy
}
want=2
before=$(settings)
vpd_check "a bad address: 2" code bind 99:99.9
vpd_check "a bad option: 2" code bind --speed 1 all
vpd_check "a policy the module refuses: 2" code policy set "disk:mode=pool"
vpd_check "nothing changed" test "$(settings)" = "$before"

blk=$(vpd_blk_bdf) || vpd_absent "no virtio-blk device on $VPD_DRIVER"
mode=$(vpd_mode "$blk")
policy=$(virtio-dma policy)
vpd_check "bind --mode pool $blk" sh -c "virtio-dma bind --mode pool --pool-size 1M $blk | grep -qx '$blk: pool'"
vpd_check "$blk is in pool mode" test "$(vpd_mode "$blk")" = pool
vpd_check "the policy has its entry" sh -c "virtio-dma policy | grep -q '$blk:mode=pool,pool_size=1M'"
vpd_check "data on $blk in pool mode" vpd_data_check "$blk" 8
vpd_check "bind --mode $mode $blk" sh -c "virtio-dma bind --mode $mode $blk | grep -qx '$blk: $mode'"
vpd_check "unbind $blk" virtio-dma unbind "$blk"
vpd_check "$blk is not ours" test "$(vpd_driver_of "$blk")" != "$VPD_DRIVER"
vpd_check "bind $blk" virtio-dma bind "$blk"
vpd_check "$blk is back in $mode mode" test "$(vpd_mode "$blk")" = "$mode"
vpd_check "policy clear" virtio-dma policy clear
vpd_check "policy restored" virtio-dma policy set "$policy"
vpd_check "data on $blk" vpd_data_check "$blk" 8
exit $KSFT_PASS
