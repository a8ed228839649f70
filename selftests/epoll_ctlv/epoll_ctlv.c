// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_ctlv: many epoll_ctl() operations in one system call.
 *
 * Checks the semantics of epoll_ctlv(2): every op is applied in order
 * exactly as epoll_ctl() would apply it, each attempted op gets its
 * result, the return value counts the attempted ops, and whole-call
 * errors (bad epfd, flags, nops, a fault before the first op) leave the
 * interest list alone.  On a kernel without the system call every test
 * skips.
 *
 * struct epoll_ctl_op is spelled out here: <linux/eventpoll.h> and
 * glibc's <sys/epoll.h> cannot be included together.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "epoll_ctlv.h"
#include "sysfile.h"

/*
 * With the larger test bodies inlined into the harness wrapper, gcc warns
 * about the wrapper's own setjmp()/fork() variable; it is never clobbered.
 */
#pragma GCC diagnostic ignored "-Wclobbered"

_Static_assert(sizeof(struct epoll_ctl_op) == 24, "epoll_ctl_op size");
_Static_assert(offsetof(struct epoll_ctl_op, result) == 12, "result");
_Static_assert(offsetof(struct epoll_ctl_op, data) == 16, "data");

/* What ->result holds before the kernel writes it. */
#define UNTOUCHED	0x5a5a5a5a

#define NR_EFD		8

static void set_op(struct epoll_ctl_op *o, int op, int fd, uint32_t events,
		   uint64_t data)
{
	o->fd = fd;
	o->op = op;
	o->flags = 0;
	o->events = events;
	o->result = UNTOUCHED;
	o->data = data;
}

/* epoll_ctl() as 0 or -errno, the way epoll_ctlv() reports it. */
static int ctl(int epfd, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(epfd, op, fd, &ev) ? -errno : 0;
}

/* A descriptor number that is certainly not open. */
static int closed_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/*
 * The interest list of @epfd as /proc/self/fdinfo shows it: one
 * "tfd: events: data:" line per item, in the kernel's order.
 */
