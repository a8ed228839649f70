// SPDX-License-Identifier: GPL-2.0
/*
 * AF_UNIX hashing: siphash for abstract names, tables sized at boot and
 * per network namespace, and the chain statistics of the large hash
 * tables in /sys/kernel/debug/hashtables (CONFIG_HASHTABLE_STATS).
 *
 * Semantics, the same on both kernels: bind(), connect() and autobind for
 * abstract and pathname names, stream and datagram; one abstract name
 * bound by a SOCK_STREAM, a SOCK_DGRAM and a SOCK_SEQPACKET socket at
 * once, each reached by its own type; abstract names compared byte for
 * byte and length for length (embedded NULs, the empty name, 107 bytes);
 * network namespaces keep abstract names apart but not pathnames;
 * SO_PEERCRED; /proc/net/unix lists each of 100,000 bound sockets once.
 *
 * Statistics and sysctls (patched kernel; they skip on a kernel without
 * them): entries of unix_abstract and unix_unbound_pathname follow
 * bind() and close(); their buckets are net.unix.hash_entries; a namespace gets
 * net.unix.child_hash_entries buckets of its creator's namespace, rounded
 * up to a power of two, at least 16; every table's file parses and adds
 * up.
 *
 * Adversarial (fail on the baseline): 20,000 names that the old checksum
 * hash puts in one bucket (a userspace copy of it checks that they do),
 * bound in a namespace of 256 buckets, must be spread: the longest chain
 * at most 4 times the mean chain and 4 times the load factor.  Without
 * the statistics, /proc/net/unix shows it too: it walks the table bucket
 * by bucket, each chain newest first, so the runs of falling bind order
 * in the listing are no more than the non-empty buckets; 2,000 such names
 * make one run on the baseline.
 *
 * A fresh network namespace is used where the table must hold only the
 * test's sockets; a kernel without CONFIG_NET_NS cannot make one, and
 * those tests fall back to the current namespace or skip, as each says.
 * Large sets of sockets are held by helper processes of 10,000 each, so
 * that no process needs more fds than an unprivileged hard limit allows.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "kselftest_harness.h"
#include "sysfile.h"
#include "unix_names.h"

#define DEBUGFS		"/sys/kernel/debug"
#define HASHTABLES	DEBUGFS "/hashtables"
#define HASH_ENTRIES	"/proc/sys/net/unix/hash_entries"
#define CHILD_ENTRIES	"/proc/sys/net/unix/child_hash_entries"

/* The tables of /sys/kernel/debug/hashtables. */
static const char *const tables[] = {
	"dentry", "inode", "mount", "mountpoint", "tcp_established", "udp",
	"unix_abstract", "unix_unbound_pathname", "unix_pathname",
};

static int raise_nofile(unsigned int n)
{
	struct rlimit r = { n, n };

	return setrlimit(RLIMIT_NOFILE, &r);
}

/* sockaddr_un of the abstract name NAME (LEN bytes, NULs allowed). */
static socklen_t abstract_addr(struct sockaddr_un *sun, const void *name,
			       size_t len)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path + 1, name, len);
	return offsetof(struct sockaddr_un, sun_path) + 1 + len;
}

static socklen_t path_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	strncpy(sun->sun_path, path, sizeof(sun->sun_path) - 1);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

