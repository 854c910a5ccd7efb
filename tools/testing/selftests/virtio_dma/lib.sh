# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the virtio_dma shell tests. The tests run in the QEMU
# guests of vm/run.sh and, as kselftests, on any machine with the module.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

VPD_MODULE=virtio_pci_dma
# The transport whose devices the tests use, from the environment (a
# scenario's variables, kselftest's): virtio-pci runs a load test such as
# poolstress.sh on the in-tree transport to compare; tests that check
# this module's sysfs fail there.
VPD_DRIVER=${VPD_DRIVER:-virtio-pci-dma}
VPD_DRIVER_DIR=/sys/bus/pci/drivers/$VPD_DRIVER

vpd_log() { echo "$*"; }
vpd_fail() { echo "FAIL: $*"; exit $KSFT_FAIL; }
vpd_skip() { echo "SKIP: $*"; exit $KSFT_SKIP; }
# vpd_absent WHAT: a device the test needs is not there. In the runner's
# scenarios, which give each test its device, that is a failure (a driver
# that could not set up its queues, say), not a skip; elsewhere the
# guest may just lack it.
vpd_absent() {
	[ -z "${VPD_SCENARIO:-}" ] || vpd_fail "$* (the scenario has one)"
	vpd_skip "$*"
}

# vpd_host REQUEST: asks the runner's host agent (vm/run.sh) for something,
# on the console at once: a test's own output reaches it only at the end.
vpd_host() { echo "vpd-host: $*" >/dev/console; }

# vpd_check DESCRIPTION COMMAND...: one assertion, said either way.
vpd_check() {
	desc=$1
	shift
	if "$@"; then
		echo "ok: $desc"
	else
		vpd_fail "$desc"
	fi
}

# Rebinding virtio devices and overwriting virtio disks is what these
# tests do: on anything but a test machine that may take the root disk.
# The QEMU guests of vm/run.sh set VPD_DESTRUCTIVE=1.
vpd_require_destructive() {
	[ "${VPD_DESTRUCTIVE:-0}" = 1 ] ||
		vpd_skip "rebinds virtio devices and overwrites virtio disks: set VPD_DESTRUCTIVE=1 on a test machine"
}

vpd_loaded() { [ -d /sys/module/$VPD_MODULE ]; }

# vpd_param NAME: a parameter of the loaded module, or nothing.
vpd_param() { cat "/sys/module/$VPD_MODULE/parameters/$1" 2>/dev/null; }

# vpd_require_param NAME VALUE: skips, saying why, unless the module was
# loaded with NAME=VALUE (a test of one mode run in any guest).
#
# In the runner's scenarios (VPD_SCENARIO set) the scenario set the
# parameters: a mismatch there fails.
vpd_require_param() {
	[ "$(vpd_param "$1")" = "$2" ] && return 0
	[ -n "${VPD_SCENARIO:-}" ] &&
		vpd_fail "the scenario's module has $1='$(vpd_param "$1")', not $2"
	vpd_skip "needs the module loaded with $1=$2 (it has '$(vpd_param "$1")')"
}

vpd_load() {
	vpd_require_destructive
	modinfo $VPD_MODULE >/dev/null 2>&1 || vpd_skip "module $VPD_MODULE not installed"
	modprobe $VPD_MODULE "$@"
}

# Unloads the module alone: busybox's modprobe -r also tries the virtio
# core modules it depends on, and fails where a virtio driver holds them.
vpd_unload() {
	vpd_require_destructive
	vpd_holds_iommu &&
		vpd_skip "the module drives a virtio-iommu and stays loaded (design.rst)"
	rmmod $VPD_MODULE
}

# The virtio-iommus on our transport, one PCI address a line.
vpd_our_iommus() {
	for _vpd_i in $(vpd_virtio_iommus); do
		[ "$(vpd_driver_of "$_vpd_i")" = "$VPD_DRIVER" ] && echo "$_vpd_i"
	done
}