static int interest_list(int epfd, char *buf, size_t len)
{
	char path[64], raw[65536], *line, *save, *out = buf;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
	if (read_file(path, raw, sizeof(raw)))
		return -1;
	*buf = '\0';
	for (line = strtok_r(raw, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *pos;
		int w;

		if (strncmp(line, "tfd:", 4))
			continue;
		pos = strstr(line, " pos:");
		if (pos)
			*pos = '\0';
		w = snprintf(out, len - (out - buf), "%s\n", line);
		if (w < 0 || (size_t)w >= len - (out - buf))
			return -1;
		out += w;
	}
	return 0;
}

FIXTURE(epoll_ctlv) {
	int epfd;
	int efd[NR_EFD];
	char saved_quota[32];	/* fs.epoll.max_user_watches to restore */
};

#define QUOTA_SYSCTL	"/proc/sys/fs/epoll/max_user_watches"

FIXTURE_SETUP(epoll_ctlv)
{
	int i;

	self->saved_quota[0] = '\0';
	self->epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	if (epoll_ctlv(self->epfd, NULL, 0, 0) < 0 && errno == ENOSYS)
		SKIP(return, "epoll_ctlv(2) not implemented (ENOSYS)");
	for (i = 0; i < NR_EFD; i++) {
		self->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(epoll_ctlv)
{
	int i;

	for (i = 0; i < NR_EFD; i++)
		close(self->efd[i]);
	close(self->epfd);
	if (self->saved_quota[0])
		write_file(QUOTA_SYSCTL, self->saved_quota);
}

/* Ops apply in order; a repeated op sees the effect of the earlier one. */
TEST_F(epoll_ctlv, order_and_duplicates)
{
	struct epoll_ctl_op ops[9];
	struct epoll_event ev[4];
	int e0 = self->efd[0], e1 = self->efd[1];
	uint64_t one = 1;

	set_op(&ops[0], EPOLL_CTL_DEL, e0, 0, 0);		/* not yet added */
	set_op(&ops[1], EPOLL_CTL_ADD, e0, EPOLLOUT, 1);
	set_op(&ops[2], EPOLL_CTL_ADD, e0, EPOLLIN, 2);		/* duplicate */
	set_op(&ops[3], EPOLL_CTL_MOD, e0, EPOLLIN, 3);
	set_op(&ops[4], EPOLL_CTL_DEL, e0, 0, 0);
	set_op(&ops[5], EPOLL_CTL_DEL, e0, 0, 0);		/* duplicate */
	set_op(&ops[6], EPOLL_CTL_ADD, e0, EPOLLOUT, 4);
	set_op(&ops[7], EPOLL_CTL_MOD, e0, EPOLLIN, 5);		/* last wins */
	set_op(&ops[8], EPOLL_CTL_ADD, e1, EPOLLIN, 6);

	ASSERT_EQ(9, epoll_ctlv(self->epfd, ops, 9, 0));
	EXPECT_EQ(-ENOENT, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	EXPECT_EQ(-EEXIST, ops[2].result);
	EXPECT_EQ(0, ops[3].result);
	EXPECT_EQ(0, ops[4].result);
	EXPECT_EQ(-ENOENT, ops[5].result);
	EXPECT_EQ(0, ops[6].result);
	EXPECT_EQ(0, ops[7].result);
	EXPECT_EQ(0, ops[8].result);

	/* Nothing ready: e0 waits for EPOLLIN now, not EPOLLOUT. */
	EXPECT_EQ(0, epoll_wait(self->epfd, ev, 4, 0));
	ASSERT_EQ(8, write(e0, &one, 8));
	ASSERT_EQ(1, epoll_wait(self->epfd, ev, 4, 0));
	EXPECT_EQ((uint32_t)EPOLLIN, ev[0].events);
	EXPECT_EQ(5ULL, ev[0].data.u64);
	/* The in-batch MOD and DEL agree with epoll_ctl() afterwards. */
	EXPECT_EQ(-EEXIST, ctl(self->epfd, EPOLL_CTL_ADD, e0, EPOLLIN, 0));
	EXPECT_EQ(0, ctl(self->epfd, EPOLL_CTL_DEL, e1, 0, 0));
}

/* Every kind of per-op error in one batch; later ops still run. */
#define NR_MIXED	14

/* One op of each result; epfd must be watched by @outer (ELOOP). */
static void mixed_ops(struct epoll_ctl_op *ops, int epfd, const int *efd,
		      int badfd, int memfd, int outer)
{
	set_op(&ops[0], EPOLL_CTL_ADD, efd[0], EPOLLIN, 0);
	set_op(&ops[1], EPOLL_CTL_ADD, efd[0], EPOLLIN, 0);
	set_op(&ops[2], EPOLL_CTL_MOD, efd[1], EPOLLIN, 0);
	set_op(&ops[3], EPOLL_CTL_DEL, efd[1], 0, 0);
	set_op(&ops[4], EPOLL_CTL_ADD, badfd, EPOLLIN, 0);
	set_op(&ops[5], EPOLL_CTL_ADD, memfd, EPOLLIN, 0);
	set_op(&ops[6], EPOLL_CTL_ADD, epfd, EPOLLIN, 0);
	set_op(&ops[7], EPOLL_CTL_ADD, efd[1], EPOLLIN, 0);
	ops[7].flags = 1;
	set_op(&ops[8], 7, efd[1], EPOLLIN, 0);
	set_op(&ops[9], 0, efd[1], EPOLLIN, 0);
	set_op(&ops[10], EPOLL_CTL_ADD, outer, EPOLLIN, 0);
	set_op(&ops[11], EPOLL_CTL_ADD, efd[1], EPOLLIN, 0);
	set_op(&ops[12], EPOLL_CTL_DEL, badfd, 0, 0);
	set_op(&ops[13], EPOLL_CTL_ADD, efd[2], EPOLLIN, 0);
	ops[13].flags = 0x8000;
}

static const int mixed_expect[NR_MIXED] = {
	0, -EEXIST, -ENOENT, -ENOENT, -EBADF, -EPERM, -EINVAL, -EINVAL,
	-EINVAL, -EINVAL, -ELOOP, 0, -EBADF, -EINVAL,
};

/* Per-op results in one batch: each error epoll_ctl() can give. */
TEST_F(epoll_ctlv, mixed_results)
{
	struct epoll_ctl_op ops[NR_MIXED];
	int memfd, outer, badfd;
	int i;

	/* A regular (shmem) file has no ->poll(): EPERM. */
	memfd = memfd_create("epoll_ctlv", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	/* outer watches epfd, so adding outer to epfd would close a loop. */
	outer = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, outer);
	ASSERT_EQ(0, ctl(outer, EPOLL_CTL_ADD, self->epfd, EPOLLIN, 0));
	badfd = closed_fd();
	ASSERT_LE(0, badfd);

	mixed_ops(ops, self->epfd, self->efd, badfd, memfd, outer);
	ASSERT_EQ(NR_MIXED, epoll_ctlv(self->epfd, ops, NR_MIXED, 0));
	for (i = 0; i < NR_MIXED; i++)
		EXPECT_EQ(mixed_expect[i], ops[i].result) TH_LOG("op %d", i);

	/* The state-independent ones give the same errors via epoll_ctl(). */
	for (i = 4; i < 11; i++) {
		if (i == 7)
			continue;	/* op flags exist only in epoll_ctlv() */
		EXPECT_EQ(ops[i].result, ctl(self->epfd, ops[i].op, ops[i].fd,
					     ops[i].events, 0))
			TH_LOG("op %d", i);
	}
	/* Only efd[0] and efd[1] went in; the flagged ADD did nothing. */
	EXPECT_EQ(0, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[0], 0, 0));
	EXPECT_EQ(0, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[1], 0, 0));
	EXPECT_EQ(-ENOENT, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[2], 0, 0));

	/* The same ops one per call: a batch of one takes a shorter path. */
	mixed_ops(ops, self->epfd, self->efd, badfd, memfd, outer);
	for (i = 0; i < NR_MIXED; i++) {
		EXPECT_EQ(1, epoll_ctlv(self->epfd, &ops[i], 1, 0));
		EXPECT_EQ(mixed_expect[i], ops[i].result) TH_LOG("op %d", i);
		if (i + 1 < NR_MIXED)	/* only the one op is written */
			EXPECT_EQ(UNTOUCHED, ops[i + 1].result);
	}
	EXPECT_EQ(0, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[0], 0, 0));
	EXPECT_EQ(0, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[1], 0, 0));
	EXPECT_EQ(-ENOENT, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[2], 0, 0));
	close(outer);
	close(memfd);
}

