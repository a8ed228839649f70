// SPDX-License-Identifier: GPL-2.0
/*
 * ra_bench: read a file sequentially through read() (alone, and then
 * write() to a TCP socket), sendfile() (to /dev/null and to a TCP socket),
 * splice(), copy_file_range() and mmap(), cold and then cached, on ext4 over a
 * null_blk disk (selftests/lib/nullb.h: memory backed, 1 ms per request,
 * I/Os up to 4 MiB, read_ahead_kb 128).  Reports, per case, the read
 * requests the disk completed and their mean size (/sys/block/DISK/stat),
 * the elapsed guest time, the throughput and, for mmap, major faults.
 *
 *   ra_bench [size=MiB] [only=CASE] [cached=N]   (1024 MiB, 3 cached runs)
 *
 * copy_file_range() copies within the ext4 file system: in 6.12 it fails
 * with EXDEV between two file systems unless the destination implements
 * ->copy_file_range(), which ext4 and tmpfs do not; within one it takes
 * the same splice-direct path as sendfile().
 *
 * mmap_fadv_random is not a pass over the file: 4096 loads at random pages
 * of a mapping of a file advised POSIX_FADV_RANDOM; kib is what they read.
 *
 * Output: ra_bench case=C state=cold|cached requests=R avg_kib=K kib=K
 *         ms=T mib_s=X majflt=F writes=W (write requests, for copy_file_range)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "now.h"
#include "nullb.h"

#define MiB	(1024UL * 1024)
#define CHUNK	(2 * MiB)
#define PAGE	4096UL

static struct nullb nb;
static size_t file_size;
static char src_path[128], dst_path[128];
static char *buf;

static void die(const char *what)
{
	fprintf(stderr, "ra_bench: %s: %s\n", what,
		nb.err[0] ? nb.err : strerror(errno));
	nullb_destroy(&nb);
	exit(1);
}

static size_t run_read(int fd)
{
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, CHUNK)) > 0)
		total += n;
	return total;
}

static size_t sendfile_all(int out, int fd)
{
	size_t total = 0;
	ssize_t n;

	while ((n = sendfile(out, fd, NULL, CHUNK)) > 0)
		total += n;
	return total;
}

static size_t run_sendfile_null(int fd)
{
	int out = open("/dev/null", O_WRONLY);
	size_t total;

	if (out < 0)
		die("/dev/null");
	total = sendfile_all(out, fd);
	close(out);
	return total;
}

static void *drain(void *arg)
{
	int fd = (long)arg;
	char *rbuf = malloc(CHUNK);

	while (rbuf && read(fd, rbuf, CHUNK) > 0)
		;
	free(rbuf);
	return NULL;
}

/* Send the file over TCP loopback to a thread that reads and drops it. */
static size_t to_tcp(int fd, size_t (*send_all)(int out, int fd))
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c, s;
	pthread_t t;
	size_t total;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len))
		die("listen");
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	s = accept(l, NULL, NULL);
	if (s < 0 || pthread_create(&t, NULL, drain, (void *)(long)s))
		die("accept");
	total = send_all(c, fd);
	close(c);
	pthread_join(t, NULL);
	close(s);
	close(l);
	return total;
}

/* What a server does without sendfile(): read() then write(). */
static size_t read_write_all(int out, int fd)
{
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, CHUNK)) > 0) {
		ssize_t done = 0;

		while (done < n) {
			ssize_t m = write(out, buf + done, n - done);

			if (m <= 0)
				die("write to the socket");
			done += m;
		}
		total += n;
	}
	return total;
}

static size_t run_sendfile_tcp(int fd)
{
	return to_tcp(fd, sendfile_all);
}

static size_t run_read_write_tcp(int fd)
{
	return to_tcp(fd, read_write_all);
}

static size_t run_splice(int fd)
{
	int p[2], out = open("/dev/null", O_WRONLY);
	size_t total = 0;
	ssize_t n;

	if (out < 0 || pipe(p) || fcntl(p[1], F_SETPIPE_SZ, (int)MiB) < 0)
		die("pipe");
	while ((n = splice(fd, NULL, p[1], NULL, MiB, 0)) > 0) {
		ssize_t left = n;

		while (left > 0) {
			ssize_t m = splice(p[0], NULL, out, NULL, left, 0);

			if (m <= 0)
				die("splice to /dev/null");
			left -= m;
		}
		total += n;
	}
	close(p[0]);
	close(p[1]);
	close(out);
	return total;
}