/* A socket of TYPE bound to SUN, listening unless datagram; -1 on error. */
static int server(int type, const struct sockaddr_un *sun, socklen_t len)
{
	int fd = socket(AF_UNIX, type, 0), err;

	if (fd < 0)
		return -1;
	if (bind(fd, (const struct sockaddr *)sun, len) ||
	    (type != SOCK_DGRAM && listen(fd, 16))) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* A socket of TYPE connected to SUN; -1 with errno on error. */
static int client(int type, const struct sockaddr_un *sun, socklen_t len)
{
	int fd = socket(AF_UNIX, type, 0), err;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sun, len)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Does SRV (of TYPE) hold what CLI just sent or connected?  For a
 * listener: a connection to accept; for a datagram socket: the int TAG.
 */
static int reached(int type, int srv, int cli, int tag)
{
	struct pollfd pfd = { .fd = srv, .events = POLLIN };
	int fd, got = -1;

	if (type == SOCK_DGRAM) {
		if (send(cli, &tag, sizeof(tag), 0) != sizeof(tag))
			return 0;
		return recv(srv, &got, sizeof(got), MSG_DONTWAIT) ==
		       sizeof(got) && got == tag;
	}
	/* a unix connect() queues at once: no wait */
	if (poll(&pfd, 1, 0) != 1)
		return 0;
	fd = accept(srv, NULL, NULL);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/*
 * A network namespace of its own for the calling process (each test runs
 * in a process of its own).  With CHILD_SIZE, and the patched kernel's
 * net.unix.child_hash_entries, a table of CHILD_SIZE buckets: a first
 * namespace is made to set the size the second one gets.  0, or -1 with
 * errno (EINVAL: no CONFIG_NET_NS).
 */
static int fresh_netns(int child_size)
{
	char v[32];

	if (unshare(CLONE_NEWNET))
		return -1;
	if (!child_size || access(CHILD_ENTRIES, W_OK))
		return 0;
	snprintf(v, sizeof(v), "%d", child_size);
	if (write_file(CHILD_ENTRIES, v))
		return -1;
	return unshare(CLONE_NEWNET);
}

/* One number from a one-value file; -1 when there is none. */
static long read_long(const char *path)
{
	char buf[64];

	if (read_line(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* Which adversarial name NAME is; -1 if none. */
static long adversarial_index(const char *name)
{
	char check[NAME_LEN];
	long i = 0;
	int g;

	for (g = 1; g >= 0; g--)
		i = i * DIGITS * DIGITS + (name[3 + 4 * g] - '0') +
		    (long)(name[4 + 4 * g] - '0') * DIGITS;
	if (i < 0 || i >= (long)DIGITS * DIGITS * DIGITS * DIGITS)
		return -1;
	adversarial_name(check, i);
	return memcmp(check, name, NAME_LEN) ? -1 : i;
}

/*
 * Names for /proc/net/unix: "sock-" and six characters of a 64-letter
 * alphabet, lowest first.  "sock-%06d" would do, but the old hash puts
 * 100,000 of those in 60 buckets (the longest 4,660 names), and binding
 * them costs the baseline 1.5e8 name comparisons; these take 224 buckets
 * and 3.5e7 comparisons (a uniform hash: 2.0e7).
 */
static const char listed_alphabet[] =
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";

static void listed_name(char *name, unsigned int i)
{
	int c;

	memcpy(name, "sock-", 5);
	for (c = 0; c < 6; c++, i /= 64)
		name[5 + c] = listed_alphabet[i % 64];
}

/* Which listed name NAME is; -1 if none. */
static long listed_index(const char *name)
{
	long i = 0;
	int c;

	if (memcmp(name, "sock-", 5))
		return -1;
	for (c = 5; c >= 0; c--) {
		const char *p = memchr(listed_alphabet, name[5 + c], 64);

		if (!p)
			return -1;
		i = i * 64 + (p - listed_alphabet);
	}
	return i;
}

/*
 * COUNT sockets of TYPE bound to the abstract names NAME(0), NAME(1), ...
 * in this order, held by helper processes of at most HOLD_CHUNK sockets
 * each: without CAP_SYS_RESOURCE no process can have 100,000 fds (the
 * guest has it; a container may not).  The helpers inherit the caller's
 * network namespace and exit when it calls holders_release(), or exits.
 */
#define HOLD_CHUNK	10000

struct holders {
	int n, release;
	pid_t pid[64];
};

static int holders_bind(struct holders *h, void (*name)(char *, unsigned int),
			int type, int count, char *why, size_t whylen)
{
	int status[2], release[2], first, err[2];

	if (pipe(status) || pipe(release))
		return -1;
	h->n = 0;
	h->release = release[1];
	for (first = 0; first < count; first += HOLD_CHUNK) {
		int last = first + HOLD_CHUNK < count ? first + HOLD_CHUNK :
			   count;
		pid_t pid = fork();

		if (pid < 0)
			return -1;
		if (!pid) {
			struct sockaddr_un sun;
			char buf[NAME_LEN];
			int i, fd, rep[2] = { 0, 0 };

			close(status[0]);
			close(release[1]);
			raise_nofile(HOLD_CHUNK + 64);
			for (i = first; i < last; i++) {
				name(buf, i);
				fd = socket(AF_UNIX, type, 0);
				if (fd < 0 || bind(fd, (struct sockaddr *)&sun,
						   abstract_addr(&sun, buf,
								 NAME_LEN))) {
					rep[0] = errno;
					rep[1] = i;
					break;
				}
			}
			if (write(status[1], rep, sizeof(rep)) != sizeof(rep))
				_exit(1);
			/* hold them until the caller closes its end */
			read(release[0], buf, 1);
			_exit(0);
		}
		h->pid[h->n++] = pid;
		/* one helper at a time: the binds happen in name order */
		if (read(status[0], err, sizeof(err)) != sizeof(err)) {
			snprintf(why, whylen, "helper %d died", h->n);
			return -1;
		}
		if (err[0]) {
			snprintf(why, whylen, "bind #%d: %s", err[1],
				 strerror(err[0]));
			return -1;
		}
	}
	close(status[0]);
	close(status[1]);
	close(release[0]);
	return 0;
}

/* Let the helpers close their sockets and exit; wait for them. */
static void holders_release(struct holders *h)
{
	int i;

	close(h->release);
	for (i = 0; i < h->n; i++)
		waitpid(h->pid[i], NULL, 0);
	h->n = 0;
}

/*
 * The abstract names listed by /proc/net/unix (of the reader's namespace),
 * in listing order, without the '@' that stands for the leading NUL: the
 * Path column of the lines whose name is NAME_LEN bytes long and starts
 * with PREFIX.  Returns how many (at most MAX, into NAMES), -1 on error;
 * *OTHERS counts the other lines.
 */
static int proc_net_unix_names(const char *prefix, char (*names)[NAME_LEN],
			       int max, int *others)
{
	char *line = NULL, path[256];
	size_t cap = 0;
	int n = 0;
	FILE *f;

	f = fopen("/proc/net/unix", "r");
	if (!f)
		return -1;
	*others = 0;
	if (getline(&line, &cap, f) < 0) {	/* the header */
		fclose(f);
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %255s",
			   path) != 1 ||
		    path[0] != '@' || strlen(path) != NAME_LEN + 1 ||
		    strncmp(path + 1, prefix, strlen(prefix))) {
			(*others)++;
			continue;
		}
		if (n < max)
			memcpy(names[n], path + 1, NAME_LEN);
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

/* A NETLINK_SOCK_DIAG socket with REQ sent on it; -1 with errno */
static int unix_diag_request(const struct unix_diag_req *req, int flags)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} msg = {
		.nlh.nlmsg_len = sizeof(msg),
		.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY,
		.nlh.nlmsg_flags = NLM_F_REQUEST | flags,
		.req = *req,
	};
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	if (send(fd, &msg, sizeof(msg), 0) != sizeof(msg)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The same from a unix_diag dump (NETLINK_SOCK_DIAG), with each socket's
 * inode in INOS.  -1 with errno on error (ENOENT: no CONFIG_UNIX_DIAG).
 */
static int unix_diag_names(const char *prefix, char (*names)[NAME_LEN],
			   unsigned int *inos, int max, int *others)
{
	struct unix_diag_req req = {
		.sdiag_family = AF_UNIX,
		.udiag_states = -1,
		.udiag_show = UDIAG_SHOW_NAME,
	};
	static char buf[65536];
	int fd, n = 0, done = 0;

	fd = unix_diag_request(&req, NLM_F_DUMP);
	if (fd < 0)
		return -1;
	*others = 0;
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len <= 0)
			goto fail;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			struct unix_diag_msg *m = NLMSG_DATA(h);
			int alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			struct rtattr *a = (struct rtattr *)(m + 1);
			const char *path = NULL;
			int plen = 0;

			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				errno = -e->error;
				goto fail;
			}
			for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				if (a->rta_type == UNIX_DIAG_NAME) {
					path = RTA_DATA(a);
					plen = RTA_PAYLOAD(a);
				}
			}
			/* abstract: a NUL, then the name */
			if (!path || plen != NAME_LEN + 1 || path[0] ||
			    strncmp(path + 1, prefix, strlen(prefix))) {
				(*others)++;
				continue;
			}
			if (n < max) {
				memcpy(names[n], path + 1, NAME_LEN);
				inos[n] = m->udiag_ino;
			}
			n++;
		}
	}
	close(fd);
	return n;
fail:
	close(fd);
	return -1;
}

/*
 * unix_diag's exact request, which looks the socket up by inode: 0 and
 * its name in NAME, or -1 with errno.
 */
static int unix_diag_by_ino(unsigned int ino, char *name)
{
	struct unix_diag_req req = {
		.sdiag_family = AF_UNIX,
		.udiag_ino = ino,
		.udiag_show = UDIAG_SHOW_NAME,
		.udiag_cookie = { ~0U, ~0U },	/* INET_DIAG_NOCOOKIE */
	};
	char buf[1024];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct unix_diag_msg *m = NLMSG_DATA(h);
	struct rtattr *a = (struct rtattr *)(m + 1);
	ssize_t len;
	int alen, fd;

	fd = unix_diag_request(&req, 0);
	if (fd < 0)
		return -1;
	len = recv(fd, buf, sizeof(buf), 0);
	if (len <= 0) {
		close(fd);
		return -1;
	}
	close(fd);
	if (!NLMSG_OK(h, len) || h->nlmsg_type == NLMSG_ERROR) {
		errno = NLMSG_OK(h, len) ?
			-((struct nlmsgerr *)NLMSG_DATA(h))->error : EPROTO;
		return -1;
	}
	alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == UNIX_DIAG_NAME &&
		    RTA_PAYLOAD(a) == NAME_LEN + 1) {
			memcpy(name, (char *)RTA_DATA(a) + 1, NAME_LEN);
			return m->udiag_ino == ino ? 0 : -1;
		}
	}
	errno = ENOENT;
	return -1;
}

/* The file of one table, parsed. */
struct ht_stats {
	unsigned long buckets, entries, empty, longest, truncated;
	double load, mean, short_pct;
	int classes;
	unsigned long lo[64], hi[64], count[64];
	char text[4096];
};

/* One "key: value" line of a statistics file into S; 0 or -1. */
static int ht_key(struct ht_stats *s, const char *line, int *seen)
{
	static const char *const keys[] = {
		"buckets", "entries", "empty_buckets", "load_factor",
		"longest_chain", "mean_chain", "short_chain_entries",
		"truncated_chains",
	};
	char key[32];
	double v;
	int k;

	/* short_chain_entries ends in '%' */
	if (sscanf(line, "%31[a-z_]: %lf", key, &v) != 2)
		return -1;
	for (k = 0; k < 8; k++)
		if (!strcmp(key, keys[k]))
			break;
	if (k == 8 || (*seen & 1 << k))
		return -1;
	*seen |= 1 << k;
	switch (k) {
	case 0: s->buckets = v; break;
	case 1: s->entries = v; break;
	case 2: s->empty = v; break;
	case 3: s->load = v; break;
	case 4: s->longest = v; break;
	case 5: s->mean = v; break;
	case 6: s->short_pct = v; break;
	case 7: s->truncated = v; break;
	}
	return 0;
}

