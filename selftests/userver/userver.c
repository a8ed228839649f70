// SPDX-License-Identifier: GPL-2.0
/*
 * userver: the event-driven HTTP server of bench/userver.c, the paper's
 * µserver (Gammo, Brecht et al., Linux Symposium 2004), under each of its
 * event mechanisms: select, poll, epoll-lt, epoll-et, epoll2 and
 * epoll-ctlv.  Each test starts the server on loopback (--port 0: it
 * prints the port it bound) with a document root of its own, and talks
 * HTTP to it with the small client below:
 *
 *   files, big_file_slow_reader, persistent, pipelined, malformed:
 *	status lines, headers and bodies byte for byte; keep-alive,
 *	pipelining in order, request bodies skipped, HEAD, 400/404/405/
 *	431/501/505, and the close after an error or "Connection: close";
 *   no_fd_leak: /proc/PID/fd of the server is back to its count after
 *	connections that end every way a client can end one;
 *   concurrent: 200 connections open at once, one request each;
 *   idle_connections: with 1,024 idle connections (past FD_SETSIZE, as
 *	in the paper's 10,000-idle runs) active requests are still served;
 *   kernel_sees_the_mechanism: the server sleeps in the expected system
 *	call, and its epoll interest list (fdinfo) holds what the paper's
 *	mapping says: EPOLLIN, EPOLLIN|EPOLLOUT, or with EPOLLET, and
 *	EPOLLOUT while a reply waits for epoll-lt and epoll-ctlv;
 *   counters: the report the server prints when stopped by SIGTERM
 *	counts the requests, replies and epoll_ctl/epoll_ctlv use;
 *   httperf_idleconn: a short, bounded httperf run (Debian's httperf)
 *	with 1,000 idle connections held by its idleconn gets every reply
 *	and no error.
 *
 * More variants run them with --accept-limit, --sendfile and
 * --eager-writes (with 100 idle and 50 concurrent connections).  Every
 * server runs with a 16 KiB send buffer (--sndbuf), so that replies
 * outgrow it and writes fall short.  epoll-ctlv needs epoll_ctlv(2):
 * without it the server exits with status 77 and those variants skip.
 *
 * The server is /lsp/bench/userver in the guest, found as
 * ../../bench/userver from this binary elsewhere, or named by $USERVER.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "proc_fds.h"
#include "sysfile.h"

#define NR_IDLE		1024	/* the server's fds pass FD_SETSIZE */
#define NR_CONCURRENT	200
#define BIG		(256 << 10)
#define SNDBUF		"65536"	/* the server's: replies outgrow it */
#define WAIT_POLLS	6000	/* 10 ms each: a bound, not a measure */
#define IO_TIMEOUT	60	/* seconds a client read or write may wait */
#define EXIT_SKIP	77

/* ---- the document root ---- */

struct file {
	const char *name;	/* under the docroot */
	const char *url;	/* how a client asks for it */
	size_t len;
	const char *type;	/* Content-Type */
	char *data;
};

enum { F_ONE, F_SMALL, F_PAGE, F_64K, F_SPACE, F_BIG, NR_FILES };

static struct file files[NR_FILES] = {
	[F_ONE] = { "index.html", "/index.html", 1, "text/html" },
	[F_SMALL] = { "small.txt", "/small.txt", 100, "text/plain" },
	[F_PAGE] = { "sub/dir/page.html", "/sub/dir/page.html", 3000,
		     "text/html" },
	[F_64K] = { "64k.bin", "/64k.bin", 65536,
		    "application/octet-stream" },
	[F_SPACE] = { "a b.txt", "/a%20b.txt", 17, "text/plain" },
	[F_BIG] = { "big.bin", "/big.bin", BIG, "application/octet-stream" },
};

static void make_data(void)
{
	int f;
	size_t i;

	for (f = 0; f < NR_FILES; f++) {
		if (files[f].data)
			continue;
		files[f].data = malloc(files[f].len);
		for (i = 0; i < files[f].len; i++)
			files[f].data[i] = (char)(((i + f * 7919) *
					  2654435761ULL) >> 13);
		/* Text files in text, the 1-byte file as the paper's. */
		if (f == F_ONE)
			files[f].data[0] = 'x';
		if (f == F_SMALL || f == F_SPACE || f == F_PAGE)
			for (i = 0; i < files[f].len; i++)
				files[f].data[i] = 'a' + (i * 7 + f) % 26;
	}
}

static int write_tree(const char *root)
{
	char path[PATH_MAX];
	int f;

	snprintf(path, sizeof(path), "%s/sub", root);
	if (mkdir(path, 0755))
		return -1;
	snprintf(path, sizeof(path), "%s/sub/dir", root);
	if (mkdir(path, 0755))
		return -1;
	for (f = 0; f < NR_FILES; f++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", root, files[f].name);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return -1;
		if (write(fd, files[f].data, files[f].len) !=
		    (ssize_t)files[f].len) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

static void remove_tree(const char *root)
{
	char path[PATH_MAX];
	int f;

	if (!root[0])
		return;
	for (f = 0; f < NR_FILES; f++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[f].name);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sub/dir", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sub", root);
	rmdir(path);
	rmdir(root);
}

/* ---- the server ---- */

struct srv {
	const char *mech;
	char mech_args[128];
	pid_t pid;
	int port;
	int out;		/* its stdout */
	char root[64];
	char report[8192];	/* what it printed when stopped */
};

static const char *server_path(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("USERVER");
	char *slash;
	ssize_t n;
	int i;

	if (env)
		return access(env, X_OK) ? NULL : env;
	if (!access("/lsp/bench/userver", X_OK))
		return "/lsp/bench/userver";
	/* .../DIR/NAME -> .../../bench/userver */
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 32);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	for (i = 0; i < 3; i++) {
		slash = strrchr(buf, '/');
		if (!slash)
			return NULL;
		*slash = '\0';
	}
	strcat(buf, "/bench/userver");
	return access(buf, X_OK) ? NULL : buf;
}

/*
 * Start the server: 0 once it listens (s->port), EXIT_SKIP if it exited
 * with that status, -1 otherwise (with a message in @why).
 */