TEST_F(epoll_ctlv, stop_on_error)
{
	struct epoll_ctl_op ops[4], big[100];
	int i;

	set_op(&ops[0], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
	set_op(&ops[1], EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 0);
	set_op(&ops[2], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
	set_op(&ops[3], EPOLL_CTL_ADD, self->efd[2], EPOLLIN, 0);

	ASSERT_EQ(3, epoll_ctlv(self->epfd, ops, 4, EPOLL_CTLV_STOP_ON_ERROR));
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	EXPECT_EQ(-EEXIST, ops[2].result);
	EXPECT_EQ(UNTOUCHED, ops[3].result);
	EXPECT_EQ(-ENOENT, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[2], 0, 0));

	/* A first op that fails is attempted: the count is 1. */
	set_op(&ops[0], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
	set_op(&ops[1], EPOLL_CTL_ADD, self->efd[3], EPOLLIN, 0);
	ASSERT_EQ(1, epoll_ctlv(self->epfd, ops, 2, EPOLL_CTLV_STOP_ON_ERROR));
	EXPECT_EQ(-EEXIST, ops[0].result);
	EXPECT_EQ(UNTOUCHED, ops[1].result);

	/* Without failures the flag changes nothing. */
	for (i = 0; i < 4; i++)
		set_op(&ops[i], EPOLL_CTL_DEL, self->efd[i], 0, 0);
	ops[2].op = EPOLL_CTL_ADD;
	ops[2].events = EPOLLIN;
	ops[3].op = EPOLL_CTL_ADD;
	ops[3].events = EPOLLIN;
	ASSERT_EQ(4, epoll_ctlv(self->epfd, ops, 4, EPOLL_CTLV_STOP_ON_ERROR));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, ops[i].result);

	/* A stop in a later chunk: efd[3] is in, DEL/ADD it 35 times. */
	for (i = 0; i < 100; i++)
		set_op(&big[i], i % 2 ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
		       self->efd[3], EPOLLIN, i);
	/* ...then op 70 ADDs it once more: EEXIST. */
	big[70].op = EPOLL_CTL_ADD;
	ASSERT_EQ(71, epoll_ctlv(self->epfd, big, 100,
				 EPOLL_CTLV_STOP_ON_ERROR));
	for (i = 0; i < 70; i++)
		EXPECT_EQ(0, big[i].result) TH_LOG("op %d", i);
	EXPECT_EQ(-EEXIST, big[70].result);
	for (i = 71; i < 100; i++)
		EXPECT_EQ(UNTOUCHED, big[i].result) TH_LOG("op %d", i);
}

#define NR_QUOTA_EFD	40
#define QUOTA_ROOM	20

static int set_watch_limit(long limit)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", limit);
	return write_file(QUOTA_SYSCTL, buf);
}

/*
 * How many of @efd[0..n-1] epoll_ctl() can add to @epfd before the
 * user's watch quota runs out; the ones added are removed again.
 */
static int watch_room(int epfd, const int *efd, int n)
{
	int i, room;

	for (room = 0; room < n; room++)
		if (ctl(epfd, EPOLL_CTL_ADD, efd[room], EPOLLIN, 0))
			break;
	for (i = 0; i < room; i++)
		ctl(epfd, EPOLL_CTL_DEL, efd[i], 0, 0);
	return room;
}

/*
 * Near the end of the fs.epoll.max_user_watches quota a batch fails with
 * ENOSPC at the op where epoll_ctl() calls would, a DEL frees a watch for
 * an ADD after it in the same batch, also for the ADD of an epoll fd
 * (which takes epoll_ctl()'s own path), and the quota is left as it was.
 */
