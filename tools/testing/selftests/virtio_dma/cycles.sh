#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Many unbind/bind cycles (VPD_BIND_CYCLES, 50) and rmmod/insmod cycles
# (VPD_LOAD_CYCLES, 20), each followed by a short data check: unreclaimable
# slab and the module's own memory do not grow.

. "$(dirname "$0")/lib.sh"

vpd_setup
bdf=$(vpd_blk_bdf) || vpd_absent "no virtio-blk device on $VPD_DRIVER"

# What was freed must leave the slab counts: RCU callbacks run (on a
# debug kernel kmemleak frees its records through RCU), and emptied
# slabs go back, KASAN's quarantine of freed objects included (shrinking
# a cache drains its share of it).
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for _ in 1 2; do
		sleep 1
		for f in /sys/kernel/slab/*/shrink; do
			echo 1 >"$f" 2>/dev/null
		done
	done
}
unreclaimable() { awk '$1 == "SUnreclaim:" {print $2}' /proc/meminfo; }
slabs() { awk 'NR > 2 {print $1, $2 * $4}' /proc/slabinfo | sort; }

cycle_check() {
	VPD_DEV=/dev/$(vpd_wait_disk "$bdf") VPD_SIZE_MB=1 "$(dirname "$0")/vpd_blk" >/dev/null 2>&1
}

# One of each first, so that caches the cycles use exist before we count.
vpd_unbind "$bdf" && vpd_bind "$bdf" && cycle_check
settle
before=$(unreclaimable)
slabs >/tmp/slabs.before
size_before=$(awk -v m=$VPD_MODULE '$1 == m {print $2}' /proc/modules)

n=${VPD_BIND_CYCLES:-50}
fails=0
for i in $(seq "$n"); do
	for d in $(vpd_virtio_pci_devices); do
		vpd_unbind "$d" && vpd_bind "$d" || fails=$((fails + 1))
	done
	cycle_check || fails=$((fails + 1))
done
vpd_check "$n unbind/bind cycles, data checked after each ($fails failures)" test $fails -eq 0

n=${VPD_LOAD_CYCLES:-20}
fails=0
for i in $(seq "$n"); do
	vpd_unload || fails=$((fails + 1))
	# shellcheck disable=SC2086
	vpd_load ${VPD_MODPARAMS:-} || fails=$((fails + 1))
	cycle_check || fails=$((fails + 1))
done
vpd_check "$n rmmod/insmod cycles, data checked after each ($fails failures)" test $fails -eq 0

settle
after=$(unreclaimable)
slabs >/tmp/slabs.after
echo "unreclaimable slab: $before kB before, $after kB after"
# The caches that grew most, in bytes.
awk 'NR == FNR { was[$1] = $2; next } $2 > was[$1] { print $2 - was[$1], $1 }' \
	/tmp/slabs.before /tmp/slabs.after | sort -rn | head -n 8
vpd_check "unreclaimable slab grew $((after - before)) kB (at most 256)" test $((after - before)) -le 256
size=$(awk -v m=$VPD_MODULE '$1 == m {print $2}' /proc/modules)
vpd_check "module memory: $size_before bytes before, $size after" test "$size" = "$size_before"
exit $KSFT_PASS