static int start_server(struct srv *s, const char *path, const char *extra,
			char *why, size_t whylen)
{
	char *argv[32], args[256], line[256], last[256] = "";
	int p[2], argc = 0, status, len = 0;
	pid_t parent = getpid();
	char *tok, *save;

	argv[argc++] = (char *)path;
	argv[argc++] = "--mechanism";
	argv[argc++] = (char *)s->mech;
	argv[argc++] = "--port";
	argv[argc++] = "0";
	argv[argc++] = "--address";
	argv[argc++] = "127.0.0.1";
	argv[argc++] = "--docroot";
	argv[argc++] = s->root;
	argv[argc++] = "--sndbuf";
	argv[argc++] = SNDBUF;
	argv[argc++] = "--stats";
	argv[argc++] = "--quit-after-idle-seconds";
	argv[argc++] = "600";
	snprintf(args, sizeof(args), "%s", extra ? extra : "");
	for (tok = strtok_r(args, " ", &save); tok && argc < 30;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;

	if (pipe2(p, O_CLOEXEC))
		return snprintf(why, whylen, "pipe: %m"), -1;
	s->pid = fork();
	if (s->pid < 0)
		return snprintf(why, whylen, "fork: %m"), -1;
	if (!s->pid) {
		int null = open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		dup2(null, 0);
		dup2(p[1], 1);
		execv(path, argv);
		_exit(127);
	}
	close(p[1]);
	s->out = p[0];

	/* "userver: port N" */
	for (;;) {
		struct pollfd pfd = { .fd = s->out, .events = POLLIN };
		char *nl;
		ssize_t n;

		line[len] = '\0';
		nl = strchr(line, '\n');
		if (nl) {
			*nl = '\0';
			if (sscanf(line, "userver: port %d", &s->port) == 1)
				return 0;
			snprintf(last, sizeof(last), "%s", line);
			len -= nl + 1 - line;
			memmove(line, nl + 1, len + 1);
			continue;
		}
		if (poll(&pfd, 1, 120000) != 1)
			break;
		n = read(s->out, line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	line[len] = '\0';
	if (!last[0])
		snprintf(last, sizeof(last), "%s", line);
	if (waitpid(s->pid, &status, 0) == s->pid) {
		s->pid = 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP)
			return snprintf(why, whylen, "%s", last), EXIT_SKIP;
		return snprintf(why, whylen, "server exited (status %#x): %s",
				status, last), -1;
	}
	return snprintf(why, whylen, "server did not print its port"), -1;
}

/* SIGTERM; collect what it prints; its wait status, or -1. */
static int stop_server(struct srv *s)
{
	size_t len = 0;
	int status, i;

	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	for (;;) {
		ssize_t n = read(s->out, s->report + len,
				 sizeof(s->report) - 1 - len);

		if (n <= 0)
			break;
		len += n;
	}
	s->report[len] = '\0';
	for (i = 0; i < WAIT_POLLS; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return status;
		}
		usleep(10000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
	s->pid = 0;
	return -1;
}

static void srv_setup(struct __test_metadata *_metadata, struct srv *s,
		      const char *mech, const char *extra)
{
	struct rlimit r = { 8192, 8192 };
	const char *path = server_path();
	char why[512];
	int ret;

	s->mech = mech;
	snprintf(s->mech_args, sizeof(s->mech_args), "%s", extra ? extra : "");
	s->out = -1;
	if (!path)
		SKIP(return, "no userver binary (/lsp/bench/userver, ../../bench/userver or $USERVER)");
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &r));
	make_data();
	snprintf(s->root, sizeof(s->root), "/tmp/userver.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(s->root));
	ASSERT_EQ(0, write_tree(s->root));
	ret = start_server(s, path, extra, why, sizeof(why));
	if (ret == EXIT_SKIP) {
		remove_tree(s->root);
		SKIP(return, "%s", why);
	}
	if (ret)
		remove_tree(s->root);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
}

static void srv_teardown(struct srv *s)
{
	if (s->pid > 0)
		stop_server(s);
	if (s->out >= 0)
		close(s->out);
	remove_tree(s->root);
}

/* ---- /proc ---- */

/* Wait until the server has @want fds (@at_least: or more). */
static int wait_fds(pid_t pid, int want, int at_least)
{
	int i, n = -1;

	for (i = 0; i < WAIT_POLLS; i++) {
		n = count_fds(pid);
		if (n == want || (at_least && n > want))
			break;
		usleep(10000);
	}
	return n;
}

/* The fd of the server's epoll instance, or -1. */
static int find_epoll_fd(pid_t pid)
{
	char path[64], link[64];
	struct dirent *e;
	int fd = -1;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%.16s", pid,
			 e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "anon_inode:[eventpoll]"))
			fd = atoi(e->d_name);
	}
	closedir(d);
	return fd;
}

/*
 * The interest list of epoll fd @epfd of @pid from fdinfo: fills
 * tfd[]/events[], returns how many entries.
 */
static int epoll_entries(pid_t pid, int epfd, int *tfd, unsigned int *events,
			 int max)
{
	char path[64], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, epfd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		int t;
		unsigned int ev;

		if (sscanf(line, "tfd: %d events: %x", &t, &ev) != 2)
			continue;
		if (n < max) {
			tfd[n] = t;
			events[n] = ev;
		}
		n++;
	}
	fclose(f);
	return n;
}

/* The system call @pid sleeps in, once it does; -1 if it never did. */
static long sleeping_syscall(pid_t pid)
{
	char path[64], buf[512], *p;
	int i;

	for (i = 0; i < WAIT_POLLS; i++, usleep(10000)) {
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (read_line(path, buf, sizeof(buf)))
			return -1;
		p = strrchr(buf, ')');
		if (!p || p[1] != ' ' || p[2] != 'S')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
		if (read_line(path, buf, sizeof(buf)))
			return -1;
		if (isdigit(buf[0]))
			return strtol(buf, NULL, 10);
	}
	return -1;
}

/* ---- the client ---- */