TEST_F(epoll_ctlv, watch_quota)
{
	struct epoll_ctl_op ops[NR_QUOTA_EFD];
	int efd[NR_QUOTA_EFD], inner[3], i, room, tries;
	long limit = 64;

	if (read_line(QUOTA_SYSCTL, self->saved_quota,
		      sizeof(self->saved_quota)))
		SKIP(return, "no %s", QUOTA_SYSCTL);
	for (i = 0; i < NR_QUOTA_EFD; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		ASSERT_LE(0, efd[i]);
	}

	/* Move the limit until exactly QUOTA_ROOM more watches fit. */
	for (tries = 0; tries < 64; tries++) {
		ASSERT_EQ(0, set_watch_limit(limit));
		room = watch_room(self->epfd, efd, NR_QUOTA_EFD);
		if (room == QUOTA_ROOM)
			break;
		if (room == 0)
			limit *= 2;
		else
			limit -= room - QUOTA_ROOM;
	}
	ASSERT_EQ(QUOTA_ROOM, room);

	for (i = 0; i < NR_QUOTA_EFD; i++)
		set_op(&ops[i], EPOLL_CTL_ADD, efd[i], EPOLLIN, i);
	EXPECT_EQ(NR_QUOTA_EFD, epoll_ctlv(self->epfd, ops, NR_QUOTA_EFD, 0));
	for (i = 0; i < NR_QUOTA_EFD; i++)
		EXPECT_EQ(i < QUOTA_ROOM ? 0 : -ENOSPC, ops[i].result)
			TH_LOG("op %d", i);
	EXPECT_EQ(-ENOSPC, ctl(self->epfd, EPOLL_CTL_ADD, efd[QUOTA_ROOM],
			       EPOLLIN, 0));

	/* At the limit: DEL then ADD fits, ADD then DEL does not. */
	set_op(&ops[0], EPOLL_CTL_DEL, efd[0], 0, 0);
	set_op(&ops[1], EPOLL_CTL_ADD, efd[QUOTA_ROOM], EPOLLIN, 0);
	set_op(&ops[2], EPOLL_CTL_ADD, efd[QUOTA_ROOM + 1], EPOLLIN, 0);
	set_op(&ops[3], EPOLL_CTL_DEL, efd[1], 0, 0);
	EXPECT_EQ(4, epoll_ctlv(self->epfd, ops, 4, 0));
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	EXPECT_EQ(-ENOSPC, ops[2].result);
	EXPECT_EQ(0, ops[3].result);

	/*
	 * ADDs of epoll fds take epoll_ctl()'s path with the loop check and
	 * charge their own watch: with room for 3, both of 2 fit.
	 */
	for (i = 0; i < 3; i++) {
		inner[i] = epoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, inner[i]);
	}
	ASSERT_EQ(0, ctl(self->epfd, EPOLL_CTL_DEL, efd[2], 0, 0));
	ASSERT_EQ(0, ctl(self->epfd, EPOLL_CTL_DEL, efd[3], 0, 0));
	set_op(&ops[0], EPOLL_CTL_ADD, inner[0], EPOLLIN, 0);
	set_op(&ops[1], EPOLL_CTL_ADD, inner[1], EPOLLIN, 0);
	EXPECT_EQ(2, epoll_ctlv(self->epfd, ops, 2, 0));
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	/* At the limit again, a DEL makes room for such an ADD too. */
	ASSERT_EQ(0, ctl(self->epfd, EPOLL_CTL_ADD, efd[2], EPOLLIN, 0));
	set_op(&ops[0], EPOLL_CTL_DEL, efd[2], 0, 0);
	set_op(&ops[1], EPOLL_CTL_ADD, inner[2], EPOLLIN, 0);
	EXPECT_EQ(2, epoll_ctlv(self->epfd, ops, 2, 0));
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	for (i = 0; i < 3; i++)
		close(inner[i]);	/* which removes them from epfd */

	/* Remove the QUOTA_ROOM - 3 left: the room is as before. */
	for (i = 0; i < QUOTA_ROOM + 1; i++)
		set_op(&ops[i], EPOLL_CTL_DEL, efd[i], 0, 0);
	EXPECT_EQ(QUOTA_ROOM + 1, epoll_ctlv(self->epfd, ops,
					     QUOTA_ROOM + 1, 0));
	for (i = 0; i < QUOTA_ROOM + 1; i++)
		EXPECT_EQ(i < 4 ? -ENOENT : 0, ops[i].result)
			TH_LOG("op %d", i);
	EXPECT_EQ(QUOTA_ROOM, watch_room(self->epfd, efd, NR_QUOTA_EFD));

	for (i = 0; i < NR_QUOTA_EFD; i++)
		close(efd[i]);
}

/*
 * A DEL gives its watch to a later ADD of the same batch also when the
 * quota is as high as the sysctl allows (LONG_MAX): the sum of the limit
 * and the freed watches must not wrap into an ENOSPC that epoll_ctl()
 * would not give.
 */
