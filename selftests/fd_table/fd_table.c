// SPDX-License-Identifier: GPL-2.0
/*
 * The fd table in chunks (patch 0010).
 *
 * Semantics, the same on both kernels: the lowest free fd across chunk
 * boundaries, dup2() and F_DUPFD far beyond the table, close_range() with
 * and without CLOSE_RANGE_CLOEXEC and over a sparse table, fork() with
 * 100,000 open fds, and /proc/self/fd.
 *
 * Stress: 8 threads open and close eventfds, pipes and sockets while
 * another grows the table from 64 to 1,048,576 slots and two more call
 * fstat() on every fd in sight; a userspace shadow table of who owns
 * which fd catches a lost or doubled fd.
 *
 * Mechanism: growing a table that threads share no longer waits for an
 * RCU grace period.  The function profiler counts synchronize_rcu():
 * 14 growths cost 14 calls on the baseline.  And a chunk is allocated
 * when its first fd is: dup2() to fd 2^20 - 1 costs the directory and
 * the bitmaps, not 8 MB of slots.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "kselftest_harness.h"
#include "tracefs.h"

#define MAX_FD		(1 << 20)	/* fs.nr_open's default */

static int raise_nofile(unsigned int n)
{
	struct rlimit r = { n, n };

	return setrlimit(RLIMIT_NOFILE, &r);
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Close every fd from FROM on. */
static void close_from(int from)
{
	syscall(SYS_close_range, from, ~0U, 0);
}

TEST(lowest_fd_across_chunk_boundaries)
{
	static const int holes[] = { 200, 128, 127, 64, 63, 5 };
	int base = open("/dev/null", O_RDONLY), fd, i;

	ASSERT_LE(0, base);
	ASSERT_EQ(0, raise_nofile(4096));
	while ((fd = dup(base)) < 300)
		ASSERT_LE(0, fd);
	close(fd);
	for (i = 0; i < 6; i++)
		if (holes[i] != base)
			ASSERT_EQ(0, close(holes[i]));
	/* the lowest first, whichever chunk it is in */
	for (i = 5; i >= 0; i--) {
		if (holes[i] == base)
			continue;
		EXPECT_EQ(holes[i], dup(base));
	}
	EXPECT_EQ(300, dup(base));
	close_from(base + 1);
	close(base);
}

TEST(dup2_far_beyond_the_table)
{
	static const int targets[] = { 64, 4095, 4096, 100000, MAX_FD - 1 };
	int base = eventfd(0, 0), i;
	struct stat a, b;

	ASSERT_LE(0, base);
	ASSERT_EQ(0, raise_nofile(MAX_FD));
	ASSERT_EQ(0, fstat(base, &a));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(targets[i], dup2(base, targets[i]));
		ASSERT_EQ(0, fstat(targets[i], &b));
		EXPECT_EQ(a.st_ino, b.st_ino);
	}
	EXPECT_EQ(-1, dup2(base, MAX_FD));
	EXPECT_EQ(EBADF, errno);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, close(targets[i]));
	EXPECT_FALSE(is_open(100000));
	close(base);
}

static long mem_free_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * dup2() to the last fd of a 2^20-slot table: a chunk is allocated when
 * its first fd is, so growing costs the bitmaps and the directory (386 KB
 * on 64-bit), not the 8 MB of a slot for every fd.  Each try is a fresh
 * process with a 64-slot table; the least of three drops in MemFree is
 * taken, since the CPUs' page lists blur a single one.
 */
TEST(dup2_to_the_last_fd_allocates_no_other_chunk)
{
	int base = eventfd(0, 0), pipefd[2], status, i;
	long drop, least = -1;

	ASSERT_LE(0, base);
	ASSERT_EQ(0, raise_nofile(MAX_FD));
	ASSERT_EQ(0, pipe(pipefd));
	for (i = 0; i < 3; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			long before = mem_free_kib();

			if (dup2(base, MAX_FD - 1) != MAX_FD - 1)
				_exit(1);
			drop = before - mem_free_kib();
			_exit(write(pipefd[1], &drop, sizeof(drop)) !=
			      sizeof(drop));
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, status);
		ASSERT_EQ((ssize_t)sizeof(drop),
			  read(pipefd[0], &drop, sizeof(drop)));
		if (least < 0 || drop < least)
			least = drop;
	}
	TH_LOG("MemFree dropped by %ld KiB at least", least);
	EXPECT_GT(4096, least);
	close(pipefd[0]);
	close(pipefd[1]);
	close(base);
}