static int client(int port, int rcvbuf)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { IO_TIMEOUT, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static int send_str(int fd, const char *s)
{
	return send_all(fd, s, strlen(s));
}

/* A connection's unread bytes, in buf[off, len); buf[len] is free. */
#define READER_BUF	16384

struct reader {
	int fd;
	size_t off, len;
	char buf[READER_BUF + 1];
};

static struct reader *reader(int fd)
{
	struct reader *r = calloc(1, sizeof(*r));

	if (r)
		r->fd = fd;
	return r;
}

static void reader_close(struct reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/* Read more: 1, 0 at EOF, -1 on error (timeout). */
static int fill(struct reader *r)
{
	ssize_t n;

	if (r->off) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (r->len == READER_BUF)
		return -1;
	n = recv(r->fd, r->buf + r->len, READER_BUF - r->len, 0);
	if (n < 0)
		return -1;
	r->len += n;
	return n > 0;
}

struct response {
	int status;
	char status_line[128];
	long clen;		/* -1: none */
	int nr_clen;
	int close;		/* Connection: close */
	int keep_alive;		/* Connection: keep-alive */
	int has_date;
	char type[64];
	char allow[64];
	char *body;
	size_t body_len;
	char err[160];
};

static void response_free(struct response *rs)
{
	free(rs->body);
	rs->body = NULL;
}

/* One response; @head: to a HEAD (no body).  0, or -1 with rs->err. */
static int read_response(struct reader *r, struct response *rs, int head)
{
	char *end, *line, *next;
	size_t got;
	int ret;

	memset(rs, 0, sizeof(*rs));
	rs->clen = -1;
	for (;;) {
		r->buf[r->len] = '\0';
		end = memmem(r->buf + r->off, r->len - r->off, "\r\n\r\n", 4);
		if (end)
			break;
		ret = fill(r);
		if (ret <= 0) {
			snprintf(rs->err, sizeof(rs->err), "%s before a whole response head (%zu bytes)",
				 ret ? "error or timeout" : "EOF",
				 r->len - r->off);
			return -1;
		}
	}
	*end = '\0';
	line = r->buf + r->off;
	next = strstr(line, "\r\n");
	if (next)
		*next = '\0';
	snprintf(rs->status_line, sizeof(rs->status_line), "%s", line);
	if (sscanf(line, "HTTP/1.1 %d ", &rs->status) != 1) {
		snprintf(rs->err, sizeof(rs->err), "bad status line '%.60s'",
			 line);
		return -1;
	}
	for (line = next ? next + 2 : end; line < end; line = next + 2) {
		char *colon, *v;

		next = strstr(line, "\r\n");
		if (!next)
			next = end;
		*next = '\0';
		colon = strchr(line, ':');
		if (!colon) {
			snprintf(rs->err, sizeof(rs->err), "bad header '%.60s'",
				 line);
			return -1;
		}
		*colon = '\0';
		for (v = colon + 1; *v == ' '; v++)
			;
		if (!strcasecmp(line, "Content-Length")) {
			rs->clen = strtol(v, NULL, 10);
			rs->nr_clen++;
		} else if (!strcasecmp(line, "Connection")) {
			rs->close |= !strcasecmp(v, "close");
			rs->keep_alive |= !strcasecmp(v, "keep-alive");
		} else if (!strcasecmp(line, "Date")) {
			rs->has_date = 1;
		} else if (!strcasecmp(line, "Content-Type")) {
			snprintf(rs->type, sizeof(rs->type), "%s", v);
		} else if (!strcasecmp(line, "Allow")) {
			snprintf(rs->allow, sizeof(rs->allow), "%s", v);
		}
		if (next == end)
			break;
	}
	r->off = end + 4 - r->buf;
	if (rs->nr_clen != 1 || rs->clen < 0) {
		snprintf(rs->err, sizeof(rs->err), "%d Content-Length headers",
			 rs->nr_clen);
		return -1;
	}
	if (head)
		return 0;
	rs->body = malloc(rs->clen + 1);
	for (got = 0; got < (size_t)rs->clen;) {
		size_t n = r->len - r->off;

		if (n > rs->clen - got)
			n = rs->clen - got;
		memcpy(rs->body + got, r->buf + r->off, n);
		got += n;
		r->off += n;
		if (got == (size_t)rs->clen)
			break;
		ret = fill(r);
		if (ret <= 0) {
			snprintf(rs->err, sizeof(rs->err), "%s after %zu of %ld body bytes",
				 ret ? "error or timeout" : "EOF", got,
				 rs->clen);
			return -1;
		}
	}
	rs->body[got] = '\0';
	rs->body_len = got;
	return 0;
}

/* The peer closed: EOF with no bytes before it. */
static int at_eof(struct reader *r)
{
	int ret;

	while ((ret = fill(r)) > 0)
		;
	return ret == 0 && r->len == r->off;
}

static void get_req(char *buf, size_t len, const char *method,
		    const char *url, const char *extra)
{
	snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: test\r\n%s\r\n", method,
		 url, extra ? extra : "");
}

/* Read a reply carrying file @f (@head: to a HEAD). */
static int expect_file(struct __test_metadata *_metadata, struct reader *r,
		       int f, int head)
{
	struct response rs;

	if (read_response(r, &rs, head)) {
		TH_LOG("%s: %s", files[f].url, rs.err);
		return -1;
	}
	EXPECT_STREQ("HTTP/1.1 200 OK", rs.status_line);
	EXPECT_EQ((long)files[f].len, rs.clen);
	EXPECT_STREQ(files[f].type, rs.type);
	EXPECT_TRUE(rs.has_date);
	EXPECT_FALSE(rs.close);
	if (!head) {
		EXPECT_EQ(files[f].len, rs.body_len);
		EXPECT_EQ(0, memcmp(files[f].data, rs.body, rs.body_len))
			TH_LOG("%s: body differs", files[f].url);
	}
	response_free(&rs);
	return _metadata->exit_code ? -1 : 0;
}

/* Read a reply with status @status; its body must name the status. */
static int expect_status(struct __test_metadata *_metadata, struct reader *r,
			 int status, int head, int closes)
{
	struct response rs;
	char num[8];

	if (read_response(r, &rs, head)) {
		TH_LOG("status %d: %s", status, rs.err);
		return -1;
	}
	EXPECT_EQ(status, rs.status) TH_LOG("'%s'", rs.status_line);
	EXPECT_EQ(closes, rs.close);
	EXPECT_TRUE(rs.has_date);
	if (status == 405)
		EXPECT_STREQ("GET, HEAD", rs.allow);
	snprintf(num, sizeof(num), "%d", status);
	if (!head)
		EXPECT_EQ(0, strncmp(rs.body ? rs.body : "", num, 3));
	response_free(&rs);
	return _metadata->exit_code ? -1 : 0;
}

/* Read a 200 of @len body bytes that announces the close, then EOF. */
static int expect_close(struct __test_metadata *_metadata, struct reader *r,
			size_t len)
{
	struct response rs;

	if (read_response(r, &rs, 0)) {
		TH_LOG("%s", rs.err);
		return -1;
	}
	EXPECT_EQ(200, rs.status) TH_LOG("'%s'", rs.status_line);
	EXPECT_TRUE(rs.close);
	EXPECT_EQ(len, rs.body_len);
	response_free(&rs);
	EXPECT_TRUE(at_eof(r)) TH_LOG("not closed after the reply");
	return _metadata->exit_code ? -1 : 0;
}

/* GET @f on a new connection; returns it open. */
static struct reader *get_new(struct __test_metadata *_metadata,
			      struct srv *s, int f)
{
	char req[256];
	struct reader *r;
	int fd = client(s->port, 0);

	if (fd < 0)
		return NULL;
	r = reader(fd);
	get_req(req, sizeof(req), "GET", files[f].url, NULL);
	if (!r || send_str(fd, req) || expect_file(_metadata, r, f, 0)) {
		reader_close(r);
		return NULL;
	}
	return r;
}

/* ---- the tests ---- */

FIXTURE(userver) {
	struct srv s;
};

/*
 * One variant per mechanism, with the paper's defaults; then the
 * accept limit, --sendfile and --eager-writes on some of them, with
 * fewer idle and concurrent connections.
 */
FIXTURE_VARIANT(userver) {
	const char *mech;
	const char *args;
	int eager;
	int nr_idle;
	int nr_concurrent;
};

#define MECH(m)	.mech = m, .nr_idle = NR_IDLE, .nr_concurrent = NR_CONCURRENT

FIXTURE_VARIANT_ADD(userver, select) { MECH("select") };
FIXTURE_VARIANT_ADD(userver, poll) { MECH("poll") };
FIXTURE_VARIANT_ADD(userver, epoll_lt) { MECH("epoll-lt") };
FIXTURE_VARIANT_ADD(userver, epoll_et) { MECH("epoll-et") };
FIXTURE_VARIANT_ADD(userver, epoll2) { MECH("epoll2") };
FIXTURE_VARIANT_ADD(userver, epoll_ctlv) { MECH("epoll-ctlv") };

FIXTURE_VARIANT_ADD(userver, epoll_et_accept_1) {
	.mech = "epoll-et", .args = "--accept-limit 1 --max-events 4",
	.nr_idle = 100, .nr_concurrent = 50,
};
FIXTURE_VARIANT_ADD(userver, poll_eager_accept_1) {
	.mech = "poll", .args = "--eager-writes --accept-limit 1",
	.eager = 1, .nr_idle = 100, .nr_concurrent = 50,
};
FIXTURE_VARIANT_ADD(userver, select_sendfile) {
	.mech = "select", .args = "--sendfile",
	.nr_idle = 100, .nr_concurrent = 50,
};
FIXTURE_VARIANT_ADD(userver, epoll_lt_sendfile_eager) {
	.mech = "epoll-lt",
	.args = "--sendfile --eager-writes --accept-limit 10",
	.eager = 1, .nr_idle = 100, .nr_concurrent = 50,
};
FIXTURE_VARIANT_ADD(userver, epoll_ctlv_accept_10) {
	.mech = "epoll-ctlv", .args = "--accept-limit 10",
	.nr_idle = 100, .nr_concurrent = 50,
};

FIXTURE_SETUP(userver)
{
	srv_setup(_metadata, &self->s, variant->mech, variant->args);
}

FIXTURE_TEARDOWN(userver)
{
	srv_teardown(&self->s);
}


TEST_F(userver, files)
{
	struct srv *s = &self->s;
	struct reader *r;
	struct response rs;
	char req[256];
	int f;

	for (f = 0; f < NR_FILES; f++) {
		r = get_new(_metadata, s, f);
		ASSERT_NE(NULL, r) TH_LOG("GET %s", files[f].url);
		reader_close(r);
	}

	/* One connection: /, HEAD, 404 and on, a query, absolute-form. */
	r = reader(client(s->port, 0));
	ASSERT_NE(NULL, r);
	ASSERT_LE(0, r->fd);
	get_req(req, sizeof(req), "GET", "/", NULL);
	ASSERT_EQ(0, send_str(r->fd, req));
	ASSERT_EQ(0, expect_file(_metadata, r, F_ONE, 0));
	get_req(req, sizeof(req), "HEAD", "/64k.bin", NULL);
	ASSERT_EQ(0, send_str(r->fd, req));
	ASSERT_EQ(0, expect_file(_metadata, r, F_64K, 1));
	get_req(req, sizeof(req), "GET", "/no/such/file", NULL);
	ASSERT_EQ(0, send_str(r->fd, req));
	ASSERT_EQ(0, expect_status(_metadata, r, 404, 0, 0));
	get_req(req, sizeof(req), "GET", "/small.txt?x=1&y=2", NULL);
	ASSERT_EQ(0, send_str(r->fd, req));
	ASSERT_EQ(0, expect_file(_metadata, r, F_SMALL, 0));
	get_req(req, sizeof(req), "GET", "http://test/sub/dir/page.html",
		NULL);
	ASSERT_EQ(0, send_str(r->fd, req));
	ASSERT_EQ(0, expect_file(_metadata, r, F_PAGE, 0));
	get_req(req, sizeof(req), "GET", "/sub/", NULL);	/* no index */
	ASSERT_EQ(0, send_str(r->fd, req));
	ASSERT_EQ(0, expect_status(_metadata, r, 404, 0, 0));
	reader_close(r);

	/* HTTP/1.0: closed after the reply unless asked to keep it. */
	r = reader(client(s->port, 0));
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, send_str(r->fd, "GET /index.html HTTP/1.0\r\n\r\n"));
	ASSERT_EQ(0, expect_close(_metadata, r, 1));
	reader_close(r);

	r = reader(client(s->port, 0));
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, send_str(r->fd, "GET /index.html HTTP/1.0\r\n"
			      "Connection: keep-alive\r\n\r\n"));
	ASSERT_EQ(0, read_response(r, &rs, 0)) TH_LOG("%s", rs.err);
	EXPECT_EQ(200, rs.status);
	EXPECT_TRUE(rs.keep_alive);
	response_free(&rs);
	ASSERT_EQ(0, send_str(r->fd, "GET /small.txt HTTP/1.0\r\n\r\n"));
	ASSERT_EQ(0, read_response(r, &rs, 0)) TH_LOG("%s", rs.err);
	EXPECT_EQ(200, rs.status);
	EXPECT_EQ(files[F_SMALL].len, rs.body_len);
	response_free(&rs);
	EXPECT_TRUE(at_eof(r));
	reader_close(r);
}

