#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The audit catches what vpd_audit_test commits on purpose against a
# virtio-blk device: each kind in EXPECT_AUDIT counted exactly once,
# reported once in dmesg with the test module as the caller, and no other
# kind; with EXPECT_AUDIT_LEAK=1 one leak reported when the device unbinds.

. "$(dirname "$0")/lib.sh"

vpd_setup
vpd_require_param audit Y
[ -n "${EXPECT_AUDIT:-}" ] || vpd_skip "needs the kinds of violation to expect (EXPECT_AUDIT)"
modinfo vpd_audit_test >/dev/null 2>&1 || vpd_skip "vpd_audit_test module not installed"
disk=$(vpd_ours /sys/block/vd* | head -n 1)
[ -n "$disk" ] || vpd_absent "no virtio-blk disk on $VPD_DRIVER"
bdf=$(vpd_bdf_of "$disk/device")
file=/sys/kernel/debug/virtio_dma/$bdf/audit

vpd_dmesg_mark
vpd_check "vpd_audit_test loads" modprobe vpd_audit_test device="$bdf" pool="${VPD_AUDIT_POOL:-0}"
vpd_dmesg_new | grep -E 'committing|audit:'
for key in $(awk '$1 !~ /^(live|live_bytes|live_max|live_bytes_max|untracked)$/ {print $1}' "$file"); do
	want=0
	case " $EXPECT_AUDIT " in *" $key "*) want=1 ;; esac
	got=$(awk -v k="$key" '$1 == k {print $2}' "$file")
	vpd_check "$key: counted $got, expected $want" test "$got" = "$want"
done
n=$(echo $EXPECT_AUDIT | wc -w)
reports=$(vpd_dmesg_new | grep -c "$bdf: audit: .*, caller vpd_at_")
vpd_check "$reports reports naming the test module, $n expected" test "$reports" = "$n"

if [ "${EXPECT_AUDIT_LEAK:-0}" = 1 ]; then
	vpd_dmesg_mark
	vpd_check "$bdf unbinds" vpd_unbind "$bdf"
	leaks=$(vpd_dmesg_new | grep -c "$bdf: audit: mapping or allocation leaked at unbind: mapping of 512 bytes.*caller vpd_at_.*\[vpd_audit_test\]")
	vpd_check "the leak reported once at unbind ($leaks)" test "$leaks" = 1
fi
vpd_check "vpd_audit_test unloads" modprobe -r vpd_audit_test
exit $KSFT_PASS
