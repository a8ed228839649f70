// SPDX-License-Identifier: GPL-2.0
/*
 * poll_hint: poll(), ppoll(), select() and pselect() report exactly the
 * descriptors that are ready, whichever descriptor woke them, and -- the
 * mechanism -- after a wakeup they call ->poll() only for the descriptors
 * that woke them (fs.poll_hinting, "Hints for select and poll" of the
 * Linux Scalability Project).
 *
 * A poller thread sleeps in one of the four calls over N descriptors.  The
 * main thread waits until the poller is asleep in that system call
 * (/proc/self/task/TID/syscall and state 'S'), makes some descriptors
 * ready and checks what the call returns.  To make several descriptors
 * ready "at once", both threads share CPU 0 and the main thread runs at
 * SCHED_FIFO while it writes: the woken poller runs only afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "task_stat.h"
#include "tracefs.h"

#ifndef MAX_FDS
#define MAX_FDS		10000
#endif
#define ROUNDS		6	/* wakeups per call and size */
#define SLEEP_POLLS	20000	/* 1ms polls before "never slept" */
#define RANDOM_ITERS	10000
#define HINT_SYSCTL	"/proc/sys/fs/poll_hinting"

enum call { CALL_POLL, CALL_PPOLL, CALL_SELECT, CALL_PSELECT, NR_CALLS };
static const char * const call_name[] = { "poll", "ppoll", "select", "pselect" };
static const long call_nr[] = {
	SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6,
};

enum kind { K_EVENTFD, K_PIPE, K_UNIX, K_TCP, K_INOTIFY, K_FILE };

/* One descriptor to poll (rfd) and the way to make it ready (wfd). */
struct src {
	enum kind kind;
	int rfd, wfd;
	int silent;	/* polled for no events (select: not polled) */
};

static char inotify_path[64];

static int tcp_listener = -1;
static struct sockaddr_in tcp_addr;

static const struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };

static int tcp_pair(int *r, int *w)
{
	socklen_t len = sizeof(tcp_addr);
	int c;

	if (tcp_listener < 0) {
		tcp_listener = socket(AF_INET, SOCK_STREAM, 0);
		if (tcp_listener < 0)
			return -1;
		tcp_addr.sin_family = AF_INET;
		tcp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(tcp_listener, (struct sockaddr *)&tcp_addr, len) ||
		    getsockname(tcp_listener, (struct sockaddr *)&tcp_addr, &len) ||
		    listen(tcp_listener, 1024))
			return -1;
	}
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&tcp_addr, sizeof(tcp_addr)))
		return -1;
	*r = accept4(tcp_listener, NULL, NULL, SOCK_NONBLOCK);
	*w = c;
	if (*r < 0)
		return -1;
	/*
	 * Close with a reset: 10,000 connections per test closed in
	 * TIME_WAIT would leave connect() searching an exhausted port range.
	 */
	if (setsockopt(*r, SOL_SOCKET, SO_LINGER, &abort_close,
		       sizeof(abort_close)) ||
	    setsockopt(c, SOL_SOCKET, SO_LINGER, &abort_close,
		       sizeof(abort_close)))
		return -1;
	return 0;
}

static int src_open(struct src *s, enum kind kind)
{
	int p[2];

	s->kind = kind;
	switch (kind) {
	case K_EVENTFD:
		s->rfd = s->wfd = eventfd(0, EFD_NONBLOCK);
		return s->rfd < 0 ? -1 : 0;
	case K_PIPE:
		if (pipe2(p, O_NONBLOCK))
			return -1;
		s->rfd = p[0];
		s->wfd = p[1];
		return 0;
	case K_UNIX:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p))
			return -1;
		s->rfd = p[0];
		s->wfd = p[1];
		return 0;
	case K_TCP:
		return tcp_pair(&s->rfd, &s->wfd);
	case K_INOTIFY:
		/* fsnotify wakes its queue with wake_up(): no key */
		snprintf(inotify_path, sizeof(inotify_path), "/tmp/poll_hint.%d",
			 getpid());
		s->wfd = open(inotify_path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		s->rfd = inotify_init1(IN_NONBLOCK);
		if (s->wfd < 0 || s->rfd < 0)
			return -1;
		return inotify_add_watch(s->rfd, inotify_path, IN_MODIFY) < 0;
	case K_FILE:
		/* A regular file has no ->poll and no wait queue. */
		s->rfd = s->wfd = open("/proc/self/exe", O_RDONLY);
		return s->rfd < 0 ? -1 : 0;
	}
	return -1;
}

