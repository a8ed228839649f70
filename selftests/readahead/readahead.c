// SPDX-License-Identifier: GPL-2.0
/*
 * Read-ahead for sendfile() and mmap() (patches 0080-0082).
 *
 * Semantics: sendfile() with and without an offset pointer, to a pipe, a
 * unix socket, a TCP socket and /dev/null, copies exactly the file's bytes
 * (short files, end of file, holes); copy_file_range() and splice() copy
 * what they did.  These pass on both kernels.
 *
 * Mechanism, counted in the read requests of /sys/block/nullbN/stat on
 * ext4 over null_blk (selftests/lib/nullb.h):
 *  - sendfile() of a cold 64 MiB file in 2 MiB calls issues at most half
 *    the requests of 128 KiB windows, as read() with a 2 MiB buffer does;
 *    the baseline issues one per 128 KiB window;
 *  - a sequential pass over a cold MADV_SEQUENTIAL mapping issues at most
 *    half the requests of a 128 KiB window;
 *  - a fault in a file advised POSIX_FADV_RANDOM reads one page, not a
 *    128 KiB read-around; in an executable mapping it still reads ahead,
 *    as under MADV_RANDOM (passes on both kernels).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nullb.h"

#define MiB		(1024UL * 1024)
#define CHUNK		(2 * MiB)
#define BIG_FILE	(64 * MiB)
#define PAGE		4096UL
#define RA_KB		128L	/* read_ahead_kb set by nullb_create() */

/* A file on the disk and the bytes it must read back as. */
struct test_file {
	const char *name;
	size_t size;
	int holes;		/* only some ranges written */
	unsigned char *expect;
};

static struct test_file files[] = {
	{ .name = "empty", .size = 0, .holes = 0 },
	{ .name = "short", .size = 100, .holes = 0 },
	{ .name = "page", .size = PAGE, .holes = 0 },
	{ .name = "odd", .size = 5 * MiB + 123, .holes = 0 },
	{ .name = "holes", .size = 3 * MiB + 777, .holes = 1 },
};

/* The written ranges of a file with holes; the rest reads as zeros. */
static const struct { size_t off, len; } written[] = {
	{ 0, 5000 }, { MiB + 4000, 70000 }, { 3 * MiB + 700, 77 },
};

static int make_file(const char *dir, struct test_file *f)
{
	char path[128];
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, f->name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	f->expect = calloc(1, f->size + 1);
	if (!f->expect)
		return -1;
	if (!f->holes) {
		if (nullb_fill(fd, 0, f->size))
			return -1;
		for (i = 0; i < f->size; i++)
			f->expect[i] = nullb_pattern(i);
	} else {
		if (ftruncate(fd, f->size))
			return -1;
		for (i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
			size_t j;

			if (nullb_fill(fd, written[i].off, written[i].len))
				return -1;
			for (j = 0; j < written[i].len; j++)
				f->expect[written[i].off + j] =
					nullb_pattern(written[i].off + j);
		}
	}
	if (nullb_evict(fd))
		return -1;
	return fd;
}

/* Where sendfile() writes, and a thread that reads back what arrives. */
enum sink_kind { SINK_PIPE, SINK_UNIX, SINK_TCP, SINK_NULL };

struct sink {
	int wfd, rfd;
	pthread_t reader;
	unsigned char *buf;
	size_t got, cap;
};

static void *sink_reader(void *arg)
{
	struct sink *s = arg;
	unsigned char scratch[4096];

	for (;;) {
		ssize_t n = read(s->rfd, scratch, sizeof(scratch));

		if (n <= 0)
			break;
		if (s->got + n <= s->cap)
			memcpy(s->buf + s->got, scratch, n);
		s->got += n;
	}
	return NULL;
}

static int tcp_pair(int fds[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len))
		return -1;
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, sizeof(a)))
		return -1;
	fds[1] = accept(l, NULL, NULL);
	close(l);
	return fds[1] < 0 ? -1 : 0;
}

