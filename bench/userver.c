// SPDX-License-Identifier: GPL-2.0
/*
 * userver: a single-process, event-driven HTTP/1.1 server after the
 * µserver of Gammo, Brecht, Shukla and Pariag, "Comparing and Evaluating
 * epoll, select, and poll Event Mechanisms" (Linux Symposium 2004), to
 * compare the event mechanisms of the paper on one code base.
 *
 *   userver --mechanism M --port N [options]
 *
 *   --mechanism M        select, poll, epoll-lt, epoll-et, epoll2 or
 *                        epoll-ctlv (see below)
 *   --port N             TCP port; 0 picks a free one.  Once listening,
 *                        the server prints 'userver: port N' on stdout.
 *   --address A          IPv4 address to bind (default 0.0.0.0)
 *   --accept-limit N|inf connections accepted per readiness notification
 *                        of the listening socket (default inf: until
 *                        accept() fails with EAGAIN)
 *   --docroot DIR        serve the regular files under DIR, loaded into
 *                        memory at startup (DIR/a/b as /a/b; a path
 *                        ending in / means its index.html)
 *   --one-byte           serve one document, /index.html, one byte long
 *                        (the paper's one-byte workload; the default)
 *   --sendfile           send bodies with sendfile() from the page cache
 *                        under TCP_CORK, as the paper's server did,
 *                        instead of from memory with write()/writev()
 *   --eager-writes       write a reply as soon as it is queued; by default
 *                        a connection with a reply to send waits until the
 *                        mechanism reports it writable, as in the paper
 *   --max-conns N        connections open at once (default 65536; more
 *                        are accepted and closed at once)
 *   --max-events N       epoll_wait() array size (default 256)
 *   --backlog N          listen() backlog (default 4096)
 *   --sndbuf N           SO_SNDBUF of the connections (set on the listener,
 *                        which they inherit; default: autotuned)
 *   --quit-after-idle-seconds N
 *                        exit when no connection was accepted and no byte
 *                        was read for N seconds
 *   --stats              time each system call and print a table of
 *                        calls and time per system call at exit
 *
 * SIGTERM and SIGINT stop the server: it prints its counters (requests,
 * replies per status, bytes, errors, events) and, with --stats, the
 * system call table on stdout, and exits 0.  Exit status 1 means an
 * error, 2 a bad command line, 77 that the kernel lacks epoll_ctlv(2)
 * (epoll-ctlv only: "skip").  Run without arguments (as 'make bench'
 * runs every benchmark), it prints a line saying so and exits 0.
 *
 * HTTP: GET and HEAD; persistent connections (HTTP/1.1 by default,
 * HTTP/1.0 with "Connection: keep-alive"); pipelining: requests are
 * parsed from the connection's input buffer and their replies queued in
 * order.  405 (with Allow:) for POST, PUT, DELETE, OPTIONS, TRACE, PATCH
 * and CONNECT, 501 for other methods and for a request body in
 * Transfer-Encoding, 400 for a malformed request (or an HTTP/1.1 request
 * without exactly one Host:), 404 for a path not served, 431 for a
 * request head over 8 KiB, 505 for an HTTP major version other than 1.
 * After 400, 431, 501 and 505, or a request with "Connection: close",
 * the server closes the connection once the reply is sent: it shuts down
 * its side and reads until the client closes (at most 5 s), so that
 * unread requests do not turn the close into a reset that could destroy
 * the reply.
 *
 * The mechanisms, as the paper defines them:
 *
 *   select      interest kept in bitmaps (not limited to FD_SETSIZE),
 *               copied and passed to select() each iteration; the server
 *               scans the result.
 *   poll        a pollfd array with one entry per descriptor, whose events
 *               the server edits when interest changes; scanned after
 *               poll().
 *   epoll-lt    level-triggered; epoll_ctl() at each change of interest:
 *               ADD (EPOLLIN) on accept, MOD adding EPOLLOUT when a reply
 *               is queued and back to EPOLLIN when it is sent, DEL before
 *               close().
 *   epoll-et    edge-triggered; registered once with EPOLLIN | EPOLLOUT |
 *               EPOLLET (and EPOLLRDHUP) on accept and removed with DEL
 *               before close(); the server tracks whether each socket is
 *               still readable (until a read() returns less than asked,
 *               unless the peer's FIN was reported, or EAGAIN) and
 *               writable (until a write falls short).  With an accept
 *               limit, a listener that may hold more connections is
 *               accepted from again after the next epoll_wait(), with no
 *               new edge.
 *   epoll2      level-triggered, registered once for EPOLLIN | EPOLLOUT on
 *               accept, DEL before close(): no epoll_ctl() in between, but
 *               epoll_wait() keeps reporting writable sockets that have
 *               nothing to send; the server discards those events
 *               (counted as "not of interest").
 *   epoll-ctlv  as epoll-lt, but the ADDs and MODs of one event-loop
 *               iteration are batched into one epoll_ctlv(2) call just
 *               before epoll_wait(); DEL is still epoll_ctl() just before
 *               close(), as the paper does (a batched DEL would come
 *               after the close and fail).  A pending op of a descriptor
 *               that closes is dropped from the batch, so that a reused
 *               descriptor number is not hit by a stale op.
 *
 * By default a reply is written when the mechanism reports the socket
 * writable (for epoll-et: when the server knows it is), which is what
 * makes epoll-lt call epoll_ctl() for every state change in the paper;
 * --eager-writes writes at once and changes interest only when a write
 * falls short.
 *
 * --stats times each system call with the TSC (x86; CLOCK_MONOTONIC
 * elsewhere) converted to ns against CLOCK_MONOTONIC over the run.  The
 * waiting calls (select, poll, epoll_wait) include time spent blocked
 * while the server is idle.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "epoll_ctlv.h"

#define EXIT_SKIP	77

#define IN_MAX		8192	/* request head limit, and input buffer */
#define HDR_MAX		8192	/* reply heads (and small bodies) queued */
#define SEG_MAX		64	/* pieces of output queued */
#define RESP_MAX	640	/* room one reply head may need in hdr[] */
#define SMALL_BODY	256	/* bodies copied next to their head */
#define IOV_BATCH	64
#define PATH_LEN	1024
#define LINGER_MS	5000
#define READ_BUDGET	16	/* reads per connection per run */
#define POOL_MAX	1024	/* idle io blocks kept */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum mech_id {
	M_SELECT, M_POLL, M_EPOLL_LT, M_EPOLL_ET, M_EPOLL2, M_EPOLL_CTLV,
	NR_MECH
};

static const char *const mech_names[NR_MECH] = {
	"select", "poll", "epoll-lt", "epoll-et", "epoll2", "epoll-ctlv",
};

/* System calls counted, in the order of the paper's Table 1. */
enum {
	SC_READ, SC_CLOSE, SC_SELECT, SC_POLL, SC_EPOLL_CTL, SC_EPOLL_WAIT,
	SC_EPOLL_CTLV, SC_SETSOCKOPT, SC_ACCEPT, SC_WRITE, SC_WRITEV,
	SC_SENDFILE, SC_SHUTDOWN, NR_SC
};

static const char *const sc_names[NR_SC] = {
	"read", "close", "select", "poll", "epoll_ctl", "epoll_wait",
	"epoll_ctlv", "setsockopt", "accept4", "write", "writev", "sendfile",
	"shutdown",
};

/* ---- options ---- */

static int opt_mech = -1;
static int opt_port = -1;
static const char *opt_addr = "0.0.0.0";
static unsigned long opt_accept_limit;		/* 0: inf */
static const char *opt_docroot;
static int opt_sendfile;
static int opt_eager;
static int opt_max_conns = 65536;
static int opt_max_events = 256;
static int opt_backlog = 4096;
static int opt_sndbuf;
static int opt_idle_quit;
static int opt_stats;

