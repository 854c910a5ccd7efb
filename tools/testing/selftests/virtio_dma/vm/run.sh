#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots QEMU guests that run the virtio_dma selftests against the module
# built for each target kernel, one guest per (kernel, scenario).
#
#   run.sh [--arch A] [--build DIR] [--kernel KVER]... [--jobs N]
#          [--results FILE] [--show] [--debug-kernel DIR]
#          [--scenario-dir DIR] [--extra-initrd CPIO] [--resume STAMP]
#          SCENARIO...
#
# --debug-kernel boots the kernel scripts/debug-kernel.sh built in DIR
# instead of Debian's, with longer timeouts and kmemleak checked.
# --resume keeps the result of every guest that passed under the same
# STAMP (make check-debug: the tree and the debug kernel) and runs only
# the others: a pass stopped midway goes on. A failure always runs again:
# a guest stopped midway, by a timeout or a signal, has failed too.
# --show prints what the tests printed, not only their results.
#
# --scenario-dir takes the scenarios from DIR (make bench's configurations)
# and --extra-initrd adds a cpio archive to every guest's initramfs (the
# benchmark tools).
#
# SCENARIO+audit runs a scenario with audit=1 and the audit's own check
# before the devices unbind. SCENARIO@KVER runs it on that kernel only
# (make check's split of the audit variants).
#
# Results come back as KTAP on the guest's serial console. A scenario
# fails on a missing result, a timeout, or a bad line in the guest's dmesg.
# Every console log stays under DIR/vm/<kernel>/.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../../.." && pwd)
arch=$(uname -m)
build=$top/build
kernels=()
jobs=$(nproc)
results=
show=
debug_dir=
scenario_dir=$here/scenarios
extra_initrd=
resume=

while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--kernel) kernels+=("$2"); shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--show) show=1; shift ;;
	--debug-kernel) debug_dir=$2; shift 2 ;;
	--scenario-dir) scenario_dir=$(cd "$2" && pwd); shift 2 ;;
	--extra-initrd) extra_initrd=$2; shift 2 ;;
	--resume) resume=$2; shift 2 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || { echo "run.sh: no scenario given" >&2; exit 2; }
if [ -n "$debug_dir" ]; then
	kernels=("$(cat "$debug_dir/build/include/config/kernel.release")")
fi
# shellcheck source=arch.sh
. "$here/arch.sh"
arch_select "$arch"