static int sink_open(struct sink *s, enum sink_kind kind, size_t cap)
{
	int fds[2], rc = -1;

	memset(s, 0, sizeof(*s));
	s->rfd = -1;
	switch (kind) {
	case SINK_PIPE:
		rc = pipe(fds);
		break;
	case SINK_UNIX:
		rc = socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
		break;
	case SINK_TCP:
		rc = tcp_pair(fds);
		break;
	case SINK_NULL:
		s->wfd = open("/dev/null", O_WRONLY);
		return s->wfd < 0 ? -1 : 0;
	}
	if (rc)
		return -1;
	s->rfd = fds[0];	/* a pipe's read end; either end of a socket */
	s->wfd = fds[1];
	s->cap = cap;
	s->buf = malloc(cap + 1);
	if (!s->buf)
		return -1;
	return pthread_create(&s->reader, NULL, sink_reader, s) ? -1 : 0;
}

/* Close the writing end and wait until the reader has seen all of it. */
static void sink_close(struct sink *s)
{
	close(s->wfd);
	if (s->rfd >= 0) {
		pthread_join(s->reader, NULL);
		close(s->rfd);
	}
}

/* A 256 MiB ext4 disk for each test; skip when the guest cannot make one. */
static void disk_up(struct __test_metadata *_metadata, struct nullb *nb)
{
	int rc = nullb_create(nb, "lsp-ra", 256, NULLB_LATENCY_NS);

	if (rc == NULLB_MISSING)
		SKIP(return, "%s", nb->err);
	ASSERT_EQ(0, rc) TH_LOG("%s", nb->err);
}

/* sendfile() semantics, once per kind of destination. */
FIXTURE(sendfile) {
	struct nullb nb;
};

FIXTURE_VARIANT(sendfile) {
	enum sink_kind sink;
};

FIXTURE_VARIANT_ADD(sendfile, pipe) { .sink = SINK_PIPE };
FIXTURE_VARIANT_ADD(sendfile, unix) { .sink = SINK_UNIX };
FIXTURE_VARIANT_ADD(sendfile, tcp) { .sink = SINK_TCP };
FIXTURE_VARIANT_ADD(sendfile, devnull) { .sink = SINK_NULL };

FIXTURE_SETUP(sendfile)
{
	disk_up(_metadata, &self->nb);
}

FIXTURE_TEARDOWN(sendfile)
{
	nullb_destroy(&self->nb);
}

/* Everything else: one disk. */
FIXTURE(disk) {
	struct nullb nb;
};

FIXTURE_SETUP(disk)
{
	disk_up(_metadata, &self->nb);
}

FIXTURE_TEARDOWN(disk)
{
	nullb_destroy(&self->nb);
}

/*
 * sendfile() COUNT bytes at a time from START until it returns 0, with an
 * offset pointer or through the file position; check the bytes, the
 * offset and the file position.
 */
static void sendfile_check(struct __test_metadata *_metadata,
			   enum sink_kind kind, struct test_file *f, int fd,
			   size_t start, size_t count, int use_offset)
{
	size_t want = f->size > start ? f->size - start : 0, total = 0;
	off_t off = start;
	struct sink s;

	ASSERT_EQ(0, sink_open(&s, kind, want));
	ASSERT_EQ(use_offset ? 0 : (off_t)start,
		  lseek(fd, use_offset ? 0 : start, SEEK_SET));
	for (;;) {
		ssize_t n = sendfile(s.wfd, fd, use_offset ? &off : NULL,
				     count);

		ASSERT_LE(0, n) TH_LOG("%s: sendfile: %s", f->name,
				       strerror(errno));
		if (!n)
			break;
		total += n;
		ASSERT_LE(total, want);
	}
	sink_close(&s);
	EXPECT_EQ(want, total) TH_LOG("%s from %zu: %zu bytes sent",
				      f->name, start, total);
	if (use_offset) {
		EXPECT_EQ((off_t)(start + total), off);
		EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
	} else {
		EXPECT_EQ((off_t)(start + total), lseek(fd, 0, SEEK_CUR));
	}
	if (kind != SINK_NULL) {
		EXPECT_EQ(want, s.got);
		EXPECT_EQ(0, memcmp(s.buf, f->expect + start, want))
			TH_LOG("%s from %zu: the bytes differ", f->name, start);
	}
	free(s.buf);
}

