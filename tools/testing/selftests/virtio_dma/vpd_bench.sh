#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of 'make bench' (bench/run.sh): binds the virtio devices
# to the transport a configuration names, runs fio, iperf3, pktgen and the
# map microbenchmark, and prints one "vpd-bench: WORKLOAD key=value..."
# line per figure. Not a test: the runner only asks it to finish. Where
# the guest has no fio or iperf3 (the pseries guests: Debian's come only
# for the host's architecture), vpd_dio does the disk figures at queue
# depth 1, and the network has pktgen alone.
#
# From the configuration (bench/run.sh writes it as a scenario):
#   BENCH_TRANSPORT   intree (virtio_pci) or ours (virtio_pci_dma)
#   VPD_MODPARAMS     our module's parameters
#   BENCH_IO_MB       MiB each 4 KiB fio job moves (128 KiB jobs: 8x)
#   BENCH_NET_MB      MiB iperf3 sends each way
#   BENCH_PACKETS     packets pktgen sends per size
#   BENCH_MAP_ITERS   iterations of each microbenchmark case

. "$(dirname "$0")/lib.sh"
# fio and iperf3 come with make bench's extra initramfs.
export PATH=$PATH:/usr/bin
vpd_require_destructive

say() { echo "vpd-bench: $*"; }

bind_all() {
	case $BENCH_TRANSPORT in
	intree)
		modprobe virtio_pci 2>/dev/null
		for bdf in $(vpd_virtio_pci_devices); do
			vpd_bind "$bdf" virtio-pci || vpd_fail "could not bind $bdf to virtio-pci"
		done
		;;
	ours)
		vpd_setup
		;;
	*)
		vpd_fail "BENCH_TRANSPORT=$BENCH_TRANSPORT: expected intree or ours"
		;;
	esac
}

