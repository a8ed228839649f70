// SPDX-License-Identifier: GPL-2.0
/*
 * unix_hash_bench: what a lookup of an AF_UNIX name costs, with abstract
 * names that spread in the old checksum hash, abstract names that all
 * collide in it, and pathnames.
 *
 * For each name set and count K: bind K SOCK_DGRAM sockets to the names,
 * then connect() one unbound SOCK_DGRAM socket to M of them picked at
 * random (fixed seed), and report the time per bind() and per connect().
 * Each connect() looks the name up in the table.
 *
 *   ordinary      "sock-%06d" (11 bytes; the old hash spreads them over
 *                 part of its 256 buckets)
 *   adversarial   "adv" and two groups a, b, K - a, K - b at even offsets
 *                 of the sockaddr (11 bytes, printable): one checksum, so
 *                 one old bucket for all of them
 *   pathname      /tmp/unix_hash_bench/sNNNNNN: the host-wide table that
 *                 the old code keyed on i_ino & 255 (connect() also
 *                 resolves the path, which costs the same on both kernels)
 *
 *   unix_hash_bench [count=K] [only=ordinary|adversarial|pathname]
 *                   [connects=M]      (K: 100, then 100000; M: 20000)
 *
 * The sockets live in the initial network namespace: on the patched
 * kernel its table is sized at boot (unix_hash_entries=), while a new
 * namespace gets net.unix.child_hash_entries (256 by default, the old
 * size), so the benchmark makes none.  Each (set, K) runs in a child
 * process that closes its sockets on exit.
 *
 * Under the instruction-count clock the figures repeat, except that the
 * patched kernel keys its hash at random at boot: which names share a
 * bucket, and so the chain walks, change from boot to boot.
 *
 * The old hash puts 100,000 ordinary names in 60 of its buckets (the
 * longest chain 4,660) and all adversarial names in one: binding the
 * adversarial set costs the baseline K^2/2 name comparisons, 5e9 at
 * K = 100000, and each connect() K/2; that case takes about 25 minutes
 * of emulation on the baseline.
 *
 * Output: unix_hash_bench: names=SET count=K connects=M connect_ns=X
 *         bind_ns=Y old_buckets=B old_longest=L
 * (B and L: buckets used and longest chain of the set under the old hash,
 * a userspace model), then, where /sys/kernel/debug/hashtables exists,
 * the set's table after the binds and, at the end, after a walk of /sys
 * (kernfs inodes live in the inode hash), dentry and inode, each line
 * prefixed "unix_hash_bench: TABLE ...: ".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "now.h"
#include "unix_names.h"

#define HASHTABLES	"/sys/kernel/debug/hashtables"

static socklen_t abstract_addr(struct sockaddr_un *sun, const char *name)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path + 1, name, NAME_LEN);
	return offsetof(struct sockaddr_un, sun_path) + 1 + NAME_LEN;
}

static socklen_t ordinary_addr(struct sockaddr_un *sun, unsigned int i)
{
	char name[NAME_LEN];

	ordinary_name(name, i);
	return abstract_addr(sun, name);
}

static socklen_t adversarial_addr(struct sockaddr_un *sun, unsigned int i)
{
	char name[NAME_LEN];

	adversarial_name(name, i);
	return abstract_addr(sun, name);
}

/* Pathname sockets: the host-wide table, which the old code keyed on i_ino */
#define PATH_DIR	"/tmp/unix_hash_bench"

static socklen_t pathname_addr(struct sockaddr_un *sun, unsigned int i)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), PATH_DIR "/s%06u", i);
	return sizeof(*sun);
}

static const struct {
	const char *name;
	socklen_t (*addr)(struct sockaddr_un *sun, unsigned int i);
	const char *table;
} sets[] = {
	{ "ordinary", ordinary_addr, "unix_abstract" },
	{ "adversarial", adversarial_addr, "unix_abstract" },
	{ "pathname", pathname_addr, "unix_pathname" },
};
#define NR_SETS		(int)(sizeof(sets) / sizeof(sets[0]))

/*
 * The old hash of 6.12: for abstract names csum_partial, csum_fold,
 * ^ >> 8, ^ type; for pathnames the inode number.
 */
static unsigned int old_bucket(const struct sockaddr_un *sun, socklen_t len,
			       int type)
{
	struct stat st;

	if (!sun->sun_path[0])
		return old_abstract_bucket(sun, len, type);
	if (stat(sun->sun_path, &st))
		return 0;
	return st.st_ino & (OLD_BUCKETS - 1);
}