TEST_F(sendfile, copies_exactly)
{
	static const size_t counts[] = { CHUNK, 65536 + 100, 1 * MiB + 4095 };
	size_t i, c;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct test_file *f = &files[i];
		int fd = make_file(self->nb.mnt, f);

		ASSERT_LE(0, fd) TH_LOG("%s: %s", f->name, strerror(errno));
		for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
			/* cold, then cached; from 0, mid-page, past EOF */
			sendfile_check(_metadata, variant->sink, f, fd, 0,
				       counts[c], 1);
			sendfile_check(_metadata, variant->sink, f, fd, 0,
				       counts[c], 0);
			sendfile_check(_metadata, variant->sink, f, fd, 1234,
				       counts[c], 1);
			sendfile_check(_metadata, variant->sink, f, fd, 1234,
				       counts[c], 0);
			sendfile_check(_metadata, variant->sink, f, fd,
				       f->size + 10, counts[c], 1);
			ASSERT_EQ(0, nullb_evict(fd));
		}
		close(fd);
		free(f->expect);
	}
}

/* copy_file_range() within ext4 takes the splice-direct path too. */
TEST_F(disk, copy_file_range_and_splice_copy_exactly)
{
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct test_file *f = &files[i];
		int fd = make_file(self->nb.mnt, f), out, pfd[2];
		char path[128];
		unsigned char *got = malloc(f->size + 1);
		loff_t in_off = 0, out_off = 0;
		size_t total = 0;
		ssize_t n;

		ASSERT_LE(0, fd);
		ASSERT_NE(NULL, got);

		/* copy_file_range() into a second file on the same ext4 */
		snprintf(path, sizeof(path), "%s/copy", self->nb.mnt);
		out = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		ASSERT_LE(0, out);
		while ((n = copy_file_range(fd, &in_off, out, &out_off,
					    CHUNK, 0)) > 0)
			total += n;
		ASSERT_EQ(0, n) TH_LOG("copy_file_range: %s", strerror(errno));
		EXPECT_EQ(f->size, total);
		EXPECT_EQ((ssize_t)f->size, pread(out, got, f->size + 1, 0));
		EXPECT_EQ(0, memcmp(got, f->expect, f->size));

		/* file -> 1 MiB pipe -> file on tmpfs */
		ASSERT_EQ(0, nullb_evict(fd));
		ASSERT_EQ(0, pipe(pfd));
		ASSERT_LE(0, fcntl(pfd[1], F_SETPIPE_SZ, (int)MiB));
		close(out);
		out = open("/tmp/lsp-ra-splice", O_RDWR | O_CREAT | O_TRUNC,
			   0644);
		ASSERT_LE(0, out);
		in_off = 0;
		total = 0;
		while ((n = splice(fd, &in_off, pfd[1], NULL, MiB, 0)) > 0) {
			ssize_t left = n;

			while (left > 0) {
				ssize_t m = splice(pfd[0], NULL, out, NULL,
						   left, 0);

				ASSERT_LT(0, m);
				left -= m;
			}
			total += n;
		}
		ASSERT_EQ(0, n) TH_LOG("splice: %s", strerror(errno));
		EXPECT_EQ(f->size, total);
		EXPECT_EQ((ssize_t)f->size, pread(out, got, f->size + 1, 0));
		EXPECT_EQ(0, memcmp(got, f->expect, f->size));
		close(pfd[0]);
		close(pfd[1]);
		close(out);
		unlink("/tmp/lsp-ra-splice");
		close(fd);
		free(got);
		free(f->expect);
	}
}

/* Read requests and sectors the disk completed while FN ran. */
struct io_count {
	unsigned long ios, sectors;
};

static struct io_count io_delta(struct nullb_stat *a, struct nullb_stat *b)
{
	struct io_count c = { b->ios - a->ios, b->sectors - a->sectors };

	return c;
}


