#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dma_map_resource() of a device's own memory BAR, as a peer-to-peer user
# maps one (vpd_audit_test mmio=1). Until 6.18 it reaches the ops by
# map_resource, from 6.19 by map_phys with DMA_ATTR_MMIO, a physical
# address with no page behind it. Direct ops hand it out at its physical
# address; the pool refuses it (MMIO cannot be bounced, and its device
# sees nothing but the pool); the platform does as it does. The audit,
# when on, tracks it without a violation.

. "$(dirname "$0")/lib.sh"

vpd_setup
modinfo vpd_audit_test >/dev/null 2>&1 || vpd_skip "vpd_audit_test module not installed"
bdf=
for d in $(vpd_virtio_pci_devices); do
	[ "$(vpd_driver_of "$d")" = "$VPD_DRIVER" ] && { bdf=$d; break; }
done
[ -n "$bdf" ] || vpd_absent "no device on $VPD_DRIVER"
mode=$(vpd_mode "$bdf")
# dma-debug's debug_dma_map_resource() (gone once dma_map_resource() went
# through dma_map_phys()) records a failed mapping as a live one: the
# pool's refusal would leave an entry no unmap can remove, and dma-debug
# would WARN at unbind. Kernel bug, written up in design.rst.
if [ "$mode" = pool ] && grep -qw debug_dma_map_resource /proc/kallsyms; then
	vpd_skip "dma-debug here records a refused dma_map_resource as mapped"
fi
vpd_dmesg_mark
vpd_check "vpd_audit_test mmio=1 loads" modprobe vpd_audit_test device="$bdf" mmio=1
rmmod vpd_audit_test
# The module says it once a load: the last such line is this load's.
said=$(dmesg | grep 'mmio: 0x' | tail -n 1)
echo "$bdf ($mode): $said"

said() { echo "$said" | grep -Eq "$1"; }
# Where it was mapped equals the BAR's physical address.
at_phys() {
	phys=$(echo "$said" | sed -nE 's/.*mmio: 0x0*([0-9a-f]+) mapped at 0x0*([0-9a-f]+)$/\1/p')
	addr=$(echo "$said" | sed -nE 's/.*mmio: 0x0*([0-9a-f]+) mapped at 0x0*([0-9a-f]+)$/\2/p')
	[ -n "$phys" ] && [ "$phys" = "$addr" ]
}
no_violation() { ! vpd_dmesg_new | grep -q 'audit: '; }
why_said() { vpd_dmesg_new | grep -q 'pool: MMIO .* cannot be bounced'; }

case $mode in
direct)
	vpd_check "direct: the BAR at its physical address" at_phys
	;;
pool)
	vpd_check "pool: MMIO refused" said refused
	vpd_check "pool: the refusal says why" why_said
	;;
*)
	vpd_check "platform: mapped or refused" said 'mapped at|refused'
	;;
esac
vpd_check "no audit violation" no_violation
exit $KSFT_PASS