TEST_F(epoll_ctlv, watch_quota_at_its_maximum)
{
	struct epoll_ctl_op ops[2];

	if (read_line(QUOTA_SYSCTL, self->saved_quota,
		      sizeof(self->saved_quota)))
		SKIP(return, "no %s", QUOTA_SYSCTL);
	ASSERT_EQ(0, set_watch_limit(LONG_MAX));
	ASSERT_EQ(0, ctl(self->epfd, EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0));
	set_op(&ops[0], EPOLL_CTL_DEL, self->efd[0], 0, 0);
	set_op(&ops[1], EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 1);
	EXPECT_EQ(2, epoll_ctlv(self->epfd, ops, 2, 0));
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	/* What epoll_ctl() answers in the same state. */
	EXPECT_EQ(0, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[1], 0, 0));
	EXPECT_EQ(0, ctl(self->epfd, EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 1));
}

TEST_F(epoll_ctlv, nops_limits)
{
	static struct epoll_ctl_op ops[EPOLL_CTLV_MAX + 1];
	int i;

	/* nops == 0: nothing to do, even without an array. */
	EXPECT_EQ(0, epoll_ctlv(self->epfd, NULL, 0, 0));
	EXPECT_EQ(0, epoll_ctlv(self->epfd, ops, 0, EPOLL_CTLV_STOP_ON_ERROR));

	for (i = 0; i <= EPOLL_CTLV_MAX; i++)
		set_op(&ops[i], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, i);
	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(self->epfd, ops, EPOLL_CTLV_MAX + 1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, epoll_ctlv(self->epfd, ops, ~0U, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(UNTOUCHED, ops[0].result);
	EXPECT_EQ(-ENOENT, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[0], 0, 0));

	/* Exactly EPOLL_CTLV_MAX is fine. */
	ASSERT_EQ(EPOLL_CTLV_MAX, epoll_ctlv(self->epfd, ops, EPOLL_CTLV_MAX, 0));
	EXPECT_EQ(0, ops[0].result);
	for (i = 1; i < EPOLL_CTLV_MAX; i++)
		ASSERT_EQ(-EEXIST, ops[i].result) TH_LOG("op %d", i);
	EXPECT_EQ(UNTOUCHED, ops[EPOLL_CTLV_MAX].result);
}

TEST_F(epoll_ctlv, unknown_flags)
{
	struct epoll_ctl_op op;
	unsigned int bit;

	for (bit = 1; bit < 32; bit++) {
		set_op(&op, EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
		errno = 0;
		EXPECT_EQ(-1, epoll_ctlv(self->epfd, &op, 1, 1U << bit));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(UNTOUCHED, op.result);
	}
	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(self->epfd, &op, 1, ~0U));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ENOENT, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[0], 0, 0));
}

TEST_F(epoll_ctlv, bad_epfd)
{
	struct epoll_ctl_op op;

	set_op(&op, EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(-1, &op, 1, 0));
	EXPECT_EQ(EBADF, errno);
	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(closed_fd(), &op, 1, 0));
	EXPECT_EQ(EBADF, errno);
	/* Not an epoll fd: EINVAL, as from epoll_ctl(). */
	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(self->efd[1], &op, 1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, ctl(self->efd[1], EPOLL_CTL_ADD, self->efd[0],
			       EPOLLIN, 0));
	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(self->efd[1], NULL, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(UNTOUCHED, op.result);
}

TEST_F(epoll_ctlv, bad_pointer)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(self->epfd, NULL, 1, 0));
	EXPECT_EQ(EFAULT, errno);

	p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, page));
	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(self->epfd, p, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(self->epfd, p, EPOLL_CTLV_MAX, 0));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * The array runs off the end of its mapping: the ops read in full are
 * applied and reported, the call returns their count.
 */
static void straddle(struct __test_metadata *_metadata, int epfd,
		     const int *efd, int nfull, int nops)
{
	long page = sysconf(_SC_PAGESIZE);
	struct epoll_ctl_op *ops;
	char *map;
	int i;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + page, page));
	/* nfull whole ops, then one with 8 of its 24 bytes mapped. */
	ops = (struct epoll_ctl_op *)(map + page - 8 -
				      nfull * sizeof(*ops));
	for (i = 0; i < nfull; i++)
		set_op(&ops[i], i % 2 ? EPOLL_CTL_DEL : EPOLL_CTL_ADD,
		       efd[0], EPOLLIN, i);
	/* The last whole op adds efd[1]; it must be applied. */
	set_op(&ops[nfull - 1], EPOLL_CTL_ADD, efd[1], EPOLLIN, 1);

	EXPECT_EQ(nfull, epoll_ctlv(epfd, ops, nops, 0));
	for (i = 0; i < nfull - 1; i++)
		EXPECT_EQ(0, ops[i].result) TH_LOG("op %d", i);
	EXPECT_EQ(0, ops[nfull - 1].result);
	EXPECT_EQ(0, ctl(epfd, EPOLL_CTL_DEL, efd[1], 0, 0));
	/* nfull - 1 alternating ADD/DEL of efd[0]: in iff that is odd. */
	EXPECT_EQ((nfull - 1) % 2 ? 0 : -ENOENT,
		  ctl(epfd, EPOLL_CTL_DEL, efd[0], 0, 0));

	/* Starting right at the hole: EFAULT, nothing done. */
	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(epfd, &ops[nfull], 1, 0));
	EXPECT_EQ(EFAULT, errno);
	munmap(map, page);
}

