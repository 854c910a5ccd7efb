// SPDX-License-Identifier: GPL-2.0
/*
 * Network data check: streams pseudo-random data to a TCP echo server and
 * compares the checksum of what comes back with what was sent, so the
 * data crosses the virtio-net device both ways.
 *
 * VPD_NET_ADDR and VPD_NET_PORT name the echo server (required);
 * VPD_NET_MB the amount each way (default 16); VPD_NET_STALL_S how long
 * the stream may stand still before it fails (default 30);
 * VPD_NET_ON_STALL a command run then, with the connection still open, to
 * record the state of the device and the stack.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vpd_data.h"

#define CHUNK 65536

FIXTURE(net) {
};

FIXTURE_SETUP(net)
{
}

FIXTURE_TEARDOWN(net)
{
}

#define NET_TIMEOUT_S 900

/*
 * VPD_NET_STALL_S: how long no byte may move before the test says the
 * stream stalled; whole seconds, shorter than the test's own timeout
 * (a longer one could never be reported). -1 when it is not that.
 */
static long vpd_stall_seconds(void)
{
	const char *v = getenv("VPD_NET_STALL_S");
	unsigned long s;
	char *end;

	if (!v || !*v)
		return 30;
	errno = 0;
	s = strtoul(v, &end, 10);
	if (errno || *end || !isdigit((unsigned char)*v) || !s || s >= NET_TIMEOUT_S)
		return -1;
	return s;
}

/* The stall's record, while the socket still holds its data. */
static void vpd_on_stall(void)
{
	const char *cmd = getenv("VPD_NET_ON_STALL");

	if (cmd && *cmd && system(cmd))
		fprintf(stderr, "# VPD_NET_ON_STALL failed\n");
}

/* Minutes, not the harness's 30 s: debug kernels under TCG are slow. */
TEST_F_TIMEOUT(net, echo, NET_TIMEOUT_S)
{
	const char *addr = getenv("VPD_NET_ADDR");
	size_t total = vpd_env_ul("VPD_NET_MB", 16) << 20;
	long stall_s = vpd_stall_seconds();
	int stall_ms = stall_s * 1000;
	unsigned char out[CHUNK], in[CHUNK];
	uint64_t sent_sum = VPD_FNV_INIT, got_sum = VPD_FNV_INIT;
	size_t sent = 0, got = 0, pending = 0, off = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct vpd_stream s;
	int fd;

	ASSERT_LT(0, stall_s)
		TH_LOG("VPD_NET_STALL_S=%s: expected whole seconds, 1 to %d",
		       getenv("VPD_NET_STALL_S"), NET_TIMEOUT_S - 1);
	if (!addr || !*addr)
		SKIP(return, "VPD_NET_ADDR names no echo server");
	sa.sin_port = htons(vpd_env_ul("VPD_NET_PORT", 7));
	ASSERT_EQ(1, inet_pton(AF_INET, addr, &sa.sin_addr));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		TH_LOG("connect %s: %s", addr, strerror(errno));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));

	vpd_stream_init(&s, 3);
	while (got < total) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int ready, err;

		if (sent < total)
			p.events |= POLLOUT;
		ready = poll(&p, 1, stall_ms);
		err = errno;
		if (!ready) {
			TH_LOG("stalled at %zu/%zu, sent %zu", got, total, sent);
			vpd_on_stall();
		}
		ASSERT_LT(0, ready)
			TH_LOG("poll: %s", ready ? strerror(err) : "stalled");
		if ((p.revents & POLLOUT) && sent < total) {
			if (!pending) {
				pending = total - sent < CHUNK ? total - sent : CHUNK;
				vpd_stream_fill(&s, out, pending);
				sent_sum = vpd_fnv(sent_sum, out, pending);
				off = 0;
			}
			n = write(fd, out + off, pending - off);
			ASSERT_TRUE(n > 0 || errno == EAGAIN);
			if (n > 0) {
				off += n;
				sent += n;
				if (off == pending)
					pending = 0;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, in, sizeof(in));
			ASSERT_TRUE(n > 0 || (n < 0 && errno == EAGAIN))
				TH_LOG("connection ended at %zu/%zu", got, total);
			if (n > 0) {
				got_sum = vpd_fnv(got_sum, in, n);
				got += n;
			}
		}
	}
	close(fd);
	TH_LOG("%zu MiB each way: sent %016llx got %016llx", total >> 20,
	       (unsigned long long)sent_sum, (unsigned long long)got_sum);
	ASSERT_EQ(sent_sum, got_sum);
}

TEST_HARNESS_MAIN
