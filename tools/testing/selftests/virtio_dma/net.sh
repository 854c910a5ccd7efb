#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio-net over the transport: a checksummed TCP stream each way to an
# echo server on the host (VPD_NET_ADDR, VPD_NET_PORT).

. "$(dirname "$0")/lib.sh"

vpd_setup
[ -n "${VPD_NET_ADDR:-}" ] || vpd_skip "VPD_NET_ADDR names no echo server"
ifaces=$(vpd_ours /sys/class/net/*)
[ -n "$ifaces" ] || vpd_absent "no virtio-net interface on $VPD_DRIVER"
iface=$(echo "$ifaces" | head -n 1)
iface=${iface##*/}
ip link set "$iface" up
ip addr add "${VPD_NET_GUEST:-10.0.2.15/24}" dev "$iface" 2>/dev/null
"$(dirname "$0")/vpd_net" || vpd_fail "echo through $iface"
exit $KSFT_PASS
