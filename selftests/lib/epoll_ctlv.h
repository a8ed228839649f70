/* SPDX-License-Identifier: GPL-2.0 */
/*
 * epoll_ctlv.h: the epoll_ctlv(2) interface for user space, for the
 * selftest and the benchmark.  <linux/eventpoll.h> has it too, but
 * clashes with <sys/epoll.h>.
 */
#ifndef EPOLL_CTLV_H
#define EPOLL_CTLV_H

#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>

#ifndef __NR_epoll_ctlv
#define __NR_epoll_ctlv 463
#endif

struct epoll_ctl_op {
	int32_t fd;
	uint16_t op;
	uint16_t flags;
	uint32_t events;
	int32_t result;
	uint64_t data __attribute__((aligned(8)));
};

#define EPOLL_CTLV_STOP_ON_ERROR	(1U << 0)
#define EPOLL_CTLV_MAX			1024

static inline long epoll_ctlv(int epfd, struct epoll_ctl_op *ops,
			      unsigned int nops, unsigned int flags)
{
	return syscall(__NR_epoll_ctlv, epfd, ops, nops, flags);
}

#endif /* EPOLL_CTLV_H */