/* ---- counters ---- */

static struct {
	unsigned long long calls, ticks;
} sc[NR_SC];

static struct {
	unsigned long long accepted, closed, rejected, requests, replies;
	unsigned long long status[6];	/* by first digit */
	unsigned long long bytes_in, bytes_out;
	unsigned long long read_errors, write_errors, accept_errors;
	unsigned long long ctl_errors, lingered, linger_timeouts;
	unsigned long long waits, events, boring_events;
	unsigned long long ctl_add, ctl_mod, ctl_del;
	unsigned long long ctlv_ops, ctlv_max;
	unsigned long long accept_batches;
	int max_open;
} st;

static inline uint64_t ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
#endif
}

/* Call and count system call @id; time it with --stats. */
#define SYS(id, call) ({						\
	uint64_t _t0 = opt_stats ? ticks() : 0;				\
	__typeof__(call) _r = (call);					\
	if (opt_stats)							\
		sc[id].ticks += ticks() - _t0;				\
	sc[id].calls++;							\
	_r;								\
})

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "userver: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- documents ---- */

struct doc {
	char *path;		/* "/a/b.html" */
	const char *data;	/* memory mode */
	int fd;			/* --sendfile */
	size_t len;
	char head[128];		/* Content-Type and Content-Length lines */
	size_t head_len;
};

static struct doc *docs;
static size_t nr_docs, docs_cap;
static struct doc **doc_hash;
static size_t doc_hash_mask;