/*
 * 256 KiB replies, pipelined, to a client with a small receive buffer
 * that reads late: the server's writes (its send buffer is 64 KiB,
 * --sndbuf) fall short and it must wait to be told writable.
 */
#define NR_BIG		2

static void send_bigs(struct __test_metadata *_metadata, int fd)
{
	char req[64 * NR_BIG] = "";
	int i;

	for (i = 0; i < NR_BIG; i++)
		strcat(req, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
	ASSERT_EQ(0, send_str(fd, req));
}

TEST_F(userver, big_file_slow_reader)
{
	struct srv *s = &self->s;
	struct reader *r = reader(client(s->port, 4096));
	char req[256];
	int i;

	ASSERT_NE(NULL, r);
	ASSERT_LE(0, r->fd);
	send_bigs(_metadata, r->fd);
	usleep(200000);
	for (i = 0; i < NR_BIG; i++)
		ASSERT_EQ(0, expect_file(_metadata, r, F_BIG, 0))
			TH_LOG("reply %d", i);
	/* And the connection still works. */
	get_req(req, sizeof(req), "GET", files[F_ONE].url, NULL);
	ASSERT_EQ(0, send_str(r->fd, req));
	ASSERT_EQ(0, expect_file(_metadata, r, F_ONE, 0));
	reader_close(r);
}

TEST_F(userver, persistent)
{
	struct srv *s = &self->s;
	struct reader *r = reader(client(s->port, 0));
	char req[256];
	int i;

	ASSERT_NE(NULL, r);
	ASSERT_LE(0, r->fd);
	for (i = 0; i < 30; i++) {
		int f = i % F_BIG;

		get_req(req, sizeof(req), "GET", files[f].url, NULL);
		ASSERT_EQ(0, send_str(r->fd, req));
		ASSERT_EQ(0, expect_file(_metadata, r, f, 0))
			TH_LOG("request %d", i);
	}
	/* "Connection: close" ends it after the reply. */
	get_req(req, sizeof(req), "GET", files[F_ONE].url,
		"Connection: close\r\n");
	ASSERT_EQ(0, send_str(r->fd, req));
	ASSERT_EQ(0, expect_close(_metadata, r, files[F_ONE].len));
	reader_close(r);
}

/*
 * 300 requests in one write (more than the server's 8 KiB input buffer
 * and its queue of replies): GETs, HEADs, a 404, a GET with a body; all
 * answered in order; the last asks to close.
 */
#define NR_PIPELINED	300

TEST_F(userver, pipelined)
{
	struct srv *s = &self->s;
	static const int order[] = { F_ONE, F_SMALL, F_PAGE, F_SPACE, -1,
				     F_ONE, -2, F_64K, -3, F_SMALL };
	size_t len = 0, cap = NR_PIPELINED * 128;
	char *buf = malloc(cap);
	struct reader *r = reader(client(s->port, 0));
	struct response rs;
	int i;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, r);
	ASSERT_LE(0, r->fd);
	for (i = 0; i < NR_PIPELINED; i++) {
		int k = order[i % 10];
		const char *last = i == NR_PIPELINED - 1 ?
				   "Connection: close\r\n" : "";

		if (k >= 0)
			len += snprintf(buf + len, cap - len,
					"GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n",
					files[k].url, last);
		else if (k == -1)	/* 404 */
			len += snprintf(buf + len, cap - len,
					"GET /nope HTTP/1.1\r\nHost: t\r\n%s\r\n",
					last);
		else if (k == -2)	/* HEAD */
			len += snprintf(buf + len, cap - len,
					"HEAD /64k.bin HTTP/1.1\r\nHost: t\r\n%s\r\n",
					last);
		else			/* a body to skip */
			len += snprintf(buf + len, cap - len,
					"GET /small.txt HTTP/1.1\r\nHost: t\r\n"
					"Content-Length: 9\r\n%s\r\nGET /nope",
					last);
	}
	ASSERT_EQ(0, send_all(r->fd, buf, len));
	for (i = 0; i < NR_PIPELINED; i++) {
		int k = order[i % 10];

		if (i == NR_PIPELINED - 1) {
			ASSERT_EQ(0, read_response(r, &rs, 0)) TH_LOG("%s", rs.err);
			EXPECT_EQ(200, rs.status);
			EXPECT_TRUE(rs.close);
			response_free(&rs);
		} else if (k >= 0) {
			ASSERT_EQ(0, expect_file(_metadata, r, k, 0))
				TH_LOG("reply %d", i);
		} else if (k == -1) {
			ASSERT_EQ(0, expect_status(_metadata, r, 404, 0, 0))
				TH_LOG("reply %d", i);
		} else if (k == -2) {
			ASSERT_EQ(0, expect_file(_metadata, r, F_64K, 1))
				TH_LOG("reply %d", i);
		} else {
			ASSERT_EQ(0, expect_file(_metadata, r, F_SMALL, 0))
				TH_LOG("reply %d", i);
		}
	}
	EXPECT_TRUE(at_eof(r)) TH_LOG("more after the last reply");
	reader_close(r);
	free(buf);
}