TEST(f_dupfd_with_a_large_minimum)
{
	int base = eventfd(0, 0);

	ASSERT_LE(0, base);
	ASSERT_EQ(0, raise_nofile(MAX_FD));
	EXPECT_EQ(300000, fcntl(base, F_DUPFD, 300000));
	EXPECT_EQ(300001, fcntl(base, F_DUPFD, 300000));
	EXPECT_EQ(700000, fcntl(base, F_DUPFD_CLOEXEC, 700000));
	EXPECT_EQ(FD_CLOEXEC, fcntl(700000, F_GETFD));
	EXPECT_EQ(0, fcntl(300000, F_GETFD));
	EXPECT_EQ(-1, fcntl(base, F_DUPFD, MAX_FD));
	EXPECT_EQ(EINVAL, errno);
	close(300000);
	close(300001);
	close(700000);
	close(base);
}

TEST(close_range_across_chunks)
{
	int base = open("/dev/null", O_RDONLY), fd;

	ASSERT_LE(0, base);
	ASSERT_EQ(0, raise_nofile(4096));
	while ((fd = dup(base)) < 1000)
		ASSERT_LE(0, fd);
	close(fd);

	ASSERT_EQ(0, syscall(SYS_close_range, 100, 300, 0));
	EXPECT_TRUE(is_open(99));
	EXPECT_FALSE(is_open(100));
	EXPECT_FALSE(is_open(200));
	EXPECT_FALSE(is_open(300));
	EXPECT_TRUE(is_open(301));
	EXPECT_EQ(100, dup(base));

	ASSERT_EQ(0, syscall(SYS_close_range, 500, 700,
			     CLOSE_RANGE_CLOEXEC));
	EXPECT_EQ(0, fcntl(499, F_GETFD));
	EXPECT_EQ(FD_CLOEXEC, fcntl(500, F_GETFD));
	EXPECT_EQ(FD_CLOEXEC, fcntl(640, F_GETFD));
	EXPECT_EQ(FD_CLOEXEC, fcntl(700, F_GETFD));
	EXPECT_EQ(0, fcntl(701, F_GETFD));

	/* CLOSE_RANGE_UNSHARE makes a table of its own, in chunks too */
	ASSERT_EQ(0, syscall(SYS_close_range, 800, ~0U,
			     CLOSE_RANGE_UNSHARE));
	EXPECT_TRUE(is_open(799));
	EXPECT_FALSE(is_open(800));
	close_from(base + 1);
	close(base);
}

/* Three kinds of file, so that the child can tell which an fd is. */
static int kind_of(int i)
{
	return i % 3;
}

/*
 * close_range() over a sparse 2^20-slot table: it finds the open fds
 * in the bitmap (find_next_bit() on open_fds, as 7.3.4's
 * __range_close() already does) and closes them through the chunks,
 * most of which are absent here.  Put open fds on both sides of the
 * 4096-fd marks and of the range's first fd, and at the very end, and
 * check that exactly those in the range close.
 */
TEST(close_range_over_a_sparse_table)
{
	static const int inside[] = { 4097, 8192, 8193, 8194, 70000,
				      524288, MAX_FD - 1 };
	static const int outside[] = { 4095, 4096 };
	int base = eventfd(0, 0);
	unsigned int i;

	ASSERT_LE(0, base);
	ASSERT_EQ(0, raise_nofile(MAX_FD));
	for (i = 0; i < ARRAY_SIZE(inside); i++)
		ASSERT_EQ(inside[i], dup2(base, inside[i]));
	for (i = 0; i < ARRAY_SIZE(outside); i++)
		ASSERT_EQ(outside[i], dup2(base, outside[i]));
	ASSERT_EQ(0, syscall(SYS_close_range, 4097, ~0U, 0));
	for (i = 0; i < ARRAY_SIZE(inside); i++)
		EXPECT_FALSE(is_open(inside[i])) TH_LOG("fd %d", inside[i]);
	for (i = 0; i < ARRAY_SIZE(outside); i++)
		EXPECT_TRUE(is_open(outside[i])) TH_LOG("fd %d", outside[i]);
	/* and the lowest free fd above them is the range's first again */
	EXPECT_EQ(4097, fcntl(base, F_DUPFD, 4097));
	close_from(base + 1);
	close(base);
}