/* One histogram line, "LO: COUNT" or "LO-HI: COUNT", into S; 0 or -1. */
static int ht_class(struct ht_stats *s, const char *line)
{
	unsigned long lo, hi, count;

	if (sscanf(line, "%lu-%lu: %lu", &lo, &hi, &count) != 3) {
		if (sscanf(line, "%lu: %lu", &lo, &count) != 2)
			return -1;
		hi = lo;
	}
	if (s->classes == 64)
		return -1;
	s->lo[s->classes] = lo;
	s->hi[s->classes] = hi;
	s->count[s->classes++] = count;
	return 0;
}

/*
 * Read HASHTABLES/NAME into S.  0, or -1 with S->text saying what was
 * wrong.
 */
static int ht_read(const char *name, struct ht_stats *s)
{
	static char copy[sizeof(s->text)];
	int fd, seen = 0, in_hist = 0;
	char path[128], *line, *save;
	ssize_t len;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), HASHTABLES "/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(s->text, sizeof(s->text), "%s: %s", path,
			 strerror(errno));
		return -1;
	}
	len = read(fd, s->text, sizeof(s->text) - 1);
	close(fd);
	if (len <= 0) {
		snprintf(s->text, sizeof(s->text), "%s: empty or unreadable",
			 path);
		return -1;
	}
	s->text[len] = '\0';
	memcpy(copy, s->text, len + 1);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!in_hist && !strcmp(line, "histogram:"))
			in_hist = 1;
		else if (in_hist ? ht_class(s, line) : ht_key(s, line, &seen))
			break;
	}
	if (!line && seen == 0xff && s->classes)
		return 0;
	snprintf(path, sizeof(path), "%.100s",
		 line ? line : "(a key or the histogram is missing)");
	snprintf(s->text, sizeof(s->text), "%s: cannot parse at '%s'", name,
		 path);
	return -1;
}

/*
 * Are the statistics there?  Mount debugfs when it is not (in a mount
 * namespace of this test's own, so that nothing is left mounted).
 */
