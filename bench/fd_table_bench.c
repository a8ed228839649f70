// SPDX-License-Identifier: GPL-2.0
/*
 * fd_table_bench: what the fd table's layout costs (patch 0010).
 *
 *   lookup       fcntl(F_GETFD) on fd 10 and on fd 500,000 of a 1M-slot
 *                table, in a single-threaded process (fdget() without a
 *                reference) and with a second thread (__fget_files_rcu()
 *                with one): the dependent load added in front of a slot
 *   grow         dup2() to 2^k - 1 for k = 7..20, growing the table from
 *                64 to 2^20 slots, with a second thread sharing it: what
 *                a threaded server pays on its way to 1M connections
 *   fork         fork() + exit + wait of a process with 100,000 open fds
 *                (dup_fd() copies them)
 *   close_range  close_range() of 100,000 fds
 *
 * Under the instruction-count clock (scripts/boot.sh --icount) the guest's
 * CLOCK_MONOTONIC counts instructions, plus idle time while waiting (an
 * RCU grace period).
 *
 * Output: fd_table_bench case=NAME [fd=N|fds=N] [threads=T] ns_per_op=X
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD		(1 << 20)
#define LOOKUPS		200000
#define FORK_FDS	100000

static volatile int stop;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *idle_fn(void *arg)
{
	(void)arg;
	while (!stop)
		usleep(10000);
	return NULL;
}

static void lookups(int fd, int threads)
{
	double t = now_ns();
	int i;

	for (i = 0; i < LOOKUPS; i++)
		if (fcntl(fd, F_GETFD) < 0) {
			perror("fcntl");
			exit(1);
		}
	printf("fd_table_bench case=lookup fd=%d threads=%d ns_per_op=%.1f\n",
	       fd, threads, (now_ns() - t) / LOOKUPS);
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
	base = open("/dev/null", O_RDONLY);

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

	/* lookup, with the second thread and without */
	if (dup2(base, 10) != 10 || dup2(base, 500000) != 500000)
		return 1;
	lookups(10, 2);
	lookups(500000, 2);
	stop = 1;
	pthread_join(th, NULL);
	lookups(10, 1);
	lookups(500000, 1);
	syscall(SYS_close_range, base + 1, ~0U, 0);

	/* fork with FORK_FDS open */
	for (i = base + 1; i < FORK_FDS; i++)
		if (dup2(base, i) != i)
			return 1;
	t = now_ns();
	for (i = 0; i < 20; i++) {
		pid_t pid = fork();

		if (!pid)
			_exit(0);
		waitpid(pid, &status, 0);
	}
	printf("fd_table_bench case=fork fds=%d ns_per_op=%.1f\n", FORK_FDS,
	       (now_ns() - t) / 20);

	t = now_ns();
	syscall(SYS_close_range, base + 1, ~0U, 0);
	printf("fd_table_bench case=close_range fds=%d ns_per_op=%.1f\n",
	       FORK_FDS, now_ns() - t);
	return 0;
}
