#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A host-side unit check of the virtio-dma tool (make check's
# host/tool), over a made-up sysfs and debugfs: three virtio devices (a
# disk in pool mode on virtio-pci-dma, a transitional NIC direct, an rng
# on the in-tree virtio_pci) and a non-virtio one. Its table and JSON
# must say what the tree says, bad input must exit 2, and what it writes
# must land where the kernel would read it.
#
#   tool-check.sh WORKDIR

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tool=$here/virtio-dma
work=$1
rm -rf "$work"
sys=$work/sys
export VIRTIO_DMA_SYSFS=$sys VIRTIO_DMA_DEBUGFS=$work/debug VIRTIO_DMA_PROC=$work/proc
fail=0
check() { # check NAME COMMAND...
	if "${@:2}"; then echo "ok $1"; else echo "not ok $1"; fail=1; fi
}

w() { mkdir -p "$(dirname "$1")" && printf '%s\n' "$2" >"$1"; }
# pcidev BDF VENDOR DEVICE SUBSYS DRIVER [VIRTIO-DRIVER]
pcidev() {
	local d=$sys/bus/pci/devices/$1
	w "$d/vendor" "$2"
	w "$d/device" "$3"
	w "$d/subsystem_device" "$4"
	w "$d/driver_override" "(null)"
	mkdir -p "$sys/bus/pci/drivers/$5"
	ln -s "../../drivers/$5" "$d/driver"
	if [ -n "${6:-}" ]; then
		mkdir -p "$d/virtio0" "$sys/bus/virtio/drivers/$6"
		ln -s "../../../../virtio/drivers/$6" "$d/virtio0/driver"
	fi
}
# ours BDF MODE AP ARCH AUDIT OBSERVED [POOL USED]
ours() {
	local a=$sys/bus/pci/devices/$1/virtio_dma c=$work/debug/virtio_dma/$1
	w "$a/mode" "$2"; w "$a/access_platform" "$3"; w "$a/arch_wants" "$4"
	w "$a/audit" "$5"; w "$c/observed" "$6"; w "$c/maps" 1234
	w "$c/outstanding" 7
	[ -z "${7:-}" ] || { w "$c/pool_size" "$7"; w "$c/pool_used" "$8"; }
}
pcidev 0000:00:03.0 0x1af4 0x1042 0x1100 virtio-pci-dma virtio_blk
ours 0000:00:03.0 pool 0 0 1 Y 1048576 65536
pcidev 0000:00:04.0 0x1af4 0x1000 0x0001 virtio-pci-dma virtio_net
ours 0000:00:04.0 direct 0 0 0 Y
pcidev 0000:00:05.0 0x1af4 0x1044 0x1100 virtio-pci virtio_rng
pcidev 0000:00:06.0 0x8086 0x100e 0x1100 e1000
pcidev 0000:00:07.0 0x1af4 0x1041 0x1100 vfio-pci
touch "$sys/bus/pci/drivers_probe"
p=$sys/module/virtio_pci_dma/parameters
w "$p/policy" ""; w "$p/dma_mode" auto; w "$p/pool_size" 4194304; w "$p/audit" N

table=$("$tool" status)
echo "$table" | sed 's/^/# /'
row() { echo "$table" | grep "^$1 " | tr -s ' '; }
check "status: the header" grep -q '^DEVICE  *TYPE  *DRIVER' <<<"$table"
check "status: the disk" test "$(row 0000:00:03.0)" = \
	"0000:00:03.0 blk virtio-pci-dma virtio_blk pool 0 0 1 1048576 65536 1234 7"
check "status: a transitional NIC by its subsystem ID" test "$(row 0000:00:04.0)" = \
	"0000:00:04.0 net virtio-pci-dma virtio_net direct 0 0 0 - - 1234 7"
check "status: the rng on virtio_pci" test "$(row 0000:00:05.0)" = \
	"0000:00:05.0 rng virtio-pci virtio_rng - - - - - - - -"
check "status: a virtio device on vfio-pci" test "$(row 0000:00:07.0)" = \
	"0000:00:07.0 net vfio-pci - - - - - - - - -"
check "status: no other device" test "$(echo "$table" | wc -l)" -eq 5

json=$("$tool" status -j)
check "status -j: valid JSON, the same devices" python3 - "$json" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
assert [x["device"] for x in d] == ["0000:00:03.0", "0000:00:04.0", "0000:00:05.0", "0000:00:07.0"], d
assert d[0]["mode"] == "pool" and d[0]["pool_size"] == 1048576 and d[0]["audit"] == 1, d[0]
assert d[1]["type"] == "net" and d[1]["pool_size"] is None, d[1]
assert d[2]["driver"] == "virtio-pci" and d[2]["mode"] is None, d[2]
EOF
check "status -j DEVICE: one device" python3 -c \
	'import json,sys; d=json.loads(sys.argv[1]); assert len(d)==1 and d[0]["device"]=="0000:00:04.0"' \
	"$("$tool" status -j 00:04.0)"