/* Open the 64 MiB file afresh (new read-ahead state), cold. */
static int cold_open(struct nullb *nb)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/big", nb->mnt);
	fd = open(path, O_RDONLY);
	if (fd >= 0 && nullb_evict(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Write the 64 MiB file and open it cold. */
static int cold_big_file(struct nullb *nb)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/big", nb->mnt);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || nullb_fill(fd, 0, BIG_FILE))
		return -1;
	close(fd);
	return cold_open(nb);
}

TEST_F(disk, sendfile_reads_like_read)
{
	struct nullb_stat s0, s1;
	struct io_count rd, sf;
	char *buf = malloc(CHUNK);
	size_t total = 0;
	ssize_t n;
	int fd, out;

	ASSERT_NE(NULL, buf);
	ASSERT_LT(RA_KB, nullb_queue_get(&self->nb, "max_sectors_kb"));
	fd = cold_big_file(&self->nb);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nullb_stat(&self->nb, &s0));
	while ((n = read(fd, buf, CHUNK)) > 0)
		total += n;
	ASSERT_EQ(0, nullb_stat(&self->nb, &s1));
	ASSERT_EQ(BIG_FILE, total);
	rd = io_delta(&s0, &s1);
	close(fd);

	fd = cold_open(&self->nb);
	ASSERT_LE(0, fd);
	out = open("/dev/null", O_WRONLY);
	ASSERT_LE(0, out);
	total = 0;
	ASSERT_EQ(0, nullb_stat(&self->nb, &s0));
	while ((n = sendfile(out, fd, NULL, CHUNK)) > 0)
		total += n;
	ASSERT_EQ(0, nullb_stat(&self->nb, &s1));
	ASSERT_EQ(BIG_FILE, total);
	sf = io_delta(&s0, &s1);
	close(out);
	close(fd);

	TH_LOG("64 MiB cold, 2 MiB per call: read() %lu requests (%lu KiB each), sendfile() %lu requests (%lu KiB each)",
	       rd.ios, rd.sectors / 2 / (rd.ios ? rd.ios : 1),
	       sf.ios, sf.sectors / 2 / (sf.ios ? sf.ios : 1));
	ASSERT_LT(0UL, rd.ios);
	/*
	 * Windows past read_ahead_kb: fewer than half the requests of
	 * 128 KiB windows.  How many fewer depends on when completions
	 * land, for read() as for sendfile(): measured on this kernel,
	 * 32 and 128 in one boot, 120 and 44 in another; the bench kernel
	 * counts 518 and 517 for 1 GiB (Documentation/readahead.rst).
	 */
	EXPECT_LE(sf.ios * 2, BIG_FILE / (RA_KB * 1024))
		TH_LOG("sendfile() needed %lu read requests, read() %lu",
		       sf.ios, rd.ios);
	free(buf);
}

/* Random advice keeps sendfile() read-ahead at what each call asks for. */
TEST_F(disk, sendfile_random_advice_reads_no_more)
{
	struct nullb_stat s0, s1;
	struct io_count sf;
	ssize_t n;
	int fd, out;

	fd = cold_big_file(&self->nb);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM));
	out = open("/dev/null", O_WRONLY);
	ASSERT_LE(0, out);
	ASSERT_EQ(0, nullb_stat(&self->nb, &s0));
	/* one 2 MiB call at each of 8 places 8 MiB apart */
	for (int i = 0; i < 8; i++) {
		off_t off = i * 8 * MiB;

		n = sendfile(out, fd, &off, CHUNK);
		ASSERT_EQ((ssize_t)CHUNK, n);
	}
	ASSERT_EQ(0, nullb_stat(&self->nb, &s1));
	sf = io_delta(&s0, &s1);
	TH_LOG("8 x 2 MiB random: %lu requests, %lu KiB", sf.ios,
	       sf.sectors / 2);
	/* exactly the 16 MiB asked for, give or take metadata */
	EXPECT_LE(sf.sectors / 2, 16UL * 1024 + 64);
	/* read one pipe's worth (64 KiB) at a time, not the whole call */
	EXPECT_LE(sf.sectors / 2, sf.ios * 64);
	close(out);
	close(fd);
}

