// SPDX-License-Identifier: GPL-2.0
/*
 * poll_work: poll() or select() over N eventfds of which the last is
 * ready, REPS calls inside the insnprof window: the "ready" case of
 * poll_hint_bench, for a per-function profile of the first pass.
 *
 *   poll_work poll|select N REPS
 *
 * The last line printed, "... ops_measured=REPS", is the profile's
 * divisor: figures are per call.
 */
#define _GNU_SOURCE
#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>

#include "qprof_gate.h"

int main(int argc, char **argv)
{
	unsigned long *set, *rd, one = 1;
	int n, reps, i, r, maxfd = 0, use_select;
	struct pollfd *pfd;
	struct rlimit rl;
	size_t words;

	if (argc != 4 || (strcmp(argv[1], "poll") && strcmp(argv[1], "select")))
		errx(2, "usage: poll_work poll|select N REPS");
	use_select = !strcmp(argv[1], "select");
	n = atoi(argv[2]);
	reps = atoi(argv[3]);
	if (n < 1 || reps < 1)
		errx(2, "N and REPS must be positive");

	rl.rlim_cur = rl.rlim_max = n + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		err(1, "setrlimit");
	words = (n + 64) / 64 + 1;
	pfd = calloc(n, sizeof(*pfd));
	set = calloc(words, sizeof(*set));
	rd = calloc(words, sizeof(*rd));
	if (!pfd || !set || !rd)
		err(1, "calloc");
	for (i = 0; i < n; i++) {
		pfd[i].fd = eventfd(0, EFD_NONBLOCK);
		if (pfd[i].fd < 0)
			err(1, "eventfd");
		pfd[i].events = POLLIN;
		set[pfd[i].fd / 64] |= 1UL << (pfd[i].fd % 64);
		if (pfd[i].fd > maxfd)
			maxfd = pfd[i].fd;
	}
	if (write(pfd[n - 1].fd, &one, sizeof(one)) != sizeof(one))
		err(1, "write");

	gate_on();
	for (r = 0; r < reps; r++) {
		if (use_select) {
			struct timeval tv = { 5, 0 };

			memcpy(rd, set, (maxfd / 64 + 1) * sizeof(*rd));
			if (select(maxfd + 1, (fd_set *)rd, NULL, NULL, &tv) != 1)
				err(1, "select");
		} else if (poll(pfd, n, 5000) != 1) {
			err(1, "poll");
		}
	}
	gate_off();
	printf("poll_work %s n=%d reps=%d ops_measured=%d\n", argv[1], n, reps,
	       reps);
	return 0;
}
