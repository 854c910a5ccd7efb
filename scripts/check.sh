#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What 'make check' runs: the host-side checks (a warning-free W=1 build
# and sparse for every target kernel, checkpatch) and then the scenarios
# in QEMU guests of every target kernel (which ones where: below). Each
# check is one result line; the last line printed is the "N passed, N
# failed" summary.
#
#   check.sh [--arch A]... [--build DIR] [--debug] [SCENARIO...]
#
# Each --arch adds a guest architecture (default: the host's); a scenario
# runs on the architectures its ARCHES variable names (default x86_64).
#
# --debug: the same on a debug kernel built from linux-source-6.1
# (DMA-API debug, KASAN, lockdep, kmemleak, debug objects, fault
# injection), which scripts/debug-kernel.sh builds once and caches.

set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
arches=()
build=$top/build
debug=
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arches+=("$2"); shift 2 ;;
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

# kbuild's own "C=2 specified, but sparse is not available" is a warning
# too: sparse would have checked nothing.
no_warnings() { # no_warnings LOG COMMAND...: the command passes, printing no warning
	local log=$1
	shift
	"$@" >"$log" 2>&1 || { cat "$log"; return 1; }
	! grep -E '(warning|error):|is not available or not up to date' "$log"
}

[ ${#arches[@]} -gt 0 ] || arches=("$(uname -m)")

# The run's seed: it draws the configuration sweep below and which end
# kernel runs each scenario that is not core, each audit variant and each
# of the sweep's draws. VPD_SWEEP_SEED=N repeats a run's draws.
seed=${VPD_SWEEP_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
case $seed in
'' | *[!0-9]*) echo "check.sh: VPD_SWEEP_SEED=$seed: expected a number" >&2; exit 2 ;;
esac
seed=$((10#$seed))
[ -n "$debug" ] || [ $# -gt 0 ] ||
	echo "# seed $seed (VPD_SWEEP_SEED=$seed make check draws the same sweep and audit split)"
# shell_syntax: every shell script parses, by the shells that run it
# (an apostrophe in a comment of a quoted awk program once ended the
# quote, and a benchmark report with it, unseen): sh scripts by dash and
# by busybox, which runs them in the guests. The two sourced libraries
# have no #! line: lib.sh is the tests' (sh), arch.sh run.sh's (bash). A
# .sh file with another #! line fails: it would not be checked.
shell_syntax() {
	local f shells sh bad=0
	while IFS= read -r f; do
		case $f in
		*/selftests/virtio_dma/lib.sh) shells="sh busybox" ;;
		*/vm/arch.sh) shells=bash ;;
		*)
			case $(head -n 1 "$f") in
			'#!/bin/bash'* | '#!/usr/bin/env bash'*) shells=bash ;;
			'#!/bin/sh'*) shells="sh busybox" ;;
			'#!/bin/busybox sh'*) shells=busybox ;;
			*)
				case $f in
				*.sh) echo "$f: not a #! line this check knows"; bad=1 ;;
				esac
				continue
				;;
			esac
			;;
		esac
		for sh in $shells; do
			if [ "$sh" = busybox ]; then
				busybox sh -n "$f"
			else
				"$sh" -n "$f"
			fi || { echo "$f: does not parse ($sh -n)"; bad=1; }
		done
	done < <(cd "$top" && project_files |
		while IFS= read -r f; do
			[ -f "$f" ] && { [[ $f == *.sh ]] || [ -x "$f" ]; } && echo "$top/$f"
		done)
	return $bad
}

# project_files: the project's files, not what a build or a run left.
project_files() {
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files -co --exclude-standard
	else
		find . \( -path ./build -o -path ./.git \) -prune -o -type f -print |
			sed 's|^\./||'
	fi
}

record checkpatch make -s -C "$top" BUILD="$build" checkpatch
[ -n "$debug" ] || record docs "$top/scripts/docs-check.sh"
[ -n "$debug" ] || record shell-syntax shell_syntax

# scripts/compat-probe.sh over every target's headers, and over headers
# with each known form taken out (scripts/compat-check.sh).
kdirs=()
for arch in "${arches[@]}"; do
	for k in $("$top/scripts/kernels.sh" --arch "$arch" list); do
		kdirs+=("$("$top/scripts/kernels.sh" --arch "$arch" kdir "$k")")
	done