# The module drives a virtio-iommu, so it cannot be unloaded.
vpd_holds_iommu() { [ -n "$(vpd_our_iommus)" ]; }

# Lines of dmesg printed since the last vpd_dmesg_mark.
# By time stamp, not by line: once the kernel's log buffer is full, old
# lines drop out as new ones come and a line count stands still.
vpd_dmesg_mark() {
	vpd_dmesg_from=$(dmesg | sed -n 's/^\[ *\([0-9]*\.[0-9]*\)\].*/\1/p' | tail -n 1)
}
vpd_dmesg_new() {
	dmesg | awk -v from="${vpd_dmesg_from:--1}" '
		match($0, /^\[ *[0-9]+\.[0-9]+\]/) {
			t = substr($0, 2, RLENGTH - 2) + 0
		}
		t > from + 0'
}

# Error lines of ours since the mark; an unsigned out-of-tree module's
# taint notices are expected, not errors.
vpd_dmesg_errors() {
	vpd_dmesg_new | grep -v -e 'taints kernel' -e 'module verification failed' |
		grep -Ei 'virtio.pci.dma.*(error|fail|refus)'
}

# A virtio-iommu (modern PCI device 0x1057) is the platform's IOMMU for
# the other virtio devices: it is bound first and unbound last, and the
# tests that take devices one by one never take it from under them.
vpd_is_iommu() { [ "$(cat "/sys/bus/pci/devices/$1/device")" = 0x1057 ]; }

# The virtio PCI devices of this machine but virtio-iommus, one PCI
# address a line.
vpd_virtio_pci_devices() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1af4 ] || continue
		vpd_is_iommu "${d##*/}" || echo "${d##*/}"
	done
}

# The virtio-iommu PCI devices of this machine.
vpd_virtio_iommus() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1af4 ] && vpd_is_iommu "${d##*/}" &&
			echo "${d##*/}"
	done
}

# The driver a PCI device is bound to, or nothing.
vpd_driver_of() {
	[ -e "/sys/bus/pci/devices/$1/driver" ] &&
		basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
}

# vpd_bind BDF [DRIVER]: takes the device from whatever driver has it
# (the in-tree virtio_pci is built in on some kernels) and offers it to
# ours, or to DRIVER.
vpd_bind() {
	to=${2:-$VPD_DRIVER}
	# The override first: a deferred probe running meanwhile (devices
	# behind a virtio-iommu that just came up) can then bind only DRIVER.
	echo "$to" >"/sys/bus/pci/devices/$1/driver_override"
	[ "$(vpd_driver_of "$1")" = "$to" ] && return 0
	vpd_release "$1"
	echo "$1" >/sys/bus/pci/drivers_probe 2>/dev/null
	[ "$(vpd_driver_of "$1")" = "$to" ]
}

# vpd_release BDF: takes the device from whatever driver has it.
vpd_release() {
	drv=$(vpd_driver_of "$1")
	[ -z "$drv" ] || echo "$1" >"/sys/bus/pci/drivers/$drv/unbind"
}

vpd_unbind() {
	[ "$(vpd_driver_of "$1")" = "$VPD_DRIVER" ] || return 0
	echo "$1" >"$VPD_DRIVER_DIR/unbind"
}

# Loads the module with the scenario's parameters unless it is loaded,
# and binds every virtio device to it.
vpd_setup() {
	vpd_require_destructive
	# shellcheck disable=SC2086
	vpd_loaded || vpd_load ${VPD_MODPARAMS:-}
	# Not "bdf": POSIX sh has no locals, and the tests use that name.
	for _vpd_setup_bdf in $(vpd_virtio_iommus); do
		vpd_take_iommu "$_vpd_setup_bdf"
	done
	# Its driver binds it where it is: on our transport if it moved.
	[ -z "$(vpd_virtio_iommus)" ] || modprobe virtio_iommu 2>/dev/null
	for _vpd_setup_bdf in $(vpd_virtio_pci_devices); do
		vpd_bind "$_vpd_setup_bdf" || echo "could not bind $_vpd_setup_bdf"
	done
	return 0
}

