#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio-rng over the transport: /dev/hwrng serves random data from it.

. "$(dirname "$0")/lib.sh"

vpd_setup
rng=/sys/class/misc/hw_random
i=0
while ! grep -q virtio "$rng/rng_available" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
grep -q virtio "$rng/rng_available" 2>/dev/null || vpd_absent "no virtio-rng"
name=$(tr ' ' '\n' <"$rng/rng_available" | grep virtio | head -n 1)
echo "$name" >"$rng/rng_current"
vpd_check "rng_current is $name" test "$(cat "$rng/rng_current")" = "$name"
dd if=/dev/hwrng of=/tmp/rng bs=4096 count=16 2>/dev/null
size=$(wc -c </tmp/rng)
vpd_check "read $size bytes" test "$size" -eq 65536
# Random data does not compress.
packed=$(gzip -c </tmp/rng | wc -c)
vpd_check "$size random bytes gzip to $packed" test "$packed" -gt 65000
exit $KSFT_PASS