TEST_F(userver, malformed)
{
	struct srv *s = &self->s;
	static const struct {
		const char *req;
		int status, closes;
	} cases[] = {
		{ "GARBAGE\r\n\r\n", 400, 1 },
		{ "GET /index.html\r\n\r\n", 400, 1 },
		{ "GET /index.html HTTP/1.1\r\n\r\n", 400, 1 },	/* no Host */
		{ "GET /index.html HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		  400, 1 },
		{ "GET /index.html HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n",
		  400, 1 },
		{ "GET  /index.html HTTP/1.1\r\nHost: t\r\n\r\n", 400, 1 },
		{ "GET /index.html HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n",
		  400, 1 },
		{ "GET index.html HTTP/1.1\r\nHost: t\r\n\r\n", 400, 1 },
		{ "GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400, 1 },
		{ "GET /index.html HTTP/1.1\r\nHost: t\r\n"
		  "Content-Length: 1x\r\n\r\n", 400, 1 },
		{ "GET /index.html HTTP/1.x\r\nHost: t\r\n\r\n", 400, 1 },
		{ "GET /index.html HTTP/2.0\r\nHost: t\r\n\r\n", 505, 1 },
		{ "BREW /index.html HTTP/1.1\r\nHost: t\r\n\r\n", 501, 1 },
		{ "get /index.html HTTP/1.1\r\nHost: t\r\n\r\n", 501, 1 },
		{ "GET /index.html HTTP/1.1\r\nHost: t\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, 1 },
		{ "POST /index.html HTTP/1.1\r\nHost: t\r\n"
		  "Content-Length: 3\r\n\r\nabc", 405, 0 },
		{ "DELETE /index.html HTTP/1.1\r\nHost: t\r\n\r\n", 405, 0 },
	};
	char big[10000], req[256];
	struct reader *r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r = reader(client(s->port, 0));
		ASSERT_NE(NULL, r);
		ASSERT_LE(0, r->fd);
		ASSERT_EQ(0, send_str(r->fd, cases[i].req));
		ASSERT_EQ(0, expect_status(_metadata, r, cases[i].status, 0,
					   cases[i].closes))
			TH_LOG("case %zu: %s", i, cases[i].req);
		if (cases[i].closes) {
			EXPECT_TRUE(at_eof(r)) TH_LOG("case %zu not closed", i);
		} else {
			/* Kept open, in step: the next request works. */
			get_req(req, sizeof(req), "GET", "/index.html", NULL);
			ASSERT_EQ(0, send_str(r->fd, req));
			ASSERT_EQ(0, expect_file(_metadata, r, F_ONE, 0))
				TH_LOG("case %zu", i);
		}
		reader_close(r);
	}

	/* A head over 8 KiB: 431, closed. */
	r = reader(client(s->port, 0));
	ASSERT_NE(NULL, r);
	snprintf(big, sizeof(big), "GET /index.html HTTP/1.1\r\nHost: t\r\nX: ");
	memset(big + strlen(big), 'a', 9000);
	big[9000] = '\0';
	ASSERT_EQ(0, send_str(r->fd, big));
	ASSERT_EQ(0, expect_status(_metadata, r, 431, 0, 1));
	EXPECT_TRUE(at_eof(r));
	reader_close(r);

	/* Good, bad, good in one write: 200, 400, then the close. */
	r = reader(client(s->port, 0));
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, send_str(r->fd, "GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n"
			      "GARBAGE\r\n\r\n"
			      "GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n"));
	ASSERT_EQ(0, expect_file(_metadata, r, F_ONE, 0));
	ASSERT_EQ(0, expect_status(_metadata, r, 400, 0, 1));
	EXPECT_TRUE(at_eof(r));
	reader_close(r);
}

/* Connections ending every way; the server's fd count must come back. */
TEST_F_TIMEOUT(userver, no_fd_leak, 300)
{
	struct srv *s = &self->s;
	struct linger lg = { 1, 0 };
	int base, i, n, fd;
	struct reader *r;
	char req[256];

	base = wait_fds(s->pid, 0, 1);
	ASSERT_LT(0, base);
	for (i = 0; i < 40; i++) {		/* request, reply, close */
		r = get_new(_metadata, s, i % F_BIG);
		ASSERT_NE(NULL, r);
		reader_close(r);
	}
	for (i = 0; i < 30; i++) {		/* connect, close */
		fd = client(s->port, 0);
		ASSERT_LE(0, fd);
		close(fd);
	}
	for (i = 0; i < 20; i++) {		/* half a request */
		fd = client(s->port, 0);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, send_str(fd, "GET /index.html HTTP/1.1\r\nHo"));
		close(fd);
	}
	for (i = 0; i < 10; i++) {		/* server-side close */
		r = reader(client(s->port, 0));
		ASSERT_NE(NULL, r);
		get_req(req, sizeof(req), "GET", "/small.txt",
			"Connection: close\r\n");
		ASSERT_EQ(0, send_str(r->fd, req));
		ASSERT_EQ(0, expect_close(_metadata, r, files[F_SMALL].len));
		reader_close(r);
	}
	for (i = 0; i < 10; i++) {		/* 400, then the close */
		r = reader(client(s->port, 0));
		ASSERT_NE(NULL, r);
		ASSERT_EQ(0, send_str(r->fd, "BAD\r\n\r\nmore"));
		ASSERT_EQ(0, expect_status(_metadata, r, 400, 0, 1));
		reader_close(r);
	}
	for (i = 0; i < 10; i++) {		/* reset during a big reply */
		fd = client(s->port, 4096);
		ASSERT_LE(0, fd);
		get_req(req, sizeof(req), "GET", "/big.bin", NULL);
		ASSERT_EQ(0, send_str(fd, req));
		r = reader(fd);
		ASSERT_EQ(1, fill(r));		/* the reply has begun */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		reader_close(r);
	}
	n = wait_fds(s->pid, base, 0);
	EXPECT_EQ(base, n) TH_LOG("the server had %d fds, now %d", base, n);

	/* Still serving. */
	r = get_new(_metadata, s, F_ONE);
	ASSERT_NE(NULL, r);
	reader_close(r);
}

