// SPDX-License-Identifier: GPL-2.0
/*
 * poll_hint_bench: kernel cost of a poll() or select() over N eventfds
 * that sleeps and is woken for one of them, and of one that finds an fd
 * ready on its first pass.  With fs.poll_hinting the woken call polls
 * only the fd that woke it; setup and teardown stay O(N).
 *
 * "wake" is the poller thread's CPU time (CLOCK_THREAD_CPUTIME_ID) from
 * entering the call to its return, median of ROUNDS; "ready" is the cost
 * per call of a call that finds the last fd ready at once (CLOCK_MONOTONIC,
 * mean of ROUNDS calls).  Under the instruction-count clock (scripts/boot.sh
 * --icount) both count instructions and repeat exactly.
 *
 * On a kernel with fs.poll_hinting each figure is measured with hinting
 * off and on; on one without, mode=none.
 *
 * Output: poll_hint_bench call=C n=N mode=M case=wake|ready ns=X
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "task_stat.h"

#define MAX_N	65536
#define ROUNDS	15
#define SYSCTL	"/proc/sys/fs/poll_hinting"

static int fds[MAX_N];
static struct pollfd pfd[MAX_N];
static unsigned long rdbits[(MAX_N + 1024) / 64 + 1];
static unsigned long rdset[(MAX_N + 1024) / 64 + 1];
static int maxfd;

struct poller {
	int use_select, n;
	pid_t tid;
	int go, done;
	double ns;
};

static double ns_of(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long one_call(int use_select, int n, int timeout_ms)
{
	struct timeval tv = { 0, timeout_ms * 1000 };

	if (!use_select)
		return syscall(SYS_poll, pfd, n, timeout_ms);
	memcpy(rdset, rdbits, (fds[n - 1] / 64 + 1) * sizeof(long));
	return syscall(SYS_select, fds[n - 1] + 1, rdset, NULL, NULL,
		       timeout_ms < 0 ? NULL : &tv);
}

static void *poller_fn(void *arg)
{
	struct poller *p = arg;
	double t0;

	__atomic_store_n(&p->tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	for (;;) {
		while (!__atomic_load_n(&p->go, __ATOMIC_SEQ_CST))
			sched_yield();
		if (p->go < 0)
			break;
		p->go = 0;
		t0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
		if (one_call(p->use_select, p->n, -1) != 1) {
			perror("poll");
			exit(1);
		}
		p->ns = ns_of(CLOCK_THREAD_CPUTIME_ID) - t0;
		__atomic_store_n(&p->done, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void set_fds(int n)
{
	int i;

	memset(rdbits, 0, sizeof(rdbits));
	for (i = 0; i < n; i++) {
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN;
		rdbits[fds[i] / 64] |= 1UL << (fds[i] % 64);
	}
}

static double wake_cost(struct poller *p, int use_select, int n)
{
	double v[ROUNDS];
	uint64_t one = 1, got;
	int r, k;

	p->use_select = use_select;
	p->n = n;
	for (r = 0; r < ROUNDS; r++) {
		k = (r * 7919) % n;
		p->done = 0;
		__atomic_store_n(&p->go, 1, __ATOMIC_SEQ_CST);
		/* Let it run its first pass and sleep. */
		do
			sched_yield();
		while (!task_asleep_in(p->tid, use_select ? SYS_select : SYS_poll) ||
		       __atomic_load_n(&p->go, __ATOMIC_SEQ_CST));
		if (write(fds[k], &one, sizeof(one)) != sizeof(one))
			exit(1);
		while (!__atomic_load_n(&p->done, __ATOMIC_SEQ_CST))
			sched_yield();
		if (read(fds[k], &got, sizeof(got)) != sizeof(got))
			exit(1);
		v[r] = p->ns;
	}
	qsort(v, ROUNDS, sizeof(v[0]), cmp);
	return v[ROUNDS / 2];
}

static double ready_cost(int use_select, int n)
{
	uint64_t one = 1, got;
	double t;
	int r;

	if (write(fds[n - 1], &one, sizeof(one)) != sizeof(one))
		exit(1);
	t = ns_of(CLOCK_MONOTONIC);
	for (r = 0; r < ROUNDS * 10; r++)
		if (one_call(use_select, n, -1) != 1)
			exit(1);
	t = ns_of(CLOCK_MONOTONIC) - t;
	if (read(fds[n - 1], &got, sizeof(got)) != sizeof(got))
		exit(1);
	return t / (ROUNDS * 10);
}

static int sysctl_set(const char *v)
{
	int fd = open(SYSCTL, O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, v, 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

int main(void)
{
	static const int sizes[] = { 16, 256, 4096, MAX_N };
	struct rlimit rl = { MAX_N + 1024, MAX_N + 1024 };
	static const char * const modes[] = { "off", "on" };
	struct poller p = { 0 };
	int have_sysctl = access(SYSCTL, W_OK) == 0;
	int s, sel, m, i;
	pthread_t t;

	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		perror("setrlimit");
		return 1;
	}
	for (i = 0; i < MAX_N; i++) {
		fds[i] = eventfd(0, EFD_NONBLOCK);
		if (fds[i] < 0) {
			perror("eventfd");
			return 1;
		}
		if (fds[i] > maxfd)
			maxfd = fds[i];
	}
	if (pthread_create(&t, NULL, poller_fn, &p))
		return 1;
	while (!__atomic_load_n(&p.tid, __ATOMIC_SEQ_CST))
		sched_yield();
	printf("# poll_hint_bench: median of %d wakeups, mean of %d ready calls\n",
	       ROUNDS, ROUNDS * 10);
	for (m = have_sysctl ? 0 : 1; m < 2; m++) {
		const char *mode = have_sysctl ? modes[m] : "none";

		if (have_sysctl && sysctl_set(m ? "1" : "0")) {
			perror(SYSCTL);
			return 1;
		}
		for (sel = 0; sel < 2; sel++) {
			for (s = 0; s < 4; s++) {
				set_fds(sizes[s]);
				printf("poll_hint_bench call=%s n=%d mode=%s case=wake ns=%.0f\n",
				       sel ? "select" : "poll", sizes[s], mode,
				       wake_cost(&p, sel, sizes[s]));
				printf("poll_hint_bench call=%s n=%d mode=%s case=ready ns=%.0f\n",
				       sel ? "select" : "poll", sizes[s], mode,
				       ready_cost(sel, sizes[s]));
				fflush(stdout);
			}
		}
	}
	if (have_sysctl)
		sysctl_set("1");
	__atomic_store_n(&p.go, -1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	return 0;
}