static int have_hashtables(void)
{
	struct statfs sfs;

	if (!access(HASHTABLES, R_OK))
		return 1;
	if (statfs(DEBUGFS, &sfs) || sfs.f_type != DEBUGFS_MAGIC) {
		if (!unshare(CLONE_NEWNS) &&
		    !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	}
	return !access(HASHTABLES, R_OK);
}

/* Binds of name kinds and socket types, abstract or pathname. */
FIXTURE(names) {
	char dir[64];
	char prefix[32];
};

FIXTURE_VARIANT(names) {
	int type;
	int abstract;
};

FIXTURE_VARIANT_ADD(names, abstract_stream) { SOCK_STREAM, 1 };
FIXTURE_VARIANT_ADD(names, abstract_dgram) { SOCK_DGRAM, 1 };
FIXTURE_VARIANT_ADD(names, abstract_seqpacket) { SOCK_SEQPACKET, 1 };
FIXTURE_VARIANT_ADD(names, pathname_stream) { SOCK_STREAM, 0 };
FIXTURE_VARIANT_ADD(names, pathname_dgram) { SOCK_DGRAM, 0 };

FIXTURE_SETUP(names)
{
	strcpy(self->dir, "/tmp/unix_hash.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	/* the current namespace: names of this process alone */
	snprintf(self->prefix, sizeof(self->prefix), "uh%d", getpid());
	ASSERT_EQ(0, raise_nofile(4096));
}

FIXTURE_TEARDOWN(names)
{
	char path[sizeof(self->dir) + 1 + 256];
	DIR *d = opendir(self->dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", self->dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(self->dir);
}

/* The I-th name of this test. */
static socklen_t name_addr(FIXTURE_DATA(names) *self, int abstract, int i,
			   struct sockaddr_un *sun)
{
	char name[96];

	if (!abstract) {
		snprintf(name, sizeof(name), "%s/s%05d", self->dir, i);
		return path_addr(sun, name);
	}
	snprintf(name, sizeof(name), "%s-%05d", self->prefix, i);
	return abstract_addr(sun, name, strlen(name));
}

TEST_F(names, bind_connect_exchange)
{
	struct sockaddr_un sun, got;
	socklen_t len = name_addr(self, variant->abstract, 0, &sun), glen;
	int srv, cli, conn, v = 42, w = 0;

	srv = server(variant->type, &sun, len);
	ASSERT_LE(0, srv) TH_LOG("bind: %s", strerror(errno));
	glen = sizeof(got);
	ASSERT_EQ(0, getsockname(srv, (struct sockaddr *)&got, &glen));
	EXPECT_EQ(len, glen);
	EXPECT_EQ(0, memcmp(&sun, &got, len));

	cli = client(variant->type, &sun, len);
	ASSERT_LE(0, cli) TH_LOG("connect: %s", strerror(errno));
	glen = sizeof(got);
	ASSERT_EQ(0, getpeername(cli, (struct sockaddr *)&got, &glen));
	EXPECT_EQ(len, glen);
	EXPECT_EQ(0, memcmp(&sun, &got, len));

	ASSERT_EQ((ssize_t)sizeof(v), send(cli, &v, sizeof(v), 0));
	conn = variant->type == SOCK_DGRAM ? srv : accept(srv, NULL, NULL);
	ASSERT_LE(0, conn);
	ASSERT_EQ((ssize_t)sizeof(w), recv(conn, &w, sizeof(w), 0));
	EXPECT_EQ(v, w);
	if (conn != srv) {
		/* and back */
		ASSERT_EQ((ssize_t)sizeof(v), send(conn, &v, sizeof(v), 0));
		ASSERT_EQ((ssize_t)sizeof(w), recv(cli, &w, sizeof(w), 0));
		EXPECT_EQ(v, w);
		close(conn);
	}
	close(cli);
	close(srv);
}

TEST_F(names, duplicate_name_is_in_use)
{
	struct sockaddr_un sun;
	socklen_t len = name_addr(self, variant->abstract, 1, &sun);
	int srv, dup;

	srv = server(variant->type, &sun, len);
	ASSERT_LE(0, srv);
	dup = socket(AF_UNIX, variant->type, 0);
	ASSERT_LE(0, dup);
	EXPECT_EQ(-1, bind(dup, (struct sockaddr *)&sun, len));
	EXPECT_EQ(EADDRINUSE, errno);
	close(srv);
	/* a closed abstract name is free; a pathname's file stays */
	if (variant->abstract) {
		EXPECT_EQ(0, bind(dup, (struct sockaddr *)&sun, len));
	} else {
		EXPECT_EQ(-1, bind(dup, (struct sockaddr *)&sun, len));
		EXPECT_EQ(EADDRINUSE, errno);
		ASSERT_EQ(0, unlink(sun.sun_path));
		EXPECT_EQ(0, bind(dup, (struct sockaddr *)&sun, len));
	}
	close(dup);
}

TEST_F(names, unbound_name_is_refused)
{
	struct sockaddr_un sun;
	socklen_t len = name_addr(self, variant->abstract, 2, &sun);

	EXPECT_EQ(-1, client(variant->type, &sun, len));
	EXPECT_EQ(variant->abstract ? ECONNREFUSED : ENOENT, errno);
}

/* 256 servers at once, each connection reaching its own. */
TEST_F(names, many_names_reach_their_own_server)
{
	static int srv[256];
	struct sockaddr_un sun;
	int i, cli;
	socklen_t len;

	for (i = 0; i < 256; i++) {
		len = name_addr(self, variant->abstract, 100 + i, &sun);
		srv[i] = server(variant->type, &sun, len);
		ASSERT_LE(0, srv[i]) TH_LOG("bind #%d: %s", i,
					    strerror(errno));
	}
	for (i = 255; i >= 0; i--) {
		len = name_addr(self, variant->abstract, 100 + i, &sun);
		cli = client(variant->type, &sun, len);
		ASSERT_LE(0, cli) TH_LOG("connect #%d: %s", i,
					 strerror(errno));
		EXPECT_TRUE(reached(variant->type, srv[i], cli, i))
			TH_LOG("connection #%d went elsewhere", i);
		close(cli);
	}
	for (i = 0; i < 256; i++)
		close(srv[i]);
}

/* Autobind: "\0" and five hex digits, distinct, reachable. */
FIXTURE(autobind) {
	int unused;
};

FIXTURE_VARIANT(autobind) {
	int type;
};

FIXTURE_VARIANT_ADD(autobind, stream) { SOCK_STREAM };
FIXTURE_VARIANT_ADD(autobind, dgram) { SOCK_DGRAM };

FIXTURE_SETUP(autobind)
{
}

FIXTURE_TEARDOWN(autobind)
{
}

TEST_F(autobind, names_distinct_and_reachable)
{
	static struct sockaddr_un names[64];
	struct sockaddr_un fam = { .sun_family = AF_UNIX };
	static int fds[64];
	socklen_t len;
	int i, j, cli;

	for (i = 0; i < 64; i++) {
		fds[i] = socket(AF_UNIX, variant->type, 0);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, bind(fds[i], (struct sockaddr *)&fam,
				  sizeof(sa_family_t)));
		if (variant->type != SOCK_DGRAM)
			ASSERT_EQ(0, listen(fds[i], 4));
		len = sizeof(names[i]);
		ASSERT_EQ(0, getsockname(fds[i], (struct sockaddr *)&names[i],
					 &len));
		ASSERT_EQ(offsetof(struct sockaddr_un, sun_path) + 6, len);
		EXPECT_EQ(0, names[i].sun_path[0]);
		for (j = 1; j < 6; j++)
			EXPECT_TRUE(isxdigit(names[i].sun_path[j]))
				TH_LOG("autobind name byte %d: %#x", j,
				       names[i].sun_path[j]);
		for (j = 0; j < i; j++)
			EXPECT_NE(0, memcmp(names[i].sun_path,
					    names[j].sun_path, 6));
	}
	for (i = 0; i < 64; i++) {
		cli = client(variant->type, &names[i], len);
		ASSERT_LE(0, cli) TH_LOG("connect to autobind name #%d: %s",
					 i, strerror(errno));
		EXPECT_TRUE(reached(variant->type, fds[i], cli, i));
		close(cli);
		close(fds[i]);
	}
}

/* A datagram socket with SO_PASSCRED gets a name at connect() time. */
TEST(passcred_connect_autobinds)
{
	struct sockaddr_un srv_addr, mine, from;
	socklen_t len, mlen = sizeof(mine), flen = sizeof(from);
	int srv, cli, one = 1, v = 7, w = 0;
	char name[32];

	snprintf(name, sizeof(name), "uh%d-passcred", getpid());
	len = abstract_addr(&srv_addr, name, strlen(name));
	srv = server(SOCK_DGRAM, &srv_addr, len);
	ASSERT_LE(0, srv);
	cli = socket(AF_UNIX, SOCK_DGRAM, 0);
	ASSERT_LE(0, cli);
	ASSERT_EQ(0, setsockopt(cli, SOL_SOCKET, SO_PASSCRED, &one,
				sizeof(one)));
	ASSERT_EQ(0, connect(cli, (struct sockaddr *)&srv_addr, len));
	ASSERT_EQ(0, getsockname(cli, (struct sockaddr *)&mine, &mlen));
	ASSERT_EQ(offsetof(struct sockaddr_un, sun_path) + 6, mlen);
	EXPECT_EQ(0, mine.sun_path[0]);

	/* the server sees the name as the source, and answers to it */
	ASSERT_EQ((ssize_t)sizeof(v), send(cli, &v, sizeof(v), 0));
	ASSERT_EQ((ssize_t)sizeof(w), recvfrom(srv, &w, sizeof(w), 0,
				      (struct sockaddr *)&from, &flen));
	EXPECT_EQ(mlen, flen);
	EXPECT_EQ(0, memcmp(&mine, &from, mlen));
	v = 8;
	ASSERT_EQ((ssize_t)sizeof(v), sendto(srv, &v, sizeof(v), 0,
				    (struct sockaddr *)&from, flen));
	ASSERT_EQ((ssize_t)sizeof(w), recv(cli, &w, sizeof(w), 0));
	EXPECT_EQ(8, w);
	close(cli);
	close(srv);
}

/*
 * One abstract name bound by a socket of each type, for 2048 names, in a
 * table of 256 buckets when a namespace can be made: a hash that lets a
 * name of one type share a bucket with the same name of another type
 * (the old one keeps them apart with hash ^ type) would find the wrong
 * socket for about one name in 256.
 */
#define SHARED		2048
#define ONE_TYPE	256

TEST(stream_dgram_seqpacket_share_abstract_names)
{
	static const int types[3] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	static int srv[SHARED][3];
	struct sockaddr_un sun;
	int i, t, fd, cli, wrong = 0, refused = 0, nt;
	char name[32];
	socklen_t len;

	ASSERT_EQ(0, raise_nofile(3 * SHARED + 2 * ONE_TYPE + 64));
	if (fresh_netns(256) && errno != EINVAL)
		ASSERT_TRUE(0) TH_LOG("unshare: %s", strerror(errno));
	for (i = 0; i < SHARED; i++) {
		snprintf(name, sizeof(name), "uh%d-shared-%05d", getpid(), i);
		len = abstract_addr(&sun, name, strlen(name));
		/* SOCK_SEQPACKET on one name in 8 */
		nt = i % 8 ? 2 : 3;
		for (t = 0; t < nt; t++) {
			srv[i][t] = server(types[t], &sun, len);
			ASSERT_LE(0, srv[i][t])
				TH_LOG("bind of type %d to shared name #%d: %s",
				       types[t], i, strerror(errno));
		}
		/* a second socket of a type that has the name: in use */
		if (i % 64 == 0) {
			for (t = 0; t < nt; t++) {
				fd = socket(AF_UNIX, types[t], 0);
				ASSERT_LE(0, fd);
				EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sun,
						   len));
				EXPECT_EQ(EADDRINUSE, errno);
				close(fd);
			}
		}
	}
	for (i = 0; i < SHARED; i++) {
		snprintf(name, sizeof(name), "uh%d-shared-%05d", getpid(), i);
		len = abstract_addr(&sun, name, strlen(name));
		nt = i % 8 ? 2 : 3;
		for (t = 0; t < nt; t++) {
			cli = client(types[t], &sun, len);
			if (cli < 0 || !reached(types[t], srv[i][t], cli, i)) {
				if (!wrong++)
					TH_LOG("name #%d, type %d: %s", i,
					       types[t], cli < 0 ?
					       strerror(errno) :
					       "reached another socket");
			}
			if (cli >= 0)
				close(cli);
		}
	}
	EXPECT_EQ(0, wrong) TH_LOG("%d connections missed their socket",
				   wrong);

	/* a name bound by one type only is refused to the other */
	for (i = 0; i < 2 * ONE_TYPE; i++) {
		int bound = i % 2 ? SOCK_DGRAM : SOCK_STREAM;
		int other = i % 2 ? SOCK_STREAM : SOCK_DGRAM;

		snprintf(name, sizeof(name), "uh%d-single-%05d", getpid(), i);
		len = abstract_addr(&sun, name, strlen(name));
		fd = server(bound, &sun, len);
		ASSERT_LE(0, fd);
		cli = client(other, &sun, len);
		if (cli >= 0 || errno != ECONNREFUSED) {
			if (!refused++)
				TH_LOG("type %d connected to a name only type %d has: %s",
				       other, bound, cli >= 0 ? "connected" :
				       strerror(errno));
		}
		if (cli >= 0)
			close(cli);
		close(fd);
	}
	EXPECT_EQ(0, refused);
	for (i = 0; i < SHARED; i++)
		for (t = 0; t < (i % 8 ? 2 : 3); t++)
			close(srv[i][t]);
}

