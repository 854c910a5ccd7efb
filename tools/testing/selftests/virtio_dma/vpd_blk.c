// SPDX-License-Identifier: GPL-2.0
/*
 * Block data check: writes pseudo-random data to a whole-disk device
 * (virtio-blk or a virtio-scsi disk) and reads it back, with O_DIRECT
 * and through the page cache, comparing checksums.
 *
 * VPD_DEV names the device (required); VPD_SIZE_MB the amount (default 32);
 * VPD_CHUNK_KB the size of each read and write (default 1024), which
 * with O_DIRECT is the size of the requests the disk gets, up to its
 * max_sectors_kb; VPD_OFFSET_MB where on the device (default 0). The
 * device's contents are destroyed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vpd_data.h"

#define CHUNK (1024 * 1024)

struct blk_io {
	const char *dev;
	size_t size;
	size_t chunk;
	off_t offset;
	void *buf;
};

FIXTURE(blk) {
	struct blk_io io;
};

FIXTURE_SETUP(blk)
{
	self->io.dev = getenv("VPD_DEV");
	if (!self->io.dev || !*self->io.dev)
		SKIP(return, "VPD_DEV names no device");
	self->io.chunk = vpd_env_ul("VPD_CHUNK_KB", CHUNK >> 10) << 10;
	ASSERT_LT(0, self->io.chunk);
	self->io.size = vpd_env_ul("VPD_SIZE_MB", 32) * CHUNK;
	self->io.offset = (off_t)vpd_env_ul("VPD_OFFSET_MB", 0) * CHUNK;
	ASSERT_EQ(0, self->io.size % self->io.chunk)
		TH_LOG("VPD_SIZE_MB must be a multiple of VPD_CHUNK_KB");
	ASSERT_EQ(0, posix_memalign(&self->io.buf, 4096, self->io.chunk));
}

FIXTURE_TEARDOWN(blk)
{
	free(self->io.buf);
}

/* Writes size bytes of the stream seeded with seed; returns the checksum. */
static uint64_t put(struct __test_metadata *_metadata, struct blk_io *io,
		    int flags, uint64_t seed)
{
	struct vpd_stream s;
	uint64_t sum = VPD_FNV_INIT;
	size_t done;
	int fd;

	fd = open(io->dev, O_WRONLY | flags);
	EXPECT_LE(0, fd) TH_LOG("open %s: %s", io->dev, strerror(errno));
	if (fd < 0)
		return 0;
	vpd_stream_init(&s, seed);
	for (done = 0; done < io->size; done += io->chunk) {
		vpd_stream_fill(&s, io->buf, io->chunk);
		sum = vpd_fnv(sum, io->buf, io->chunk);
		EXPECT_EQ(io->chunk, pwrite(fd, io->buf, io->chunk,
					    io->offset + done))
			TH_LOG("write at %zu: %s", done, strerror(errno));
	}
	EXPECT_EQ(0, fsync(fd));
	close(fd);
	return sum;
}

static uint64_t get(struct __test_metadata *_metadata, struct blk_io *io,
		    int flags)
{
	uint64_t sum = VPD_FNV_INIT;
	size_t done;
	int fd;

	fd = open(io->dev, O_RDONLY | flags);
	EXPECT_LE(0, fd) TH_LOG("open %s: %s", io->dev, strerror(errno));
	if (fd < 0)
		return 1;
	/* Buffered reads must come from the device, not the cache. */
	ioctl(fd, BLKFLSBUF, 0);
	for (done = 0; done < io->size; done += io->chunk) {
		EXPECT_EQ(io->chunk, pread(fd, io->buf, io->chunk,
					   io->offset + done))
			TH_LOG("read at %zu: %s", done, strerror(errno));
		sum = vpd_fnv(sum, io->buf, io->chunk);
	}
	close(fd);
	return sum;
}

/* Minutes, not the harness's 30 s: debug kernels under TCG are slow. */
TEST_F_TIMEOUT(blk, direct, 900)
{
	uint64_t wrote = put(_metadata, &self->io, O_DIRECT, 1);
	uint64_t read = get(_metadata, &self->io, O_DIRECT);

	TH_LOG("%s O_DIRECT: wrote %016llx read %016llx (%zu MiB)", self->io.dev,
	       (unsigned long long)wrote, (unsigned long long)read,
	       self->io.size / CHUNK);
	ASSERT_EQ(wrote, read);
}

TEST_F_TIMEOUT(blk, buffered, 900)
{
	uint64_t wrote = put(_metadata, &self->io, 0, 2);
	uint64_t read = get(_metadata, &self->io, 0);
	uint64_t direct = get(_metadata, &self->io, O_DIRECT);

	TH_LOG("%s buffered: wrote %016llx read %016llx direct %016llx", self->io.dev,
	       (unsigned long long)wrote, (unsigned long long)read,
	       (unsigned long long)direct);
	ASSERT_EQ(wrote, read);
	ASSERT_EQ(wrote, direct);
}

TEST_HARNESS_MAIN