done
[ ${#kdirs[@]} -eq 0 ] || record compat-probes "$top/scripts/compat-check.sh" "${kdirs[@]}"

# make deb, then DKMS building what the package installs for every
# kernel the host's compiler builds for, in a DKMS tree of its own (the
# host's is left alone).
deb_check() {
	local d=$build/deb-check k v
	make -s -C "$top" BUILD="$build" deb || return 1
	rm -rf "$d" && mkdir -p "$d/dkms"
	dpkg-deb -x "$build"/deb/virtio-pci-dma-dkms_*_all.deb "$d/root" || return 1
	v=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$d"/root/usr/src/virtio-pci-dma-*/dkms.conf)
	[ -f "$d/root/usr/src/virtio-pci-dma-$v/dkms.conf" ] ||
		{ echo "deb: dkms.conf says version '$v'"; return 1; }
	for k in $("$top/scripts/kernels.sh" list); do
		[ -z "$("$top/scripts/kernels.sh" builder "$("$top/scripts/kernels.sh" kdir "$k")")" ] ||
			continue
		dkms build --sourcetree "$d/root/usr/src" --dkmstree "$d/dkms" \
			-m virtio-pci-dma -v "$v" -k "$k" || return 1
		ls "$d/dkms/virtio-pci-dma/$v/$k"/*/module/virtio_pci_dma.ko* || return 1
	done
}
[[ " ${arches[*]} " != *" x86_64 "* ]] || [ -n "$debug" ] || record deb deb_check
# The Debian images (vm/debian.sh boots them at the end) need only the
# package: made now, beside the builds below, which keep one core busy
# at most, rather than on their own after the guests; niced, should they
# outlast the builds (a first run makes the base root too).
images_pid=
if [ $# -eq 0 ] && [ -z "$debug" ] && [[ " ${arches[*]} " == *" x86_64 "* ]] &&
	deb=$(ls "$build"/deb/virtio-pci-dma-dkms_*_all.deb 2>/dev/null | tail -n 1) &&
	[ -n "$deb" ]; then
	# A process group of its own (debootstrap, apt, DKMS under it), all
	# stopped with check.sh; only while it runs (its pid could be reused).
	setsid nice -n 19 "$top/scripts/debian-guest.sh" images "$deb" "$build/debian" \
		>"$build/debian-images.log" 2>&1 &
	images_pid=$!
	trap '[ -z "$images_pid" ] || ! jobs -pr | grep -qx "$images_pid" ||
		kill -- -"$images_pid" 2>/dev/null' EXIT
fi
# The virtio-dma tool over a made-up sysfs (tools/virtio-dma/tool-check.sh).
[ -n "$debug" ] || record tool "$top/tools/virtio-dma/tool-check.sh" "$build/tool-check"

# scenarios ARCH [core]: every scenario for ARCH but the demo that 'make
# run' boots, and the audit variant of those that ask for one; with
# "core", only the core ones (CORE=1).
scenarios() {
	local f name on
	for f in "$vm"/scenarios/*.scn; do
		name=$(basename "$f" .scn)
		[ "$name" = run ] && continue
		[ -z "${2:-}" ] || grep -q '^CORE=1$' "$f" || continue
		on=$(sed -n 's/^ARCHES="\(.*\)"$/\1/p' "$f")
		case " ${on:-x86_64} " in *" $1 "*) ;; *) continue ;; esac
		grep -q '^DEBUG_ONLY=1$' "$f" && [ -z "$debug" ] && continue
		grep -q '^NOT_DEBUG=1$' "$f" && [ -n "$debug" ] && continue
		echo "$name"
		grep -q '^AUDIT_VARIANT=1$' "$f" && [ -z "$debug" ] && echo "$name+audit"
	done
}

# split_ends SEED OLDEST NEWEST CORE NAME...: the names, each but the
# core scenarios (CORE, a space-separated list) bound to one of the two
# kernels (run.sh's NAME@KERNEL), alternately from a start the seed draws
# (so a seed repeats a split only for the same set of scenarios). Audit
# variants, of core scenarios too, are bound; not a scenario that needs a
# kernel configuration (NEEDS_CONFIG), which one end may lack: run.sh
# skips it there.
split_ends() {
	local seed=$1 old=$2 new=$3 core=" $4 " n name
	shift 4
	n=$seed
	for name in "$@"; do
		if [ "$old" = "$new" ] || [[ $core == *" $name "* ]] ||
			grep -qs '^NEEDS_CONFIG=' "$vm/scenarios/${name%%+*}.scn"; then
			echo "$name"
			continue
		fi
		if [ $((n % 2)) -eq 0 ]; then
			echo "$name@$old"
		else
			echo "$name@$new"
		fi
		n=$((n + 1))
	done
}

# tree_stamp: what a debug pass tests of the project, the files that its
# builds and guests use (not the documentation nor the benchmark), taken
# before the builds: a file edited later changes the stamp of the next
# pass, not what this one ran. With the debug kernel, the pass's stamp:
# a pass may take longer than a working session; run again on the same,
# it goes on where it stopped, keeping the result of every guest that
# passed (run.sh --resume); a change to one of those files starts it
# over, as does VPD_DEBUG_FRESH=1.
tree_stamp() (
	cd "$top" && project_files | grep -Ev '^(Documentation|bench)/|\.md$' |
		LC_ALL=C sort | while IFS= read -r f; do
		[ -f "$f" ] && printf '%s\n' "$f" && cat "$f"
	done | sha256sum | cut -c1-16
)
[ -z "$debug" ] || tree=$(tree_stamp)

mk() { make -s -C "$top" ARCH="$arch" BUILD="$build" "$@"; }

# Every architecture's builds before any guest: two guests take both
# cores from then on. One pass a kernel, W=1 and sparse (C=2) together.
for arch in "${arches[@]}"; do
	if [ -n "$debug" ]; then
		record debug-kernel "$top/scripts/debug-kernel.sh"
		dbg=$(tail -n 1 "$logs/debug-kernel.log")
		record build-debug mk module KDIR="$dbg/build"
		# A fresh pass's results are kept for the next one too.
		[ "${VPD_DEBUG_FRESH:-0}" != 1 ] || rm -f "$build"/vm/*/*.stamp
	else
		kernels=$("$top/scripts/kernels.sh" --arch "$arch" list)
		[ -n "$kernels" ] ||
			echo "not ok host/kernels-$arch (none installed: run 'make deps')" | tee -a "$results"
		for k in $kernels; do
			kdir=$("$top/scripts/kernels.sh" --arch "$arch" kdir "$k")
			record "build-W1-sparse-$k" no_warnings "$logs/build-$k.out" \
				mk module W=1 C=2 KDIR="$kdir"
		done
	fi
	record "selftests-build-$arch" mk selftests
	record "kselftest-install-$arch" mk kselftest-install
done

for arch in "${arches[@]}"; do
	run_args=()
	if [ -n "$debug" ]; then
		run_args=(--debug-kernel "$dbg")
		# Not when a host check failed: after a failed build the
		# guests would run what an earlier one left, under this
		# tree's stamp.
		grep -q '^not ok host/' "$results" ||
			run_args+=(--resume "$(printf '%s %s' "$(basename "$dbg")" "$tree" | sha256sum | cut -c1-16)")
	fi

	run() { # run [--kernel K]... SCENARIO...
		"$vm/run.sh" --arch "$arch" --build "$build" --results "$results" \
			"${run_args[@]}" "$@" | grep -Ev '^[0-9]+ passed, ' || true
	}
	if [ $# -gt 0 ]; then
		run "$@"
		continue
	fi
	mapfile -t names < <(scenarios "$arch")
	[ ${#names[@]} -gt 0 ] || continue
	if [ -n "$debug" ]; then
		run "${names[@]}"
		continue
	fi
	# The core scenarios (the platform's ops, swiotlb, IOMMU bypass,
	# pool, hotplug, the installed kselftest suite) on both ends, where
	# the kernel's APIs differ most, and on the kernels between, which
	# share their APIs with one end or the other but are other builds
	# (compiler, configuration, backports): each on one of them, as the
	# seed draws, so that over runs each meets both. Every other scenario,
	# and every audit variant (the same guests with audit=1), once: on
	# the oldest or the newest kernel as the seed draws, alternately, so
	# that over runs each meets both ends' APIs. All of them on all four
	# would not fit make check's time, nor all of them on both ends.
	mapfile -t newest < <("$top/scripts/kernels.sh" --arch "$arch" newest)
	[ ${#newest[@]} -gt 0 ] || continue
	ends=(--kernel "${newest[0]}") middle=()
	[ ${#newest[@]} -eq 1 ] || ends+=(--kernel "${newest[-1]}")
	for k in "${newest[@]:1:${#newest[@]}-2}"; do
		middle+=(--kernel "$k")
	done
	mapfile -t core < <(scenarios "$arch" core | grep -v '+audit$')
	mapfile -t names < <(split_ends "$seed" "${newest[0]}" "${newest[-1]}" \
		"${core[*]}" "${names[@]}")
	run "${ends[@]}" "${names[@]}"
	[ ${#middle[@]} -gt 0 ] && [ ${#core[@]} -gt 0 ] || continue
	# The kernels between share the core scenarios as the ends share the
	# others (the installed suite too: two of its guests there took
	# make check to its 40 minutes).
	mapfile -t core < <(split_ends "$seed" "${middle[1]}" "${middle[-1]}" \
		"" "${core[@]}")
	run "${middle[@]}" "${core[@]}"
done

# The configuration sweep (scripts/sweep.sh): a few draws from the whole
# space the module accepts, on the first architecture, new each run. The
# seed is printed; VPD_SWEEP_SEED repeats a run's draws, VPD_SWEEP_COUNT
# sets how many.
# x86 guests only: the space has intel-iommu and 4 KiB pages.
sweep() {
	local seed=$1 names
	"$top/scripts/sweep.sh" --seed "$seed" --count "${VPD_SWEEP_COUNT:-3}" \
		--out "$build/sweep" | sed 's/^/# sweep: /' || return 1
	mapfile -t names < <(cd "$build/sweep" && ls -- *.scn | sed 's/\.scn$//')
	[ ${#names[@]} -gt 0 ] || return 1
	# Each on the oldest or the newest kernel, as the other scenarios
	# that are not core.
	local ks old new
	mapfile -t ks < <("$top/scripts/kernels.sh" --arch x86_64 newest)
	old=${ks[0]} new=${ks[-1]}
	local kargs=(--kernel "$old")
	[ "$old" = "$new" ] || kargs+=(--kernel "$new")
	mapfile -t names < <(split_ends "$seed" "$old" "$new" "" "${names[@]}")
	"$vm/run.sh" --arch x86_64 --build "$build" --results "$results" \
		"${kargs[@]}" --scenario-dir "$build/sweep" "${names[@]}" |
		grep -Ev '^[0-9]+ passed, '
	return 0
}
if [ $# -eq 0 ] && [ -z "$debug" ] && [[ " ${arches[*]} " == *" x86_64 "* ]]; then
	record "sweep-drawn-$seed" sweep "$seed"
	grep -E '^(# sweep: |(not )?ok )' "$logs/sweep-drawn-$seed.log" || true
fi

# The test a user would run: a Debian 12 guest with the package
# installed, booting from it (vm/debian.sh).
if [ $# -eq 0 ] && [ -z "$debug" ] && [[ " ${arches[*]} " == *" x86_64 "* ]]; then
	# Images that failed are made again there, which says why.
	reuse=()
	if [ -n "$images_pid" ]; then
		if wait "$images_pid"; then
			reuse=(--reuse)
		else
			echo "# debian: the images made beside the builds failed ($build/debian-images.log); again:"
		fi
		images_pid=
	fi
	"$vm/debian.sh" --build "$build" --results "$results" "${reuse[@]}" || true
fi

# make bench's tooling, end to end on a tiny run: the guests' figures
# parsed, the table with its ratios and the chart written.
bench_tiny() {
	local out=$build/bench-tiny
	rm -rf "$out"
	"$top/bench/run.sh" --tiny --build "$build" --out "$out" &&
		grep -E '^\| fio-null-randread-4k-qd1 \| IOPS \| [0-9]+ \| [0-9]+ .*\([0-9.]+x\??\) \|$' "$out/results.md" &&
		grep -E '^\| map-size-4096-threads-1 \| ns per map\+unmap \|' "$out/results.md" &&
		head -c 8 "$out/ratios.png" | cmp -s - <(printf '\211PNG\r\n\032\n')
}
if [ $# -eq 0 ] && [ -z "$debug" ]; then
	arch=${arches[0]}
	record bench-tiny bench_tiny
fi

"$vm/summary.sh" "$results"