/*
 * Ops the kernel can read but not write results to: applied, then
 * EFAULT, since no result was stored.  One op takes the short path,
 * two the loop over chunks.
 */
TEST_F(epoll_ctlv, read_only_ops)
{
	long page = sysconf(_SC_PAGESIZE);
	struct epoll_ctl_op *ops;

	ops = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ops);
	set_op(&ops[0], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
	set_op(&ops[1], EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 1);
	ASSERT_EQ(0, mprotect(ops, page, PROT_READ));

	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(self->epfd, ops, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[0], 0, 0));
	EXPECT_EQ(-ENOENT, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[1], 0, 0));

	errno = 0;
	EXPECT_EQ(-1, epoll_ctlv(self->epfd, ops, 2, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[0], 0, 0));
	EXPECT_EQ(0, ctl(self->epfd, EPOLL_CTL_DEL, self->efd[1], 0, 0));
	munmap(ops, page);
}

TEST_F(epoll_ctlv, fault_in_first_chunk)
{
	straddle(_metadata, self->epfd, self->efd, 5, 10);
}

TEST_F(epoll_ctlv, fault_in_later_chunk)
{
	straddle(_metadata, self->epfd, self->efd, 100, 150);
}

TEST_F(epoll_ctlv, fault_at_chunk_end)
{
	straddle(_metadata, self->epfd, self->efd, 64, EPOLL_CTLV_MAX);
}

/* The EPOLLEXCLUSIVE rules are those of epoll_ctl(). */
TEST_F(epoll_ctlv, exclusive_rules)
{
	struct epoll_ctl_op ops[7];
	int other, ref, i;

	other = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, other);
	ref = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ref);

	set_op(&ops[0], EPOLL_CTL_ADD, self->efd[0], EPOLLIN | EPOLLEXCLUSIVE, 0);
	set_op(&ops[1], EPOLL_CTL_MOD, self->efd[0], EPOLLIN, 0);
	set_op(&ops[2], EPOLL_CTL_MOD, self->efd[0], EPOLLIN | EPOLLEXCLUSIVE, 0);
	set_op(&ops[3], EPOLL_CTL_ADD, other, EPOLLIN | EPOLLEXCLUSIVE, 0);
	set_op(&ops[4], EPOLL_CTL_ADD, self->efd[1],
	       EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0);
	set_op(&ops[5], EPOLL_CTL_ADD, self->efd[2],
	       EPOLLIN | EPOLLOUT | EPOLLET | EPOLLEXCLUSIVE, 0);
	set_op(&ops[6], EPOLL_CTL_DEL, self->efd[0], 0, 0);

	ASSERT_EQ(7, epoll_ctlv(self->epfd, ops, 7, 0));
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(-EINVAL, ops[1].result);
	EXPECT_EQ(-EINVAL, ops[2].result);
	EXPECT_EQ(-EINVAL, ops[3].result);
	EXPECT_EQ(-EINVAL, ops[4].result);
	EXPECT_EQ(0, ops[5].result);
	EXPECT_EQ(0, ops[6].result);
	for (i = 0; i < 7; i++)
		EXPECT_EQ(ops[i].result, ctl(ref, ops[i].op, ops[i].fd,
					     ops[i].events, 0))
			TH_LOG("op %d", i);
	close(other);
	close(ref);
}