[ ${#kernels[@]} -gt 0 ] || mapfile -t kernels < <("$top/scripts/kernels.sh" --arch "$vm_arch" newest)
[ ${#kernels[@]} -gt 0 ] || { echo "run.sh: no target kernel installed; run 'make deps'" >&2; exit 1; }

selftests=$build/selftests-$vm_arch
[ -d "$selftests" ] || { echo "run.sh: $selftests missing; run 'make selftests'" >&2; exit 1; }

# What a guest must never print; any of these fails the scenario.
bad_dmesg='BUG:|WARNING:|Oops|kernel BUG at|: 0000 \[#[0-9]+\]|general protection|DMAR: DRHD: handling fault|DMAR: \[DMA|swiotlb buffer is full|refcount_t|list_add corruption|page allocation failure|suspected memory leak|unreferenced object|leak detector disabled'
[ -z "$(arch_bad_dmesg)" ] || bad_dmesg="$bad_dmesg|$(arch_bad_dmesg)"

# The debug kernel's own modules and image; KASAN under TCG is slow.
modroot() {
	if [ -n "$debug_dir" ]; then
		echo "$debug_dir"
	else
		arch_root "$1"
	fi
}
image_of() {
	if [ -n "$debug_dir" ]; then
		echo "$debug_dir/bzImage"
	else
		arch_image "$1"
	fi
}
# What QEMU boots: the kernel unpacked where that is quicker (arch.sh),
# unless the scenario asks for the bzImage (BOOT_BZIMAGE=1, as $2).
boot_image_of() {
	if [ "${2:-}" != 1 ] && [ -s "$build/vm/$1/vmlinux" ]; then
		echo "$build/vm/$1/vmlinux"
	else
		image_of "$1"
	fi
}
timeout_scale=1
debug_cmdline=
if [ -n "$debug_dir" ]; then
	# direct's tests take 20 times as long there, its boot and kmemleak
	# minutes more: it took 989 s, then 1,202 s (killed at four times
	# its timeout) and 1,499 s on busier hosts (2026-12-01).
	timeout_scale=6
	debug_cmdline=$(arch_debug_cmdline)
fi

# Kernel modules every guest carries; their dependencies come along.
guest_modules="virtio virtio_ring virtio_pci_modern_dev virtio_pci virtio_blk
	virtio_net virtio_scsi sd_mod virtio_console virtio_rng virtio_balloon
	9p 9pnet_virtio pktgen virtio_iommu"

# make_initramfs KVER DIR: a busybox root with the kernel's own virtio
# modules (decompressed: busybox insmod reads plain ELF), our module and
# the selftests, packed as an uncompressed cpio (TCG decompresses slowly).
make_initramfs() {
	local kver=$1 dir=$2 root=$2/root m
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt,run} "$root/lib/modules/$kver/extra"
	cp "$(arch_busybox)" "$root/bin/busybox"
	# The tool, where make install puts it on a guest (tool.sh).
	cp "$top/tools/virtio-dma/virtio-dma" "$root/bin/"
	cp "$here/init.sh" "$root/init"
	cp -r "$selftests" "$root/virtio_dma"
	# The suite installed from a kernel tree (make kselftest-install).
	[ ! -d "$build/kselftest-$vm_arch" ] || cp -r "$build/kselftest-$vm_arch" "$root/kselftest"
	cp -r "$scenario_dir" "$root/virtio_dma/scenarios"
	cp "$build/$kver/virtio_pci_dma.ko" "$build/$kver"/test-modules/*/*.ko \
		"$root/lib/modules/$kver/extra/"
	local mods
	mods=$(modroot "$kver")
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		cp "$mods/lib/modules/$kver/$f" "$root/lib/modules/$kver/"
	done
	for m in $guest_modules; do
		modprobe -d "$mods" -S "$kver" --show-depends "$m" 2>/dev/null || true
	done | awk '$1 == "insmod" { print $2 }' | sort -u | while read -r m; do
		local rel=${m#*/lib/modules/"$kver"/}
		mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
		case $m in
		*.xz) xz -dc "$m" >"$root/lib/modules/$kver/${rel%.xz}" ;;
		*.zst) zstd -qdc "$m" >"$root/lib/modules/$kver/${rel%.zst}" ;;
		*.gz) gzip -dc "$m" >"$root/lib/modules/$kver/${rel%.gz}" ;;
		*) cp "$m" "$root/lib/modules/$kver/$rel" ;;
		esac
	done
	depmod -b "$root" "$kver"
	# The kernel unpacks archives put end to end one after the other.
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$dir/initramfs.cpio"
	[ -z "$extra_initrd" ] || cat "$extra_initrd" >>"$dir/initramfs.cpio"
}

# scenario_var FILE VAR: the value a scenario file gives VAR, or "".
scenario_var() {
	(
		# shellcheck disable=SC1090
		. "$1"
		eval "printf '%s' \"\${$2:-}\""
	)
}

# The known race of QEMU 7.2's multi-threaded TCG (arch.sh): a vCPU runs
# a stale translation of code another just patched, and the guest dies of
# an int3 it never executed ("Oops: int3: 0000 [#1]" on 6.12, "int3: 0000
# [#1]" on 6.1).
textpoke_race='int3: 0000 \[#'