/*
 * Abstract names are LEN bytes, NULs included: prefixes, trailing NULs,
 * the empty name and the longest name (107 bytes) are all distinct.
 */
TEST(abstract_names_are_exact_bytes)
{
	static const struct { const char *name; size_t len; } names[] = {
		{ "", 0 }, { "\0", 1 }, { "\0\0", 2 }, { "a", 1 },
		{ "a\0", 2 }, { "a\0\0", 3 }, { "ab", 2 }, { "a\0b", 3 },
		{ "b", 1 },
	};
	const int n = sizeof(names) / sizeof(names[0]);
	int fds[sizeof(names) / sizeof(names[0]) + 2], i, cli;
	struct sockaddr_un sun, got;
	char longest[107];
	socklen_t len, glen;

	if (fresh_netns(0) && errno != EINVAL)
		ASSERT_TRUE(0) TH_LOG("unshare: %s", strerror(errno));
	memset(longest, 'x', sizeof(longest));
	for (i = 0; i < n + 2; i++) {
		if (i < n)
			len = abstract_addr(&sun, names[i].name, names[i].len);
		else {
			longest[106] = i == n ? 'x' : 'y';
			len = abstract_addr(&sun, longest, sizeof(longest));
			ASSERT_EQ(sizeof(struct sockaddr_un), len);
		}
		fds[i] = server(SOCK_DGRAM, &sun, len);
		ASSERT_LE(0, fds[i]) TH_LOG("bind of name #%d: %s", i,
					    strerror(errno));
		glen = sizeof(got);
		ASSERT_EQ(0, getsockname(fds[i], (struct sockaddr *)&got,
					 &glen));
		EXPECT_EQ(len, glen);
		EXPECT_EQ(0, memcmp(&sun, &got, len));
	}
	for (i = n + 1; i >= 0; i--) {
		if (i < n)
			len = abstract_addr(&sun, names[i].name, names[i].len);
		else {
			longest[106] = i == n ? 'x' : 'y';
			len = abstract_addr(&sun, longest, sizeof(longest));
		}
		cli = client(SOCK_DGRAM, &sun, len);
		ASSERT_LE(0, cli);
		EXPECT_TRUE(reached(SOCK_DGRAM, fds[i], cli, i))
			TH_LOG("name #%d reached another socket", i);
		close(cli);
	}
	len = abstract_addr(&sun, "a\0\0\0", 4);
	EXPECT_EQ(-1, client(SOCK_DGRAM, &sun, len));
	EXPECT_EQ(ECONNREFUSED, errno);
	/* one byte more than a sockaddr_un */
	cli = socket(AF_UNIX, SOCK_DGRAM, 0);
	ASSERT_LE(0, cli);
	EXPECT_EQ(-1, bind(cli, (struct sockaddr *)&sun, sizeof(sun) + 1));
	EXPECT_EQ(EINVAL, errno);
	close(cli);
	for (i = 0; i < n + 2; i++)
		close(fds[i]);
}

/*
 * A namespace has abstract names of its own; pathnames are the file
 * system's, reachable from any namespace.
 */
TEST(netns_isolation)
{
	struct sockaddr_un abs, path;
	socklen_t alen, plen;
	int a_srv, d_srv, p_srv, home, b_srv, fd;
	char dir[] = "/tmp/unix_hash.XXXXXX", name[64];

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(name, sizeof(name), "uh%d-netns", getpid());
	alen = abstract_addr(&abs, name, strlen(name));
	snprintf(name, sizeof(name), "%s/sock", dir);
	plen = path_addr(&path, name);
	a_srv = server(SOCK_STREAM, &abs, alen);
	d_srv = server(SOCK_DGRAM, &abs, alen);
	p_srv = server(SOCK_STREAM, &path, plen);
	ASSERT_LE(0, a_srv);
	ASSERT_LE(0, d_srv);
	ASSERT_LE(0, p_srv);
	home = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_LE(0, home);

	if (unshare(CLONE_NEWNET)) {
		int err = errno;

		unlink(name);
		rmdir(dir);
		if (err == EINVAL)
			SKIP(return, "no network namespaces (CONFIG_NET_NS)");
		ASSERT_EQ(0, err);
	}
	/* the parent's abstract name is not seen here */
	EXPECT_EQ(-1, client(SOCK_STREAM, &abs, alen));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(-1, client(SOCK_DGRAM, &abs, alen));
	EXPECT_EQ(ECONNREFUSED, errno);
	/* and is free to bind */
	b_srv = server(SOCK_STREAM, &abs, alen);
	ASSERT_LE(0, b_srv) TH_LOG("bind in the child namespace: %s",
				   strerror(errno));
	fd = client(SOCK_STREAM, &abs, alen);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(reached(SOCK_STREAM, b_srv, fd, 0));
	EXPECT_FALSE(reached(SOCK_STREAM, a_srv, fd, 0));
	close(fd);
	/* the parent's pathname socket is */
	fd = client(SOCK_STREAM, &path, plen);
	ASSERT_LE(0, fd) TH_LOG("connect to a pathname socket: %s",
				strerror(errno));
	EXPECT_TRUE(reached(SOCK_STREAM, p_srv, fd, 0));
	close(fd);

	/* back home, the name is still the parent's socket */
	ASSERT_EQ(0, setns(home, CLONE_NEWNET));
	fd = client(SOCK_STREAM, &abs, alen);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(reached(SOCK_STREAM, a_srv, fd, 0));
	EXPECT_FALSE(reached(SOCK_STREAM, b_srv, fd, 0));
	close(fd);
	close(b_srv);
	close(a_srv);
	close(d_srv);
	close(p_srv);
	close(home);
	unlink(name);
	rmdir(dir);
}