static void src_close(struct src *s)
{
	close(s->rfd);
	if (s->wfd != s->rfd)
		close(s->wfd);
}

static int src_ready(struct src *s)
{
	uint64_t one = 1;

	switch (s->kind) {
	case K_EVENTFD:
		return write(s->wfd, &one, sizeof(one)) == sizeof(one) ? 0 : -1;
	case K_INOTIFY:
	case K_PIPE:
	case K_UNIX:
	case K_TCP:
		return write(s->wfd, "x", 1) == 1 ? 0 : -1;
	case K_FILE:
		return 0;
	}
	return -1;
}

static void src_drain(struct src *s)
{
	char buf[4096];

	if (s->kind == K_FILE)
		return;
	while (read(s->rfd, buf, sizeof(buf)) > 0)
		;
}

/* What the poller thread is asked to do, and what it got. */
struct job {
	enum call call;
	struct src *src;
	int n;
	short events;		/* poll events; POLLIN means select's readfds */
	int timeout_ms;		/* -1: none */
	int ret, err;
	unsigned char *ready;	/* [n]: 1 if reported */
	pid_t tid;
	int started;
};

static unsigned long *fdbits(int maxfd)
{
	return calloc((maxfd + 64) / 64, sizeof(unsigned long));
}

#define BIT_SET(b, i)	((b)[(i) / 64] |= 1UL << ((i) % 64))
#define BIT_TEST(b, i)	(((b)[(i) / 64] >> ((i) % 64)) & 1)

