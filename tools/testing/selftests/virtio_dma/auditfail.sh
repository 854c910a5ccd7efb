#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The audit's records fail to allocate, AUDIT_FAIL_PERCENT of them
# (default 2), while a disk in pool mode moves checksummed data (more
# makes a 1 MiB request's retries, each with its failslab and kmemleak
# bookkeeping, outrun a debug kernel's memory): each mapping
# whose record could not be had is refused and retried by the driver,
# never live untracked. The data checks out, the refusals are counted
# (untracked), and the audit reports nothing: before, an untracked
# mapping's unmap was dropped as "not mapped", and in pool mode the
# device's data never reached the caller.
#
# Needs failslab (CONFIG_FAILSLAB) and the record cache marked for it at
# boot (slub_debug=a,vpd_audit_map; the flag is read-only at run time):
# the debug pass.

. "$(dirname "$0")/lib.sh"

vpd_setup
vpd_require_param audit Y
fs=/sys/kernel/debug/failslab
cache=/sys/kernel/slab/vpd_audit_map
[ -w "$fs/cache-filter" ] || vpd_skip "no failslab (CONFIG_FAILSLAB)"
[ "$(cat "$cache/failslab" 2>/dev/null)" = 1 ] ||
	vpd_skip "vpd_audit_map not marked for failslab: boot with slub_debug=a,vpd_audit_map"
bdf=$(vpd_blk_bdf) || vpd_absent "no virtio-blk device on $VPD_DRIVER"
file=/sys/kernel/debug/virtio_dma/$bdf/audit
untracked() { awk '$1 == "untracked" { print $2 }' "$file"; }

# Disarmed whatever happens: the cache's flag stays, the odds do not.
trap 'echo 0 >"$fs/probability"' EXIT
arm() { echo "$2" >"$fs/$1" || vpd_fail "failslab: $1=$2 refused"; }
before=$(untracked)
# Only the marked cache; atomic allocations only (ignore-gfp-wait Y,
# the default): the records of streaming mappings.
arm cache-filter Y
arm ignore-gfp-wait Y
arm task-filter N
arm space 0
arm interval 0
arm times -1
arm verbose 0
arm probability "${AUDIT_FAIL_PERCENT:-2}"
vpd_data_check "$bdf" 8
rc=$?
arm probability 0
vpd_check "data intact while records failed" test $rc -eq 0
refused=$(($(untracked) - before))
vpd_check "mappings refused for want of a record: $refused" test "$refused" -gt 0
bad=$(awk '$1 !~ /^(live|live_bytes|live_max|live_bytes_max|untracked)$/ && $2 != 0' "$file")
vpd_check "no audit finding" test -z "$bad"
[ -z "$bad" ] || echo "$bad"
vpd_check "$bdf idle: no mapping outstanding" vpd_wait_idle "$bdf"
exit $KSFT_PASS
