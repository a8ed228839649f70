// SPDX-License-Identifier: GPL-2.0
/*
 * accept_wake: one incoming connection must wake exactly one of the
 * threads blocked in accept() on a listener -- the Linux Scalability
 * Project's "thundering herd" test, run as a correctness check.
 *
 * NR_WAITERS threads block in accept().  For each of NR_CONNS
 * connections the test counts the waiters whose voluntary context switch
 * count moved: a waiter that is woken goes back to sleep afterwards, in
 * accept() again, which is one voluntary switch whether or not it got
 * the connection.
 *
 * Further tests, on the same families: waiters in epoll_wait() on
 * their own epoll instances with EPOLLEXCLUSIVE; a waiter interrupted
 * by a signal as it is woken for a connection; shutdown() of the
 * listener, which must still wake every waiter.
 *
 * Adding a socket family is a bind function (if none fits) and one
 * FIXTURE_VARIANT_ADD().
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/futex.h>

#include "kselftest_harness.h"
#include "listener.h"
#include "task_stat.h"

#define NR_WAITERS	16
#define NR_CONNS	20
/* Polls of 1ms before a waiter that never settles fails the test. */
#define SETTLE_POLLS	20000
/*
 * EPOLLEXCLUSIVE: the most epoll waiters one connection may wake.  A
 * wakeup of the listener's queue that is not "wake all" stops at the
 * first exclusive entry whose epoll instance has a task asleep in
 * epoll_wait() (ep_poll_callback() returns 1 for it), so with every
 * waiter asleep each such wakeup wakes one waiter.  A connection is
 * announced by one sk_data_ready(); the bound leaves room for one more
 * wakeup of the listener while the connection is set up.
 */
#define EPOLL_WAKE_BOUND	2
/*
 * The signal test runs until SIGNAL_RACED rounds caught the woken waiter
 * before it ran, or SIGNAL_ROUNDS rounds; it skips if none did.
 */
#define SIGNAL_ROUNDS	40
#define SIGNAL_RACED	5

struct family {
	int domain;
	int type;
	int protocol;
	/* Bind ep->fd and fill in the address clients connect to. */
	int (*bind)(struct endpoint *ep);
	/* What shutdown(SHUT_RDWR) of the listener does to accept(). */
	enum {
		SHUT_ENDS_ACCEPT,	/* wakes every waiter, accept() fails */
		SHUT_WAKES_ALL,		/* wakes every waiter, who sleep again */
		SHUT_UNSUPPORTED,	/* fails with ENOTCONN, wakes nobody */
	} shutdown;
};

static const struct family tcp = {
	AF_INET, SOCK_STREAM, 0, bind_inet, SHUT_ENDS_ACCEPT,
};
static const struct family unix_stream = {
	AF_UNIX, SOCK_STREAM, 0, bind_unix, SHUT_ENDS_ACCEPT,
};
static const struct family vsock = {
	AF_VSOCK, SOCK_STREAM, 0, bind_vsock, SHUT_UNSUPPORTED,
};
static const struct family tipc = {
	AF_TIPC, SOCK_STREAM, 0, bind_tipc, SHUT_WAKES_ALL,
};
static const struct family sctp = {
	AF_INET, SOCK_STREAM, IPPROTO_SCTP, bind_inet, SHUT_ENDS_ACCEPT,
};

struct waiter {
	pthread_t thread;
	pid_t tid;
	int err;		/* errno that ended the accept loop */
	int exited;
	struct shared *sh;
};

struct shared {
	int listener;
	int accepted;		/* connections accepted by all waiters */
	int stop;		/* each waiter exits after its next accept */
	int started;
	int interrupted;	/* accept() calls a signal ended (EINTR) */
	int round;		/* signal test: bumped after every round */
};

static void on_signal(int sig)
{
}

static void waiter_done(struct waiter *w, int err)
{
	w->err = err;
	__atomic_store_n(&w->exited, 1, __ATOMIC_SEQ_CST);
}

/* Start the next round of the signal test: parked waiters return. */
static void next_round(struct shared *sh)
{
	__atomic_add_fetch(&sh->round, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &sh->round, FUTEX_WAKE_PRIVATE, NR_WAITERS,
		NULL, NULL, 0);
}

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	struct shared *sh = w->sh;
	int fd;

	__atomic_store_n(&w->tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->started, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		fd = accept(sh->listener, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR &&
			    !__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST))
				continue;
			waiter_done(w, errno == EINTR ? 0 : errno);
			return NULL;
		}
		close(fd);
		__atomic_add_fetch(&sh->accepted, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST))
			break;
	}
	waiter_done(w, 0);
	return NULL;
}

