#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What 'make check' runs: the host-side checks (a warning-free W=1 build
# and sparse for every target kernel, checkpatch) and then every scenario
# in QEMU guests of every target kernel. Each check is one result line;
# the last line printed is the "N passed, N failed" summary.
#
#   check.sh [--arch A] [--build DIR] [--debug] [SCENARIO...]
#
# --debug: the same on a debug kernel built from linux-source-6.1
# (DMA-API debug, KASAN, lockdep, kmemleak, debug objects, fault
# injection), which scripts/debug-kernel.sh builds once and caches.

set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
arch=$(uname -m)
build=$top/build
debug=
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--debug) debug=1; shift ;;
	*) break ;;
	esac
done

vm=$top/tools/testing/selftests/virtio_dma/vm
logs=$build/check-logs
results=$build/check-results.txt
mkdir -p "$logs"
: >"$results"

# record NAME COMMAND...: one result line, the output kept in a log.
record() {
	local name=$1 log=$logs/$1.log
	shift
	if "$@" >"$log" 2>&1; then
		echo "ok host/$name" | tee -a "$results"
	else
		echo "not ok host/$name (see $log)" | tee -a "$results"
		tail -n 20 "$log" | sed 's/^/# /'
	fi
}

no_warnings() { # no_warnings LOG COMMAND...: the command passes, printing no warning
	local log=$1
	shift
	"$@" >"$log" 2>&1 || { cat "$log"; return 1; }
	! grep -E '(warning|error):' "$log"
}

mk() { make -s -C "$top" ARCH="$arch" BUILD="$build" "$@"; }

kernels=$("$top/scripts/kernels.sh" --arch "$arch" list)
run_args=()
if [ -n "$debug" ]; then
	record debug-kernel "$top/scripts/debug-kernel.sh"
	dbg=$(tail -n 1 "$logs/debug-kernel.log")
	record build-debug mk module KDIR="$dbg/build"
	run_args=(--debug-kernel "$dbg")
	kernels=
fi
for k in $kernels; do
	record "build-W1-$k" no_warnings "$logs/w1-$k.out" \
		mk module W=1 KDIR="/usr/src/linux-headers-$k"
	record "sparse-$k" no_warnings "$logs/sparse-$k.out" \
		mk module C=2 KDIR="/usr/src/linux-headers-$k"
done
record checkpatch mk checkpatch
record selftests-build mk selftests

if [ $# -eq 0 ]; then
	# Every scenario but the demo that 'make run' boots, and the audit
	# variant of those that ask for one.
	for f in "$vm"/scenarios/*.scn; do
		name=$(basename "$f" .scn)
		[ "$name" = run ] && continue
		grep -q '^DEBUG_ONLY=1$' "$f" && [ -z "$debug" ] && continue
		set -- "$@" "$name"
		grep -q '^AUDIT_VARIANT=1$' "$f" && [ -z "$debug" ] && set -- "$@" "$name+audit"
	done
fi
"$vm/run.sh" --arch "$arch" --build "$build" --results "$results" "${run_args[@]}" "$@" |
	grep -Ev '^[0-9]+ passed, ' || true

# make bench's tooling, end to end on a tiny run: the guests' figures
# parsed, the table with its ratios and the chart written.
bench_tiny() {
	local out=$build/bench-tiny
	rm -rf "$out"
	"$top/bench/run.sh" --tiny --build "$build" --out "$out" &&
		grep -E '^\| fio-null-randread-4k-qd1 \| IOPS \| [0-9]+ \| [0-9]+ .*\([0-9.]+x\) \|$' "$out/results.md" &&
		grep -E '^\| map-size-4096-threads-1 \| ns per map\+unmap \|' "$out/results.md" &&
		head -c 8 "$out/ratios.png" | cmp -s - <(printf '\211PNG\r\n\032\n')
}
if [ $# -eq 0 ] && [ -z "$debug" ]; then
	record bench-tiny bench_tiny
fi

"$vm/summary.sh" "$results"
