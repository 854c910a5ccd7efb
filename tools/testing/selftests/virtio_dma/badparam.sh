#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Invalid module parameters refuse the load with a clear message; a
# policy= entry is named in it.

. "$(dirname "$0")/lib.sh"

vpd_require_destructive
modinfo $VPD_MODULE >/dev/null 2>&1 || vpd_skip "module $VPD_MODULE not installed"
vpd_loaded && vpd_unload

# refuse PARAM=VALUE MESSAGE
refuse() {
	vpd_dmesg_mark
	vpd_check "$1 refused" sh -c "! modprobe $VPD_MODULE $1 2>/dev/null"
	vpd_check "not loaded after $1" sh -c "! test -d /sys/module/$VPD_MODULE"
	said=$(vpd_dmesg_new | grep -F "$2")
	vpd_check "dmesg says: $said" test -n "$said"
}

refuse dma_mode=bogus "dma_mode=bogus: expected auto, direct, platform or pool"
refuse force_arch_dma=7 "\`7' invalid for parameter \`force_arch_dma'"
refuse pool_size=0 "pool_size=0: smaller than 64 KiB"
refuse pool_size=64M "pool_size=64M: larger than the page allocator gives in one piece"
refuse audit=2 "\`2' invalid for parameter \`audit'"
refuse pool_size=lots "pool_size=lots: expected a size such as 256K or 4M"
# memparse() would wrap the first to 1M and take the second as 1M.
refuse pool_size=18014398509483008K "pool_size=18014398509483008K: larger than the page allocator gives in one piece"
refuse pool_size=0x100000 "pool_size=0x100000: expected a size such as 256K or 4M"
# More digits than any size has: too large, not a wrapped small size; a
# bad suffix after them is still a bad suffix.
refuse pool_size=123456789012345678901 "pool_size=123456789012345678901: larger than the page allocator gives in one piece"
refuse pool_size=99999999999999999999 "pool_size=99999999999999999999: larger than the page allocator gives in one piece"
refuse pool_size=123456789012345678901X "pool_size=123456789012345678901X: expected a size such as 256K or 4M"
refuse policy=net:mode=fast 'policy: entry "net:mode=fast": mode is auto, direct, platform or pool'
refuse policy=blk:pool_size=12K 'policy: entry "blk:pool_size=12K": smaller than 64 KiB'
refuse policy=disk:audit=1 'policy: entry "disk:audit=1": a device is a PCI address or a virtio type'
# Leading zeros are no digits too many.
vpd_load pool_size=000000000000000000000000064K
vpd_check "pool_size with leading zeros loads" vpd_loaded
vpd_check "pool_size reads back" test "$(cat /sys/module/$VPD_MODULE/parameters/pool_size)" = 65536
vpd_unload
vpd_load dma_mode=direct force_arch_dma=0 policy=net:mode=pool,pool_size=1M
vpd_check "valid parameters load" vpd_loaded
vpd_check "dma_mode reads back" test "$(cat /sys/module/$VPD_MODULE/parameters/dma_mode)" = direct
vpd_check "policy reads back" test "$(cat /sys/module/$VPD_MODULE/parameters/policy)" = net:mode=pool,pool_size=1M
exit $KSFT_PASS
