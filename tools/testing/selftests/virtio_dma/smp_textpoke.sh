#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Not a test of the module but of the guests that test it: the kernel
# patches its own text while other CPUs run it (static keys, with an int3
# in between), and an emulator must never let a CPU run the old bytes
# afterwards. Flips the scheduler's schedstats key while both vCPUs
# context-switch; QEMU 7.2's multi-threaded TCG oopses here within
# seconds, which is why vm/arch.sh runs every vCPU in one thread.

. "$(dirname "$0")/lib.sh"

knob=/proc/sys/kernel/sched_schedstats
[ -w $knob ] || vpd_skip "$knob missing (CONFIG_SCHEDSTATS)"
orig=$(cat $knob)

# Two pipelines: every line written wakes the reader, so both vCPUs
# keep entering the scheduler. Each ends, writer then reader, once the
# flag is gone: killing the subshell would leave its pipeline running.
flag=/tmp/smp_textpoke.run
pingpong() { while [ -e $flag ]; do echo x; done | while read -r _; do :; done; }
touch $flag
pingpong &
pingpong &

flips=300
i=0
while [ $i -lt "$flips" ]; do
	echo 1 >$knob
	echo 0 >$knob
	i=$((i + 1))
done
echo "$orig" >$knob
rm $flag
wait
vpd_log "ok: flipped sched_schedstats $flips times with both vCPUs scheduling"
exit $KSFT_PASS
