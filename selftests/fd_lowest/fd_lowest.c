// SPDX-License-Identifier: GPL-2.0
/*
 * fd_lowest: the Linux Scalability Project's fd-allocation benchmark
 * pattern, run as a correctness test.  With NR_FDS descriptors open,
 * close the first and the n-th; POSIX says the next two opens return
 * exactly those two numbers, lowest first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "kselftest_harness.h"

#define NR_FDS 100000

/* Word and second-level bitmap boundaries of fs/file.c, and the far end. */
static const int nth[] = {
	1, 2, 63, 64, 65, 127, 128, 1000, 4095, 4096, 4097, 50000, NR_FDS - 1,
};

FIXTURE(fd_lowest) {
	int first;
	int nr_open;
};

FIXTURE_SETUP(fd_lowest)
{
	struct rlimit rl = { NR_FDS + 64, NR_FDS + 64 };
	int i, fd;

	/* The guest runs as root; nr_open defaults to 1048576. */
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl))
		TH_LOG("raising RLIMIT_NOFILE to %d: %s", NR_FDS + 64,
		       strerror(errno));

	self->first = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, self->first);
	self->nr_open = 1;
	for (i = 1; i < NR_FDS; i++) {
		fd = dup(self->first);
		ASSERT_EQ(self->first + i, fd)
			TH_LOG("dup #%d: %s", i, strerror(errno));
		self->nr_open++;
	}
}

FIXTURE_TEARDOWN(fd_lowest)
{
	int i;

	for (i = 0; i < self->nr_open; i++)
		close(self->first + i);
}

TEST_F_TIMEOUT(fd_lowest, first_then_nth, 300)
{
	unsigned int i;

	for (i = 0; i < sizeof(nth) / sizeof(nth[0]); i++) {
		int want = self->first + nth[i];

		ASSERT_EQ(0, close(self->first));
		ASSERT_EQ(0, close(want));
		EXPECT_EQ(self->first, open("/dev/null", O_RDONLY));
		EXPECT_EQ(want, open("/dev/null", O_RDONLY))
			TH_LOG("n = %d", nth[i]);
	}
}

TEST_F_TIMEOUT(fd_lowest, nth_then_first, 300)
{
	unsigned int i;

	for (i = 0; i < sizeof(nth) / sizeof(nth[0]); i++) {
		int want = self->first + nth[i];

		ASSERT_EQ(0, close(want));
		ASSERT_EQ(0, close(self->first));
		EXPECT_EQ(self->first, open("/dev/null", O_RDONLY));
		EXPECT_EQ(want, open("/dev/null", O_RDONLY))
			TH_LOG("n = %d", nth[i]);
	}
}

/* A hole above the lowest one must wait until the lowest is taken. */
TEST_F_TIMEOUT(fd_lowest, dup2_past_hole, 300)
{
	int hole = self->first + 4096, fd;

	ASSERT_EQ(0, close(hole));
	ASSERT_EQ(0, close(self->first + 10));
	fd = fcntl(self->first, F_DUPFD, self->first + 11);
	EXPECT_EQ(hole, fd);
	EXPECT_EQ(self->first + 10, open("/dev/null", O_RDONLY));
}

TEST_HARNESS_MAIN
