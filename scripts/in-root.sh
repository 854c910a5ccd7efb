#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs a command in a build root (scripts/build-root.sh) with this tree,
# the build directory and the current directory seen at the same paths
# as outside: kbuild runs with the root's own gcc and glibc, and what it
# writes lands where the host expects it. The mounts live in a private
# mount namespace and go when the command ends.
#
#   in-root.sh ROOT DIR... -- COMMAND...    DIRs are bound in as well
#
# Paths with white space are not supported.

set -eu

root=$1
shift
dirs=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	dirs="$dirs $1"
	shift
done
[ "${1:-}" = -- ] && shift
[ -e "$root/.complete" ] || {
	echo "in-root: no build root at $root: run 'make deps'" >&2
	exit 1
}

# shellcheck disable=SC2016
exec unshare --mount --propagation private sh -euc '
	root=$1 dirs=$2 cwd=$3
	shift 3
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	for d in $dirs $cwd; do
		d=$(readlink -f "$d")
		# Never / or what holds the root: that would hide the root.
		case $root/ in "$d"/*) continue ;; esac
		mkdir -p "$d" "$root$d"
		mountpoint -q "$root$d" || mount --rbind "$d" "$root$d"
	done
	cd "$root$cwd"
	exec chroot "$root" env -u TMPDIR PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin \
		sh -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
' sh "$root" "$dirs" "$(pwd)" "$@"