static uint32_t hash_path(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static const char *content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html" }, { ".htm", "text/html" },
		{ ".txt", "text/plain" }, { ".css", "text/css" },
		{ ".js", "text/javascript" }, { ".json", "application/json" },
		{ ".png", "image/png" }, { ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" }, { ".gif", "image/gif" },
		{ ".svg", "image/svg+xml" }, { ".ico", "image/x-icon" },
		{ ".pdf", "application/pdf" },
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	if (dot && !strchr(dot, '/'))
		for (i = 0; i < ARRAY_SIZE(types); i++)
			if (!strcasecmp(dot, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

static void add_doc(const char *path, const char *data, int fd, size_t len)
{
	struct doc *d;

	if (nr_docs == docs_cap) {
		docs_cap = docs_cap ? 2 * docs_cap : 64;
		docs = realloc(docs, docs_cap * sizeof(*docs));
		if (!docs)
			die("out of memory");
	}
	d = &docs[nr_docs++];
	d->path = strdup(path);
	if (!d->path)
		die("out of memory");
	d->data = data;
	d->fd = fd;
	d->len = len;
	d->head_len = snprintf(d->head, sizeof(d->head),
			       "Content-Type: %s\r\nContent-Length: %zu\r\n",
			       content_type(path), len);
}

static void build_doc_hash(void)
{
	size_t size = 16, i;

	while (size < 2 * nr_docs)
		size *= 2;
	doc_hash = calloc(size, sizeof(*doc_hash));
	if (!doc_hash)
		die("out of memory");
	doc_hash_mask = size - 1;
	for (i = 0; i < nr_docs; i++) {
		size_t h = hash_path(docs[i].path, strlen(docs[i].path));

		while (doc_hash[h & doc_hash_mask])
			h++;
		doc_hash[h & doc_hash_mask] = &docs[i];
	}
}

static const struct doc *find_doc(const char *path, size_t len)
{
	size_t h = hash_path(path, len);
	const struct doc *d;

	while ((d = doc_hash[h & doc_hash_mask])) {
		if (!strncmp(d->path, path, len) && !d->path[len])
			return d;
		h++;
	}
	return NULL;
}

static void load_file(const char *file, const char *path, size_t len)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	char *data = NULL;
	size_t got = 0;

	if (fd < 0)
		die("%s: %s", file, strerror(errno));
	if (opt_sendfile) {
		add_doc(path, NULL, fd, len);
		return;
	}
	if (len) {
		data = malloc(len);
		if (!data)
			die("out of memory loading %s", file);
	}
	while (got < len) {
		ssize_t n = read(fd, data + got, len - got);

		if (n <= 0)
			die("%s: short read", file);
		got += n;
	}
	close(fd);
	add_doc(path, data, -1, len);
}

static void load_dir(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		die("%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char file[PATH_MAX], path[PATH_LEN];
		struct stat s;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(file, sizeof(file), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(file) ||
		    snprintf(path, sizeof(path), "%s/%s", prefix, e->d_name) >=
		    (int)sizeof(path))
			die("%s/%s: path too long", dir, e->d_name);
		if (stat(file, &s))
			die("%s: %s", file, strerror(errno));
		if (S_ISDIR(s.st_mode))
			load_dir(file, path);
		else if (S_ISREG(s.st_mode))
			load_file(file, path, s.st_size);
	}
	closedir(d);
}

static void load_docs(void)
{
	if (opt_docroot) {
		load_dir(opt_docroot, "");
	} else if (opt_sendfile) {
		int fd = memfd_create("one-byte", MFD_CLOEXEC);

		if (fd < 0 || write(fd, "x", 1) != 1)
			die("memfd: %s", strerror(errno));
		add_doc("/index.html", NULL, fd, 1);
	} else {
		add_doc("/index.html", "x", -1, 1);
	}
	build_doc_hash();
}

/* ---- connections ---- */

struct seg {
	const char *base;	/* memory, or NULL: sendfile from fd */
	int fd;
	off_t off;
	size_t len;
};

struct io {
	unsigned int in_len;
	unsigned int hdr_len;
	unsigned int head, tail;	/* seg[head..tail) to send */
	unsigned int files;		/* file segs queued */
	struct io *next;		/* pool */
	struct seg seg[SEG_MAX];
	char in[IN_MAX];
	char hdr[HDR_MAX];
};

#define EV_R	1
#define EV_W	2
#define EV_FIN	4	/* EPOLLRDHUP: the peer's FIN is in */

struct conn {
	int fd;
	uint32_t gen;
	unsigned int listener:1, readable:1, writable:1, rd_closed:1,
		     close_after:1, lingering:1, corked:1, again:1, peer_fin:1;
	unsigned int kev;		/* interest the kernel has (-1u: none) */
	int slot;			/* poll: pfds index; ctlv: batch index */
	unsigned long long skip;	/* request body bytes to discard */
	double deadline;		/* lingering */
	struct io *io;
	struct conn *prev[2], *next[2];	/* the lists below; free list */
};

static struct conn **conns;		/* by fd */
static int conns_size;
static int nr_open;
static struct conn listener;
static struct conn *free_conns;
static struct io *io_pool;
static int io_pooled;
static int reserve_fd = -1;

/*
 * Connections to run again without an event (epoll-et: still readable
 * when the read budget ran out; the listener after the accept limit), and
 * lingering closes, oldest first.
 */
struct list {
	int link;
	struct conn *first, *last;
};

static struct list again = { .link = 0 }, lingering = { .link = 1 };

static void list_add(struct list *l, struct conn *c)
{
	int k = l->link;

	c->next[k] = NULL;
	c->prev[k] = l->last;
	if (l->last)
		l->last->next[k] = c;
	else
		l->first = c;
	l->last = c;
}

static void list_del(struct list *l, struct conn *c)
{
	int k = l->link;

	if (c->prev[k])
		c->prev[k]->next[k] = c->next[k];
	else
		l->first = c->next[k];
	if (c->next[k])
		c->next[k]->prev[k] = c->prev[k];
	else
		l->last = c->prev[k];
	c->prev[k] = c->next[k] = NULL;
}

static struct io *io_get(void)
{
	struct io *io = io_pool;

	if (io) {
		io_pool = io->next;
		io_pooled--;
	} else {
		io = malloc(sizeof(*io));
		if (!io)
			die("out of memory");
	}
	io->in_len = io->hdr_len = io->head = io->tail = io->files = 0;
	return io;
}

static void io_put(struct io *io)
{
	if (io_pooled >= POOL_MAX) {
		free(io);
		return;
	}
	io->next = io_pool;
	io_pool = io;
	io_pooled++;
}

static inline int has_output(const struct conn *c)
{
	return c->io && c->io->head < c->io->tail;
}

/* Room to queue one more reply. */
static inline int reply_room(const struct io *io)
{
	return io->tail + 2 <= SEG_MAX && io->hdr_len + RESP_MAX <= HDR_MAX;
}

static inline int want_read(const struct conn *c)
{
	if (c->lingering)
		return 1;
	if (c->rd_closed || c->close_after)
		return 0;
	return !c->io || c->io->in_len < IN_MAX;
}

static inline unsigned int interest(const struct conn *c)
{
	return (want_read(c) ? EV_R : 0) | (has_output(c) ? EV_W : 0);
}

/* ---- mechanisms ---- */

struct mech {
	void (*init)(void);
	void (*add)(struct conn *c);		/* after accept (and listener) */
	void (*update)(struct conn *c);		/* interest may have changed */
	void (*del)(struct conn *c);		/* before close */
	int (*wait)(int timeout_ms);		/* and dispatch */
};

static void dispatch(struct conn *c, unsigned int ev, int hup);

/* select: bitmaps of any size, cast to fd_set. */
static unsigned long *rmaster, *wmaster, *rset, *wset;
static int sel_words, sel_max = -1;

#define WORD_BITS	(8 * sizeof(unsigned long))

static void bit_set(unsigned long *m, int fd, int on)
{
	if (on)
		m[fd / WORD_BITS] |= 1UL << (fd % WORD_BITS);
	else
		m[fd / WORD_BITS] &= ~(1UL << (fd % WORD_BITS));
}

static void sel_init(void)
{
	sel_words = (conns_size + WORD_BITS - 1) / WORD_BITS;
	rmaster = calloc(sel_words, sizeof(long));
	wmaster = calloc(sel_words, sizeof(long));
	rset = calloc(sel_words, sizeof(long));
	wset = calloc(sel_words, sizeof(long));
	if (!rmaster || !wmaster || !rset || !wset)
		die("out of memory");
}

static void sel_update(struct conn *c)
{
	unsigned int ev = interest(c);

	bit_set(rmaster, c->fd, ev & EV_R);
	bit_set(wmaster, c->fd, ev & EV_W);
}

static void sel_add(struct conn *c)
{
	if (c->fd > sel_max)
		sel_max = c->fd;
	sel_update(c);
}

static void sel_del(struct conn *c)
{
	bit_set(rmaster, c->fd, 0);
	bit_set(wmaster, c->fd, 0);
	if (c->fd == sel_max)
		while (sel_max >= 0 && (sel_max == c->fd || !conns[sel_max]))
			sel_max--;
}

static int sel_wait(int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, timeout_ms % 1000 * 1000 };
	int words = (sel_max + WORD_BITS) / WORD_BITS, n, i, seen = 0;

	memcpy(rset, rmaster, words * sizeof(long));
	memcpy(wset, wmaster, words * sizeof(long));
	/* The select system call itself: glibc's select() is pselect6. */
#ifdef __NR_select
	n = SYS(SC_SELECT, syscall(__NR_select, sel_max + 1, rset, wset, NULL,
				   &tv));
#else
	n = SYS(SC_SELECT, select(sel_max + 1, (fd_set *)rset,
				  (fd_set *)wset, NULL, &tv));
#endif
	st.waits++;
	if (n <= 0)
		return n;
	for (i = 0; i < words && seen < n; i++) {
		unsigned long bits = rset[i] | wset[i];

		while (bits) {
			int b = __builtin_ctzl(bits);
			int fd = i * WORD_BITS + b;
			unsigned long m = 1UL << b;
			unsigned int ev = ((rset[i] & m) ? EV_R : 0) |
					  ((wset[i] & m) ? EV_W : 0);

			bits &= bits - 1;
			seen += !!(ev & EV_R) + !!(ev & EV_W);
			st.events++;
			if (conns[fd])
				dispatch(conns[fd], ev, 0);
		}
	}
	return n;
}

/* poll: one pollfd per descriptor, edited in place. */
static struct pollfd *pfds;
static int nr_pfds;

static short poll_events(const struct conn *c)
{
	unsigned int ev = interest(c);

	return ((ev & EV_R) ? POLLIN : 0) | ((ev & EV_W) ? POLLOUT : 0);
}

static void poll_init(void)
{
	pfds = calloc(conns_size, sizeof(*pfds));
	if (!pfds)
		die("out of memory");
}

static void poll_add(struct conn *c)
{
	c->slot = nr_pfds++;
	pfds[c->slot].fd = c->fd;
	pfds[c->slot].events = poll_events(c);
	pfds[c->slot].revents = 0;
}

static void poll_update(struct conn *c)
{
	pfds[c->slot].events = poll_events(c);
}

static void poll_del(struct conn *c)
{
	int last = --nr_pfds;

	if (c->slot != last) {
		pfds[c->slot] = pfds[last];
		conns[pfds[c->slot].fd]->slot = c->slot;
	}
	c->slot = -1;
}

static int poll_wait(int timeout_ms)
{
	int n = SYS(SC_POLL, poll(pfds, nr_pfds, timeout_ms)), i, seen = 0;

	st.waits++;
	if (n <= 0)
		return n;
	/*
	 * Downwards: a closing connection's slot takes the last entry,
	 * which was handled already.
	 */
	for (i = nr_pfds - 1; i >= 0 && seen < n; i--) {
		short re = pfds[i].revents;
		unsigned int ev;
		int hup;

		if (!re)
			continue;
		pfds[i].revents = 0;
		seen++;
		st.events++;
		hup = !!(re & (POLLHUP | POLLERR | POLLNVAL));
		ev = ((re & POLLIN) ? EV_R : 0) | ((re & POLLOUT) ? EV_W : 0);
		dispatch(conns[pfds[i].fd], ev, hup);
	}
	return n;
}

/* epoll, all four ways. */
static int epfd;
static struct epoll_event *events;
static struct epoll_ctl_op *batch;
static int nr_batch;

static uint32_t ep_bits(unsigned int ev)
{
	return ((ev & EV_R) ? EPOLLIN : 0) | ((ev & EV_W) ? EPOLLOUT : 0);
}

static uint64_t ep_data(const struct conn *c)
{
	return (uint64_t)c->gen << 32 | (uint32_t)c->fd;
}

static void ep_ctl(struct conn *c, int op, uint32_t bits)
{
	struct epoll_event ev = { .events = bits, .data.u64 = ep_data(c) };

	if (SYS(SC_EPOLL_CTL, epoll_ctl(epfd, op, c->fd, &ev))) {
		st.ctl_errors++;
		fprintf(stderr, "userver: epoll_ctl(%d, fd %d): %s\n", op,
			c->fd, strerror(errno));
	}
	if (op == EPOLL_CTL_ADD)
		st.ctl_add++;
	else if (op == EPOLL_CTL_MOD)
		st.ctl_mod++;
	else
		st.ctl_del++;
}

static void ep_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	events = calloc(opt_max_events, sizeof(*events));
	if (!events)
		die("out of memory");
}

/* epoll-lt: one epoll_ctl() per change of interest. */
static void lt_add(struct conn *c)
{
	c->kev = interest(c);
	ep_ctl(c, EPOLL_CTL_ADD, ep_bits(c->kev));
}

static void lt_update(struct conn *c)
{
	unsigned int ev = interest(c);

	if (ev != c->kev) {
		c->kev = ev;
		ep_ctl(c, EPOLL_CTL_MOD, ep_bits(ev));
	}
}

static void lt_del(struct conn *c)
{
	ep_ctl(c, EPOLL_CTL_DEL, 0);
}

/*
 * epoll-et and epoll2: registered once for both directions.  epoll-et
 * also asks for EPOLLRDHUP: a read that returns less than asked is taken
 * to have drained the socket (any later data is a new edge), but a FIN
 * that came in with the data gives no further edge, so the read must go
 * on to the EOF.
 */
static void et_add(struct conn *c)
{
	uint32_t bits = EPOLLIN | (c->listener ? 0 : EPOLLOUT);

	if (opt_mech == M_EPOLL_ET)
		bits |= EPOLLET | (c->listener ? 0 : EPOLLRDHUP);
	ep_ctl(c, EPOLL_CTL_ADD, bits);
}

static void et_update(struct conn *c)
{
	(void)c;
}

/* epoll-ctlv: ADD and MOD queued, flushed once per iteration. */
static void ctlv_init(void)
{
	ep_init();
	batch = calloc(EPOLL_CTLV_MAX, sizeof(*batch));
	if (!batch)
		die("out of memory");
	/*
	 * nops 0 only checks the arguments: 0 where the call exists.  A
	 * one-op call must then really add an fd, or this is some other
	 * system call with the same number (setxattrat(2) from 6.13 on).
	 */
	if (epoll_ctlv(epfd, NULL, 0, 0) == 0) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct epoll_ctl_op op = {
			.op = EPOLL_CTL_ADD, .events = EPOLLIN,
		};
		int p[2];

		if (pipe2(p, O_CLOEXEC))
			die("pipe: %s", strerror(errno));
		op.fd = p[0];
		op.result = 1;
		if (epoll_ctlv(epfd, &op, 1, 0) == 1 && op.result == 0 &&
		    !epoll_ctl(epfd, EPOLL_CTL_MOD, p[0], &ev) &&
		    !epoll_ctl(epfd, EPOLL_CTL_DEL, p[0], NULL)) {
			close(p[0]);
			close(p[1]);
			return;
		}
		errno = EINVAL;
	}
	printf("userver: epoll_ctlv(2) is not available on this kernel (%s): skip\n",
	       strerror(errno));
	fflush(stdout);
	exit(EXIT_SKIP);
}