static void *poller_fn(void *arg)
{
	struct job *j = arg;
	struct timespec ts, *tsp = NULL;
	struct pollfd *pfd = NULL;
	unsigned long *rd = NULL;
	sigset_t cur;
	struct { const sigset_t *set; size_t size; } mask = { &cur, 8 };
	int i, maxfd = 0;

	/* ppoll() and pselect() sleep with the caller's mask. */
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	if (j->timeout_ms >= 0) {
		ts.tv_sec = j->timeout_ms / 1000;
		ts.tv_nsec = (j->timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	memset(j->ready, 0, j->n);
	if (j->call == CALL_POLL || j->call == CALL_PPOLL) {
		pfd = calloc(j->n, sizeof(*pfd));
		for (i = 0; i < j->n; i++) {
			pfd[i].fd = j->src[i].rfd;
			pfd[i].events = j->src[i].silent ? 0 : j->events;
		}
	} else {
		for (i = 0; i < j->n; i++)
			if (j->src[i].rfd > maxfd)
				maxfd = j->src[i].rfd;
		rd = fdbits(maxfd);
		for (i = 0; i < j->n; i++)
			if (!j->src[i].silent)
				BIT_SET(rd, j->src[i].rfd);
	}
	__atomic_store_n(&j->tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	__atomic_store_n(&j->started, 1, __ATOMIC_SEQ_CST);

	/* The system calls themselves: glibc maps select() to pselect6. */
	switch (j->call) {
	case CALL_POLL:
		j->ret = syscall(SYS_poll, pfd, j->n, j->timeout_ms);
		break;
	case CALL_PPOLL:
		j->ret = syscall(SYS_ppoll, pfd, j->n, tsp, &cur, 8);
		break;
	case CALL_SELECT: {
		struct timeval tv, *tvp = NULL;

		if (tsp) {
			tv.tv_sec = ts.tv_sec;
			tv.tv_usec = ts.tv_nsec / 1000;
			tvp = &tv;
		}
		j->ret = syscall(SYS_select, maxfd + 1, rd, NULL, NULL, tvp);
		break;
	}
	case CALL_PSELECT:
		j->ret = syscall(SYS_pselect6, maxfd + 1, rd, NULL, NULL, tsp,
				 &mask);
		break;
	default:
		j->ret = -1;
	}
	j->err = j->ret < 0 ? errno : 0;
	if (j->ret >= 0) {
		for (i = 0; i < j->n; i++) {
			if (pfd)
				j->ready[i] = pfd[i].revents != 0;
			else
				j->ready[i] = BIT_TEST(rd, j->src[i].rfd);
		}
	}
	free(pfd);
	free(rd);
	return NULL;
}

/* Start the poller thread; return once it is about to make its call. */
static int spawn_poller(pthread_t *t, struct job *j)
{
	j->started = 0;
	if (pthread_create(t, NULL, poller_fn, j))
		return -1;
	while (!__atomic_load_n(&j->started, __ATOMIC_SEQ_CST))
		usleep(100);
	return 0;
}

/* Start the poller thread; return once it sleeps in its call. */
static int start_poller(pthread_t *t, struct job *j)
{
	int i;

	if (spawn_poller(t, j))
		return -1;
	for (i = 0; i < SLEEP_POLLS; i++) {
		if (task_asleep_in(j->tid, call_nr[j->call]))
			return 0;
		usleep(i < 100 ? 100 : 1000);
	}
	return -1;
}

/* Make @src[idx[0..m-1]] ready while the sleeping poller cannot run. */
static int ready_at_once(struct src *src, const int *idx, int m)
{
	struct sched_param fifo = { .sched_priority = 1 };
	struct sched_param other = { .sched_priority = 0 };
	int i, err = 0;

	if (sched_setscheduler(0, SCHED_FIFO, &fifo))
		return -1;
	for (i = 0; i < m; i++)
		err |= src_ready(&src[idx[i]]);
	if (sched_setscheduler(0, SCHED_OTHER, &other))
		return -1;
	return err;
}

/*
 * Put the poller to sleep over @n sources, make the @m sources @idx ready
 * at once and check the call reports exactly those.  0 if it did.
 */
static int wake_and_check(struct __test_metadata *_metadata, enum call call,
			  struct src *src, int n, const int *idx, int m)
{
	unsigned char *want = calloc(n, 1);
	unsigned char *ready = calloc(n, 1);
	struct job j = {
		.call = call, .src = src, .n = n, .events = POLLIN,
		.timeout_ms = -1, .ready = ready,
	};
	int i, bad = 0;
	pthread_t t;

	for (i = 0; i < m; i++)
		want[idx[i]] = 1;
	if (start_poller(&t, &j)) {
		TH_LOG("%s over %d fds never went to sleep", call_name[call], n);
		bad = 1;
		/* Let it return. */
		for (i = 0; i < m; i++)
			src_ready(&src[idx[i]]);
	} else if (ready_at_once(src, idx, m)) {
		TH_LOG("making the fds ready failed: %s", strerror(errno));
		bad = 1;
	}
	pthread_join(t, NULL);
	if (j.ret != m) {
		TH_LOG("%s over %d fds returned %d (%s), %d ready", call_name[call],
		       n, j.ret, j.ret < 0 ? strerror(j.err) : "", m);
		bad = 1;
	}
	for (i = 0; i < n; i++) {
		if (ready[i] != want[i]) {
			TH_LOG("%s over %d fds: fd #%d %s", call_name[call], n, i,
			       want[i] ? "ready but not reported" :
			       "reported but not ready");
			bad = 1;
		}
	}
	for (i = 0; i < m; i++)
		src_drain(&src[idx[i]]);
	free(want);
	free(ready);
	return bad;
}

static void raise_nofile(struct __test_metadata *_metadata, rlim_t n)
{
	struct rlimit rl = { n, n };

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl))
		TH_LOG("RLIMIT_NOFILE %lu: %s", (unsigned long)n, strerror(errno));
}

static int read_int(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t len;

	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return len > 0 ? atoi(buf) : -1;
}

FIXTURE(poll_hint) {
	struct src *src;
	int n;
};

FIXTURE_VARIANT(poll_hint) {
	enum kind kind;
};

FIXTURE_VARIANT_ADD(poll_hint, eventfd) { .kind = K_EVENTFD };
FIXTURE_VARIANT_ADD(poll_hint, pipe) { .kind = K_PIPE };
FIXTURE_VARIANT_ADD(poll_hint, unix) { .kind = K_UNIX };
FIXTURE_VARIANT_ADD(poll_hint, tcp) { .kind = K_TCP };

FIXTURE_SETUP(poll_hint)
{
	int i;

	srandom(variant->kind + 1);
	raise_nofile(_metadata, 3 * MAX_FDS + 64);
	ASSERT_EQ(0, pin_cpu0(0));
	self->src = calloc(MAX_FDS, sizeof(*self->src));
	ASSERT_NE(NULL, self->src);
	for (i = 0; i < MAX_FDS; i++) {
		ASSERT_EQ(0, src_open(&self->src[i], variant->kind))
			TH_LOG("source %d: %s", i, strerror(errno));
		self->n = i + 1;
	}
}

FIXTURE_TEARDOWN(poll_hint)
{
	int i;

	for (i = 0; i < self->n; i++)
		src_close(&self->src[i]);
	free(self->src);
	if (tcp_listener >= 0)
		close(tcp_listener);
	tcp_listener = -1;
}

static const int sizes[] = { 1, 64, 1024, MAX_FDS };

/* One waker makes one random descriptor ready after the poller slept. */
TEST_F_TIMEOUT(poll_hint, single_waker, 900)
{
	int c, s, r, k, bad = 0;

	for (c = 0; c < NR_CALLS; c++) {
		for (s = 0; s < 4; s++) {
			for (r = 0; r < ROUNDS; r++) {
				k = random() % sizes[s];
				bad += wake_and_check(_metadata, c, self->src,
						      sizes[s], &k, 1);
			}
		}
	}
	EXPECT_EQ(0, bad);
}

/*
 * The first descriptor becomes ready while the poller is still in its
 * first pass over all MAX_FDS: that wakeup comes before the call has a
 * hint bitmap, so the pass after it must look at everything again.  Had
 * the wakeup been lost, the call would sleep until the test times out.
 * Where the write lands (before, during or after the pass) varies; the
 * call must report that one descriptor in every case.
 */
static int wake_first_during_pass(struct __test_metadata *_metadata,
				  struct src *src, enum call c, int delay_us)
{
	static unsigned char ready[MAX_FDS];
	struct job j = {
		.call = c, .src = src, .n = MAX_FDS, .events = POLLIN,
		.timeout_ms = -1, .ready = ready,
	};
	int i, others = 0;
	pthread_t t;

	if (spawn_poller(&t, &j))
		return 1;
	usleep(delay_us);
	if (src_ready(&src[0]))
		TH_LOG("making fd #0 ready: %s", strerror(errno));
	pthread_join(t, NULL);
	src_drain(&src[0]);
	for (i = 1; i < MAX_FDS; i++)
		others += ready[i];
	if (j.ret == 1 && ready[0] && !others)
		return 0;
	TH_LOG("%s over %d fds: returned %d, fd #0 %sreported, %d others",
	       call_name[c], MAX_FDS, j.ret, ready[0] ? "" : "not ", others);
	return 1;
}

TEST_F_TIMEOUT(poll_hint, wake_during_first_pass, 900)
{
	int c, r, bad = 0;

	for (c = 0; c < NR_CALLS; c++)
		for (r = 0; r < ROUNDS; r++)
			bad += wake_first_during_pass(_metadata, self->src, c,
						      100 * r);
	EXPECT_EQ(0, bad);
}

/* Several descriptors become ready at once: all of them are reported. */
TEST_F_TIMEOUT(poll_hint, many_ready, 900)
{
	int c, s, r, i, idx[8], bad = 0;

	for (c = 0; c < NR_CALLS; c++) {
		for (s = 1; s < 4; s++) {
			for (r = 0; r < ROUNDS; r++) {
				/* distinct: i-th of 8 equal slices */
				for (i = 0; i < 8; i++)
					idx[i] = i * (sizes[s] / 8) +
						 random() % (sizes[s] / 8);
				bad += wake_and_check(_metadata, c, self->src,
						      sizes[s], idx, 8);
			}
		}
	}
	EXPECT_EQ(0, bad);
}

/*
 * Descriptors of other kinds among eventfds: one woken without a key
 * (inotify), and one that has no wait queue at all (a regular file,
 * polled with no events so that it is never ready).
 */
FIXTURE(mixed) {
	struct src src[258];
	int n;
};

FIXTURE_SETUP(mixed)
{
	int i;

	ASSERT_EQ(0, pin_cpu0(0));
	for (i = 0; i < 256; i++) {
		ASSERT_EQ(0, src_open(&self->src[i], K_EVENTFD));
		self->n = i + 1;
	}
	ASSERT_EQ(0, src_open(&self->src[256], K_INOTIFY));
	self->n = 257;
	ASSERT_EQ(0, src_open(&self->src[257], K_FILE));
	self->src[257].silent = 1;
	self->n = 258;
}

FIXTURE_TEARDOWN(mixed)
{
	int i;

	for (i = 0; i < self->n; i++)
		src_close(&self->src[i]);
	unlink(inotify_path);
}

TEST_F(mixed, keyless_wakeup)
{
	int c, k = 256, bad = 0;

	/* the file is not in this set: it would always be ready */
	for (c = 0; c < NR_CALLS; c++)
		bad += wake_and_check(_metadata, c, self->src, 257, &k, 1);
	EXPECT_EQ(0, bad);
}

/* A regular file is ready at once, whatever else is polled. */
TEST_F(mixed, file_always_reported)
{
	unsigned char ready[258];
	struct job j = {
		.src = self->src, .n = 258, .events = POLLIN,
		.timeout_ms = -1, .ready = ready,
	};
	int c;

	self->src[257].silent = 0;
	for (c = 0; c < NR_CALLS; c++) {
		j.call = c;
		poller_fn(&j);
		ASSERT_EQ(1, j.ret) TH_LOG("%s: %s", call_name[c], strerror(j.err));
		EXPECT_EQ(1, ready[257]);
	}
}

/*
 * A descriptor that cannot hint (the regular file, polled for no events,
 * so never ready: poll() then reports only POLLERR, POLLHUP or POLLNVAL)
 * is polled on every pass and must not hide the eventfd that woke us.
 */
TEST_F(mixed, no_waitqueue_fd)
{
	int c, k, bad = 0;

	for (c = CALL_POLL; c <= CALL_PPOLL; c++)
		for (k = 0; k < 256; k += 51)
			bad += wake_and_check(_metadata, c, self->src, 258,
					      &k, 1);
	EXPECT_EQ(0, bad);
}

static void on_signal(int sig)
{
}

/* Timeouts return 0 with nothing reported; signals end the call. */
TEST_F(mixed, timeout_and_signal)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	unsigned char ready[256];
	struct job j = {
		.src = self->src, .n = 256, .events = POLLIN, .ready = ready,
	};
	pthread_t t;
	int c, i;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	for (c = 0; c < NR_CALLS; c++) {
		j.call = c;
		j.timeout_ms = 30;
		poller_fn(&j);
		EXPECT_EQ(0, j.ret) TH_LOG("%s: timeout returned %d", call_name[c], j.ret);
		for (i = 0; i < 256; i++)
			EXPECT_EQ(0, ready[i]);

		/* an eventfd woken and drained before the timeout */
		j.timeout_ms = 200;
		ASSERT_EQ(0, start_poller(&t, &j));
		src_ready(&self->src[7]);
		pthread_join(t, NULL);
		EXPECT_EQ(1, j.ret);
		EXPECT_EQ(1, ready[7]);
		src_drain(&self->src[7]);

		j.timeout_ms = -1;
		ASSERT_EQ(0, start_poller(&t, &j));
		pthread_kill(t, SIGUSR1);
		pthread_join(t, NULL);
		EXPECT_EQ(-1, j.ret) TH_LOG("%s: returned %d on a signal", call_name[c], j.ret);
		EXPECT_EQ(EINTR, j.err);
	}
}

