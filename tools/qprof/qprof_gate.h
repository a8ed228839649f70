/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qprof_gate.h: open and close the insnprof counting window from a guest
 * program.  scripts/profile.sh starts counting when the kernel enters
 * __x64_sys_personality and stops when it enters __x64_sys_getpgid; raw
 * system calls, since libc may cache getpgid().
 */
#ifndef QPROF_GATE_H
#define QPROF_GATE_H

#include <unistd.h>
#include <sys/syscall.h>

static inline void gate_on(void)
{
	syscall(SYS_personality, 0xffffffffUL);
}

static inline void gate_off(void)
{
	syscall(SYS_getpgid, 0);
}

#endif /* QPROF_GATE_H */