check "policy -j: valid JSON" python3 -c \
	'import json,sys; d=json.loads(sys.argv[1]); assert d["pool_size"]==4194304 and d["audit"] is False' \
	"$("$tool" policy -j)"

code() { # code WANT ARGS...: the tool exits WANT
	local rc=0
	"$tool" "${@:2}" >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq "$1" ]
}
check "help: 0" code 0 help
check "no command: 2" code 2
check "unknown command: 2" code 2 frobnicate
check "not a PCI address: 2" code 2 status disk0
check "not a virtio device: 2" code 2 status 0000:00:06.0
check "absent device: 2" code 2 bind 0000:00:09.0
check "option without a value: 2" code 2 bind --mode
check "unknown option: 2" code 2 bind --fast 00:03.0
check "all with more: 2" code 2 unbind all 00:03.0
check "policy set without an argument: 2" code 2 policy set

check "policy set: written" code 0 policy set "net:mode=pool"
check "policy set: read back" test "$("$tool" policy)" = "net:mode=pool"
# A bind the made-up kernel does not carry out: the policy is written,
# the device offered through driver_override, and the failure said.
check "bind that does not take: 1" code 1 bind --mode pool --audit 1 00:05.0
check "bind: the device's entry added" test "$(cat "$p/policy")" = \
	"net:mode=pool;0000:00:05.0:mode=pool,audit=1"
check "bind: refused, given back" test \
	-z "$(cat "$sys/bus/pci/devices/0000:00:05.0/driver_override")"
check "bind again: the entry replaced" code 1 bind --mode direct 00:05.0
check "bind again: one entry for the device" test "$(cat "$p/policy")" = \
	"net:mode=pool;0000:00:05.0:mode=direct"
check "an address in capitals" sh -c \
	"'$tool' status 0000:00:0A.0 2>&1 | grep -q '0000:00:0a.0 is not a virtio PCI device'"
check "bind all leaves vfio-pci alone" sh -c \
	"'$tool' bind all 2>/dev/null | grep -qx '0000:00:07.0: left on vfio-pci'"
check "bind all: vfio-pci still has it" test \
	"$(readlink "$sys/bus/pci/devices/0000:00:07.0/driver")" = ../../drivers/vfio-pci
# Devices in use: the disk mounted, the NIC up. Nothing is taken from
# its driver without --force.
mkdir -p "$sys/bus/pci/devices/0000:00:03.0/virtio0/block/vda" "$sys/class/block" \
	"$sys/bus/pci/devices/0000:00:04.0/virtio0/net/eth0" "$sys/class/net"
ln -s ../../bus/pci/devices/0000:00:03.0/virtio0/block/vda "$sys/class/block/vda"
ln -s ../../bus/pci/devices/0000:00:04.0/virtio0/net/eth0 "$sys/class/net/eth0"
w "$sys/class/net/eth0/flags" 0x1003
w "$work/proc/mounts" "/dev/vda / ext4 rw 0 0"
unbound=$sys/bus/pci/drivers/virtio-pci-dma/unbind
rm -f "$unbound"
check "unbind a mounted disk: 1" code 1 unbind 00:03.0
check "unbind a mounted disk: says why" sh -c \
	"'$tool' unbind 00:03.0 2>&1 | grep -q 'in use (/dev/vda mounted)'"
check "unbind a mounted disk: left alone" test ! -e "$unbound"
check "rebind a NIC that is up: 1" code 1 bind --mode pool 00:04.0
check "rebind a NIC that is up: says why" sh -c \
	"'$tool' bind --mode pool 00:04.0 2>&1 | grep -q 'in use (eth0 up)'"
check "rebind a NIC that is up: left alone" test ! -e "$unbound"
"$tool" unbind --force 00:03.0 >/dev/null 2>&1 || true
check "unbind --force: unbound" test "$(cat "$unbound" 2>/dev/null)" = 0000:00:03.0
# A virtio-iommu whose driver is bound: unbinding it would crash the
# kernel, so not even --force takes it.
pcidev 0000:00:08.0 0x1af4 0x1057 0x1100 virtio-pci-dma virtio_iommu
ours 0000:00:08.0 direct 0 0 0 Y
rm -f "$unbound"
check "unbind --force a virtio-iommu: 1" code 1 unbind --force 00:08.0
check "unbind --force a virtio-iommu: says why" sh -c \
	"'$tool' unbind --force 00:08.0 2>&1 | grep -q 'a virtio-iommu in use'"
check "unbind --force a virtio-iommu: left alone" test ! -e "$unbound"
check "policy clear" code 0 policy clear
check "policy clear: empty" test -z "$(cat "$p/policy")"
check "help names every command" sh -c \
	"'$tool' help | grep -q 'status \[-j\]' && '$tool' help | grep -q 'policy clear'"
rm -rf "$work"
exit $fail