/*
 * c->kev is the interest the kernel has once the batch is applied, and
 * c->slot the index of the connection's op in the batch (-1: none).
 */
static void ctlv_flush(void)
{
	long n;
	int i;

	if (!nr_batch)
		return;
	n = SYS(SC_EPOLL_CTLV, epoll_ctlv(epfd, batch, nr_batch, 0));
	if (n < 0)
		die("epoll_ctlv: %s", strerror(errno));
	st.ctlv_ops += nr_batch;
	if ((unsigned long long)nr_batch > st.ctlv_max)
		st.ctlv_max = nr_batch;
	for (i = 0; i < nr_batch; i++) {
		if (batch[i].op == EPOLL_CTL_ADD)
			st.ctl_add++;
		else
			st.ctl_mod++;
		if (i >= n || batch[i].result) {
			st.ctl_errors++;
			fprintf(stderr, "userver: epoll_ctlv op %d (fd %d): %s\n",
				batch[i].op, batch[i].fd,
				i >= n ? "not attempted" :
				strerror(-batch[i].result));
		}
		conns[batch[i].fd]->slot = -1;
	}
	nr_batch = 0;
}

static void ctlv_queue(struct conn *c, int op, unsigned int ev)
{
	struct epoll_ctl_op *o;

	c->kev = ev;
	if (c->slot >= 0) {	/* fold into the pending op */
		batch[c->slot].events = ep_bits(ev);
		return;
	}
	if (nr_batch == EPOLL_CTLV_MAX)
		ctlv_flush();
	c->slot = nr_batch++;
	o = &batch[c->slot];
	o->fd = c->fd;
	o->op = op;
	o->flags = 0;
	o->events = ep_bits(ev);
	o->result = 0;
	o->data = ep_data(c);
}

static void ctlv_add(struct conn *c)
{
	if (c->listener) {	/* once, at startup */
		ep_ctl(c, EPOLL_CTL_ADD, EPOLLIN);
		return;
	}
	c->slot = -1;
	ctlv_queue(c, EPOLL_CTL_ADD, interest(c));
}

static void ctlv_update(struct conn *c)
{
	unsigned int ev = interest(c);

	if (ev != c->kev)
		ctlv_queue(c, EPOLL_CTL_MOD, ev);
}

/* DEL with epoll_ctl(), unless the kernel never saw the fd. */
static void ctlv_del(struct conn *c)
{
	int added = 1;

	if (c->slot >= 0) {
		int last = --nr_batch;

		added = batch[c->slot].op != EPOLL_CTL_ADD;
		if (c->slot != last) {
			batch[c->slot] = batch[last];
			conns[batch[c->slot].fd]->slot = c->slot;
		}
		c->slot = -1;
	}
	if (added)
		ep_ctl(c, EPOLL_CTL_DEL, 0);
}

static int ep_wait(int timeout_ms)
{
	int n, i;

	if (opt_mech == M_EPOLL_CTLV)
		ctlv_flush();
	n = SYS(SC_EPOLL_WAIT, epoll_wait(epfd, events, opt_max_events,
					  timeout_ms));
	st.waits++;
	for (i = 0; i < n; i++) {
		uint32_t e = events[i].events;
		int fd = (uint32_t)events[i].data.u64;
		struct conn *c = fd < conns_size ? conns[fd] : NULL;

		st.events++;
		if (!c || c->gen != events[i].data.u64 >> 32)
			continue;	/* closed and reused in this batch */
		dispatch(c, ((e & EPOLLIN) ? EV_R : 0) |
			 ((e & EPOLLOUT) ? EV_W : 0) |
			 ((e & EPOLLRDHUP) ? EV_FIN | EV_R : 0),
			 !!(e & (EPOLLHUP | EPOLLERR)));
	}
	return n;
}

static const struct mech mechs[NR_MECH] = {
	[M_SELECT] = { sel_init, sel_add, sel_update, sel_del, sel_wait },
	[M_POLL] = { poll_init, poll_add, poll_update, poll_del, poll_wait },
	[M_EPOLL_LT] = { ep_init, lt_add, lt_update, lt_del, ep_wait },
	[M_EPOLL_ET] = { ep_init, et_add, et_update, lt_del, ep_wait },
	[M_EPOLL2] = { ep_init, et_add, et_update, lt_del, ep_wait },
	[M_EPOLL_CTLV] = { ctlv_init, ctlv_add, ctlv_update, ctlv_del,
			   ep_wait },
};

static const struct mech *mech;

/* ---- HTTP ---- */

static char date_line[64] = "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n";
static size_t date_len;
static time_t date_sec = -1;