TEST(fork_with_100000_fds)
{
	struct stat st[3];
	int src[3], fd, status, i;
	pid_t pid;

	ASSERT_EQ(0, raise_nofile(200000));
	src[0] = eventfd(0, 0);
	src[1] = open("/dev/null", O_RDONLY);
	src[2] = open("/proc/self/stat", O_RDONLY);
	for (i = 0; i < 3; i++) {
		ASSERT_LE(0, src[i]);
		ASSERT_EQ(0, fstat(src[i], &st[i]));
	}
	/* fds 10..100009: every 7th left closed */
	for (i = 10; i < 100010; i++)
		if (i % 7)
			ASSERT_EQ(i, dup2(src[kind_of(i)], i));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (i = 10; i < 100020; i++) {
			struct stat s;
			int open_ = fstat(i, &s) == 0;

			if (open_ != (i < 100010 && i % 7 != 0))
				_exit(10);
			if (open_ && (s.st_ino != st[kind_of(i)].st_ino ||
				      s.st_dev != st[kind_of(i)].st_dev))
				_exit(11);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("the child saw a different fd set (%d)",
		       WEXITSTATUS(status));
	close_from(10);
	for (fd = 0; fd < 3; fd++)
		close(src[fd]);
}

TEST(proc_self_fd_lists_exactly_the_open_fds)
{
	static unsigned char want[5000];
	int base = open("/dev/null", O_RDONLY), seen = 0, expected = 0, i;
	struct dirent *de;
	DIR *d;

	ASSERT_LE(0, base);
	ASSERT_EQ(0, raise_nofile(8192));
	for (i = 10; i < 5000; i++)
		if (i % 5 == 0 || (i > 60 && i < 70) || i == 4999)
			ASSERT_EQ(i, dup2(base, i));
	for (i = 0; i < 5000; i++)
		want[i] = is_open(i);
	d = opendir("/proc/self/fd");
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		ASSERT_GT(5000, fd);
		EXPECT_EQ(1, want[fd]) TH_LOG("fd %d listed but not open", fd);
		want[fd] = 2;
		seen++;
	}
	closedir(d);
	for (i = 0; i < 5000; i++) {
		expected += want[i] != 0;
		EXPECT_NE(1, want[i]) TH_LOG("fd %d open but not listed", i);
	}
	EXPECT_EQ(expected, seen);
	close_from(10);
	close(base);
}

/*
 * Stress.  shadow[fd] is the inode number of what the owning thread put
 * there, 0 when free; only the owner closes an fd, and checks first that
 * the kernel still has its file there.
 */
#define WORKERS		8
#define HELD		48
#define ROUNDS		4000

static unsigned long shadow[MAX_FD];
static volatile int stop;
static int keeper, rounds_done;

struct worker {
	int id, errors, fds[HELD];
	unsigned int seed;
	char why[128];
};

static void fail(struct worker *w, const char *why, int fd)
{
	if (!w->errors++)
		snprintf(w->why, sizeof(w->why), "%s (fd %d)", why, fd);
}

static void own(struct worker *w, int fd, int slot)
{
	struct stat st;

	if (fd < 0 || fd >= MAX_FD) {
		fail(w, "open failed", fd);
		w->fds[slot] = -1;
		return;
	}
	if (fstat(fd, &st)) {
		fail(w, "new fd not open", fd);
		return;
	}
	/* a doubled fd: the kernel handed out one we still own */
	if (!__sync_bool_compare_and_swap(&shadow[fd], 0, st.st_ino))
		fail(w, "fd handed out twice", fd);
	w->fds[slot] = fd;
}

static void disown(struct worker *w, int slot)
{
	int fd = w->fds[slot];
	struct stat st;

	if (fd < 0)
		return;
	if (fstat(fd, &st) || st.st_ino != shadow[fd])
		fail(w, "fd lost or changed under its owner", fd);
	__sync_lock_release(&shadow[fd]);
	close(fd);
	w->fds[slot] = -1;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	int r, i;

	for (i = 0; i < HELD; i++)
		w->fds[i] = -1;
	for (r = 0; r < ROUNDS; r++) {
		int slot = rand_r(&w->seed) % (HELD - 1), pair[2];

		disown(w, slot);
		disown(w, slot + 1);
		switch (rand_r(&w->seed) % 3) {
		case 0:
			own(w, eventfd(0, 0), slot);
			break;
		case 1:
			if (pipe(pair))
				pair[0] = pair[1] = -1;
			own(w, pair[0], slot);
			own(w, pair[1], slot + 1);
			break;
		case 2:
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair))
				pair[0] = pair[1] = -1;
			own(w, pair[0], slot);
			own(w, pair[1], slot + 1);
			break;
		}
		__sync_fetch_and_add(&rounds_done, 1);
	}
	for (i = 0; i < HELD; i++)
		disown(w, i);
	return NULL;
}