static size_t run_copy_file_range(int fd)
{
	int out = open(dst_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t total = 0;
	ssize_t n;

	if (out < 0)
		die(dst_path);
	while ((n = copy_file_range(fd, NULL, out, NULL, CHUNK, 0)) > 0)
		total += n;
	if (n < 0)
		die("copy_file_range");
	close(out);
	return total;
}

static size_t touch_mapping(int fd, int advice)
{
	volatile unsigned char *p;
	unsigned long sum = 0;
	size_t i;

	p = mmap(NULL, file_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	if (advice >= 0 && madvise((void *)p, file_size, advice))
		die("madvise");
	for (i = 0; i < file_size; i += PAGE)
		sum += p[i];
	munmap((void *)p, file_size);
	return sum == 1 ? 0 : file_size;	/* keep the loads */
}

static size_t run_mmap(int fd)
{
	return touch_mapping(fd, -1);
}

static size_t run_mmap_seq(int fd)
{
	return touch_mapping(fd, MADV_SEQUENTIAL);
}

/*
 * RANDOM_FAULTS loads at pseudo-random pages of a mapping of a file
 * advised POSIX_FADV_RANDOM (the same pages on every run).  Not a
 * sequential pass: compare requests and kib, not mib_s.
 */
#define RANDOM_FAULTS	4096

static size_t run_mmap_fadv_random(int fd)
{
	volatile unsigned char *p;
	unsigned long sum = 0, x = 1, pages = file_size / PAGE;
	int i;

	if (posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM))
		die("posix_fadvise");
	p = mmap(NULL, file_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (i = 0; i < RANDOM_FAULTS; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		sum += p[(x >> 17) % pages * PAGE];
	}
	munmap((void *)p, file_size);
	return sum == 1 ? 0 : file_size;
}

static const struct {
	const char *name;
	size_t (*run)(int fd);
} cases[] = {
	{ "read_2m", run_read },
	{ "sendfile_null", run_sendfile_null },
	{ "read_write_tcp", run_read_write_tcp },
	{ "sendfile_tcp", run_sendfile_tcp },
	{ "splice_pipe_1m", run_splice },
	{ "copy_file_range", run_copy_file_range },
	{ "mmap", run_mmap },
	{ "mmap_madv_seq", run_mmap_seq },
	{ "mmap_fadv_random", run_mmap_fadv_random },
};

static void measure(int c, const char *state)
{
	struct nullb_stat s0, s1;
	struct rusage r0, r1;
	unsigned long ios;
	double t0, ms;
	size_t total;
	int fd = open(src_path, O_RDONLY);

	if (fd < 0)
		die(src_path);
	if (!strcmp(state, "cold") && nullb_evict(fd))
		die("evicting the file");
	sync();
	if (nullb_stat(&nb, &s0) || getrusage(RUSAGE_SELF, &r0))
		die("stat");
	t0 = now_ns() / 1e6;
	total = cases[c].run(fd);
	ms = now_ns() / 1e6 - t0;
	if (nullb_stat(&nb, &s1) || getrusage(RUSAGE_SELF, &r1))
		die("stat");
	close(fd);
	if (total != file_size) {
		fprintf(stderr, "ra_bench: %s moved %zu of %zu bytes\n",
			cases[c].name, total, file_size);
		exit(1);
	}
	ios = s1.ios - s0.ios;
	printf("ra_bench case=%s state=%s requests=%lu avg_kib=%lu kib=%lu ms=%.1f mib_s=%.1f majflt=%ld writes=%lu\n",
	       cases[c].name, state, ios,
	       ios ? (s1.sectors - s0.sectors) / 2 / ios : 0,
	       (s1.sectors - s0.sectors) / 2, ms,
	       file_size / (double)MiB / (ms / 1e3),
	       r1.ru_majflt - r0.ru_majflt, s1.wr_ios - s0.wr_ios);
	fflush(stdout);
	unlink(dst_path);
}

int main(int argc, char **argv)
{
	unsigned long size_mb = 1024;
	const char *only = NULL;
	int i, r, fd, rc, repeat_cached = 3;
	size_t off;

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "size=", 5))
			size_mb = strtoul(argv[i] + 5, NULL, 10);
		else if (!strncmp(argv[i], "only=", 5))
			only = argv[i] + 5;
		else if (!strncmp(argv[i], "cached=", 7))
			repeat_cached = atoi(argv[i] + 7);
		else {
			fprintf(stderr, "usage: ra_bench [size=MiB] [only=CASE] [cached=N]\n");
			return 2;
		}
	}
	file_size = size_mb * MiB;
	buf = malloc(CHUNK);
	if (!buf)
		die("malloc");

	/* room for the file and one copy of it */
	rc = nullb_create(&nb, "lsp-ra-bench", 2 * size_mb + 256,
			  NULLB_LATENCY_NS);
	if (rc) {
		fprintf(stderr, "ra_bench: %s\n", nb.err);
		return rc == NULLB_MISSING ? 4 : 1;
	}
	snprintf(src_path, sizeof(src_path), "%s/file", nb.mnt);
	snprintf(dst_path, sizeof(dst_path), "%s/copy", nb.mnt);
	fd = open(src_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(src_path);
	for (off = 0; off < CHUNK; off++)
		buf[off] = nullb_pattern(off);
	for (off = 0; off < file_size; off += CHUNK)
		if (write(fd, buf, CHUNK) != (ssize_t)CHUNK)
			die("writing the file");
	if (fsync(fd))
		die("fsync");
	close(fd);
	printf("ra_bench setup size_mib=%lu read_ahead_kb=%ld max_sectors_kb=%ld\n",
	       size_mb, nullb_queue_get(&nb, "read_ahead_kb"),
	       nullb_queue_get(&nb, "max_sectors_kb"));

	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
		if (only && strcmp(only, cases[i].name))
			continue;
		measure(i, "cold");
		for (r = 0; r < repeat_cached; r++)
			measure(i, "cached");
	}
	nullb_destroy(&nb);
	return 0;
}
