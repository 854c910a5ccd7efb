#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Installs the virtio_dma kselftests the way a kernel developer does, from
# a kernel tree: the kselftest framework of Debian's linux-source-6.1
# (tools/testing/selftests with its top-level Makefile and
# run_kselftest.sh), our directory dropped in as a target, then
#
#   make -C tools/testing/selftests TARGETS=virtio_dma install
#
# into OUT, ready for run_kselftest.sh on any machine with virtio devices.
#
#   kselftest-tree.sh TREE OUT [CROSS_COMPILE]

set -eu

tree=$1
out=$2
cross=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)

"$top/scripts/ksrc.sh" "$tree" tools/testing/selftests/Makefile \
	tools/testing/selftests/run_kselftest.sh \
	tools/testing/selftests/kselftest_module.h scripts/subarch.include >/dev/null
rm -rf "$tree/tools/testing/selftests/virtio_dma" "$out"
cp -r "$top/tools/testing/selftests/virtio_dma" "$tree/tools/testing/selftests/"
make -s -C "$tree/tools/testing/selftests" TARGETS=virtio_dma \
	${cross:+CROSS_COMPILE=$cross} KSFT_INSTALL_PATH="$out" install >/dev/null
test -x "$out/run_kselftest.sh" && test -s "$out/kselftest-list.txt"