static void update_date(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now == date_sec)
		return;
	date_sec = now;
	gmtime_r(&now, &tm);
	date_len = strftime(date_line, sizeof(date_line),
			    "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

enum { CONN_DEFAULT, CONN_CLOSE, CONN_KEEP };

struct request {
	int status;		/* 0, or the error to reply */
	int head_only;
	int minor;		/* HTTP/1.minor */
	int conn;		/* CONN_* from Connection: */
	int hosts;
	int te;
	int has_cl;
	unsigned long long cl;
	const char *target;
	size_t target_len;
};

static const char *status_line(int status)
{
	switch (status) {
	case 200: return "HTTP/1.1 200 OK\r\n";
	case 400: return "HTTP/1.1 400 Bad Request\r\n";
	case 404: return "HTTP/1.1 404 Not Found\r\n";
	case 405: return "HTTP/1.1 405 Method Not Allowed\r\n";
	case 431: return "HTTP/1.1 431 Request Header Fields Too Large\r\n";
	case 501: return "HTTP/1.1 501 Not Implemented\r\n";
	default: return "HTTP/1.1 505 HTTP Version Not Supported\r\n";
	}
}

static inline void put(struct io *io, const char *s, size_t len)
{
	memcpy(io->hdr + io->hdr_len, s, len);
	io->hdr_len += len;
}

#define PUTS(io, s)	put(io, s, sizeof(s) - 1)

static void queue_seg(struct io *io, const char *base, int fd, off_t off,
		      size_t len)
{
	struct seg *s = &io->seg[io->tail];

	/* A head right after the previous head or small body: one piece. */
	if (base && io->tail > io->head && s[-1].base &&
	    s[-1].base + s[-1].len == base) {
		s[-1].len += len;
		return;
	}
	s->base = base;
	s->fd = fd;
	s->off = off;
	s->len = len;
	io->tail++;
	if (!base)
		io->files++;
}

/* Queue a reply; the caller checked reply_room(). */
static void queue_reply(struct conn *c, int status, const struct doc *d,
			int head_only, int conn_hdr)
{
	struct io *io = c->io;
	const char *start = io->hdr + io->hdr_len;
	const char *sl = status_line(status);
	char body[64];
	size_t blen = 0;

	put(io, sl, strlen(sl));
	PUTS(io, "Server: userver\r\n");
	put(io, date_line, date_len);
	if (d) {
		put(io, d->head, d->head_len);
	} else {
		char line[64];
		int n;

		blen = snprintf(body, sizeof(body), "%s", sl + 9);
		if (status == 405)
			PUTS(io, "Allow: GET, HEAD\r\n");
		n = snprintf(line, sizeof(line),
			     "Content-Type: text/plain\r\nContent-Length: %zu\r\n",
			     blen);
		put(io, line, n);
	}
	if (conn_hdr == CONN_CLOSE)
		PUTS(io, "Connection: close\r\n");
	else if (conn_hdr == CONN_KEEP)
		PUTS(io, "Connection: keep-alive\r\n");
	PUTS(io, "\r\n");
	if (!head_only && !d)
		put(io, body, blen);
	if (!head_only && d && d->len <= SMALL_BODY && d->data)
		put(io, d->data, d->len);
	queue_seg(io, start, -1, 0, io->hdr + io->hdr_len - start);
	if (!head_only && d && (d->len > SMALL_BODY || !d->data) && d->len)
		queue_seg(io, d->data, d->fd, 0, d->len);
	st.replies++;
	st.status[status / 100]++;
}

static const char tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static int tok_eq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && !strncasecmp(s, lit, len);
}

static int meth_eq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && !memcmp(s, lit, len);
}

/* Header value: tokens separated by commas (Connection:). */
static void parse_connection(struct request *rq, const char *v, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t s, e;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (tok_eq(v + s, e - s, "close"))
			rq->conn = CONN_CLOSE;
		else if (tok_eq(v + s, e - s, "keep-alive") &&
			 rq->conn != CONN_CLOSE)
			rq->conn = CONN_KEEP;
	}
}

static int parse_header(struct request *rq, const char *l, size_t len)
{
	size_t n = 0, vs, ve, i;

	while (n < len && tchar[(unsigned char)l[n]])
		n++;
	if (!n || n == len || l[n] != ':')
		return -1;	/* also obs-fold and space before ':' */
	vs = n + 1;
	while (vs < len && (l[vs] == ' ' || l[vs] == '\t'))
		vs++;
	ve = len;
	while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
		ve--;
	for (i = vs; i < ve; i++)
		if (((unsigned char)l[i] < 0x20 && l[i] != '\t') ||
		    l[i] == 0x7f)
			return -1;
	if (tok_eq(l, n, "content-length")) {
		unsigned long long v = 0;

		if (vs == ve || ve - vs > 18)
			return -1;
		for (i = vs; i < ve; i++) {
			if (l[i] < '0' || l[i] > '9')
				return -1;
			v = v * 10 + (l[i] - '0');
		}
		if (rq->has_cl && rq->cl != v)
			return -1;
		rq->has_cl = 1;
		rq->cl = v;
	} else if (tok_eq(l, n, "transfer-encoding")) {
		rq->te = 1;
	} else if (tok_eq(l, n, "connection")) {
		parse_connection(rq, l + vs, ve - vs);
	} else if (tok_eq(l, n, "host")) {
		rq->hosts++;
	}
	return 0;
}

/*
 * Parse the request head at the start of @buf: returns its length, 0 if
 * it is not complete yet, or -1 when over IN_MAX.  A malformed head
 * gets rq->status set.
 */
static long parse_request(const char *buf, size_t len, struct request *rq)
{
	const char *p = buf, *end, *eol, *sp;
	size_t hlen = 0, i;

	/* The end of the head: an empty line. */
	for (i = 0;;) {
		const char *nl = memchr(buf + i, '\n', len - i);

		if (!nl)
			break;
		i = nl - buf + 1;
		if (i < len && buf[i] == '\n') {
			hlen = i + 1;
			break;
		}
		if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n') {
			hlen = i + 2;
			break;
		}
	}
	if (!hlen)
		return len >= IN_MAX ? -1 : 0;
	memset(rq, 0, sizeof(*rq));
	end = buf + hlen;

	/* Request line: METHOD SP TARGET SP HTTP/D.D */
	eol = memchr(p, '\n', end - p);
	sp = p;
	while (sp < eol && tchar[(unsigned char)*sp])
		sp++;
	if (sp == p || *sp != ' ')
		goto bad;
	/* Methods are case-sensitive: "get" is no method of ours. */
	if (meth_eq(p, sp - p, "GET")) {
		/* ok */
	} else if (meth_eq(p, sp - p, "HEAD")) {
		rq->head_only = 1;
	} else if (meth_eq(p, sp - p, "POST") || meth_eq(p, sp - p, "PUT") ||
		   meth_eq(p, sp - p, "DELETE") ||
		   meth_eq(p, sp - p, "OPTIONS") ||
		   meth_eq(p, sp - p, "TRACE") || meth_eq(p, sp - p, "PATCH") ||
		   meth_eq(p, sp - p, "CONNECT")) {
		rq->status = 405;
	} else {
		rq->status = 501;
	}
	p = sp + 1;
	rq->target = p;
	while (p < eol && *p > 0x20 && *p < 0x7f)
		p++;
	rq->target_len = p - rq->target;
	if (!rq->target_len || *p != ' ')
		goto bad;
	p++;
	if (eol - p < 8 || memcmp(p, "HTTP/", 5) || !isdigit(p[5]) ||
	    p[6] != '.' || !isdigit(p[7]))
		goto bad;
	if (!(p + 8 == eol || (p + 9 == eol && p[8] == '\r')))
		goto bad;
	if (p[5] != '1') {
		rq->status = 505;
		return hlen;
	}
	rq->minor = p[7] - '0';

	/* Header fields. */
	for (p = eol + 1; p < end; p = eol + 1) {
		size_t l;

		eol = memchr(p, '\n', end - p);
		l = eol - p;
		if (l && p[l - 1] == '\r')
			l--;
		if (!l)
			break;		/* the empty line */
		if (memchr(p, '\r', l) || parse_header(rq, p, l))
			goto bad;
	}
	if (rq->hosts > 1 || (rq->minor >= 1 && rq->hosts != 1))
		goto bad;
	if (rq->te && rq->has_cl)
		goto bad;
	if (rq->te && !rq->status)
		rq->status = 501;
	return hlen;
