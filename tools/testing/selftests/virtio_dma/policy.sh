#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# policy= per device, written in sysfs before a bind: by virtio type and
# by PCI address (the address wins), with mode, pool_size and audit. A
# write with an invalid entry is refused whole, naming the entry, and the
# policy in force stays; nothing already bound changes until it is bound
# again. The policy is emptied and every device rebound at the end.

. "$(dirname "$0")/lib.sh"

vpd_setup
p=/sys/module/$VPD_MODULE/parameters/policy
[ -w "$p" ] || vpd_skip "this module has no writable policy parameter"
# The virtio type of a device: 0x0001 net, 0x0002 blk.
type_of() { cat "$(vpd_vdev_of "$1")/device"; }
blk=$(vpd_blk_bdf) || vpd_absent "no virtio-blk device on $VPD_DRIVER"
net=
for d in $(vpd_virtio_pci_devices); do
	[ "$(type_of "$d")" = 0x0001 ] && net=$d
done
[ -n "$net" ] || vpd_absent "no virtio-net device on $VPD_DRIVER"
rest=$(vpd_virtio_pci_devices | grep -v -e "^$blk\$" -e "^$net\$")
before=$(cat "$p")

rebind() {
	vpd_unbind "$1" && vpd_bind "$1"
}
audit_of() { cat "/sys/bus/pci/devices/$1/virtio_dma/audit"; }

# refused VALUE WHAT: the write fails, says WHAT about the entry, and
# leaves the policy as it was.
refused() {
	vpd_dmesg_mark
	was=$(cat "$p")
	! printf '%s' "$1" >"$p" 2>/dev/null || return 1
	vpd_dmesg_new | grep -q "policy: entry \"$2\"" || return 1
	[ "$(cat "$p")" = "$was" ]
}
vpd_check "no device name" refused "mode=pool" "mode=pool"
vpd_check "unknown type" refused "net:mode=pool;disk:mode=pool" "disk:mode=pool"
vpd_check "unknown mode" refused "$blk:mode=fast" "$blk:mode=fast"
vpd_check "pool size too small" refused "net:pool_size=4K" "net:pool_size=4K"
vpd_check "unknown key" refused "blk:dma=direct" "blk:dma=direct"
vpd_check "bad PCI address" refused "0000:00:99.9:mode=pool" "0000:00:99.9:mode=pool"
vpd_check "bad audit value" refused "net:audit=maybe" "net:audit=maybe"

# A write longer than sysfs takes at once (a page) would reach the module
# in pieces: refused whole, never its tail taken.
long() {
	vpd_dmesg_mark
	was=$(cat "$p")
	e=$(printf 'net:mode=pool;%.0s' $(seq 300))
	! printf '%s' "$e" >"$p" 2>/dev/null || return 1
	vpd_dmesg_new | grep -q "policy: [0-9]* characters, at most" || return 1
	[ "$(cat "$p")" = "$was" ]
}
vpd_check "a write longer than a page" long

modes0=$(for d in $(vpd_virtio_pci_devices); do echo "$d $(vpd_mode "$d")"; done)
policy="net:mode=pool,pool_size=1M;blk:mode=pool;$blk:mode=direct,audit=1"
vpd_check "a valid policy is taken" sh -c "echo '$policy' >$p"
vpd_check "it reads back" test "$(cat "$p")" = "$policy"
modes1=$(for d in $(vpd_virtio_pci_devices); do echo "$d $(vpd_mode "$d")"; done)
vpd_check "nothing bound changed" test "$modes0" = "$modes1"

vpd_dmesg_mark
vpd_check "net rebinds" rebind "$net"
vpd_check "blk rebinds" rebind "$blk"
vpd_check "net by type: pool" test "$(vpd_mode "$net")" = pool
vpd_check "net's pool is 1M" test "$(vpd_stat "$net" pool_size)" = 1048576
vpd_check "net: no audit (the default)" test "$(audit_of "$net")" = "$(vpd_param audit | sed 's/Y/1/;s/N/0/')"
vpd_check "blk by address over type: direct" test "$(vpd_mode "$blk")" = direct
vpd_check "blk: audit" test "$(audit_of "$blk")" = 1
vpd_check "blk data intact" vpd_data_check "$blk" 8
for d in $rest; do
	vpd_check "$d rebinds" rebind "$d"
	case $(type_of "$d") in
	0x0001) want=pool ;;
	0x0002) want=pool ;;
	*) want=$(echo "$modes0" | sed -n "s/^$d //p") ;;
	esac
	vpd_check "$d: $want" test "$(vpd_mode "$d")" = "$want"
done
no_audit_finding() { ! vpd_dmesg_new | grep -q 'audit: '; }
vpd_check "no audit finding" no_audit_finding

vpd_check "the policy empties" sh -c "echo '$before' >$p"
for d in $(vpd_virtio_pci_devices); do
	vpd_check "$d rebinds with the defaults" rebind "$d"
	vpd_check "$d is back in its mode" sh -c "echo '$modes0' | grep -qx '$d $(vpd_mode "$d")'"
done
exit $KSFT_PASS
