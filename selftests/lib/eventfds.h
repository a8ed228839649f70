/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eventfds.h: N eventfds for the epoll_ctlv benchmark and profile
 * workload, with RLIMIT_NOFILE raised to hold them.
 */
#ifndef LSP_EVENTFDS_H
#define LSP_EVENTFDS_H

#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

/*
 * @n nonblocking eventfds in a calloc()ed array, RLIMIT_NOFILE raised to
 * at least @n + 64 first; NULL with errno set on failure.
 */
static inline int *open_eventfds(int n)
{
	struct rlimit rl;
	int *fds, i;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = n + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return NULL;
	}
	fds = calloc(n, sizeof(*fds));
	if (!fds)
		return NULL;
	for (i = 0; i < n; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fds[i] < 0)
			return NULL;
	}
	return fds;
}

#endif /* LSP_EVENTFDS_H */