/* Nested epoll: loops are refused, nesting through the slow path works. */
TEST_F(epoll_ctlv, nested_and_loop)
{
	struct epoll_ctl_op ops[4];
	struct epoll_event ev;
	int a = self->epfd, b, c;
	uint64_t one = 1;

	b = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, b);
	c = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, c);

	/* a watches b, b watches c. */
	set_op(&ops[0], EPOLL_CTL_ADD, b, EPOLLIN, 0xb);
	ASSERT_EQ(1, epoll_ctlv(a, ops, 1, 0));
	ASSERT_EQ(0, ops[0].result);
	set_op(&ops[0], EPOLL_CTL_ADD, c, EPOLLIN, 0xc);
	ASSERT_EQ(1, epoll_ctlv(b, ops, 1, 0));
	ASSERT_EQ(0, ops[0].result);

	/* c watching a or b would close a loop. */
	set_op(&ops[0], EPOLL_CTL_ADD, a, EPOLLIN, 0);
	set_op(&ops[1], EPOLL_CTL_ADD, b, EPOLLIN, 0);
	set_op(&ops[2], EPOLL_CTL_ADD, c, EPOLLIN, 0);
	set_op(&ops[3], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0xe0);
	ASSERT_EQ(4, epoll_ctlv(c, ops, 4, 0));
	EXPECT_EQ(-ELOOP, ops[0].result);
	EXPECT_EQ(-ELOOP, ops[1].result);
	EXPECT_EQ(-EINVAL, ops[2].result);
	/* c is watched: this ADD takes the full check and works. */
	EXPECT_EQ(0, ops[3].result);

	ASSERT_EQ(8, write(self->efd[0], &one, 8));
	ASSERT_EQ(1, epoll_wait(c, &ev, 1, 0));
	EXPECT_EQ(0xe0ULL, ev.data.u64);
	ASSERT_EQ(1, epoll_wait(b, &ev, 1, 0));
	EXPECT_EQ(0xcULL, ev.data.u64);
	ASSERT_EQ(1, epoll_wait(a, &ev, 1, 0));
	EXPECT_EQ(0xbULL, ev.data.u64);

	/* Same answers from epoll_ctl(). */
	EXPECT_EQ(-ELOOP, ctl(c, EPOLL_CTL_ADD, a, EPOLLIN, 0));
	EXPECT_EQ(-EEXIST, ctl(c, EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0));
	close(c);
	close(b);
}

#define NR_RACE_FD	32
#define RACE_BATCHES	400
#define RACE_OPS	48

struct race {
	int epfd;
	int fds[NR_RACE_FD];	/* numbers the closer keeps reopening */
	int outer;		/* the nester's */
	int stop;
	unsigned long reopened;
	unsigned long nested;
	int err;
};

/* Close and reopen the fds under the batches. */
static void *closer_fn(void *arg)
{
	struct race *r = arg;
	unsigned int seed = 1, i;

	while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
		i = rand_r(&seed) % NR_RACE_FD;
		close(r->fds[i]);
		/* Lowest free number: the one just closed. */
		if (eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) != r->fds[i]) {
			r->err = 1;
			break;
		}
		r->reopened++;
	}
	return NULL;
}

/* Watch and unwatch the epoll fd, so ADDs flip to the full-check path. */
static void *nester_fn(void *arg)
{
	struct race *r = arg;
	int outer = r->outer;

	while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
		if (ctl(outer, EPOLL_CTL_ADD, r->epfd, EPOLLIN, 0) ||
		    ctl(outer, EPOLL_CTL_DEL, r->epfd, 0, 0)) {
			r->err = 3;
			break;
		}
		r->nested++;
	}
	return NULL;
}

TEST_F_TIMEOUT(epoll_ctlv, concurrent_close, 600)
{
	struct epoll_ctl_op ops[RACE_OPS];
	pthread_t closer, nester;
	unsigned int seed = 7;
	struct race r = { .epfd = self->epfd };
	int i, b, res, n_ok = 0;

	/* Numbers above the fixture's, handed out in order. */
	for (i = 0; i < NR_RACE_FD; i++) {
		r.fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, r.fds[i]);
		if (i)
			ASSERT_EQ(r.fds[i - 1] + 1, r.fds[i]);
	}
	/* Before the closer runs: it needs the lowest free numbers. */
	r.outer = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, r.outer);
	ASSERT_EQ(0, pthread_create(&closer, NULL, closer_fn, &r));
	ASSERT_EQ(0, pthread_create(&nester, NULL, nester_fn, &r));

	for (b = 0; b < RACE_BATCHES; b++) {
		for (i = 0; i < RACE_OPS; i++)
			set_op(&ops[i], 1 + rand_r(&seed) % 3,
			       r.fds[rand_r(&seed) % NR_RACE_FD],
			       EPOLLIN | EPOLLOUT, i);
		ASSERT_EQ(RACE_OPS, epoll_ctlv(self->epfd, ops, RACE_OPS, 0));
		for (i = 0; i < RACE_OPS; i++) {
			res = ops[i].result;
			n_ok += !res;
			if (ops[i].op == EPOLL_CTL_ADD) {
				EXPECT_TRUE(res == 0 || res == -EEXIST ||
					    res == -EBADF)
					TH_LOG("ADD: %d", res);
			} else {
				EXPECT_TRUE(res == 0 || res == -ENOENT ||
					    res == -EBADF)
					TH_LOG("op %d: %d", ops[i].op, res);
			}
		}
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(closer, NULL);
	pthread_join(nester, NULL);
	EXPECT_EQ(0, r.err);
	EXPECT_LT(0, n_ok);
	TH_LOG("%d ops succeeded, %lu reopens, %lu nest cycles",
	       n_ok, r.reopened, r.nested);
	for (i = 0; i < NR_RACE_FD; i++)
		close(r.fds[i]);
	close(r.outer);
}