/* SO_PEERCRED: each end of a stream connection sees the other's. */
TEST(so_peercred)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct sockaddr_un sun;
	int srv, conn, status, pair[2];
	char name[32], c = 0;
	socklen_t len;
	pid_t pid;

	snprintf(name, sizeof(name), "uh%d-peercred", getpid());
	len = abstract_addr(&sun, name, strlen(name));
	srv = server(SOCK_STREAM, &sun, len);
	ASSERT_LE(0, srv);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		if (setgid(1234) || setuid(4321))
			_exit(10);
		fd = client(SOCK_STREAM, &sun, len);
		if (fd < 0)
			_exit(11);
		/* the listener's credentials, as of listen() */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
			_exit(12);
		if (cred.pid != getppid() || cred.uid != 0 || cred.gid != 0)
			_exit(13);
		/* stay connected until the parent has looked */
		if (read(fd, &c, 1) != 1)
			_exit(14);
		_exit(0);
	}
	conn = accept(srv, NULL, NULL);
	ASSERT_LE(0, conn);
	ASSERT_EQ(0, getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &clen));
	EXPECT_EQ(pid, cred.pid);
	EXPECT_EQ(4321U, cred.uid);
	EXPECT_EQ(1234U, cred.gid);
	ASSERT_EQ(1, write(conn, &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("the child's check %d failed", WEXITSTATUS(status));
	close(conn);
	close(srv);

	/* a socketpair: both ends are this process */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
	ASSERT_EQ(0, getsockopt(pair[0], SOL_SOCKET, SO_PEERCRED, &cred,
				&clen));
	EXPECT_EQ(getpid(), cred.pid);
	EXPECT_EQ(getuid(), cred.uid);
	EXPECT_EQ(getgid(), cred.gid);
	close(pair[0]);
	close(pair[1]);
}

/*
 * /proc/net/unix and unix_diag walk the table: each of 100,000 bound
 * abstract sockets is listed exactly once, and unix_diag finds sockets
 * by inode.  In a namespace of the test's own, the listing holds nothing
 * else; without one the other lines are ignored.  On the patched kernel
 * the namespace gets a table of 65536 buckets per half (as init_net's on
 * a 16 GiB machine), whose positions need more bucket bits than 256.
 */
#define LISTED		100000
#define LISTED_TABLE	65536

FIXTURE(proc_net_unix) {
	int netns;
};

FIXTURE_SETUP(proc_net_unix)
{
	self->netns = !fresh_netns(LISTED_TABLE);
	if (!self->netns)
		ASSERT_EQ(EINVAL, errno);
}

FIXTURE_TEARDOWN(proc_net_unix)
{
}

TEST_F_TIMEOUT(proc_net_unix, lists_100000_abstract_sockets_once, 600)
{
	static char listed[LISTED][NAME_LEN];
	static unsigned int inos[LISTED];
	static unsigned char seen[LISTED];
	int i, n, others, dups = 0, missing = 0;
	static struct holders h;
	static char why[128];

	ASSERT_EQ(0, holders_bind(&h, listed_name, SOCK_DGRAM, LISTED, why,
				  sizeof(why))) TH_LOG("%s", why);
	n = proc_net_unix_names("sock-", listed, LISTED, &others);
	ASSERT_LE(0, n) TH_LOG("reading /proc/net/unix: %s", strerror(errno));
	TH_LOG("%d names listed, %d other lines%s; table: %ld buckets", n,
	       others, self->netns ? "" : " (no namespace of the test's own)",
	       read_long(HASH_ENTRIES));
	for (i = 0; i < n && i < LISTED; i++) {
		long k = listed_index(listed[i]);

		if (k < 0 || k >= LISTED) {
			TH_LOG("unexpected name '%.11s'", listed[i]);
			dups++;
			continue;
		}
		if (seen[k]++ == 1)
			TH_LOG("'%.11s' listed twice", listed[i]);
		if (seen[k] > 1)
			dups++;
	}
	for (i = 0; i < LISTED; i++) {
		char name[NAME_LEN];

		if (seen[i] || missing++ >= 5)
			continue;
		listed_name(name, i);
		TH_LOG("'%.11s' not listed", name);
	}
	EXPECT_EQ(LISTED, n);
	EXPECT_EQ(0, dups);
	EXPECT_EQ(0, missing);
	if (self->netns)
		EXPECT_EQ(0, others);

	/* unix_diag: a dump of many messages, resumed bucket by bucket */
	memset(seen, 0, sizeof(seen));
	dups = missing = 0;
	n = unix_diag_names("sock-", listed, inos, LISTED, &others);
	if (n < 0 && errno == ENOENT) {
		holders_release(&h);
		SKIP(return, "no unix_diag (CONFIG_UNIX_DIAG)");
	}
	ASSERT_LE(0, n) TH_LOG("unix_diag dump: %s", strerror(errno));
	TH_LOG("unix_diag: %d names dumped, %d other sockets", n, others);
	for (i = 0; i < n && i < LISTED; i++) {
		long k = listed_index(listed[i]);

		if (k < 0 || k >= LISTED || seen[k]++)
			dups++;
	}
	for (i = 0; i < LISTED; i++)
		missing += !seen[i];
	EXPECT_EQ(LISTED, n);
	EXPECT_EQ(0, dups);
	EXPECT_EQ(0, missing);

	/* the exact request walks the table for the inode */
	for (i = 0; i < n && i < LISTED; i += LISTED / 10) {
		char name[NAME_LEN];

		ASSERT_EQ(0, unix_diag_by_ino(inos[i], name))
			TH_LOG("inode %u: %s", inos[i], strerror(errno));
		EXPECT_EQ(0, memcmp(name, listed[i], NAME_LEN))
			TH_LOG("inode %u: '%.11s', dumped as '%.11s'",
			       inos[i], name, listed[i]);
	}
	holders_release(&h);
}

/*
 * Statistics: skipped on a kernel without CONFIG_HASHTABLE_STATS.  Plain
 * TEST()s: a TEST_F() wrapper keeps a variable across setjmp() that GCC
 * warns about (-Wclobbered) depending on what it inlines.
 */
#define NEED_HASHTABLES() do {						\
	if (!have_hashtables())						\
		SKIP(return, "no " HASHTABLES " (CONFIG_HASHTABLE_STATS)"); \
} while (0)

/* Every file parses, and its figures agree with each other. */
TEST(stats_files_parse_and_add_up)
{
	unsigned int i;

	NEED_HASHTABLES();

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		unsigned long sum = 0, lo_entries = 0, hi_entries = 0;
		static struct ht_stats s;
		int c;

		ASSERT_EQ(0, ht_read(tables[i], &s)) TH_LOG("%s", s.text);
		EXPECT_LT(0UL, s.buckets) TH_LOG("%s: no buckets", tables[i]);
		EXPECT_EQ(0UL, s.lo[0]);
		EXPECT_EQ(0UL, s.hi[0]);
		EXPECT_EQ(s.empty, s.count[0])
			TH_LOG("%s: empty_buckets %lu, histogram '0: %lu'",
			       tables[i], s.empty, s.count[0]);
		for (c = 0; c < s.classes; c++) {
			/* log2 classes: 0, 1, 2-3, 4-7, ... */
			unsigned long lo = c ? 1UL << (c - 1) : 0;
			unsigned long hi = c ? (1UL << c) - 1 : 0;

			EXPECT_EQ(lo, s.lo[c]) TH_LOG("%s class %d", tables[i], c);
			EXPECT_EQ(hi, s.hi[c]) TH_LOG("%s class %d", tables[i], c);
			sum += s.count[c];
			lo_entries += s.count[c] * s.lo[c];
			hi_entries += s.count[c] * s.hi[c];
		}
		EXPECT_EQ(s.buckets, sum)
			TH_LOG("%s: %lu buckets, histogram counts %lu",
			       tables[i], s.buckets, sum);
		/* the histogram ends at the class of the longest chain */
		EXPECT_LE(s.lo[s.classes - 1], s.longest) TH_LOG("%s", tables[i]);
		EXPECT_GE(s.hi[s.classes - 1], s.longest) TH_LOG("%s", tables[i]);
		EXPECT_LT(0UL, s.count[s.classes - 1]) TH_LOG("%s", tables[i]);
		EXPECT_LE(lo_entries, s.entries) TH_LOG("%s", tables[i]);
		EXPECT_GE(hi_entries, s.entries) TH_LOG("%s", tables[i]);
		EXPECT_GE(s.buckets, s.empty);
		EXPECT_EQ(!s.entries, s.empty == s.buckets) TH_LOG("%s", tables[i]);
		EXPECT_GE(0.01, s.load - (double)s.entries / s.buckets)
			TH_LOG("%s: load_factor %.2f", tables[i], s.load);
		EXPECT_LE(0, s.load - (double)s.entries / s.buckets + 0.01)
			TH_LOG("%s: load_factor %.2f", tables[i], s.load);
		if (s.entries) {
			double mean = (double)s.entries / (s.buckets - s.empty);

			EXPECT_GE(0.01, s.mean - mean)
				TH_LOG("%s: mean_chain %.2f", tables[i], s.mean);
			EXPECT_LE(0, s.mean - mean + 0.01)
				TH_LOG("%s: mean_chain %.2f", tables[i], s.mean);
			EXPECT_LE(s.mean, s.longest + 0.01);
		}
		EXPECT_LE(0, s.short_pct);
		EXPECT_GE(100, s.short_pct);
		EXPECT_EQ(0UL, s.truncated) TH_LOG("%s", tables[i]);
	}
}

