// SPDX-License-Identifier: GPL-2.0
/*
 * fd_table_bench: what the fd table's layout costs (patch 0010).
 * bench-clock: icount wall (the ramp's times mean something on two vCPUs)
 *
 *   ramp         4 threads open 1,000,000 eventfds between them, from a
 *                64-slot table: total time, and the worst and the 99th
 *                percentile latency of an open, of all and of those that
 *                grew the table
 *   read         read() of an empty non-blocking eventfd at fd 10 and at
 *                fd 500,000 of a 2^20-slot table, one thread (fdget()
 *                without a reference) and two (__fget_files_rcu() with
 *                one): the load added in front of a slot
 *   open_close   open("/dev/null") + close(), one thread and two
 *   grow         dup2() to 2^k - 1 for k = 7..20, growing the table from
 *                64 to 2^20 slots, with a second thread sharing it: what
 *                a threaded server pays on its way to 1M connections
 *   fork         fork() + exit + wait of a process with 100,000 open fds
 *                (dup_fd() copies them)
 *   close_range  close_range() of 100,000 fds
 *
 * The CPU-cost cases (read, open_close, fork, close_range) start after a
 * 100 ms sleep, so that work the previous case deferred (RCU callbacks
 * freeing replaced tables, exiting threads) does not land in their loops.
 *
 * Under the instruction-count clock (scripts/boot.sh --icount) the guest's
 * CLOCK_MONOTONIC counts instructions, plus idle time while waiting (an
 * RCU grace period).
 *
 * Output: fd_table_bench case=NAME [fd=N|fds=N] [threads=T] ns_per_op=X,
 *         and for ramp: total_ms, p99_ns, max_ns, grow_max_ns, grow_median_ns
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "now.h"

#define MAX_FD		(1 << 20)
#define LOOKUPS		200000
#define FORK_FDS	100000
#define RAMP_THREADS	4
#define RAMP_FDS	1000000

static volatile int stop;

static void *idle_fn(void *arg)
{
	(void)arg;
	while (!stop)
		usleep(10000);
	return NULL;
}

/*
 * Let the previous case's deferred work (RCU callbacks freeing replaced
 * tables, exiting threads) finish before a CPU-cost case is timed.
 */
static void settle(void)
{
	usleep(100000);
}

static void reads(int fd, int threads)
{
	double t;
	uint64_t v;
	int i;

	settle();
	t = now_ns();

	for (i = 0; i < LOOKUPS; i++)
		if (read(fd, &v, sizeof(v)) >= 0) {
			fprintf(stderr, "fd_table_bench: eventfd not empty\n");
			exit(1);
		}
	printf("fd_table_bench case=read fd=%d threads=%d ns_per_op=%.1f\n",
	       fd, threads, (now_ns() - t) / LOOKUPS);
}

static void open_closes(int threads)
{
	double t;
	int i;

	settle();
	t = now_ns();

	for (i = 0; i < LOOKUPS; i++)
		close(open("/dev/null", O_RDONLY));
	printf("fd_table_bench case=open_close threads=%d ns_per_op=%.1f\n",
	       threads, (now_ns() - t) / LOOKUPS);
}

/* The ramp: each thread opens its share and times every open. */
struct rampee {
	pthread_t t;
	int n, grows;
	double *lat, grow_lat[32];
};

static void *ramp_fn(void *arg)
{
	struct rampee *r = arg;
	int i;

	for (i = 0; i < r->n; i++) {
		double t = now_ns();
		int fd = eventfd(0, 0);

		r->lat[i] = now_ns() - t;
		if (fd < 0) {
			perror("eventfd");
			exit(1);
		}
		/* lowest-fd rule: the open that got fd == old size grew it */
		if (fd >= 64 && !(fd & (fd - 1)) && r->grows < 32)
			r->grow_lat[r->grows++] = r->lat[i];
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void ramp(void)
{
	static struct rampee r[RAMP_THREADS];
	double *all, grow[RAMP_THREADS * 32], t;
	int i, j, n = 0, ng = 0;

	all = malloc(sizeof(double) * RAMP_FDS);
	if (!all)
		exit(1);
	t = now_ns();
	for (i = 0; i < RAMP_THREADS; i++) {
		r[i].n = RAMP_FDS / RAMP_THREADS;
		r[i].lat = all + i * r[i].n;
		if (pthread_create(&r[i].t, NULL, ramp_fn, &r[i]))
			exit(1);
	}
	for (i = 0; i < RAMP_THREADS; i++)
		pthread_join(r[i].t, NULL);
	t = now_ns() - t;
	for (i = 0; i < RAMP_THREADS; i++) {
		n += r[i].n;
		for (j = 0; j < r[i].grows; j++)
			grow[ng++] = r[i].grow_lat[j];
	}
	qsort(all, n, sizeof(*all), cmp_double);
	qsort(grow, ng, sizeof(*grow), cmp_double);
	printf("fd_table_bench case=ramp fds=%d threads=%d total_ms=%.1f p99_ns=%.0f max_ns=%.0f grows=%d grow_max_ns=%.0f grow_median_ns=%.0f\n",
	       n, RAMP_THREADS, t / 1e6, all[n / 100 * 99], all[n - 1], ng,
	       ng ? grow[ng - 1] : 0, ng ? grow[ng / 2] : 0);
	free(all);
}

int main(void)
{
	struct rlimit rl = { MAX_FD, MAX_FD };
	int base, target, i, status;
	pthread_t th;
	double t;

	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		perror("setrlimit");
		return 1;
	}
	/* ramp: in a child, whose table starts at 64 slots */
	if (!fork()) {
		ramp();
		exit(0);
	}
	wait(&status);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return 1;

	base = eventfd(0, EFD_NONBLOCK);

	/* grow: a shared table, from 64 slots to 2^20 */
	if (pthread_create(&th, NULL, idle_fn, NULL))
		return 1;
	for (target = 127; target < MAX_FD; target = target * 2 + 1) {
		t = now_ns();
		if (dup2(base, target) != target) {
			perror("dup2");
			return 1;
		}
		printf("fd_table_bench case=grow fd=%d threads=2 ns_per_op=%.1f\n",
		       target, now_ns() - t);
	}

	/* read() and open/close, with the second thread and without */
	if (dup2(base, 10) != 10 || dup2(base, 500000) != 500000)
		return 1;
	reads(10, 2);
	reads(500000, 2);
	open_closes(2);
	stop = 1;
	pthread_join(th, NULL);
	reads(10, 1);
	reads(500000, 1);
	open_closes(1);
	syscall(SYS_close_range, base + 1, ~0U, 0);

	/* fork with FORK_FDS open */
	for (i = base + 1; i < FORK_FDS; i++)
		if (dup2(base, i) != i)
			return 1;
	settle();
	t = now_ns();
	for (i = 0; i < 20; i++) {
		pid_t pid = fork();

		if (!pid)
			_exit(0);
		waitpid(pid, &status, 0);
	}
	printf("fd_table_bench case=fork fds=%d ns_per_op=%.1f\n", FORK_FDS,
	       (now_ns() - t) / 20);

	settle();
	t = now_ns();
	syscall(SYS_close_range, base + 1, ~0U, 0);
	printf("fd_table_bench case=close_range fds=%d ns_per_op=%.1f\n",
	       FORK_FDS, now_ns() - t);
	return 0;
}