/*
 * Grow the table with F_DUPFD at 2^k - 1 or above, from 64 to 2^20 slots,
 * one growth per 1/16 of the workers' rounds, so that they install all
 * along.  The grower owns what it gets, like a worker.
 */
#define GROWTHS		14

static void *grower_fn(void *arg)
{
	struct worker *w = arg;
	int target, k = 0;

	for (target = 127; target < MAX_FD; target = target * 2 + 1, k++) {
		while (__atomic_load_n(&rounds_done, __ATOMIC_RELAXED) <
		       (k + 1) * WORKERS * ROUNDS / 16)
			sched_yield();
		own(w, fcntl(keeper, F_DUPFD, target), k);
		if (w->fds[k] < target)
			fail(w, "F_DUPFD below its minimum", w->fds[k]);
	}
	for (k = 0; k < GROWTHS; k++)
		disown(w, k);
	return NULL;
}

/* fget() on any fd, racing with everything above. */
static void *reader_fn(void *arg)
{
	unsigned int seed = (unsigned long)arg;
	struct stat st;

	while (!stop) {
		fstat(rand_r(&seed) % 512, &st);
		fstat(rand_r(&seed) % MAX_FD, &st);
	}
	return NULL;
}

TEST(stress_grow_while_installing)
{
	pthread_t w[WORKERS + 1], rd[2];
	struct worker wk[WORKERS + 1];
	int errors = 0, i, t;

	ASSERT_EQ(0, raise_nofile(MAX_FD));
	keeper = eventfd(0, 0);
	ASSERT_LE(0, keeper);
	memset(wk, 0, sizeof(wk));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&rd[i], NULL, reader_fn,
					    (void *)(long)(i + 1)));
	for (i = 0; i < WORKERS; i++) {
		wk[i].id = i;
		wk[i].seed = i * 7919 + 1;
		ASSERT_EQ(0, pthread_create(&w[i], NULL, worker_fn, &wk[i]));
	}
	ASSERT_EQ(0, pthread_create(&w[WORKERS], NULL, grower_fn,
				    &wk[WORKERS]));
	for (i = 0; i <= WORKERS; i++)
		pthread_join(w[i], NULL);
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(rd[i], NULL);

	for (i = 0; i <= WORKERS; i++) {
		errors += wk[i].errors;
		if (wk[i].errors)
			TH_LOG("%s %d: %d errors, first: %s",
			       i < WORKERS ? "worker" : "grower", i,
			       wk[i].errors, wk[i].why);
	}
	EXPECT_EQ(0, errors);
	for (t = 0; t < MAX_FD; t++)
		if (shadow[t])
			break;
	EXPECT_EQ(MAX_FD, t) TH_LOG("fd %d still owned", t);
	close_from(keeper + 1);
	close(keeper);
}

static void *idle_fn(void *arg)
{
	while (!stop)
		usleep(1000);
	return NULL;
}

TEST(growing_a_shared_table_waits_for_no_grace_period)
{
	int base = eventfd(0, 0), target, growths = 0;
	pthread_t t;
	long hits;

	ASSERT_LE(0, base);
	if (fn_profile_setup("synchronize_rcu"))
		SKIP(return, "no function profiler for synchronize_rcu");
	ASSERT_EQ(0, raise_nofile(MAX_FD));
	/* a second thread: the table is shared, as in a threaded server */
	stop = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, idle_fn, NULL));
	ASSERT_EQ(0, fn_profile_start());
	for (target = 127; target < MAX_FD; target = target * 2 + 1) {
		ASSERT_EQ(target, dup2(base, target));
		growths++;
	}
	hits = fn_profile_hits("synchronize_rcu");
	fn_profile_stop();
	stop = 1;
	pthread_join(t, NULL);
	TH_LOG("%d growths of a shared table: %ld synchronize_rcu() calls",
	       growths, hits);
	/* others may call it now and then; the baseline calls it per growth */
	EXPECT_GT(growths / 2, hits);
	close_from(base + 1);
	close(base);
}

TEST_HARNESS_MAIN