static void die(const char *what)
{
	fprintf(stderr, "unix_hash_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* HASHTABLES/NAME, each line prefixed; nothing if it is not there. */
static void print_table(const char *name, const char *tag)
{
	char path[128], line[256];
	FILE *f;

	snprintf(path, sizeof(path), HASHTABLES "/%s", name);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("unix_hash_bench: %s%s: %s", name, tag, line);
	fclose(f);
	fflush(stdout);
}

/* nftw() has stat()ed the entry: that is all a visit needs to do */
static int visit(const char *path, const struct stat *st, int type,
		 struct FTW *ftw)
{
	(void)path, (void)st, (void)type, (void)ftw;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	remove(path);
	return 0;
}

static void run(int set, int count, int connects)
{
	struct sockaddr_un sun, *targets;
	unsigned int old_count[OLD_BUCKETS] = {};
	int i, fd, used = 0, longest = 0;
	unsigned long x = 12345;
	double t, bind_ns, connect_ns;
	struct rlimit rl = { count + 64, count + 64 };
	char tag[64];
	socklen_t len = 0;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	targets = malloc(sizeof(*targets) * connects);
	if (!targets)
		die("malloc");
	if (sets[set].addr == pathname_addr) {
		/* the files of a smaller run before this one */
		nftw(PATH_DIR, remove_entry, 64, FTW_DEPTH | FTW_PHYS);
		if (mkdir(PATH_DIR, 0700))
			die("mkdir " PATH_DIR);
	}

	t = now_ns();
	for (i = 0; i < count; i++) {
		len = sets[set].addr(&sun, i);
		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fd < 0)
			die("socket");
		if (bind(fd, (struct sockaddr *)&sun, len))
			die("bind");
	}
	bind_ns = (now_ns() - t) / count;
	snprintf(tag, sizeof(tag), " names=%s count=%d", sets[set].name,
		 count);
	print_table(sets[set].table, tag);

	/* the old hash's view of the set (pathnames: once they exist) */
	for (i = 0; i < count; i++) {
		unsigned int b;

		len = sets[set].addr(&sun, i);
		b = old_bucket(&sun, len, SOCK_DGRAM);
		used += !old_count[b]++;
		if ((int)old_count[b] > longest)
			longest = old_count[b];
	}

	/* the same targets on every run */
	for (i = 0; i < connects; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		len = sets[set].addr(&targets[i], (x >> 33) % count);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	t = now_ns();
	for (i = 0; i < connects; i++)
		if (connect(fd, (struct sockaddr *)&targets[i], len))
			die("connect");
	connect_ns = (now_ns() - t) / connects;
	printf("unix_hash_bench: names=%s count=%d connects=%d connect_ns=%.1f bind_ns=%.1f old_buckets=%d old_longest=%d\n",
	       sets[set].name, count, connects, connect_ns, bind_ns, used,
	       longest);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const int default_counts[] = { 100, 100000 };
	int i, c, s, status, count = 0, connects = 20000;
	const char *only = NULL;

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "count=", 6))
			count = atoi(argv[i] + 6);
		else if (!strncmp(argv[i], "only=", 5))
			only = argv[i] + 5;
		else if (!strncmp(argv[i], "connects=", 9))
			connects = atoi(argv[i] + 9);
		else
			break;
	}
	for (s = 0; only && s < NR_SETS && strcmp(only, sets[s].name); s++)
		;
	if (i < argc || count < 0 || count > DIGITS * DIGITS * DIGITS * DIGITS ||
	    count > 999999 || connects <= 0 || s == NR_SETS) {
		fprintf(stderr, "usage: unix_hash_bench [count=K] [only=ordinary|adversarial|pathname] [connects=M]\n");
		return 2;
	}

	for (c = 0; c < 2; c++) {
		int k = count ? count : default_counts[c];

		if (count && c)
			break;
		for (s = 0; s < NR_SETS; s++) {
			pid_t pid;

			if (only && strcmp(only, sets[s].name))
				continue;
			fflush(stdout);
			pid = fork();
			if (pid < 0)
				die("fork");
			if (!pid) {
				run(s, k, connects);
				exit(0);
			}
			if (waitpid(pid, &status, 0) != pid ||
			    !WIFEXITED(status) || WEXITSTATUS(status))
				return 1;
		}
	}
	/*
	 * The VFS tables, LSP style, after a workload: the pathname sockets'
	 * dentries are still there; a walk of /sys adds the kernfs inodes,
	 * which (unlike tmpfs's) live in the inode hash.
	 */
	nftw("/sys", visit, 64, FTW_PHYS);
	print_table("dentry", "");
	print_table("inode", "");
	nftw(PATH_DIR, remove_entry, 64, FTW_DEPTH | FTW_PHYS);
	return 0;
}
