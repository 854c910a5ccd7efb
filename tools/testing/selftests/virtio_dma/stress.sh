#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every CPU mapping and unmapping at the same instant: for STRESS_SECONDS
# (default 60), one disk worker per CPU (checksummed O_DIRECT passes of
# its own 4 MiB of every virtio disk, request sizes from 4 KiB to 4 MiB)
# and checksummed TCP streams over the first virtio-net interface. Each
# pass must return what it wrote; the end reports the mappings made and
# the pool's exhaustion and overflow (EXPECT_OVERFLOW=1: some there must
# be). Run it in a guest of several vCPUs that run in parallel (the
# runner's stress scenarios: multi-threaded TCG).

. "$(dirname "$0")/lib.sh"

vpd_setup
disks=$(vpd_ours /sys/block/vd* /sys/block/sd*)
[ -n "$disks" ] || vpd_absent "no virtio disk on $VPD_DRIVER"
cpus=$(grep -c '^processor' /proc/cpuinfo)
[ "$cpus" -ge 2 ] || vpd_skip "one CPU: nothing runs at the same instant"
secs=${STRESS_SECONDS:-60}
here=$(dirname "$0")

# The mappings made so far by every device on the transport whose calls
# it observes (not the platform's own).
maps_total() {
	t=0
	for b in $(vpd_virtio_pci_devices); do
		[ "$(vpd_driver_of "$b")" = "$VPD_DRIVER" ] || continue
		[ "$(vpd_stat "$b" observed)" = Y ] && t=$((t + $(vpd_stat "$b" maps)))
	done
	echo $t
}

# disk_worker DISK N: passes over the N-th 4 MiB of DISK until the time
# is up; a failed pass leaves /tmp/stress.fail.
disk_worker() {
	i=0
	end=$(($(date +%s) + secs))
	while [ "$(date +%s)" -lt "$end" ]; do
		for kb in 4 64 1024 4096; do
			VPD_DEV=/dev/$1 VPD_SIZE_MB=4 VPD_CHUNK_KB=$kb VPD_OFFSET_MB=$(($2 * 4)) \
				"$here/vpd_blk" >"/tmp/stress.$1.$2.out" 2>&1 ||
				{ cp "/tmp/stress.$1.$2.out" "/tmp/stress.fail.$1.$2"; return 1; }
			i=$((i + 1))
		done
	done
	echo "$i" >"/tmp/stress.passes.$1.$2"
}

net_worker() {
	end=$(($(date +%s) + secs))
	n=0
	while [ "$(date +%s)" -lt "$end" ]; do
		VPD_NET_MB=4 "$here/net.sh" >/tmp/stress.net.out 2>&1 ||
			{ cp /tmp/stress.net.out /tmp/stress.fail.net; return 1; }
		n=$((n + 1))
	done
	echo "$n" >/tmp/stress.passes.net
}

rm -f /tmp/stress.*
before=$(maps_total)
pids=
for disk in $disks; do
	n=0
	# 4 MiB each, within the disk (512-byte sectors).
	fit=$(($(cat "$disk/size") / 8192))
	while [ $n -lt "$cpus" ] && [ $n -lt "$fit" ]; do
		disk_worker "${disk##*/}" $n &
		pids="$pids $!"
		n=$((n + 1))
	done
done
if [ -n "${VPD_NET_ADDR:-}" ] && [ -n "$(vpd_ours /sys/class/net/*)" ]; then
	net_worker &
	pids="$pids $!"
fi
failed=0
for p in $pids; do
	wait "$p" || failed=$((failed + 1))
done
after=$(maps_total)
passes=$(cat /tmp/stress.passes.* 2>/dev/null | awk '{ t += $1 } END { print t + 0 }')
for f in /tmp/stress.fail.*; do
	[ -e "$f" ] || continue
	echo "== $f"
	cat "$f"
done
echo "stress: $secs s on $cpus CPUs, $passes checked passes, $((after - before)) mappings, $failed failed workers"
for b in $(vpd_virtio_pci_devices); do
	[ "$(vpd_driver_of "$b")" = "$VPD_DRIVER" ] || continue
	[ -e "/sys/kernel/debug/virtio_dma/$b/pool_exhausted" ] || continue
	echo "$b: pool exhausted $(vpd_stat "$b" pool_exhausted), overflow $(vpd_stat "$b" overflow_maps)," \
		"retried $(vpd_stat "$b" overflow_failed)"
done
vpd_check "every worker's data intact ($failed failed)" test "$failed" -eq 0
[ "$after" = 0 ] || vpd_check "mappings made ($((after - before)))" test "$((after - before))" -gt 0
if [ "${EXPECT_OVERFLOW:-0}" = 1 ]; then
	over=0
	for b in $(vpd_virtio_pci_devices); do
		f=/sys/kernel/debug/virtio_dma/$b/overflow_maps
		[ -e "$f" ] && over=$((over + $(cat "$f")))
	done
	vpd_check "the pool overflowed under the load ($over)" test "$over" -gt 0
fi
exit $KSFT_PASS
