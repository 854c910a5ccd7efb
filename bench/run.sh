#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: what the DMA API costs in each mode, against the in-tree
# virtio_pci, measured side by side in one run.
#
#   bench/run.sh [--quick | --tiny] [--arch A] [--kernel KVER]
#                [--rounds N] [--only NAME,...] [--out DIR] [--build DIR]
#
# One guest per configuration and round, the configurations in a new
# order each round so that drift of the machine hits all of them alike.
# The guests run under TCG with -icount (one vCPU thread, the clock counts
# executed instructions) and, in a full run, one more round free-running
# as a sanity check. bench/report.sh turns the guests' figures into the
# table and the chart under bench/results/.
#
# --quick: every configuration, two rounds of small workloads (< 10 min
# on 6.12), so that the report can tell a difference from the noise.
# --tiny: two configurations, tiny workloads, free-running guests: what
# make check runs so that this tooling cannot rot.
# --arch ppc64le: the pseries set; --arch aarch64: the arm64 set (the
# SMMUv3). Debian's fio and iperf3 exist for the host's architecture
# only: there vpd_dio and pktgen do the I/O.
# --only: these configurations alone, a check while developing (with
# --out: the committed results have them all).
# --kernel: on x86 the default, 6.12: under icount QEMU 7.2 never brings
# up the second vCPU of Debian's 6.1 (the boot stops at "Booting SMP
# configuration"), so a full or quick run of a 6.1 guest fails: the
# runner's boot watchdog stops it, three times.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
size=full
arch=$(uname -m)
kernel=
rounds=
only=
out=

while [ $# -gt 0 ]; do
	case $1 in
	--quick) size=quick; shift ;;
	--tiny) size=tiny; shift ;;
	--arch) arch=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	*) echo "bench: unknown option $1" >&2; exit 2 ;;
	esac
done

case $arch in powerpc | ppc64el) arch=ppc64le ;; x86 | amd64) arch=x86_64 ;; arm64) arch=aarch64 ;; esac
[ -n "$kernel" ] || kernel=$("$top/scripts/kernels.sh" --arch "$arch" default)
case $size in
full) io_mb=8 net_mb=64 packets=10000 iters=5000 secs=1800; : "${rounds:=3}" ;;
quick) io_mb=4 net_mb=32 packets=5000 iters=2500 secs=900; : "${rounds:=2}" ;;
tiny) io_mb=1 net_mb=4 packets=1000 iters=200 secs=300; : "${rounds:=1}" ;;
esac
[ "$rounds" -ge 1 ] 2>/dev/null || { echo "bench: --rounds must be a positive number" >&2; exit 2; }

# What a KVM host pays a VM exit (or a hypercall) for, as QEMU traces it:
# the guest's notifications (virtio_queue_notify: a write to the notify
# BAR, traced only without ioeventfd, which the devices here turn off;
# under TCG that runs the device's handler in the vCPU's thread at the
# write, which icount does not charge either way) and the interrupts
# QEMU sends (virtio_notify: a queue interrupt the driver did not
# suppress); per architecture below, the vIOMMU's register accesses and
# pseries' TCE hypercalls. bench/report.sh counts them per I/O.
virtio_trace="virtio_queue_notify virtio_notify"

# name transport module-parameters device-options iommu kernel-arguments
if [ "$arch" = ppc64le ]; then
	# pseries: the TCE IOMMU is always on. QEMU offers a 64-bit direct
	# window (DDW), through which the platform's ops map at an offset
	# without a hypercall; disable_ddw leaves one TCE hypercall a map.
	configs="
intree       intree -                 -                   -      -
direct       ours   dma_mode=direct   -                   -      -
tce          ours   dma_mode=platform iommu_platform=on   -      -
tce-noddw    ours   dma_mode=platform iommu_platform=on   -      disable_ddw
pool-noddw   ours   dma_mode=pool     iommu_platform=on   -      disable_ddw
"
	trace="spapr_iommu_pci_* $virtio_trace"
elif [ "$arch" = aarch64 ]; then
	# -M virt: the SMMUv3 translates only for iommu_platform=on. Its
	# TLB invalidation commands (one a strict unmap, CMD_TLBI_NH_VA,
	# which QEMU 7.2 traces as a range invalidation; batched by ASID
	# when lazy) are the per-I/O events counted, as the VT-d ones on x86.
	configs="
