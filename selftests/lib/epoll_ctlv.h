/* SPDX-License-Identifier: GPL-2.0 */
/*
 * epoll_ctlv.h: the epoll_ctlv(2) interface for user space, for the
 * selftest and the benchmark.  <linux/eventpoll.h> has it too, but
 * clashes with <sys/epoll.h>.
 */
#ifndef EPOLL_CTLV_H
#define EPOLL_CTLV_H

#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>

#ifndef __NR_epoll_ctlv
#define __NR_epoll_ctlv 473
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

#if defined(__x86_64__) && !defined(__ILP32__)
/* Out of line as glibc's __syscall_error(), to keep the wrapper short */
static __attribute__((noinline, cold)) long epoll_ctlv_error(long ret)
{
	errno = -ret;
	return -1;
}

/*
 * What a libc wrapper would be, and glibc's epoll_ctl() is: a function
 * that issues the system call with the arguments where the caller put
 * them.  syscall() must first shift every argument by one register, which
 * would charge epoll_ctlv() in the benchmark for glibc's lack of a wrapper.
 */
static __attribute__((noinline)) long epoll_ctlv(int epfd,
						 struct epoll_ctl_op *ops,
						 unsigned int nops,
						 unsigned int flags)
{
	register long r10 __asm__("r10") = flags;
	long ret;

	__asm__ volatile ("syscall"
			  : "=a" (ret)
			  : "0" ((long)__NR_epoll_ctlv), "D" ((long)epfd),
			    "S" (ops), "d" ((unsigned long)nops), "r" (r10)
			  : "rcx", "r11", "memory");
	if ((unsigned long)ret > -4096UL)
		return epoll_ctlv_error(ret);
	return ret;
}
#else
static inline long epoll_ctlv(int epfd, struct epoll_ctl_op *ops,
			      unsigned int nops, unsigned int flags)
{
	return syscall(__NR_epoll_ctlv, epfd, ops, nops, flags);
}
#endif

#endif /* EPOLL_CTLV_H */