/*
 * As waiter_fn(), but an accept() that a signal ends with EINTR parks
 * the waiter until the next round: were it to call accept() again at
 * once, it would take a connection that the interrupted accept() left
 * in the queue, and hide that nobody else was woken for it.
 */
static void *signal_waiter_fn(void *arg)
{
	struct waiter *w = arg;
	struct shared *sh = w->sh;
	int fd, round;

	__atomic_store_n(&w->tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->started, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		fd = accept(sh->listener, NULL, NULL);
		if (fd >= 0) {
			close(fd);
			__atomic_add_fetch(&sh->accepted, 1, __ATOMIC_SEQ_CST);
		} else if (errno != EINTR) {
			waiter_done(w, errno);
			return NULL;
		}
		if (__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST))
			break;
		if (fd >= 0)
			continue;
		/* The round cannot end before its connection is accepted. */
		round = __atomic_load_n(&sh->round, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&sh->interrupted, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&sh->round, __ATOMIC_SEQ_CST) == round &&
		       !__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST))
			syscall(SYS_futex, &sh->round, FUTEX_WAIT_PRIVATE, round,
				NULL, NULL, 0);
	}
	waiter_done(w, 0);
	return NULL;
}

/*
 * A waiter in epoll_wait() on its own epoll instance, which holds the
 * (non-blocking) listener with EPOLLIN | EPOLLEXCLUSIVE.
 */
static void *epoll_waiter_fn(void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	struct waiter *w = arg;
	struct shared *sh = w->sh;
	int epfd, fd, n;

	__atomic_store_n(&w->tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	epfd = epoll_create1(0);
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, sh->listener, &ev)) {
		waiter_done(w, errno);
		__atomic_add_fetch(&sh->started, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	__atomic_add_fetch(&sh->started, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		n = epoll_wait(epfd, &ev, 1, -1);
		if (n < 0 && errno != EINTR) {
			waiter_done(w, errno);
			break;
		}
		if (n > 0) {
			fd = accept(sh->listener, NULL, NULL);
			if (fd >= 0) {
				close(fd);
				__atomic_add_fetch(&sh->accepted, 1,
						   __ATOMIC_SEQ_CST);
			} else if (errno != EAGAIN && errno != EINTR) {
				waiter_done(w, errno);
				break;
			}
		}
		if (__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST)) {
			waiter_done(w, 0);
			break;
		}
	}
	close(epfd);
	return NULL;
}

/* State letter and voluntary switch count of one of our threads. */
/* Wait until every waiter sleeps again; their switch counts in @nvcsw. */
static int settle(struct waiter *w, int n, unsigned long *nvcsw)
{
	pid_t tid[NR_WAITERS];
	int i;

	for (i = 0; i < n; i++)
		tid[i] = w[i].tid;
	return tasks_settle(tid, n, nvcsw, SETTLE_POLLS);
}

static int wait_accepted(struct shared *sh, int want)
{
	int poll;

	for (poll = 0; poll < SETTLE_POLLS; poll++) {
		if (__atomic_load_n(&sh->accepted, __ATOMIC_SEQ_CST) >= want)
			return 0;
		usleep(1000);
	}
	return -1;
}

static int wait_exited(struct waiter *w)
{
	int poll;

	for (poll = 0; poll < SETTLE_POLLS; poll++) {
		if (__atomic_load_n(&w->exited, __ATOMIC_SEQ_CST))
			return 0;
		usleep(1000);
	}
	return -1;
}

