/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How many fds a process has open, from /proc/PID/fd: the userver
 * selftest and the epoll study count a server's connections with it.
 */
#ifndef LSP_PROC_FDS_H
#define LSP_PROC_FDS_H

#include <dirent.h>
#include <stdio.h>
#include <sys/types.h>

/* The number of open fds of @pid, or -1. */
static inline int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

#endif /* LSP_PROC_FDS_H */