bad:
	rq->status = 400;
	return hlen;
}

static inline int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The document @rq targets; NULL with rq->status set. */
static const struct doc *lookup(struct request *rq)
{
	const char *t = rq->target, *e = t + rq->target_len;
	char path[PATH_LEN + 16];
	size_t n = 0;
	const struct doc *d;

	/* absolute-form: drop scheme://authority */
	if (e - t > 7 && (!strncasecmp(t, "http://", 7) ||
			  !strncasecmp(t, "https://", 8))) {
		t = memchr(t, ':', e - t) + 3;
		while (t < e && *t != '/' && *t != '?')
			t++;
		if (t == e || *t != '/')
			path[n++] = '/';
	} else if (*t != '/') {
		rq->status = 400;
		return NULL;
	}
	for (; t < e && *t != '?' && *t != '#'; t++) {
		char ch = *t;

		if (ch == '%') {
			int hi = e - t < 3 ? -1 : hexval(t[1]);
			int lo = e - t < 3 ? -1 : hexval(t[2]);

			if (hi < 0 || lo < 0 || (!hi && !lo)) {
				rq->status = 400;
				return NULL;
			}
			ch = hi << 4 | lo;
			t += 2;
		}
		if (n >= PATH_LEN) {
			rq->status = 404;
			return NULL;
		}
		path[n++] = ch;
	}
	if (!n)
		path[n++] = '/';
	if (path[n - 1] == '/') {
		memcpy(path + n, "index.html", 10);
		n += 10;
	}
	d = find_doc(path, n);
	if (!d)
		rq->status = 404;
	return d;
}

/* ---- connection life ---- */

static double now_ms;
static double last_activity;

static void conn_close(struct conn *c)
{
	if (c->again)
		list_del(&again, c);
	if (c->lingering)
		list_del(&lingering, c);
	c->again = c->lingering = 0;
	mech->del(c);
	SYS(SC_CLOSE, close(c->fd));
	conns[c->fd] = NULL;
	if (c->io)
		io_put(c->io);
	c->io = NULL;
	nr_open--;
	st.closed++;
	c->next[0] = free_conns;
	free_conns = c;
}

static void cork(struct conn *c, int on)
{
	SYS(SC_SETSOCKOPT, setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &on,
				      sizeof(on)));
	c->corked = on;
}

/*
 * Send what is queued while the socket takes it; clears c->writable when
 * a write falls short.  Returns the bytes sent, or -1 when the connection
 * is broken.
 */
static ssize_t flush_out(struct conn *c)
{
	struct io *io = c->io;
	ssize_t sent = 0;

	if (io->files && !c->corked)
		cork(c, 1);
	while (io->head < io->tail) {
		struct seg *s = &io->seg[io->head];
		size_t want = 0;
		ssize_t n, left;

		if (!s->base) {
			off_t off = s->off;

			want = s->len;
			n = SYS(SC_SENDFILE, sendfile(c->fd, s->fd, &off, want));
			if (!n) {	/* the file shrank */
				st.write_errors++;
				return -1;
			}
		} else if (io->head + 1 == io->tail || !s[1].base) {
			want = s->len;
			n = SYS(SC_WRITE, write(c->fd, s->base, want));
		} else {
			struct iovec iov[IOV_BATCH];
			int cnt = 0;

			while (io->head + cnt < io->tail && cnt < IOV_BATCH &&
			       s[cnt].base) {
				iov[cnt].iov_base = (void *)s[cnt].base;
				iov[cnt].iov_len = s[cnt].len;
				want += s[cnt].len;
				cnt++;
			}
			n = SYS(SC_WRITEV, writev(c->fd, iov, cnt));
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				c->writable = 0;
				return sent;
			}
			st.write_errors++;
			return -1;
		}
		st.bytes_out += n;
		sent += n;
		for (left = n; left > 0;) {
			s = &io->seg[io->head];
			if ((size_t)left < s->len) {
				if (s->base)
					s->base += left;
				else
					s->off += left;
				s->len -= left;
				break;
			}
			left -= s->len;
			if (!s->base)
				io->files--;
			io->head++;
		}
		if ((size_t)n < want) {
			/* The socket buffer is full. */
			c->writable = 0;
			return sent;
		}
	}
	io->head = io->tail = io->hdr_len = io->files = 0;
	if (c->corked)
		cork(c, 0);
	return sent;
}

static void conn_run(struct conn *c, int wr_event);

static void start_linger(struct conn *c)
{
	SYS(SC_SHUTDOWN, shutdown(c->fd, SHUT_WR));
	if (c->io)
		io_put(c->io);
	c->io = NULL;
	c->lingering = 1;
	c->deadline = now_ms + LINGER_MS;
	list_add(&lingering, c);
	st.lingered++;
}

/*
 * Turn the complete requests in the input buffer into queued replies;
 * returns whether it consumed any input.
 */
static int parse_requests(struct conn *c)
{
	struct io *io = c->io;
	size_t off = 0;

	while (off < io->in_len && !c->close_after) {
		const struct doc *d = NULL;
		struct request rq;
		int close, conn_hdr;
		long hlen;

		if (c->skip) {		/* a request body */
			size_t n = io->in_len - off;

			if (n > c->skip)
				n = c->skip;
			off += n;
			c->skip -= n;
			continue;
		}
		/* Empty lines before a request line are ignored. */
		if (io->in[off] == '\r' || io->in[off] == '\n') {
			off++;
			continue;
		}
		if (!reply_room(io))
			break;
		hlen = parse_request(io->in + off, io->in_len - off, &rq);
		if (!hlen)
			break;
		if (hlen < 0) {
			memset(&rq, 0, sizeof(rq));
			rq.status = 431;
			hlen = io->in_len - off;
		}
		st.requests++;
		if (!rq.status)
			d = lookup(&rq);
		close = (rq.status != 0 && rq.status != 404 &&
			 rq.status != 405) || rq.te ||
			rq.conn == CONN_CLOSE ||
			(rq.minor == 0 && rq.conn != CONN_KEEP);
		conn_hdr = close ? CONN_CLOSE :
			   rq.minor == 0 ? CONN_KEEP : CONN_DEFAULT;
		queue_reply(c, rq.status ? rq.status : 200, d, rq.head_only,
			    conn_hdr);
		off += hlen;
		if (close) {
			c->close_after = 1;
			off = io->in_len;	/* what follows is not read */
			break;
		}
		c->skip = rq.cl;
	}
	if (off) {
		memmove(io->in, io->in + off, io->in_len - off);
		io->in_len -= off;
	}
	return off > 0;
}

/* Read and discard until the client closes. */
static void linger_read(struct conn *c)
{
	static char scratch[16384];
	int reads;

	for (reads = 0; reads < READ_BUDGET; reads++) {
		ssize_t n = SYS(SC_READ, read(c->fd, scratch, sizeof(scratch)));

		if (n > 0 && (n == sizeof(scratch) || c->peer_fin))
			continue;
		if (n > 0 || (n < 0 && errno == EAGAIN)) {
			c->readable = 0;
			return;
		}
		if (n < 0 && errno == EINTR)
			continue;
		conn_close(c);
		return;
	}
	if (opt_mech == M_EPOLL_ET && !c->again) {
		c->again = 1;
		list_add(&again, c);
	}
}

