// SPDX-License-Identifier: GPL-2.0
/*
 * accept_bench: the Linux Scalability Project's accept() micro-benchmark.
 * N threads block in accept() on one listener and a client process makes
 * CONNS sequential connections.  The server closes each connection as
 * soon as it accepts it, and the client waits for that end of file
 * before it connects again, so every connection is announced to the
 * waiters on its own.
 *
 * For each family and N it reports
 *   wakeups_per_conn  voluntary context switches of the accept() threads
 *                     per connection: a woken thread sleeps again once,
 *                     whether or not it got the connection;
 *   conn_per_s        connections per second of guest time;
 *   cpu_us_per_conn   CPU time of the server process (getrusage(), user
 *                     plus system) per connection.  Work done in softirq
 *                     or a transport's kworker is not in it.
 * Under the instruction-count clock (scripts/bench.sh) guest time counts
 * instructions, so conn_per_s and cpu_us_per_conn measure CPU work and
 * are the same on every run.
 *
 *   accept_bench [-c CONNS] [-n N,N,...] [FAMILY...]
 *
 * FAMILY is vsock, tipc, sctp, tcp or unix (default: all); a family the
 * kernel lacks is reported as skipped.  Output, one line per case:
 *   accept_bench family=F n=N conns=C wakeups_per_conn=X conn_per_s=Y cpu_us_per_conn=Z
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "listener.h"
#include "task_stat.h"

#define MAX_WAITERS	256
#define SETTLE_POLLS	60000

struct family {
	const char *name;
	int domain;
	int type;
	int protocol;
	int (*bind)(struct endpoint *ep);
};

static const struct family families[] = {
	{ "vsock", AF_VSOCK, SOCK_STREAM, 0, bind_vsock },
	{ "tipc", AF_TIPC, SOCK_STREAM, 0, bind_tipc },
	{ "sctp", AF_INET, SOCK_STREAM, IPPROTO_SCTP, bind_inet },
	{ "tcp", AF_INET, SOCK_STREAM, 0, bind_inet },
	{ "unix", AF_UNIX, SOCK_STREAM, 0, bind_unix },
};

static int listener;
static pid_t tids[MAX_WAITERS];
static int nr_started;

static void *waiter_fn(void *arg)
{
	int fd;

	__atomic_store_n((pid_t *)arg, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&nr_started, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		fd = accept(listener, NULL, NULL);
		if (fd >= 0)
			close(fd);
		else if (errno != EINTR)
			return NULL;
	}
}

/* The client: @conns connections, one after the other. */
static int client(const struct family *f, struct endpoint *ep, int conns)
{
	char c;
	int i, fd;

	for (i = 0; i < conns; i++) {
		fd = socket(f->domain, f->type, f->protocol);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ep->addr, ep->len)) {
			fprintf(stderr, "accept_bench: %s connection %d: %s\n",
				f->name, i, strerror(errno));
			return 1;
		}
		/* The server closes it: end of file, or a reset. */
		while (read(fd, &c, 1) > 0)
			;
		close(fd);
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Sum of the waiters' switch counts once all of them sleep again. */
static int settled_switches(int n, unsigned long *sum)
{
	unsigned long nvcsw[MAX_WAITERS];

	if (tasks_settle(tids, n, nvcsw, SETTLE_POLLS))
		return -1;
	*sum = 0;
	while (n--)
		*sum += nvcsw[n];
	return 0;
}

/* One case, in a process of its own: its waiters die with it. */
static int run_case(const struct family *f, int n, int conns)
{
	struct endpoint ep = { 0 };
	unsigned long before, after;
	double t, cpu;
	pthread_t thread;
	pid_t pid;
	int i, status;

	ep.fd = socket(f->domain, f->type, f->protocol);
	if (ep.fd < 0) {
		printf("accept_bench family=%s n=%d skipped: %s\n", f->name, n,
		       strerror(errno));
		return 0;
	}
	if (f->bind(&ep) || listen(ep.fd, 1024)) {
		fprintf(stderr, "accept_bench: %s listener: %s\n", f->name,
			strerror(errno));
		return 1;
	}
	listener = ep.fd;
	for (i = 0; i < n; i++)
		if (pthread_create(&thread, NULL, waiter_fn, &tids[i])) {
			fprintf(stderr, "accept_bench: thread %d\n", i);
			return 1;
		}
	while (__atomic_load_n(&nr_started, __ATOMIC_SEQ_CST) < n)
		usleep(1000);
	if (settled_switches(n, &before)) {
		fprintf(stderr, "accept_bench: waiters never all slept\n");
		return 1;
	}

	t = now_s();
	cpu = cpu_s();
	pid = fork();
	if (pid == 0)
		_exit(client(f, &ep, conns));
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	t = now_s() - t;
	cpu = cpu_s() - cpu;
	if (settled_switches(n, &after)) {
		fprintf(stderr, "accept_bench: waiters did not sleep again\n");
		return 1;
	}
	printf("accept_bench family=%s n=%d conns=%d wakeups_per_conn=%.2f conn_per_s=%.0f cpu_us_per_conn=%.1f\n",
	       f->name, n, conns, (double)(after - before) / conns,
	       conns / t, cpu * 1e6 / conns);
	return 0;
}

int main(int argc, char **argv)
{
	int ns[8] = { 1, 4, 16, 64, 256 }, nr_ns = 5;
	int conns = 5000, opt, i, k, rc = 0;
	char *tok;

	while ((opt = getopt(argc, argv, "c:n:")) != -1) {
		switch (opt) {
		case 'c':
			conns = atoi(optarg);
			break;
		case 'n':
			nr_ns = 0;
			for (tok = strtok(optarg, ","); tok && nr_ns < 8;
			     tok = strtok(NULL, ","))
				ns[nr_ns++] = atoi(tok);
			break;
		default:
			fprintf(stderr, "usage: accept_bench [-c CONNS] [-n N,N,...] [FAMILY...]\n");
			return 2;
		}
	}
	for (i = 0; i < nr_ns; i++)
		if (ns[i] < 1 || ns[i] > MAX_WAITERS) {
			fprintf(stderr, "accept_bench: N must be 1..%d\n",
				MAX_WAITERS);
			return 2;
		}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (k = 0; k < (int)(sizeof(families) / sizeof(families[0])); k++) {
		int wanted = optind == argc;

		for (i = optind; i < argc; i++)
			wanted |= !strcmp(argv[i], families[k].name);
		if (!wanted)
			continue;
		for (i = 0; i < nr_ns; i++) {
			int status;
			pid_t pid = fork();

			if (pid == 0)
				_exit(run_case(&families[k], ns[i], conns));
			if (pid < 0 || waitpid(pid, &status, 0) != pid ||
			    !WIFEXITED(status) || WEXITSTATUS(status)) {
				printf("accept_bench family=%s n=%d failed\n",
				       families[k].name, ns[i]);
				rc = 1;
			}
		}
	}
	return rc;
}
