#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Sets every virtio disk's max_sectors_kb as a user may: VPD_MAX_SECTORS
# "default" leaves it, "max" raises it to max_hw_sectors_kb, "random:R"
# takes R (the configuration sweep's seeded draw) to a value between a
# page and that, at most 64 MiB.
# The block layer must take it; the data tests after run with it.

. "$(dirname "$0")/lib.sh"

vpd_setup
want=${VPD_MAX_SECTORS:-default}
[ "$want" = default ] && vpd_skip "VPD_MAX_SECTORS=default: nothing to set"
disks=$(vpd_ours /sys/block/vd* /sys/block/sd*)
[ -n "$disks" ] || vpd_absent "no virtio disk on $VPD_DRIVER"
for disk in $disks; do
	hw=$(cat "$disk/queue/max_hw_sectors_kb")
	case $want in
	max) kb=$hw ;;
	random:*)
		# Whole pages, from one page to max_hw_sectors_kb or 64 MiB.
		r=${want#random:}
		page=$(($(getconf PAGESIZE 2>/dev/null || echo 4096) / 1024))
		top=$((hw < 65536 ? hw : 65536))
		kb=$(((r % (top / page) + 1) * page))
		;;
	*) kb=$want ;;
	esac
	vpd_check "${disk##*/}: max_sectors_kb=$kb (max_hw_sectors_kb $hw)" \
		sh -c "echo $kb >$disk/queue/max_sectors_kb"
done
exit $KSFT_PASS
