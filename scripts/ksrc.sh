#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unpacks the parts of Debian's linux-source-6.1 that the build borrows at
# build time (checkpatch and its data, the kselftest framework) into DIR,
# once per source package version. None of it is copied into the tree.
#
#   ksrc.sh DIR [PATH...]    extra PATHs widen what is unpacked

set -eu

dir=$1
shift
tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)
if [ -z "$tarball" ]; then
	echo "ksrc.sh: /usr/src/linux-source-6.1.tar.* missing; run 'make deps'" >&2
	exit 1
fi

version=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null || stat -c %Y "$tarball")
paths="scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
	tools/testing/selftests/kselftest.h tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest tools/testing/selftests/lib.mk $*"
key=$(echo "$version $paths" | md5sum | cut -d' ' -f1)

if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$key" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	# The tarball's top directory is linux-source-6.1/.
	members=$(for p in $paths; do echo "linux-source-6.1/$p"; done)
	# shellcheck disable=SC2086
	tar -xf "$tarball" -C "$dir" --strip-components=1 $members
	echo "$key" >"$dir/.stamp"
fi
echo "$dir"
