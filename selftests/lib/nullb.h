/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A null_blk disk made through configfs, with ext4 on it, for the
 * read-ahead selftest and benchmark.  It is memory backed, completes each
 * request from a timer 1 ms after submission, frees discarded blocks, and
 * takes I/Os up to 4 MiB: larger than the 128 KiB read-ahead window, as a
 * real disk's limit is.
 * brd cannot stand in: its largest I/O is smaller than the window.
 *
 * Setup returns 0, NULLB_MISSING when the kernel or the guest lacks a
 * piece (the caller skips), or -1 with the reason in ->err.
 */
#ifndef LSP_NULLB_H
#define LSP_NULLB_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfile.h"

#define NULLB_CONFIGFS	"/sys/kernel/config/nullb"
#define NULLB_MKFS	"/sbin/mke2fs"
#define NULLB_MISSING	1
#define NULLB_LATENCY_NS 1000000	/* completion_nsec: 1 ms per request */

struct nullb {
	char cfg[128];		/* configfs directory */
	char disk[32];		/* nullbN */
	char dev[64];		/* /dev/nullbN */
	char mnt[64];		/* ext4 mount point */
	int powered, mounted;
	char err[256];
};

/* Fields of /sys/block/DISK/stat. */
struct nullb_stat {
	unsigned long ios;	/* read requests completed */
	unsigned long merges;
	unsigned long sectors;	/* 512-byte sectors read */
	unsigned long ticks;
	unsigned long wr_ios;	/* write requests completed */
	unsigned long wr_merges;
	unsigned long wr_sectors;
};