intree       intree -                 -                   -      -
direct       ours   dma_mode=direct   -                   -      -
smmu-strict  ours   dma_mode=platform iommu_platform=on   strict -
smmu-lazy    ours   dma_mode=platform iommu_platform=on   lazy   -
pool-smmu    ours   dma_mode=pool     iommu_platform=on   strict -
"
	trace="smmuv3_cmdq_tlbi_* smmuv3_s1_range_inval smmuv3_read_mmio smmuv3_write_mmio $virtio_trace"
else
	# direct-ops: direct mode where our ops stay, a device without
	# iommu_platform behind the IOMMU it bypasses (without an IOMMU,
	# direct mode leaves the device on the DMA core's dma-direct).
	configs="
intree       intree -                 -                   -      -
direct       ours   dma_mode=direct   -                   -      -
direct-ops   ours   dma_mode=direct   -                   strict -
platform     ours   dma_mode=platform -                   -      -
iommu-strict ours   dma_mode=platform iommu_platform=on   strict -
iommu-lazy   ours   dma_mode=platform iommu_platform=on   lazy   -
pool-strict  ours   dma_mode=pool     iommu_platform=on   strict -
swiotlb      ours   dma_mode=platform iommu_platform=on   -      swiotlb=force
"
	trace="vtd_inv_desc_iotlb_* vtd_reg_read vtd_reg_write $virtio_trace"
fi
[ "$size" = tiny ] && configs=$(echo "$configs" | grep -E '^(intree|direct) ')
if [ -n "$only" ]; then
	# A partial run is not one to commit by mistake.
	[ -n "$out" ] || { echo "bench: --only needs --out" >&2; exit 2; }
	configs=$(echo "$configs" | grep -E "^(${only//,/|}) ") || {
		echo "bench: --only $only: no such configuration" >&2
		exit 2
	}
fi

work=$build/bench
rm -rf "$work"
mkdir -p "$work/raw"
[ -n "$out" ] || out=$top/bench/results/$(date -u +%Y%m%d-%H%M)-$size-$kernel
mkdir -p "$out"
echo "$configs" | awk 'NF { print $1 }' >"$work/configs.txt"

# write_configs DIR ICOUNT: one runner scenario per configuration.
write_configs() {
	local dir=$1 icount=$2 name transport params opts iommu append
	mkdir -p "$dir"
	echo "$configs" | while read -r name transport params opts iommu append; do
		[ -n "$name" ] || continue
		[ "$params" = - ] && params=
		[ "$opts" = - ] && opts=
		[ "$iommu" = - ] && iommu=
		[ "$append" = - ] && append=
		cat >"$dir/bench-$name.scn" <<-EOF
		# SPDX-License-Identifier: GPL-2.0
		# Written by bench/run.sh: benchmark configuration $name.
		DEVICES="blknull blkshm netbench"
		DEVICE_OPTS="disable-legacy=on,ioeventfd=off${opts:+,$opts}"
		IOMMU="$iommu"
		APPEND="$append"
		ICOUNT="$icount"
		QEMU_TRACE="$trace"
		SMP=2
		MEM=1536
		GUEST_MODULES="virtio_blk virtio_net"
		TESTS="vpd_bench.sh"
		BENCH_TRANSPORT=$transport
		VPD_MODPARAMS="$params"
		BENCH_IO_MB=$io_mb
		BENCH_NET_MB=$net_mb
		BENCH_PACKETS=$packets
		BENCH_MAP_ITERS=$iters
		TIMEOUT=$secs
		EOF
	done
}

# count_events WORKDIR: "WORKLOAD EVENT COUNT" for each event QEMU traced
# between a workload's start and end marks (the trace itself, megabytes
# for the network workloads, is not kept).
count_events() {
	[ -s "$1/marks" ] && [ -s "$1/trace.log" ] || return 0
	awk 'FNR == NR {
		n = $1; at = $2
		if (sub(/-start$/, "", n)) start[n] = at
		else if (sub(/-end$/, "", n)) end[n] = at
		next
	}
	{
		ev = $0
		sub(/^[0-9]+@[0-9.]+:/, "", ev)
		sub(/[ (].*/, "", ev)
		for (w in start)
			if (w in end && FNR > start[w] && FNR <= end[w])
				count[w " " ev]++
	}
	END {
		for (w in start)
			if (w in end)
				print w, "-", 0
		for (k in count)
			print k, count[k]
	}' "$1/marks" "$1/trace.log" | sort
}

