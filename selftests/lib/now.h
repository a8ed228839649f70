/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmarks' clock.  Under the instruction-count clock (scripts/boot.sh
 * --icount) CLOCK_MONOTONIC counts instructions, one per nanosecond.
 */
#ifndef LSP_NOW_H
#define LSP_NOW_H

#include <time.h>

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#endif /* LSP_NOW_H */
