// SPDX-License-Identifier: GPL-2.0
/*
 * make bench's CPU clock: writes "BUSY_NS NOW_NS" to FILE, the time the
 * online CPUs have not been idle since boot and the clock, both from
 * /proc/timer_list, which accounts idle time to the nanosecond (/proc/stat
 * counts it in ticks, far too coarse for one job).
 *
 *   vpd_busy FILE
 *
 * A CPU's idle period is accounted only when it ends: one in progress
 * would count as busy now and as idle at the next reading. So the program
 * first runs on every online CPU in turn, which ends each one's idle
 * period. It is a small static program rather than a script because fio
 * runs it before and after each job, and what it costs is taken off the
 * job's CPU time: under TCG a shell, taskset and awk cost 60-300 ms a
 * pair, and varied as much.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char text[1 << 20];

/* Runs the caller once on each CPU in the list "0-3,5" of @online. */
static void wake_cpus(const char *online)
{
	const char *p = online;
	cpu_set_t set;

	while (*p >= '0' && *p <= '9') {
		char *end;
		long first = strtol(p, &end, 10), last = first, cpu;

		if (*end == '-')
			last = strtol(end + 1, &end, 10);
		for (cpu = first; cpu <= last && cpu < CPU_SETSIZE; cpu++) {
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			sched_yield();
		}
		p = *end == ',' ? end + 1 : end;
	}
}

/* Reads all of @path into text[]; its length, or -1. */
static long slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return n;
}

int main(int argc, char **argv)
{
	unsigned long long now = 0, idle = 0, v;
	unsigned int cpus = 0;
	char *line;
	FILE *out;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	if (slurp("/sys/devices/system/cpu/online") < 0) {
		perror("/sys/devices/system/cpu/online");
		return 1;
	}
	wake_cpus(text);
	if (slurp("/proc/timer_list") < 0) {
		perror("/proc/timer_list");
		return 1;
	}
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		line += strspn(line, " ");
		if (sscanf(line, "now at %llu nsecs", &v) == 1)
			now = v;
		else if (!strncmp(line, "cpu: ", 5))
			cpus++;
		else if ((sscanf(line, ".idle_sleeptime : %llu nsecs", &v) == 1) ||
			 (sscanf(line, ".iowait_sleeptime : %llu nsecs", &v) == 1))
			idle += v;
	}
	if (!now || !cpus) {
		fprintf(stderr, "%s: no clock or CPUs in /proc/timer_list\n", argv[0]);
		return 1;
	}
	out = fopen(argv[1], "w");
	if (!out || fprintf(out, "%llu %llu\n", now * cpus - idle, now) < 0 ||
	    fclose(out)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
