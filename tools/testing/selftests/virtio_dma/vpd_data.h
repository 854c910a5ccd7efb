/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test data for the virtio_dma selftests: a reproducible pseudo-random
 * stream (so that what comes back can be compared with what was sent
 * without keeping it) and a 64-bit FNV-1a checksum to report.
 */
#ifndef _VPD_DATA_H
#define _VPD_DATA_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct vpd_stream {
	uint64_t state;
};

static inline void vpd_stream_init(struct vpd_stream *s, uint64_t seed)
{
	s->state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

/* xorshift64*: fast, and good enough to catch misplaced data. */
static inline void vpd_stream_fill(struct vpd_stream *s, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t x = s->state;
		size_t n = len - i < 8 ? len - i : 8;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		s->state = x;
		x *= 0x2545f4914f6cdd1dULL;
		__builtin_memcpy(p + i, &x, n);
	}
}

#define VPD_FNV_INIT 0xcbf29ce484222325ULL

static inline uint64_t vpd_fnv(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static inline unsigned long vpd_env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

#endif /* _VPD_DATA_H */