# kconfig_lacks KVER OPTION...: the first OPTION KVER's kernel was built
# without (neither built in nor a module), if any; a kernel whose config
# cannot be found lacks "its config".
kconfig_lacks() {
	local k=$1 cfg o
	shift
	[ $# -gt 0 ] || return 1
	cfg=$(modroot "$k")/usr/lib/modules/$k/config
	[ -f "$cfg" ] || cfg=$(modroot "$k")/boot/config-$k
	[ -z "$debug_dir" ] || cfg=$debug_dir/build/.config
	[ -f "$cfg" ] || { echo "its config"; return 0; }
	for o in "$@"; do
		grep -Eq "^$o=(y|m)$" "$cfg" || { echo "$o"; return 0; }
	done
	return 1
}

# run_one KVER SCENARIO: boots one guest and writes DIR/SCENARIO.result,
# one "ok|not ok NAME" line per test. A guest boots again, twice at most,
# and the result says so, only where it died of something before this
# module could play a part, so that QEMU or an early boot neither fails
# a run nor hides a failure of ours: a guest that never reached
# userspace (boot_watchdog), where the module is loaded; and, where its
# vCPUs run in parallel, one whose first bad dmesg line is the race's
# above with no test failed before, or whose QEMU died of a SIGSEGV
# before the first test began.
run_one() {
	local attempt why kind res=$build/vm/$1/$2.result work=$build/vm/$1/$2.work
	local lacks
	rm -f "$build/vm/$1/$2.retries" "$build/vm/$1/$2".{log,qemu}.{race,stall}*
	# A scenario for what a kernel was built without cannot run there.
	# shellcheck disable=SC2046
	if lacks=$(kconfig_lacks "$1" $(scenario_var "$scenario_dir/${2%%+*}.scn" NEEDS_CONFIG)); then
		if [ "$lacks" = "its config" ]; then
			echo "not ok $1/$2 # no kernel config found to check NEEDS_CONFIG" >"$res"
		else
			echo "ok $1/$2 # SKIP $lacks is not set in this kernel" >"$res"
		fi
		return 0
	fi
	for attempt in 1 2 3; do
		run_guest "$@"
		if stalled "$work" "$build/vm/$1/$2.log.clean"; then
			kind=stall why="a stall in early boot ($(cat "$work/boot-stalled"))"
		elif [ "$(scenario_var "$scenario_dir/${2%%+*}.scn" TCG_THREADS)" = multi ] &&
			why=$(qemu_fault "$res"); then
			kind=race
		else
			return 0
		fi
		cp "$build/vm/$1/$2.log" "$build/vm/$1/$2.log.$kind$attempt"
		cp "$work/qemu.out" "$build/vm/$1/$2.qemu.$kind$attempt" 2>/dev/null || :
		echo "# $1/$2: attempt $attempt died of $why$([ $attempt -lt 3 ] && echo ', booting again')" \
			>>"$build/vm/$1/$2.retries"
	done
}

# boot_watchdog LOG WORKDIR SECONDS: a guest whose /init has not said so
# on the console ("# vpd: userspace") after SECONDS stalled in early
# boot, before the module could be loaded (once, on the debug kernel, at
# "tsc: Unable to calibrate against PIT", where every other guest went
# on to bring up its second vCPU): its QEMU is stopped at once rather
# than at the scenario's timeout, and WORKDIR/boot-stalled says so. It
# lasts until the runner stops it (SIGTERM), so that the PID the runner
# signals is never another process's, and it leaves no sleep behind.
boot_watchdog() {
	local s
	trap 'kill $s 2>/dev/null; exit 0' TERM
	sleep "$3" &
	s=$!
	wait $s
	if ! grep -q '# vpd: userspace' "$1" 2>/dev/null; then
		echo "no userspace after ${3}s" >"$2/boot-stalled"
		kill "$(cat "$2/qemu.pid" 2>/dev/null)" 2>/dev/null || :
	fi
	sleep infinity &
	s=$!
	wait $s
}

# stalled WORKDIR LOG: did the boot watchdog stop this guest before
# userspace? A console with the test plan on it (LOG, cleaned) did reach
# userspace, whatever garbled the watchdog's line.
stalled() {
	[ -e "$1/boot-stalled" ] && ! grep -q '^1\.\.[0-9]' "$2"
}

# qemu_fault RESULT: did the guest die of a known fault of QEMU's
# multi-threaded TCG, and of nothing else? Says which.
#
# Besides the text-poke race, QEMU 7.2 itself can crash there: a SIGSEGV
# in memory_region_dispatch_write() (a NULL region) while the guest
# changes its memory map at boot, once in a stress-pool-iommu boot on the
# debug kernel under load, before any module loaded. Most likely a vCPU
# met the new dispatch table with a TLB entry of the old one, whose
# section index then points nowhere (QEMU 8.2 makes the update on the
# vCPU's own thread: 0d58c660689f "softmmu: Use async_run_on_cpu in
# tcg_commit"). Retried only when no test had begun.
qemu_fault() {
	if grep -m1 '^not ok .*/dmesg: ' "$1" | grep -Eq "$textpoke_race" &&
		! grep '^not ok ' "$1" | grep -Evq '/(dmesg: |completed |missing |timeout )'; then
		echo "QEMU's multi-threaded TCG race (int3)"
	elif grep -q '^not ok .*/completed (guest stopped early, qemu exit 139)$' "$1" &&
		grep -q '^not ok .*/plan (no KTAP plan on the console)$' "$1" &&
		[ "$(grep -c '^not ok ' "$1")" = 2 ]; then
		echo "a SIGSEGV of QEMU's multi-threaded TCG before the first test"
	else
		return 1
	fi
}

# run_guest KVER SCENARIO: one boot of run_one's.
run_guest() {
	local kver=$1 name=$2 dir=$build/vm/$1
	local scn=$scenario_dir/${name%%+*}.scn work=$dir/$name.work
	local log=$dir/$name.log res=$dir/$name.result
	local timeout devices iommu append mem smp trace threads rc=0 start bzimage
	timeout=$(scenario_var "$scn" TIMEOUT)
	bzimage=$(scenario_var "$scn" BOOT_BZIMAGE)
	devices=$(scenario_var "$scn" DEVICES)
	iommu=$(scenario_var "$scn" IOMMU)
	append=$(scenario_var "$scn" APPEND)
	mem=$(scenario_var "$scn" MEM)
	smp=$(scenario_var "$scn" SMP)
	trace=$(scenario_var "$scn" QEMU_TRACE)
	threads=$(scenario_var "$scn" TCG_THREADS)
	rm -rf "$work" && mkdir -p "$work"
	: >"$log"

	local args=()
	mem=${mem:-1024}
	# KASAN's shadow, kmemleak's records and SLUB's red zones: a debug
	# kernel needs about twice the memory for the same work.
	[ -z "$debug_dir" ] || mem=$((mem * 2))
	arch_machine_args args "$mem" "${smp:-1}" "$iommu" \
		"$(scenario_var "$scn" ICOUNT)" "$threads"
	# QEMU's own trace events (IOMMU invalidations, say) in a log of
	# their own, which the guest can mark.
	# QEMU_TRACE: one or more patterns, separated by spaces.
	local t
	for t in $trace; do
		args+=(-trace "$t")
	done
	[ -z "$trace" ] || args+=(-D "$work/trace.log")
	# A device may need the guest to run in a network namespace.
	local vm_netns= wrap=()
	arch_device_args args "$work" "$(scenario_var "$scn" DEVICE_OPTS)" $devices
	[ -n "$vm_netns" ] && wrap=(ip netns exec "$vm_netns")
	host_agent "$log" "$work" &
	start=$(date +%s)
	timeout=${timeout:-300}
	# A third of the timeout, a minute at least, four times that on the
	# debug kernel: a debug boot under KASAN reaches userspace in about a
	# minute and a half, others in seconds.
	local dog_secs=$((timeout / 3)) dog_min=60
	[ -z "$debug_dir" ] || dog_secs=$((dog_secs * 4)) dog_min=240
	timeout=$((timeout * timeout_scale))
	boot_watchdog "$log" "$work" $((dog_secs > dog_min ? dog_secs : dog_min)) &
	local dog=$!
	# In the runner's process group (--foreground), so that a signal to
	# the group stops the guests too rather than leaving them to run on.
	timeout --foreground --kill-after=10 "$timeout" \
		"${wrap[@]}" "$(arch_qemu)" "${args[@]}" -pidfile "$work/qemu.pid" \
		-qmp "unix:$work/qmp.sock,server=on,wait=off" \
		-kernel "$(boot_image_of "$kver" "$bzimage")" -initrd "$dir/initramfs.cpio" \
		-append "$(arch_cmdline) panic=-1 loglevel=5 vpd.scenario=$name vpd.timeout=$timeout $(arch_iommu_cmdline "$iommu") $(arch_threads_cmdline "$threads") $debug_cmdline $append" \
		-serial "file:$log" </dev/null >"$work/qemu.out" 2>&1 || rc=$?
	kill "$dog" 2>/dev/null || :
	wait "$dog" 2>/dev/null || :
	kill "$(cat "$work/agent.pid" 2>/dev/null)" 2>/dev/null || :
	arch_device_cleanup "$work"
	# What a scenario provokes on purpose; on the debug kernel also what
	# its checkers say of it (DMA-API debug of deliberate misuse).
	local allowed debug_allowed
	allowed=$(scenario_var "$scn" ALLOW_DMESG)
	debug_allowed=$(scenario_var "$scn" DEBUG_ALLOW_DMESG)
	[ -n "$debug_dir" ] && [ -n "$debug_allowed" ] &&
		allowed=${allowed:+$allowed|}$debug_allowed
	parse_log "$kver/$name" "$log" "$rc" "$(($(date +%s) - start))" \
		"$allowed" >"$res"
	! stalled "$work" "$log.clean" ||
		echo "not ok $kver/$name/boot ($(cat "$work/boot-stalled"))" >>"$res"
}

# qmp WORKDIR JSON: one command to the guest's QEMU monitor.
qmp() {
	(printf '%s\n%s\n' '{"execute":"qmp_capabilities"}' "$2"; sleep 1) |
		socat - "UNIX-CONNECT:$1/qmp.sock" >>"$1/qmp.log" 2>&1
}

# host_agent LOG WORKDIR: carries out what the guest asks of its host on
# the console: "vpd-host: del ID" unplugs a device, "vpd-host: add ID"
# plugs it in again (as arch_device_args recorded it), "vpd-host: mark
# NAME" notes how many QEMU trace lines came before NAME in WORKDIR/marks.
host_agent() {
	local log=$1 work=$2 line id
	{
		tail -F -n +1 "$log" 2>/dev/null &
		echo $! >"$work/agent.pid"
		wait
	} | while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"vpd-host: del "*)
			id=${line#vpd-host: del }
			qmp "$work" "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"$id\"}}"
			;;
		"vpd-host: add "*)
			id=${line#vpd-host: add }
			qmp "$work" "{\"execute\":\"device_add\",\"arguments\":$(cat "$work/$id.json")}"
			;;
		"vpd-host: mark "*)
			echo "${line#vpd-host: mark } $(cat "$work/trace.log" 2>/dev/null | wc -l)" \
				>>"$work/marks"
			;;
		esac
	done
}

