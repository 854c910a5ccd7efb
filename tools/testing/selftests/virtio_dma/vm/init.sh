#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test guests: runs the tests a scenario names and reports
# them as KTAP on the serial console (never over a virtio device, so a
# transport bug cannot hide a result), then dumps dmesg and powers off.

/bin/busybox --install -s /bin
export PATH=/bin
# The runner's boot watchdog waits for this line (run.sh).
echo "# vpd: userspace"
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
# What udev makes on a real machine, and kselftest's runner writes to.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr

for w in $(cat /proc/cmdline); do
	case $w in
	vpd.scenario=*) scenario=${w#vpd.scenario=} ;;
	vpd.timeout=*) timeout=${w#vpd.timeout=} ;;
	esac
done

# quarter MB FLOOR: a quarter of MB, at least FLOOR, at most MB.
quarter() {
	local q=$(($1 / 4))
	[ "$q" -ge "$2" ] || q=$2
	[ "$q" -le "$1" ] || q=$1
	echo "$q"
}

cd /virtio_dma || exit 1
# This guest is there to be broken: let the tests rebind and overwrite.
export VPD_DESTRUCTIVE=1
set -a
# shellcheck disable=SC1090
. "./scenarios/${scenario%%+*}.scn"
set +a
# On the debug kernel (make check-debug) a quarter of the data, what a
# scenario sets included: KASAN checks every byte a bounce copies
# and kmemleak records every buffer, so there the volume is what costs,
# while each code path the debug kernel is there to check (every map,
# overflow, exhaustion and teardown) still runs.
# Elsewhere half the tests' own defaults: make check boots about a
# hundred guests, and the volume is the larger part of their tests' time
# (not of the paths they take: request sizes stay, and every pool still
# overflows); the installed suite (kselftest.scn) keeps the tests' data
# defaults, as a developer runs it, and so does a scenario that sets
# FULL_DATA=1 (its exhaustion needs the load).
case $(uname -r) in
*-vpd-debug)
	# A scenario's own volume too (irq-intx's 64 MiB stream took 551 s
	# of its 1,414 there): a quarter, but no less than the default's
	# quarter, nor more than the scenario's own.
	size=${VPD_SIZE_MB:-32} net=${VPD_NET_MB:-16}
	export VPD_SIZE_MB=$(quarter "$size" 8) VPD_NET_MB=$(quarter "$net" 4)
	export VPD_BIGIO_MB="${VPD_BIGIO_MB:-16}" STRESS_SECONDS="${STRESS_SECONDS:-20}"
	;;
*)
	[ "${KSELFTEST:-0}" = 1 ] || [ "${FULL_DATA:-0}" = 1 ] ||
		export VPD_SIZE_MB="${VPD_SIZE_MB:-16}" VPD_NET_MB="${VPD_NET_MB:-8}" \
			VPD_BIGIO_MB="${VPD_BIGIO_MB:-16}"
	;;
esac
# Tests that find their scenario's variables fail where a parameter did
# not take (lib.sh's vpd_require_param); the kselftest scenario runs the
# suite as on any machine instead, where such a test skips.
[ "${KSELFTEST:-0}" = 1 ] || export VPD_SCENARIO="$scenario"
# The audit variant: the same tests with audit=1, checked before unbind.
case $scenario in
*+audit)
	export VPD_MODPARAMS="${VPD_MODPARAMS:-} audit=1"
	TESTS=$(echo " $TESTS " | sed 's/ unbind.sh / audit.sh unbind.sh /')
	;;
esac

for m in $GUEST_MODULES; do
	modprobe "$m" || echo "# vpd: modprobe $m failed"
done

