#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The audit's records fail to allocate, one in AUDIT_FAIL_PERCENT (default
# 10), while a disk in pool mode moves checksummed data: each mapping
# whose record could not be had is refused and retried by the driver,
# never live untracked. The data checks out, the refusals are counted
# (untracked), and the audit reports nothing: before, an untracked
# mapping's unmap was dropped as "not mapped", and in pool mode the
# device's data never reached the caller.
#
# Needs failslab (CONFIG_FAILSLAB) and the record cache on its own
# (boot with slub_nomerge): the debug pass.

. "$(dirname "$0")/lib.sh"

vpd_setup
vpd_require_param audit Y
fs=/sys/kernel/debug/failslab
cache=/sys/kernel/slab/vpd_audit_map
[ -w "$fs/cache-filter" ] || vpd_skip "no failslab (CONFIG_FAILSLAB)"
[ -w "$cache/failslab" ] || vpd_skip "no slab cache vpd_audit_map of its own (slub_nomerge)"
bdf=$(vpd_blk_bdf) || vpd_skip "no virtio-blk device on $VPD_DRIVER"
file=/sys/kernel/debug/virtio_dma/$bdf/audit

echo 1 >"$cache/failslab"
echo Y >"$fs/cache-filter"
echo N >"$fs/ignore-gfp-wait"
echo "${AUDIT_FAIL_PERCENT:-10}" >"$fs/probability"
echo 0 >"$fs/interval"
echo -1 >"$fs/times"
echo 0 >"$fs/verbose"
vpd_data_check "$bdf" 16
rc=$?
echo 0 >"$fs/probability"
echo 0 >"$cache/failslab"
vpd_check "data intact while records failed" test $rc -eq 0
refused=$(awk '$1 == "untracked" { print $2 }' "$file")
vpd_check "mappings refused for want of a record: $refused" test "$refused" -gt 0
bad=$(awk '$1 !~ /^(live|live_bytes|live_max|live_bytes_max|untracked)$/ && $2 != 0' "$file")
vpd_check "no audit finding" test -z "$bad"
[ -z "$bad" ] || echo "$bad"
vpd_check "$bdf idle: no mapping outstanding" vpd_wait_idle "$bdf"
exit $KSFT_PASS
