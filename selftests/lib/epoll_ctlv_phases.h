/* SPDX-License-Identifier: GPL-2.0 */
/*
 * epoll_ctlv_phases.h: one phase of epoll_ctlv_bench and of the profile
 * workload tools/qprof/ctlv_work, so that both run the same code: an
 * EPOLL_CTL_ADD, _MOD or _DEL of every fd, through a loop of epoll_ctl()
 * calls or through epoll_ctlv() in batches.  Any failure exits.
 */
#ifndef LSP_EPOLL_CTLV_PHASES_H
#define LSP_EPOLL_CTLV_PHASES_H

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "epoll_ctlv.h"
#include "eventfds.h"

enum { OP_ADD, OP_MOD, OP_DEL, NR_OPS };

static const char *const op_name[NR_OPS] = { "add", "mod", "del" };
static const int op_code[NR_OPS] = { EPOLL_CTL_ADD, EPOLL_CTL_MOD,
				     EPOLL_CTL_DEL };

/* @n eventfds in *@fds and room for @n ops in *@ops. */
static inline void ctlv_setup(int n, int **fds, struct epoll_ctl_op **ops)
{
	*fds = open_eventfds(n);
	if (!*fds)
		err(1, "eventfds");
	*ops = calloc(n, sizeof(**ops));
	if (!*ops)
		err(1, "calloc");
}

/* The events an op sets: MOD flips between EPOLLIN and EPOLLOUT. */
static inline uint32_t op_events(int op)
{
	return op == OP_MOD ? EPOLLOUT : EPOLLIN;
}

/* @op on each of @fds[0..n-1], one epoll_ctl() call each. */
static inline void ctl_loop(int epfd, int op, const int *fds, int n)
{
	struct epoll_event ev;
	int i;

	for (i = 0; i < n; i++) {
		ev.events = op_events(op);
		ev.data.u64 = i;
		if (epoll_ctl(epfd, op_code[op], fds[i], &ev))
			err(1, "epoll_ctl");
	}
}

/* The ops of ctlv_batches(): filling them is the caller's work. */
static inline void ctlv_fill(struct epoll_ctl_op *ops, int op,
			     const int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		ops[i].fd = fds[i];
		ops[i].op = op_code[op];
		ops[i].flags = 0;
		ops[i].events = op_events(op);
		ops[i].result = 0;
		ops[i].data = i;
	}
}

/* @ops[0..n-1] through epoll_ctlv() in batches of @batch. */
static inline void ctlv_batches(int epfd, struct epoll_ctl_op *ops, int n,
				unsigned int batch)
{
	int done;

	for (done = 0; done < n; ) {
		unsigned int k = batch;
		long r;

		if ((unsigned int)(n - done) < k)
			k = n - done;
		r = epoll_ctlv(epfd, ops + done, k, 0);
		if (r != (long)k)
			err(1, "epoll_ctlv");
		done += k;
	}
}

/* Every op of ctlv_batches() succeeded. */
static inline void ctlv_check(const struct epoll_ctl_op *ops, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (ops[i].result) {
			errno = -ops[i].result;
			err(1, "epoll_ctlv op %d", i);
		}
	}
}

#endif /* LSP_EPOLL_CTLV_PHASES_H */
