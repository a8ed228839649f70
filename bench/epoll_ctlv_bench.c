// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_ctlv_bench: per-op cost of EPOLL_CTL_ADD, EPOLL_CTL_MOD and
 * EPOLL_CTL_DEL through a loop of epoll_ctl() calls and through
 * epoll_ctlv() with batches of 1, 8, 64 and 1024 ops.
 * bench-clock: icount wall
 *
 * NR_FDS eventfds are added to, modified in and deleted from a fresh
 * epoll instance, ROUNDS times per mode; each phase is timed with
 * CLOCK_MONOTONIC and reported as
 *
 *   epoll_ctlv_bench op=add mode=loop batch=1 ns_per_op=123.4
 *   epoll_ctlv_bench op=add mode=ctlv batch=64 ns_per_op=56.7
 *
 * the median over the rounds.  Without epoll_ctlv() (ENOSYS) only the
 * loop lines are printed.  Every op must succeed: a failure aborts the
 * run with exit status 1.
 *
 *   epoll_ctlv_bench [NR_FDS [ROUNDS]]	(defaults 4096 and 5)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "epoll_ctlv_phases.h"
#include "now.h"


#define MAX_ROUNDS	64

static const unsigned int batches[] = { 1, 8, 64, 1024 };

static int nr_fds = 4096;
static int *fds;
static struct epoll_ctl_op *ops;

static void die(const char *what)
{
	fprintf(stderr, "epoll_ctlv_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* One phase through epoll_ctl(); returns its duration in ns. */
static double phase_loop(int epfd, int op)
{
	double t0, t1;

	t0 = now_ns();
	ctl_loop(epfd, op, fds, nr_fds);
	t1 = now_ns();
	return t1 - t0;
}

/* One phase through epoll_ctlv() in batches of @batch. */
static double phase_ctlv(int epfd, int op, unsigned int batch)
{
	double t0, t1;

	/* Filling the array is the caller's work in both modes: untimed. */
	ctlv_fill(ops, op, fds, nr_fds);
	t0 = now_ns();
	ctlv_batches(epfd, ops, nr_fds, batch);
	t1 = now_ns();
	ctlv_check(ops, nr_fds);
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median ns/op of each phase over @rounds; batch 0 is the loop. */
static void run(int rounds, unsigned int batch)
{
	double t[NR_OPS][MAX_ROUNDS];
	int r, op;

	for (r = 0; r < rounds; r++) {
		int epfd = epoll_create1(EPOLL_CLOEXEC);

		if (epfd < 0)
			die("epoll_create1");
		for (op = 0; op < NR_OPS; op++)
			t[op][r] = batch ? phase_ctlv(epfd, op, batch) :
					   phase_loop(epfd, op);
		close(epfd);
	}
	for (op = 0; op < NR_OPS; op++) {
		qsort(t[op], rounds, sizeof(double), cmp_double);
		printf("epoll_ctlv_bench op=%s mode=%s batch=%u ns_per_op=%.1f\n",
		       op_name[op], batch ? "ctlv" : "loop", batch ? batch : 1,
		       t[op][rounds / 2] / nr_fds);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int rounds = 5, epfd, have_ctlv;
	size_t b;

	if (argc > 1)
		nr_fds = atoi(argv[1]);
	if (argc > 2)
		rounds = atoi(argv[2]);
	if (nr_fds < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: %s [NR_FDS [ROUNDS <= %d]]\n",
			argv[0], MAX_ROUNDS);
		return 2;
	}
	ctlv_setup(nr_fds, &fds, &ops);

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1");
	/* Anything but 0 (ENOSYS; another call at 473 on other kernels). */
	have_ctlv = epoll_ctlv(epfd, NULL, 0, 0) == 0;
	printf("# epoll_ctlv_bench: %d eventfds, median of %d rounds, epoll_ctlv %s%s\n",
	       nr_fds, rounds, have_ctlv ? "available" : "not available: ",
	       have_ctlv ? "" : strerror(errno));
	close(epfd);

	run(rounds, 0);
	for (b = 0; have_ctlv && b < sizeof(batches) / sizeof(batches[0]); b++)
		run(rounds, batches[b]);
	return 0;
}