# vpd_iommu_driven BDF: the virtio-iommu on BDF has its driver.
vpd_iommu_driven() {
	_vpd_v=$(vpd_vdev_of "$1")
	[ -n "$_vpd_v" ] && [ -e "$_vpd_v/driver" ]
}

# vpd_take_iommu BDF: moves a virtio-iommu to our transport, but only
# before its driver binds (unbinding a bound one oopses the kernel,
# design.rst), and only after every virtio device on another transport
# let go (they would translate through it).
vpd_take_iommu() {
	[ "$(vpd_driver_of "$1")" = "$VPD_DRIVER" ] && return 0
	if vpd_iommu_driven "$1"; then
		echo "# $1: the virtio-iommu stays on $(vpd_driver_of "$1"): its driver is bound"
		return 0
	fi
	for _vpd_iommu_ep in $(vpd_virtio_pci_devices); do
		[ "$(vpd_driver_of "$_vpd_iommu_ep")" = "$VPD_DRIVER" ] ||
			vpd_release "$_vpd_iommu_ep"
	done
	vpd_bind "$1" || echo "could not bind $1"
}

# The PCI address of the device nearest above a sysfs path, e.g. of
# /sys/block/vda/device (a virtio device, whose parent is the PCI one) or
# of /sys/block/sda/device (a SCSI device, further down).
vpd_bdf_of() {
	p=$(readlink -f "$1")
	while [ "$p" != / ] && [ -n "$p" ]; do
		case ${p##*/} in
		[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7])
			echo "${p##*/}"
			return 0
			;;
		esac
		p=${p%/*}
	done
	return 1
}

# The virtio device on PCI device BDF (not its virtio_dma attributes).
vpd_vdev_of() {
	ls -d "/sys/bus/pci/devices/$1"/virtio[0-9]* 2>/dev/null | head -n 1
}

vpd_mode() { cat "/sys/bus/pci/devices/$1/virtio_dma/mode"; }

# vpd_packed VDEV: the virtio device (its sysfs directory) negotiated a
# packed ring. features lists bits as 0/1 characters; bit 34 is
# VIRTIO_F_RING_PACKED.
vpd_packed() { [ "$(cut -c35 "$1/features")" = 1 ]; }

# The virtio devices on our transport that negotiated a packed ring, each
# after a space.
vpd_packed_devices() {
	for _vpd_v in /sys/bus/virtio/devices/*; do
		[ "$(vpd_driver_of "$(vpd_bdf_of "$_vpd_v")")" = "$VPD_DRIVER" ] || continue
		vpd_packed "$_vpd_v" && printf ' %s' "${_vpd_v##*/}"
	done
}

# What the module said since the mark of something a teardown left
# behind: a mapping or an allocation outstanding, a leak, an audit
# finding (not the audit's note that it cannot see a device's calls, nor
# the kernel's own audit subsystem). A device's lines name our driver,
# or its bus once the driver let go of it.
vpd_leftovers() {
	vpd_dmesg_new |
		grep -E '(virtio.pci.dma|pci [0-9a-f]{4}:).*(still outstanding|still allocated|leaked|audit: )' |
		grep -v 'cannot be observed'
}

# vpd_stat BDF COUNTER: a debugfs counter of the device.
vpd_stat() { cat "/sys/kernel/debug/virtio_dma/$1/$2"; }

# The devices of a class bound through us: vpd_ours /sys/block/vd*
vpd_ours() {
	for p in "$@"; do
		[ -e "$p/device" ] || continue
		[ "$(vpd_driver_of "$(vpd_bdf_of "$p/device")")" = "$VPD_DRIVER" ] &&
			echo "$p"
	done
}