/*
 * The same seeded random 10,000 ops through epoll_ctl() on one epoll fd
 * and through epoll_ctlv() (random batch sizes) on another, watching the
 * same eventfds and pipes: the results, the interest lists and the events
 * reported when fds turn ready must be identical.
 */
#define EQ_OPS		10000
#define EQ_NFD		48	/* 16 eventfds, 16 pipes (both ends) */

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int cmp_ev(const void *a, const void *b)
{
	const struct epoll_event *x = a, *y = b;

	if (x->data.u64 != y->data.u64)
		return x->data.u64 < y->data.u64 ? -1 : 1;
	return (x->events > y->events) - (x->events < y->events);
}

static const uint32_t ev_choice[] = {
	EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLET,
	EPOLLOUT | EPOLLET, EPOLLIN | EPOLLONESHOT, EPOLLIN | EPOLLRDHUP,
	EPOLLIN | EPOLLPRI, EPOLLIN | EPOLLEXCLUSIVE,
	EPOLLIN | EPOLLONESHOT | EPOLLEXCLUSIVE, 0,
};

TEST_F_TIMEOUT(epoll_ctlv, equivalence, 600)
{
	static struct epoll_ctl_op ops[EQ_OPS];
	static char list1[65536], list2[65536];
	struct epoll_event ev1[EQ_NFD + 1], ev2[EQ_NFD + 1];
	int fds[EQ_NFD], ep2, i, j, done = 0, waits = 0;
	uint64_t seed = 0x5eed5eed12345ULL, one = 1;
	int ep1 = self->epfd;

	for (i = 0; i < 16; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 16; i < EQ_NFD; i += 2)
		ASSERT_EQ(0, pipe2(&fds[i], O_CLOEXEC | O_NONBLOCK));
	ep2 = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep2);

	for (i = 0; i < EQ_OPS; i++) {
		uint64_t r = xorshift(&seed);

		set_op(&ops[i], 1 + r % 3, fds[(r >> 8) % EQ_NFD],
		       ev_choice[(r >> 16) %
				 (sizeof(ev_choice) / sizeof(ev_choice[0]))],
		       xorshift(&seed));
	}

	while (done < EQ_OPS) {
		int n = 1 + xorshift(&seed) % EPOLL_CTLV_MAX;
		int n1, n2;

		if (n > EQ_OPS - done)
			n = EQ_OPS - done;
		/* Mostly small batches, as a server would issue them. */
		if (xorshift(&seed) % 4)
			n = 1 + n % 16;
		ASSERT_EQ(n, epoll_ctlv(ep2, &ops[done], n, 0));
		for (i = done; i < done + n; i++)
			ASSERT_EQ(ctl(ep1, ops[i].op, ops[i].fd,
				      ops[i].events, ops[i].data),
				  ops[i].result)
				TH_LOG("op %d: %u on fd %d events %#x", i,
				       ops[i].op, ops[i].fd, ops[i].events);
		done += n;

		ASSERT_EQ(0, interest_list(ep1, list1, sizeof(list1)));
		ASSERT_EQ(0, interest_list(ep2, list2, sizeof(list2)));
		ASSERT_STREQ(list1, list2);

		/* Make some fds ready, compare what both report, drain. */
		for (j = 0; j < 16; j++)
			if (xorshift(&seed) % 3 == 0)
				ASSERT_EQ(8, write(fds[j], &one, 8));
		for (j = 16; j < EQ_NFD; j += 2)
			if (xorshift(&seed) % 3 == 0)
				ASSERT_EQ(1, write(fds[j + 1], "x", 1));
		n1 = epoll_wait(ep1, ev1, EQ_NFD + 1, 0);
		n2 = epoll_wait(ep2, ev2, EQ_NFD + 1, 0);
		ASSERT_EQ(n1, n2);
		ASSERT_LE(0, n1);
		qsort(ev1, n1, sizeof(ev1[0]), cmp_ev);
		qsort(ev2, n2, sizeof(ev2[0]), cmp_ev);
		for (j = 0; j < n1; j++) {
			ASSERT_EQ(ev1[j].data.u64, ev2[j].data.u64);
			ASSERT_EQ(ev1[j].events, ev2[j].events);
		}
		waits += n1;
		for (j = 0; j < 16; j++) {
			uint64_t v;

			(void)!read(fds[j], &v, 8);
		}
		for (j = 16; j < EQ_NFD; j += 2) {
			char buf[64];

			(void)!read(fds[j], buf, sizeof(buf));
		}
	}
	TH_LOG("%d ops, %d events compared", EQ_OPS, waits);
	EXPECT_LT(0, waits);
	for (i = 0; i < EQ_NFD; i++)
		close(fds[i]);
	close(ep2);
}

TEST_HARNESS_MAIN