/*
 * Make what progress the connection allows: send queued replies, read,
 * parse, queue replies; then tell the mechanism what it waits for.
 * @wr_event: the mechanism reported the socket writable in this round.
 */
static void conn_run(struct conn *c, int wr_event)
{
	int reads = 0;

	if (c->lingering) {
		if (c->readable)
			linger_read(c);
		if (conns[c->fd] == c)
			mech->update(c);
		return;
	}
	/*
	 * Level-triggered, by default a reply waits for the mechanism to
	 * report the socket writable; epoll-et knows whether it is.
	 */
	if (!opt_eager && opt_mech != M_EPOLL_ET)
		c->writable = wr_event;
	for (;;) {
		int progress = 0;
		struct io *io;
		size_t space;
		ssize_t n;

		if (c->io && parse_requests(c))
			progress = 1;
		if (has_output(c) && c->writable) {
			n = flush_out(c);
			if (n < 0) {
				conn_close(c);
				return;
			}
			if (n > 0)
				progress = 1;
		}
		if (c->readable && want_read(c)) {
			if (reads == READ_BUDGET) {
				if (opt_mech == M_EPOLL_ET && !c->again) {
					c->again = 1;
					list_add(&again, c);
				}
				break;
			}
			if (!c->io)
				c->io = io_get();
			io = c->io;
			space = IN_MAX - io->in_len;
			n = SYS(SC_READ, read(c->fd, io->in + io->in_len,
					      space));
			reads++;
			progress = 1;
			if (n > 0) {
				io->in_len += n;
				st.bytes_in += n;
				last_activity = now_ms;
				if ((size_t)n < space && !c->peer_fin)
					c->readable = 0;
			} else if (n == 0) {
				c->rd_closed = 1;
				c->readable = 0;
			} else if (errno == EAGAIN) {
				c->readable = 0;
			} else if (errno != EINTR) {
				st.read_errors++;
				conn_close(c);
				return;
			}
		}
		if (!progress)
			break;
	}
	/* Nothing left to send: the close a reply or the client asked for. */
	if (!has_output(c) && c->close_after) {
		start_linger(c);
		if (c->readable)
			linger_read(c);
		if (conns[c->fd] == c)
			mech->update(c);
		return;
	}
	if (!has_output(c) && c->rd_closed) {
		conn_close(c);
		return;
	}
	if (c->io && !c->io->in_len && !has_output(c) && !c->corked) {
		io_put(c->io);
		c->io = NULL;
	}
	mech->update(c);
}

static uint32_t next_gen;

static void do_accept(void)
{
	unsigned long i;

	st.accept_batches++;
	for (i = 0; !opt_accept_limit || i < opt_accept_limit; i++) {
		struct conn *c;
		int fd;

		fd = SYS(SC_ACCEPT, accept4(listener.fd, NULL, NULL,
					    SOCK_NONBLOCK | SOCK_CLOEXEC));
		if (fd < 0) {
			if (errno == EAGAIN)
				return;
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			if ((errno == EMFILE || errno == ENFILE) &&
			    reserve_fd >= 0) {
				/* Take it and close it, not to spin. */
				close(reserve_fd);
				fd = accept(listener.fd, NULL, NULL);
				if (fd >= 0)
					close(fd);
				reserve_fd = open("/dev/null",
						  O_RDONLY | O_CLOEXEC);
				st.rejected++;
				continue;
			}
			st.accept_errors++;
			break;
		}
		last_activity = now_ms;
		if (nr_open >= opt_max_conns || fd >= conns_size) {
			SYS(SC_CLOSE, close(fd));
			st.rejected++;
			continue;
		}
		c = free_conns;
		if (c)
			free_conns = c->next[0];
		else
			c = malloc(sizeof(*c));
		if (!c)
			die("out of memory");
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->gen = ++next_gen ? next_gen : ++next_gen;
		c->writable = 1;
		c->kev = -1u;
		c->slot = -1;
		conns[fd] = c;
		nr_open++;
		st.accepted++;
		if (nr_open > st.max_open)
			st.max_open = nr_open;
		mech->add(c);
	}
	/* Stopped by the limit: epoll-et gets no new edge for the rest. */
	if (opt_mech == M_EPOLL_ET && !listener.again) {
		listener.again = 1;
		list_add(&again, &listener);
	}
}

static void dispatch(struct conn *c, unsigned int ev, int hup)
{
	if (c->listener) {
		do_accept();
		return;
	}
	if (hup)		/* a read or a write will tell */
		ev |= EV_R | EV_W;
	if (ev & EV_R)
		c->readable = 1;
	if (ev & EV_W)
		c->writable = 1;
	if (ev & EV_FIN)
		c->peer_fin = 1;
	if (!hup && !((ev & EV_R) && want_read(c)) &&
	    !((ev & EV_W) && has_output(c))) {
		st.boring_events++;	/* epoll2, epoll-et */
		return;
	}
	conn_run(c, !!(ev & EV_W));
}

/* Those queued before this call: they may queue themselves again. */
static void run_again(void)
{
	struct list todo = again;
	struct conn *c;

	again.first = again.last = NULL;
	while ((c = todo.first)) {
		list_del(&todo, c);
		c->again = 0;
		if (c->listener)
			do_accept();
		else
			conn_run(c, 0);
	}
}

static void expire_lingering(void)
{
	struct conn *c;

	while ((c = lingering.first) && c->deadline <= now_ms) {
		st.linger_timeouts++;
		conn_close(c);
	}
}

/* ---- the loop ---- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static double coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *event_loop(void)
{
	static char why[64];

	now_ms = last_activity = coarse_ms();
	for (;;) {
		int timeout = again.first ? 0 : 1000;

		update_date();
		if (mech->wait(timeout) < 0 && errno != EINTR)
			die("%s: %s", mech_names[opt_mech], strerror(errno));
		now_ms = coarse_ms();
		run_again();
		expire_lingering();
		if (stop_signal) {
			snprintf(why, sizeof(why), "signal %d", stop_signal);
			return why;
		}
		if (opt_idle_quit && now_ms - last_activity >= opt_idle_quit * 1e3) {
			snprintf(why, sizeof(why), "idle for %d s",
				 opt_idle_quit);
			return why;
		}
	}
}

/* ---- report ---- */