static int client_connect(const struct family *f, struct endpoint *ep)
{
	int fd = socket(f->domain, f->type, f->protocol);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ep->addr, ep->len)) {
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE(accept_wake) {
	struct endpoint ep;
	struct shared sh;
	struct waiter w[NR_WAITERS];
	int nr_started;
};

FIXTURE_VARIANT(accept_wake) {
	const struct family *family;
};

FIXTURE_VARIANT_ADD(accept_wake, tcp) {
	.family = &tcp,
};

FIXTURE_VARIANT_ADD(accept_wake, unix) {
	.family = &unix_stream,
};

FIXTURE_VARIANT_ADD(accept_wake, vsock) {
	.family = &vsock,
};

FIXTURE_VARIANT_ADD(accept_wake, tipc) {
	.family = &tipc,
};

FIXTURE_VARIANT_ADD(accept_wake, sctp) {
	.family = &sctp,
};

FIXTURE_SETUP(accept_wake)
{
	const struct family *f = variant->family;
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a signal ends a blocking accept() with EINTR. */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	memset(&self->ep, 0, sizeof(self->ep));
	self->ep.fd = socket(f->domain, f->type, f->protocol);
	if (self->ep.fd < 0 &&
	    (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT ||
	     errno == ESOCKTNOSUPPORT))
		SKIP(return, "socket family %d not supported by this kernel: %s",
		     f->domain, strerror(errno));
	ASSERT_LE(0, self->ep.fd);
	ASSERT_EQ(0, f->bind(&self->ep)) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, listen(self->ep.fd, 128));
	self->sh.listener = self->ep.fd;
}

/* Start NR_WAITERS threads running @fn and wait until all have begun. */
static void start_waiters(struct __test_metadata *_metadata,
			  FIXTURE_DATA(accept_wake) *self,
			  void *(*fn)(void *))
{
	int i;

	for (i = 0; i < NR_WAITERS; i++) {
		self->w[i].sh = &self->sh;
		ASSERT_EQ(0, pthread_create(&self->w[i].thread, NULL,
					    fn, &self->w[i]));
		self->nr_started++;
	}
	while (__atomic_load_n(&self->sh.started, __ATOMIC_SEQ_CST) < NR_WAITERS)
		usleep(1000);
	for (i = 0; i < NR_WAITERS; i++) {
		int err = self->w[i].err;

		ASSERT_EQ(0, err) TH_LOG("waiter %d: %s", i, strerror(err));
	}
}

FIXTURE_TEARDOWN(accept_wake)
{
	int i;

	/* Each remaining waiter takes one connection and leaves ... */
	__atomic_store_n(&self->sh.stop, 1, __ATOMIC_SEQ_CST);
	next_round(&self->sh);
	for (i = 0; i < self->nr_started; i++) {
		int fd = client_connect(variant->family, &self->ep);

		if (fd >= 0)
			close(fd);
	}
	/* ... or is sent away by a signal if no connection reached it. */
	for (i = 0; i < self->nr_started; i++) {
		while (!__atomic_load_n(&self->w[i].exited, __ATOMIC_SEQ_CST)) {
			pthread_kill(self->w[i].thread, SIGUSR1);
			usleep(1000);
		}
		pthread_join(self->w[i].thread, NULL);
	}
	if (self->ep.fd >= 0)
		close(self->ep.fd);
}

/* How many of the waiters woke since @before; @before is brought up to date. */
static int count_woken(struct __test_metadata *_metadata,
		       FIXTURE_DATA(accept_wake) *self, unsigned long *before)
{
	unsigned long after[NR_WAITERS];
	int i, woken = 0;

	if (settle(self->w, NR_WAITERS, after))
		return -1;
	for (i = 0; i < NR_WAITERS; i++)
		woken += after[i] != before[i];
	memcpy(before, after, sizeof(after));
	return woken;
}

/* Make connection @conn, wait until it is accepted: how many woke for it. */
static int connect_and_count(struct __test_metadata *_metadata,
			     FIXTURE_DATA(accept_wake) *self,
			     const struct family *f, int conn,
			     unsigned long *before)
{
	int fd = client_connect(f, &self->ep), woken;

	ASSERT_LE(0, fd) TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(0, wait_accepted(&self->sh, conn + 1))
		TH_LOG("connection %d was never accepted", conn);
	close(fd);
	woken = count_woken(_metadata, self, before);
	ASSERT_LE(0, woken) TH_LOG("waiters did not go back to sleep");
	return woken;
}

TEST_F_TIMEOUT(accept_wake, one_waiter_per_connection, 600)
{
	unsigned long before[NR_WAITERS];
	int conn, i, woken, total = 0;

	start_waiters(_metadata, self, waiter_fn);
	ASSERT_EQ(0, settle(self->w, NR_WAITERS, before))
		TH_LOG("waiters never all blocked in accept()");

	for (conn = 0; conn < NR_CONNS; conn++) {
		woken = connect_and_count(_metadata, self, variant->family,
					  conn, before);
		total += woken;
		EXPECT_EQ(1, woken)
			TH_LOG("connection %d woke %d of %d waiters",
			       conn, woken, NR_WAITERS);
	}
	TH_LOG("%d connections woke %d waiters", NR_CONNS, total);
	for (i = 0; i < NR_WAITERS; i++) {
		int err = self->w[i].err;

		ASSERT_EQ(0, err) TH_LOG("accept: %s", strerror(err));
	}
}

