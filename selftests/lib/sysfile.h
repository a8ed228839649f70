/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Write and read the one-value files of sysfs, configfs, tracefs and
 * /proc/sys, and the one-read files of /proc.
 */
#ifndef LSP_SYSFILE_H
#define LSP_SYSFILE_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Write S to PATH, replacing what was there; 0, or -1 with errno set. */
static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t len;
	int err;

	if (fd < 0)
		return -1;
	len = write(fd, s, strlen(s));
	err = errno;
	close(fd);
	errno = err;
	return len == (ssize_t)strlen(s) ? 0 : -1;
}

/* PATH's contents, up to LEN - 1 bytes, into BUF as a string; 0 or -1. */
static inline int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;
	int err;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	errno = err;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* The first line of PATH, without its newline, into BUF; 0 or -1. */
static inline int read_line(const char *path, char *buf, size_t len)
{
	if (read_file(path, buf, len))
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

#endif /* LSP_SYSFILE_H */