TEST_F(disk, mmap_sequential_doubles_the_window)
{
	struct nullb_stat s0, s1;
	struct io_count mm;
	volatile unsigned char *p;
	unsigned long sum = 0, windows;
	size_t i;
	int fd;

	ASSERT_LE(2 * RA_KB, nullb_queue_get(&self->nb, "max_sectors_kb"));
	fd = cold_big_file(&self->nb);
	ASSERT_LE(0, fd);
	p = mmap(NULL, BIG_FILE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, madvise((void *)p, BIG_FILE, MADV_SEQUENTIAL));
	ASSERT_EQ(0, nullb_stat(&self->nb, &s0));
	for (i = 0; i < BIG_FILE; i += PAGE)
		sum += p[i];
	ASSERT_EQ(0, nullb_stat(&self->nb, &s1));
	mm = io_delta(&s0, &s1);
	windows = BIG_FILE / (RA_KB * 1024);
	TH_LOG("64 MiB MADV_SEQUENTIAL: %lu requests (%lu KiB each); a %ld KiB window needs %lu (sum %lu)",
	       mm.ios, mm.sectors / 2 / (mm.ios ? mm.ios : 1), RA_KB,
	       windows, sum);
	EXPECT_LE(BIG_FILE / 1024, mm.sectors / 2);
	EXPECT_LE(mm.ios * 2, windows)
		TH_LOG("%lu read requests for %lu windows of %ld KiB",
		       mm.ios, windows, RA_KB);
	munmap((void *)p, BIG_FILE);
	close(fd);
}

TEST_F(disk, mmap_random_advice_no_read_around)
{
	struct nullb_stat s0, s1;
	struct io_count mm;
	volatile unsigned char *p;
	unsigned char vec[2];
	unsigned long sum = 0;
	size_t i, faults = 0;
	int fd;

	fd = cold_big_file(&self->nb);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM));
	p = mmap(NULL, BIG_FILE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, nullb_stat(&self->nb, &s0));
	for (i = MiB / 2; i < BIG_FILE; i += MiB, faults++)
		sum += p[i];
	ASSERT_EQ(0, nullb_stat(&self->nb, &s1));
	mm = io_delta(&s0, &s1);
	TH_LOG("%zu faults 1 MiB apart after POSIX_FADV_RANDOM: %lu requests, %lu KiB (sum %lu)",
	       faults, mm.ios, mm.sectors / 2, sum);
	/* one page per fault; the baseline reads 128 KiB around each */
	EXPECT_EQ(faults * PAGE / 1024, mm.sectors / 2);
	ASSERT_EQ(0, mincore((void *)(p + MiB / 2), 2 * PAGE, vec));
	EXPECT_EQ(1, vec[0] & 1);
	EXPECT_EQ(0, vec[1] & 1) TH_LOG("the page after a fault was read too");
	munmap((void *)p, BIG_FILE);
	close(fd);
}

/*
 * An executable mapping keeps its read-ahead after POSIX_FADV_RANDOM, as
 * it does after MADV_RANDOM on 7.3: read_ahead_kb from the faulting page
 * on.  Passes on both kernels; it fails if the advice stops it.
 */
TEST_F(disk, mmap_random_advice_spares_exec)
{
	struct nullb_stat s0, s1;
	struct io_count mm;
	volatile unsigned char *p;
	unsigned char vec[2];
	unsigned long sum = 0;
	int fd;

	fd = cold_big_file(&self->nb);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM));
	p = mmap(NULL, BIG_FILE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED && (errno == EPERM || errno == EACCES))
		SKIP(goto out, "no executable mapping here: %s",
		     strerror(errno));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, nullb_stat(&self->nb, &s0));
	sum += p[MiB / 2];
	ASSERT_EQ(0, nullb_stat(&self->nb, &s1));
	mm = io_delta(&s0, &s1);
	TH_LOG("one fault in an executable mapping after POSIX_FADV_RANDOM: %lu requests, %lu KiB (sum %lu)",
	       mm.ios, mm.sectors / 2, sum);
	EXPECT_LT(PAGE / 1024, mm.sectors / 2);
	ASSERT_EQ(0, mincore((void *)(p + MiB / 2), 2 * PAGE, vec));
	EXPECT_EQ(1, vec[0] & 1);
	EXPECT_EQ(1, vec[1] & 1) TH_LOG("the page after the fault was not read ahead");
	munmap((void *)p, BIG_FILE);
out:
	close(fd);
}

TEST_HARNESS_MAIN
