/* SPDX-License-Identifier: GPL-2.0 */
/*
 * task_stat.h: what /proc says about one thread of this process -- its
 * scheduler state and its voluntary context switch count, which goes up
 * by one each time the thread sleeps.  Shared by the selftests and the
 * benchmarks that count wakeups.
 */
#ifndef TASK_STAT_H
#define TASK_STAT_H

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>

/* Read /proc/self/task/@tid/@file into @buf; returns 0 or -1. */
static inline int task_file(pid_t tid, const char *file, char *buf,
			    size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * The state letter of thread @tid ('R', 'S', 'D', ...) and its voluntary
 * context switch count.  Returns 0, or -1 when the thread is gone.
 */
static inline int task_read(pid_t tid, char *state, unsigned long *nvcsw)
{
	static const char key[] = "\nvoluntary_ctxt_switches:";
	char buf[2048], *p;

	if (task_file(tid, "stat", buf, sizeof(buf)))
		return -1;
	p = strrchr(buf, ')');	/* comm may hold spaces */
	if (!p || p[1] != ' ')
		return -1;
	*state = p[2];

	if (task_file(tid, "status", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, key);
	if (!p)
		return -1;
	*nvcsw = strtoul(p + strlen(key), NULL, 10);
	return 0;
}

/* Set the CPU affinity of thread @tid (0: the caller) to CPU 0 alone. */
static inline int pin_cpu0(pid_t tid)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(tid, sizeof(set), &set);
}

/* Is thread @tid asleep ('S', not merely preempted) in system call @nr? */
static inline int task_asleep_in(pid_t tid, long nr)
{
	char buf[512], *p;

	if (task_file(tid, "stat", buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');	/* comm may hold spaces */
	if (!p || p[1] != ' ' || p[2] != 'S')
		return 0;
	if (task_file(tid, "syscall", buf, sizeof(buf)))
		return 0;
	return strtol(buf, NULL, 10) == nr;
}

/*
 * Wait until each of the @n threads in @tid sleeps ('S') and its switch
 * count holds still over two polls 1ms apart (the state turns S before
 * schedule() bumps the count), at most @polls polls.  Returns 0 with the
 * counts in @nvcsw, or -1.
 */
static inline int tasks_settle(const pid_t *tid, int n, unsigned long *nvcsw,
			       int polls)
{
	unsigned long *prev = calloc(n, sizeof(*prev));
	int i, poll, stable = 0, ret = -1;
	char state;

	if (!prev)
		return -1;
	for (poll = 0; poll < polls; poll++) {
		int asleep = 1;

		for (i = 0; i < n; i++) {
			if (task_read(tid[i], &state, &nvcsw[i]))
				goto out;
			if (state != 'S')
				asleep = 0;
		}
		if (asleep && stable &&
		    !memcmp(prev, nvcsw, n * sizeof(*nvcsw))) {
			ret = 0;
			goto out;
		}
		stable = asleep;
		memcpy(prev, nvcsw, n * sizeof(*nvcsw));
		usleep(1000);
	}
out:
	free(prev);
	return ret;
}

#endif /* TASK_STAT_H */