# parse_log NAME LOG RC SECONDS [ALLOWED]: turns a console log into result
# lines. ALLOWED is a pattern of bad dmesg lines a scenario provokes on
# purpose (an exhaustion test fills swiotlb).
parse_log() {
	local name=$1 log=$2 rc=$3 secs=$4 allowed=${5:-^$} plan seen bad ended=
	tr -d '\r' <"$log" >"$log.clean"
	grep -q '^# vpd: done' "$log.clean" && ended=1
	grep -E '^(not )?ok [0-9]+ ' "$log.clean" | sed -E "s|^(not ok\|ok) [0-9]+ (.*)|\1 $name/\2|" || true
	plan=$(sed -n -E 's/^1\.\.([0-9]+)$/\1/p' "$log.clean" | head -n 1)
	seen=$(grep -cE '^(not )?ok [0-9]+ ' "$log.clean" || true)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "not ok $name/timeout (killed after ${secs}s)"
	elif [ -z "$ended" ]; then
		echo "not ok $name/completed (guest stopped early, qemu exit $rc)"
	fi
	if [ -z "$plan" ]; then
		echo "not ok $name/plan (no KTAP plan on the console)"
	elif [ "$seen" -lt "$plan" ]; then
		echo "not ok $name/missing ($((plan - seen)) of $plan results missing)"
	fi
	bad=$(grep -E "$bad_dmesg" "$log.clean" | grep -Ev "$allowed" | head -n 1 || true)
	if [ -n "$bad" ]; then
		echo "not ok $name/dmesg: $(echo "$bad" | cut -c1-160)"
	else
		echo "ok $name/dmesg clean"
	fi
	if [ -n "$bad" ] || [ -z "$ended" ]; then
		failure_context "$log.clean" "$bad"
	fi
	echo "# $name: ${secs}s"
}