TEST_F_TIMEOUT(userver, concurrent, 300)
{
	struct srv *s = &self->s;
	struct reader *r[NR_CONCURRENT];
	char req[256];
	int i;

	for (i = 0; i < variant->nr_concurrent; i++) {
		r[i] = reader(client(s->port, 0));
		ASSERT_NE(NULL, r[i]);
		ASSERT_LE(0, r[i]->fd) TH_LOG("connection %d", i);
	}
	for (i = 0; i < variant->nr_concurrent; i++) {
		get_req(req, sizeof(req), "GET", files[i % F_64K].url, NULL);
		ASSERT_EQ(0, send_str(r[i]->fd, req));
	}
	for (i = 0; i < variant->nr_concurrent; i++)
		ASSERT_EQ(0, expect_file(_metadata, r[i], i % F_64K, 0))
			TH_LOG("connection %d", i);
	for (i = 0; i < variant->nr_concurrent; i++)
		reader_close(r[i]);
}

TEST_F_TIMEOUT(userver, idle_connections, 300)
{
	struct srv *s = &self->s;
	static int idle[NR_IDLE];
	struct reader *r, *p;
	char req[256];
	int base, n, i;

	base = wait_fds(s->pid, 0, 1);
	ASSERT_LT(0, base);
	for (i = 0; i < variant->nr_idle; i++) {
		idle[i] = client(s->port, 0);
		ASSERT_LE(0, idle[i]) TH_LOG("idle connection %d: %m", i);
		/* Every tenth has sent half a request. */
		if (i % 10 == 0)
			ASSERT_EQ(0, send_str(idle[i],
					      "GET /small.txt HTTP/1.1\r\n"));
	}
	n = wait_fds(s->pid, base + variant->nr_idle, 1);
	ASSERT_EQ(base + variant->nr_idle, n)
		TH_LOG("the server did not accept them all");

	/* Active requests get served among them. */
	p = reader(client(s->port, 0));
	ASSERT_NE(NULL, p);
	for (i = 0; i < 20; i++) {
		r = get_new(_metadata, s, i % F_BIG);
		ASSERT_NE(NULL, r) TH_LOG("active request %d", i);
		reader_close(r);
		get_req(req, sizeof(req), "GET", files[i % F_BIG].url, NULL);
		ASSERT_EQ(0, send_str(p->fd, req));
		ASSERT_EQ(0, expect_file(_metadata, p, i % F_BIG, 0));
	}
	/* And idle ones finish their requests. */
	for (i = 0; i < variant->nr_idle; i += 50) {
		r = reader(idle[i]);
		ASSERT_NE(NULL, r);
		ASSERT_EQ(0, send_str(r->fd, "Host: t\r\n\r\n"));
		ASSERT_EQ(0, expect_file(_metadata, r, F_SMALL, 0))
			TH_LOG("idle connection %d", i);
		free(r);	/* the fd stays in idle[] */
	}
	reader_close(p);
	for (i = 0; i < variant->nr_idle; i++)
		close(idle[i]);
	n = wait_fds(s->pid, base, 0);
	EXPECT_EQ(base, n) TH_LOG("the server had %d fds, now %d", base, n);
}