/*
 * NR_WAITERS threads, each in epoll_wait() on its own epoll instance
 * holding the listener with EPOLLIN | EPOLLEXCLUSIVE: a connection wakes
 * at least one of them and at most EPOLL_WAKE_BOUND.
 */
TEST_F_TIMEOUT(accept_wake, epoll_exclusive, 600)
{
	unsigned long before[NR_WAITERS];
	int conn, woken, total = 0, worst = 0;
	int flags = fcntl(self->ep.fd, F_GETFL);

	ASSERT_EQ(0, fcntl(self->ep.fd, F_SETFL, flags | O_NONBLOCK));
	start_waiters(_metadata, self, epoll_waiter_fn);
	ASSERT_EQ(0, settle(self->w, NR_WAITERS, before))
		TH_LOG("waiters never all blocked in epoll_wait()");

	for (conn = 0; conn < NR_CONNS; conn++) {
		woken = connect_and_count(_metadata, self, variant->family,
					  conn, before);
		total += woken;
		if (woken > worst)
			worst = woken;
		EXPECT_LE(woken, EPOLL_WAKE_BOUND)
			TH_LOG("connection %d woke %d of %d epoll waiters",
			       conn, woken, NR_WAITERS);
	}
	TH_LOG("%d connections woke %d epoll waiters, at most %d at once",
	       NR_CONNS, total, worst);
}

/*
 * Connect without blocking and return once the connection is queued on
 * the listener, or already accepted (the accepted count passed @taken).
 * The caller runs at SCHED_FIFO on the waiters' CPU and sleeps (in
 * poll() on the client) while the kernel sets the connection up, so
 * the woken waiter has usually not run yet.
 */
static int connect_queued(const struct family *f, struct endpoint *ep,
			  struct shared *sh, int taken)
{
	struct pollfd lpfd = { .fd = ep->fd, .events = POLLIN };
	struct pollfd cpfd = { .events = POLLOUT };
	int fd, poll_nr;

	fd = socket(f->domain, f->type | SOCK_NONBLOCK, f->protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ep->addr, ep->len) &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	cpfd.fd = fd;
	for (poll_nr = 0; poll_nr < SETTLE_POLLS; poll_nr++) {
		if (poll(&lpfd, 1, 0) > 0 ||
		    __atomic_load_n(&sh->accepted, __ATOMIC_SEQ_CST) > taken)
			return fd;
		/*
		 * Once the client is connected, poll() no longer sleeps: a
		 * waiter that took the connection but was preempted before
		 * it counted it would never run again.
		 */
		if (poll(&cpfd, 1, 1) > 0)
			usleep(1000);
	}
	close(fd);
	errno = ETIMEDOUT;
	return -1;
}

/*
 * A waiter woken for a connection is interrupted by a signal before it
 * runs: it must take the connection, or leave it to another waiter.  The
 * connection must be accepted although the interrupted waiter does not
 * call accept() again (signal_waiter_fn()), and once every waiter is
 * back asleep nothing may be left in the accept queue.
 *
 * All threads share CPU 0.  The waiters run at SCHED_IDLE, which never
 * preempts on wakeup, and this thread at SCHED_FIFO: the waiter woken
 * for the connection is still runnable ('R'), not yet run, when this
 * thread looks, and gets SIGUSR1 (no SA_RESTART) there.
 */