# A debug kernel's kmemleak, scanned once, after the tests. Not before
# them too (to clear what boot leaves): in the five passes of 2026-11-30
# and 2026-12-01, some 200 guests, that scan never found anything, and
# it took 60-70 s of each guest; a boot leak would now fail its
# scenario, with the report saying where it came from.
leaks=/sys/kernel/debug/kmemleak
if [ -w $leaks ]; then
	# kmemleak frees its record of every freed object with call_rcu(),
	# and RCU's callbacks run in ksoftirqd. At the tests' priority it
	# gets too small a share of a TCG vCPU to keep up: the backlog grows
	# until the guest runs out of memory.
	for c in /proc/[0-9]*/comm; do
		read -r name <"$c" || continue
		case $name in
		ksoftirqd/*) p=${c%/comm} && renice -20 -p "${p#/proc/}" >/dev/null ;;
		esac
	done
fi

# since T0: whole seconds of uptime since T0 (read from /proc/uptime).
since() {
	read -r _now _ </proc/uptime
	echo "$1 $_now" | awk '{ printf "%.0f", $2 - $1 }'
}

# watchdog SECONDS: the host kills a guest that is still running SECONDS
# after it started it. A test's output reaches the console only when the
# test ends, so shortly before that, say what the guest was doing: the test
# and its output so far, the processes, what blocked tasks and the CPUs are
# doing, dmesg.
watchdog() {
	read -r up _ </proc/uptime
	sleep $(($1 * 9 / 10 - ${up%.*}))
	echo "# vpd: watchdog: still running at 90% of the ${1}s timeout"
	sed 's/^/# vpd: watchdog: /' /tmp/current /tmp/out
	ps | grep -v ']$' | sed 's/^/# vpd: watchdog: /'
	echo w >/proc/sysrq-trigger
	echo l >/proc/sysrq-trigger
	sleep 2
	dmesg | sed 's/^/# dmesg: /'
}
if [ -n "${timeout:-}" ]; then
	watchdog "$timeout" &
	watchdog_pid=$!
fi

n=0
total=$(echo $TESTS | wc -w)
if [ "${KSELFTEST:-0}" = 1 ]; then
	# run_kselftest.sh prints its own KTAP, plan and results.
	echo "test run_kselftest.sh" >/tmp/current
	: >/tmp/out
	/kselftest/run_kselftest.sh
	TESTS=
else
	echo "TAP version 13"
	echo "1..$total"
fi
for t in $TESTS; do
	n=$((n + 1))
	echo "# selftests: virtio_dma: $t"
	echo "test $t" >/tmp/current
	# A test's own output is a comment for the runner.
	read -r t0 _ </proc/uptime
	(./$t 2>&1; echo "vpd-rc=$?") >/tmp/out
	took=$(since "$t0")
	rc=$(sed -n 's/^vpd-rc=//p' /tmp/out)
	grep -v '^vpd-rc=' /tmp/out | sed 's/^/# /'
	echo "# vpd: $t took $took s"
	case $rc in
	0) echo "ok $n $t" ;;
	4) echo "ok $n $t # SKIP" ;;
	*) echo "not ok $n $t # exit=$rc" ;;
	esac
done

[ -z "${watchdog_pid:-}" ] || kill "$watchdog_pid"

if [ -w $leaks ]; then
	# kmemleak reports no object younger than 5 s, hence the wait; one
	# scan then reports every leak, in dmesg too, which fails the
	# scenario: a second scan could not take that back, and each takes
	# a minute of a debug guest.
	sleep 5
	read -r t0 _ </proc/uptime
	echo scan >$leaks
	echo "# vpd: kmemleak scans took $(since "$t0") s"
	cat $leaks
	# Where the memory went, should the debug kernel run short of it.
	echo "# vpd: largest slab caches (name, objects, object size)"
	awk 'NR > 2 { print $1, $3, $4, $3 * $4 }' /proc/slabinfo | sort -k4 -n |
		tail -n 8 | sed 's/^/# vpd: slab /'
fi

echo "# vpd: dmesg follows"
dmesg | sed 's/^/# dmesg: /'
echo "# vpd: done"
sync
poweroff -f