/* The buckets of the reader's namespace, as net.unix.hash_entries says. */
static void buckets_match(struct __test_metadata *_metadata, const char *ns)
{
	long sysctl = read_long(HASH_ENTRIES);
	static struct ht_stats a, u;

	ASSERT_LT(0, sysctl) TH_LOG("%s: no %s", ns, HASH_ENTRIES);
	ASSERT_EQ(0, ht_read("unix_abstract", &a)) TH_LOG("%s", a.text);
	ASSERT_EQ(0, ht_read("unix_unbound_pathname", &u)) TH_LOG("%s", u.text);
	EXPECT_EQ(sysctl, (long)a.buckets) TH_LOG("%s namespace", ns);
	EXPECT_EQ(sysctl, (long)u.buckets) TH_LOG("%s namespace", ns);
	EXPECT_EQ(0, sysctl & (sysctl - 1))
		TH_LOG("%s: %ld buckets, not a power of two", ns, sysctl);
	EXPECT_LE(16, sysctl);
	TH_LOG("%s namespace: %ld buckets", ns, sysctl);
}

TEST(stats_buckets_match_sysctl)
{
	NEED_HASHTABLES();
	buckets_match(_metadata, "current");
	if (fresh_netns(0)) {
		ASSERT_EQ(EINVAL, errno);
		return;
	}
	buckets_match(_metadata, "new");
}

/*
 * Creating sockets adds to unix_unbound_pathname; binding them to
 * abstract names moves them to unix_abstract; binding to pathnames keeps
 * them in unix_unbound_pathname and adds to unix_pathname; closing takes
 * all back.
 */
#define STAT_SOCKS	1000
#define STAT_PATHS	100

struct unix_counts {
	unsigned long abstract, unbound, pathname;
};

/* The entries of the three unix tables; NULL, or what went wrong. */
static const char *unix_counts(struct unix_counts *c)
{
	static struct ht_stats s;

	if (ht_read("unix_abstract", &s))
		return s.text;
	c->abstract = s.entries;
	if (ht_read("unix_unbound_pathname", &s))
		return s.text;
	c->unbound = s.entries;
	if (ht_read("unix_pathname", &s))
		return s.text;
	c->pathname = s.entries;
	return NULL;
}

TEST(stats_entries_follow_bind_and_close)
{
	static int fds[STAT_SOCKS + STAT_PATHS];
	char name[64], dir[] = "/tmp/unix_hash.XXXXXX";
	const char *why;
	struct unix_counts base, now;
	struct sockaddr_un sun;
	int i, netns;

	NEED_HASHTABLES();
	ASSERT_EQ(0, raise_nofile(STAT_SOCKS + STAT_PATHS + 64));
	netns = !fresh_netns(0);
	if (!netns)
		ASSERT_EQ(EINVAL, errno);
	ASSERT_NE(NULL, mkdtemp(dir));
	why = unix_counts(&base);
	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	if (netns) {
		EXPECT_EQ(0UL, base.abstract);
		EXPECT_EQ(0UL, base.unbound);
	}
	for (i = 0; i < STAT_SOCKS + STAT_PATHS; i++) {
		fds[i] = socket(AF_UNIX, i % 2 ? SOCK_DGRAM : SOCK_STREAM, 0);
		ASSERT_LE(0, fds[i]);
	}
	why = unix_counts(&now);
	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	EXPECT_EQ(base.abstract, now.abstract);
	EXPECT_EQ(base.unbound + STAT_SOCKS + STAT_PATHS, now.unbound);
	EXPECT_EQ(base.pathname, now.pathname);

	for (i = 0; i < STAT_SOCKS + STAT_PATHS; i++) {
		if (i < STAT_SOCKS) {
			snprintf(name, sizeof(name), "uh%d-stat-%05d",
				 getpid(), i);
			ASSERT_EQ(0, bind(fds[i], (struct sockaddr *)&sun,
					  abstract_addr(&sun, name,
							strlen(name))));
		} else {
			snprintf(name, sizeof(name), "%s/s%05d", dir, i);
			ASSERT_EQ(0, bind(fds[i], (struct sockaddr *)&sun,
					  path_addr(&sun, name)));
		}
	}
	why = unix_counts(&now);
	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	EXPECT_EQ(base.abstract + STAT_SOCKS, now.abstract);
	EXPECT_EQ(base.unbound + STAT_PATHS, now.unbound);
	EXPECT_EQ(base.pathname + STAT_PATHS, now.pathname);

	for (i = 0; i < STAT_SOCKS + STAT_PATHS; i++) {
		close(fds[i]);
		if (i >= STAT_SOCKS) {
			snprintf(name, sizeof(name), "%s/s%05d", dir, i);
			unlink(name);
		}
	}
	rmdir(dir);
	why = unix_counts(&now);
	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	EXPECT_EQ(base.abstract, now.abstract);
	EXPECT_EQ(base.unbound, now.unbound);
	EXPECT_EQ(base.pathname, now.pathname);
}

/* The sysctls: skipped on a kernel without them. */
FIXTURE(sysctl) {
	int home;	/* the namespace whose child_hash_entries is set */
	char old[32];
};

FIXTURE_SETUP(sysctl)
{
	self->home = -1;
	if (access(HASH_ENTRIES, R_OK) || access(CHILD_ENTRIES, R_OK))
		SKIP(return, "no net.unix.hash_entries or child_hash_entries");
	/* a namespace to set, so that nothing outlives the test */
	if (unshare(CLONE_NEWNET))
		ASSERT_EQ(EINVAL, errno);
	self->home = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_LE(0, self->home);
	ASSERT_EQ(0, read_line(CHILD_ENTRIES, self->old, sizeof(self->old)));
}

FIXTURE_TEARDOWN(sysctl)
{
	if (self->home < 0)
		return;
	/* matters without CONFIG_NET_NS, where home is the first namespace */
	setns(self->home, CLONE_NEWNET);
	write_file(CHILD_ENTRIES, self->old);
	close(self->home);
}