# run_round LABEL SCENARIO-DIR ROUND JOBS: every configuration once, in an
# order turned by ROUND, JOBS guests at a time; the console logs and trace
# marks kept.
run_round() {
	local label=$1 dir=$2 round=$3 jobs=$4 names n
	mapfile -t names < <(echo "$configs" | awk 'NF { print "bench-" $1 }')
	n=${#names[@]}
	local order=("${names[@]:$((round % n))}" "${names[@]:0:$((round % n))}")
	echo "bench: $label round $round: ${order[*]}" >&2
	"$top/tools/testing/selftests/virtio_dma/vm/run.sh" --arch "$arch" \
		--build "$build" --kernel "$kernel" --jobs "$jobs" \
		--scenario-dir "$dir" ${tools:+--extra-initrd "$tools"} "${order[@]}" \
		>"$work/raw/$label-$round.results" || {
		cat "$work/raw/$label-$round.results" >&2
		echo "bench: a guest failed; logs in $build/vm/$kernel/" >&2
		exit 1
	}
	for c in "${order[@]}"; do
		local vm=$build/vm/$kernel/$c to=$work/raw/$label-$round-${c#bench-}
		cp "$vm.log.clean" "$to.log"
		cp "$vm.work/marks" "$to.marks" 2>/dev/null || true
		count_events "$vm.work" >"$to.events"
	done
}

make -s -C "$top" ARCH="$arch" BUILD="$build" module \
	KDIR="$("$top/scripts/kernels.sh" --arch "$arch" kdir "$kernel")" >/dev/null
make -s -C "$top" ARCH="$arch" BUILD="$build" selftests >/dev/null
tools=
[ "$arch" = "$(uname -m)" ] && tools=$("$top/scripts/bench-tools.sh")

start=$(date +%s)
# Guests run one at a time: what a guest waits for (QEMU completing a
# request, the host's end of a TCP stream) takes host time, which a second
# guest would disturb. Only the tiny run, whose figures mean nothing, runs
# them side by side. The free-running round is at the quick size.
jobs=1
[ "$size" = tiny ] && jobs=$(nproc)
# The tiny run checks the tooling, not the figures: its guests run free.
# Under icount with two vCPUs QEMU 7.2 now and then freezes a guest
# (see Documentation/virtio_dma/performance.rst); make check must
# not depend on that.
icount=2 clock="icount shift=2"
[ "$size" = tiny ] && icount= clock="free-running (tiny run: the tooling only)"
write_configs "$work/icount" "$icount"
for r in $(seq 1 "$rounds"); do
	run_round icount "$work/icount" "$r" "$jobs"
done
if [ "$size" = full ]; then
	io_mb=4 net_mb=32 packets=5000 iters=2500
	write_configs "$work/free" ""
	run_round free "$work/free" 1 1
fi

{
	echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
	echo "size=$size rounds=$rounds wall_s=$(($(date +%s) - start))"
	echo "kernel=$kernel clock=$clock"
	case $arch in
	ppc64le) qemu=qemu-system-ppc64 ;;
	aarch64) qemu=qemu-system-aarch64 ;;
	*) qemu=qemu-system-x86_64 ;;
	esac
	echo "arch=$arch qemu=$($qemu --version | head -n 1 | sed 's/.*version //')"
	echo "cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1) x $(nproc)"
	if [ -n "$tools" ]; then
		echo "fio=$(fio --version) iperf3=$(iperf3 --version | head -n 1 | cut -d' ' -f2)"
	else
		echo "disk=vpd_dio: O_DIRECT, random offsets, queue depth 1 (no fio for $arch)"
	fi
	echo "network=tap in a private network namespace, vhost off (no /dev/vhost-net)"
} >"$work/machine.txt"
"$top/bench/report.sh" "$work" "$out"
