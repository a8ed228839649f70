// SPDX-License-Identifier: GPL-2.0
/*
 * fd_alloc_bench: the Linux Scalability Project's fd-allocation
 * micro-benchmark.  With FDS descriptors open (100,000, then 1,000,000),
 * close the first and the n-th and time the next two opens; also time
 * filling and emptying the table.  Under the instruction-count clock (scripts/boot.sh
 * --icount) the guest's CLOCK_MONOTONIC counts instructions, so each
 * figure is the same on every run.
 *
 * Output: one line per measurement,
 *   fd_alloc_bench case=NAME fds=FDS n=N ns_per_op=X
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "now.h"

#define ROUNDS	200

static int run(int nr_fds)
{
	const int nth[] = { 64, 4096, nr_fds / 2, nr_fds - 1 };
	struct rlimit rl = { nr_fds + 64, nr_fds + 64 };
	int first, i, r, k;
	double t;

	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		perror("setrlimit");
		return 1;
	}
	first = open("/dev/null", O_RDONLY);
	t = now_ns();
	for (i = 1; i < nr_fds; i++)
		if (dup(first) != first + i) {
			fprintf(stderr, "dup %d out of order\n", i);
			return 1;
		}
	printf("fd_alloc_bench case=fill fds=%d n=%d ns_per_op=%.1f\n",
	       nr_fds, nr_fds, (now_ns() - t) / (nr_fds - 1));

	for (k = 0; k < (int)(sizeof(nth) / sizeof(nth[0])); k++) {
		double total = 0;

		for (r = 0; r < ROUNDS; r++) {
			close(first);
			close(first + nth[k]);
			t = now_ns();
			if (open("/dev/null", O_RDONLY) != first ||
			    open("/dev/null", O_RDONLY) != first + nth[k]) {
				fprintf(stderr, "lowest-fd rule broken\n");
				return 1;
			}
			total += now_ns() - t;
		}
		printf("fd_alloc_bench case=reopen_two fds=%d n=%d ns_per_op=%.1f\n",
		       nr_fds, nth[k], total / (2 * ROUNDS));
	}

	t = now_ns();
	for (i = nr_fds - 1; i >= 0; i--)
		close(first + i);
	printf("fd_alloc_bench case=close_all fds=%d n=%d ns_per_op=%.1f\n",
	       nr_fds, nr_fds, (now_ns() - t) / nr_fds);
	return 0;
}

int main(void)
{
	return run(100000) || run(1000000);
}