static int nullb_fail(struct nullb *nb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(nb->err, sizeof(nb->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int nullb_attr(struct nullb *nb, const char *attr, const char *val)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", nb->cfg, attr);
	if (write_file(path, val))
		return nullb_fail(nb, "%s <- %s: %s", path, val, strerror(errno));
	return 0;
}

/* Read or set /sys/block/DISK/queue/ATTR. */
static long nullb_queue_get(struct nullb *nb, const char *attr)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), "/sys/block/%s/queue/%s", nb->disk, attr);
	if (read_line(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

static int nullb_queue_set(struct nullb *nb, const char *attr, long val)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/block/%s/queue/%s", nb->disk, attr);
	snprintf(buf, sizeof(buf), "%ld", val);
	if (write_file(path, buf))
		return nullb_fail(nb, "%s <- %s: %s", path, buf, strerror(errno));
	return 0;
}

static int nullb_stat(struct nullb *nb, struct nullb_stat *st)
{
	char path[128], buf[256];

	snprintf(path, sizeof(path), "/sys/block/%s/stat", nb->disk);
	if (read_line(path, buf, sizeof(buf)) ||
	    sscanf(buf, "%lu %lu %lu %lu %lu %lu %lu", &st->ios, &st->merges,
		   &st->sectors, &st->ticks, &st->wr_ios, &st->wr_merges,
		   &st->wr_sectors) != 7)
		return nullb_fail(nb, "cannot read %s", path);
	return 0;
}

static int nullb_mkfs(struct nullb *nb)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return nullb_fail(nb, "fork: %s", strerror(errno));
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl(NULLB_MKFS, "mke2fs", "-q", "-F", "-t", "ext4",
		      "-E", "lazy_itable_init=0,lazy_journal_init=0",
		      nb->dev, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return nullb_fail(nb, "mke2fs %s failed (status %#x)",
				  nb->dev, status);
	return 0;
}

static void nullb_destroy(struct nullb *nb)
{
	/*
	 * A test that failed with a file still open leaves the mount busy:
	 * detach it, so that the next test's disk does not fail on it.
	 */
	if (nb->mounted && umount(nb->mnt))
		umount2(nb->mnt, MNT_DETACH);
	nb->mounted = 0;
	rmdir(nb->mnt);
	if (nb->powered)
		nullb_attr(nb, "power", "0");
	nb->powered = 0;
	if (nb->cfg[0])
		rmdir(nb->cfg);
	nb->cfg[0] = '\0';
}

/*
 * nullb_create: a SIZE_MB disk /dev/NAME, made in configfs, with ext4
 * mounted on /tmp/NAME, read_ahead_kb 128 and max_sectors_kb 4096, each
 * request completed by a timer COMPLETION_NS after submission (irqmode=2),
 * or at once when 0 (irqmode=0).
 */
static int nullb_create(struct nullb *nb, const char *name,
			unsigned long size_mb, unsigned long completion_ns)
{
	char buf[64], buf2[32], path[192], idx[16];
	struct stat st;

	memset(nb, 0, sizeof(*nb));
	if (access(NULLB_CONFIGFS, F_OK)) {
		nullb_fail(nb, "no %s: null_blk or configfs missing",
			   NULLB_CONFIGFS);
		return NULLB_MISSING;
	}
	if (access(NULLB_MKFS, X_OK)) {
		nullb_fail(nb, "no %s in the guest", NULLB_MKFS);
		return NULLB_MISSING;
	}

	snprintf(nb->cfg, sizeof(nb->cfg), NULLB_CONFIGFS "/%s", name);
	rmdir(nb->cfg);		/* left over by a killed run */
	if (mkdir(nb->cfg, 0755)) {
		nb->cfg[0] = '\0';
		return nullb_fail(nb, "mkdir %s/%s: %s", NULLB_CONFIGFS, name,
				  strerror(errno));
	}
	snprintf(buf, sizeof(buf), "%lu", size_mb);
	snprintf(buf2, sizeof(buf2), "%lu", completion_ns);
	if (nullb_attr(nb, "size", buf) ||
	    nullb_attr(nb, "blocksize", "4096") ||
	    nullb_attr(nb, "memory_backed", "1") ||
	    nullb_attr(nb, "irqmode", completion_ns ? "2" : "0") ||
	    (completion_ns && nullb_attr(nb, "completion_nsec", buf2)) ||
	    nullb_attr(nb, "max_sectors", "8192") ||
	    nullb_attr(nb, "discard", "1") ||
	    nullb_attr(nb, "power", "1"))
		goto fail;
	nb->powered = 1;

	/* 6.12 names the disk after its configfs directory; older kernels nullbN. */
	snprintf(nb->disk, sizeof(nb->disk), "%s", name);
	snprintf(nb->dev, sizeof(nb->dev), "/dev/%s", nb->disk);
	if (access(nb->dev, F_OK)) {
		snprintf(path, sizeof(path), "%s/index", nb->cfg);
		if (read_line(path, idx, sizeof(idx))) {
			nullb_fail(nb, "cannot read %s", path);
			goto fail;
		}
		snprintf(nb->disk, sizeof(nb->disk), "nullb%s", idx);
		snprintf(nb->dev, sizeof(nb->dev), "/dev/%s", nb->disk);
	}
	if (stat(nb->dev, &st) || !S_ISBLK(st.st_mode)) {
		nullb_fail(nb, "%s did not appear", nb->dev);
		goto fail;
	}
	if (nullb_queue_set(nb, "read_ahead_kb", 128) ||
	    nullb_queue_set(nb, "max_sectors_kb", 4096) ||
	    nullb_mkfs(nb))
		goto fail;

	snprintf(nb->mnt, sizeof(nb->mnt), "/tmp/%s", name);
	mkdir(nb->mnt, 0755);
	if (mount(nb->dev, nb->mnt, "ext4", 0, "noinit_itable,discard")) {
		nullb_fail(nb, "mount %s on %s: %s", nb->dev, nb->mnt,
			   strerror(errno));
		goto fail;
	}
	nb->mounted = 1;
	return 0;
fail:
	{
		char err[sizeof(nb->err)];

		memcpy(err, nb->err, sizeof(err));
		nullb_destroy(nb);
		memcpy(nb->err, err, sizeof(err));
	}
	return -1;
}

/* Write LEN bytes of a known pattern at OFF of FD: byte i is pattern(i). */
static inline unsigned char nullb_pattern(unsigned long long i)
{
	return (unsigned char)((i * 2654435761ULL) >> 13);
}

static inline int nullb_fill(int fd, unsigned long long off,
			     unsigned long long len)
{
	static unsigned char buf[1 << 20];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		size_t i;

		for (i = 0; i < n; i++)
			buf[i] = nullb_pattern(off + i);
		if (pwrite(fd, buf, n, off) != (ssize_t)n)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

/* Pages of @fd's file in the page cache, or -1. */
static inline long nullb_resident(int fd, off_t size)
{
	size_t pages = (size + 4095) / 4096, i;
	unsigned char *vec;
	long resident = 0;
	void *p;

	if (!size)
		return 0;
	vec = malloc(pages);
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (!vec || p == MAP_FAILED || mincore(p, size, vec)) {
		free(vec);
		if (p != MAP_FAILED)
			munmap(p, size);
		return -1;
	}
	for (i = 0; i < pages; i++)
		resident += vec[i] & 1;
	munmap(p, size);
	free(vec);
	return resident;
}

/*
 * Write back and drop FD's page cache so the next read comes from the
 * disk; returns the number of pages still cached (0 on success).  A page
 * that sendfile() gave to TCP stays referenced by the retransmit queue
 * until the ACK is processed, which on two CPUs can come a little after
 * the reader has the data: such pages cannot be dropped yet, so try
 * again for up to a second.
 */
static inline long nullb_evict(int fd)
{
	struct stat st;
	long resident = -1;
	int i;

	if (fsync(fd) || fstat(fd, &st))
		return -1;
	for (i = 0; i < 100; i++) {
		if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
			return -1;
		resident = nullb_resident(fd, st.st_size);
		if (resident <= 0)
			break;
		usleep(10000);
	}
	return resident;
}

#endif /* LSP_NULLB_H */