# vpd_wait_idle BDF: waits (up to 10 s) until no mapping is outstanding.
vpd_wait_idle() {
	i=0
	while [ "$(vpd_stat "$1" outstanding)" != 0 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(vpd_stat "$1" outstanding)" = 0 ]
}

# vpd_queues_at_rest BDF: every virtqueue of BDF has all its descriptors
# free and, on a split ring, the device has used all the driver made
# available (debugfs "queues"); waits up to 10 s for that. For a device
# with no buffer posted at rest (a disk), after its I/O.
vpd_queues_at_rest() {
	i=0
	while [ $i -lt 100 ]; do
		awk '{ delete v; for (f = 3; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
			if (v["free"] != v["size"] || v["avail"] != v["used"]) bad = 1 }
			END { exit bad || NR == 0 }' "/sys/kernel/debug/virtio_dma/$1/queues" &&
			return 0
		sleep 0.1
		i=$((i + 1))
	done
	sed 's/^/# /' "/sys/kernel/debug/virtio_dma/$1/queues"
	return 1
}

# The block device name (vda, sda) of a disk on PCI device BDF.
vpd_disk_of() {
	for d in /sys/block/*; do
		[ -e "$d/device" ] || continue
		[ "$(vpd_bdf_of "$d/device")" = "$1" ] && echo "${d##*/}" && return 0
	done
	return 1
}

# vpd_wait_disk BDF: waits (up to 10 s) for the disk of BDF to appear.
vpd_wait_disk() {
	i=0
	while ! vpd_disk_of "$1" >/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	vpd_disk_of "$1"
}

# vpd_data_check BDF MiB: a checksummed data check on the disk of BDF.
vpd_data_check() {
	disk=$(vpd_wait_disk "$1") || { echo "no disk on $1"; return 1; }
	VPD_DEV=/dev/$disk VPD_SIZE_MB=$2 "$(dirname "$0")/vpd_blk" >"/tmp/vpd_blk.$1.out" 2>&1
	rc=$?
	grep -E 'wrote|not ok' "/tmp/vpd_blk.$1.out"
	return $rc
}

# The first virtio-blk PCI device bound to us.
vpd_blk_bdf() {
	disk=$(vpd_ours /sys/block/vd* | head -n 1)
	[ -n "$disk" ] && vpd_bdf_of "$disk/device"
}

# vpd_lower: the (sub)shell it runs in, and all that shell forks from
# then on, yields to everything else. Background loads call it first:
# they must not starve the kernel's deferred work (on a debug kernel,
# the RCU callbacks that free kmemleak's records, see vm/init.sh) nor
# the test's own steps.
vpd_lower() {
	# A builtin's redirection: /proc/self is this shell, not a child.
	read -r self _ </proc/self/stat
	renice 19 -p "$self" >/dev/null
}

# vpd_reader DISK [BS]: reads DISK with O_DIRECT in BS blocks (default
# VPD_READER_BS, else 64k) until it fails or is killed (SIGTERM, which
# ends its dd too); prints its pid. A block above max_sectors_kb is split
# into requests that are all in flight at once.
vpd_reader() {
	# Its output must not hold the caller's $(...) open. dd runs in the
	# background so that the trap runs at once, not when dd has read the
	# whole disk.
	# $dd is set only while that dd may run: a TERM between starting one
	# and taking its pid is acted on after.
	(vpd_lower
	dd='' stop=''
	trap 'stop=1; [ -z "$dd" ] || { kill $dd; wait $dd; exit 0; }' TERM
	while [ -z "$stop" ]; do
		dd if="/dev/$1" of=/dev/null bs="${2:-${VPD_READER_BS:-64k}}" iflag=direct 2>/dev/null &
		dd=$!
		[ -z "$stop" ] || break
		wait $dd || exit 1
		dd=''
	done
	[ -z "$dd" ] || { kill $dd; wait $dd; }
	exit 0) >/dev/null 2>&1 &
	echo $!
}

# vpd_ended PID [SECONDS]: waits for a background job to end by itself.
vpd_ended() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $((${2:-10} * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}
