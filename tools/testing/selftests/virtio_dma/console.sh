#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# virtio-console over the transport: data written to the port named
# vpd.echo comes back (the host echoes it) with the same checksum.

. "$(dirname "$0")/lib.sh"

vpd_setup
port=
i=0
while [ -z "$port" ] && [ $i -lt 50 ]; do
	port=$(grep -l '^vpd.echo$' /sys/class/virtio-ports/*/name 2>/dev/null | head -n 1)
	[ -n "$port" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$port" ] || vpd_absent "no virtio-console port named vpd.echo"
dev=/dev/$(basename "$(dirname "$port")")
size=1048576
dd if=/dev/urandom of=/tmp/con.out bs=65536 count=$((size / 65536)) 2>/dev/null
# Data that reaches a port nobody has open is dropped: keep it open from
# before the first byte goes out until the last one is back.
exec 3<>"$dev"
timeout 60 head -c $size <&3 >/tmp/con.in &
reader=$!
cat /tmp/con.out >&3
wait $reader
exec 3>&-
sent=$(md5sum </tmp/con.out | cut -d' ' -f1)
got=$(md5sum </tmp/con.in | cut -d' ' -f1)
vpd_check "echo through $dev: sent $sent got $got" test "$sent" = "$got"
exit $KSFT_PASS
