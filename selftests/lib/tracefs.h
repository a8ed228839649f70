/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Count the calls of one kernel function with ftrace's function profiler
 * (debug kernel: CONFIG_FUNCTION_PROFILER).
 *
 *   if (fn_profile_setup("eventfd_poll")) SKIP(...);
 *   fn_profile_start();      resets the counts
 *   ...
 *   hits = fn_profile_hits("eventfd_poll");
 *   fn_profile_stop();
 */
#ifndef LSP_TRACEFS_H
#define LSP_TRACEFS_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysfile.h"

#define TRACING		"/sys/kernel/tracing"

/* Profile FUNC alone; -1 if the kernel cannot. */
static inline int fn_profile_setup(const char *func)
{
	if (write_file(TRACING "/set_ftrace_filter", func) ||
	    access(TRACING "/function_profile_enabled", W_OK))
		return -1;
	return 0;
}

/* Enabling the profiler resets it: counts start here. */
static inline int fn_profile_start(void)
{
	return write_file(TRACING "/function_profile_enabled", "1");
}

static inline void fn_profile_stop(void)
{
	write_file(TRACING "/function_profile_enabled", "0");
	write_file(TRACING "/set_ftrace_filter", "");
}

/* Calls of FUNC on all CPUs since fn_profile_start(). */
static inline long fn_profile_hits(const char *func)
{
	char path[64], line[256], name[128];
	long hits, total = 0;
	int cpu;

	for (cpu = 0; cpu < 64; cpu++) {
		FILE *f;

		snprintf(path, sizeof(path), TRACING "/trace_stat/function%d",
			 cpu);
		f = fopen(path, "r");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " %127s %ld", name, &hits) == 2 &&
			    !strcmp(name, func))
				total += hits;
		fclose(f);
	}
	return total;
}

#endif /* LSP_TRACEFS_H */