static int mech_is(struct srv *s, const char *m)
{
	return !strcmp(s->mech, m);
}

/*
 * The server waits in the system call of its mechanism, and its epoll
 * interest list is the paper's mapping.
 */
TEST_F_TIMEOUT(userver, kernel_sees_the_mechanism, 300)
{
	struct srv *s = &self->s;
	const unsigned int mask = EPOLLIN | EPOLLOUT | EPOLLET;
	unsigned int want, lwant;
	int epfd, fds[8], base, n, i, k, ok;
	struct reader *r;
	long nr;

	nr = sleeping_syscall(s->pid);
	if (mech_is(s, "select"))
		ok = nr == SYS_select || nr == SYS_pselect6;
	else if (mech_is(s, "poll"))
		ok = nr == SYS_poll || nr == SYS_ppoll;
	else
		ok = nr == SYS_epoll_wait || nr == SYS_epoll_pwait;
	EXPECT_TRUE(ok) TH_LOG("%s: asleep in system call %ld", s->mech, nr);

	epfd = find_epoll_fd(s->pid);
	if (mech_is(s, "select") || mech_is(s, "poll")) {
		EXPECT_EQ(-1, epfd) TH_LOG("%s uses an epoll instance", s->mech);
		return;
	}
	ASSERT_LE(0, epfd);
	base = count_fds(s->pid);
	for (i = 0; i < 8; i++) {
		fds[i] = client(s->port, 4096);
		ASSERT_LE(0, fds[i]);
	}
	ASSERT_EQ(base + 8, wait_fds(s->pid, base + 8, 0));
	/* epoll-ctlv applies its batch before it waits again. */
	for (k = 0; k < WAIT_POLLS; k++) {
		n = epoll_entries(s->pid, epfd, NULL, NULL, 0);
		if (n == 9)
			break;
		usleep(10000);
	}
	ASSERT_EQ(9, n) TH_LOG("the listener and 8 connections registered");

	if (mech_is(s, "epoll-et"))
		want = EPOLLIN | EPOLLOUT | EPOLLET;
	else if (mech_is(s, "epoll2"))
		want = EPOLLIN | EPOLLOUT;
	else
		want = EPOLLIN;
	/* The listener: EPOLLIN, with EPOLLET for epoll-et. */
	lwant = EPOLLIN | (want & EPOLLET);
	{
		int tfd[16], nc = 0, nl = 0;
		unsigned int evs[16];

		n = epoll_entries(s->pid, epfd, tfd, evs, 16);
		ASSERT_EQ(9, n);
		for (i = 0; i < n; i++) {
			if ((evs[i] & mask) == want)
				nc++;
			else if ((evs[i] & mask) == lwant)
				nl++;
			else
				TH_LOG("fd %d registered with %#x", tfd[i],
				       evs[i]);
		}
		if (want == lwant) {
			EXPECT_EQ(9, nc) TH_LOG("want %#x for all", want);
		} else {
			EXPECT_EQ(8, nc) TH_LOG("want %#x for connections", want);
			EXPECT_EQ(1, nl) TH_LOG("want %#x for the listener", lwant);
		}
	}
	if (!mech_is(s, "epoll-lt") && !mech_is(s, "epoll-ctlv"))
		goto out;

	/*
	 * A reply that does not fit the socket: epoll-lt and epoll-ctlv
	 * change the interest to EPOLLOUT until it is sent.  Find the
	 * server's end of fds[0] by its interest changing.
	 */
	r = reader(fds[0]);
	ASSERT_NE(NULL, r);
	send_bigs(_metadata, fds[0]);
	for (k = 0; k < WAIT_POLLS; k++) {
		int tfd[16];
		unsigned int evs[16];

		n = epoll_entries(s->pid, epfd, tfd, evs, 16);
		for (i = 0; i < n && i < 16; i++)
			if (evs[i] & EPOLLOUT)
				break;
		if (i < n && i < 16)
			break;
		usleep(10000);
	}
	ASSERT_LT(k, WAIT_POLLS) TH_LOG("no fd registered for EPOLLOUT");
	for (i = 0; i < NR_BIG; i++)
		ASSERT_EQ(0, expect_file(_metadata, r, F_BIG, 0));
	/* Sent: back to EPOLLIN alone. */
	for (k = 0; k < WAIT_POLLS; k++) {
		int tfd[16];
		unsigned int evs[16];

		n = epoll_entries(s->pid, epfd, tfd, evs, 16);
		for (i = 0; i < n && i < 16; i++)
			if (evs[i] & EPOLLOUT)
				break;
		if (i == n)
			break;
		usleep(10000);
	}
	EXPECT_LT(k, WAIT_POLLS) TH_LOG("EPOLLOUT stayed registered");
	free(r);
out:
	for (i = 0; i < 8; i++)
		close(fds[i]);
}