# The disk whose serial is $1.
disk_with_serial() {
	i=0
	while [ $i -lt 100 ]; do
		for d in /sys/block/vd*; do
			[ "$(cat "$d/serial" 2>/dev/null)" = "$1" ] && echo "${d##*/}" && return 0
		done
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# The CPU clock: the online CPUs' busy time and the clock, in ns, from the
# benchmark module (vpd_map_bench.c says why not from /proc). fio copies
# it in its pre- and post-run hooks, just before and just after a job's
# I/O, so that what starting fio costs (it and its libraries are large)
# stays out; fio sends a hook's output to a file of its own, hence cp.
cpu_clock=/sys/kernel/debug/vpd_map_bench/cpu

# cpu_window: busy and elapsed, the busy ns and the clock's ns between
# the two hooks' readings, which must both be there and fresh.
cpu_window() {
	[ -s /tmp/busy0 ] && [ -s /tmp/busy1 ] &&
		read -r t0 n0 </tmp/busy0 && read -r t1 n1 </tmp/busy1 &&
		[ -n "$t1" ] && [ "$n1" -gt "$n0" ] ||
		vpd_fail "no CPU clock reading around the job"
	busy=$((t1 - t0)) elapsed=$((n1 - n0))
}

# The clock must count busy time only: a second asleep must read as
# (almost) none, 1-5 ms on 6.12 and 7.3. A kernel whose idle accounting
# the module cannot read makes the run fail, not count the clock.
cpu_clock_check() {
	rm -f /tmp/busy0 /tmp/busy1
	cp "$cpu_clock" /tmp/busy0 || vpd_fail "no CPU clock in $cpu_clock"
	sleep 1
	cp "$cpu_clock" /tmp/busy1 || vpd_fail "no CPU clock in $cpu_clock"
	cpu_window
	say "CPU clock: $busy ns busy in $elapsed ns asleep"
	[ "$busy" -lt $((elapsed / 20)) ] ||
		vpd_fail "the CPU clock counts idle time: $busy of $elapsed ns"
}

# What a fio job's bracket costs by itself (fio's hooks and what fio does
# between them and the I/O), the median of seven jobs of one 4 KiB
# request (its own 50-100 us included): taken off every job's CPU time.
# With the CPUs the jobs run on, once the devices are bound and the guest
# is quiet.
calibrate() {
	disk=$(disk_with_serial vpd-null1)
	rm -f /tmp/windows
	for i in 1 2 3 4 5 6 7; do
		rm -f /tmp/busy0 /tmp/busy1
		fio_run "$disk" randread 4k 1 4k >/dev/null ||
			vpd_fail "fio calibration job failed"
		cpu_window
		echo "$busy" >>/tmp/windows
	done
	window=$(sort -n /tmp/windows | sed -n 4p)
	say "calibration window_ns=$window from $(sort -n /tmp/windows | tr '\n' ' ')"
}

# counters BDF: our DMA calls and bounced bytes so far, or "- -" where
# the calls are not observed (the in-tree transport, the platform's ops).
counters() {
	s=/sys/kernel/debug/virtio_dma/$1
	if [ "$(cat "$s/observed" 2>/dev/null)" != Y ]; then
		echo "- -"
		return
	fi
	calls=$(($(cat "$s/maps") + $(cat "$s/unmaps") + $(cat "$s/syncs")))
	bounced=0
	[ -e "$s/bounce_to_device" ] &&
		bounced=$(($(cat "$s/bounce_to_device") + $(cat "$s/bounce_from_device")))
	echo "$calls $bounced"
}

# job_begin NAME DISK / job_end NAME: the bracket around every disk job:
# our counters of DISK's device before (c0, b0) and after (c1, b1), and the
# marks between which the host counts QEMU's IOMMU trace events, with a
# quiet second on either side.
job_begin() {
	bdf=$(vpd_bdf_of "/sys/block/$2/device")
	c=$(counters "$bdf")
	c0=${c% *} b0=${c#* }
	vpd_host mark "$1-start"
	sleep 1
}

job_end() {
	vpd_host mark "$1-end"
	sleep 1
	c=$(counters "$bdf")
	c1=${c% *} b1=${c#* }
}

# fio_run DISK RW BS DEPTH BYTES: fio's terse (v3) output for one job.
fio_run() {
	fio --name=job --filename="/dev/$1" --rw="$2" --bs="$3" --iodepth="$4" \
		--ioengine=libaio --direct=1 --io_size="$5" --runtime=600 \
		--exec_prerun="cp $cpu_clock /tmp/busy0" \
		--exec_postrun="cp $cpu_clock /tmp/busy1" \
		--output-format=terse --terse-version=3
}

# fio_job NAME DISK RW BS DEPTH MiB: one fio job, its figures on one line.
# The host adds the IOMMU invalidations between the two marks.
fio_job() {
	name=$1 disk=$2 rw=$3 bs=$4 depth=$5 mb=$6
	job_begin "$name" "$disk"
	rm -f /tmp/busy0 /tmp/busy1
	out=$(fio_run "$disk" "$rw" "$bs" "$depth" "${mb}M") || vpd_fail "fio $name failed"
	cpu_window
	job_end "$name"
	# Terse v3: read figures from field 6, write figures from 47; the
	# clat percentiles are "P%=usec" fields. The CPU time is the whole
	# guest's, interrupts and completions included.
	echo "$out" | awk -F';' -v name="$name" -v c0="$c0" -v c1="$c1" \
		-v b0="$b0" -v b1="$b1" -v ns=$((busy - window)) -v bs="${bs%k}" -v depth="$depth" '
	function pct(base, p,   i, kv) {
		for (i = base; i < base + 20; i++) {
			split($i, kv, "%=")
			if (kv[1] + 0 == p)
				return kv[2]
		}
		return "-"
	}
	function per(a, b, n) {
		return a == "-" ? "-" : sprintf("%.2f", (b - a) / n)
	}
	# The terse lines alone: fio also says when it runs exec_prerun.
	$1 == "3" && NF > 100 {
		w = ($8 + 0 == 0) ? 41 : 0
		kb = $(6 + w); bw = $(7 + w); iops = $(8 + w); ms = $(9 + w)
		ios = kb / bs
		if (ios < 1)
			ios = 1
		# At depth 1 the vCPU idles once a request, and under icount
		# the CPU time of jobs running the same code varies 2x there
		# (performance.rst): not a figure.
		# Less than the bracket alone: no figure either.
		cpu = depth == 1 || ns < 0 ? "-" : sprintf("%.1f", ns / 1000 / ios)
		printf "vpd-bench: fio %s iops=%d bw_kib=%d clat_mean_us=%.1f clat_p50_us=%s clat_p99_us=%s cpu_us_per_io=%s dma_calls_per_io=%s bounce_bytes_per_io=%s ios=%d\n",
			name, iops, bw, $(16 + w), pct(18 + w, 50), pct(18 + w, 99), cpu,
			per(c0, c1, ios), per(b0, b1, ios), ios
	}'
}

# dio_job NAME DISK read|write BS COUNT: COUNT O_DIRECT blocks at random
# offsets, one at a time (vpd_dio), with the figures fio_job gives where
# they can be told: not the CPU time, at depth 1 as this is.
dio_job() {
	name=$1 disk=$2 bs=$4 count=$5
	job_begin "$name" "$disk"
	rm -f /tmp/busy0 /tmp/busy1
	cp "$cpu_clock" /tmp/busy0
	"$(dirname "$0")/vpd_dio" "/dev/$disk" "$3" $((${bs%k} * 1024)) "$count" ||
		vpd_fail "vpd_dio $name failed"
	cp "$cpu_clock" /tmp/busy1
	cpu_window
	job_end "$name"
	awk -v name="$name" -v n="$count" -v kib="${bs%k}" -v ns="$elapsed" \
		-v c0="$c0" -v c1="$c1" -v b0="$b0" -v b1="$b1" '
	function per(a, b) { return a == "-" ? "-" : sprintf("%.2f", (b - a) / n) }
	BEGIN {
		printf "vpd-bench: dio %s iops=%d bw_kib=%d clat_mean_us=%.1f dma_calls_per_io=%s bounce_bytes_per_io=%s ios=%d\n",
			name, n * 1e9 / ns, n * kib * 1e9 / ns, ns / 1000 / n,
			per(c0, c1), per(b0, b1), n
	}'
}

dio_all() {
	null=$(disk_with_serial vpd-null1) || vpd_fail "no null-backed disk"
	n=$((BENCH_IO_MB * 256))
	dio_job null-randread-4k-qd1 "$null" read 4k "$n"
	dio_job null-randwrite-4k-qd1 "$null" write 4k "$n"
	dio_job null-randread-128k-qd1 "$null" read 128k $((n / 4))
}

fio_all() {
	null=$(disk_with_serial vpd-null1) || vpd_fail "no null-backed disk"
	shm=$(disk_with_serial vpd-shm2) || vpd_fail "no tmpfs-backed disk"
	small=$BENCH_IO_MB big=$((BENCH_IO_MB * 8))
	# A first run pages fio and its libraries in, so that no job pays.
	fio_run "$null" read 4k 1 4k >/dev/null || vpd_fail "fio does not run"
	fio_job null-randread-4k-qd1 "$null" randread 4k 1 "$small"
	fio_job null-randread-4k-qd16 "$null" randread 4k 16 "$small"
	fio_job null-randwrite-4k-qd1 "$null" randwrite 4k 1 "$small"
	fio_job null-randwrite-4k-qd16 "$null" randwrite 4k 16 "$small"
	fio_job null-seqread-128k-qd4 "$null" read 128k 4 "$big"
	fio_job shm-randread-4k-qd16 "$shm" randread 4k 16 "$small"
	fio_job shm-randwrite-4k-qd16 "$shm" randwrite 4k 16 "$small"
	fio_job shm-seqread-128k-qd4 "$shm" read 128k 4 "$big"
}

net_up() {
	ifc=
	for n in /sys/class/net/*; do
		[ "${n##*/}" = lo ] || { ifc=${n##*/}; break; }
	done
	[ -n "$ifc" ] || vpd_fail "no network interface"
	ip addr add 192.0.2.2/24 dev "$ifc"
	ip link set "$ifc" up
	i=0
	until ping -c 1 -W 1 192.0.2.1 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 20 ] || vpd_fail "the host side of $ifc does not answer"
	done
}

# iperf3_run NAME [-R]: TCP throughput as the receiving side counted it.
# iperf3 is known to wait forever for a peer's report now and then: a run
# has 300 s, plenty for what the largest configuration sends.
iperf3_run() {
	name=$1
	shift
	kbps=$(timeout 300 iperf3 -c 192.0.2.1 -n "${BENCH_NET_MB}M" -f k "$@" |
		awk '/receiver$/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Kbits/sec") print $i }')
	[ -n "$kbps" ] || vpd_fail "iperf3 $name reported nothing (or ran past 300 s)"
	say "iperf3 $name mbit_s=$(awk -v k="$kbps" 'BEGIN { printf "%.1f", k / 1000 }')"
}

# pktgen_run SIZE: transmit cost per packet of SIZE bytes (with FCS).
pktgen_run() {
	pg=/proc/net/pktgen
	echo "add_device $ifc" >$pg/kpktgend_0
	mac=$(awk '$1 == "192.0.2.1" { print $4 }' /proc/net/arp)
	for c in "count $BENCH_PACKETS" "pkt_size $1" "delay 0" \
		"dst 192.0.2.1" "dst_mac $mac" "clone_skb 0"; do
		echo "$c" >$pg/$ifc
	done
	# A transmit queue that never wakes again would keep pktgen going.
	timeout 300 sh -c "echo start >$pg/pgctrl" ||
		vpd_fail "pktgen $1 B did not finish in 300 s"
	pps=$(sed -n 's/^ *\([0-9]*\)pps.*/\1/p' $pg/$ifc)
	echo "rem_device_all" >$pg/kpktgend_0
	[ -n "$pps" ] && [ "$pps" -gt 0 ] || vpd_fail "pktgen $1 B reported nothing"
	say "pktgen tx-$1 pps=$pps ns_per_packet=$((1000000000 / pps))"
}

net_all() {
	net_up
	if command -v iperf3 >/dev/null; then
		iperf3_run tcp-tx
		iperf3_run tcp-rx -R
	fi
	modprobe pktgen || vpd_fail "no pktgen module"
	pktgen_run 64
	pktgen_run 1500
}

# The microbenchmark goes through the null disk's DMA ops.
map_all() {
	bdf=$(vpd_bdf_of "/sys/block/$(disk_with_serial vpd-null1)/device")
	run=/sys/kernel/debug/vpd_map_bench/run
	# A run thrown away first: in two of three in-tree guests of one 7.3
	# run the first case came out at 2-60x its later self (the guest
	# still settling after the binds, the module's first calls).
	sleep 2
	echo "$bdf 64 1 $BENCH_MAP_ITERS" >$run || vpd_fail "map benchmark warm-up failed"
	for threads in 1 2; do
		[ "$threads" -le "$(nproc)" ] || continue
		for size in 64 4096 65536; do
			echo "$bdf $size $threads $BENCH_MAP_ITERS" >$run ||
				vpd_fail "map benchmark $size B x$threads failed"
			r=$(cat $run | sed 's/.* iterations=[0-9]* //')
			say "map size-$size-threads-$threads $r"
		done
	done
}

bind_all
for bdf in $(vpd_virtio_pci_devices); do
	m=-
	[ -e "/sys/bus/pci/devices/$bdf/virtio_dma/mode" ] && m=$(vpd_mode "$bdf")
	say "device $bdf driver=$(vpd_driver_of "$bdf") mode=$m"
done
# The benchmark module: the map microbenchmark, and the CPU clock.
modprobe vpd_map_bench || vpd_fail "no vpd_map_bench module"
map_all
# fio and the network run on one CPU: the clock then counts what the
# transport executes, with nothing running beside it.
if [ -w /sys/devices/system/cpu/cpu1/online ]; then
	echo 0 >/sys/devices/system/cpu/cpu1/online ||
		vpd_fail "could not take CPU 1 offline"
fi
say "kernel $(uname -r) cpus=$(nproc) (online for the jobs)"
cpu_clock_check
if command -v fio >/dev/null; then
	calibrate
	fio_all
else
	dio_all
fi
net_all
say "done"
exit 0
