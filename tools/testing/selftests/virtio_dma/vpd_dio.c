// SPDX-License-Identifier: GPL-2.0
/*
 * The disk workload of make bench where fio is not there (the pseries
 * guests): COUNT O_DIRECT reads or writes of BS bytes, one at a time, at
 * random block-aligned offsets within the first GiB of DEV (or of DEV if
 * smaller). busybox dd cannot stand in: its buffer is not aligned, and
 * the kernel turns its "direct" reads into page-cache ones.
 *
 *   vpd_dio DEV read|write BS COUNT
 *
 * Exit status 0 when every transfer was whole. Writes destroy the data.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint64_t size, blocks, x = 0x9e3779b97f4a7c15ull;
	unsigned long bs, count, i;
	int fd, write_it;
	void *buf;

	if (argc != 5 || (strcmp(argv[2], "read") && strcmp(argv[2], "write"))) {
		fprintf(stderr, "usage: %s DEV read|write BS COUNT\n", argv[0]);
		return 2;
	}
	write_it = !strcmp(argv[2], "write");
	bs = strtoul(argv[3], NULL, 0);
	count = strtoul(argv[4], NULL, 0);
	fd = open(argv[1], (write_it ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size)) {
		perror(argv[1]);
		return 1;
	}
	if (size > (1ull << 30))
		size = 1ull << 30;
	blocks = size / bs;
	if (!bs || !blocks || posix_memalign(&buf, 4096, bs)) {
		fprintf(stderr, "%s: no %lu-byte block fits\n", argv[1], bs);
		return 1;
	}
	memset(buf, 0x5a, bs);
	for (i = 0; i < count; i++) {
		off_t off;
		ssize_t n;

		/* xorshift: the same offsets in every run */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		off = (off_t)(x % blocks) * bs;
		n = write_it ? pwrite(fd, buf, bs, off) : pread(fd, buf, bs, off);
		if (n != (ssize_t)bs) {
			perror(argv[2]);
			return 1;
		}
	}
	close(fd);
	return 0;
}
