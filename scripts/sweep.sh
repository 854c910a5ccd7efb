#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The configuration sweep: draws COUNT configurations from the whole space
# the module accepts and writes each as a scenario for vm/run.sh, with the
# blk and net data checks. Draws follow SEED alone: the same seed gives
# the same scenarios, so a failing draw is reproduced with its seed.
#
#   sweep.sh --seed SEED --count COUNT --out DIR
#
# The space: dma_mode (auto, direct, platform, pool), pool_size (any whole
# number of pages from 64K to 4M), audit, split or packed rings, 1 to 4
# disk queues, 1 to 4 vCPUs, no IOMMU or intel-iommu strict or lazy, with
# and without iommu_platform, max_sectors_kb left alone, raised to
# max_hw_sectors_kb or set to a random value in between. Combinations the
# module must refuse (direct ops for a device the IOMMU translates,
# platform ops for one that bypasses it) are drawn again: the fixed
# scenarios cover refusals.

set -euo pipefail

seed=
count=3
out=
while [ $# -gt 0 ]; do
	case $1 in
	--seed) seed=$2; shift 2 ;;
	--count) count=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "sweep.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$seed" ] && [ -n "$out" ] || { echo "usage: sweep.sh --seed SEED --count COUNT --out DIR" >&2; exit 2; }
case $seed in
'' | *[!0-9]*) echo "sweep.sh: SEED must be a number, not '$seed'" >&2; exit 2 ;;
esac

# bash's RANDOM, seeded, is the same sequence for the same seed (and the
# same bash: 5.1 changed it); read in this shell only (a subshell's draws
# would not advance it).
RANDOM=$seed
pick() { # pick VAR WORD...: sets VAR to one of the words
	local -n v=$1
	shift
	local a=("$@")
	v=${a[RANDOM % ${#a[@]}]}
}

mkdir -p "$out"
rm -f "$out"/sweep-*.scn
for i in $(seq 1 "$count"); do
	while :; do
		pick mode auto direct platform pool
		pick iommu none strict lazy
		pick ap on off
		# What the IOMMU translates only the platform's addresses reach.
		if [ "$iommu" != none ]; then
			[ "$mode" = direct ] && [ "$ap" = on ] && continue
			[ "$mode" = platform ] && [ "$ap" = off ] && continue
		fi
		break
	done
	pick audit 0 1
	pick packed on off
	queues=$((RANDOM % 4 + 1))
	smp=$((RANDOM % 4 + 1))
	pages=$((RANDOM % (1024 - 16 + 1) + 16))
	pick sectors default max random
	[ "$sectors" = random ] && sectors=random:$((RANDOM << 15 | RANDOM))
	case $mode in
	auto) expect=$([ "$ap" = on ] && echo platform || echo direct) ;;
	*) expect=$mode ;;
	esac
	params="dma_mode=$mode audit=$audit"
	[ "$mode" = pool ] && params="$params pool_size=$((pages * 4))K"
	tests="bind.sh limits.sh blk.sh net.sh"
	[ "$mode" = pool ] && tests="$tests pool.sh"
	[ "$audit" = 1 ] && tests="$tests audit.sh"
	name=sweep-$seed-$i
	{
		echo "# SPDX-License-Identifier: GPL-2.0"
		echo "# Drawn by scripts/sweep.sh with seed $seed: draw $i."
		echo "DEVICES=\"blk:num-queues=$queues net\""
		echo "DEVICE_OPTS=\"disable-legacy=on,iommu_platform=$ap,packed=$packed\""
		[ "$iommu" = none ] || echo "IOMMU=$iommu"
		echo "SMP=$smp"
		echo "VPD_MODPARAMS=\"$params\""
		echo "GUEST_MODULES=\"virtio_blk virtio_net\""
		echo "TESTS=\"$tests unbind.sh\""
		echo "EXPECT_MODE=$expect"
		echo "EXPECT_ACCESS_PLATFORM=$([ "$ap" = on ] && echo 1 || echo 0)"
		echo "VPD_MAX_SECTORS=$sectors"
		echo "VPD_SWEEP_SEED=$seed"
		echo "VPD_NET_ADDR=10.0.2.100"
		echo "TIMEOUT=400"
	} >"$out/$name.scn"
	echo "$name: $params, IOMMU $iommu, iommu_platform=$ap, packed=$packed, $queues disk queues, $smp vCPUs, max_sectors_kb $sectors"
done