TEST_F_TIMEOUT(accept_wake, signal_strands_nothing, 600)
{
	struct sched_param fifo = { .sched_priority = 1 };
	struct sched_param other = { .sched_priority = 0 };
	struct pollfd pfd = { .fd = self->ep.fd, .events = POLLIN };
	unsigned long before[NR_WAITERS], nvcsw;
	int round, i, raced = 0, caught;
	char state;

	start_waiters(_metadata, self, signal_waiter_fn);
	ASSERT_EQ(0, settle(self->w, NR_WAITERS, before));
	for (i = 0; i < NR_WAITERS; i++) {
		ASSERT_EQ(0, pin_cpu0(self->w[i].tid));
		ASSERT_EQ(0, sched_setscheduler(self->w[i].tid, SCHED_IDLE,
						&other));
	}
	ASSERT_EQ(0, pin_cpu0(0));
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_FIFO, &fifo));

	for (round = 0; round < SIGNAL_ROUNDS && raced < SIGNAL_RACED; round++) {
		int fd = connect_queued(variant->family, &self->ep, &self->sh,
					round);

		ASSERT_LE(0, fd) TH_LOG("connect: %s", strerror(errno));
		/* Interrupt one woken waiter: the others may take it. */
		caught = 0;
		for (i = 0; i < NR_WAITERS; i++) {
			if (task_read(self->w[i].tid, &state, &nvcsw) ||
			    state != 'R')
				continue;
			pthread_kill(self->w[i].thread, SIGUSR1);
			caught = 1;
			break;
		}
		raced += caught;

		/* Give a wakeup that is late (another CPU) time to arrive. */
		ASSERT_EQ(0, wait_accepted(&self->sh, round + 1))
			TH_LOG("round %d: the connection is stranded in the accept queue (%d waiter signalled, %d accept() calls interrupted)",
			       round, caught,
			       __atomic_load_n(&self->sh.interrupted,
					       __ATOMIC_SEQ_CST));
		close(fd);
		next_round(&self->sh);
		ASSERT_EQ(0, settle(self->w, NR_WAITERS, before))
			TH_LOG("waiters did not go back to sleep");
		EXPECT_EQ(0, poll(&pfd, 1, 0))
			TH_LOG("round %d: a connection is left in the accept queue",
			       round);
		EXPECT_EQ(round + 1, __atomic_load_n(&self->sh.accepted,
						     __ATOMIC_SEQ_CST));
	}
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_OTHER, &other));
	TH_LOG("%d of %d rounds signalled the woken waiter before it ran; %d accept() calls interrupted",
	       raced, round,
	       __atomic_load_n(&self->sh.interrupted, __ATOMIC_SEQ_CST));
	if (!raced)
		SKIP(return, "the woken waiter always ran before the signal");
}

/*
 * shutdown() of the listener is a change of state: it must wake every
 * waiter, and where the family ends accept() on it, each one returns.
 * Where it is refused (AF_VSOCK: ENOTCONN, the listener is not
 * connected), it must wake nobody.
 */
TEST_F_TIMEOUT(accept_wake, shutdown_wakes_all, 600)
{
	unsigned long before[NR_WAITERS];
	int i, woken, exited;

	if (variant->family->shutdown == SHUT_UNSUPPORTED) {
		start_waiters(_metadata, self, waiter_fn);
		ASSERT_EQ(0, settle(self->w, NR_WAITERS, before));
		ASSERT_EQ(-1, shutdown(self->ep.fd, SHUT_RDWR));
		EXPECT_EQ(ENOTCONN, errno) TH_LOG("shutdown: %s",
						  strerror(errno));
		woken = count_woken(_metadata, self, before);
		EXPECT_EQ(0, woken)
			TH_LOG("a refused shutdown() woke %d of %d waiters",
			       woken, NR_WAITERS);
		return;
	}
	start_waiters(_metadata, self, waiter_fn);
	ASSERT_EQ(0, settle(self->w, NR_WAITERS, before));
	shutdown(self->ep.fd, SHUT_RDWR);

	if (variant->family->shutdown == SHUT_WAKES_ALL) {
		woken = count_woken(_metadata, self, before);
		EXPECT_EQ(NR_WAITERS, woken)
			TH_LOG("shutdown() woke %d of %d waiters",
			       woken, NR_WAITERS);
		return;
	}
	for (i = 0; i < NR_WAITERS; i++) {
		int err;

		ASSERT_EQ(0, wait_exited(&self->w[i]))
			TH_LOG("waiter %d still in accept() after shutdown()", i);
		err = self->w[i].err;
		EXPECT_EQ(EINVAL, err) TH_LOG("waiter %d: %s", i, strerror(err));
	}
	exited = 0;
	for (i = 0; i < NR_WAITERS; i++)
		exited += self->w[i].exited;
	TH_LOG("shutdown() ended %d of %d accept() calls", exited, NR_WAITERS);
}

TEST_HARNESS_MAIN
