#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio-net over the transport: a checksummed TCP stream each way to an
# echo server on the host (VPD_NET_ADDR, VPD_NET_PORT).
#
# net.sh --stalled IFACE: what vpd_net runs when the stream stands still,
# the connection still open: the interface's counters, interrupts, TCP
# queues and each virtqueue's ring indices, twice, two seconds apart, so
# that a lost notification, a lost interrupt and a host that stopped can
# be told apart (Documentation/virtio_dma/reliability.rst).

. "$(dirname "$0")/lib.sh"

# stalled IFACE [PASSES]
stalled() {
	bdf=$(vpd_bdf_of "/sys/class/net/$1/device")
	passes=${2:-2}
	for pass in $(seq 1 "$passes"); do
		echo "# stall record $pass of $passes: $1 ($bdf)"
		{
			grep -E "face|$1:" /proc/net/dev
			grep -E "CPU|virtio|$bdf" /proc/interrupts
			grep '^Tcp:' /proc/net/snmp
			cat /proc/net/tcp
			d=/sys/kernel/debug/virtio_dma/$bdf
			cat "$d/queues"
			for f in outstanding pool_used pool_exhausted overflow_maps overflow_failed; do
				[ -e "$d/$f" ] && echo "$f $(cat "$d/$f")"
			done
		} 2>&1 | sed 's/^/# /'
		[ "$pass" = "$passes" ] || sleep 2
	done
}

if [ "${1:-}" = --stalled ]; then
	stalled "$2"
	exit 0
fi

vpd_setup
[ -n "${VPD_NET_ADDR:-}" ] || vpd_skip "VPD_NET_ADDR names no echo server"
ifaces=$(vpd_ours /sys/class/net/*)
[ -n "$ifaces" ] || vpd_absent "no virtio-net interface on $VPD_DRIVER"
iface=$(echo "$ifaces" | head -n 1)
iface=${iface##*/}
ip link set "$iface" up
ip addr add "${VPD_NET_GUEST:-10.0.2.15/24}" dev "$iface" 2>/dev/null
VPD_NET_ON_STALL="'$(cd "$(dirname "$0")" && pwd)/net.sh' --stalled '$iface'" \
	"$(dirname "$0")/vpd_net" || vpd_fail "echo through $iface"
# The record a stall would print, so that it cannot rot unseen: the
# receive and transmit queues, with their ring state. Kept in the log: a
# healthy stream's record to set a stalled one against.
stalled "$iface" 1 | tee /tmp/net-record
vpd_check "stall record of $iface has its queues" \
	grep -Eq '^# 1 output\.0 size=[0-9]+ free=[0-9]+ .*(avail=[0-9]+ used=[0-9]+|packed)' /tmp/net-record
exit $KSFT_PASS