/*
 * signalfd: its wait queue is the poller's sighand's, woken without a
 * key, and emptied with POLLFREE when that sighand is freed -- which
 * cannot happen while a poll()/select() caller sleeps on it, since it is
 * the caller's own.  What can happen is the poller being killed in its
 * sleep: a child's thread polls it with 256 eventfds, and the child
 * execs, which kills the thread and tears its hinted wait down.
 */
TEST_F(mixed, signalfd_teardown)
{
	struct src sfd = { .kind = K_FILE };
	unsigned char ready[257];
	struct src all[257];
	struct job j = {
		.call = CALL_POLL, .src = all, .n = 257, .events = POLLIN,
		.timeout_ms = -1, .ready = ready,
	};
	sigset_t set;
	pthread_t t;
	int status, c;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	sfd.rfd = sfd.wfd = signalfd(-1, &set, SFD_NONBLOCK);
	ASSERT_LE(0, sfd.rfd);
	memcpy(all, self->src, 256 * sizeof(*all));
	all[256] = sfd;

	for (c = 0; c < NR_CALLS; c++) {
		struct signalfd_siginfo si;

		j.call = c;
		ASSERT_EQ(0, start_poller(&t, &j));
		kill(getpid(), SIGUSR2);
		pthread_join(t, NULL);
		EXPECT_EQ(1, j.ret) TH_LOG("%s: returned %d", call_name[c], j.ret);
		EXPECT_EQ(1, ready[256]);
		EXPECT_EQ((ssize_t)sizeof(si), read(sfd.rfd, &si, sizeof(si)));
	}

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *argv[] = { "true", NULL };

		if (start_poller(&t, &j))
			_exit(2);
		execv("/bin/true", argv);
		_exit(3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	close(sfd.rfd);
	ASSERT_EQ(0, sigprocmask(SIG_UNBLOCK, &set, NULL));
}

/*
 * Another thread closes polled descriptors and reopens them while the
 * poller polls: every reported descriptor was ready or closed (POLLNVAL).
 */
struct churn {
	struct src *src;
	int n, stop;
};

static void *churn_fn(void *arg)
{
	struct churn *ch = arg;
	uint64_t one = 1;

	while (!__atomic_load_n(&ch->stop, __ATOMIC_SEQ_CST)) {
		int k = random() % ch->n;
		int fd = ch->src[k].rfd;

		switch (random() % 3) {
		case 0: {
			int e;

			close(fd);
			usleep(100);
			e = eventfd(0, EFD_NONBLOCK);
			if (e >= 0 && e != fd) {
				dup2(e, fd);
				close(e);
			}
			break;
		}
		case 1:
			if (write(fd, &one, sizeof(one)) < 0)
				break;
			break;
		default:
			usleep(200);
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(mixed, concurrent_close, 600)
{
	struct churn ch = { .src = self->src, .n = 256 };
	struct pollfd pfd[256];
	pthread_t t;
	int it, i, ret, seen;

	ASSERT_EQ(0, pthread_create(&t, NULL, churn_fn, &ch));
	for (it = 0; it < 2000; it++) {
		for (i = 0; i < 256; i++) {
			pfd[i].fd = self->src[i].rfd;
			pfd[i].events = POLLIN;
		}
		ret = poll(pfd, 256, 5);
		ASSERT_LE(0, ret);
		seen = 0;
		for (i = 0; i < 256; i++) {
			short r = pfd[i].revents;

			EXPECT_TRUE(r == 0 || r == POLLIN || r == POLLNVAL)
				TH_LOG("fd %d revents %#x", pfd[i].fd, r);
			seen += r != 0;
			if (r == POLLIN)
				src_drain(&self->src[i]);
		}
		EXPECT_EQ(ret, seen);
	}
	__atomic_store_n(&ch.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	/* the churn may have left a slot closed for a moment */
	for (i = 0; i < 256; i++) {
		int e;

		if (fcntl(self->src[i].rfd, F_GETFD) >= 0)
			continue;
		e = eventfd(0, EFD_NONBLOCK);
		if (e >= 0 && e != self->src[i].rfd) {
			dup2(e, self->src[i].rfd);
			close(e);
		}
	}
}

/*
 * 10,000 random rounds (call, set size, sources made ready at once): the
 * same 5,000 with hinting off, then on.  Every round must report exactly
 * the ready set, so both modes report the same.
 */
TEST_F_TIMEOUT(mixed, random_on_off, 1800)
{
	int it, mode, m, i, idx[4], bad[2] = { 0, 0 };
	int saved = read_int(HINT_SYSCTL);

	if (saved < 0)
		SKIP(return, "no " HINT_SYSCTL ": kernel without poll hinting");
	/* The same 5,000 rounds in each mode: one sysctl write per mode. */
	for (mode = 0; mode < 2; mode++) {
		ASSERT_EQ(0, write_file(HINT_SYSCTL, mode ? "1" : "0"));
		srandom(42);
		for (it = 0; it < RANDOM_ITERS / 2; it++) {
			enum call c = random() % NR_CALLS;
			int n = 1 + random() % 256;

			m = 1 + random() % 4;
			if (m > n)
				m = n;
			for (i = 0; i < m; i++) {
				int j, dup;

				do {
					idx[i] = random() % n;
					for (dup = 0, j = 0; j < i; j++)
						dup |= idx[j] == idx[i];
				} while (dup);
			}
			bad[mode] += wake_and_check(_metadata, c, self->src,
						    n, idx, m);
		}
	}
	write_file(HINT_SYSCTL, saved ? "1" : "0");
	TH_LOG("%d rounds each: %d wrong with hinting off, %d with it on",
	       RANDOM_ITERS / 2, bad[0], bad[1]);
	EXPECT_EQ(0, bad[0]);
	EXPECT_EQ(0, bad[1]);
}

/*
 * The sysctl takes 0 and 1 only (EINVAL otherwise), and only from a task
 * with CAP_SYS_ADMIN (EPERM otherwise, even for root).
 */
TEST(sysctl_bad_input)
{
	static const char * const bad[] = { "2", "-1", "on" };
	int saved = read_int(HINT_SYSCTL);
	int i, status;
	pid_t pid;

	if (saved < 0)
		SKIP(return, "no " HINT_SYSCTL ": kernel without poll hinting");
	for (i = 0; i < 3; i++) {
		errno = 0;
		EXPECT_EQ(-1, write_file(HINT_SYSCTL, bad[i]));
		EXPECT_EQ(EINVAL, errno) TH_LOG("writing '%s': %s", bad[i],
						strerror(errno));
	}
	EXPECT_EQ(saved, read_int(HINT_SYSCTL));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2] = { 0 };

		/* Keep every capability but CAP_SYS_ADMIN. */
		if (syscall(SYS_capget, &hdr, data))
			_exit(2);
		data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &=
			~CAP_TO_MASK(CAP_SYS_ADMIN);
		if (syscall(SYS_capset, &hdr, data))
			_exit(2);
		errno = 0;
		if (write_file(HINT_SYSCTL, saved ? "0" : "1") == 0)
			_exit(1);
		_exit(errno == EPERM ? 0 : 3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("without CAP_SYS_ADMIN: %s",
		       WEXITSTATUS(status) == 1 ? "the write succeeded" :
		       WEXITSTATUS(status) == 3 ? "not EPERM" : "capset failed");
	EXPECT_EQ(saved, read_int(HINT_SYSCTL));
}

/*
 * The mechanism: count eventfd_poll() calls, with the function profiler,
 * while a poller that sleeps over N eventfds is woken for one of them.
 * With hinting it polls the one that woke it; without, all N.
 */
FIXTURE(mechanism) {
	struct src src[1024];
	int n;
};

FIXTURE_SETUP(mechanism)
{
	int i;

	if (fn_profile_setup("eventfd_poll"))
		SKIP(return, "no function profiler for eventfd_poll in " TRACING);
	raise_nofile(_metadata, 1024 + 64);
	ASSERT_EQ(0, pin_cpu0(0));
	for (i = 0; i < 1024; i++) {
		ASSERT_EQ(0, src_open(&self->src[i], K_EVENTFD));
		self->n = i + 1;
	}
}

FIXTURE_TEARDOWN(mechanism)
{
	int i;

	fn_profile_stop();
	for (i = 0; i < self->n; i++)
		src_close(&self->src[i]);
}

/* eventfd_poll() calls after the poller slept over @n fds and one woke it. */
static long polls_per_wakeup(struct __test_metadata *_metadata,
			     FIXTURE_DATA(mechanism) *self, enum call c, int n)
{
	unsigned char ready[1024];
	struct job j = {
		.call = c, .src = self->src, .n = n, .events = POLLIN,
		.timeout_ms = -1, .ready = ready,
	};
	int k = n / 3;
	pthread_t t;
	long hits;

	if (start_poller(&t, &j))
		return -1;
	if (fn_profile_start())
		return -1;
	src_ready(&self->src[k]);
	pthread_join(t, NULL);
	hits = fn_profile_hits("eventfd_poll");
	write_file(TRACING "/function_profile_enabled", "0");
	src_drain(&self->src[k]);
	if (j.ret != 1 || !ready[k])
		return -1;
	return hits;
}

TEST_F(mechanism, polls_per_wakeup)
{
	int saved = read_int(HINT_SYSCTL);
	long hits;
	int c;

	for (c = 0; c < NR_CALLS; c++) {
		hits = polls_per_wakeup(_metadata, self, c, 1024);
		TH_LOG("%s over 1024 eventfds, one woken: %ld eventfd_poll() calls",
		       call_name[c], hits);
		ASSERT_LE(0, hits);
		/* 1 ready fd + 2 */
		EXPECT_LE(hits, 3);
	}
	if (saved < 0)
		return;
	/* Hinting off: every descriptor is polled again. */
	ASSERT_EQ(0, write_file(HINT_SYSCTL, "0"));
	hits = polls_per_wakeup(_metadata, self, CALL_POLL, 1024);
	write_file(HINT_SYSCTL, saved ? "1" : "0");
	TH_LOG("poll over 1024 eventfds, hinting off: %ld eventfd_poll() calls", hits);
	EXPECT_EQ(1024, hits);
}

TEST_HARNESS_MAIN
