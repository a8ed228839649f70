// SPDX-License-Identifier: GPL-2.0
/*
 * fd_alloc_bench: the Linux Scalability Project's fd-allocation
 * micro-benchmark.  With NR_FDS descriptors open, close the first and
 * the n-th and time the next two opens; also time filling and emptying
 * the table.  Under the instruction-count clock (scripts/boot.sh
 * --icount) the guest's CLOCK_MONOTONIC counts instructions, so each
 * figure is the same on every run.
 *
 * Output: one line per measurement,
 *   fd_alloc_bench case=NAME n=N ns_per_op=X
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#define NR_FDS	100000
#define ROUNDS	200

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(void)
{
	static const int nth[] = { 64, 4096, 50000, NR_FDS - 1 };
	struct rlimit rl = { NR_FDS + 64, NR_FDS + 64 };
	int first, i, r, k;
	double t;

	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		perror("setrlimit");
		return 1;
	}
	first = open("/dev/null", O_RDONLY);
	t = now_ns();
	for (i = 1; i < NR_FDS; i++)
		if (dup(first) != first + i) {
			fprintf(stderr, "dup %d out of order\n", i);
			return 1;
		}
	printf("fd_alloc_bench case=fill n=%d ns_per_op=%.1f\n", NR_FDS,
	       (now_ns() - t) / (NR_FDS - 1));

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
		printf("fd_alloc_bench case=reopen_two n=%d ns_per_op=%.1f\n",
		       nth[k], total / (2 * ROUNDS));
	}

	t = now_ns();
	for (i = NR_FDS - 1; i >= 0; i--)
		close(first + i);
	printf("fd_alloc_bench case=close_all n=%d ns_per_op=%.1f\n", NR_FDS,
	       (now_ns() - t) / NR_FDS);
	return 0;
}
