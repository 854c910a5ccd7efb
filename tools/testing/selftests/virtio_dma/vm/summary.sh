#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Prints the closing line for a file of KTAP-style result lines
# ("ok NAME", "not ok NAME", "ok NAME # SKIP why") and exits non-zero when
# anything failed or nothing ran.
#
#   summary.sh RESULTS

set -eu
skip=$(grep -c '^ok .*# SKIP' "$1" || true)
pass=$(($(grep -c '^ok ' "$1" || true) - skip))
fail=$(grep -c '^not ok ' "$1" || true)
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