TEST_F(sysctl, child_hash_entries)
{
	static const struct { const char *set; long buckets; } sizes[] = {
		{ "1024", 1024 }, { "1000", 1024 }, { "5", 16 }, { "16", 16 },
		{ "0", 256 }, { "300", 512 },
	};
	unsigned int i;
	int stats = have_hashtables();
	char buf[32];

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		static struct ht_stats a, u;

		ASSERT_EQ(0, write_file(CHILD_ENTRIES, sizes[i].set))
			TH_LOG("writing %s: %s", sizes[i].set, strerror(errno));
		if (!strcmp(sizes[i].set, "1024")) {
			ASSERT_EQ(0, read_line(CHILD_ENTRIES, buf, sizeof(buf)));
			EXPECT_STREQ("1024", buf);
		}
		if (unshare(CLONE_NEWNET)) {
			ASSERT_EQ(EINVAL, errno);
			SKIP(return, "no network namespaces (CONFIG_NET_NS)");
		}
		EXPECT_EQ(sizes[i].buckets, read_long(HASH_ENTRIES))
			TH_LOG("child_hash_entries %s", sizes[i].set);
		if (stats) {
			ASSERT_EQ(0, ht_read("unix_abstract", &a))
				TH_LOG("%s", a.text);
			ASSERT_EQ(0, ht_read("unix_unbound_pathname", &u))
				TH_LOG("%s", u.text);
			EXPECT_EQ(sizes[i].buckets, (long)a.buckets)
				TH_LOG("child_hash_entries %s", sizes[i].set);
			EXPECT_EQ(sizes[i].buckets, (long)u.buckets)
				TH_LOG("child_hash_entries %s", sizes[i].set);
		}
		ASSERT_EQ(0, setns(self->home, CLONE_NEWNET));
	}
}

TEST_F(sysctl, bad_values)
{
	char buf[32];

	EXPECT_EQ(-1, write_file(CHILD_ENTRIES, "1048577"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write_file(CHILD_ENTRIES, "-1"));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, read_line(CHILD_ENTRIES, buf, sizeof(buf)));
	EXPECT_STREQ(self->old, buf);
	/* the largest is taken (no namespace is made with it) */
	EXPECT_EQ(0, write_file(CHILD_ENTRIES, "1048576"));
	ASSERT_EQ(0, read_line(CHILD_ENTRIES, buf, sizeof(buf)));
	EXPECT_STREQ("1048576", buf);
	EXPECT_EQ(0, write_file(CHILD_ENTRIES, self->old));
	/* hash_entries is read-only */
	EXPECT_EQ(-1, write_file(HASH_ENTRIES, "1024"));
}

/*
 * Adversarial names: all in one bucket of the old hash.  Binding them
 * costs a walk of the whole chain each on the baseline, so the test that
 * needs the statistics checks for them before it binds.
 */
#define ADVERSARIAL	20000
#define ADV_PROC	2000

FIXTURE(adversarial) {
	int unused;
};

FIXTURE_SETUP(adversarial)
{
}

FIXTURE_TEARDOWN(adversarial)
{
}

/* The first N adversarial names all have one old bucket, and are distinct. */
static void check_old_collisions(struct __test_metadata *_metadata, int n)
{
	struct sockaddr_un sun;
	unsigned int bucket = 0;
	char name[NAME_LEN], prev[NAME_LEN];
	int i;

	for (i = 0; i < n; i++) {
		socklen_t len;

		adversarial_name(name, i);
		len = abstract_addr(&sun, name, NAME_LEN);
		if (!i)
			bucket = old_abstract_bucket(&sun, len, SOCK_STREAM);
		ASSERT_EQ(bucket, old_abstract_bucket(&sun, len, SOCK_STREAM))
			TH_LOG("adversarial name #%d is not in old bucket %u",
			       i, bucket);
		if (i)
			ASSERT_NE(0, memcmp(prev, name, NAME_LEN));
		memcpy(prev, name, NAME_LEN);
	}
	/* and the model is not trivial: ordinary names spread (2,000: 44) */
	{
		unsigned char used[OLD_BUCKETS] = {};
		int nused = 0;

		for (i = 0; i < n; i++) {
			ordinary_name(name, i);
			bucket = old_abstract_bucket(&sun,
					abstract_addr(&sun, name, NAME_LEN),
					SOCK_STREAM);
			nused += !used[bucket]++;
		}
		ASSERT_LE(16, nused);
	}
}

TEST_F_TIMEOUT(adversarial, chains_stay_short, 600)
{
	static struct ht_stats s;
	static struct holders h;
	static char why[128];
	long buckets;

	check_old_collisions(_metadata, ADVERSARIAL);
	ASSERT_TRUE(have_hashtables())
		TH_LOG("no %s/unix_abstract: no chain statistics, so nothing shows the %d names that collide in the old hash are spread (the baseline has neither)",
		       HASHTABLES, ADVERSARIAL);
	if (fresh_netns(OLD_BUCKETS)) {
		ASSERT_EQ(EINVAL, errno);
		SKIP(return, "no network namespaces (CONFIG_NET_NS): the table of the current one is not 256 buckets");
	}
	ASSERT_EQ(0, ht_read("unix_abstract", &s)) TH_LOG("%s", s.text);
	buckets = read_long(HASH_ENTRIES);
	ASSERT_EQ((unsigned long)OLD_BUCKETS, s.buckets)
		TH_LOG("a new namespace has %lu buckets, sysctl %ld",
		       s.buckets, buckets);
	ASSERT_EQ(0UL, s.entries);

	ASSERT_EQ(0, holders_bind(&h, adversarial_name, SOCK_STREAM,
				  ADVERSARIAL, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, ht_read("unix_abstract", &s)) TH_LOG("%s", s.text);
	holders_release(&h);
	TH_LOG("%d names: %lu buckets, %lu empty, longest chain %lu, mean %.2f, load factor %.2f",
	       ADVERSARIAL, s.buckets, s.empty, s.longest, s.mean, s.load);
	EXPECT_EQ((unsigned long)ADVERSARIAL, s.entries);
	EXPECT_GE(4 * s.mean, s.longest);
	/*
	 * mean_chain is the mean of the non-empty chains: one chain of
	 * 20,000 has a mean of 20,000.  The load factor sees through that.
	 */
	EXPECT_GE(4 * s.load, s.longest);
	EXPECT_GE(s.buckets / 8, s.empty);
	EXPECT_EQ(0UL, s.truncated);
}

/*
 * Without the statistics: /proc/net/unix lists the table bucket by bucket,
 * each chain newest first (or oldest first), so the runs of decreasing
 * (or increasing) bind order in the listing are no more than the
 * non-empty buckets.  The old hash makes one chain of the names: one run.
 */
TEST_F_TIMEOUT(adversarial, names_spread_in_proc_listing, 300)
{
	static char listed[ADV_PROC][NAME_LEN];
	static int order[ADV_PROC];
	int i, n, others, up = 1, down = 1, runs;
	static struct holders h;
	static char why[128];

	check_old_collisions(_metadata, ADV_PROC);
	if (fresh_netns(OLD_BUCKETS))
		ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, holders_bind(&h, adversarial_name, SOCK_STREAM,
				  ADV_PROC, why, sizeof(why)))
		TH_LOG("%s", why);
	n = proc_net_unix_names("adv", listed, ADV_PROC, &others);
	holders_release(&h);
	ASSERT_EQ(ADV_PROC, n);
	for (i = 0; i < n; i++) {
		order[i] = adversarial_index(listed[i]);
		ASSERT_LE(0, order[i]) TH_LOG("unknown name '%.11s'",
					      listed[i]);
		ASSERT_GT(ADV_PROC, order[i]);
	}
	for (i = 1; i < n; i++) {
		up += order[i] < order[i - 1];
		down += order[i] > order[i - 1];
	}
	runs = up < down ? up : down;
	TH_LOG("%d names that collide in the old hash: at least %d chains in /proc/net/unix",
	       n, runs);
	EXPECT_LE(64, runs);
}

TEST_HARNESS_MAIN