# failure_context LOG BADLINE: the console lines that explain a failure,
# as diagnostics, because CI keeps the runner's output and not the guest
# logs: the report that starts at BADLINE, or else the console's end.
failure_context() {
	local n=
	[ -z "$2" ] || n=$(grep -nF -- "$2" "$1" | head -n 1 | cut -d: -f1)
	if [ -n "$n" ]; then
		sed -n "$n,$((n + 59))p" "$1"
	else
		tail -n 30 "$1"
	fi | cut -c1-200 | sed 's/^/#   /'
}

# One run at a time on a build directory: two would boot guests on the
# same files. Every guest inherits the lock, so a guest left running by a
# run stopped midway still holds it.
mkdir -p "$build/vm"
exec 9>"$build/vm/.lock"
flock -n 9 || { echo "run.sh: another run uses $build/vm (or its guests are still running)" >&2; exit 2; }
# The scenarios as they are now, for the guests' hosts as for their
# initramfs: an edit during a run that takes hours changes nothing in it.
rm -rf "$build/vm/.scenarios"
cp -r "$scenario_dir" "$build/vm/.scenarios"
scenario_dir=$build/vm/.scenarios

for k in "${kernels[@]}"; do
	[ -f "$build/$k/virtio_pci_dma.ko" ] || { echo "run.sh: module for $k not built; run 'make all-kernels'" >&2; exit 1; }
	mkdir -p "$build/vm/$k"
	make_initramfs "$k" "$build/vm/$k"
	# Unpacked once, not again at each of make check's run.sh calls: kept
	# while the image is the same file (dpkg dates a file by its build,
	# so an upgrade keeping the version can install an older date).
	vml=$build/vm/$k/vmlinux
	img=$(image_of "$k")
	id=$(stat -Lc '%d %i %s %Y' "$img" 2>/dev/null) || id=
	if [ -n "$debug_dir" ]; then
		rm -f "$vml" "$vml.src"
	elif [ ! -s "$vml" ] || [ "$(cat "$vml.src" 2>/dev/null)" != "$id" ]; then
		rm -f "$vml" "$vml.src"
		! arch_unpack_image "$img" "$vml" || echo "$id" >"$vml.src"
	fi
