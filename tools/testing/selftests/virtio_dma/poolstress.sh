#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Exhaustion under concurrent disk and network load: mappings fail when
# the pool (or, with EXPECT_EXHAUST=swiotlb, a tiny swiotlb) is full, the
# drivers retry, every byte that reports success checks out, and the
# exhaustion is counted.

. "$(dirname "$0")/lib.sh"

vpd_setup
vpd_dmesg_mark
[ "${EXPECT_EXHAUST:-pool}" = swiotlb ] || vpd_require_param dma_mode pool
# The data is checked on a disk of QEMU's own speed; a slow one
# (serial vpd-slow*, blkslow in vm/arch.sh), where there is one, takes
# the readers below.
disk='' slow=''
for d in $(vpd_ours /sys/block/vd*); do
	case $(cat "$d/serial" 2>/dev/null) in
	vpd-slow*) slow=${slow:-$d} ;;
	*) disk=${disk:-$d} ;;
	esac
done
[ -n "$disk" ] || vpd_absent "no virtio-blk disk of QEMU's speed on $VPD_DRIVER"
# The platform's swiotlb, unlike the pool, maps a request only whole: a
# tiny one needs small requests, with the in-tree virtio_pci too
# (reliability.rst). A pool takes any request: no limit there.
if [ "${EXPECT_EXHAUST:-pool}" = swiotlb ] && [ -n "${VPD_MAX_SECTORS_KB:-}" ]; then
	for d in $disk $slow; do
		echo "$VPD_MAX_SECTORS_KB" >"$d/queue/max_sectors_kb"
	done
fi
"$(dirname "$0")/net.sh" >/tmp/net.out 2>&1 &
net=$!
# A tiny swiotlb: two more readers, each asking for 4 MiB at once (64
# requests of 64 KiB, two plugs of 32), keep more in flight than it
# holds, where their disk is slow enough to let requests pile up
# (exhaust-swiotlb's second disk is): the swiotlb is one for all devices,
# so the checked disk and the network meet it full. Four readers fought
# the checked disk for every freed slot: 6.1 took five times as long.
readers=
if [ "${EXPECT_EXHAUST:-pool}" = swiotlb ]; then
	rdisk=${slow:-$disk}
	for _ in 1 2; do
		readers="$readers $(vpd_reader "${rdisk##*/}" 4M)"
	done
	# The checked disk starts once the readers have filled it
	# (swiotlb's own line; the network's load began before them),
	# however slowly the guest submits: on the debug kernel, with less
	# data to check, it was done before the swiotlb was ever full
	# (check-debug, 2026-12-01). A minute at most, by the clock.
	read -r t0 _ </proc/uptime
	t0=${t0%.*} t=$t0
	while [ "$(vpd_dmesg_new | grep -c 'swiotlb buffer is full')" -eq 0 ] &&
		[ $((t - t0)) -lt 60 ]; do
		sleep 0.2
		read -r t _ </proc/uptime
		t=${t%.*}
	done
	echo "the readers filled the swiotlb in $((t - t0)) s, or did not (below)"
fi
VPD_DEV=/dev/${disk##*/} "$(dirname "$0")/vpd_blk" >/tmp/blk.out 2>&1
blk=$?
wait $net
net=$?
# A reader that ended by itself met an I/O error: the load it was to
# bring was missing, and the disk failed a read.
ended=0
for r in $readers; do
	kill -0 "$r" 2>/dev/null || ended=$((ended + 1))
done
# shellcheck disable=SC2086
[ -n "$readers" ] && kill $readers 2>/dev/null
# A reader's dd may still wait for the slow disk: gone before unbind.sh.
for r in $readers; do
	vpd_check "reader $r gone" vpd_ended "$r" 10
done
grep -E 'wrote|sent|FAIL|not ok' /tmp/blk.out
[ $net -ne 1 ] && grep sent /tmp/net.out || cat /tmp/net.out
vpd_check "disk data intact under load" test $blk -eq 0
# net.sh skips (4) where the scenario has no network.
vpd_check "network data intact under load" test $net -eq 0 -o $net -eq 4
vpd_check "every reader still reading ($ended ended)" test $ended -eq 0
if [ "${EXPECT_EXHAUST:-pool}" = swiotlb ]; then
	# The platform's failures are swiotlb's own lines, ratelimited
	# across all devices (ten in five seconds): which device's fill the
	# budget is chance, so each one's count is told, not checked. Nor
	# can it be told whether the checked disk met the swiotlb full
	# (platform ops are the kernel's, uncounted here), only that the one
	# swiotlb of all devices was full while its data was checked.
	total=$(vpd_dmesg_new | grep -c 'swiotlb buffer is full')
	for bdf in $(vpd_virtio_pci_devices); do
		echo "$bdf: $(vpd_dmesg_new | grep -c " $bdf: swiotlb buffer is full") lines"
	done
	vpd_check "swiotlb exhaustion seen ($total lines)" test "$total" -gt 0
	storm=$(vpd_dmesg_new | grep -c 'page allocation failure')
	vpd_check "no failed page allocations ($storm)" test "$storm" -eq 0
	exit $KSFT_PASS
fi
total=0
for bdf in $(vpd_virtio_pci_devices); do
	[ "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER" ] || continue
	n=$(vpd_stat "$bdf" pool_exhausted)
	echo "$bdf: pool exhausted $n times, most used $(vpd_stat "$bdf" pool_used_max) of $(vpd_stat "$bdf" pool_size)"
	total=$((total + n))
done
vpd_check "exhaustion counted ($total)" test $total -gt 0
exit $KSFT_PASS
