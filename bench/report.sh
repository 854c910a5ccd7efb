#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Turns what bench/run.sh collected into results: figures.tsv (every
# figure of every guest), results.md (medians, spread and the ratio to the
# in-tree virtio_pci of the same run) and ratios.png (the chart).
#
#   bench/report.sh WORKDIR OUTDIR
#
# WORKDIR/raw holds LABEL-ROUND-CONFIG.log console logs, whose
# "vpd-bench: KIND WORKLOAD key=value..." lines are the figures, and
# .events files: "WORKLOAD EVENT COUNT", the QEMU trace events of each
# workload (bench/run.sh).

set -euo pipefail

work=$1
out=$2
raw=$work/raw
tsv=$out/figures.tsv
mkdir -p "$out"

# figures.tsv: label round config workload metric value
{
	printf 'label\tround\tconfig\tworkload\tmetric\tvalue\n'
	for log in "$raw"/*.log; do
		base=$(basename "$log" .log)
		label=${base%%-*}
		rest=${base#*-}
		round=${rest%%-*}
		config=${rest#*-}
		events=$raw/$base.events
		awk -v label="$label" -v round="$round" -v config="$config" -v events="$events" '
		# What each traced event is: see bench/run.sh.
		function class(ev) {
			if (ev == "virtio_queue_notify") return "kicks"
			if (ev == "virtio_notify") return "irqs"
			if (ev ~ /^(vtd_reg_(read|write)|smmuv3_(read|write)_mmio)$/) return "iommu_mmio"
			if (ev ~ /^spapr_iommu_pci_/) return "hcalls"
			if (ev ~ /^(vtd_inv_desc_iotlb_|smmuv3_cmdq_tlbi_|smmuv3_s1_range_inval)/) return "iommu"
			return "other"
		}
		BEGIN {
			while ((getline line < events) > 0) {
				split(line, e, " ")
				traced[e[1]] = 1
				cnt[e[1], class(e[2])] += e[3]
			}
		}
		/^# vpd-bench: (fio|dio|iperf3|pktgen|map) / {
			kind = $3; wl = $4
			for (i = 5; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[2] == "-")
					continue
				printf "%s\t%s\t%s\t%s-%s\t%s\t%s\n", label, round, config, kind, wl, kv[1], kv[2]
				if (kv[1] == "ios")
					ios = kv[2]
			}
			if (!(wl in traced) || ios <= 0)
				next
			# TCE hypercalls are the IOMMU work on pseries, and exits.
			k = cnt[wl, "kicks"]; q = cnt[wl, "irqs"]; r = cnt[wl, "iommu_mmio"]
			h = cnt[wl, "hcalls"]
			pre = label "\t" round "\t" config "\t" kind "-" wl
			printf "%s\tiommu_per_io\t%.2f\n", pre, (cnt[wl, "iommu"] + h) / ios
			printf "%s\tkicks_per_io\t%.2f\n", pre, k / ios
			printf "%s\tirqs_per_io\t%.2f\n", pre, q / ios
			printf "%s\tiommu_mmio_per_io\t%.2f\n", pre, r / ios
			printf "%s\texits_per_io\t%.2f\n", pre, (k + q + r + h) / ios
		}' "$log"
	done
} >"$tsv"

# What each metric is, and whether more is better (ratio > 1 good).
describe() {
	case $1 in
	iops) echo "IOPS|up" ;;
	bw_kib) echo "KiB/s|up" ;;
	clat_mean_us) echo "mean completion latency, us|down" ;;
	clat_p50_us) echo "p50 completion latency, us|down" ;;
	clat_p99_us) echo "p99 completion latency, us|down" ;;
	cpu_us_per_io) echo "guest CPU us per I/O|down" ;;
	dma_calls_per_io) echo "DMA calls per I/O|down" ;;
	bounce_bytes_per_io) echo "bytes bounced per I/O|down" ;;
	iommu_per_io) echo "IOMMU work per I/O (x86, arm64: IOTLB invalidations; pseries: TCE hypercalls)|down" ;;
	kicks_per_io) echo "notifications per I/O (writes to the notify BAR)|down" ;;
	irqs_per_io) echo "interrupts per I/O (queue interrupts QEMU sent)|down" ;;
	iommu_mmio_per_io) echo "vIOMMU register accesses per I/O|down" ;;
	exits_per_io) echo "exits per I/O on a KVM host (notifications + interrupts + vIOMMU registers + TCE hypercalls)|down" ;;
	mbit_s) echo "Mbit/s|up" ;;
	pps) echo "packets/s|up" ;;
	ns_per_packet) echo "ns per packet|down" ;;
	map_unmap_ns) echo "ns per map+unmap|down" ;;
	sync_ns) echo "ns per sync pair|down" ;;
	genalloc_ns) echo "ns per genalloc alloc+free, a floor of the pool's pair (the same code in every column)|down" ;;
	copy_ns) echo "ns per copy of the size, a floor of the pool's pair (the same code in every column)|down" ;;
	*) echo "$1|down" ;;
	esac
}

# stats LABEL: "workload metric config median min max n", one line each.
stats() {
	awk -F'\t' -v label="$1" 'NR > 1 && $1 == label { print $4 "\t" $5 "\t" $3 "\t" $6 }' "$tsv" |
		sort -t$'\t' -k1,1 -k2,2 -k3,3 -k4,4g |
		awk -F'\t' '
		function flush(   k, med) {
			if (n == 0)
				return
			med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			printf "%s\t%.10g\t%.10g\t%.10g\t%d\n", key, med, v[1], v[n], n
			n = 0
		}
		{
			k = $1 "\t" $2 "\t" $3
			if (k != key)
				flush()
			key = k
			v[++n] = $4
		}
		END { flush() }'
}

# In the order bench/run.sh gives them, the in-tree baseline first.
configs=$(cat "$work/configs.txt")

# table LABEL: the markdown table of one label's medians.
table() {
	local label=$1
	stats "$label" >"$work/stats-$label.tsv"
	printf '| workload | figure |'
	for c in $configs; do printf ' %s |' "$c"; done
	printf '\n|---|---|'
	for c in $configs; do printf -- '---:|'; done
	printf '\n'
	cut -f1,2 "$work/stats-$label.tsv" | sort -u | while IFS=$'\t' read -r wl metric; do
		printf '| %s | %s |' "$wl" "$(describe "$metric" | cut -d'|' -f1)"
		for c in $configs; do
			awk -F'\t' -v wl="$wl" -v m="$metric" -v c="$c" '
			function rel(lo, hi, med) { return med ? (hi - lo) / med : 0 }
			$1 == wl && $2 == m && $3 == "intree" { base = $4; bs = rel($5, $6, $4); bn = $7 }
			$1 == wl && $2 == m && $3 == c { med = $4; lo = $5; hi = $6; n = $7; found = 1 }
			END {
				if (!found) { printf " n/a |"; exit }
				spread = rel(lo, hi, med) * 100
				fmt = med >= 100 ? "%.0f" : "%.2f"
				printf " " fmt, med
				if (spread >= 0.5)
					printf " ±%.0f%%", spread / 2
				# The floors run the same code in every column.
				if (base > 0 && c != "intree" && m !~ /^(genalloc_ns|copy_ns)$/) {
					r = med / base
					# Not the counts our ops and the IOMMU make, which
					# the request decides (a zero spread would mark
					# them); exits and times are marked.
					timed = m !~ /^(ios|dma_calls_per_io|bounce_bytes_per_io|iommu_per_io|iommu_mmio_per_io)$/
					d = r > 1 ? r - 1 : 1 - r
					printf " (%.2fx%s)", r,
						timed && (n < 2 || bn < 2 || d <= (spread / 100 + bs) / 2) ? "?" : ""
				}
				printf " |"
			}' "$work/stats-$label.tsv"
		done
		printf '\n'
	done
}

# The chart: each configuration's ratio to the in-tree transport on the
# throughput figures, where higher is better.
chart() {
	local data=$work/ratios.dat
	awk -F'\t' '
	($2 == "iops" || $2 == "mbit_s" || $2 == "pps") && $3 == "intree" { base[$1] = $4 }
	($2 == "iops" || $2 == "mbit_s" || $2 == "pps") { med[$1, $3] = $4; wl[$1] = 1; cf[$3] = 1 }
	END {
		n = split(configs, c, " ")
		for (w in wl) {
			if (!(w in base) || base[w] == 0)
				continue
			printf "%s", w
			for (i = 1; i <= n; i++)
				printf " %.3f", (w, c[i]) in med ? med[w, c[i]] / base[w] : 0
			printf "\n"
		}
	}' configs="$(echo $configs)" "$work/stats-icount.tsv" | sort >"$data.rows"
	{
		echo workload $configs
		cat "$data.rows"
	} >"$data"
	gnuplot <<-EOF
	set terminal pngcairo size 1400,700 noenhanced font ",10"
	set output "$out/ratios.png"
	set title "virtio_pci_dma: throughput relative to the in-tree virtio_pci (1.0), icount medians"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set key autotitle columnheader outside right
	set xtics rotate by -30
	set ylabel "ratio to in-tree virtio_pci"
	set yrange [0:*]
	set grid ytics
	plot for [i=2:$(($(echo $configs | wc -w) + 1))] "$data" using i:xtic(1)
	EOF
}

{
	echo "# virtio_pci_dma benchmark results"
	echo
	echo '```'
	cat "$work/machine.txt"
	echo '```'
	echo
	echo "Medians over the rounds; ±: half the spread (max - min) over the median,"
	echo "where it is 0.5% or more; (Nx): the ratio to the in-tree virtio_pci of"
	echo "the same run; (Nx?): a ratio this run cannot tell from the rounds'"
	echo "noise (it is within the half-spreads of both figures, or there was one"
	echo "round). n/a: not measured there (the in-tree transport, the"
	echo "platform's own ops and direct mode where the device keeps the DMA"
	echo "core's dma-direct have no counters of ours). The QEMU events are"
	echo "those of all the guest's devices, the others idle during a disk job."
	echo
	if grep -q 'clock=free' "$work/machine.txt"; then
		echo "## Free-running TCG (a tiny run: its figures mean nothing)"
	else
		echo "## Under -icount (the guest's clock counts instructions)"
	fi
	echo
	table icount
	if grep -q '^free' "$tsv"; then
		echo
		echo "## Free-running TCG (sanity check, one round)"
		echo
		table free
	fi
} >"$out/results.md"
chart
echo "bench: results in $out" >&2