static void print_report(const char *why, double ms, double tick_ns)
{
	unsigned long long total = 0;
	struct rusage ru;
	char limit[32];
	int i;

	snprintf(limit, sizeof(limit), "%lu", opt_accept_limit);
	printf("userver: stopped (%s) after %.3f s: mechanism %s, accept-limit %s, %s writes, bodies from %s\n",
	       why, ms / 1e3, mech_names[opt_mech],
	       opt_accept_limit ? limit : "inf",
	       opt_eager ? "eager" : "event-driven",
	       opt_sendfile ? "sendfile" : "memory");
	printf("userver: connections %llu accepted, %llu closed, %llu rejected, %d open at most\n",
	       st.accepted, st.closed, st.rejected, st.max_open);
	printf("userver: requests %llu, replies %llu (2xx %llu, 4xx %llu, 5xx %llu), bytes %llu in, %llu out\n",
	       st.requests, st.replies, st.status[2], st.status[4],
	       st.status[5], st.bytes_in, st.bytes_out);
	printf("userver: errors: read %llu, write %llu, accept %llu, epoll_ctl %llu; lingering closes %llu (%llu timed out)\n",
	       st.read_errors, st.write_errors, st.accept_errors,
	       st.ctl_errors, st.lingered, st.linger_timeouts);
	printf("userver: waits %llu, events %llu (%.2f per wait), %llu not of interest; accept batches %llu\n",
	       st.waits, st.events,
	       st.waits ? (double)st.events / st.waits : 0.0,
	       st.boring_events, st.accept_batches);
	if (opt_mech >= M_EPOLL_LT)
		printf("userver: interest ops: add %llu, mod %llu, del %llu; epoll_ctlv: %llu ops in %llu calls (largest %llu)\n",
		       st.ctl_add, st.ctl_mod, st.ctl_del, st.ctlv_ops,
		       sc[SC_EPOLL_CTLV].calls, st.ctlv_max);
	getrusage(RUSAGE_SELF, &ru);
	printf("userver: cpu %.3f s user, %.3f s system\n",
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	if (!opt_stats) {
		fflush(stdout);
		return;
	}
	for (i = 0; i < NR_SC; i++)
		total += sc[i].ticks;
	printf("%-12s %12s %12s %10s %8s %8s\n", "syscall", "calls",
	       "total ms", "ns/call", "% time", "% sys");
	for (i = 0; i < NR_SC; i++) {
		double t = sc[i].ticks * tick_ns;

		if (!sc[i].calls)
			continue;
		printf("%-12s %12llu %12.3f %10.1f %8.2f %8.2f\n", sc_names[i],
		       sc[i].calls, t / 1e6, t / sc[i].calls,
		       100 * t / (ms * 1e6),
		       total ? 100.0 * sc[i].ticks / total : 0.0);
	}
	printf("%-12s %12s %12.3f %10s %8.2f %8.2f\n", "total", "",
	       total * tick_ns / 1e6, "", 100 * total * tick_ns / (ms * 1e6),
	       100.0);
	fflush(stdout);
}

/* ---- setup ---- */

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: userver --mechanism select|poll|epoll-lt|epoll-et|epoll2|epoll-ctlv\n"
		"               --port N [--address A] [--accept-limit N|inf]\n"
		"               [--docroot DIR | --one-byte] [--sendfile] [--eager-writes]\n"
		"               [--max-conns N] [--max-events N] [--backlog N] [--sndbuf N]\n"
		"               [--quit-after-idle-seconds N] [--stats]\n");
	exit(status);
}

static long num_arg(const char *name, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "userver: --%s: bad value '%s'\n", name, s);
		usage(2);
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mechanism", required_argument, NULL, 'm' },
		{ "port", required_argument, NULL, 'p' },
		{ "address", required_argument, NULL, 'a' },
		{ "accept-limit", required_argument, NULL, 'A' },
		{ "docroot", required_argument, NULL, 'd' },
		{ "one-byte", no_argument, NULL, '1' },
		{ "sendfile", no_argument, NULL, 'S' },
		{ "eager-writes", no_argument, NULL, 'E' },
		{ "max-conns", required_argument, NULL, 'c' },
		{ "max-events", required_argument, NULL, 'e' },
		{ "backlog", required_argument, NULL, 'b' },
		{ "sndbuf", required_argument, NULL, 'B' },
		{ "quit-after-idle-seconds", required_argument, NULL, 'q' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int one_byte = 0, o, i;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'm':
			for (i = 0; i < NR_MECH; i++)
				if (!strcmp(optarg, mech_names[i]))
					opt_mech = i;
			if (opt_mech < 0) {
				fprintf(stderr, "userver: unknown mechanism '%s'\n",
					optarg);
				usage(2);
			}
			break;
		case 'p':
			opt_port = num_arg("port", optarg, 0, 65535);
			break;
		case 'a':
			opt_addr = optarg;
			break;
		case 'A':
			opt_accept_limit = strcmp(optarg, "inf") ?
				num_arg("accept-limit", optarg, 1, LONG_MAX) : 0;
			break;
		case 'd':
			opt_docroot = optarg;
			break;
		case '1':
			one_byte = 1;
			break;
		case 'S':
			opt_sendfile = 1;
			break;
		case 'E':
			opt_eager = 1;
			break;
		case 'c':
			opt_max_conns = num_arg("max-conns", optarg, 1, 1 << 24);
			break;
		case 'e':
			opt_max_events = num_arg("max-events", optarg, 1, 1 << 20);
			break;
		case 'b':
			opt_backlog = num_arg("backlog", optarg, 1, INT_MAX);
			break;
		case 'B':
			opt_sndbuf = num_arg("sndbuf", optarg, 1, INT_MAX);
			break;
		case 'q':
			opt_idle_quit = num_arg("quit-after-idle-seconds", optarg,
						1, 1 << 24);
			break;
		case 's':
			opt_stats = 1;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind < argc || opt_mech < 0 || opt_port < 0 ||
	    (one_byte && opt_docroot))
		usage(2);
}

/* Descriptors for max-conns connections and some more. */
static void setup_limits(void)
{
	rlim_t want = (rlim_t)opt_max_conns + 64 + nr_docs;
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		die("getrlimit: %s", strerror(errno));
	if (r.rlim_cur < want) {
		struct rlimit n = { want, r.rlim_max > want ? r.rlim_max : want };

		if (setrlimit(RLIMIT_NOFILE, &n)) {
			n.rlim_cur = r.rlim_max;
			n.rlim_max = r.rlim_max;
			if (!setrlimit(RLIMIT_NOFILE, &n))
				r = n;
		} else {
			r = n;
		}
	}
	conns_size = r.rlim_cur > (1 << 24) ? 1 << 24 : r.rlim_cur;
	if (opt_max_conns > conns_size - 32 - (int)nr_docs)
		opt_max_conns = conns_size - 32 - (int)nr_docs;
	if (opt_max_conns < 1)
		die("too few file descriptors (RLIMIT_NOFILE %d)", conns_size);
	conns = calloc(conns_size, sizeof(*conns));
	if (!conns)
		die("out of memory");
}

static int setup_listener(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd, on = 1;

	if (inet_pton(AF_INET, opt_addr, &sin.sin_addr) != 1)
		die("--address: not an IPv4 address: %s", opt_addr);
	sin.sin_port = htons(opt_port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* Accepted sockets inherit TCP_NODELAY: no call per connection. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)))
		die("setsockopt: %s", strerror(errno));
	if (opt_sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &opt_sndbuf,
				     sizeof(opt_sndbuf)))
		die("SO_SNDBUF: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("bind %s:%d: %s", opt_addr, opt_port, strerror(errno));
	if (listen(fd, opt_backlog))
		die("listen: %s", strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		die("getsockname: %s", strerror(errno));
	if (fd >= conns_size)
		die("listener fd %d over RLIMIT_NOFILE", fd);
	listener.fd = fd;
	listener.listener = 1;
	listener.kev = -1u;
	listener.slot = -1;
	conns[fd] = &listener;
	return ntohs(sin.sin_port);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec t0, t1;
	uint64_t k0, k1;
	const char *why;
	double ms, tick_ns;
	int port;

	if (argc == 1) {
		printf("userver: an HTTP server, not a stand-alone benchmark: userver --mechanism M --port N (see --help)\n");
		return 0;
	}
	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);	/* no SA_RESTART: waits return */
	sigaction(SIGINT, &sa, NULL);

	load_docs();
	setup_limits();
	mech = &mechs[opt_mech];
	mech->init();			/* epoll-ctlv: exits 77 without it */
	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	port = setup_listener();
	mech->add(&listener);
	printf("userver: port %d\n", port);
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	k0 = ticks();
	why = event_loop();
	k1 = ticks();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	tick_ns = k1 > k0 ? ms * 1e6 / (k1 - k0) : 1.0;
	print_report(why, ms, tick_ns);
	return 0;
}