/* The number after @key in the report, -1 if @key is not there. */
static long long report_num(const char *report, const char *key)
{
	const char *p = strstr(report, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* The report at SIGTERM counts what was sent. */
TEST_F(userver, counters)
{
	struct srv *s = &self->s;
	struct reader *r;
	int base, status, i;
	char req[256];
	const char *row;

	base = wait_fds(s->pid, 0, 1);
	r = reader(client(s->port, 0));
	ASSERT_NE(NULL, r);
	for (i = 0; i < 10; i++) {
		get_req(req, sizeof(req), "GET", files[i % F_BIG].url, NULL);
		ASSERT_EQ(0, send_str(r->fd, req));
		ASSERT_EQ(0, expect_file(_metadata, r, i % F_BIG, 0));
	}
	for (i = 0; i < 2; i++) {
		get_req(req, sizeof(req), "GET", "/nope", NULL);
		ASSERT_EQ(0, send_str(r->fd, req));
		ASSERT_EQ(0, expect_status(_metadata, r, 404, 0, 0));
	}
	/* Idle for a while: epoll2 is told it is writable all along. */
	usleep(100000);
	reader_close(r);
	r = reader(client(s->port, 0));
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, send_str(r->fd, "NONSENSE\r\n\r\n"));
	ASSERT_EQ(0, expect_status(_metadata, r, 400, 0, 1));
	EXPECT_TRUE(at_eof(r));
	reader_close(r);
	ASSERT_EQ(base, wait_fds(s->pid, base, 0));

	status = stop_server(s);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("status %#x", status);
	EXPECT_NE(NULL, strstr(s->report, "userver: stopped (signal 15)"));
	EXPECT_EQ(2, report_num(s->report, "connections "));
	EXPECT_EQ(2, report_num(s->report, "accepted, "));
	EXPECT_EQ(13, report_num(s->report, "requests "));
	EXPECT_EQ(13, report_num(s->report, "replies "));
	EXPECT_EQ(10, report_num(s->report, "(2xx "));
	EXPECT_EQ(3, report_num(s->report, "4xx "));
	EXPECT_EQ(0, report_num(s->report, "5xx "));
	EXPECT_EQ(0, report_num(s->report, "errors: read "));
	EXPECT_EQ(0, report_num(s->report, "write "));
	EXPECT_EQ(0, report_num(s->report, "epoll_ctl "));

	/* The system call table (--stats) and the interest changes. */
	row = mech_is(s, "select") ? "\nselect " : mech_is(s, "poll") ?
	      "\npoll " : "\nepoll_wait ";
	EXPECT_LT(0, report_num(s->report, row)) TH_LOG("no '%s' row", row + 1);
	if (strstr(s->mech_args, "--sendfile")) {
		/* The 3000-byte page and the 64 KiB file, under TCP_CORK */
		EXPECT_LE(2, report_num(s->report, "\nsendfile "));
		EXPECT_LE(4, report_num(s->report, "\nsetsockopt "));
	} else {
		EXPECT_EQ(-1, report_num(s->report, "\nsendfile "));
	}
	if (mech_is(s, "select") || mech_is(s, "poll"))
		goto out;
	/* ADD for the listener and each connection, DEL for each. */
	EXPECT_EQ(3, report_num(s->report, "interest ops: add "));
	EXPECT_EQ(2, report_num(s->report, ", del "));
	if ((mech_is(s, "epoll-lt") || mech_is(s, "epoll-ctlv")) &&
	    !variant->eager) {
		/* EPOLLOUT while each reply waits, EPOLLIN after it */
		EXPECT_LE(2 * 13, report_num(s->report, ", mod "));
	} else {
		/* never for epoll-et and epoll2; eager: these replies fit */
		EXPECT_EQ(0, report_num(s->report, ", mod "));
	}
	if (mech_is(s, "epoll-ctlv")) {
		EXPECT_LT(0, report_num(s->report, "\nepoll_ctlv "));
		/* DEL stays epoll_ctl(): 2, and the listener's ADD */
		EXPECT_EQ(3, report_num(s->report, "\nepoll_ctl "));
	} else {
		EXPECT_EQ(0, report_num(s->report, "ops in "));
	}
	if (mech_is(s, "epoll2")) {
		EXPECT_LT(0, report_num(s->report, "per wait), "))
			TH_LOG("epoll2 should see events not of interest");
	}
out:
	if (_metadata->exit_code)
		TH_LOG("the server's report:\n%s", s->report);
}

/* ---- httperf and idleconn (Debian's httperf package) ---- */

#define HTTPERF		"/usr/bin/httperf"
#define IDLECONN	"/usr/bin/idleconn"
#define HTTPERF_IDLE	1000	/* idleconn keeps under FD_SETSIZE */
#define HTTPERF_CONNS	"200"

/* Run @argv with its stdout in @out; its wait status, or -1. */
static int run_capture(char *const argv[], char *out, size_t size)
{
	char junk[4096];
	size_t len = 0;
	int p[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	/* Keep the head; drain the rest so the child can exit. */
	while ((n = read(p[0], len < size - 1 ? out + len : junk,
			 len < size - 1 ? size - 1 - len : sizeof(junk))) > 0)
		if (len < size - 1)
			len += n;
	out[len] = '\0';
	close(p[0]);
	return waitpid(pid, &status, 0) == pid ? status : -1;
}

/*
 * A short open-loop httperf run (200 connections, one request each, at
 * 50/s) while idleconn holds 1,000 idle connections: every request gets
 * its 200 with the whole body, httperf counts no error, and the idle
 * connections stay open throughout.
 */
TEST_F_TIMEOUT(userver, httperf_idleconn, 600)
{
	struct srv *s = &self->s;
	char port[16], idle[16], out[8192];
	char *idle_argv[] = { IDLECONN, "127.0.0.1", port, idle, NULL };
	char *perf_argv[] = {
		HTTPERF, "--server=127.0.0.1", "--port", port,
		"--uri=/index.html", "--rate=50",
		"--num-conns=" HTTPERF_CONNS, "--num-calls=1",
		"--timeout=60", NULL,
	};
	long long replies, errors, ok;
	int base, n, status;
	pid_t idler;

	if (access(HTTPERF, X_OK) || access(IDLECONN, X_OK))
		SKIP(return, "needs " HTTPERF " and " IDLECONN " (Debian's httperf)");
	snprintf(port, sizeof(port), "%d", s->port);
	snprintf(idle, sizeof(idle), "%d", HTTPERF_IDLE);
	base = wait_fds(s->pid, 0, 1);
	ASSERT_LT(0, base);

	idler = fork();
	ASSERT_LE(0, idler);
	if (!idler) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(null, 2);
		execv(IDLECONN, idle_argv);
		_exit(127);
	}
	n = wait_fds(s->pid, base + HTTPERF_IDLE, 1);
	EXPECT_EQ(base + HTTPERF_IDLE, n) TH_LOG("the server holds %d of %d idle connections",
						 n - base, HTTPERF_IDLE);

	status = run_capture(perf_argv, out, sizeof(out));
	EXPECT_EQ(0, status) TH_LOG("httperf: %s", out);
	replies = report_num(out, "Total: connections " HTTPERF_CONNS
			     " requests " HTTPERF_CONNS " replies ");
	errors = report_num(out, "Errors: total ");
	ok = report_num(out, "Reply status: 1xx=0 2xx=");
	EXPECT_EQ(atoi(HTTPERF_CONNS), replies) TH_LOG("httperf: %s", out);
	EXPECT_EQ(0, errors) TH_LOG("httperf: %s", out);
	EXPECT_EQ(atoi(HTTPERF_CONNS), ok) TH_LOG("httperf: %s", out);
	/* 118 bytes per reply: the header and the one-byte body. */
	EXPECT_NE(NULL, strstr(out, "Reply size [B]: header 117.0 content 1.0 "))
		TH_LOG("httperf: %s", out);

	/* The idle connections outlived the run (once httperf's are gone). */
	EXPECT_EQ(0, waitpid(idler, &status, WNOHANG)) TH_LOG("idleconn exited");
	n = wait_fds(s->pid, base + HTTPERF_IDLE, 0);
	EXPECT_EQ(base + HTTPERF_IDLE, n) TH_LOG("the server holds %d idle connections",
						 n - base);
	kill(idler, SIGKILL);
	waitpid(idler, &status, 0);
	n = wait_fds(s->pid, base, 0);
	EXPECT_EQ(base, n) TH_LOG("the server had %d fds, now %d", base, n);
}

TEST_HARNESS_MAIN