done

# Scenarios run side by side, one guest per core.
pairs=()
for a in "${scenarios[@]}"; do
	s=${a%%@*} only=
	[ "$s" = "$a" ] || only=${a#*@}
	[ -z "$only" ] || [[ " ${kernels[*]} " == *" $only "* ]] ||
		{ echo "run.sh: $a: $only is not among the kernels run" >&2; exit 2; }
	[ -f "$scenario_dir/${s%%+*}.scn" ] || { echo "run.sh: no scenario '$s'" >&2; exit 2; }
	b=$(scenario_var "$scenario_dir/${s%%+*}.scn" BOOT_BZIMAGE)
	case ${b:-0} in
	0 | 1) ;;
	*) echo "run.sh: $s: BOOT_BZIMAGE=$b (expected 0 or 1)" >&2; exit 2 ;;
	esac
	for k in "${kernels[@]}"; do
		[ -z "$only" ] || [ "$k" = "$only" ] || continue
		pairs+=("$k $s")
	done
done
[ ${#pairs[@]} -gt 0 ] || { echo "run.sh: no scenario for these kernels" >&2; exit 2; }
# Started longest first, as their TIMEOUT has it, so that no long guest
# runs alone at the end; reported in the order given.
mapfile -t order < <(for p in "${pairs[@]}"; do
	s=${p#* }
	t=$(scenario_var "$scenario_dir/${s%%+*}.scn" TIMEOUT)
	printf '%s\t%s\n' "${t:-300}" "$p"
done | sort -s -t $'\t' -k 1,1nr | cut -f 2-)
# passed KVER SCENARIO: a whole result without a failure.
passed() {
	[ -s "$build/vm/$1/$2.result" ] && ! grep -q '^not ok ' "$build/vm/$1/$2.result"
}

# kept KVER SCENARIO: its guest passed under this --resume stamp.
kept() {
	[ -n "$resume" ] && passed "$1" "$2" &&
		[ "$(cat "$build/vm/$1/$2.stamp" 2>/dev/null)" = "$resume" ]
}

running=0
nkept=0
for p in "${order[@]}"; do
	# shellcheck disable=SC2086
	if kept $p; then
		nkept=$((nkept + 1))
		continue
	fi
	rm -f "$build/vm/${p% *}/${p#* }.stamp"
	# The stamp once the result is whole, and only on a pass.
	# shellcheck disable=SC2086
	{
		run_one $p
		[ -z "$resume" ] || ! passed $p || echo "$resume" >"$build/vm/${p% *}/${p#* }.stamp"
	} &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait
[ "$nkept" -eq 0 ] ||
	echo "# $nkept guests kept from an earlier run of the same tree and kernel (--resume)"

all=$build/vm/results.txt
: >"$all"
for p in "${pairs[@]}"; do
	read -r k s <<<"$p"
	res=$build/vm/$k/$s.result
	[ -s "$res" ] || echo "not ok $k/$s/runner (no result file)" >"$res"
	[ -f "$build/vm/$k/$s.retries" ] && cat "$build/vm/$k/$s.retries"
	if [ -n "$show" ]; then
		echo "== $k: $s"
		sed -n 's/^# \([^#]\)/\1/p' "$build/vm/$k/$s.log.clean" | grep -v '^dmesg: \|^vpd: \|^selftests: '
	fi
	cat "$res"
	grep -E '^(not )?ok ' "$res" >>"$all" || true
done
[ -n "$results" ] && cat "$all" >>"$results"
"$here/summary.sh" "$all"
