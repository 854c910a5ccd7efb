# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the virtio_dma shell tests. The tests run in the QEMU
# guests of vm/run.sh and, as kselftests, on any machine with the module.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

VPD_MODULE=virtio_pci_dma
VPD_DRIVER=virtio-pci-dma
VPD_DRIVER_DIR=/sys/bus/pci/drivers/$VPD_DRIVER

vpd_log() { echo "$*"; }
vpd_fail() { echo "FAIL: $*"; exit $KSFT_FAIL; }
vpd_skip() { echo "SKIP: $*"; exit $KSFT_SKIP; }

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

vpd_loaded() { [ -d /sys/module/$VPD_MODULE ]; }

vpd_load() {
	modinfo $VPD_MODULE >/dev/null 2>&1 || vpd_skip "module $VPD_MODULE not installed"
	modprobe $VPD_MODULE "$@"
}

vpd_unload() { modprobe -r $VPD_MODULE; }

# Lines of dmesg printed since the last vpd_dmesg_mark.
vpd_dmesg_mark() { vpd_dmesg_from=$(dmesg | wc -l); }
vpd_dmesg_new() { dmesg | tail -n +$((${vpd_dmesg_from:-0} + 1)); }

# Error lines of ours since the mark; an unsigned out-of-tree module's
# taint notices are expected, not errors.
vpd_dmesg_errors() {
	vpd_dmesg_new | grep -v -e 'taints kernel' -e 'module verification failed' |
		grep -Ei 'virtio.pci.dma.*(error|fail|refus)'
}
