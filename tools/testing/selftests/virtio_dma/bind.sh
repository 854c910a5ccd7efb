#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every virtio device binds to virtio-pci-dma and gets the DMA mode the
# scenario expects (EXPECT_MODE, EXPECT_ACCESS_PLATFORM, EXPECT_ARCH_WANTS),
# saying EXPECT_BIND_MSG at probe where the scenario has one; a packed
# ring only where no mapping can fail.

. "$(dirname "$0")/lib.sh"

vpd_dmesg_mark
vpd_setup
devices=$(vpd_virtio_pci_devices)
[ -n "$devices" ] || vpd_absent "no virtio PCI device"
for bdf in $devices; do
	vpd_check "$bdf bound" test "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER"
	vdev=$(vpd_vdev_of "$bdf")
	vpd_check "$bdf has a virtio device" test -n "$vdev"
	if [ -n "${EXPECT_MODE:-}" ]; then
		vpd_check "$bdf mode $(vpd_mode "$bdf") = $EXPECT_MODE" test "$(vpd_mode "$bdf")" = "$EXPECT_MODE"
	fi
	# Negotiation is over only for a device whose driver bound.
	if [ -n "${EXPECT_ACCESS_PLATFORM:-}" ] &&
		[ -e "$vdev/driver" ]; then
		ap=$(cat "/sys/bus/pci/devices/$bdf/virtio_dma/access_platform")
		vpd_check "$bdf access_platform $ap = $EXPECT_ACCESS_PLATFORM" test "$ap" = "$EXPECT_ACCESS_PLATFORM"
	fi
	if [ -n "${EXPECT_BIND_MSG:-}" ]; then
		n=$(vpd_dmesg_new | grep -c "$bdf: .*${EXPECT_BIND_MSG}")
		vpd_check "$bdf said '$EXPECT_BIND_MSG' once ($n)" test "$n" -eq 1
	fi
	# virtio_ring's packed ring does not survive a failed mapping
	# (design.rst): only direct ops without the audit may have one.
	if [ -e "$vdev/driver" ] && vpd_packed "$vdev"; then
		m=$(vpd_mode "$bdf")
		a=$(cat "/sys/bus/pci/devices/$bdf/virtio_dma/audit")
		vpd_check "$bdf has a packed ring: mode $m, audit $a" \
			test "$m" = direct -a "$a" = 0
	fi
	# ACCESS_PLATFORM alone gives the platform mode: that an IOMMU
	# translates is the kernel's to say (a device whose IOMMU never came
	# probes without one).
	if [ -n "${EXPECT_TRANSLATED:-}" ]; then
		t=$(cat "/sys/bus/pci/devices/$bdf/iommu_group/type" 2>/dev/null)
		vpd_check "$bdf in an IOMMU DMA domain (${t:-none})" \
			test "${t#DMA}" != "$t"
	fi
	if [ -n "${EXPECT_ARCH_WANTS:-}" ]; then
		aw=$(cat "/sys/bus/pci/devices/$bdf/virtio_dma/arch_wants")
		vpd_check "$bdf arch_wants $aw = $EXPECT_ARCH_WANTS" test "$aw" = "$EXPECT_ARCH_WANTS"
	fi
done
# The platform's IOMMU where it is a virtio-iommu: ours too, whatever
# mode the scenario asks of the devices behind it (elsewhere one that
# another transport already drove stays there, lib.sh).
for bdf in $(vpd_virtio_iommus); do
	[ -n "${VPD_SCENARIO:-}" ] ||
		[ "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER" ] || continue
	vpd_check "$bdf (virtio-iommu) bound, mode $(vpd_mode "$bdf" 2>/dev/null)" \
		test "$(vpd_driver_of "$bdf")" = "$VPD_DRIVER"
	vdev=$(vpd_vdev_of "$bdf")
	vpd_check "$bdf driven by virtio_iommu" \
		test "$(basename "$(readlink "$vdev/driver" 2>/dev/null)")" = virtio_iommu
done
errors=$(vpd_dmesg_errors)
vpd_check "no error in dmesg" test -z "$errors"
exit $KSFT_PASS
