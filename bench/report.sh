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
# .marks files: "NAME LINES", the QEMU trace lines (IOMMU invalidations)
# logged before the guest's mark NAME.

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
		marks=$raw/$base.marks
		awk -v label="$label" -v round="$round" -v config="$config" -v marks="$marks" '
		BEGIN {
			while ((getline line < marks) > 0) {
				split(line, m, " ")
				mark[m[1]] = m[2]
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
			if ((wl "-start") in mark && ios > 0)
				printf "%s\t%s\t%s\t%s-%s\tiommu_per_io\t%.2f\n", label, round, config, kind, wl,
					(mark[wl "-end"] - mark[wl "-start"]) / ios
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
	mbit_s) echo "Mbit/s|up" ;;
	pps) echo "packets/s|up" ;;
	ns_per_packet) echo "ns per packet|down" ;;
	map_unmap_ns) echo "ns per map+unmap|down" ;;
	sync_ns) echo "ns per sync pair|down" ;;
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
			print key "\t" med "\t" v[1] "\t" v[n] "\t" n
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
			$1 == wl && $2 == m && $3 == "intree" { base = $4 }
			$1 == wl && $2 == m && $3 == c { med = $4; lo = $5; hi = $6; found = 1 }
			END {
				if (!found) { printf " n/a |"; exit }
				spread = med ? (hi - lo) / med * 100 : 0
				fmt = med >= 100 ? "%.0f" : "%.2f"
				printf " " fmt, med
				if (spread >= 0.5)
					printf " ±%.0f%%", spread / 2
				if (base > 0 && c != "intree")
					printf " (%.2fx)", med / base
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
	echo "the same run. n/a: not measured there (the in-tree transport and the"
	echo "platform's own ops have no counters of ours)."
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
